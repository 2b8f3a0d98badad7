#include "cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "error.h"
#include "print/number.h"
#include "read/text.h"
#include "registry.h"

namespace losscalc {

namespace {

// Pseudo option bits for arguments every function or every loss takes.
constexpr unsigned kAll = 0;
constexpr unsigned kTarget = 1u << 30;
constexpr unsigned kPartialMerge = 1u << 29;  // merge takes --partial too

// What an option's value must be; checked before CLI11 sees it, so that the
// message names the option and the value.
enum class Kind { Flag, Text, Integer, Number, Choice };

struct OptionDef {
  std::string_view name;  // long name without "--"
  char short_name;        // 0 if none
  std::string_view alias;  // another long name, or ""
  unsigned bit;
  Kind kind;
  std::string_view help;
  std::vector<std::string_view> choices = {};
  bool takes_value() const { return kind != Kind::Flag; }
};

const std::vector<OptionDef>& option_defs() {
  static const std::vector<OptionDef> defs = {
      {"input", 'i', "", kAll, Kind::Text, "INPUT given as an option"},
      {"target", 't', "", kTarget, Kind::Text, "TARGET given as an option"},
      {"weight", 'w', "", kWeight, Kind::Text, "torch weight: per class (length C), or broadcast to INPUT for BCE"},
      {"pos-weight", 0, "", kPosWeight, Kind::Text, "weight of positive examples (torch / tf pos_weight), broadcast to INPUT"},
      {"reduction", 'r', "", kReduction, Kind::Choice,
       "mean, sum or none (keras also sum_over_batch_size); default: torch mean, tf.nn none, keras sum_over_batch_size",
       {"mean", "sum", "none", "sum_over_batch_size"}},
      {"ignore-index", 0, "", kIgnoreIndex, Kind::Integer, "target value to ignore: torch ignore_index (default -100), keras ignore_class (default none)"},
      {"label-smoothing", 0, "", kLabelSmoothing, Kind::Number, "label smoothing in [0, 1] (default 0)"},
      {"dim", 0, "axis", kDim, Kind::Integer, "class dimension, negative counts from the end (torch: 1, or 0 for 1-D input; tf.nn, keras: -1)"},
      {"target-type", 0, "", kTargetType, Kind::Choice,
       "how to read TARGET: auto, index or prob (auto: class probabilities when TARGET has INPUT's shape; nll_loss takes indices only)", {"auto", "index", "prob"}},
      {"from-logits", 0, "", kFromLogits, Kind::Flag, "keras: INPUT holds logits, not probabilities"},
      {"epsilon", 0, "", kEpsilon, Kind::Number, "keras: clipping epsilon, in [0, 0.5) (default 1e-7)"},
      {"input-kind", 0, "", kInputKind, Kind::Choice,
       "compare: what INPUT holds: auto, logits or probs (auto: probs when rows are distributions)",
       {"auto", "logits", "probs"}},
      {"target-column", 0, "", kRows, Kind::Text,
       "row data: the target is this column of INPUT (a header name or an index, negative from the end); "
       "several, comma-separated, for soft targets; a:b is a range, both ends included (same as --column target=SPEC)"},
      {"column", 0, "", kRows, Kind::Text,
       "row data: NAME=SPEC, the columns of data argument NAME (input or target): header names or indices, comma-separated, "
       "a:b a range; with input=, columns not named are left out"},
      {"ignore-column", 0, "", kRows, Kind::Text,
       "row data: leave these columns out (an id, a file name): header names or indices, comma-separated, a:b a range"},
      {"header", 0, "", kRows, Kind::Choice, "row data: is the first line a header? auto (default), yes or no",
       {"auto", "yes", "no"}},
      {"delimiter", 0, "", kRows, Kind::Text, "row data: the cell delimiter: , tab ; | or space (default: detected)"},
      {"partial", 0, "", kRows | kPartialMerge, Kind::Flag,
       "print the mergeable sums (loss_sum, denominator, count) as one JSON line, for merge"},
      {"dtype", 0, "", kAll, Kind::Choice, "float64 (default) or float32 (computes as torch float32 does)", {"float64", "float32"}},
      {"format", 'f', "", kAll, Kind::Choice, "text (default), json or csv", {"text", "json", "csv"}},
      {"json", 0, "", kAll, Kind::Flag, "same as --format json"},
      {"quiet", 'q', "", kAll, Kind::Flag, "print the loss (or the activation) alone, every digit (round-trip)"},
      {"precision", 0, "", kAll, Kind::Integer, "decimals in text output, 0 to 17 (default 4; -q default: exact)"},
      {"no-summary", 0, "", kAll, Kind::Flag, "print long tensors whole instead of summarising them (was --full)"},
      {"explain", 0, "", kAll, Kind::Flag, "show the calculation step by step, with the numbers (text or json)"},
      {"explain-samples", 0, "", kAll, Kind::Text, "with --explain: which samples, e.g. 0,5,7 (default: the first 3)"},
      {"no-warnings", 0, "", kAll, Kind::Flag, "do not warn on stderr about likely mistakes in the data, nor note what was guessed (a pandas index left out)"},
  };
  return defs;
}

unsigned accepted_bits(const FunctionSpec& f) {
  const bool loss = f.takes_target && f.family != Family::Tool;
  return f.options | (f.takes_target ? kTarget : 0u) | (loss ? kRows : 0u) | (f.name == "merge" ? kPartialMerge : 0u);
}

bool accepts(const FunctionSpec& f, const OptionDef& d) {
  if (f.name == "merge")  // it reads partial results: only output options apply
    return d.name == "input" || d.name == "format" || d.name == "json" || d.name == "quiet" || d.name == "precision" ||
           d.name == "partial";
  return d.bit == kAll || (accepted_bits(f) & d.bit);
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
void check_value(const OptionDef& d, const std::string& value) {
  const std::string option = "--" + std::string(d.name);
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
      std::string list;
      for (auto c : d.choices) {
        if (c == value) return;
        list += (list.empty() ? "" : ", ") + std::string(c);
      }
      throw usage_error(option, "invalid value " + in_quotes(value) + ": expected one of " + list);
    }
    case Kind::Flag:
    case Kind::Text:
      break;
  }
}

const OptionDef* find_long(std::string_view name) {
  for (auto& d : option_defs())
    if (d.name == name || (!d.alias.empty() && d.alias == name)) return &d;
  return nullptr;
}

const OptionDef* find_short(char c) {
  for (auto& d : option_defs())
    if (d.short_name == c) return &d;
  return nullptr;
}

// What TARGET holds for a function, for its --help.
std::string function_help(const FunctionSpec& f, CLI::App& app) {
  std::string s = app.help();
  std::string aliases;
  for (auto a : f.aliases) aliases += (aliases.empty() ? "" : ", ") + std::string(a);
  s += "\nFamily: " + std::string(family_name(f.family)) + "." + (aliases.empty() ? "" : " Aliases: " + aliases + ".") + "\n";
  s += "INPUT holds " + std::string(f.input_is) + ". Each data argument is inline JSON or compact text\n"
       "(\"0.1 0.2; 0.3 0.4\"), a file path (JSON, CSV, TSV), or - for stdin.\n";
  return s;
}

}  // namespace

