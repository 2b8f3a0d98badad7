#include "core/losses.h"

namespace losscalc::core {

template <class T>
Reduced<T> reduce(Reduction reduction, const Forward<T>& f) {
  Reduced<T> r;
  const auto n = f.loss.size();
  // Exact sums, rounded once: the same double however the rows are split
  // into blocks, threads or shards. (They start from +0, as torch's do.)
  for (Eigen::Index p = 0; p < f.loss.size(); ++p) r.loss_sum.add(static_cast<double>(f.loss[p]));
  // Shares of 1 (every element counts once) are counted, not summed one by
  // one: the same exact sum, at half the cost for an elementwise loss.
  std::int64_t ones = 0;
  for (Eigen::Index p = 0; p < f.share.size(); ++p) {
    if (f.share[p] == 1.0) ++ones;
    else r.share_sum.add(f.share[p]);
  }
  if (ones) r.share_sum.add(static_cast<double>(ones));
  r.total = r.loss_sum.value();
  r.denominator = r.share_sum.value() + f.extra_denominator;
  r.upstream = Vec<T>::Ones(n);
  switch (reduction) {
    case Reduction::None:
      r.loss = f.loss;
      break;
    case Reduction::Sum:
      r.loss = Vec<T>::Constant(1, static_cast<T>(r.total));
      break;
    case Reduction::Mean:
    case Reduction::SumOverBatchSize:
    case Reduction::BatchMean:
    case Reduction::MeanWithSampleWeight: {
      // 0 / 0 = NaN when every target is ignored (torch's answer too); the
      // upstream 1/0 = inf never reaches ignored positions (0 below).
      const T denom = static_cast<T>(r.denominator);
      r.loss = Vec<T>::Constant(1, static_cast<T>(r.total) / denom);
      r.upstream.setConstant(T(1) / denom);
      break;
    }
  }
  for (Eigen::Index p = 0; p < n; ++p)
    if (f.ignored[p]) r.upstream[p] = 0;
  return r;
}

template Reduced<float> reduce(Reduction, const Forward<float>&);
template Reduced<double> reduce(Reduction, const Forward<double>&);

}  // namespace losscalc::core
