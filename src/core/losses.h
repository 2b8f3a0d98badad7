// The math core: pure functions over Eigen arrays, templated on the scalar
// (float reproduces torch's float32, double its float64). No I/O, no text.
//
// A loss is a forward kernel and a backward kernel. Forward fills one loss
// per position (a position is one place that has one target: N * d1..dk of
// them), each position's share of the mean denominator, and which positions
// are ignored. reduce() turns those into the reported loss and the upstream
// gradient of each position; backward turns that into d loss / d input,
// the way autograd does in torch (so inf and nan travel the same way).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>
#include <type_traits>

#include "core/exact_sum.h"
#include "core/layout.h"
#include "request.h"

namespace losscalc::core {

template <class T>
using Vec = Eigen::Array<T, Eigen::Dynamic, 1>;
// Read-only values in place: a Vec, or a Map over memory held elsewhere.
template <class T>
using VecView = Eigen::Ref<const Vec<T>>;
// The same as a parameter whose T comes from the others (so a Vec or a Map
// converts to it).
template <class T>
using VecViewOf = std::type_identity_t<VecView<T>>;
using Index = Vec<std::int64_t>;

template <class T>
struct Forward {
  Vec<T> loss;              // per position; 0 where ignored
  Eigen::ArrayXd share;     // per position: its part of the mean denominator
  Eigen::Array<bool, Eigen::Dynamic, 1> ignored;  // per position
  double extra_denominator = 0;  // added to the shares' sum (Keras's masked-mean epsilon)
};

// Per-sample losses that each count `share` (1 when not given) toward a
// mean's denominator, none ignored.
template <class T>
Forward<T> forward_of(Vec<T> loss, Eigen::ArrayXd share) {
  const auto n = loss.size();
  return {std::move(loss), std::move(share), Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false)};
}
template <class T>
Forward<T> forward_of(Vec<T> loss) {
  const auto n = loss.size();
  return forward_of<T>(std::move(loss), Eigen::ArrayXd::Ones(n));
}

template <class T>
struct Reduced {
  Vec<T> loss;        // one value, or one per position for Reduction::None
  Vec<T> upstream;    // d reported loss / d loss_i, per position (0 if ignored)
  double total = 0;        // sum of the per-position losses (exact, rounded once)
  double denominator = 0;  // sum of the shares plus the extra (the mean's divisor)
  ExactSum loss_sum, share_sum;  // the same sums, mergeable with other blocks' exactly
};

// ---- softmax family (softmax.cpp) ------------------------------------------

// torch.softmax and torch.log_softmax along the layout's class dim, in the
// stable form: m = max, log_softmax = x - m - log(sum exp(x - m)),
// softmax = exp(x - m) / sum exp(x - m). A NaN anywhere in a slice makes the
// slice NaN, as in torch.
template <class T>
void softmax_forward(const Layout& layout, const VecViewOf<T>& x, Vec<T>& probs, Vec<T>& log_probs);

// Backward of log_softmax, in place: g <- g - exp(log_probs) * sum_c g (per slice).
template <class T>
void log_softmax_backward(const Layout& layout, const Vec<T>& log_probs, Vec<T>& g);

// ---- cross_entropy with class-index targets (cross_entropy.cpp) ------------
// torch.nn.functional.cross_entropy(x, y, weight, ignore_index, label_smoothing):
//   loss_i = (1 - eps) * -w[y] * logp[i, y] + eps * -(1/C) sum_c w[c] logp[i, c]
// share_i = w[y_i] (0 where y_i == ignore_index). `weight` empty = all ones.
template <class T>
Forward<T> cross_entropy_index_forward(const Layout& layout, const Vec<T>& log_probs, const Index& target,
                                       const Vec<T>& weight, std::int64_t ignore_index, T label_smoothing);
// The same losses straight from the logits x, without log_softmax arrays
// (the loss-only path: streaming, and any run that prints only the loss):
// the same operations in the same order, so the same doubles.
template <class T>
Forward<T> cross_entropy_index_loss(const Layout& layout, const VecViewOf<T>& x, const Index& target, const Vec<T>& weight,
                                    std::int64_t ignore_index, T label_smoothing);
