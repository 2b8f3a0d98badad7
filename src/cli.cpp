#include "cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "discovery.h"
#include "error.h"
#include "expect.h"
#include "ops/checks.h"
#include "print/number.h"
#include "read/text.h"
#include "registry.h"

namespace losscalc {

using ops::reduction_name;

namespace {

// What an option's value must be; checked as the token is read, so that the
// message names the option and the value.
enum class Kind { Flag, Text, Integer, Number, Choice };

// What an option feeds: losscalc's own settings, a data argument of the
// function (an index into its args) or a parameter (into its params).
enum class Feeds { Own, Data, Param };

struct OptionDef {
  std::string name{};  // long name without "--"
  char short_name = 0;
  std::string alias{};  // another long name, or ""
  Kind kind = Kind::Text;
  std::string help{};
  std::vector<std::string> choices = {};
  Feeds feeds = Feeds::Own;
  std::size_t index = 0;
  bool many = false;  // given again, its values add up (the column options) instead of the last winning
  bool takes_value() const { return kind != Kind::Flag; }
};

// losscalc's own options: output for every function, rows for every loss.
const std::vector<OptionDef>& output_defs() {
  static const std::vector<OptionDef> defs = {
      {.name = "dtype", .kind = Kind::Choice,
       .help = "float64 (default), float32 (computes as torch float32 does), bfloat16 (torch 1.13's CPU bfloat16 kernels) or "
               "float16 (CUDA's half convention); the half formats: cross_entropy, nll_loss, softmax, log_softmax",
       .choices = {"float64", "float32", "bfloat16", "float16"}},
      {.name = "amp", .kind = Kind::Choice,
       .help = "float16 or bfloat16: autocast, the model's outputs rounded to the format and the loss computed in float32",
       .choices = {"float16", "bfloat16"}},
      {.name = "format", .short_name = 'f', .kind = Kind::Choice, .help = "text (default), json or csv", .choices = {"text", "json", "csv"}},
      {.name = "json", .kind = Kind::Flag, .help = "same as --format json"},
      {.name = "quiet", .short_name = 'q', .kind = Kind::Flag, .help = "print the loss (or the activation) alone, every digit (round-trip)"},
      {.name = "precision", .kind = Kind::Integer, .help = "decimals in text output, 0 to 17 (default 4; -q default: exact)"},
      {.name = "no-summary", .kind = Kind::Flag, .help = "print long tensors whole instead of summarising them (was --full)"},
      {.name = "explain", .kind = Kind::Flag, .help = "show the calculation step by step, with the numbers (text or json)"},
      {.name = "explain-samples", .kind = Kind::Text, .help = "with --explain: which samples, e.g. 0,5,7 (default: the first 3)"},
      {.name = "no-warnings", .kind = Kind::Flag,
       .help = "do not warn on stderr about likely mistakes in the data, nor note what was guessed (a pandas index left out)"},
  };
  return defs;
}

const std::vector<OptionDef>& row_defs() {
  static const std::vector<OptionDef> defs = {
      {.name = "target-column", .kind = Kind::Text,
       .help = "row data: the target is this column of INPUT (a header name, a JSON Lines records key, or an index, negative "
               "from the end); several, "
               "comma-separated, for soft targets; a:b is a range, both ends included (same as --column target=SPEC)",
       .many = true},
      {.name = "column", .kind = Kind::Text,
       .help = "row data: NAME=SPEC, the columns of data argument NAME: header names or indices, comma-separated, a:b a range; "
               "with the first argument's, columns not named are left out",
       .many = true},
      {.name = "ignore-column", .kind = Kind::Text,
       .help = "row data: leave these columns out (an id, a file name): header names or indices, comma-separated, a:b a range",
       .many = true},
      {.name = "header", .kind = Kind::Choice, .help = "row data: is the first line a header? auto (default), yes or no",
       .choices = {"auto", "yes", "no"}},
      {.name = "delimiter", .kind = Kind::Text, .help = "row data: the cell delimiter: , tab ; | or space (default: detected)"},
      {.name = "partial", .kind = Kind::Flag, .help = "print the mergeable sums (loss_sum, denominator, count) as one JSON line, for merge"},
  };
  return defs;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// "A, B and C".
std::string and_list(const std::vector<std::string>& items, const char* last = " and ") {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i)
    s += (i == 0 ? "" : i + 1 == items.size() ? last : ", ") + items[i];
  return s;
}

// Every option a function takes, from its row: its data arguments, -r, its
// parameters, then losscalc's own.
std::vector<OptionDef> options_of(const FunctionSpec& fn) {
  std::vector<OptionDef> out;
  for (std::size_t i = 0; i < fn.args.size(); ++i) {
    const DataArg& a = fn.args[i];
    OptionDef d{.name = a.option().substr(2), .short_name = i == 0 ? 'i' : a.name == "target" ? 't' : a.short_name};
    if (i == 0 && a.name != "input") d.alias = "input";
    if (!a.alias.empty()) d.alias = std::string(a.alias);
    d.help = a.positional ? upper(a.name) + " given as an option" : std::string(a.holds);
    if (!a.positional && a.name == "weight") d.help = "torch weight: " + d.help;
    d.feeds = Feeds::Data;
    d.index = i;
    out.push_back(std::move(d));
  }
  if (fn.is_loss()) {
    OptionDef r{.name = "reduction", .short_name = 'r', .kind = Kind::Choice};
    std::vector<std::string> names;
    for (Reduction x : fn.reductions) names.emplace_back(reduction_name(x));
    r.help = and_list(names, " or ") + " (default " + std::string(reduction_name(fn.default_reduction)) + ")";
    r.choices = names;
    out.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < fn.params.size(); ++i) {
    const Param& p = fn.params[i];
    OptionDef d{.name = std::string(p.name), .alias = std::string(p.alias)};
    d.kind = p.type == ParamType::Flag ? Kind::Flag : p.type == ParamType::Integer ? Kind::Integer
             : p.type == ParamType::Number ? Kind::Number : p.type == ParamType::Text ? Kind::Text : Kind::Choice;
    d.help = std::string(p.help);
    if (p.type == ParamType::Flag)
      d.help += " (--no-" + std::string(p.name) + ": off" + (p.default_value == "true" ? "; default on)" : ", the default)");
    else if (!p.default_value.empty() && p.type != ParamType::Choice)
      d.help += " (default " + std::string(p.default_value) + ")";
    for (auto c : p.choices) d.choices.emplace_back(c);
    d.feeds = Feeds::Param;
    d.index = i;
    out.push_back(std::move(d));
  }
  for (auto& d : output_defs()) out.push_back(d);
  if (fn.is_loss())
    for (auto& d : row_defs())
      if (d.name != "target-column" || fn.takes_target()) out.push_back(d);
  return out;
}

// merge reads partial results: only its files and output options apply.
std::vector<OptionDef> merge_options() {
  std::vector<OptionDef> out{{.name = "input", .short_name = 'i', .help = "a file of --partial results, as an option"}};
  for (auto& d : output_defs())
    if (d.name == "format" || d.name == "json" || d.name == "quiet" || d.name == "precision") out.push_back(d);
  OptionDef partial = row_defs().back();
  partial.help = "print the merged sums as one --partial line again (to merge further)";
  out.push_back(partial);
  return out;
}

// Every long option name of every function and tool, for "F does not take --X".
const std::set<std::string>& every_option_name() {
  static const std::set<std::string> names = [] {
    std::set<std::string> s{"help", "no-summary"};
    auto add = [&s](const std::vector<OptionDef>& defs) {
      for (auto& d : defs) {
        s.insert(d.name);
        if (!d.alias.empty()) s.insert(d.alias);
      }
    };
    for (auto& f : functions()) add(options_of(f));
    add(options_of(compare_spec()));
    add(options_of(expect_spec()));
    add(merge_options());
    return s;
  }();
  return names;
}

// Every short option of some function, with its long name.
const std::map<char, std::string>& every_short_name() {
  static const std::map<char, std::string> names = [] {
    std::map<char, std::string> m;
    for (auto& f : functions())
      for (auto& d : options_of(f))
        if (d.short_name) m.emplace(d.short_name, d.name);
    return m;
  }();
  return names;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The closest candidate, if close enough to be a likely typo.
std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  if (word.size() > 64) return best;  // no typo of a name is that long (and the distance is quadratic)
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

// Throws a usage error naming the option when `value` does not fit its kind.
void check_value(const OptionDef& d, const std::string& value, const std::string& fname) {
  const std::string option = "--" + d.name;
  double x = 0;
  switch (d.kind) {
    case Kind::Integer: {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size())
        throw usage_error(option, "invalid value " + in_quotes(value) + ": expected an integer");
      if (d.name == "precision" && (n < 0 || n > 17))
        throw usage_error(option, "invalid value " + in_quotes(value) + ": expected 0 to 17 decimals");
      break;
    }
    case Kind::Number:
      if (!read::parse_number(value, x) || !std::isfinite(x))
        throw usage_error(option, "invalid value " + in_quotes(value) + ": expected a number");
      break;
    case Kind::Choice: {
      if (std::find(d.choices.begin(), d.choices.end(), value) != d.choices.end()) return;
      if (d.name == "reduction") {  // another function's reduction: say whose
        const FunctionSpec* self = find_function(fname);
        std::vector<std::string> takers;  // of this function's family
        const FunctionSpec* other = nullptr;  // of another family
        for (auto& f : functions())
          for (Reduction r : f.reductions)
            if (reduction_name(r) == value) {
              if (self && f.family == self->family) takers.emplace_back(f.name);
              else if (!other) other = &f;
            }
        const std::string takes = "; " + fname + " takes " + and_list(d.choices, " or ");
        if (!takers.empty())
          throw usage_error(option, value + " is not a valid value for reduction of " + fname +
                                        (takers.size() > 2 ? std::string()
                                                           : " (only " + and_list(takers, " and ") + " take" + (takers.size() == 1 ? "s" : "") + " it)") +
                                        takes);
        if (other)
          throw usage_error(option, value + " is a " + (other->family == Family::Keras ? std::string("Keras") : std::string(family_name(other->family))) +
                                        " reduction" + takes);
      }
      std::vector<std::string> known = d.choices;
      if (d.name == "reduction") {  // not a reduction at all: every name losscalc knows
        known.clear();
        for (Reduction r : kAllReductions) known.emplace_back(reduction_name(r));
      }
      throw usage_error(option, "invalid value " + in_quotes(value) + ": expected one of " + and_list(known, ", "));
    }
    case Kind::Flag:
    case Kind::Text:
      break;
  }
}

// A parameter's value against the range its row declares.
void check_range(const Param& p, const std::string& value) {
  if (p.type != ParamType::Number && p.type != ParamType::Integer) return;
  double x = 0;
  read::parse_number(value, x);
  const bool low = p.min_open ? x <= p.min : x < p.min;
  const bool high = p.max_open ? x >= p.max : x > p.max;
  if (!low && !high) return;
  std::string message(p.error);
  if (message.empty())
    message = "must be in " + std::string(p.min_open ? "(" : "[") + print::shortest(p.min) + ", " + print::shortest(p.max) +
              (p.max_open ? ")" : "]") + ", got {}";
  const auto at = message.find("{}");
  if (at != std::string::npos) message.replace(at, 2, print::shortest(x));
  throw usage_error("--" + std::string(p.name), message);
}

std::string joined(const std::vector<std::string_view>& names) {
  std::string s;
  for (auto n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

std::string function_help(const FunctionSpec& f, CLI::App& app) {
  std::string s = app.help();
  const std::string aliases = joined(f.aliases);
  s += "\nFamily: " + std::string(family_name(f.family)) + "." + (aliases.empty() ? "" : " Aliases: " + aliases + ".") + "\n";
  s += upper(f.args[0].name) + " holds " + std::string(f.args[0].holds) +
       ". Each data argument is inline JSON or compact text\n"
       "(\"0.1 0.2; 0.3 0.4\"), a file path (JSON, CSV, TSV), or - for stdin.\n";
  return s;
}

// A help-only CLI11 app: CLI11 lays the options out; losscalc parses them.
std::string help_text(const FunctionSpec* fn, const std::string& name, std::string_view summary,
                      const std::vector<OptionDef>& defs) {
  CLI::App app(std::string(summary), "losscalc " + name);
  app.set_help_flag("-h,--help", "print this help and exit");
  std::string text_sink;
  std::vector<std::string> files_sink;
  bool flag_sink = false;
  if (!fn) {
    app.add_option("FILE", files_sink, "files of --partial results, one JSON object a line (- or none: stdin)");
  } else {
    for (auto& a : fn->args)
      if (a.positional)
        app.add_option(upper(a.name), text_sink,
                       std::string(a.holds) + (&a == &fn->args[0] ? " (or -i)" : a.name == "target" ? " (or -t)" : " (or " + a.option() + ")"));
  }
  for (auto& d : defs) {
    std::string names = (d.short_name ? std::string("-") + d.short_name + ",--" : std::string("--")) + d.name;
    if (!d.alias.empty()) names += ",--" + d.alias;
    if (d.takes_value())
      app.add_option(names, text_sink, d.help)->type_name(d.kind == Kind::Integer ? "INT" : d.kind == Kind::Number ? "FLOAT" : "TEXT");
    else
      app.add_flag(names, flag_sink, d.help);
  }
  return fn ? function_help(*fn, app) : app.help();
}

struct Given {
  std::vector<std::optional<std::string>> value;  // per option: the last value ("true"/"false" for flags)
  std::vector<std::vector<std::string>> values;   // per option: every value (the column options)
  std::vector<std::string> positionals;
  bool help = false;
};

// Pass 1: every token classified by hand, so that option values may start
// with '-' (--ignore-index -100, --target -), names match exactly, and
// unknown or foreign options get a precise message.
Given read_tokens(const std::vector<std::string>& args, const std::string& fname, const FunctionSpec* fn,
                  const std::vector<OptionDef>& defs) {
  Given g;
  g.value.resize(defs.size());
  g.values.resize(defs.size());
  const auto not_taken = [&](const std::string& option) {
    const bool activation_target = option == "--target" && fn && !fn->takes_target();
    return usage_error(fname, fname + " does not take " + option + (activation_target ? " (it computes an activation of INPUT alone)" : ""));
  };
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      g.positionals.insert(g.positionals.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    std::size_t at = defs.size();
    std::string value;
    bool has_value = false, negated = false;
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (name == "help") {
        g.help = true;
        continue;
      }
      for (std::size_t k = 0; k < defs.size() && at == defs.size(); ++k)
        if (defs[k].name == name || (!defs[k].alias.empty() && defs[k].alias == name)) at = k;
      // --no-NAME turns a boolean parameter off.
      for (std::size_t k = 0; k < defs.size() && at == defs.size() && name.rfind("no-", 0) == 0; ++k)
        if (defs[k].feeds == Feeds::Param && defs[k].kind == Kind::Flag && defs[k].name == name.substr(3)) {
          at = k;
          negated = true;
        }
      if (at == defs.size()) {
        if (name == "full")  // the old name of --no-summary; torch's `full` belongs to the Poisson and Gaussian NLL losses
          throw usage_error(fname, fname + " does not take --full: --full is torch's full (the Stirling term) of poisson_nll_loss and "
                                           "gaussian_nll_loss; to print long tensors whole, use --no-summary");
        if (every_option_name().count(name)) throw not_taken("--" + name);
        std::vector<std::string> names;
        for (auto& d : defs) names.push_back("--" + d.name);
        const std::string hint = closest("--" + name, names);
        throw usage_error(fname, "unknown option " + in_quotes("--" + name) + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      }
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        has_value = true;
      }
    } else if (double number = 0; a.size() >= 2 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1])) && a[1] != '.' &&
                                 !read::parse_number(a, number)) {  // -inf, -Infinity, -nan are numbers, not options
      if (a == "-h") {
        g.help = true;
        continue;
      }
      for (std::size_t k = 0; k < defs.size() && at == defs.size(); ++k)
        if (defs[k].short_name == a[1]) at = k;
      const std::string shown = a.substr(0, 2);
      if (at == defs.size()) {
        const auto& shorts = every_short_name();
        if (auto it = shorts.find(a[1]); it != shorts.end()) throw not_taken("--" + it->second);
        throw usage_error(fname, "unknown option " + in_quotes(shown));
      }
      if (a.size() > 2) {
        if (!defs[at].takes_value()) throw usage_error(fname, "unknown option " + in_quotes(a));
        value = a.substr(a[2] == '=' ? 3 : 2);  // -rnone and -r=none
        has_value = true;
      }
    } else {
      g.positionals.push_back(a);  // a data argument, "-" (stdin) or a negative number (-1.5, -inf)
      continue;
    }
    const OptionDef& def = defs[at];
    if (def.takes_value() && !has_value) {
      if (i + 1 >= args.size()) throw usage_error("--" + def.name, "needs a value");
      value = args[++i];
      has_value = true;
    }
    if (!def.takes_value() && has_value) throw usage_error("--" + def.name, "takes no value");
    if (has_value) check_value(def, value, fname);
    if (!def.takes_value()) value = negated ? "false" : "true";
    g.value[at] = value;
    g.values[at].push_back(value);
  }
  return g;
}

