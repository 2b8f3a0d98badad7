// Views of one position's C class values, `inner` apart in the flat buffer.
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/exp.h"
#include "core/losses.h"

namespace losscalc::core {

template <class T>
using Slice = Eigen::Map<Vec<T>, 0, Eigen::InnerStride<>>;
template <class T>
using ConstSlice = Eigen::Map<const Vec<T>, 0, Eigen::InnerStride<>>;

// (V: a Vec or a VecView.)
template <class V>
ConstSlice<typename V::Scalar> slice(const Layout& l, const V& v, std::int64_t p) {
  return ConstSlice<typename V::Scalar>(v.data() + l.base(p), l.classes, Eigen::InnerStride<>(l.inner));
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
// The largest of n values `stride` apart (four running maxes, then theirs).
// A NaN in a slice makes its exps' sum NaN and so everything computed from
// the slice, as in torch, however the max treats it.
template <class T>
T slice_max(const T* x, std::int64_t n, std::int64_t stride) {
  T m[4] = {x[0], x[0], x[0], x[0]};
  std::int64_t c = 1;
  for (; c + 4 <= n; c += 4)
    for (int k = 0; k < 4; ++k) {
      const T v = x[(c + k) * stride];
      m[k] = v > m[k] ? v : m[k];
    }
  for (; c < n; ++c) m[0] = x[c * stride] > m[0] ? x[c * stride] : m[0];
  const T a = m[1] > m[0] ? m[1] : m[0], b = m[3] > m[2] ? m[3] : m[2];
  return b > a ? b : a;
}

// exp of each of n values (x - max: never positive), in place.
template <class T>
void exps_in_place(T* e, std::size_t n) {
  if constexpr (std::is_same_v<T, double>)
    exp_nonpositive(e, e, n);
  else
    for (std::size_t i = 0; i < n; ++i) e[i] = std::exp(e[i]);
}

// The sum of a slice's exps, in class order and in double, and its log.
template <class T>
struct SliceSum {
  T sum, log_sum;
};
template <class T>
SliceSum<T> sum_and_log(const T* e, std::int64_t n, std::int64_t stride) {
  double s = 0;
  for (std::int64_t c = 0; c < n; ++c) s += static_cast<double>(e[c * stride]);
  const T sum = static_cast<T>(s);
  return {sum, std::log(sum)};
}

// e = exp(x - the max of the value's slice) for every value, and the maxes.
template <class T>
Vec<T> shifted_exps(const Layout& layout, const VecViewOf<T>& x, Vec<T>& max) {
  max.resize(layout.positions());
  Vec<T> e(x.size());
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const T* xs = x.data() + layout.base(p);
    T* es = e.data() + layout.base(p);
    const T m = max[p] = slice_max(xs, layout.classes, layout.inner);
    for (std::int64_t c = 0; c < layout.classes; ++c) es[c * layout.inner] = xs[c * layout.inner] - m;
  }
  exps_in_place(e.data(), static_cast<std::size_t>(e.size()));
  return e;
}

// Only the maxes and the logs of the exps' sums (what a loss needs): the
// same numbers as shifted_exps and sum_and_log give, for rows a few at a
// time, so that their exps stay in the cache.
template <class T>
void max_and_log_sums(const Layout& layout, const VecViewOf<T>& x, Vec<T>& max, Vec<T>& log_sum) {
  const std::int64_t n = layout.positions(), C = layout.classes;
  log_sum.resize(n);
  if (layout.inner != 1) {
    const Vec<T> e = shifted_exps(layout, x, max);
    for (std::int64_t p = 0; p < n; ++p) log_sum[p] = sum_and_log(e.data() + layout.base(p), C, layout.inner).log_sum;
    return;
  }
  max.resize(n);
  const std::int64_t rows = std::max<std::int64_t>(1, 2048 / C);
  std::vector<T> e(static_cast<std::size_t>(rows * C));
  for (std::int64_t p0 = 0; p0 < n; p0 += rows) {
    const std::int64_t p1 = std::min(n, p0 + rows);
    for (std::int64_t p = p0; p < p1; ++p) {
      const T* xr = x.data() + p * C;
      T* er = e.data() + (p - p0) * C;
      const T m = max[p] = slice_max(xr, C, 1);
      for (std::int64_t c = 0; c < C; ++c) er[c] = xr[c] - m;
    }
    exps_in_place(e.data(), static_cast<std::size_t>((p1 - p0) * C));
    for (std::int64_t p = p0; p < p1; ++p) log_sum[p] = sum_and_log(e.data() + (p - p0) * C, C, 1).log_sum;
  }
}

}  // namespace losscalc::core
