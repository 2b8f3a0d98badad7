#include "read/source.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "error.h"
#include "read/container.h"
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

// --column input= and --ignore-column read CSV text and JSON Lines records
// only (the JSON Lines reader refuses them for other lines).
void check_columns(RowFormat format, const Origin& origin, const char* container = nullptr) {
  if (format == RowFormat::Csv || format == RowFormat::JsonLines || (origin.input_columns.empty() && origin.ignore_columns.empty()))
    return;
  const std::string what = container ? container : format == RowFormat::Npy ? "a .npy file" : "JSON";
  throw usage_error(origin.input_columns.empty() ? "--ignore-column" : "--column",
                    "needs row data (CSV or TSV); " + origin.subject + " is " + what);
}

bool is_input(const Origin& o) { return o.subject == "input" || !o.input_name.empty(); }

std::string key_list(const std::vector<std::string>& keys) {
  std::string list;
  for (std::size_t i = 0; i < keys.size() && list.size() < 300; ++i) list += (i ? ", " : "") + in_quotes(keys[i], 60);
  return list + (list.size() >= 300 ? ", ..." : "");
}

// One array of a container: KEY's, or the only one. INPUT may take several
// whose names are the function's arguments (logits and labels), as from a
// JSON object.
Parsed pick(const Container& c, const std::optional<std::string>& key, const Origin& origin) {
  Parsed p;
  if (key) {
    for (std::size_t i = 0; i < c.keys.size(); ++i)
      if (c.keys[i] == *key) {
        p.array = c.load(i);
        return p;
      }
    throw data_error(origin.subject, origin.label, c.kind + " with no array " + in_quotes(*key, 80) +
                                                        (c.keys.empty() ? "; it holds none" : "; its arrays: " + key_list(c.keys)));
  }
  if (c.keys.empty()) throw data_error(origin.subject, origin.label, c.kind + " that holds no arrays");
  if (c.keys.size() == 1) {
    p.array = c.load(0);
    return p;
  }
  bool named = is_input(origin);
  for (auto& k : c.keys) named = named && !canonical_key(k, origin).empty();
  if (!named)
    throw data_error(origin.subject, origin.label, c.kind + " of " + std::to_string(c.keys.size()) + " arrays (" + key_list(c.keys) +
                                                        "): pick one as PATH:KEY");
  p.is_object = true;
  for (std::size_t i = 0; i < c.keys.size(); ++i) {
    const std::string canon = canonical_key(c.keys[i], origin);
    for (auto& f : p.fields)
      if (f.first == canon) throw data_error(origin.subject, origin.label, c.kind + " whose arrays give \"" + canon + "\" twice: pick one as PATH:KEY");
    p.fields.emplace_back(canon, c.load(i));
  }
  return p;
}

// Whether JSON text is losscalc's own --format json output.
bool is_own_output(const nlohmann::ordered_json& j) {
  return j.is_object() && j.contains("function") && j["function"].is_string() && j.contains("dtype");
}

// One array of a JSON object: KEY's, or in losscalc's own output the array
// named after its function (log_softmax's "log_softmax").
Parsed pick_json(std::string_view text, const std::optional<std::string>& key, const Origin& origin) {
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception&) {
    return parse_text(text, origin);  // its own message, with the line and column
  }
  if (!key && !is_own_output(j)) return parse_text(text, origin);
  if (!j.is_object()) throw data_error(origin.subject, origin.label, "a KEY picks an array out of a JSON object, and this is not one");
  std::vector<std::string> arrays;
  for (auto& [k, v] : j.items())
    if (v.is_array() || v.is_number()) arrays.push_back(k);
  std::string want;
  if (key) {
    want = *key;
  } else {
    want = j["function"].get<std::string>();
    if (!j.contains(want) || !j[want].is_array())
      throw data_error(origin.subject, origin.label, "losscalc's --format json output of " + in_quotes(j["function"].get<std::string>(), 60) +
                                                          ": pick one of its arrays as PATH:KEY (" + key_list(arrays) + ")");
  }
  if (j.contains(want) && !j[want].is_array() && !j[want].is_number())
    throw data_error(origin.subject, origin.label, "the JSON object's " + in_quotes(want, 80) + " holds " +
                                                        (j[want].is_null() ? std::string("null") : j[want].is_object() ? std::string("an object") : std::string("a ") + j[want].type_name()) +
                                                        ", not an array; its arrays: " + key_list(arrays));
  if (!j.contains(want))
    throw data_error(origin.subject, origin.label, "a JSON object with no array " + in_quotes(want, 80) + "; its arrays: " + key_list(arrays));
  Origin o = origin;
  o.label = (o.label.empty() ? "" : o.label + ", ") + "key " + in_quotes(want, 80);
  return parse_text(j[want].dump(), o);
}

