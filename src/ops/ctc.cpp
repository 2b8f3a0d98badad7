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
#include "ops/keras_reduce.h"
#include "ops/optax_common.h"
#include "print/number.h"
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
CtcPrepared<T> ctc_prepare(CtcFunction f, const Data& data, const Settings& s) {
  CtcPrepared<T> p;
  if (f == CtcFunction::Torch) {
    p.blank = static_cast<std::int64_t>(s.number("blank"));
    if (!data.target) throw std::logic_error("ctc_loss: targets missing");
    p.b = ctc_batch(data.input, *data.target, data.get("input_lengths"), data.get("target_lengths"), p.blank, true, CtcNames{});
    p.lp = to_vec<T>(data.input);
    p.input_shape = data.input.shape;
    p.target_shape = data.target->shape;
    return p;
  }
  if (f == CtcFunction::Tf) {
    p.time_major = s.number("logits_time_major") != 0;
    p.blank = static_cast<std::int64_t>(s.number("blank_index"));
    if (p.blank < 0 && data.input.dims() == 3) p.blank += data.input.shape[2];
    if (!data.target) throw std::logic_error("tf.nn.ctc_loss: labels missing");
    const CtcNames names{.input = "logits", .targets = "labels", .input_lengths = "logit_length", .target_lengths = "label_length",
                         .blank = "--blank-index", .torch = false};
    p.b = ctc_batch(data.input, *data.target, data.get("logit_length"), data.get("label_length"), p.blank, p.time_major, names);
    p.lp = ctc_log_softmax<T>(to_vec<T>(data.input), p.b.classes);
    p.input_shape = data.input.shape;
    p.target_shape = data.target->shape;
    return p;
  }
  if (f != CtcFunction::Keras) throw std::logic_error("ctc_prepare: optax has its own");
  // keras.losses.ctc: y_true's nonzero labels counted, input_length = T.
  const KerasPair pair = keras_pair(data);
  const Tensor &y_pred = pair.input, &y_true = pair.target;
  if (y_true.dims() != 2)
    throw data_error("target", "", "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in integer format. Received: y_true.shape=" +
                                       py_shape(y_true.shape));
  if (y_pred.dims() != 3)
    throw data_error("input", "", "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, num_classes)`. Received: y_pred.shape=" +
                                      py_shape(y_pred.shape));
  const std::int64_t N = y_pred.shape[0], F = y_pred.shape[1], C = y_pred.shape[2], L = y_true.shape[1];
  if (y_true.shape[0] != N)
    throw data_error("target", "", "has " + std::to_string(y_true.shape[0]) + " rows, for a batch of " + std::to_string(N) + " in y_pred");
  Tensor label_length{Shape{N}, std::vector<double>(static_cast<std::size_t>(N), 0.0)};
  Tensor input_length{Shape{N}, std::vector<double>(static_cast<std::size_t>(N), static_cast<double>(F))};
  for (std::int64_t n = 0; n < N; ++n) {
    std::int64_t count = 0, first_zero = -1;
    for (std::int64_t k = 0; k < L; ++k) {
      const std::int64_t at = n * L + k;
      const double v = y_true.data[static_cast<std::size_t>(at)];
      if (!std::isfinite(v) || v != std::floor(v))
        throw data_error("target", element_where(y_true.shape, at), "is not an integer: y_true holds integer labels (Keras casts it to int32)");
      if (v == 0) {
        if (first_zero < 0) first_zero = k;
        continue;
      }
      if (v < 0 || v >= static_cast<double>(C))
        throw data_error("target", element_where(y_true.shape, at),
                         "is " + std::to_string(static_cast<std::int64_t>(v)) + ": a label must be a class in [1, " + std::to_string(C) +
                             ") (0 is the padding and the blank)");
      if (first_zero >= 0)
        throw data_error("target", element_where(y_true.shape, at),
                         "is a label after a 0 (padding) at column " + std::to_string(first_zero) +
                             ": Keras counts the nonzero labels (label_length) and tf.nn.ctc_loss reads that many from the start, "
                             "a 0 (the blank) among them; pad at the end");
      ++count;
    }
    label_length.data[static_cast<std::size_t>(n)] = static_cast<double>(count);
  }
  const CtcNames names{.input = "y_pred", .targets = "y_true", .input_lengths = "input_length", .target_lengths = "label_length",
                       .blank = "mask_index", .torch = false};
  p.b = ctc_batch(y_pred, y_true, &input_length, &label_length, 0, false, names);
  p.lp = ctc_log_softmax<T>(to_vec<T>(y_pred), C);
  p.blank = 0;
  p.time_major = false;
  p.input_shape = y_pred.shape;
  p.target_shape = y_true.shape;
  p.label_length = std::move(label_length);
  return p;
}

