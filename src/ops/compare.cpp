// compare: the same data through torch's, tf.nn's and Keras's conventions,
// side by side, with the reasons their numbers differ.
#include <algorithm>
#include <cmath>
#include <map>
#include <type_traits>

#include "core/reduced_precision.h"
#include "error.h"
#include "ops/common.h"
#include "ops/ctc.h"
#include "ops/ops.h"
#include "print/number.h"

namespace losscalc::ops {

namespace {

using OpFn = Result (*)(const Data&, const Settings&);

// The group of the rows being added.
thread_local const char* current_group = "";

Row run_row(const char* framework, std::string call, OpFn op, const Data& d, Settings st) {
  const Attempt a = attempt(op, d, st);
  return Row{current_group, framework, std::move(call), a.loss, a.error};
}

// Marks the row of a Keras call computed in float32, Keras's default floatx.
constexpr const char* kFloat32Mark = "  # in float32";

// A Keras call: its row, and when float64 is asked for and Keras's own
// float32 differs by more than 1e-4 relative, the float32 row below it.
template <class T>
void keras_rows(std::vector<Row>& rows, std::string call, OpFn op, OpFn op32, const Data& d, const Settings& st) {
  rows.push_back(run_row("keras", call, op, d, st));
  if (!std::is_same_v<T, double> || st.dtype != DType::Float64) return;
  Settings s32 = st;
  s32.dtype = DType::Float32;
  Row row = run_row("keras", call + kFloat32Mark, op32, d, s32);
  const double a = rows.back().loss, b = row.loss;
  if (!row.error.empty() || !rows.back().error.empty()) return;
  const bool differs = std::isfinite(a) != std::isfinite(b) ||
                       (std::isfinite(a) && std::fabs(a - b) > 1e-4 * std::max(std::fabs(a), std::fabs(b)));
  if (differs) rows.push_back(std::move(row));
}

Settings base(const Settings& s, Reduction r, std::int64_t dim) {
  Settings st;
  st.dtype = s.dtype;
  st.epsilon = s.epsilon;
  st.reduction = r;
  st.dim = dim;
  return st;
}

std::string args_of(const Settings& s, bool weight, bool ignore, bool smoothing, const char* ignore_name) {
  std::string a;
  if (weight) a += ", weight=w";
  if (ignore && s.ignore_index) a += std::string(", ") + ignore_name + "=" + std::to_string(*s.ignore_index);
  if (smoothing && s.label_smoothing > 0) a += ", label_smoothing=" + print::shortest(s.label_smoothing);
  return a;
}

bool all_in_unit_interval(const Tensor& t) {
  for (double v : t.data)
    if (!(v >= 0 && v <= 1)) return false;
  return true;
}

// Marks a row shown beside its group for its number but computing another
// quantity (a logistic loss beside the hinges, a signed cosine beside the
// cosine distances): left out of the agreement.
constexpr const char* kOtherQuantity = "  # not compared: ";

bool all_of_values(const Tensor& t, std::initializer_list<double> values) {
  for (double v : t.data)
    if (std::find(values.begin(), values.end(), v) == values.end()) return false;
  return true;
}

// Settings of a table function: its parameters' defaults, then `numbers`.
Settings with_numbers(Settings st, const std::map<std::string, double, std::less<>>& numbers) {
  for (auto& [k, v] : numbers) st.numbers[k] = v;
  return st;
}

// Rows that compute another reduction than the group's (Keras's 'sum' and
// torch's): shown, left out of the agreement.
bool other_reduction(const Row& row) {
  return row.call.find("reduction='sum'") != std::string::npos || row.call.find("# reduction='mean'") != std::string::npos;
}

// INPUT and TARGET as a function's data, nothing else.
Data pair_of(const Tensor& x, const Tensor& t) {
  Data d;
  d.input = x;
  d.target = t;
  return d;
}

// How many of the n vectors (length d, along the last axis) of `v` meet `p`
// (called with the vector's first value and its index).
template <class P>
std::int64_t count_vectors(const Tensor& v, std::int64_t n, std::int64_t d, P p) {
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < n; ++i) count += p(v.data.begin() + i * d, i) ? 1 : 0;
  return count;
}

// compare's groups: the name --group takes, the title the output prints.
struct GroupName {
  std::string_view option, title;
};
constexpr GroupName kGroups[] = {{"multi-class", "multi-class"}, {"binary", "binary"}, {"hinge", "hinge"},
                                 {"multiclass-hinge", "multiclass hinge"}, {"cosine", "cosine"}, {"triplet", "triplet"},
                                 {"squared-error", "squared error"},
                                 {"absolute-error", "absolute error"}, {"huber", "huber"}, {"kl", "kl"}, {"poisson", "poisson"},
                                 {"focal", "focal"}, {"overlap", "overlap"}, {"ctc", "ctc"}};

// Which groups run: with --group those it names (one the data cannot take
// is bad data, saying what it needs), else those the data suit.
class Selection {
 public:
  // With --negative (triplets) the triplet group only, and only it takes one.
  Selection(const Settings& s, bool negative) {
    if (auto it = s.param_text.find("group"); it != s.param_text.end() && !it->second.empty())
      chosen_ = compare_group_titles(it->second);
    const bool triplet = std::find(chosen_.begin(), chosen_.end(), "triplet") != chosen_.end();
    if (negative && chosen_.empty()) chosen_ = {"triplet"};
    else if (negative && (!triplet || chosen_.size() > 1))
      throw usage_error("--negative", "holds the negatives of --group triplet, and that group compares alone");
    else if (triplet && !negative)
      throw usage_error("--group", "triplet needs --negative: INPUT the anchors, TARGET the positives, --negative the negatives");
  }
  bool want(std::string_view title, bool suits, bool fits, std::string_view needs) const {
    if (chosen_.empty()) return suits;
    if (std::find(chosen_.begin(), chosen_.end(), title) == chosen_.end()) return false;
    if (!fits) {
      std::string_view option = title;
      for (auto& g : kGroups)
        if (g.title == title) option = g.option;
      throw data_error("target", "", "--group " + std::string(option) + " needs " + std::string(needs));
    }
    return true;
  }

