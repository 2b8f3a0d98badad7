// CTC losses: torch's ctc_loss (torch 1.13, aten/src/ATen/native/LossCTC.cpp
// and torch/nn/functional.py). The recursion is core/ctc.cpp's; this file
// checks the data as torch does, reduces, and turns the per-class sums of
// alpha beta into torch's gradient, the true derivative and the gradient
// with respect to the logits.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

#include "blocks.h"
#include "core/ctc.h"
#include "error.h"
#include "ops/common.h"
#include "ops/ctc.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

constexpr const char* kWhile = " (while checking arguments for ctc_loss_cpu)";

// The integers of a lengths argument: a scalar or a vector of `batch` values.
std::vector<std::int64_t> lengths_of(const Tensor* t, const std::string& name, std::int64_t batch, bool torch) {
  if (!t) throw std::logic_error(name + " missing");
  if (t->dims() > 1 || t->size() != batch)
    throw data_error(name, "", torch ? name + " must be of size batch_size" : "has " + std::to_string(t->size()) + " values, for a batch of " + std::to_string(batch));
  std::vector<std::int64_t> v;
  for (std::int64_t k = 0; k < t->size(); ++k) {
    const double x = t->data[static_cast<std::size_t>(k)];
    if (!std::isfinite(x) || x != std::floor(x)) throw data_error(name, element_where(t->shape, k), torch ? name + " must be integral" : "must hold integers");
    if (x < 0)
      throw data_error(name, element_where(t->shape, k),
                       "is " + std::to_string(static_cast<std::int64_t>(x)) +
                           ": a length cannot be negative (torch 1.13 does not check, and reads outside its arrays)");
    v.push_back(static_cast<std::int64_t>(x));
  }
  return v;
}

}  // namespace

