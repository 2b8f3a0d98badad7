#include "stream.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <mutex>
#include <thread>

#include "core/exact_sum.h"
#include "error.h"
#include "output.h"
#include "ops/checks.h"
#include "print/number.h"
#include "print/printers.h"
#include "read/chunks.h"
#include "read/rows.h"
#include "read/source.h"
#include "reduced.h"
#include "registry.h"
#include "settings_record.h"

namespace losscalc {

namespace {

// Bytes already read (to sniff the format), then the rest of the source.
class ChainBytes : public read::ByteReader {
 public:
  ChainBytes(std::string head, std::unique_ptr<read::ByteReader> rest) : head_(std::move(head)), rest_(std::move(rest)) {}
  std::size_t read(char* buf, std::size_t n) override {
    if (pos_ < head_.size()) {
      const std::size_t k = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, k);
      pos_ += k;
      if (pos_ == head_.size()) {
        std::string().swap(head_);  // read: its memory goes
        pos_ = 0;
      }
      return k;
    }
    return rest_->read(buf, n);
  }
  std::int64_t size() const override { return rest_->size(); }
  bool failed() const override { return rest_->failed(); }

 private:
  std::string head_;
  std::size_t pos_ = 0;
  std::unique_ptr<read::ByteReader> rest_;
};

std::string read_head(read::ByteReader& r, std::size_t n) {
  std::string head(n, '\0');
  std::size_t got = 0, k;
  while (got < n && (k = r.read(head.data() + got, n - got)) > 0) got += k;
  head.resize(got);
  return head;
}

// A data argument opened for rows, with its sniffed format.
struct Opened {
  read::RowFormat format = read::RowFormat::Csv;
  std::unique_ptr<read::ByteReader> bytes;  // head + rest
  std::string head;                         // what was read to sniff (stdin replay)
  read::Origin origin;
};

// Opens "-", an existing file, or inline text that is not JSON; nothing for
// anything else (the in-memory path then reports it).
std::optional<Opened> open_source(const Source& src, std::istream& in) {
  Opened o;
  std::unique_ptr<read::ByteReader> raw;
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
    if (!std::filesystem::exists(src.spec, ec)) {
      // Not a file: inline compact text ("0.1 0.2 2; 0.3 0.4 0").
      raw = read::string_bytes(src.spec);
      o.origin = {src.name, ""};
    } else {
      raw = read::file_bytes(src.spec, src.name);
      o.origin = {src.name, "file " + in_quotes(src.spec)};
    }
  }
  o.origin.note = src.note;
  o.head = read_head(*raw, 1 << 16);
  o.format = read::sniff(o.head);
  o.bytes = std::make_unique<ChainBytes>(o.head, std::move(raw));
  return o;
}

// Everything the source holds (the sniffed head included).
std::string read_all(Opened& o) { return read::read_text(*o.bytes, o.origin.subject, o.origin.label); }

// A reader of rows in `format` from `bytes`.
std::unique_ptr<read::RowReader> rows_from(read::RowFormat format, std::unique_ptr<read::ByteReader> bytes, const read::Origin& origin,
                                           const RowOptions& ro) {
  switch (format) {
    case read::RowFormat::JsonLines:
      return read::jsonl_rows(std::move(bytes), origin);
    case read::RowFormat::Npy:
      return read::npy_rows(std::move(bytes), origin);
    default: {
      read::CsvOptions co;
      co.header = read::CsvOptions::header_from(ro.header);
      co.delimiter = ro.delimiter;
      // Columns of other data arguments (input2, ...) go with the target's,
      // each a group: theirs in order, then the target's.
      for (auto& [name, specs] : ro.more_columns) {
        co.target_columns.insert(co.target_columns.end(), specs.begin(), specs.end());
        co.target_groups.push_back(specs.size());
      }
      co.target_columns.insert(co.target_columns.end(), ro.target_columns.begin(), ro.target_columns.end());
      if (!ro.more_columns.empty()) co.target_groups.push_back(ro.target_columns.size());
      co.input_columns = ro.input_columns;
      co.ignore_columns = ro.ignore_columns;
      return read::csv_rows(std::move(bytes), origin, co);
    }
  }
}

std::unique_ptr<read::RowReader> rows_of(Opened& o, const RowOptions& ro) { return rows_from(o.format, std::move(o.bytes), o.origin, ro); }

// A single column of row data is read as (N), not (N, 1), for an elementwise
// loss: the same numbers. Not for Keras's binary loss, which averages the
// last axis per sample: there a row stays one sample of one label.
bool elementwise(const FunctionSpec& fn) { return fn.layout == Layout::Elementwise && fn.family != Family::Keras; }

