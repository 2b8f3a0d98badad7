// JSON Lines rows: {"input": [...], "target": ...} a line, with a fast path
// for the plain form; or records, one key a column, as pandas writes them.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <unordered_map>
#include <utility>

#include "error.h"
#include "read/columns.h"
#include "read/lines.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {

using detail::ColumnPlan;
using detail::fast_decimal;
using detail::LineBuffer;
using detail::number;
using detail::reserve_block;
using detail::trim;

// JSON Lines records: one key a column and a number (or null) a key, as
// pandas' df.to_json(orient='records', lines=True) writes a DataFrame. The
// keys are the columns' names, resolved as a CSV header's are (ColumnPlan).
struct Records {
  std::vector<std::string> raw;    // each column's key as the first line writes it (escapes and all): the quick match
  std::vector<std::string> names;  // the keys decoded
  std::unordered_map<std::string, std::size_t> column;  // of each name: a line of thousands of keys in another order stays linear
  ColumnPlan plan;
};

bool space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// `text` without blank space (line breaks too) at its ends.
std::string_view trim_lines(std::string_view text) {
  const auto a = text.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  return text.substr(a, text.find_last_not_of(" \t\r\n") - a + 1);
}

// The closing quote of the JSON string whose opening quote is at p, or
// nullptr when the line ends first.
const char* string_end(const char* p, const char* end) {
  for (++p; p < end; ++p) {
    if (*p == '\\') {
      ++p;
    } else if (*p == '"') {
      return p;
    }
  }
  return nullptr;
}

// The end of a bare value (a number, null, true, ...): the first byte that
// ends a value in an object.
const char* token_end(const char* p, const char* end) {
  while (p < end && *p != ',' && *p != '}' && !space(*p)) ++p;
  return p;
}

void append_utf8(std::string& out, std::uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// A key's text from its JSON (between the quotes), escapes decoded: pandas
// writes '/' as \/ and, by default, anything past ASCII as \uXXXX. False on
// a bad escape.
bool decode_key(std::string_view raw, std::string& out) {
  out.clear();
  const auto hex4 = [&](std::size_t at, std::uint32_t& v) {
    if (at + 4 > raw.size()) return false;
    auto [p, ec] = std::from_chars(raw.data() + at, raw.data() + at + 4, v, 16);
    return ec == std::errc() && p == raw.data() + at + 4;
  };
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"': case '\\': case '/': out += raw[i]; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t c, low;
        if (!hex4(i + 1, c)) return false;
        i += 4;
        if (c >= 0xD800 && c < 0xDC00 && i + 2 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u' && hex4(i + 3, low) &&
            low >= 0xDC00 && low < 0xE000) {  // a surrogate pair: one code point
          c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        append_utf8(out, c);
        break;
      }
      default: return false;
    }
  }
  return true;
}

// One key of a line's object: its text as written, where it starts, and
// its value's text (for an array or object, its first byte only).
struct Field {
  std::string_view raw;
  const char* at;
  std::string_view value;
  bool scalar;
};

// The keys of a line that is an object, for telling records from the
// {"input": [...]} form; false when the line is not an object this scan
// can follow (the JSON parser then reads or reports it).
bool fields_of(std::string_view line, std::vector<Field>& out) {
  out.clear();
  const char* p = line.data();
  const char* end = p + line.size();
  const auto ws = [&] {
    while (p < end && space(*p)) ++p;
  };
  ws();
  if (p == end || *p != '{') return false;
  ++p;
  for (;;) {
    ws();
    if (p == end || *p != '"') return false;
    const char* q = string_end(p, end);
    if (!q) return false;
    Field f{std::string_view(p + 1, static_cast<std::size_t>(q - p - 1)), p, {}, true};
    p = q + 1;
    ws();
    if (p == end || *p != ':') return false;
    ++p;
    ws();
    const char* v = p;
    if (p < end && (*p == '[' || *p == '{')) {
      f.scalar = false;
      int depth = 0;
      for (; p < end; ++p) {
        if (*p == '"') {
          if (!(p = string_end(p, end))) return false;
        } else if (*p == '[' || *p == '{') {
          ++depth;
        } else if ((*p == ']' || *p == '}') && --depth == 0) {
          ++p;
          break;
        }
      }
      if (depth) return false;
    } else if (p < end && *p == '"') {
      if (!(p = string_end(p, end))) return false;
      ++p;
    } else {
      p = token_end(p, end);
    }
    f.value = std::string_view(v, static_cast<std::size_t>(p - v));
    out.push_back(f);
    ws();
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    if (p == end || *p != '}') return false;
    ++p;
    ws();
    return p == end;
  }
}