// The labels of each sample, checked as ATen checks them, plus the class
// range that ATen leaves unchecked (it would read out of bounds).
CtcBatch ctc_batch(const Tensor& log_probs, const Tensor& targets, const Tensor* input_lengths, const Tensor* target_lengths,
                   std::int64_t blank, bool time_major, const CtcNames& names) {
  CtcBatch b;
  b.batched = log_probs.dims() == 3;
  if (!names.torch && log_probs.dims() != 3)
    throw data_error(names.input, "", std::string(names.input) + " must be 3-D, " + (time_major ? "(T, B, C)" : "(B, T, C)") + ", got " + shape_str(log_probs.shape));
  if (log_probs.dims() != 3 && log_probs.dims() != 2)
    throw data_error("log_probs", "", "Expected 3-dimensional tensor, but got " + std::to_string(log_probs.dims() + 1) +
                                          "-dimensional tensor for argument #1 'log_probs'" + kWhile);
  if (log_probs.data.empty()) check_input(log_probs, true);
  b.frames = b.batched && !time_major ? log_probs.shape[1] : log_probs.shape[0];
  b.batch = b.batched ? (time_major ? log_probs.shape[1] : log_probs.shape[0]) : 1;
  b.classes = log_probs.shape.back();
  if (blank < 0 || blank >= b.classes)
    throw data_error(names.blank, "", names.torch ? "blank must be in label range"
                                                  : "is " + std::to_string(blank) + ": not a class of the " + std::to_string(b.classes) + " in " + names.input);
  b.input_lengths = lengths_of(input_lengths, names.input_lengths, b.batch, names.torch);
  b.target_lengths = lengths_of(target_lengths, names.target_lengths, b.batch, names.torch);
  const std::string tn = names.targets;
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(b.batch));
  std::int64_t stride = 0;
  if (!names.torch && targets.dims() != 2)
    throw data_error(tn, "", tn + " must be 2-D, (B, max label length), padded; got " + shape_str(targets.shape));
  if (b.batched && targets.dims() == 1) {  // concatenated
    std::int64_t pos = 0;
    for (std::int64_t n = 0; n < b.batch; ++n) {
      offsets[static_cast<std::size_t>(n)] = pos;
      pos += b.target_lengths[static_cast<std::size_t>(n)];
    }
    if (targets.shape[0] != pos)
      throw data_error(tn, "", "Expected tensor to have size " + std::to_string(pos) + " at dimension 0, but got size " +
                                   std::to_string(targets.shape[0]) + " for argument #2 'targets'" + kWhile);
    stride = 0;
    b.concatenated = true;
  } else {
    const bool one = !b.batched && targets.dims() == 1;
    if (targets.dims() != 2 && !one)
      throw data_error(tn, "", "targets must be (N, S) padded or 1-D concatenated (sum of target_lengths), got " + shape_str(targets.shape));
    const std::int64_t rows = one ? 1 : targets.shape[0], cols = one ? targets.shape[0] : targets.shape[1];
    if (rows != b.batch && !names.torch)
      throw data_error(tn, "", "has " + std::to_string(rows) + " rows, for a batch of " + std::to_string(b.batch));
    if (rows != b.batch)
      throw data_error(tn, "", "Expected tensor to have size " + std::to_string(b.batch) + " at dimension 0, but got size " +
                                   std::to_string(rows) + " for argument #2 'targets'" + kWhile);
    std::int64_t longest = 0;
    for (auto l : b.target_lengths) longest = std::max(longest, l);
    if (cols < longest && !names.torch)
      throw data_error(tn, "", "has " + std::to_string(cols) + " columns, fewer than a " + names.target_lengths + " of " + std::to_string(longest));
    if (cols < longest)
      throw data_error(tn, "", "Expected tensor to have size at least " + std::to_string(longest) + " at dimension 1, but got size " +
                                   std::to_string(cols) + " for argument #2 'targets'" + kWhile);
    for (std::int64_t n = 0; n < b.batch; ++n) offsets[static_cast<std::size_t>(n)] = n * cols;
    stride = cols;
  }
  (void)stride;
  for (std::int64_t n = 0; n < b.batch; ++n) {
    const std::int64_t il = b.input_lengths[static_cast<std::size_t>(n)], tl = b.target_lengths[static_cast<std::size_t>(n)];
    if (il > b.frames)
      throw data_error(names.input_lengths, "", names.torch ? "Expected input_lengths to have value at most " + std::to_string(b.frames) +
                                                                  ", but got value " + std::to_string(il) + kWhile
                                                            : "has " + std::to_string(il) + " frames, above the " + std::to_string(b.frames) + " of " + names.input);
    if (il == 0 && tl > 0 && names.torch)
      throw data_error(names.input_lengths, element_where(input_lengths->shape, n),
                       "is 0 for a target of length " + std::to_string(tl) +
                           ": torch 1.13 then reads log_alpha at frame -1 (out of bounds) and returns a meaningless number; no alignment exists (inf)");
    std::vector<std::int64_t> labels;
    for (std::int64_t k = 0; k < tl; ++k) {
      const std::int64_t at = offsets[static_cast<std::size_t>(n)] + k;
      const double v = targets.data[static_cast<std::size_t>(at)];
      if (!std::isfinite(v) || v != std::floor(v) || v < 0 || v >= static_cast<double>(b.classes))
        throw data_error(tn, element_where(targets.shape, at),
                         "is " + std::string(std::isfinite(v) && v == std::floor(v) ? std::to_string(static_cast<std::int64_t>(v)) : "not an integer") +
                             ": a label must be a class index in [0, " + std::to_string(b.classes) +
                             ") (torch 1.13 does not check, and reads log_probs out of bounds)");
      if (!names.torch && v == static_cast<double>(blank))
        throw data_error(tn, element_where(targets.shape, at), "is the blank (" + std::to_string(blank) + "): a label cannot be the blank");
      labels.push_back(static_cast<std::int64_t>(v));
    }
    b.labels.push_back(std::move(labels));
  }
  return b;
}