// Rows' values of the data arguments other than the input: a block's target
// values split by group (--column NAME=SPEC of input2, ..., in order, then
// the target's when it is in the rows). The input's shape (`shape_like`) for
// the others, the target's own (`target_shape`) for the target.
void put_row_args(Data& d, const FunctionSpec& fn, const RowOptions& ro, read::RowBlock& b,
                  const std::function<Shape(std::int64_t, std::int64_t)>& shape_like,
                  const std::function<Shape(std::int64_t, std::int64_t)>& target_shape) {
  if (ro.more_columns.empty()) {
    if (b.target_width > 0) d.target = Tensor{target_shape(b.rows, b.target_width), std::move(b.target)};
    return;
  }
  std::int64_t at = 0;
  for (std::size_t g = 0; g < b.target_groups.size(); ++g) {
    const std::int64_t w = b.target_groups[g];
    std::vector<double> values(static_cast<std::size_t>(b.rows * w));
    for (std::int64_t r = 0; r < b.rows; ++r)
      std::copy_n(b.target.begin() + r * b.target_width + at, w, values.begin() + r * w);
    at += w;
    if (g < ro.more_columns.size())
      put_arg(d, fn, ro.more_columns[g].first, Tensor{shape_like(b.rows, w), std::move(values)});
    else
      d.target = Tensor{target_shape(b.rows, w), std::move(values)};
  }
}

// The shape of a block: (rows, width), or (rows) for a single column of an
// elementwise loss (`flat_single`) or of a target.
Shape block_shape(std::int64_t rows, std::int64_t width, bool flat_single) {
  return (width == 1 && flat_single) ? Shape{rows} : Shape{rows, width};
}

// The input of rows read whole, each row one sample: a block's shape, but
// one row is one unbatched sample, (width) (or a scalar, flat).
Shape sample_rows_shape(std::int64_t rows, std::int64_t width, bool flat_single) {
  if (rows == 1) return (width == 1 && flat_single) ? Shape{} : Shape{width};
  return block_shape(rows, width, flat_single);
}

// Tensors for a block, of block_shape.
Tensor as_rows(std::vector<double>&& values, std::int64_t rows, std::int64_t width, bool flat_single) {
  return Tensor{block_shape(rows, width, flat_single), std::move(values)};
}

// Reads the next blocks in a second thread while the caller computes, so
// parsing and the loss overlap: two cores for one stream (stdin, JSON Lines,
// .npy, CSV without the two-way split). Blocks and errors come out in the
// order the reader gave them (a bad row still ends the good rows before it);
// at most two blocks wait, so memory stays bounded. If the caller stops early
// (an error), the destructor waits for the read in progress to return.
class AheadReader : public read::RowReader {
 public:
  AheadReader(std::unique_ptr<read::RowReader> inner, std::int64_t max_rows)
      : inner_(std::move(inner)), max_rows_(max_rows), worker_([this] { produce(); }) {}
  ~AheadReader() override {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  bool next(read::RowBlock& b, std::int64_t) override {
    if (ended_) return false;
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return !queue_.empty(); });
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    cv_.notify_all();
    if (!item.more) ended_ = true;
    if (item.error) std::rethrow_exception(item.error);
    if (!item.more) return false;
    std::swap(b, item.block);
    return true;
  }
  std::int64_t bytes_read() const override { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Item {
    read::RowBlock block;
    bool more = false;
    std::exception_ptr error;
  };

  void produce() {
    for (;;) {
      Item item;
      try {
        item.more = inner_->next(item.block, max_rows_);
      } catch (...) {
        item.error = std::current_exception();
      }
      bytes_.store(inner_->bytes_read(), std::memory_order_relaxed);
      const bool last = !item.more;  // the end, or an error: nothing after it
      std::unique_lock<std::mutex> lock(m_);
      cv_.wait(lock, [&] { return stop_ || queue_.size() < 2; });
      if (stop_) return;
      queue_.push_back(std::move(item));
      lock.unlock();
      cv_.notify_all();
      if (last) return;
    }
  }

  std::unique_ptr<read::RowReader> inner_;
  const std::int64_t max_rows_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false, ended_ = false;
  std::atomic<std::int64_t> bytes_{0};
  std::thread worker_;  // last: starts once everything above exists
};

// Whether a stream may use a second thread: two cores or more, and not
// LOSSCALC_THREADS=1 (for measuring one thread, or a machine kept for others).
bool second_thread() {
  const char* env = std::getenv("LOSSCALC_THREADS");
  return std::thread::hardware_concurrency() >= 2 && !(env && std::string_view(env) == "1");
}

// Row k of a (rows, ...) tensor, as a batch of one.
Tensor row_of(const Tensor& t, std::int64_t k) {
  Tensor r;
  r.shape = t.shape;
  r.shape[0] = 1;
  const std::int64_t per = numel(r.shape);
  r.data.assign(t.data.begin() + k * per, t.data.begin() + (k + 1) * per);
  return r;
}

