// Keras 3's categorical_hinge and cosine_similarity (keras/src/losses/
// losses.py, TensorFlow backend, v3.12 to v3.15): per-sample values over a
// class axis, then Keras's reduction with sample_weight.
#include <cmath>
#include <limits>

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

// circle (Keras 3.10+): y_true labels (cast to the loss dtype, then to
// int32 toward 0), y_pred L2-normalised embeddings (N, D), each sample
// against the batch itself. The loss carries a keras mask, loss > 0, which
// Loss.__call__ folds into the weights: mean and sum_over_batch_size divide
// by valid + epsilon, mean_with_sample_weight by the masked weights' sum.
template <class T>
Result circle(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  if (data.input.dims() != 2)
    throw data_error("input", "", "circle takes y_pred of shape (N, D), one embedding a row; got " + shape_str(data.input.shape));
  const std::int64_t n = data.input.shape[0], d = data.input.shape[1];
  const auto m = static_cast<std::int64_t>(target.data.size());
  const bool column = target.dims() == 1 || (target.dims() == 2 && target.shape[1] == 1);
  if (!column) throw data_error("target", "", "circle takes y_true of shape (N) or (N, 1), one label a sample; got " + shape_str(target.shape));
  if (m != n)
    throw data_error("target", "", "Incompatible shapes: [" + std::to_string(n) + "," + std::to_string(n) + "] vs. [" + std::to_string(m) +
                                       "," + std::to_string(m) + "] [Op:Mul]");
  if (n == 0) throw data_error("input", "", "circle needs at least one sample");
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(static_cast<T>(target.data[static_cast<std::size_t>(i)]));
    // tf.cast to int32: toward 0; NaN, inf and values beyond int32 give INT32_MIN (x86's cvttss2si).
    labels[static_cast<std::size_t>(i)] =
        std::isfinite(v) && std::trunc(v) >= -2147483648.0 && std::trunc(v) <= 2147483647.0 ? static_cast<std::int32_t>(std::trunc(v))
                                                                                              : std::numeric_limits<std::int32_t>::min();
  }
  const auto gamma = static_cast<T>(s.number("gamma")), margin = static_cast<T>(s.number("margin"));
  const auto x = to_vec<T>(data.input);
  const auto c = core::keras_circle<T>(x, n, d, labels, gamma, margin, s.number("remove_diagonal") != 0);
  // The mask, as apply_mask makes it a weight.
  const Reduction reduction = *s.reduction;
  std::int64_t valid = 0;
  for (std::int64_t i = 0; i < n; ++i) valid += c.loss[i] > T(0);
  core::Vec<T> mask(n);
  const T scale = static_cast<T>(n) / (static_cast<T>(valid) + static_cast<T>(s.epsilon));
  for (std::int64_t i = 0; i < n; ++i) {
    mask[i] = c.loss[i] > T(0) ? T(1) : T(0);
    if (reduction == Reduction::Mean || reduction == Reduction::SumOverBatchSize) mask[i] *= scale;
  }
  Tensor weight = to_tensor({n}, mask);
  const Tensor* sample_weight = data.get("sample_weight");
  if (sample_weight) {
    Shape ms = weight.shape, ws = sample_weight->shape;
    squeeze_or_expand(ms, ws);
    const Shape shape = tf_broadcast_shape(ms, ws, "Mul", "sample_weight");
    const auto a = to_vec<T>(broadcast_to(Tensor{ws, sample_weight->data}, shape, "sample_weight"));
    const auto b = to_vec<T>(broadcast_to(Tensor{ms, weight.data}, shape, "sample_weight"));
    weight = to_tensor(shape, core::Vec<T>(a * b));
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "labels", 1) + ", " + std::to_string(valid) + " of " + std::to_string(n) +
              " samples with a loss > 0 (keras's mask: the mean is over them)" + sample_weight_note(data);
  const auto upstream = keras_reduce(r, {n}, core::forward_of<T>(c.loss), &weight, s);
  if (s.loss_only) return r;
  r.entries.push_back({"weights", weight});
  r.entries.push_back({"distances", to_tensor({n, n}, c.distances)});
  r.entries.push_back({"p_loss", to_tensor({n}, c.p_loss)});
  r.entries.push_back({"n_loss", to_tensor({n}, c.n_loss)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::keras_circle_backward<T>(c, x, n, d, gamma, margin, upstream))});
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(categorical_hinge)
LOSSCALC_INSTANTIATE(cosine_similarity)
LOSSCALC_INSTANTIATE(circle)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
