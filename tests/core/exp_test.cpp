#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/exp.h"

using losscalc::core::exp_nonpositive;

namespace {
// |got - exp(d)| in units of the last place of the double nearest exp(d),
// against long double's expl (11 more bits).
double ulp_error(double d, double got) {
  const long double want = expl(static_cast<long double>(d));
  const double nearest = static_cast<double>(want);
  const double ulp = std::nextafter(nearest, INFINITY) - nearest;
  return static_cast<double>(fabsl(static_cast<long double>(got) - want) / ulp);
}
}  // namespace

TEST_CASE("exp_nonpositive is within 0.73 ulp of exp on [-708, 0] and agrees with std::exp to 1 ulp") {
  std::mt19937_64 gen(31);
  std::vector<double> d;
  for (int i = 0; i < 300000; ++i) {
    const double u = std::ldexp(static_cast<double>(gen() >> 11), -53);  // [0, 1)
    switch (i % 4) {
      case 0: d.push_back(-u * 708.0); break;
      case 1: d.push_back(-u * 30.0); break;                                          // typical logit gaps
      case 2: d.push_back(-u * std::ldexp(1.0, -static_cast<int>(gen() % 60))); break;  // near 0
      default: d.push_back(-std::round(u * 1000.0) * 0.6931471805599453 + (u - 0.5) * 1e-9); break;  // near k ln 2
    }
  }
  d.insert(d.end(), {0.0, -0.0, -708.0, -1e-300, -std::numeric_limits<double>::denorm_min(), -0.34657359027997264,
                     -0.34657359027997275, -707.9999999999999});
  std::vector<double> got(d.size());
  exp_nonpositive(d.data(), got.data(), d.size());
  double worst = 0;
  std::size_t far_from_std = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    worst = std::max(worst, ulp_error(d[i], got[i]));
    const double s = std::exp(d[i]);
    if (got[i] != s && got[i] != std::nextafter(s, 0.0) && got[i] != std::nextafter(s, 2.0)) ++far_from_std;
  }
  CHECK(worst < 0.73);
  CHECK(far_from_std == 0);
  CHECK(got[d.size() - 8] == 1.0);  // exp(0) and exp(-0) are exactly 1
  CHECK(got[d.size() - 7] == 1.0);
}

TEST_CASE("exp_nonpositive outside [-708, 0], NaN and infinities are std::exp's, in place too") {
  std::vector<double> d = {-708.5, -745.0, -746.0, -1e308, -INFINITY, NAN, INFINITY, 1.0, 709.0, -3.0};
  std::vector<double> want;
  for (double v : d) want.push_back(std::exp(v));
  exp_nonpositive(d.data(), d.data(), d.size());  // in place
  for (std::size_t i = 0; i < d.size(); ++i) {
    CAPTURE(i);
    if (std::isnan(want[i]))
      CHECK(std::isnan(d[i]));
    else if (i + 1 < d.size())
      CHECK(d[i] == want[i]);
  }
  CHECK(d.back() == doctest::Approx(std::exp(-3.0)).epsilon(1e-15));
}

TEST_CASE("exp_nonpositive gives the same bits in any piece size (the vector loop and its scalar tail agree)") {
  std::mt19937_64 gen(37);
  std::vector<double> d(1000);
  for (auto& v : d) v = -std::ldexp(static_cast<double>(gen() >> 11), -53) * 50.0;
  std::vector<double> whole(d.size());
  exp_nonpositive(d.data(), whole.data(), d.size());
  for (std::size_t n : {1, 2, 3, 5, 7, 255, 257}) {
    for (std::size_t at = 0; at + n <= d.size(); at += 97) {
      std::vector<double> part(n);
      exp_nonpositive(d.data() + at, part.data(), n);
      CHECK(std::memcmp(part.data(), whole.data() + at, n * sizeof(double)) == 0);
    }
  }
}

TEST_CASE("exp_nonpositive: one value just outside [-708, 0] in a long run gets std::exp, its neighbours stay") {
  std::vector<double> d(600);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = -static_cast<double>(i) * 1.17;  // -0 .. -701
  d[300] = std::nextafter(-708.0, -INFINITY);
  d[301] = -708.0;  // still inside
  d[599] = std::nextafter(0.0, 1.0);
  std::vector<double> got(d.size());
  exp_nonpositive(d.data(), got.data(), d.size());
  CHECK(got[300] == std::exp(d[300]));
  CHECK(got[599] == std::exp(d[599]));
  for (std::size_t i = 0; i < d.size(); ++i) {
    CAPTURE(i);
    CHECK(ulp_error(d[i], got[i]) < 0.73);
  }
}
