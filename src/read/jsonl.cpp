// JSON Lines rows: {"input": [...], "target": ...} a line, with a fast path
// for the plain form.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <utility>

#include "error.h"
#include "read/lines.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {

using detail::fast_decimal;
using detail::LineBuffer;
using detail::number;
using detail::reserve_block;
using detail::trim;

// The shape of a line: its input values, and its other values in groups
// (the function's other data arguments, by name, then the target).
struct Form {
  std::int64_t width = -1, target_width = 0;
  std::vector<std::string> names{};    // of the groups, when there are others than the target
  std::vector<std::int64_t> widths{};  // of the groups
  bool operator==(const Form&) const = default;
};

class JsonlReader : public RowReader {
 public:
  // form.width >= 0: a later part of JSON Lines whose first line had that form.
  JsonlReader(std::unique_ptr<ByteReader> in, Origin origin, Form form = Form())
      : lines_(std::move(in), origin), origin_(std::move(origin)), form_(std::move(form)) {
    if (form_.width >= 0) lines_.later_part();
  }

  Continuation continuation() const override {
    if (form_.width < 0) return {};
    return [origin = origin_, f = form_](std::unique_ptr<ByteReader> in) -> std::unique_ptr<RowReader> {
      return std::make_unique<JsonlReader>(std::move(in), origin, f);
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
      Form f;
      if (!fast_line(line, f.width, f.target_width)) {
        // Anything but the plain form (and every error): the JSON parser.
        Origin o = origin_;
        o.first_line = static_cast<std::size_t>(line_no_);
        Parsed p = parse_text(line, o);
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
          lines_.fail(line.data(), "expected an object with \"input\" (and \"target\") on each line of JSON Lines");
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

  LineBuffer lines_;
  Origin origin_;
  std::vector<double> in_, tg_;
  Form form_;
  std::int64_t line_no_ = 0, rows_done_ = 0;

  // ", \"input2\"" for the function's other data arguments.
  std::string held_keys() const {
    std::string s;
    for (auto& k : origin_.keys) s += ", \"" + k + "\"";
    return s;
  }
};

}  // namespace

std::unique_ptr<RowReader> jsonl_rows(std::unique_ptr<ByteReader> bytes, Origin origin) {
  return std::make_unique<JsonlReader>(std::move(bytes), std::move(origin));
}

}  // namespace losscalc::read
