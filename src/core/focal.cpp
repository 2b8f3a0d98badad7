// Focal losses: torchvision.ops.sigmoid_focal_loss (torchvision 0.14), with
// the gradients torch's autograd chains through its expression; Keras 3's
// binary and categorical focal cross-entropies (TF backend), with TF's.
#include <cmath>

#include "core/losses.h"
#include "core/slice.h"

namespace losscalc::core {

template <class T>
SigmoidFocal<T> sigmoid_focal(const Vec<T>& x, const Vec<T>& y, double alpha, double gamma) {
  const auto n = x.size();
  const Pointwise<T> ce = bce_with_logits(x, y, Vec<T>(), Vec<T>());
  SigmoidFocal<T> f{{Vec<T>(n), Vec<T>(n), Vec<T>(n)}, sigmoid(x), ce.loss, Vec<T>(n), Vec<T>(n), Vec<T>()};
  const bool balanced = alpha >= 0;
  if (balanced) f.alpha_t.resize(n);
  // Python's constants are doubles, cast to the tensor's dtype where they meet it.
  const T a = static_cast<T>(alpha), one_minus_a = static_cast<T>(1.0 - alpha);
  const T g = static_cast<T>(gamma), g_minus_1 = static_cast<T>(gamma - 1.0);
  for (Eigen::Index i = 0; i < n; ++i) {
    const T p = f.p[i], t = y[i];
    const T pt = p * t + (T(1) - p) * (T(1) - t);
    const T u = T(1) - pt;
    const T m = std::pow(u, g);
    f.p_t[i] = pt;
    f.modulating_factor[i] = m;
    const T focal = ce.loss[i] * m;
    T up = T(1);  // d loss / d focal
    T gt = T(0);  // the target's gradient, gathered as autograd adds it
    if (balanced) {
      const T at = a * t + one_minus_a * (T(1) - t);
      f.alpha_t[i] = at;
      f.pw.loss[i] = at * focal;
      up = at;
      gt += focal * a - focal * one_minus_a;
    } else {
      f.pw.loss[i] = focal;
    }
    // focal = ce * u^gamma; pow's backward is grad * (gamma * u^(gamma - 1)), 0 for gamma 0.
    const T g_ce = up * m;
    const T g_m = up * ce.loss[i];
    const T g_u = gamma == 0 ? T(0) : g_m * (g * std::pow(u, g_minus_1));
    const T g_pt = -g_u;
    // p_t = p t + (1 - p)(1 - t)
    const T g_p = g_pt * t - g_pt * (T(1) - t);
    gt += g_pt * p - g_pt * (T(1) - p);
    // sigmoid's backward (grad (1 - p)) p; BCE with logits: (sigmoid(x) - t) grad and -x grad.
    f.pw.slope[i] = g_ce * ce.slope[i] + (g_p * (T(1) - p)) * p;
    f.pw.target_slope[i] = gt + x[i] * -g_ce;
  }
  return f;
}

template <class T>
KerasBinaryFocal<T> keras_binary_focal(const Vec<T>& x, const Vec<T>& y, const FocalOptions& o) {
  const auto n = x.size();
  const Vec<T> probs = o.from_logits ? sigmoid(x) : x;
  const Pointwise<T> ce = o.from_logits ? tf_sigmoid_cross_entropy(x, y) : keras_binary_from_probs(x, y, static_cast<T>(o.epsilon));
  KerasBinaryFocal<T> f{{Vec<T>(n), Vec<T>(n)}, probs, ce.loss, Vec<T>(n), Vec<T>(n)};
  const T a = static_cast<T>(o.alpha), one_minus_a = static_cast<T>(1.0 - o.alpha);
  const T g = static_cast<T>(o.gamma);  // ops.power converts gamma to the tensor's dtype
  for (Eigen::Index i = 0; i < n; ++i) {
    const T t = y[i], yp = probs[i];
    const T pt = t * yp + (T(1) - t) * (T(1) - yp);
    const T u = T(1) - pt;
    const T ff = std::pow(u, g);
    f.p_t[i] = pt;
    f.focal_factor[i] = ff;
    const T w = o.apply_class_balancing ? t * a + (T(1) - t) * one_minus_a : T(1);
    const T fb = ff * ce.loss[i];
    f.pw.loss[i] = o.apply_class_balancing ? w * fb : fb;
    // TF's chain: Mul, Pow (grad * y * pow(x, y - 1), NaN at u = 0 for gamma 0
    // as TF gives), p_t's two products, then the BCE's own slope.
    const T g_ff = w * ce.loss[i], g_bce = ff * w;
    const T g_pt = -((g_ff * g) * std::pow(u, g - T(1)));
    const T g_yp = t * g_pt - (T(1) - t) * g_pt;
    f.pw.slope[i] = o.from_logits ? g_bce * ce.slope[i] + (g_yp * yp) * (T(1) - yp) : g_yp + g_bce * ce.slope[i];
  }
  return f;
}

template <class T>
KerasCategoricalFocal<T> keras_categorical_focal(const Layout& layout, const Vec<T>& x, const Vec<T>& y, const FocalOptions& o) {
  const std::int64_t n = layout.positions();
  KerasCategoricalFocal<T> f{{Vec<T>(n), Eigen::ArrayXd::Ones(n), Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false)},
                             x, Vec<T>(x.size()), Vec<T>(x.size())};
  if (o.from_logits) {
    Vec<T> log_probs;
    softmax_forward(layout, x, f.probs, log_probs);
  }
  const T eps = static_cast<T>(o.epsilon), hi = static_cast<T>(1.0 - o.epsilon);
  const T a = static_cast<T>(o.alpha), g = static_cast<T>(o.gamma);
  for (std::int64_t p = 0; p < n; ++p) {
    const auto yp = slice(layout, f.probs, p);
    const auto t = slice(layout, y, p);
    auto q = slice(layout, f.clipped, p);
    auto mf = slice(layout, f.modulating_factor, p);
    const T total = yp.sum();
    T loss = 0;
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      q[c] = std::min(std::max(yp[c] / total, eps), hi);
      mf[c] = std::pow(T(1) - q[c], g);
      loss += (mf[c] * a) * (-t[c] * std::log(q[c]));
    }
    f.f.loss[p] = loss;
  }
  return f;
}

