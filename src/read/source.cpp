#include "read/source.h"

#include <algorithm>
#include <filesystem>

#include "error.h"
#include "read/rows.h"

namespace losscalc::read {

bool looks_inline(const std::string& spec) {
  std::size_t first = spec.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return true;
  if (spec[first] == '[' || spec[first] == '{') return true;
  std::size_t last = spec.find_last_not_of(" \t\r\n");
  double x;
  return parse_number(std::string_view(spec).substr(first, last - first + 1), x);
}

namespace {

// --column input= and --ignore-column read CSV text only.
void check_columns(RowFormat format, const Origin& origin) {
  if (format == RowFormat::Csv || (origin.input_columns.empty() && origin.ignore_columns.empty())) return;
  const std::string what = format == RowFormat::Npy ? "a .npy file" : format == RowFormat::JsonLines ? "JSON Lines" : "JSON";
  throw usage_error(origin.input_columns.empty() ? "--ignore-column" : "--column",
                    "needs row data (CSV or TSV); " + origin.subject + " is " + what);
}

// Text, JSON Lines or .npy, by what the bytes hold.
Parsed parse_any(std::string_view text, const Origin& origin) {
  if (is_npy(text)) {  // any .npy: also those sniff() reads whole (Fortran order, 3 or more dims)
    check_columns(RowFormat::Npy, origin);
    Parsed p;
    p.array = npy_tensor(text, origin);
    return p;
  }
  check_columns(sniff(text), origin);
  switch (sniff(text)) {
    case RowFormat::Npy: {
      Parsed p;
      p.array = npy_tensor(text, origin);
      return p;
    }
    case RowFormat::JsonLines: {
      // Rows of {"input": ..., "target": ...}: an object of two arrays.
      auto rows = jsonl_rows(string_bytes(text), origin);
      RowBlock all = read_all(*rows);
      Parsed p;
      p.is_object = true;
      // One line is one unbatched sample, as in a JSON object.
      if (!all.target_group_names.empty()) {  // a function of several data arguments: each as the rows' shape
        p.fields.emplace_back("input", Tensor{row_shape(all.rows, all.width), std::move(all.input)});
      } else {
        p.fields.emplace_back("input", Tensor{all.rows == 1 ? row_shape(1, all.width) : Shape{all.rows, all.width}, std::move(all.input)});
      }
      if (all.target_group_names.empty()) {
        if (all.target_width > 0) p.fields.emplace_back("target", Tensor{row_shape(all.rows, all.target_width), std::move(all.target)});
        return p;
      }
      // The function's other data arguments, then the target: a field each,
      // of the input's shape when one value a line.
      for (std::size_t g = 0; g < all.target_group_names.size(); ++g)
        p.fields.emplace_back(all.target_group_names[g], Tensor{row_shape(all.rows, all.target_groups[g]), group_values(all, g)});
      return p;
    }
    default:
      return parse_text(text, origin);
  }
}

// The Origin of text read for `source`, with its CSV options.
Origin origin_of(const Source& source, std::string label) {
  Origin o{source.name, std::move(label), 1, source.header, source.delimiter};
  o.input_columns = source.input_columns;
  o.ignore_columns = source.ignore_columns;
  o.note = source.note;
  o.keys = source.keys;
  o.input_name = source.input_name;
  o.target_name = source.target_name;
  return o;
}

}  // namespace

Parsed load(const Source& source, std::istream& stdin_stream) {
  const std::string& subject = source.name;
  const std::string& spec = source.spec;
  if (spec == "-") {
    std::string text = read_text(*stream_bytes(stdin_stream), subject, "stdin");
    return parse_any(text, origin_of(source, "stdin"));
  }
  if (looks_inline(spec)) {
    check_columns(sniff(spec), origin_of(source, ""));
    return parse_text(spec, origin_of(source, ""));
  }

  std::error_code ec;
  if (std::filesystem::exists(spec, ec)) {
    std::string label = "file " + in_quotes(spec);
    std::string text = read_text(*file_bytes(spec, subject), subject, label);
    return parse_any(text, origin_of(source, label));
  }
  // Not a file: text pasted from Python (its own message), inline compact
  // text ("0.1 0.2; 0.3 0.4"), or else both reasons.
  if (python_call_start(spec)) return parse_text(spec, origin_of(source, ""));
  try {
    return parse_text(spec, origin_of(source, ""));
  } catch (const Error& e) {
    std::string detail = e.where().empty() ? e.message() : e.where() + ": " + e.message();
    throw data_error(subject, "", "no such file " + in_quotes(spec) + ", and not valid inline data: " + detail);
  }
}

}  // namespace losscalc::read
