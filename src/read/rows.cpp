#include "read/rows.h"

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

namespace losscalc::read {

namespace {

// ---- byte sources ------------------------------------------------------------

class StringBytes : public ByteReader {
 public:
  explicit StringBytes(std::string_view s) : s_(s) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, s_.size() - pos_);
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(s_.size()); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

class StreamBytes : public ByteReader {
 public:
  explicit StreamBytes(std::istream& in) : in_(in) {}
  std::size_t read(char* buf, std::size_t n) override {
    in_.read(buf, static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(in_.gcount());
  }
  bool failed() const override { return in_.bad(); }

 private:
  std::istream& in_;
};

class FileBytes : public ByteReader {
 public:
  FileBytes(std::FILE* f, std::int64_t size) : f_(f), size_(size) {}
  ~FileBytes() override { std::fclose(f_); }
  std::size_t read(char* buf, std::size_t n) override { return std::fread(buf, 1, n, f_); }
  bool skip(std::int64_t n) override {
    if (size_ < 0) return ByteReader::skip(n);  // not a regular file: read past
    const off_t at = ftello(f_);
    return at >= 0 && n <= size_ - at && fseeko(f_, static_cast<off_t>(n), SEEK_CUR) == 0;
  }
  std::int64_t size() const override { return size_; }
  bool failed() const override { return std::ferror(f_) != 0; }

