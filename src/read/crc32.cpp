// CRC-32 by folding: the message is a polynomial over GF(2), the CRC its
// remainder modulo P (0x104C11DB7) after a multiplication by x^32, in
// zip's bit-reflected order (a byte's low bit is its highest coefficient).
// Four 128-bit lanes (eight, in 256-bit registers, where VPCLMULQDQ is)
// are each carried 512 (1024) bits forward per step with two
// carry-less multiplications by x^k mod P, which keeps the lane's value
// modulo P; at the end the lanes are folded into one 16-byte block that is
// congruent to everything read, and zlib finishes that block and the tail.
//
// In a 128-bit register loaded from 16 bytes, bit i is the coefficient of
// x^(127-i); its low 64-bit half H holds x^127..x^64, its high half L
// x^63..x^0, so the block is H x^64 + L. Carrying it k bits forward is
// H x^(k+64) + L x^k; a carry-less product of two such reflected halves
// comes out multiplied by one extra x, so the constants are
// x^(k+63) mod P and x^(k-1) mod P, computed below rather than typed in.
#include "read/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "read/elements.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define LOSSCALC_CRC_FOLDS 1
#endif

namespace losscalc::read {

namespace {

std::uint32_t zlib_crc(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  uLong c = crc;
  while (n > 0) {  // zlib counts in 32-bit lengths
    const std::size_t k = std::min<std::size_t>(n, 1u << 30);
    c = crc32(c, p, static_cast<uInt>(k));
    p += k;
    n -= k;
  }
  return static_cast<std::uint32_t>(c);
}

#ifdef LOSSCALC_CRC_FOLDS

// x^n mod P as a reflected 64-bit half: x^d at bit 63 - d (d < 32).
constexpr std::uint64_t x_pow_mod(unsigned n) {
  std::uint32_t r = 1;  // x^0, bit d = coefficient of x^d
  for (unsigned i = 0; i < n; ++i) {
    const bool top = (r & 0x80000000u) != 0;
    r <<= 1;
    if (top) r ^= 0x04C11DB7u;
  }
  std::uint64_t out = 0;
  for (unsigned d = 0; d < 32; ++d)
    if ((r >> d) & 1u) out |= std::uint64_t{1} << (63 - d);
  return out;
}

// The two constants that carry a block k bits forward: {for H, for L}.
struct Carry {
  std::uint64_t high_half, low_half;
};
constexpr Carry carry(unsigned k) { return {x_pow_mod(k + 63), x_pow_mod(k - 1)}; }
constexpr Carry kBy512 = carry(512), kBy128 = carry(128);

__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i lane, __m128i by, __m128i next) {
  // imm 0x00: the low halves (H and its constant); 0x11: the high halves.
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(lane, by, 0x00), _mm_clmulepi64_si128(lane, by, 0x11)), next);
}

__attribute__((target("pclmul,sse4.1"))) std::uint32_t folded_crc(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  // zlib's crc32(crc, m) is the plain remainder of m with ~crc added into
  // its first four bytes, inverted: the lanes start from that.
  const auto load = [](const unsigned char* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i by512 = _mm_set_epi64x(static_cast<long long>(kBy512.low_half), static_cast<long long>(kBy512.high_half));
  const __m128i by128 = _mm_set_epi64x(static_cast<long long>(kBy128.low_half), static_cast<long long>(kBy128.high_half));
  for (; n >= 64; p += 64, n -= 64) {
    x0 = fold(x0, by512, load(p));
    x1 = fold(x1, by512, load(p + 16));
    x2 = fold(x2, by512, load(p + 32));
    x3 = fold(x3, by512, load(p + 48));
  }
  __m128i x = fold(fold(fold(x0, by128, x1), by128, x2), by128, x3);
  for (; n >= 16; p += 16, n -= 16) x = fold(x, by128, load(p));
  // The block x is congruent to all bytes so far, with nothing added in
  // front: its plain remainder continued by the tail's is the answer.
  alignas(16) std::array<unsigned char, 16> block;
  _mm_store_si128(reinterpret_cast<__m128i*>(block.data()), x);
  const std::uint32_t head = zlib_crc(0xFFFFFFFFu, block.data(), block.size());
  return zlib_crc(head, p, n);
}

// The same folds two lanes to a 256-bit register (VPCLMULQDQ): eight
// lanes, each carried 1024 bits forward per step, then folded to one
// 16-byte block in order as the four above are.
constexpr Carry kBy1024 = carry(1024);

#define LOSSCALC_WIDE __attribute__((target("avx2,vpclmulqdq,pclmul,sse4.1")))
LOSSCALC_WIDE inline __m256i load32(const unsigned char* at) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)); }
LOSSCALC_WIDE inline __m256i fold2(__m256i lane, __m256i by, __m256i next) {
  return _mm256_xor_si256(_mm256_xor_si256(_mm256_clmulepi64_epi128(lane, by, 0x00), _mm256_clmulepi64_epi128(lane, by, 0x11)), next);
}

