// A reduced loss as exact sums, and its final output: what a stream's blocks
// add up to (stream.cpp) and what merge adds from --partial lines (merge.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/exact_sum.h"
#include "request.h"
#include "result.h"

namespace losscalc {

struct Totals {
  core::ExactSum loss_sum, share_sum;
  double extra = 0;
  std::int64_t count = 0;
  void add(const Result& r) {
    loss_sum.add(r.loss_sum);
    share_sum.add(r.share_sum);
    extra = r.extra_denominator;
    count += r.count;
  }
  void merge(const Totals& o) {
    loss_sum.add(o.loss_sum);
    share_sum.add(o.share_sum);
    extra = std::max(extra, o.extra);
    count += o.count;
  }
};

// The final output of a reduced stream (or merge): the loss, or with
// --partial the mergeable sums and `settings` (a settings record). `base`:
// --log-base's (0: natural log), applied to the loss, never to the sums.
std::string reduced_output(const std::string& function, Reduction reduction, DType dtype, const Totals& t,
                           const OutputOptions& o, const std::string& what, const std::string& settings,
                           double base);

}  // namespace losscalc
