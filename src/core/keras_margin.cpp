// Keras 3's categorical hinge and its L2 normalisation (keras/src/losses/
// losses.py, keras/src/ops/nn.py _normalize, v3.12 to v3.15; TensorFlow
// backend), with the gradients TensorFlow's math_grad.py gives them.
#include <cmath>
#include <limits>

#include "core/losses.h"

namespace losscalc::core {

template <class T>
CategoricalHinge<T> keras_categorical_hinge(const Layout& layout, const Vec<T>& p, const Vec<T>& t) {
  const std::int64_t n = layout.positions();
  CategoricalHinge<T> out{Vec<T>(n), Vec<T>(n), Vec<T>(n), Vec<T>(p.size())};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t b = layout.base(i);
    T pos = 0, neg = -std::numeric_limits<T>::infinity();
    bool nan = false;
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const std::int64_t k = b + c * layout.inner;
      pos += t[k] * p[k];
      const T q = (T(1) - t[k]) * p[k];
      nan = nan || std::isnan(q);
      neg = std::max(neg, q);
    }
    if (nan) neg = std::numeric_limits<T>::quiet_NaN();  // reduce_max propagates NaN
    const T m = neg - pos + T(1);
    out.pos[i] = pos;
    out.neg[i] = neg;
    out.loss[i] = std::max(m, T(0));
    out.active[i] = m >= T(0) ? T(1) : T(0);
  }
  return out;
}

template <class T>
Vec<T> keras_categorical_hinge_backward(const Layout& layout, const CategoricalHinge<T>& f, const Vec<T>& p, const Vec<T>& t,
                                        const Vec<T>& upstream) {
  Vec<T> g(p.size());
  for (std::int64_t i = 0; i < layout.positions(); ++i) {
    const std::int64_t b = layout.base(i);
    const T gv = f.active[i] != 0 ? upstream[i] : T(0);
    // reduce_max's gradient: shared equally by the elements equal to the max.
    T ties = 0;
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const std::int64_t k = b + c * layout.inner;
      if ((T(1) - t[k]) * p[k] == f.neg[i]) ties += T(1);
    }
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const std::int64_t k = b + c * layout.inner;
      const T share = (T(1) - t[k]) * p[k] == f.neg[i] ? T(1) / ties : T(0);
      g[k] = (share * gv) * (T(1) - t[k]) + t[k] * -gv;
    }
  }
  return g;
}

template <class T>
Normalized<T> keras_l2_normalize(const Layout& layout, const Vec<T>& x, double epsilon) {
  const std::int64_t n = layout.positions();
  Normalized<T> out{Vec<T>(x.size()), Vec<T>(n), Vec<T>(n), Vec<T>(n)};
  const T cap = static_cast<T>(1.0 / epsilon);  // 1.0 / epsilon in Python, then the tensor's dtype
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t b = layout.base(i);
    T ss = 0;
    for (std::int64_t c = 0; c < layout.classes; ++c) ss += x[b + c * layout.inner] * x[b + c * layout.inner];
    const T r = T(1) / std::sqrt(ss);
    out.rsqrt[i] = r;
    out.inv[i] = std::isnan(r) ? r : std::min(r, cap);
    out.passed[i] = r <= cap ? T(1) : T(0);  // minimum's gradient goes to rsqrt where rsqrt <= 1 / epsilon
    for (std::int64_t c = 0; c < layout.classes; ++c) out.x[b + c * layout.inner] = x[b + c * layout.inner] * out.inv[i];
  }
  return out;
}

template <class T>
Vec<T> keras_l2_normalize_backward(const Layout& layout, const Normalized<T>& f, const Vec<T>& x, const Vec<T>& g_out) {
  Vec<T> g(x.size());
  for (std::int64_t i = 0; i < layout.positions(); ++i) {
    const std::int64_t b = layout.base(i);
    T g_inv = 0;
    for (std::int64_t c = 0; c < layout.classes; ++c) g_inv += x[b + c * layout.inner] * g_out[b + c * layout.inner];
    const T g_rsqrt = f.passed[i] != 0 ? g_inv : T(0);
    // RsqrtGrad, as TF's vectorised kernel: mul_no_nan(-0.5 r^2, mul_no_nan(r, g)).
    const T r = f.rsqrt[i];
    const T rg = g_rsqrt == T(0) ? T(0) : r * g_rsqrt;
    const T g_ss = rg == T(0) ? T(0) : (T(-0.5) * (r * r)) * rg;
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const std::int64_t k = b + c * layout.inner;
      g[k] = g_out[k] * f.inv[i] + g_ss * (x[k] * T(2));
    }
  }
  return g;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                          \
  template CategoricalHinge<T> keras_categorical_hinge(const Layout&, const Vec<T>&, const Vec<T>&);                    \
  template Vec<T> keras_categorical_hinge_backward(const Layout&, const CategoricalHinge<T>&, const Vec<T>&, const Vec<T>&, \
                                                   const Vec<T>&);                                                       \
  template Normalized<T> keras_l2_normalize(const Layout&, const Vec<T>&, double);                                      \
  template Vec<T> keras_l2_normalize_backward(const Layout&, const Normalized<T>&, const Vec<T>&, const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
