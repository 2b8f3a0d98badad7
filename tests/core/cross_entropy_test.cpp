#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <random>

#include "helpers.h"

using namespace losscalc;
using namespace losscalc::core;
using losscalc::testing::close;
using losscalc::testing::idx;
using losscalc::testing::vec;

namespace {

struct Run {
  Vec<double> probs, log_probs, grad;
  Forward<double> forward;
  Reduced<double> reduced;
};

Run ce_index(const Layout& l, const Vec<double>& x, const Index& y, const Vec<double>& w, std::int64_t ignore,
             double eps, Reduction r) {
  Run out;
  softmax_forward(l, x, out.probs, out.log_probs);
  out.forward = cross_entropy_index_forward(l, out.log_probs, y, w, ignore, eps);
  out.reduced = reduce(r, out.forward);
  out.grad = cross_entropy_index_backward(l, out.log_probs, y, w, ignore, eps, out.reduced.upstream);
  return out;
}

Run ce_prob(const Layout& l, const Vec<double>& x, const Vec<double>& t, const Vec<double>& w, double eps, Reduction r) {
  Run out;
  softmax_forward(l, x, out.probs, out.log_probs);
  out.forward = cross_entropy_prob_forward(l, out.log_probs, t, w, eps);
  out.reduced = reduce(r, out.forward);
  out.grad = cross_entropy_prob_backward(l, out.log_probs, t, w, eps, out.reduced.upstream);
  return out;
}

const Vec<double> kSeedX = vec({0.1, 0.2, 0.3, 0.4, 0.1, 0.1, 0.1, 0.1});
const Layout kSeed{2, 4, 1};

}  // namespace

TEST_CASE("the classic example gives torch's per-sample losses, mean and gradient") {
  auto r = ce_index(kSeed, kSeedX, idx({2, 3}), {}, -100, 0, Reduction::Mean);
  CHECK(close(r.forward.loss[0], 1.3425355294551629));
  CHECK(close(r.forward.loss[1], 1.3862943611198906));
  CHECK(close(r.reduced.loss[0], 1.3644149452875267));
  CHECK(r.reduced.denominator == 2);
  // torch autograd, float64
  const double grad[] = {0.1069191101829922, 0.11816389116076884, -0.3694087039224622, 0.14432570257870117,
                         0.125, 0.125, 0.125, -0.375};
  for (int i = 0; i < 8; ++i) CHECK(close(r.grad[i], grad[i]));
}

TEST_CASE("float32 reproduces torch's float32 mean") {
  Vec<float> x = kSeedX.cast<float>(), p, lp;
  softmax_forward(kSeed, x, p, lp);
  auto f = cross_entropy_index_forward(kSeed, lp, idx({2, 3}), Vec<float>(), -100, 0.0f);
  auto red = reduce(Reduction::Mean, f);
  CHECK(static_cast<double>(red.loss[0]) == doctest::Approx(1.364414930343628).epsilon(1e-7));
  CHECK(static_cast<double>(red.loss[0]) != doctest::Approx(1.3644149452875267).epsilon(1e-9));
}

TEST_CASE("cross_entropy equals nll_loss of log_softmax") {
  auto ce = ce_index(kSeed, kSeedX, idx({2, 3}), vec({1, 2, 3, 4}), -100, 0, Reduction::Mean);
  auto nll = nll_forward<double>(kSeed, ce.log_probs, idx({2, 3}), vec({1, 2, 3, 4}), -100);
  auto red = reduce(Reduction::Mean, nll);
  CHECK(close(ce.reduced.loss[0], red.loss[0]));
}

TEST_CASE("label smoothing with ignore_index matches torch, weighted and not") {
  // torch 1.13: F.cross_entropy(x, [2, -100, 1], weight=w, label_smoothing=0.3)
  const Layout l{3, 4, 1};
  const auto x = vec({0.1, 0.2, 0.3, 0.4, 0.1, 0.1, 0.1, 0.1, 1, 2, 3, 4});
  auto plain = ce_index(l, x, idx({2, -100, 1}), {}, -100, 0.3, Reduction::Mean);
  CHECK(close(plain.reduced.loss[0], 1.8238626140081788));
  CHECK(close(plain.grad[0], 0.0694191101829922));
  CHECK(close(plain.grad[9], -0.3439278406289837));
  auto weighted = ce_index(l, x, idx({2, -100, 1}), vec({1, 2, 3, 4}), -100, 0.3, Reduction::Mean);
  CHECK(close(weighted.reduced.loss[0], 1.6645268221707568));
  CHECK(close(weighted.grad[2], -0.31612592247160687));
  for (int c = 4; c < 8; ++c) CHECK(weighted.grad[c] == 0.0);  // the ignored row
}

