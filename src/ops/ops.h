// Ops: one per function. Each checks its arrays (shapes, ranges, option
// values), runs the core kernels in float or double, and returns a Result.
// Settings arrive resolved: reduction and dim are set.
#pragma once

#include "request.h"
#include "result.h"

namespace losscalc::ops {

template <class T>
Result cross_entropy(const Data& data, const Settings& settings);
template <class T>
Result nll_loss(const Data& data, const Settings& settings);
template <class T>
Result softmax(const Data& data, const Settings& settings);
template <class T>
Result log_softmax(const Data& data, const Settings& settings);
// The same four in bfloat16 (torch 1.13's CPU) and float16 (CUDA's
// convention), by the settings' dtype (reduced_precision.cpp).
Result cross_entropy_reduced(const Data& data, const Settings& settings);
Result nll_loss_reduced(const Data& data, const Settings& settings);
Result softmax_reduced(const Data& data, const Settings& settings);
Result log_softmax_reduced(const Data& data, const Settings& settings);

// torch binary family (binary_family.cpp)
template <class T>
Result mse_loss(const Data& data, const Settings& settings);
template <class T>
Result l1_loss(const Data& data, const Settings& settings);
template <class T>
Result smooth_l1_loss(const Data& data, const Settings& settings);
template <class T>
Result huber_loss(const Data& data, const Settings& settings);
template <class T>
Result kl_div(const Data& data, const Settings& settings);
template <class T>
Result poisson_nll_loss(const Data& data, const Settings& settings);
template <class T>
Result gaussian_nll_loss(const Data& data, const Settings& settings);
template <class T>
Result log_poisson_loss(const Data& data, const Settings& settings);
template <class T>
Result l2_loss(const Data& data, const Settings& settings);
template <class T>
Result margin_ranking_loss(const Data& data, const Settings& settings);
template <class T>
Result binary_cross_entropy(const Data& data, const Settings& settings);
template <class T>
Result binary_cross_entropy_with_logits(const Data& data, const Settings& settings);
template <class T>
Result sigmoid(const Data& data, const Settings& settings);

// tf.nn (binary_family.cpp, tf_keras.cpp)
template <class T>
Result sigmoid_cross_entropy_with_logits(const Data& data, const Settings& settings);
template <class T>
Result weighted_cross_entropy_with_logits(const Data& data, const Settings& settings);
template <class T>
Result softmax_cross_entropy_with_logits(const Data& data, const Settings& settings);
template <class T>
Result sparse_softmax_cross_entropy_with_logits(const Data& data, const Settings& settings);

// keras (tf_keras.cpp)
template <class T>
Result mean_squared_error(const Data& data, const Settings& settings);
template <class T>
Result mean_absolute_error(const Data& data, const Settings& settings);
template <class T>
Result mean_absolute_percentage_error(const Data& data, const Settings& settings);
template <class T>
Result mean_squared_logarithmic_error(const Data& data, const Settings& settings);
template <class T>
Result huber(const Data& data, const Settings& settings);
template <class T>
Result log_cosh(const Data& data, const Settings& settings);
template <class T>
Result kl_divergence(const Data& data, const Settings& settings);
template <class T>
Result poisson(const Data& data, const Settings& settings);
template <class T>
Result categorical_generalized_cross_entropy(const Data& data, const Settings& s);
template <class T>
Result hinge(const Data& data, const Settings& s);
template <class T>
Result squared_hinge(const Data& data, const Settings& s);
// keras categorical_hinge and cosine_similarity (ops/keras_margin.cpp).
template <class T>
Result categorical_hinge(const Data& data, const Settings& s);
template <class T>
Result cosine_similarity(const Data& data, const Settings& s);
template <class T>
Result circle(const Data& data, const Settings& s);
// torch margin and embedding losses (ops/margin.cpp).
template <class T>
Result hinge_embedding_loss(const Data& data, const Settings& s);
template <class T>
Result soft_margin_loss(const Data& data, const Settings& s);
template <class T>
Result multilabel_soft_margin_loss(const Data& data, const Settings& s);
template <class T>
Result multi_margin_loss(const Data& data, const Settings& s);
template <class T>
Result multilabel_margin_loss(const Data& data, const Settings& s);
template <class T>
Result cosine_embedding_loss(const Data& data, const Settings& s);
template <class T>
Result triplet_margin_loss(const Data& data, const Settings& s);
template <class T>
Result triplet_margin_with_distance_loss(const Data& data, const Settings& s);
// optax (ops/optax.cpp).
template <class T>
Result optax_squared_error(const Data& data, const Settings& s);
template <class T>
Result optax_l2_loss(const Data& data, const Settings& s);
template <class T>
Result optax_huber_loss(const Data& data, const Settings& s);
template <class T>
Result optax_log_cosh(const Data& data, const Settings& s);
template <class T>
Result optax_sigmoid_binary_cross_entropy(const Data& data, const Settings& s);
template <class T>
Result optax_sigmoid_focal_loss(const Data& data, const Settings& s);
template <class T>
Result optax_dice_loss(const Data& data, const Settings& s);
template <class T>
Result optax_binary_dice_loss(const Data& data, const Settings& s);
template <class T>
Result optax_multiclass_generalized_dice_loss(const Data& data, const Settings& s);
template <class T>
Result optax_kl_divergence(const Data& data, const Settings& s);
template <class T>
Result optax_kl_divergence_with_log_targets(const Data& data, const Settings& s);
template <class T>
Result optax_generalized_kl_divergence(const Data& data, const Settings& s);
template <class T>
Result optax_softmax_cross_entropy(const Data& data, const Settings& s);
template <class T>
Result optax_safe_softmax_cross_entropy(const Data& data, const Settings& s);
template <class T>
Result optax_poly_loss_cross_entropy(const Data& data, const Settings& s);
template <class T>
Result optax_softmax_cross_entropy_with_integer_labels(const Data& data, const Settings& s);
// optax's margin, embedding and ranking losses (ops/optax_margin.cpp).
template <class T>
Result optax_hinge_loss(const Data& data, const Settings& s);
template <class T>
Result optax_perceptron_loss(const Data& data, const Settings& s);
template <class T>
Result optax_sparsemax_loss(const Data& data, const Settings& s);
template <class T>
Result optax_ranking_softmax_loss(const Data& data, const Settings& s);
template <class T>
Result optax_multiclass_sparsemax_loss(const Data& data, const Settings& s);
template <class T>
Result optax_multiclass_hinge_loss(const Data& data, const Settings& s);
template <class T>
Result optax_multiclass_perceptron_loss(const Data& data, const Settings& s);
template <class T>
Result optax_cosine_similarity(const Data& data, const Settings& s);
template <class T>
Result optax_cosine_distance(const Data& data, const Settings& s);
template <class T>
Result optax_triplet_margin_loss(const Data& data, const Settings& s);
template <class T>
Result optax_ntxent(const Data& data, const Settings& s);
// scikit-learn 1.2 (ops/sklearn.cpp).
// --multioutput's weights ("0.3,0.7"), or a usage error in scikit-learn's words.
std::vector<double> multioutput_weights(const std::string& text);
template <class T>
Result sklearn_hinge_loss(const Data& data, const Settings& s);
template <class T>
Result sklearn_log_loss(const Data& data, const Settings& s);
template <class T>
Result sklearn_brier_score_loss(const Data& data, const Settings& s);
template <class T>
Result sklearn_mean_squared_error(const Data& data, const Settings& s);
template <class T>
Result sklearn_mean_absolute_error(const Data& data, const Settings& s);
template <class T>
Result categorical_crossentropy(const Data& data, const Settings& settings);
template <class T>
Result sparse_categorical_crossentropy(const Data& data, const Settings& settings);
template <class T>
Result binary_crossentropy(const Data& data, const Settings& settings);

// focal losses (ops/focal.cpp).
template <class T>
Result sigmoid_focal_loss(const Data& data, const Settings& s);
template <class T>
Result binary_focal_crossentropy(const Data& data, const Settings& s);
template <class T>
Result categorical_focal_crossentropy(const Data& data, const Settings& s);
// CTC (ops/ctc.cpp): torch ctc_loss, tf.nn.ctc_loss, optax.ctc_loss, Keras ctc.
template <class T>
Result ctc_loss(const Data& data, const Settings& s);
template <class T>
Result tf_ctc_loss(const Data& data, const Settings& s);
template <class T>
Result optax_ctc_loss(const Data& data, const Settings& s);
template <class T>
Result keras_ctc(const Data& data, const Settings& s);
// keras dice and tversky (ops/overlap.cpp).
template <class T>
Result dice(const Data& data, const Settings& s);
template <class T>
Result tversky(const Data& data, const Settings& s);

// compare (compare.cpp): the same data through every framework's convention.
template <class T>
Result compare(const Data& data, const Settings& settings);
// --dtype bfloat16 / float16: the groups in float64 and a precision group
// (torch's cross_entropy in every precision and under autocast).
Result compare_reduced(const Data& data, const Settings& settings);
// The titles of the groups a --group value names ("squared-error,kl" gives
// "squared error", "kl"), or a usage error naming the known ones.
std::vector<std::string> compare_group_titles(const std::string& value);


}  // namespace losscalc::ops