template <class T>
Vec<T> keras_categorical_focal_backward(const Layout& layout, const KerasCategoricalFocal<T>& f, const Vec<T>& y,
                                        const FocalOptions& o, const Vec<T>& upstream) {
  Vec<T> grad(f.probs.size());
  const T eps = static_cast<T>(o.epsilon), hi = static_cast<T>(1.0 - o.epsilon);
  const T a = static_cast<T>(o.alpha), g = static_cast<T>(o.gamma);
  Vec<T> g_q(layout.classes);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const auto yp = slice(layout, f.probs, p);
    const auto t = slice(layout, y, p);
    const auto o_ = slice(layout, f.clipped, p);
    const auto mf = slice(layout, f.modulating_factor, p);
    auto gx = slice(layout, grad, p);
    const T total = yp.sum(), up = upstream[p];
    T g_total = 0;
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const T u = T(1) - o_[c];
      const T cce = -t[c] * std::log(o_[c]);
      const T g_mf = (up * cce) * a, g_cce = (mf[c] * a) * up;
      const T g_o = -((g_mf * g) * std::pow(u, g - T(1))) + (-t[c] * g_cce) * (T(1) / o_[c]);
      const T raw = yp[c] / total;
      g_q[c] = raw >= eps && raw <= hi ? g_o : T(0);  // clip_by_value passes inside [eps, 1 - eps]
      g_total += g_q[c] * ((-yp[c] / total) / total);  // RealDiv's gradient for the sum
    }
    for (std::int64_t c = 0; c < layout.classes; ++c) gx[c] = g_q[c] / total + g_total;
    if (o.from_logits) {
      // SoftmaxGrad: (g - sum(g s)) s.
      T dot = 0;
      for (std::int64_t c = 0; c < layout.classes; ++c) dot += gx[c] * yp[c];
      for (std::int64_t c = 0; c < layout.classes; ++c) gx[c] = (gx[c] - dot) * yp[c];
    }
  }
  return grad;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                             \
  template SigmoidFocal<T> sigmoid_focal(const Vec<T>&, const Vec<T>&, double, double);                                   \
  template KerasBinaryFocal<T> keras_binary_focal(const Vec<T>&, const Vec<T>&, const FocalOptions&);                     \
  template KerasCategoricalFocal<T> keras_categorical_focal(const Layout&, const Vec<T>&, const Vec<T>&, const FocalOptions&); \
  template Vec<T> keras_categorical_focal_backward(const Layout&, const KerasCategoricalFocal<T>&, const Vec<T>&,           \
                                                   const FocalOptions&, const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
