#include <cmath>

#include "core/losses.h"
#include "core/slice.h"

namespace losscalc::core {

template <class T>
void softmax_forward(const Layout& layout, const VecViewOf<T>& x, Vec<T>& probs, Vec<T>& log_probs) {
  // Subtracting the max keeps exp() finite; a NaN poisons the whole slice
  // as in torch, and an all -inf or any +inf slice gives -inf - -inf or
  // inf - inf = NaN, also as in torch.
  Vec<T> max;
  probs = shifted_exps(layout, x, max);
  log_probs.resize(x.size());
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const SliceSum<T> s = sum_and_log(probs.data() + layout.base(p), layout.classes, layout.inner);
    slice(layout, log_probs, p) = (slice(layout, x, p) - max[p]) - s.log_sum;
    auto ps = slice(layout, probs, p);
    ps = ps * (T(1) / s.sum);  // torch multiplies by the reciprocal (same rounding)
  }
}

template <class T>
void log_softmax_backward(const Layout& layout, const Vec<T>& log_probs, Vec<T>& g) {
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    auto gs = slice(layout, g, p);
    const T total = static_cast<T>(sum_double(gs));
    // exp(log_softmax) as torch's backward takes it, not the forward softmax.
    gs = gs - slice(layout, log_probs, p).unaryExpr([](T v) { return std::exp(v); }) * total;
  }
}

template void softmax_forward<float>(const Layout&, const VecViewOf<float>&, Vec<float>&, Vec<float>&);
template void softmax_forward<double>(const Layout&, const VecViewOf<double>&, Vec<double>&, Vec<double>&);
template void log_softmax_backward<float>(const Layout&, const Vec<float>&, Vec<float>&);
template void log_softmax_backward<double>(const Layout&, const Vec<double>&, Vec<double>&);

}  // namespace losscalc::core
