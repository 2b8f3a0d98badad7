// Keras 3's reduction of per-sample losses with sample_weight
// (keras/src/losses/loss.py: squeeze_or_expand_to_same_rank,
// reduce_weighted_values, reduce_values; the same from 3.7 to 3.16).
#pragma once

#include "ops/common.h"

namespace losscalc::ops {

// squeeze_or_expand_to_same_rank(a, b): when the ranks differ by one and the
// longer ends in 1, that 1 is squeezed, or (the shorter being 1-D) the
// shorter gains a last dim of 1. Anything else is left to broadcasting.
void squeeze_or_expand(Shape& a, Shape& b);

// y_pred and y_true (INPUT and TARGET, which must have elements) after
// LossFunctionWrapper's squeeze_or_expand_to_same_rank.
struct KerasPair {
  Tensor input, target;
};
KerasPair keras_pair(const Data& data);

// TF's broadcast shape of a binary op's operands, or bad data on `subject`
// with TF's words: "Incompatible shapes: [2,3] vs. [2] [Op:Mul]".
Shape tf_broadcast_shape(const Shape& a, const Shape& b, const std::string& op, const std::string& subject);

// The per-sample losses `f` (of shape `positions`), weighted by
// `sample_weight` (Keras's squeeze or expand, then broadcasting) and reduced:
// none, sum (of the weighted values), sum_over_batch_size and mean (their sum
// over the number of weighted values), mean_with_sample_weight (over the
// weights' own sum); a scalar passes through every reduction; x / 0 is 0
// (divide_no_nan). Fills loss, losses and denominator; returns each
// per-sample loss's upstream gradient.
template <class T>
core::Vec<T> keras_reduce(Result& r, const Shape& positions, const core::Forward<T>& f, const Tensor* sample_weight,
                          const Settings& s);

}  // namespace losscalc::ops