// Text, JSON Lines, .npy or a container, by what the bytes hold; `key`
// picks an array out of a container or a JSON object.
Parsed parse_any(std::string_view text, const Origin& origin, const std::optional<std::string>& key = std::nullopt) {
  if (is_container(text)) {
    check_columns(RowFormat::Npy, origin, "a file of named arrays (.npz, safetensors, .pt)");
    return pick(open_container(text, origin), key, origin);
  }
  const std::string_view body = without_bom(text);
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '{' && sniff(text) == RowFormat::Json &&
      (key || body.substr(first).starts_with("{\"function\":")))
    return pick_json(body, key, origin);
  if (key) throw data_error(origin.subject, origin.label, "holds one array, not named: a KEY picks an array out of .npz, safetensors, .pt or a JSON object");
  if (is_npy(text)) {  // any .npy: also those sniff() reads whole (Fortran order, 3 or more dims)
    check_columns(RowFormat::Npy, origin);
    Parsed p;
    p.array = npy_tensor(text, origin);
    return p;
  }
  const RowFormat format = sniff(text) == RowFormat::Json && one_records_line(text, origin) ? RowFormat::JsonLines : sniff(text);
  check_columns(format, origin);
  switch (format) {
    case RowFormat::Npy: {
      Parsed p;
      p.array = npy_tensor(text, origin);
      return p;
    }
    case RowFormat::JsonLines: {
      // Rows of {"input": ..., "target": ...}, or records: an object of two arrays.
      CsvOptions columns;
      columns.input_columns = origin.input_columns;
      columns.ignore_columns = origin.ignore_columns;
      auto rows = jsonl_rows(string_bytes(text), origin, std::move(columns));
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

std::optional<std::pair<std::string, std::string>> split_key(const std::string& spec) {
  std::error_code ec;
  if (spec.find(':') == std::string::npos || std::filesystem::exists(spec, ec)) return std::nullopt;
  // The first colon after which the path is a file: keys may hold colons.
  for (auto colon = spec.find(':'); colon != std::string::npos; colon = spec.find(':', colon + 1)) {
    if (colon == 0 || colon + 1 == spec.size()) continue;
    std::string path = spec.substr(0, colon);
    if (path == "-" || std::filesystem::is_regular_file(path, ec)) return std::pair{std::move(path), spec.substr(colon + 1)};
  }
  return std::nullopt;
}

namespace {

// container_stream(); `rethrow`: a corrupt container's error escapes (else
// the stream is left to the in-memory path, which says what is wrong).
std::optional<ContainerStream> open_array(const Source& source, std::string_view role, CrcCheck check, std::shared_ptr<CrcLedger> ledger,
                                          bool rethrow) {
  std::string path = source.spec;
  std::optional<std::string> key;
  if (auto pk = split_key(path)) {
    path = std::move(pk->first);
    key = std::move(pk->second);
  }
  std::error_code ec;
  if (path == "-" || !std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    auto file = MappedFile::open(path, source.name);
    const std::string_view bytes = file->bytes();
    if (!is_container(bytes)) return std::nullopt;
    ContainerStream out;
    const Origin origin = origin_of(source, "file " + in_quotes(path));
    const Container c = open_container(bytes, origin);
    std::optional<std::size_t> index;
    bool object = false;
    if (key) {
      for (std::size_t i = 0; i < c.keys.size(); ++i)
        if (c.keys[i] == *key) index = i;
    } else if (c.keys.size() == 1) {
      index = 0;
    } else if (c.keys.size() == 2 && is_input(origin)) {  // INPUT's input and target, nothing else
      for (std::size_t i = 0; i < 2; ++i)
        if (canonical_key(c.keys[i], origin) == role && canonical_key(c.keys[1 - i], origin) == (role == "input" ? "target" : "input"))
          index = i, object = true;
    }
    if (!index) return out;
    out.ledger = std::move(ledger);
    // The array's bytes are read in place, from the mapping (as a .npy's are).
    out.bytes = container_npy(bytes, *index, origin, file, &out.inflates, check == CrcCheck::First,
                              check == CrcCheck::Track ? &out.ledger : nullptr);
    out.label = origin.label + ", array " + in_quotes(c.keys[*index], 80);
    out.object = object;
    return out;
  } catch (const Error&) {
    if (rethrow) throw;
    return ContainerStream{};
  }
}

}  // namespace

std::optional<ContainerStream> container_stream(const Source& source, std::string_view role, CrcCheck check,
                                                std::shared_ptr<CrcLedger> ledger) {
  return open_array(source, role, check, std::move(ledger), false);
}

void check_container_crc(const Source& source, std::string_view role, const CrcLedger* ledger) {
  if (ledger && ledger->matches() == true) return;  // the runs its readers read cover it, and agree
  open_array(source, role, CrcCheck::First, {}, true);
}

Parsed load(const Source& source, std::istream& stdin_stream) {
  const std::string& subject = source.name;
  std::string spec = source.spec;
  std::optional<std::string> key;
  if (auto pk = split_key(spec)) {
    spec = std::move(pk->first);
    key = std::move(pk->second);
  }
  if (spec == "-") {
    std::string text = read_text(*stream_bytes(stdin_stream), subject, "stdin");
    return parse_any(text, origin_of(source, "stdin"), key);
  }
  if (looks_inline(spec)) {
    check_columns(sniff(spec), origin_of(source, ""));
    return parse_text(spec, origin_of(source, ""));
  }

  std::error_code ec;
  if (std::filesystem::exists(spec, ec)) {
    std::string label = "file " + in_quotes(spec);
    std::string text = read_text(*file_bytes(spec, subject), subject, label);
    return parse_any(text, origin_of(source, label), key);
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
