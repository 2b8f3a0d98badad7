// What the optax ops share (ops/optax.cpp, ops/optax_margin.cpp): Python's
// and JAX's words for shapes, broadcasting and axes, and XLA's NaN-propagating
// max and min.
#pragma once

#include <cmath>
#include <limits>
#include <string>

#include "error.h"
#include "tensor.h"

namespace losscalc::ops {

// A shape as Python prints a tuple: (3,), (2, 3), ().
std::string py_shape(const Shape& s);

// jnp's broadcasting, with JAX's message naming the shapes in the order of
// the op that first mixes them (`first` is that op's left operand); the
// message is a data error on `subject`.
Shape jnp_broadcast(const Shape& first, const Shape& second, const char* subject = "target");

// The axis of an axis-reducing function (s.dim, default -1) canonicalised
// against `ndim`, or JAX's message.
std::int64_t jax_axis(std::int64_t axis, std::int64_t ndim, const char* subject = "input");

// XLA's max and min propagate NaN.
template <class T>
T nan_max(T a, T b) {
  return std::isnan(a) || std::isnan(b) ? std::numeric_limits<T>::quiet_NaN() : std::max(a, b);
}
template <class T>
T nan_min(T a, T b) {
  return std::isnan(a) || std::isnan(b) ? std::numeric_limits<T>::quiet_NaN() : std::min(a, b);
}

// lax.max / lax.min's JVP for the operand x of an op whose result is `ans`
// and whose other operand is y: [x == ans] / (2 if y == ans else 1) (ties
// share the cotangent 1/2 : 1/2; a NaN result gives 0).
template <class T>
T balanced_eq(T x, T ans, T y) {
  return (x == ans ? T(1) : T(0)) / (y == ans ? T(2) : T(1));
}

}  // namespace losscalc::ops
