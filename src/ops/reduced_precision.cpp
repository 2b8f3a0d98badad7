// --dtype bfloat16 and --dtype float16: torch's softmax family and nll_loss
// in the half formats (core/reduced_precision.h says where torch rounds).
#include <cmath>
#include <string>

#include "core/reduced_precision.h"
#include "error.h"
#include "ops/checks.h"
#include "ops/common.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

// A data argument rounded to the format, with a note of how many values
// rounding changed.
core::Vec<double> rounded(Result& r, DType dtype, const Tensor& t, const std::string& name) {
  const core::Vec<double> v = to_vec<double>(t);
  core::Vec<double> out = core::round_to(core::half_of(dtype), v);
  std::int64_t changed = 0;
  for (Eigen::Index i = 0; i < v.size(); ++i)
    if (out[i] != v[i] && !(std::isnan(out[i]) && std::isnan(v[i]))) ++changed;
  if (changed)
    r.notes.push_back(name + " rounded to " + dtype_name(dtype) + " (to nearest, ties to even): " + std::to_string(changed) +
                      " of " + std::to_string(v.size()) + " values changed");
  return out;
}

// `key` from bounded values; where torch's float arithmetic can land on
// either side of a rounding boundary, KEY_low and KEY_high too, and a note.
void put_bounded(Result& r, const std::string& key, const Shape& shape, const core::Bounded& b, const std::string& why) {
  r.entries.push_back({key, to_tensor(shape, b.value)});
  const std::int64_t n = b.uncertain();
  if (!n) return;
  r.entries.push_back({key + "_low", to_tensor(shape, b.lo)});
  r.entries.push_back({key + "_high", to_tensor(shape, b.hi)});
  r.notes.push_back(key + ": " + (b.value.size() == 1 ? "torch may print " + key + "_low or " + key + "_high"
                                                      : std::to_string(n) + " of " + std::to_string(b.value.size()) +
                                                            " values may be torch's neighbouring value (" + key + "_low, " + key + "_high)") +
                    ": " + why);
}

const char* kSumWhy =
    "torch's float sum of exponentials (in its vector lanes' order, with its vector exp) lies within its rounding error of a "
    "rounding boundary here, so the value cannot be told from outside torch";

struct Prepared {
  core::Half h;
  ClassLayout c;
  core::Vec<double> x;
  bool last_dim;
};

Prepared prepare(Result& r, const Data& data, const Settings& s, bool needs_class_dim) {
  const core::Half h = core::half_of(s.dtype);
  auto c = class_layout(data, s, needs_class_dim);
  const bool last = c.dim == data.input.dims() - 1 || data.input.dims() == 0;
  core::Vec<double> x = rounded(r, s.dtype, data.input, "INPUT");
  return {h, std::move(c), std::move(x), last};
}

void refuse_label_smoothing(const Settings& s) {
  if (s.label_smoothing > 0)
    throw usage_error("--label-smoothing", std::string("is not emulated in ") + dtype_name(s.dtype) +
                                               " (torch adds its smoothing term in further reduced-precision ops); use --dtype float32, or --amp");
}

void note_cuda(Result& r, const Prepared& p) {
  if (p.h != core::Half::Float16) return;
  r.notes.push_back("float16: the CUDA convention (half inputs, float sums, one rounding); torch's CPU has no float16 kernel for this in 1.13");
  if (p.c.layout.inner > 1)
    r.notes.push_back("float16 with dims after the class dim: CUDA's nll_loss2d adds half partial sums atomically in an order it does not fix; "
                      "the value shown rounds the whole sum and the count to half once each (inf beyond 65504, as CUDA's half accumulators)");
}

void no_gradient(Result& r, const Settings& s) {
  r.notes.push_back(std::string("no gradient in ") + dtype_name(s.dtype) +
                    ": torch's reduced-precision backward is not emulated (--dtype float32 gives float32's)");
}