TEST_CASE("an ignored target is left out of the mean: same as dropping the row") {
  const auto x = vec({0.1, 0.2, 0.3, 0.4, 5, -1, 2, 0, 1, 2, 3, 4});
  auto with = ce_index({3, 4, 1}, x, idx({2, 7, 1}), vec({1, 2, 3, 4}), 7, 0.1, Reduction::Mean);
  const auto dropped = vec({0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4});
  auto without = ce_index({2, 4, 1}, dropped, idx({2, 1}), vec({1, 2, 3, 4}), 7, 0.1, Reduction::Mean);
  CHECK(close(with.reduced.loss[0], without.reduced.loss[0]));
  CHECK(close(with.grad[8], without.grad[4]));
}

TEST_CASE("every target ignored: the mean is nan and the gradient zero") {
  auto r = ce_index(kSeed, kSeedX, idx({-100, -100}), {}, -100, 0.2, Reduction::Mean);
  CHECK(std::isnan(r.reduced.loss[0]));
  for (int i = 0; i < 8; ++i) CHECK(r.grad[i] == 0.0);
}

TEST_CASE("index and one-hot targets agree per sample; with weights their means differ") {
  const auto w = vec({1, 2, 3, 4});
  auto index = ce_index(kSeed, kSeedX, idx({2, 3}), w, -100, 0, Reduction::None);
  auto onehot = ce_prob(kSeed, kSeedX, vec({0, 0, 1, 0, 0, 0, 0, 1}), w, 0, Reduction::None);
  CHECK(close(index.reduced.loss[0], onehot.reduced.loss[0]));
  CHECK(close(index.reduced.loss[1], onehot.reduced.loss[1]));
  auto index_mean = reduce(Reduction::Mean, index.forward);
  auto onehot_mean = reduce(Reduction::Mean, onehot.forward);
  CHECK(index_mean.denominator == 7);   // w[2] + w[3]
  CHECK(onehot_mean.denominator == 2);  // positions
  CHECK(close(index_mean.loss[0] * 7, onehot_mean.loss[0] * 2));
}

TEST_CASE("index targets with smoothing equal smoothed one-hot targets without weights") {
  auto index = ce_index(kSeed, kSeedX, idx({2, 3}), {}, -100, 0.25, Reduction::Sum);
  auto prob = ce_prob(kSeed, kSeedX, vec({0, 0, 1, 0, 0, 0, 0, 1}), {}, 0.25, Reduction::Sum);
  CHECK(close(index.reduced.loss[0], prob.reduced.loss[0]));
  for (int i = 0; i < 8; ++i) CHECK(close(index.grad[i], prob.grad[i]));
}

TEST_CASE("moving the class axis does not change the losses") {
  // (N=2, C=3, L=2) with class dim 1, and the same data as (N, L, C) with class dim 2.
  const auto ncl = vec({1, 4, 2, 5, 3, 6, -1, 0, 2, 1, 0.5, 3});
  Vec<double> nlc(12);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int l = 0; l < 2; ++l) nlc[n * 6 + l * 3 + c] = ncl[n * 6 + c * 2 + l];
  auto a = ce_index({2, 3, 2}, ncl, idx({0, 2, 1, 1}), {}, -100, 0, Reduction::None);
  auto b = ce_index({4, 3, 1}, nlc, idx({0, 2, 1, 1}), {}, -100, 0, Reduction::None);
  for (int p = 0; p < 4; ++p) CHECK(close(a.reduced.loss[p], b.reduced.loss[p]));
}

TEST_CASE("the analytic gradient matches finite differences for every option combination") {
  std::mt19937 gen(7);
  std::normal_distribution<double> normal;
  const Layout l{3, 4, 2};  // (3, 4, 2): K-dimensional
  const Index y = idx({0, 3, 1, -100, 2, 2});
  Vec<double> t(24);
  for (auto& v : t) v = std::abs(normal(gen));
  for (double eps : {0.0, 0.3}) {
    for (bool weighted : {false, true}) {
      for (Reduction red : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
        for (bool prob : {false, true}) {
          Vec<double> x(24);
          for (auto& v : x) v = normal(gen);
          const Vec<double> w = weighted ? vec({0.5, 1, 2, 3}) : Vec<double>();
          auto total = [&](const Vec<double>& xx) {
            auto r = prob ? ce_prob(l, xx, t, w, eps, red) : ce_index(l, xx, y, w, -100, eps, red);
            return r.reduced.loss.sum();  // none: the gradient is of the sum
          };
          auto r = prob ? ce_prob(l, x, t, w, eps, red) : ce_index(l, x, y, w, -100, eps, red);
          for (int i = 0; i < 24; ++i) {
            Vec<double> hi = x, lo = x;
            hi[i] += 1e-6;
            lo[i] -= 1e-6;
            const double fd = (total(hi) - total(lo)) / 2e-6;
            CAPTURE(eps);
            CAPTURE(weighted);
            CAPTURE(prob);
            CAPTURE(i);
            CHECK(close(r.grad[i], fd, 1e-6, 1e-7));
          }
        }
      }
    }
  }
}

