// The reference cases, run through the whole program in-process; no torch
// needed here: tests/torch/reference_cases.json (tests/torch/gen_reference.py,
// torch 1.13) and tests/torch/binary_reference_cases.json
// (tests/torch/gen_reference_binary.py: torch 1.13, and Keras 3 / tf.nn
// emulated from their source, see tests/torch/KERAS_EMULATION.md) and
// tests/torch/regression_reference_cases.json (gen_reference_regression.py) and
// tests/torch/ranking_reference_cases.json (gen_reference_ranking.py).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "helpers.h"

using nlohmann::json;

namespace {

double as_double(const json& v) {
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    return s == "NaN" ? NAN : s == "Infinity" ? INFINITY : s == "-Infinity" ? -INFINITY : 12345.678;
  }
  return v.get<double>();
}

// Compares nested arrays elementwise; returns "" or what differs.
std::string compare(const json& got, const json& want, double rtol, double atol, const std::string& path) {
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) return path + ": shape differs: got " + got.dump().substr(0, 80);
    for (std::size_t i = 0; i < want.size(); ++i) {
      auto d = compare(got[i], want[i], rtol, atol, path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (got.is_array()) return path + ": expected a number, got an array";
  const double a = as_double(got), b = as_double(want);
  if (!losscalc::testing::close(a, b, rtol, atol)) return path + ": got " + got.dump() + ", torch " + want.dump();
  return "";
}

}  // namespace

namespace {
void run_reference_file(const char* path) {
  std::ifstream file(path);
  REQUIRE(file);
  const json doc = json::parse(file);
  const auto& cases = doc["cases"];
  REQUIRE(cases.size() >= 100);
  int failed = 0;
  for (const auto& c : cases) {
    const auto args = c["args"].get<std::vector<std::string>>();
    const auto& expect = c["expect"];
    const auto o = losscalc::testing::run_cli(args);
    const std::string name = c["name"].get<std::string>();
    CAPTURE(name);
    if (o.status != expect["status"].get<int>()) {
      ++failed;
      FAIL_CHECK("status " << o.status << ", expected " << expect["status"] << "; stderr: " << o.err);
      continue;
    }
    if (o.status != 0) {
      CHECK(o.out.empty());
      if (expect.contains("stderr_contains")) {
        const auto needle = expect["stderr_contains"].get<std::string>();
        CHECK_MESSAGE(o.err.find(needle) != std::string::npos, o.err);
      }
      continue;
    }
    const json got = json::parse(o.out);
    const double rtol = c.value("rtol", 1e-12), atol = c.value("atol", 1e-12);
    for (const auto& [key, want] : expect.items()) {
      if (key == "status") continue;
      if (!got.contains(key)) {
        ++failed;
        FAIL_CHECK("missing key " << key);
        continue;
      }
      const auto diff = compare(got[key], want, rtol, atol, key);
      if (!diff.empty()) ++failed;
      CHECK_MESSAGE(diff.empty(), diff);
    }
  }
  MESSAGE(cases.size() << " cases, " << failed << " mismatches");
}
}  // namespace

TEST_CASE("torch 1.13 reference cases: the softmax family") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/reference_cases.json");
}

TEST_CASE("torch 1.13 reference cases: mse_loss, l1_loss, smooth_l1_loss, huber_loss (broadcasting, the kinks, float32, NaN and inf)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/regression_reference_cases.json");
}

TEST_CASE("torch 1.13 reference cases: margin_ranking_loss (three arguments, broadcasting, the kink, float32)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/ranking_reference_cases.json");
}

TEST_CASE("reference cases of the binary family (torch), tf.nn and Keras (emulated)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/binary_reference_cases.json");
}

TEST_CASE("Keras 3 regression losses (emulated from keras/src/losses): the five reductions, sample_weight, float32") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/keras_regression_reference_cases.json");
}

TEST_CASE("torch 1.13 reference cases: kl_div, poisson_nll_loss, gaussian_nll_loss; tf.nn l2_loss and log_poisson_loss (emulated)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/likelihood_reference_cases.json");
}

TEST_CASE("scikit-learn 1.2 reference cases: log_loss, brier_score_loss, mean_squared_error, mean_absolute_error") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/sklearn_reference_cases.json");
}

TEST_CASE("optax reference cases (emulated from optax 0.2.9.dev and JAX's autodiff): regression, KL and cross-entropy losses") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/optax_reference_cases.json");
}

TEST_CASE("torch 1.13 reference cases: the margin and embedding losses (kinks, ties, zero vectors, targets other than +-1, float32)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/margin_reference_cases.json");
}

