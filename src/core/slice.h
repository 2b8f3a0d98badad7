// Views of one position's C class values, `inner` apart in the flat buffer.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "core/exp.h"
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

// The stable softmax's pieces, shared by softmax_forward and the fused
// cross-entropy loss so that both give the same doubles.
//
// e = exp(x - max of the value's slice) for every value, and the maxes (a
// NaN anywhere in a slice makes its max NaN, as in torch).
template <class T>
Vec<T> shifted_exps(const Layout& layout, const Vec<T>& x, Vec<T>& max) {
  max.resize(layout.positions());
  Vec<T> e(x.size());
  if (layout.inner == 1) {
    // Rows: plain loops over each row (no strided view).
    const std::int64_t C = layout.classes;
    for (std::int64_t p = 0; p < layout.positions(); ++p) {
      const T* xr = x.data() + p * C;
      T* er = e.data() + p * C;
      T m = xr[0];
      bool nan = std::isnan(m);
      for (std::int64_t c = 1; c < C; ++c) {
        m = xr[c] > m ? xr[c] : m;
        nan |= std::isnan(xr[c]);
      }
      if (nan) m = std::numeric_limits<T>::quiet_NaN();
      max[p] = m;
      for (std::int64_t c = 0; c < C; ++c) er[c] = xr[c] - m;
    }
  } else {
    for (std::int64_t p = 0; p < layout.positions(); ++p) {
      auto xs = slice(layout, x, p);
      max[p] = xs.template maxCoeff<Eigen::PropagateNaN>();
      slice(layout, e, p) = xs - max[p];
    }
  }
  if constexpr (std::is_same_v<T, double>)
    exp_nonpositive(e.data(), e.data(), static_cast<std::size_t>(e.size()));
  else
    e = e.unaryExpr([](T v) { return std::exp(v); });
  return e;
}

// A slice's sum of those exps, in class order and in double, and its log.
template <class T>
struct SliceSum {
  T sum, log_sum;
};
template <class T>
SliceSum<T> slice_sum(const Layout& layout, const Vec<T>& e, std::int64_t p) {
  const T sum = static_cast<T>(sum_double(slice(layout, e, p)));
  return {sum, std::log(sum)};
}

}  // namespace losscalc::core