 private:
  std::FILE* f_;
  std::int64_t size_;
};

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
bool number(std::string_view t, double& out) {
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

constexpr std::size_t kChunk = 1 << 20;

// Capacity for `rows` rows of a block (capped: max_rows may be a huge "all").
void reserve_block(RowBlock& b, std::int64_t rows, std::int64_t width, std::int64_t target_width) {
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
        if (line_no_ == 1 && origin_.first_line <= 1) {
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
    std::string where = origin_.label;
    if (!where.empty()) where += ", ";
    where += "line " + std::to_string(line_no_ + origin_.first_line - 1) + ", column " +
             std::to_string(at - (buf_.get() + line_start_) + 1);
    throw data_error(origin_.subject, where, message);
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
  bool eof_ = false;
};

// ---- CSV ---------------------------------------------------------------------

class CsvReader : public RowReader {
 public:
  CsvReader(std::unique_ptr<ByteReader> in, Origin origin, CsvOptions opt)
      : lines_(std::move(in), std::move(origin)), opt_(std::move(opt)) {
    if (opt_.columns >= 0) {
      // A later part of a CSV whose first part settled all of this.
      started_ = true;
      delim_ = opt_.delimiter;
      width_ = opt_.columns;
      resolve_columns();
    }
  }

  Continuation continuation() const override {
    // A pandas index left out is checked row by row (0, 1, 2, ...), which a
    // later part, not knowing its first row's number, cannot do: such text
    // is read by one stream.
    if (width_ < 0 || pandas_next_ >= 0) return {};
    CsvOptions c;
    c.header = CsvOptions::Header::No;
    c.delimiter = delim_;
    c.columns = width_;
    c.target_columns.resize(target_slots_);
    c.input_columns.resize(input_slots_);
    for (auto w : group_widths_) c.target_groups.push_back(static_cast<std::size_t>(w));  // one item a column now
    for (std::size_t col = 0; col < slot_.size(); ++col) {
      const int at = slot_[col];
      if (at >= 0) c.input_columns[static_cast<std::size_t>(at)] = std::to_string(col);
      if (at <= kTarget0) c.target_columns[static_cast<std::size_t>(kTarget0 - at)] = std::to_string(col);
    }
    return [origin = lines_.origin(), c](std::unique_ptr<ByteReader> in) { return csv_rows(std::move(in), origin, c); };
  }

  bool next(RowBlock& b, std::int64_t max_rows) override {
    if (deferred_) std::rethrow_exception(std::exchange(deferred_, nullptr));
    b.clear();
    b.first_row = rows_done_;
    // The caller may have taken the vectors' memory: room for a whole block
    // up front, not a doubling (and a copy) every few rows.
    if (width_ > 0) reserve_block(b, max_rows, static_cast<std::int64_t>(input_slots_), static_cast<std::int64_t>(target_slots_));
    std::string_view row;
    try {
      while (b.rows < max_rows) {
        if (width_ > 0 && delim_ != ' ' && rest_.empty()) {
          // Plain rows, a batch at a time, straight into the block.
          if (!plain_rows(b, max_rows)) break;  // the end of the input
          if (rest_.empty()) continue;          // the batch is full (or a blank line)
          // rest_ holds a line that is not plain: the general path below.
        }
        if (!next_row(row)) break;
        if (!started_) {
          start(row);
          if (header_row_) continue;
        }
        parse_data_row(row, b);
      }
    } catch (const Error&) {
      // Hand out the good rows before a bad one first (streamed per-sample
      // output then ends cleanly before it); the error comes next call.
      if (b.rows == 0) throw;
      deferred_ = std::current_exception();
      b.input.resize(static_cast<std::size_t>(b.rows) * input_slots_);
      b.target.resize(static_cast<std::size_t>(b.rows) * target_slots_);
    }
    if (!started_ || width_ < 0) {
      // A lone line with a non-numeric cell is bad data, unless it is all
      // names (two or more): a header over no rows.
      if (header_row_ && opt_.header != CsvOptions::Header::Yes && !header_error_.empty() && !header_all_text_) {
        const auto& label = lines_.origin().label;
        throw data_error(lines_.origin().subject, (label.empty() ? "" : label + ", ") + header_where_, header_error_);
      }
      if (header_row_) lines_.fail_plain("no data rows after the header");
      lines_.fail_plain("empty input: no numbers");
    }
    b.width = static_cast<std::int64_t>(input_slots_);
    b.target_width = static_cast<std::int64_t>(target_slots_);
    b.target_groups = group_widths_;
    rows_done_ += b.rows;
    return b.rows > 0;
  }

  std::int64_t bytes_read() const override { return lines_.bytes_read(); }
  std::int64_t lines_read() const override { return lines_.lines_read(); }

 private:
  // Rows end at '\n' or ';' (unless ';' is the delimiter); blank rows are skipped.
  bool next_row(std::string_view& row) {
    for (;;) {
      if (rest_.empty()) {
        if (!lines_.next(rest_)) return false;
        if (rest_.empty()) continue;
      }
      const std::size_t semi = (delim_ ? delim_ : opt_.delimiter) == ';' ? std::string_view::npos : rest_.find(';');
      bool sure = false;
      if (semi != std::string_view::npos && rest_.data() == lines_.line_begin() && (delim_ ? delim_ : opt_.delimiter) != ' ' &&
          decimal_commas(rest_, sure)) {
        // "0,3455;0,1234": the European CSV of decimal commas, not rows of
        // two cells: an error in a file. Inline text, and short cells
        // ("1,2;3,4", "0,1;1,0"), may mean the rows: read so, and said so.
        const auto& o = lines_.origin();
        if (!o.label.empty() && sure)
          lines_.fail(rest_.data(), "decimal commas? cells such as " + quote_token(rest_.substr(0, semi)) +
                                        " with ';' between them: losscalc reads '.' as the decimal point and ';' as the end "
                                        "of a row (tr , . converts them; then pass --delimiter ';')");
        say(quote_token(rest_) + " is read as rows of two cells split at ';' (decimal commas would need '.': 0.5 not 0,5)");
      }
      row = rest_.substr(0, semi);
      rest_ = semi == std::string_view::npos ? std::string_view() : rest_.substr(semi + 1);
      if (!trim(row).empty()) return true;
    }
  }

  // A number written with a decimal comma ("0,3455", "-2,5"): the number of
  // digits after its comma; 0 when `cell` is not one.
  static std::size_t decimal_comma_digits(std::string_view cell) {
    cell = trim(cell);
    if (!cell.empty() && cell[0] == '-') cell.remove_prefix(1);
    const std::size_t comma = cell.find(',');
    if (comma == 0 || comma == std::string_view::npos || comma + 1 == cell.size()) return 0;
    for (std::size_t i = 0; i < cell.size(); ++i)
      if (i != comma && !(cell[i] >= '0' && cell[i] <= '9')) return 0;
    return cell.size() - comma - 1;
  }

  // Every ';'-separated piece of `line` a decimal-comma number
  // ("0,3455;0,1234;1,5"), at least two. `sure`: some piece has two or more
  // digits after its comma ("1,2;3,4" may be rows of two cells).
  static bool decimal_commas(std::string_view line, bool& sure) {
    std::size_t pieces = 0;
    sure = false;
    while (!line.empty()) {
      const std::size_t semi = line.find(';');
      const std::string_view piece = line.substr(0, semi);
      line = semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
      if (trim(piece).empty() && line.empty()) break;  // a trailing ';'
      const std::size_t digits = decimal_comma_digits(piece);
      if (digits == 0) return false;
      sure = sure || digits >= 2;
      ++pieces;
    }
    return pieces >= 2;
  }

  void split(std::string_view row, std::vector<std::string_view>& cells) const {
    cells.clear();
    if (delim_ == ' ') {
      std::size_t i = 0;
      while (i < row.size()) {
        while (i < row.size() && (row[i] == ' ' || row[i] == '\r' || row[i] == '\t')) ++i;
        if (i >= row.size()) break;
        std::size_t j = i;
        while (j < row.size() && row[j] != ' ' && row[j] != '\r' && row[j] != '\t') ++j;
        cells.push_back(row.substr(i, j - i));
        i = j;
      }
      return;
    }
    std::size_t a = 0;
    for (std::size_t i = 0; i <= row.size(); ++i) {
      if (i == row.size() || row[i] == delim_) {
        std::string_view c = row.substr(a, i - a);
        // keep the position of an empty cell where it stands
        std::string_view t = trim(c);
        cells.push_back(t.empty() ? row.substr(a, 0) : t);
        a = i + 1;
      }
    }
  }

  void start(std::string_view row) {
    started_ = true;
    delim_ = opt_.delimiter ? opt_.delimiter
             : row.find(',') != std::string_view::npos ? ','
             : row.find('\t') != std::string_view::npos ? '\t'
                                                        : ' ';
    std::vector<std::string_view> cells;
    split(row, cells);
    double x;
    bool non_numeric = false;
    header_all_text_ = cells.size() >= 2;
    for (auto c : cells)
      if (number(c, x))
        header_all_text_ = false;
      else {
        non_numeric = true;
        if (header_error_.empty()) {
          header_where_ = "line 1, column " + std::to_string(c.data() - row.data() + 1);
          header_error_ = c.empty() ? "empty cell" : "expected a number, found " + quote_token(c);
        }
      }
    header_row_ = opt_.header == CsvOptions::Header::Yes || (opt_.header == CsvOptions::Header::Auto && non_numeric);
    if (header_row_)
      for (auto c : cells) {
        std::string name(c);
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
        names_.push_back(name);
      }
  }

  // A note on what reading chose, "SUBJECT: LABEL: ...", when the caller
  // takes notes.
  void say(const std::string& what) const {
    const Origin& o = lines_.origin();
    if (o.note) o.note(o.subject + (o.label.empty() ? "" : ": " + o.label) + ": " + what);
  }

  // A range a:b (not a header name that holds a colon).
  bool is_range(const std::string& spec) const {
    return spec.find(':') != std::string::npos && std::find(names_.begin(), names_.end(), spec) == names_.end();
  }

  // The index of one column (a header name, or an index from 0, negative
  // from the end); `option` names the option in messages.
  std::int64_t column_of(const std::string& option, const std::string& spec) const {
    auto it = std::find(names_.begin(), names_.end(), spec);
    if (it != names_.end()) {
      const std::int64_t col = it - names_.begin();
      if (col >= width_)
        throw data_error(lines_.origin().subject, lines_.origin().label,
                         "the header names " + std::to_string(names_.size()) + " columns, the data rows have " +
                             std::to_string(width_) + ": column " + in_quotes(spec) + " is past their end");
      return col;
    }
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), v);
    if (ec != std::errc() || p != spec.data() + spec.size()) {
      std::string known;
      for (auto& n : names_) known += (known.empty() ? "" : ", ") + quote_token(n);
      throw usage_error(option, "no column named " + in_quotes(spec) +
                                    (names_.empty() ? " (the data has no header line)" : " (columns: " + known + ")"));
    }
    const std::int64_t col = v < 0 ? v + width_ : v;
    if (col < 0 || col >= width_)
      throw usage_error(option, "column " + spec + " is out of range: the rows have " + std::to_string(width_) + " columns (0 to " +
                                    std::to_string(width_ - 1) + ")");
    return col;
  }

  // The columns of a spec: one column, or a range a:b (both ends included).
  std::vector<std::int64_t> columns_of(const std::string& option, const std::string& spec) const {
    if (!is_range(spec)) return {column_of(option, spec)};
    const auto colon = spec.find(':');
    const std::string a = spec.substr(0, colon), b = spec.substr(colon + 1);
    const std::int64_t first = a.empty() ? 0 : column_of(option, a);
    const std::int64_t last = b.empty() ? width_ - 1 : column_of(option, b);
    if (first > last)
      throw usage_error(option, "the range " + in_quotes(spec) + " runs backwards (columns " + std::to_string(first) + " to " +
                                    std::to_string(last) + ")");
    std::vector<std::int64_t> out;
    for (std::int64_t c = first; c <= last; ++c) out.push_back(c);
    return out;
  }

  // Which column goes where, from the options (and, on the first data row
  // `cells`, a pandas index column left out).
  void resolve_columns(const std::vector<std::string_view>* cells = nullptr) {
    struct Column {
      int input = -1, target = -1;  // its position in the input or the target
      bool skip = false;            // left out (not even parsed)
    };
    std::vector<Column> cols(static_cast<std::size_t>(width_));
    target_slots_ = input_slots_ = 0;
    group_widths_.assign(opt_.target_groups.size(), 0);
    for (std::size_t item = 0; item < opt_.target_columns.size(); ++item) {
      const std::string& spec = opt_.target_columns[item];
      const std::size_t before = target_slots_;
      for (std::int64_t col : columns_of("--target-column", spec)) {
        Column& c = cols[static_cast<std::size_t>(col)];
        if (c.target >= 0) throw usage_error("--target-column", "column " + spec + " is named twice");
        c.target = static_cast<int>(target_slots_++);
      }
      // Which group the item is in: the first whose items reach past it.
      std::size_t group = 0, end = opt_.target_groups.empty() ? 0 : opt_.target_groups[0];
      while (group + 1 < opt_.target_groups.size() && item >= end) end += opt_.target_groups[++group];
      if (!group_widths_.empty()) group_widths_[group] += static_cast<std::int64_t>(target_slots_ - before);
    }
    for (const std::string& spec : opt_.ignore_columns)
      for (std::int64_t col : columns_of("--ignore-column", spec)) {
        Column& c = cols[static_cast<std::size_t>(col)];
        if (is_range(spec) && c.target >= 0) continue;  // a range passes over target columns, as --column input= does
        if (c.target >= 0) throw usage_error("--ignore-column", "column " + spec + " is also a target column");
        c.skip = true;
      }
    bool pandas = false;
    if (cells && opt_.input_columns.empty() && opt_.ignore_columns.empty() && pandas_index(*cells, cols[0].target >= 0)) {
      pandas = true;
      cols[0].skip = true;
      pandas_next_ = (*cells)[0] == "0" ? 0 : 1;  // each row's value is checked: 0, 1, 2, ... (or from 1)
      say("column 0 (header " + quote_token(names_[0]) + ", values counting from " + std::to_string(pandas_next_) +
          ") looks like a pandas index: left out (--column input=SPEC or --ignore-column SPEC choose the columns yourself)");
    }
    if (!opt_.input_columns.empty()) {
      for (const std::string& spec : opt_.input_columns)
        for (std::int64_t col : columns_of("--column", spec)) {
          Column& c = cols[static_cast<std::size_t>(col)];
          if (is_range(spec) && (c.target >= 0 || c.skip)) continue;  // a range (2:, 1:-1) passes over them
          if (c.target >= 0) throw usage_error("--column", "column " + spec + " is both an input and a target column");
          if (c.skip) throw usage_error("--column", "column " + spec + " is both an input column and ignored");
          if (c.input >= 0) throw usage_error("--column", "input column " + spec + " is named twice");
          c.input = static_cast<int>(input_slots_++);
        }
      // Columns named nowhere are left out, and (once, not again for a later
      // part of the text) said so.
      std::string unnamed;
      for (std::size_t k = 0; k < cols.size(); ++k) {
        Column& c = cols[k];
        if (c.input >= 0 || c.target >= 0 || c.skip) continue;
        c.skip = true;
        unnamed += (unnamed.empty() ? "" : ", ") + (k < names_.size() && !names_[k].empty() ? quote_token(names_[k]) : std::to_string(k));
      }
      if (!unnamed.empty() && opt_.columns < 0)
        say(std::string("column") + (unnamed.find(", ") == std::string::npos ? " " : "s ") + unnamed +
            " in no --column, --target-column or --ignore-column: left out");
    } else {
      for (Column& c : cols)
        if (c.target < 0 && !c.skip) c.input = static_cast<int>(input_slots_++);
    }
    if (input_slots_ == 0) {
      if (pandas)
        throw data_error(lines_.origin().subject, lines_.origin().label,
                         "column 0 looks like a pandas index and the other columns are targets: no input left "
                         "(--column input=0 keeps column 0 as the input)");
      throw usage_error(!opt_.input_columns.empty()     ? "--column"
                        : opt_.target_columns.empty() ? "--ignore-column"
                                                      : "--target-column",
                        "every column is a target or left out: no input values left");
    }
    slot_.resize(cols.size());
    for (std::size_t k = 0; k < cols.size(); ++k)
      slot_[k] = cols[k].skip ? (pandas && k == 0 ? kIndex : kSkip) : cols[k].input >= 0 ? cols[k].input : kTarget0 - cols[k].target;
  }

  // pandas' to_csv writes its index first: an empty (or, read and written
  // again, "Unnamed: 0") header name over integers counting from 0 or 1.
  bool pandas_index(const std::vector<std::string_view>& cells, bool first_is_target) const {
    if (!header_row_ || names_.empty() || (!names_[0].empty() && names_[0] != "Unnamed: 0") || cells.empty()) return false;
    return !first_is_target && (cells[0] == "0" || cells[0] == "1");
  }

  // Common rows: plain numbers, each right up to the delimiter, as many as
  // the first row had, read into the block a batch at a time. At the first
  // line that is anything else (spaces, quotes, a '+', NaN, a number
  // from_chars must read, ';', a wrong count, a blank line) that line is left
  // in rest_ for next_row and parse_data_row, which read it from its start or
  // report it. False at the end of the input.
  bool plain_rows(RowBlock& b, std::int64_t max_rows) {
    const std::size_t w = input_slots_;
    const std::size_t batch = static_cast<std::size_t>(std::min<std::int64_t>(max_rows - b.rows, 256));
    const std::size_t in_at = b.input.size(), tgt_at = b.target.size();
    b.input.resize(in_at + batch * w);
    b.target.resize(tgt_at + batch * target_slots_);
    std::size_t got = 0;
    bool more = true;
    std::string_view line;
    while (got < batch) {
      if (!lines_.next(line)) {
        more = false;
        break;
      }
      if (!plain_row(line, b.input.data() + in_at + got * w, b.target.data() + tgt_at + got * target_slots_)) {
        rest_ = line;
        break;
      }
      ++got;
    }
    b.input.resize(in_at + got * w);
    b.target.resize(tgt_at + got * target_slots_);
    b.rows += static_cast<std::int64_t>(got);
    return more;
  }

  bool plain_row(std::string_view row, double* in, double* tg) {
    // One int a column (slot_), as compact as the loop that reads them.
    const int* slot = slot_.data();
    const char* p = row.data();
    const char* const end = p + row.size();
    for (std::int64_t n = 0; n < width_; ++n) {
      const int s = slot[n];
      const char* q;
      if (s == kSkip) {
        // A left-out cell may hold anything but the row's end: a ';' (which
        // ends a row unless it is the delimiter) goes to the general path.
        q = p;
        while (q < end && *q != delim_) {
          if (*q == ';') return false;
          ++q;
        }
      } else if (s == kIndex) {
        double v;
        q = fast_decimal(p, v);
        if (!q || v != static_cast<double>(pandas_next_)) return false;  // the general path says what is wrong
      } else {
        double v;
        q = fast_decimal(p, v);
        if (!q) return false;
        if (s >= 0)
          in[s] = v;
        else
          tg[kTarget0 - s] = v;
      }
      if (q == end || (*q == '\r' && q + 1 == end)) {  // CRLF lines too
        if (n + 1 != width_) return false;
        if (pandas_next_ >= 0) ++pandas_next_;
        return true;
      }
      if (*q != delim_) return false;
      p = q + 1;
    }
    return false;
  }

  // "in column 'file' (--ignore-column file leaves it out)" for a cell of
  // column n that is not a number, on the first data row (a column of text
  // such as an id or a file name fails there; a later bad cell is a typo).
  std::string ignore_hint(std::int64_t n, bool first_row) const {
    if (!first_row || n >= width_ || width_ < 2) return "";
    const auto col = static_cast<std::size_t>(n);
    const bool named = col < names_.size() && !names_[col].empty() &&
                       names_[col].find_first_of(" ,:\"'") == std::string::npos;
    const std::string spec = named ? names_[col] : std::to_string(n);
    return " in column " + (named ? quote_token(names_[col]) : spec) + " (--ignore-column " + spec + " leaves it out)";
  }

  void parse_data_row(std::string_view row, RowBlock& b) {
    // The first data row fixes the width.
    const bool first_row = width_ < 0;
    if (first_row) {
      std::vector<std::string_view> cells;
      split(row, cells);
      width_ = static_cast<std::int64_t>(cells.size());
      resolve_columns(&cells);
      b.input.reserve(input_slots_ * 1024);
    }
    std::int64_t n = 0;
    std::size_t i = 0;
    const std::size_t size = row.size();
    const char* base = row.data();
    const std::size_t in_at = b.input.size(), tgt_at = b.target.size();
    b.input.resize(in_at + input_slots_);
    b.target.resize(tgt_at + target_slots_);
    // Cell n's value into its input or target slot.
    auto store = [&](double v) {
      const int at = slot_[static_cast<std::size_t>(n)];
      if (at >= 0)
        b.input[in_at + static_cast<std::size_t>(at)] = v;
      else
        b.target[tgt_at + static_cast<std::size_t>(kTarget0 - at)] = v;
      ++n;
    };
    auto too_many = [&] {
      std::vector<std::string_view> cells;
      split(row, cells);
      lines_.fail(cells.empty() ? base : cells[0].data(),
                  "this row has " + std::to_string(cells.size()) + " cells, the first data row has " + std::to_string(width_));
    };
    auto put = [&](const char* at, std::string_view cell) {
      if (n >= width_) too_many();
      if (left_out(n)) {  // anything goes (but a pandas index counts on)
        if (slot_[static_cast<std::size_t>(n)] == kIndex) {
          double v;
          if (!number(cell, v) || v != static_cast<double>(pandas_next_))
            lines_.fail(at, "column 0 was left out as a pandas index (0, 1, 2, ...), but here it holds " + quote_token(cell) +
                                ", not " + std::to_string(pandas_next_) +
                                ": choose the columns with --column input=SPEC or --ignore-column SPEC");
          ++pandas_next_;
        }
        ++n;
        return;
      }
      double v;
      if (cell.empty()) lines_.fail(at, "empty cell" + ignore_hint(n, first_row));
      if (!number(cell, v))
        lines_.fail(at, "expected a number, found " + quote_token(cell) +
                            (delim_ != ',' && decimal_comma_digits(cell) > 0
                                 ? " (a decimal comma? losscalc reads '.' as the decimal point: tr , . converts them)"
                                 : ignore_hint(n, first_row)));
      store(v);
    };
    if (delim_ == ' ') {
      while (i < size) {
        while (i < size && (base[i] == ' ' || base[i] == '\r' || base[i] == '\t')) ++i;
        if (i >= size) break;
        std::size_t j = i;
        while (j < size && base[j] != ' ' && base[j] != '\r' && base[j] != '\t') ++j;
        put(base + i, std::string_view(base + i, j - i));
        i = j;
      }
    } else {
      const char* end = base + size;
      for (;;) {
        // Fast path: a plain number right up to the delimiter (or the end).
        const char* p = base + i;
        double v;
        const char* q = nullptr;
        if (n < width_ && !left_out(n)) {
          q = fast_decimal(p, v);
          if (!q) {
            // NaN: the lenient path below checks its spelling. (Only here: the
            // fast path never gives one, and testing its quotient would wait
            // for the division.)
            auto [q2, ec] = std::from_chars(p, end, v);
            q = (ec == std::errc() && *p != 'n' && *p != 'N' && !std::isnan(v)) ? q2 : nullptr;
          }
        }
        if (q && q > p && (q == end || *q == delim_)) {
          store(v);
          if (q == end) break;
          i = static_cast<std::size_t>(q - base) + 1;
          continue;
        }
        std::size_t j = i;
        while (j < size && base[j] != delim_) ++j;
        std::size_t a = i, e = j;
        while (a < e && (base[a] == ' ' || base[a] == '\r' || base[a] == '\t')) ++a;
        while (e > a && (base[e - 1] == ' ' || base[e - 1] == '\r' || base[e - 1] == '\t')) --e;
        put(base + (a < e ? a : i), std::string_view(base + a, e - a));
        if (j >= size) break;
        i = j + 1;
      }
    }
    if (n != width_) {
      std::vector<std::string_view> cells;
      split(row, cells);
      lines_.fail(cells.empty() ? base : cells[0].data(),
                  "this row has " + std::to_string(n) + " cells, the first data row has " + std::to_string(width_));
    }
    ++b.rows;
  }

  LineBuffer lines_;
  CsvOptions opt_;
  std::exception_ptr deferred_;
  std::string_view rest_;
  bool started_ = false, header_row_ = false, header_all_text_ = false;
  std::string header_where_, header_error_;
  char delim_ = 0;
  std::int64_t width_ = -1, rows_done_ = 0;
  std::vector<std::string> names_;
  // Where each column goes: its input slot (>= 0), kTarget0 - its target
  // slot, kSkip (left out, not parsed) or kIndex (a pandas index left out,
  // its count checked).
  static constexpr int kSkip = -1, kIndex = -2, kTarget0 = -3;
  std::vector<int> slot_;
  bool left_out(std::int64_t n) const {
    const int at = slot_[static_cast<std::size_t>(n)];
    return at == kSkip || at == kIndex;
  }
  std::int64_t pandas_next_ = -1;  // a pandas index left out: the value the next row must hold (-1: none)
  std::size_t target_slots_ = 0, input_slots_ = 0;
  std::vector<std::int64_t> group_widths_;  // of opt_.target_groups
};

// ---- JSON Lines --------------------------------------------------------------

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

// ---- .npy --------------------------------------------------------------------

struct NpyHeader {
  char kind = 'f';  // f or i
  int bytes = 8;
  Shape shape;
  std::size_t data_offset = 0;
};

NpyHeader npy_header(std::string_view b, const Origin& o) {
  auto bad = [&](const std::string& m) { return data_error(o.subject, o.label, ".npy: " + m); };
  if (b.substr(0, 6) != "\x93NUMPY") throw bad("not a .npy file (no \\x93NUMPY magic)");
  if (b.size() < 10) throw bad("truncated header");
  const int major = static_cast<unsigned char>(b[6]);
  std::size_t len = 0, off = 0;
  if (major == 1) {
    len = static_cast<unsigned char>(b[8]) | static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8;
    off = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw bad("truncated header");
    len = 0;
    for (int k = 0; k < 4; ++k) len |= static_cast<std::size_t>(static_cast<unsigned char>(b[8 + k])) << (8 * k);
    off = 12;
  } else {
    throw bad("unsupported format version " + std::to_string(major));
  }
  if (len > (1u << 20) || b.size() < off + len) throw bad("truncated or corrupt header");
  const std::string h(b.substr(off, len));
  NpyHeader out;
  out.data_offset = off + len;
  auto value_of = [&](const std::string& key) {
    const auto k = h.find("'" + key + "'");
    if (k == std::string::npos) throw bad("corrupt header: no '" + key + "'");
    const auto colon = h.find(':', k);
    if (colon == std::string::npos) throw bad("corrupt header");
    return colon + 1;
  };
  // descr
  std::size_t d = value_of("descr");
  const auto q1 = h.find('\'', d), q2 = q1 == std::string::npos ? q1 : h.find('\'', q1 + 1);
  if (q2 == std::string::npos) throw bad("corrupt header: bad descr");
  const std::string descr = h.substr(q1 + 1, q2 - q1 - 1);
  if (descr == "<f8") out = {'f', 8, {}, out.data_offset};
  else if (descr == "<f4") out = {'f', 4, {}, out.data_offset};
  else if (descr == "<i8") out = {'i', 8, {}, out.data_offset};
  else if (descr == "<i4") out = {'i', 4, {}, out.data_offset};
  else throw bad("unsupported dtype " + in_quotes(descr, 40) + " (losscalc reads little-endian float64, float32, int64 and int32)");
  // fortran_order
  std::size_t f = value_of("fortran_order");
  while (f < h.size() && h[f] == ' ') ++f;
  if (h.compare(f, 4, "True") == 0) throw bad("Fortran order is not supported: save a C-order array (np.ascontiguousarray)");
  if (h.compare(f, 5, "False") != 0) throw bad("corrupt header: bad fortran_order");
  // shape
  std::size_t s = value_of("shape");
  const auto open = h.find('(', s), close = open == std::string::npos ? open : h.find(')', open);
  if (close == std::string::npos) throw bad("corrupt header: bad shape");
  std::string dims = h.substr(open + 1, close - open - 1);
  std::size_t i = 0;
  while (i < dims.size()) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
    if (i >= dims.size()) break;
    std::int64_t v = -1;
    auto [p, ec] = std::from_chars(dims.data() + i, dims.data() + dims.size(), v);
    if (ec != std::errc() || v < 0) throw bad("corrupt header: bad shape '(" + dims + ")'");
    out.shape.push_back(v);
    i = static_cast<std::size_t>(p - dims.data());
  }
  // The element count (and its bytes) must fit: a corrupt shape must not wrap.
  std::int64_t n = 1;
  for (auto extent : out.shape) {
    // At most 2^58 elements: their bytes (8 each) stay far below 2^63.
    if (extent != 0 && n > (std::int64_t{1} << 58) / extent) throw bad("shape (" + dims + ") is too large");
    n *= extent;
  }
  return out;
}

// n values of the header's dtype at p (little-endian, any alignment) as doubles.
template <class V>
void npy_convert(const char* p, std::size_t n, double* out) {
  for (std::size_t k = 0; k < n; ++k) {
    V v;
    std::memcpy(&v, p + k * sizeof(V), sizeof(V));
    out[k] = static_cast<double>(v);
  }
}
void npy_values(const char* p, std::size_t n, const NpyHeader& h, double* out) {
  if (h.kind == 'f')
    h.bytes == 8 ? npy_convert<double>(p, n, out) : npy_convert<float>(p, n, out);
  else
    h.bytes == 8 ? npy_convert<std::int64_t>(p, n, out) : npy_convert<std::int32_t>(p, n, out);
}

class NpyReader : public RowReader {
 public:
  NpyReader(std::unique_ptr<ByteReader> in, Origin origin, int part, int parts) : in_(std::move(in)), origin_(std::move(origin)) {
    std::string head(4096, '\0');
    std::size_t got = 0, n;
    while (got < head.size() && (n = in_->read(head.data() + got, head.size() - got)) > 0) got += n;
    head.resize(got);
    // A header longer than 4 KiB: read on until it is whole.
    if (got >= 12 && head.substr(0, 6) == "\x93NUMPY") {
      const std::size_t need = (static_cast<unsigned char>(head[6]) == 1
                                    ? 10 + (static_cast<unsigned char>(head[8]) | static_cast<std::size_t>(static_cast<unsigned char>(head[9])) << 8)
                                    : 12 + (static_cast<std::size_t>(static_cast<unsigned char>(head[8])) |
                                            static_cast<std::size_t>(static_cast<unsigned char>(head[9])) << 8 |
                                            static_cast<std::size_t>(static_cast<unsigned char>(head[10])) << 16));
      if (need > head.size() && need < (1u << 20)) {
        std::size_t old = head.size();
        head.resize(need);
        while (old < need && (n = in_->read(head.data() + old, need - old)) > 0) old += n;
        head.resize(old);
      }
    }
    h_ = npy_header(head, origin_);
    if (h_.shape.size() > 2)
      throw data_error(origin_.subject, origin_.label, ".npy of shape " + shape_str(h_.shape) + ": streamed rows need 1 or 2 dims");
    rows_ = h_.shape.empty() ? 1 : h_.shape[0];
    width_ = h_.shape.size() == 2 ? h_.shape[1] : 1;
    // Rows of no values hold nothing to compute, and (as many as a header
    // may claim) would stream empty blocks for ever.
    if (width_ == 0 && rows_ > 0)
      throw data_error(origin_.subject, origin_.label, "empty input: no elements (.npy of shape " + shape_str(h_.shape) + ")");
    pending_ = head.substr(h_.data_offset);
    end_ = rows_;
    if (parts > 1) {
      // Rows [R part / parts, R (part + 1) / parts): skip the bytes before.
      done_ = part_start(rows_, part, parts);
      end_ = part + 1 == parts ? rows_ : part_start(rows_, part + 1, parts);
      const std::int64_t skip = done_ * width_ * h_.bytes;
      const std::int64_t early = std::min<std::int64_t>(skip, static_cast<std::int64_t>(pending_.size()));
      pending_.erase(0, static_cast<std::size_t>(early));
      if (!in_->skip(skip - early)) throw truncated();
    }
  }