template <class T>
Result ctc_loss(const Data& data, const Settings& s) {
  const bool zero_infinity = s.number("zero_infinity") != 0;
  const CtcPrepared<T> pr = ctc_prepare<T>(CtcFunction::Torch, data, s);
  const CtcBatch& b = pr.b;
  const std::int64_t blank = pr.blank;
  const core::Vec<T>& x = pr.lp;
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
  const CtcPrepared<T> pr = ctc_prepare<T>(CtcFunction::Tf, data, s);
  const CtcBatch& b = pr.b;
  const std::int64_t blank = pr.blank;
  const bool time_major = pr.time_major;
  const core::Vec<T>& lp = pr.lp;
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

// optax.ctc_loss(logits, logit_paddings, labels, label_paddings, *,
// blank_id=0, log_epsilon=-1e5), emulated from its source
// (optax/losses/_classification.py, ctc_loss_with_forward_probs, at
// google-deepmind/optax 2edbcbe): logits (B, T, K), log_softmax inside,
// paddings 1.0 = padded, one loss a sequence; the recursion is
// core::optax_ctc_sample's, log_epsilon in place of -inf. The gradient is
// the reverse-mode derivative of that recursion through the log_softmax, as
// jax.grad takes it.
// optax.ctc_loss's data checked and its inputs formed (log_softmax, the
// label lengths, repeats, one_hot's emissions), one sequence at a time.
template <class T>
OptaxPrepared<T> optax_prepare(const Data& data, const Settings& s) {
  const Tensor& logits = data.input;
  if (!data.target) throw std::logic_error("optax.ctc_loss: labels missing");
  const Tensor& labels = *data.target;
  const Tensor* lpad = data.get("logit_paddings");
  const Tensor* bpad = data.get("label_paddings");
  if (!lpad || !bpad) throw std::logic_error("optax.ctc_loss: paddings missing");
  const auto rank = [](const Tensor& t, std::int64_t r, const char* name) {
    if (t.dims() != r)
      throw data_error(name, "", "Expected the input to have rank " + std::to_string(r) + ", got " + std::to_string(t.dims()) + " instead");
  };
  rank(logits, 3, "logits");
  rank(labels, 2, "labels");
  if (labels.shape != bpad->shape)
    throw data_error("label_paddings", "", "Shape mismatch: got " + py_shape(labels.shape) + " and " + py_shape(bpad->shape) + ".");
  const Shape frame_shape{logits.shape[0], logits.shape[1]};
  if (frame_shape != lpad->shape)
    throw data_error("logit_paddings", "", "Shape mismatch: got " + py_shape(frame_shape) + " and " + py_shape(lpad->shape) + ".");
  const std::int64_t B = logits.shape[0], F = logits.shape[1], K = logits.shape[2];
  if (labels.shape[0] != B)
    throw data_error("labels", "", "Expected `labels` to have batch size " + std::to_string(B) + ", got " + std::to_string(labels.shape[0]) + ".");
  if (logits.data.empty()) check_input(logits, true);
  const std::int64_t N = labels.shape[1];
  const std::int64_t blank = static_cast<std::int64_t>(s.number("blank_id"));
  if (blank < 0 || blank >= K)
    throw data_error("--blank-id", "", "is " + std::to_string(blank) + ": not a class of the " + std::to_string(K) +
                                           " in logits (optax slices logprobs[:, :, blank_id:blank_id + 1] unchecked)");
  const T log_epsilon = static_cast<T>(s.number("log_epsilon"));
  const auto zero_one = [](const Tensor& t, const char* name) {
    for (std::int64_t k = 0; k < t.size(); ++k) {
      const double v = t.data[static_cast<std::size_t>(k)];
      if (v != 0 && v != 1)
        throw data_error(name, element_where(t.shape, k), "is " + (std::isnan(v) ? std::string("nan") : print::shortest(v)) +
                                                              ": a padding indicator must be 1.0 (padded) or 0.0 (optax's docstring; it does not check)");
    }
  };
  zero_one(*lpad, "logit_paddings");
  zero_one(*bpad, "label_paddings");
  // labellens = N - sum(label_paddings): the labels read are the first
  // labellens of each row, wherever its 1s are.
  std::vector<std::int64_t> label_length(static_cast<std::size_t>(B));
  std::vector<std::vector<std::int64_t>> ids(static_cast<std::size_t>(B));
  std::vector<std::vector<unsigned char>> repeat(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) {
    double padded = 0;
    for (std::int64_t n = 0; n < N; ++n) padded += bpad->data[static_cast<std::size_t>(b * N + n)];
    const std::int64_t L = N - static_cast<std::int64_t>(padded);
    label_length[static_cast<std::size_t>(b)] = L;
    for (std::int64_t n = 0; n < N; ++n) {
      const std::int64_t at = b * N + n;
      const double v = labels.data[static_cast<std::size_t>(at)];
      const bool integral = std::isfinite(v) && v == std::floor(v);
      if (n < L) {
        if (!integral || v < 0 || v >= static_cast<double>(K))
          throw data_error("labels", element_where(labels.shape, at),
                           "is " + std::string(integral ? std::to_string(static_cast<std::int64_t>(v)) : "not an integer") +
                               ": a label must be a class index in [0, " + std::to_string(K) +
                               ") (optax does not check: one_hot gives a zero row, a log-probability of 0)");
        if (static_cast<std::int64_t>(v) == blank)
          throw data_error("labels", element_where(labels.shape, at), "is the blank (" + std::to_string(blank) + "): a label cannot be the blank");
      }
      // one_hot of a padded value outside [0, K) (or not an integer) is a zero row.
      ids[static_cast<std::size_t>(b)].push_back(integral && v >= 0 && v < static_cast<double>(K) ? static_cast<std::int64_t>(v) : -1);
      // repeat compares the raw values, padding included.
      repeat[static_cast<std::size_t>(b)].push_back(n + 1 < N && v == labels.data[static_cast<std::size_t>(at + 1)] ? 1 : 0);
    }
  }
  OptaxPrepared<T> p;
  p.B = B;
  p.F = F;
  p.K = K;
  p.N = N;
  p.blank = blank;
  p.log_epsilon = log_epsilon;
  p.lp = ctc_log_softmax<T>(to_vec<T>(logits), K);
  p.pads = to_vec<T>(*lpad);
  const core::Vec<T>& lp = p.lp;
  for (std::int64_t b = 0; b < B; ++b) {
    // einsum('btk,bnk->btn', logprobs, one_hot): lp[label] where the frame is finite (0 x a finite lp is 0).
    std::vector<T> emit(static_cast<std::size_t>(F * N));
    for (std::int64_t t = 0; t < F; ++t) {
      const T* row = lp.data() + (b * F + t) * K;
      bool finite = true;
      for (std::int64_t k = 0; k < K; ++k) finite = finite && std::isfinite(row[k]);
      for (std::int64_t n = 0; n < N; ++n) {
        const std::int64_t id = ids[static_cast<std::size_t>(b)][static_cast<std::size_t>(n)];
        T e = 0;
        if (finite) {
          e = id >= 0 ? row[id] : T(0);
        } else {
          for (std::int64_t k = 0; k < K; ++k) e += row[k] * (k == id ? T(1) : T(0));
        }
        emit[static_cast<std::size_t>(t * N + n)] = e;
      }
    }
    p.emit.push_back(std::move(emit));
  }
  p.label_length = std::move(label_length);
  p.ids = std::move(ids);
  p.repeat = std::move(repeat);
  return p;
}

template <class T>
core::OptaxCtcInput<T> OptaxPrepared<T>::input(std::int64_t b) const {
  const auto u = static_cast<std::size_t>(b);
  return core::OptaxCtcInput<T>{.lp = lp.data() + b * F * K, .frames = F, .classes = K, .pad = pads.data() + b * F, .emit = emit[u].data(),
                                .labels = ids[u], .repeat = repeat[u], .label_length = label_length[u], .blank = blank, .log_epsilon = log_epsilon};
}

template <class T>
Result optax_ctc_loss(const Data& data, const Settings& s) {
  const OptaxPrepared<T> pr = optax_prepare<T>(data, s);
  const Tensor& logits = data.input;
  const Tensor& labels = *data.target;
  const std::int64_t B = pr.B, F = pr.F, K = pr.K, N = pr.N, blank = pr.blank;
  const T log_epsilon = pr.log_epsilon;
  const core::Vec<T>& lp = pr.lp;
  const std::vector<std::int64_t>& label_length = pr.label_length;
  const bool backward = !s.loss_only;
  core::Vec<T> nll(B);
  std::vector<core::OptaxCtcSample<T>> out;
  for (std::int64_t b = 0; b < B; ++b) {
    out.push_back(core::optax_ctc_sample<T>(pr.input(b), backward));
    nll[b] = out.back().loss;
  }
  Result r = start(s, true);
  r.summary = "logits " + shape_str(logits.shape) + " (B, T, K), labels " + shape_str(labels.shape) + ", blank_id " + std::to_string(blank) +
              ", log_epsilon " + print::shortest(static_cast<double>(log_epsilon)) + "; log_softmax inside, one loss a sequence";
  const auto up = reduce_samples(r, Shape{B}, nll, s);
  if (!backward) return r;
  r.entries.push_back({"label_lengths", Tensor{Shape{B}, std::vector<double>(label_length.begin(), label_length.end())}});
  r.entries.push_back({"log_softmax", to_tensor(logits.shape, lp)});
  // logalpha_blank (T, B, N + 1) and logalpha_nonblank (T, B, N), as ctc_loss_with_forward_probs returns them.
  Tensor phi{Shape{F, B, N + 1}, std::vector<double>(static_cast<std::size_t>(F * B * (N + 1)))};
  Tensor emit{Shape{F, B, N}, std::vector<double>(static_cast<std::size_t>(F * B * N))};
  core::Vec<T> grad = core::Vec<T>::Zero(lp.size());
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& o = out[static_cast<std::size_t>(b)];
    for (std::int64_t t = 0; t < F; ++t) {
      for (std::int64_t n = 0; n <= N; ++n)
        phi.data[static_cast<std::size_t>((t * B + b) * (N + 1) + n)] = static_cast<double>(o.phi[static_cast<std::size_t>(t * (N + 1) + n)]);
      for (std::int64_t n = 0; n < N; ++n)
        emit.data[static_cast<std::size_t>((t * B + b) * N + n)] = static_cast<double>(o.emit[static_cast<std::size_t>(t * N + n)]);
      // log_softmax's backward: g - softmax sum(g), times the reduction's factor.
      const T* g = o.grad_lp.data() + t * K;
      const std::int64_t at = (b * F + t) * K;
      T sum = 0;
      for (std::int64_t k = 0; k < K; ++k) sum += g[k];
      for (std::int64_t k = 0; k < K; ++k) grad[at + k] = (g[k] - std::exp(lp[at + k]) * sum) * up[b];
    }
  }
  r.entries.push_back({"logalpha_blank", std::move(phi)});
  r.entries.push_back({"logalpha_nonblank", std::move(emit)});
  r.entries.push_back({"grad", to_tensor(logits.shape, grad)});
  return r;
}

