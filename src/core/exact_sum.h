// ExactSum: the exact sum of many doubles, rounded once at the end (the
// algorithm of Python's math.fsum: Shewchuk's non-overlapping partials,
// behind integer chunks that take ordinary terms exactly and fast).
// Sums of blocks merge exactly, so a mean computed in shards, in threads or
// in one piece is the same double.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace losscalc::core {

class ExactSum {
 public:
  void add(double x) {
    // Finite terms below 2^512 (every loss and weight in practice) go into
    // integer chunks: exact, and several times faster than the partials.
    // The rest (inf, nan, huge) take Shewchuk's path, where an overflow is
    // detected as before.
    const auto bits = std::bit_cast<std::uint64_t>(x);
    const auto e = static_cast<unsigned>(bits >> 52) & 0x7ff;
    if (e >= kFastExponents) {
      add_partial(x);
      return;
    }
    // |x| = m * 2^(shift - 1074): m has 53 bits (52 for a subnormal).
    const std::uint64_t m = (bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{e != 0} << 52);
    const unsigned shift = e - (e != 0);
    const unsigned k = shift >> 5;
    // m << r has at most 84 bits: three 32-bit chunks (low, middle, top).
    const unsigned r = shift & 31;
    const std::uint64_t low = m << r, top = (m >> 1) >> (63 - r);
    const auto neg = static_cast<std::uint64_t>(0) - (bits >> 63);  // all ones for a negative term
    const auto signed_part = [neg](std::uint64_t a) { return static_cast<std::int64_t>((a ^ neg) - neg); };
    chunk_[k] += signed_part(low & 0xffffffffu);
    chunk_[k + 1] += signed_part(low >> 32);
    chunk_[k + 2] += signed_part(top);
    has_chunks_ = true;
    // Each term adds less than 2^32 to a chunk: carry long before 2^63.
    if (++since_carry_ == kCarryEvery) carry();
  }

  void add(const ExactSum& other) {
    const ExactSum o = other.settled();
    for (double p : o.partials_) add_partial(p);
    special_ += o.special_;
  }

  // The exact sum, correctly rounded (nan or inf when a non-finite value was added).
  double value() const {
    if (has_chunks_) return settled().value();
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

  // The exact sum as canonical parts, smallest first: the largest is the
  // rounded sum, each next one the rounded rest. They depend only on the
  // exact value, not on the order the terms came in, so one thread, two
  // threads and merged shards print the same parts.
  std::vector<double> canonical() const {
    std::vector<double> out;
    ExactSum rest = settled();
    rest.special_ = 0.0;
    for (int k = 0; k < 64 && !rest.partials_.empty(); ++k) {  // ~40 steps cover the double range
      const double v = rest.value();
      if (v == 0.0) break;
      out.push_back(v);
      rest.add_partial(-v);
    }
    return {out.rbegin(), out.rend()};
  }
  double special() const { return settled().special_; }

 private:
  static constexpr unsigned kFastExponents = 1023 + 512;  // biased exponent of 2^512
  static constexpr std::uint32_t kCarryEvery = std::uint32_t{1} << 24;  // far below 2^31
  static constexpr std::size_t kChunks = 64;  // chunk k weighs 2^(32k - 1074); 2^512 needs 50

  // Shewchuk's step: x into the non-overlapping partials.
  void add_partial(double x) {
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

  // Every chunk but the last into [0, 2^32), the excess carried upwards.
  void carry() {
    for (std::size_t k = 0; k + 1 < kChunks; ++k) {
      const std::int64_t c = chunk_[k] >> 32;  // floor division by 2^32
      chunk_[k] -= static_cast<std::int64_t>(static_cast<std::uint64_t>(c) << 32);
      chunk_[k + 1] += c;
    }
    since_carry_ = 0;
  }

  // A copy with the chunks moved into the partials (each chunk as two
  // doubles, exact: at most 32 bits each, scaled by a power of two).
  ExactSum settled() const {
    ExactSum s = *this;
    if (!has_chunks_) return s;
    s.carry();
    for (std::size_t k = 0; k < kChunks; ++k) {
      const std::int64_t c = s.chunk_[k];
      if (c == 0) continue;
      const std::int64_t hi = c >> 32;
      const std::int64_t lo = c - static_cast<std::int64_t>(static_cast<std::uint64_t>(hi) << 32);
      const int at = static_cast<int>(32 * k) - 1074;
      if (lo) s.add_partial(std::ldexp(static_cast<double>(lo), at));
      if (hi) s.add_partial(std::ldexp(static_cast<double>(hi), at + 32));
    }
    s.chunk_.fill(0);
    s.has_chunks_ = false;
    return s;
  }

  std::vector<double> partials_;
  double special_ = 0.0;
  std::array<std::int64_t, kChunks> chunk_{};
  std::uint32_t since_carry_ = 0;
  bool has_chunks_ = false;
};

}  // namespace losscalc::core
