// The elementwise losses: torch binary_cross_entropy (with logits), sigmoid and
// mse_loss; tf.nn sigmoid and weighted cross-entropy.
#include <optional>
#include <type_traits>

#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "ops/pointwise.h"
#include "print/number.h"

namespace losscalc::ops {

namespace {

template <class T>
core::Vec<T> broadcast_vec(const std::optional<Tensor>& t, const Shape& shape, const std::string& subject) {
  return t ? to_vec<T>(broadcast_to(*t, shape, subject)) : core::Vec<T>();
}

// reduce_pointwise over the input's elements, with the gradient as "grad".
template <class T>
void finish_pointwise(Result& r, const Tensor& input, const core::Pointwise<T>& pw, const Settings& s) {
  if (auto g = reduce_pointwise(r, input.shape, pw, s)) r.entries.push_back({"grad", std::move(*g)});
}

}  // namespace

template <class T>
Result binary_cross_entropy(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input,
                     "Using a target size " + shape_str(target.shape) + " that is different to the input size " +
                         shape_str(data.input.shape) + " is deprecated. Please ensure they have the same size.");
  require_probabilities(data.input, "input", "all elements of input should be between 0 and 1", std::is_same_v<T, float>);
  const auto x = to_vec<T>(data.input);
  const auto pw = core::bce(x, to_vec<T>(target), broadcast_vec<T>(data.weight, data.input.shape, "weight"));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1);
  finish_pointwise(r, data.input, pw, s);
  return r;
}

template <class T>
Result binary_cross_entropy_with_logits(const Data& data, const Settings& s) {
  const Tensor& target = logits_and_target(data);
  const auto x = to_vec<T>(data.input);
  const auto pw = core::bce_with_logits(x, to_vec<T>(target), broadcast_vec<T>(data.weight, data.input.shape, "weight"),
                                        broadcast_vec<T>(data.pos_weight, data.input.shape, "pos_weight"));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1);
  finish_pointwise(r, data.input, pw, s);
  if (!s.loss_only) r.entries.insert(r.entries.end() - 1, {"sigmoid", to_tensor(data.input.shape, core::sigmoid(x))});
  return r;
}

template <class T>
Result sigmoid(const Data& data, const Settings& s) {
  check_input(data.input, false);
  Result r = start(s, false, "sigmoid");
  r.summary = describe(data.input, nullptr, "", -1);
  r.class_dim = data.input.dims() - 1;
  r.entries.push_back({"sigmoid", to_tensor(data.input.shape, core::sigmoid(to_vec<T>(data.input)))});
  return r;
}

// ---- torch regression ----------------------------------------------------------

template <class T>
Result mse_loss(const Data& data, const Settings& s) {
  return regression<T>(data, s, [](const core::Vec<T>& x, const core::Vec<T>& y) { return core::squared_error(x, y); });
}

template <class T>
Result l1_loss(const Data& data, const Settings& s) {
  return regression<T>(data, s, [](const core::Vec<T>& x, const core::Vec<T>& y) { return core::absolute_error(x, y); });
}

template <class T>
Result smooth_l1_loss(const Data& data, const Settings& s) {
  const auto beta = static_cast<T>(s.number("beta"));
  return regression<T>(data, s, [beta](const core::Vec<T>& x, const core::Vec<T>& y) { return core::smooth_l1(x, y, beta); });
}

template <class T>
Result huber_loss(const Data& data, const Settings& s) {
  const auto delta = static_cast<T>(s.number("delta"));
  return regression<T>(data, s, [delta](const core::Vec<T>& x, const core::Vec<T>& y) { return core::huber(x, y, delta); });
}

template <class T>
Result margin_ranking_loss(const Data& data, const Settings& s) {
  const Tensor& x1 = data.input;
  check_input(x1, false);
  const Tensor* x2 = data.get("input2");
  if (!x2) throw usage_error("input2", "missing INPUT2");
  const Tensor& y = require_target(data.target);
  if (x1.dims() != x2->dims() || x1.dims() != y.dims())
    throw data_error(x1.dims() != x2->dims() ? "input2" : "target", "",
                     "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: " + torch_size(x1.shape) +
                         ", input2: " + torch_size(x2->shape) + ", target: " + torch_size(y.shape));
  // torch broadcasts the three (of one number of dims) to one shape, as it
  // computes -target * (input1 - input2): its messages name them in that order.
  const Shape shape = broadcast_shape(y.shape, broadcast_shape(x1.shape, x2->shape, "input2"), "target");
  const auto a = to_vec<T>(broadcast_to(x1, shape, "input1"));
  const auto b = to_vec<T>(broadcast_to(*x2, shape, "input2"));
  const auto pw = core::margin_ranking(a, b, to_vec<T>(broadcast_to(y, shape, "target")), static_cast<T>(s.number("margin")));
  Result r = start(s, true);
  r.summary = "input1 " + shape_str(x1.shape) + ", input2 " + shape_str(x2->shape) + ", target " + shape_str(y.shape) + ", margin " +
              print::shortest(s.number("margin"));
  Tensor grad2;  // d/dx2 of -y (x1 - x2) is the opposite of d/dx1
  const std::optional<Tensor> grad = reduce_pointwise(r, shape, pw, s, &grad2);
  if (!grad) return r;
  r.entries.push_back({"diff", to_tensor(shape, core::Vec<T>(a - b))});
  r.entries.push_back({"grad", sum_to(*grad, x1.shape)});
  r.entries.push_back({"grad_input2", sum_to(grad2, x2->shape)});
  return r;
}

// ---- tf.nn elementwise ---------------------------------------------------------

template <class T>
Result sigmoid_cross_entropy_with_logits(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input,
                     "logits and labels must have the same shape (" + shape_str(data.input.shape) + " vs " +
                         shape_str(target.shape) + ")");
  const auto x = to_vec<T>(data.input);
  const auto pw = core::tf_sigmoid_cross_entropy(x, to_vec<T>(target));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1);
  finish_pointwise(r, data.input, pw, s);
  if (!s.loss_only) r.entries.insert(r.entries.end() - 1, {"sigmoid", to_tensor(data.input.shape, core::sigmoid(x))});
  return r;
}

template <class T>
Result weighted_cross_entropy_with_logits(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input,
                     "logits and labels must have the same shape (" + shape_str(data.input.shape) + " vs " +
                         shape_str(target.shape) + ")");
  if (!data.pos_weight) throw usage_error("weighted_cross_entropy_with_logits", "needs --pos-weight (tf requires pos_weight)");
  const auto x = to_vec<T>(data.input);
  const auto pw = core::tf_weighted_cross_entropy(x, to_vec<T>(target), broadcast_vec<T>(data.pos_weight, data.input.shape, "pos_weight"));
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "", -1);
  finish_pointwise(r, data.input, pw, s);
  if (!s.loss_only) r.entries.insert(r.entries.end() - 1, {"sigmoid", to_tensor(data.input.shape, core::sigmoid(x))});
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(binary_cross_entropy)
LOSSCALC_INSTANTIATE(binary_cross_entropy_with_logits)
LOSSCALC_INSTANTIATE(sigmoid)
LOSSCALC_INSTANTIATE(mse_loss)
LOSSCALC_INSTANTIATE(l1_loss)
LOSSCALC_INSTANTIATE(smooth_l1_loss)
LOSSCALC_INSTANTIATE(huber_loss)
LOSSCALC_INSTANTIATE(margin_ranking_loss)
LOSSCALC_INSTANTIATE(sigmoid_cross_entropy_with_logits)
LOSSCALC_INSTANTIATE(weighted_cross_entropy_with_logits)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