// Errors inside a block name the row in the whole input.
[[noreturn]] void rethrow_in_rows(const Error& e, std::int64_t first_row) {
  std::string where = e.where();
  if (where.rfind("element ", 0) == 0) {
    std::string rest = where.substr(8);
    std::int64_t local = 0;
    std::size_t i = rest[0] == '[' ? 1 : 0;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) local = local * 10 + (rest[i++] - '0');
    where = "data row " + std::to_string(first_row + local + 1) + " (" + where + " of its block)";
    if (rest[0] != '[') where = "data row " + std::to_string(first_row + local + 1);
  }
  throw Error(e.kind(), e.subject(), where, e.message());
}

struct Progress {
  bool on = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
  std::ostream* err = nullptr;
  // A part read by another thread: its counts go to `into`, which shows them
  // with its own.
  Progress* into = nullptr;
  std::atomic<std::int64_t> other_bytes{0}, other_rows{0};
  void tick(std::int64_t bytes, std::int64_t rows) {
    if (into) {
      into->other_bytes.store(bytes, std::memory_order_relaxed);
      into->other_rows.store(rows, std::memory_order_relaxed);
      return;
    }
    if (!on) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(500)) return;
    last = now;
    bytes += other_bytes.load(std::memory_order_relaxed);
    rows += other_rows.load(std::memory_order_relaxed);
    const double s = std::chrono::duration<double>(now - start).count();
    char buf[160];
    std::snprintf(buf, sizeof buf, "\rlosscalc: %.0f MB, %lld rows, %.2fM rows/s, %.0f MB/s ", static_cast<double>(bytes) / 1e6,
                  static_cast<long long>(rows), static_cast<double>(rows) / s / 1e6, static_cast<double>(bytes) / s / 1e6);
    *err << buf << std::flush;
  }
  void done() {
    if (on && last != start) *err << "\r\033[K" << std::flush;
  }
};

// The exact sums of a reduced stream, of a part of it, or of merged parts.


// Rows a block holds: about 1 MB of values (131072), and at least 64 rows,
// so that memory stays bounded whatever the number of rows.
std::int64_t block_rows(std::int64_t width) {
  constexpr std::int64_t kBlockValues = std::int64_t{1} << 17;
  return std::max<std::int64_t>(64, kBlockValues / std::max<std::int64_t>(1, width));
}

// The loss of a block's data.
Result run_block(const FunctionSpec& fn, const Settings& s, const Data& d) {
  return s.dtype == DType::Float32 ? fn.run_float(d, s) : fn.run_double(d, s);
}

// "line N" -> "line N + lines", "data row N" -> "data row N + rows" in a
// message's place (after its `label`, which may hold anything).
std::string shift_place(const std::string& where, const std::string& label, std::int64_t lines, std::int64_t rows) {
  std::string out = where;
  const std::size_t from = out.rfind(label, 0) == 0 ? label.size() : 0;
  for (auto [key, by] : {std::pair<const char*, std::int64_t>{"line ", lines}, {"data row ", rows}}) {
    const auto at = out.find(key, from);
    if (at == std::string::npos) continue;
    std::size_t i = at + std::strlen(key), j = i;
    while (j < out.size() && std::isdigit(static_cast<unsigned char>(out[j]))) ++j;
    if (j == i) continue;
    out.replace(i, j - i, std::to_string(std::stoll(out.substr(i, j - i)) + by));
  }
  return out;
}

// The blocks of a stream after its first two (read already), each as the
// loss's data: its rows, and the target rows that go with them (from the
// rows themselves, a row source of their own, or a whole array).
class Blocks {
 public:
  // `read`: blocks read already (to see whether the input is a stream);
  // `first_row`: the number of the first row (a part of the input).
  Blocks(std::unique_ptr<read::RowReader> rows, std::deque<read::RowBlock> read, std::int64_t block_rows,
         std::unique_ptr<read::RowReader> target_rows, std::optional<Tensor> target_whole, bool rows_have_target, const Data& fixed,
         const FunctionSpec& fn, const RowOptions& ro, std::int64_t first_row = 0)
      : rows_(std::move(rows)), target_rows_(std::move(target_rows)), target_whole_(std::move(target_whole)), fixed_(fixed), fn_(fn), ro_(ro),
        block_rows_(block_rows), rows_have_target_(rows_have_target), flat_(elementwise(fn)), read_(std::move(read)),
        handed_(first_row) {}

