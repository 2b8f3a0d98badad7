// crc32_update() against zlib's crc32() byte for byte: every length from 0
// to 1100 (the lanes, the 16-byte folds and the tail all take part), every
// start offset modulo 16, starting CRCs other than 0, and pieces chained.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "read/crc32.h"
#include "read/elements.h"

namespace {

std::uint32_t zlib_of(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  return static_cast<std::uint32_t>(crc32(crc, p, static_cast<uInt>(n)));
}

std::vector<unsigned char> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(gen());
  return v;
}

}  // namespace

TEST_CASE("crc32_update: zip's known value") {
  const char* text = "123456789";  // CRC-32's check value
  CHECK(losscalc::read::crc32_update(0, text, 9) == 0xCBF43926u);
  std::vector<unsigned char> zeros(4096, 0);
  CHECK(losscalc::read::crc32_update(0, zeros.data(), zeros.size()) == zlib_of(0, zeros.data(), zeros.size()));
}

TEST_CASE("crc32_update equals zlib's crc32 for every length, offset and starting value, in each register width") {
  const auto bytes = random_bytes(1100 + 16, 7);
  std::size_t checked = 0;
  for (int limit : {256, 128, 0}) {
    for (std::size_t off = 0; off < 16; ++off)
      for (std::size_t n = 0; n + off <= bytes.size() && n <= 1100; ++n)
        for (std::uint32_t start : {0u, 0xFFFFFFFFu, 0x12345678u}) {
          const unsigned char* p = bytes.data() + off;
          const int before = losscalc::read::crc32_limit(limit);
          const std::uint32_t got = losscalc::read::crc32_update(start, p, n);
          losscalc::read::crc32_limit(before);
          if (got != zlib_of(start, p, n)) {
            FAIL("mismatch at offset " << off << ", length " << n << ", start " << start << ", registers of " << limit << " bits");
          }
          ++checked;
        }
  }
  CHECK(checked == 3 * 16 * 1101 * 3);
}

TEST_CASE("crc32_update over pieces equals one pass over a megabyte") {
  const auto bytes = random_bytes(1 << 20, 11);
  const std::uint32_t whole = zlib_of(0, bytes.data(), bytes.size());
  CHECK(losscalc::read::crc32_update(0, bytes.data(), bytes.size()) == whole);
  std::uint32_t crc = 0;
  std::mt19937 gen(3);
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t k = std::min<std::size_t>(bytes.size() - at, gen() % 5000);
    crc = losscalc::read::crc32_update(crc, bytes.data() + at, k);
    at += k;
  }
  CHECK(crc == whole);
  MESSAGE("carry-less multiplication in use: " << std::string(losscalc::read::crc32_folds() ? "yes" : "no"));
}

TEST_CASE("crc32_decode: the CRC of crc32_update and the doubles of decode_elements, bit for bit, for every dtype, count and offset") {
  using losscalc::read::Elem;
  // Random bytes: as floats they hold NaNs (signalling ones too), infinities
  // and subnormals; as int64 values past 2^53.
  const auto bytes = random_bytes(8 * 300 + 16, 23);
  std::size_t checked = 0;
  for (int limit : {256, 128, 0}) {
    for (Elem e : {Elem::F32, Elem::F64, Elem::I64, Elem::I32, Elem::F16, Elem::U8, Elem::Bool}) {
      const auto eb = static_cast<std::size_t>(losscalc::read::elem_bytes(e));
      for (std::size_t off = 0; off < 16; off += 3)
        for (std::size_t n = 0; n * eb + off <= bytes.size() && n <= 300; ++n) {
          const char* p = reinterpret_cast<const char*>(bytes.data() + off);
          std::vector<double> want(n + 1, -1.0), got(n + 1, -1.0);  // one more: nothing is written past n
          losscalc::read::decode_elements(p, n, e, want.data());
          const int before = losscalc::read::crc32_limit(limit);
          const std::uint32_t crc = losscalc::read::crc32_decode(0x9abcdef0u, p, n, e, got.data());
          losscalc::read::crc32_limit(before);
          if (crc != zlib_of(0x9abcdef0u, bytes.data() + off, n * eb) || std::memcmp(want.data(), got.data(), (n + 1) * sizeof(double)) != 0) {
            FAIL("mismatch: " << losscalc::read::elem_name(e) << ", offset " << off << ", " << n << " values, registers of " << limit << " bits");
          }
          ++checked;
        }
    }
  }
  CHECK(checked > 3 * 6 * 300 * 5);
}
