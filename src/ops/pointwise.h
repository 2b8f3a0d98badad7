// The elementwise ops' shared steps: reduce pointwise losses (and their
// slopes) to the reported loss and gradients; torch's broadcasting
// regression op, on which every elementwise torch loss of two tensors runs.
#pragma once

#include <algorithm>
#include <optional>

#include "ops/checks.h"
#include "ops/common.h"

namespace losscalc::ops {

// Reduces the pointwise losses of elements of `shape` and fills loss, losses
// and denominator; returns their gradient (of that shape), or nothing when
// only the loss is wanted. With `target_grad`, also the target's (the
// opposite, unless the kernel gave its own target_slope). `batch` is the
// batchmean's divisor (kl_div's input.size(0)): the first element of each
// of `batch` equal slices of the elements has share 1, the others 0, so
// row blocks add up to it exactly. A third argument's slope gives its
// gradient in `third_grad` (gaussian_nll_loss's var).
template <class T>
std::optional<Tensor> reduce_pointwise(Result& r, const Shape& shape, const core::Pointwise<T>& pw, const Settings& s,
                                       Tensor* target_grad = nullptr, std::int64_t batch = 1,
                                       const core::Vec<T>* third_slope = nullptr, Tensor* third_grad = nullptr) {
  const Reduction reduction = *s.reduction;
  const core::Layout layout{numel(shape), 1, 1};  // every element a position of its own
  // One element a position: its loss as it is, a share of 1 each.
  auto f = core::forward_of<T>(pw.loss);
  if (reduction == Reduction::BatchMean) {
    const std::int64_t stride = std::max<std::int64_t>(1, numel(shape) / std::max<std::int64_t>(batch, 1));
    for (Eigen::Index p = 0; p < f.share.size(); ++p) f.share[p] = p % stride == 0 ? 1.0 : 0.0;
  }
  const auto red = core::reduce(reduction, f);
  add_loss(r, shape, f, red, reduction);
  if (s.loss_only) return std::nullopt;
  Tensor grad = to_tensor(shape, core::mean_over_classes_backward(layout, red.upstream, pw.slope));
  if (target_grad && pw.target_slope.size()) {
    *target_grad = to_tensor(shape, core::mean_over_classes_backward(layout, red.upstream, pw.target_slope));
  } else if (target_grad) {
    *target_grad = grad;
    for (auto& v : target_grad->data) v = -v;
  }
  if (third_grad) *third_grad = to_tensor(shape, core::mean_over_classes_backward(layout, red.upstream, *third_slope));
  return grad;
}

// torch's elementwise regression losses: input and target broadcast, with
// torch's warning (an (N, 1) input and an (N) target compare every pair);
// grad summed back to the input's shape, grad_target (the opposite) to the
// target's.
// How a loss broadcasts: with torch's warning (mse_loss and the like) or
// silently (kl_div, poisson_nll_loss: their expressions broadcast), and
// which tensor torch's size message calls `a`.
struct Broadcasting {
  bool warn = true;
  bool target_first = false;  // "tensor a" is the target (t * x, xlogy(t, t))
};

template <class T, class Kernel>
Result regression(const Data& data, const Settings& s, Kernel kernel, Broadcasting how = {}) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Result r = start(s, true);
  const Shape shape = how.target_first ? broadcast_shape(target.shape, data.input.shape, "target")
                                       : broadcast_shape(data.input.shape, target.shape, "target");
  if (how.warn && target.shape != data.input.shape)
    r.warnings.push_back("Using a target size (" + torch_size(target.shape) + ") that is different to the input size (" +
                         torch_size(data.input.shape) +
                         "). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size."
                         " (torch's warning; the loss compares the broadcast " + shape_str(shape) + ")");
  // (Equal shapes, the streamed rows' case, need no broadcast copy.)
  const auto x = data.input.shape == shape ? to_vec<T>(data.input) : to_vec<T>(broadcast_to(data.input, shape, "input"));
  const auto y = target.shape == shape ? to_vec<T>(target) : to_vec<T>(broadcast_to(target, shape, "target"));
  const core::Pointwise<T> pw = kernel(x, y);
  r.summary = describe(data.input, &target, "", -1);
  Tensor target_grad;  // each element's, then the broadcast dims summed, as torch does
  const std::optional<Tensor> grad =
      reduce_pointwise(r, shape, pw, s, &target_grad, data.input.dims() == 0 ? 1 : data.input.shape[0]);
  if (!grad) return r;
  r.entries.push_back({"grad", sum_to(*grad, data.input.shape)});
  r.entries.push_back({"grad_target", sum_to(target_grad, target.shape)});
  return r;
}

}  // namespace losscalc::ops