  // The next block into `d`, its first row and its number of rows; false at the end.
  bool next(Data& d, std::int64_t& first_row, std::int64_t& n) {
    read::RowBlock blk;
    if (!read_.empty()) {
      blk = std::move(read_.front());
      read_.pop_front();
    } else if (!rows_->next(blk, block_rows_)) {
      return false;
    }
    width_ = blk.width;
    d = fixed_;
    d.input = as_rows(std::move(blk.input), blk.rows, blk.width, flat_);
    const auto flat = [this](std::int64_t rows, std::int64_t w) { return block_shape(rows, w, flat_); };
    const auto target_flat = [](std::int64_t rows, std::int64_t w) { return block_shape(rows, w, w == 1); };
    put_row_args(d, fn_, ro_, blk, flat, target_flat);
    if (rows_have_target_) {
      if (!d.target) throw usage_error("target", "missing TARGET: the JSON Lines have no \"target\"");
    } else if (target_rows_) {
      if (!target_rows_->next(tb_, blk.rows) || tb_.rows < blk.rows)
        throw data_error("target", "", "has fewer rows than INPUT (" + std::to_string(handed_ + tb_.rows) + " against at least " +
                                           std::to_string(handed_ + blk.rows) + ")");
      d.target = as_rows(std::move(tb_.input), tb_.rows, tb_.width, tb_.width == 1);
    } else if (target_whole_) {
      const Tensor& t = *target_whole_;
      const std::int64_t per_row = t.shape.empty() ? 1 : numel(t.shape) / std::max<std::int64_t>(1, t.shape[0]);
      if (t.shape.empty() || t.shape[0] < handed_ + blk.rows)
        throw data_error("target", "", "has fewer rows than INPUT (" + std::to_string(t.shape.empty() ? 1 : t.shape[0]) +
                                           " against at least " + std::to_string(handed_ + blk.rows) + ")");
      Tensor part;
      part.shape = t.shape;
      part.shape[0] = blk.rows;
      part.data.assign(t.data.begin() + handed_ * per_row, t.data.begin() + (handed_ + blk.rows) * per_row);
      d.target = std::move(part);
    } else {
      throw usage_error(fn_.name.data(), "missing TARGET: " + std::string(fn_.name) + " needs INPUT and TARGET (or --target-column)");
    }
    first_row = handed_;
    n = blk.rows;
    handed_ += blk.rows;
    return true;
  }

  // After the last block: the target must have ended with the input.
  void check_end() {
    if (target_rows_ && target_rows_->next(tb_, 1))
      throw data_error("target", "", "has more rows than INPUT (" + std::to_string(handed_) + ")");
    if (target_whole_ && !target_whole_->shape.empty() && target_whole_->shape[0] != handed_)
      throw data_error("target", "", "has " + std::to_string(target_whole_->shape[0]) + " rows, INPUT has " + std::to_string(handed_));
  }

  // A second thread reads the next blocks while the caller computes.
  void read_ahead() { rows_ = std::make_unique<AheadReader>(std::move(rows_), block_rows_); }

  const Data& fixed() const { return fixed_; }
  std::int64_t rows_handed() const { return handed_; }
  std::int64_t width() const { return width_; }
  std::int64_t bytes_read() const { return rows_->bytes_read(); }
  std::int64_t lines_read() const { return rows_->lines_read(); }

 private:
  std::unique_ptr<read::RowReader> rows_, target_rows_;
  std::optional<Tensor> target_whole_;
  const Data& fixed_;
  const FunctionSpec& fn_;
  const RowOptions& ro_;
  const std::int64_t block_rows_;
  const bool rows_have_target_, flat_;
  std::deque<read::RowBlock> read_;  // read before the stream was known to be one
  read::RowBlock tb_;
  std::int64_t handed_ = 0, width_ = -1;
};

