// CSV / TSV / compact text rows: the header, the delimiter, the columns of
// each data argument, a pandas index, and the plain-rows fast path.
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
#include "read/columns.h"
#include "read/lines.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {

using detail::ColumnPlan;
using detail::fast_decimal;
using detail::plan_columns;
using detail::kChunk;
using detail::LineBuffer;
using detail::number;
using detail::reserve_block;
using detail::trim;

class CsvReader : public RowReader {
 public:
  CsvReader(std::unique_ptr<ByteReader> in, Origin origin, CsvOptions opt)
      : lines_(std::move(in), std::move(origin)), opt_(std::move(opt)) {
    if (opt_.columns >= 0) {
      // A later part of a CSV whose first part settled all of this.
      lines_.later_part();
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
        throw data_error(lines_.origin().subject, Place{.label = lines_.origin().label, .line = 1, .column = header_column_},
                         header_error_);
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
          header_column_ = c.data() - row.data() + 1;
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

  void say(const std::string& what) const { detail::say(lines_.origin(), what); }

  // Which column goes where, from the options (and, on the first data row
  // `cells`, a pandas index column left out).
  void resolve_columns(const std::vector<std::string_view>* cells = nullptr) {
    const std::string_view first = cells && !cells->empty() ? (*cells)[0] : std::string_view();
    ColumnPlan plan = plan_columns(opt_, names_, width_, lines_.origin(), cells && !cells->empty() ? &first : nullptr);
    slot_ = std::move(plan.slot);
    input_slots_ = plan.input_slots;
    target_slots_ = plan.target_slots;
    group_widths_ = std::move(plan.group_widths);
    pandas_next_ = plan.pandas_first;
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
  std::int64_t header_column_ = 0;  // of the first cell that is not a number
  std::string header_error_;
  char delim_ = 0;
  std::int64_t width_ = -1, rows_done_ = 0;
  std::vector<std::string> names_;
  // Where each column goes (see ColumnPlan).
  static constexpr int kSkip = ColumnPlan::kSkip, kIndex = ColumnPlan::kIndex, kTarget0 = ColumnPlan::kTarget0;
  std::vector<int> slot_;
  bool left_out(std::int64_t n) const {
    const int at = slot_[static_cast<std::size_t>(n)];
    return at == kSkip || at == kIndex;
  }
  std::int64_t pandas_next_ = -1;  // a pandas index left out: the value the next row must hold (-1: none)
  std::size_t target_slots_ = 0, input_slots_ = 0;
  std::vector<std::int64_t> group_widths_;  // of opt_.target_groups
};

}  // namespace

std::unique_ptr<RowReader> csv_rows(std::unique_ptr<ByteReader> bytes, Origin origin, CsvOptions options) {
  return std::make_unique<CsvReader>(std::move(bytes), std::move(origin), std::move(options));
}

}  // namespace losscalc::read