 private:
  std::vector<std::string> chosen_;
};

// The regression and divergence groups, for a target of the input's shape:
// squared error, absolute error, Huber / smooth L1, and where the data fit,
// KL divergence and Poisson.
template <class T>
void regression_rows(std::vector<Row>& rows, std::map<std::string, std::vector<std::string>>& reasons, const Data& data,
                     const Settings& s, const Selection& selection, bool probs, bool regression) {
  const Tensor& x = data.input;
  const Tensor& t = *data.target;
  const Data plain = pair_of(x, t);
  const std::int64_t nd = x.dims();
  const std::int64_t classes = nd == 0 ? 1 : x.shape.back();
  const auto torch_settings = [&](Reduction r, const std::map<std::string, double, std::less<>>& numbers) {
    return with_numbers(base(s, r, -1), numbers);
  };
  const auto keras_settings = [&](Reduction r) {
    Settings st = base(s, r, nd - 1);
    return st;
  };
  const auto sklearn_settings = [&]() {
    Settings st = base(s, Reduction::Mean, -1);
    st.numbers["squared"] = 1;
    st.param_text["multioutput"] = "uniform_average";
    return st;
  };
  const bool two_d = nd == 2;
  bool one_hot = true;  // a one-hot target's KL is the cross-entropy above
  for (double v : t.data) one_hot = one_hot && (v == 0 || v == 1);

  // -1 / +1 labels are the hinge group's, not regression targets.
  const bool labels = all_of_values(t, {-1, 1});
  const bool suits = regression && !labels;
  current_group = "squared error";
  if (selection.want("squared error", suits, true, "")) {
  rows.push_back(run_row("torch", "F.mse_loss(x, t)", &mse_loss<T>, plain, torch_settings(Reduction::Mean, {})));
  keras_rows<T>(rows, "MeanSquaredError()(t, x)", &mean_squared_error<T>, &mean_squared_error<float>, plain,
                keras_settings(Reduction::SumOverBatchSize));
  if (nd >= 1 && nd <= 2)
    rows.push_back(run_row("sklearn", "mean_squared_error(t, x)", &sklearn_mean_squared_error<T>, plain, sklearn_settings()));
  rows.push_back(run_row("optax", "jnp.mean(optax.squared_error(x, t))", &optax_squared_error<T>, plain, base(s, Reduction::Mean, -1)));
  rows.push_back(run_row("torch", "F.mse_loss(x, t, reduction='sum')", &mse_loss<T>, plain, torch_settings(Reduction::Sum, {})));
  rows.push_back(run_row("keras", "MeanSquaredError(reduction='sum')(t, x)", &mean_squared_error<T>, plain, keras_settings(Reduction::Sum)));
  reasons["squared error"].push_back(
      "The 'sum' rows are other reductions: torch's sums every element's square, Keras's sums the per-sample means "
      "(each the mean over the last axis, " + std::to_string(classes) + " values), so it is torch's sum / " + std::to_string(classes) +
      "; the means agree.");

  }
  current_group = "absolute error";
  if (selection.want("absolute error", suits, true, "")) {
  rows.push_back(run_row("torch", "F.l1_loss(x, t)", &l1_loss<T>, plain, torch_settings(Reduction::Mean, {})));
  keras_rows<T>(rows, "MeanAbsoluteError()(t, x)", &mean_absolute_error<T>, &mean_absolute_error<float>, plain,
                keras_settings(Reduction::SumOverBatchSize));
  if (nd >= 1 && nd <= 2) {
    Settings st = sklearn_settings();
    rows.push_back(run_row("sklearn", "mean_absolute_error(t, x)", &sklearn_mean_absolute_error<T>, plain, st));
  }

  }
  current_group = "huber";
  if (selection.want("huber", suits, true, "")) {
  rows.push_back(run_row("torch", "F.huber_loss(x, t, delta=1.0)", &huber_loss<T>, plain, torch_settings(Reduction::Mean, {{"delta", 1.0}})));
  rows.push_back(run_row("torch", "F.smooth_l1_loss(x, t, beta=1.0)", &smooth_l1_loss<T>, plain,
                         torch_settings(Reduction::Mean, {{"beta", 1.0}})));
  {
    Settings ks = keras_settings(Reduction::SumOverBatchSize);
    ks.numbers["delta"] = 1.0;
    keras_rows<T>(rows, "Huber(delta=1.0)(t, x)", &huber<T>, &huber<float>, plain, ks);
  }
  rows.push_back(run_row("optax", "jnp.mean(optax.huber_loss(x, t, delta=1.0))", &optax_huber_loss<T>, plain,
                         torch_settings(Reduction::Mean, {{"delta", 1.0}})));
  reasons["huber"].push_back(
      "huber_loss(delta) is delta * smooth_l1_loss(beta=delta): the two agree at delta = beta = 1 only (smooth_l1 divides the "
      "quadratic part by beta, huber does not); Keras's Huber is torch's huber_loss, averaged per sample first.");

  }

  // KL: the target's rows are distributions; torch takes log-probabilities.
  const bool target_distributions = nd >= 1 && slices_are_distributions(t, nd - 1);
  const bool kl = target_distributions && probs && !one_hot;
  current_group = "kl";
  if (selection.want("kl", kl, kl, "probabilities as INPUT and a TARGET of distributions (not one-hot) along the last axis")) {
    Data log_q = plain;
    for (auto& v : log_q.input.data) v = std::log(v);
    rows.push_back(run_row("torch", "F.kl_div(torch.log(p), t, reduction='batchmean')", &kl_div<T>, log_q,
                           torch_settings(Reduction::BatchMean, {{"log_target", 0}})));
    rows.push_back(run_row("torch", "F.kl_div(torch.log(p), t)  # reduction='mean'", &kl_div<T>, log_q,
                           torch_settings(Reduction::Mean, {{"log_target", 0}})));
    if (two_d) {
      keras_rows<T>(rows, "KLDivergence()(t, p)", &kl_divergence<T>, &kl_divergence<float>, plain, keras_settings(Reduction::SumOverBatchSize));
      rows.push_back(run_row("optax", "jnp.mean(optax.kl_divergence(jnp.log(p), t))", &optax_kl_divergence<T>, log_q,
                             base(s, Reduction::Mean, nd - 1)));
    }
    reasons["kl"].push_back("torch's F.kl_div takes log-probabilities (here torch.log(p)) and Keras probabilities; torch's default "
                            "'mean' divides the sum by every element, C = " + std::to_string(classes) +
                            " times smaller than the KL, which is 'batchmean'.");
    reasons["kl"].push_back("Keras clips both p and t to [" + print::shortest(s.epsilon) + ", 1] and sums each row: "
                            "the KL per sample, then their mean, which is torch's batchmean for (N, C) data.");
  }

  // Poisson: positive rates and counts (torch's log_input=False reads rates).
  bool rates = true, counts = true;
  for (double v : x.data) rates = rates && v > 0 && std::isfinite(v);
  for (double v : t.data) counts = counts && v >= 0 && std::isfinite(v);
  current_group = "poisson";
  if (selection.want("poisson", suits && rates && counts, rates && counts, "positive rates as INPUT and counts (>= 0) as TARGET")) {
    rows.push_back(run_row("torch", "F.poisson_nll_loss(x, t, log_input=False)", &poisson_nll_loss<T>, plain,
                           torch_settings(Reduction::Mean, {{"log_input", 0}, {"full", 0}, {"eps", 1e-8}})));
    keras_rows<T>(rows, "Poisson()(t, x)", &poisson<T>, &poisson<float>, plain, keras_settings(Reduction::SumOverBatchSize));
    Data log_x = plain;
    for (auto& v : log_x.input.data) v = std::log(v);
    rows.push_back(run_row("tf.nn", "tf.reduce_mean(tf.nn.log_poisson_loss(t, tf.math.log(x)))", &log_poisson_loss<T>, log_x,
                           with_numbers(base(s, Reduction::Mean, -1), {{"compute_full_loss", 0}})));
    reasons["poisson"].push_back("The rates get an eps inside the log: torch 1e-8 (its eps), Keras " + print::shortest(s.epsilon) +
                                 " (the backend epsilon), tf.nn none (it takes log-rates); and torch's default log_input=True "
                                 "would read x as log-rates.");
  }
}

// The margin groups: binary hinge (labels -1 / +1 of the input's shape;
// 0 / 1 on request), multiclass hinge (class indices, on request), cosine
// (vectors along the last axis, on request).
template <class T>
void margin_rows(std::vector<Row>& rows, std::map<std::string, std::vector<std::string>>& reasons, const Data& data,
                 const Settings& s, const Selection& selection, bool index, std::int64_t last_dim) {
  const Tensor& x = data.input;
  const Tensor& t = *data.target;
  const std::int64_t nd = x.dims();
  const Data plain = pair_of(x, t);

  const bool pm1 = !index && all_of_values(t, {-1, 1}) && std::find(t.data.begin(), t.data.end(), -1.0) != t.data.end();
  const bool zero_one = !index && all_of_values(t, {0, 1});
  current_group = "hinge";
  if (selection.want("hinge", pm1, pm1 || zero_one, "a TARGET of INPUT's shape holding labels -1 and 1 (or 0 and 1)")) {
    keras_rows<T>(rows, "Hinge()(t, x)", &hinge<T>, &hinge<float>, plain, base(s, Reduction::SumOverBatchSize, nd - 1));
    if (nd == 1) rows.push_back(run_row("sklearn", "hinge_loss(t, x)", &sklearn_hinge_loss<T>, plain, base(s, Reduction::Mean, -1)));
    rows.push_back(run_row("optax", "jnp.mean(optax.hinge_loss(x, t))", &optax_hinge_loss<T>, plain, base(s, Reduction::Mean, -1)));
    rows.push_back(run_row("torch", std::string("F.soft_margin_loss(x, t)") + kOtherQuantity + "logistic, not a hinge", &soft_margin_loss<T>,
                           plain, base(s, Reduction::Mean, -1)));
    auto& why = reasons["hinge"];
    why.push_back("torch has no SVM hinge: F.soft_margin_loss is the logistic loss log(1 + exp(-t x)), shown for its number; "
                  "F.hinge_embedding_loss reads x as a distance (x where t = 1, max(0, 1 - x) where t = -1), not a decision value.");
    if (nd != 1)
      why.push_back("scikit-learn's binary hinge_loss takes one decision value a sample (a 1-D pred_decision): it has no row for " +
                    shape_str(x.shape) + " data.");
    if (nd >= 2)
      why.push_back("Keras's Hinge is the mean over the last axis per sample, then the mean over samples: the mean over all elements "
                    "when every row has the same length.");
    if (zero_one)
      why.push_back("Labels 0 and 1: Keras maps them to -1 and +1 because all of y_true is 0 or 1; scikit-learn binarizes any two "
                    "labels (the greater +1); optax and torch take them as they are (a 0 label gives optax's hinge 1 and torch's "
                    "soft margin log 2, whatever x).");
  }

  const bool matrix = index && nd == 2 && last_dim == 1;
  current_group = "multiclass hinge";
  if (selection.want("multiclass hinge", false, matrix, "class indices of an (N, C) INPUT, classes along the last axis")) {
    const std::int64_t C = x.shape[1];
    Data torch_data = plain;
    torch_data.weight = data.weight;
    rows.push_back(run_row("torch", std::string("F.multi_margin_loss(x, y") + (data.weight ? ", weight=w" : "") + ")",
                           &multi_margin_loss<T>, torch_data, with_numbers(base(s, Reduction::Mean, 1), {{"p", 1}, {"margin", 1}})));
    Data one_hot = plain;
    one_hot.target = Tensor{x.shape, std::vector<double>(x.data.size(), 0.0)};
    bool labels_ok = true;
    for (std::size_t i = 0; i < t.data.size(); ++i) {
      const double v = t.data[i];
      if (v >= 0 && v < static_cast<double>(C) && v == std::floor(v))
        one_hot.target->data[i * static_cast<std::size_t>(C) + static_cast<std::size_t>(v)] = 1;
      else
        labels_ok = false;
    }
    if (labels_ok)
      keras_rows<T>(rows, "CategoricalHinge()(one_hot(y, " + std::to_string(C) + "), x)", &categorical_hinge<T>, &categorical_hinge<float>,
                    one_hot, base(s, Reduction::SumOverBatchSize, 1));
    Data sk = plain;
    Tensor labels{{C}, {}};
    for (std::int64_t c = 0; c < C; ++c) labels.data.push_back(static_cast<double>(c));
    sk.more.emplace_back("labels", labels);
    rows.push_back(run_row("sklearn", "hinge_loss(y, x, labels=range(" + std::to_string(C) + "))", &sklearn_hinge_loss<T>, sk,
                           base(s, Reduction::Mean, -1)));
    rows.push_back(run_row("optax", "jnp.mean(optax.multiclass_hinge_loss(x, y))", &optax_multiclass_hinge_loss<T>, plain,
                           base(s, Reduction::Mean, 1)));
    // Where Keras's max over (1 - y) x, the true class's 0 included, is not
    // the largest other score: every other score below 0.
    std::int64_t below = 0;
    const std::int64_t n = x.shape[0];
    for (std::int64_t i = 0; labels_ok && i < n; ++i) {
      bool all_negative = true;
      for (std::int64_t j = 0; j < C; ++j)
        if (j != static_cast<std::int64_t>(t.data[static_cast<std::size_t>(i)])) all_negative = all_negative && x.data[static_cast<std::size_t>(i * C + j)] < 0;
      below += all_negative;
    }
    auto& why = reasons["multiclass hinge"];
    why.push_back("torch's F.multi_margin_loss sums max(0, 1 - x[y] + x[j]) over every j != y and divides by C = " + std::to_string(C) +
                  " (the true class counted); scikit-learn's hinge_loss and optax's multiclass_hinge_loss are Crammer-Singer's: max(0, 1 + max over j != y of x[j] - x[y]), "
                  "the largest other score only.");
    why.push_back("Keras's CategoricalHinge takes one-hot y_true and max(0, 1 + max((1 - y) x) - x[y]): the max runs over every class, the "
                  "true class's 0 included, so where every other score is below 0 it is 0, not the largest other score (" +
                  std::to_string(below) + " of " + std::to_string(n) + " samples here; x = [0.5, -1, -2], y = 0 gives 0.5 where "
                  "Crammer-Singer gives 0).");
    if (data.weight) why.push_back("Class weights: torch multiplies each sample's terms by weight[y]; Keras and scikit-learn take none.");
  }

  const bool vectors = !index && nd >= 1 && nd <= 2;
  current_group = "cosine";
  if (selection.want("cosine", false, vectors, "a TARGET of INPUT's shape, vectors along the last axis of a (D) or (N, D) INPUT")) {
    Data torch_data;
    torch_data.input = x;
    torch_data.more.emplace_back("input2", t);
    torch_data.target = Tensor{nd == 2 ? Shape{x.shape[0]} : Shape{}, std::vector<double>(nd == 2 ? static_cast<std::size_t>(x.shape[0]) : 1, 1.0)};
    const std::string ones = nd == 2 ? "torch.ones(" + std::to_string(x.shape[0]) + ")" : "torch.tensor(1.)";
    rows.push_back(run_row("torch", "F.cosine_embedding_loss(x, t, " + ones + ")", &cosine_embedding_loss<T>, torch_data,
                           with_numbers(base(s, Reduction::Mean, -1), {{"margin", 0}})));
    keras_rows<T>(rows, std::string("CosineSimilarity()(t, x)") + kOtherQuantity + "-mean(cos)", &cosine_similarity<T>,
                  &cosine_similarity<float>, plain, base(s, Reduction::SumOverBatchSize, nd - 1));
    const Settings optax_settings = with_numbers(base(s, Reduction::Mean, nd - 1), {{"epsilon", 0}});
    rows.push_back(run_row("optax", "jnp.mean(optax.cosine_distance(x, t))", &optax_cosine_distance<T>, plain, optax_settings));
    rows.push_back(run_row("optax", std::string("jnp.mean(optax.cosine_similarity(x, t))") + kOtherQuantity + "+mean(cos)",
                           &optax_cosine_similarity<T>, plain, optax_settings));
    // Keras's -mean(cos) on the distances' scale, and the zero vectors.
    double keras = std::numeric_limits<double>::quiet_NaN();
    for (auto& row : rows)
      if (row.group == "cosine" && row.framework == "keras" && row.error.empty()) {
        keras = row.loss;
        break;
      }
    const std::int64_t d = x.shape.back(), n = nd == 2 ? x.shape[0] : 1;
    const auto zero = [d](auto first, std::int64_t) { return std::all_of(first, first + d, [](double v) { return v == 0; }); };
    const std::int64_t zeros = count_vectors(x, n, d, zero) + count_vectors(t, n, d, zero);
    auto& why = reasons["cosine"];
    why.push_back("torch's cosine_embedding_loss with target 1 is 1 - cos per sample; Keras's CosineSimilarity is -cos (a loss in [-1, 1]), "
                  "so 1 + Keras's number (here " + print::shortest(1 + keras) + ") is the distance the others give; optax's cosine_similarity "
                  "is +cos and its cosine_distance 1 - cos, torch's number.");
    why.push_back("The epsilons: torch divides by sqrt((|x|^2 + 1e-12) (|t|^2 + 1e-12)); Keras normalises each vector with "
                  "x * min(1 / |x|, 1 / epsilon), epsilon = " + print::shortest(s.epsilon) + " (--epsilon); optax clips each squared norm "
                  "at its epsilon, 0 by default.");
    if (zeros > 0)
      why.push_back(std::to_string(zeros) + (zeros == 1 ? " vector is" : " vectors are") +
                    " all zeros here: torch's cos is 0 there (loss 1) and Keras's 0 (loss 0); optax's epsilon = 0 divides 0 by 0 (NaN: "
                  "optax.cosine_distance(x, t, epsilon=1e-12) keeps it finite).");
  }

  const Tensor* negative = data.get("negative");
  const bool triplets = negative && !index && negative->shape == x.shape && nd >= 1 && nd <= 2;
  current_group = "triplet";
  if (negative && selection.want("triplet", true, triplets, "anchors, positives (TARGET) and negatives (--negative) of one shape, (D) or (N, D)")) {
    Data triple;
    triple.input = x;
    triple.more.emplace_back("positive", t);
    triple.more.emplace_back("negative", *negative);
    rows.push_back(run_row("torch", "F.triplet_margin_loss(a, p, n)", &triplet_margin_loss<T>, triple,
                           with_numbers(base(s, Reduction::Mean, -1), {{"margin", 1}, {"p", 2}, {"eps", 1e-6}, {"swap", 0}})));
    Data optax_triple;
    optax_triple.input = x;
    optax_triple.more.emplace_back("positives", t);
    optax_triple.more.emplace_back("negatives", *negative);
    Settings os = with_numbers(base(s, Reduction::Mean, nd - 1), {{"norm_degree", 2}, {"margin", 1}, {"eps", 1e-6}});
    os.param_text["norm_degree"] = "2";
    rows.push_back(run_row("optax", "jnp.mean(optax.triplet_margin_loss(a, p, n))", &optax_triplet_margin_loss<T>, optax_triple, os));
    // Pairs whose vectors are equal: where the eps placement decides the distance.
    const std::int64_t d = x.shape.back(), n = nd == 2 ? x.shape[0] : 1;
    const auto equal_to = [&](const Tensor& v) {
      return [&v, d](auto first, std::int64_t i) { return std::equal(first, first + d, v.data.begin() + i * d); };
    };
    const std::int64_t equal = count_vectors(x, n, d, equal_to(t)) + count_vectors(x, n, d, equal_to(*negative));
    auto& why = reasons["triplet"];
    why.push_back("torch adds eps = 1e-6 to each difference before the norm, ||a - p + eps||_2, so equal vectors are sqrt(D) 1e-6 = " +
                  print::shortest(std::sqrt(static_cast<double>(d)) * 1e-6) + " apart; optax adds it inside the root, "
                  "sqrt(sum (a - p)^2 + eps), so they are sqrt(1e-6) = 0.001 apart, and every distance is a little longer.");
    if (equal > 0)
      why.push_back(std::to_string(equal) + (equal == 1 ? " pair (anchor and positive or negative) is" : " pairs (anchor and positive or negative) are") +
                    " equal here, where the eps placement decides the distance.");
  }
}


// jnp.mean of optax.binary_dice_loss's per-sample losses, for its row.
template <class T>
Result optax_binary_dice_mean(const Data& d, const Settings& s) {
  Result r = optax_binary_dice_loss<T>(d, s);
  Tensor& loss = r.entries.front().value;
  T sum = 0;
  for (double v : loss.data) sum += static_cast<T>(v);
  loss = Tensor{{}, {static_cast<double>(sum / static_cast<T>(std::max<std::size_t>(loss.data.size(), 1)))}};
  return r;
}

// The focal group (torchvision's, optax's and Keras's focal losses of one
// set of logits: the three alphas) and the overlap group (Keras's Dice
// against optax's: the smoothing and what is summed over), for a 0/1 TARGET
// of INPUT's shape. Shown with --group focal / overlap only. Probabilities
// go to torchvision and optax as logits log(p / (1 - p)); logits go to
// Keras's Dice as sigmoid(x).
template <class T>
void focal_overlap_rows(std::vector<Row>& rows, std::map<std::string, std::vector<std::string>>& reasons, const Data& data,
                        const Settings& s, const Selection& selection, bool probs) {
  const Tensor& x = data.input;
  const Tensor& t = *data.target;
  const std::int64_t nd = x.dims();
  const bool fits = t.shape == x.shape && all_in_unit_interval(t);
  const Data plain = pair_of(x, t);
  Data other = plain;  // the other form: logits of probabilities, probabilities of logits
  for (double& v : other.input.data) v = probs ? std::log(v) - std::log1p(-v) : 1 / (1 + std::exp(-v));
  const Data& logits = probs ? other : plain;
  const Data& probabilities = probs ? plain : other;
  const std::string lx = probs ? "logit(p)" : "x", px = probs ? "p" : "sigmoid(x)";
  current_group = "focal";
  if (selection.want("focal", false, fits, "a TARGET of INPUT's shape with values in [0, 1]")) {
    rows.push_back(run_row("torchvision", "sigmoid_focal_loss(" + lx + ", t, reduction=\"mean\")", &sigmoid_focal_loss<T>, logits,
                           with_numbers(base(s, Reduction::Mean, -1), {{"alpha", 0.25}, {"gamma", 2}})));
    rows.push_back(run_row("optax", "jnp.mean(optax.sigmoid_focal_loss(" + lx + ", t))", &optax_sigmoid_focal_loss<T>, logits,
                           with_numbers(base(s, Reduction::Mean, -1), {{"gamma", 2}})));
    rows.push_back(run_row("optax", "jnp.mean(optax.sigmoid_focal_loss(" + lx + ", t, alpha=0.25))", &optax_sigmoid_focal_loss<T>, logits,
                           with_numbers(base(s, Reduction::Mean, -1), {{"alpha", 0.25}, {"gamma", 2}})));
    for (const bool balanced : {false, true}) {
      Settings ks = with_numbers(base(s, Reduction::SumOverBatchSize, nd - 1),
                                 {{"alpha", 0.25}, {"gamma", 2}, {"apply_class_balancing", balanced ? 1.0 : 0.0}});
      ks.from_logits = !probs;
      const std::string opts = std::string(balanced ? "apply_class_balancing=True" : "") + (probs ? "" : balanced ? ", from_logits=True" : "from_logits=True");
      keras_rows<T>(rows, "BinaryFocalCrossentropy(" + opts + ")(t, " + (probs ? "p" : "x") + ")", &binary_focal_crossentropy<T>,
                    &binary_focal_crossentropy<float>, plain, ks);
    }
    auto& why = reasons["focal"];
    why.push_back("alpha: torchvision weights by alpha_t = 0.25 y + 0.75 (1 - y) by default; optax applies no alpha unless given one; "
                  "Keras ignores its alpha (0.25) unless apply_class_balancing=True. With the same alpha, all three compute "
                  "alpha_t (1 - p_t)^2 BCE.");
    why.push_back("Keras clips the probabilities to [1e-7, 1 - 1e-7] (from_logits=True applies a sigmoid first, then the same "
                  "clipped BCE), where torchvision and optax use the stable logit form: they part for |logit| > 16.");
    if (probs) why.push_back("INPUT holds probabilities: torchvision and optax take logits, so their rows get log(p / (1 - p)).");
    if (nd >= 2)
      why.push_back("Keras takes the mean over the last axis, then over the samples: the mean over all elements when every row "
                    "has the same length.");
  }
  current_group = "overlap";
  if (selection.want("overlap", false, fits && nd >= 1, "a TARGET of INPUT's shape with values in [0, 1]")) {
    Settings ks = base(s, Reduction::SumOverBatchSize, nd - 1);
    ks.param_text["axis"] = "";
    keras_rows<T>(rows, "Dice()(t, " + px + ")", &dice<T>, &dice<float>, probabilities, ks);
    std::string axes;
    for (std::int64_t d = 1; d < nd; ++d) axes += (axes.empty() ? "" : ",") + std::to_string(d);
    if (!axes.empty()) {
      Settings per_sample = ks;
      per_sample.param_text["axis"] = axes;
      keras_rows<T>(rows, "Dice(axis=(" + axes + (nd == 2 ? ",)" : ")") + ")(t, " + px + ")", &dice<T>, &dice<float>, probabilities, per_sample);
    }
    Settings os = with_numbers(base(s, Reduction::Mean, -1), {{"smooth", 1}, {"apply_sigmoid", 1}});
    rows.push_back(run_row("optax", "jnp.mean(optax.binary_dice_loss(" + lx + ", t))", &optax_binary_dice_mean<T>, logits, os));
    auto& why = reasons["overlap"];
    why.push_back("Smoothing: Keras adds 1e-7 below the line only, 1 - 2 I / (sum y + sum p + 1e-7); optax adds smooth = 1 above "
                  "and below, 1 - (I + 1) / (I + (P - I) / 2 + (T - I) / 2 + 1), which pulls small regions' losses toward 0.");
    why.push_back("What is summed: Keras's Dice() (axis=None) sums over every axis, the batch included, into one fraction; with "
                  "axis=(1, ...) it is one fraction a sample, then their mean; optax's binary_dice_loss is one fraction a "
                  "sample (over the axes between the first and the added channel).");
    why.push_back(probs ? "INPUT holds probabilities: optax takes logits, so its row gets log(p / (1 - p))."
                        : "INPUT holds logits: Keras's Dice takes probabilities, so its rows get sigmoid(x).");
  }
}

// The ctc group (--group ctc, alone): one alignment problem through the four
// CTC conventions. INPUT holds logits (T, N, C), time-major; TARGET the
// labels (N, S), padded with 0 at the end (0 is the blank, as Keras has it);
// every sample has T frames and its count of nonzero labels as its length
// (Keras's label_length). torch gets log_softmax(x); Keras and optax get x
// transposed to (N, T, C); optax gets logit_paddings 0 and label_paddings
// (y == 0).
template <class T>
Result compare_ctc(const Data& data, const Tensor& y, const Settings& s) {
  const Tensor& x = data.input;
  if (x.dims() != 3) throw data_error("input", "", "--group ctc needs logits (T, N, C), time-major; got " + shape_str(x.shape));
  const std::int64_t F = x.shape[0], N = x.shape[1], C = x.shape[2];
  if (y.dims() != 2 || y.shape[0] != N)
    throw data_error("target", "", "--group ctc needs labels (N, S) = (" + std::to_string(N) + ", S), padded with 0; got " + shape_str(y.shape));
  const std::int64_t S = y.shape[1];
  Tensor il{Shape{N}, std::vector<double>(static_cast<std::size_t>(N), static_cast<double>(F))}, tl{Shape{N}, std::vector<double>(static_cast<std::size_t>(N), 0.0)};
  Tensor label_paddings{y.shape, std::vector<double>(y.data.size(), 0.0)};
  for (std::int64_t n = 0; n < N; ++n) {
    bool padding = false;
    for (std::int64_t k = 0; k < S; ++k) {
      const std::int64_t at = n * S + k;
      const double v = y.data[static_cast<std::size_t>(at)];
      if (!std::isfinite(v) || v != std::floor(v) || v < 0 || v >= static_cast<double>(C))
        throw data_error("target", element_where(y.shape, at),
                         "--group ctc needs labels in [1, " + std::to_string(C) + "), 0 the padding (and the blank)");
      if (v == 0) {
        padding = true;
        label_paddings.data[static_cast<std::size_t>(at)] = 1;
      } else if (padding) {
        throw data_error("target", element_where(y.shape, at), "--group ctc needs the 0 padding at the end of each row (a label after a 0)");
      } else {
        tl.data[static_cast<std::size_t>(n)] += 1;
      }
    }
  }
  Data torch_data;
  torch_data.input = Tensor{x.shape, {}};
  {
    const core::Vec<T> lp = ctc_log_softmax<T>(to_vec<T>(x), C);
    for (Eigen::Index k = 0; k < lp.size(); ++k) torch_data.input.data.push_back(static_cast<double>(lp[k]));
  }
  torch_data.target = y;
  torch_data.more = {{"input_lengths", il}, {"target_lengths", tl}};
  Data tf_data = pair_of(x, y);
  tf_data.more = {{"logit_length", il}, {"label_length", tl}};
  Tensor xt{Shape{N, F, C}, std::vector<double>(x.data.size())};
  for (std::int64_t t = 0; t < F; ++t)
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t c = 0; c < C; ++c)
        xt.data[static_cast<std::size_t>((n * F + t) * C + c)] = x.data[static_cast<std::size_t>((t * N + n) * C + c)];
  const Data keras_data = pair_of(xt, y);
  Data optax_data = pair_of(xt, y);
  optax_data.more = {{"logit_paddings", Tensor{Shape{N, F}, std::vector<double>(static_cast<std::size_t>(N * F), 0.0)}},
                     {"label_paddings", label_paddings}};

