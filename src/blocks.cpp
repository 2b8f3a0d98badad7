#include "blocks.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "output.h"
#include "print/number.h"

namespace losscalc::stream {

namespace {

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

}  // namespace

// A single column of row data is read as (N), not (N, 1), for an elementwise
// loss: the same numbers. Not for Keras's binary loss, which averages the
// last axis per sample: there a row stays one sample of one label.
bool elementwise(const FunctionSpec& fn) {
  return fn.layout == Layout::Elementwise && fn.family != Family::Keras && fn.family != Family::Sklearn;
}

// Rows' values of the data arguments other than the input: a block's target
// values split by group (--column NAME=SPEC of input2, ..., in order, then
// the target's when it is in the rows). The input's shape (`shape_like`) for
// the others, the target's own (`target_shape`) for the target.
void put_row_args(Data& d, const FunctionSpec& fn, const RowOptions& ro, read::RowBlock& b,
                  const std::function<Shape(std::int64_t, std::int64_t)>& shape_like,
                  const std::function<Shape(std::int64_t, std::int64_t)>& target_shape) {
  if (ro.more_columns.empty() && b.target_group_names.empty()) {
    if (b.target_width > 0) d.target = Tensor{target_shape(b.rows, b.target_width), std::move(b.target)};
    return;
  }
  for (std::size_t g = 0; g < b.target_groups.size(); ++g) {
    const std::int64_t w = b.target_groups[g];
    std::vector<double> values = read::group_values(b, g);
    // JSON Lines name their groups; CSV's are --column's, then the target's.
    const std::string& name = !b.target_group_names.empty() ? b.target_group_names[g]
                              : g < ro.more_columns.size()  ? ro.more_columns[g].first
                                                            : std::string("target");
    if (name == "target")
      d.target = Tensor{target_shape(b.rows, w), std::move(values)};
    else if (w == 1)  // one value a sample (a sample weight, a variance): (rows)
      put_arg(d, fn, name, Tensor{Shape{b.rows}, std::move(values)});
    else
      put_arg(d, fn, name, Tensor{shape_like(b.rows, w), std::move(values)});
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
  Place place = e.place();
  if (!place.element.empty() && place.row == 0) {
    place.row = first_row + place.element[0] + 1;
    if (place.element.size() == 1) place.element.clear();  // the row says it all
  }
  throw Error(e.kind(), e.subject(), std::move(place), e.message());
}

// Rows a block holds: about 1 MB of values (131072), and at least 64 rows,
// so that memory stays bounded whatever the number of rows.
std::int64_t block_rows(std::int64_t width) {
  constexpr std::int64_t kBlockValues = std::int64_t{1} << 17;
  return std::max<std::int64_t>(64, kBlockValues / std::max<std::int64_t>(1, width));
}

// The loss of a block's data.
Result run_block(const FunctionSpec& fn, const Settings& s, const Data& d) {
  return fn.run(d, s);
}

Error shifted(const Error& e, std::int64_t lines, std::int64_t rows) {
  Place place = e.place();
  if (place.line > 0) place.line += lines;
  if (place.row > 0) place.row += rows;
  return Error(e.kind(), e.subject(), std::move(place), e.message());
}

void Blocks::read_ahead() { rows_ = std::make_unique<AheadReader>(std::move(rows_), block_rows_); }

// A reduced stream's blocks: with two threads, each takes the next block
// (reading is one at a time) and they compute side by side; the exact
// sums merge. The first error in the input is the one reported.
Totals reduce_blocks(Blocks& blocks, const FunctionSpec& fn, const Settings& s, Progress& progress, bool two) {
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
    Data d;  // across blocks: its values' memory goes back to the reader (Blocks::next)
    for (;;) {
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

}  // namespace losscalc::stream
