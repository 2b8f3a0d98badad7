#include <algorithm>

#include "print/number.h"
#include "print/printers.h"

namespace losscalc::print {

namespace {

std::string exact(double v, const OutputOptions& o) { return o.precision ? fixed(v, *o.precision) : shortest(v); }

}  // namespace

namespace {

// The compare table: framework, call, loss (exact unless --precision), then
// the notes on why the numbers differ.
std::string comparison(const Result& r, const OutputOptions& o) {
  std::string s = r.function + " (" + r.dtype + "): " + r.summary + "\n\n";
  std::size_t call_width = 0, framework_width = 5;
  for (auto& row : r.rows) call_width = std::max(call_width, row.call.size());
  for (auto& row : r.rows) framework_width = std::max(framework_width, row.framework.size());
  std::string group;
  for (auto& row : r.rows) {
    if (row.group != group) {
      group = row.group;
      s += group + " losses:\n";
    }
    s += "  " + row.framework + std::string(framework_width + 2 - row.framework.size(), ' ') + row.call +
         std::string(call_width + 2 - row.call.size(), ' ');
    s += row.error.empty() ? exact(row.loss, o) : "n/a: " + row.error;
    s += "\n";
  }
  if (!r.notes.empty()) {
    s += "\nNotes:\n";
    for (auto& n : r.notes) s += "  - " + n + "\n";
  }
  return s;
}

// --explain sections: a title, then "label  value  (formula)" per step.
std::string explanation(const Result& r, const OutputOptions& o) {
  const int precision = o.precision.value_or(4);
  std::string s = "\nstep by step (" + r.explain_note + "):\n";
  for (auto& sec : r.explanation) {
    s += "\n" + sec.title + "\n";
    std::size_t label = 0;
    for (auto& st : sec.steps) label = std::max(label, st.label.size());
    label += 4;
    for (auto& st : sec.steps) {
      s += "  " + st.label + std::string(label - 2 - st.label.size(), ' ');
      s += torch_tensor(st.value, precision, o.full, static_cast<int>(label));
      if (!st.formula.empty()) s += "   (" + st.formula + ")";
      s += "\n";
    }
  }
  return s;
}

}  // namespace

std::string text(const Result& r, const OutputOptions& o) {
  if (!r.rows.empty()) return comparison(r, o);
  const int precision = o.precision.value_or(4);
  std::string s = r.function + " (";
  if (!r.reduction.empty()) s += "reduction " + r.reduction + ", ";
  s += r.dtype + "): " + r.summary + "\n\n";
  std::size_t label = 0;
  for (auto& e : r.entries) label = std::max(label, e.key.size());
  label += 2;
  for (auto& e : r.entries) {
    s += e.key + std::string(label - e.key.size(), ' ');
    s += torch_tensor(e.value, precision, o.full, static_cast<int>(label)) + "\n";
  }
  if (!r.notes.empty()) {
    s += "\n";
    for (auto& n : r.notes) s += "note: " + n + "\n";
  }
  if (!r.explanation.empty()) s += explanation(r, o);
  return s;
}

std::string quiet(const Result& r, const OutputOptions& o) {
  if (!r.rows.empty()) {
    std::string s;
    for (auto& row : r.rows) s += (row.error.empty() ? exact(row.loss, o) : "nan") + "\n";
    return s;
  }
  const Tensor* t = r.find(r.primary);
  if (!t) return "";
  std::string s;
  if (r.primary == "loss" || t->shape.size() <= 1) {
    // A loss: one value per line. An activation of a vector: one line.
    const bool one_line = r.primary != "loss" && t->shape.size() == 1;
    for (std::size_t i = 0; i < t->data.size(); ++i) s += (i ? (one_line ? " " : "\n") : "") + exact(t->data[i], o);
    return s + "\n";
  }
  if (t->shape.size() == 2) {
    const auto cols = static_cast<std::size_t>(t->shape[1]);
    for (std::size_t i = 0; i < t->data.size(); ++i) s += exact(t->data[i], o) + ((i + 1) % cols == 0 ? "\n" : " ");
    return s;
  }
  return json_tensor(*t) + "\n";
}

std::string render(const Result& r, const OutputOptions& o) {
  if (o.partial && !r.reduction.empty()) return partial(r);
  switch (o.format) {
    case Format::Json:
      return json(r, o);
    case Format::Csv:
      return o.quiet ? quiet(r, o) : csv(r, o);
    case Format::Text:
      break;
  }
  return o.quiet ? quiet(r, o) : text(r, o);
}

}  // namespace losscalc::print