// keras.losses.CTC()(y_true, y_pred) and keras.losses.ctc (Keras 3.16,
// keras/src/losses/losses.py ctc, the TensorFlow backend's ops.nn.ctc_loss):
// y_true (N, L) integers, 0 both the padding and the blank; y_pred (N, T, C)
// logits, batch-major; label_length = the count of nonzero labels,
// input_length = T; tf.nn.ctc_loss(blank_index=0, logits_time_major=False)
// (softmax inside), then Keras's reduction with sample_weight
// (sum_over_batch_size: the mean over N, no length normalisation).
template <class T>
Result keras_ctc(const Data& data, const Settings& s) {
  CtcPrepared<T> pr = ctc_prepare<T>(CtcFunction::Keras, data, s);
  const CtcBatch& b = pr.b;
  const core::Vec<T>& lp = pr.lp;
  const Shape &pred_shape = pr.input_shape, &true_shape = pr.target_shape;
  const std::int64_t N = b.batch;
  Tensor label_length = std::move(pr.label_length);
  const bool backward = !s.loss_only;
  const auto g = ctc_run<T>(b, lp, 0, false, backward, 0);
  Result r = start(s, true);
  r.summary = "y_pred " + shape_str(pred_shape) + " (N, T, C) logits, y_true " + shape_str(true_shape) +
              " (0 = padding and blank), label_length = nonzero labels, input_length = T; softmax inside" + sample_weight_note(data);
  const auto up = keras_reduce(r, Shape{N}, core::forward_of<T>(g.nll), data.get("sample_weight"), s);
  if (!backward) return r;
  r.entries.push_back({"nll", to_tensor(Shape{N}, g.nll)});
  r.entries.push_back({"label_length", std::move(label_length)});
  r.entries.push_back({"log_softmax", to_tensor(pred_shape, lp)});
  core::Vec<T> occupancy, grad;
  ctc_softmax_grad<T>(b, lp, g, false, up, false, occupancy, grad);
  r.entries.push_back({"occupancy", to_tensor(pred_shape, occupancy)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, grad)});
  return r;
}