std::optional<std::string> given_own(const Given& g, const std::vector<OptionDef>& defs, std::string_view name) {
  for (std::size_t k = 0; k < defs.size(); ++k)
    if (defs[k].feeds == Feeds::Own && defs[k].name == name) return g.value[k];
  return std::nullopt;
}

const std::vector<std::string>& all_values(const Given& g, const std::vector<OptionDef>& defs, std::string_view name) {
  static const std::vector<std::string> none;
  for (std::size_t k = 0; k < defs.size(); ++k)
    if (defs[k].feeds == Feeds::Own && defs[k].name == name) return g.values[k];
  return none;
}

// The output options every subcommand shares.
void read_output_options(const Given& g, const std::vector<OptionDef>& defs, OutputOptions& o) {
  const auto flag = [&](std::string_view n) { return given_own(g, defs, n).value_or("false") == "true"; };
  const auto format = given_own(g, defs, "format");
  o.format = flag("json") || format.value_or("text") == "json" ? Format::Json : format.value_or("") == "csv" ? Format::Csv : Format::Text;
  if (flag("json") && format && *format != "json") throw usage_error("--json", "conflicts with --format " + *format);
  o.quiet = flag("quiet");
  if (auto p = given_own(g, defs, "precision")) o.precision = std::stoi(*p);
  o.full = flag("no-summary");
  o.explain = flag("explain");
  o.warnings = !flag("no-warnings");
  o.partial = flag("partial");
}

