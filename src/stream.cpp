#include "stream.h"

#include "read/container.h"

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

#include "blocks.h"
#include "core/exact_sum.h"
#include "error.h"
#include "output.h"
#include "ops/checks.h"
#include "print/number.h"
#include "print/printers.h"
#include "read/chunks.h"
#include "read/container.h"
#include "read/rows.h"
#include "read/source.h"
#include "reduced.h"
#include "registry.h"
#include "row_source.h"
#include "ops/common.h"
#include "settings_record.h"

namespace losscalc {

using namespace stream;

namespace {

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
    input.bytes = read::chain_bytes(std::move(start), std::move(input.bytes));
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
      throw shifted(e, lines_before, rows_before);
    }
  }
  totals[0].merge(totals[1]);
  rows_seen = rows_before;
  return totals[0];
}

// --weight and --pos-weight, read whole: the data every block shares.
// The arrays that are one for all rows (weight, pos_weight, labels). An argument
// that is per row (var, sample_weight) given as a whole array beside row
// data is refused: it would be one value a row, and the rows are streamed.
Data weights(const Request& rq, const FunctionSpec& fn, std::istream& in) {
  Data d;
  if (rq.weight) d.weight = read::load(*rq.weight, in).array;
  if (rq.pos_weight) d.pos_weight = read::load(*rq.pos_weight, in).array;
  for (auto& m : rq.more) {
    const DataArg* a = fn.arg(m.name);
    if (!a) continue;
    if (!a->per_row) {  // one array for all rows (log_loss's labels)
      put_arg(d, fn, m.name, read::load(m, in).array);
      continue;
    }
    std::string option = "--" + m.name;
    std::replace(option.begin(), option.end(), '_', '-');
    throw usage_error(option, "with row data, " + m.name + " is columns of the rows: --column " + m.name +
                                  "=SPEC (such as --column " + m.name + "=-1), not a separate array");
  }
  return d;
}