// Whether some key of a line is none of the data arguments' (input,
// logits, target, ..., the function's others): a records line's.
bool records_keys(const std::vector<Field>& fields, const Origin& origin) {
  std::string name;
  for (const Field& f : fields)
    if (!decode_key(f.raw, name) || canonical_key(name, origin).empty()) return true;
  return false;
}

// The keys that, without --target-column, name the target.
constexpr std::string_view kTargetKeys[] = {"label", "labels", "y", "y_true", "target"};

// The shape of a line: its input values, and its other values in groups
// (the function's other data arguments, by name, then the target).
struct Form {
  std::int64_t width = -1, target_width = 0;
  std::vector<std::string> names{};    // of the groups, when there are others than the target
  std::vector<std::int64_t> widths{};  // of the groups
  std::shared_ptr<const Records> records{};  // records lines: their columns
  bool operator==(const Form&) const = default;
};

class JsonlReader : public RowReader {
 public:
  // form.width >= 0: a later part of JSON Lines whose first line had that form.
  JsonlReader(std::unique_ptr<ByteReader> in, Origin origin, CsvOptions columns, Form form = Form())
      : lines_(std::move(in), origin), origin_(std::move(origin)), columns_(std::move(columns)), form_(std::move(form)) {
    if (form_.width >= 0) lines_.later_part();
    if (form_.records) seen_.assign(form_.records->raw.size(), -1);
  }

  Continuation continuation() const override {
    // A pandas index left out is checked line by line (0, 1, 2, ...), which
    // a later part, not knowing its first row's number, cannot do.
    if (form_.width < 0 || (form_.records && form_.records->plan.pandas_first >= 0)) return {};
    return [origin = origin_, c = columns_, f = form_](std::unique_ptr<ByteReader> in) -> std::unique_ptr<RowReader> {
      return std::make_unique<JsonlReader>(std::move(in), origin, c, f);
    };
  }

