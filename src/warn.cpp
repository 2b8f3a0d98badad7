#include "warn.h"

#include <algorithm>
#include <cmath>

#include "core/layout.h"
#include "ops/checks.h"
#include "print/number.h"
#include "registry.h"

namespace losscalc {

namespace {

// A softmax over the class axis of INPUT's logits.
bool softmax_of_logits(const FunctionSpec& fn, const Settings& s) {
  return fn.is_loss() && fn.layout == Layout::ClassAxis && fn.input_holds(s) == Holds::Logits;
}

// Keras's clipped probabilities.
bool keras_probabilities(const FunctionSpec& fn, const Settings& s) {
  return fn.family == Family::Keras && fn.input_holds(s) == Holds::Probabilities;
}

// Probability rows, and at least two classes (one class always sums to itself).
bool distributions(const Tensor& t, std::int64_t dim) {
  return core::make_layout(t.shape, dim).classes >= 2 && ops::slices_are_distributions(t, dim);
}

// Every value 0 or 1.
bool zeros_and_ones(const Tensor& t) {
  for (double v : t.data)
    if (v != 0 && v != 1) return false;
  return !t.data.empty();
}

// One 1 per slice, the rest 0.
bool one_hot(const Tensor& t, std::int64_t dim) { return distributions(t, dim) && zeros_and_ones(t); }

// Every value strictly between 0 and 1: probabilities, not labels.
bool strictly_inside_unit(const Tensor& t) {
  for (double v : t.data)
    if (!(v > 0 && v < 1)) return false;
  return !t.data.empty();
}

}  // namespace

std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%") == std::string::npos)
    return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string swapped_command(const std::vector<std::string>& args, const std::string& a, const std::string& b) {
  if (a == b || std::count(args.begin(), args.end(), a) != 1 || std::count(args.begin(), args.end(), b) != 1) return "";
  std::string out = "losscalc";
  for (const std::string& w : args) out += " " + shell_word(w == a ? b : w == b ? a : w);
  return out;
}

std::vector<std::string> likely_mistakes(const FunctionSpec& spec, const Data& d, const Settings& s, const Result& r,
                                         const std::string& swapped) {
  const std::string fn(spec.name);
  const bool from_logits_option = spec.param("from-logits") != nullptr;
  std::vector<std::string> w;
  if (!r.rows.empty() || d.input.data.empty()) return w;
  const std::int64_t nd = d.input.dims();
  const std::int64_t dim = s.dim ? (*s.dim < 0 ? *s.dim + std::max<std::int64_t>(nd, 1) : *s.dim) : nd - 1;

  if (softmax_of_logits(spec, s) && nd >= 1 && distributions(d.input, dim))
    w.push_back("every row of INPUT already sums to 1: probabilities passed as logits? " + fn +
                " applies softmax to its input; for probabilities use nll_loss on their log" +
                (from_logits_option ? " (or drop --from-logits)" : ""));
  const bool sigmoid_logits = spec.is_loss() && spec.layout == Layout::Elementwise && spec.input_holds(s) == Holds::Logits;
  if (sigmoid_logits && nd >= 1 && distributions(d.input, nd - 1))
    w.push_back("INPUT looks like probabilities (every value in [0, 1], every row summing to 1): " + fn +
                " applies sigmoid to its input; for probabilities use " +
                (from_logits_option ? fn + " without --from-logits" : std::string("binary_cross_entropy")));
  if (keras_probabilities(spec, s)) {
    for (double v : d.input.data)
      if (v < 0 || v > 1) {
        w.push_back("INPUT has values outside [0, 1] (" + print::shortest(v) + "): logits? keras clips probabilities; pass --from-logits for logits");
        break;
      }
  }
  // Keras writes loss(y_true, y_pred); losscalc takes INPUT (y_pred) first.
  // Labels as INPUT and probabilities as TARGET read as predictions of 0 and 1.
  const bool probability_input = spec.is_loss() && spec.input_holds(s) == Holds::Probabilities;
  if (probability_input && d.target && zeros_and_ones(d.input) && strictly_inside_unit(*d.target) &&
      (spec.layout != Layout::ClassAxis || one_hot(d.input, dim)))
    w.push_back("INPUT holds only 0 and 1, TARGET only values strictly between 0 and 1: the arguments look swapped "
                "(losscalc takes the prediction first, as torch does; Keras writes loss(y_true, y_pred))" +
                (swapped.empty() ? std::string("") : "; did you mean: " + swapped));
  if (spec.holds == Holds::LogProbabilities) {
    for (double v : d.input.data)
      if (v > 0) {
        w.push_back(fn + " expects log-probabilities (<= 0), and INPUT has " + print::shortest(v) +
                    ": probabilities or logits? take log_softmax first, or use cross_entropy on logits");
        break;
      }
  }
  // A torch softmax loss that reads a target of INPUT's shape as probabilities.
  const bool torch_softmax = spec.family == Family::Torch && softmax_of_logits(spec, s);
  if (torch_softmax && d.target && d.target->shape == d.input.shape && one_hot(*d.target, dim) &&
      (d.weight || (s.ignore_index && *s.ignore_index != kTorchIgnoreIndex)))
    w.push_back("TARGET is one-hot, so it is read as class probabilities: the mean divides by the number of samples, "
                "not by the target weights, and ignore_index does not apply; pass class indices for index semantics");
  if (const Tensor* den = r.find("denominator"); den && den->data[0] == 0 && d.target) {
    const double ignore = static_cast<double>(s.ignore_index.value_or(kTorchIgnoreIndex));
    bool all_ignored = true;
    for (double v : d.target->data) all_ignored = all_ignored && v == ignore;
    w.push_back(all_ignored ? "every target is ignored: the mean is nan (0/0), as in torch"
                            : "the class weights of the targets present sum to 0: the mean is 0/0 (nan) or x/0");
  }
  if (spec.input_holds(s) == Holds::Logits || spec.holds == Holds::Values) {  // an exp() of INPUT
    const double limit = s.dtype == DType::Float32 ? 88.72 : 709.78;
    double big = 0;
    for (double v : d.input.data)
      if (std::isfinite(v)) big = std::max(big, std::fabs(v));
    if (big > limit)
      w.push_back("INPUT has values as large as " + print::shortest(big) + ": a naive exp() overflows past " +
                  print::shortest(limit) + " in " + (s.dtype == DType::Float32 ? "float32" : "float64") +
                  "; losscalc, like torch, computes the stable form");
  }
  const bool torch_class_dim = spec.family == Family::Torch && spec.layout == Layout::ClassAxis && spec.takes_target();
  if (torch_class_dim && nd >= 3 && s.dim && *s.dim == 1 && d.target &&
      d.target->shape != d.input.shape && d.input.shape[1] == d.input.shape.back())
    w.push_back("INPUT is " + shape_str(d.input.shape) + ": torch reads classes from dim 1; if they are on the last axis " +
                "(tf / keras layout), pass --dim -1");
  return w;
}

}  // namespace losscalc
