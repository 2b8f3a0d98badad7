#include "registry.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/reduced_precision.h"
#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "read/text.h"

namespace losscalc {

namespace {

// ---- Parameters shared by several rows ------------------------------------
// A row copies the one it takes, and may change its default or help.

std::int64_t integer_of(const std::string& v) {
  std::int64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);  // checked before it is stored
  return n;
}
double number_of(const std::string& v) {
  double x = 0;
  read::parse_number(v, x);
  return x;
}

const Param kIgnoreIndexTorch{
    .name = "ignore-index", .type = ParamType::Integer, .default_value = "-100",
    .help = "target value to ignore: left out of the loss and of the mean's denominator",
    .store = [](Settings& s, const std::string& v) { s.ignore_index = integer_of(v); }};
const Param kIgnoreClassKeras{
    .name = "ignore-index", .type = ParamType::Integer, .default_value = "",
    .help = "keras ignore_class (default none): targets of this class are masked out",
    .store = kIgnoreIndexTorch.store};
const Param kLabelSmoothing{
    .name = "label-smoothing", .type = ParamType::Number, .default_value = "0", .help = "label smoothing in [0, 1]",
    .min = 0, .max = 1, .error = "label_smoothing must be between 0.0 and 1.0. Got: {}",
    .store = [](Settings& s, const std::string& v) { s.label_smoothing = number_of(v); }};
// --log-base: the log-likelihood losses in bits (2) or bans (10); unset,
// the natural log. Not recorded in --partial's settings when unset, so that
// shards from before the option merge with those after.
const Param kLogBase{
    .name = "log-base", .type = ParamType::Choice, .default_value = "",
    .help = "the loss and its gradient in log base 2 (bits) or 10, divided by ln 2 or ln 10 (default: the natural log)",
    .choices = {"2", "10"}, .unset = "", .grid = {"2", "10"}};
const Param kDimTorch{
    .name = "dim", .type = ParamType::Integer, .default_value = "",
    .help = "class dimension, negative counts from the end (default 1, or 0 for 1-D input)", .alias = "axis",
    .unset = "\"default\"",
    .store = [](Settings& s, const std::string& v) { s.dim = integer_of(v); }, .grid = {"0", "1", "-1"}};
const Param kAxisLast{.name = "dim", .type = ParamType::Integer, .default_value = "",
                      .help = "class axis, negative counts from the end (default -1, the last)", .alias = "axis",
                      .unset = "\"default\"", .store = kDimTorch.store, .grid = {"0", "1", "-1"}};
const Param kTargetType{
    .name = "target-type", .type = ParamType::Choice, .default_value = "auto",
    .help = "how to read TARGET: auto (class probabilities when TARGET has INPUT's shape), index or prob",
    .choices = {"auto", "index", "prob"},
    .store = [](Settings& s, const std::string& v) {
      s.target_type = v == "index" ? TargetType::Index : v == "prob" ? TargetType::Prob : TargetType::Auto;
    }};
const Param kFromLogits{.name = "from-logits", .type = ParamType::Flag, .default_value = "false",
                        .help = "INPUT holds logits, not probabilities",
                        .store = [](Settings& s, const std::string& v) { s.from_logits = v == "true"; }};
const Param kKerasEpsilon{
    .name = "epsilon", .type = ParamType::Number, .default_value = "1e-7",
    .help = "the backend epsilon: probabilities are clipped to [epsilon, 1 - epsilon]", .min = 0, .max = 0.5,
    .max_open = true, .error = "must be in [0, 0.5), got {}",
    .store = [](Settings& s, const std::string& v) { s.epsilon = number_of(v); }};
// compare --group: a comma-separated list of compare's groups.
const Param kCompareGroup{
    .name = "group", .type = ParamType::Text, .default_value = "",
    .help = "the groups to compare, comma-separated: multi-class, binary, hinge, multiclass-hinge, cosine, triplet, "
            "squared-error, absolute-error, huber, kl, poisson, focal, overlap, ctc (alone: logits (T, N, C), labels (N, S) padded with 0) "
            "(default: those the data suit)",
    .store = [](Settings&, const std::string& v) { ops::compare_group_titles(v); }};

const Param kInputKind{
    .name = "input-kind", .type = ParamType::Choice, .default_value = "auto",
    .help = "what INPUT holds: auto (probs when rows are distributions), logits or probs",
    .choices = {"auto", "logits", "probs"},
    .store = [](Settings& s, const std::string& v) {
      s.input_kind = v == "logits" ? InputKind::Logits : v == "probs" ? InputKind::Probabilities : InputKind::Auto;
    }};

// Keras's axis tuple of dice and tversky: comma-separated integers, "" for None.
const Param kKerasAxes{
    .name = "axis", .type = ParamType::Text, .default_value = "",
    .help = "the axes summed over, comma-separated (e.g. 1,2,3); default none: every axis, the batch included (one loss)",
    .store = [](Settings&, const std::string& v) {
      for (const std::string& item : comma_items(v)) {
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
        if (ec != std::errc() || end != item.data() + item.size())
          throw usage_error("--axis", "expected integers separated by commas, got '" + v + "'");
      }
    }};

Param with_help(Param p, std::string_view help) {
  p.help = help;
  return p;
}

// ---- Data arguments -------------------------------------------------------

DataArg input(std::string_view holds) { return {.name = "input", .holds = holds, .differentiable = true}; }
DataArg values() { return {.name = "input", .holds = "values"}; }
DataArg target(std::string_view holds) { return {.name = "target", .holds = holds}; }
DataArg regression_target() {
  return {.name = "target", .holds = "targets, of INPUT's shape (or broadcasting to it)", .differentiable = true};
}
DataArg class_weight() {
  return {.name = "weight", .holds = "per-class weights (length C)", .positional = false, .required = false,
          .per_row = false, .short_name = 'w'};
}
DataArg elementwise_weight() {
  return {.name = "weight", .holds = "weights, broadcast to INPUT", .positional = false, .required = false,
          .per_row = false, .short_name = 'w'};
}
DataArg pos_weight(bool required) {
  return {.name = "pos_weight", .holds = "weight of positive examples, broadcast to INPUT", .positional = false,
          .required = required, .per_row = false};
}

DataArg sample_weight() {
  return {.name = "sample_weight", .holds = "per-sample weights: a scalar, (N), (N, 1), ... (keras's squeeze or expand, then broadcasting)",
          .positional = false, .required = false};
}

DataArg sklearn_sample_weight() {
  return {.name = "sample_weight", .holds = "one weight a sample (N); the mean divides by their sum (np.average)",
          .positional = false, .required = false};
}

// scikit-learn's "auto" (the machine epsilon of y_pred's dtype) or a number.
void store_sklearn_eps(Settings& s, const std::string& v) {
  double x = 0;
  if (v == "auto") {
    s.numbers["eps"] = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  if (!read::parse_number(v, x) || !std::isfinite(x))
    throw usage_error("--eps", "invalid value '" + v + "': expected auto or a number");
  s.numbers["eps"] = x;
}

// normalize=False is the sum of the (weighted) losses: -r sum.
void store_normalize(Settings& s, const std::string& v) {
  s.numbers["normalize"] = v == "true";
  if (v != "false") return;
  if (s.reduction && *s.reduction == Reduction::Mean)
    throw usage_error("--no-normalize", "contradicts -r mean (normalize=False is the sum, -r sum)");
  s.reduction = Reduction::Sum;
}

void store_multioutput(Settings&, const std::string& v) {
  if (v != "raw_values" && v != "uniform_average" && v != "variance_weighted") ops::multioutput_weights(v);  // checks it
}

const Param kMultioutput{.name = "multioutput", .type = ParamType::Text, .default_value = "uniform_average",
                         .help = "raw_values (one error an output), uniform_average, or one weight an output (0.3,0.7)",
                         .store = &store_multioutput};

const std::vector<Reduction> kOptaxReductions{Reduction::None, Reduction::Mean, Reduction::Sum};
DataArg optional_target(std::string_view holds) {
  return {.name = "target", .holds = holds, .required = false, .differentiable = true};
}
DataArg optax_target(std::string_view holds) { return {.name = "target", .holds = holds, .differentiable = true}; }
const Param kOptaxDelta{.name = "delta", .type = ParamType::Number, .default_value = "1.0",
                        .help = "where the loss turns from quadratic to linear (optax takes any value)"};
const Param kPolyEpsilon{.name = "epsilon", .type = ParamType::Number, .default_value = "2.0",
                         .help = "the weight of the poly-1 term sum(labels (1 - softmax)) (any value)",
                         .store = [](Settings& s, const std::string& v) { s.numbers["epsilon"] = number_of(v); }};

// optax's segmentation losses.
DataArg optax_class_weights() {
  return {.name = "class_weights", .holds = "a weight a class (C) (rank 1), multiplying each class's loss", .positional = false,
          .required = false, .per_row = false};
}
const Param kOptaxSmooth{.name = "smooth", .type = ParamType::Number, .default_value = "1.0",
                         .help = "added to the numerator and the denominator", .grid = {"0", "1e-5", "1e-7"}};
const Param kApplySoftmax{.name = "apply-softmax", .type = ParamType::Flag, .default_value = "true",
                          .help = "apply a softmax over the last axis (a sigmoid for one channel); off: INPUT holds probabilities summing to 1"};
const Param kIgnoreBackground{.name = "ignore-background", .type = ParamType::Flag, .default_value = "false",
                              .help = "leave class 0 out of the reduction (when there is more than one channel)"};
const Param kOptaxDiceAxes{
    .name = "axis", .type = ParamType::Text, .default_value = "",
    .help = "the axes summed over, comma-separated; default none: the spatial axes 1 to ndim - 2 (none for (N, C))",
    .store = kKerasAxes.store};

const Param kOptaxCosineEpsilon{.name = "epsilon", .type = ParamType::Number, .default_value = "0.0",
                                .help = "the squared norms are clipped to at least epsilon (0: a zero vector gives NaN)",
                                .store = kPolyEpsilon.store};
// norm_degree as Python passes it: an integer (2) is jnp.power's integer_pow,
// a number written with a point or an exponent (2.0) lax.pow; 0 fails at
// optax's 1 / norm_degree.
void store_norm_degree(Settings& s, const std::string& v) {
  const double x = number_of(v);
  if (x == 0)
    throw usage_error("--norm-degree", std::string(v.find_first_of(".eE") == std::string::npos ? "division by zero" : "float division by zero") +
                                           " (optax computes 1 / norm_degree)");
  s.numbers["norm_degree"] = x;
}

constexpr const char* kClassTargets = "class indices, or class probabilities of INPUT's shape";
constexpr const char* kLabels = "labels in [0, 1] of INPUT's shape";
constexpr const char* kKerasProbs = "probabilities (or logits with --from-logits)";
const std::vector<Reduction> kTorchReductions{Reduction::Mean, Reduction::Sum, Reduction::None};
const std::vector<Reduction> kKerasReductions{Reduction::SumOverBatchSize, Reduction::Mean, Reduction::Sum, Reduction::None,
                                              Reduction::MeanWithSampleWeight};

// The row of `rows` whose name or alias is `name`; nullptr if none.
template <class Row>
const Row* find_named(const std::vector<Row>& rows, std::string_view name) {
  for (auto& r : rows) {
    if (r.name == name) return &r;
    for (auto a : r.aliases)
      if (a == name) return &r;
  }
  return nullptr;
}

}  // namespace

std::string DataArg::option() const {
  std::string o = "--" + std::string(name);
  for (char& c : o)
    if (c == '_') c = '-';
  return o;
}

std::vector<std::string> grid_of(const Param& p) {
  // The default as a number (NaN for none, and for flags).
  const double d = p.default_value.empty() || p.type == ParamType::Flag ? std::nan("") : number_of(std::string(p.default_value));
  std::vector<std::string_view> g = p.grid;
  if (g.empty()) {
    const std::string_view n = p.name;
    if (p.type == ParamType::Flag) g = {p.default_value == "true" ? "false" : "true"};
    else if (n == "label-smoothing") g = {"0.05", "0.1", "0.2"};
    else if ((n == "epsilon" || n == "eps") && p.type == ParamType::Number && !(d >= 1e-3))
      g = {"1e-7", "1e-8", "1e-12", "1e-15", "1.1920929e-07"};
    else if ((n == "delta" || n == "margin" || n == "beta") && p.type == ParamType::Number) g = {"0.5", "1", "2"};
  }
  std::vector<std::string> out;
  for (auto v : g) {
    if (v == p.default_value) continue;
    if (p.type != ParamType::Flag && number_of(std::string(v)) == d) continue;
    // A value outside the parameter's range is no candidate.
    if (p.type == ParamType::Number) {
      const double x = number_of(std::string(v));
      if (x < p.min || x > p.max || (p.min_open && x == p.min) || (p.max_open && x == p.max)) continue;
    }
    out.emplace_back(v);
  }
  return out;
}

void apply_param(Settings& s, const Param& p, const std::string& value) {
  s.param_text[p.key()] = value;
  if (value.empty()) return;
  if (p.store) {
    p.store(s, value);
  } else {
    double x = value == "true" ? 1 : 0;
    if (p.type != ParamType::Flag) read::parse_number(value, x);
    s.numbers[p.key()] = x;
  }
}

Settings default_settings(const FunctionSpec& fn) {
  Settings s;
  for (auto& p : fn.params) apply_param(s, p, std::string(p.default_value));
  return s;
}

Settings resolved_settings(const FunctionSpec& fn, const Data& data, Settings s) {
  if (!s.reduction) s.reduction = fn.default_reduction;
  if (!s.dim && fn.dim_default != DimDefault::Unset) {
    if (fn.dim_default == DimDefault::Last)
      s.dim = -1;
    else
      s.dim = data.input.dims() < 2 ? 0 : 1;
  }
  return s;
}

std::string Param::key() const {
  std::string k(name);
  for (char& c : k)
    if (c == '-') c = '_';
  return k;
}

const DataArg* FunctionSpec::arg(std::string_view n) const {
  for (auto& a : args)
    if (a.name == n) return &a;
  return nullptr;
}

const Param* FunctionSpec::param(std::string_view n) const {
  for (auto& p : params)
    if (p.name == n || (!p.alias.empty() && p.alias == n)) return &p;
  return nullptr;
}

std::vector<const DataArg*> FunctionSpec::row_args() const {
  std::vector<const DataArg*> out;
  for (auto& a : args)
    if (a.per_row) out.push_back(&a);
  return out;
}

const std::vector<FunctionSpec>& functions() {
  // One row a function. Designated fields, in FunctionSpec's order.
  static const std::vector<FunctionSpec> table = {
      {.name = "cross_entropy", .aliases = {"ce", "cross-entropy", "CrossEntropyLoss", "F.cross_entropy",
                                            "torch.nn.functional.cross_entropy", "nn.CrossEntropyLoss", "torch.nn.CrossEntropyLoss"},
       .family = Family::Torch, .summary = "torch cross-entropy of logits: class indices or class probabilities",
       .args = {input("logits"), target(kClassTargets), class_weight()},
       .params = {kIgnoreIndexTorch, kLabelSmoothing, kDimTorch, kTargetType, kLogBase}, .reductions = kTorchReductions,
       .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass, .layout = Layout::ClassAxis, .holds = Holds::Logits,
       .run_float = &ops::cross_entropy<float>, .run_double = &ops::cross_entropy<double>,
       .run_reduced = &ops::cross_entropy_reduced},
      {.name = "nll_loss", .aliases = {"nll", "nll-loss", "NLLLoss", "F.nll_loss", "torch.nn.functional.nll_loss", "nn.NLLLoss",
                                       "torch.nn.NLLLoss"},
       .family = Family::Torch, .summary = "torch negative log-likelihood of log-probabilities and class indices",
       .args = {input("log-probabilities"), target("class indices"), class_weight()},
       .params = {kIgnoreIndexTorch, kDimTorch,
                  with_help(kTargetType, "how to read TARGET: auto or index (nll_loss takes class indices only)"), kLogBase},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::ClassAxis, .holds = Holds::LogProbabilities, .run_float = &ops::nll_loss<float>, .run_double = &ops::nll_loss<double>,
       .run_reduced = &ops::nll_loss_reduced},
      {.name = "softmax", .aliases = {"Softmax", "F.softmax", "torch.softmax", "torch.nn.functional.softmax"}, .family = Family::Torch,
       .summary = "torch softmax along --dim", .args = {values()}, .params = {kDimTorch}, .reductions = {},
       .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass, .layout = Layout::ClassAxis, .holds = Holds::Values,
       .run_float = &ops::softmax<float>, .run_double = &ops::softmax<double>,
       .run_reduced = &ops::softmax_reduced},
      {.name = "log_softmax", .aliases = {"log-softmax", "LogSoftmax", "F.log_softmax", "torch.log_softmax",
                                          "torch.nn.functional.log_softmax"},
       .family = Family::Torch, .summary = "torch log_softmax along --dim", .args = {values()}, .params = {kDimTorch},
       .reductions = {}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::ClassAxis, .holds = Holds::Values, .run_float = &ops::log_softmax<float>, .run_double = &ops::log_softmax<double>,
       .run_reduced = &ops::log_softmax_reduced},
      {.name = "binary_cross_entropy", .aliases = {"bce", "binary-cross-entropy", "BCELoss", "F.binary_cross_entropy",
                                                   "torch.nn.functional.binary_cross_entropy", "nn.BCELoss", "torch.nn.BCELoss"},
       .family = Family::Torch, .summary = "torch binary cross-entropy of probabilities (logs clamped at -100)",
       .args = {input("probabilities in [0, 1]"), target(kLabels), elementwise_weight()}, .params = {kLogBase},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Probabilities, .run_float = &ops::binary_cross_entropy<float>,
       .run_double = &ops::binary_cross_entropy<double>,
       .bf16_cpu_error = "\"binary_cross_entropy\" not implemented for 'BFloat16'"},
      {.name = "binary_cross_entropy_with_logits",
       .aliases = {"bce_with_logits", "bce-with-logits", "BCEWithLogitsLoss", "F.binary_cross_entropy_with_logits",
                   "torch.nn.functional.binary_cross_entropy_with_logits", "nn.BCEWithLogitsLoss", "torch.nn.BCEWithLogitsLoss"},
       .family = Family::Torch, .summary = "torch binary cross-entropy of logits, with weight and pos_weight",
       .args = {input("logits"), target(kLabels), elementwise_weight(), pos_weight(false)}, .params = {kLogBase},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Logits, .run_float = &ops::binary_cross_entropy_with_logits<float>,
       .run_double = &ops::binary_cross_entropy_with_logits<double>},
      {.name = "mse_loss", .aliases = {"mse-loss", "MSELoss", "F.mse_loss", "torch.nn.functional.mse_loss", "nn.MSELoss",
                                       "torch.nn.MSELoss"},
       .family = Family::Torch,
       .summary = "torch mean squared error, elementwise (input and target broadcast, with torch's warning)",
       .args = {input("predictions"), regression_target()},
       .params = {}, .reductions = kTorchReductions, .default_reduction = Reduction::Mean,
       .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::mse_loss<float>,
       .run_double = &ops::mse_loss<double>,
       .bf16_cpu_error = "\"mse_cpu\" not implemented for 'BFloat16'", .explain_steps = &explain::squared_error_steps},
      {.name = "l1_loss", .aliases = {"l1-loss", "L1Loss", "F.l1_loss", "torch.nn.functional.l1_loss", "nn.L1Loss", "torch.nn.L1Loss"},
       .family = Family::Torch, .summary = "torch mean absolute error |x - y|, elementwise (broadcast, with torch's warning)",
       .args = {input("predictions"), regression_target()}, .params = {}, .reductions = kTorchReductions,
       .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::l1_loss<float>, .run_double = &ops::l1_loss<double>,
       .explain_steps = &explain::absolute_error_steps},
      {.name = "smooth_l1_loss", .aliases = {"smooth-l1-loss", "SmoothL1Loss", "F.smooth_l1_loss", "torch.nn.functional.smooth_l1_loss",
                                             "nn.SmoothL1Loss", "torch.nn.SmoothL1Loss"},
       .family = Family::Torch, .summary = "torch smooth L1: 0.5 z^2 / beta below beta, z - 0.5 beta above (z = |x - y|)",
       .args = {input("predictions"), regression_target()},
       .params = {{.name = "beta", .type = ParamType::Number, .default_value = "1.0",
                   .help = "where the loss turns from quadratic to linear; 0 is l1_loss", .min = 0,
                   .error = "smooth_l1_loss does not support negative values for beta."}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::smooth_l1_loss<float>,
       .run_double = &ops::smooth_l1_loss<double>, .explain_steps = &explain::smooth_l1_steps},
      {.name = "huber_loss", .aliases = {"huber-loss", "HuberLoss", "F.huber_loss", "torch.nn.functional.huber_loss", "nn.HuberLoss",
                                         "torch.nn.HuberLoss"},
       .family = Family::Torch, .summary = "torch Huber: 0.5 z^2 below delta, delta (z - 0.5 delta) above (= delta * smooth_l1 with beta = delta)",
       .args = {input("predictions"), regression_target()},
       .params = {{.name = "delta", .type = ParamType::Number, .default_value = "1.0",
                   .help = "where the loss turns from quadratic to linear", .min = 0, .min_open = true,
                   .error = "huber_loss does not support non-positive values for delta."}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::huber_loss<float>,
       .run_double = &ops::huber_loss<double>, .explain_steps = &explain::huber_steps},
      {.name = "kl_div", .aliases = {"kl-div", "KLDivLoss", "F.kl_div", "torch.nn.functional.kl_div", "nn.KLDivLoss", "torch.nn.KLDivLoss"},
       .family = Family::Torch,
       .summary = "torch KL divergence of log-probabilities from probabilities: p (log p - x); batchmean is the KL, mean C times smaller",
       .args = {input("log-probabilities log q"),
                {.name = "target", .holds = "probabilities p (log-probabilities with --log-target), broadcasting to INPUT",
                 .differentiable = true}},
       .params = {{.name = "log-target", .type = ParamType::Flag, .default_value = "false", .help = "TARGET holds log-probabilities"}, kLogBase},
       .reductions = {Reduction::Mean, Reduction::BatchMean, Reduction::Sum, Reduction::None}, .default_reduction = Reduction::Mean,
       .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise, .holds = Holds::LogProbabilities,
       .run_float = &ops::kl_div<float>, .run_double = &ops::kl_div<double>, .explain_steps = &explain::kl_div_steps},
      {.name = "poisson_nll_loss", .aliases = {"poisson-nll-loss", "PoissonNLLLoss", "F.poisson_nll_loss", "torch.nn.functional.poisson_nll_loss",
                                               "nn.PoissonNLLLoss", "torch.nn.PoissonNLLLoss"},
       .family = Family::Torch, .summary = "torch Poisson negative log-likelihood: exp(x) - t x, or x - t log(x + eps) with --no-log-input",
       .args = {input("log-rates (rates with --no-log-input)"), {.name = "target", .holds = "counts, broadcasting to INPUT", .differentiable = true}},
       .params = {{.name = "log-input", .type = ParamType::Flag, .default_value = "true",
                   .help = "INPUT holds log-rates (--no-log-input: rates)"},
                  {.name = "full", .type = ParamType::Flag, .default_value = "false",
                   .help = "add Stirling's term t log t - t + 0.5 log(2 pi t) where t > 1"},
                  {.name = "eps", .type = ParamType::Number, .default_value = "1e-8",
                   .help = "added to the rate inside the log (--no-log-input only)"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::poisson_nll_loss<float>,
       .run_double = &ops::poisson_nll_loss<double>, .explain_steps = &explain::poisson_nll_steps},
      {.name = "gaussian_nll_loss", .aliases = {"gaussian-nll-loss", "GaussianNLLLoss", "F.gaussian_nll_loss", "torch.nn.functional.gaussian_nll_loss",
                                                "nn.GaussianNLLLoss", "torch.nn.GaussianNLLLoss"},
       .family = Family::Torch, .summary = "torch Gaussian negative log-likelihood: 0.5 (log v + (x - y)^2 / v), v = max(var, eps)",
       .args = {input("means"), regression_target(),
                {.name = "var", .holds = "variances: of INPUT's shape, or one a row (INPUT's shape without its last dim, or with a last dim of 1)",
                 .differentiable = true, .unsqueezes_last = true}},
       .params = {{.name = "full", .type = ParamType::Flag, .default_value = "false", .help = "add the constant 0.5 log(2 pi)"},
                  {.name = "eps", .type = ParamType::Number, .default_value = "1e-6",
                   .help = "var is clamped to at least eps (without a gradient through the clamp)"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::gaussian_nll_loss<float>,
       .run_double = &ops::gaussian_nll_loss<double>, .explain_steps = &explain::gaussian_nll_steps},
      {.name = "margin_ranking_loss",
       .aliases = {"margin-ranking-loss", "MarginRankingLoss", "F.margin_ranking_loss", "torch.nn.functional.margin_ranking_loss",
                   "nn.MarginRankingLoss", "torch.nn.MarginRankingLoss"},
       .family = Family::Torch,
       .summary = "torch margin ranking loss: max(0, -y (x1 - x2) + margin), elementwise",
       .args = {{.name = "input1", .holds = "scores of the first items", .differentiable = true},
                {.name = "input2", .holds = "scores of the second items, of input1's shape (or broadcasting to it)",
                 .differentiable = true},
                {.name = "target", .holds = "1 where input1 should rank higher, -1 where input2 should (0 gives the margin)"}},
       .params = {{.name = "margin", .type = ParamType::Number, .default_value = "0",
                   .help = "the margin by which the preferred input should win"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::margin_ranking_loss<float>,
       .run_double = &ops::margin_ranking_loss<double>, .explain_steps = &explain::margin_ranking_steps},
      {.name = "sigmoid", .aliases = {"Sigmoid", "F.sigmoid", "torch.sigmoid"}, .family = Family::Torch,
       .summary = "torch sigmoid, elementwise", .args = {values()}, .params = {}, .reductions = {},
       .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise, .holds = Holds::Values,
       .run_float = &ops::sigmoid<float>, .run_double = &ops::sigmoid<double>},
      {.name = "hinge_embedding_loss", .aliases = {"HingeEmbeddingLoss", "nn.HingeEmbeddingLoss", "torch.nn.HingeEmbeddingLoss", "F.hinge_embedding_loss", "torch.nn.functional.hinge_embedding_loss"},
       .family = Family::Torch,
       .summary = "torch hinge embedding: x where y = 1, max(0, margin - x) where y = -1 (other y: both), elementwise",
       .args = {input("distances (or scores)"), target("1 or -1 (another value takes both branches, as torch)")},
       .params = {{.name = "margin", .type = ParamType::Number, .default_value = "1.0", .help = "the margin of the y = -1 branch"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::hinge_embedding_loss<float>,
       .run_double = &ops::hinge_embedding_loss<double>, .explain_steps = &explain::hinge_embedding_steps},
      {.name = "sigmoid_focal_loss",
       .aliases = {"torchvision.ops.sigmoid_focal_loss", "ops.sigmoid_focal_loss", "torchvision.ops.focal_loss.sigmoid_focal_loss"},
       .family = Family::Torch,
       .summary = "torchvision focal loss: alpha_t (1 - p_t)^gamma BCE with logits, elementwise; alpha 0.25 by default, reduction none",
       .args = {{.name = "inputs", .holds = "logits, any shape", .differentiable = true},
                {.name = "target", .holds = "0/1 labels (soft ones and any other values are taken as they are) of INPUTS' shape",
                 .differentiable = true, .alias = "targets"}},
       .params = {{.name = "alpha", .type = ParamType::Number, .default_value = "0.25",
                   .help = "weight of the positives, alpha_t = alpha y + (1 - alpha)(1 - y); negative: no alpha_t"},
                  {.name = "gamma", .type = ParamType::Number, .default_value = "2",
                   .help = "exponent of the modulating factor (1 - p_t)^gamma"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Logits, .run_float = &ops::sigmoid_focal_loss<float>,
       .run_double = &ops::sigmoid_focal_loss<double>, .explain_steps = &explain::sigmoid_focal_steps},
      {.name = "ctc_loss",
       .aliases = {"ctc-loss", "CTCLoss", "nn.CTCLoss", "torch.nn.CTCLoss", "F.ctc_loss", "torch.nn.functional.ctc_loss"},
       .family = Family::Torch,
       .summary = "torch connectionist temporal classification: -log p(targets | log_probs) over every alignment; mean divides each by its target length",
       .args = {{.name = "log_probs", .holds = "log-probabilities (T, N, C) or (T, C), time-major, log_softmax over C", .differentiable = true},
                {.name = "target", .holds = "class indices: (N, S) padded, or 1-D concatenated (sum of target_lengths)", .alias = "targets"},
                {.name = "input_lengths", .holds = "frames of each sample (N), at most T (a scalar for (T, C))"},
                {.name = "target_lengths", .holds = "labels of each sample (N) (a scalar for (T, C))"}},
       .params = {{.name = "blank", .type = ParamType::Integer, .default_value = "0", .help = "the blank's class index, in [0, C)",
                   .min = 0, .error = "blank must be in label range"},
                  {.name = "zero-infinity", .type = ParamType::Flag, .default_value = "false",
                   .help = "an impossible alignment (inf) gives loss 0 and gradient 0"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::LogProbabilities, .run_float = &ops::ctc_loss<float>,
       .run_double = &ops::ctc_loss<double>,
       .bf16_cpu_error = "\"ctc_loss_cpu\" not implemented for 'BFloat16'", .whole_batch = true},
      {.name = "soft_margin_loss", .aliases = {"SoftMarginLoss", "nn.SoftMarginLoss", "torch.nn.SoftMarginLoss", "F.soft_margin_loss", "torch.nn.functional.soft_margin_loss"},
       .family = Family::Torch, .summary = "torch soft margin (logistic): log(1 + exp(-y x)), elementwise",
       .args = {input("scores"), target("labels 1 or -1 (any value is taken), broadcasting to INPUT")}, .params = {},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::soft_margin_loss<float>,
       .run_double = &ops::soft_margin_loss<double>, .explain_steps = &explain::soft_margin_steps},
      {.name = "multilabel_soft_margin_loss",
       .aliases = {"MultiLabelSoftMarginLoss", "nn.MultiLabelSoftMarginLoss", "torch.nn.MultiLabelSoftMarginLoss", "F.multilabel_soft_margin_loss", "torch.nn.functional.multilabel_soft_margin_loss"},
       .family = Family::Torch,
       .summary = "torch multi-label soft margin: the mean over classes (the last dim) of BCE with logits, then over samples",
       .args = {input("logits (N, C)"), {.name = "target", .holds = "0/1 (or soft) labels of INPUT's shape", .differentiable = true},
                elementwise_weight()},
       .params = {}, .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::multilabel_soft_margin_loss<float>,
       .run_double = &ops::multilabel_soft_margin_loss<double>, .explain_steps = &explain::multilabel_soft_margin_steps},
      {.name = "multi_margin_loss", .aliases = {"MultiMarginLoss", "nn.MultiMarginLoss", "torch.nn.MultiMarginLoss", "F.multi_margin_loss", "torch.nn.functional.multi_margin_loss"},
       .family = Family::Torch,
       .summary = "torch multi-class hinge: sum over j != y of w[y] max(0, margin - x[y] + x[j])^p / C (C counts the true class)",
       .args = {input("scores (N, C) or (C)"), target("class indices (N) (or one for a (C) input)"), class_weight()},
       .params = {{.name = "p", .type = ParamType::Number, .default_value = "1", .help = "1 or 2: the hinge or its square",
                   .store = [](Settings& s, const std::string& v) {
                     const double x = number_of(v);
                     if (x != 1 && x != 2) throw usage_error("--p", "only p == 1 and p == 2 supported");
                     s.numbers["p"] = x;
                   }},
                  {.name = "margin", .type = ParamType::Number, .default_value = "1.0", .help = "the margin the true class should win by"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::multi_margin_loss<float>,
       .run_double = &ops::multi_margin_loss<double>,
       .bf16_cpu_error = "\"multi_margin_loss_cpu_kernel\" not implemented for 'BFloat16'", .explain_steps = &explain::multi_margin_steps},
      {.name = "multilabel_margin_loss",
       .aliases = {"MultiLabelMarginLoss", "nn.MultiLabelMarginLoss", "torch.nn.MultiLabelMarginLoss", "F.multilabel_margin_loss", "torch.nn.functional.multilabel_margin_loss"},
       .family = Family::Torch,
       .summary = "torch multi-label hinge: over each label j (the target's indices up to the first -1) and non-label i, max(0, 1 - (x[j] - x[i])) / C",
       .args = {input("scores (N, C) or (C)"), target("class indices of INPUT's shape, read up to the first -1")}, .params = {},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::multilabel_margin_loss<float>,
       .run_double = &ops::multilabel_margin_loss<double>,
       .bf16_cpu_error = "\"multilabel_margin_loss_forward_out_frame\" not implemented for 'BFloat16'", .explain_steps = &explain::multilabel_margin_steps},
      {.name = "cosine_embedding_loss",
       .aliases = {"CosineEmbeddingLoss", "nn.CosineEmbeddingLoss", "torch.nn.CosineEmbeddingLoss", "F.cosine_embedding_loss", "torch.nn.functional.cosine_embedding_loss"},
       .family = Family::Torch,
       .summary = "torch cosine embedding: 1 - cos where y = 1, max(0, cos - margin) where y = -1; cos with 1e-12 in each squared norm",
       .args = {{.name = "input1", .holds = "vectors (N, D) or (D)", .differentiable = true},
                {.name = "input2", .holds = "vectors of input1's shape", .differentiable = true},
                {.name = "target", .holds = "1 (similar) or -1 (dissimilar), one a row (N) or a scalar for (D)"}},
       .params = {{.name = "margin", .type = ParamType::Number, .default_value = "0", .help = "the cosine a dissimilar pair may reach free"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::cosine_embedding_loss<float>,
       .run_double = &ops::cosine_embedding_loss<double>, .explain_steps = &explain::cosine_embedding_steps,
       .explain_rows = {"input", "input2", "target", "cos"}},
      {.name = "triplet_margin_loss",
       .aliases = {"TripletMarginLoss", "nn.TripletMarginLoss", "torch.nn.TripletMarginLoss", "F.triplet_margin_loss", "torch.nn.functional.triplet_margin_loss"},
       .family = Family::Torch,
       .summary = "torch triplet: max(d(a, p) - d(a, n) + margin, 0), d = ||u - v + eps||_p (eps inside the difference)",
       .args = {{.name = "anchor", .holds = "anchors (N, D) or (D)", .differentiable = true},
                {.name = "positive", .holds = "positives, of the anchor's shape", .differentiable = true},
                {.name = "negative", .holds = "negatives, of the anchor's shape", .differentiable = true}},
       .params = {{.name = "margin", .type = ParamType::Number, .default_value = "1.0", .help = "the margin"},
                  {.name = "p", .type = ParamType::Number, .default_value = "2", .help = "the norm's degree"},
                  {.name = "eps", .type = ParamType::Number, .default_value = "1e-06", .help = "added to each difference u - v"},
                  {.name = "swap", .type = ParamType::Flag, .default_value = "false", .help = "the negative's distance: min(d(a, n), d(p, n))"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::triplet_margin_loss<float>,
       .run_double = &ops::triplet_margin_loss<double>, .explain_steps = &explain::triplet_steps,
       .explain_rows = {"input", "positive", "negative", "distance_positive", "distance_negative"}},
      {.name = "triplet_margin_with_distance_loss",
       .aliases = {"TripletMarginWithDistanceLoss", "nn.TripletMarginWithDistanceLoss", "torch.nn.TripletMarginWithDistanceLoss", "F.triplet_margin_with_distance_loss",
                   "torch.nn.functional.triplet_margin_with_distance_loss"},
       .family = Family::Torch,
       .summary = "torch triplet with a distance function: pairwise (F.pairwise_distance) or cosine (1 - F.cosine_similarity)",
       .args = {{.name = "anchor", .holds = "anchors (N, D) or (D)", .differentiable = true},
                {.name = "positive", .holds = "positives, of the anchor's shape", .differentiable = true},
                {.name = "negative", .holds = "negatives, of the anchor's shape", .differentiable = true}},
       .params = {{.name = "distance-function", .type = ParamType::Choice, .default_value = "pairwise",
                   .help = "pairwise (F.pairwise_distance, p 2, eps 1e-6) or cosine (1 - F.cosine_similarity)", .choices = {"pairwise", "cosine"},
                   .store = [](Settings&, const std::string&) {}},
                  {.name = "margin", .type = ParamType::Number, .default_value = "1.0", .help = "the margin (any value: torch 1.13 does not check it)"},
                  {.name = "swap", .type = ParamType::Flag, .default_value = "false", .help = "the negative's distance: min(d(a, n), d(p, n))"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::triplet_margin_with_distance_loss<float>,
       .run_double = &ops::triplet_margin_with_distance_loss<double>, .explain_steps = &explain::triplet_steps,
       .explain_rows = {"input", "positive", "negative", "distance_positive", "distance_negative"}},
      {.name = "softmax_cross_entropy_with_logits", .aliases = {"tf.nn.softmax_cross_entropy_with_logits"},
       .family = Family::TfNn,
       .summary = "tf.nn softmax cross-entropy: logits and class probabilities, classes on --axis (-1)",
       .args = {input("logits"), target("class probabilities (or one-hot) of INPUT's shape")}, .params = {kAxisLast, kLogBase},
       .reductions = kTorchReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::softmax_cross_entropy_with_logits<float>,
       .run_double = &ops::softmax_cross_entropy_with_logits<double>},
      {.name = "sparse_softmax_cross_entropy_with_logits", .aliases = {"tf.nn.sparse_softmax_cross_entropy_with_logits"},
       .family = Family::TfNn, .summary = "tf.nn sparse softmax cross-entropy: logits and class indices, classes last",
       .args = {input("logits"), target("class indices")}, .params = {kLogBase}, .reductions = kTorchReductions,
       .default_reduction = Reduction::None, .dim_default = DimDefault::Last, .layout = Layout::ClassAxis, .holds = Holds::Logits,
       .run_float = &ops::sparse_softmax_cross_entropy_with_logits<float>,
       .run_double = &ops::sparse_softmax_cross_entropy_with_logits<double>},
      {.name = "sigmoid_cross_entropy_with_logits", .aliases = {"tf.nn.sigmoid_cross_entropy_with_logits"},
       .family = Family::TfNn, .summary = "tf.nn sigmoid cross-entropy of logits and labels, elementwise",
       .args = {input("logits"), target(kLabels)}, .params = {kLogBase}, .reductions = kTorchReductions,
       .default_reduction = Reduction::None, .dim_default = DimDefault::Last, .layout = Layout::Elementwise, .holds = Holds::Logits,
       .run_float = &ops::sigmoid_cross_entropy_with_logits<float>,
       .run_double = &ops::sigmoid_cross_entropy_with_logits<double>},
      {.name = "weighted_cross_entropy_with_logits", .aliases = {"tf.nn.weighted_cross_entropy_with_logits"},
       .family = Family::TfNn, .summary = "tf.nn sigmoid cross-entropy with --pos-weight (required), elementwise",
       .args = {input("logits"), target(kLabels), pos_weight(true)}, .params = {kLogBase}, .reductions = kTorchReductions,
       .default_reduction = Reduction::None, .dim_default = DimDefault::Last, .layout = Layout::Elementwise, .holds = Holds::Logits,
       .run_float = &ops::weighted_cross_entropy_with_logits<float>,
       .run_double = &ops::weighted_cross_entropy_with_logits<double>},
      {.name = "tf.nn.ctc_loss", .aliases = {"tf.compat.v2.nn.ctc_loss"}, .family = Family::TfNn,
       .summary = "tf.nn CTC with dense labels: -log p(labels | softmax(logits)) one an example; grad w.r.t. logits softmax - occupancy",
       .args = {{.name = "logits", .holds = "logits (T, B, C) time-major (or (B, T, C) with --no-logits-time-major); the softmax is taken inside",
                 .differentiable = true},
                {.name = "target", .holds = "labels (B, max label length), dense, padded (values past label_length not read)", .alias = "labels"},
                {.name = "logit_length", .holds = "frames of each example (B), at most T"},
                {.name = "label_length", .holds = "labels of each example (B)"}},
       .params = {{.name = "logits-time-major", .type = ParamType::Flag, .default_value = "true", .help = "logits are (T, B, C); --no-logits-time-major: (B, T, C)"},
                  {.name = "blank-index", .type = ParamType::Integer, .default_value = "0",
                   .help = "the blank's class (TF 2's default 0); negative counts from C, as TF's"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::tf_ctc_loss<float>,
       .run_double = &ops::tf_ctc_loss<double>, .whole_batch = true},
      {.name = "log_poisson_loss", .aliases = {"tf.nn.log_poisson_loss"}, .family = Family::TfNn,
       .summary = "tf.nn Poisson loss of log-rates: exp(c) - c z, elementwise (targets first in tf.nn's call)",
       .args = {input("log-rates (log_input)"), target("counts (targets) of INPUT's shape")},
       .params = {{.name = "compute-full-loss", .type = ParamType::Flag, .default_value = "false",
                   .help = "add Stirling's term z log z - z + 0.5 log(2 pi z) where z is not in [0, 1]"}},
       .reductions = kTorchReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::log_poisson_loss<float>,
       .run_double = &ops::log_poisson_loss<double>, .explain_steps = &explain::log_poisson_steps},
      {.name = "l2_loss", .aliases = {"tf.nn.l2_loss"}, .family = Family::TfNn,
       .summary = "tf.nn L2 loss: sum(t^2) / 2 of one tensor (a regularizer: always summed, half the squares)",
       .args = {{.name = "input", .holds = "values t", .differentiable = true}}, .params = {},
       .reductions = {Reduction::Sum}, .default_reduction = Reduction::Sum, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Values, .run_float = &ops::l2_loss<float>,
       .run_double = &ops::l2_loss<double>, .explain_steps = &explain::half_squares_steps},
      {.name = "categorical_crossentropy",
       .aliases = {"CategoricalCrossentropy", "keras.losses.categorical_crossentropy", "keras.losses.CategoricalCrossentropy"},
       .family = Family::Keras,
       .summary = "keras categorical cross-entropy: probabilities (clipped) or --from-logits, class probabilities",
       .args = {input(kKerasProbs), target("class probabilities (or one-hot) of INPUT's shape"), sample_weight()},
       .params = {kFromLogits, kLabelSmoothing, kKerasEpsilon, kAxisLast, kLogBase}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::ClassAxis, .holds = Holds::Probabilities,
       .run_float = &ops::categorical_crossentropy<float>, .run_double = &ops::categorical_crossentropy<double>},
      {.name = "sparse_categorical_crossentropy",
       .aliases = {"SparseCategoricalCrossentropy", "keras.losses.sparse_categorical_crossentropy",
                   "keras.losses.SparseCategoricalCrossentropy"},
       .family = Family::Keras,
       .summary = "keras sparse categorical cross-entropy: class indices, --ignore-index as ignore_class",
       .args = {input(kKerasProbs), target("class indices"), sample_weight()},
       .params = {kFromLogits, kIgnoreClassKeras, kKerasEpsilon, kAxisLast, kLogBase}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::ClassAxis, .holds = Holds::Probabilities,
       .run_float = &ops::sparse_categorical_crossentropy<float>,
       .run_double = &ops::sparse_categorical_crossentropy<double>},
      {.name = "binary_crossentropy",
       .aliases = {"BinaryCrossentropy", "keras.losses.binary_crossentropy", "keras.losses.BinaryCrossentropy"},
       .family = Family::Keras,
       .summary = "keras binary cross-entropy: mean over the last axis per sample, clipped probabilities or --from-logits",
       .args = {input(kKerasProbs), target(kLabels), sample_weight()}, .params = {kFromLogits, kLabelSmoothing, kKerasEpsilon, kAxisLast, kLogBase},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Probabilities, .run_float = &ops::binary_crossentropy<float>,
       .run_double = &ops::binary_crossentropy<double>},
      {.name = "binary_focal_crossentropy",
       .aliases = {"BinaryFocalCrossentropy", "keras.losses.binary_focal_crossentropy", "keras.losses.BinaryFocalCrossentropy"},
       .family = Family::Keras,
       .summary = "keras binary focal cross-entropy: (1 - p_t)^gamma BCE (clipped), mean over the last axis; alpha only with --apply-class-balancing",
       .args = {input(kKerasProbs), target(kLabels), sample_weight()},
       .params = {{.name = "apply-class-balancing", .type = ParamType::Flag, .default_value = "false",
                   .help = "weight each element by alpha y + (1 - alpha)(1 - y) (off: alpha is not used)"},
                  {.name = "alpha", .type = ParamType::Number, .default_value = "0.25",
                   .help = "the positives' weight with --apply-class-balancing"},
                  {.name = "gamma", .type = ParamType::Number, .default_value = "2", .help = "exponent of the focal factor (1 - p_t)^gamma"},
                  kFromLogits, kLabelSmoothing, kKerasEpsilon, kAxisLast},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Probabilities, .run_float = &ops::binary_focal_crossentropy<float>,
       .run_double = &ops::binary_focal_crossentropy<double>, .explain_steps = &explain::keras_binary_focal_steps},
      {.name = "categorical_focal_crossentropy",
       .aliases = {"CategoricalFocalCrossentropy", "keras.losses.categorical_focal_crossentropy", "keras.losses.CategoricalFocalCrossentropy"},
       .family = Family::Keras,
       .summary = "keras categorical focal cross-entropy: sum over the class axis of alpha (1 - q)^gamma (-y log q), q renormalised and clipped",
       .args = {input(kKerasProbs), target("one-hot labels (or class probabilities) of INPUT's shape"), sample_weight()},
       .params = {{.name = "alpha", .type = ParamType::Number, .default_value = "0.25", .help = "one weight for every class"},
                  {.name = "gamma", .type = ParamType::Number, .default_value = "2",
                   .help = "exponent of the modulating factor (1 - q)^gamma"},
                  kFromLogits, kLabelSmoothing, kKerasEpsilon, kAxisLast},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Probabilities, .run_float = &ops::categorical_focal_crossentropy<float>,
       .run_double = &ops::categorical_focal_crossentropy<double>, .explain_steps = &explain::keras_categorical_focal_steps},
      {.name = "dice", .aliases = {"Dice", "keras.losses.dice", "keras.losses.Dice"}, .family = Family::Keras,
       .summary = "keras Dice loss: 1 - 2 sum(y_true y_pred) / (sum y_true + sum y_pred + 1e-7) over --axis (default: everything, one loss)",
       .args = {input("predictions (y_pred), probabilities"), target("targets (y_true) of INPUT's shape"), sample_weight()},
       .params = {kKerasAxes, with_help(kKerasEpsilon, "the backend epsilon, added to the denominator only")},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Unset,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::dice<float>, .run_double = &ops::dice<double>,
       .explain_steps = &explain::keras_overlap_steps, .explain_rows = {"input", "target"}, .whole_batch = true},
      {.name = "tversky", .aliases = {"Tversky", "keras.losses.tversky", "keras.losses.Tversky"}, .family = Family::Keras,
       .summary = "keras Tversky loss: 1 - TP / (TP + alpha FP + beta FN + 1e-7) over --axis (default: everything, one loss)",
       .args = {input("predictions (y_pred), probabilities"), target("targets (y_true) of INPUT's shape"), sample_weight()},
       .params = {{.name = "alpha", .type = ParamType::Number, .default_value = "0.5", .help = "the weight of the false positives"},
                  {.name = "beta", .type = ParamType::Number, .default_value = "0.5", .help = "the weight of the false negatives"},
                  kKerasAxes, with_help(kKerasEpsilon, "the backend epsilon, added to the denominator only")},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Unset,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::tversky<float>, .run_double = &ops::tversky<double>,
       .explain_steps = &explain::keras_overlap_steps, .explain_rows = {"input", "target"}, .whole_batch = true},
      {.name = "mean_squared_error", .aliases = {"mse", "MSE", "MeanSquaredError", "keras.losses.mean_squared_error", "keras.losses.MeanSquaredError"}, .family = Family::Keras,
       .summary = "keras mean squared error: mean over the last axis of (y_true - y_pred)^2 per sample, then the keras reduction",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::mean_squared_error<float>, .run_double = &ops::mean_squared_error<double>,
       .explain_steps = &explain::keras_squared_error_steps},
      {.name = "mean_absolute_error", .aliases = {"mae", "MAE", "MeanAbsoluteError", "keras.losses.mean_absolute_error", "keras.losses.MeanAbsoluteError"}, .family = Family::Keras,
       .summary = "keras mean absolute error: mean over the last axis of |y_true - y_pred| per sample",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::mean_absolute_error<float>, .run_double = &ops::mean_absolute_error<double>,
       .explain_steps = &explain::keras_absolute_error_steps},
      {.name = "mean_absolute_percentage_error", .aliases = {"mape", "MAPE", "MeanAbsolutePercentageError", "keras.losses.mean_absolute_percentage_error", "keras.losses.MeanAbsolutePercentageError"}, .family = Family::Keras,
       .summary = "keras MAPE, in percent: 100 mean |(y_true - y_pred) / max(|y_true|, epsilon)|",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {with_help(kKerasEpsilon, "the backend epsilon (keras.config.epsilon())")}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::mean_absolute_percentage_error<float>, .run_double = &ops::mean_absolute_percentage_error<double>,
       .explain_steps = &explain::keras_percentage_error_steps},
      {.name = "mean_squared_logarithmic_error", .aliases = {"msle", "MSLE", "MeanSquaredLogarithmicError", "keras.losses.mean_squared_logarithmic_error", "keras.losses.MeanSquaredLogarithmicError"}, .family = Family::Keras,
       .summary = "keras MSLE: mean of (log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1))^2 (float32's 1e-7)",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::mean_squared_logarithmic_error<float>, .run_double = &ops::mean_squared_logarithmic_error<double>,
       .explain_steps = &explain::keras_squared_log_error_steps},
      {.name = "huber", .aliases = {"Huber", "keras.losses.huber", "keras.losses.Huber"}, .family = Family::Keras,
       .summary = "keras Huber: mean over the last axis of 0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {{.name = "delta", .type = ParamType::Number, .default_value = "1.0", .help = "where the loss turns from quadratic to linear (keras takes any value)"}}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::huber<float>, .run_double = &ops::huber<double>,
       .explain_steps = &explain::keras_huber_steps},
      {.name = "log_cosh", .aliases = {"logcosh", "LogCosh", "keras.losses.log_cosh", "keras.losses.LogCosh"}, .family = Family::Keras,
       .summary = "keras log-cosh: mean over the last axis of e + softplus(-2 e) - log 2 (TF's softplus, float32's log 2)",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::log_cosh<float>, .run_double = &ops::log_cosh<double>,
       .explain_steps = &explain::keras_log_cosh_steps},
      {.name = "kl_divergence", .aliases = {"kld", "KLD", "KLDivergence", "keras.losses.kl_divergence", "keras.losses.KLDivergence"}, .family = Family::Keras,
       .summary = "keras KL divergence of probabilities: sum over the last axis of clip(y_true) log(clip(y_true) / clip(y_pred)), clip to [epsilon, 1]",
       .args = {input("probabilities q (y_pred)"), target("probabilities p (y_true), broadcasting to INPUT"), sample_weight()}, .params = {with_help(kKerasEpsilon, "the backend epsilon (keras.config.epsilon())"), kLogBase}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Probabilities, .run_float = &ops::kl_divergence<float>, .run_double = &ops::kl_divergence<double>,
       .explain_steps = &explain::keras_kl_divergence_steps},
      {.name = "poisson", .aliases = {"Poisson", "keras.losses.poisson", "keras.losses.Poisson"}, .family = Family::Keras,
       .summary = "keras Poisson: mean over the last axis of y_pred - y_true log(y_pred + epsilon)",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT after keras's squeeze or expand"), sample_weight()}, .params = {with_help(kKerasEpsilon, "the backend epsilon (keras.config.epsilon())")}, .reductions = kKerasReductions,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .holds = Holds::Predictions, .run_float = &ops::poisson<float>, .run_double = &ops::poisson<double>,
       .explain_steps = &explain::keras_poisson_steps},
      {.name = "optax.squared_error", .aliases = {"squared_error", "optax.losses.squared_error"}, .family = Family::Optax,
       .summary = "optax (y - t)^2 per element; shapes must be equal (no broadcasting)",
       .args = {input("predictions"), optional_target("targets, of INPUT's shape")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::optax_squared_error<float>,
       .run_double = &ops::optax_squared_error<double>,
       .explain_steps = &explain::optax_squared_steps},
      {.name = "optax.l2_loss", .aliases = {"optax.losses.l2_loss"}, .family = Family::Optax,
       .summary = "optax 0.5 (y - t)^2 per element (half the squared error); shapes must be equal",
       .args = {input("predictions"), optional_target("targets, of INPUT's shape")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::optax_l2_loss<float>,
       .run_double = &ops::optax_l2_loss<double>,
       .explain_steps = &explain::optax_half_squared_steps},
      {.name = "optax.huber_loss", .aliases = {"optax.losses.huber_loss"}, .family = Family::Optax,
       .summary = "optax Huber per element: 0.5 e^2 within delta, delta (|e| - delta / 2) beyond; broadcasts",
       .args = {input("predictions"), optional_target("targets (optional: 0), broadcasting")}, .params = {kOptaxDelta},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::optax_huber_loss<float>,
       .run_double = &ops::optax_huber_loss<double>,
       .explain_steps = &explain::optax_huber_steps},
      {.name = "optax.log_cosh", .aliases = {"optax.losses.log_cosh"}, .family = Family::Optax,
       .summary = "optax log(cosh(e)) per element, as logaddexp(e, -e) - log 2; broadcasts",
       .args = {input("predictions"), optional_target("targets (optional: 0), broadcasting")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::optax_log_cosh<float>,
       .run_double = &ops::optax_log_cosh<double>,
       .explain_steps = &explain::optax_log_cosh_steps},
      {.name = "optax.kl_divergence", .aliases = {"optax.losses.kl_divergence"}, .family = Family::Optax,
       .summary = "optax KL of log-predictions from targets: sum over --axis of t (log t - log q), 0 where t = 0",
       .args = {input("log-predictions (log q)"), optax_target("targets (probabilities p)")}, .params = {kAxisLast, kLogBase},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::LogProbabilities, .run_float = &ops::optax_kl_divergence<float>,
       .run_double = &ops::optax_kl_divergence<double>,
       .explain_steps = &explain::optax_kl_steps},
      {.name = "optax.kl_divergence_with_log_targets", .aliases = {"kl_divergence_with_log_targets", "optax.losses.kl_divergence_with_log_targets"}, .family = Family::Optax,
       .summary = "optax KL with log-targets: sum over --axis of exp(lt) (lt - log q)",
       .args = {input("log-predictions (log q)"), optax_target("log-targets (log p)")}, .params = {kAxisLast, kLogBase},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::LogProbabilities, .run_float = &ops::optax_kl_divergence_with_log_targets<float>,
       .run_double = &ops::optax_kl_divergence_with_log_targets<double>,
       .explain_steps = &explain::optax_kl_steps},
      {.name = "optax.generalized_kl_divergence", .aliases = {"generalized_kl_divergence", "optax.losses.generalized_kl_divergence"}, .family = Family::Optax,
       .summary = "optax generalized KL: the KL plus sum(exp(log q) - t), for unnormalised measures",
       .args = {input("log-predictions (log q)"), optax_target("targets (nonnegative)")}, .params = {kAxisLast},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::LogProbabilities, .run_float = &ops::optax_generalized_kl_divergence<float>,
       .run_double = &ops::optax_generalized_kl_divergence<double>,
       .explain_steps = &explain::optax_kl_steps},
      {.name = "optax.convex_kl_divergence", .aliases = {"convex_kl_divergence", "optax.losses.convex_kl_divergence"}, .family = Family::Optax,
       .summary = "optax convex_kl_divergence: the deprecated name (since 0.2.7) of generalized_kl_divergence, the same numbers",
       .args = {input("log-predictions (log q)"), optax_target("targets (nonnegative)")}, .params = {kAxisLast},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::LogProbabilities, .run_float = &ops::optax_generalized_kl_divergence<float>,
       .run_double = &ops::optax_generalized_kl_divergence<double>,
       .explain_steps = &explain::optax_kl_steps},
      {.name = "optax.softmax_cross_entropy", .aliases = {"softmax_cross_entropy", "optax.losses.softmax_cross_entropy"}, .family = Family::Optax,
       .summary = "optax softmax cross-entropy of logits and label distributions along --axis: -sum labels log_softmax",
       .args = {input("logits"), optax_target("labels (class probabilities), broadcasting")}, .params = {kAxisLast, kLogBase},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_softmax_cross_entropy<float>,
       .run_double = &ops::optax_softmax_cross_entropy<double>,
       .explain_steps = &explain::optax_softmax_ce_steps},
      {.name = "optax.softmax_cross_entropy_with_integer_labels", .aliases = {"softmax_cross_entropy_with_integer_labels", "optax.losses.softmax_cross_entropy_with_integer_labels"}, .family = Family::Optax,
       .summary = "optax softmax cross-entropy of logits and integer labels along --axis: logsumexp - logit[label]",
       .args = {input("logits"), target("integer labels (INPUT's shape without --axis); out of range: NaN, as take_along_axis")}, .params = {kAxisLast, kLogBase},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_softmax_cross_entropy_with_integer_labels<float>,
       .run_double = &ops::optax_softmax_cross_entropy_with_integer_labels<double>,
       .explain_steps = &explain::optax_integer_ce_steps},
      {.name = "optax.safe_softmax_cross_entropy", .aliases = {"safe_softmax_cross_entropy", "optax.losses.safe_softmax_cross_entropy"}, .family = Family::Optax,
       .summary = "optax softmax cross-entropy with 0 log 0 = 0 (a -inf logit with label 0 costs 0), last axis",
       .args = {input("logits"), optax_target("labels (class probabilities)")}, .params = {kLogBase},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_safe_softmax_cross_entropy<float>,
       .run_double = &ops::optax_safe_softmax_cross_entropy<double>,
       .explain_steps = &explain::optax_softmax_ce_steps},
      {.name = "optax.sigmoid_binary_cross_entropy", .aliases = {"sigmoid_binary_cross_entropy", "optax.losses.sigmoid_binary_cross_entropy"}, .family = Family::Optax,
       .summary = "optax sigmoid BCE per element: -y log_sigmoid(x) - (1 - y) log_sigmoid(-x); broadcasts",
       .args = {input("logits"), optax_target("labels (in [0, 1]), broadcasting")}, .params = {kLogBase},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Logits, .run_float = &ops::optax_sigmoid_binary_cross_entropy<float>,
       .run_double = &ops::optax_sigmoid_binary_cross_entropy<double>,
       .explain_steps = &explain::optax_sigmoid_steps},
      {.name = "optax.sigmoid_focal_loss", .aliases = {"optax.losses.sigmoid_focal_loss"}, .family = Family::Optax,
       .summary = "optax focal loss: (1 - p_t)^gamma sigmoid BCE per element, log(1 - p_t) in log space; alpha none by default",
       .args = {input("logits"), optax_target("labels (0/1 or soft, in [0, 1]), broadcasting")},
       .params = {{.name = "alpha", .type = ParamType::Number, .default_value = "",
                   .help = "weight alpha y + (1 - alpha)(1 - y) (default none: no weighting; torchvision's default is 0.25)",
                   .grid = {"0.25"}},
                  {.name = "gamma", .type = ParamType::Number, .default_value = "2.0", .help = "exponent of the modulating factor (1 - p_t)^gamma"}},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Logits, .run_float = &ops::optax_sigmoid_focal_loss<float>,
       .run_double = &ops::optax_sigmoid_focal_loss<double>},
      {.name = "optax.dice_loss", .aliases = {"optax.losses.dice_loss"}, .family = Family::Optax,
       .summary = "optax Dice (Tversky with --alpha/--beta): per class 1 - (I + smooth) / (I + alpha FP + beta FN + smooth) over the spatial axes, -r over the classes",
       .args = {input("logits (..., C) (a softmax over C; a sigmoid for one channel), or probabilities with --no-apply-softmax"),
                optax_target("one-hot targets of INPUT's shape (or without its channel axis)"), optax_class_weights()},
       .params = {kOptaxSmooth,
                  {.name = "alpha", .type = ParamType::Number, .default_value = "0.5", .help = "weight of the false positives P - I"},
                  {.name = "beta", .type = ParamType::Number, .default_value = "0.5", .help = "weight of the false negatives T - I"},
                  kApplySoftmax, kIgnoreBackground, kOptaxDiceAxes},
       .reductions = kOptaxReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_dice_loss<float>,
       .run_double = &ops::optax_dice_loss<double>, .whole_batch = true},
      {.name = "optax.binary_dice_loss", .aliases = {"optax.losses.binary_dice_loss"}, .family = Family::Optax,
       .summary = "optax binary Dice: dice_loss of one channel (a sigmoid of the logits), smooth 1 above and below the line",
       .args = {input("logits (..., 1) or (...)"), optax_target("0/1 targets of INPUT's shape")},
       .params = {kOptaxSmooth,
                  {.name = "apply-sigmoid", .type = ParamType::Flag, .default_value = "true",
                   .help = "apply a sigmoid to INPUT (off: INPUT holds probabilities, which optax's check then refuses unless they are 1)"},
                  kOptaxDiceAxes},
       .reductions = {Reduction::Mean}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_binary_dice_loss<float>,
       .run_double = &ops::optax_binary_dice_loss<double>, .whole_batch = true},
      {.name = "optax.multiclass_generalized_dice_loss", .aliases = {"optax.losses.multiclass_generalized_dice_loss"}, .family = Family::Optax,
       .summary = "optax generalized Dice: dice_loss with class weights 1 / (frequency^2 + 1e-7) from the batch's targets, the mean over samples and classes",
       .args = {input("logits (..., C)"), optax_target("one-hot targets of INPUT's shape")},
       .params = {kOptaxSmooth, kApplySoftmax, kIgnoreBackground},
       .reductions = {Reduction::Mean}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_multiclass_generalized_dice_loss<float>,
       .run_double = &ops::optax_multiclass_generalized_dice_loss<double>, .whole_batch = true},
      {.name = "optax.poly_loss_cross_entropy", .aliases = {"poly_loss_cross_entropy", "optax.losses.poly_loss_cross_entropy"}, .family = Family::Optax,
       .summary = "optax PolyLoss: softmax cross-entropy + epsilon * sum(labels (1 - softmax)) along --axis",
       .args = {input("logits"), optax_target("labels (class probabilities), broadcasting")}, .params = {kPolyEpsilon, kAxisLast},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_poly_loss_cross_entropy<float>,
       .run_double = &ops::optax_poly_loss_cross_entropy<double>,
       .explain_steps = &explain::optax_softmax_ce_steps},
      {.name = "optax.hinge_loss", .aliases = {"optax.losses.hinge_loss"}, .family = Family::Optax,
       .summary = "optax hinge per element: max(0, 1 - x t), targets -1 or 1 used as given (no 0/1 mapping); broadcasts",
       .args = {input("predictor outputs"), optax_target("targets (-1 or 1), broadcasting")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::optax_hinge_loss<float>,
       .run_double = &ops::optax_hinge_loss<double>, .explain_steps = &explain::optax_hinge_steps},
      {.name = "optax.perceptron_loss", .aliases = {"perceptron_loss", "optax.losses.perceptron_loss"}, .family = Family::Optax,
       .summary = "optax perceptron per element: max(0, -x t); shapes must be equal (no broadcasting)",
       .args = {input("predictor outputs"), optax_target("targets (-1 or 1), of INPUT's shape")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::optax_perceptron_loss<float>,
       .run_double = &ops::optax_perceptron_loss<double>, .explain_steps = &explain::optax_perceptron_steps},
      {.name = "optax.sparsemax_loss", .aliases = {"sparsemax_loss", "optax.losses.sparsemax_loss", "optax.binary_sparsemax_loss", "optax.losses.binary_sparsemax_loss"},
       .family = Family::Optax,
       .summary = "optax binary sparsemax per element: sparse_plus(-x where the label is 1, x where 0): 0, (u + 1)^2 / 4, u",
       .args = {input("logits"), target("labels (0 or 1; any nonzero value is 1), broadcasting")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Logits, .run_float = &ops::optax_sparsemax_loss<float>,
       .run_double = &ops::optax_sparsemax_loss<double>, .explain_steps = &explain::optax_sparsemax_steps},
      {.name = "optax.multiclass_hinge_loss", .aliases = {"multiclass_hinge_loss", "optax.losses.multiclass_hinge_loss"}, .family = Family::Optax,
       .summary = "optax Crammer-Singer hinge over the last axis: max(s + 1 - one_hot(y)) - s[y]",
       .args = {input("scores"), target("integer labels (INPUT's shape without the last axis); out of range: an all-0 one-hot")},
       .params = {}, .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::optax_multiclass_hinge_loss<float>,
       .run_double = &ops::optax_multiclass_hinge_loss<double>, .explain_steps = &explain::optax_multiclass_hinge_steps},
      {.name = "optax.multiclass_perceptron_loss", .aliases = {"multiclass_perceptron_loss", "optax.losses.multiclass_perceptron_loss"},
       .family = Family::Optax, .summary = "optax multiclass perceptron over the last axis: max(s) - s[y]",
       .args = {input("scores"), target("integer labels (INPUT's shape without the last axis); out of range: an all-0 one-hot")},
       .params = {}, .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::optax_multiclass_perceptron_loss<float>,
       .run_double = &ops::optax_multiclass_perceptron_loss<double>, .explain_steps = &explain::optax_multiclass_perceptron_steps},
      {.name = "optax.cosine_similarity", .aliases = {"optax.losses.cosine_similarity"}, .family = Family::Optax,
       .summary = "optax cosine similarity along --axis: sum((x / |x|) (y / |y|)), |x| = sqrt(max(sum x^2, epsilon)) (positive: 1 for equal directions)",
       .args = {input("predictions"), optax_target("targets, broadcasting")}, .params = {kOptaxCosineEpsilon, kAxisLast},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::optax_cosine_similarity<float>,
       .run_double = &ops::optax_cosine_similarity<double>, .explain_steps = &explain::optax_cosine_similarity_steps},
      {.name = "optax.cosine_distance", .aliases = {"cosine_distance", "optax.losses.cosine_distance"}, .family = Family::Optax,
       .summary = "optax cosine distance along --axis: 1 - cosine_similarity",
       .args = {input("predictions"), optax_target("targets, broadcasting")}, .params = {kOptaxCosineEpsilon, kAxisLast},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::optax_cosine_distance<float>,
       .run_double = &ops::optax_cosine_distance<double>, .explain_steps = &explain::optax_cosine_distance_steps},
      {.name = "optax.triplet_margin_loss", .aliases = {"optax.losses.triplet_margin_loss"}, .family = Family::Optax,
       .summary = "optax triplet: max(d(a, p) - d(a, n) + margin, 0), d(u, v) = (sum((u - v)^norm_degree) + eps)^(1/norm_degree) along --axis",
       .args = {{.name = "anchors", .holds = "anchors (..., D)", .differentiable = true},
                {.name = "positives", .holds = "positives, broadcasting with the anchors", .differentiable = true},
                {.name = "negatives", .holds = "negatives, broadcasting with the anchors", .differentiable = true}},
       .params = {with_help(kAxisLast, "the axis of the distances, negative counts from the end (default -1)"),
                  {.name = "norm-degree", .type = ParamType::Number, .default_value = "2",
                   .help = "the distance's degree: 2 is a Python int (integer_pow), 2.0 a float (lax.pow); no abs(), so odd degrees can give NaN",
                   .store = &store_norm_degree},
                  {.name = "margin", .type = ParamType::Number, .default_value = "1.0", .help = "the margin"},
                  {.name = "eps", .type = ParamType::Number, .default_value = "1e-6", .help = "added to the sum of powers, inside the root"}},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::optax_triplet_margin_loss<float>,
       .run_double = &ops::optax_triplet_margin_loss<double>, .explain_steps = &explain::optax_triplet_steps,
       .explain_rows = {"input", "positives", "negatives", "distance_positive", "distance_negative"}},
      {.name = "optax.ctc_loss", .aliases = {"optax.losses.ctc_loss"}, .family = Family::Optax,
       .summary = "optax CTC: -log p(labels | log_softmax(logits)) one a sequence, paddings as data, log_epsilon (-1e5) in place of -inf (an impossible alignment costs about 1e5, not inf)",
       .args = {{.name = "logits", .holds = "logits (B, T, K), batch-major; log_softmax is taken inside", .differentiable = true},
                {.name = "logit_paddings", .holds = "(B, T): 1.0 where a frame is padding, else 0.0"},
                {.name = "target", .holds = "integer labels (B, N), right-padded (padded values are compared for repeats, not read)", .alias = "labels"},
                {.name = "label_paddings", .holds = "(B, N): 1.0 where a label is padding; the label length is N - their sum"}},
       .params = {{.name = "blank-id", .type = ParamType::Integer, .default_value = "0", .help = "the blank's class, in [0, K)"},
                  {.name = "log-epsilon", .type = ParamType::Number, .default_value = "-1e5",
                   .help = "optax's stand-in for log(0): forbidden transitions are added with it, not left out"}},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_ctc_loss<float>,
       .run_double = &ops::optax_ctc_loss<double>, .whole_batch = true},
      {.name = "optax.ntxent", .aliases = {"ntxent", "optax.losses.ntxent"}, .family = Family::Optax,
       .summary = "optax NT-Xent of embeddings and labels, each sample against the batch: -log softmax of cosine / temperature over the pair and the negatives, the mean over the positive pairs",
       .args = {input("embeddings (N, D)"), target("labels (N): the same label makes a positive pair")},
       .params = {{.name = "temperature", .type = ParamType::Number, .default_value = "0.07", .help = "the cosines are divided by it"}},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Values, .run_float = &ops::optax_ntxent<float>, .run_double = &ops::optax_ntxent<double>,
       .explain_steps = &explain::optax_ntxent_steps, .explain_rows = {"input", "target", "cos", "sample_losses"}, .whole_batch = true},
      {.name = "optax.multiclass_sparsemax_loss", .aliases = {"multiclass_sparsemax_loss", "optax.losses.multiclass_sparsemax_loss"},
       .family = Family::Optax,
       .summary = "optax multiclass sparsemax of (N, C) scores: p = sparsemax(s), dot(p, s - s[y]) + (1 - dot(p, p)) / 2; grad p - one_hot(y)",
       .args = {input("scores (N, C)"), target("integer labels (N); negative ones wrap as Python indices")}, .params = {},
       .reductions = kOptaxReductions, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::optax_multiclass_sparsemax_loss<float>,
       .run_double = &ops::optax_multiclass_sparsemax_loss<double>, .explain_steps = &explain::optax_multiclass_sparsemax_steps},
      {.name = "optax.ranking_softmax_loss", .aliases = {"ranking_softmax_loss", "optax.losses.ranking_softmax_loss"}, .family = Family::Optax,
       .summary = "optax ranking softmax loss of each list (the last axis): -sum(labels log_softmax(logits)); -r mean (reduce_fn=jnp.mean) by default",
       .args = {input("logits (..., list_size)"), target("relevance labels, broadcasting with the logits (cast to their dtype)"),
                {.name = "weights", .holds = "per-item weights, multiplied into the labels (broadcasting)", .positional = false,
                 .required = false}},
       .params = {}, .reductions = kOptaxReductions, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::optax_ranking_softmax_loss<float>,
       .run_double = &ops::optax_ranking_softmax_loss<double>, .explain_steps = &explain::optax_ranking_softmax_steps},
      {.name = "sklearn.log_loss", .aliases = {"log_loss", "sklearn.metrics.log_loss"}, .family = Family::Sklearn,
       .summary = "scikit-learn log loss: probabilities clipped to [eps, 1 - eps], renormalised, -sum y log q, averaged (np.average)",
       .args = {input("probabilities (y_pred): (N) of the greater label, or (N, C) in the labels' sorted order"),
                target("labels (y_true): (N) whole numbers, or an (N, C) 0/1 indicator matrix"), sklearn_sample_weight(),
                {.name = "labels", .holds = "the labels (at least two), when y_true lacks some", .positional = false, .required = false,
                 .per_row = false}},
       .params = {{.name = "eps", .type = ParamType::Text, .default_value = "auto",
                   .help = "the clip: auto (the machine epsilon of y_pred's dtype) or a number", .store = &store_sklearn_eps},
                  {.name = "normalize", .type = ParamType::Flag, .default_value = "true",
                   .help = "the mean over the samples (--no-normalize: their sum, as -r sum)", .store = &store_normalize}, kLogBase},
       .reductions = {Reduction::Mean, Reduction::Sum}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Probabilities, .run_float = &ops::sklearn_log_loss<float>,
       .run_double = &ops::sklearn_log_loss<double>, .explain_steps = &explain::sklearn_log_loss_steps,
       .explain_rows = {"input", "target", "y_true_one_hot", "clipped", "renormalised"}},
      {.name = "sklearn.brier_score_loss", .aliases = {"brier_score_loss", "sklearn.metrics.brier_score_loss"}, .family = Family::Sklearn,
       .summary = "scikit-learn Brier score: the (weighted) mean of (1[y == pos_label] - p)^2",
       .args = {input("probabilities of the positive class (y_prob), (N)"), target("labels (y_true), (N): two values at most"),
                sklearn_sample_weight()},
       .params = {{.name = "pos-label", .type = ParamType::Number, .default_value = "",
                   .help = "the positive label (default: 1 for labels in {0, 1} or {-1, 1}, else the greater)"}},
       .reductions = {Reduction::Mean}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Probabilities, .run_float = &ops::sklearn_brier_score_loss<float>,
       .run_double = &ops::sklearn_brier_score_loss<double>, .explain_steps = &explain::sklearn_brier_steps,
       .explain_rows = {"input", "target", "outcome"}},
      {.name = "sklearn.hinge_loss", .aliases = {"sklearn.metrics.hinge_loss"}, .family = Family::Sklearn,
       .summary = "scikit-learn hinge: max(0, 1 - margin) averaged; binary margin y x (y as -1 / +1), multiclass x[y] - max of the others",
       .args = {input("decisions (pred_decision): (N) binary, or (N, C) in the labels' sorted order"),
                target("labels (y_true), (N)"), sklearn_sample_weight(),
                {.name = "labels", .holds = "every label of a multiclass problem, when y_true lacks some", .positional = false,
                 .required = false, .per_row = false}},
       .params = {}, .reductions = {Reduction::Mean}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::sklearn_hinge_loss<float>,
       .run_double = &ops::sklearn_hinge_loss<double>, .explain_steps = &explain::sklearn_hinge_steps,
       .explain_rows = {"input", "target", "margin"}},
      {.name = "sklearn.mean_squared_error", .aliases = {"sklearn.metrics.mean_squared_error"}, .family = Family::Sklearn,
       .summary = "scikit-learn MSE: the (weighted) mean over the samples of (y_true - y_pred)^2 per output, then --multioutput",
       .args = {input("predictions (y_pred): (N) or (N, outputs)"), target("targets (y_true), of INPUT's shape"), sklearn_sample_weight()},
       .params = {kMultioutput, {.name = "squared", .type = ParamType::Flag, .default_value = "true",
                                 .help = "the MSE (--no-squared: its square root, the RMSE, per output)"}},
       .reductions = {Reduction::Mean}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::sklearn_mean_squared_error<float>,
       .run_double = &ops::sklearn_mean_squared_error<double>, .explain_steps = &explain::sklearn_squared_steps,
       .explain_rows = {"input", "target"}},
      {.name = "sklearn.mean_absolute_error", .aliases = {"sklearn.metrics.mean_absolute_error"}, .family = Family::Sklearn,
       .summary = "scikit-learn MAE: the (weighted) mean over the samples of |y_pred - y_true| per output, then --multioutput",
       .args = {input("predictions (y_pred): (N) or (N, outputs)"), target("targets (y_true), of INPUT's shape"), sklearn_sample_weight()},
       .params = {kMultioutput},
       .reductions = {Reduction::Mean}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::sklearn_mean_absolute_error<float>,
       .run_double = &ops::sklearn_mean_absolute_error<double>, .explain_steps = &explain::sklearn_absolute_steps,
       .explain_rows = {"input", "target"}},
      {.name = "hinge", .aliases = {"Hinge", "keras.losses.hinge", "keras.losses.Hinge"}, .family = Family::Keras,
       .summary = "keras hinge: mean over the last axis of max(1 - y x, 0); 0/1 labels become -1/+1 only when every label is 0 or 1",
       .args = {input("predictions (y_pred)"), target("labels (y_true): -1/+1, or 0/1 (mapped), broadcasting to INPUT"), sample_weight()},
       .params = {}, .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::hinge<float>, .run_double = &ops::hinge<double>,
       .explain_steps = &explain::keras_hinge_steps, .explain_entries = {"labels"}},
      {.name = "squared_hinge", .aliases = {"SquaredHinge", "keras.losses.squared_hinge", "keras.losses.SquaredHinge"},
       .family = Family::Keras,
       .summary = "keras squared hinge: mean over the last axis of max(1 - y x, 0)^2, labels as for hinge",
       .args = {input("predictions (y_pred)"), target("labels (y_true): -1/+1, or 0/1 (mapped), broadcasting to INPUT"), sample_weight()},
       .params = {}, .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::Elementwise, .holds = Holds::Predictions, .run_float = &ops::squared_hinge<float>,
       .run_double = &ops::squared_hinge<double>, .explain_steps = &explain::keras_squared_hinge_steps, .explain_entries = {"labels"}},
      {.name = "categorical_hinge", .aliases = {"CategoricalHinge", "keras.losses.categorical_hinge", "keras.losses.CategoricalHinge"},
       .family = Family::Keras,
       .summary = "keras categorical hinge: max(max((1 - y) x) - sum(y x) + 1, 0) over the last axis (the true class's 0 is in the max: not Crammer-Singer)",
       .args = {input("scores (y_pred)"), target("one-hot labels (y_true) of INPUT's shape"), sample_weight()}, .params = {},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::categorical_hinge<float>,
       .run_double = &ops::categorical_hinge<double>, .explain_steps = &explain::keras_categorical_hinge_steps},
      {.name = "cosine_similarity", .aliases = {"CosineSimilarity", "keras.losses.cosine_similarity", "keras.losses.CosineSimilarity"},
       .family = Family::Keras,
       .summary = "keras cosine similarity loss: -sum over --axis of y_true / |y_true| * y_pred / |y_pred| (negative: -1 for equal directions)",
       .args = {input("predictions (y_pred)"), target("targets (y_true), broadcasting to INPUT"), sample_weight()},
       .params = {kAxisLast, with_help(kKerasEpsilon, "the backend epsilon: 1 / |x| is capped at 1 / epsilon (a zero vector gives 0)")},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Predictions, .run_float = &ops::cosine_similarity<float>,
       .run_double = &ops::cosine_similarity<double>, .explain_steps = &explain::keras_cosine_steps},
      {.name = "ctc", .aliases = {"CTC", "keras.losses.ctc", "keras.losses.CTC"}, .family = Family::Keras,
       .summary = "keras CTC: tf.nn.ctc_loss of logits (N, T, C) batch-major, blank 0, label_length = nonzero labels, input_length = T; the mean over N, no length normalisation",
       .args = {input("logits (y_pred), (N, T, C) batch-major; the softmax is taken inside"),
                target("integer labels (y_true), (N, L): 0 is the padding and the blank (no class 0), labels first"), sample_weight()},
       .params = {}, .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Logits, .run_float = &ops::keras_ctc<float>, .run_double = &ops::keras_ctc<double>,
       .whole_batch = true},
      {.name = "circle", .aliases = {"Circle", "keras.losses.circle", "keras.losses.Circle"}, .family = Family::Keras,
       .summary = "keras circle loss of L2-normalised embeddings and labels, each sample against the batch: softplus(logsumexp of the weighted positive and negative cosine distances)",
       .args = {input("L2-normalised embeddings (y_pred), (N, D)"), target("labels (y_true), (N): cast to int32 toward 0"), sample_weight()},
       .params = {{.name = "gamma", .type = ParamType::Number, .default_value = "80", .help = "the scale of the similarity scores"},
                  {.name = "margin", .type = ParamType::Number, .default_value = "0.4", .help = "the relaxation margin"},
                  {.name = "remove-diagonal", .type = ParamType::Flag, .default_value = "true",
                   .help = "leave each sample's similarity to itself out of its positives"},
                  with_help(kKerasEpsilon, "the backend epsilon: the masked mean divides by valid + epsilon")},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Values, .run_float = &ops::circle<float>, .run_double = &ops::circle<double>,
       .explain_steps = &explain::keras_circle_steps, .explain_rows = {"input", "target", "p_loss", "n_loss"}, .whole_batch = true},
      {.name = "categorical_generalized_cross_entropy",
       .aliases = {"CategoricalGeneralizedCrossEntropy", "keras.losses.categorical_generalized_cross_entropy",
                   "keras.losses.CategoricalGeneralizedCrossEntropy"},
       .family = Family::Keras,
       .summary = "keras generalized cross-entropy (noise-robust): (1 - p_t^q) / q of probabilities and class indices, no clipping",
       .args = {input("probabilities (y_pred)"),
                target("class indices (y_true), cast to int toward 0; one out of range gives p_t = 0 (loss 1/q)"), sample_weight()},
       .params = {{.name = "q", .type = ParamType::Number, .default_value = "0.5",
                   .help = "0 < q < 1: toward 0 the cross-entropy, at 1 the MAE", .min = 0, .max = 1, .min_open = true,
                   .max_open = true, .error = "q must be in the interval (0, 1)"}},
       .reductions = kKerasReductions, .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .holds = Holds::Probabilities,
       .run_float = &ops::categorical_generalized_cross_entropy<float>,
       .run_double = &ops::categorical_generalized_cross_entropy<double>,
       .explain_steps = &explain::generalized_cross_entropy_steps},
  };
  return table;
}

const FunctionSpec& compare_spec() {
  static const FunctionSpec spec{
      .name = "compare", .aliases = {"cmp"}, .family = Family::Torch,
      .summary = "the same data through torch, tf.nn and keras side by side, and why the numbers differ",
      .args = {{.name = "input", .holds = "logits or probabilities (--input-kind); the anchors for --group triplet"},
               target(kClassTargets), class_weight(), pos_weight(false),
               {.name = "negative", .holds = "the negatives of --group triplet (INPUT the anchors, TARGET the positives)",
                .positional = false, .required = false, .per_row = false}},
      .params = {with_help(kIgnoreClassKeras, "target value to ignore (torch ignore_index, keras ignore_class); default none"),
                 kLabelSmoothing, kDimTorch, kKerasEpsilon, kInputKind, kCompareGroup},
      .reductions = {}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Unset, .layout = Layout::ClassAxis, .holds = Holds::Logits,
      .run_float = &ops::compare<float>, .run_double = &ops::compare<double>,
      .run_reduced = &ops::compare_reduced};
  return spec;
}

const FunctionSpec& expect_spec() {
  static const FunctionSpec spec{
      .name = "expect", .aliases = {}, .family = Family::Torch,
      .summary = "which function and convention give a number: a search of the table on the data",
      .args = {{.name = "input", .holds = "the data's first argument (logits, probabilities, predictions)"},
               {.name = "target", .holds = "the data's second argument (class indices, probabilities, targets)"},
               {.name = "third", .holds = "a third data argument, for the losses of three: margin_ranking_loss's and "
                                          "cosine_embedding_loss's target, a triplet's negatives, gaussian_nll_loss's var",
                .required = false},
               class_weight(), pos_weight(false), sample_weight()},
      .params = {{.name = "tolerance", .type = ParamType::Number, .default_value = "",
                  .help = "how far a loss may be from VALUE (default: half a unit of VALUE's last typed digit)", .min = 0},
                 {.name = "family", .type = ParamType::Choice, .default_value = "",
                  .help = "search this framework's functions only", .choices = {"torch", "tf.nn", "keras", "optax", "sklearn"}},
                 {.name = "function", .type = ParamType::Text, .default_value = "", .help = "search this function only (a name or alias)",
                  .store = [](Settings&, const std::string& v) {
                    if (!find_function(v)) throw usage_error("--function", "unknown function " + in_quotes(v));
                  }},
                 {.name = "explain-search", .type = ParamType::Flag, .default_value = "false",
                  .help = "also list the candidates that were skipped, and why"}},
      .reductions = {}, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Unset, .layout = Layout::ClassAxis, .holds = Holds::Logits,
      .run_float = &ops::compare<float>, .run_double = &ops::compare<double>,
      .run_reduced = &ops::compare_reduced};
  return spec;
}

const std::vector<ToolSpec>& tools() {
  static const std::vector<ToolSpec> table = {
      {"compare", {"cmp"}, ToolKind::Compare, compare_spec().summary, "[OPTIONS] INPUT TARGET"},
      {"expect", {}, ToolKind::Expect, expect_spec().summary, "VALUE [OPTIONS] INPUT TARGET [THIRD]"},
      {"merge", {}, ToolKind::Merge, "combine --partial results (shards, threads, machines) into one exact loss",
       "[--json | -f FORMAT | -q] [FILE...]   (files of --partial results, one JSON object a line; - or none: stdin)"},
      {"functions", {}, ToolKind::Functions, "the table of functions: names, data arguments, parameters, reductions",
       "[--json]"},
      {"completion", {}, ToolKind::Completion, "a completion script for bash, zsh or fish", "bash|zsh|fish"},
  };
  return table;
}

const ToolSpec* find_tool(std::string_view name) { return find_named(tools(), name); }

const FunctionSpec* find_function(std::string_view name) { return find_named(functions(), name); }

std::vector<std::string_view> ambiguous_name(std::string_view name) {
  // cli-contract.md, "Names": torch, tf.nn and keras own an unqualified name
  // first; optax and scikit-learn share these, so neither owns them.
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> shared = {
      {"hinge_loss", {"optax.hinge_loss", "sklearn.hinge_loss"}},
  };
  for (auto& [n, qualified] : shared)
    if (n == name) return qualified;
  return {};
}

void put_arg(Data& d, const FunctionSpec& fn, std::string_view name, Tensor t) {
  if (name == fn.args[0].name) d.input = std::move(t);
  else if (name == "target") d.target = std::move(t);
  else if (name == "weight") d.weight = std::move(t);
  else if (name == "pos_weight") d.pos_weight = std::move(t);
  else {
    for (auto& [n, v] : d.more)
      if (n == name) {
        v = std::move(t);
        return;
      }
    d.more.emplace_back(std::string(name), std::move(t));
  }
}

const Tensor* get_arg(const Data& d, const FunctionSpec& fn, std::string_view name) {
  if (name == fn.args[0].name) return &d.input;
  if (name == "target") return d.target ? &*d.target : nullptr;
  if (name == "weight") return d.weight ? &*d.weight : nullptr;
  if (name == "pos_weight") return d.pos_weight ? &*d.pos_weight : nullptr;
  return d.get(name);
}

const FunctionSpec& spec_of(std::string_view canonical) {
  if (const FunctionSpec* f = find_function(canonical)) return *f;
  if (canonical == "expect") return expect_spec();
  return compare_spec();
}

Result FunctionSpec::run(const Data& d, const Settings& s) const {
  if (is_half(s.dtype)) {
    if (!run_reduced)
      throw usage_error("--dtype", std::string(ops::dtype_name(s.dtype)) + " is emulated for cross_entropy, nll_loss, softmax and log_softmax (torch " +
                                       (s.dtype == DType::BFloat16 ? "1.13's CPU kernels" : "CUDA's convention") + "), not for " + std::string(name) +
                                       (s.dtype == DType::BFloat16 && !bf16_cpu_error.empty()
                                            ? " (torch 1.13 has no CPU bfloat16 kernel for it either: " + std::string(bf16_cpu_error) + ")"
                                            : "") +
                                       "; --amp " + ops::dtype_name(s.dtype) + " rounds its inputs and computes in float32, as autocast does");
    Result r = run_reduced(d, s);
    ops::in_log_base(r, s);
    return r;
  }
  if (s.amp != Amp::Off) {
    // autocast: the model's outputs (the differentiable arguments but the
    // target) arrive in the half format; the loss runs in float32.
    const auto h = core::half_of(amp_dtype(s.amp));
    Data rounded = d;
    const auto round_tensor = [h](Tensor& t) {
      for (double& v : t.data) v = core::round_to(h, v);
    };
    for (const DataArg& a : args) {
      if (!a.differentiable || a.name == "target" || a.name == "targets" || a.name == "labels") continue;
      if (a.name == args.front().name)
        round_tensor(rounded.input);
      else
        for (auto& [n, t] : rounded.more)
          if (n == a.name) round_tensor(t);
    }
    Settings f32 = s;
    f32.dtype = DType::Float32;
    Result r = run_float(rounded, f32);
    ops::in_log_base(r, f32);
    r.notes.push_back(std::string("--amp ") + ops::dtype_name(amp_dtype(s.amp)) +
                      ": the model's outputs rounded to it (as autocast receives them), the loss computed in float32");
    return r;
  }
  Result r = s.dtype == DType::Float32 ? run_float(d, s) : run_double(d, s);
  ops::in_log_base(r, s);
  return r;
}

double Settings::number(std::string_view key) const {
  auto it = numbers.find(key);
  if (it == numbers.end()) throw std::logic_error("no value for the parameter " + std::string(key));
  return it->second;
}

std::string_view family_name(Family f) {
  switch (f) {
    case Family::Torch:
      return "torch";
    case Family::TfNn:
      return "tf.nn";
    case Family::Keras:
      return "keras";
    case Family::Optax:
      return "optax";
    case Family::Sklearn:
      return "sklearn";
  }
  return "torch";
}

}  // namespace losscalc
