// Keras 3's categorical hinge and its L2 normalisation (keras/src/losses/
// losses.py, keras/src/ops/nn.py _normalize, v3.12 to v3.15; TensorFlow
// backend), with the gradients TensorFlow's math_grad.py gives them.
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

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

namespace {
// TF's softplus kernel (softplus_op.h): x above -threshold is x, below
// threshold exp(x), else log1p(exp(x)).
template <class T>
T tf_softplus(T x) {
  const T threshold = std::log(std::numeric_limits<T>::epsilon()) + T(2);
  return x > -threshold ? x : x < threshold ? std::exp(x) : std::log1p(std::exp(x));
}
}  // namespace

template <class T>
Circle<T> keras_circle(const Vec<T>& p, std::int64_t n, std::int64_t d, const std::vector<std::int32_t>& labels, T gamma, T margin,
                       bool remove_diagonal) {
  Circle<T> c;
  const auto nn = n * n;
  c.distances = Vec<T>(nn);
  c.raw = Vec<T>(nn);
  c.pos_mask.assign(static_cast<std::size_t>(nn), false);
  c.neg_mask.assign(static_cast<std::size_t>(nn), false);
  c.pos_wd = Vec<T>(nn);
  c.neg_wd = Vec<T>(nn);
  c.p_loss = Vec<T>(n);
  c.n_loss = Vec<T>(n);
  c.loss = Vec<T>(n);
  const T optim_pos = margin, optim_neg = T(1) + margin, delta_pos = margin, delta_neg = T(1) - margin;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      T dot = 0;
      for (std::int64_t k = 0; k < d; ++k) dot += p[i * d + k] * p[j * d + k];
      const auto ij = i * n + j;
      c.raw[ij] = T(1) - dot;
      c.distances[ij] = std::isnan(c.raw[ij]) ? c.raw[ij] : std::max(c.raw[ij], T(0));
      const bool same = labels[static_cast<std::size_t>(i)] == labels[static_cast<std::size_t>(j)];
      c.pos_mask[static_cast<std::size_t>(ij)] = same && !(remove_diagonal && i == j);
      c.neg_mask[static_cast<std::size_t>(ij)] = !same;
      const T dist = c.distances[ij];
      const T pm = c.pos_mask[static_cast<std::size_t>(ij)] ? T(1) : T(0), nm = c.neg_mask[static_cast<std::size_t>(ij)] ? T(1) : T(0);
      const T pw0 = (optim_pos + dist) * pm, nw0 = (optim_neg - dist) * nm;
      const T pw = std::isnan(pw0) ? pw0 : std::max(pw0, T(0)), nw = std::isnan(nw0) ? nw0 : std::max(nw0, T(0));
      c.pos_wd[ij] = ((T(-1) * gamma) * pw) * (delta_pos - dist);
      c.neg_wd[ij] = (gamma * nw) * (delta_neg - dist);
    }
  // tf.math.reduce_logsumexp over a row with -inf where the mask is off:
  // log(sum(exp(x - m))) + m, m the row's max when finite, else 0.
  const auto lse = [&](const Vec<T>& x, const std::vector<bool>& mask, std::int64_t i) {
    T m = -std::numeric_limits<T>::infinity();
    for (std::int64_t j = 0; j < n; ++j)
      if (mask[static_cast<std::size_t>(i * n + j)]) m = std::isnan(x[i * n + j]) || std::isnan(m) ? std::numeric_limits<T>::quiet_NaN() : std::max(m, x[i * n + j]);
    const T shift = std::isfinite(m) ? m : T(0);
    T sum = 0;
    for (std::int64_t j = 0; j < n; ++j)
      if (mask[static_cast<std::size_t>(i * n + j)]) sum += std::exp(x[i * n + j] - shift);
    return std::pair<T, T>{std::log(sum) + shift, shift};
  };
  c.p_shift = Vec<T>(n);
  c.n_shift = Vec<T>(n);
  for (std::int64_t i = 0; i < n; ++i) {
    std::tie(c.p_loss[i], c.p_shift[i]) = lse(c.pos_wd, c.pos_mask, i);
    std::tie(c.n_loss[i], c.n_shift[i]) = lse(c.neg_wd, c.neg_mask, i);
    c.loss[i] = tf_softplus(c.p_loss[i] + c.n_loss[i]);
  }
  return c;
}

