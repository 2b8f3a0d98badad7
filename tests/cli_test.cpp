// The whole program in-process: argv, stdin -> status, stdout, stderr.
#include <doctest/doctest.h>

#include <cerrno>
#include <cmath>
#include <set>
#include <sstream>
#include <streambuf>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "helpers.h"
#include "print/number.h"
#include "registry.h"

using losscalc::testing::run_cli;

namespace {
const std::string kX = "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]";
}

TEST_CASE("the classic example, quiet, is torch's float64 mean") {
  auto o = run_cli({"cross_entropy", "-q", kX, "[2,3]"});
  CHECK(o.status == 0);
  CHECK(o.out == "1.3644149452875267\n");
  CHECK(o.err.empty());
}

TEST_CASE("aliases reach the same function") {
  for (const char* name : {"ce", "cross-entropy", "CrossEntropyLoss"}) {
    auto o = run_cli({name, "-q", kX, "[2,3]"});
    CHECK(o.out == "1.3644149452875267\n");
  }
  CHECK(run_cli({"NLLLoss", "-q", "[[1,2]]", "[1]"}).out == "-2\n");
  CHECK(run_cli({"log-softmax", "-q", "[0,0]"}).out == "-0.6931471805599453 -0.6931471805599453\n");
}

TEST_CASE("option values may start with '-', and --opt=value works") {
  auto a = run_cli({"ce", "-q", "--ignore-index", "-1", "--dim", "-1", kX, "[2,-1]"});
  auto b = run_cli({"ce", "-q", "--ignore-index=-1", "--axis=-1", kX, "[2,-1]"});
  CHECK(a.status == 0);
  CHECK(a.out == b.out);
  CHECK(a.out == "1.3425355294551629\n");
}

TEST_CASE("--target - reads the target from stdin") {
  auto o = run_cli({"ce", "-q", "--input", kX, "--target", "-"}, "2 3");
  CHECK(o.status == 0);
  CHECK(o.out == "1.3644149452875267\n");
}

TEST_CASE("a JSON object supplies input, target and weight; explicit arrays override it") {
  const std::string obj = "{\"preds\": " + kX + ", \"y_true\": [2, 3], \"weight\": [1, 1, 1, 1]}";
  CHECK(run_cli({"ce", "-q", obj}).out == "1.3644149452875267\n");
  CHECK(run_cli({"ce", "-q", obj, "[3,3]"}).out != "1.3644149452875267\n");
  auto o = run_cli({"softmax", obj});
  CHECK(o.status == 2);
  CHECK(o.err == "losscalc: input: the object holds \"target\", which softmax does not take\n");
}

TEST_CASE("JSON output has the contract's keys") {
  auto o = run_cli({"ce", "--json", kX, "[2,3]"});
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["function"] == "cross_entropy");
  CHECK(j["reduction"] == "mean");
  CHECK(j["loss"].get<double>() == 1.3644149452875267);
  CHECK(j["grad"].size() == 2);
  CHECK(j.contains("softmax"));
  CHECK(j.contains("log_softmax"));
  auto s = nlohmann::json::parse(run_cli({"softmax", "--json", "[0,0]"}).out);
  CHECK(s["function"] == "softmax");
  CHECK(s["softmax"][0].get<double>() == 0.5);
  CHECK_FALSE(s.contains("loss"));
  CHECK_FALSE(s.contains("grad"));
  CHECK_FALSE(s.contains("reduction"));
}

TEST_CASE("reduction none on an unbatched input is a single number") {
  auto j = nlohmann::json::parse(run_cli({"ce", "--json", "-r", "none", "[1,2,3]", "2"}).out);
  CHECK(j["loss"].is_number());
}

TEST_CASE("help and version exit 0 on stdout") {
  auto h = run_cli({"--help"});
  CHECK(h.status == 0);
  CHECK(h.out.find("cross_entropy") != std::string::npos);
  CHECK(h.out.find("nll_loss") != std::string::npos);
  auto f = run_cli({"cross_entropy", "--help"});
  CHECK(f.status == 0);
  CHECK(f.out.find("--label-smoothing") != std::string::npos);
  CHECK(f.out.find("--from-logits") == std::string::npos);
  auto v = run_cli({"--version"});
  CHECK(v.status == 0);
  CHECK(v.out.rfind("losscalc ", 0) == 0);
}

TEST_CASE("on every error stdout stays empty and stderr has one losscalc line") {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"nope"},
      {"ce", kX},
      {"ce", kX, "[2,4]"},
      {"ce", "--bogus", kX, "[2,3]"},
      {"ce", "--json", kX, "[[2,3]]"},
      {"softmax", kX, "[2,3]"},
      {"ce", "-", "-"},
  };
  for (auto& args : bad) {
    auto o = run_cli(args, "[1]");
    CAPTURE(args.size());
    CHECK(o.status != 0);
    CHECK(o.out.empty());
    CHECK(o.err.rfind("losscalc: ", 0) == 0);
    CHECK(o.err.find('\n') == o.err.size() - 1);
  }
}