// A reduced stream's blocks: with two threads, each takes the next block
// (reading is one at a time) and they compute side by side; the exact
// sums merge. The first error in the input is the one reported.
Totals reduce_blocks(Blocks& blocks, const FunctionSpec& fn, const Settings& s, Progress& progress, bool two = second_thread()) {
  std::mutex m;
  bool reading = true;
  std::int64_t error_row = INT64_MAX;  // the first row of the block that failed
  std::exception_ptr error;
  std::atomic<std::int64_t> bytes{0}, rows_done{0};
  Totals part[2];
  const auto fail = [&](std::int64_t row) {  // under m
    reading = false;
    if (row < error_row) {
      error_row = row;
      error = std::current_exception();
    }
  };
  const auto work = [&](int who) {
    for (;;) {
      Data d;
      std::int64_t first_row = 0, n = 0;
      {
        std::lock_guard<std::mutex> lock(m);
        if (!reading) return;
        try {
          if (!blocks.next(d, first_row, n)) {
            reading = false;
            return;
          }
        } catch (...) {
          fail(blocks.rows_handed());
          return;
        }
        bytes = blocks.bytes_read();
      }
      try {
        try {
          part[who].add(run_block(fn, s, d));
        } catch (const Error& e) {
          if (e.kind() == ErrorKind::Data) rethrow_in_rows(e, first_row);
          throw;
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        fail(first_row);
        return;
      }
      rows_done += n;
      if (who == 0) progress.tick(bytes, rows_done);
    }
  };
  if (two) {
    std::thread second(work, 1);
    work(0);
    second.join();
  } else {
    work(0);
  }
  progress.done();
  if (error) std::rethrow_exception(error);
  blocks.check_end();
  part[0].merge(part[1]);
  return part[0];
}

// Per-sample losses, a line each, written in order as blocks come (a second
// thread, if any, reads ahead). At a bad row, the lines of the rows before
// it end the output, then its error.
void write_per_sample(Blocks& blocks, const FunctionSpec& fn, const Settings& s, const OutputOptions& o, std::ostream& out,
                      Progress& progress) {
  if (second_thread()) blocks.read_ahead();
  std::string pending;  // lines not yet written
  bool csv_header = o.format == Format::Csv && !o.quiet;
  // The lines of `n` rows' losses `l`, the first of them row `first`.
  const auto append_losses = [&](const Tensor& l, std::int64_t first, std::int64_t n) {
    const std::size_t per = l.data.size() / static_cast<std::size_t>(std::max<std::int64_t>(1, n));
    if (csv_header) {
      pending += per > 1 ? "index0,index1,loss\n" : "index,loss\n";
      csv_header = false;
    }
    for (std::size_t k = 0; k < l.data.size(); ++k) {
      const double v = l.data[k];
      if (o.format == Format::Json) {
        print::append_shortest(pending, v, true);
      } else if (o.format == Format::Csv && !o.quiet) {
        pending += std::to_string(first + static_cast<std::int64_t>(k / std::max<std::size_t>(1, per)));
        if (per > 1) pending += "," + std::to_string(k % per);
        pending += ',';
        print::append_shortest(pending, v);
      } else if (o.precision) {
        pending += print::fixed(v, *o.precision);
      } else {
        print::append_shortest(pending, v);
      }
      pending += '\n';
    }
  };
  try {
    Data d;
    std::int64_t first_row = 0, n = 0;
    while (blocks.next(d, first_row, n)) {
      Result r;
      try {
        r = run_block(fn, s, d);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Data) throw;
        // Find the bad row one row at a time, writing the good ones before it.
        for (std::int64_t k = 0; k < n; ++k) {
          Data one = blocks.fixed();
          one.input = row_of(d.input, k);
          one.target = row_of(*d.target, k);
          for (auto& [name, t] : d.more) one.more.emplace_back(name, row_of(t, k));
          try {
            const Result rk = run_block(fn, s, one);
            append_losses(*rk.find("loss"), first_row + k, 1);
          } catch (const Error& ek) {
            if (ek.kind() == ErrorKind::Data) rethrow_in_rows(ek, first_row + k);
            throw;
          }
        }
        rethrow_in_rows(e, first_row);
      }
      append_losses(*r.find("loss"), first_row, n);
      if (pending.size() > (1 << 16)) {
        write_out(out, pending);
        pending.clear();
      }
      progress.tick(blocks.bytes_read(), blocks.rows_handed());
    }
    blocks.check_end();
  } catch (const BrokenPipe&) {
    progress.done();
    throw;
  } catch (const Error& e) {
    progress.done();
    // Whole lines only: the output ends cleanly before the bad row. (A write
    // error then is reported in place of the row's; both exit 1.)
    if (e.subject() != "standard output") write_out(out, pending);
    throw;
  }
  progress.done();
  write_out(out, pending);
}

// Lines of rows (CSV with the target in its columns, JSON Lines) of this many
// bytes or more, for a reduced loss, are parsed by two threads; smaller
// input is one stream.
constexpr std::size_t kTwoThreadsFrom = std::size_t{4} << 20;
// Their chunks: small enough that a chunk's text, values and exps stay in
// the cache (256 KB measured fastest against 64 KB to 4 MB).
constexpr std::size_t kChunkBytes = std::size_t{256} << 10;

