// The likelihood and divergence losses: torch kl_div, poisson_nll_loss and
// gaussian_nll_loss; tf.nn log_poisson_loss and l2_loss.
#include <cmath>

#include "error.h"
#include "ops/ops.h"
#include "ops/pointwise.h"
#include "print/number.h"

namespace losscalc::ops {

template <class T>
Result kl_div(const Data& data, const Settings& s) {
  const bool log_target = s.number("log_target") != 0;
  // xlogy(t, t) - t * x (or exp(t) * (t - x)) broadcasts silently; torch's
  // size message names the target first.
  Result r = regression<T>(
      data, s, [log_target](const core::Vec<T>& x, const core::Vec<T>& t) { return core::kl_div(x, t, log_target); },
      {.warn = false, .target_first = true});
  if (*s.reduction == Reduction::Mean)  // F.kl_div's own warning
    r.warnings.insert(r.warnings.begin(),
                      "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides "
                      "only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.");
  return r;
}

template <class T>
Result poisson_nll_loss(const Data& data, const Settings& s) {
  const bool log_input = s.number("log_input") != 0, full = s.number("full") != 0;
  const auto eps = static_cast<T>(s.number("eps"));
  return regression<T>(
      data, s,
      [=](const core::Vec<T>& x, const core::Vec<T>& t) { return core::poisson_nll(x, t, log_input, full, eps); },
      {.warn = false, .target_first = true});
}

// torch's var shapes: input's; input's without the last dim (unsqueezed
// there, so a (2, 2) input's var (2) is one per row); or that with a last
// dim of 1. Anything else is "var is of incorrect size".
Shape gaussian_var_shape(const Shape& input, const Shape& var) {
  if (var == input) return var;
  const Shape head(input.begin(), input.end() - (input.empty() ? 0 : 1));
  if (var == head) {
    Shape v = var;
    v.push_back(1);
    return v;
  }
  if (!var.empty() && Shape(var.begin(), var.end() - 1) == head && var.back() == 1) return var;
  throw data_error("var", "", "var is of incorrect size: " + shape_str(var) + " for input " + shape_str(input) +
                                  " (torch takes input's shape, input's without its last dim, or that with a last dim of 1)");
}

template <class T>
Result gaussian_nll_loss(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  const Tensor* var = data.get("var");
  if (!var) throw usage_error("var", "missing VAR (gaussian_nll_loss takes input, target, var)");
  const Shape var_shape = gaussian_var_shape(data.input.shape, var->shape);
  for (std::size_t i = 0; i < var->data.size(); ++i)
    if (var->data[i] < 0)
      throw data_error("var", element_where(var->shape, static_cast<std::int64_t>(i)),
                       "var has negative entry/entries (" + print::shortest(var->data[i]) + ")");
  // 0.5 * (log(var) + (input - target)**2 / var): (input - target) first, then var.
  const Shape diff_shape = broadcast_shape(data.input.shape, target.shape, "target");
  const Shape shape = broadcast_shape(diff_shape, var_shape, "var");
  const Tensor var_b{var_shape, var->data};
  const auto g = core::gaussian_nll(to_vec<T>(broadcast_to(data.input, shape, "input")), to_vec<T>(broadcast_to(target, shape, "target")),
                                    to_vec<T>(broadcast_to(var_b, shape, "var")), s.number("full") != 0,
                                    static_cast<T>(s.number("eps")));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1) + ", var " + shape_str(var->shape) +
              (var_shape != var->shape ? " (unsqueezed to " + shape_str(var_shape) + ")" : "");
  Tensor target_grad, var_grad;
  const std::optional<Tensor> grad = reduce_pointwise(r, shape, g.pw, s, &target_grad, 1, &g.var_slope, &var_grad);
  if (!grad) return r;
  r.entries.push_back({"clamped_var", to_tensor(shape, g.var)});  // max(var, eps)
  r.entries.push_back({"grad", sum_to(*grad, data.input.shape)});
  r.entries.push_back({"grad_target", sum_to(target_grad, target.shape)});
  Tensor gv = sum_to(var_grad, var_shape);
  gv.shape = var->shape;  // the unsqueezed dim taken off again
  r.entries.push_back({"grad_var", std::move(gv)});
  return r;
}

template <class T>
Result log_poisson_loss(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input,
                     "log_input and targets must have the same shape (" + shape_str(data.input.shape) + " vs " +
                         shape_str(target.shape) + ")");
  const auto pw = core::tf_log_poisson(to_vec<T>(data.input), to_vec<T>(target), s.number("compute_full_loss") != 0);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1);
  if (auto g = reduce_pointwise(r, data.input.shape, pw, s)) r.entries.push_back({"grad", std::move(*g)});
  return r;
}

template <class T>
Result l2_loss(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const auto t = to_vec<T>(data.input);
  // TF's L2Loss kernel: sum(t^2 * 0.5), half the squared error against 0.
  const auto pw = core::scaled(core::squared_error(t, core::Vec<T>(core::Vec<T>::Zero(t.size()))), T(0.5));
  Result r = start(s, true);
  r.summary = describe(data.input, nullptr, "", -1);
  if (auto g = reduce_pointwise(r, data.input.shape, pw, s)) r.entries.push_back({"grad", std::move(*g)});
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(kl_div)
LOSSCALC_INSTANTIATE(poisson_nll_loss)
LOSSCALC_INSTANTIATE(gaussian_nll_loss)
LOSSCALC_INSTANTIATE(log_poisson_loss)
LOSSCALC_INSTANTIATE(l2_loss)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
