#include "core/index_forward.h"
#include "core/losses.h"
#include "core/slice.h"

namespace losscalc::core {

template <class T>
Forward<T> cross_entropy_index_forward(const Layout& layout, const Vec<T>& log_probs, const Index& target,
                                       const Vec<T>& weight, std::int64_t ignore_index, T label_smoothing) {
  return index_forward(layout, target, weight, ignore_index, label_smoothing, array_rows(layout, log_probs.data()));
}

template <class T>
Forward<T> cross_entropy_index_loss(const Layout& layout, const VecViewOf<T>& x, const Index& target, const Vec<T>& weight,
                                    std::int64_t ignore_index, T label_smoothing) {
  // log_softmax(x)[c] = (x[c] - max) - log_sum, as softmax_forward forms it.
  Vec<T> max, log_sums;
  max_and_log_sums(layout, x, max, log_sums);
  return index_forward(layout, target, weight, ignore_index, label_smoothing, [&](std::int64_t p) {
    const T m = max[p], log_sum = log_sums[p];
    const T* row = x.data() + layout.base(p);
    return [row, inner = layout.inner, m, log_sum](std::int64_t c) { return (row[c * inner] - m) - log_sum; };
  });
}

template <class T>
Vec<T> cross_entropy_index_backward(const Layout& layout, const Vec<T>& log_probs, const Index& target,
                                    const Vec<T>& weight, std::int64_t ignore_index, T label_smoothing,
                                    const Vec<T>& upstream) {
  // G = d loss / d log_softmax; then back through log_softmax.
  Vec<T> g = nll_backward(layout, target, weight, ignore_index, upstream);
  if (label_smoothing > 0) {
    g *= T(1) - label_smoothing;
    const T scale = label_smoothing / static_cast<T>(layout.classes);
    for (std::int64_t p = 0; p < layout.positions(); ++p) {
      if (target[p] == ignore_index) continue;
      auto gs = slice(layout, g, p);
      const T u = -upstream[p] * scale;
      if (weight.size())
        gs += u * weight;
      else
        gs += u;
    }
  }
  log_softmax_backward(layout, log_probs, g);
  return g;
}

template <class T>
static Vec<T> smoothed(const Vec<T>& target, std::int64_t classes, T label_smoothing) {
  if (!(label_smoothing > 0)) return target;
  return target * (T(1) - label_smoothing) + label_smoothing / static_cast<T>(classes);
}

template <class T>
Forward<T> cross_entropy_prob_forward(const Layout& layout, const Vec<T>& log_probs, const Vec<T>& target,
                                      const Vec<T>& weight, T label_smoothing) {
  const std::int64_t n = layout.positions();
  Forward<T> f{Vec<T>(n), Eigen::ArrayXd::Ones(n), Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false)};
  const Vec<T> t = smoothed(target, layout.classes, label_smoothing);
  for (std::int64_t p = 0; p < n; ++p) {
    auto ls = slice(layout, log_probs, p);
    auto ts = slice(layout, t, p);
    // The product as torch forms it: 0 * -inf = NaN stays NaN.
    f.loss[p] = weight.size() ? static_cast<T>(-sum_double(ls * ts * weight)) : static_cast<T>(-sum_double(ls * ts));
  }
  return f;
}

template <class T>
Vec<T> cross_entropy_prob_backward(const Layout& layout, const Vec<T>& log_probs, const Vec<T>& target,
                                   const Vec<T>& weight, T label_smoothing, const Vec<T>& upstream) {
  Vec<T> g = smoothed(target, layout.classes, label_smoothing);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    auto gs = slice(layout, g, p);
    if (weight.size())
      gs = gs * weight * -upstream[p];
    else
      gs = gs * -upstream[p];
  }
  log_softmax_backward(layout, log_probs, g);
  return g;
}

#define LOSSCALC_INSTANTIATE(T)                                                                                  \
  template Forward<T> cross_entropy_index_forward(const Layout&, const Vec<T>&, const Index&, const Vec<T>&,     \
                                                  std::int64_t, T);                                              \
  template Forward<T> cross_entropy_index_loss(const Layout&, const VecViewOf<T>&, const Index&, const Vec<T>&,    \
                                               std::int64_t, T);                                                 \
  template Vec<T> cross_entropy_index_backward(const Layout&, const Vec<T>&, const Index&, const Vec<T>&,        \
                                               std::int64_t, T, const Vec<T>&);                                  \
  template Forward<T> cross_entropy_prob_forward(const Layout&, const Vec<T>&, const Vec<T>&, const Vec<T>&, T); \
  template Vec<T> cross_entropy_prob_backward(const Layout&, const Vec<T>&, const Vec<T>&, const Vec<T>&, T,     \
                                              const Vec<T>&);
LOSSCALC_INSTANTIATE(float)
LOSSCALC_INSTANTIATE(double)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::core