// Column specs, comma-separated: each item a name, an index or a range.
void add_specs(const std::string& option, const std::string& value, std::vector<std::string>& out) {
  for (std::string& item : comma_items(value)) {
    if (item.empty()) throw usage_error(option, "invalid value " + in_quotes(value) + ": an empty column name");
    out.push_back(std::move(item));
  }
}

CommandLine parse_merge(const std::vector<std::string>& args) {
  CommandLine cl;
  const std::vector<OptionDef> defs = merge_options();
  const Given g = read_tokens(args, "merge", nullptr, defs);
  if (g.help) {
    cl.done = true;
    cl.text = help_text(nullptr, "merge", find_tool("merge")->summary, defs);
    return cl;
  }
  Request& rq = cl.request;
  rq.function = "merge";
  read_output_options(g, defs, rq.output);
  rq.merge_files = g.positionals;
  if (g.value[0]) rq.merge_files.insert(rq.merge_files.begin(), *g.value[0]);
  if (std::count(rq.merge_files.begin(), rq.merge_files.end(), "-") > 1)
    throw usage_error("merge", "standard input ('-') may be given once");
  return cl;
}

CommandLine parse_discovery(const ToolSpec& tool, const std::vector<std::string>& args) {
  CommandLine cl;
  cl.done = true;
  const std::string name(tool.name);
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end() || std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
    cl.text = "losscalc " + name + ": " + std::string(tool.summary) + "\nUsage: losscalc " + name + " " + std::string(tool.usage) + "\n";
    return cl;
  }
  if (tool.kind == ToolKind::Functions) {
    if (rest.size() > 1 || (rest.size() == 1 && rest[0] != "--json"))
      throw usage_error("functions", "unexpected argument " + in_quotes(rest.back()) + " (functions takes --json alone)");
    cl.text = rest.empty() ? functions_text() : functions_json();
    return cl;
  }
  if (rest.size() != 1) throw usage_error("completion", "expected one shell: bash, zsh or fish");
  cl.text = completion_script(rest[0]);
  return cl;
}

}  // namespace

