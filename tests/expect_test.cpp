// losscalc expect: numbers as users meet them (tests/torch/expect_cases.json,
// from tests/torch/gen_expect_cases.py: torch 1.13 and the Keras formula)
// must find their convention among the first three matches, and the command
// printed for each match must give the number; a random number matches
// nothing.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "helpers.h"

using losscalc::testing::run_cli;

namespace {

nlohmann::json cases() {
  std::ifstream f(LOSSCALC_SOURCE_DIR "/tests/torch/expect_cases.json");
  REQUIRE(f);
  return nlohmann::json::parse(f)["cases"];
}

// The loss a match's argv prints (-q), run as printed.
double run_argv(const nlohmann::json& argv) {
  std::vector<std::string> words;
  for (std::size_t i = 1; i < argv.size(); ++i) words.push_back(argv[i].get<std::string>());
  const auto o = run_cli(words);
  REQUIRE(o.status == 0);
  return std::stod(o.out);
}

}  // namespace

TEST_CASE("expect finds the convention of each number among its first three matches, and each printed command gives it") {
  for (auto& c : cases()) {
    CAPTURE(c["name"].get<std::string>());
    std::vector<std::string> args = {"expect", c["value"].get<std::string>(), "--json", c["input"].dump(), c["target"].dump()};
    if (c.contains("third")) args.push_back(c["third"].dump());
    for (auto& a : c["args"]) args.push_back(a.get<std::string>());
    const auto o = run_cli(args);
    REQUIRE(o.status == 0);
    const auto j = nlohmann::json::parse(o.out);
    const double tol = j["tolerance"].get<double>();
    CHECK(tol == doctest::Approx(5e-5));
    bool found = false;
    for (std::size_t i = 0; i < j["matches"].size() && i < 3; ++i) {
      const auto& m = j["matches"][i];
      found = found || (m["function"] == c["function"] && m["departures"] == c["departures"]);
    }
    CHECK(found);
    // float32 twins are listed with their float64 match, not on their own.
    for (auto& m : j["matches"]) CHECK(m["call"].get<std::string>().find(" in float32") == std::string::npos);
    // Every match's command gives a number within the tolerance.
    for (std::size_t i = 0; i < j["matches"].size() && i < 12; ++i) {
      const auto& m = j["matches"][i];
      CAPTURE(m["call"].get<std::string>());
      CHECK(std::fabs(run_argv(m["argv"]) - j["value"].get<double>()) <= tol);
      CHECK(std::fabs(m["loss"].get<double>() - j["value"].get<double>()) <= tol);
    }
  }
}

TEST_CASE("expect: a number nothing gives exits 1 and shows the nearest; --tolerance, --family and --function narrow") {
  const std::string x = "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]", y = "[2,3]";
  auto o = run_cli({"expect", "0.123456", x, y});
  CHECK(o.status == 1);
  CHECK(o.out.find("expect 0.123456: no function or convention gives it within 5e-07") == 0);
  CHECK(o.out.find("the nearest:") != std::string::npos);
  o = run_cli({"expect", "0.123456", "--json", x, y});
  CHECK(o.status == 1);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["matches"].empty());
  CHECK(j["nearest"].size() == 5);
  // A wide tolerance takes it in; a family narrows to its functions.
  o = run_cli({"expect", "1.36", "--family", "keras", "--json", x, y});
  REQUIRE(o.status == 0);
  j = nlohmann::json::parse(o.out);
  CHECK(j["tolerance"].get<double>() == doctest::Approx(0.005));
  for (auto& m : j["matches"]) CHECK(m["family"] == "keras");
  CHECK(j["matches"][0]["function"] == "sparse_categorical_crossentropy");
  o = run_cli({"expect", "1.3644149452875267", "--tolerance", "1e-15", "--function", "ce", "--json", x, y});
  REQUIRE(o.status == 0);
  j = nlohmann::json::parse(o.out);
  for (auto& m : j["matches"]) CHECK(m["function"] == "cross_entropy");
  CHECK(j["matches"][0]["loss"].get<double>() == 1.3644149452875267);
  // Skipped candidates are listed on request.
  o = run_cli({"expect", "1.3644", "--explain-search", x, y});
  CHECK(o.out.find("\nskipped:\n") != std::string::npos);
  CHECK(o.out.find("  margin_ranking_loss: needs input2 too\n") != std::string::npos);
}
