// merge: --partial lines (JSON objects, from files or stdin) added exactly
// into one loss; parts whose settings differ are refused.
#include "merge.h"

#include <nlohmann/json.hpp>

#include "error.h"
#include "ops/checks.h"
#include "output.h"
#include "read/rows.h"
#include "read/text.h"
#include "reduced.h"
#include "registry.h"

namespace losscalc {

namespace {

// "settings differ: \"weight\" is ... here, ... in the first partial", for
// the first field (in name order) that differs.
std::string settings_difference(const nlohmann::json& first, const nlohmann::json& these) {
  const nlohmann::json a = first.is_null() ? nlohmann::json::object() : first, b = these.is_null() ? nlohmann::json::object() : these;
  std::vector<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.push_back(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const auto shown = [](const nlohmann::json& j, const std::string& k) { return j.contains(k) ? j[k].dump() : std::string("absent"); };
  for (const std::string& k : keys)
    if (shown(a, k) != shown(b, k))
      return "settings differ from the first partial's: \"" + k + "\" is " + shown(b, k) + " here, " + shown(a, k) +
             " in the first (shards must be computed with the same options and weights)";
  return "settings differ from the first partial's";
}

}  // namespace

namespace {

// The --partial lines merged so far: their exact sums, and what they must
// share (function, reduction, dtype, settings).
struct Merged {
  Totals t;
  std::string function, reduction, dtype;
  nlohmann::json settings;
  std::size_t parts = 0;

  // Adds one line; `where` places it in messages.
  void add(const std::string& line, const std::string& where) {
    const auto fail = [&](const std::string& message) { throw data_error("input", where, message); };
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail("not a JSON object (a --partial result)");
    }
    // Every field checked for its type and value: a partial result written by
    // hand or damaged in transit is bad data, never an internal error.
    const auto partial = j.is_object() ? j.find("partial") : j.end();
    if (!j.is_object() || partial == j.end() || !partial->is_boolean() || !partial->get<bool>() || !j.contains("loss_sum_parts") ||
        !j.contains("denominator_parts"))
      fail("not a --partial result (no \"partial\": true with loss_sum_parts)");
    const auto text_field = [&](const char* key, std::initializer_list<std::string_view> allowed) {
      const auto it = j.find(key);
      if (it == j.end() || !it->is_string()) fail(std::string("\"") + key + "\" must be a string");
      const std::string v = it->get<std::string>();
      if (allowed.size() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        std::string list;
        for (auto x : allowed) list += (list.empty() ? "" : ", ") + std::string(x);
        fail(std::string("\"") + key + "\" is " + in_quotes(v, 40) + ", expected one of " + list);
      }
      return v;
    };
    const std::string named = text_field("function", {}), r = text_field("reduction", {}),
                      d = text_field("dtype", {"float64", "float32"});
    const FunctionSpec* spec = find_function(named);
    if (!spec || !spec->is_loss())
      fail("\"function\" is " + in_quotes(named, 40) + ", not a loss of losscalc");
    const std::string f(spec->name);
    std::string reductions;  // the function's that --partial writes (not none)
    bool known = false;
    for (Reduction x : spec->reductions)
      if (x != Reduction::None) {
        reductions += (reductions.empty() ? "" : ", ") + std::string(ops::reduction_name(x));
        known = known || r == ops::reduction_name(x);
      }
    if (!known) fail("\"reduction\" is " + in_quotes(r, 40) + ", expected one of " + reductions + " (" + f + "'s)");
    const auto sum_field = [&](const char* key, core::ExactSum& sum) {
      const auto& v = j[key];
      if (!v.is_array()) fail(std::string("\"") + key + "\" must be an array of numbers");
      for (const auto& x : v) {
        if (x.is_number()) {
          sum.add(x.get<double>());
        } else if (x.is_string() && (x == "NaN" || x == "Infinity" || x == "-Infinity")) {
          sum.add(x == "NaN" ? NAN : x == "Infinity" ? INFINITY : -INFINITY);
        } else {
          fail(std::string("\"") + key + "\" must hold numbers (or \"NaN\", \"Infinity\", \"-Infinity\")");
        }
      }
    };
    // The settings that change the number (parameters, weight digests):
    // parts computed differently do not add up to any one loss.
    const auto st = j.find("settings");
    if (st != j.end() && !st->is_object()) fail("\"settings\" must be an object");
    const nlohmann::json these = st == j.end() ? nlohmann::json() : *st;
    if (parts == 0) {
      function = f;
      reduction = r;
      dtype = d;
      settings = these;
    } else if (f != function || r != reduction || d != dtype) {
      fail("this partial is " + f + " / " + r + " / " + d + ", the first is " + function + " / " + reduction + " / " + dtype);
    } else if (these != settings) {
      fail(settings_difference(settings, these));
    }
    sum_field("loss_sum_parts", t.loss_sum);
    sum_field("denominator_parts", t.share_sum);
    if (const auto e = j.find("extra_denominator"); e != j.end()) {
      if (!e->is_number() || !std::isfinite(e->get<double>())) fail("\"extra_denominator\" must be a finite number");
      t.extra = e->get<double>();
    }
    if (const auto c = j.find("count"); c != j.end()) {
      if (!c->is_number_unsigned()) fail("\"count\" must be a whole number of 0 or more");
      const auto n = c->get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(INT64_MAX - t.count)) fail("\"count\" is too large: the counts add past 2^63");
      t.count += static_cast<std::int64_t>(n);
    }
    ++parts;
  }
};

}  // namespace

void run_merge(const Request& rq, std::istream& in, std::ostream& out) {
  // The files in order, or standard input when none is named (as cat does).
  std::vector<std::string> files = rq.merge_files;
  if (files.empty()) files.push_back("-");
  Merged m;
  for (const std::string& file : files) {
    const std::string label = file == "-" ? "stdin" : "file " + in_quotes(file);
    std::string text;
    if (file == "-") {
      text = read::read_text(*read::stream_bytes(in), "input", label);
    } else {
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) throw data_error("input", "", "no such file " + in_quotes(file));
      text = read::read_text(*read::file_bytes(file, "input"), "input", label);
    }
    std::string_view rest = read::without_bom(text);
    for (std::size_t line_no = 1; !rest.empty(); ++line_no) {
      const std::size_t nl = rest.find('\n');
      const std::string line(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      m.add(line, (files.size() > 1 || file != "-" ? label + ", " : std::string()) + "line " + std::to_string(line_no));
    }
  }
  if (m.parts == 0) throw data_error("input", files.size() == 1 && files[0] == "-" ? "stdin" : "", "empty input: no --partial results");
  Reduction red = Reduction::Mean;
  for (Reduction r : kAllReductions)
    if (m.reduction == ops::reduction_name(r)) red = r;
  // --log-base, as its settings record it ("2" or "10"; absent: natural log).
  double base = 0;
  if (const auto b = m.settings.is_object() ? m.settings.find("log_base") : m.settings.end(); b != m.settings.end() && b->is_string())
    base = b->get<std::string>() == "2" ? 2 : 10;
  write_out(out, reduced_output(m.function, red, m.dtype == "float32" ? DType::Float32 : DType::Float64, m.t, rq.output,
                                "merged " + std::to_string(m.parts) + " partial results", m.settings.is_null() ? "" : m.settings.dump(), base));
}

}  // namespace losscalc
