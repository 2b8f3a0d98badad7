// Keras 3's regression kernels (keras/src/losses/losses.py, TensorFlow
// backend), elementwise on y_pred p and y_true t after Keras's squeeze or
// expand and broadcasting: the loss of each element (before the mean, or for
// kl_divergence the sum, over the last axis) and its slope d loss / d p as
// TensorFlow's gradients give it (math_grad.py): abs and sign have slope 0
// at 0, maximum and clip pass the gradient at their bounds, a where() sends
// 0 into the branch not taken (0 * inf = NaN leaks).
#include <cmath>
#include <limits>
#include <numbers>

#include "core/losses.h"
#include "core/slice.h"

namespace losscalc::core {

namespace {
template <class T>
T sign(T v) {
  return std::isnan(v) ? v : v > 0 ? T(1) : v < 0 ? T(-1) : T(0);
}
template <class T>
Pointwise<T> sized(Eigen::Index n) {
  return {Vec<T>(n), Vec<T>(n)};
}
}  // namespace

template <class T>
Pointwise<T> keras_squared_error(const Vec<T>& p, const Vec<T>& t) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T d = t[i] - p[i];
    out.loss[i] = d * d;
    out.slope[i] = -(d * T(2));
  }
  return out;
}

template <class T>
Pointwise<T> keras_absolute_error(const Vec<T>& p, const Vec<T>& t) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T d = t[i] - p[i];
    out.loss[i] = std::abs(d);
    out.slope[i] = -sign(d);
  }
  return out;
}

template <class T>
Pointwise<T> keras_percentage_error(const Vec<T>& p, const Vec<T>& t, T eps) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T den = std::isnan(t[i]) ? t[i] : std::max(std::abs(t[i]), eps);  // maximum(|y_true|, eps)
    const T q = (t[i] - p[i]) / den;
    out.loss[i] = T(100) * std::abs(q);
    out.slope[i] = -(T(100) * sign(q)) / den;
  }
  return out;
}

template <class T>
Pointwise<T> keras_squared_log_error(const Vec<T>& p, const Vec<T>& t) {
  // convert_to_tensor(epsilon()) without a dtype: float32's 1e-7, whatever T.
  const T eps = static_cast<T>(static_cast<float>(1e-7));
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T a = std::isnan(p[i]) ? p[i] : std::max(p[i], eps);
    const T b = std::isnan(t[i]) ? t[i] : std::max(t[i], eps);
    const T d = std::log(a + T(1)) - std::log(b + T(1));
    out.loss[i] = d * d;
    out.slope[i] = p[i] >= eps ? d * T(2) * (T(1) / (a + T(1))) : T(0);
  }
  return out;
}

template <class T>
Pointwise<T> keras_huber(const Vec<T>& p, const Vec<T>& t, T delta) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T e = p[i] - t[i];
    const T ae = std::abs(e);
    const bool quadratic = ae <= delta;
    out.loss[i] = quadratic ? T(0.5) * (e * e) : delta * ae - T(0.5) * (delta * delta);
    // where(): the branch not taken gets an upstream of 0, times its own slope.
    const T in = quadratic ? T(1) : T(0);
    out.slope[i] = in * T(0.5) * (e * T(2)) + (T(1) - in) * delta * sign(e);
  }
  return out;
}

template <class T>
Pointwise<T> keras_log_cosh(const Vec<T>& p, const Vec<T>& t) {
  // ops.log(2.0) is computed in float32, then cast to T.
  const T log2 = static_cast<T>(std::log(2.0f));
  // TF's softplus kernel: z above -threshold is z, below threshold exp(z), else log1p(exp(z)).
  const T threshold = std::log(std::numeric_limits<T>::epsilon()) + T(2);
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T x = p[i] - t[i];
    const T z = x * T(-2);
    const T softplus = z > -threshold ? z : z < threshold ? std::exp(z) : std::log1p(std::exp(z));
    out.loss[i] = (x + softplus) - log2;
    out.slope[i] = T(1) + (T(1) / (std::exp(-z) + T(1))) * T(-2);
  }
  return out;
}