// grad = G - p sum(G), G[c] = -upstream_i ((1 - eps) w[y] [c == y] + (eps/C) w[c]).
template <class T>
Vec<T> cross_entropy_index_backward(const Layout& layout, const Vec<T>& log_probs, const Index& target,
                                    const Vec<T>& weight, std::int64_t ignore_index, T label_smoothing,
                                    const Vec<T>& upstream);

// ---- cross_entropy with class-probability targets ---------------------------
// loss_i = -sum_c w[c] t'[i, c] logp[i, c], t' = t (1 - eps) + eps / C; share 1.
template <class T>
Forward<T> cross_entropy_prob_forward(const Layout& layout, const Vec<T>& log_probs, const Vec<T>& target,
                                      const Vec<T>& weight, T label_smoothing);
// grad = G - p sum(G), G[c] = -upstream_i w[c] t'[i, c].
template <class T>
Vec<T> cross_entropy_prob_backward(const Layout& layout, const Vec<T>& log_probs, const Vec<T>& target,
                                   const Vec<T>& weight, T label_smoothing, const Vec<T>& upstream);

// ---- nll_loss (nll.cpp) -------------------------------------------------------
// torch.nn.functional.nll_loss(x, y, weight, ignore_index) on log-probabilities
// (not checked): loss_i = -w[y] x[i, y]; share_i = w[y_i], 0 where ignored.
template <class T>
Forward<T> nll_forward(const Layout& layout, const VecViewOf<T>& input, const Index& target, const Vec<T>& weight,
                       std::int64_t ignore_index);
// grad[i, y] = -w[y] upstream_i; zero elsewhere and where ignored.
template <class T>
Vec<T> nll_backward(const Layout& layout, const Index& target, const Vec<T>& weight, std::int64_t ignore_index,
                    const Vec<T>& upstream);

// ---- the binary family (binary.cpp) ------------------------------------------
// Elementwise losses: one loss per element and its slope d loss / d x.
template <class T>
struct Pointwise {
  Vec<T> loss;
  Vec<T> slope;
  // d loss / d y where the framework differentiates the target as the
  // kernel at (y, x) rather than as -slope (torch's smooth_l1_loss); empty:
  // -slope.
  Vec<T> target_slope{};
};

// torch.sigmoid: 1 / (1 + exp(-x)).
template <class T>
Vec<T> sigmoid(const Vec<T>& x);

// torch binary_cross_entropy(x, y, weight) on probabilities, logs clamped at -100:
//   loss = w ((y - 1) max(log(1 - x), -100) - y max(log x, -100)),
//   slope = w (x - y) / max((1 - x) x, 1e-12). `w` empty or one per element.
template <class T>
Pointwise<T> bce(const Vec<T>& x, const Vec<T>& y, const Vec<T>& w);

// torch binary_cross_entropy_with_logits(x, y, weight, pos_weight), torch's form:
//   m = max(-x, 0), lw = 1 + (pw - 1) y,
//   loss = w ((1 - y) x + lw (log(exp(-m) + exp(-x - m)) + m)),
//   slope = w ((1 - y + pw y) sigmoid(x) - pw y). `w`, `pw` empty or one per element.
template <class T>
Pointwise<T> bce_with_logits(const Vec<T>& x, const Vec<T>& y, const Vec<T>& w, const Vec<T>& pos_weight);

// tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x):
//   max(x, 0) - x z + log1p(exp(-|x|)); slope sigmoid(x) - z (TF's where-based form).
template <class T>
Pointwise<T> tf_sigmoid_cross_entropy(const Vec<T>& x, const Vec<T>& z);

// tf.nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=q):
//   (1 - z) x + (1 + (q - 1) z) (log1p(exp(-|x|)) + max(-x, 0)); the slope is
//   TF's autodiff of that expression (abs and relu have slope 0 at 0).
template <class T>
Pointwise<T> tf_weighted_cross_entropy(const Vec<T>& x, const Vec<T>& z, const Vec<T>& q);

