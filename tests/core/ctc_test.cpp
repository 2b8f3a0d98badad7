#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/ctc.h"

using namespace losscalc::core;

namespace {

// (T, C) log-probabilities: log_softmax of random logits.
std::vector<double> random_log_probs(std::int64_t frames, std::int64_t classes, std::mt19937& rng) {
  std::normal_distribution<double> n(0.0, 1.5);
  std::vector<double> lp(static_cast<std::size_t>(frames * classes));
  for (std::int64_t t = 0; t < frames; ++t) {
    double z = 0;
    for (std::int64_t c = 0; c < classes; ++c) z += std::exp(lp[static_cast<std::size_t>(t * classes + c)] = n(rng));
    for (std::int64_t c = 0; c < classes; ++c) lp[static_cast<std::size_t>(t * classes + c)] -= std::log(z);
  }
  return lp;
}

double nll_of(const std::vector<double>& lp, std::int64_t frames, std::int64_t classes, const std::vector<std::int64_t>& labels, std::int64_t blank) {
  return ctc_sample<double>({lp.data(), classes, classes, frames}, labels, blank, false, false).nll;
}

}  // namespace

TEST_CASE("ctc_sample: the derivative w.r.t. each log-probability is -occupancy (central differences)") {
  std::mt19937 rng(20261207);
  struct Problem {
    std::int64_t frames, classes, blank;
    std::vector<std::int64_t> labels;
  };
  const Problem problems[] = {{6, 4, 0, {1, 2, 2}}, {9, 5, 4, {0, 1, 0, 3}}, {4, 3, 0, {}}, {7, 6, 2, {5, 5, 1}}, {3, 3, 0, {1, 2}}};
  for (const auto& p : problems) {
    auto lp = random_log_probs(p.frames, p.classes, rng);
    const auto r = ctc_sample<double>({lp.data(), p.classes, p.classes, p.frames}, p.labels, p.blank, true, false);
    REQUIRE(std::isfinite(r.nll));
    double worst = 0;
    for (std::int64_t t = 0; t < p.frames; ++t) {
      double occupancy_sum = 0;
      for (std::int64_t c = 0; c < p.classes; ++c) {
        const std::size_t k = static_cast<std::size_t>(t * p.classes + c);
        const double occupancy = std::exp(r.log_alpha_beta[k] + r.nll - lp[k]);
        occupancy_sum += occupancy;
        const double h = 1e-6, keep = lp[k];
        lp[k] = keep + h;
        const double up = nll_of(lp, p.frames, p.classes, p.labels, p.blank);
        lp[k] = keep - h;
        const double down = nll_of(lp, p.frames, p.classes, p.labels, p.blank);
        lp[k] = keep;
        worst = std::max(worst, std::fabs((up - down) / (2 * h) - -occupancy));
      }
      CHECK(occupancy_sum == doctest::Approx(1.0).epsilon(1e-12));  // one state a frame
    }
    CHECK(worst < 1e-7);
  }
}

TEST_CASE("ctc_sample: an empty target is -sum log p(blank); too few frames is inf") {
  std::mt19937 rng(3);
  const auto lp = random_log_probs(5, 3, rng);
  double want = 0;
  for (int t = 0; t < 5; ++t) want -= lp[static_cast<std::size_t>(t * 3 + 1)];
  CHECK(nll_of(lp, 5, 3, {}, 1) == doctest::Approx(want).epsilon(1e-14));
  CHECK(nll_of(lp, 1, 3, {1, 2}, 0) == std::numeric_limits<double>::infinity());
  CHECK(nll_of(lp, 2, 3, {1, 1}, 0) == std::numeric_limits<double>::infinity());  // a repeat needs a blank between
  CHECK(std::isfinite(nll_of(lp, 3, 3, {1, 1}, 0)));
  CHECK(nll_of(lp, 0, 3, {}, 0) == 0.0);
}

TEST_CASE("ctc_extended: blank, l1, blank, ..., blank") {
  CHECK(ctc_extended({3, 1}, 0) == std::vector<std::int64_t>{0, 3, 0, 1, 0});
  CHECK(ctc_extended({}, 2) == std::vector<std::int64_t>{2});
}