  Result r;
  r.dtype = dtype_name(s.dtype);
  r.primary = "";
  r.summary = "logits (INPUT) " + shape_str(x.shape) + " (T, N, C) time-major, labels (TARGET) " + shape_str(y.shape) +
              " padded with 0 (the blank); " + std::to_string(F) + " frames each, label lengths the counts of nonzero labels";
  auto& rows = r.rows;
  current_group = "ctc";
  const Settings torch_mean = with_numbers(base(s, Reduction::Mean, -1), {{"blank", 0}, {"zero_infinity", 0}});
  const Settings torch_sum = with_numbers(base(s, Reduction::Sum, -1), {{"blank", 0}, {"zero_infinity", 0}});
  rows.push_back(run_row("torch", "F.ctc_loss(x.log_softmax(2), y, input_lengths, target_lengths)", &ctc_loss<T>, torch_data, torch_mean));
  rows.push_back(run_row("torch", "F.ctc_loss(x.log_softmax(2), y, input_lengths, target_lengths, reduction='sum')", &ctc_loss<T>, torch_data,
                         torch_sum));
  rows.push_back(run_row("tf.nn", "tf.reduce_mean(tf.nn.ctc_loss(y, x, target_lengths, input_lengths))", &tf_ctc_loss<T>, tf_data,
                         with_numbers(base(s, Reduction::Mean, -1), {{"logits_time_major", 1}, {"blank_index", 0}})));
  keras_rows<T>(rows, "CTC()(y, tf.transpose(x, (1, 0, 2)))", &keras_ctc<T>, &keras_ctc<float>, keras_data,
                base(s, Reduction::SumOverBatchSize, -1));
  rows.push_back(run_row("optax", "jnp.mean(optax.ctc_loss(x.transpose(1, 0, 2), jnp.zeros((N, T)), y, y == 0))", &optax_ctc_loss<T>,
                         optax_data, with_numbers(base(s, Reduction::Mean, -1), {{"blank_id", 0}, {"log_epsilon", -1e5}})));

