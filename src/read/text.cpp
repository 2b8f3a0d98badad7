#include "read/text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "error.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

class Parser {
 public:
  // `places`: the text that lines and columns count in, when `text` is its
  // rewrite at the same length (pasted from Python, a newline turned comma).
  Parser(std::string_view text, const Origin& origin, std::string_view places = {})
      : s_(text), places_(places.empty() ? text : places), origin_(origin) {}

  [[noreturn]] void fail(std::size_t at, const std::string& message) const {
    Place place = line_column(places_, at, origin_.first_line);
    place.label = origin_.label;
    throw data_error(origin_.subject, std::move(place), message);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  // ---- JSON -------------------------------------------------------------
  Parsed json_document() {
    Parsed out;
    skip_ws();
    if (s_[pos_] == '{') {
      out.is_object = true;
      object(out);
    } else {
      out.array = json_array_value();
    }
    skip_ws();
    if (pos_ < s_.size()) fail(pos_, "unexpected " + quote_token(s_.substr(pos_, 1)) + " after the end of the data");
    return out;
  }

  void object(Parsed& out) {
    ++pos_;  // '{'
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') fail(pos_, "the object holds no arrays (expected keys such as \"input\" and \"target\")");
    for (;;) {
      skip_ws();
      std::size_t key_at = pos_;
      if (pos_ >= s_.size() || s_[pos_] != '"') fail(pos_, "expected a quoted key in the object");
      std::string key = string_token();
      std::string canon = canonical_key(key, origin_);
      if (canon.empty()) {
        std::string more;
        if (!origin_.input_name.empty()) more += origin_.input_name + ", ";
        if (!origin_.target_name.empty()) more += origin_.target_name + ", ";
        for (auto& k : origin_.keys) more += k + ", ";
        fail(key_at, "unknown key \"" + key + "\" (expected " + more + "input/logits/preds/y_pred, target/labels/y_true, weight or pos_weight)");
      }
      for (auto& f : out.fields)
        if (f.first == canon) fail(key_at, "key \"" + key + "\" gives \"" + canon + "\" a second time");
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail(pos_, "expected ':' after the key \"" + key + "\"");
      ++pos_;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '{') fail(pos_, "objects cannot be nested: \"" + key + "\" must hold an array or a number");
      out.fields.emplace_back(canon, json_array_value());
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return;
      }
      fail(pos_, pos_ >= s_.size() ? "unexpected end of text: the object is not closed with '}'"
                                   : "expected ',' or '}' in the object, found " + quote_token(s_.substr(pos_, 1)));
    }
  }

  // A JSON string (only for keys and the quoted spellings of non-finite numbers).
  std::string string_token() {
    std::size_t start = pos_;
    ++pos_;
    std::string v;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') fail(pos_, "escape sequences are not supported in keys");
      v += s_[pos_++];
    }
    if (pos_ >= s_.size()) fail(start, "unterminated string");
    ++pos_;
    return v;
  }

  // An array (any depth) or a bare number, as a tensor.
  Tensor json_array_value() {
    Tensor t;
    dims_.clear();
    leaf_depth_ = -1;
    if (pos_ >= s_.size()) fail(pos_, "unexpected end of text: expected a number or '['");
    if (s_[pos_] == '[') {
      array(0, t.data);
      t.shape.assign(dims_.begin(), dims_.end());
    } else {
      t.data.push_back(json_number());
    }
    return t;
  }

  void array(int depth, std::vector<double>& data) {
    if (depth >= kMaxDepth) fail(pos_, "arrays nested deeper than " + std::to_string(kMaxDepth) + " levels");
    std::size_t open = pos_;
    ++pos_;  // '['
    std::int64_t count = 0;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
    } else {
      for (;;) {
        skip_ws();
        if (pos_ >= s_.size()) fail(open, "unexpected end of text: this '[' is never closed");
        if (s_[pos_] == '[') {
          if (leaf_depth_ >= 0 && leaf_depth_ <= depth)
            fail(pos_, "ragged nested array: found an array where the first row has numbers");
          array(depth + 1, data);
        } else {
          if (leaf_depth_ < 0) leaf_depth_ = depth;
          if (leaf_depth_ != depth)
            fail(pos_, "ragged nested array: found a number where the first row has nested arrays");
          data.push_back(json_number());
        }
        ++count;
        skip_ws();
        if (pos_ >= s_.size()) fail(open, "unexpected end of text: this '[' is never closed");
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == ']') {
          ++pos_;
          break;
        }
        fail(pos_, "expected ',' or ']', found " + quote_token(s_.substr(pos_, 1)));
      }
    }
    if (static_cast<int>(dims_.size()) <= depth) {
      dims_.resize(depth + 1, -1);
    }
    if (dims_[depth] < 0) {
      dims_[depth] = count;
    } else if (dims_[depth] != count) {
      fail(open, "ragged nested array: this array has " + std::to_string(count) + " elements, the first one at its depth has " +
                     std::to_string(dims_[depth]));
    }
    if (count == 0 && leaf_depth_ < 0) leaf_depth_ = depth + 1;
  }

  double json_number() {
    std::size_t start = pos_;
    if (s_[pos_] == '"') {
      std::string v = string_token();
      double x;
      if (!v.empty() && parse_number(v, x) && !std::isfinite(x)) return x;
      fail(start, "expected a number, found the string \"" + v.substr(0, 24) + "\"");
    }
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ',' || c == ']' || c == '[' || c == '}' || c == '{' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r') break;
      ++pos_;
    }
    std::string_view token = s_.substr(start, pos_ - start);
    double x;
    if (token.empty()) fail(start, pos_ < s_.size() ? "expected a number, found " + quote_token(s_.substr(pos_, 1)) : "unexpected end of text: expected a number");
    if (!parse_number(token, x)) fail(start, "expected a number, found " + quote_token(token));
    return x;
  }

 private:
  std::string_view s_, places_;
  const Origin& origin_;
  std::size_t pos_ = 0;
  std::vector<std::int64_t> dims_;
  int leaf_depth_ = -1;
};

}  // namespace

