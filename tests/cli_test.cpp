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
  CHECK(tool_names == std::vector<std::string>{"compare", "expect", "merge", "functions", "completion"});
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

namespace {
// A data argument for finite differences: values, shape, and the JSON key of
// its gradient ("" for an argument without one).
struct FdArg {
  std::vector<double> values;
  std::vector<std::size_t> shape;
  std::string grad;
};

std::string nested(const std::vector<double>& v, const std::vector<std::size_t>& shape, std::size_t dim, std::size_t& at) {
  if (dim == shape.size()) return losscalc::print::shortest(v[at++]);
  std::string s = "[";
  for (std::size_t i = 0; i < shape[dim]; ++i) s += (i ? "," : "") + nested(v, shape, dim + 1, at);
  return s + "]";
}

void flatten(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array())
    for (auto& e : j) flatten(e, out);
  else
    out.push_back(j.get<double>());
}

// Each argument's printed gradient against central differences of the
// printed loss, through the whole program (`fn`: the function and options).
void check_finite_differences(const std::vector<std::string>& fn, const std::vector<FdArg>& args, double tol = 1e-6) {
  const auto loss_of = [&](const std::vector<FdArg>& a) {
    auto argv = fn;
    argv.push_back("--json");
    argv.push_back("--no-warnings");
    for (auto& x : a) {
      std::size_t at = 0;
      argv.push_back(nested(x.values, x.shape, 0, at));
    }
    const auto o = run_cli(argv);
    REQUIRE(o.status == 0);
    return nlohmann::json::parse(o.out);
  };
  const auto j = loss_of(args);
  const double h = 1e-6;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k].grad.empty()) continue;
    std::vector<double> grad;
    flatten(j[args[k].grad], grad);
    REQUIRE(grad.size() == args[k].values.size());
    for (std::size_t i = 0; i < grad.size(); ++i) {
      auto hi = args, lo = args;
      hi[k].values[i] += h;
      lo[k].values[i] -= h;
      const double fd = (loss_of(hi)["loss"].get<double>() - loss_of(lo)["loss"].get<double>()) / (2 * h);
      CAPTURE(fn[0]);
      CAPTURE(args[k].grad);
      CAPTURE(i);
      CHECK(std::fabs(grad[i] - fd) < tol * std::max(1.0, std::fabs(fd)));
    }
  }
}
}  // namespace

TEST_CASE("mse_loss, l1_loss, smooth_l1_loss, huber_loss: grad and grad_target match central finite differences") {
  // A (2, 1) input broadcast against (3): the 2x3 comparison; differences on
  // both sides of beta / delta (0.9), away from the kinks.
  const std::vector<FdArg> args{{{0.3, -1.2}, {2, 1}, "grad"}, {{1.5, 0.25, -0.7}, {3}, "grad_target"}};
  for (const auto& fn : {std::vector<std::string>{"mse_loss"}, {"mse_loss", "-r", "sum"}, {"l1_loss"},
                         {"smooth_l1_loss", "--beta", "0.9"}, {"huber_loss", "--delta", "0.9", "-r", "sum"}})
    check_finite_differences(fn, args);
}

TEST_CASE("margin_ranking_loss: grad and grad_input2 match central finite differences (inactive pairs too)") {
  // Pairs away from the kink: active, active, inactive (won by more than the margin), active.
  const std::vector<FdArg> args{{{0.1, 0.7, 2.0, -0.4}, {4}, "grad"}, {{0.3, 0.2, 0.5, 0.1}, {4}, "grad_input2"}, {{1, -1, 1, 0.5}, {4}, ""}};
  for (const std::string reduction : {"mean", "sum"}) check_finite_differences({"margin_ranking_loss", "-r", reduction, "--margin", "0.3"}, args);
  const auto o = run_cli({"margin_ranking_loss", "--json", "--margin", "0.3", "[0.1,0.7,2.0,-0.4]", "[0.3,0.2,0.5,0.1]", "[1,-1,1,0.5]"});
  CHECK(nlohmann::json::parse(o.out)["grad"][2].get<double>() == 0.0);  // the inactive pair
}

