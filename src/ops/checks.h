// Checks shared by the ops: each throws a data error naming the argument and
// the element at fault, in torch's words where users know them.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "core/losses.h"
#include "error.h"
#include "request.h"
#include "result.h"
#include "tensor.h"

namespace losscalc::ops {

// The place of element `flat`: "element 3" for vectors, "element [1, 2]"
// for higher ranks.
Place element_where(const Shape& shape, std::int64_t flat);

// The input has elements, and (for losses) at least one dimension.
void check_input(const Tensor& input, bool needs_class_dim);

// A target tensor must exist and have elements.
const Tensor& require_target(const std::optional<Tensor>& target);

// weight: one value per class, or absent.
void check_class_weight(const std::optional<Tensor>& weight, std::int64_t classes);

// Class-index target of shape `expected` (the input's shape without the class
// dim): integral values in [0, classes) or equal to ignore_index.
// Out-of-range messages use torch's words ("Target 4 is out of bounds.") or,
// for the tf.nn / keras functions, TF's.
enum class Wording { Torch, Tf };
core::Index class_indices(const Tensor& target, const Shape& input_shape, std::int64_t dim, std::int64_t classes,
                          std::int64_t ignore_index, Wording wording = Wording::Torch);

// An ignore_index that no target can equal.
inline constexpr std::int64_t kNoIgnore = INT64_MIN;

// `t` broadcast to `shape` by numpy's rules (dims aligned from the right,
// each 1 or equal); a data error naming `subject` when it cannot.
Tensor broadcast_to(const Tensor& t, const Shape& shape, const std::string& subject);

// The shape two shapes broadcast to (numpy's rules); otherwise a data error
// on `subject` with torch's words ("The size of tensor a (3) must match the
// size of tensor b (4) at non-singleton dimension 1").
Shape broadcast_shape(const Shape& a, const Shape& b, const std::string& subject);

// `t` (of a broadcast shape) summed back to `shape`, which broadcasts to it:
// the gradient of a broadcast argument.
Tensor sum_to(const Tensor& t, const Shape& shape);

// "torch.Size([3, 1])", as torch writes a shape in its messages.
std::string torch_size(const Shape& shape);
// "[3, 1]", as ATen's C++ messages print a size.
std::string aten_list(const Shape& shape);

// A target that must have the input's shape; `message` explains otherwise.
void require_same_shape(const Tensor& target, const Tensor& input, const std::string& message);
// BCE with logits' data (and torchvision's focal loss, which calls it): an
// input with elements and a target of its shape exactly, or torch's "Target
// size (2) must be the same as input size (3)". Returns the target.
const Tensor& logits_and_target(const Data& data);

// Every element of `t` in [0, 1] (NaN fails, as in torch).
// (In float32, the values as float32 hold them: 1.00000001 is 1.0f, as in torch.)
void require_probabilities(const Tensor& t, const std::string& subject, const std::string& message, bool float32);

// Whether `target` holds class probabilities (same shape as the input) under
// --target-type; throws when the type asked for cannot fit.
bool is_prob_target(const Tensor& target, const Tensor& input, TargetType type);

template <class T>
core::Vec<T> to_vec(const Tensor& t) {
  return Eigen::Map<const Eigen::ArrayXd>(t.data.data(), static_cast<Eigen::Index>(t.data.size())).cast<T>();
}
template <class T>
core::Vec<T> to_vec(const std::optional<Tensor>& t) {
  return t ? to_vec<T>(*t) : core::Vec<T>();
}
// The values of `t` as T, read in place when T is double (no copy), else
// converted into `store`.
template <class T>
Eigen::Map<const core::Vec<T>> view_of(const Tensor& t, core::Vec<T>& store) {
  if constexpr (std::is_same_v<T, double>) {
    return {t.data.data(), static_cast<Eigen::Index>(t.data.size())};
  } else {
    store = to_vec<T>(t);
    return {store.data(), store.size()};
  }
}
template <class T>
Tensor to_tensor(Shape shape, const core::Vec<T>& v) {
  Tensor t{std::move(shape), std::vector<double>(static_cast<std::size_t>(v.size()))};
  for (Eigen::Index i = 0; i < v.size(); ++i) t.data[static_cast<std::size_t>(i)] = static_cast<double>(v[i]);
  return t;
}

// Whether every slice along `dim` holds values in [0, 1] summing to 1
// (within 1e-6): probabilities, one-hot rows.
bool slices_are_distributions(const Tensor& t, std::int64_t dim);

const char* reduction_name(Reduction r);
const char* dtype_name(DType d);

}  // namespace losscalc::ops