// Two threads parse and reduce chunks of whole lines side by side (CSV with
// the target in its columns or JSON Lines, from a file or stdin); the exact sums merge to
// the same double one thread gives, and an error names the same line and
// data row as one thread would (the first in the input wins). Nothing, with
// `input` as it was, when the input is smaller or its first lines do not
// settle the columns (the one-stream path then reads or reports them).
std::optional<Totals> reduce_in_chunks(const Request& rq, const FunctionSpec& fn, const Settings& s, const Data& fixed, Opened& input,
                                    std::int64_t& rows_seen, std::int64_t& width, Progress& progress) {
  // The first chunk is read as the user said; the others as its first data
  // row settles (delimiter, columns, targets, widths), probed in the head.
  const auto first = [&](std::unique_ptr<read::ByteReader> bytes) { return rows_from(input.format, std::move(bytes), input.origin, rq.rows); };
  const auto last_break = input.head.rfind('\n');
  if (last_break == std::string::npos) return std::nullopt;
  read::RowReader::Continuation rest;
  try {
    auto probe = first(read::string_bytes(std::string_view(input.head).substr(0, last_break + 1)));
    read::RowBlock b;
    // (JSON Lines without "target": the one-stream path says so.)
    if (probe->next(b, 1) && b.target_width > 0) {
      rest = probe->continuation();
      width = b.width;
    }
  } catch (const Error&) {
  }
  if (!rest) return std::nullopt;
  // A file says its size; stdin is read ahead that far to know.
  if (const std::int64_t size = input.bytes->size(); size >= 0) {
    if (size < static_cast<std::int64_t>(kTwoThreadsFrom)) return std::nullopt;
  } else {
    std::string start = read_head(*input.bytes, kTwoThreadsFrom);
    const bool small = start.size() < kTwoThreadsFrom;
    input.bytes = std::make_unique<ChainBytes>(std::move(start), std::move(input.bytes));
    if (small) return std::nullopt;
  }
  read::LineChunks chunks(std::move(input.bytes), input.origin, kChunkBytes);

  std::mutex m;
  std::atomic<std::int64_t> error_seq{INT64_MAX}, rows_done{0};
  std::exception_ptr error;
  // Chunks done, settled in order: the lines and rows before the next one.
  std::int64_t settled = 0, lines_before = 0, rows_before = 0;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> done;
  Totals totals[2];
  const auto fail = [&](std::int64_t seq) {
    std::lock_guard<std::mutex> lock(m);
    if (seq < error_seq) {
      error_seq = seq;
      error = std::current_exception();
    }
  };
  const auto work = [&](int who) {
    read::LineChunks::Chunk c;
    for (;;) {
      try {
        if (!chunks.next(c)) return;
      } catch (...) {
        fail(c.seq);
        return;
      }
      if (c.seq > error_seq) return;  // an earlier chunk failed: its error is the one
      std::int64_t rows = 0, lines = 0;
      try {
        Blocks blocks(c.seq == 0 ? first(read::string_bytes(c.text)) : rest(read::string_bytes(c.text)), {}, block_rows(width),
                      nullptr, std::nullopt, true, fixed, fn, rq.rows);
        Progress none;
        totals[who].merge(reduce_blocks(blocks, fn, s, none, false));
        rows = blocks.rows_handed();
        lines = blocks.lines_read();
      } catch (...) {
        fail(c.seq);
        return;
      }
      {
        std::lock_guard<std::mutex> lock(m);
        done[c.seq] = {lines, rows};
        for (auto it = done.begin(); it != done.end() && it->first == settled; it = done.erase(it), ++settled) {
          lines_before += it->second.first;
          rows_before += it->second.second;
        }
      }
      rows_done += rows;
      if (who == 0) progress.tick(chunks.bytes(), rows_done);
    }
  };
  std::thread second(work, 1);
  work(0);
  second.join();
  progress.done();
  if (error) {
    // Every chunk before the failed one is done: places count from its start.
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      throw Error(e.kind(), e.subject(), shift_place(e.where(), input.origin.label, lines_before, rows_before), e.message());
    }
  }
  totals[0].merge(totals[1]);
  rows_seen = rows_before;
  return totals[0];
}

// --weight and --pos-weight, read whole: the data every block shares.
Data weights(const Request& rq, std::istream& in) {
  Data d;
  if (rq.weight) d.weight = read::load(*rq.weight, in).array;
  if (rq.pos_weight) d.pos_weight = read::load(*rq.pos_weight, in).array;
  return d;
}

// A .npy file of 4 MB or more with its TARGET in a .npy file of as many
// rows: two threads, each reading and reducing half the rows of both (no
// lock between them); the exact sums merge, and the first half's error is
// the one reported. Nothing when that does not hold (the one-stream path
// then reads or reports it).
std::optional<Totals> reduce_npy_in_two(const Request& rq, const FunctionSpec& fn, const Settings& s, const Data& fixed,
                                        const Opened& input, std::int64_t& rows_seen, std::int64_t& width, Progress& progress) {
  if (!rq.target || rq.input->spec == "-" || rq.target->spec == "-") return std::nullopt;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(rq.input->spec, ec) || !std::filesystem::is_regular_file(rq.target->spec, ec) ||
      std::filesystem::file_size(rq.input->spec, ec) < kTwoThreadsFrom || ec)
    return std::nullopt;
  const read::Origin target_origin{"target", "file " + in_quotes(rq.target->spec)};
  Shape x, y;
  try {
    x = read::npy_shape(input.head, input.origin);
    auto t = read::file_bytes(rq.target->spec, "target");
    y = read::npy_shape(read_head(*t, 1 << 16), target_origin);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (x.empty() || x.size() > 2 || y.empty() || y.size() > 2 || x[0] != y[0] || x[0] < 2) return std::nullopt;
  Totals part[2];
  std::exception_ptr error[2];
  Progress second_progress;
  second_progress.into = &progress;
  const auto work = [&](int k) {
    try {
      auto rows = read::npy_rows(read::file_bytes(rq.input->spec, "input"), input.origin, k, 2);
      auto target = read::npy_rows(read::file_bytes(rq.target->spec, "target"), target_origin, k, 2);
      const std::int64_t first = read::part_start(x[0], k, 2);
      Blocks blocks(std::move(rows), {}, block_rows(x.size() == 2 ? x[1] : 1), std::move(target), std::nullopt, false, fixed, fn, rq.rows,
                    first);
      part[k] = reduce_blocks(blocks, fn, s, k == 0 ? progress : second_progress, false);
    } catch (...) {
      error[k] = std::current_exception();
    }
  };
  std::thread second(work, 1);
  work(0);
  second.join();
  progress.done();
  for (const auto& e : error)
    if (e) std::rethrow_exception(e);
  part[0].merge(part[1]);
  rows_seen = x[0];
  width = x.size() == 2 ? x[1] : 1;
  return part[0];
}

}  // namespace