template <class T>
CtcGrads<T> ctc_run(const CtcBatch& b, const core::Vec<T>& x, std::int64_t blank, bool time_major, bool backward,
                    std::int64_t keep_alpha_of) {
  CtcGrads<T> g;
  const std::int64_t N = b.batch, C = b.classes, F = b.frames;
  g.nll.resize(N);
  if (backward) g.log_alpha_beta.assign(static_cast<std::size_t>(x.size()), -std::numeric_limits<T>::infinity());
  g.log_alpha.resize(static_cast<std::size_t>(std::min(keep_alpha_of, N)));
  // Each sample writes its own nll and frames only: samples k, k + 2, ...
  // on each of two threads give the same numbers as one thread.
  const auto work = [&](std::int64_t first, std::int64_t step) {
    for (std::int64_t n = first; n < N; n += step) {
      const std::int64_t base = time_major ? n * C : n * F * C, stride = time_major ? N * C : C;
      const core::CtcFrames<T> fr{x.data() + base, stride, C, b.input_lengths[static_cast<std::size_t>(n)]};
      auto one = core::ctc_sample<T>(fr, b.labels[static_cast<std::size_t>(n)], blank, backward, n < keep_alpha_of);
      g.nll[n] = one.nll;
      if (backward)
        for (std::int64_t t = 0; t < fr.frames; ++t)
          for (std::int64_t c = 0; c < C; ++c)
            g.log_alpha_beta[static_cast<std::size_t>(base + t * stride + c)] = one.log_alpha_beta[static_cast<std::size_t>(t * C + c)];
      if (n < keep_alpha_of) g.log_alpha[static_cast<std::size_t>(n)] = std::move(one.log_alpha);
    }
  };
  if (N > 1 && x.size() >= 100000 && stream::second_thread()) {
    std::thread second(work, 1, 2);
    work(0, 2);
    second.join();
  } else {
    work(0, 1);
  }
  return g;
}

template <class T>
Result ctc_loss(const Data& data, const Settings& s) {
  const std::int64_t blank = static_cast<std::int64_t>(s.number("blank"));
  const bool zero_infinity = s.number("zero_infinity") != 0;
  if (!data.target) throw std::logic_error("ctc_loss: targets missing");
  const CtcBatch b = ctc_batch(data.input, *data.target, data.get("input_lengths"), data.get("target_lengths"), blank, true, CtcNames{});
  const core::Vec<T> x = to_vec<T>(data.input);
  const bool backward = !s.loss_only;
  const auto g = ctc_run<T>(b, x, blank, true, backward, 0);
  const std::int64_t N = b.batch, C = b.classes, F = b.frames;
  constexpr T inf = std::numeric_limits<T>::infinity();
  core::Vec<T> loss = g.nll;
  if (zero_infinity)
    for (std::int64_t n = 0; n < N; ++n)
      if (loss[n] == inf) loss[n] = 0;
  // mean: (loss / clamp_min(target_lengths, 1)).mean(), in the dtype.
  const bool mean = *s.reduction == Reduction::Mean;
  core::Vec<T> per = loss;
  if (mean)
    for (std::int64_t n = 0; n < N; ++n)
      per[n] = loss[n] / static_cast<T>(std::max<std::int64_t>(b.target_lengths[static_cast<std::size_t>(n)], 1));
  Result r = start(s, true);
  r.summary = "log_probs " + shape_str(data.input.shape) + (b.batched ? " (T, N, C)" : " (T, C)") + ", targets " +
              shape_str(data.target->shape) + (b.concatenated ? " concatenated" : " padded") + ", blank " + std::to_string(blank) +
              (zero_infinity ? ", zero_infinity" : "") + (mean ? "; mean = mean over n of loss_n / max(target_length_n, 1)" : "");
  const Shape positions = b.batched ? Shape{N} : Shape{};
  const auto up = reduce_samples(r, positions, per, s);
  if (!backward) return r;
  std::int64_t longest = 0;
  for (auto& l : b.labels) longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(l.size()));
  Tensor ext{b.batched ? Shape{N, 2 * longest + 1} : Shape{2 * longest + 1}, std::vector<double>(static_cast<std::size_t>(N * (2 * longest + 1)), -1.0)};
  for (std::int64_t n = 0; n < N; ++n) {
    const auto e = core::ctc_extended(b.labels[static_cast<std::size_t>(n)], blank);
    for (std::size_t k = 0; k < e.size(); ++k) ext.data[static_cast<std::size_t>(n * (2 * longest + 1)) + k] = static_cast<double>(e[k]);
  }
  r.entries.push_back({"nll", to_tensor(positions, g.nll)});
  r.entries.push_back({"extended_labels", std::move(ext)});
  const auto size = x.size();
  core::Vec<T> occupancy = core::Vec<T>::Zero(size), torch_grad = core::Vec<T>::Zero(size), true_grad = core::Vec<T>::Zero(size),
               logits_grad = core::Vec<T>::Zero(size);
  for (std::int64_t n = 0; n < N; ++n) {
    const T nll = g.nll[n];
    if (zero_infinity && nll == inf) continue;  // ATen zeroes the sample's gradient
    // d reported loss / d nll_n: the reduction's, then 1 / max(target_length, 1) for the mean.
    const T gr = mean ? up[n] / static_cast<T>(std::max<std::int64_t>(b.target_lengths[static_cast<std::size_t>(n)], 1)) : up[n];
    for (std::int64_t t = 0; t < b.input_lengths[static_cast<std::size_t>(n)]; ++t) {
      const std::int64_t at = t * N * C + n * C;
      T m = -inf;
      for (std::int64_t c = 0; c < C; ++c) m = std::max(m, x[at + c]);
      T z = 0;
      for (std::int64_t c = 0; c < C; ++c) z += std::exp(x[at + c] - m);
      const T lse = m + std::log(z);
      T sum = 0;
      for (std::int64_t c = 0; c < C; ++c) {
        const T lp = x[at + c];
        const T gamma = std::exp(g.log_alpha_beta[static_cast<std::size_t>(at + c)] + nll - lp);
        occupancy[at + c] = gamma;
        torch_grad[at + c] = (std::exp(lp) - gamma) * gr;
        true_grad[at + c] = T(0) - gamma * gr;  // +0 where no state is
        sum += torch_grad[at + c];
      }
      // log_softmax's backward of torch's gradient: g - softmax sum(g), which
      // is (softmax - occupancy) times the factor when the occupancies sum to 1.
      for (std::int64_t c = 0; c < C; ++c) logits_grad[at + c] = torch_grad[at + c] - std::exp(x[at + c] - lse) * sum;
    }
  }
  (void)F;
  const Shape& shape = data.input.shape;
  r.entries.push_back({"occupancy", to_tensor(shape, occupancy)});
  r.entries.push_back({"grad", to_tensor(shape, torch_grad)});
  r.entries.push_back({"true_grad", to_tensor(shape, true_grad)});
  r.entries.push_back({"grad_logits", to_tensor(shape, logits_grad)});
  r.notes.push_back("grad is what torch's autograd returns for log_probs: exp(log_probs) - occupancy (times the reduction's factor), "
                    "not the derivative; true_grad is the derivative of the loss w.r.t. log_probs (-occupancy), grad_logits the "
                    "gradient w.r.t. logits z when log_probs = log_softmax(z) (softmax - occupancy); frames past input_length get 0");
  return r;
}

