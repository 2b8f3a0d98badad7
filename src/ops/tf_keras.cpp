// tf.nn's softmax cross-entropies and Keras's three cross-entropies (Keras 3,
// TensorFlow backend: keras/src/losses/losses.py, keras/src/backend/tensorflow/nn.py).
#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

std::string same_shape_message(const Tensor& target, const Tensor& input) {
  return "Arguments `target` and `output` must have the same shape. Received: target.shape=" + shape_str(target.shape) +
         ", output.shape=" + shape_str(input.shape);
}

// Keras accepts sparse labels with a trailing axis of 1: (N, 1) for (N, C).
Tensor squeeze_sparse_labels(const Tensor& target, const Tensor& input) {
  if (target.dims() == input.dims() && target.dims() > 0 && target.shape.back() == 1 && input.shape.back() != 1) {
    Tensor t = target;
    t.shape.pop_back();
    return t;
  }
  return target;
}

template <class T>
void add_softmax(Result& r, const Shape& shape, const core::Vec<T>& probs, const core::Vec<T>& log_probs) {
  r.entries.push_back({"softmax", to_tensor(shape, probs)});
  r.entries.push_back({"log_softmax", to_tensor(shape, log_probs)});
}

// tf.nn.softmax_cross_entropy_with_logits on (already smoothed) labels `t`,
// with TF's gradient; fills the result.
template <class T>
void softmax_xent(Result& r, const ClassLayout& c, const Tensor& input, const core::Vec<T>& t, const Settings& s) {
  const Reduction reduction = *s.reduction;
  const auto x = to_vec<T>(input);
  core::Vec<T> probs, log_probs;
  core::softmax_forward(c.layout, x, probs, log_probs);
  auto f = core::cross_entropy_prob_forward(c.layout, log_probs, t, core::Vec<T>(), T(0));
  // TF sums labels * (log S - b): a certain prediction's loss is +0, not -0.
  f.loss += T(0);
  const auto red = core::reduce(reduction, f);
  add_loss(r, c.positions, f, red, reduction);
  if (s.loss_only) return;
  add_softmax(r, input.shape, probs, log_probs);
  r.entries.push_back({"grad", to_tensor(input.shape, core::tf_softmax_cross_entropy_backward(c.layout, x, t, red.upstream))});
}

// Sparse softmax cross-entropy of logits `z` (tf.nn's, also keras's after its
// clip + log); returns d loss / d z and fills the result but for grad.
template <class T>
core::Vec<T> sparse_xent(Result& r, const ClassLayout& c, const Shape& shape, const core::Vec<T>& z, const core::Index& y,
                         std::int64_t ignore, double extra_denominator, const Settings& s) {
  const Reduction reduction = *s.reduction;
  core::Vec<T> probs, log_probs;
  core::softmax_forward(c.layout, z, probs, log_probs);
  auto f = core::cross_entropy_index_forward(c.layout, log_probs, y, core::Vec<T>(), ignore, T(0));
  f.extra_denominator = extra_denominator;
  const auto red = core::reduce(reduction, f);
  add_loss(r, c.positions, f, red, reduction);
  if (s.loss_only) return core::Vec<T>::Zero(z.size());
  add_softmax(r, shape, probs, log_probs);
  return core::cross_entropy_index_backward(c.layout, log_probs, y, core::Vec<T>(), ignore, T(0), red.upstream);
}

}  // namespace

template <class T>
Result softmax_cross_entropy_with_logits(const Data& data, const Settings& s) {
  const auto c = class_layout(data, s, true);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input,
                     "logits and labels must be broadcastable: logits_size=" + shape_str(data.input.shape) +
                         " labels_size=" + shape_str(target.shape));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "class probabilities", c.dim);
  r.class_dim = c.dim;
  softmax_xent(r, c, data.input, to_vec<T>(target), s);
  return r;
}

template <class T>
Result sparse_softmax_cross_entropy_with_logits(const Data& data, const Settings& s) {
  const auto c = class_layout(data, s, true);
  const Tensor& target = require_target(data.target);
  const auto y = class_indices(target, data.input.shape, c.dim, c.layout.classes, kNoIgnore, Wording::Tf);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "class indices", c.dim);
  r.class_dim = c.dim;
  const auto g = sparse_xent(r, c, data.input.shape, to_vec<T>(data.input), y, kNoIgnore, 0.0, s);
  if (!s.loss_only) r.entries.push_back({"grad", to_tensor(data.input.shape, g)});
  return r;
}

