#include "ops/checks.h"

#include <climits>
#include <cmath>

#include "error.h"
#include "print/number.h"

namespace losscalc::ops {

Place element_where(const Shape& shape, std::int64_t flat) {
  if (shape.size() <= 1) return Place{.element = {flat}};
  std::vector<std::int64_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return Place{.element = idx};
}

void check_input(const Tensor& input, bool needs_class_dim) {
  if (input.data.empty()) throw data_error("input", "", "empty input: no elements (shape " + shape_str(input.shape) + ")");
  if (needs_class_dim && input.shape.empty())
    throw data_error("input", "", "expected at least one dimension (C) or (N, C), got a single number");
}

const Tensor& require_target(const std::optional<Tensor>& target) {
  if (!target) throw usage_error("target", "missing TARGET: this function needs a target");
  if (target->data.empty()) throw data_error("target", "", "empty input: no elements (shape " + shape_str(target->shape) + ")");
  return *target;
}

void check_class_weight(const std::optional<Tensor>& weight, std::int64_t classes) {
  if (!weight) return;
  if (weight->shape.size() != 1 || weight->shape[0] != classes) {
    std::string got = "[";
    for (std::size_t i = 0; i < weight->shape.size(); ++i) got += (i ? ", " : "") + std::to_string(weight->shape[i]);
    throw data_error("weight", "",
                     "weight tensor should be defined either for all " +
                         std::to_string(classes) + " classes or no classes but got weight tensor of shape: " + got + "]");
  }
}

namespace {

// " (targets count from 0; these run from 1 to C)" when every target (but
// the ignored) is in 1..C: labels counted from 1.
std::string one_based(const Tensor& target, std::int64_t classes, std::int64_t ignore_index) {
  for (double v : target.data)
    if (v != static_cast<double>(ignore_index) && !(v >= 1 && v <= static_cast<double>(classes) && v == std::floor(v))) return "";
  return " (targets count from 0; these run from 1 to " + std::to_string(classes) + ")";
}

}  // namespace

core::Index class_indices(const Tensor& target, const Shape& input_shape, std::int64_t dim, std::int64_t classes,
                          std::int64_t ignore_index, Wording wording) {
  auto out_of_range = [&](const std::string& value) {
    return wording == Wording::Torch ? "Target " + value + " is out of bounds."
                                     : "Received a label value of " + value + " which is outside the valid range of [0, " +
                                           std::to_string(classes) + ").";
  };
  const Shape expected = core::positions_shape(input_shape, dim);
  if (target.shape != expected) {
    if (input_shape.size() >= 2 && dim != 0 && !target.shape.empty() && target.shape[0] != input_shape[0] &&
        target.shape.size() + 1 == input_shape.size())
      throw data_error("target", "",
                       "Expected input batch_size (" + std::to_string(input_shape[0]) + ") to match target batch_size (" +
                           std::to_string(target.shape[0]) + ")." +
                           // A (C, N) input: its other dimension has the target's length.
                           (input_shape.size() == 2 && target.shape.size() == 1 && input_shape[1] == target.shape[0]
                                ? " INPUT is " + shape_str(input_shape) + ": transposed? each row is a sample, so " +
                                      std::to_string(target.shape[0]) + " samples need an input of shape (" +
                                      std::to_string(target.shape[0]) + ", " + std::to_string(input_shape[0]) + ")"
                                : ""));
    const bool last_axis = input_shape.size() >= 3 && target.shape == core::positions_shape(input_shape, static_cast<std::int64_t>(input_shape.size()) - 1);
    throw data_error("target", "",
                     std::string(last_axis ? "classes on the last axis? pass --dim -1; " : "") +
                     "expected class indices of shape " + shape_str(expected) + " for input of shape " + shape_str(input_shape) +
                         " with class dim " + std::to_string(dim) + ", got shape " + shape_str(target.shape) +
                         (target.shape == input_shape ? (wording == Wording::Tf ? " (class probabilities or one-hot? use the non-sparse function)"
                                                                : " (class probabilities? then drop --target-type index)")
                          : target.shape.size() == input_shape.size() ? " (probability targets must have the input's shape)"
                                                                      : ""));
  }
  core::Index out(static_cast<Eigen::Index>(target.data.size()));
  for (std::size_t k = 0; k < target.data.size(); ++k) {
    const double v = target.data[k];
    const auto where = [&] { return element_where(target.shape, static_cast<std::int64_t>(k)); };
    // 2^63 and beyond do not fit an int64; they are out of bounds anyway.
    if (!std::isfinite(v) || v != std::floor(v))
      throw data_error("target", where(), "expected an integer class index, got " + print::shortest(v));
    if (v >= 9223372036854775808.0 || v < -9223372036854775808.0)
      throw data_error("target", where(), out_of_range(print::fixed(v, 0)));  // integral: all its digits
    const auto y = static_cast<std::int64_t>(v);
    if (y != ignore_index && (y < 0 || y >= classes))
      throw data_error("target", where(), out_of_range(std::to_string(y)) + (y == classes ? one_based(target, classes, ignore_index) : ""));
    out[static_cast<Eigen::Index>(k)] = y;
  }
  return out;
}

Tensor broadcast_to(const Tensor& t, const Shape& shape, const std::string& subject) {
  if (t.shape == shape) return t;
  const std::size_t nd = shape.size(), td = t.shape.size();
  bool ok = td <= nd;
  for (std::size_t i = 0; ok && i < td; ++i) {
    const auto a = t.shape[td - 1 - i], b = shape[nd - 1 - i];
    ok = a == b || a == 1;
  }
  if (!ok) throw data_error(subject, "", "shape " + shape_str(t.shape) + " cannot be broadcast to the input's shape " + shape_str(shape));
  // Strides of t as seen in `shape`: 0 along broadcast dims.
  std::vector<std::int64_t> strides(nd, 0);
  std::int64_t stride = 1;
  for (std::size_t i = 0; i < td; ++i) {
    const std::size_t d = nd - 1 - i;
    const auto a = t.shape[td - 1 - i];
    strides[d] = a == 1 ? 0 : stride;
    stride *= a;
  }
  Tensor out{shape, std::vector<double>(static_cast<std::size_t>(numel(shape)))};
  std::vector<std::int64_t> idx(nd, 0);
  for (std::size_t k = 0; k < out.data.size(); ++k) {
    std::int64_t src = 0;
    for (std::size_t d = 0; d < nd; ++d) src += idx[d] * strides[d];
    out.data[k] = t.data[static_cast<std::size_t>(src)];
    for (std::size_t d = nd; d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

Shape broadcast_shape(const Shape& a, const Shape& b, const std::string& subject) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {  // from the right
    const std::int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1, y = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (x != y && x != 1 && y != 1)
      throw data_error(subject, "", "The size of tensor a (" + std::to_string(x) + ") must match the size of tensor b (" +
                                        std::to_string(y) + ") at non-singleton dimension " + std::to_string(n - 1 - i));
    out[n - 1 - i] = x == 1 ? y : x;
  }
  return out;
}

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape == shape) return t;
  Tensor out{shape, std::vector<double>(static_cast<std::size_t>(numel(shape)), 0.0)};
  const std::size_t nd = t.shape.size(), sd = shape.size();
  std::vector<std::int64_t> idx(nd, 0);
  for (std::size_t k = 0; k < t.data.size(); ++k) {
    std::int64_t dst = 0;  // the index in `shape`: dims aligned right, size-1 dims at 0
    for (std::size_t d = 0; d < sd; ++d) {
      const std::size_t td = nd - sd + d;
      dst = dst * shape[d] + (shape[d] == 1 ? 0 : idx[td]);
    }
    out.data[static_cast<std::size_t>(dst)] += t.data[k];
    for (std::size_t d = nd; d-- > 0;) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

std::string aten_list(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string torch_size(const Shape& shape) { return "torch.Size(" + aten_list(shape) + ")"; }

void require_same_shape(const Tensor& target, const Tensor& input, const std::string& message) {
  if (target.shape != input.shape) throw data_error("target", "", message);
}

const Tensor& logits_and_target(const Data& data) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  require_same_shape(target, data.input,
                     "Target size " + shape_str(target.shape) + " must be the same as input size " + shape_str(data.input.shape));
  return target;
}

void require_probabilities(const Tensor& t, const std::string& subject, const std::string& message, bool float32) {
  for (std::size_t k = 0; k < t.data.size(); ++k)
    if (const double v = float32 ? static_cast<double>(static_cast<float>(t.data[k])) : t.data[k]; !(v >= 0.0 && v <= 1.0))
      throw data_error(subject, element_where(t.shape, static_cast<std::int64_t>(k)), message + ", got " + print::shortest(t.data[k]));
}

bool is_prob_target(const Tensor& target, const Tensor& input, TargetType type) {
  const bool same_shape = target.shape == input.shape;
  if (type == TargetType::Prob && !same_shape)
    throw data_error("target", "",
                     "probability targets must have the input's shape " + shape_str(input.shape) + ", got " + shape_str(target.shape));
  if (type == TargetType::Index) return false;
  return same_shape;
}

bool slices_are_distributions(const Tensor& t, std::int64_t dim) {
  const auto l = core::make_layout(t.shape, dim);
  for (std::int64_t p = 0; p < l.positions(); ++p) {
    double sum = 0;
    for (std::int64_t c = 0; c < l.classes; ++c) {
      const double v = t.data[static_cast<std::size_t>(l.base(p) + c * l.inner)];
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    if (std::fabs(sum - 1) > 1e-6) return false;
  }
  return true;
}

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::None:
      return "none";
    case Reduction::Sum:
      return "sum";
    case Reduction::Mean:
      return "mean";
    case Reduction::SumOverBatchSize:
      return "sum_over_batch_size";
    case Reduction::BatchMean:
      return "batchmean";
    case Reduction::MeanWithSampleWeight:
      return "mean_with_sample_weight";
  }
  return "mean";
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::Float32:
      return "float32";
    case DType::BFloat16:
      return "bfloat16";
    case DType::Float16:
      return "float16";
    case DType::Float64:
      break;
  }
  return "float64";
}

}  // namespace losscalc::ops
