#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/exact_sum.h"

using losscalc::core::ExactSum;

namespace {
ExactSum sum_of(const std::vector<double>& xs) {
  ExactSum s;
  for (double x : xs) s.add(x);
  return s;
}
}  // namespace

TEST_CASE("the exact sum is rounded once, as Python's math.fsum") {
  CHECK(sum_of({1e100, 1.0, -1e100}).value() == 1.0);
  CHECK(sum_of(std::vector<double>(10, 0.1)).value() == 1.0);  // a naive sum gives 0.9999999999999999
  // fsum's half-way case: 1 + 2^-53 + tiny rounds up because of the tiny part.
  CHECK(sum_of({1.0, std::ldexp(1.0, -53), std::ldexp(1.0, -106)}).value() == std::nextafter(1.0, 2.0));
  CHECK(sum_of({1.0, std::ldexp(1.0, -53)}).value() == 1.0);  // ties to even
  CHECK(sum_of({}).value() == 0.0);
}

TEST_CASE("non-finite terms give inf or nan as IEEE addition does") {
  CHECK(sum_of({1.0, INFINITY, 2.0}).value() == INFINITY);
  CHECK(std::isnan(sum_of({INFINITY, -INFINITY}).value()));
  const double big = std::numeric_limits<double>::max();
  CHECK(sum_of({big, big}).value() == INFINITY);
}

TEST_CASE("canonical parts depend on the exact value only, not on the order of the terms") {
  std::mt19937 gen(11);
  std::normal_distribution<double> normal;
  std::vector<double> xs;
  for (int i = 0; i < 2000; ++i) xs.push_back(normal(gen) * std::pow(10.0, static_cast<int>(gen() % 30) - 15));
  const ExactSum a = sum_of(xs);
  std::shuffle(xs.begin(), xs.end(), gen);
  const ExactSum b = sum_of(xs);
  // Split in two halves and merged, as two threads or two shards do.
  ExactSum c = sum_of({xs.begin(), xs.begin() + 700}), d = sum_of({xs.begin() + 700, xs.end()});
  c.add(d);
  CHECK(a.value() == b.value());
  CHECK(a.canonical() == b.canonical());
  CHECK(a.canonical() == c.canonical());
  // The largest part is the rounded sum; all parts add up exactly to it.
  REQUIRE(!a.canonical().empty());
  CHECK(a.canonical().back() == a.value());
  CHECK(sum_of(a.canonical()).value() == a.value());
  // 1e100 + 1 - 1e100 + 1e-30: parts 1e-30 and 1.
  const auto p = sum_of({1e100, 1.0, -1e100, 1e-30}).canonical();
  REQUIRE(p.size() == 2);
  CHECK(p[0] == 1e-30);
  CHECK(p[1] == 1.0);
}

TEST_CASE("the exact sum is exact over the whole double range: subnormals, both sides of 2^512, cancelling pairs") {
  std::mt19937_64 gen(29);
  std::vector<double> xs;
  for (int i = 0; i < 20000; ++i) {
    // any exponent, any mantissa, either sign; some subnormal, some near 2^512
    const int e = static_cast<int>(gen() % 2100) - 1074;
    double x = std::ldexp(1.0 + static_cast<double>(gen() >> 12) * 0x1p-52, std::min(e, 1000));
    if (i % 10 == 0) x = std::ldexp(static_cast<double>(gen() >> 12), -1074);  // subnormal or tiny
    if (i % 10 == 1) x = std::ldexp(1.0 + static_cast<double>(gen() >> 12) * 0x1p-52, 511 + static_cast<int>(gen() % 3));
    if (gen() % 2) x = -x;
    xs.push_back(x);
    xs.push_back(-x);
  }
  // What is left after the pairs cancel: fsum's half-way case, decided by
  // the smallest subnormal.
  xs.insert(xs.end(), {1.0, 0x1p-53, 0x1p-1074});
  std::shuffle(xs.begin(), xs.end(), gen);
  const ExactSum s = sum_of(xs);
  CHECK(s.value() == std::nextafter(1.0, 2.0));
  const auto parts = s.canonical();
  // The rest after rounding, -2^-53 + 2^-1074, is two more parts.
  REQUIRE(parts.size() == 3);
  CHECK(parts[2] == std::nextafter(1.0, 2.0));
  CHECK(parts[1] == -0x1p-53);
  CHECK(parts[0] == 0x1p-1074);
}

TEST_CASE("the exact sum stays exact past the chunks' carry (tens of millions of terms)") {
  // 2^25 + 3 terms of 1 - 2^-53: the exact sum is (2^25 + 3) - (2^25 + 3) 2^-53,
  // a little more than half an ulp below 2^25 + 3, so it rounds down once.
  const double x = 1.0 - 0x1p-53;
  const std::int64_t n = (std::int64_t{1} << 25) + 3;
  ExactSum up, down;
  for (std::int64_t i = 0; i < n; ++i) {
    up.add(x);
    down.add(-x);
  }
  CHECK(up.value() == static_cast<double>(n) - 0x1p-27);
  CHECK(down.value() == -(static_cast<double>(n) - 0x1p-27));
  up.add(down);
  CHECK(up.value() == 0.0);
}
