// Blocks of rows: a stream cut into blocks of bounded size, each as the
// loss's data (the input's columns, the other data arguments' and the
// target's), reduced on one or two threads or written a line a sample.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>

#include "error.h"
#include "read/rows.h"
#include "reduced.h"
#include "registry.h"
#include "request.h"
#include "result.h"

namespace losscalc::stream {

// A single column of row data is read as (N), not (N, 1), for an elementwise
// loss: the same numbers. Not for Keras's binary loss, which averages the
// last axis per sample: there a row stays one sample of one label.
bool elementwise(const FunctionSpec& fn);

// Rows' values of the data arguments other than the input: a block's target
// values split by group (--column NAME=SPEC of input2, ..., in order, then
// the target's when it is in the rows). The input's shape (`shape_like`) for
// the others, the target's own (`target_shape`) for the target.
void put_row_args(Data& d, const FunctionSpec& fn, const RowOptions& ro, read::RowBlock& b,
                  const std::function<Shape(std::int64_t, std::int64_t)>& shape_like,
                  const std::function<Shape(std::int64_t, std::int64_t)>& target_shape);

// The shape of a block: (rows, width), or (rows) for a single column of an
// elementwise loss (`flat_single`) or of a target.
Shape block_shape(std::int64_t rows, std::int64_t width, bool flat_single);

// The input of rows read whole, each row one sample: a block's shape, but
// one row is one unbatched sample, (width) (or a scalar, flat).
Shape sample_rows_shape(std::int64_t rows, std::int64_t width, bool flat_single);

// Tensors for a block, of block_shape.
Tensor as_rows(std::vector<double>&& values, std::int64_t rows, std::int64_t width, bool flat_single);

// Whether a stream may use a second thread: two cores or more, and not
// LOSSCALC_THREADS=1 (for measuring one thread, or a machine kept for others).
bool second_thread();

// Row k of a (rows, ...) tensor, as a batch of one.
Tensor row_of(const Tensor& t, std::int64_t k);

// Errors inside a block name the row in the whole input.
[[noreturn]] void rethrow_in_rows(const Error& e, std::int64_t first_row);

// Progress on a terminal's stderr (bytes, rows, rates), at most twice a second.
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

// Rows a block holds: about 1 MB of values (131072), and at least 64 rows,
// so that memory stays bounded whatever the number of rows.
std::int64_t block_rows(std::int64_t width);

// The loss of a block's data.
Result run_block(const FunctionSpec& fn, const Settings& s, const Data& d);

// An error of a part of a stream placed in the whole: its line and data row
// moved on by the `lines` and `rows` before the part.
Error shifted(const Error& e, std::int64_t lines, std::int64_t rows);

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
    // The last block's values, given back to the reader for their memory.
    blk.input = std::move(d.input.data);
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
    } else if (fn_.takes_target()) {  // (a triplet's rows hold anchor, positive, negative: no target)
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
  void read_ahead();

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
Totals reduce_blocks(Blocks& blocks, const FunctionSpec& fn, const Settings& s, Progress& progress, bool two = second_thread());

// Per-sample losses, a line each, written in order as blocks come (a second
// thread, if any, reads ahead). At a bad row, the lines of the rows before
// it end the output, then its error.
void write_per_sample(Blocks& blocks, const FunctionSpec& fn, const Settings& s, const OutputOptions& o, std::ostream& out,
                      Progress& progress);


}  // namespace losscalc::stream