  std::vector<std::string> why;
  bool lengths_one = true;
  for (double v : tl.data) lengths_one = lengths_one && v <= 1;
  why.push_back(std::string("What the mean divides by: torch's reduction='mean' divides each sample's loss by its target length (at least 1), "
                            "then takes the mean over N; tf.reduce_mean(tf.nn.ctc_loss), Keras's CTC() (sum_over_batch_size) and "
                            "jnp.mean(optax.ctc_loss) divide the sum by N, with no length normalisation") +
                (lengths_one ? " (the same here: every target length is at most 1)." : "; reduction='sum' divides by nothing (not compared)."));
  why.push_back("torch takes log-probabilities: its rows get x.log_softmax(2); tf.nn, Keras and optax take logits and apply the softmax inside.");
  why.push_back("Layouts and lengths: torch and tf.nn read (T, N, C) with explicit lengths; Keras and optax read (N, T, C). Keras derives "
                "label_length as the count of nonzero labels (0 is its padding and its blank, so class 0 is never a label) and "
                "input_length as T; optax takes paddings (1 = padded) instead of lengths.");
  bool infinite = false, optax_big = false;
  for (auto& row : rows) {
    infinite = infinite || (row.error.empty() && std::isinf(row.loss));
    optax_big = optax_big || (row.framework == "optax" && row.error.empty() && std::fabs(row.loss) >= 1e4);
  }
  if (infinite || optax_big)
    why.push_back("An impossible alignment (fewer frames than the labels and the blanks between repeats need): torch, tf.nn and Keras give "
                  "inf; optax adds log_epsilon = -1e5 in place of log 0, so each impossible sequence costs about 1e5 (finite), and its "
                  "mean is that over N.");
  for (auto& row : rows)
    if (row.call.find(kFloat32Mark) != std::string::npos) {
      why.push_back("Keras's TensorFlow backend computes tf.nn.ctc_loss in float32 (it casts float64 to float32): the float32 row is the "
                    "number Keras prints; --dtype float32 computes every row so.");
      break;
    }