TEST_CASE("probability targets are not checked, as in torch") {
  // torch accepts [[2, -1]]: loss = -(2 logp0 - logp1)
  auto r = ce_prob({1, 2, 1}, vec({0.5, -0.5}), vec({2, -1}), {}, 0, Reduction::Sum);
  CHECK(close(r.reduced.loss[0], -(2 * r.log_probs[0] - r.log_probs[1])));
}

TEST_CASE("a -inf logit: fine when it is not the target, infinite when it is") {
  auto ok = ce_index({1, 2, 1}, vec({-INFINITY, 0}), idx({1}), {}, -100, 0, Reduction::Mean);
  CHECK(ok.reduced.loss[0] == 0.0);
  auto smooth = ce_index({1, 2, 1}, vec({-INFINITY, 0}), idx({1}), {}, -100, 0.1, Reduction::Mean);
  CHECK(std::isinf(smooth.reduced.loss[0]));
  auto prob = ce_prob({1, 2, 1}, vec({-INFINITY, 0}), vec({0, 1}), {}, 0, Reduction::Mean);
  CHECK(std::isnan(prob.reduced.loss[0]));  // 0 * -inf, as torch
}

template <class T>
void check_fused_is_bit_identical(std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 3.0);
  int checked = 0;
  for (int round = 0; round < 300; ++round) {
    // (N, C) rows and (N, C, d) layouts; weights, smoothing, ignored targets,
    // and now and then inf, -inf or NaN among the logits.
    const Layout l{static_cast<std::int64_t>(gen() % 9) + 1, static_cast<std::int64_t>(gen() % 12) + 1,
                   round % 3 ? 1 : static_cast<std::int64_t>(gen() % 4) + 1};
    Vec<T> x(l.positions() * l.classes);
    for (auto& v : x) {
      v = static_cast<T>(normal(gen));
      const auto r = gen() % 200;
      if (r == 0) v = std::numeric_limits<T>::infinity();
      if (r == 1) v = -std::numeric_limits<T>::infinity();
      if (r == 2) v = std::numeric_limits<T>::quiet_NaN();
    }
    Index y(l.positions());
    for (auto& t : y) t = gen() % 5 == 0 ? -100 : static_cast<std::int64_t>(gen() % static_cast<std::uint64_t>(l.classes));
    Vec<T> w;
    if (gen() % 2) {
      w.resize(l.classes);
      for (auto& v : w) v = static_cast<T>(std::abs(normal(gen)));
    }
    const T eps = gen() % 2 ? T(0) : static_cast<T>((gen() % 100) / 100.0);
    Vec<T> probs, log_probs;
    softmax_forward(l, x, probs, log_probs);
    const auto want = cross_entropy_index_forward(l, log_probs, y, w, -100, eps);
    const auto got = cross_entropy_index_loss(l, x, y, w, -100, eps);
    REQUIRE(got.loss.size() == want.loss.size());
    for (Eigen::Index p = 0; p < want.loss.size(); ++p) {
      CAPTURE(round);
      CAPTURE(p);
      CAPTURE(got.loss[p]);
      CAPTURE(want.loss[p]);
      // The same bits (a NaN's sign is no value: any NaN prints as nan).
      const bool both_nan = std::isnan(got.loss[p]) && std::isnan(want.loss[p]);
      CHECK((both_nan || std::memcmp(&got.loss[p], &want.loss[p], sizeof(T)) == 0));
      CHECK(got.share[p] == want.share[p]);
      CHECK(got.ignored[p] == want.ignored[p]);
      ++checked;
    }
  }
  CHECK(checked > 1000);
}

TEST_CASE("the fused loss-only cross_entropy gives the bits of softmax_forward + cross_entropy_index_forward") {
  check_fused_is_bit_identical<double>(5);
  check_fused_is_bit_identical<float>(6);
}
