// scikit-learn 1.2's metrics (sklearn/metrics/_classification.py,
// _regression.py): log_loss, brier_score_loss, mean_squared_error,
// mean_absolute_error, with their checks and messages. scikit-learn gives
// the loss only; the gradient printed is losscalc's own, analytic one (a
// note says so). --dtype float32 is y_pred given as a float32 array: the
// values are rounded to float32 and numpy's promotion decides the rest
// (log_loss clips and renormalises in float32, then xlogy promotes to
// float64; the others compute in float64 against y_true's int64 or
// float64).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "print/number.h"
#include "read/text.h"

namespace losscalc::ops {

namespace {

const char* kNoGradient = "scikit-learn computes no gradient: grad is losscalc's analytic one";

// numpy's repr of an array of labels: [0 1 2] (integers), [0.5 1.5] else.
std::string numpy_list(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + print::shortest(v[i]);
  return s + "]";
}
std::string label_text(double v) { return print::shortest(v); }

// check_array's finiteness check (assert_all_finite): "Input contains NaN."
template <class T>
void all_finite(const Tensor& t, const std::string& subject) {
  for (double v : t.data) {
    if (std::isnan(v)) throw data_error(subject, "", "Input contains NaN.");
    if (std::isinf(v))
      throw data_error(subject, "", std::string("Input contains infinity or a value too large for dtype('") +
                                        (sizeof(T) == 4 && subject != "target" ? "float32" : "float64") + "').");
  }
}

// check_consistent_length: "Found input variables with inconsistent numbers of samples: [3, 2]".
void consistent_length(const std::vector<const Tensor*>& ts) {
  std::vector<std::int64_t> n;
  for (auto* t : ts)
    if (t) n.push_back(t->shape.empty() ? 1 : t->shape[0]);
  if (std::adjacent_find(n.begin(), n.end(), std::not_equal_to<>()) == n.end()) return;
  std::string list;
  for (std::size_t i = 0; i < n.size(); ++i) list += (i ? ", " : "") + std::to_string(n[i]);
  throw data_error("input", "", "Found input variables with inconsistent numbers of samples: [" + list + "]");
}

void at_most_2d(const Tensor& t, const std::string& subject) {
  if (t.shape.empty()) throw data_error(subject, "", "Expected sequence or array-like, got a number (a 0-d value): scikit-learn takes arrays");
  if (t.shape.size() > 2)
    throw data_error(subject, "", "Found array with dim " + std::to_string(t.shape.size()) + ". None expected <= 2.");
  if (t.data.empty())
    throw data_error(subject, "", "Found array with 0 sample(s) (shape=" + shape_str(t.shape) + ") while a minimum of 1 is required.");
}

// One weight a sample (N); none: all 1.
std::vector<double> sample_weights(const Data& data, std::int64_t n) {
  const Tensor* w = data.get("sample_weight");
  if (!w) return std::vector<double>(static_cast<std::size_t>(n), 1.0);
  if (w->shape.size() != 1)
    throw data_error("sample_weight", "", "1D weights expected when shapes of a and weights differ.");
  return w->data;
}

// np.average's refusal, when the weights are given and sum to 0.
void nonzero_weights(const Data& data, const std::vector<double>& w) {
  if (!data.get("sample_weight")) return;
  double sum = 0;
  for (double v : w) sum += v;
  if (sum == 0) throw data_error("sample_weight", "", "Weights sum to zero, can't be normalized");
}

// A label must be a whole number (type_of_target: "continuous" otherwise).
void whole_labels(const Tensor& t, const char* what) {
  for (double v : t.data)
    if (v != std::floor(v))
      throw data_error("target", "", std::string("Unknown label type: continuous (y_true holds ") + print::shortest(v) + "): " + what);
}

}  // namespace

std::vector<double> multioutput_weights(const std::string& text) {
  const auto refuse = [&text]() {
    return usage_error("--multioutput", "Allowed 'multioutput' string values are ('raw_values', 'uniform_average', 'variance_weighted'). "
                                        "You provided multioutput='" + text + "' (or give one weight an output: 0.3,0.7)");
  };
  read::Parsed parsed;
  try {  // the data arguments' reader: "0.3,0.7", "[0.3, 0.7]", "0.3 0.7"
    parsed = read::parse_text(text, read::Origin{"--multioutput", ""});
  } catch (const Error&) {
    throw refuse();
  }
  if (parsed.is_object || parsed.array.dims() > 1 || parsed.array.data.empty()) throw refuse();
  for (double w : parsed.array.data)
    if (!std::isfinite(w)) throw refuse();
  return parsed.array.data;
}

template <class T>
Result sklearn_log_loss(const Data& data, const Settings& s) {
  const Tensor& pred = data.input;
  const Tensor& target = require_target(data.target);
  const Tensor* labels = data.get("labels");
  at_most_2d(pred, "input");
  all_finite<T>(pred, "input");
  consistent_length({&pred, &target, data.get("sample_weight")});
  const auto n = pred.shape[0];
  const bool indicator = target.shape.size() == 2 && target.shape[1] > 1;
  if (target.shape.size() > 2) throw data_error("target", "", "Found array with dim " + std::to_string(target.shape.size()) + ". None expected <= 2.");
  all_finite<double>(target, "target");
  // LabelBinarizer: the sorted labels (of --labels, else of y_true), then
  // y_true one-hot over them (a label not among them: a row of 0s; with two
  // labels one column, y == the greater, so such a label counts as the first).
  std::vector<double> classes;
  std::vector<double> onehot;  // (N, C)
  std::int64_t c = 0;
  if (indicator) {
    if (labels) throw usage_error("--labels", "--labels with an indicator-matrix y_true is not supported (give y_true as labels)");
    for (double v : target.data)
      if (v != 0 && v != 1) throw data_error("target", "", "Multioutput target data is not supported with label binarization");
    c = target.shape[1];
    for (std::int64_t k = 0; k < c; ++k) classes.push_back(static_cast<double>(k));
    onehot = target.data;
  } else {
    if (s.loss_only && !labels)  // a block of streamed rows sees some of the labels
      throw usage_error("--labels", "sklearn.log_loss takes its labels from all of y_true: give them (--labels '[0,1]') to stream row data");
    whole_labels(target, "scikit-learn takes class labels");
    std::set<double> set(target.data.begin(), target.data.end());
    if (labels) set = std::set<double>(labels->data.begin(), labels->data.end());
    classes.assign(set.begin(), set.end());
    if (classes.size() == 1) {
      if (!labels)
        throw data_error("target", "", "y_true contains only one label (" + label_text(classes[0]) +
                                           "). Please provide the true labels explicitly through the labels argument.");
      throw data_error("labels", "", "The labels array needs to contain at least two labels for log_loss, got " + numpy_list(classes) + ".");
    }
    c = static_cast<std::int64_t>(classes.size());
    onehot.assign(static_cast<std::size_t>(n * c), 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
      const double y = target.data[static_cast<std::size_t>(i)];
      if (c == 2) {
        const double positive = y == classes[1] ? 1 : 0;
        onehot[static_cast<std::size_t>(i * 2)] = 1 - positive;
        onehot[static_cast<std::size_t>(i * 2 + 1)] = positive;
        continue;
      }
      const auto at = std::find(classes.begin(), classes.end(), y);
      if (at != classes.end()) onehot[static_cast<std::size_t>(i * c + (at - classes.begin()))] = 1;
    }
  }
  // Clipping (np.clip: min(max(p, eps), 1 - eps)), in y_pred's dtype.
  const std::string eps_text = s.param_text.count("eps") ? s.param_text.at("eps") : "auto";
  const T eps = eps_text == "auto" ? std::numeric_limits<T>::epsilon() : static_cast<T>(s.number("eps"));
  const std::int64_t cols = pred.shape.size() == 1 ? 1 : pred.shape[1];
  const std::int64_t pc = cols == 1 ? 2 : cols;
  std::vector<T> q(static_cast<std::size_t>(n * pc));
  std::vector<double> inside(q.size(), 1.0);  // the clip passes the gradient
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < cols; ++k) {
      const T p = static_cast<T>(pred.data[static_cast<std::size_t>(i * cols + k)]);
      const T clipped = std::min(std::max(p, eps), T(1) - eps);
      const bool in = p > eps && p < T(1) - eps;
      if (cols == 1) {
        q[static_cast<std::size_t>(i * 2)] = T(1) - clipped;
        q[static_cast<std::size_t>(i * 2 + 1)] = clipped;
        inside[static_cast<std::size_t>(i * 2 + 1)] = in;
      } else {
        q[static_cast<std::size_t>(i * pc + k)] = clipped;
        inside[static_cast<std::size_t>(i * pc + k)] = in;
      }
    }
  if (c != pc) {
    if (!labels && !indicator)
      throw data_error("input", "", "y_true and y_pred contain different number of classes " + std::to_string(c) + ", " +
                                        std::to_string(pc) + ". Please provide the true labels explicitly through the labels argument. " +
                                        "Classes found in y_true: " + numpy_list(classes));
    if (indicator)
      throw data_error("input", "", "y_true and y_pred contain different number of classes " + std::to_string(c) + ", " +
                                        std::to_string(pc) + ". Please provide the true labels explicitly through the labels argument. " +
                                        "Classes found in y_true: " + numpy_list(classes));
    throw data_error("labels", "", "The number of classes in labels is different from that in y_pred. Classes found in labels: " +
                                       numpy_list(classes));
  }
  const auto w = sample_weights(data, n);
  const bool normalize = *s.reduction != Reduction::Sum;
  if (normalize) nonzero_weights(data, w);
  // Renormalise (in y_pred's dtype), then -sum xlogy(y, q) in float64.
  std::vector<double> renorm(q.size()), unweighted(static_cast<std::size_t>(n));
  core::Vec<double> loss(n);
  Eigen::ArrayXd share(n);
  for (std::int64_t i = 0; i < n; ++i) {
    T sum = 0;
    for (std::int64_t k = 0; k < pc; ++k) sum += q[static_cast<std::size_t>(i * pc + k)];
    double l = 0;
    for (std::int64_t k = 0; k < pc; ++k) {
      const auto at = static_cast<std::size_t>(i * pc + k);
      renorm[at] = static_cast<double>(q[at] / sum);
      if (onehot[at] != 0) l -= onehot[at] * std::log(renorm[at]);
    }
    unweighted[static_cast<std::size_t>(i)] = l + 0.0;
    loss[i] = w[static_cast<std::size_t>(i)] * (l + 0.0);
    share[i] = w[static_cast<std::size_t>(i)];
  }
  const auto f = core::forward_of<double>(loss, share);
  const auto red = core::reduce(*s.reduction, f);
  Result r = start(s, true);
  r.summary = describe(pred, &target, indicator ? "indicator matrix" : "labels", -1) + ", classes " + numpy_list(classes) +
              sample_weight_note(data);
  add_loss(r, {n}, f, red, *s.reduction);
  if (s.loss_only) return r;
  if (data.get("sample_weight")) r.entries.push_back({"unweighted_losses", Tensor{{n}, unweighted}});
  r.entries.push_back({"classes", Tensor{{c}, classes}});
  r.entries.push_back({"y_true_one_hot", Tensor{{n, pc}, onehot}});
  r.entries.push_back({"clipped", Tensor{{n, pc}, std::vector<double>(q.begin(), q.end())}});
  r.entries.push_back({"renormalised", Tensor{{n, pc}, renorm}});
  // d l / d q_k = -y_k / q_k + (sum y) / S, through the clip; a 1-D y_pred
  // is q1 with q0 = 1 - q1.
  std::vector<double> g(pred.data.size(), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    double ysum = 0, qsum = 0;
    for (std::int64_t k = 0; k < pc; ++k) {
      ysum += onehot[static_cast<std::size_t>(i * pc + k)];
      qsum += static_cast<double>(q[static_cast<std::size_t>(i * pc + k)]);
    }
    const auto dq = [&](std::int64_t k) {
      const auto at = static_cast<std::size_t>(i * pc + k);
      const double y = onehot[at];
      return (y == 0 ? 0.0 : -y / static_cast<double>(q[at])) + ysum / qsum;
    };
    const double up = red.upstream[i] * w[static_cast<std::size_t>(i)];
    if (cols == 1) {
      g[static_cast<std::size_t>(i)] = inside[static_cast<std::size_t>(i * 2 + 1)] * (dq(1) - dq(0)) * up;
    } else {
      for (std::int64_t k = 0; k < pc; ++k) g[static_cast<std::size_t>(i * pc + k)] = inside[static_cast<std::size_t>(i * pc + k)] * dq(k) * up;
    }
  }
  r.entries.push_back({"grad", Tensor{pred.shape, g}});
  r.notes.push_back(std::string(kNoGradient) + " (0 where a probability was clipped)");
  return r;
}

