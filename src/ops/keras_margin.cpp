// Keras 3's categorical_hinge and cosine_similarity (keras/src/losses/
// losses.py, TensorFlow backend, v3.12 to v3.15): per-sample values over a
// class axis, then Keras's reduction with sample_weight.
#include <cmath>

#include "error.h"
#include "ops/checks.h"
#include "ops/keras_reduce.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

std::string reduction_error(std::int64_t axis, std::size_t rank, const char* op) {
  return "Invalid reduction dimension (" + std::to_string(axis) + " for input with " + std::to_string(rank) + " dimension(s) [Op:" +
         op + "]";
}

// `axis` of a tensor of `rank` dims, or TF's error for sum's reduction.
std::int64_t keras_axis(std::int64_t axis, std::size_t rank, const std::string& subject) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) throw data_error(subject, "", reduction_error(axis, rank, "Sum"));
  return axis < 0 ? axis + r : axis;
}

}  // namespace

// categorical_hinge: y_true * y_pred meets them first (Mul, y_true first);
// pos and neg over the last axis of the broadcast shape.
template <class T>
Result categorical_hinge(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Shape t = target.shape, p = data.input.shape;
  squeeze_or_expand(t, p);
  const Shape shape = tf_broadcast_shape(t, p, "Mul", "target");
  if (shape.empty()) throw data_error("input", "", reduction_error(-1, 0, "Sum") + " (keras reduces the last axis)");
  const auto x = to_vec<T>(broadcast_to(Tensor{p, data.input.data}, shape, "input"));
  const auto y = to_vec<T>(broadcast_to(Tensor{t, target.data}, shape, "target"));
  const std::int64_t last = static_cast<std::int64_t>(shape.size()) - 1;
  const core::Layout layout = core::make_layout(shape, last);
  const Shape positions = core::positions_shape(shape, last);
  const auto f = core::keras_categorical_hinge<T>(layout, x, y);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "one-hot", -1) + (shape != data.input.shape ? ", compared as " + shape_str(shape) : "") +
              sample_weight_note(data);
  r.class_dim = last;
  const auto upstream = keras_reduce(r, positions, core::forward_of<T>(f.loss), data.get("sample_weight"), s);
  if (s.loss_only) return r;
  r.entries.push_back({"pos", to_tensor(positions, f.pos)});
  r.entries.push_back({"neg", to_tensor(positions, f.neg)});
  Tensor grad = sum_to(to_tensor(shape, core::keras_categorical_hinge_backward<T>(layout, f, x, y, upstream)), p);
  grad.shape = data.input.shape;
  r.entries.push_back({"grad", std::move(grad)});
  return r;
}

// cosine_similarity: each of y_pred and y_true L2-normalised along --axis on
// its own shape (a 0-d one as (1)), then -sum(y_true' * y_pred') along
// --axis of their broadcast.
template <class T>
Result cosine_similarity(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Shape t = target.shape, p = data.input.shape;
  squeeze_or_expand(t, p);
  if (p.empty()) p = {1};
  if (t.empty()) t = {1};
  const std::int64_t axis = s.dim.value_or(-1);
  const core::Layout pl = core::make_layout(p, keras_axis(axis, p.size(), "input"));
  const core::Layout tl = core::make_layout(t, keras_axis(axis, t.size(), "target"));
  const auto x = to_vec<T>(data.input), y = to_vec<T>(target);
  const auto xn = core::keras_l2_normalize<T>(pl, x, s.epsilon);
  const auto yn = core::keras_l2_normalize<T>(tl, y, s.epsilon);
  const Shape shape = tf_broadcast_shape(t, p, "Mul", "target");
  const std::int64_t ax = keras_axis(axis, shape.size(), "input");
  const auto xb = to_vec<T>(broadcast_to(to_tensor(p, xn.x), shape, "input"));
  const auto yb = to_vec<T>(broadcast_to(to_tensor(t, yn.x), shape, "target"));
  const core::Layout layout = core::make_layout(shape, ax);
  const Shape positions = core::positions_shape(shape, ax);
  const std::int64_t n = layout.positions();
  core::Vec<T> cos(n), loss(n);
  for (std::int64_t i = 0; i < n; ++i) {
    T sum = 0;
    for (std::int64_t c = 0; c < layout.classes; ++c) sum += yb[layout.base(i) + c * layout.inner] * xb[layout.base(i) + c * layout.inner];
    cos[i] = sum;
    loss[i] = -sum;
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "vectors", ax) + (shape != data.input.shape ? ", compared as " + shape_str(shape) : "") +
              sample_weight_note(data);
  r.class_dim = ax;
  const auto upstream = keras_reduce(r, positions, core::forward_of<T>(loss), data.get("sample_weight"), s);
  if (s.loss_only) return r;
  r.entries.push_back({"cos", to_tensor(positions, cos)});
  // -sum: each product's upstream is -upstream; y_pred' gets y_true' times it.
  core::Vec<T> g(xb.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const std::int64_t k = layout.base(i) + c * layout.inner;
      g[k] = yb[k] * -upstream[i];
    }
  const auto g_xn = to_vec<T>(sum_to(to_tensor(shape, g), p));
  Tensor grad = to_tensor(p, core::keras_l2_normalize_backward<T>(pl, xn, x, g_xn));
  grad.shape = data.input.shape;
  r.entries.push_back({"grad", std::move(grad)});
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(categorical_hinge)
LOSSCALC_INSTANTIATE(cosine_similarity)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