std::string canonical_key(std::string_view key, const Origin& origin) {
  if (!origin.input_name.empty() && key == origin.input_name) return "input";
  if (!origin.target_name.empty() && key == origin.target_name) return "target";
  for (auto& k : origin.keys)
    if (k == key) return k;
  if (key == "input" || key == "logits" || key == "preds" || key == "y_pred") return "input";
  if (key == "target" || key == "labels" || key == "y_true") return "target";
  if (key == "weight") return "weight";
  if (key == "pos_weight") return "pos_weight";
  return "";
}

std::string quote_token(std::string_view token) {
  std::string s;
  for (char c : token.substr(0, 24)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      s += "\\x";
      append_hex(s, u);
    } else {
      s += c;
    }
  }
  if (token.size() > 24) s += "...";
  return "'" + s + "'";
}

Parsed matrix_document(std::string_view text, const Origin& origin) {
  // The same CSV reader that streams files, over the whole text at once.
  CsvOptions opts;
  opts.header = CsvOptions::header_from(origin.header);
  opts.delimiter = origin.delimiter;
  opts.input_columns = origin.input_columns;
  opts.ignore_columns = origin.ignore_columns;
  auto rows = csv_rows(string_bytes(text), origin, opts);
  RowBlock all = read_all(*rows);
  Parsed out;
  out.array.shape = row_shape(all.rows, all.width);
  out.array.data = std::move(all.input);
  return out;
}

bool parse_number(std::string_view token, double& out) {
  if (token.empty()) return false;
  bool negative = false;
  std::string_view body = token;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  if (iequals(body, "nan")) {
    out = std::nan("");
    return true;
  }
  if (iequals(body, "inf") || iequals(body, "infinity")) {
    out = negative ? -INFINITY : INFINITY;
    return true;
  }
  // Digits, '.', exponent only: from_chars would also take "nan(...)" or hex.
  for (char c : body)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return false;
  double v = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (end != body.data() + body.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // 1e400 -> inf, 1e-400 -> 0 (or a subnormal), as strtod and Python do.
    std::string copy(body);
    v = std::strtod(copy.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return false;
  }
  out = negative ? -v : v;
  return true;
}

Place line_column(std::string_view text, std::size_t offset, std::size_t first_line) {
  Place p{.line = static_cast<std::int64_t>(first_line), .column = 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

Parsed parse_text(std::string_view text, const Origin& origin) {
  text = without_bom(text);
  if (utf16_bom(text)) throw data_error(origin.subject, origin.label, kUtf16Message);
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    std::string where = origin.label;
    throw data_error(origin.subject, where, "empty input: no numbers");
  }
  const bool json = text[first] == '[' || text[first] == '{';
  if (json) {
    try {
      return Parser(text, origin).json_document();
    } catch (const Error&) {  // numpy's str, a tuple inside, a trailing comma: or a mistake
      auto python = python_as_json(text, origin);
      if (!python) throw;
      return Parser(python->text, origin, text).json_document();
    }
  }
  if (auto python = python_as_json(text, origin)) {  // tensor(...), array(...), (1, 2), or non-breaking spaces
    if (python->json) return Parser(python->text, origin, text).json_document();
    return matrix_document(python->text, origin);
  }
  return matrix_document(text, origin);
}

}  // namespace losscalc::read
