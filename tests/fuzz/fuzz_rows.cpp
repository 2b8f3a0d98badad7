// libFuzzer target: the row readers of src/read/rows.h (CSV / TSV / compact
// text, JSON Lines, .npy in blocks; a whole .npy; format sniffing).
//
// Input layout: byte 0 picks the reader and its options (CSV's header,
// delimiter and columns; JSON Lines' column options, for records), byte 1 the block
// size (rows per next()) and how many bytes each read() of the byte source
// may return (so that lines and headers straddle reads), the rest is the data.
//
// Checked: only losscalc::Error escapes (Data, or Usage for bad
// --target-column specs); every block holds rows * width input values and
// rows * target_width target values; a whole .npy's shape matches its data;
// a reader ends (no endless stream of empty blocks). CSV and JSON Lines
// split at a line break (as two threads read them: the first part with the
// options, the rest with the first part's continuation()) give the rows of
// the whole, bit for bit, and fail where the whole fails.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "error.h"
#include "read/rows.h"
#include "tensor.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_rows: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Bytes from memory, at most `step` per read().
class SlowBytes : public losscalc::read::ByteReader {
 public:
  SlowBytes(std::string_view s, std::size_t step) : s_(s), step_(step) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min({n, step_, s_.size() - pos_});
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view s_;
  std::size_t step_, pos_ = 0;
};

void check_tensor(const losscalc::Tensor& t) {
  for (auto d : t.shape)
    if (d < 0) fail("negative dimension", losscalc::shape_str(t.shape));
  // numel() itself would overflow on a hostile shape: multiply with a check.
  std::int64_t n = 1;
  for (auto d : t.shape)
    if (__builtin_mul_overflow(n, d, &n)) fail("shape whose element count overflows", losscalc::shape_str(t.shape));
  if (n != t.size()) fail("shape does not match the data", losscalc::shape_str(t.shape) + " with " + std::to_string(t.size()) + " values");
}

void drain(losscalc::read::RowReader& r, std::int64_t max_rows) {
  losscalc::read::RowBlock b;
  std::int64_t expect_first = 0;
  for (int blocks = 0;; ++blocks) {
    if (blocks > 100000) fail("reader does not end", std::to_string(blocks) + " blocks");
    if (!r.next(b, max_rows)) break;
    if (b.rows <= 0 || b.rows > max_rows) fail("block row count", std::to_string(b.rows));
    if (b.width < 0 || b.target_width < 0) fail("negative width", std::to_string(b.width) + " / " + std::to_string(b.target_width));
    if (static_cast<std::int64_t>(b.input.size()) != b.rows * b.width)
      fail("input values != rows * width", std::to_string(b.input.size()) + " vs " + std::to_string(b.rows) + " x " + std::to_string(b.width));
    if (static_cast<std::int64_t>(b.target.size()) != b.rows * b.target_width)
      fail("target values != rows * target_width", std::to_string(b.target.size()));
    if (b.first_row != expect_first) fail("first_row", std::to_string(b.first_row) + " vs " + std::to_string(expect_first));
    expect_first += b.rows;
  }
}

// Every row of a reader (values and target values, bit patterns kept).
struct AllRows {
  std::string input, target;  // the doubles' bytes
  std::int64_t rows = 0;
};
void read_all_rows(losscalc::read::RowReader& r, AllRows& out) {
  losscalc::read::RowBlock b;
  while (r.next(b, 7)) {
    out.input.append(reinterpret_cast<const char*>(b.input.data()), b.input.size() * sizeof(double));
    out.target.append(reinterpret_cast<const char*>(b.target.data()), b.target.size() * sizeof(double));
    out.rows += b.rows;
  }
}

// `make` over the whole data, and over it split after its middle line break.
template <class Make>
void check_split(std::string_view data, Make make) {
  const auto mid = data.find('\n', data.size() / 2);
  if (mid == std::string_view::npos || mid + 1 >= data.size()) return;
  AllRows whole, split;
  bool whole_ok = true, split_ok = true;
  try {
    read_all_rows(*make(data.substr(0, data.size())), whole);
  } catch (const losscalc::Error&) {
    whole_ok = false;
  }
  auto first = make(data.substr(0, mid + 1));
  try {
    read_all_rows(*first, split);
  } catch (const losscalc::Error&) {
    if (split.rows == 0) return;  // no data row before the error: never split so (one stream reads it)
    split_ok = false;
  }
  auto rest = first->continuation();
  if (!rest) return;  // no data row in the first part: never split so
  try {
    if (split_ok) read_all_rows(*rest(losscalc::read::string_bytes(data.substr(mid + 1))), split);
  } catch (const losscalc::Error&) {
    split_ok = false;
  }
  if (whole_ok && !split_ok) fail("split read fails where the whole reads", std::string(data.substr(0, 200)));
  if (!whole_ok && split_ok) fail("split read succeeds where the whole fails", std::string(data.substr(0, 200)));
  if (whole_ok && (whole.rows != split.rows || whole.input != split.input || whole.target != split.target))
    fail("split read gives other rows", std::to_string(whole.rows) + " vs " + std::to_string(split.rows));
}