  bool next(RowBlock& b, std::int64_t max_rows) override {
    b.clear();
    b.first_row = done_;
    b.width = width_;
    b.target_width = 0;
    const std::int64_t want = std::min({max_rows, end_ - done_, std::max<std::int64_t>(1, (std::int64_t{1} << 20) / std::max<std::int64_t>(1, width_))});
    if (want <= 0) return false;
    // rows * width * bytes stays below 2^63 (the header caps elements at 2^58).
    const auto count = static_cast<std::size_t>(want * width_);
    const std::size_t bytes = count * static_cast<std::size_t>(h_.bytes);
    // float64 is read straight into the block, other dtypes through raw_ and
    // converted. Memory grows only as bytes arrive (16 MB at a time), so a
    // header that claims petabytes ends as a truncated file, not a huge
    // allocation.
    const bool direct = h_.kind == 'f' && h_.bytes == 8;
    std::size_t have = 0;
    while (have < bytes) {
      const std::size_t upto = have + std::min(bytes - have, std::size_t{1} << 24);
      char* to;
      if (direct) {
        b.input.resize(upto / 8 + (upto % 8 != 0));
        to = reinterpret_cast<char*>(b.input.data());
      } else {
        raw_.resize(upto);
        to = raw_.data();
      }
      const std::size_t early = std::min(pending_.size(), upto - have);  // read with the header
      std::memcpy(to + have, pending_.data(), early);
      pending_.erase(0, early);
      have += early;
      while (have < upto) {
        const std::size_t n = in_->read(to + have, upto - have);
        if (n == 0) throw truncated();
        have += n;
      }
    }
    if (!direct) {
      b.input.resize(count);
      npy_values(raw_.data(), count, h_, b.input.data());
    }
    b.rows = want;
    done_ += want;
    read_ += static_cast<std::int64_t>(bytes);
    return true;
  }
  std::int64_t bytes_read() const override { return read_; }