// keras binary_crossentropy on probabilities (Keras 3, TF backend):
//   p = clip(x, eps, 1 - eps), loss = -(y log p + (1 - y) log(1 - p)); slope 0 where clipped.
template <class T>
Pointwise<T> keras_binary_from_probs(const Vec<T>& x, const Vec<T>& y, T eps);

// torch mse_loss elementwise: d = x - y, loss = d * d, slope 2 d (torch's
// backward: 2 (x - y) times the upstream gradient), in T.
template <class T>
Pointwise<T> squared_error(const Vec<T>& x, const Vec<T>& y);

// torch l1_loss, elementwise: |x - y|, slope sign(x - y) (0 at 0, NaN for NaN).
template <class T>
Pointwise<T> absolute_error(const Vec<T>& x, const Vec<T>& y);
// torch smooth_l1_loss(beta >= 0): z = |x - y|; 0.5 z^2 / beta below beta,
// z - 0.5 beta from it; slope -1 for x - y <= -beta, 1 for >= beta, else
// (x - y) / beta (torch 1.13's order: with beta 0, d = 0 gives -1, NaN NaN);
// target_slope the same rule at y - x, as torch differentiates the target.
template <class T>
Pointwise<T> smooth_l1(const Vec<T>& x, const Vec<T>& y, T beta);
// torch huber_loss(delta > 0): 0.5 z^2 below delta, delta (z - 0.5 delta)
// from it; slope x - y clamped to [-delta, delta].
template <class T>
Pointwise<T> huber(const Vec<T>& x, const Vec<T>& y, T delta);

// torch margin_ranking_loss, elementwise: u = -y (x1 - x2) + margin (in T,
// in that order), loss = max(u, 0) (NaN stays NaN); slope = d loss / d x1 =
// -y where u >= 0 (torch's clamp_min passes the gradient at the kink), a
// signed 0 elsewhere; d loss / d x2 is -slope.
template <class T>
Pointwise<T> margin_ranking(const Vec<T>& x1, const Vec<T>& x2, const Vec<T>& y, T margin);

// ---- likelihoods and divergences (likelihood.cpp) ---------------------------

// torch kl_div, elementwise, on log-probabilities x: xlogy(t, t) - t x
// (NaN for t < 0), slope -t, target_slope log t + t/t - x (NaN at t = 0, as
// autograd gives); with log_target, exp(t) (t - x), slope -exp(t),
// target_slope exp(t) (t - x) + exp(t).
template <class T>
Pointwise<T> kl_div(const Vec<T>& x, const Vec<T>& t, bool log_target);
// torch poisson_nll_loss: log_input: exp(x) - t x, slope exp(x) - t; else
// x - t log(x + eps), slope 1 - t / (x + eps); full adds Stirling's term
// t log t - t + 0.5 log(2 pi t) where t > 1. target_slope: -x (or
// -log(x + eps)) plus the term's derivative (NaN for t <= 0 under full,
// where autograd multiplies 0 by log t).
template <class T>
Pointwise<T> poisson_nll(const Vec<T>& x, const Vec<T>& t, bool log_input, bool full, T eps);
// tf.nn.log_poisson_loss(targets z, log_input c): exp(c) - c z, plus
// Stirling's term where z is not in [0, 1] (compute_full_loss); slope
// exp(c) - z.
template <class T>
Pointwise<T> tf_log_poisson(const Vec<T>& c, const Vec<T>& z, bool full);
// torch gaussian_nll_loss on broadcast x, t, var: v = max(var, eps) (the
// clamp has no gradient), 0.5 (log v + (x - t)^2 / v) (+ 0.5 log 2 pi with
// full); slope (x - t) / v, var_slope 0.5 (1 / v - (x - t)^2 / v^2) at v.
template <class T>
struct Gaussian {
  Pointwise<T> pw;
  Vec<T> var_slope;
  Vec<T> var;  // v, the clamped variances
};
template <class T>
Gaussian<T> gaussian_nll(const Vec<T>& x, const Vec<T>& t, const Vec<T>& var, bool full, T eps);
// A kernel times a constant (losses and slopes): half the squared error is
// tf.nn.l2_loss's and optax.l2_loss's. Exact for powers of two.
template <class T>
Pointwise<T> scaled(Pointwise<T> pw, T factor);

