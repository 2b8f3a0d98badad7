// crc32_update() against zlib's crc32() byte for byte: every length from 0
// to 1100 (the lanes, the 16-byte folds and the tail all take part), every
// start offset modulo 16, starting CRCs other than 0, and pieces chained.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "read/crc32.h"

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