namespace {
// A standard output whose writes fail with `errno_value` (a full disk, a
// closed pipe with SIGPIPE ignored).
struct FailingBuf : std::streambuf {
  int errno_value;
  explicit FailingBuf(int e) : errno_value(e) {}
  int_type overflow(int_type) override {
    errno = errno_value;
    return traits_type::eof();
  }
  std::streamsize xsputn(const char*, std::streamsize) override {
    errno = errno_value;
    return 0;
  }
};

losscalc::testing::Outcome run_failing(int e, const std::vector<std::string>& args) {
  FailingBuf buf(e);
  std::ostream out(&buf);
  std::istringstream in;
  std::ostringstream err;
  const int status = losscalc::run_main(args, in, out, err);
  return {status, "", err.str()};
}
}  // namespace

TEST_CASE("a failed write to stdout is exit 1 with the system's reason; a closed pipe ends quietly") {
  auto full = run_failing(ENOSPC, {"ce", "-q", kX, "[2,3]"});
  CHECK(full.status == 1);
  CHECK(full.err == "losscalc: standard output: write error: No space left on device\n");
  auto io = run_failing(EIO, {"ce", "--help"});
  CHECK(io.status == 1);
  CHECK(io.err == "losscalc: standard output: write error: Input/output error\n");
  auto pipe = run_failing(EPIPE, {"ce", "-r", "none", "-q", kX, "[2,3]"});
  CHECK(pipe.status == 141);
  CHECK(pipe.err.empty());
}

TEST_CASE("--no-summary prints a long tensor whole; --full is now torch's parameter and names --no-summary") {
  std::string x = "[";
  for (int i = 0; i < 1001; ++i) x += (i ? "," : "") + std::to_string(i % 7);
  x += "]";
  const auto summarised = run_cli({"softmax", x});
  const auto whole = run_cli({"softmax", "--no-summary", x});
  CHECK(summarised.status == 0);
  CHECK(whole.status == 0);
  CHECK(summarised.out.find("...") != std::string::npos);
  CHECK(whole.out.find("...") == std::string::npos);
  CHECK(whole.out.size() > summarised.out.size() + 1000 * 6);
  const auto old = run_cli({"ce", "--full", "[[1,2]]", "[0]"});
  CHECK(old.status == 2);
  CHECK(old.err ==
        "losscalc: cross_entropy: cross_entropy does not take --full: --full is torch's full (the Stirling term) of "
        "poisson_nll_loss and gaussian_nll_loss; to print long tensors whole, use --no-summary\n");
}

TEST_CASE("no two options of one function share a name (long, alias or short), from each function's --help") {
  for (const auto& fn : losscalc::functions()) {
    const auto help = run_cli({std::string(fn.name), "--help"});
    REQUIRE(help.status == 0);
    std::set<std::string> seen;
    std::istringstream lines(help.out);
    std::string line;
    int options = 0;
    while (std::getline(lines, line)) {
      if (line.rfind("  -", 0) != 0) continue;
      const std::string names = line.substr(2, line.find(' ', 2) - 2);  // "-w,--weight"
      std::istringstream parts(names);
      std::string name;
      while (std::getline(parts, name, ',')) {
        INFO(fn.name << ": " << name);
        CHECK(seen.insert(name).second);
      }
      ++options;
    }
    INFO(fn.name);
    CHECK(options >= 2);  // --help and at least one more: the parse above found the list
  }
}

TEST_CASE("mse_loss: grad and grad_target match central finite differences, broadcast shapes included") {
  // loss(x, y) through the whole program, as --json prints it.
  const auto loss_of = [](const std::vector<double>& x, const std::string& xshape, const std::vector<double>& y,
                          const std::string& yshape, const std::string& reduction) {
    const auto text = [](const std::vector<double>& v, const std::string& shape) {
      std::string s;
      for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + losscalc::print::shortest(v[i]);
      return shape == "(2,1)" ? "[[" + losscalc::print::shortest(v[0]) + "],[" + losscalc::print::shortest(v[1]) + "]]" : "[" + s + "]";
    };
    const auto o = run_cli({"mse_loss", "--json", "--no-warnings", "-r", reduction, text(x, xshape), text(y, yshape)});
    REQUIRE(o.status == 0);
    return nlohmann::json::parse(o.out);
  };
  const std::vector<double> x{0.3, -1.2}, y{1.5, 0.25, -0.7};
  for (const std::string reduction : {"mean", "sum"}) {
    const auto j = loss_of(x, "(2,1)", y, "(3)", reduction);  // (2, 1) against (3): the 2x3 comparison
    const double h = 1e-6;
    for (std::size_t i = 0; i < x.size(); ++i) {
      auto hi = x, lo = x;
      hi[i] += h;
      lo[i] -= h;
      const double fd = (loss_of(hi, "(2,1)", y, "(3)", reduction)["loss"].get<double>() -
                         loss_of(lo, "(2,1)", y, "(3)", reduction)["loss"].get<double>()) / (2 * h);
      CAPTURE(reduction);
      CAPTURE(i);
      CHECK(std::fabs(j["grad"][i][0].get<double>() - fd) < 1e-6);
    }
    for (std::size_t i = 0; i < y.size(); ++i) {
      auto hi = y, lo = y;
      hi[i] += h;
      lo[i] -= h;
      const double fd = (loss_of(x, "(2,1)", hi, "(3)", reduction)["loss"].get<double>() -
                         loss_of(x, "(2,1)", lo, "(3)", reduction)["loss"].get<double>()) / (2 * h);
      CAPTURE(reduction);
      CAPTURE(i);
      CHECK(std::fabs(j["grad_target"][i].get<double>() - fd) < 1e-6);
    }
  }
}