// A .npy read in two halves (as two threads read a large file) gives the
// rows of the whole, numbered as in the whole, and fails where it fails.
void check_npy_halves(std::string_view data, std::size_t step) {
  using namespace losscalc::read;
  const Origin origin{"input", "stdin"};
  AllRows whole, halves;
  bool whole_ok = true, halves_ok = true;
  try {
    read_all_rows(*npy_rows(std::make_unique<SlowBytes>(data, step), origin), whole);
  } catch (const losscalc::Error&) {
    whole_ok = false;
  }
  try {
    for (int part = 0; part < 2; ++part) {
      auto r = npy_rows(std::make_unique<SlowBytes>(data, step), origin, part, 2);
      RowBlock b;
      while (r->next(b, 5)) {
        if (b.first_row != halves.rows) fail("npy half: first_row", std::to_string(b.first_row) + " vs " + std::to_string(halves.rows));
        halves.input.append(reinterpret_cast<const char*>(b.input.data()), b.input.size() * sizeof(double));
        halves.rows += b.rows;
      }
    }
  } catch (const losscalc::Error&) {
    halves_ok = false;
  }
  if (whole_ok != halves_ok) fail(whole_ok ? "npy halves fail where the whole reads" : "npy halves read where the whole fails", "");
  if (whole_ok && (whole.rows != halves.rows || whole.input != halves.input))
    fail("npy halves give other rows", std::to_string(whole.rows) + " vs " + std::to_string(halves.rows));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 2) return 0;
  const unsigned mode = bytes[0];
  const std::int64_t max_rows = 1 + (bytes[1] & 7) * 3;          // 1 .. 22
  const std::size_t step = (bytes[1] >> 3) == 0 ? (1u << 20) : (bytes[1] >> 3);  // 1 .. 31, or 1 MiB
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 2, size - 2);
  const losscalc::read::Origin origin{"input", "stdin"};
  using namespace losscalc::read;
  try {
    switch (mode % 5) {
      case 0: {
        CsvOptions opt;
        opt.header = static_cast<CsvOptions::Header>((mode / 5) % 3);
        static const char delims[] = {0, ',', '\t', ' ', ';'};
        opt.delimiter = delims[(mode / 15) % 5];
        switch ((mode / 75) % 4) {
          case 1: opt.target_columns = {"-1"}; break;
          case 2: opt.target_columns = {"label"}; break;
          case 3: opt.target_columns = {"0", "1"}; break;
          default: break;
        }
        check_split(data, [&](std::string_view part) { return csv_rows(string_bytes(part), origin, opt); });
        auto r = csv_rows(std::make_unique<SlowBytes>(data, step), origin, opt);
        drain(*r, max_rows);
        break;
      }
      case 1: {
        // Column options make every line a records line (one key a column).
        CsvOptions opt;
        switch ((mode / 5) % 4) {
          case 1: opt.target_columns = {"label"}; break;
          case 2: opt.target_columns = {"-1"}; opt.input_columns = {"0:1"}; break;
          case 3: opt.ignore_columns = {"0"}; opt.target_columns = {"b", "-1"}; opt.target_groups = {1, 1}; break;
          default: break;
        }
        check_split(data, [&](std::string_view part) { return jsonl_rows(string_bytes(part), origin, opt); });
        auto r = jsonl_rows(std::make_unique<SlowBytes>(data, step), origin, opt);
        drain(*r, max_rows);
        break;
      }
      case 2: {
        check_npy_halves(data, step);
        auto r = npy_rows(std::make_unique<SlowBytes>(data, step), origin);
        drain(*r, max_rows);
        break;
      }
      case 3:
        check_tensor(npy_tensor(data, origin));
        break;
      default:
        (void)sniff(data);
        break;
    }
  } catch (const losscalc::Error& e) {
    if (std::string_view(e.what()).substr(0, 10) != "losscalc: ") fail("message lacks the prefix", e.what());
  }
  return 0;
}