 private:
  std::unique_ptr<ByteReader> in_;
  Origin origin_;
  NpyHeader h_;
  Error truncated() const {
    return data_error(origin_.subject, origin_.label,
                      ".npy is truncated: expected " + std::to_string(rows_ * width_) + " values of " + std::to_string(h_.bytes) + " bytes");
  }

  std::string pending_, raw_;
  std::int64_t rows_ = 0, width_ = 1, done_ = 0, end_ = 0, read_ = 0;
};

}  // namespace

bool ByteReader::skip(std::int64_t n) {
  char buf[1 << 16];
  while (n > 0) {
    const std::size_t got = read(buf, static_cast<std::size_t>(std::min<std::int64_t>(n, sizeof buf)));
    if (got == 0) return false;
    n -= static_cast<std::int64_t>(got);
  }
  return true;
}

std::unique_ptr<ByteReader> string_bytes(std::string_view text) { return std::make_unique<StringBytes>(text); }
std::unique_ptr<ByteReader> stream_bytes(std::istream& in) { return std::make_unique<StreamBytes>(in); }

std::unique_ptr<ByteReader> file_bytes(const std::string& path, const std::string& subject) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw data_error(subject, "", in_quotes(path) + " is a directory, not a data file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw data_error(subject, "", "cannot read " + in_quotes(path) + ": " + std::strerror(errno));
  const auto size = std::filesystem::is_regular_file(path, ec) ? static_cast<std::int64_t>(std::filesystem::file_size(path, ec)) : -1;
  return std::make_unique<FileBytes>(f, size);
}

std::string read_text(ByteReader& in, const std::string& subject, const std::string& label) {
  std::string text;
  bool npy = false;
  char buf[1 << 16];
  while (const std::size_t got = in.read(buf, sizeof buf)) {
    const std::size_t old = text.size();
    if (old + got > kMaxTextBytes)
      throw data_error(subject, label, "larger than " + std::to_string(kMaxTextBytes >> 20) + " MiB; losscalc reads at most that much");
    // Capacity doubles but never past the cap (so at most 2 GiB is held).
    if (old + got > text.capacity()) text.reserve(std::min(std::max(text.capacity() * 2, old + got), kMaxTextBytes));
    text.append(buf, got);
    if (old < 64) npy = sniff(text) == RowFormat::Npy;
    if (!npy && std::memchr(text.data() + old, '\0', got)) break;
  }
  if (in.failed()) throw data_error(subject, label, "read error");
  return text;
}

std::unique_ptr<RowReader> csv_rows(std::unique_ptr<ByteReader> bytes, Origin origin, CsvOptions options) {
  return std::make_unique<CsvReader>(std::move(bytes), std::move(origin), std::move(options));
}
std::unique_ptr<RowReader> jsonl_rows(std::unique_ptr<ByteReader> bytes, Origin origin) {
  return std::make_unique<JsonlReader>(std::move(bytes), std::move(origin));
}
std::unique_ptr<RowReader> npy_rows(std::unique_ptr<ByteReader> bytes, Origin origin, int part, int parts) {
  return std::make_unique<NpyReader>(std::move(bytes), std::move(origin), part, parts);
}

Shape npy_shape(std::string_view head, const Origin& origin) { return npy_header(head, origin).shape; }

RowBlock read_all(RowReader& rows) {
  RowBlock all, b;
  while (rows.next(b, 1 << 16)) {
    all.input.insert(all.input.end(), b.input.begin(), b.input.end());
    all.target.insert(all.target.end(), b.target.begin(), b.target.end());
    all.rows += b.rows;
    all.width = b.width;
    all.target_width = b.target_width;
    all.target_groups = b.target_groups;
  }
  return all;
}

Shape row_shape(std::int64_t rows, std::int64_t width) {
  if (rows == 1 && width == 1) return {};
  if (rows == 1) return {width};
  if (width == 1) return {rows};
  return {rows, width};
}

Tensor npy_tensor(std::string_view bytes, const Origin& origin) {
  const NpyHeader h = npy_header(bytes, origin);
  Tensor t{h.shape, {}};
  const auto n = static_cast<std::size_t>(numel(h.shape));
  if (bytes.size() < h.data_offset + n * static_cast<std::size_t>(h.bytes))
    throw data_error(origin.subject, origin.label, ".npy is truncated: expected " + std::to_string(n) + " values of " + std::to_string(h.bytes) + " bytes");
  t.data.resize(n);
  npy_values(bytes.data() + h.data_offset, n, h, t.data.data());
  return t;
}

RowFormat sniff(std::string_view head) {
  head = without_bom(head);
  if (head.substr(0, 6) == "\x93NUMPY") return RowFormat::Npy;
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return RowFormat::Csv;
  if (head[first] == '[') return RowFormat::Json;
  if (head[first] == '{') {
    // JSON Lines: an object that ends on its first line, and more after it.
    const auto nl = head.find('\n', first);
    if (nl == std::string_view::npos) return RowFormat::Json;
    const auto line_end = head.find_last_not_of(" \t\r", nl - 1);
    const auto next = head.find_first_not_of(" \t\r\n", nl);
    if (line_end != std::string_view::npos && head[line_end] == '}' && next != std::string_view::npos && head[next] == '{')
      return RowFormat::JsonLines;
    return RowFormat::Json;
  }
  return RowFormat::Csv;
}

}  // namespace losscalc::read