TEST_CASE("margin_ranking_loss: grad and grad_input2 match central finite differences (inactive pairs too)") {
  const auto loss_of = [](const std::vector<double>& a, const std::vector<double>& b, const std::string& reduction) {
    const auto text = [](const std::vector<double>& v) {
      std::string s;
      for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + losscalc::print::shortest(v[i]);
      return "[" + s + "]";
    };
    const auto o = run_cli({"margin_ranking_loss", "--json", "-r", reduction, "--margin", "0.3", text(a), text(b), "[1,-1,1,0.5]"});
    REQUIRE(o.status == 0);
    return nlohmann::json::parse(o.out);
  };
  // Pairs away from the kink: active, active, inactive (won by more than the margin), active.
  const std::vector<double> a{0.1, 0.7, 2.0, -0.4}, b{0.3, 0.2, 0.5, 0.1};
  for (const std::string reduction : {"mean", "sum"}) {
    const auto j = loss_of(a, b, reduction);
    const double h = 1e-6;
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto hi = a, lo = a, hi2 = b, lo2 = b;
      hi[i] += h;
      lo[i] -= h;
      hi2[i] += h;
      lo2[i] -= h;
      const double fd1 = (loss_of(hi, b, reduction)["loss"].get<double>() - loss_of(lo, b, reduction)["loss"].get<double>()) / (2 * h);
      const double fd2 = (loss_of(a, hi2, reduction)["loss"].get<double>() - loss_of(a, lo2, reduction)["loss"].get<double>()) / (2 * h);
      CAPTURE(reduction);
      CAPTURE(i);
      CHECK(std::fabs(j["grad"][i].get<double>() - fd1) < 1e-6);
      CHECK(std::fabs(j["grad_input2"][i].get<double>() - fd2) < 1e-6);
    }
    CHECK(j["grad"][2].get<double>() == 0.0);  // the inactive pair
  }
}

TEST_CASE("the table: every name reaches one function, and each row is complete") {
  std::set<std::string> names;
  for (const auto& fn : losscalc::functions()) {
    INFO(fn.name);
    CHECK(names.insert(std::string(fn.name)).second);
    for (auto a : fn.aliases) {
      INFO(a);
      CHECK(names.insert(std::string(a)).second);
      CHECK(losscalc::find_function(a) == &fn);
    }
    REQUIRE(!fn.args.empty());
    CHECK(fn.args[0].positional);
    for (const auto& a : fn.args) CHECK(!a.holds.empty());
    for (const auto& p : fn.params) {
      INFO(p.name);
      CHECK(!p.help.empty());
      CHECK((p.type != losscalc::ParamType::Choice || !p.choices.empty()));
    }
    if (fn.is_loss())
      CHECK(std::find(fn.reductions.begin(), fn.reductions.end(), fn.default_reduction) != fn.reductions.end());
    if (const auto* p = fn.param("ignore-index"); p && fn.family == losscalc::Family::Torch)
      CHECK(p->default_value == std::to_string(losscalc::kTorchIgnoreIndex));  // the ops' fallback is the table's default
  }
  for (const auto& t : losscalc::tools()) CHECK(names.insert(std::string(t.name)).second);
}

