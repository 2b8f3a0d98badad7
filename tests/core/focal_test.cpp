#include <doctest/doctest.h>

#include <cmath>

#include "helpers.h"

using namespace losscalc;
using namespace losscalc::core;
using losscalc::testing::close;
using losscalc::testing::vec;

TEST_CASE("sigmoid_focal: gamma 0 and alpha < 0 is BCE with logits, loss and both slopes") {
  const auto x = vec({0.5, -1.0, 2.0, -30.0}), y = vec({1, 0, 0.3, 1});
  const auto f = sigmoid_focal(x, y, -1.0, 0.0);
  const auto ce = bce_with_logits(x, y, {}, {});
  CHECK(f.alpha_t.size() == 0);
  for (int i = 0; i < 4; ++i) {
    CHECK(close(f.pw.loss[i], ce.loss[i]));
    CHECK(close(f.pw.slope[i], ce.slope[i]));
    CHECK(close(f.pw.target_slope[i], -x[i]));
    CHECK(f.modulating_factor[i] == 1.0);
  }
}

TEST_CASE("sigmoid_focal matches torchvision 0.14 at the defaults (alpha 0.25, gamma 2)") {
  // torchvision.ops.sigmoid_focal_loss(x, y) in float64, loss.sum().backward()
  const auto f = sigmoid_focal(vec({0.5, -1.0, 2.0}), vec({1, 0, 0.3}), 0.25, 2.0);
  const double grad[] = {-0.0344842493377286, 0.03943584748317046, 0.1984819594303794};
  const double grad_target[] = {-0.0735220451503997, 0.10131748006962044, -1.7457903757325508};
  for (int i = 0; i < 3; ++i) {
    CHECK(close(f.pw.slope[i], grad[i]));
    CHECK(close(f.pw.target_slope[i], grad_target[i]));
  }
  CHECK(close(f.p_t[0], 1 / (1 + std::exp(-0.5))));
  CHECK(close(f.alpha_t[2], 0.25 * 0.3 + 0.75 * 0.7));
  CHECK(close(f.modulating_factor[1], std::pow(1 / (1 + std::exp(1.0)), 2)));
}