// ---- Keras 3 regression kernels (keras_regression.cpp) ------------------------
// On y_pred p and y_true t (broadcast): each element's loss and its slope
// d / d p as TensorFlow differentiates Keras's expression.
// mean_squared_error (t - p)^2, slope -2 (t - p).
template <class T>
Pointwise<T> keras_squared_error(const Vec<T>& p, const Vec<T>& t);
// mean_absolute_error |t - p|, slope -sign(t - p) (0 at 0).
template <class T>
Pointwise<T> keras_absolute_error(const Vec<T>& p, const Vec<T>& t);
// mean_absolute_percentage_error 100 |(t - p) / max(|t|, eps)|.
template <class T>
Pointwise<T> keras_percentage_error(const Vec<T>& p, const Vec<T>& t, T eps);
// mean_squared_logarithmic_error (log(max(p, e) + 1) - log(max(t, e) + 1))^2,
// e = float32's 1e-7 in every dtype; slope 0 below e, passed at e.
template <class T>
Pointwise<T> keras_squared_log_error(const Vec<T>& p, const Vec<T>& t);
// huber: e = p - t; 0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2.
template <class T>
Pointwise<T> keras_huber(const Vec<T>& p, const Vec<T>& t, T delta);
// log_cosh: x + softplus(-2 x) - log 2 (TF's softplus, float32's log 2), slope tanh x.
template <class T>
Pointwise<T> keras_log_cosh(const Vec<T>& p, const Vec<T>& t);
// kl_divergence: clip(t) log(clip(t) / clip(p)), clip to [eps, 1] (both).
template <class T>
Pointwise<T> keras_kl_divergence(const Vec<T>& p, const Vec<T>& t, T eps);
// poisson: p - t log(p + eps), no clipping.
template <class T>
Pointwise<T> keras_poisson(const Vec<T>& p, const Vec<T>& t, T eps);
// hinge's labels (convert_binary_labels_to_hinge): when every one is 0 or 1,
// 2 t - 1 in place (true); otherwise left as they are (false).
template <class T>
bool keras_hinge_labels(Vec<T>& t);
// hinge: max(1 - t p, 0), slope -t where 1 - t p >= 0 (the tie included).
template <class T>
Pointwise<T> keras_hinge(const Vec<T>& p, const Vec<T>& t);
// squared_hinge: max(1 - t p, 0)^2, slope -2 t max(1 - t p, 0).
template <class T>
Pointwise<T> keras_squared_hinge(const Vec<T>& p, const Vec<T>& t);
// ---- Keras 3 categorical hinge and L2 normalisation (keras_margin.cpp) -------
// categorical_hinge per position: pos = sum t p, neg = max (1 - t) p,
// loss = max(neg - pos + 1, 0); active: the gradient passes (the tie too).
template <class T>
struct CategoricalHinge {
  Vec<T> loss, pos, neg, active;
};
template <class T>
CategoricalHinge<T> keras_categorical_hinge(const Layout& layout, const Vec<T>& p, const Vec<T>& t);
// d / d p: -t, plus (1 - t) shared equally by the ties of the max.
template <class T>
Vec<T> keras_categorical_hinge_backward(const Layout& layout, const CategoricalHinge<T>& f, const Vec<T>& p, const Vec<T>& t,
                                        const Vec<T>& upstream);
// keras.ops.normalize(x, axis, order=2) before 3.16: x * min(rsqrt(sum x^2),
// 1 / epsilon) along the layout's class axis.
template <class T>
struct Normalized {
  Vec<T> x, rsqrt, inv, passed;  // x normalised; per position rsqrt(sum x^2), the factor used, 1 where rsqrt <= 1 / epsilon
};
template <class T>
Normalized<T> keras_l2_normalize(const Layout& layout, const Vec<T>& x, double epsilon);
template <class T>
Vec<T> keras_l2_normalize_backward(const Layout& layout, const Normalized<T>& f, const Vec<T>& x, const Vec<T>& g_out);