  bool next(RowBlock& b, std::int64_t max_rows) override {
    b.clear();
    b.first_row = rows_done_;
    if (form_.width > 0) reserve_block(b, max_rows, form_.width, form_.target_width);
    std::string_view line;
    while (b.rows < max_rows && lines_.next(line)) {
      ++line_no_;
      if (trim(line).empty()) continue;
      if (form_.records || (form_.width < 0 && start_records(line))) {
        records_row(line, b);
        continue;
      }
      Form f;
      if (!fast_line(line, f.width, f.target_width)) {
        // Anything but the plain form (and every error): the JSON parser.
        Origin o = origin_;
        o.first_line = static_cast<std::size_t>(line_no_);
        Parsed p;
        try {
          p = parse_text(line, o);
        } catch (const Error&) {
          std::vector<Field> fields;
          if (form_.width >= 0 && fields_of(line, fields) && records_keys(fields, origin_))
            lines_.fail(line.data(), "a records line (one number a key) after {\"input\": ...} lines: every line of JSON Lines has "
                                     "the first line's form");
          throw;
        }
        const Tensor* in = nullptr;
        const Tensor* tg = nullptr;
        for (auto& [k, t] : p.fields) {
          if (k == "input") in = &t;
          else if (k == "target") tg = &t;
          else if (k == "weight" || k == "pos_weight")
            lines_.fail(line.data(), "JSON Lines rows hold \"input\"" + held_keys() + " and \"target\" only; give \"" + k +
                                         "\" as an option (--" + (k == "pos_weight" ? std::string("pos-weight") : k) + ")");
        }
        if (!p.is_object || !in)
          lines_.fail(line.data(), "expected an object with \"input\" (and \"target\") on each line of JSON Lines, or a records "
                                   "line such as {\"logit_0\": 0.1, \"logit_1\": 0.2, \"label\": 1}");
        if (in->shape.size() > 1) lines_.fail(line.data(), "\"input\" must be one sample: a number or a flat array");
        in_ = in->data;
        tg_.clear();
        // The function's other data arguments in their order, then the target.
        for (const std::string& key : origin_.keys)
          for (auto& [k, t] : p.fields)
            if (k == key) {
              f.names.push_back(k);
              f.widths.push_back(static_cast<std::int64_t>(t.data.size()));
              tg_.insert(tg_.end(), t.data.begin(), t.data.end());
            }
        if (tg) {
          if (!f.names.empty()) {
            f.names.push_back("target");
            f.widths.push_back(static_cast<std::int64_t>(tg->data.size()));
          }
          tg_.insert(tg_.end(), tg->data.begin(), tg->data.end());
        }
        f.width = static_cast<std::int64_t>(in_.size());
        f.target_width = static_cast<std::int64_t>(tg_.size());
      }
      if (form_.width < 0) {
        form_ = f;
      } else if (f.names.empty() && form_.names.empty() && (f.width != form_.width || f.target_width != form_.target_width)) {
        lines_.fail(line.data(), "this line has " + std::to_string(f.width) + " input and " + std::to_string(f.target_width) +
                                     " target values, the first line has " + std::to_string(form_.width) + " and " +
                                     std::to_string(form_.target_width));
      } else if (!(f == form_)) {
        const auto keys = [](const Form& x) {
          std::string k = "input";
          for (auto& n : x.names) k += ", " + n;
          return x.names.empty() ? k + (x.target_width ? ", target" : "") : k;
        };
        const auto widths = [](const Form& x) {
          std::string w = std::to_string(x.width);
          for (auto v : x.widths) w += ", " + std::to_string(v);
          return w;
        };
        lines_.fail(line.data(), f.names != form_.names
                                     ? "this line holds " + keys(f) + "; the first line holds " + keys(form_)
                                     : "this line has " + widths(f) + " values of " + keys(f) + "; the first line has " + widths(form_));
      }
      b.input.insert(b.input.end(), in_.begin(), in_.end());
      b.target.insert(b.target.end(), tg_.begin(), tg_.end());
      ++b.rows;
    }
    if (form_.width < 0) lines_.fail_plain("empty input: no numbers");
    b.width = form_.width;
    b.target_width = form_.target_width;
    b.target_groups = form_.widths;
    b.target_group_names = form_.names;
    rows_done_ += b.rows;
    return b.rows > 0;
  }
  std::int64_t bytes_read() const override { return lines_.bytes_read(); }
  std::int64_t lines_read() const override { return lines_.lines_read(); }

 private:
  // The plain form {"input": [numbers], "target": number or [numbers]} (keys
  // in either order, "target" optional, plain decimal numbers) straight into
  // in_ / tg_; false for anything else, which the JSON parser then reads (or
  // reports), so both accept the same lines and give the same values.
  bool fast_line(std::string_view line, std::int64_t& w, std::int64_t& tw) {
    const char* p = line.data();
    const char* end = p + line.size();
    auto ws = [&] {
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    };
    auto lit = [&](char c) {
      ws();
      if (p < end && *p == c) {
        ++p;
        return true;
      }
      return false;
    };
    auto values = [&](std::vector<double>& out, bool& array) {
      out.clear();
      array = lit('[');
      if (!array) ws();
      for (;;) {
        if (array) ws();
        double v;
        const char* q = fast_decimal(p, v);
        if (!q) return false;
        out.push_back(v);
        p = q;
        if (!array) return true;
        if (lit(']')) return true;
        if (!lit(',')) return false;
      }
    };
    bool has_in = false, has_tg = false, array = false;
    if (!lit('{')) return false;
    do {
      if (!lit('"')) return false;
      const std::string_view rest(p, static_cast<std::size_t>(end - p));
      if (!has_in && rest.substr(0, 6) == "input\"") {
        p += 6;
        if (!lit(':') || !values(in_, array)) return false;
        has_in = true;
      } else if (!has_tg && rest.substr(0, 7) == "target\"") {
        p += 7;
        if (!lit(':') || !values(tg_, array)) return false;
        has_tg = true;
      } else {
        return false;
      }
    } while (lit(','));
    if (!lit('}')) return false;
    ws();
    if (p != end || !has_in) return false;
    if (!has_tg) tg_.clear();
    w = static_cast<std::int64_t>(in_.size());
    tw = static_cast<std::int64_t>(tg_.size());
    return true;
  }

