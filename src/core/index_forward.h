// The forward of the class-index losses (nll_loss, cross_entropy) over any
// source of log-probabilities, so the array form and the fused form (from
// the logits, no log_softmax array) are one piece of code and give the same
// doubles.
#pragma once

#include "core/losses.h"

namespace losscalc::core {

// row_of(p) gives position p's log-probabilities as a callable: logp(c).
//   loss_p = (1 - eps) * -w[y] logp(y) + eps * -(1/C) sum_c w[c] logp(c)
// (the sum in class order, in double, as torch composes it); share_p = w[y];
// ignored positions keep loss 0 and share 0.
template <class T, class RowOf>
Forward<T> index_forward(const Layout& layout, const Index& target, const Vec<T>& weight, std::int64_t ignore_index,
                         T label_smoothing, RowOf&& row_of) {
  const std::int64_t n = layout.positions();
  Forward<T> f{Vec<T>::Zero(n), Eigen::ArrayXd::Zero(n), Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(n, false)};
  const T scale = label_smoothing / static_cast<T>(layout.classes);
  for (std::int64_t p = 0; p < n; ++p) {
    const std::int64_t y = target[p];
    if (y == ignore_index) {
      f.ignored[p] = true;
      continue;
    }
    const auto logp = row_of(p);
    const T w = weight.size() ? weight[y] : T(1);
    T loss = -w * logp(y);
    f.share[p] = w;
    if (label_smoothing > 0) {
      double total = 0;
      for (std::int64_t c = 0; c < layout.classes; ++c)
        total += static_cast<double>(weight.size() ? logp(c) * weight[c] : logp(c));
      const T smooth = static_cast<T>(-total);
      loss = (T(1) - label_smoothing) * loss + smooth * scale;
    }
    f.loss[p] = loss;
  }
  return f;
}

// The log-probabilities held in an array laid out as `layout`, from `data`.
template <class T>
auto array_rows(const Layout& layout, const T* data) {
  return [&layout, data](std::int64_t p) {
    const T* row = data + layout.base(p);
    return [row, inner = layout.inner](std::int64_t c) { return row[c * inner]; };
  };
}

}  // namespace losscalc::core