TEST_CASE("sigmoid_focal_loss: grad and grad_target match central finite differences (alpha on and off, gamma 2 and 1.5)") {
  const std::vector<FdArg> args{{{0.5, -1.0, 2.0, 3.0, -0.25, 0.1}, {2, 3}, "grad"}, {{1, 0, 1, 0, 0.7, 0.2}, {2, 3}, "grad_target"}};
  for (const auto& fn : {std::vector<std::string>{"sigmoid_focal_loss", "-r", "sum"}, {"sigmoid_focal_loss", "-r", "mean", "--alpha", "-1"},
                         {"sigmoid_focal_loss", "-r", "sum", "--gamma", "1.5", "--alpha", "0.6"}})
    check_finite_differences(fn, args);
}

TEST_CASE("keras binary and categorical focal cross-entropy: grad matches central finite differences (probabilities, logits, smoothing, axis 0)") {
  const FdArg p{{0.3, 0.8, 0.55, 0.2, 0.6, 0.45}, {2, 3}, "grad"}, z{{0.5, -1.0, 2.0, 3.0, -0.25, 0.1}, {2, 3}, "grad"};
  const FdArg soft{{1, 0, 0.3, 0, 1, 0.6}, {2, 3}, ""}, onehot{{1, 0, 0, 0, 0, 1}, {2, 3}, ""};
  for (const auto& fn : {std::vector<std::string>{"binary_focal_crossentropy"}, {"binary_focal_crossentropy", "--apply-class-balancing", "--alpha", "0.4", "--sample-weight", "[1.5, 0.5]"},
                         {"binary_focal_crossentropy", "--gamma", "1.5", "--label-smoothing", "0.2", "--axis", "0", "-r", "sum"}})
    check_finite_differences(fn, {p, soft});
  check_finite_differences({"binary_focal_crossentropy", "--from-logits", "--gamma", "3"}, {z, soft});
  for (const auto& fn : {std::vector<std::string>{"categorical_focal_crossentropy"}, {"categorical_focal_crossentropy", "--alpha", "0.6", "--axis", "0", "-r", "sum"},
                         {"categorical_focal_crossentropy", "--label-smoothing", "0.1", "--gamma", "1.5", "--sample-weight", "[2, 0.5]"}})
    check_finite_differences(fn, {p, onehot});
  check_finite_differences({"categorical_focal_crossentropy", "--from-logits", "--label-smoothing", "0.1"}, {z, onehot});
}

TEST_CASE("keras dice and tversky: grad matches central finite differences (axis none and an axis tuple)") {
  const FdArg p{{0.3, 0.8, 0.55, 0.2, 0.6, 0.45}, {2, 3}, "grad"}, y{{1, 0, 0.5, 0, 1, 1}, {2, 3}, ""};
  for (const auto& fn : {std::vector<std::string>{"dice"}, {"dice", "--axis", "1", "--sample-weight", "[2, 0.5]"}, {"tversky"},
                         {"tversky", "--alpha", "0.3", "--beta", "0.9", "--axis", "-1", "-r", "sum"}})
    check_finite_differences(fn, {p, y});
}