TEST_CASE("losscalc functions --json is the table, and --help shows each parameter with its default") {
  const auto o = run_cli({"functions", "--json"});
  REQUIRE(o.status == 0);
  const auto j = nlohmann::json::parse(o.out);
  REQUIRE(j["functions"].size() == losscalc::functions().size());
  const auto& mr = *std::find_if(j["functions"].begin(), j["functions"].end(), [](auto& f) { return f["name"] == "margin_ranking_loss"; });
  CHECK(mr["data_arguments"].size() == 3);
  CHECK(mr["data_arguments"][1]["name"] == "input2");
  CHECK(mr["data_arguments"][1]["gradient"] == "grad_input2");
  CHECK(mr["data_arguments"][2]["differentiable"] == false);
  CHECK(mr["parameters"][0]["name"] == "margin");
  CHECK(mr["parameters"][0]["default"] == "0");
  CHECK(mr["reductions"] == nlohmann::json::array({"mean", "sum", "none"}));
  std::vector<std::string> tool_names;
  for (auto& t : j["tools"]) tool_names.push_back(t["name"]);
  CHECK(tool_names == std::vector<std::string>{"compare", "merge", "functions", "completion"});
  const auto help = run_cli({"margin_ranking_loss", "--help"});
  CHECK(help.out.find("--margin FLOAT") != std::string::npos);
  CHECK(help.out.find("(default 0)") != std::string::npos);
  CHECK(help.out.find("INPUT2 TEXT") != std::string::npos);
  const auto text = run_cli({"functions"});
  CHECK(text.out.find("margin_ranking_loss  [torch]") != std::string::npos);
  CHECK(text.out.find("  arguments:  input1*, input2*, target   (*: has a gradient)") != std::string::npos);
  const auto bad = run_cli({"functions", "--yaml"});
  CHECK(bad.status == 2);
  CHECK(bad.err == "losscalc: functions: unexpected argument '--yaml' (functions takes --json alone)\n");
}

TEST_CASE("a parameter out of its declared range gets the framework's message; a boolean one its --no- form") {
  const auto ls = run_cli({"ce", "--label-smoothing", "1.5", "[1,2]", "0"});
  CHECK(ls.status == 2);
  CHECK(ls.err == "losscalc: --label-smoothing: label_smoothing must be between 0.0 and 1.0. Got: 1.5\n");
  const auto eps = run_cli({"binary_crossentropy", "--epsilon", "0.5", "[0.5]", "[1]"});
  CHECK(eps.status == 2);
  CHECK(eps.err == "losscalc: --epsilon: must be in [0, 0.5), got 0.5\n");
  const auto off = run_cli({"binary_crossentropy", "-q", "--from-logits", "--no-from-logits", "[0.5]", "[1]"});
  const auto plain = run_cli({"binary_crossentropy", "-q", "[0.5]", "[1]"});
  CHECK(off.status == 0);
  CHECK(off.out == plain.out);
  const auto no_on_torch = run_cli({"ce", "--no-from-logits", "[1,2]", "0"});
  CHECK(no_on_torch.status == 2);
  CHECK(no_on_torch.err.find("unknown option '--no-from-logits'") != std::string::npos);
}

TEST_CASE("l1_loss, smooth_l1_loss and huber_loss: grad and grad_target match central finite differences") {
  // Differences on both sides of beta / delta (0.7 and 1.5), away from the kinks; a (2, 1) input broadcast against (3).
  const std::vector<double> x{0.3, -1.2}, y{1.5, 0.25, -0.7};
  const auto text = [](const std::vector<double>& v, bool column) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i)
      s += (i ? "," : "") + (column ? "[" + losscalc::print::shortest(v[i]) + "]" : losscalc::print::shortest(v[i]));
    return "[" + s + "]";
  };
  for (const auto& fn : {std::vector<std::string>{"l1_loss"}, {"smooth_l1_loss", "--beta", "0.9"}, {"huber_loss", "--delta", "0.9"}}) {
    const auto loss_of = [&](const std::vector<double>& a, const std::vector<double>& b) {
      auto args = fn;
      for (const char* w : {"--json", "--no-warnings"}) args.push_back(w);
      args.push_back(text(a, true));
      args.push_back(text(b, false));
      const auto o = run_cli(args);
      REQUIRE(o.status == 0);
      return nlohmann::json::parse(o.out);
    };
    const auto j = loss_of(x, y);
    const double h = 1e-6;
    for (std::size_t i = 0; i < x.size(); ++i) {
      auto hi = x, lo = x;
      hi[i] += h;
      lo[i] -= h;
      CAPTURE(fn[0]);
      CHECK(std::fabs(j["grad"][i][0].get<double>() - (loss_of(hi, y)["loss"].get<double>() - loss_of(lo, y)["loss"].get<double>()) / (2 * h)) < 1e-6);
    }
    for (std::size_t i = 0; i < y.size(); ++i) {
      auto hi = y, lo = y;
      hi[i] += h;
      lo[i] -= h;
      CAPTURE(fn[0]);
      CHECK(std::fabs(j["grad_target"][i].get<double>() - (loss_of(x, hi)["loss"].get<double>() - loss_of(x, lo)["loss"].get<double>()) / (2 * h)) < 1e-6);
    }
  }
}
