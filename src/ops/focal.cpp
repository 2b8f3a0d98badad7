// Focal losses: torchvision.ops.sigmoid_focal_loss (torchvision 0.14,
// torchvision/ops/focal_loss.py).
#include "ops/common.h"
#include "ops/ops.h"
#include "ops/pointwise.h"

namespace losscalc::ops {

// sigmoid_focal_loss(inputs, targets, alpha, gamma, reduction): targets of
// the inputs' shape (BCE with logits checks it), any values taken as they
// are; alpha < 0 leaves alpha_t out. The targets get autograd's gradient.
template <class T>
Result sigmoid_focal_loss(const Data& data, const Settings& s) {
  const Tensor& target = logits_and_target(data);
  const double alpha = s.number("alpha");
  const auto f = core::sigmoid_focal<T>(to_vec<T>(data.input), to_vec<T>(target), alpha, s.number("gamma"));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, alpha >= 0 ? "labels" : "labels, alpha off", -1);
  Tensor target_grad;
  const auto grad = reduce_pointwise(r, data.input.shape, f.pw, s, &target_grad);
  if (!grad) return r;
  const Shape& shape = data.input.shape;
  r.entries.push_back({"sigmoid", to_tensor(shape, f.p)});
  r.entries.push_back({"ce_loss", to_tensor(shape, f.ce)});
  r.entries.push_back({"p_t", to_tensor(shape, f.p_t)});
  r.entries.push_back({"modulating_factor", to_tensor(shape, f.modulating_factor)});
  if (f.alpha_t.size()) r.entries.push_back({"alpha_t", to_tensor(shape, f.alpha_t)});
  r.entries.push_back({"grad", *grad});
  r.entries.push_back({"grad_target", std::move(target_grad)});
  return r;
}

template Result sigmoid_focal_loss<float>(const Data&, const Settings&);
template Result sigmoid_focal_loss<double>(const Data&, const Settings&);

}  // namespace losscalc::ops