template <class T>
void ctc_softmax_grad(const CtcBatch& b, const core::Vec<T>& lp, const CtcGrads<T>& g, bool time_major, const core::Vec<T>& upstream,
                      bool skip_infinite, core::Vec<T>& occupancy, core::Vec<T>& grad) {
  const std::int64_t N = b.batch, C = b.classes, F = b.frames;
  occupancy = core::Vec<T>::Zero(lp.size());
  grad = core::Vec<T>::Zero(lp.size());
  for (std::int64_t n = 0; n < N; ++n) {
    const T nll = g.nll[n];
    if (skip_infinite && nll == std::numeric_limits<T>::infinity()) continue;
    for (std::int64_t t = 0; t < b.input_lengths[static_cast<std::size_t>(n)]; ++t) {
      const std::int64_t at = time_major ? t * N * C + n * C : n * F * C + t * C;
      for (std::int64_t c = 0; c < C; ++c) {
        const T gamma = std::exp(g.log_alpha_beta[static_cast<std::size_t>(at + c)] + nll - lp[at + c]);
        occupancy[at + c] = gamma;
        grad[at + c] = (std::exp(lp[at + c]) - gamma) * upstream[n];
      }
    }
  }
}

template <class T>
core::Vec<T> ctc_log_softmax(const core::Vec<T>& x, std::int64_t classes) {
  core::Vec<T> out(x.size());
  for (Eigen::Index r = 0; r + classes <= x.size(); r += classes) {
    T m = -std::numeric_limits<T>::infinity();
    for (std::int64_t c = 0; c < classes; ++c) m = std::max(m, x[r + c]);
    T z = 0;
    for (std::int64_t c = 0; c < classes; ++c) z += std::exp(x[r + c] - m);
    const T lz = std::log(z);
    for (std::int64_t c = 0; c < classes; ++c) out[r + c] = (x[r + c] - m) - lz;
  }
  return out;
}

