#include "print/matches.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "print/number.h"
#include "warn.h"

namespace losscalc::print {

namespace {

std::string command(const std::vector<std::string>& words) {
  std::string s;
  for (auto& w : words) s += (s.empty() ? "" : " ") + shell_word(w);
  return s;
}

// Two digits: the difference says how near, not a value to copy.
std::string signed_difference(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2g", d);
  return buf;
}

nlohmann::ordered_json candidate_json(const Candidate& c, const ExpectQuery& q, const ExpectShown& shown) {
  nlohmann::ordered_json j;
  j["function"] = std::string(c.fn->name);
  j["family"] = std::string(family_name(c.fn->family));
  j["call"] = framework_call(c);
  j["argv"] = shown.argv(c);
  j["loss"] = c.loss;
  j["difference"] = c.loss - q.value;
  j["departures"] = c.departures;
  if (c.float32_loss) j["float32_loss"] = *c.float32_loss;
  return j;
}

}  // namespace

std::string expect(const ExpectResult& r, const ExpectQuery& q, const ExpectShown& shown, const OutputOptions& o) {
  const std::vector<Candidate>& list = r.matches.empty() ? r.nearest : r.matches;
  if (o.format == Format::Json) {
    nlohmann::ordered_json j;
    j["value"] = q.value;
    j["typed"] = shown.typed;
    j["tolerance"] = q.tolerance;
    j["tried"] = r.tried;
    j["matches"] = nlohmann::ordered_json::array();
    for (auto& c : r.matches) j["matches"].push_back(candidate_json(c, q, shown));
    j["nearest"] = nlohmann::ordered_json::array();
    for (auto& c : r.nearest) j["nearest"].push_back(candidate_json(c, q, shown));
    if (shown.explain_search) j["skipped"] = r.skipped;
    return j.dump() + "\n";
  }
  if (o.quiet) {  // the commands alone, best first
    std::string s;
    for (auto& c : r.matches) s += command(shown.argv(c)) + "\n";
    return s;
  }
  std::string s = "expect " + shown.typed + ": ";
  const std::string within = "within " + shortest(q.tolerance) + (shown.tolerance_given ? "" : " (from the digits typed)");
  if (r.matches.empty())
    s += "no function or convention gives it " + within +
         (r.nearest.empty() ? "; no function could take this data (--explain-search says why)\n" : "; the nearest:\n");
  else
    s += std::to_string(r.matches.size()) + (r.matches.size() == 1 ? " match " : " matches ") + within + "\n";
  // People read the first few; --format json and -q list them all.
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < list.size() && i < kShown; ++i) {
    const Candidate& c = list[i];
    s += "\n" + std::to_string(i + 1) + ". " + framework_call(c) + "\n";
    s += "   " + shortest(c.loss) + " (" + signed_difference(c.loss - q.value) +
         (c.float32_loss ? "; in float32 " + shortest(*c.float32_loss) : "") + ")";
    if (c.departures.empty()) {
      s += ", the defaults\n";
    } else {
      s += ", departs: ";
      for (std::size_t k = 0; k < c.departures.size(); ++k) s += (k ? "; " : "") + c.departures[k];
      s += "\n";
    }
    s += "   " + command(shown.argv(c)) + "\n";
  }
  if (list.size() > kShown)
    s += "\n... and " + std::to_string(list.size() - kShown) + " more (--format json or -q lists them all)\n";
  if (shown.explain_search && !r.skipped.empty()) {
    s += "\nskipped:\n";
    for (auto& k : r.skipped) s += "  " + k + "\n";
  }
  return s;
}

}  // namespace losscalc::print
