// ExactSum: the exact sum of many doubles, rounded once at the end (the
// algorithm of Python's math.fsum: Shewchuk's non-overlapping partials).
// Sums of blocks merge exactly, so a mean computed in shards, in threads or
// in one piece is the same double.
#pragma once

#include <cmath>
#include <vector>

namespace losscalc::core {

class ExactSum {
 public:
  void add(double x) {
    if (!std::isfinite(x)) {
      special_ += x;  // inf, -inf and nan combine as IEEE says
      return;
    }
    std::size_t i = 0;
    for (double y : partials_) {
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      if (!std::isfinite(hi)) {  // overflow: the sum is +-inf, as a naive sum says
        special_ += hi;
        partials_.clear();
        return;
      }
      const double lo = y - (hi - x);
      if (lo != 0.0) partials_[i++] = lo;
      x = hi;
    }
    partials_.resize(i);
    partials_.push_back(x);
  }

  void add(const ExactSum& other) {
    for (double p : other.partials_) add(p);
    special_ += other.special_;
  }

  // The exact sum, correctly rounded (nan or inf when a non-finite value was added).
  double value() const {
    if (special_ != 0.0 || std::isnan(special_)) return special_;
    if (partials_.empty()) return 0.0;
    // As fsum: add from the largest partial down, then correct the
    // half-way rounding case with the sign of the next partial.
    std::size_t n = partials_.size();
    double hi = partials_[--n], lo = 0.0;
    while (n > 0) {
      const double x = hi;
      const double y = partials_[--n];
      hi = x + y;
      const double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0) break;
    }
    if (n > 0 && ((lo < 0 && partials_[n - 1] < 0) || (lo > 0 && partials_[n - 1] > 0))) {
      const double y = lo * 2;
      const double x = hi + y;
      const double yr = x - hi;
      if (y == yr) hi = x;
    }
    return hi;
  }

  // The non-overlapping partials (their exact sum is the sum), for printing
  // mergeable partial results.
  const std::vector<double>& partials() const { return partials_; }

  // The same exact sum as canonical parts, smallest first: the largest is the
  // rounded sum, each next one the rounded rest. Unlike partials(), they
  // depend only on the exact value, not on the order the terms came in, so
  // one thread, two threads and merged shards print the same parts.
  std::vector<double> canonical() const {
    std::vector<double> out;
    ExactSum rest = *this;
    rest.special_ = 0.0;
    for (int k = 0; k < 64 && !rest.partials_.empty(); ++k) {  // ~40 steps cover the double range
      const double v = rest.value();
      if (v == 0.0) break;
      out.push_back(v);
      rest.add(-v);
    }
    return {out.rbegin(), out.rend()};
  }
  double special() const { return special_; }

 private:
  std::vector<double> partials_;
  double special_ = 0.0;
};

}  // namespace losscalc::core
