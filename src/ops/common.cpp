#include "ops/common.h"

#include <cmath>
#include <string_view>

#include "core/reduced_precision.h"
#include "error.h"

namespace losscalc::ops {

ClassLayout class_layout(const Data& data, const Settings& s, bool needs_class_dim) {
  check_input(data.input, needs_class_dim);
  ClassLayout c;
  c.dim = core::normalize_dim(*s.dim, data.input.dims());
  c.layout = core::make_layout(data.input.shape, c.dim);
  c.positions = core::positions_shape(data.input.shape, c.dim);
  return c;
}

Attempt attempt(const std::function<Result(const Data&, const Settings&)>& op, const Data& d, const Settings& s) {
  Attempt a;
  try {
    const Result r = op(d, s);
    const Tensor* loss = r.find("loss");
    if (!loss || loss->data.size() != 1) a.error = "no single loss (a per-sample result)";
    else a.loss = loss->data[0];
  } catch (const Error& e) {
    a.error = e.message();
  } catch (const std::exception& e) {  // a bug in one call must not end a comparison or a search
    a.error = std::string("internal error: ") + e.what();
  }
  return a;
}

std::vector<std::int64_t> group_index(const Shape& shape, const std::vector<bool>& summed) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<std::int64_t> group(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < group.size(); ++k) {
    std::int64_t rest = static_cast<std::int64_t>(k), g = 0, stride = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
      const std::int64_t i = rest % shape[d];
      rest /= shape[d];
      if (!summed[d]) {
        g += i * stride;
        stride *= shape[d];
      }
    }
    group[k] = g;
  }
  return group;
}

double log_base(const Settings& s) {
  const auto it = s.numbers.find("log_base");
  return it == s.numbers.end() ? 0 : it->second;
}

double in_log_base(double v, double base, DType dtype) {
  if (dtype == DType::Float32) return static_cast<double>(static_cast<float>(v) / static_cast<float>(std::log(base)));
  if (is_half(dtype)) {
    // torch: the half loss divided by a Python float, in float, rounded back.
    return core::round_to(core::half_of(dtype), static_cast<double>(static_cast<float>(v) / static_cast<float>(std::log(base))));
  }
  return v / std::log(base);
}

void in_log_base(Result& r, const Settings& s) {
  const double base = log_base(s);
  if (base == 0) return;
  for (auto& e : r.entries) {
    const std::string_view k = e.key;
    if (k == "loss" || k.starts_with("loss_") || k.ends_with("losses") || k.starts_with("grad"))
      for (double& v : e.value.data) v = in_log_base(v, base, s.dtype);
  }
  const std::string b = base == 2 ? "2" : "10";
  r.notes.push_back("--log-base " + b + ": the loss" + (r.find("grad") ? " and the gradients are" : " is") +
                    " divided by ln " + b + (base == 2 ? " (bits)" : "") + "; the intermediates stay in natural log");
}

Result start(const Settings& s, bool loss, const char* output) {
  Result r;
  r.dtype = dtype_name(s.dtype);
  if (loss) r.reduction = reduction_name(*s.reduction);
  r.primary = output;
  return r;
}

std::string describe(const Tensor& input, const Tensor* target, const std::string& target_kind, std::int64_t dim) {
  std::string s = "input " + shape_str(input.shape);
  if (target) s += ", target " + shape_str(target->shape) + (target_kind.empty() ? "" : " " + target_kind);
  if (dim >= 0) s += ", class dim " + std::to_string(dim);
  return s;
}

std::string sample_weight_note(const Data& data) {
  const Tensor* w = data.get("sample_weight");
  return w ? ", sample_weight " + shape_str(w->shape) : "";
}

}  // namespace losscalc::ops