TEST_CASE("Keras 3 margin losses (emulated from keras 3.12): hinge's 0/1 mapping, categorical hinge's ties, cosine's 1 / epsilon cap, sample_weight") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/keras_margin_reference_cases.json");
}

TEST_CASE("optax reference cases (emulated from optax 0.2.9.dev and JAX's autodiff): hinge, perceptron, multiclass, cosine, triplet, ntxent") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/optax_margin_reference_cases.json");
}

TEST_CASE("torchvision 0.14 reference cases: sigmoid_focal_loss (alpha off, gamma 0 and below 1, soft and outside targets, grad_target, float32)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/focal_reference_cases.json");
}

TEST_CASE("torch 1.13 reference cases: ctc_loss (padded and concatenated targets, every reduction, blank, zero_infinity, impossible alignments, (T, C), torch's errors, float32) and tf.nn.ctc_loss against torch on log_softmax(logits)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/ctc_reference_cases.json");
}

TEST_CASE("optax.ctc_loss (emulated from optax 2edbcbe: log_epsilon, paddings, impossible alignments; torch autograd of the translation) and Keras 3.16 CTC (torch's ctc_loss on log_softmax, Keras's reductions and sample_weight)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/ctc_optax_keras_reference_cases.json");
}

TEST_CASE("Keras 3 focal cross-entropies (emulated from keras 3.16): class balancing, from_logits through the logits, clipping, smoothing, --axis, sample_weight, float32") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/keras_focal_reference_cases.json");
}

TEST_CASE("Keras 3 dice and tversky (emulated from keras 3.16): axis none (one loss for the batch), axis tuples, alpha and beta, sample_weight, float32") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/keras_overlap_reference_cases.json");
}

TEST_CASE("optax sigmoid_focal_loss, dice_loss, binary_dice_loss, multiclass_generalized_dice_loss (emulated; complex-step gradients)") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/optax_overlap_reference_cases.json");
}

TEST_CASE("--log-base 2 and 10 against torch 1.13's loss / math.log(b) and its autograd gradient") {
  run_reference_file(LOSSCALC_SOURCE_DIR "/tests/torch/log_base_reference_cases.json");
}

namespace {

void flatten(const json& v, std::vector<double>& out) {
  if (v.is_array())
    for (const auto& e : v) flatten(e, out);
  else
    out.push_back(as_double(v));
}

}  // namespace

// Bit for bit: losscalc's value equals torch's, or, where losscalc reports
// KEY_low / KEY_high (torch's float sum may land on either side of a
// bfloat16 rounding boundary), torch's lies between them.
TEST_CASE("--dtype bfloat16 against torch 1.13's CPU bfloat16 kernels, to the bit (tests/torch/gen_reference_bf16.py)") {
  std::ifstream file(LOSSCALC_SOURCE_DIR "/tests/torch/bf16_reference_cases.json");
  REQUIRE(file);
  const json doc = json::parse(file);
  const auto& cases = doc["cases"];
  REQUIRE(cases.size() >= 1000);
  int failed = 0, ranged = 0;
  for (const auto& c : cases) {
    const auto o = losscalc::testing::run_cli(c["args"].get<std::vector<std::string>>());
    const auto& expect = c["expect"];
    CAPTURE(c["name"].get<std::string>());
    REQUIRE(o.status == expect["status"].get<int>());
    if (o.status != 0) {
      CHECK(o.err.find(expect["stderr_contains"].get<std::string>()) != std::string::npos);
      continue;
    }
    const json got = json::parse(o.out);
    CHECK(got["dtype"] == "bfloat16");
    for (const auto& [key, want] : expect.items()) {
      if (key == "status") continue;
      REQUIRE(got.contains(key));
      std::vector<double> g, w, lo, hi;
      flatten(got[key], g);
      flatten(want, w);
      flatten(got.contains(key + "_low") ? got[key + "_low"] : got[key], lo);
      flatten(got.contains(key + "_high") ? got[key + "_high"] : got[key], hi);
      ranged += got.contains(key + "_low");
      REQUIRE(g.size() == w.size());
      for (std::size_t i = 0; i < g.size(); ++i) {
        const bool same = g[i] == w[i] || (std::isnan(g[i]) && std::isnan(w[i]));
        if (!same && !(lo[i] <= w[i] && w[i] <= hi[i])) {
          ++failed;
          FAIL_CHECK(key << "[" << i << "]: losscalc " << g[i] << " [" << lo[i] << ", " << hi[i] << "], torch " << w[i]);
          break;
        }
      }
    }
  }
  // The ranges are rare (a few percent of the cases), or they would say little.
  CHECK(ranged * 10 < static_cast<int>(cases.size()));
  MESSAGE(cases.size() << " cases, " << ranged << " with a reported range, " << failed << " mismatches");
}
