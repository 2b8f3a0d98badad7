// Overlap losses: Keras 3's dice and tversky (keras/src/losses/losses.py),
// sums over a set of axes, with TensorFlow's gradients (RealDiv's grad / y
// and grad ((-x / y) / y)).
#include "core/losses.h"

namespace losscalc::core {

template <class T>
Overlap<T> keras_overlap(const std::vector<std::int64_t>& group, std::int64_t groups, const Vec<T>& p, const Vec<T>& t,
                         const OverlapOptions& o) {
  Overlap<T> f{Vec<T>::Zero(groups), Vec<T>::Zero(groups), Vec<T>::Zero(groups), Vec<T>::Zero(groups), Vec<T>::Zero(groups),
               Vec<T>(groups), Vec<T>(groups)};
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    const auto i = group[static_cast<std::size_t>(k)];
    if (o.tversky) {
      f.intersection[i] += p[k] * t[k];
      f.fp[i] += (T(1) - t[k]) * p[k];
      f.fn[i] += t[k] * (T(1) - p[k]);
    } else {
      f.intersection[i] += t[k] * p[k];
      f.sum_true[i] += t[k];
      f.sum_pred[i] += p[k];
    }
  }
  const T eps = static_cast<T>(o.epsilon);
  for (std::int64_t i = 0; i < groups; ++i) {
    f.denominator[i] = o.tversky ? f.intersection[i] + f.fp[i] * static_cast<T>(o.alpha) + f.fn[i] * static_cast<T>(o.beta) + eps
                                 : f.sum_true[i] + f.sum_pred[i] + eps;
    f.fraction[i] = (o.tversky ? f.intersection[i] : T(2) * f.intersection[i]) / f.denominator[i];
  }
  return f;
}

template <class T>
Vec<T> keras_overlap_backward(const std::vector<std::int64_t>& group, const Overlap<T>& f, const Vec<T>& t, const OverlapOptions& o,
                              const Vec<T>& upstream) {
  const auto groups = f.fraction.size();
  Vec<T> g_inter(groups), g_den(groups);
  for (Eigen::Index i = 0; i < groups; ++i) {
    const T g_frac = -upstream[i];  // 1 - fraction
    const T num = o.tversky ? f.intersection[i] : T(2) * f.intersection[i];
    const T d = f.denominator[i];
    g_den[i] = g_frac * ((-num / d) / d);
    // dice: 2 I / S; tversky: I / (I + alpha fp + beta fn + eps), I in both.
    g_inter[i] = o.tversky ? g_frac / d + g_den[i] : (g_frac / d) * T(2);
  }
  Vec<T> g(t.size());
  const T a = static_cast<T>(o.alpha), b = static_cast<T>(o.beta);
  for (Eigen::Index k = 0; k < t.size(); ++k) {
    const auto i = group[static_cast<std::size_t>(k)];
    g[k] = o.tversky ? g_inter[i] * t[k] + (g_den[i] * a) * (T(1) - t[k]) - (g_den[i] * b) * t[k] : g_inter[i] * t[k] + g_den[i];
  }
  return g;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                                  \
  template Overlap<T> keras_overlap(const std::vector<std::int64_t>&, std::int64_t, const Vec<T>&, const Vec<T>&, const OverlapOptions&); \
  template Vec<T> keras_overlap_backward(const std::vector<std::int64_t>&, const Overlap<T>&, const Vec<T>&, const OverlapOptions&,  \
                                         const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
