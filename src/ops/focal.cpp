// Focal losses: torchvision.ops.sigmoid_focal_loss (torchvision 0.14,
// torchvision/ops/focal_loss.py); Keras 3's binary_focal_crossentropy and
// categorical_focal_crossentropy (keras/src/losses/losses.py and
// backend/tensorflow/nn.py at 3.16.0, the same since 3.0).
#include "error.h"
#include "ops/common.h"
#include "ops/keras_reduce.h"
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

namespace {

core::FocalOptions focal_options(const Settings& s, bool binary) {
  core::FocalOptions o{.alpha = s.number("alpha"), .gamma = s.number("gamma"), .epsilon = s.epsilon, .from_logits = s.from_logits};
  if (binary) o.apply_class_balancing = s.number("apply_class_balancing") != 0;
  return o;
}

// Keras's label smoothing: y (1 - s) + s k, k = 0.5 (binary) or 1 / C.
template <class T>
core::Vec<T> smoothed(const Tensor& target, const Settings& s, T toward) {
  core::Vec<T> t = to_vec<T>(target);
  if (s.label_smoothing > 0) t = t * static_cast<T>(1.0 - s.label_smoothing) + static_cast<T>(s.label_smoothing) * toward;
  return t;
}

}  // namespace

// binary_focal_crossentropy: backend binary_crossentropy wants one shape;
// the per-sample loss is the mean along --axis.
template <class T>
Result binary_focal_crossentropy(const Data& data, const Settings& s) {
  const KerasPair kp = keras_pair(data);
  if (kp.target.shape != kp.input.shape)
    throw data_error("target", "", "Arguments `target` and `output` must have the same shape. Received: target.shape=" +
                                       shape_str(kp.target.shape) + ", output.shape=" + shape_str(kp.input.shape));
  check_input(kp.input, true);
  const std::int64_t dim = core::normalize_dim(*s.dim, kp.input.dims());
  const core::Layout layout = core::make_layout(kp.input.shape, dim);
  const core::FocalOptions o = focal_options(s, true);
  const auto t = smoothed<T>(kp.target, s, T(0.5));
  const auto f = core::keras_binary_focal<T>(to_vec<T>(kp.input), t, o);
  Result r = start(s, true);
  r.summary = describe(data.input, &*data.target, s.from_logits ? "labels, from logits" : "labels, from probabilities", dim) +
              (o.apply_class_balancing ? ", class balancing" : ", no class balancing (alpha unused)") + sample_weight_note(data);
  r.class_dim = dim;
  const Shape positions = core::positions_shape(kp.input.shape, dim);
  const auto upstream = keras_reduce(r, positions, core::mean_over_classes(layout, f.pw.loss), data.get("sample_weight"), s);
  if (s.loss_only) return r;
  const Shape& shape = data.input.shape;
  if (s.from_logits) r.entries.push_back({"sigmoid", to_tensor(shape, f.probs)});
  r.entries.push_back({"bce", to_tensor(shape, f.bce)});
  r.entries.push_back({"p_t", to_tensor(shape, f.p_t)});
  r.entries.push_back({"focal_factor", to_tensor(shape, f.focal_factor)});
  r.entries.push_back({"grad", to_tensor(shape, core::mean_over_classes_backward(layout, upstream, f.pw.slope))});
  return r;
}

// categorical_focal_crossentropy: y_true broadcasts against y_pred in
// Keras's products; losscalc takes it when the broadcast keeps y_pred's
// shape (one y_true for every sample, say) and refuses a larger one.
template <class T>
Result categorical_focal_crossentropy(const Data& data, const Settings& s) {
  const KerasPair kp = keras_pair(data);
  check_input(kp.input, true);
  const std::int64_t dim = core::normalize_dim(*s.dim, kp.input.dims());
  const core::Layout layout = core::make_layout(kp.input.shape, dim);
  const Shape shape = tf_broadcast_shape(kp.target.shape, kp.input.shape, "Mul", "target");
  if (shape != kp.input.shape)
    throw data_error("target", "", "y_true " + shape_str(kp.target.shape) + " would broadcast y_pred " + shape_str(kp.input.shape) +
                                       " to " + shape_str(shape) + " (Keras computes that; losscalc takes y_true of y_pred's shape or one that broadcasts to it)");
  const core::FocalOptions o = focal_options(s, false);
  const auto t = smoothed<T>(broadcast_to(kp.target, shape, "target"), s, T(1) / static_cast<T>(layout.classes));
  const auto f = core::keras_categorical_focal<T>(layout, to_vec<T>(kp.input), t, o);
  Result r = start(s, true);
  r.summary = describe(data.input, &*data.target, s.from_logits ? "one-hot, from logits" : "one-hot, from probabilities", dim) +
              sample_weight_note(data);
  r.class_dim = dim;
  const Shape positions = core::positions_shape(kp.input.shape, dim);
  const auto upstream = keras_reduce(r, positions, f.f, data.get("sample_weight"), s);
  if (s.loss_only) return r;
  const Shape& in = data.input.shape;
  if (s.from_logits) r.entries.push_back({"softmax", to_tensor(in, f.probs)});
  r.entries.push_back({"clipped", to_tensor(in, f.clipped)});
  r.entries.push_back({"modulating_factor", to_tensor(in, f.modulating_factor)});
  r.entries.push_back({"grad", to_tensor(in, core::keras_categorical_focal_backward<T>(layout, f, t, o, upstream))});
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(sigmoid_focal_loss)
LOSSCALC_INSTANTIATE(binary_focal_crossentropy)
LOSSCALC_INSTANTIATE(categorical_focal_crossentropy)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
