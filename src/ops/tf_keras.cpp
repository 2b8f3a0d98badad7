// tf.nn's softmax cross-entropies and Keras's three cross-entropies (Keras 3,
// TensorFlow backend: keras/src/losses/losses.py, keras/src/backend/tensorflow/nn.py).
#include "error.h"
#include "ops/common.h"
#include "ops/keras_reduce.h"
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

// tf.nn's reduction (none, sum, mean), or with `keras` Keras's with its
// sample_weight; fills loss, losses and denominator; returns the upstream.
template <class T>
core::Vec<T> reduce_as(Result& r, const Shape& positions, const core::Forward<T>& f, const Data& data, const Settings& s, bool keras) {
  if (keras) return keras_reduce(r, positions, f, data.get("sample_weight"), s);
  const auto red = core::reduce(*s.reduction, f);
  add_loss(r, positions, f, red, *s.reduction);
  return red.upstream;
}

template <class T>
void add_softmax(Result& r, const Shape& shape, const core::Vec<T>& probs, const core::Vec<T>& log_probs) {
  r.entries.push_back({"softmax", to_tensor(shape, probs)});
  r.entries.push_back({"log_softmax", to_tensor(shape, log_probs)});
}

// tf.nn.softmax_cross_entropy_with_logits on (already smoothed) labels `t`,
// with TF's gradient; fills the result.
template <class T>
void softmax_xent(Result& r, const ClassLayout& c, const Data& data, const core::Vec<T>& t, const Settings& s, bool keras) {
  const Tensor& input = data.input;
  const auto x = to_vec<T>(input);
  core::Vec<T> probs, log_probs;
  core::softmax_forward(c.layout, x, probs, log_probs);
  auto f = core::cross_entropy_prob_forward(c.layout, log_probs, t, core::Vec<T>(), T(0));
  // TF sums labels * (log S - b): a certain prediction's loss is +0, not -0.
  f.loss += T(0);
  const auto upstream = reduce_as(r, c.positions, f, data, s, keras);
  if (s.loss_only) return;
  add_softmax(r, input.shape, probs, log_probs);
  r.entries.push_back({"grad", to_tensor(input.shape, core::tf_softmax_cross_entropy_backward(c.layout, x, t, upstream))});
}

// Sparse softmax cross-entropy of logits `z` (tf.nn's, also keras's after its
// clip + log); returns d loss / d z and fills the result but for grad.
template <class T>
core::Vec<T> sparse_xent(Result& r, const ClassLayout& c, const Data& data, const core::Vec<T>& z, const core::Index& y,
                         std::int64_t ignore, double extra_denominator, const Settings& s, bool keras) {
  const Shape& shape = data.input.shape;
  core::Vec<T> probs, log_probs;
  core::softmax_forward(c.layout, z, probs, log_probs);
  auto f = core::cross_entropy_index_forward(c.layout, log_probs, y, core::Vec<T>(), ignore, T(0));
  f.extra_denominator = extra_denominator;
  const auto upstream = reduce_as(r, c.positions, f, data, s, keras);
  if (s.loss_only) return core::Vec<T>::Zero(z.size());
  add_softmax(r, shape, probs, log_probs);
  return core::cross_entropy_index_backward(c.layout, log_probs, y, core::Vec<T>(), ignore, T(0), upstream);
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
  softmax_xent(r, c, data, to_vec<T>(target), s, false);
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
  const auto g = sparse_xent(r, c, data, to_vec<T>(data.input), y, kNoIgnore, 0.0, s, false);
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
    softmax_xent(r, c, data, t, s, true);
    return r;
  }
  const auto x = to_vec<T>(data.input);
  const auto eps = static_cast<T>(s.epsilon);
  core::Vec<T> clipped;
  const auto f = core::keras_categorical_forward(c.layout, x, t, eps, clipped);
  const auto upstream = keras_reduce(r, c.positions, f, data.get("sample_weight"), s);
  if (s.loss_only) return r;
  r.entries.push_back({"clipped", to_tensor(data.input.shape, clipped)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::keras_categorical_backward(c.layout, x, t, eps, upstream))});
  return r;
}

template <class T>
Result sparse_categorical_crossentropy(const Data& data, const Settings& s) {
  const auto c = class_layout(data, s, true);
  const Tensor target = squeeze_sparse_labels(require_target(data.target), data.input);
  // Keras's ignore_class: those positions get loss 0, and a mask that makes
  // the mean sum / (valid + epsilon) (keras/src/losses/loss.py, apply_mask);
  // mean_with_sample_weight divides by the mask's own sum, without epsilon.
  const std::int64_t ignore = s.ignore_index.value_or(kNoIgnore);
  const auto y = class_indices(target, data.input.shape, c.dim, c.layout.classes, ignore, Wording::Tf);
  const double extra = s.ignore_index && *s.reduction != Reduction::MeanWithSampleWeight ? s.epsilon : 0.0;
  Result r = start(s, true);
  r.summary = describe(data.input, &target, s.from_logits ? "class indices, from logits" : "class indices, from probabilities", c.dim);
  r.class_dim = c.dim;
  const auto x = to_vec<T>(data.input);
  if (s.from_logits) {
    const auto g = sparse_xent(r, c, data, x, y, ignore, extra, s, true);
    if (!s.loss_only) r.entries.push_back({"grad", to_tensor(data.input.shape, g)});
    return r;
  }
  // From probabilities: log(clip(p)) fed to the sparse softmax cross-entropy,
  // which renormalises them.
  const auto eps = static_cast<T>(s.epsilon);
  const auto z = core::keras_clip_log(x, eps);
  const auto gz = sparse_xent(r, c, data, z, y, ignore, extra, s, true);
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
  Result r = start(s, true);
  r.summary = describe(data.input, &target, s.from_logits ? "labels, from logits" : "labels, from probabilities", c.dim);
  r.class_dim = c.dim;
  const auto upstream = keras_reduce(r, c.positions, f, data.get("sample_weight"), s);
  if (s.loss_only) return r;
  if (s.from_logits) r.entries.push_back({"sigmoid", to_tensor(data.input.shape, core::sigmoid(x))});
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::mean_over_classes_backward(c.layout, upstream, pw.slope))});
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