std::vector<std::string> all_option_names() {
  std::vector<std::string> names{"--help", "--version"};
  for (auto& n : every_option_name()) names.push_back("--" + n);
  return names;
}

// Every option of a function, for completion: long names (and --no-NAME of
// boolean parameters), and the choices of those that have them.
std::vector<CompletionOption> completion_options(const FunctionSpec& fn) {
  std::vector<CompletionOption> out;
  for (auto& d : options_of(fn)) {
    out.push_back({"--" + d.name, d.choices, d.takes_value()});
    if (!d.alias.empty()) out.push_back({"--" + d.alias, d.choices, d.takes_value()});
    if (d.short_name) out.push_back({std::string("-") + d.short_name, d.choices, d.takes_value()});
    if (d.feeds == Feeds::Param && d.kind == Kind::Flag) out.push_back({"--no-" + d.name, {}, false});
  }
  return out;
}

std::string general_help() {
  std::string s =
      "losscalc " LOSSCALC_VERSION
      ": the loss functions of PyTorch, tf.nn and Keras, computed\n"
      "exactly as each framework does, with the intermediates and the gradient.\n\n"
      "Usage: losscalc FUNCTION [OPTIONS] [INPUT [TARGET]]\n"
      "       losscalc FUNCTION --help    the options of one function\n"
      "       losscalc --version\n\nFunctions:\n";
  const auto entry = [&s](std::string_view name, std::string_view summary, const std::string& tail) {
    std::string head = "  " + std::string(name);
    head += std::string(head.size() < 18 ? 18 - head.size() : 1, ' ');
    s += head + std::string(summary) + "\n" + std::string(18, ' ') + "[" + tail + "]\n";
  };
  for (Family fam : {Family::Torch, Family::TfNn, Family::Keras, Family::Optax, Family::Sklearn})
    for (auto& f : functions()) {
      if (f.family != fam) continue;
      std::vector<std::string_view> shown;  // the short aliases; qualified names are in `losscalc functions`
      for (auto a : f.aliases)
        if (a.find('.') == std::string_view::npos) shown.push_back(a);
      const std::string aliases = joined(shown);
      entry(f.name, f.summary, std::string(family_name(f.family)) + (aliases.empty() ? "" : "; also: " + aliases));
    }
  s += "\nTools:\n";
  for (auto& t : tools()) entry(t.name, t.summary, "losscalc" + (t.aliases.empty() ? std::string() : "; also: " + joined(t.aliases)));
  s +=
      "\nData arguments (INPUT, TARGET, --weight): inline JSON such as '[[0.1,0.2],[0.3,0.4]]',\n"
      "compact text '0.1 0.2; 0.3 0.4', a tensor pasted as Python printed it, a file (JSON,\n"
      "CSV, TSV, JSON Lines, .npy, .npz, safetensors, torch.save's .pt, losscalc --json output),\n"
      "or - for stdin; PATH:KEY picks one array out of a .npz, safetensors, .pt or JSON object file.\n"
      "INPUT may be a JSON object {\"input\": ..., \"target\": ..., \"weight\": ...} (or a .npz\n"
      "of such names). JSON Lines hold {\"input\": [...], \"target\": ...} a line, or records as\n"
      "pandas writes them (to_json(orient='records', lines=True)), whose keys are columns as\n"
      "CSV's are. Row data (CSV with --target-column, JSON Lines, .npy, .npz and safetensors\n"
      "arrays) is streamed in bounded memory, and a large\n"
      "stream uses two threads (LOSSCALC_THREADS=1: one).\n\n"
      "Output: text for people (default), --json, --format csv, -q for the number alone.\n"
      "Exit status: 0 success, 1 bad data, 2 bad usage.\n\n"
      "Example:\n  losscalc cross_entropy '[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]' '[2,3]'\n\n"
      "See man losscalc for every option and output key; losscalc functions for the whole table.\n";
  return s;
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine cl;
  if (args.empty()) throw usage_error("", "missing FUNCTION; 'losscalc --help' lists the functions");
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || first == "help") {
    cl.done = true;
    cl.text = general_help();
    return cl;
  }
  if (first == "--version" || first == "-V") {
    cl.done = true;
    cl.text = "losscalc " LOSSCALC_VERSION "\n";
    return cl;
  }
  const ToolSpec* tool = find_tool(first);
  if (tool && tool->kind == ToolKind::Merge) return parse_merge(args);
  if (tool && (tool->kind == ToolKind::Functions || tool->kind == ToolKind::Completion)) return parse_discovery(*tool, args);
  // expect VALUE [OPTIONS] DATA...: VALUE first (it may be negative).
  std::vector<std::string> rest;
  std::string expect_value;
  if (tool && tool->kind == ToolKind::Expect && args.size() > 1 && args[1] != "--help" && args[1] != "-h") {
    expect_value = args[1];
    if (!value_text(expect_value))
      throw usage_error("expect", "VALUE " + in_quotes(expect_value) + " is not a number (expected such as 1.2340 or tensor(1.2340))");
    rest = args;
    rest.erase(rest.begin() + 1);
  } else if (tool && tool->kind == ToolKind::Expect && args.size() == 1) {
    throw usage_error("expect", "missing VALUE: losscalc expect VALUE INPUT TARGET");
  }
  const std::vector<std::string>& words = rest.empty() ? args : rest;
  const FunctionSpec* fn = !tool ? find_function(first) : tool->kind == ToolKind::Expect ? &expect_spec() : &compare_spec();
  if (!fn) {
    if (const auto both = ambiguous_name(first); !both.empty()) {
      std::vector<std::string> quoted;
      for (auto q : both) quoted.push_back(in_quotes(std::string(q)));
      throw usage_error("", in_quotes(first) + " is ambiguous: " + and_list(quoted) + " share it; name one of them");
    }
    std::vector<std::string> names;
    for (auto& f : functions()) {
      names.emplace_back(f.name);
      for (auto a : f.aliases) names.emplace_back(a);
    }
    for (auto& t : tools()) names.emplace_back(t.name);
    std::string hint = closest(first, names);
    if (first.rfind("-", 0) == 0)
      throw usage_error("", "expected a FUNCTION before the options, found " + in_quotes(first) + "; 'losscalc --help' lists the functions");
    throw usage_error("", "unknown function " + in_quotes(first) + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                              " ('losscalc --help' lists the functions)");
  }
  const std::string fname(fn->name);
  const std::vector<OptionDef> defs = options_of(*fn);
  const Given g = read_tokens(words, fname, fn, defs);
  if (g.help) {
    cl.done = true;
    cl.text = help_text(fn, fname, fn->summary, defs);
    return cl;
  }
  Request& rq = cl.request;
  rq.function = fname;
  rq.expect_value = expect_value;

  // Data arguments: options, then the positionals fill, in order, the
  // positional ones not given as options.
  std::vector<std::optional<std::string>> spec(fn->args.size());
  for (std::size_t k = 0; k < defs.size(); ++k)
    if (defs[k].feeds == Feeds::Data && g.value[k]) spec[defs[k].index] = g.value[k];
  std::vector<std::size_t> free;
  std::vector<std::string> positional_names;
  for (std::size_t i = 0; i < fn->args.size(); ++i)
    if (fn->args[i].positional) {
      positional_names.push_back(upper(fn->args[i].name));
      if (!spec[i]) free.push_back(i);
    }
  if (g.positionals.size() > free.size()) {
    std::size_t place = 0;
    for (std::size_t i = 0; i < fn->args.size(); ++i) {
      if (!fn->args[i].positional) continue;
      if (spec[i] && place < g.positionals.size())
        throw usage_error(std::string(fn->args[i].name), "given twice: as " + upper(fn->args[i].name) + " and as " + fn->args[i].option());
      ++place;
    }
    throw usage_error(fname, "unexpected argument " + in_quotes(g.positionals[free.size()]) +
                                 (positional_names.size() == 1 ? " (" + fname + " takes INPUT alone, no TARGET)"
                                                               : " (expected at most " + and_list(positional_names) + ")"));
  }
  for (std::size_t k = 0; k < g.positionals.size(); ++k) spec[free[k]] = g.positionals[k];
  for (std::size_t i = 0; i < fn->args.size(); ++i) {
    if (!spec[i]) continue;
    Source src{std::string(fn->args[i].name), *spec[i]};
    const std::string_view n = fn->args[i].name;
    if (i == 0) rq.input = std::move(src);
    else if (n == "target") rq.target = std::move(src);
    else if (n == "weight") rq.weight = std::move(src);
    else if (n == "pos_weight") rq.pos_weight = std::move(src);
    else rq.more.push_back(std::move(src));
  }

  // The reduction and the parameters: the given value, else the row's default.
  Settings& s = rq.settings;
  for (std::size_t k = 0; k < defs.size(); ++k) {
    if (defs[k].name == "reduction" && g.value[k]) {
      for (Reduction r : fn->reductions)
        if (reduction_name(r) == *g.value[k]) s.reduction = r;
    }
    if (defs[k].feeds != Feeds::Param) continue;
    const Param& p = fn->params[defs[k].index];
    const std::string value = g.value[k] ? *g.value[k] : std::string(p.default_value);
    if (!value.empty() && g.value[k]) check_range(p, value);
    apply_param(s, p, value);
  }
  if (auto d = given_own(g, defs, "dtype"))
    s.dtype = *d == "float32" ? DType::Float32 : *d == "bfloat16" ? DType::BFloat16 : *d == "float16" ? DType::Float16 : DType::Float64;
  if (auto a = given_own(g, defs, "amp")) {
    if (given_own(g, defs, "dtype"))
      throw usage_error("--amp", "computes in float32 as autocast does; it does not combine with --dtype");
    s.amp = *a == "bfloat16" ? Amp::BFloat16 : Amp::Float16;
    s.dtype = DType::Float32;  // (streamed sums combine as a float32 run's)
  }
  read_output_options(g, defs, rq.output);
  if ((is_half(s.dtype) || s.amp != Amp::Off) && rq.output.explain) {
    const std::string h = ops::dtype_name(s.amp != Amp::Off ? amp_dtype(s.amp) : s.dtype);
    throw usage_error("--explain", "walks through the steps on the data as given, not " + h + "'s rounded ones; drop " +
                                       (s.amp != Amp::Off ? "--amp" : "--dtype") + " to see them, or compare --dtype " + h +
                                       " for the precisions side by side");
  }
  if (s.amp != Amp::Off && rq.output.partial)
    throw usage_error("--amp", "does not combine with --partial: the partial record does not carry it, so merge could not tell such shards from float32 ones");

  for (const std::string& v : all_values(g, defs, "target-column")) add_specs("--target-column", v, rq.rows.target_columns);
  for (const std::string& v : all_values(g, defs, "column")) {
    const std::size_t eq = v.find('=');
    const std::string name = v.substr(0, std::min(eq, v.size()));
    if (eq == std::string::npos || eq + 1 == v.size())
      throw usage_error("--column", "invalid value " + in_quotes(v) + ": expected NAME=SPEC, such as input=0:9 or target=label");
    const DataArg* a = name == "input" ? &fn->args[0] : fn->arg(name);
    if (!a || !a->per_row) {
      std::vector<std::string> row_names;
      for (auto* r : fn->row_args()) row_names.emplace_back(r->name);
      throw usage_error("--column", fname + " has no data argument " + in_quotes(name) + " in rows (its row data arguments: " +
                                        joined(std::vector<std::string_view>(row_names.begin(), row_names.end())) + ")");
    }
    if (a == &fn->args[0]) {
      add_specs("--column", v.substr(eq + 1), rq.rows.input_columns);
    } else if (a->name == "target") {
      add_specs("--column", v.substr(eq + 1), rq.rows.target_columns);
    } else {
      auto it = std::find_if(rq.rows.more_columns.begin(), rq.rows.more_columns.end(), [&](auto& m) { return m.first == a->name; });
      if (it == rq.rows.more_columns.end()) it = rq.rows.more_columns.insert(rq.rows.more_columns.end(), {std::string(a->name), {}});
      add_specs("--column", v.substr(eq + 1), it->second);
    }
  }
  // The table's order, whatever the order of the options.
  std::stable_sort(rq.rows.more_columns.begin(), rq.rows.more_columns.end(), [fn](auto& a, auto& b) { return fn->arg(a.first) < fn->arg(b.first); });
  for (const std::string& v : all_values(g, defs, "ignore-column")) add_specs("--ignore-column", v, rq.rows.ignore_columns);
  if (!rq.rows.target_columns.empty() && rq.target)
    throw usage_error("--target-column", "the target is given twice: as a column of INPUT and as TARGET");
  for (auto& [name, specs] : rq.rows.more_columns)
    for (auto& m : rq.more)
      if (m.name == name) throw usage_error("--column", "the " + name + " is given twice: as columns of INPUT and as " + upper(name));
  if (auto h = given_own(g, defs, "header")) rq.rows.header = (*h)[0];
  if (auto d = given_own(g, defs, "delimiter")) {
    rq.rows.delimiter = *d == "," ? ',' : (*d == "tab" || *d == "\\t" || *d == "\t") ? '\t' : *d == ";" ? ';' : *d == "|" ? '|'
                      : (*d == "space" || *d == " ") ? ' ' : '\0';
    if (!rq.rows.delimiter) throw usage_error("--delimiter", "invalid value " + in_quotes(*d) + ": expected , tab ; | or space");
  }
  if (auto e = given_own(g, defs, "explain-samples")) {
    const std::string& list = *e;
    if (!rq.output.explain) throw usage_error("--explain-samples", "goes with --explain");
    for (const std::string& item : comma_items(list)) {
      std::int64_t v = -1;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || ec != std::errc() || end != item.data() + item.size() || v < 0)
        throw usage_error("--explain-samples", "invalid value " + in_quotes(list) + ": expected sample indices such as 0,5,7");
      rq.output.explain_samples.push_back(v);
    }
  }
  const auto each_source = [&rq](auto&& f) {
    for (auto* src : {&rq.input, &rq.target, &rq.weight, &rq.pos_weight})
      if (*src) f(**src);
    for (auto& m : rq.more) f(m);
  };
  each_source([&rq](Source& src) {
    src.header = rq.rows.header;
    src.delimiter = rq.rows.delimiter;
  });
  if (rq.input) {  // the columns are INPUT's, and an object there may hold every data argument
    rq.input->input_columns = rq.rows.input_columns;
    rq.input->ignore_columns = rq.rows.ignore_columns;
    for (auto& a : fn->args)
      if (&a == &fn->args[0]) {
        if (a.name != "input") rq.input->input_name = a.name;
      } else if (a.name == "target") {
        rq.input->target_name = a.alias;
      } else if (a.name != "weight" && a.name != "pos_weight") {
        rq.input->keys.emplace_back(a.name);
      }
  }
  if (rq.output.explain && rq.output.quiet) throw usage_error("--explain", "shows every step; it does not combine with -q");
  if (rq.output.partial && rq.output.explain) throw usage_error("--partial", "prints the mergeable sums; it does not combine with --explain");
  // --partial needs a reduced loss: checked here once, for every path (streamed or not).
  if (rq.output.partial && s.reduction && *s.reduction == Reduction::None)
    throw usage_error("--partial", "needs a reduced loss (mean or sum), not -r none");
  const auto text_is = [&s](const char* key, const char* value) {
    auto it = s.param_text.find(key);
    return it != s.param_text.end() && it->second == value;
  };
  if (rq.output.partial && (text_is("multioutput", "raw_values") || text_is("squared", "false")))
    throw usage_error("--partial", "needs a mean of the elements: --multioutput raw_values and --no-squared are not mergeable");
  if (rq.output.partial && !s.reduction && fn->default_reduction == Reduction::None)
    throw usage_error("--partial", "needs a reduced loss (mean or sum); " + fname + " defaults to none: pass -r mean or -r sum");
  if (rq.output.explain && rq.output.format == Format::Csv) throw usage_error("--explain", "needs text or json output, not csv");
  return cl;
}

}  // namespace losscalc
