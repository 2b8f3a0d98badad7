// The torch softmax family: cross_entropy, nll_loss, softmax, log_softmax.
#include "core/losses.h"
#include "error.h"
#include "ops/checks.h"
#include "ops/common.h"
#include "ops/ops.h"

namespace losscalc::ops {

template <class T>
Result cross_entropy(const Data& data, const Settings& s) {
  auto c = class_layout(data, s, true);
  const Tensor& target = require_target(data.target);
  check_class_weight(data.weight, c.layout.classes);
  const bool prob = is_prob_target(target, data.input, s.target_type);
  const auto eps = static_cast<T>(s.label_smoothing);
  core::Vec<T> stored;
  const auto x = view_of<T>(data.input, stored);  // (the loss-only path reads the logits in place)
  const auto w = to_vec<T>(data.weight);
  core::Vec<T> probs, log_probs;

  Result r = start(s, true);
  r.summary = describe(data.input, &target, prob ? "class probabilities" : "class indices", c.dim);
  r.class_dim = c.dim;
  core::Forward<T> f;
  core::Reduced<T> red;
  core::Vec<T> grad;
  if (prob) {
    // torch refuses a class-like ignore_index here (any value >= 0).
    if (s.ignore_index && *s.ignore_index >= 0)
      throw data_error("--ignore-index", "", "ignore_index is not supported for floating point target (TARGET holds class probabilities)");
    const auto t = to_vec<T>(target);
    core::softmax_forward(c.layout, x, probs, log_probs);
    f = core::cross_entropy_prob_forward(c.layout, log_probs, t, w, eps);
    red = core::reduce(*s.reduction, f);
    if (!s.loss_only) grad = core::cross_entropy_prob_backward(c.layout, log_probs, t, w, eps, red.upstream);
  } else {
    const std::int64_t ignore = s.ignore_index.value_or(kTorchIgnoreIndex);
    const auto y = class_indices(target, data.input.shape, c.dim, c.layout.classes, ignore);
    if (s.loss_only) {
      // No softmax arrays: the fused form, with the same doubles.
      f = core::cross_entropy_index_loss(c.layout, x, y, w, ignore, eps);
      red = core::reduce(*s.reduction, f);
    } else {
      core::softmax_forward(c.layout, x, probs, log_probs);
      f = core::cross_entropy_index_forward(c.layout, log_probs, y, w, ignore, eps);
      red = core::reduce(*s.reduction, f);
      grad = core::cross_entropy_index_backward(c.layout, log_probs, y, w, ignore, eps, red.upstream);
    }
  }
  add_loss(r, c.positions, f, red, *s.reduction);
  if (s.loss_only) return r;
  r.entries.push_back({"softmax", to_tensor(data.input.shape, probs)});
  r.entries.push_back({"log_softmax", to_tensor(data.input.shape, log_probs)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, grad)});
  return r;
}

void check_nll_target(const Data& data, const Settings& s, const ClassLayout& c) {
  const Tensor& target = require_target(data.target);
  if (s.target_type == TargetType::Prob)
    throw usage_error("--target-type", "nll_loss takes class indices only; use cross_entropy for class probabilities");
  if (target.shape == data.input.shape && data.input.dims() >= 1)
    throw data_error("target", "",
                     "nll_loss takes class indices of shape " + shape_str(c.positions) + ", got a target of the input's shape " +
                         shape_str(target.shape) + " (class probabilities? use cross_entropy)");
}

template <class T>
Result nll_loss(const Data& data, const Settings& s) {
  auto c = class_layout(data, s, true);
  const Tensor& target = require_target(data.target);
  check_class_weight(data.weight, c.layout.classes);
  check_nll_target(data, s, c);
  const std::int64_t ignore = s.ignore_index.value_or(kTorchIgnoreIndex);
  const auto y = class_indices(target, data.input.shape, c.dim, c.layout.classes, ignore);
  core::Vec<T> stored;
  const auto x = view_of<T>(data.input, stored);  // (read in place in double)
  const auto w = to_vec<T>(data.weight);

  Result r = start(s, true);
  r.summary = describe(data.input, &target, "class indices", c.dim);
  r.class_dim = c.dim;
  const auto f = core::nll_forward(c.layout, x, y, w, ignore);
  const auto red = core::reduce(*s.reduction, f);
  add_loss(r, c.positions, f, red, *s.reduction);
  if (s.loss_only) return r;
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::nll_backward(c.layout, y, w, ignore, red.upstream))});
  return r;
}

template <class T>
static Result activation(const char* name, bool log, const Data& data, const Settings& s) {
  auto c = class_layout(data, s, false);
  core::Vec<T> probs, log_probs;
  core::Vec<T> stored;
  core::softmax_forward(c.layout, view_of<T>(data.input, stored), probs, log_probs);
  Result r = start(s, false, name);
  r.summary = describe(data.input, nullptr, "", c.dim);
  r.class_dim = c.dim;
  r.entries.push_back({name, to_tensor(data.input.shape, log ? log_probs : probs)});
  return r;
}

template <class T>
Result softmax(const Data& data, const Settings& s) {
  return activation<T>("softmax", false, data, s);
}

template <class T>
Result log_softmax(const Data& data, const Settings& s) {
  return activation<T>("log_softmax", true, data, s);
}

template Result cross_entropy<float>(const Data&, const Settings&);
template Result cross_entropy<double>(const Data&, const Settings&);
template Result nll_loss<float>(const Data&, const Settings&);
template Result nll_loss<double>(const Data&, const Settings&);
template Result softmax<float>(const Data&, const Settings&);
template Result softmax<double>(const Data&, const Settings&);
template Result log_softmax<float>(const Data&, const Settings&);
template Result log_softmax<double>(const Data&, const Settings&);

}  // namespace losscalc::ops
