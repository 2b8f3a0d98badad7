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

class JsonlReader : public RowReader {
 public:
  // width >= 0: a later part of JSON Lines whose first line had `width`
  // input and `target_width` target values.
  JsonlReader(std::unique_ptr<ByteReader> in, Origin origin, std::int64_t width = -1, std::int64_t target_width = 0)
      : lines_(std::move(in), origin), origin_(std::move(origin)), width_(width), target_width_(target_width) {}

  Continuation continuation() const override {
    if (width_ < 0) return {};
    return [origin = origin_, w = width_, tw = target_width_](std::unique_ptr<ByteReader> in) -> std::unique_ptr<RowReader> {
      return std::make_unique<JsonlReader>(std::move(in), origin, w, tw);
    };
  }

  bool next(RowBlock& b, std::int64_t max_rows) override {
    b.clear();
    b.first_row = rows_done_;
    if (width_ > 0) reserve_block(b, max_rows, width_, target_width_);
    std::string_view line;
    while (b.rows < max_rows && lines_.next(line)) {
      ++line_no_;
      if (trim(line).empty()) continue;
      std::int64_t w = 0, tw = 0;
      if (!fast_line(line, w, tw)) {
        // Anything but the plain form (and every error): the JSON parser.
        Origin o = origin_;
        o.first_line = static_cast<std::size_t>(line_no_);
        Parsed p = parse_text(line, o);
        const Tensor* in = nullptr;
        const Tensor* tg = nullptr;
        for (auto& [k, t] : p.fields) {
          if (k == "input") in = &t;
          else if (k == "target") tg = &t;
          else lines_.fail(line.data(), "JSON Lines rows hold \"input\" and \"target\" only; give \"" + k + "\" as an option (--" +
                                             (k == "pos_weight" ? std::string("pos-weight") : k) + ")");
        }
        if (!p.is_object || !in)
          lines_.fail(line.data(), "expected an object with \"input\" (and \"target\") on each line of JSON Lines");
        if (in->shape.size() > 1) lines_.fail(line.data(), "\"input\" must be one sample: a number or a flat array");
        in_ = in->data;
        tg_.clear();
        if (tg) tg_ = tg->data;
        w = static_cast<std::int64_t>(in_.size());
        tw = tg ? static_cast<std::int64_t>(tg_.size()) : 0;
      }
      if (width_ < 0) {
        width_ = w;
        target_width_ = tw;
      } else if (w != width_ || tw != target_width_) {
        lines_.fail(line.data(), "this line has " + std::to_string(w) + " input and " + std::to_string(tw) +
                                     " target values, the first line has " + std::to_string(width_) + " and " +
                                     std::to_string(target_width_));
      }
      b.input.insert(b.input.end(), in_.begin(), in_.end());
      b.target.insert(b.target.end(), tg_.begin(), tg_.end());
      ++b.rows;
    }
    if (width_ < 0) lines_.fail_plain("empty input: no numbers");
    b.width = width_;
    b.target_width = target_width_;
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
  std::int64_t line_no_ = 0, width_ = -1, target_width_ = 0, rows_done_ = 0;
};

}  // namespace

std::unique_ptr<RowReader> jsonl_rows(std::unique_ptr<ByteReader> bytes, Origin origin) {
  return std::make_unique<JsonlReader>(std::move(bytes), std::move(origin));
}

}  // namespace losscalc::read