  // Agreement, as compare's other groups say it (the sum and float32 rows left out).
  const double tolerance = s.dtype == DType::Float32 ? 1e-5 : 1e-12;
  std::vector<double> losses;
  for (auto& row : rows)
    if (row.error.empty() && row.call.find(kFloat32Mark) == std::string::npos && !other_reduction(row)) losses.push_back(row.loss);
  bool same = !losses.empty(), finite = true;
  for (double v : losses) {
    finite = finite && std::isfinite(v);
    const double l0 = losses[0];
    same = same && (std::isfinite(v) && std::isfinite(l0) ? std::fabs(v - l0) <= tolerance * std::max(1.0, std::fabs(l0)) : v == l0);
  }
  r.notes.push_back(same && finite ? "The ctc losses agree on this data." : "The ctc losses differ on this data; the reasons that apply:");
  for (auto& w : why) r.notes.push_back(w);
  return r;
}
}  // namespace

std::vector<std::string> compare_group_titles(const std::string& value) {
  std::vector<std::string> titles;
  for (const std::string& item : comma_items(value)) {
    const GroupName* found = nullptr;
    for (auto& g : kGroups)
      if (g.option == item || g.title == item) found = &g;
    if (!found) {
      std::string known;
      for (auto& g : kGroups) known += (known.empty() ? "" : ", ") + std::string(g.option);
      throw usage_error("--group", "unknown group '" + item + "': expected one or more of " + known + ", comma-separated");
    }
    if (std::find(titles.begin(), titles.end(), found->title) == titles.end()) titles.emplace_back(found->title);
  }
  return titles;
}

