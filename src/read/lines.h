// Internals the row readers share (csv.cpp, jsonl.cpp): the fast decimal
// parse, cell trimming, block capacity, and buffered lines with their numbers.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "error.h"
#include "read/rows.h"

namespace losscalc::read::detail {

// Clinger's fast path: a decimal whose digits make an integer m <= 2^53 and
// a power of ten within 1e22 is m * 10^e or m / 10^-e with both operands exact,
// so one IEEE operation rounds it correctly: the same double as from_chars,
// several times faster. Returns the end of the number, or nullptr when the
// text is not such a number (the caller falls back to from_chars).
//
// The text must be followed by a byte that cannot continue a number (the
// LineBuffer keeps a NUL after its data, and a line ends at '\n' or ';'), so
// the digit loops need no bounds checks; the caller still checks that the
// number ends where its cell does.
[[gnu::always_inline]] inline const char* fast_decimal(const char* p, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const bool negative = *p == '-';
  p += negative;
  std::uint64_t m = 0;  // wraps past 19 digits; such numbers go to from_chars
  const char* start = p;
  while (static_cast<unsigned>(*p - '0') < 10) m = m * 10 + static_cast<unsigned>(*p++ - '0');
  auto digits = p - start;
  int scale = 0;
  if (*p == '.') {
    const char* frac = ++p;
    while (static_cast<unsigned>(*p - '0') < 10) m = m * 10 + static_cast<unsigned>(*p++ - '0');
    scale = -static_cast<int>(p - frac);
    digits -= scale;
  }
  if (digits == 0) return nullptr;  // no digit at all ("", "-", ".", "-.")
  if ((*p | 0x20) == 'e') {
    ++p;
    const bool eneg = *p == '-';
    p += (*p == '-' || *p == '+');
    int e = 0;
    const char* es = p;
    while (static_cast<unsigned>(*p - '0') < 10 && e < 10000) e = e * 10 + (*p++ - '0');
    if (p == es) return nullptr;
    scale += eneg ? -e : e;
  }
  // m is exact as a double (at most 2^53) and 10^|scale| too.
  if (digits > 19 || m > (std::uint64_t{1} << 53) || scale < -22 || scale > 22) return nullptr;
  const double v = static_cast<double>(m);
  const double a = scale < 0 ? v / kPow10[-scale] : v * kPow10[scale];
  // The sign as a bit, no branch on it (and -0 stays -0).
  out = std::bit_cast<double>(std::bit_cast<std::uint64_t>(a) | std::uint64_t{negative} << 63);
  return p;
}

// A number token: the from_chars fast path, then the lenient parse_number
// ('+', out-of-range magnitudes, a quoted number).
inline bool number(std::string_view t, double& out) {
  if (t.empty()) return false;
  const char* b = t.data();
  const char* e = b + t.size();
  if (*b != '+') {
    auto [p, ec] = std::from_chars(b, e, out);
    if (ec == std::errc() && p == e) return !(std::isnan(out) && t.find('(') != std::string_view::npos);
  }
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return parse_number(t, out);
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

inline constexpr std::size_t kChunk = 1 << 20;

// Capacity for `rows` rows of a block (capped: max_rows may be a huge "all").
inline void reserve_block(RowBlock& b, std::int64_t rows, std::int64_t width, std::int64_t target_width) {
  rows = std::min<std::int64_t>(rows, std::max<std::int64_t>(64, (std::int64_t{1} << 17) / std::max<std::int64_t>(1, width)));
  b.input.reserve(static_cast<std::size_t>(rows * width));
  b.target.reserve(static_cast<std::size_t>(rows * target_width));
}

// Buffered lines over a ByteReader, with line numbers for messages. The
// buffer grows only for a line longer than it (up to kMaxTextBytes), and a
// long line is scanned for its end once, not again after every read. A NUL
// always follows the data, so a line is followed by '\n' or a NUL.
class LineBuffer {
 public:
  LineBuffer(std::unique_ptr<ByteReader> in, Origin origin) : in_(std::move(in)), origin_(std::move(origin)) {
    // A small source of known size (inline text, a small file) gets a small
    // buffer: parsing "[1,2]" should not allocate a megabyte.
    if (const std::int64_t total = in_->size(); total >= 0)
      chunk_ = std::min(kChunk, std::max<std::size_t>(static_cast<std::size_t>(total) + 1, 4096));
  }

  // The text is a later part of a text (split at a line break): a UTF-8
  // byte-order mark at its start is data there, as it is to one stream.
  void later_part() { later_part_ = true; }

  // The next line (without '\n'); false at the end.
  bool next(std::string_view& line) {
    for (;;) {
      const char* nl = static_cast<const char*>(std::memchr(buf_.get() + scan_, '\n', size_ - scan_));
      if (nl || eof_) {
        if (!nl && pos_ >= size_) return false;
        const std::size_t end = nl ? static_cast<std::size_t>(nl - buf_.get()) : size_;
        line_start_ = pos_;
        ++line_no_;
        line = std::string_view(buf_.get() + pos_, end - pos_);
        if (line_no_ == 1 && origin_.first_line <= 1 && !later_part_) {
          const std::string_view text = without_bom(line);
          line_start_ += line.size() - text.size();
          line = text;
          if (utf16_bom(line)) fail_plain(kUtf16Message);
        }
        pos_ = scan_ = nl ? end + 1 : end;
        return true;
      }
      scan_ = size_;
      fill();
    }
  }

  [[noreturn]] void fail(const char* at, const std::string& message) const {
    throw data_error(origin_.subject,
                     Place{.label = origin_.label, .line = line_no_ + static_cast<std::int64_t>(origin_.first_line) - 1,
                           .column = at - (buf_.get() + line_start_) + 1},
                     message);
  }
  [[noreturn]] void fail_plain(const std::string& message) const { throw data_error(origin_.subject, origin_.label, message); }

  // Where the last line handed out begins (after a byte-order mark).
  const char* line_begin() const { return buf_.get() + line_start_; }
  std::int64_t bytes_read() const { return consumed_ + static_cast<std::int64_t>(pos_); }
  std::int64_t lines_read() const { return line_no_; }
  const Origin& origin() const { return origin_; }

 private:
  void fill() {
    // Drop the consumed prefix (line views handed out before are done with).
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, size_ - pos_);
      size_ -= pos_;
      scan_ -= pos_;
      consumed_ += static_cast<std::int64_t>(pos_);
      pos_ = 0;
    }
    if (size_ + chunk_ > cap_) {
      if (size_ > kMaxTextBytes) fail_plain(kLineTooLong);
      const std::size_t cap = std::max(cap_ * 2, size_ + chunk_);
      auto bigger = std::make_unique_for_overwrite<char[]>(cap + 1);  // + the NUL after the data
      if (size_) std::memcpy(bigger.get(), buf_.get(), size_);
      buf_ = std::move(bigger);
      cap_ = cap;
    }
    const std::size_t got = in_->read(buf_.get() + size_, chunk_);
    // Text never holds a NUL: stop reading there (think /dev/zero); the
    // parser reports it at its line and column.
    if (got == 0 && in_->failed()) fail_plain("read error");
    if (got == 0 || std::memchr(buf_.get() + size_, '\0', got)) eof_ = true;
    size_ += got;
    buf_[size_] = '\0';  // a number never runs on past a line (see fast_decimal)
  }

  std::unique_ptr<ByteReader> in_;
  Origin origin_;
  std::unique_ptr<char[]> buf_ = std::make_unique<char[]>(1);
  std::size_t chunk_ = kChunk, cap_ = 0, size_ = 0, pos_ = 0, scan_ = 0, line_start_ = 0;
  std::int64_t line_no_ = 0, consumed_ = 0;
  bool eof_ = false, later_part_ = false;
};

}  // namespace losscalc::read::detail
