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