template <class T>
Pointwise<T> keras_kl_divergence(const Vec<T>& p, const Vec<T>& t, T eps) {
  auto out = sized<T>(p.size());
  const auto clip = [eps](T v) { return std::isnan(v) ? v : std::max(std::min(v, T(1)), eps); };
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T tc = clip(t[i]), pc = clip(p[i]);
    const T ratio = tc / pc;
    out.loss[i] = tc * std::log(ratio);
    // clip_by_value passes the gradient inside [eps, 1], both ends included.
    const bool inside = p[i] <= T(1) && p[i] >= eps;
    out.slope[i] = inside ? (tc * (T(1) / ratio)) * ((-tc / pc) / pc) : T(0);
  }
  return out;
}

template <class T>
Pointwise<T> keras_poisson(const Vec<T>& p, const Vec<T>& t, T eps) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    out.loss[i] = p[i] - t[i] * std::log(p[i] + eps);
    out.slope[i] = T(1) + -t[i] * (T(1) / (p[i] + eps));
  }
  return out;
}

template <class T>
bool keras_hinge_labels(Vec<T>& t) {
  for (Eigen::Index i = 0; i < t.size(); ++i)
    if (t[i] != T(0) && t[i] != T(1)) return false;
  for (Eigen::Index i = 0; i < t.size(); ++i) t[i] = T(2) * t[i] - T(1);
  return true;
}

template <class T>
Pointwise<T> keras_hinge(const Vec<T>& p, const Vec<T>& t) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T m = T(1) - t[i] * p[i];
    out.loss[i] = std::max(m, T(0));          // NaN stays NaN
    out.slope[i] = m >= T(0) ? -t[i] : T(0);  // maximum's gradient goes to its first operand at a tie
  }
  return out;
}

template <class T>
Pointwise<T> keras_squared_hinge(const Vec<T>& p, const Vec<T>& t) {
  auto out = sized<T>(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const T m = T(1) - t[i] * p[i];
    const T h = std::max(m, T(0));
    out.loss[i] = h * h;
    out.slope[i] = m >= T(0) ? -t[i] * (h * T(2)) : T(0);
  }
  return out;
}

template <class T>
Forward<T> sum_over_classes(const Layout& layout, const Vec<T>& loss) {
  const std::int64_t n = layout.positions();
  auto f = forward_of<T>(Vec<T>(n));
  for (std::int64_t q = 0; q < n; ++q) f.loss[q] = static_cast<T>(sum_double(slice(layout, loss, q)));
  return f;
}

template <class T>
Vec<T> sum_over_classes_backward(const Layout& layout, const Vec<T>& upstream, const Vec<T>& slope) {
  Vec<T> grad(slope.size());
  for (std::int64_t q = 0; q < layout.positions(); ++q) {
    auto g = slice(layout, grad, q);
    g = slice(layout, slope, q) * upstream[q];
  }
  return grad;
}

#define LOSSCALC_INSTANTIATE(T)                                                 \
  template Pointwise<T> keras_squared_error(const Vec<T>&, const Vec<T>&);      \
  template Pointwise<T> keras_absolute_error(const Vec<T>&, const Vec<T>&);     \
  template Pointwise<T> keras_percentage_error(const Vec<T>&, const Vec<T>&, T); \
  template Pointwise<T> keras_squared_log_error(const Vec<T>&, const Vec<T>&);  \
  template Pointwise<T> keras_huber(const Vec<T>&, const Vec<T>&, T);           \
  template Pointwise<T> keras_log_cosh(const Vec<T>&, const Vec<T>&);           \
  template Pointwise<T> keras_kl_divergence(const Vec<T>&, const Vec<T>&, T);   \
  template Pointwise<T> keras_poisson(const Vec<T>&, const Vec<T>&, T);         \
  template bool keras_hinge_labels(Vec<T>&);                                    \
  template Pointwise<T> keras_hinge(const Vec<T>&, const Vec<T>&);              \
  template Pointwise<T> keras_squared_hinge(const Vec<T>&, const Vec<T>&);      \
  template Forward<T> sum_over_classes(const Layout&, const Vec<T>&);           \
  template Vec<T> sum_over_classes_backward(const Layout&, const Vec<T>&, const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
