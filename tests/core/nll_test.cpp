#include <doctest/doctest.h>

#include "helpers.h"

using namespace losscalc;
using namespace losscalc::core;
using losscalc::testing::close;
using losscalc::testing::idx;
using losscalc::testing::vec;

TEST_CASE("nll_loss accepts positive inputs, as torch does") {
  auto f = nll_forward<double>({1, 2, 1}, vec({1, 2}), idx({1}), {}, -100);
  CHECK(reduce(Reduction::Mean, f).loss[0] == -2.0);
}

TEST_CASE("nll_loss with class weights divides the mean by the weight sum") {
  const auto x = vec({-1, -2, -3, -0.5, -0.25, -4});
  auto f = nll_forward<double>({2, 3, 1}, x, idx({2, 0}), vec({1, 2, 4}), -100);
  auto r = reduce(Reduction::Mean, f);
  CHECK(close(r.loss[0], (4 * 3 + 1 * 0.5) / 5.0));
  auto g = nll_backward({2, 3, 1}, idx({2, 0}), vec({1, 2, 4}), -100, r.upstream);
  CHECK(close(g[2], -4 / 5.0));
  CHECK(close(g[3], -1 / 5.0));
  CHECK(g[0] == 0.0);
}

TEST_CASE("nll_loss on K-dimensional input picks along the class dim") {
  // (1, 2, 3): class dim 1, three positions
  const auto x = vec({-1, -2, -3, -4, -5, -6});
  auto f = nll_forward<double>({1, 2, 3}, x, idx({1, 0, 1}), {}, -100);
  CHECK(f.loss[0] == 4.0);
  CHECK(f.loss[1] == 2.0);
  CHECK(f.loss[2] == 6.0);
}

TEST_CASE("zero total weight: the mean is nan, as in torch") {
  auto f = nll_forward<double>({2, 2, 1}, vec({-1, -2, -3, -4}), idx({0, 0}), vec({0, 1}), -100);
  CHECK(std::isnan(reduce(Reduction::Mean, f).loss[0]));
}