template <class T>
Result compare(const Data& data, const Settings& s) {
  check_input(data.input, true);
  const Tensor& target = require_target(data.target);
  const Tensor& x = data.input;
  if (auto it = s.param_text.find("group"); it != s.param_text.end() && !it->second.empty()) {
    const auto titles = compare_group_titles(it->second);
    if (std::find(titles.begin(), titles.end(), "ctc") != titles.end()) {
      if (titles.size() > 1) throw usage_error("--group", "ctc compares alone: its data are logits (T, N, C) and padded labels (N, S)");
      if (data.get("negative")) throw usage_error("--negative", "holds the negatives of --group triplet, not of ctc");
      return compare_ctc<T>(data, target, s);
    }
  }
  const std::int64_t nd = x.dims();
  const std::int64_t torch_dim = s.dim ? core::normalize_dim(*s.dim, nd) : (nd < 2 ? 0 : 1);
  const std::int64_t last_dim = s.dim ? torch_dim : nd - 1;
  const bool index = target.shape == core::positions_shape(x.shape, torch_dim) ||
                     target.shape == core::positions_shape(x.shape, last_dim);
  if (!index && target.shape != x.shape)
    throw data_error("target", "",
                     "expected class indices (INPUT's shape without the class dim) or INPUT's shape " + shape_str(x.shape) +
                         ", got " + shape_str(target.shape));
  const bool probs = s.input_kind == InputKind::Probabilities ||
                     (s.input_kind == InputKind::Auto && slices_are_distributions(x, last_dim)) ||
                     (s.input_kind == InputKind::Auto && !index && all_in_unit_interval(x) && !slices_are_distributions(target, last_dim));
  const bool weight = data.weight.has_value();

  Result r;
  r.dtype = dtype_name(s.dtype);
  r.primary = "";
  r.summary = "input " + shape_str(x.shape) + " read as " + (probs ? "probabilities" : "logits") +
              " (--input-kind to change), target " + shape_str(target.shape) + (index ? " class indices" : "");
  if (const Tensor* negative = data.get("negative"))
    r.summary = "anchors (INPUT) " + shape_str(x.shape) + ", positives (TARGET) " + shape_str(target.shape) + ", negatives " +
                shape_str(negative->shape);
  auto& rows = r.rows;
  auto& notes = r.notes;
  std::string misuse_note;
  const std::string xs = probs ? "p" : "x";

  Data log_p = data;  // torch on probabilities: log first
  if (probs)
    for (auto& v : log_p.input.data) v = std::log(v);

  const Selection selection(s, data.get("negative") != nullptr);
  const bool distributions = !index && slices_are_distributions(target, last_dim);
  Data no_weight = data;
  no_weight.weight.reset();
  no_weight.pos_weight.reset();
  current_group = "multi-class";
  if (selection.want("multi-class", index || distributions, index || distributions,
                     "class indices, or a TARGET whose slices along the class axis are distributions")) {
  if (index) {
    if (!probs) {
      Settings st = base(s, Reduction::Mean, torch_dim);
      st.ignore_index = s.ignore_index;
      st.label_smoothing = s.label_smoothing;
      st.target_type = TargetType::Index;
      rows.push_back(run_row("torch", "F.cross_entropy(x, y" + args_of(s, weight, true, true, "ignore_index") + ")",
                             &cross_entropy<T>, data, st));
      rows.push_back(run_row("tf.nn", "tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, x))",
                             &sparse_softmax_cross_entropy_with_logits<T>, no_weight, base(s, Reduction::Mean, nd - 1)));
      Settings ks = base(s, Reduction::SumOverBatchSize, last_dim);
      ks.from_logits = true;
      ks.ignore_index = s.ignore_index;
      keras_rows<T>(rows, "SparseCategoricalCrossentropy(from_logits=True" + args_of(s, false, true, false, "ignore_class") + ")(y, x)",
                    &sparse_categorical_crossentropy<T>, &sparse_categorical_crossentropy<float>, no_weight, ks);
      if (s.label_smoothing == 0 || !index)
        rows.push_back(run_row("optax", "jnp.mean(optax.softmax_cross_entropy_with_integer_labels(x, y" +
                                            std::string(last_dim != nd - 1 ? ", axis=" + std::to_string(last_dim) : "") + "))",
                               &optax_softmax_cross_entropy_with_integer_labels<T>, no_weight, base(s, Reduction::Mean, last_dim)));
    } else {
      Settings st = base(s, Reduction::Mean, torch_dim);
      st.ignore_index = s.ignore_index;
      rows.push_back(run_row("torch", "F.nll_loss(torch.log(p), y" + args_of(s, weight, true, false, "ignore_index") + ")",
                             &nll_loss<T>, log_p, st));
      st.label_smoothing = s.label_smoothing;
      st.target_type = TargetType::Index;
      rows.push_back(run_row("torch", "F.cross_entropy(p, y" + args_of(s, weight, true, true, "ignore_index") + ")  # p taken as logits",
                             &cross_entropy<T>, data, st));
      Settings ks = base(s, Reduction::SumOverBatchSize, last_dim);
      ks.ignore_index = s.ignore_index;
      keras_rows<T>(rows, "SparseCategoricalCrossentropy(" + args_of(s, false, true, false, "ignore_class").substr(index && s.ignore_index ? 2 : 0) + ")(y, p)",
                    &sparse_categorical_crossentropy<T>, &sparse_categorical_crossentropy<float>, no_weight, ks);
      misuse_note = ("F.cross_entropy applies softmax to its input: given probabilities it applies softmax twice, "
                      "which flattens them and pulls the loss toward log C whatever the predictions. "
                      "Use F.nll_loss(torch.log(p), y) for probabilities.");
    }
  } else {
      Settings st = base(s, Reduction::Mean, torch_dim);
      st.label_smoothing = s.label_smoothing;
      st.target_type = TargetType::Prob;
      Settings ks = base(s, Reduction::SumOverBatchSize, last_dim);
      ks.label_smoothing = s.label_smoothing;
      const std::string smooth = s.label_smoothing > 0 ? "label_smoothing=" + print::shortest(s.label_smoothing) : "";
      if (!probs) {
        rows.push_back(run_row("torch", "F.cross_entropy(x, t" + args_of(s, weight, false, true, "") + ")", &cross_entropy<T>, data, st));
        rows.push_back(run_row("tf.nn", "tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(t, x))",
                               &softmax_cross_entropy_with_logits<T>, no_weight, base(s, Reduction::Mean, last_dim)));
        ks.from_logits = true;
        keras_rows<T>(rows, "CategoricalCrossentropy(from_logits=True" + (smooth.empty() ? "" : ", " + smooth) + ")(t, x)",
                      &categorical_crossentropy<T>, &categorical_crossentropy<float>, no_weight, ks);
        if (s.label_smoothing == 0)
          rows.push_back(run_row("optax", "jnp.mean(optax.softmax_cross_entropy(x, t))", &optax_softmax_cross_entropy<T>, no_weight,
                                 base(s, Reduction::Mean, last_dim)));
      } else {
        rows.push_back(run_row("torch", "F.cross_entropy(torch.log(p), t" + args_of(s, weight, false, true, "") + ")",
                               &cross_entropy<T>, log_p, st));
        keras_rows<T>(rows, "CategoricalCrossentropy(" + smooth + ")(t, p)",
                      &categorical_crossentropy<T>, &categorical_crossentropy<float>, no_weight, ks);
      }
    }
  }
  const bool unit_target = !index && all_in_unit_interval(target);
  current_group = "binary";
  if (selection.want("binary", unit_target, unit_target, "a TARGET of INPUT's shape with values in [0, 1]")) {
    {
      Settings st = base(s, Reduction::Mean, torch_dim);
      Settings ks = base(s, Reduction::SumOverBatchSize, nd - 1);
      ks.label_smoothing = s.label_smoothing;
      const std::string smooth = s.label_smoothing > 0 ? "label_smoothing=" + print::shortest(s.label_smoothing) : "";
      if (!probs) {
        const std::string pw = data.pos_weight ? ", pos_weight=pw" : "";
        rows.push_back(run_row("torch", "F.binary_cross_entropy_with_logits(x, t" + std::string(weight ? ", weight=w" : "") + pw + ")",
                               &binary_cross_entropy_with_logits<T>, data, st));
        Data tf_data = no_weight;
        tf_data.pos_weight = data.pos_weight;
        if (data.pos_weight)
          rows.push_back(run_row("tf.nn", "tf.reduce_mean(tf.nn.weighted_cross_entropy_with_logits(t, x, pw))",
                                 &weighted_cross_entropy_with_logits<T>, tf_data, base(s, Reduction::Mean, last_dim)));
        else
          rows.push_back(run_row("tf.nn", "tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(t, x))",
                                 &sigmoid_cross_entropy_with_logits<T>, tf_data, base(s, Reduction::Mean, last_dim)));
        ks.from_logits = true;
        keras_rows<T>(rows, "BinaryCrossentropy(from_logits=True" + (smooth.empty() ? "" : ", " + smooth) + ")(t, x)",
                      &binary_crossentropy<T>, &binary_crossentropy<float>, no_weight, ks);
        if (!data.pos_weight && !weight && s.label_smoothing == 0)
          rows.push_back(run_row("optax", "jnp.mean(optax.sigmoid_binary_cross_entropy(x, t))", &optax_sigmoid_binary_cross_entropy<T>,
                                 no_weight, base(s, Reduction::Mean, last_dim)));
      } else {
        rows.push_back(run_row("torch", "F.binary_cross_entropy(p, t" + std::string(weight ? ", weight=w" : "") + ")",
                               &binary_cross_entropy<T>, data, st));
        keras_rows<T>(rows, "BinaryCrossentropy(" + smooth + ")(t, p)",
                      &binary_crossentropy<T>, &binary_crossentropy<float>, no_weight, ks);
      }
    }
  }

  std::map<std::string, std::vector<std::string>> group_reasons;
  margin_rows<T>(rows, group_reasons, data, s, selection, index, last_dim);
  focal_overlap_rows<T>(rows, group_reasons, data, s, selection, probs);
  // Regression groups for targets that are not labels (values outside [0, 1]
  // and not -1 / +1 labels); KL for soft targets.
  if (!index && target.shape == x.shape) regression_rows<T>(rows, group_reasons, data, s, selection, probs, !all_in_unit_interval(target));

  // The notes are derived from the rows shown: each group says whether its
  // numbers agree (NaN and inf never agree with a finite number), and when
  // they differ, the reasons that apply to this data and to its rows.
  std::vector<std::string> multi, binary;
  auto has_row = [&](const char* group, const char* framework) {
    for (auto& row : rows)
      if (row.group == group && row.framework == framework && row.error.empty()) return true;
    return false;
  };
  const bool tf_multi = has_row("multi-class", "tf.nn");
  if (weight) {
    multi.push_back(index ? "Class weights: torch's mean divides the weighted sum by the sum of the targets' weights; "
                            "tf.nn and Keras losses take no class weights (Keras's sample_weight is per sample)."
                          : "Class weights: torch's mean with probability targets divides by the number of samples, "
                            "not by the weights; tf.nn and Keras take no class weights.");
    binary.push_back("Weights: torch multiplies each element's loss by w; Keras's BinaryCrossentropy takes no weights "
                     "(its sample_weight is per sample).");
  }
  if (data.pos_weight)
    binary.push_back("pos_weight: torch and tf.nn weigh the positive term by it; Keras has no pos_weight.");
  if (weight && index) multi.push_back("optax takes no class weights either: its row is unweighted.");
  if (index && s.ignore_index)
    multi.push_back("optax has no ignore_index: an ignored label in [0, C) counts as that class, one outside [-C, C) makes its loss NaN "
                    "(take_along_axis), which the mean spreads.");
  if (s.label_smoothing > 0) {
    if (index)
      multi.push_back("Label smoothing: torch's F.cross_entropy mixes in s/C per class; F.nll_loss, tf.nn and Keras's "
                      "SparseCategoricalCrossentropy take none, so their rows are unsmoothed.");
    else if (tf_multi)
      multi.push_back("Label smoothing: torch and Keras's categorical losses mix in s/C per class; tf.nn has none, "
                      "so its row is unsmoothed.");
    binary.push_back("Label smoothing: Keras's binary loss mixes in s/2 (labels toward 0.5); torch's binary losses "
                     "and tf.nn have none, so their rows are unsmoothed.");
  }
  if (index && s.ignore_index) {
    const auto classes = x.shape[static_cast<std::size_t>(last_dim)];
    const bool out_of_range = *s.ignore_index < 0 || *s.ignore_index >= classes;
    multi.push_back("ignore_index: torch leaves those targets out of the mean; Keras's ignore_class divides by "
                    "(valid + epsilon), a relative difference of about epsilon / valid; tf.nn has no ignore index" +
                    std::string(out_of_range ? " and rejects the label." : " and counts those targets as class " + std::to_string(*s.ignore_index) + "."));
  }
  if (index && !s.ignore_index) {
    for (double v : target.data)
      if (v == -100) {
        multi.push_back("A target of -100 is torch's default ignore_index: torch leaves it out; tf.nn and Keras reject it.");
        break;
      }
  }
  bool data_non_finite = false;
  for (double v : x.data) data_non_finite = data_non_finite || !std::isfinite(v);
  for (double v : target.data) data_non_finite = data_non_finite || !std::isfinite(v);
  std::int64_t zeros = 0;
  if (probs)
    for (double v : x.data) zeros += v == 0;
  // Each row whose loss is NaN or infinite, with the cause this data shows.
  for (auto& row : rows) {
    if (!row.error.empty() || std::isfinite(row.loss) || (row.group != "multi-class" && row.group != "binary")) continue;
    std::string why = row.framework + " gives " + print::shortest(row.loss) + " (" + row.call + "): ";
    if (data_non_finite)
      why += "the data holds nan or inf, and it propagates.";
    else if (row.call.find("torch.log(p)") != std::string::npos && zeros > 0)
      why += "torch.log(p) is -inf where p is 0 (" + std::to_string(zeros) + (zeros == 1 ? " value" : " values") +
             " here); a target of 0 there gives 0 * -inf = nan, a positive target inf. Keras clips p to [" +
             print::shortest(s.epsilon) + ", 1 - " + print::shortest(s.epsilon) + "] first, so its loss stays finite.";
    else
      why += "an exp or a log overflows on this data.";
    (row.group == "binary" ? binary : multi).push_back(why);
  }
  if (probs) {
    bool extreme = false;
    const bool unnormalised = !slices_are_distributions(x, last_dim);
    for (double v : x.data) extreme = extreme || v < s.epsilon || v > 1 - s.epsilon;
    if (extreme) {
      multi.push_back("Clipping: Keras clips probabilities to [" + print::shortest(s.epsilon) + ", 1 - " + print::shortest(s.epsilon) +
                      "], so a certain wrong prediction costs " + print::shortest(-std::log(s.epsilon)) +
                      "; torch.log(p) takes them as they are (-inf at 0).");
      binary.push_back("Clipping vs clamping: Keras clips probabilities to [" + print::shortest(s.epsilon) + ", 1 - " +
                       print::shortest(s.epsilon) + "], so a certain wrong prediction costs " +
                       print::shortest(-std::log(s.epsilon)) + "; torch's F.binary_cross_entropy clamps each log at -100, so it costs 100.");
    }
    bool categorical = false;
    for (auto& row : rows) categorical = categorical || row.call.rfind("CategoricalCrossentropy", 0) == 0;
    if (unnormalised && !index && categorical)
      multi.push_back("Keras's categorical loss divides each row of p by its sum first; torch does not.");
  }
  if (nd >= 3 && !s.dim)
    multi.push_back("Class axis: torch reads classes from dim 1 ((N, C, L)); tf.nn and Keras from the last axis "
                    "((N, L, C)); --dim makes them all read the same one.");
  for (auto& row : rows)
    if (row.call.find(kFloat32Mark) != std::string::npos)
      (row.group == "binary" ? binary : multi)
          .push_back("Keras computes in float32 (its default floatx), where the clip at 1 - " + print::shortest(s.epsilon) +
                     " rounds differently: the float32 row is the number Keras prints; --dtype float32 computes everything so.");

  // Agreement within each group (the misuse row and the float32 rows left out).
  const double tolerance = s.dtype == DType::Float32 ? 1e-5 : 1e-12;
  group_reasons["multi-class"] = multi;
  group_reasons["binary"] = binary;
  std::vector<std::string> groups;
  for (auto& row : rows)
    if (std::find(groups.begin(), groups.end(), row.group) == groups.end()) groups.push_back(row.group);
  for (const std::string& group : groups) {
    std::vector<double> losses;
    std::vector<std::string> failed;
    for (auto& row : rows) {
      if (row.group != group || row.call.find("taken as logits") != std::string::npos ||
          row.call.find(kFloat32Mark) != std::string::npos || row.call.find(kOtherQuantity) != std::string::npos ||
          other_reduction(row))
        continue;
      if (row.error.empty())
        losses.push_back(row.loss);
      else
        failed.push_back(row.framework);
    }
    auto& reasons = group_reasons[group];
    if (losses.size() + failed.size() < 2) {  // nothing to agree with: what differs still applies
      for (auto& reason : reasons) notes.push_back(reason);
      continue;
    }
    bool all_finite = true, same = true;
    for (double v : losses) all_finite = all_finite && std::isfinite(v);
    for (double v : losses) {
      const double l0 = losses[0];
      const bool close = std::isfinite(v) && std::isfinite(l0) ? std::fabs(v - l0) <= tolerance * std::max(1.0, std::fabs(l0))
                                                               : (std::isnan(v) && std::isnan(l0)) || v == l0;
      same = same && close;
    }
    std::string head = std::string("The ") + group + " losses ";
    const std::string where = failed.empty() ? "" : " where they apply";
    if (losses.size() >= 2 && same && all_finite) {
      notes.push_back(head + "agree on this data" + where + ".");
      if (group != "multi-class" && group != "binary")  // what still differs (other reductions, conventions)
        for (auto& reason : reasons) notes.push_back(reason);
      continue;
    }
    if (losses.size() >= 2 && same)
      head += "are all " + print::shortest(losses[0]) + " on this data" + where;
    else if (losses.size() < 2)
      head += "cannot be compared on this data: only one applies";
    else
      head += "differ on this data";
    notes.push_back(head + (reasons.empty() ? "." : "; the reasons that apply:"));
    for (auto& reason : reasons) notes.push_back(reason);
  }
  if (!misuse_note.empty()) notes.push_back(misuse_note);
  if (!rows.empty() && rows.back().group == std::string("binary"))
    notes.push_back("Keras's binary loss is the mean over the last axis per sample, then the mean over samples: "
                    "the same as torch's mean over all elements when every row has the same length.");
  return r;
}

