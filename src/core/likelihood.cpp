// The likelihood and divergence kernels: torch kl_div, poisson_nll_loss and
// gaussian_nll_loss, tf.nn log_poisson_loss. Each follows its framework's
// expression in its order, and its slopes are what autograd (or TF's
// autodiff) gives, NaN where they give NaN.
#include <cmath>
#include <limits>
#include <numbers>

#include "core/losses.h"

namespace losscalc::core {

namespace {

// Stirling's term of a count t, t log t - t + 0.5 log(2 pi t), in T as the
// frameworks write it (2 pi a constant of t's type).
template <class T>
T stirling(T t) {
  const T two_pi = static_cast<T>(2 * std::numbers::pi);
  return t * std::log(t) - t + T(0.5) * std::log(two_pi * t);
}
// Its derivative as autograd composes it; where the term is masked out the
// upstream is 0, and 0 times log t is NaN for t <= 0 (and NaN t).
template <class T>
T stirling_slope(T t, bool masked) {
  if (masked) return t > T(0) ? T(0) : std::numeric_limits<T>::quiet_NaN();
  const T two_pi = static_cast<T>(2 * std::numbers::pi);
  return std::log(t) + t / t - T(1) + T(0.5) / (two_pi * t) * two_pi;
}

}  // namespace

template <class T>
Pointwise<T> kl_div(const Vec<T>& x, const Vec<T>& t, bool log_target) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    if (log_target) {  // exp(t) (t - x)
      const T e = std::exp(t[i]);
      out.loss[i] = e * (t[i] - x[i]);
      out.slope[i] = -e;
      out.target_slope[i] = out.loss[i] + e;
    } else {  // xlogy(t, t) - t x
      // One log for xlogy(t, t) and its derivative xlogy(t != 0, t) + t / t
      // (NaN at t = 0), then -x: the same values as two.
      const T log_t = std::isnan(t[i]) ? t[i] : t[i] != T(0) ? std::log(t[i]) : T(0);
      out.loss[i] = (std::isnan(t[i]) ? t[i] : t[i] == T(0) ? T(0) : t[i] * log_t) - t[i] * x[i];
      out.slope[i] = -t[i];
      out.target_slope[i] = log_t + t[i] / t[i] - x[i];
    }
  }
  return out;
}

template <class T>
Pointwise<T> poisson_nll(const Vec<T>& x, const Vec<T>& t, bool log_input, bool full, T eps) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    if (log_input) {  // exp(x) - t x
      const T e = std::exp(x[i]);
      out.loss[i] = e - t[i] * x[i];
      out.slope[i] = e - t[i];
      out.target_slope[i] = -x[i];
    } else {  // x - t log(x + eps)
      const T shifted = x[i] + eps;
      const T log_shifted = std::log(shifted);
      out.loss[i] = x[i] - t[i] * log_shifted;
      out.slope[i] = T(1) - t[i] / shifted;
      out.target_slope[i] = -log_shifted;
    }
    if (full) {  // Stirling's term where t > 1 (masked_fill(t <= 1, 0))
      const bool masked = t[i] <= T(1);
      if (!masked) out.loss[i] += stirling(t[i]);
      out.target_slope[i] += stirling_slope(t[i], masked);
    }
  }
  return out;
}

template <class T>
Pointwise<T> tf_log_poisson(const Vec<T>& c, const Vec<T>& z, bool full) {
  const auto n = c.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T e = std::exp(c[i]);
    out.loss[i] = e - c[i] * z[i];
    // where(0 <= z <= 1, 0, stirling): negative counts get the term (NaN).
    if (full && !(z[i] >= T(0) && z[i] <= T(1))) out.loss[i] += stirling(z[i]);
    out.slope[i] = e - z[i];
  }
  return out;
}

template <class T>
Gaussian<T> gaussian_nll(const Vec<T>& x, const Vec<T>& t, const Vec<T>& var, bool full, T eps) {
  const auto n = x.size();
  Gaussian<T> out{{Vec<T>(n), Vec<T>(n), Vec<T>(n)}, Vec<T>(n), Vec<T>(n)};
  const T half_log_two_pi = static_cast<T>(0.5 * std::log(2 * std::numbers::pi));
  for (Eigen::Index i = 0; i < n; ++i) {
    const T v = std::isnan(var[i]) ? var[i] : std::max(var[i], eps);  // clamp_(min=eps), no gradient through it
    const T d = x[i] - t[i];
    const T d2 = d * d;
    out.var[i] = v;
    out.pw.loss[i] = T(0.5) * (std::log(v) + d2 / v);
    if (full) out.pw.loss[i] += half_log_two_pi;
    out.pw.slope[i] = T(0.5) / v * (T(2) * d);
    out.pw.target_slope[i] = -out.pw.slope[i];
    out.var_slope[i] = T(0.5) / v - T(0.5) * ((d2 / v) / v);  // torch: -grad * ((self / other) / other)
  }
  return out;
}

template <class T>
Pointwise<T> scaled(Pointwise<T> pw, T factor) {
  pw.loss *= factor;
  pw.slope *= factor;
  if (pw.target_slope.size()) pw.target_slope *= factor;
  return pw;
}

#define LOSSCALC_INSTANTIATE(T)                                                             \
  template Pointwise<T> kl_div(const Vec<T>&, const Vec<T>&, bool);                         \
  template Pointwise<T> poisson_nll(const Vec<T>&, const Vec<T>&, bool, bool, T);           \
  template Pointwise<T> tf_log_poisson(const Vec<T>&, const Vec<T>&, bool);                 \
  template Gaussian<T> gaussian_nll(const Vec<T>&, const Vec<T>&, const Vec<T>&, bool, T); \
  template Pointwise<T> scaled(Pointwise<T>, T);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