// The fold of the bytes in whole 128-byte blocks (all of them but the last
// n % 128), each block given to `visit` (its four 32-byte registers and
// its address) as it is folded, then the 16-byte folds and zlib for the
// tail. n >= 256.
template <class Visit>
LOSSCALC_WIDE std::uint32_t folded_crc_wide(std::uint32_t crc, const unsigned char* p, std::size_t n, Visit&& visit) {
  const __m256i by1024 = _mm256_set_epi64x(static_cast<long long>(kBy1024.low_half), static_cast<long long>(kBy1024.high_half),
                                           static_cast<long long>(kBy1024.low_half), static_cast<long long>(kBy1024.high_half));
  __m256i b0 = load32(p), b1 = load32(p + 32), b2 = load32(p + 64), b3 = load32(p + 96);
  visit(b0, b1, b2, b3, p);
  __m256i y0 = _mm256_xor_si256(b0, _mm256_zextsi128_si256(_mm_cvtsi32_si128(static_cast<int>(~crc))));
  __m256i y1 = b1, y2 = b2, y3 = b3;
  p += 128;
  n -= 128;
  for (; n >= 128; p += 128, n -= 128) {
    b0 = load32(p), b1 = load32(p + 32), b2 = load32(p + 64), b3 = load32(p + 96);
    visit(b0, b1, b2, b3, p);
    y0 = fold2(y0, by1024, b0);
    y1 = fold2(y1, by1024, b1);
    y2 = fold2(y2, by1024, b2);
    y3 = fold2(y3, by1024, b3);
  }
  const __m128i by128 = _mm_set_epi64x(static_cast<long long>(kBy128.low_half), static_cast<long long>(kBy128.high_half));
  __m128i x = _mm256_castsi256_si128(y0);
  for (__m128i next : {_mm256_extracti128_si256(y0, 1), _mm256_castsi256_si128(y1), _mm256_extracti128_si256(y1, 1),
                       _mm256_castsi256_si128(y2), _mm256_extracti128_si256(y2, 1), _mm256_castsi256_si128(y3),
                       _mm256_extracti128_si256(y3, 1)})
    x = fold(x, by128, next);
  for (; n >= 16; p += 16, n -= 16) x = fold(x, by128, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  alignas(16) std::array<unsigned char, 16> block;
  _mm_store_si128(reinterpret_cast<__m128i*>(block.data()), x);
  const std::uint32_t head = zlib_crc(0xFFFFFFFFu, block.data(), block.size());
  return zlib_crc(head, p, n);
}

bool cpu_folds() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}
bool cpu_folds_wide() {
  static const bool yes = cpu_folds() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq");
  return yes;
}

// What a fold does with each block besides: nothing, or its decode.
struct NoVisit {
  LOSSCALC_WIDE void operator()(__m256i, __m256i, __m256i, __m256i, const unsigned char*) const {}
};
struct DecodeF32 {
  double* out;
  LOSSCALC_WIDE void operator()(__m256i b0, __m256i b1, __m256i b2, __m256i b3, const unsigned char*) {
    for (const __m256i b : {b0, b1, b2, b3}) {
      const __m256 f = _mm256_castsi256_ps(b);
      _mm256_storeu_pd(out, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
      _mm256_storeu_pd(out + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
      out += 8;
    }
  }
};
struct DecodeF64 {
  double* out;
  LOSSCALC_WIDE void operator()(__m256i b0, __m256i b1, __m256i b2, __m256i b3, const unsigned char*) {
    for (const __m256i b : {b0, b1, b2, b3}) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), b);
      out += 4;
    }
  }
};
struct DecodeI64 {  // no vector conversion in AVX2: from the cache, a value at a time
  double* out;
  LOSSCALC_WIDE void operator()(__m256i, __m256i, __m256i, __m256i, const unsigned char* at) {
    for (int k = 0; k < 16; ++k) {
      std::int64_t v;
      std::memcpy(&v, at + 8 * k, 8);
      out[k] = static_cast<double>(v);
    }
    out += 16;
  }
};

LOSSCALC_WIDE std::uint32_t folded_crc_wide(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  return folded_crc_wide(crc, p, n, NoVisit{});
}

// The fold with the decode of each 128-byte block while it is in
// registers: one pass over memory for both (a CRC pass after the decode's
// costs as much again as the decode where memory is the bound). Returns
// the CRC; the last n % 128 bytes are decoded by the caller.
LOSSCALC_WIDE std::uint32_t folded_crc_decoding(std::uint32_t crc, const unsigned char* p, std::size_t n, Elem e, double* out) {
  switch (e) {
    case Elem::F32: return folded_crc_wide(crc, p, n, DecodeF32{out});
    case Elem::F64: return folded_crc_wide(crc, p, n, DecodeF64{out});
    default: return folded_crc_wide(crc, p, n, DecodeI64{out});
  }
}

#endif

std::atomic<int> g_limit{256};

}  // namespace

int crc32_limit(int bits) { return g_limit.exchange(bits); }

bool crc32_folds() {
#ifdef LOSSCALC_CRC_FOLDS
  return cpu_folds();
#else
  return false;
#endif
}

std::uint32_t crc32_decode(std::uint32_t crc, const char* p, std::size_t n, Elem e, double* out) {
  const std::size_t bytes = n * static_cast<std::size_t>(elem_bytes(e));
#ifdef LOSSCALC_CRC_FOLDS
  if (bytes >= 256 && (e == Elem::F32 || e == Elem::F64 || e == Elem::I64) && g_limit.load(std::memory_order_relaxed) >= 256 &&
      cpu_folds_wide()) {
    const std::size_t whole = bytes / 128 * 128, done = whole / static_cast<std::size_t>(elem_bytes(e));
    const std::uint32_t c = folded_crc_decoding(crc, reinterpret_cast<const unsigned char*>(p), bytes, e, out);
    decode_elements(p + whole, n - done, e, out + done);
    return c;
  }
#endif
  decode_elements(p, n, e, out);
  return crc32_update(crc, p, bytes);
}

std::uint32_t crc32_update(std::uint32_t crc, const void* bytes, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(bytes);
#ifdef LOSSCALC_CRC_FOLDS
  const int limit = g_limit.load(std::memory_order_relaxed);
  if (n >= 256 && limit >= 256 && cpu_folds_wide()) return folded_crc_wide(crc, p, n);
  if (n >= 256 && limit >= 128 && cpu_folds()) return folded_crc(crc, p, n);
#endif
  return zlib_crc(crc, p, n);
}

}  // namespace losscalc::read
