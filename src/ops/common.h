// Pieces every op uses to build its Result.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/losses.h"
#include "ops/checks.h"
#include "result.h"

namespace losscalc::ops {

// The input seen around its class dim (*s.dim, resolved by run.cpp).
struct ClassLayout {
  std::int64_t dim;
  core::Layout layout;
  Shape positions;  // the shape of one value per position
};
// Checks the input has elements (and a class dim if `needs_class_dim`).
ClassLayout class_layout(const Data& data, const Settings& s, bool needs_class_dim);
// nll_loss's target checks: class indices, not a target of INPUT's shape.
void check_nll_target(const Data& data, const Settings& s, const ClassLayout& c);

// A Result with dtype, reduction (losses only) and its primary key set:
// "loss", or the activation's output. (run.cpp names the function, from
// its row.)
Result start(const Settings& s, bool loss, const char* output = "loss");

// One call of an op for a single number, as compare's rows and expect's
// candidates make it: its scalar loss, or why the call cannot take the data
// (the op's message). Never throws for the data.
struct Attempt {
  double loss = 0;
  std::string error;  // empty: `loss` holds the number
};
Attempt attempt(const std::function<Result(const Data&, const Settings&)>& op, const Data& d, const Settings& s);

// Each element's group in a sum over the axes marked `summed` (row-major):
// its index over the axes kept. Keras's and optax's Dice sum by it.
std::vector<std::int64_t> group_index(const Shape& shape, const std::vector<bool>& summed);

// --log-base B (Settings::numbers["log_base"]): the base, or 0 for the
// natural log (unset).
double log_base(const Settings& s);
// A natural-log loss (or gradient) v in base `base`: v / ln(base), in the
// dtype's arithmetic (float32: float(v) / float(ln b), as `loss /
// math.log(2)` divides a float32 tensor).
double in_log_base(double v, double base, DType dtype);
// The loss entries ("loss", "...losses") and the gradients ("grad...") of
// `r` in --log-base's base, with a note; the intermediates (log_softmax,
// the exact sums) stay in natural log. Nothing without --log-base.
void in_log_base(Result& r, const Settings& s);

// Adds "loss" (reduced or per position); when reduced also "losses" (per
// position) and, for means, "denominator".
template <class T>
void add_loss(Result& r, const Shape& positions, const core::Forward<T>& f, const core::Reduced<T>& red,
              Reduction reduction) {
  r.loss_sum = red.loss_sum;
  r.share_sum = red.share_sum;
  r.extra_denominator = f.extra_denominator;
  r.count = static_cast<std::int64_t>(f.loss.size());
  if (reduction == Reduction::None) {
    r.entries.push_back({"loss", to_tensor(positions, red.loss)});
    return;
  }
  r.entries.push_back({"loss", to_tensor({}, red.loss)});
  if (!positions.empty()) r.entries.push_back({"losses", to_tensor(positions, f.loss)});
  if (divides(reduction))
    r.entries.push_back({"denominator", Tensor{{}, {red.denominator}}});
}

// Per-sample losses `loss` (of `positions`) reduced by -r (add_loss's
// entries); returns the upstream of each sample (d reported loss / d loss_i).
template <class T>
core::Vec<T> reduce_samples(Result& r, const Shape& positions, const core::Vec<T>& loss, const Settings& s) {
  const auto f = core::forward_of<T>(loss);
  const auto red = core::reduce(*s.reduction, f);
  add_loss(r, positions, f, red, *s.reduction);
  return red.upstream;
}

// "input (2, 4), target (2) class indices, class dim 1"; `target_kind` and
// the dim are left out when empty / negative.
std::string describe(const Tensor& input, const Tensor* target, const std::string& target_kind, std::int64_t dim);
// ", sample_weight (N)" when the data have one (Keras, scikit-learn), else "".
std::string sample_weight_note(const Data& data);

}  // namespace losscalc::ops