Tensor ctc_extended_tensor(const CtcBatch& b, std::int64_t blank) {
  std::int64_t longest = 0;
  for (auto& l : b.labels) longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(l.size()));
  const std::int64_t w = 2 * longest + 1, N = b.batch;
  Tensor ext{b.batched ? Shape{N, w} : Shape{w}, std::vector<double>(static_cast<std::size_t>(N * w), -1.0)};
  for (std::int64_t n = 0; n < N; ++n) {
    const auto e = core::ctc_extended(b.labels[static_cast<std::size_t>(n)], blank);
    for (std::size_t k = 0; k < e.size(); ++k) ext.data[static_cast<std::size_t>(n * w) + k] = static_cast<double>(e[k]);
  }
  return ext;
}

// tf.nn.ctc_loss(labels, logits, label_length, logit_length,
// logits_time_major=True, blank_index=0) with dense labels: the softmax is
// taken inside (log_softmax of the logits), one loss an example; the
// gradient w.r.t. the logits is softmax - occupancy. (No TensorFlow here:
// from its documented semantics, tested against torch's numbers on
// log_softmax(logits).) A negative blank_index counts from C, as TF's does.
template <class T>
Result tf_ctc_loss(const Data& data, const Settings& s) {
  const bool time_major = s.number("logits_time_major") != 0;
  std::int64_t blank = static_cast<std::int64_t>(s.number("blank_index"));
  if (blank < 0 && data.input.dims() == 3) blank += data.input.shape[2];
  if (!data.target) throw std::logic_error("tf.nn.ctc_loss: labels missing");
  const CtcNames names{.input = "logits", .targets = "labels", .input_lengths = "logit_length", .target_lengths = "label_length",
                       .blank = "--blank-index", .torch = false};
  const CtcBatch b = ctc_batch(data.input, *data.target, data.get("logit_length"), data.get("label_length"), blank, time_major, names);
  const core::Vec<T> lp = ctc_log_softmax<T>(to_vec<T>(data.input), b.classes);
  const bool backward = !s.loss_only;
  const auto g = ctc_run<T>(b, lp, blank, time_major, backward, 0);
  Result r = start(s, true);
  r.summary = "logits " + shape_str(data.input.shape) + (time_major ? " (T, B, C) time-major" : " (B, T, C)") + ", labels " +
              shape_str(data.target->shape) + " dense, blank_index " + std::to_string(blank) + "; softmax inside, one loss an example";
  const auto up = reduce_samples(r, Shape{b.batch}, g.nll, s);
  if (!backward) return r;
  r.entries.push_back({"extended_labels", ctc_extended_tensor(b, blank)});
  r.entries.push_back({"log_softmax", to_tensor(data.input.shape, lp)});
  core::Vec<T> occupancy, grad;
  ctc_softmax_grad<T>(b, lp, g, time_major, up, false, occupancy, grad);
  r.entries.push_back({"occupancy", to_tensor(data.input.shape, occupancy)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, grad)});
  return r;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                        \
  template Result ctc_loss<T>(const Data&, const Settings&);                                                         \
  template Result tf_ctc_loss<T>(const Data&, const Settings&);                                                      \
  template core::Vec<T> ctc_log_softmax<T>(const core::Vec<T>&, std::int64_t);                                        \
  template void ctc_softmax_grad<T>(const CtcBatch&, const core::Vec<T>&, const CtcGrads<T>&, bool, const core::Vec<T>&, bool, \
                                    core::Vec<T>&, core::Vec<T>&);                                                   \
  template CtcGrads<T> ctc_run<T>(const CtcBatch&, const core::Vec<T>&, std::int64_t, bool, bool, std::int64_t);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
