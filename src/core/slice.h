// Views of one position's C class values, `inner` apart in the flat buffer.
#pragma once

#include <cmath>

#include "core/losses.h"

namespace losscalc::core {

template <class T>
using Slice = Eigen::Map<Vec<T>, 0, Eigen::InnerStride<>>;
template <class T>
using ConstSlice = Eigen::Map<const Vec<T>, 0, Eigen::InnerStride<>>;

template <class T>
ConstSlice<T> slice(const Layout& l, const Vec<T>& v, std::int64_t p) {
  return ConstSlice<T>(v.data() + l.base(p), l.classes, Eigen::InnerStride<>(l.inner));
}
template <class T>
Slice<T> slice(const Layout& l, Vec<T>& v, std::int64_t p) {
  return Slice<T>(v.data() + l.base(p), l.classes, Eigen::InnerStride<>(l.inner));
}

// Sums in double whatever T is: the reference values are exact sums, and torch
// float32 reductions (cascade sums) land within float rounding of them.
template <class E>
double sum_double(const E& e) {
  return e.template cast<double>().sum();
}

// One slice's log-sum-exp in the stable form: max = the largest value (a NaN
// anywhere makes it NaN), sum = sum_c exp(x_c - max) in class order, in
// double, log_sum = log(sum). With kKeep, exp(x_c - max) also go to `exps`.
// softmax_forward and the fused cross-entropy loss both use it, so a loss
// computed without the softmax arrays is the same double.
template <class T>
struct SliceLse {
  T max, sum, log_sum;
};
template <bool kKeep, class T>
SliceLse<T> slice_lse(const ConstSlice<T>& xs, Slice<T>* exps) {
  const T m = xs.template maxCoeff<Eigen::PropagateNaN>();
  double s = 0;
  for (Eigen::Index c = 0; c < xs.size(); ++c) {
    const T e = std::exp(xs[c] - m);
    if constexpr (kKeep) (*exps)[c] = e;
    s += static_cast<double>(e);
  }
  const T sum = static_cast<T>(s);
  return {m, sum, std::log(sum)};
}

}  // namespace losscalc::core
