#include <cmath>

#include "core/losses.h"
#include "core/slice.h"

namespace losscalc::core {

namespace {
template <class T>
T at(const Vec<T>& v, Eigen::Index i, T otherwise) {
  return v.size() ? v[i] : otherwise;
}
}  // namespace

template <class T>
Vec<T> sigmoid(const Vec<T>& x) {
  return x.unaryExpr([](T v) { return T(1) / (T(1) + std::exp(-v)); });
}

template <class T>
Pointwise<T> bce(const Vec<T>& x, const Vec<T>& y, const Vec<T>& w) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    // torch clamps each log at -100, so p = 0 or 1 costs at most 100.
    const T log_x = std::max(std::log(x[i]), T(-100));
    const T log_1mx = std::max(std::log(T(1) - x[i]), T(-100));
    const T wi = at(w, i, T(1));
    out.loss[i] = ((y[i] - T(1)) * log_1mx - y[i] * log_x) * wi;
    // torch's floor keeps the slope finite at 0 and 1; it is the float 1e-12f
    // even in float64 (so x = 0, y = 1 gives -1000000003995.8029, not -1e12).
    out.slope[i] = (x[i] - y[i]) / std::max((T(1) - x[i]) * x[i], static_cast<T>(1e-12f)) * wi;
  }
  return out;
}

template <class T>
Pointwise<T> squared_error(const Vec<T>& x, const Vec<T>& y) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T d = x[i] - y[i];
    out.loss[i] = d * d;
    out.slope[i] = T(2) * d;
  }
  return out;
}

namespace {
// torch's sign (its autograd of abs): (0 < d) - (d < 0), so 0 and NaN give +0.
template <class T>
T sign_of(T d) {
  return static_cast<T>((T(0) < d) - (d < T(0)));
}
}  // namespace

template <class T>
Pointwise<T> absolute_error(const Vec<T>& x, const Vec<T>& y) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T d = x[i] - y[i];
    out.loss[i] = std::abs(d);
    out.slope[i] = sign_of(d);
  }
  return out;
}

template <class T>
Pointwise<T> smooth_l1(const Vec<T>& x, const Vec<T>& y, T beta) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n), Vec<T>(n)};
  // torch's order: with beta 0 an equal pair gives -1, both ways.
  const auto slope = [beta](T d) { return d <= -beta ? T(-1) : d >= beta ? T(1) : d / beta; };
  for (Eigen::Index i = 0; i < n; ++i) {
    const T d = x[i] - y[i];
    const T z = std::abs(d);
    out.loss[i] = z < beta ? T(0.5) * z * z / beta : z - T(0.5) * beta;
    out.slope[i] = slope(d);
    out.target_slope[i] = slope(y[i] - x[i]);
  }
  return out;
}

template <class T>
Pointwise<T> huber(const Vec<T>& x, const Vec<T>& y, T delta) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T d = x[i] - y[i];
    const T z = std::abs(d);
    out.loss[i] = z < delta ? T(0.5) * z * z : delta * (z - T(0.5) * delta);
    out.slope[i] = d < -delta ? -delta : d > delta ? delta : d;
  }
  return out;
}

template <class T>
Pointwise<T> margin_ranking(const Vec<T>& x1, const Vec<T>& x2, const Vec<T>& y, T margin) {
  const auto n = x1.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T u = -y[i] * (x1[i] - x2[i]) + margin;
    out.loss[i] = u < T(0) ? T(0) : u;
    out.slope[i] = T(u >= T(0) ? 1 : 0) * -y[i];
  }
  return out;
}

template <class T>
Pointwise<T> bce_with_logits(const Vec<T>& x, const Vec<T>& y, const Vec<T>& w, const Vec<T>& pos_weight) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    // m = max(-x, 0) keeps both exponentials at most 1: stable for any |x|.
    const T m = std::max(-x[i], T(0));
    const T log_sum = std::log(std::exp(-m) + std::exp(-x[i] - m));  // log(1 + exp(-x)) = log_sum + m
    const T wi = at(w, i, T(1));
    const T s = T(1) / (T(1) + std::exp(-x[i]));
    if (pos_weight.size()) {
      const T lw = (pos_weight[i] - T(1)) * y[i] + T(1);
      out.loss[i] = ((T(1) - y[i]) * x[i] + lw * (log_sum + m)) * wi;
      const T t = pos_weight[i] * y[i];
      out.slope[i] = ((t + T(1) - y[i]) * s - t) * wi;
    } else {
      // torch's order of additions: ((1 - y) x + m) + log_sum.
      out.loss[i] = (((T(1) - y[i]) * x[i] + m) + log_sum) * wi;
      out.slope[i] = (s - y[i]) * wi;
    }
  }
  return out;
}