TEST_CASE("kl_div, poisson_nll_loss, gaussian_nll_loss: every gradient matches central finite differences") {
  const std::vector<FdArg> kl{{{-1.2, -0.9, -1.2, -0.3, -2.0, -1.1}, {2, 3}, "grad"}, {{0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, {2, 3}, "grad_target"}};
  for (const auto& fn : {std::vector<std::string>{"kl_div"}, {"kl_div", "-r", "batchmean"}, {"kl_div", "-r", "sum"}})
    check_finite_differences(fn, kl);
  check_finite_differences({"kl_div", "--log-target", "-r", "batchmean"},
                           {kl[0], {{-1.6, -0.7, -1.2, -0.5, -2.3, -1.2}, {2, 3}, "grad_target"}});
  // Counts above 1 (Stirling's term) and below; rates for --no-log-input.
  const std::vector<FdArg> poisson{{{0.3, 1.2, 0.5, 2.0}, {2, 2}, "grad"}, {{2.0, 0.5, 4.0, 1.5}, {2, 2}, "grad_target"}};
  for (const auto& fn : {std::vector<std::string>{"poisson_nll_loss"}, {"poisson_nll_loss", "--full", "-r", "sum"},
                         {"poisson_nll_loss", "--no-log-input", "--full", "--eps", "0.01"}})
    check_finite_differences(fn, poisson);
  // var one a row (2) for a (2, 3) input, and var of the input's shape; one var below eps would have no
  // finite difference (the clamp), so all are above it.
  const std::vector<FdArg> x_y{{{0.3, 1.2, -0.5, 2.0, 0.1, -0.7}, {2, 3}, "grad"}, {{1.0, 0.5, 0.4, 1.5, -0.2, 0.0}, {2, 3}, "grad_target"}};
  for (const auto& var : {FdArg{{0.8, 2.5}, {2}, "grad_var"}, FdArg{{0.8, 2.5, 0.3, 1.1, 4.0, 0.05}, {2, 3}, "grad_var"}})
    for (const auto& fn : {std::vector<std::string>{"gaussian_nll_loss"}, {"gaussian_nll_loss", "--full", "-r", "sum"}})
      check_finite_differences(fn, {x_y[0], x_y[1], var});
}

TEST_CASE("l2_loss and log_poisson_loss: grad matches central finite differences") {
  check_finite_differences({"l2_loss"}, {{{0.3, -1.2, 2.5, 0.0}, {2, 2}, "grad"}});
  for (const auto& fn : {std::vector<std::string>{"log_poisson_loss", "-r", "sum"}, {"log_poisson_loss", "--compute-full-loss", "-r", "mean"}})
    check_finite_differences(fn, {{{0.3, 1.2, -0.5, 2.0}, {4}, "grad"}, {{2.0, 0.5, 4.0, 1.5}, {4}, ""}});
}

TEST_CASE("Keras regression losses and categorical_generalized_cross_entropy: grad matches central finite differences") {
  // y_pred (2, 3) in (0, 1) (inside the clips of kl_divergence, msle and
  // poisson), away from Huber's delta; per-sample weights (2) and (2, 1).
  const std::vector<FdArg> args{{{0.3, 0.8, 0.45, 0.6, 0.15, 0.9}, {2, 3}, "grad"}, {{0.5, 0.2, 0.7, 0.1, 0.6, 0.35}, {2, 3}, ""}};
  for (const char* fn : {"mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
                         "huber", "log_cosh", "kl_divergence", "poisson"})
    for (const auto& extra : {std::vector<std::string>{}, {"--sample-weight", "[0.5,2]", "-r", "mean_with_sample_weight"},
                              {"--sample-weight", "[[1.5],[0.25]]", "-r", "sum"}}) {
      std::vector<std::string> argv{fn};
      argv.insert(argv.end(), extra.begin(), extra.end());
      check_finite_differences(argv, args);
    }
  check_finite_differences({"huber", "--delta", "0.2"}, args);
  check_finite_differences({"categorical_generalized_cross_entropy", "--q", "0.7", "--sample-weight", "[1,3]"},
                           {{{0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, {2, 3}, "grad"}, {{2, 0}, {2}, ""}});
}

TEST_CASE("scikit-learn functions: losscalc's own gradient matches central finite differences of the loss") {
  const std::vector<FdArg> probs{{{0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, {2, 3}, "grad"}, {{2, 0}, {2}, ""}};
  check_finite_differences({"sklearn.log_loss", "--labels", "[0,1,2]"}, probs);
  check_finite_differences({"sklearn.log_loss", "--labels", "[0,1,2]", "--no-normalize", "--sample-weight", "[0.5,2]"}, probs);
  check_finite_differences({"sklearn.log_loss", "--sample-weight", "[0.5,2]"}, {{{0.2, 0.7}, {2}, "grad"}, {{0, 1}, {2}, ""}});
  check_finite_differences({"sklearn.brier_score_loss", "--sample-weight", "[1,3]"}, {{{0.2, 0.7}, {2}, "grad"}, {{0, 1}, {2}, ""}});
  const std::vector<FdArg> reg{{{0.3, 1.2, -0.5, 2.0, 0.1, -0.7}, {3, 2}, "grad"}, {{1.0, 0.5, 0.4, 1.5, -0.2, 0.0}, {3, 2}, ""}};
  for (const auto& fn : {std::vector<std::string>{"sklearn.mean_squared_error"},
                         {"sklearn.mean_squared_error", "--multioutput", "0.3,0.7", "--sample-weight", "[1,2,0.5]"},
                         {"sklearn.mean_squared_error", "--no-squared", "--multioutput", "1,3"},
                         {"sklearn.mean_absolute_error", "--sample-weight", "[1,2,0.5]"}})
    check_finite_differences(fn, reg);
}

TEST_CASE("optax functions: grad and grad_target match central finite differences") {
  // -r sum: the gradient printed for -r none is the summed losses' too.
  const std::vector<FdArg> reg{{{0.3, 1.2, -0.5, 2.0, 0.1, -0.7}, {2, 3}, "grad"}, {{1.0, 0.5, 0.4, 1.5, -0.2, 0.0}, {2, 3}, "grad_target"}};
  for (const auto& fn : {std::vector<std::string>{"optax.squared_error", "-r", "sum"}, {"optax.l2_loss", "-r", "mean"}, {"optax.huber_loss", "--delta", "0.6", "-r", "sum"},
                         {"optax.log_cosh", "-r", "sum"}, {"optax.sigmoid_binary_cross_entropy", "-r", "sum"}, {"optax.softmax_cross_entropy", "-r", "sum"},
                         {"optax.softmax_cross_entropy", "--axis", "0", "-r", "sum"}, {"optax.safe_softmax_cross_entropy", "-r", "mean"},
                         {"optax.poly_loss_cross_entropy", "--epsilon", "1.5", "-r", "sum"}})
    check_finite_differences(fn, reg);
  const std::vector<FdArg> kl{{{-1.2, -0.9, -1.2, -0.3, -2.0, -1.1}, {2, 3}, "grad"}, {{0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, {2, 3}, "grad_target"}};
  for (const auto& fn : {std::vector<std::string>{"optax.kl_divergence", "-r", "sum"}, {"optax.kl_divergence_with_log_targets", "-r", "sum"},
                         {"optax.generalized_kl_divergence", "-r", "mean"}, {"optax.kl_divergence", "--axis", "0", "-r", "sum"}})
    check_finite_differences(fn, kl);
  check_finite_differences({"optax.softmax_cross_entropy_with_integer_labels", "-r", "sum"}, {reg[0], {{2, 0}, {2}, ""}});
}

TEST_CASE("torch margin and embedding losses: every gradient matches central finite differences (off the kinks)") {
  const std::vector<FdArg> x{{{0.3, 1.2, -0.5, 2.0, 0.1, -0.7}, {2, 3}, "grad"}};
  check_finite_differences({"hinge_embedding_loss", "--margin", "0.9"}, {x[0], {{1, -1, -1, -1, 1, -1}, {2, 3}, ""}});
  check_finite_differences({"soft_margin_loss", "-r", "sum"}, {x[0], {{1, -1, 1, -1, 1, 1}, {2, 3}, ""}});
  check_finite_differences({"multilabel_soft_margin_loss", "-w", "[1,2,0.5]"}, {x[0], {{1, 0, 0.3, 0, 1, 1}, {2, 3}, "grad_target"}});
  for (const char* p : {"1", "2"})
    check_finite_differences({"multi_margin_loss", "--p", p, "--margin", "0.7", "-w", "[1,2,0.5]"}, {x[0], {{2, 0}, {2}, ""}});
  check_finite_differences({"multilabel_margin_loss"}, {x[0], {{2, -1, 0, 0, 1, -1}, {2, 3}, ""}});
  check_finite_differences({"cosine_embedding_loss", "--margin", "-0.2"},
                           {x[0], {{1.0, 0.5, 0.4, 1.5, -0.2, 0.3}, {2, 3}, "grad_input2"}, {{1, -1}, {2}, ""}});
  const std::vector<FdArg> triplet{{{0.3, 1.2, -0.5, 2.0, 0.1, -0.7}, {2, 3}, "grad"},
                                   {{0.5, 1.0, -0.2, 1.4, 0.6, -0.1}, {2, 3}, "grad_positive"},
                                   {{-0.3, 0.2, 0.5, 2.2, 0.3, -0.9}, {2, 3}, "grad_negative"}};
  for (const auto& fn : {std::vector<std::string>{"triplet_margin_loss"}, {"triplet_margin_loss", "--p", "1.5", "--swap"},
                         {"triplet_margin_loss", "--p", "1", "--margin", "2"}, {"triplet_margin_with_distance_loss", "--margin", "2"},
                         {"triplet_margin_with_distance_loss", "--distance-function", "cosine", "--swap"}})
    check_finite_differences(fn, triplet);
}

TEST_CASE("sklearn.hinge_loss: losscalc's own gradient matches central finite differences (off the kinks)") {
  check_finite_differences({"sklearn.hinge_loss", "--sample-weight", "[1,2,0.5]"}, {{{0.3, -1.2, 0.5}, {3}, "grad"}, {{0, 1, 1}, {3}, ""}});
  check_finite_differences({"sklearn.hinge_loss"}, {{{0.3, 1.2, -0.5, 2.0, 0.1, -0.7, 0.4, 0.45, 0.2}, {3, 3}, "grad"}, {{0, 1, 2}, {3}, ""}});
}
