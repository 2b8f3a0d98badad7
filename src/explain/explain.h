// --explain: rebuilds, for a few samples, the calculation a person does by
// hand (max, exponentials, sums, the picked log-probability, weights,
// smoothing, the reduction with its denominator, the gradient), with the
// actual numbers. It reads the computed Result and the data; it prints
// nothing: the printers lay the sections out.
#pragma once

#include <cstdint>
#include <vector>

#include "request.h"
#include "result.h"

namespace losscalc::explain {

// How many samples are explained when none are picked.
inline constexpr std::int64_t kDefaultSamples = 3;

// One sample's values of each positional data argument, in the table's
// order, broadcast to one shape.
using Args = std::vector<std::vector<double>>;
// One sample's steps of an elementwise loss: a table row's own walkthrough.
using ElementwiseSteps = void (*)(const Args& args, const Settings& settings, std::vector<Step>& steps);

// mse_loss (input x, target y): d = x - y, d^2.
void squared_error_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// l1_loss, smooth_l1_loss (beta), huber_loss (delta): d = x - y, |d|, the loss.
void absolute_error_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void smooth_l1_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void huber_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// margin_ranking_loss (input1, input2, target): -y (x1 - x2) + margin, its max with 0.
void margin_ranking_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// torchvision sigmoid_focal_loss (inputs x, targets y): p, the BCE with
// logits, p_t, (1 - p_t)^gamma, alpha_t, the loss.
void sigmoid_focal_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// kl_div (input log q, target p or log p): p (log p - x).
void kl_div_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// poisson_nll_loss: exp(x) - t x (or x - t log(x + eps)), Stirling's term with --full.
void poisson_nll_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// tf.nn log_poisson_loss (log_input c, targets z): exp(c) - c z, Stirling's term.
void log_poisson_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// gaussian_nll_loss (input, target, var): v = max(var, eps), 0.5 (log v + d^2 / v).
void gaussian_nll_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// tf.nn l2_loss (t): t^2 / 2, summed.
void half_squares_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// Keras's regression losses (y_pred x, y_true y): the elementwise loss by
// the op's kernel, its slope, the per-sample mean (kl_divergence: sum).
void keras_squared_error_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_absolute_error_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_percentage_error_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_squared_log_error_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_huber_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_log_cosh_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_kl_divergence_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_poisson_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// categorical_generalized_cross_entropy (args: one sample's probabilities,
// its label): p_t, (1 - p_t^q) / q.
void keras_hinge_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_squared_hinge_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_categorical_hinge_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_cosine_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_circle_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void generalized_cross_entropy_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// binary_focal_crossentropy (y_pred, y_true of one sample): bce, p_t, the
// focal factor, the class-balancing weight, the mean; categorical_focal_
// crossentropy: q, (1 - q)^gamma, each class's term, their sum.
void keras_binary_focal_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void keras_categorical_focal_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// dice, tversky (one row of y_pred, y_true): the row's intersection, sums (or
// fp, fn) and fraction; with axis none the loss is the batch's, said so.
void keras_overlap_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// scikit-learn (args: the rows of the table's explain_rows): log_loss
// (y_pred, y_true, one-hot, clipped, renormalised), brier_score_loss (y_prob,
// y_true, outcome), mean_squared_error and mean_absolute_error (y_pred, y_true).
void sklearn_log_loss_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void sklearn_brier_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void sklearn_hinge_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void sklearn_squared_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void sklearn_absolute_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// optax: elementwise (predictions, targets or 0 when none given), and along
// the axis (one example's row of the input, and of the target or its label).
void optax_squared_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_half_squared_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_huber_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_log_cosh_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_sigmoid_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_kl_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_softmax_ce_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_integer_ce_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
// optax's margin and embedding losses: hinge / perceptron (x, t per element),
// multiclass (a row of scores, its label), cosine (two rows along --axis),
// triplet (anchor, positive, negative, the two distances), ntxent (an
// embedding, its label, its cosines, its pairs' losses).
void optax_hinge_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_perceptron_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_sparsemax_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_multiclass_hinge_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_multiclass_perceptron_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_cosine_similarity_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_cosine_distance_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_triplet_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_ntxent_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_ranking_softmax_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void optax_multiclass_sparsemax_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// torch's margin and embedding losses: elementwise (x, y), a class axis
// (one sample's row, its labels or label), or rows of the table's
// explain_rows (cosine: input1, input2, target, cos; triplet: anchor,
// positive, negative and the two distances).
void hinge_embedding_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void soft_margin_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void multilabel_soft_margin_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void multi_margin_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void multilabel_margin_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void cosine_embedding_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);
void triplet_steps(const Args& args, const Settings& settings, std::vector<Step>& steps);

// Adds r.explanation and r.explain_note. `settings` are resolved (dim and
// reduction set); `picks` are sample (position) indices, empty = the first few.
}  // namespace losscalc::explain
namespace losscalc {
struct FunctionSpec;
}
namespace losscalc::explain {
void explain(const FunctionSpec& function, const Data& data, const Settings& settings,
             const std::vector<std::int64_t>& picks, Result& r);

}  // namespace losscalc::explain
