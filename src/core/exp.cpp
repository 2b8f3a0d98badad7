#include "core/exp.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

// The loops below are built for AVX2 and for plain x86-64 (SSE2), chosen at
// load time (same bits either way). Not under ThreadSanitizer: it would
// instrument the chooser, which runs before it is set up.
#if defined(__SANITIZE_THREAD__)
#define LOSSCALC_CLONES
#else
#define LOSSCALC_CLONES __attribute__((target_clones("avx2", "default")))
#endif

namespace losscalc::core {

namespace {

// Cody-Waite: d = n ln2 + r with |r| <= ln2/2 and r = rh + rl (rh exact),
// exp(r) = 1 + rh + (rl + r^2 q(r)) with q the Taylor series to r^11/13!
// (truncation below 5e-18), the 1 + rh rounding error kept (Fast2Sum), then
// 2^n added to the exponent bits: the result is normal for d >= -708.
// No branch, so the compiler vectorises it; out-of-range lanes get
// garbage here and std::exp afterwards.
LOSSCALC_CLONES void exp_kernel(const double* in, double* out, std::size_t n) {
  constexpr double kInvLn2 = 1.4426950408889634;
  constexpr double kShifter = 0x1.8p52;             // adding it rounds to an integer (in the low bits)
  constexpr double kLn2Hi = 0x1.62e42fee00000p-1;   // 33 bits: n * kLn2Hi is exact for |n| < 2^20
  constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;  // ln 2 - kLn2Hi
  constexpr double c2 = 1.0 / 2, c3 = 1.0 / 6, c4 = 1.0 / 24, c5 = 1.0 / 120, c6 = 1.0 / 720, c7 = 1.0 / 5040,
                   c8 = 1.0 / 40320, c9 = 1.0 / 362880, c10 = 1.0 / 3628800, c11 = 1.0 / 39916800,
                   c12 = 1.0 / 479001600, c13 = 1.0 / 6227020800;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = in[i];
    const double t = d * kInvLn2 + kShifter;
    const double k = t - kShifter;
    const double rh = d - k * kLn2Hi, rl = -(k * kLn2Lo), r = rh + rl;
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double q = ((c2 + c3 * r) + (c4 + c5 * r) * r2) + r4 * ((c6 + c7 * r) + (c8 + c9 * r) * r2) +
                     r8 * ((c10 + c11 * r) + (c12 + c13 * r) * r2);
    const double s = 1.0 + rh;
    const double e = s + ((((1.0 - s) + rh) + rl) + r2 * q);
    const std::uint64_t k_bits = std::bit_cast<std::uint64_t>(t) - std::bit_cast<std::uint64_t>(kShifter);
    out[i] = std::bit_cast<double>(std::bit_cast<std::uint64_t>(e) + (k_bits << 52));
  }
}

// Whether any value is outside [-708, 0] or NaN, on the bits (so that it
// vectorises): -0 .. -708 are the patterns from the sign bit up to -708's.
LOSSCALC_CLONES bool any_outside(const double* in, std::size_t n) {
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  constexpr std::uint64_t kLimit = std::bit_cast<std::uint64_t>(-708.0) - kSign;
  std::uint64_t outside = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto u = std::bit_cast<std::uint64_t>(in[i]);
    outside |= static_cast<std::uint64_t>(u != 0) & static_cast<std::uint64_t>(u - kSign > kLimit);
  }
  return outside != 0;
}

}  // namespace

void exp_nonpositive(const double* in, double* out, std::size_t n) {
  // In pieces through a small buffer, so that `in` may be `out`: the
  // original value decides whether the kernel's lane stands.
  constexpr std::size_t kPiece = 256;
  double piece[kPiece];
  for (std::size_t at = 0; at < n; at += kPiece) {
    const std::size_t m = n - at < kPiece ? n - at : kPiece;
    exp_kernel(in + at, piece, m);
    if (!any_outside(in + at, m)) {
      std::memcpy(out + at, piece, m * sizeof(double));
      continue;
    }
    for (std::size_t i = 0; i < m; ++i) {
      const double d = in[at + i];
      out[at + i] = d >= -708.0 && d <= 0.0 ? piece[i] : std::exp(d);
    }
  }
}

}  // namespace losscalc::core
