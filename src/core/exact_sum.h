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
    // |x| = m * 2^(shift - 1074): m has 53 bits (52 for a subnormal); shifted
    // within its 64-bit chunk it has at most 116 bits: one 128-bit add.
    const std::uint64_t m = (bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{e != 0} << 52);
    const unsigned shift = e - (e != 0);
    const Wide v = static_cast<Wide>(static_cast<UWide>(m) << (shift & 63));
    chunk_[shift >> 6] += (bits >> 63) ? -v : v;
    has_chunks_ = true;
    // Each term adds less than 2^116 to a chunk: carry long before 2^127.
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
  __extension__ typedef __int128 Wide;
  __extension__ typedef unsigned __int128 UWide;
  static constexpr unsigned kFastExponents = 1023 + 512;  // biased exponent of 2^512
  static constexpr std::uint32_t kCarryEvery = std::uint32_t{1} << 9;  // 512 terms of < 2^116, then < 2^64 carried in
  static constexpr std::size_t kChunks = 32;  // chunk k weighs 2^(64k - 1074); 2^512 needs 25

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

  // Every chunk but the last into [0, 2^64), the excess carried upwards.
  void carry() {
    for (std::size_t k = 0; k + 1 < kChunks; ++k) {
      const Wide c = chunk_[k] >> 64;  // floor division by 2^64
      chunk_[k] -= static_cast<Wide>(static_cast<UWide>(c) << 64);
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
      // 32 bits at a time (each exact as a double), the last piece signed.
      Wide c = s.chunk_[k];
      for (int at = static_cast<int>(64 * k) - 1074; c != 0; at += 32) {
        const bool last = c >= -(Wide{1} << 31) && c < (Wide{1} << 31);
        const Wide piece = last ? c : (c & 0xffffffff);
        s.add_partial(std::ldexp(static_cast<double>(piece), at));
        if (last) break;
        c >>= 32;
      }
    }
    s.chunk_.fill(0);
    s.has_chunks_ = false;
    return s;
  }

  std::vector<double> partials_;
  double special_ = 0.0;
  std::array<Wide, kChunks> chunk_{};
  std::uint32_t since_carry_ = 0;
  bool has_chunks_ = false;
};

}  // namespace losscalc::core