template <class T>
Pointwise<T> tf_sigmoid_cross_entropy(const Vec<T>& x, const Vec<T>& z) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T xi = x[i];
    const bool nonneg = xi >= T(0);
    const T relu = nonneg ? xi : T(0);
    const T neg_abs = nonneg ? -xi : xi;
    const T e = std::exp(neg_abs);
    out.loss[i] = relu - xi * z[i] + std::log1p(e);
    // d/dx of the where-based form: [x >= 0] - z -+ e / (1 + e) = sigmoid(x) - z.
    out.slope[i] = (nonneg ? T(1) - e / (T(1) + e) : e / (T(1) + e)) - z[i];
  }
  return out;
}

template <class T>
Pointwise<T> tf_weighted_cross_entropy(const Vec<T>& x, const Vec<T>& z, const Vec<T>& q) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T xi = x[i];
    const T log_weight = T(1) + (q[i] - T(1)) * z[i];
    const T e = std::exp(-std::abs(xi));
    out.loss[i] = (T(1) - z[i]) * xi + log_weight * (std::log1p(e) + std::max(-xi, T(0)));
    // TF's gradients: abs' = sign(x) (0 at 0), relu'(-x) = -[x < 0].
    const T sign = xi > 0 ? T(1) : xi < 0 ? T(-1) : T(0);
    out.slope[i] = (T(1) - z[i]) + log_weight * (-sign * e / (T(1) + e) - (xi < 0 ? T(1) : T(0)));
  }
  return out;
}

template <class T>
Pointwise<T> keras_binary_from_probs(const Vec<T>& x, const Vec<T>& y, T eps) {
  const auto n = x.size();
  Pointwise<T> out{Vec<T>(n), Vec<T>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const T p = std::min(std::max(x[i], eps), T(1) - eps);
    out.loss[i] = -(y[i] * std::log(p) + (T(1) - y[i]) * std::log(T(1) - p));
    // clip_by_value passes the gradient only inside [eps, 1 - eps].
    const bool inside = x[i] >= eps && x[i] <= T(1) - eps;
    out.slope[i] = inside ? -(y[i] / p - (T(1) - y[i]) / (T(1) - p)) : T(0);
  }
  return out;
}

template <class T>
Forward<T> mean_over_classes(const Layout& layout, const Vec<T>& loss) {
  const std::int64_t n = layout.positions();
  Forward<T> f{Vec<T>(n), Eigen::ArrayXd::Ones(n), Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false)};
  if (layout.classes == 1) {
    f.loss = loss;
    return f;
  }
  for (std::int64_t p = 0; p < n; ++p)
    f.loss[p] = static_cast<T>(sum_double(slice(layout, loss, p))) / static_cast<T>(layout.classes);
  return f;
}

template <class T>
Vec<T> mean_over_classes_backward(const Layout& layout, const Vec<T>& upstream, const Vec<T>& slope) {
  Vec<T> grad(slope.size());
  const T per_class = layout.classes == 1 ? T(1) : T(1) / static_cast<T>(layout.classes);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    auto g = slice(layout, grad, p);
    g = slice(layout, slope, p) * (upstream[p] * per_class);
  }
  return grad;
}

#define LOSSCALC_INSTANTIATE(T)                                                                      \
  template Vec<T> sigmoid(const Vec<T>&);                                                            \
  template Pointwise<T> bce(const Vec<T>&, const Vec<T>&, const Vec<T>&);                            \
  template Pointwise<T> squared_error(const Vec<T>&, const Vec<T>&);                                 \
  template Pointwise<T> margin_ranking(const Vec<T>&, const Vec<T>&, const Vec<T>&, T);              \
  template Pointwise<T> absolute_error(const Vec<T>&, const Vec<T>&);                                \
  template Pointwise<T> smooth_l1(const Vec<T>&, const Vec<T>&, T);                                  \
  template Pointwise<T> huber(const Vec<T>&, const Vec<T>&, T);                                      \
  template Pointwise<T> bce_with_logits(const Vec<T>&, const Vec<T>&, const Vec<T>&, const Vec<T>&); \
  template Pointwise<T> tf_sigmoid_cross_entropy(const Vec<T>&, const Vec<T>&);                      \
  template Pointwise<T> tf_weighted_cross_entropy(const Vec<T>&, const Vec<T>&, const Vec<T>&);      \
  template Pointwise<T> keras_binary_from_probs(const Vec<T>&, const Vec<T>&, T);                    \
  template Forward<T> mean_over_classes(const Layout&, const Vec<T>&);                               \
  template Vec<T> mean_over_classes_backward(const Layout&, const Vec<T>&, const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
