// --explain on the classic example: every intermediate number of the
// explanation, from the JSON form of the same steps.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "helpers.h"

using losscalc::testing::close;
using losscalc::testing::run_cli;
using nlohmann::json;

namespace {
const std::string kX = "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]";

json section(const json& doc, const std::string& title_prefix) {
  for (const auto& s : doc["explain"]["sections"])
    if (s["title"].get<std::string>().rfind(title_prefix, 0) == 0) return s;
  FAIL("no section " << title_prefix);
  return {};
}

json step(const json& sec, const std::string& label) {
  for (const auto& s : sec["steps"])
    if (s["label"] == label) return s["value"];
  FAIL("no step " << label);
  return {};
}

void check_vec(const json& v, std::initializer_list<double> want) {
  REQUIRE(v.size() == want.size());
  std::size_t i = 0;
  for (double w : want) CHECK(close(v[i++].get<double>(), w, 1e-12, 1e-15));
}
}  // namespace

TEST_CASE("the classic example explained: softmax by hand, picked log-probabilities, the mean") {
  auto o = run_cli({"cross_entropy", "--json", "--explain", kX, "[2,3]"});
  REQUIRE(o.status == 0);
  const json doc = json::parse(o.out);
  const json s0 = section(doc, "sample 0");
  CHECK(s0["title"] == "sample 0, target 2");
  check_vec(step(s0, "logits x"), {0.1, 0.2, 0.3, 0.4});
  CHECK(close(step(s0, "max m").get<double>(), 0.4));
  check_vec(step(s0, "x - m"), {0.1 - 0.4, 0.2 - 0.4, 0.3 - 0.4, 0.0});
  check_vec(step(s0, "exp(x - m)"), {std::exp(0.1 - 0.4), std::exp(0.2 - 0.4), std::exp(0.3 - 0.4), 1.0});
  const double S = std::exp(0.1 - 0.4) + std::exp(0.2 - 0.4) + std::exp(0.3 - 0.4) + 1.0;
  CHECK(close(step(s0, "sum S").get<double>(), S));
  CHECK(close(step(s0, "log S").get<double>(), std::log(S)));
  check_vec(step(s0, "softmax"), {0.21383822036598443, 0.23632778232153767, 0.2611825921550756, 0.28865140515740234});
  check_vec(step(s0, "log_softmax"), {-1.5425355294551628, -1.4425355294551627, -1.3425355294551629, -1.2425355294551628});
  CHECK(close(step(s0, "log_softmax[y]").get<double>(), -1.3425355294551629));
  CHECK(close(step(s0, "one-hot(y) . log_softmax").get<double>(), -1.3425355294551629));
  CHECK(close(step(s0, "loss").get<double>(), 1.3425355294551629));
  check_vec(step(s0, "softmax - one-hot(y)"), {0.21383822036598443, 0.23632778232153767, 0.2611825921550756 - 1, 0.28865140515740234});

  const json s1 = section(doc, "sample 1");
  CHECK(close(step(s1, "sum S").get<double>(), 4.0));
  CHECK(close(step(s1, "loss").get<double>(), 1.3862943611198906));  // log 4

  const json red = section(doc, "reduction");
  check_vec(step(red, "per-sample losses"), {1.3425355294551629, 1.3862943611198906});
  CHECK(close(step(red, "sum").get<double>(), 2.7288298905750535));
  CHECK(step(red, "denominator").get<double>() == 2.0);
  CHECK(close(step(red, "loss").get<double>(), 1.3644149452875267));
  check_vec(step(red, "grad")[1], {0.125, 0.125, 0.125, -0.375});

  const json id = section(doc, "identity");
  CHECK(close(step(id, "manual").get<double>(), 1.3644149452875267));
  CHECK(close(step(id, "log_softmax + nll_loss").get<double>(), 1.3644149452875267));
  CHECK(close(step(id, "cross_entropy").get<double>(), 1.3644149452875267));
  CHECK(doc["explain"]["note"] == "explained 2 of 2 samples");
}