  bool columns_given() const {
    return !columns_.target_columns.empty() || !columns_.input_columns.empty() || !columns_.ignore_columns.empty();
  }

  // The first line: records when the column options are given or a key is
  // none of the data arguments' (then its keys settle the columns); false
  // for the {"input": [...]} form.
  bool start_records(std::string_view line) {
    const bool columns = columns_given();
    std::vector<Field> fields;
    if (!fields_of(line, fields) || fields.empty()) {
      if (!columns) return false;
      lines_.fail(line.data(), "--target-column, --column and --ignore-column read JSON Lines records, an object of one number "
                               "a key on each line, such as {\"logit_0\": 0.1, \"logit_1\": 0.2, \"label\": 1}");
    }
    if (!columns && !records_keys(fields, origin_)) return false;
    auto r = std::make_shared<Records>();
    for (const Field& f : fields) {
      std::string name;
      if (!decode_key(f.raw, name)) lines_.fail(f.at, "a bad escape sequence in the key \"" + std::string(f.raw) + "\"");
      if (!r->column.emplace(name, r->names.size()).second) lines_.fail(f.at, "key \"" + name + "\" appears twice in this line");
      r->raw.emplace_back(f.raw);
      r->names.push_back(std::move(name));
    }
    // Without --target-column, the target is the key that names one.
    // (With other data arguments' columns, the target's are the last group.)
    CsvOptions opt = columns_;
    if (opt.target_groups.empty() ? opt.target_columns.empty() : opt.target_groups.back() == 0) {
      const auto named = [&](const std::string& key) {
        for (const auto* specs : {&opt.target_columns, &opt.input_columns, &opt.ignore_columns})
          if (std::find(specs->begin(), specs->end(), key) != specs->end()) return true;
        return false;
      };
      std::vector<std::size_t> found;
      for (std::size_t k = 0; k < r->names.size(); ++k)
        if (std::find(std::begin(kTargetKeys), std::end(kTargetKeys), r->names[k]) != std::end(kTargetKeys) && !named(r->names[k]))
          found.push_back(k);
      if (found.size() > 1)
        lines_.fail(fields[found[1]].at, "keys \"" + r->names[found[0]] + "\" and \"" + r->names[found[1]] +
                                             "\" both name a target: say which with --target-column (and --ignore-column for the "
                                             "other, unless it is an input column)");
      if (!found.empty() && r->names.size() == 1)
        lines_.fail(fields[0].at, "the only key, \"" + r->names[0] + "\", names a target: no input values left");
      if (!found.empty()) {
        opt.target_columns.push_back(r->names[found[0]]);
        if (!opt.target_groups.empty()) ++opt.target_groups.back();
      }
    }
    const std::string_view first = fields[0].value;
    r->plan = detail::plan_columns(opt, r->names, static_cast<std::int64_t>(r->names.size()), origin_, &first);
    pandas_next_ = r->plan.pandas_first;
    seen_.assign(r->raw.size(), -1);
    form_.width = static_cast<std::int64_t>(r->plan.input_slots);
    form_.target_width = static_cast<std::int64_t>(r->plan.target_slots);
    form_.widths = r->plan.group_widths;
    form_.records = std::move(r);
    records_from_ = line_no_;
    for (const std::string& name : form_.records->names)
      if (foreign_.empty() && canonical_key(name, origin_).empty()) foreign_ = name;
    return true;
  }

  // How to leave column `col` out, for text in it on the first line (a
  // column of text such as a file name fails there; later text is a typo).
  std::string key_hint(std::size_t col) const {
    const std::string& name = form_.records->names[col];
    const std::string spec = name.find_first_of(" ,:\"'") == std::string::npos && !name.empty() ? name : std::to_string(col);
    return " (--ignore-column " + spec + " leaves it out)";
  }