// nll_loss on log-probabilities in the format: the loss, and (bfloat16, not
// -q) its gradient with respect to them, which it returns (empty when not
// formed).
core::Vec<double> nll_part(Result& r, const Prepared& p, const Data& data, const Settings& s, const core::Bounded& log_probs) {
  const Tensor& target = require_target(data.target);
  check_class_weight(data.weight, p.c.layout.classes);
  const std::int64_t ignore = s.ignore_index.value_or(kTorchIgnoreIndex);
  const auto y = class_indices(target, data.input.shape, p.c.dim, p.c.layout.classes, ignore);
  const core::Vec<double> w = data.weight ? rounded(r, s.dtype, *data.weight, "WEIGHT") : core::Vec<double>();
  const auto loss = core::reduced_nll(p.h, p.c.layout, data.input.dims(), log_probs, y, w, ignore, *s.reduction);
  put_bounded(r, "loss", *s.reduction == Reduction::None ? p.c.positions : Shape{}, loss, kSumWhy);
  r.count = p.c.layout.positions();
  if (s.loss_only || p.h != core::Half::BFloat16) return {};
  return core::bf16_nll_backward(p.c.layout, data.input.dims(), y, w, ignore, *s.reduction);
}

const char* kGradWhy = "formed from a log_softmax value that may be torch's neighbouring one (log_softmax_low, log_softmax_high)";

}  // namespace

Result cross_entropy_reduced(const Data& data, const Settings& s) {
  Result r = start(s, true);
  const Tensor& target = require_target(data.target);
  if (is_prob_target(target, data.input, s.target_type))
    throw usage_error("--dtype", std::string(dtype_name(s.dtype)) +
                                     " emulates cross_entropy with class indices; class-probability targets are not emulated (use --dtype float32, or --amp)");
  refuse_label_smoothing(s);
  const Prepared p = prepare(r, data, s, true);
  r.summary = describe(data.input, &target, "class indices", p.c.dim);
  r.class_dim = p.c.dim;
  const auto log_probs = core::reduced_log_softmax(p.h, p.c.layout, p.last_dim, p.x);
  const auto nll_grad = nll_part(r, p, data, s, log_probs);
  put_bounded(r, "log_softmax", data.input.shape, log_probs, kSumWhy);
  note_cuda(r, p);
  if (s.loss_only) return r;
  if (p.h != core::Half::BFloat16) {
    no_gradient(r, s);
  } else {
    put_bounded(r, "grad", data.input.shape, core::bf16_log_softmax_backward(p.c.layout, log_probs, nll_grad), kGradWhy);
  }
  return r;
}

Result nll_loss_reduced(const Data& data, const Settings& s) {
  Result r = start(s, true);
  const Tensor& target = require_target(data.target);
  const Prepared p = prepare(r, data, s, true);
  check_nll_target(data, s, p.c);
  r.summary = describe(data.input, &target, "class indices", p.c.dim);
  r.class_dim = p.c.dim;
  const auto grad = nll_part(r, p, data, s, core::Bounded::exact(p.x));
  note_cuda(r, p);
  if (s.loss_only) return r;
  if (p.h != core::Half::BFloat16) no_gradient(r, s);
  else r.entries.push_back({"grad", to_tensor(data.input.shape, grad)});
  return r;
}

namespace {

Result activation(const char* name, bool log, const Data& data, const Settings& s) {
  Result r = start(s, false, name);
  const Prepared p = prepare(r, data, s, false);
  r.summary = describe(data.input, nullptr, "", p.c.dim);
  r.class_dim = p.c.dim;
  const auto out = log ? core::reduced_log_softmax(p.h, p.c.layout, p.last_dim, p.x)
                       : core::reduced_softmax(p.h, p.c.layout, p.last_dim, p.x);
  put_bounded(r, name, data.input.shape, out, kSumWhy);
  if (p.h == core::Half::Float16)
    r.notes.push_back(std::string("float16: the CUDA convention (float max, sum and ") + (log ? "log" : "division") +
                      ", one rounding); torch's CPU has no float16 kernel for this in 1.13");
  return r;
}

}  // namespace

Result softmax_reduced(const Data& data, const Settings& s) { return activation("softmax", false, data, s); }
Result log_softmax_reduced(const Data& data, const Settings& s) { return activation("log_softmax", true, data, s); }

}  // namespace losscalc::ops