// A .npy file (or a .npz / safetensors array that streams as one) of 4 MB or
// more with its TARGET in another of as many rows: two threads, each reading and reducing half the rows of both (no
// lock between them); the exact sums merge, and the first half's error is
// the one reported. Nothing when that does not hold (the one-stream path
// then reads or reports it).
std::optional<Totals> reduce_npy_in_two(const Request& rq, const FunctionSpec& fn, const Settings& s, const Data& fixed,
                                        const Opened& input, std::int64_t& rows_seen, std::int64_t& width, Progress& progress) {
  if (rq.input->spec == "-" || (rq.target && rq.target->spec == "-") || (!rq.target && !input.container_object)) return std::nullopt;
  // Each thread opens both anew: a .npy file, or an array of a container
  // (the target by its role when INPUT's container holds both).
  const Source& target_source = rq.target ? *rq.target : *rq.input;
  read::Origin target_origin{"target", "file " + in_quotes(target_source.spec)};
  // A stored .npz member's CRC: each thread's reader records the CRC of
  // the part it reads in the member's ledger, and the parts are combined
  // after (no pass of its own over the bytes). The probe makes the ledgers
  // and sets the target's label, before the threads start.
  std::shared_ptr<read::CrcLedger> ledger[2];
  const auto open = [&ledger](const Source& src, const std::string& role, std::string* label = nullptr) -> std::unique_ptr<read::ByteReader> {
    auto& l = ledger[role == "input" ? 0 : 1];
    if (auto c = read::container_stream(src, role, read::CrcCheck::Track, l)) {
      if (label) *label = c->label;
      l = c->ledger;
      // An inflated member: the second thread would inflate the first half
      // only to skip it; one thread is faster.
      return c->inflates ? nullptr : std::move(c->bytes);
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(src.spec, ec)) return nullptr;
    return read::mapped_file_bytes(src.spec, src.name);
  };
  Shape x, y;
  try {
    auto in = open(*rq.input, "input");
    auto t = open(target_source, "target", &target_origin.label);
    if (!in || !t || in->size() < static_cast<std::int64_t>(kTwoThreadsFrom)) return std::nullopt;
    x = read::npy_shape(input.head, input.origin);
    y = read::npy_shape(read_head(*t, 1 << 16), target_origin);
  } catch (const Error&) {
    return std::nullopt;
  }
  Totals part[2];
  std::exception_ptr error[2];
  Progress second_progress;
  second_progress.into = &progress;
  const auto work = [&](int k) {
    try {
      auto rows = read::npy_rows(open(*rq.input, "input"), input.origin, k, 2);
      auto target = read::npy_rows(open(target_source, "target"), target_origin, k, 2);
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
  read::check_container_crc(*rq.input, "input", ledger[0].get());
  read::check_container_crc(target_source, "target", ledger[1].get());
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
  if (fn.whole_batch) {
    if (o.partial)
      throw usage_error("--partial", std::string(fn.name) + " needs the whole batch at once (each sample meets every other, or the sums run over the batch): shards of it cannot be merged");
    return std::nullopt;
  }
  if (is_half(rq.settings.dtype)) {
    // torch's half sums round at every step in an order over the whole batch.
    if (o.partial)
      throw usage_error("--partial", std::string("sums in ") + ops::dtype_name(rq.settings.dtype) +
                                         " round at every step, in an order over the whole batch: shards of it cannot be merged exactly");
    return std::nullopt;
  }
  const bool trigger = !rq.rows.target_columns.empty() || o.partial || o.quiet || o.format == Format::Csv;
  if (!trigger) return std::nullopt;
  // Inline numbers with other data arguments given apart (a one-liner of
  // scalars: margin_ranking_loss -q 0.5 1 -1) are arrays, not rows.
  if (read::looks_inline(rq.input->spec) && rq.rows.column_option().empty())
    for (auto& m : rq.more)
      if (const DataArg* a = fn.arg(m.name); a && a->per_row) return std::nullopt;

  // (A stored .npz member's CRC is checked below: by the two threads'
  // parts, or whole before one stream reads it.)
  std::optional<Opened> input = open_source(*rq.input, in, false);
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
      throw usage_error(rq.rows.column_option(), read::is_container(input->head) ? "needs row data (CSV or TSV), not a file of named arrays (.npz, safetensors, .pt)"
                                                                                : "needs row data (CSV or TSV), not a JSON array");
    return std::nullopt;
  }

  // (JSON Lines take them as records, one key a column: their reader says
  // so of other lines.)
  if (!rq.rows.column_option().empty() && input->format == read::RowFormat::Npy)
    throw usage_error(rq.rows.column_option(), std::string("needs CSV or TSV rows; INPUT is ") +
                                             (input->container ? "an array of a .npz or safetensors file"
                                                               : "a .npy file (give TARGET as a second .npy)"));
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

  const Data fixed = weights(rq, fn, in);
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
      write_out(out, reduced_output(rq.function, reduction, s.dtype, *totals, o, what, settings_record(fn, rq.settings, fixed), ops::log_base(s)));
      return 0;
    }
  }
  if (input->container) read::check_container_crc(*rq.input, "input");
  auto rows = rows_of(*input, rq.rows);
  // The target: in the rows, its own row source, or a whole array.
  std::unique_ptr<read::RowReader> target_rows;
  std::optional<Tensor> target_whole;
  const bool rows_have_target = !rq.rows.target_columns.empty() || input->format == read::RowFormat::JsonLines;
  if (!rq.rows.more_columns.empty() && input->format == read::RowFormat::Npy)
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
  } else if (input->container_object) {  // INPUT's container holds the target too
    auto t = read::container_stream(*rq.input, "target");
    if (!t || !t->bytes) return std::nullopt;
    target_rows = read::npy_rows(std::move(t->bytes), read::Origin{"target", t->label});
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
    if (!d.target && fn.takes_target())
      throw usage_error(rq.function, "missing TARGET: " + rq.function + " needs INPUT and TARGET (or --target-column)");
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
  write_out(out, reduced_output(rq.function, reduction, s.dtype, totals, o, what, settings_record(fn, rq.settings, fixed), ops::log_base(s)));
  return 0;
}

Data read_rows_whole(const Request& rq, std::istream& in) {
  std::optional<Opened> input = open_source(*rq.input, in);
  if (!input || (input->format != read::RowFormat::Csv && input->format != read::RowFormat::JsonLines))
    throw usage_error("--target-column", "needs CSV or TSV rows or JSON Lines records (a file, stdin or inline text), not a JSON array or .npy");
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
