// Focal losses: torchvision.ops.sigmoid_focal_loss (torchvision 0.14), with
// the gradients torch's autograd chains through its expression.
#include <cmath>

#include "core/losses.h"

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

#define LOSSCALC_INSTANTIATE(T) template SigmoidFocal<T> sigmoid_focal(const Vec<T>&, const Vec<T>&, double, double);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