std::vector<std::string> all_option_names() {
  std::vector<std::string> names{"--help", "--version"};
  for (auto& d : option_defs()) {
    names.push_back("--" + std::string(d.name));
    if (!d.alias.empty()) names.push_back("--" + std::string(d.alias));
  }
  return names;
}

std::string general_help() {
  std::string s =
      "losscalc " LOSSCALC_VERSION
      ": the loss functions of PyTorch, tf.nn and Keras, computed\n"
      "exactly as each framework does, with the intermediates and the gradient.\n\n"
      "Usage: losscalc FUNCTION [OPTIONS] [INPUT [TARGET]]\n"
      "       losscalc FUNCTION --help    the options of one function\n"
      "       losscalc --version\n\nFunctions:\n";
  for (auto& f : functions()) {
    std::string aliases;
    for (auto a : f.aliases) aliases += (aliases.empty() ? "" : ", ") + std::string(a);
    std::string head = "  " + std::string(f.name);
    head += std::string(head.size() < 18 ? 18 - head.size() : 1, ' ');
    s += head + std::string(f.summary) + "\n" + std::string(18, ' ') + "[" + std::string(family_name(f.family)) +
         (aliases.empty() ? "" : "; also: " + aliases) + "]\n";
  }
  s +=
      "\nData arguments (INPUT, TARGET, --weight): inline JSON such as '[[0.1,0.2],[0.3,0.4]]',\n"
      "compact text '0.1 0.2; 0.3 0.4', a file (JSON, CSV, TSV, JSON Lines, .npy), or - for stdin.\n"
      "INPUT may be a JSON object {\"input\": ..., \"target\": ..., \"weight\": ...}. Row data\n"
      "(CSV with --target-column, JSON Lines, .npy) is streamed in bounded memory, and a large\n"
      "stream uses two threads (LOSSCALC_THREADS=1: one).\n\n"
      "Output: text for people (default), --json, --format csv, -q for the number alone.\n"
      "Exit status: 0 success, 1 bad data, 2 bad usage.\n\n"
      "Example:\n  losscalc cross_entropy '[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]' '[2,3]'\n\n"
      "See man losscalc for every option and output key.\n";
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
  const FunctionSpec* fn = find_function(first);
  if (!fn) {
    std::vector<std::string> names;
    for (auto& f : functions()) {
      names.emplace_back(f.name);
      for (auto a : f.aliases) names.emplace_back(a);
    }
    std::string hint = closest(first, names);
    if (first.rfind("-", 0) == 0)
      throw usage_error("", "expected a FUNCTION before the options, found " + in_quotes(first) + "; 'losscalc --help' lists the functions");
    throw usage_error("", "unknown function " + in_quotes(first) + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                              " ('losscalc --help' lists the functions)");
  }
  const std::string fname(fn->name);

  // Pass 1: classify every token ourselves, so that option values may start
  // with '-' (--ignore-index -100, --target -), names match exactly, and
  // unknown or foreign options get a precise message. CLI11 then gets a
  // normalized list: --name=value, flags, "--", positionals.
  std::vector<std::string> normalized, positionals;
  bool help = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positionals.insert(positionals.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    const OptionDef* def = nullptr;
    std::string value;
    bool has_value = false;
    std::string shown = a;
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      shown = "--" + name;
      if (name == "help") {
        help = true;
        continue;
      }
      def = find_long(name);
      if (!def && name == "full")  // the old name of --no-summary; torch's `full` belongs to the Poisson and Gaussian NLL losses
        throw usage_error(fname, fname + " does not take --full: --full is torch's full (the Stirling term) of poisson_nll_loss and "
                                         "gaussian_nll_loss; to print long tensors whole, use --no-summary");
      if (!def) {
        std::vector<std::string> names;
        for (auto& d : option_defs())
          if (accepts(*fn, d)) names.push_back("--" + std::string(d.name));
        std::string hint = closest(shown, names);
        throw usage_error(fname, "unknown option " + in_quotes(shown) + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      }
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        has_value = true;
      }
    } else if (double number = 0; a.size() >= 2 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1])) && a[1] != '.' &&
                                 !read::parse_number(a, number)) {  // -inf, -Infinity, -nan are numbers, not options
      if (a == "-h") {
        help = true;
        continue;
      }
      def = find_short(a[1]);
      shown = a.substr(0, 2);
      if (!def) throw usage_error(fname, "unknown option " + in_quotes(shown));
      if (a.size() > 2) {
        if (!def->takes_value()) throw usage_error(fname, "unknown option " + in_quotes(a));
        value = a.substr(a[2] == '=' ? 3 : 2);  // -rnone and -r=none
        has_value = true;
      }
    } else {
      positionals.push_back(a);  // INPUT / TARGET, "-" (stdin) or a negative number (-1.5, -inf)
      continue;
    }
    if (!accepts(*fn, *def)) {
      std::string why = def->bit == kTarget ? " (it computes an activation of INPUT alone)" : "";
      throw usage_error(fname, fname + " does not take --" + std::string(def->name) + why);
    }
    if (def->takes_value() && !has_value) {
      if (i + 1 >= args.size()) throw usage_error("--" + std::string(def->name), "needs a value");
      value = args[++i];
      has_value = true;
    }
    if (!def->takes_value() && has_value) throw usage_error("--" + std::string(def->name), "takes no value");
    if (has_value) check_value(*def, value);
    normalized.push_back("--" + std::string(def->name) + (def->takes_value() ? "=" + value : ""));
  }

  // Pass 2: CLI11 converts and validates values and writes the help.
  Request& rq = cl.request;
  rq.function = fname;
  CLI::App app(std::string(fn->summary), "losscalc " + fname);
  app.set_help_flag("-h,--help", "print this help and exit");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // -r sum -r none: the last wins
  std::vector<std::string> target_columns, columns, ignore_columns;
  std::string header = "auto", delimiter, explain_samples, input_kind = "auto", input, target, weight, pos_weight, reduction, target_type = "auto", dtype = "float64", format = "text";
  std::string help_input, help_target;
  bool json_flag = false, no_warnings = false;
  std::int64_t ignore_index = 0, dim = 0;
  double label_smoothing = 0, epsilon = 1e-7;
  int precision = 4;
  std::vector<std::string> help_files;
  if (fn->name == "merge")
    app.add_option("FILE", help_files, std::string(fn->input_is));
  else
    app.add_option("INPUT", help_input, std::string(fn->input_is) + " (or -i)");
  if (fn->takes_target) app.add_option("TARGET", help_target, std::string(fn->target_is) + " (or -t)");
  for (auto& d : option_defs()) {
    if (!accepts(*fn, d)) continue;
    std::string names = (d.short_name ? std::string("-") + d.short_name + ",--" : std::string("--")) + std::string(d.name);
    if (!d.alias.empty()) names += ",--" + std::string(d.alias);
    const std::string help_text(d.help);
    const std::string n(d.name);
    if (n == "input") app.add_option(names, input, help_text);
    else if (n == "target") app.add_option(names, target, help_text);
    else if (n == "weight") app.add_option(names, weight, help_text);
    else if (n == "pos-weight") app.add_option(names, pos_weight, help_text);
    else if (n == "reduction") app.add_option(names, reduction, help_text);
    else if (n == "ignore-index") app.add_option(names, ignore_index, help_text);
    else if (n == "label-smoothing") app.add_option(names, label_smoothing, help_text);
    else if (n == "dim") app.add_option(names, dim, help_text);
    else if (n == "target-type") app.add_option(names, target_type, help_text)->check(CLI::IsMember({"auto", "index", "prob"}));
    else if (n == "dtype") app.add_option(names, dtype, help_text)->check(CLI::IsMember({"float64", "float32"}));
    else if (n == "format") app.add_option(names, format, help_text)->check(CLI::IsMember({"text", "json", "csv"}));
    else if (n == "json") app.add_flag(names, json_flag, help_text);
    else if (n == "quiet") app.add_flag(names, rq.output.quiet, help_text);
    else if (n == "precision") app.add_option(names, precision, help_text);
    else if (n == "no-summary") app.add_flag(names, rq.output.full, help_text);
    else if (n == "from-logits") app.add_flag(names, rq.settings.from_logits, help_text);
    else if (n == "epsilon") app.add_option(names, epsilon, help_text);
    else if (n == "input-kind") app.add_option(names, input_kind, help_text);
    else if (n == "explain") app.add_flag(names, rq.output.explain, help_text);
    else if (n == "explain-samples") app.add_option(names, explain_samples, help_text);
    else if (n == "no-warnings") app.add_flag(names, no_warnings, help_text);
    else if (n == "target-column")  // given again, its columns add up (soft targets), unlike other options
      app.add_option(names, target_columns, help_text)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    else if (n == "column") app.add_option(names, columns, help_text)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    else if (n == "ignore-column")
      app.add_option(names, ignore_columns, help_text)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    else if (n == "header") app.add_option(names, header, help_text);
    else if (n == "delimiter") app.add_option(names, delimiter, help_text);
    else if (n == "partial") app.add_flag(names, rq.output.partial, help_text);
  }
  if (help) {
    cl.done = true;
    cl.text = function_help(*fn, app);
    return cl;
  }
  // merge takes any number of files (none: standard input).
  const std::size_t max_pos = fn->name == "merge" ? positionals.size() : fn->takes_target ? 2 : 1;
  if (positionals.size() > max_pos)
    throw usage_error(fname, "unexpected argument " + in_quotes(positionals[max_pos]) +
                                 (fn->takes_target ? " (expected at most INPUT and TARGET)" : " (" + fname + " takes INPUT alone, no TARGET)"));
  // Positionals stay out of CLI11 (it would split or re-read them); the
  // INPUT option above only documents them in the help.
  const std::vector<std::string>& pos = positionals;
  std::vector<std::string> argv = normalized;
  std::reverse(argv.begin(), argv.end());  // CLI11's vector overload reads from the back
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    throw usage_error(fname, e.what());
  }

  auto given = [&](const char* name) {
    const CLI::Option* o = app.get_option_no_throw(std::string("--") + name);
    return o && o->count() > 0;
  };
  auto source = [](const char* name, std::string spec) { return Source{name, std::move(spec)}; };
  if (!pos.empty() && given("input")) throw usage_error("input", "given twice: as INPUT and as --input");
  if (pos.size() > 1 && given("target")) throw usage_error("target", "given twice: as TARGET and as --target");
  if (given("input")) rq.input = source("input", input);
  else if (!pos.empty()) rq.input = source("input", pos[0]);
  if (given("target")) rq.target = source("target", target);
  else if (pos.size() > 1) rq.target = source("target", pos[1]);
  if (fn->name == "merge") {
    rq.merge_files = pos;
    if (given("input")) rq.merge_files.insert(rq.merge_files.begin(), input);
    if (std::count(rq.merge_files.begin(), rq.merge_files.end(), "-") > 1)
      throw usage_error("merge", "standard input ('-') may be given once");
  }
  if (given("weight")) rq.weight = source("weight", weight);
  if (given("pos-weight")) rq.pos_weight = source("pos_weight", pos_weight);

  Settings& s = rq.settings;
  if (given("reduction")) {
    if (reduction == "sum_over_batch_size" && fn->family != Family::Keras)
      throw usage_error("--reduction", "sum_over_batch_size is a Keras reduction; " + fname + " takes mean, sum or none");
    s.reduction = reduction == "sum"                   ? Reduction::Sum
                  : reduction == "none"                ? Reduction::None
                  : reduction == "sum_over_batch_size" ? Reduction::SumOverBatchSize
                                                       : Reduction::Mean;
  }
  s.input_kind = input_kind == "logits" ? InputKind::Logits : input_kind == "probs" ? InputKind::Probabilities : InputKind::Auto;
  if (given("epsilon")) {
    if (!(epsilon >= 0 && epsilon < 0.5))
      throw usage_error("--epsilon", "must be in [0, 0.5), got " + print::shortest(epsilon));
    s.epsilon = epsilon;
  }
  if (given("ignore-index")) s.ignore_index = ignore_index;
  if (given("label-smoothing")) {
    if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
      throw usage_error("--label-smoothing", "label_smoothing must be between 0.0 and 1.0. Got: " + print::shortest(label_smoothing));
    s.label_smoothing = label_smoothing;
  }
  if (given("dim")) s.dim = dim;
  s.target_type = target_type == "index" ? TargetType::Index : target_type == "prob" ? TargetType::Prob : TargetType::Auto;
  s.dtype = dtype == "float32" ? DType::Float32 : DType::Float64;
  rq.output.format = json_flag ? Format::Json : format == "json" ? Format::Json : format == "csv" ? Format::Csv : Format::Text;
  if (json_flag && given("format") && format != "json")
    throw usage_error("--json", "conflicts with --format " + format);
  if (given("precision")) rq.output.precision = precision;
  rq.output.warnings = !no_warnings;
  // Column specs, comma-separated: each item a name, an index or a range.
  auto add_specs = [](const std::string& option, const std::string& value, std::vector<std::string>& out) {
    for (std::size_t at = 0; at <= value.size();) {
      const std::size_t comma = std::min(value.find(',', at), value.size());
      const std::string item = value.substr(at, comma - at);
      if (item.empty()) throw usage_error(option, "invalid value " + in_quotes(value) + ": an empty column name");
      out.push_back(item);
      at = comma + 1;
    }
  };
  for (const std::string& v : target_columns) add_specs("--target-column", v, rq.rows.target_columns);
  for (const std::string& v : columns) {
    const std::size_t eq = v.find('=');
    const std::string name = v.substr(0, std::min(eq, v.size()));
    if (eq == std::string::npos || eq + 1 == v.size())
      throw usage_error("--column", "invalid value " + in_quotes(v) + ": expected NAME=SPEC, such as input=0:9 or target=label");
    if (name == "target")
      add_specs("--column", v.substr(eq + 1), rq.rows.target_columns);
    else if (name == "input")
      add_specs("--column", v.substr(eq + 1), rq.rows.input_columns);
    else
      throw usage_error("--column", fname + " has no data argument " + in_quotes(name) + " in rows (its row data arguments: input" +
                                        (fn->takes_target ? ", target)" : ")"));
    if (name == "target" && !fn->takes_target) throw usage_error("--column", fname + " takes no target");
  }
  for (const std::string& v : ignore_columns) add_specs("--ignore-column", v, rq.rows.ignore_columns);
  if (!rq.rows.target_columns.empty() && rq.target)
    throw usage_error("--target-column", "the target is given twice: as a column of INPUT and as TARGET");
  rq.rows.header = header[0];
  if (given("delimiter")) {
    const std::string& d = delimiter;
    rq.rows.delimiter = d == "," ? ',' : (d == "tab" || d == "\\t" || d == "\t") ? '\t' : d == ";" ? ';' : d == "|" ? '|'
                      : (d == "space" || d == " ") ? ' ' : '\0';
    if (!rq.rows.delimiter) throw usage_error("--delimiter", "invalid value " + in_quotes(d) + ": expected , tab ; | or space");
  }
  if (given("explain-samples")) {
    if (!rq.output.explain) throw usage_error("--explain-samples", "goes with --explain");
    std::size_t at = 0;
    while (at <= explain_samples.size()) {
      const std::size_t comma = std::min(explain_samples.find(',', at), explain_samples.size());
      const std::string item = explain_samples.substr(at, comma - at);
      std::int64_t v = -1;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || ec != std::errc() || end != item.data() + item.size() || v < 0)
        throw usage_error("--explain-samples", "invalid value " + in_quotes(explain_samples) + ": expected sample indices such as 0,5,7");
      rq.output.explain_samples.push_back(v);
      at = comma + 1;
    }
  }
  for (auto* src : {&rq.input, &rq.target})
    if (*src) {
      (*src)->header = rq.rows.header;
      (*src)->delimiter = rq.rows.delimiter;
    }
  if (rq.input) {  // the columns are INPUT's
    rq.input->input_columns = rq.rows.input_columns;
    rq.input->ignore_columns = rq.rows.ignore_columns;
  }
  if (rq.output.explain && rq.output.quiet) throw usage_error("--explain", "shows every step; it does not combine with -q");
  if (rq.output.partial && rq.output.explain) throw usage_error("--partial", "prints the mergeable sums; it does not combine with --explain");
  // --partial needs a reduced loss: checked here once, for every path (streamed or not).
  if (rq.output.partial && s.reduction && *s.reduction == Reduction::None)
    throw usage_error("--partial", "needs a reduced loss (mean or sum), not -r none");
  if (rq.output.partial && !s.reduction && fn->default_reduction == Reduction::None)
    throw usage_error("--partial", "needs a reduced loss (mean or sum); " + fname + " defaults to none: pass -r mean or -r sum");
  if (rq.output.explain && rq.output.format == Format::Csv) throw usage_error("--explain", "needs text or json output, not csv");
  return cl;
}

}  // namespace losscalc