template <class T>
Result categorical_crossentropy(const Data& data, const Settings& s) {
  const auto c = class_layout(data, s, true);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input, same_shape_message(target, data.input));
  // Keras: y * (1 - s) + s / C, with C the size of the class axis
  // (keras/src/losses/losses.py 3.16: ops.shape(y_pred)[axis]).
  core::Vec<T> t = to_vec<T>(target);
  const auto smoothing = static_cast<T>(s.label_smoothing);
  if (smoothing > 0) t = t * (T(1) - smoothing) + smoothing / static_cast<T>(c.layout.classes);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, s.from_logits ? "class probabilities, from logits" : "class probabilities, from probabilities", c.dim);
  r.class_dim = c.dim;
  if (s.from_logits) {
    softmax_xent(r, c, data.input, t, s);
    return r;
  }
  const auto x = to_vec<T>(data.input);
  const auto eps = static_cast<T>(s.epsilon);
  core::Vec<T> clipped;
  const auto f = core::keras_categorical_forward(c.layout, x, t, eps, clipped);
  const auto red = core::reduce(*s.reduction, f);
  add_loss(r, c.positions, f, red, *s.reduction);
  if (s.loss_only) return r;
  r.entries.push_back({"clipped", to_tensor(data.input.shape, clipped)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::keras_categorical_backward(c.layout, x, t, eps, red.upstream))});
  return r;
}

template <class T>
Result sparse_categorical_crossentropy(const Data& data, const Settings& s) {
  const auto c = class_layout(data, s, true);
  const Tensor target = squeeze_sparse_labels(require_target(data.target), data.input);
  // Keras's ignore_class: those positions get loss 0, and a mask that makes
  // the mean sum / (valid + epsilon) (keras/src/losses/loss.py).
  const std::int64_t ignore = s.ignore_index.value_or(kNoIgnore);
  const auto y = class_indices(target, data.input.shape, c.dim, c.layout.classes, ignore, Wording::Tf);
  const double extra = s.ignore_index ? s.epsilon : 0.0;
  Result r = start(s, true);
  r.summary = describe(data.input, &target, s.from_logits ? "class indices, from logits" : "class indices, from probabilities", c.dim);
  r.class_dim = c.dim;
  const auto x = to_vec<T>(data.input);
  if (s.from_logits) {
    const auto g = sparse_xent(r, c, data.input.shape, x, y, ignore, extra, s);
    if (!s.loss_only) r.entries.push_back({"grad", to_tensor(data.input.shape, g)});
    return r;
  }
  // From probabilities: log(clip(p)) fed to the sparse softmax cross-entropy,
  // which renormalises them.
  const auto eps = static_cast<T>(s.epsilon);
  const auto z = core::keras_clip_log(x, eps);
  const auto gz = sparse_xent(r, c, data.input.shape, z, y, ignore, extra, s);
  if (!s.loss_only) r.entries.push_back({"grad", to_tensor(data.input.shape, core::keras_clip_log_backward(x, eps, gz))});
  return r;
}

template <class T>
Result binary_crossentropy(const Data& data, const Settings& s) {
  const auto c = class_layout(data, s, true);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input, same_shape_message(target, data.input));
  // Keras's binary smoothing pulls labels toward 0.5: y * (1 - s) + 0.5 s.
  core::Vec<T> t = to_vec<T>(target);
  const auto smoothing = static_cast<T>(s.label_smoothing);
  if (smoothing > 0) t = t * (T(1) - smoothing) + T(0.5) * smoothing;
  const auto x = to_vec<T>(data.input);
  const auto pw = s.from_logits ? core::tf_sigmoid_cross_entropy(x, t) : core::keras_binary_from_probs(x, t, static_cast<T>(s.epsilon));
  // The per-sample loss is the mean over the last axis.
  const auto f = core::mean_over_classes(c.layout, pw.loss);
  const auto red = core::reduce(*s.reduction, f);
  Result r = start(s, true);
  r.summary = describe(data.input, &target, s.from_logits ? "labels, from logits" : "labels, from probabilities", c.dim);
  r.class_dim = c.dim;
  add_loss(r, c.positions, f, red, *s.reduction);
  if (s.loss_only) return r;
  if (s.from_logits) r.entries.push_back({"sigmoid", to_tensor(data.input.shape, core::sigmoid(x))});
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::mean_over_classes_backward(c.layout, red.upstream, pw.slope))});
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(softmax_cross_entropy_with_logits)
LOSSCALC_INSTANTIATE(sparse_softmax_cross_entropy_with_logits)
LOSSCALC_INSTANTIATE(categorical_crossentropy)
LOSSCALC_INSTANTIATE(sparse_categorical_crossentropy)
LOSSCALC_INSTANTIATE(binary_crossentropy)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