  // One records line into the block, each value to its column's slot.
  void records_row(std::string_view line, RowBlock& b) {
    const Records& r = *form_.records;
    const ColumnPlan& plan = r.plan;
    const std::size_t n = r.raw.size();
    const char* p = line.data();
    const char* const end = p + line.size();
    const auto ws = [&] {
      while (p < end && space(*p)) ++p;
    };
    ws();
    if (p == end || *p != '{')
      lines_.fail(p, "expected an object: the first line is a records line, one number a key, and every line must be one");
    ++p;
    const std::size_t in_at = b.input.size(), tg_at = b.target.size();
    b.input.resize(in_at + plan.input_slots);
    b.target.resize(tg_at + plan.target_slots);
    std::size_t k = 0;
    std::string name;
    ws();
    if (p < end && *p == '}') {
      ++p;
    } else {
      for (;; ++k) {
        ws();
        if (p == end || *p != '"') lines_.fail(p, "expected a quoted key in the object");
        const char* key_at = p;
        std::size_t col;
        const std::size_t size = k < n ? r.raw[k].size() : 0;
        if (k < n && static_cast<std::size_t>(end - p) > size + 1 && p[size + 1] == '"' && std::memcmp(p + 1, r.raw[k].data(), size) == 0) {
          col = k;  // the first line's key in this place: pandas writes every line so
          p += size + 2;
        } else {
          const char* q = string_end(p, end);
          if (!q) lines_.fail(p, "unterminated string");
          if (!decode_key(std::string_view(p + 1, static_cast<std::size_t>(q - p - 1)), name))
            lines_.fail(p, "a bad escape sequence in the key " + quote_token(std::string_view(p, static_cast<std::size_t>(q + 1 - p))));
          const auto it = r.column.find(name);
          col = it == r.column.end() ? n : it->second;
          if (col == n) {
            std::string known;
            for (std::size_t c = 0; c < n && c < 8; ++c) known += (c ? ", \"" : "\"") + r.names[c] + "\"";
            lines_.fail(p, "key \"" + name + "\" is not in the first line (its keys: " + known + (n > 8 ? ", ..." : "") + ")" +
                               (canonical_key(name, origin_).empty() ? ""
                                                                     : ": a line of {\"input\": ...} after records lines? Every line of "
                                                                       "JSON Lines has the first line's form"));
          }
          p = q + 1;
        }
        if (seen_[col] == line_no_) lines_.fail(key_at, "key \"" + r.names[col] + "\" appears twice in this line");
        seen_[col] = line_no_;
        ws();
        if (p == end || *p != ':') lines_.fail(p, "expected ':' after the key \"" + r.names[col] + "\"");
        ++p;
        ws();
        p = records_value(p, end, col, b.input.data() + in_at, b.target.data() + tg_at);
        ws();
        if (p < end && *p == ',') {
          ++p;
          continue;
        }
        if (p < end && *p == '}') {
          ++p;
          ++k;
          break;
        }
        lines_.fail(p, p == end ? "unexpected end of the line: the object is not closed with '}'"
                                : "expected ',' or '}' in the object, found " + quote_token(std::string_view(p, 1)));
      }
    }
    ws();
    if (p != end) lines_.fail(p, "unexpected " + quote_token(std::string_view(p, 1)) + " after the end of the object");
    if (k != n) {
      std::size_t col = 0;
      while (col < n && seen_[col] == line_no_) ++col;
      lines_.fail(line.data(), "this line has no key \"" + r.names[col] + "\" (the first line has it)");
    }
    if (pandas_next_ >= 0) ++pandas_next_;
    ++b.rows;
  }