// keras circle loss of embeddings p (n x d, row-major) and int32 labels, each
// sample against every other (ref = the batch itself): pairwise cosine
// distances max(1 - p_i . p_j, 0), the weighted positive and negative
// distances, their masked logsumexps and softplus(p_loss + n_loss).
template <class T>
struct Circle {
  Vec<T> raw, distances, pos_wd, neg_wd;  // n x n
  std::vector<bool> pos_mask, neg_mask;   // n x n
  Vec<T> p_loss, n_loss, p_shift, n_shift, loss;  // n
};
template <class T>
Circle<T> keras_circle(const Vec<T>& p, std::int64_t n, std::int64_t d, const std::vector<std::int32_t>& labels, T gamma, T margin,
                       bool remove_diagonal);
template <class T>
Vec<T> keras_circle_backward(const Circle<T>& c, const Vec<T>& p, std::int64_t n, std::int64_t d, T gamma, T margin,
                             const Vec<T>& upstream);

// The sum over the class (last) axis, one per position (kl_divergence), and
// its backward: slope times the position's upstream.
template <class T>
Forward<T> sum_over_classes(const Layout& layout, const Vec<T>& loss);
template <class T>
Vec<T> sum_over_classes_backward(const Layout& layout, const Vec<T>& upstream, const Vec<T>& slope);

// Per-position mean over the class axis of elementwise losses (share 1 each);
// with one class per position, the elementwise losses themselves.
template <class T>
Forward<T> mean_over_classes(const Layout& layout, const Vec<T>& loss);
// grad = upstream of the position * slope / C.
template <class T>
Vec<T> mean_over_classes_backward(const Layout& layout, const Vec<T>& upstream, const Vec<T>& slope);

// ---- tf.nn and keras pieces (keras.cpp) ---------------------------------------
// TF's softmax cross-entropy gradient from the logits: upstream (softmax -
// labels), which differs from autograd's p sum(labels) - labels when labels do
// not sum to 1; in float64 a unit label on a probability that rounds to 1 gets
// -(sum of the other probabilities), as TF's kernel (xent_op.h) gives.
template <class T>
Vec<T> tf_softmax_cross_entropy_backward(const Layout& layout, const Vec<T>& logits, const Vec<T>& labels,
                                         const Vec<T>& upstream);

// keras categorical_crossentropy on probabilities: q = clip(x / sum_c x, eps, 1 - eps),
// loss = -sum_c y log q. `clipped` receives q.
template <class T>
Forward<T> keras_categorical_forward(const Layout& layout, const Vec<T>& x, const Vec<T>& y, T eps, Vec<T>& clipped);
template <class T>
Vec<T> keras_categorical_backward(const Layout& layout, const Vec<T>& x, const Vec<T>& y, T eps, const Vec<T>& upstream);

// log(clip(x, eps, 1 - eps)): how keras feeds probabilities to a softmax
// cross-entropy; and its backward: grad_x = grad_z / clip(x) where not clipped.
template <class T>
Vec<T> keras_clip_log(const Vec<T>& x, T eps);
template <class T>
Vec<T> keras_clip_log_backward(const Vec<T>& x, T eps, const Vec<T>& grad_z);

// ---- focal losses (focal.cpp) -------------------------------------------------
// torchvision.ops.sigmoid_focal_loss (0.14), elementwise over logits x and
// targets y of one shape: p = sigmoid(x), ce = BCE with logits,
// p_t = p y + (1 - p)(1 - y), loss = ce (1 - p_t)^gamma, times
// alpha_t = alpha y + (1 - alpha)(1 - y) when alpha >= 0. slope and
// target_slope are torch's autograd through that expression.
template <class T>
struct SigmoidFocal {
  Pointwise<T> pw;
  Vec<T> p, ce, p_t, modulating_factor;  // modulating_factor: (1 - p_t)^gamma
  Vec<T> alpha_t;                        // empty when alpha < 0
};
template <class T>
SigmoidFocal<T> sigmoid_focal(const Vec<T>& x, const Vec<T>& y, double alpha, double gamma);