TEST_CASE("explain shows the weight, the smoothing term and the weighted denominator") {
  auto o = run_cli({"ce", "--json", "--explain", "--weight", "[1,2,3,4]", "--label-smoothing", "0.2", kX, "[2,3]"});
  REQUIRE(o.status == 0);
  const json doc = json::parse(o.out);
  const json s0 = section(doc, "sample 0");
  CHECK(step(s0, "w[y]").get<double>() == 3.0);
  const double nll = 3 * 1.3425355294551629;
  CHECK(close(step(s0, "nll").get<double>(), nll));
  const double smooth = (1 * 1.5425355294551628 + 2 * 1.4425355294551627 + 3 * 1.3425355294551629 + 4 * 1.2425355294551628) / 4;
  CHECK(close(step(s0, "smooth").get<double>(), smooth));
  CHECK(close(step(s0, "loss").get<double>(), 0.8 * nll + 0.2 * smooth));
  CHECK(step(section(doc, "reduction"), "denominator").get<double>() == 7.0);  // w[2] + w[3]
}

TEST_CASE("explain covers the first samples of a big input and says how many it left out; picks by index") {
  std::string x = "[";
  for (int i = 0; i < 10; ++i) x += std::string(i ? "," : "") + "[0.5, 1.5]";
  x += "]";
  const std::string y = "[0,1,0,1,0,1,0,1,0,1]";
  auto doc = json::parse(run_cli({"ce", "--json", "--explain", x, y}).out);
  CHECK(doc["explain"]["note"] == "explained 3 of 10 samples (7 left out; --explain-samples picks others)");
  CHECK(doc["explain"]["sections"][0]["title"] == "sample 0, target 0");
  auto picked = json::parse(run_cli({"ce", "--json", "--explain", "--explain-samples", "7,9", x, y}).out);
  CHECK(picked["explain"]["sections"][0]["title"] == "sample 7, target 1");
  CHECK(picked["explain"]["sections"][1]["title"] == "sample 9, target 1");
  auto bad = run_cli({"ce", "--explain", "--explain-samples", "12", x, y});
  CHECK(bad.status == 2);
  CHECK(bad.err == "losscalc: --explain-samples: sample 12 is out of range: there are 10 samples\n");
}

TEST_CASE("explain for BCE shows torch's clamp, for keras the clip") {
  auto bce = json::parse(run_cli({"bce", "--json", "--explain", "[0, 0.5]", "[1, 0]"}).out);
  const json s = section(bce, "sample");
  check_vec(step(s, "max(log p, -100)"), {-100, std::log(0.5)});
  check_vec(step(s, "loss"), {100, std::log(2.0)});
  auto keras = json::parse(run_cli({"binary_crossentropy", "--json", "--explain", "[[0, 0.5]]", "[[1, 0]]"}).out);
  const json k = section(keras, "sample");
  check_vec(step(k, "clip(p)"), {1e-7, 0.5});
  CHECK(close(step(k, "per-sample loss").get<double>(), (-std::log(1e-7) + std::log(2.0)) / 2));
}

TEST_CASE("the text form of --explain writes the reduction out") {
  auto o = run_cli({"ce", "--explain", kX, "[2,3]"});
  CHECK(o.out.find("  per-sample losses  [1.3425, 1.3863]\n") != std::string::npos);
  CHECK(o.out.find("  denominator        2.   (the number of targets not ignored)\n") != std::string::npos);
  CHECK(o.out.find("  loss               1.3644   (sum / denominator)\n") != std::string::npos);
}

TEST_CASE("--explain does not combine with -q or csv") {
  CHECK(run_cli({"ce", "--explain", "-q", kX, "[2,3]"}).status == 2);
  CHECK(run_cli({"ce", "--explain", "-f", "csv", kX, "[2,3]"}).status == 2);
  CHECK(run_cli({"ce", "--explain-samples", "1", kX, "[2,3]"}).err == "losscalc: --explain-samples: goes with --explain\n");
}