  // The value of column `col` at p into its slot of `in` / `tg`: a number,
  // null (pandas' NaN: NaN), true or false (1, 0); a left-out column's may
  // be any value but an array or an object. Returns its end.
  const char* records_value(const char* p, const char* end, std::size_t col, double* in, double* tg) {
    const Records& r = *form_.records;
    const int s = r.plan.slot[col];
    if (p < end && (*p == '[' || *p == '{')) {
      const std::string what = "key \"" + r.names[col] + "\" holds " + (*p == '[' ? "an array" : "an object");
      if (line_no_ > records_from_ || records_from_ == 0)
        lines_.fail(p, what + ", but the first line is a records line (one number a key): every line must be one");
      const std::string records = "a records line, one number a key, as pandas' to_json(orient='records', lines=True) writes";
      if (columns_given())
        lines_.fail(p, what + ": --target-column, --column and --ignore-column read " + records +
                           "; lines of {\"input\": [...], \"target\": ...} carry their target themselves");
      // (A key misspelt in the {"input": [...]} form makes a records line too.)
      std::string keys = (origin_.input_name.empty() ? "" : origin_.input_name + ", ") +
                         "input/logits/preds/y_pred, target/labels/y_true, weight, pos_weight";
      for (const std::string& k : origin_.keys) keys += ", " + k;
      lines_.fail(p, what + (foreign_ == r.names[col] ? ", and is" : ", and key \"" + foreign_ + "\" is") +
                         " none of the data arguments' (" + keys + "): so this is read as " + records);
    }
    if (p < end && *p == '"') {
      const char* q = string_end(p, end);
      if (!q) lines_.fail(p, "unterminated string");
      if (s == ColumnPlan::kSkip) return q + 1;
      lines_.fail(p, "key \"" + r.names[col] + "\" holds text (" + quote_token(std::string_view(p + 1, static_cast<std::size_t>(q - p - 1))) +
                         "), not a number" + (line_no_ == records_from_ ? key_hint(col) : ""));
    }
    if (s == ColumnPlan::kSkip) return token_end(p, end);
    double v;
    const char* q = fast_decimal(p, v);
    if (!q || !(q == end || *q == ',' || *q == '}' || space(*q))) {
      q = token_end(p, end);
      const std::string_view token(p, static_cast<std::size_t>(q - p));
      if (token == "null")
        v = std::nan("");
      else if (token == "true" || token == "false")
        v = token == "true";
      else if (!number(token, v))
        lines_.fail(p, token.empty() ? "expected a value for the key \"" + r.names[col] + "\""
                                     : "expected a number for the key \"" + r.names[col] + "\", found " + quote_token(token));
    }
    if (s == ColumnPlan::kIndex) {
      if (v != static_cast<double>(pandas_next_))
        lines_.fail(p, "key \"" + r.names[col] + "\" was left out as a pandas index (0, 1, 2, ...), but here it holds " +
                           quote_token(std::string_view(p, static_cast<std::size_t>(q - p))) + ", not " + std::to_string(pandas_next_) +
                           ": choose the columns with --column input=SPEC or --ignore-column SPEC");
    } else if (s >= 0) {
      in[s] = v;
    } else {
      tg[ColumnPlan::kTarget0 - s] = v;
    }
    return q;
  }

  LineBuffer lines_;
  Origin origin_;
  CsvOptions columns_;  // --target-column, --column and --ignore-column: records lines only
  std::vector<double> in_, tg_;
  Form form_;
  std::int64_t line_no_ = 0, rows_done_ = 0;
  std::int64_t records_from_ = 0;          // the records line that settled the columns (0: a later part)
  std::string foreign_;                    // the first line's first key that is no data argument's, for messages
  std::int64_t pandas_next_ = -1;          // a pandas index left out: the value the next line must hold (-1: none)
  std::vector<std::int64_t> seen_;         // each column's last line with its key (duplicates, missing keys)

  // ", \"input2\"" for the function's other data arguments.
  std::string held_keys() const {
    std::string s;
    for (auto& k : origin_.keys) s += ", \"" + k + "\"";
    return s;
  }
};

}  // namespace

bool one_records_line(std::string_view text, const Origin& origin) {
  text = trim_lines(without_bom(text));
  std::vector<Field> fields;
  if (text.find('\n') != std::string_view::npos || !fields_of(text, fields)) return false;
  for (const Field& f : fields)
    if (!f.scalar) return false;
  return records_keys(fields, origin);
}

std::unique_ptr<RowReader> jsonl_rows(std::unique_ptr<ByteReader> bytes, Origin origin, CsvOptions columns) {
  return std::make_unique<JsonlReader>(std::move(bytes), std::move(origin), std::move(columns));
}

}  // namespace losscalc::read
