#include "row_source.h"

#include <filesystem>

#include "error.h"
#include "read/source.h"

namespace losscalc::stream {

std::string read_head(read::ByteReader& r, std::size_t n) {
  std::string head(n, '\0');
  std::size_t got = 0, k;
  while (got < n && (k = r.read(head.data() + got, n - got)) > 0) got += k;
  head.resize(got);
  return head;
}

// Opens "-", an existing file, or inline text that is not JSON; nothing for
// anything else (the in-memory path then reports it).
std::optional<Opened> open_source(const Source& src, std::istream& in, bool check_crc) {
  Opened o;
  std::unique_ptr<read::ByteReader> raw;
  bool plain_file = false;
  if (src.spec == "-") {
    raw = read::stream_bytes(in);
    o.origin = {src.name, "stdin"};
  } else if (read::looks_inline(src.spec)) {
    const auto first = src.spec.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (src.spec[first] == '[' || src.spec[first] == '{')) return std::nullopt;
    raw = read::string_bytes(src.spec);
    o.origin = {src.name, ""};
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(src.spec, ec)) return std::nullopt;
    // One array of a .npz or safetensors file (PATH:KEY, or by its role),
    // streamed as a .npy when it is one; else read whole.
    const bool is_input = src.name == "input" || !src.input_name.empty();
    if (auto c = read::container_stream(src, is_input ? "input" : src.name, check_crc ? read::CrcCheck::First : read::CrcCheck::Later)) {
      if (!c->bytes) return std::nullopt;
      o.origin = {src.name, c->label};
      o.container = true;
      o.container_object = c->object;
      raw = std::move(c->bytes);
    } else if (read::split_key(src.spec)) {
      return std::nullopt;  // PATH:KEY of a JSON object: read whole
    } else if (!std::filesystem::exists(src.spec, ec)) {
      // Not a file: inline compact text ("0.1 0.2 2; 0.3 0.4 0").
      raw = read::string_bytes(src.spec);
      o.origin = {src.name, ""};
    } else {
      raw = read::file_bytes(src.spec, src.name);
      o.origin = {src.name, "file " + in_quotes(src.spec)};
      plain_file = std::filesystem::is_regular_file(src.spec, ec);
    }
  }
  o.origin.note = src.note;
  o.origin.keys = src.keys;
  o.origin.input_name = src.input_name;
  o.origin.target_name = src.target_name;
  o.head = read_head(*raw, 1 << 16);
  o.format = read::sniff(o.head);
  if (o.format == read::RowFormat::Json && o.head.size() < (1 << 16) && read::one_records_line(o.head, o.origin))
    o.format = read::RowFormat::JsonLines;  // a DataFrame of one row
  // A .npy file is read in place, from a mapping, past the head read already.
  if (plain_file && o.format == read::RowFormat::Npy) {
    auto mapped = read::mapped_file_bytes(src.spec, src.name);
    if (mapped->skip(static_cast<std::int64_t>(o.head.size()))) raw = std::move(mapped);
  }
  o.bytes = read::chain_bytes(o.head, std::move(raw));
  return o;
}

// Everything the source holds (the sniffed head included).
std::string read_all(Opened& o) { return read::read_text(*o.bytes, o.origin.subject, o.origin.label); }

// A reader of rows in `format` from `bytes`.
std::unique_ptr<read::RowReader> rows_from(read::RowFormat format, std::unique_ptr<read::ByteReader> bytes, const read::Origin& origin,
                                           const RowOptions& ro) {
  // The column options, for CSV and JSON Lines records alike. Columns of
  // other data arguments (input2, ...) go with the target's, each a group:
  // theirs in order, then the target's.
  read::CsvOptions co;
  co.header = read::CsvOptions::header_from(ro.header);
  co.delimiter = ro.delimiter;
  for (auto& [name, specs] : ro.more_columns) {
    co.target_columns.insert(co.target_columns.end(), specs.begin(), specs.end());
    co.target_groups.push_back(specs.size());
  }
  co.target_columns.insert(co.target_columns.end(), ro.target_columns.begin(), ro.target_columns.end());
  if (!ro.more_columns.empty()) co.target_groups.push_back(ro.target_columns.size());
  co.input_columns = ro.input_columns;
  co.ignore_columns = ro.ignore_columns;
  switch (format) {
    case read::RowFormat::JsonLines:
      return read::jsonl_rows(std::move(bytes), origin, std::move(co));
    case read::RowFormat::Npy:
      return read::npy_rows(std::move(bytes), origin);
    default:
      return read::csv_rows(std::move(bytes), origin, std::move(co));
  }
}

std::unique_ptr<read::RowReader> rows_of(Opened& o, const RowOptions& ro) { return rows_from(o.format, std::move(o.bytes), o.origin, ro); }

}  // namespace losscalc::stream
