#include <doctest/doctest.h>

#include <random>

#include "helpers.h"

using namespace losscalc;
using namespace losscalc::core;
using losscalc::testing::close;
using losscalc::testing::vec;

TEST_CASE("keras categorical crossentropy renormalises rows before the log") {
  Vec<double> clipped;
  auto f = keras_categorical_forward({1, 2, 1}, vec({0.2, 0.6}), vec({0, 1}), 1e-7, clipped);
  CHECK(close(clipped[1], 0.75));
  CHECK(close(f.loss[0], -std::log(0.75)));
}

TEST_CASE("keras categorical gradient matches finite differences inside the clip range") {
  const Layout l{2, 3, 1};
  const auto x = vec({0.2, 0.5, 0.3, 0.1, 0.1, 0.6});
  const auto y = vec({0, 1, 0, 0.2, 0.3, 0.5});
  const auto up = vec({1, 1});
  auto g = keras_categorical_backward(l, x, y, 1e-7, up);
  for (int i = 0; i < 6; ++i) {
    Vec<double> hi = x, lo = x, c;
    hi[i] += 1e-7;
    lo[i] -= 1e-7;
    const double fd = (keras_categorical_forward(l, hi, y, 1e-7, c).loss.sum() - keras_categorical_forward(l, lo, y, 1e-7, c).loss.sum()) / 2e-7;
    CHECK(close(g[i], fd, 1e-6, 1e-6));
  }
}

TEST_CASE("keras clip + log passes no gradient where it clips") {
  auto z = keras_clip_log(vec({0, 0.5, 1}), 1e-7);
  CHECK(close(z[0], std::log(1e-7)));
  auto g = keras_clip_log_backward(vec({0, 0.5, 1}), 1e-7, vec({1, 1, 1}));
  CHECK(g[0] == 0.0);
  CHECK(g[1] == 2.0);
  CHECK(g[2] == 0.0);
}

TEST_CASE("TF's softmax cross-entropy gradient is softmax - labels, even when labels do not sum to 1") {
  Vec<double> p, lp;
  softmax_forward({1, 2, 1}, vec({0, 0}), p, lp);
  auto g = tf_softmax_cross_entropy_backward({1, 2, 1}, vec({0, 0}), vec({1, 1}), vec({1}));
  CHECK(close(g[0], -0.5));
  CHECK(close(g[1], -0.5));
  // autograd would give p * sum(t) - t = 0
  auto autograd = cross_entropy_prob_backward({1, 2, 1}, lp, vec({1, 1}), {}, 0.0, vec({1}));
  CHECK(close(autograd[0], 0.0));
}

TEST_CASE("TF's float64 softmax cross-entropy gradient keeps the tail a rounded probability loses") {
  // tensorflow xent_op test: logits [ln 2^54, 0], labels [1, 0].
  auto g = tf_softmax_cross_entropy_backward({1, 2, 1}, vec({37.42994775023705, 0.0}), vec({1, 0}), vec({1}));
  CHECK(g[0] == -5.551115123125776e-17);
  CHECK(g[1] == 5.551115123125776e-17);
  // A label below 1 keeps prob - label; float32 keeps TF's plain form.
  auto h = tf_softmax_cross_entropy_backward({1, 2, 1}, vec({37.42994775023705, 0.0}), vec({0.5, 0.5}), vec({1}));
  CHECK(h[0] == 0.5);
  Vec<float> xf(2), yf(2), uf(1);
  xf << 37.42994775023705f, 0.0f;
  yf << 1, 0;
  uf << 1;
  auto gf = tf_softmax_cross_entropy_backward<float>({1, 2, 1}, xf, yf, uf);
  CHECK(gf[0] == 0.0f);
}

TEST_CASE("a masked mean adds epsilon to the denominator (keras ignore_class)") {
  Forward<double> f;
  f.loss = vec({2, 0, 4});
  f.share = Eigen::ArrayXd(3);
  f.share << 1, 0, 1;
  f.ignored = Eigen::Array<bool, Eigen::Dynamic, 1>(3);
  f.ignored << false, true, false;
  f.extra_denominator = 1e-7;
  auto r = reduce(Reduction::SumOverBatchSize, f);
  CHECK(close(r.loss[0], 6 / (2 + 1e-7)));
}