std::optional<int> run_streamed(const Request& rq, std::istream& in, std::ostream& out, std::ostream& err,
                                std::unique_ptr<std::istream>& replay, std::optional<Data>& small) {
  const FunctionSpec& fn = spec_of(rq.function);
  if (!fn.is_loss() || rq.output.explain || !rq.input) return std::nullopt;
  const auto& o = rq.output;
  const bool trigger = !rq.rows.target_columns.empty() || o.partial || o.quiet || o.format == Format::Csv;
  if (!trigger) return std::nullopt;

  std::optional<Opened> input = open_source(*rq.input, in);
  if (!input) {
    if (!rq.rows.column_option().empty() && read::looks_inline(rq.input->spec))
      throw usage_error(rq.rows.column_option(), "needs row data (CSV or TSV), not a JSON array");
    return std::nullopt;
  }
  if (input->format == read::RowFormat::Json) {
    if (rq.input->spec == "-") {
      // Not row data after all: hand everything read to the in-memory path.
      replay = std::make_unique<std::istringstream>(read_all(*input));
    }
    if (!rq.rows.column_option().empty())
      throw usage_error(rq.rows.column_option(), "needs row data (CSV or TSV), not a JSON array");
    return std::nullopt;
  }

  if (!rq.rows.column_option().empty() && input->format != read::RowFormat::Csv)
    throw usage_error(rq.rows.column_option(), std::string("needs CSV or TSV rows; INPUT is ") +
                                             (input->format == read::RowFormat::Npy ? "a .npy file (give TARGET as a second .npy)"
                                                                                    : "JSON Lines (put the target in each line)"));
  // Resolved settings, as compute() resolves them; rows put classes last.
  Settings s = rq.settings;
  if (!s.reduction) s.reduction = fn.default_reduction;
  if (s.dim && *s.dim != -1 && *s.dim != 1)
    throw usage_error("--dim", "row data has its classes along the row (dim 1 = -1); --dim " + std::to_string(*s.dim) + " needs a JSON array input");
  s.dim = 1;
  s.loss_only = true;
  const Reduction reduction = *s.reduction;
  Progress progress;
  progress.on = &err == &std::cerr && isatty(STDERR_FILENO);
  progress.err = &err;

  const Data fixed = weights(rq, in);
  // Large CSV with the target in a column, or JSON Lines: both cores parse;
  // large .npy files: each core reads half.
  if (reduction != Reduction::None && !read::looks_inline(rq.input->spec) && second_thread()) {
    std::optional<Totals> totals;
    std::int64_t rows_seen = 0, width = 0;
    if (!rq.target && ((input->format == read::RowFormat::Csv && !rq.rows.target_columns.empty()) ||
                       input->format == read::RowFormat::JsonLines))
      totals = reduce_in_chunks(rq, fn, s, fixed, *input, rows_seen, width, progress);
    else if (input->format == read::RowFormat::Npy)
      totals = reduce_npy_in_two(rq, fn, s, fixed, *input, rows_seen, width, progress);
    if (totals) {
      const std::string what = "streamed " + std::to_string(rows_seen) + " rows of " + std::to_string(width) +
                               " values from " + input->origin.label + " (two threads)";
      write_out(out, reduced_output(rq.function, reduction, s.dtype, *totals, o, what, settings_record(fn, rq.settings, fixed)));
      return 0;
    }
  }
  auto rows = rows_of(*input, rq.rows);
  // The target: in the rows, its own row source, or a whole array.
  std::unique_ptr<read::RowReader> target_rows;
  std::optional<Tensor> target_whole;
  const bool rows_have_target = !rq.rows.target_columns.empty() || input->format == read::RowFormat::JsonLines;
  if (!rq.rows.more_columns.empty() && input->format != read::RowFormat::Csv)
    throw usage_error("--column", "needs CSV or TSV rows for " + rq.rows.more_columns[0].first);
  if (rq.target) {
    if (rows_have_target && input->format == read::RowFormat::JsonLines)
      throw usage_error("target", "given twice: in the JSON Lines and as TARGET");
    std::optional<Opened> t = open_source(*rq.target, in);
    if (t && t->format != read::RowFormat::Json) {
      RowOptions plain;
      plain.header = rq.rows.header;
      plain.delimiter = rq.rows.delimiter;
      target_rows = rows_of(*t, plain);
    } else if (t) {
      target_whole = read::parse_text(read_all(*t), t->origin).array;
    } else {
      target_whole = read::load(*rq.target, in).array;
    }
  }

  // Data that fits in one block is not streamed: it gets the in-memory
  // shapes and the full output (softmax, grad), like a JSON array.
  read::RowBlock b, ahead;
  if (!rows->next(b, 64)) throw data_error("input", input->origin.label, "empty input: no rows");
  const std::int64_t first_rows = block_rows(b.width);
  if (b.rows < first_rows) {
    read::RowBlock more;
    while (b.rows < first_rows && rows->next(more, first_rows - b.rows)) {
      b.input.insert(b.input.end(), more.input.begin(), more.input.end());
      b.target.insert(b.target.end(), more.target.begin(), more.target.end());
      b.rows += more.rows;
    }
  }
  if (!rows->next(ahead, first_rows)) {
    Data d = fixed;
    // Rows with their target: each row a sample, even a single column of
    // class scores; rows alone keep the shape a CSV matrix reads as.
    d.input = Tensor{rows_have_target ? sample_rows_shape(b.rows, b.width, elementwise(fn)) : read::row_shape(b.rows, b.width),
                     std::move(b.input)};
    const auto like_input = [&](std::int64_t n, std::int64_t w) {
      return rows_have_target ? sample_rows_shape(n, w, elementwise(fn)) : read::row_shape(n, w);
    };
    put_row_args(d, fn, rq.rows, b, like_input, read::row_shape);
    if (rows_have_target) {
    } else if (target_rows) {
      read::RowBlock all = read::read_all(*target_rows);
      d.target = Tensor{read::row_shape(all.rows, all.width), std::move(all.input)};
    } else if (target_whole) {
      d.target = std::move(*target_whole);
    }
    if (!d.target) throw usage_error(rq.function, "missing TARGET: " + rq.function + " needs INPUT and TARGET (or --target-column)");
    small = std::move(d);
    return std::nullopt;
  }
  std::deque<read::RowBlock> read;
  read.push_back(std::move(b));
  read.push_back(std::move(ahead));
  Blocks blocks(std::move(rows), std::move(read), first_rows, std::move(target_rows), std::move(target_whole), rows_have_target,
                fixed, fn, rq.rows);
  if (reduction == Reduction::None) {
    write_per_sample(blocks, fn, s, o, out, progress);
    return 0;
  }
  const Totals totals = reduce_blocks(blocks, fn, s, progress);
  const std::string what = "streamed " + std::to_string(blocks.rows_handed()) + " rows of " + std::to_string(blocks.width()) +
                           " values from " + (input->origin.label.empty() ? std::string("inline text") : input->origin.label);
  write_out(out, reduced_output(rq.function, reduction, s.dtype, totals, o, what, settings_record(fn, rq.settings, fixed)));
  return 0;
}

Data read_rows_whole(const Request& rq, std::istream& in) {
  std::optional<Opened> input = open_source(*rq.input, in);
  if (!input || input->format != read::RowFormat::Csv)
    throw usage_error("--target-column", "needs CSV or TSV rows (a file, stdin or inline text), not a JSON array, JSON Lines or .npy");
  if (rq.target && !rq.rows.target_columns.empty())
    throw usage_error("--target-column", "the target is given twice: as a column of INPUT and as TARGET");
  auto rows = rows_of(*input, rq.rows);
  read::RowBlock all = read::read_all(*rows);
  const FunctionSpec& fn = spec_of(rq.function);
  Data d;
  d.input = Tensor{sample_rows_shape(all.rows, all.width, elementwise(fn)), std::move(all.input)};
  const auto like_input = [&fn](std::int64_t n, std::int64_t w) { return sample_rows_shape(n, w, elementwise(fn)); };
  put_row_args(d, fn, rq.rows, all, like_input, read::row_shape);
  if (rq.target) d.target = read::load(*rq.target, in).array;
  if (rq.weight) d.weight = read::load(*rq.weight, in).array;
  if (rq.pos_weight) d.pos_weight = read::load(*rq.pos_weight, in).array;
  return d;
}

}  // namespace losscalc