template <class T>
Vec<T> keras_circle_backward(const Circle<T>& c, const Vec<T>& p, std::int64_t n, std::int64_t d, T gamma, T margin,
                             const Vec<T>& upstream) {
  const T optim_pos = margin, optim_neg = T(1) + margin, delta_pos = margin, delta_neg = T(1) - margin;
  Vec<T> g_dot(n * n);
  for (std::int64_t i = 0; i < n; ++i) {
    const T x = c.p_loss[i] + c.n_loss[i];
    const T g_sum = upstream[i] / (std::exp(-x) + T(1));  // SoftplusGrad
    // logsumexp's gradient as TF differentiates it: log's g / s, then exp's
    // times exp(x - m); the entries masked off get 0 from the where().
    T sp = 0, sn = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      const auto ij = static_cast<std::size_t>(i * n + j);
      if (c.pos_mask[ij]) sp += std::exp(c.pos_wd[i * n + j] - c.p_shift[i]);
      if (c.neg_mask[ij]) sn += std::exp(c.neg_wd[i * n + j] - c.n_shift[i]);
    }
    const T gp = g_sum * (T(1) / sp), gn = g_sum * (T(1) / sn);
    for (std::int64_t j = 0; j < n; ++j) {
      const auto ij = i * n + j;
      const bool pm = c.pos_mask[static_cast<std::size_t>(ij)], nm = c.neg_mask[static_cast<std::size_t>(ij)];
      const T dist = c.distances[ij];
      const T g_pwd = pm ? gp * std::exp(c.pos_wd[ij] - c.p_shift[i]) : T(0);
      const T g_nwd = nm ? gn * std::exp(c.neg_wd[ij] - c.n_shift[i]) : T(0);
      const T pm1 = pm ? T(1) : T(0), nm1 = nm ? T(1) : T(0);
      const T pw0 = (optim_pos + dist) * pm1, nw0 = (optim_neg - dist) * nm1;
      const T pw = std::max(pw0, T(0)), nw = std::max(nw0, T(0));
      // pos_wd = ((-gamma) pos_w) (delta_pos - dist), neg_wd = (gamma neg_w) (delta_neg - dist)
      const T g_pw = (T(-1) * gamma) * (g_pwd * (delta_pos - dist));
      const T g_pd = ((T(-1) * gamma) * pw) * g_pwd;
      const T g_nw = gamma * (g_nwd * (delta_neg - dist));
      const T g_nd = (gamma * nw) * g_nwd;
      const T g_pw0 = pw0 >= T(0) ? g_pw : T(0), g_nw0 = nw0 >= T(0) ? g_nw : T(0);
      const T g_dist = (g_pw0 * pm1 - g_pd) + (-(g_nw0 * nm1) - g_nd);
      const T g_raw = c.raw[ij] >= T(0) ? g_dist : T(0);  // maximum(d, 0): the tie to d
      g_dot[ij] = -g_raw;
    }
  }
  // dot = P P^T: d / d P = G P + G^T P.
  Vec<T> g(n * d);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < d; ++k) {
      T a = 0, b = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        a += g_dot[i * n + j] * p[j * d + k];
        b += g_dot[j * n + i] * p[j * d + k];
      }
      g[i * d + k] = a + b;
    }
  return g;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                          \
  template CategoricalHinge<T> keras_categorical_hinge(const Layout&, const Vec<T>&, const Vec<T>&);                    \
  template Vec<T> keras_categorical_hinge_backward(const Layout&, const CategoricalHinge<T>&, const Vec<T>&, const Vec<T>&, \
                                                   const Vec<T>&);                                                       \
  template Normalized<T> keras_l2_normalize(const Layout&, const Vec<T>&, double);                                      \
  template Vec<T> keras_l2_normalize_backward(const Layout&, const Normalized<T>&, const Vec<T>&, const Vec<T>&);        \
  template Circle<T> keras_circle(const Vec<T>&, std::int64_t, std::int64_t, const std::vector<std::int32_t>&, T, T, bool); \
  template Vec<T> keras_circle_backward(const Circle<T>&, const Vec<T>&, std::int64_t, std::int64_t, T, T, const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
