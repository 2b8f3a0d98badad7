// Keras 3's regression losses (keras/src/losses/losses.py, TensorFlow
// backend): y_true and y_pred squeezed or expanded to one rank, broadcast,
// an elementwise loss, its mean (kl_divergence: its sum) over the last axis
// per sample, then Keras's reduction with sample_weight.
#include <cmath>

#include "error.h"
#include "ops/checks.h"
#include "ops/keras_reduce.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

enum class PerSample { Mean, Sum };

// `op` and `pred_first`: TF's op that first meets the two, and its operand
// order, for the message when they do not broadcast. `hinge`: y_true's 0/1
// labels become -1/+1 when every one of them is 0 or 1 (the labels used are
// printed as `labels`).
template <class T, class Kernel>
Result keras_regression(const Data& data, const Settings& s, Kernel kernel, PerSample per_sample, const char* op,
                        bool pred_first, bool hinge = false) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Shape t = target.shape, p = data.input.shape;
  squeeze_or_expand(t, p);
  const Shape shape = pred_first ? tf_broadcast_shape(p, t, op, "target") : tf_broadcast_shape(t, p, op, "target");
  if (shape.empty())
    throw data_error("input", "", "Invalid reduction dimension (-1 for input with 0 dimension(s) [Op:Mean] (keras reduces the last axis)");
  const auto x = to_vec<T>(broadcast_to(Tensor{p, data.input.data}, shape, "input"));
  auto y = to_vec<T>(broadcast_to(Tensor{t, target.data}, shape, "target"));
  const bool mapped = hinge && core::keras_hinge_labels(y);
  const core::Pointwise<T> pw = kernel(x, y);
  const core::Layout layout = core::make_layout(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const Shape positions = core::positions_shape(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const auto f = per_sample == PerSample::Mean ? core::mean_over_classes(layout, pw.loss) : core::sum_over_classes(layout, pw.loss);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1) + (shape != data.input.shape ? ", compared as " + shape_str(shape) : "") +
              (mapped ? ", 0/1 labels read as -1/+1" : "") + sample_weight_note(data);
  const auto upstream = keras_reduce(r, positions, f, data.get("sample_weight"), s);
  if (s.loss_only) return r;
  if (hinge) r.entries.push_back({"labels", to_tensor(shape, y)});
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

// hinge and squared_hinge: y_true * y_pred meets them first (Mul, y_true
// first); the labels are mapped on the whole of y_true at once.
template <class T>
Result hinge(const Data& data, const Settings& s) {
  return keras_regression<T>(data, s, [](auto& p, auto& t) { return core::keras_hinge<T>(p, t); }, PerSample::Mean, "Mul", false,
                             true);
}
template <class T>
Result squared_hinge(const Data& data, const Settings& s) {
  return keras_regression<T>(data, s, [](auto& p, auto& t) { return core::keras_squared_hinge<T>(p, t); }, PerSample::Mean, "Mul",
                             false, true);
}

// keras.losses.categorical_generalized_cross_entropy (Keras 3.10+): the
// labels cast to int (toward 0), one-hot over y_pred's last axis (an index
// out of range gives a row of 0s, so p_t = 0), p_t = sum(y_pred * one_hot)
// (a product, not a gather: a NaN anywhere in the row reaches p_t), then
// (1 - p_t^q) / q; no clipping. The one-hot broadcasts against y_pred with
// TF's rules ((N, 1) labels against (N, C) make an (N, N) loss).
template <class T>
Result categorical_generalized_cross_entropy(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  if (data.input.shape.empty())
    throw data_error("input", "", "y_pred is 0-d: categorical_generalized_cross_entropy takes probabilities with a last (class) axis");
  const std::int64_t classes = data.input.shape.back();
  Shape oh_shape = target.shape;
  oh_shape.push_back(classes);
  const Shape shape = tf_broadcast_shape(data.input.shape, oh_shape, "Mul", "target");
  Tensor oh{oh_shape, std::vector<double>(static_cast<std::size_t>(numel(oh_shape)), 0.0)};
  for (std::size_t k = 0; k < target.data.size(); ++k) {
    const double v = static_cast<double>(static_cast<T>(target.data[k]));  // cast to floatx first
    if (!std::isfinite(v)) continue;                                       // int64 cast: out of range
    const double label = std::trunc(v);
    if (label >= 0 && label < static_cast<double>(classes))
      oh.data[k * static_cast<std::size_t>(classes) + static_cast<std::size_t>(label)] = 1;
  }
  const auto p = to_vec<T>(broadcast_to(data.input, shape, "input"));
  const auto h = to_vec<T>(broadcast_to(oh, shape, "target"));
  const core::Layout layout = core::make_layout(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const Shape positions = core::positions_shape(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const auto q = static_cast<T>(s.number("q"));
  const std::int64_t n = layout.positions();
  core::Vec<T> pt(n), loss(n);
  for (std::int64_t i = 0; i < n; ++i) {
    T sum = 0;
    for (std::int64_t c = 0; c < classes; ++c) sum += p[layout.base(i) + c * layout.inner] * h[layout.base(i) + c * layout.inner];
    pt[i] = sum;
    loss[i] = (T(1) - std::pow(sum, q)) / q;
  }
  const auto f = core::forward_of<T>(loss);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "class indices, probabilities", -1) +
              (shape != data.input.shape ? ", compared as " + shape_str(shape) : "") +
              sample_weight_note(data);
  r.class_dim = static_cast<std::int64_t>(shape.size()) - 1;
  const auto upstream = keras_reduce(r, positions, f, data.get("sample_weight"), s);
  if (s.loss_only) return r;
  r.entries.push_back({"p_t", to_tensor(positions, pt)});
  // TF's gradient in its order: (-(g / q) * q) * pow(p_t, q - 1), times the
  // one-hot (so NaN = -inf * 0 off the label where p_t = 0).
  core::Vec<T> g(p.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const T gp = (-(upstream[i] / q) * q) * std::pow(pt[i], q - T(1));
    for (std::int64_t c = 0; c < classes; ++c) g[layout.base(i) + c * layout.inner] = gp * h[layout.base(i) + c * layout.inner];
  }
  r.entries.push_back({"grad", sum_to(to_tensor(shape, g), data.input.shape)});
  return r;
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
LOSSCALC_INSTANTIATE(categorical_generalized_cross_entropy)
LOSSCALC_INSTANTIATE(hinge)
LOSSCALC_INSTANTIATE(squared_hinge)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
