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

TEST_CASE("keras_binary_focal: gamma 0 without class balancing is Keras's binary cross-entropy (clipped)") {
  const auto x = vec({0.3, 0.0, 1.0, 0.9}), y = vec({1, 1, 0, 0.5});
  const auto f = keras_binary_focal(x, y, {.alpha = 0.25, .gamma = 0.0});
  const auto bce = keras_binary_from_probs(x, y, 1e-7);
  for (int i = 0; i < 4; ++i) CHECK(close(f.pw.loss[i], bce.loss[i]));
  CHECK(close(f.pw.loss[1], -std::log(1e-7)));  // p = 0, y = 1: the clip's 16.118
  CHECK(close(f.pw.slope[0], bce.slope[0]));
}

TEST_CASE("keras_categorical_focal: Keras's docstring example, alpha 0.25 and gamma 2") {
  // keras.losses.categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])
  const Layout layout{2, 3, 1};
  const auto f = keras_categorical_focal(layout, vec({0.05, 0.9, 0.05, 0.1, 0.85, 0.05}), vec({0, 1, 0, 0, 0, 1}), {});
  CHECK(close(f.f.loss[0], 2.63401289e-04, 1e-6, 0));
  CHECK(close(f.f.loss[1], 6.75912094e-01, 1e-6, 0));
}

TEST_CASE("keras_overlap: tversky with alpha = beta = 0.5 is dice, and Keras's DiceTest value") {
  const std::vector<std::int64_t> group{0, 0, 0, 0};
  // keras DiceTest.test_correctness: y_true [[1, 2], [1, 2]], y_pred [[4, 1], [6, 1]] -> 1 - dice = -0.5555...
  const auto p = vec({4, 1, 6, 1}), t = vec({1, 2, 1, 2});
  const auto d = keras_overlap(group, 1, p, t, {});
  const auto tv = keras_overlap(group, 1, p, t, {.tversky = true});
  CHECK(close(1 - d.fraction[0], 1 - 2 * 14 / (6 + 12 + 1e-7)));  // -0.5555...
  CHECK(close(d.fraction[0], tv.fraction[0], 1e-7, 0));  // eps: S + eps against S + 2 eps
}