std::int64_t ctc_samples(CtcFunction f, const Data& data, const Settings& s) {
  const Tensor& x = data.input;
  if (x.dims() == 0) return 1;
  if (f == CtcFunction::Torch) return x.dims() == 3 ? x.shape[1] : 1;
  if (f == CtcFunction::Tf && s.number("logits_time_major") != 0) return x.dims() == 3 ? x.shape[1] : 1;
  return x.shape[0];
}

template <class T>
std::vector<CtcTable> ctc_tables(CtcFunction f, const Data& data, const Settings& s, const std::vector<std::int64_t>& samples) {
  std::vector<CtcTable> out;
  if (f == CtcFunction::Optax) {
    const OptaxPrepared<T> pr = optax_prepare<T>(data, s);
    const std::int64_t F = pr.F, N = pr.N;
    for (auto b : samples) {
      const auto o = core::optax_ctc_sample<T>(pr.input(b), false);
      CtcTable t;
      const std::int64_t L = pr.label_length[static_cast<std::size_t>(b)];
      const auto& ids = pr.ids[static_cast<std::size_t>(b)];
      t.labels.assign(ids.begin(), ids.begin() + L);
      t.blank = pr.blank;
      t.extended = core::ctc_extended(t.labels, pr.blank);
      t.frames = F;
      for (std::int64_t k = 0; k < F; ++k) t.padded += pr.pads[b * F + k] == T(1) ? 1 : 0;
      const std::int64_t W = 2 * L + 1;
      t.log_alpha.resize(static_cast<std::size_t>(F * W));
      for (std::int64_t r = 0; r < F; ++r)
        for (std::int64_t c = 0; c < W; ++c) {
          const T v = c % 2 == 1 ? o.emit[static_cast<std::size_t>(r * N + c / 2)]
                      : r == F - 1 ? o.phi_before_last[static_cast<std::size_t>(c / 2)]
                                   : o.phi[static_cast<std::size_t>(r * (N + 1) + c / 2)];
          t.log_alpha[static_cast<std::size_t>(r * W + c)] = static_cast<double>(v);
        }
      const auto last = [&](std::int64_t c) { return static_cast<T>(t.log_alpha[static_cast<std::size_t>((F - 1) * W + c)]); };
      t.log_likelihood = F == 0 ? -static_cast<double>(o.loss)
                         : L == 0 ? static_cast<double>(last(0))
                                  : static_cast<double>(core::jax_logaddexp<T>(last(W - 1), last(W - 2)));
      t.nll = static_cast<double>(o.loss);
      out.push_back(std::move(t));
    }
    return out;
  }
  const CtcPrepared<T> pr = ctc_prepare<T>(f, data, s);
  const CtcBatch& b = pr.b;
  const std::int64_t N = b.batch, C = b.classes, F = b.frames;
  for (auto n : samples) {
    // ctc_run's view of sample n.
    const std::int64_t base = pr.time_major ? n * C : n * F * C, stride = pr.time_major ? N * C : C;
    const core::CtcFrames<T> fr{pr.lp.data() + base, stride, C, b.input_lengths[static_cast<std::size_t>(n)]};
    const auto& labels = b.labels[static_cast<std::size_t>(n)];
    const auto one = core::ctc_sample<T>(fr, labels, pr.blank, false, true);
    CtcTable t;
    t.labels = labels;
    t.blank = pr.blank;
    t.extended = core::ctc_extended(labels, pr.blank);
    t.frames = fr.frames;
    t.log_alpha.assign(one.log_alpha.begin(), one.log_alpha.end());
    const std::int64_t W = static_cast<std::int64_t>(t.extended.size()), S = static_cast<std::int64_t>(labels.size());
    const auto last = [&](std::int64_t c) { return one.log_alpha[static_cast<std::size_t>((fr.frames - 1) * W + c)]; };
    t.log_likelihood = fr.frames == 0 ? -static_cast<double>(one.nll)
                       : S == 0       ? static_cast<double>(last(0))
                                      : static_cast<double>(core::ctc_log_likelihood<T>(last(2 * S), last(2 * S - 1)));
    t.nll = static_cast<double>(one.nll);
    out.push_back(std::move(t));
  }
  return out;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                        \
  template Result ctc_loss<T>(const Data&, const Settings&);                                                         \
  template Result tf_ctc_loss<T>(const Data&, const Settings&);                                                      \
  template Result optax_ctc_loss<T>(const Data&, const Settings&);                                                   \
  template Result keras_ctc<T>(const Data&, const Settings&);                                                      \
  template CtcPrepared<T> ctc_prepare<T>(CtcFunction, const Data&, const Settings&);                                 \
  template OptaxPrepared<T> optax_prepare<T>(const Data&, const Settings&);                                          \
  template struct OptaxPrepared<T>;                                                                                  \
  template std::vector<CtcTable> ctc_tables<T>(CtcFunction, const Data&, const Settings&, const std::vector<std::int64_t>&); \
  template core::Vec<T> ctc_log_softmax<T>(const core::Vec<T>&, std::int64_t);                                        \
  template void ctc_softmax_grad<T>(const CtcBatch&, const core::Vec<T>&, const CtcGrads<T>&, bool, const core::Vec<T>&, bool, \
                                    core::Vec<T>&, core::Vec<T>&);                                                   \
  template CtcGrads<T> ctc_run<T>(const CtcBatch&, const core::Vec<T>&, std::int64_t, bool, bool, std::int64_t);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
