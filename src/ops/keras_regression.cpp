// Keras 3's regression losses (keras/src/losses/losses.py, TensorFlow
// backend): y_true and y_pred squeezed or expanded to one rank, broadcast,
// an elementwise loss, its mean (kl_divergence: its sum) over the last axis
// per sample, then Keras's reduction with sample_weight.
#include "error.h"
#include "ops/checks.h"
#include "ops/keras_reduce.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

enum class PerSample { Mean, Sum };

// `op` and `pred_first`: TF's op that first meets the two, and its operand
// order, for the message when they do not broadcast.
template <class T, class Kernel>
Result keras_regression(const Data& data, const Settings& s, Kernel kernel, PerSample per_sample, const char* op,
                        bool pred_first) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Shape t = target.shape, p = data.input.shape;
  squeeze_or_expand(t, p);
  const Shape shape = pred_first ? tf_broadcast_shape(p, t, op, "target") : tf_broadcast_shape(t, p, op, "target");
  if (shape.empty())
    throw data_error("input", "", "Invalid reduction dimension (-1 for input with 0 dimension(s) [Op:Mean] (keras reduces the last axis)");
  const auto x = to_vec<T>(broadcast_to(Tensor{p, data.input.data}, shape, "input"));
  const auto y = to_vec<T>(broadcast_to(Tensor{t, target.data}, shape, "target"));
  const core::Pointwise<T> pw = kernel(x, y);
  const core::Layout layout = core::make_layout(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const Shape positions = core::positions_shape(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const auto f = per_sample == PerSample::Mean ? core::mean_over_classes(layout, pw.loss) : core::sum_over_classes(layout, pw.loss);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1) + (shape != data.input.shape ? ", compared as " + shape_str(shape) : "") +
              (data.get("sample_weight") ? ", sample_weight " + shape_str(data.get("sample_weight")->shape) : "");
  const auto upstream = keras_reduce(r, positions, f, data.get("sample_weight"), s);
  if (s.loss_only) return r;
  const auto g = per_sample == PerSample::Mean ? core::mean_over_classes_backward(layout, upstream, pw.slope)
                                               : core::sum_over_classes_backward(layout, upstream, pw.slope);
  Tensor grad = sum_to(to_tensor(shape, g), p);
  grad.shape = data.input.shape;  // a squeezed or expanded 1 given back
  r.entries.push_back({"grad", std::move(grad)});
  return r;
}

template <class T>
T keras_epsilon(const Settings& s) {
  return static_cast<T>(s.epsilon);
}

}  // namespace

template <class T>
Result mean_squared_error(const Data& data, const Settings& s) {
  return keras_regression<T>(data, s, [](auto& p, auto& t) { return core::keras_squared_error<T>(p, t); }, PerSample::Mean, "Sub", false);
}
template <class T>
Result mean_absolute_error(const Data& data, const Settings& s) {
  return keras_regression<T>(data, s, [](auto& p, auto& t) { return core::keras_absolute_error<T>(p, t); }, PerSample::Mean, "Sub", false);
}
template <class T>
Result mean_absolute_percentage_error(const Data& data, const Settings& s) {
  const T eps = keras_epsilon<T>(s);
  return keras_regression<T>(data, s, [eps](auto& p, auto& t) { return core::keras_percentage_error<T>(p, t, eps); }, PerSample::Mean,
                             "Sub", false);
}
template <class T>
Result mean_squared_logarithmic_error(const Data& data, const Settings& s) {
  return keras_regression<T>(data, s, [](auto& p, auto& t) { return core::keras_squared_log_error<T>(p, t); }, PerSample::Mean, "Sub",
                             true);
}
template <class T>
Result huber(const Data& data, const Settings& s) {
  const auto delta = static_cast<T>(s.number("delta"));
  return keras_regression<T>(data, s, [delta](auto& p, auto& t) { return core::keras_huber<T>(p, t, delta); }, PerSample::Mean, "Sub",
                             true);
}
template <class T>
Result log_cosh(const Data& data, const Settings& s) {
  return keras_regression<T>(data, s, [](auto& p, auto& t) { return core::keras_log_cosh<T>(p, t); }, PerSample::Mean, "Sub", true);
}
template <class T>
Result kl_divergence(const Data& data, const Settings& s) {
  const T eps = keras_epsilon<T>(s);
  return keras_regression<T>(data, s, [eps](auto& p, auto& t) { return core::keras_kl_divergence<T>(p, t, eps); }, PerSample::Sum,
                             "RealDiv", false);
}
template <class T>
Result poisson(const Data& data, const Settings& s) {
  const T eps = keras_epsilon<T>(s);
  return keras_regression<T>(data, s, [eps](auto& p, auto& t) { return core::keras_poisson<T>(p, t, eps); }, PerSample::Mean, "Mul",
                             false);
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(mean_squared_error)
LOSSCALC_INSTANTIATE(mean_absolute_error)
LOSSCALC_INSTANTIATE(mean_absolute_percentage_error)
LOSSCALC_INSTANTIATE(mean_squared_logarithmic_error)
LOSSCALC_INSTANTIATE(huber)
LOSSCALC_INSTANTIATE(log_cosh)
LOSSCALC_INSTANTIATE(kl_divergence)
LOSSCALC_INSTANTIATE(poisson)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