TEST_CASE("--dtype float32: the steps are float32 arithmetic and end on the kernel's numbers") {
  const auto doc = json::parse(run_cli({"ce", "--json", "--explain", "--dtype", "float32", "--no-warnings", kX, "[2,3]"}).out);
  const auto s0 = section(doc, "sample 0");
  CHECK(step(s0, "logits x")[0].get<double>() == static_cast<double>(0.1f));  // the input as float32 holds it
  CHECK(step(s0, "x - m")[0].get<double>() == static_cast<double>(0.1f - 0.4f));
  CHECK(step(s0, "log_softmax") == doc["log_softmax"][0]);
  CHECK(step(s0, "softmax") == doc["softmax"][0]);
  CHECK(step(s0, "loss") == doc["losses"][0]);
  for (const auto& v : step(s0, "exp(x - m)")) CHECK(v.get<double>() == static_cast<double>(static_cast<float>(v.get<double>())));
  // BCE: its elementwise losses are the kernel's too.
  const auto bce = json::parse(run_cli({"bce", "--json", "--explain", "--dtype", "float32", "[[0.3, 0.6]]", "[[1, 0]]"}).out);
  CHECK(step(section(bce, "sample 0"), "loss") == bce["losses"][0]);
  // mse_loss and margin_ranking_loss compute their steps in float32.
  const auto mse = json::parse(run_cli({"mse_loss", "--json", "--explain", "--dtype", "float32", "[0.1, 0.7]", "[0.3, 0.2]"}).out);
  const auto sq = step(section(mse, "sample 0"), "(x - y)^2");
  CHECK(sq[0].get<double>() == static_cast<double>((0.1f - 0.3f) * (0.1f - 0.3f)));
  CHECK(sq == mse["losses"]);
}

TEST_CASE("CTC --explain: l', the forward variables of a 3-frame example by hand, log p and torch's mean") {
  const std::vector<std::vector<double>> lp{{-1.2, -0.8, -1.5}, {-0.9, -1.1, -1.4}, {-1.6, -0.7, -1.2}};
  auto o = run_cli({"ctc_loss", "--json", "--explain", "[[[-1.2,-0.8,-1.5]],[[-0.9,-1.1,-1.4]],[[-1.6,-0.7,-1.2]]]", "[[1,2]]", "[3]", "[2]"});
  REQUIRE(o.status == 0);
  const json doc = json::parse(o.out);
  const json s0 = section(doc, "sample 0");
  check_vec(step(s0, "extended l'"), {0, 1, 0, 2, 0});
  CHECK(step(s0, "input length T").get<double>() == 3);
  CHECK(step(s0, "target length S").get<double>() == 2);
  // l' = (blank, 1, blank, 2, blank); alpha_t(s) = logsumexp of the allowed predecessors + lp_t(l'(s)).
  const auto lse = [](std::initializer_list<double> v) {
    double s = 0;
    for (double x : v) s += std::exp(x);
    return std::log(s);
  };
  const double inf = INFINITY;
  const double a0[5] = {-1.2, -0.8, -inf, -inf, -inf};
  const double a1[5] = {a0[0] + lp[1][0], lse({a0[1], a0[0]}) + lp[1][1], a0[1] + lp[1][0], a0[1] + lp[1][2], -inf};
  const double a2[5] = {a1[0] + lp[2][0], lse({a1[1], a1[0]}) + lp[2][1], lse({a1[2], a1[1]}) + lp[2][0],
                        lse({a1[3], a1[2], a1[1]}) + lp[2][2], a1[3] + lp[2][0]};
  const json alpha = step(s0, "alpha, t = 0..2");
  REQUIRE(alpha.size() == 3);
  const double* want[3] = {a0, a1, a2};
  for (std::size_t t = 0; t < 3; ++t) {
    REQUIRE(alpha[t].size() == 5);
    for (std::size_t s = 0; s < 5; ++s) {
      INFO("t " << t << " s " << s);
      if (std::isinf(want[t][s]))
        CHECK(alpha[t][s] == "-Infinity");
      else
        CHECK(close(alpha[t][s].get<double>(), want[t][s], 1e-12, 1e-15));
    }
  }
  const double logp = lse({a2[4], a2[3]});
  CHECK(close(step(s0, "log p(l|x)").get<double>(), logp, 1e-12, 1e-15));
  CHECK(close(step(s0, "loss_n").get<double>(), -logp / 2, 1e-12, 1e-15));  // torch's mean: / target length
  // The printed total is the kernel's loss: the alphas are the ones it used.
  CHECK(step(s0, "loss_n").get<double>() == doc["loss"].get<double>());
  CHECK(-step(s0, "log p(l|x)").get<double>() == doc["nll"][0].get<double>());
}