template Result compare<float>(const Data&, const Settings&);
template Result compare<double>(const Data&, const Settings&);

Result compare_reduced(const Data& data, const Settings& s) {
  // The groups in float64, then torch's cross-entropy in each precision.
  Settings s64 = s;
  s64.dtype = DType::Float64;
  Result r = compare<double>(data, s64);
  r.dtype = dtype_name(s.dtype);
  const Tensor& x = data.input;
  const Tensor& target = require_target(data.target);
  const std::int64_t nd = x.dims();
  const std::int64_t dim = s.dim ? core::normalize_dim(*s.dim, nd) : (nd < 2 ? 0 : 1);
  const bool index = target.shape == core::positions_shape(x.shape, dim);
  const bool probs = s.input_kind == InputKind::Probabilities ||
                     (s.input_kind == InputKind::Auto && slices_are_distributions(x, nd - 1));
  if (!index || probs) {
    r.notes.push_back(std::string("--dtype ") + dtype_name(s.dtype) +
                      ": the precision rows compare F.cross_entropy on logits and class indices; these data are not that, "
                      "and the groups above are in float64");
    return r;
  }
  current_group = "precision";
  Settings st = base(s, Reduction::Mean, dim);
  st.ignore_index = s.ignore_index;
  st.label_smoothing = s.label_smoothing;
  st.target_type = TargetType::Index;
  const std::string args = args_of(s, data.weight.has_value(), true, true, "ignore_index");
  const auto rounded = [&](core::Half h) {
    Data d = data;
    for (double& v : d.input.data) v = core::round_to(h, v);
    return d;
  };
  const auto in = [&](DType dt) {
    Settings t = st;
    t.dtype = dt;
    return t;
  };
  auto& rows = r.rows;
  rows.push_back(run_row("torch", "F.cross_entropy(x.double(), y" + args + ")", &cross_entropy<double>, data, in(DType::Float64)));
  rows.push_back(run_row("torch", "F.cross_entropy(x, y" + args + ")  # float32", &cross_entropy<float>, data, in(DType::Float32)));
  rows.push_back(run_row("torch", "F.cross_entropy(x.bfloat16(), y" + args + ")  # CPU", &cross_entropy_reduced, data,
                         in(DType::BFloat16)));
  rows.push_back(run_row("torch", "with torch.autocast('cpu'): F.cross_entropy(x.bfloat16(), y" + args + ")",
                         &cross_entropy<float>, rounded(core::Half::BFloat16), in(DType::Float32)));
  rows.push_back(run_row("torch", "F.cross_entropy(x.half().cuda(), y.cuda()" + args + ")  # CUDA's convention", &cross_entropy_reduced,
                         data, in(DType::Float16)));
  rows.push_back(run_row("torch", "with torch.autocast('cuda'): F.cross_entropy(x.half(), y" + args + ")", &cross_entropy<float>,
                         rounded(core::Half::Float16), in(DType::Float32)));
  auto& notes = r.notes;
  notes.push_back("The precision losses: the same call in float64, float32, bfloat16 and float16, and under autocast (the logits "
                  "arrive in the half format, the loss runs in float32).");
  const double b = rows[rows.size() - 4].loss;
  if (rows[rows.size() - 4].error.empty() && std::isfinite(b) && b != 0) {
    const double step = std::ldexp(1.0, std::ilogb(b) - 7);
    notes.push_back("bfloat16 keeps 8 significant bits: near " + print::shortest(b) + " its values are " + print::shortest(step) +
                    " apart, and log_softmax rounds " +
                    (dim == nd - 1 ? "its sum of exponentials, their log and its output" : "its output (over a dim that is not the last)") +
                    " to them.");
  }
  const std::int64_t n = core::make_layout(x.shape, dim).positions();
  if (core::to_bfloat16(static_cast<double>(n)) != static_cast<double>(n))
    notes.push_back("bfloat16's nll_loss divides by the count as a bfloat16 number: " + std::to_string(n) + " positions count as " +
                    print::shortest(core::to_bfloat16(static_cast<double>(n))) + ".");
  notes.push_back("Autocast computes the loss in float32: its row differs from float32's only by the rounding of the logits.");
  return r;
}

}  // namespace losscalc::ops
