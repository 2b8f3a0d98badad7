#include <cmath>
#include <type_traits>

#include "core/losses.h"
#include "core/slice.h"

namespace losscalc::core {

template <class T>
Vec<T> tf_softmax_cross_entropy_backward(const Layout& layout, const Vec<T>& logits, const Vec<T>& labels,
                                         const Vec<T>& upstream) {
  Vec<T> grad(logits.size());
  Vec<T> b(layout.classes);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const auto x = slice(layout, logits, p);
    const auto y = slice(layout, labels, p);
    auto g = slice(layout, grad, p);
    // TF's XentEigenImpl: b = logits - max, S = sum exp(b), backprop = exp(b) / S - labels.
    b = x - x.maxCoeff();
    const Vec<T> e = b.exp();
    const T total = e.sum();
    g = e / total - y;
    if constexpr (std::is_same_v<T, double>) {
      // In float64 TF keeps the tail: where the max's probability rounds to
      // one and its label is exactly 1, the gradient is -tail / (tail + 1),
      // tail the sum of the other exps (xent_op.h, "dominant unit label").
      if (total < T(2)) {
        T tail = 0;
        for (std::int64_t c = 0; c < layout.classes; ++c)
          if (b[c] != T(0)) tail += e[c];
        for (std::int64_t c = 0; c < layout.classes; ++c)
          if (b[c] == T(0) && y[c] == T(1)) g[c] = -tail / (tail + T(1));
      }
    }
    g *= upstream[p];
  }
  return grad;
}

template <class T>
Forward<T> keras_categorical_forward(const Layout& layout, const Vec<T>& x, const Vec<T>& y, T eps, Vec<T>& clipped) {
  const std::int64_t n = layout.positions();
  Forward<T> f{Vec<T>(n), Eigen::ArrayXd::Ones(n), Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false)};
  clipped.resize(x.size());
  for (std::int64_t p = 0; p < n; ++p) {
    auto xs = slice(layout, x, p);
    auto q = slice(layout, clipped, p);
    // Keras renormalises the probabilities, then clips them away from 0 and 1.
    const T total = static_cast<T>(sum_double(xs));
    q = (xs / total).cwiseMax(eps).cwiseMin(T(1) - eps);
    f.loss[p] = static_cast<T>(-sum_double(slice(layout, y, p) * q.log()));
  }
  return f;
}

template <class T>
Vec<T> keras_categorical_backward(const Layout& layout, const Vec<T>& x, const Vec<T>& y, T eps, const Vec<T>& upstream) {
  Vec<T> grad(x.size());
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    auto xs = slice(layout, x, p);
    auto ys = slice(layout, y, p);
    auto g = slice(layout, grad, p);
    const T total = static_cast<T>(sum_double(xs));
    const Vec<T> raw = xs / total;
    // dL/dq = -y / q inside the clip range, 0 outside; then through q = x / sum(x):
    // dL/dx_j = (g_j - sum_c g_c q_c) / sum(x).
    Vec<T> gq(layout.classes);
    for (std::int64_t c = 0; c < layout.classes; ++c)
      gq[c] = (raw[c] >= eps && raw[c] <= T(1) - eps) ? -ys[c] / raw[c] * upstream[p] : T(0);
    const T dot = static_cast<T>(sum_double(gq * raw));
    g = (gq - dot) / total;
  }
  return grad;
}

template <class T>
Vec<T> keras_clip_log(const Vec<T>& x, T eps) {
  return x.cwiseMax(eps).cwiseMin(T(1) - eps).log();
}

template <class T>
Vec<T> keras_clip_log_backward(const Vec<T>& x, T eps, const Vec<T>& grad_z) {
  Vec<T> grad(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i)
    grad[i] = (x[i] >= eps && x[i] <= T(1) - eps) ? grad_z[i] / x[i] : T(0);
  return grad;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                 \
  template Vec<T> tf_softmax_cross_entropy_backward(const Layout&, const Vec<T>&, const Vec<T>&, const Vec<T>&); \
  template Forward<T> keras_categorical_forward(const Layout&, const Vec<T>&, const Vec<T>&, T, Vec<T>&);       \
  template Vec<T> keras_categorical_backward(const Layout&, const Vec<T>&, const Vec<T>&, T, const Vec<T>&);    \
  template Vec<T> keras_clip_log(const Vec<T>&, T);                                                            \
  template Vec<T> keras_clip_log_backward(const Vec<T>&, T, const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