template <class T>
Result sklearn_brier_score_loss(const Data& data, const Settings& s) {
  const Tensor& prob = data.input;
  const Tensor& target = require_target(data.target);
  // column_or_1d: (N) or (N, 1).
  const auto one_d = [](const Tensor& t, const std::string& subject) {
    if (t.shape.size() == 1 || (t.shape.size() == 2 && t.shape[1] == 1)) return;
    throw data_error(subject, "", "y should be a 1d array, got an array of shape " + shape_str(t.shape) + " instead.");
  };
  one_d(target, "target");
  one_d(prob, "input");
  all_finite<double>(target, "target");
  all_finite<T>(prob, "input");
  consistent_length({&target, &prob, data.get("sample_weight")});
  const auto n = prob.shape[0];
  std::set<double> classes(target.data.begin(), target.data.end());
  for (double v : target.data)
    if (v != std::floor(v)) throw data_error("target", "", "Only binary classification is supported. The type of the target is continuous.");
  if (classes.size() > 2) throw data_error("target", "", "Only binary classification is supported. The type of the target is multiclass.");
  std::vector<double> p(prob.data.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<double>(static_cast<T>(prob.data[i]));
  if (*std::max_element(p.begin(), p.end()) > 1) throw data_error("input", "", "y_prob contains values greater than 1.");
  if (*std::min_element(p.begin(), p.end()) < 0) throw data_error("input", "", "y_prob contains values less than 0.");
  // pos_label: given; else 1 for {0, 1}, {-1, 1}, {0}, {-1}, {1}; else the greatest label.
  double pos = 1;
  const bool given = s.param_text.count("pos_label") && !s.param_text.at("pos_label").empty();
  if (s.loss_only && !given)  // a block of streamed rows sees some of the labels
    throw usage_error("--pos-label", "sklearn.brier_score_loss infers pos_label from all of y_true: give it (--pos-label 1) to stream row data");
  if (given) {
    pos = s.number("pos_label");
  } else {
    const std::vector<double> v(classes.begin(), classes.end());
    const bool standard = v == std::vector<double>{0, 1} || v == std::vector<double>{-1, 1} || v == std::vector<double>{0} ||
                          v == std::vector<double>{-1} || v == std::vector<double>{1};
    pos = standard ? 1 : v.back();
  }
  const auto w = sample_weights(data, n);
  nonzero_weights(data, w);
  core::Vec<double> loss(n);
  Eigen::ArrayXd share(n);
  std::vector<double> outcome(static_cast<std::size_t>(n)), unweighted(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(i);
    outcome[at] = target.data[at] == pos ? 1 : 0;
    const double d = outcome[at] - p[at];
    unweighted[at] = d * d;
    loss[i] = w[at] * unweighted[at];
    share[i] = w[at];
  }
  const auto f = core::forward_of<double>(loss, share);
  const auto red = core::reduce(*s.reduction, f);
  Result r = start(s, true);
  r.summary = describe(prob, &target, "labels", -1) + ", pos_label " + print::shortest(pos) +
              sample_weight_note(data);
  add_loss(r, {n}, f, red, *s.reduction);
  if (s.loss_only) return r;
  if (data.get("sample_weight")) r.entries.push_back({"unweighted_losses", Tensor{{n}, unweighted}});
  r.entries.push_back({"outcome", Tensor{{n}, outcome}});
  std::vector<double> g(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(i);
    g[at] = 2 * (p[at] - outcome[at]) * w[at] * red.upstream[i];
  }
  r.entries.push_back({"grad", Tensor{prob.shape, g}});
  r.notes.push_back(kNoGradient);
  return r;
}

// hinge_loss (y_true, pred_decision, labels, sample_weight): binary, y as
// -1 / +1 (LabelBinarizer(neg_label=-1): the greater label +1, a single
// label -1), margin y x; multiclass (more than two labels, of y_true or
// --labels), Crammer-Singer: margin x[y] - max over j != y of x[j]. The
// weighted mean of max(0, 1 - margin).
template <class T>
Result sklearn_hinge_loss(const Data& data, const Settings& s) {
  const Tensor& pred = data.input;
  const Tensor& target = require_target(data.target);
  const Tensor* labels = data.get("labels");
  if (target.dims() != 1 && !(target.dims() == 2 && target.shape[1] == 1))
    throw data_error("target", "", "y should be a 1d array, got an array of shape " + shape_str(target.shape) + " instead.");
  all_finite<double>(target, "target");
  for (double v : target.data)
    if (v != std::floor(v)) throw data_error("target", "", "Unknown label type: continuous (y_true holds " + print::shortest(v) + ")");
  consistent_length({&target, &pred, data.get("sample_weight")});
  at_most_2d(pred, "input");
  all_finite<T>(pred, "input");
  const std::int64_t n = target.shape[0];
  std::set<double> set(target.data.begin(), target.data.end());
  if (labels) set = std::set<double>(labels->data.begin(), labels->data.end());
  const std::vector<double> classes(set.begin(), set.end());
  const auto C = static_cast<std::int64_t>(classes.size());
  std::vector<double> x(pred.data.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(static_cast<T>(pred.data[i]));
  std::vector<double> margin(static_cast<std::size_t>(n)), g(x.size(), 0.0);
  std::vector<std::int64_t> other(static_cast<std::size_t>(n), -1);
  std::vector<double> sign(static_cast<std::size_t>(n), 0.0);
  const bool multiclass = C > 2;
  if (multiclass) {
    const std::string want = "(" + std::to_string(n) + ", " + std::to_string(C) + ")";
    if (pred.dims() <= 1)
      throw data_error("input", "", "The shape of pred_decision cannot be 1d arraywith a multiclass target. pred_decision shape must be (n_samples, n_classes), that is " +
                                        want + ". Got: " + shape_str(pred.shape));
    if (pred.shape[1] != C) {
      if (!labels) throw data_error("input", "", "Please include all labels in y_true or pass labels as third argument");
      throw data_error("input", "", "The shape of pred_decision is not consistent with the number of classes. With a multiclass target, "
                                    "pred_decision shape must be (n_samples, n_classes), that is " + want + ". Got: " + shape_str(pred.shape));
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const double yv = target.data[static_cast<std::size_t>(i)];
      const auto at = std::find(classes.begin(), classes.end(), yv);
      if (at == classes.end()) throw data_error("target", "", "y contains previously unseen labels: [" + print::shortest(yv) + "]");
      const auto y = at - classes.begin();
      double best = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < C; ++j)
        if (j != y && (other[static_cast<std::size_t>(i)] < 0 || x[static_cast<std::size_t>(i * C + j)] > best)) {
          best = x[static_cast<std::size_t>(i * C + j)];
          other[static_cast<std::size_t>(i)] = j;
        }
      margin[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(i * C + y)] - best;
      sign[static_cast<std::size_t>(i)] = static_cast<double>(y);  // the true class, for the gradient
    }
  } else {
    if (!(pred.dims() == 1 || (pred.dims() == 2 && pred.shape[1] == 1)))
      throw data_error("input", "", "y should be a 1d array, got an array of shape " + shape_str(pred.shape) + " instead.");
    // LabelBinarizer(neg_label=-1) on y_true's own labels: the greater +1.
    const std::set<double> own(target.data.begin(), target.data.end());
    const double positive = own.size() == 2 ? *own.rbegin() : std::numeric_limits<double>::quiet_NaN();
    for (std::int64_t i = 0; i < n; ++i) {
      const double y = target.data[static_cast<std::size_t>(i)] == positive ? 1.0 : -1.0;
      sign[static_cast<std::size_t>(i)] = y;
      margin[static_cast<std::size_t>(i)] = y * x[static_cast<std::size_t>(i)];
    }
  }
  const auto w = sample_weights(data, n);
  nonzero_weights(data, w);
  core::Vec<double> loss(n);
  Eigen::ArrayXd share(n);
  std::vector<double> unweighted(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(i);
    const double l = 1 - margin[at];
    unweighted[at] = std::isnan(l) ? l : std::max(l, 0.0);
    loss[i] = w[at] * unweighted[at];
    share[i] = w[at];
  }
  const auto f = core::forward_of<double>(loss, share);
  const auto red = core::reduce(*s.reduction, f);
  Result r = start(s, true);
  r.summary = describe(pred, &target, multiclass ? "labels, multiclass (Crammer-Singer)" : "labels, binary (as -1 / +1)", -1) +
              sample_weight_note(data);
  add_loss(r, {n}, f, red, *s.reduction);
  if (s.loss_only) return r;
  r.entries.push_back({"margin", Tensor{{n}, margin}});
  for (std::int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(i);
    if (!(1 - margin[at] > 0)) continue;  // the clip at 0: no gradient where the loss is 0
    const double up = red.upstream[i] * w[at];
    if (multiclass) {
      g[static_cast<std::size_t>(i * C + static_cast<std::int64_t>(sign[at]))] -= up;
      g[static_cast<std::size_t>(i * C + other[at])] += up;
    } else {
      g[at] = -sign[at] * up;
    }
  }
  r.entries.push_back({"grad", Tensor{pred.shape, g}});
  r.notes.push_back(std::string(kNoGradient) + " (0 where the margin is met; at a tie in the max, the first other class)");
  return r;
}

namespace {

// mean_squared_error and mean_absolute_error: _check_reg_targets, then
// np.average over the samples (weighted), per output, then --multioutput.
enum class RegKind { Squared, Absolute };

template <class T>
Result sklearn_regression(const Data& data, const Settings& s, RegKind kind) {
  const Tensor& pred = data.input;
  const Tensor& truth = require_target(data.target);
  consistent_length({&truth, &pred});
  at_most_2d(truth, "target");
  all_finite<double>(truth, "target");
  at_most_2d(pred, "input");
  all_finite<T>(pred, "input");
  const std::int64_t n = pred.shape[0];
  const std::int64_t k = pred.shape.size() == 1 ? 1 : pred.shape[1];
  const std::int64_t kt = truth.shape.size() == 1 ? 1 : truth.shape[1];
  if (k != kt)
    throw data_error("input", "", "y_true and y_pred have different number of output (" + std::to_string(kt) + "!=" + std::to_string(k) + ")");
  // --multioutput: raw_values, uniform_average, or one weight an output.
  const std::string mo = s.param_text.count("multioutput") ? s.param_text.at("multioutput") : "uniform_average";
  std::vector<double> v(static_cast<std::size_t>(k), 1.0);
  const bool raw = mo == "raw_values";
  if (mo == "variance_weighted")
    throw usage_error("--multioutput", "variance_weighted: scikit-learn 1.2's " +
                                           std::string(kind == RegKind::Squared ? "mean_squared_error" : "mean_absolute_error") +
                                           " fails on it (TypeError: Axis must be specified when shapes of a and weights differ.)");
  if (mo != "raw_values" && mo != "uniform_average") {
    const std::vector<double> given = multioutput_weights(mo);
    if (k == 1) throw data_error("input", "", "Custom weights are useful only in multi-output cases.");
    if (static_cast<std::int64_t>(given.size()) != k)
      throw data_error("input", "", "There must be equally many custom weights (" + std::to_string(given.size()) + ") as outputs (" +
                                        std::to_string(k) + ").");
    v = given;
  }
  consistent_length({&truth, &pred, data.get("sample_weight")});
  const auto w = sample_weights(data, n);
  nonzero_weights(data, w);
  const bool squared = kind == RegKind::Absolute || s.number("squared") != 0;
  std::vector<double> x(pred.data.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(static_cast<T>(pred.data[i]));
  // Linear (mergeable, streamable): loss_ij = w_i v_j e_ij, share w_i v_j.
  core::Vec<double> loss(n * k);
  Eigen::ArrayXd share(n * k);
  std::vector<double> elem(x.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < k; ++j) {
      const auto at = static_cast<std::size_t>(i * k + j);
      const double d = truth.data[at] - x[at];
      elem[at] = kind == RegKind::Squared ? d * d : std::fabs(x[at] - truth.data[at]);
      loss[static_cast<Eigen::Index>(at)] = w[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(j)] * elem[at];
      share[static_cast<Eigen::Index>(at)] = w[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(j)];
    }
  if ((raw || !squared) && s.loss_only)
    throw usage_error(raw ? "--multioutput" : "--no-squared",
                      std::string(raw ? "raw_values" : "--no-squared") + " needs the whole data (one error an output); streamed rows give the average");
  const Shape elem_shape = pred.shape.size() == 1 ? Shape{n} : Shape{n, k};
  const auto f = core::forward_of<double>(loss, share);
  Result r = start(s, true);
  r.summary = describe(pred, &truth, "", -1) + (k > 1 ? ", " + std::to_string(k) + " outputs (" + mo + ")" : "") +
              sample_weight_note(data);
  // Per-output errors E_j = sum_i w_i e_ij / sum_i w_i (exact sums).
  std::vector<double> per_output(static_cast<std::size_t>(k));
  double wsum = 0;
  for (double u : w) wsum += u;
  for (std::int64_t j = 0; j < k && !(s.loss_only && squared && !raw); ++j) {  // (a stream sums the elements alone)
    core::ExactSum sum;
    for (std::int64_t i = 0; i < n; ++i) sum.add(w[static_cast<std::size_t>(i)] * elem[static_cast<std::size_t>(i * k + j)]);
    per_output[static_cast<std::size_t>(j)] = sum.value() / wsum;
    if (!squared) per_output[static_cast<std::size_t>(j)] = std::sqrt(per_output[static_cast<std::size_t>(j)]);
  }
  std::vector<double> dE(static_cast<std::size_t>(k), 0.0);  // d loss / d E_j
  if (raw || !squared) {
    // The loss from the per-output errors (not a mean of the elements; no
    // --partial, which cli.cpp refuses).
    double vsum = 0;
    for (double u : v) vsum += u;
    if (raw) {
      r.entries.push_back({"loss", Tensor{{k}, per_output}});
      std::fill(dE.begin(), dE.end(), 1.0);
    } else {
      double total = 0;
      for (std::int64_t j = 0; j < k; ++j) total += v[static_cast<std::size_t>(j)] * per_output[static_cast<std::size_t>(j)];
      r.entries.push_back({"loss", Tensor{{}, {total / vsum}}});
      for (std::int64_t j = 0; j < k; ++j) dE[static_cast<std::size_t>(j)] = v[static_cast<std::size_t>(j)] / vsum;
    }
    r.entries.push_back({"losses", Tensor{elem_shape, elem}});
  } else {
    const auto red = core::reduce(Reduction::Mean, f);
    add_loss(r, elem_shape, f, red, Reduction::Mean);
    if (k > 1 && !s.loss_only) {
      // scikit-learn's order: each output's mean, then their (weighted)
      // mean, np.average(output_errors, weights=multioutput). (A stream, or
      // merged --partial lines, divide the exact total once: the last bit
      // may differ.)
      double total = 0, vsum = 0;
      for (std::int64_t j = 0; j < k; ++j) {
        total += v[static_cast<std::size_t>(j)] * per_output[static_cast<std::size_t>(j)];
        vsum += v[static_cast<std::size_t>(j)];
      }
      for (auto& e : r.entries)
        if (e.key == "loss") e.value = Tensor{{}, {total / vsum}};
    }
    for (std::int64_t j = 0; j < k; ++j) dE[static_cast<std::size_t>(j)] = static_cast<double>(red.upstream[0]) * wsum * v[static_cast<std::size_t>(j)];
  }
  if (s.loss_only) return r;
  if (data.get("sample_weight") && !(raw || !squared)) r.entries.push_back({"unweighted_losses", Tensor{elem_shape, elem}});
  if (k > 1 && !raw) r.entries.push_back({"per_output", Tensor{{k}, per_output}});
  std::vector<double> g(x.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < k; ++j) {
      const auto at = static_cast<std::size_t>(i * k + j);
      const double e = x[at] - truth.data[at];
      double slope = kind == RegKind::Squared ? 2 * e : (e > 0 ? 1.0 : e < 0 ? -1.0 : 0.0);
      double chain = dE[static_cast<std::size_t>(j)] * w[static_cast<std::size_t>(i)] / wsum;
      if (!squared) chain /= 2 * per_output[static_cast<std::size_t>(j)];  // d sqrt(E) / dE
      g[at] = slope * chain;
    }
  r.entries.push_back({"grad", Tensor{pred.shape, g}});
  r.notes.push_back(std::string(kNoGradient) + (kind == RegKind::Absolute ? " (0 where y_pred = y_true)" : ""));
  return r;
}

}  // namespace

template <class T>
Result sklearn_mean_squared_error(const Data& data, const Settings& s) {
  return sklearn_regression<T>(data, s, RegKind::Squared);
}
template <class T>
Result sklearn_mean_absolute_error(const Data& data, const Settings& s) {
  return sklearn_regression<T>(data, s, RegKind::Absolute);
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(sklearn_log_loss)
LOSSCALC_INSTANTIATE(sklearn_brier_score_loss)
LOSSCALC_INSTANTIATE(sklearn_hinge_loss)
LOSSCALC_INSTANTIATE(sklearn_mean_squared_error)
LOSSCALC_INSTANTIATE(sklearn_mean_absolute_error)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