// Keras 3's focal parameters, as Python floats (cast to T where they meet a tensor).
struct FocalOptions {
  double alpha = 0.25, gamma = 2.0, epsilon = 1e-7;
  bool apply_class_balancing = false, from_logits = false;
};
// keras binary_focal_crossentropy, elementwise before the mean over the axis
// (TF backend): yp = x, or sigmoid(x) with from_logits; bce = the clipped
// BCE of yp, or with from_logits tf.nn.sigmoid_cross_entropy_with_logits of
// x (ops.sigmoid's output carries its logits); p_t = y yp + (1 - y)(1 - yp);
// loss = (1 - p_t)^gamma bce [* (alpha y + (1 - alpha)(1 - y)) with
// apply_class_balancing]. slope is TF's gradient (Pow: g gamma u^(gamma - 1)).
template <class T>
struct KerasBinaryFocal {
  Pointwise<T> pw;
  Vec<T> probs, bce, p_t, focal_factor;  // probs: yp
};
template <class T>
KerasBinaryFocal<T> keras_binary_focal(const Vec<T>& x, const Vec<T>& y, const FocalOptions& o);

// keras categorical_focal_crossentropy along the layout's class axis:
// yp = x or softmax(x), q = yp / sum(yp), o = clip(q, eps, 1 - eps),
// loss = sum_c alpha (1 - o)^gamma (-y log o); the backward is TF's, through
// the clip (0 outside), the division and the softmax.
template <class T>
struct KerasCategoricalFocal {
  Forward<T> f;
  Vec<T> probs, clipped, modulating_factor;  // probs: yp
};
template <class T>
KerasCategoricalFocal<T> keras_categorical_focal(const Layout& layout, const Vec<T>& x, const Vec<T>& y, const FocalOptions& o);
template <class T>
Vec<T> keras_categorical_focal_backward(const Layout& layout, const KerasCategoricalFocal<T>& f, const Vec<T>& y,
                                        const FocalOptions& o, const Vec<T>& upstream);

// ---- overlap losses (overlap.cpp) ----------------------------------------------
// Keras 3's dice and tversky: each element of y_pred p and y_true t belongs
// to group[k] (the positions left after summing over the axes). dice:
// 1 - 2 sum(t p) / (sum t + sum p + eps); tversky: 1 - I / (I + alpha fp +
// beta fn + eps), I = sum(p t), fp = sum((1 - t) p), fn = sum(t (1 - p)).
struct OverlapOptions {
  bool tversky = false;
  double alpha = 0.5, beta = 0.5, epsilon = 1e-7;
};
template <class T>
struct Overlap {
  Vec<T> intersection, sum_true, sum_pred, fp, fn;  // dice: the first three; tversky: intersection, fp, fn
  Vec<T> denominator, fraction;                      // the loss is 1 - fraction
};
template <class T>
Overlap<T> keras_overlap(const std::vector<std::int64_t>& group, std::int64_t groups, const Vec<T>& p, const Vec<T>& t,
                         const OverlapOptions& o);
template <class T>
Vec<T> keras_overlap_backward(const std::vector<std::int64_t>& group, const Overlap<T>& f, const Vec<T>& t, const OverlapOptions& o,
                              const Vec<T>& upstream);

// ---- reductions (reduce.cpp) ------------------------------------------------
// none: the per-position losses, upstream 1; sum: their sum, upstream 1;
// mean: sum / sum of shares (NaN when that is 0/0), upstream 1 / denominator.
// Ignored positions always get upstream 0, as autograd gives them.
template <class T>
Reduced<T> reduce(Reduction reduction, const Forward<T>& forward);

}  // namespace losscalc::core
