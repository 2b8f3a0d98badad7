#include <cmath>

#include "print/number.h"
#include "error.h"
#include "print/printers.h"

namespace losscalc::print {

namespace {

void nested(const Tensor& t, std::size_t d, std::size_t& k, std::string& s) {
  if (d == t.shape.size()) {
    s += json_number(t.data[k++]);
    return;
  }
  s += '[';
  for (std::int64_t i = 0; i < t.shape[d]; ++i) {
    if (i) s += ',';
    nested(t, d + 1, k, s);
  }
  s += ']';
}

std::string quoted(const std::string& v) {
  std::string s = "\"";
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      s += '\\';
      s += c;
    } else if (u < 0x20) {
      s += "\\u00";
      append_hex(s, u);
    } else {
      s += c;
    }
  }
  return s + "\"";
}

}  // namespace

std::string json_tensor(const Tensor& t) {
  std::string s;
  std::size_t k = 0;
  nested(t, 0, k, s);
  return s;
}

std::string parts(const core::ExactSum& sum) {
  std::string out = "[";
  const std::vector<double> p = sum.canonical();
  for (std::size_t i = 0; i < p.size(); ++i) out += (i ? "," : "") + json_number(p[i]);
  if (sum.special() != 0 || std::isnan(sum.special())) out += std::string(p.empty() ? "" : ",") + json_number(sum.special());
  return out + "]";
}

std::string partial(const Result& r) {
  return "{\"partial\":true,\"function\":" + quoted(r.function) + ",\"reduction\":" + quoted(r.reduction) +
         ",\"dtype\":" + quoted(r.dtype) + (r.settings.empty() ? "" : ",\"settings\":" + r.settings) +
         ",\"count\":" + std::to_string(r.count) +
         ",\"loss_sum\":" + json_number(r.loss_sum.value()) + ",\"loss_sum_parts\":" + parts(r.loss_sum) +
         ",\"denominator\":" + json_number(r.share_sum.value() + r.extra_denominator) +
         ",\"denominator_parts\":" + parts(r.share_sum) + ",\"extra_denominator\":" + json_number(r.extra_denominator) + "}\n";
}

std::string json(const Result& r, const OutputOptions& o) {
  if (o.quiet && !r.rows.empty()) {
    std::string s = "[";
    for (std::size_t i = 0; i < r.rows.size(); ++i) s += (i ? "," : "") + (r.rows[i].error.empty() ? json_number(r.rows[i].loss) : "null");
    return s + "]\n";
  }
  if (o.quiet) {
    const Tensor* t = r.find(r.primary);
    return (t ? json_tensor(*t) : "null") + "\n";
  }
  std::string s = "{\"function\":" + quoted(r.function);
  if (!r.reduction.empty()) s += ",\"reduction\":" + quoted(r.reduction);
  s += ",\"dtype\":" + quoted(r.dtype);
  for (auto& e : r.entries) s += "," + quoted(e.key) + ":" + json_tensor(e.value);
  if (!r.explanation.empty()) {
    s += ",\"explain\":{\"note\":" + quoted(r.explain_note) + ",\"sections\":[";
    for (std::size_t i = 0; i < r.explanation.size(); ++i) {
      const Section& sec = r.explanation[i];
      s += std::string(i ? "," : "") + "{\"title\":" + quoted(sec.title) + ",\"steps\":[";
      for (std::size_t k = 0; k < sec.steps.size(); ++k) {
        const Step& st = sec.steps[k];
        s += std::string(k ? "," : "") + "{\"label\":" + quoted(st.label) + ",\"formula\":" + quoted(st.formula) +
             ",\"value\":" + json_tensor(st.value) + "}";
      }
      s += "]}";
    }
    s += "]}";
  }
  if (!r.rows.empty()) {
    s += ",\"summary\":" + quoted(r.summary) + ",\"results\":[";
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      const Row& row = r.rows[i];
      s += std::string(i ? "," : "") + "{\"group\":" + quoted(row.group) + ",\"framework\":" + quoted(row.framework) + ",\"call\":" + quoted(row.call) + ",";
      s += row.error.empty() ? "\"loss\":" + json_number(row.loss) : "\"error\":" + quoted(row.error);
      s += "}";
    }
    s += "]";
  }
  if (!r.rows.empty() || !r.notes.empty()) {  // compare's always; a function's when it has any
    s += ",\"notes\":[";
    for (std::size_t i = 0; i < r.notes.size(); ++i) s += (i ? "," : "") + quoted(r.notes[i]);
    s += "]";
  }
  return s + "}\n";
}

}  // namespace losscalc::print
