#include "core/index_forward.h"
#include "core/losses.h"

namespace losscalc::core {

template <class T>
Forward<T> nll_forward(const Layout& layout, const VecViewOf<T>& input, const Index& target, const Vec<T>& weight,
                       std::int64_t ignore_index) {
  return index_forward(layout, target, weight, ignore_index, T(0), array_rows(layout, input.data()));
}

template <class T>
Vec<T> nll_backward(const Layout& layout, const Index& target, const Vec<T>& weight, std::int64_t ignore_index,
                    const Vec<T>& upstream) {
  Vec<T> grad = Vec<T>::Zero(layout.positions() * layout.classes);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const std::int64_t y = target[p];
    if (y == ignore_index) continue;
    const T w = weight.size() ? weight[y] : T(1);
    grad[layout.base(p) + y * layout.inner] = -w * upstream[p];
  }
  return grad;
}

template Forward<float> nll_forward(const Layout&, const VecViewOf<float>&, const Index&, const Vec<float>&, std::int64_t);
template Forward<double> nll_forward(const Layout&, const VecViewOf<double>&, const Index&, const Vec<double>&, std::int64_t);
template Vec<float> nll_backward(const Layout&, const Index&, const Vec<float>&, std::int64_t, const Vec<float>&);
template Vec<double> nll_backward(const Layout&, const Index&, const Vec<double>&, std::int64_t, const Vec<double>&);

}  // namespace losscalc::core
