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
std::vector<std::int64_t> lengths_of(const Tensor* t, const std::string& name, std::int64_t batch) {
  if (!t) throw std::logic_error(name + " missing");
  if (t->dims() > 1 || t->size() != batch) throw data_error(name, "", name + " must be of size batch_size");
  std::vector<std::int64_t> v;
  for (std::int64_t k = 0; k < t->size(); ++k) {
    const double x = t->data[static_cast<std::size_t>(k)];
    if (!std::isfinite(x) || x != std::floor(x)) throw data_error(name, element_where(t->shape, k), name + " must be integral");
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
                   std::int64_t blank, bool time_major, const char* targets_name) {
  CtcBatch b;
  b.batched = log_probs.dims() == 3;
  if (log_probs.dims() != 3 && log_probs.dims() != 2)
    throw data_error("log_probs", "", "Expected 3-dimensional tensor, but got " + std::to_string(log_probs.dims() + 1) +
                                          "-dimensional tensor for argument #1 'log_probs'" + kWhile);
  if (log_probs.data.empty()) check_input(log_probs, true);
  b.frames = b.batched && !time_major ? log_probs.shape[1] : log_probs.shape[0];
  b.batch = b.batched ? (time_major ? log_probs.shape[1] : log_probs.shape[0]) : 1;
  b.classes = log_probs.shape.back();
  if (blank >= b.classes) throw data_error("--blank", "", "blank must be in label range");
  b.input_lengths = lengths_of(input_lengths, "input_lengths", b.batch);
  b.target_lengths = lengths_of(target_lengths, "target_lengths", b.batch);
  const std::string tn = targets_name;
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(b.batch));
  std::int64_t stride = 0;
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
    if (rows != b.batch)
      throw data_error(tn, "", "Expected tensor to have size " + std::to_string(b.batch) + " at dimension 0, but got size " +
                                   std::to_string(rows) + " for argument #2 'targets'" + kWhile);
    std::int64_t longest = 0;
    for (auto l : b.target_lengths) longest = std::max(longest, l);
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
      throw data_error("input_lengths", "", "Expected input_lengths to have value at most " + std::to_string(b.frames) +
                                                ", but got value " + std::to_string(il) + kWhile);
    if (il == 0 && tl > 0)
      throw data_error("input_lengths", element_where(input_lengths->shape, n),
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
  const CtcBatch b = ctc_batch(data.input, *data.target, data.get("input_lengths"), data.get("target_lengths"), blank, true, "targets");
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

#define LOSSCALC_INSTANTIATE(T)                                                                                        \
  template Result ctc_loss<T>(const Data&, const Settings&);                                                         \
  template CtcGrads<T> ctc_run<T>(const CtcBatch&, const core::Vec<T>&, std::int64_t, bool, bool, std::int64_t);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
