// Streamed row data (more than one block) against the in-memory path, bad
// rows deep in a stream, --partial + merge, and .npy / JSON Lines readers.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <zlib.h>

#include "error.h"
#include "helpers.h"
#include "print/number.h"
#include "read/container.h"
#include "read/elements.h"
#include "read/zip.h"

using losscalc::testing::run_cli;

namespace {

struct Rows {
  std::string csv;    // header + rows, label last
  std::string json;   // [[...], ...]
  std::string labels; // [..]
};

Rows make_rows(int n, int c, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> cls(0, c - 1);
  Rows r;
  r.csv = "a";
  for (int k = 1; k < c; ++k) r.csv += ",x" + std::to_string(k);
  r.csv += ",label\n";
  r.json = "[";
  r.labels = "[";
  char buf[32];
  for (int i = 0; i < n; ++i) {
    r.json += i ? ",[" : "[";
    for (int k = 0; k < c; ++k) {
      std::snprintf(buf, sizeof buf, "%.5f", normal(gen));
      r.csv += std::string(k ? "," : "") + buf;
      r.json += std::string(k ? "," : "") + buf;
    }
    const int y = cls(gen);
    r.csv += "," + std::to_string(y) + "\n";
    r.json += "]";
    r.labels += (i ? "," : "") + std::to_string(y);
  }
  r.json += "]";
  r.labels += "]";
  return r;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("losscalc_stream_" + name)).string();
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("a streamed CSV gives exactly the in-memory loss (exact sums)") {
  const Rows r = make_rows(60000, 4, 1);  // 240k values: several blocks
  for (const char* red : {"mean", "sum"}) {
    auto streamed = run_cli({"ce", "-q", "-r", red, "-", "--target-column", "label"}, r.csv);
    REQUIRE(streamed.status == 0);
    const std::string path = temp_path("x.json");
    std::ofstream(path) << r.json;
    auto whole = run_cli({"ce", "--json", "-q", "-r", red, path, r.labels});
    CHECK(streamed.out == whole.out);
  }
  auto weighted = run_cli({"ce", "-q", "--weight", "[1,2,3,4]", "--label-smoothing", "0.1", "-", "--target-column", "-1"}, r.csv);
  const std::string path = temp_path("x.json");
  auto whole = run_cli({"ce", "-q", "--weight", "[1,2,3,4]", "--label-smoothing", "0.1", path, r.labels});
  CHECK(weighted.out == whole.out);
}

TEST_CASE("streamed -r none writes one loss per row, the same as in memory") {
  const Rows r = make_rows(40000, 5, 2);
  auto streamed = run_cli({"ce", "-q", "-r", "none", "-", "--target-column", "label"}, r.csv);
  REQUIRE(streamed.status == 0);
  CHECK(lines(streamed.out) == 40000);
  const std::string path = temp_path("y.json");
  std::ofstream(path) << r.json;
  CHECK(run_cli({"ce", "-q", "-r", "none", path, r.labels}).out == streamed.out);
}

TEST_CASE("a bad row deep in a stream: exit 1, its line and column, and the output ends cleanly before it") {
  Rows r = make_rows(50000, 4, 3);
  // Break line 45001 (data row 45000, after the header): its second cell.
  std::size_t at = 0;
  for (int line = 1; line < 45001; ++line) at = r.csv.find('\n', at) + 1;
  const std::size_t comma = r.csv.find(',', at);
  r.csv.replace(comma + 1, 1, "x");
  auto o = run_cli({"ce", "-q", "-r", "none", "-", "--target-column", "label"}, r.csv);
  CHECK(o.status == 1);
  CHECK(o.err.find("losscalc: input: stdin, line 45001, column ") == 0);
  CHECK(o.err.find("expected a number, found 'x") != std::string::npos);
  CHECK(lines(o.out) == 44999);  // every row before the bad one, whole lines only
  CHECK(o.out.back() == '\n');
  auto reduced = run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  CHECK(reduced.status == 1);
  CHECK(reduced.out.empty());  // a reduced loss prints nothing on error
}

TEST_CASE("a target out of range deep in a stream names its data row") {
  Rows r = make_rows(50000, 4, 4);
  const std::size_t last_comma = r.csv.rfind(',', r.csv.size() - 2);
  r.csv.replace(last_comma + 1, r.csv.size() - last_comma - 2, "9");
  auto o = run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  CHECK(o.status == 1);
  CHECK(o.err == "losscalc: target: data row 50000: Target 9 is out of bounds.\n");
}

TEST_CASE("--partial results of shards merge to the unsharded loss") {
  const Rows r = make_rows(30000, 3, 5);
  const std::size_t half = [&] {
    std::size_t at = 0;
    for (int line = 0; line < 15001; ++line) at = r.csv.find('\n', at) + 1;
    return at;
  }();
  const std::string header = r.csv.substr(0, r.csv.find('\n') + 1);
  auto a = run_cli({"ce", "--partial", "-", "--target-column", "label"}, r.csv.substr(0, half));
  auto b = run_cli({"ce", "--partial", "-", "--target-column", "label"}, header + r.csv.substr(half));
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  auto merged = run_cli({"merge", "-q", "-"}, a.out + b.out);
  auto whole = run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  CHECK(merged.status == 0);
  CHECK(merged.out == whole.out);
  auto bad = run_cli({"merge", "-"}, a.out + "{\"x\": 1}\n");
  CHECK(bad.status == 1);
  CHECK(bad.err == "losscalc: input: line 2: not a --partial result (no \"partial\": true with loss_sum_parts)\n");
}

TEST_CASE("JSON Lines stream and load whole alike") {
  std::string jl;
  for (int i = 0; i < 3; ++i) jl += "{\"input\": [0.1, 0.2, " + std::to_string(i) + "], \"target\": " + std::to_string(i) + "}\n";
  auto quiet = run_cli({"ce", "-q", "-"}, jl);
  auto full = run_cli({"ce", "--json", "-"}, jl);
  CHECK(quiet.status == 0);
  CHECK(full.out.find("\"loss\":" + quiet.out.substr(0, quiet.out.size() - 1)) != std::string::npos);
  auto ragged = run_cli({"ce", "-q", "-"}, jl + "{\"input\": [1, 2], \"target\": 0}\n");
  CHECK(ragged.status == 1);
  CHECK(ragged.err == "losscalc: input: stdin, line 4, column 1: this line has 2 input and 1 target values, the first line has 3 and 1\n");
}

namespace {
// A minimal .npy writer for the tests.
std::string npy(const std::string& descr, const std::string& shape, const std::string& data, bool fortran = false) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}
std::string doubles(std::initializer_list<double> v) {
  std::string s;
  for (double d : v) s.append(reinterpret_cast<const char*>(&d), 8);
  return s;
}
std::string write(const std::string& name, const std::string& bytes) {
  const std::string p = temp_path(name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}
}  // namespace

namespace {

// The same run on two threads (chunks of lines) and on one: the same status,
// output and message.
struct Both {
  losscalc::testing::Outcome two, one;
};
Both two_and_one(const std::vector<std::string>& args, const std::string& input) {
  Both b;
  b.two = run_cli(args, input);
  setenv("LOSSCALC_THREADS", "1", 1);
  b.one = run_cli(args, input);
  unsetenv("LOSSCALC_THREADS");
  CHECK(b.two.status == b.one.status);
  std::string two_out = b.two.out;
  if (const auto at = two_out.find(" (two threads)"); at != std::string::npos) two_out.erase(at, 14);  // the title says so
  CHECK(two_out == b.one.out);
  CHECK(b.two.err == b.one.err);
  return b;
}

// `csv` with line `n` (from 1) changed by `edit`.
template <class F>
std::string with_line(std::string csv, std::size_t n, F edit) {
  std::size_t at = 0;
  for (std::size_t k = 1; k < n; ++k) at = csv.find('\n', at) + 1;
  const std::size_t end = csv.find('\n', at);
  std::string line = csv.substr(at, end - at);
  edit(line);
  return csv.replace(at, end - at, line);
}

}  // namespace

TEST_CASE(".npy input and target: float64, int64 labels; errors for what is not supported") {
  const std::string x = write("x.npy", npy("<f8", "(2, 4)", doubles({0.1, 0.2, 0.3, 0.4, 0.1, 0.1, 0.1, 0.1})));
  std::string labels;
  for (std::int64_t v : {2, 3}) labels.append(reinterpret_cast<const char*>(&v), 8);
  const std::string y = write("y.npy", npy("<i8", "(2,)", labels));
  CHECK(run_cli({"ce", "-q", x, y}).out == "1.3644149452875267\n");
  auto check_error = [](const std::string& name, const std::string& bytes, const std::string& message) {
    const std::string p = write(name, bytes);
    auto o = run_cli({"ce", "-q", p, "[0]"});
    CHECK(o.status == 1);
    CHECK(o.out.empty());
    CHECK(o.err == "losscalc: input: file '" + p + "': .npy: " + message + "\n");
  };
  check_error("f16.npy", npy("<f2", "(1, 4)", "xxxxxxxx"), "unsupported dtype '<f2' (losscalc reads little-endian float64, float32, int64 and int32)");
  check_error("big.npy", npy(">f8", "(1, 4)", doubles({1, 2, 3, 4})), "unsupported dtype '>f8' (losscalc reads little-endian float64, float32, int64 and int32)");
  check_error("fortran.npy", npy("<f8", "(1, 4)", doubles({1, 2, 3, 4}), true), "Fortran order is not supported: save a C-order array (np.ascontiguousarray)");
  check_error("corrupt.npy", std::string("\x93NUMPY\x01\x00\xff\x00{'descr", 16), "truncated or corrupt header");
  auto t = run_cli({"ce", "-q", write("short.npy", npy("<f8", "(1, 4)", doubles({1, 2}))), "[0]"});
  CHECK(t.status == 1);
  CHECK(t.err.find(".npy is truncated: expected 4 values of 8 bytes") != std::string::npos);
}

TEST_CASE(".npy streamed in many blocks, every dtype, on two threads and one: the in-memory loss; truncation deep in it") {
  // 30000 x 7 logits (over 1 MB: many blocks), exact in float32 and in int32 / int64.
  const std::int64_t n = 30000, c = 7;
  std::string f8, f4, i8, i4, labels8, labels4, json = "[", target = "[";
  for (std::int64_t i = 0; i < n; ++i) {
    json += i ? ",[" : "[";
    for (std::int64_t k = 0; k < c; ++k) {
      const auto v = static_cast<std::int32_t>((i * 31 + k * 17) % 11) - 5;  // small integers: every dtype holds them
      const double d = v;
      const float f = static_cast<float>(v);
      const std::int64_t l = v;
      f8.append(reinterpret_cast<const char*>(&d), 8);
      f4.append(reinterpret_cast<const char*>(&f), 4);
      i8.append(reinterpret_cast<const char*>(&l), 8);
      i4.append(reinterpret_cast<const char*>(&v), 4);
      json += (k ? "," : "") + std::to_string(v);
    }
    json += "]";
    const std::int64_t y = (i * 5) % c;
    const auto y4 = static_cast<std::int32_t>(y);
    labels8.append(reinterpret_cast<const char*>(&y), 8);
    labels4.append(reinterpret_cast<const char*>(&y4), 4);
    target += (i ? "," : "") + std::to_string(y);
  }
  json += "]";
  target += "]";
  const std::string want = run_cli({"ce", "-q", json, target}).out;
  const std::string shape = "(" + std::to_string(n) + ", " + std::to_string(c) + ")", rows = "(" + std::to_string(n) + ",)";
  const std::string y8 = write("y8.npy", npy("<i8", rows, labels8)), y4 = write("y4.npy", npy("<i4", rows, labels4));
  for (const auto& [descr, data] : std::vector<std::pair<std::string, std::string>>{{"<f8", f8}, {"<f4", f4}, {"<i8", i8}, {"<i4", i4}}) {
    CAPTURE(descr);
    const std::string x = write("x" + descr.substr(1) + ".npy", npy(descr, shape, data));
    auto b = two_and_one({"ce", "-q", x, descr == "<f8" ? y8 : y4}, "");
    CHECK(b.two.status == 0);
    CHECK(b.two.out == want);
    // Cut short in its last blocks: the error, and nothing on stdout.
    const std::string cut = write("cut" + descr.substr(1) + ".npy", npy(descr, shape, data.substr(0, data.size() - 1000)));
    b = two_and_one({"ce", "-q", cut, y8}, "");
    CHECK(b.two.status == 1);
    CHECK(b.two.out.empty());
    CHECK(b.two.err.find(".npy is truncated: expected 210000 values of " + descr.substr(2) + " bytes") != std::string::npos);
  }
  // A bad label deep in it: the same data row on two threads as on one.
  std::string bad = labels8;
  const std::int64_t seven = 7;
  std::memcpy(bad.data() + 8 * 25000, &seven, 8);
  auto b = two_and_one({"ce", "-q", write("x_f8b.npy", npy("<f8", shape, f8)), write("ybad.npy", npy("<i8", rows, bad))}, "");
  CHECK(b.two.err == "losscalc: target: data row 25001: Target 7 is out of bounds.\n");
}

TEST_CASE("row data errors: header only, a wrong row width, unknown target column") {
  CHECK(run_cli({"ce", "-q", "-", "--target-column", "label"}, "a,b,label\n").err ==
        "losscalc: input: stdin: no data rows after the header\n");
  CHECK(run_cli({"ce", "-q", "-"}, "1,x,3\n").err == "losscalc: input: stdin, line 1, column 3: expected a number, found 'x'\n");
  CHECK(run_cli({"ce", "-q", "--header", "yes", "-", "--target-column", "label"}, "a,b,label\n").err ==
        "losscalc: input: stdin: no data rows after the header\n");
  CHECK(run_cli({"ce", "-q", "-", "--target-column", "label"}, "a,b,label\n1,2,0\n1,2\n").err ==
        "losscalc: input: stdin, line 3, column 1: this row has 2 cells, the first data row has 3\n");
  auto unknown = run_cli({"ce", "-q", "-", "--target-column", "lbl"}, "a,b,label\n1,2,0\n");
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "losscalc: --target-column: no column named 'lbl' (columns: 'a', 'b', 'label')\n");
  CHECK(run_cli({"ce", "-q", "-", "--target-column", "5"}, "1,2,0\n").err ==
        "losscalc: --target-column: column 5 is out of range: the rows have 3 columns (0 to 2)\n");
  CHECK(run_cli({"ce", "-q", "--target-column", "0", "[[1,2]]"}).err ==
        "losscalc: --target-column: needs row data (CSV or TSV), not a JSON array\n");
}

TEST_CASE("a NUL byte deep in a stream stops the read there: exit 1 at its line, rows before it streamed") {
  Rows r = make_rows(70000, 4, 5);
  std::size_t at = 0;
  for (int line = 1; line < 60001; ++line) at = r.csv.find('\n', at) + 1;
  const std::string shown = r.csv.substr(at, 6);
  r.csv.insert(at, std::string(3, '\0'));  // line 60001 starts with NULs
  auto o = run_cli({"ce", "-q", "-r", "none", "-", "--target-column", "label"}, r.csv);
  CHECK(o.status == 1);
  CHECK(o.err.rfind("losscalc: input: stdin, line 60001, column 1: expected a number, found '\\x00\\x00\\x00" + shown, 0) == 0);
  CHECK(lines(o.out) == 59999);
  auto whole = run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  CHECK(whole.status == 1);
  CHECK(whole.out.empty());
  CHECK(whole.err == o.err);
  // In the first block (about 1 MB of values, read whole before any output):
  // nothing on stdout.
  r = make_rows(1000, 4, 5);
  at = 0;
  for (int line = 1; line < 101; ++line) at = r.csv.find('\n', at) + 1;
  r.csv.insert(at, std::string(1, '\0'));
  o = run_cli({"ce", "-q", "-r", "none", "-", "--target-column", "label"}, r.csv);
  CHECK(o.status == 1);
  CHECK(o.err.rfind("losscalc: input: stdin, line 101, column 1: expected a number, found '\\x00", 0) == 0);
  CHECK(o.out.empty());
}

TEST_CASE("user text in an error message is one line: control characters escaped, long text cut at 200 bytes") {
  auto o = run_cli({"soft\nmax", "[1]"});
  CHECK(o.status == 2);
  CHECK(o.err == "losscalc: unknown function 'soft\\x0amax'; did you mean 'softmax'? ('losscalc --help' lists the functions)\n");
  o = run_cli({"ce", "--reduction", "mean\r\x1b[31m", "[[1,2]]", "[0]"});
  CHECK(o.status == 2);
  CHECK(o.err == "losscalc: --reduction: invalid value 'mean\\x0d\\x1b[31m': expected one of mean, sum, none, sum_over_batch_size, batchmean, mean_with_sample_weight\n");
  o = run_cli({"ce", "--dim", std::string(300, '7') + "\u00e9", "[[1,2]]", "[0]"});
  CHECK(o.status == 2);
  CHECK(o.err == "losscalc: --dim: invalid value '" + std::string(200, '7') + "...': expected an integer\n");
  // A cut never splits a UTF-8 character.
  o = run_cli({"ce", "--dim", std::string(199, '7') + "\u00e9\u00e9", "[[1,2]]", "[0]"});
  CHECK(o.err == "losscalc: --dim: invalid value '" + std::string(199, '7') + "...': expected an integer\n");
}

TEST_CASE("JSON Lines: the plain form (fast path) and every other form give the same values and errors") {
  // Line 1 plain, line 2 spaced and reordered, line 3 with forms only the JSON
  // parser reads ("Infinity" strings, 1e400), line 4 a scalar target in brackets.
  const std::string jsonl =
      "{\"input\": [0.5, -1.25, 3e-2], \"target\": 2}\n"
      "{ \"target\" :1 ,  \"input\":[ 1. , .5,-0 ] }\r\n"
      "{\"input\": [1e400, \"-Infinity\", 2], \"target\": 0}\n"
      "{\"input\": [7, 8, 9], \"target\": [1]}\n";
  const std::string doc = "{\"input\": [[0.5,-1.25,3e-2],[1,0.5,-0],[\"Infinity\",\"-Infinity\",2],[7,8,9]], \"target\": [2,1,0,1]}";
  auto a = run_cli({"ce", "-q", "-r", "none", "-"}, jsonl);
  auto b = run_cli({"ce", "-q", "-r", "none", doc});
  CHECK(a.status == 0);
  CHECK(a.out == b.out);
  CHECK(lines(a.out) == 4);
  // Errors come from the JSON parser, with its place.
  auto e = run_cli({"ce", "-q", "-"}, "{\"input\": [1, 2], \"target\": 0}\n{\"input\": [1, 2], \"target\": 0, \"weight\": 1}\n");
  CHECK(e.status == 1);
  CHECK(e.err == "losscalc: input: stdin, line 2, column 1: JSON Lines rows hold \"input\" and \"target\" only; give \"weight\" as an option (--weight)\n");
  e = run_cli({"ce", "-q", "-"}, "{\"input\": [1, 2], \"target\": 0}\n{\"input\": [1, 2, x], \"target\": 0}\n");
  CHECK(e.status == 1);
  CHECK(e.err == "losscalc: input: stdin, line 2, column 18: expected a number, found 'x'\n");
}

TEST_CASE("LOSSCALC_THREADS=1 gives the same bits as the read-ahead thread") {
  Rows r = make_rows(60000, 5, 9);
  auto two = run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  auto none_two = run_cli({"ce", "-q", "-r", "none", "-", "--target-column", "label"}, r.csv);
  setenv("LOSSCALC_THREADS", "1", 1);
  auto one = run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  auto none_one = run_cli({"ce", "-q", "-r", "none", "-", "--target-column", "label"}, r.csv);
  unsetenv("LOSSCALC_THREADS");
  CHECK(two.status == 0);
  CHECK(two.out == one.out);
  CHECK(lines(none_two.out) == 60000);
  CHECK(none_two.out == none_one.out);
}


TEST_CASE("CSV of 4 MB or more from stdin or a file: two threads, the same bits as one") {
  Rows r = make_rows(150000, 5, 21);  // about 6 MB
  REQUIRE(r.csv.size() > (std::size_t{4} << 20));
  auto b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, r.csv);
  CHECK(b.two.status == 0);
  CHECK(b.two.out == run_cli({"ce", "-q", r.json, r.labels}).out);  // exact sums: the in-memory loss
  two_and_one({"ce", "--partial", "-", "--target-column", "label"}, r.csv);
  two_and_one({"ce", "--json", "--label-smoothing", "0.1", "-", "--target-column", "-1"}, r.csv);
  two_and_one({"nll_loss", "-r", "sum", "-", "--target-column", "label"}, r.csv);
  const auto title = run_cli({"ce", "-", "--target-column", "label"}, r.csv);
  CHECK(title.out.find("streamed 150000 rows of 5 values from stdin (two threads)") != std::string::npos);
  const std::string path = temp_path("two.csv");
  std::ofstream(path, std::ios::binary) << r.csv;
  b = two_and_one({"ce", "-q", path, "--target-column", "label"}, r.csv);
  CHECK(b.two.out == title.out.substr(0, 0) + run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv).out);
  std::remove(path.c_str());
}

TEST_CASE("two threads: a bad row anywhere names the line and data row one thread names") {
  Rows r = make_rows(150000, 5, 22);
  for (std::size_t line : {2, 11, 5000, 60001, 149999, 150001}) {
    CAPTURE(line);
    auto b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, with_line(r.csv, line, [](std::string& l) { l.insert(0, "x"); }));
    CHECK(b.two.status == 1);
    CHECK(b.two.err.find(", line " + std::to_string(line) + ", column 1: expected a number, found 'x") != std::string::npos);
    b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, with_line(r.csv, line, [](std::string& l) { l += ",1"; }));
    const std::string wrong = line == 2 ? "line 3, column 1: this row has 6 cells, the first data row has 7"  // it set the width
                                        : "line " + std::to_string(line) + ", column 1: this row has 7 cells, the first data row has 6";
    CHECK(b.two.err.find(wrong) != std::string::npos);
    b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, with_line(r.csv, line, [](std::string& l) { l.back() = '9'; }));
    CHECK(b.two.err == "losscalc: target: data row " + std::to_string(line - 1) + ": Target 9 is out of bounds.\n");
  }
  // Two bad rows: the first in the input is the one reported.
  auto two_bad = with_line(with_line(r.csv, 140000, [](std::string& l) { l.insert(0, "y"); }), 90000, [](std::string& l) { l.back() = '7'; });
  CHECK(two_and_one({"ce", "-q", "-", "--target-column", "label"}, two_bad).two.err ==
        "losscalc: target: data row 89999: Target 7 is out of bounds.\n");
}

TEST_CASE("two threads: CRLF, blank lines, ';' rows, quoted names and lines longer than a chunk") {
  Rows r = make_rows(120000, 4, 23);
  std::string odd = "\"a\",\"x1\",\"x2\",\"x3\",\"label\"\r\n";
  std::size_t at = r.csv.find('\n') + 1, k = 0;
  while (at < r.csv.size()) {
    const std::size_t end = r.csv.find('\n', at);
    const std::string line = r.csv.substr(at, end - at);
    odd += line + (k % 3 == 0 ? "\r\n" : k % 7 == 0 ? ";" : k % 11 == 0 ? "\n\n\n" : "\n");
    at = end + 1;
    ++k;
  }
  auto b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, odd);
  CHECK(b.two.status == 0);
  CHECK(b.two.out == run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv).out);
  // 14 rows of 40000 logits: lines longer than the 64 KB head (one stream).
  Rows wide = make_rows(14, 40000, 24);
  REQUIRE(wide.csv.size() > (std::size_t{4} << 20));
  b = two_and_one({"ce", "-q", "-", "--target-column", "-1"}, wide.csv);
  CHECK(b.two.status == 0);
  CHECK(b.two.out == run_cli({"ce", "-q", wide.json, wide.labels}).out);
  // Short lines first, then lines of 20000 rows joined by ';', longer than a
  // chunk (256 KB): a chunk reads on to the end of its line. Then a bad row
  // in one of them.
  std::string joined;
  at = r.csv.find('\n') + 1;
  k = 0;
  while (at < r.csv.size()) {
    const std::size_t end = r.csv.find('\n', at);
    joined += r.csv.substr(at, end - at) + (k < 1000 || k % 20000 == 19999 ? "\n" : ";");
    at = end + 1;
    ++k;
  }
  joined = "a,x1,x2,x3,label\n" + joined;
  b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, joined);
  CHECK(b.two.status == 0);
  CHECK(b.two.out == run_cli({"ce", "-q", "-", "--target-column", "label"}, r.csv).out);
  CHECK(run_cli({"ce", "-", "--target-column", "label"}, joined).out.find("(two threads)") != std::string::npos);
  const std::size_t bad_at = joined.find(';', joined.size() / 2) + 1;
  b = two_and_one({"ce", "-q", "-", "--target-column", "label"}, joined.substr(0, bad_at) + "x" + joined.substr(bad_at));
  CHECK(b.two.status == 1);
  CHECK(b.two.err.find("expected a number, found 'x") != std::string::npos);
}

TEST_CASE("a streamed INPUT with its TARGET in another file: rows must match, on two threads and one") {
  Rows r = make_rows(40000, 5, 25);  // more than one block
  std::string logits, labels;
  std::size_t at = r.csv.find('\n') + 1;
  while (at < r.csv.size()) {
    const std::size_t end = r.csv.find('\n', at), comma = r.csv.rfind(',', end);
    logits += r.csv.substr(at, comma - at) + "\n";
    labels += r.csv.substr(comma + 1, end - comma - 1) + "\n";
    at = end + 1;
  }
  const std::string want = run_cli({"ce", "-q", r.json, r.labels}).out;
  const std::string y = write("labels.csv", labels);
  auto b = two_and_one({"ce", "-q", "-", y}, logits);
  CHECK(b.two.status == 0);
  CHECK(b.two.out == want);
  CHECK(two_and_one({"ce", "-q", "-", r.labels}, logits).two.out == want);  // a whole JSON array
  // One label short, one too many: in a file, and as a JSON array.
  const std::string short_labels = labels.substr(0, labels.size() - 2), long_labels = labels + "1\n";
  b = two_and_one({"ce", "-q", "-", write("short.csv", short_labels)}, logits);
  CHECK(b.two.status == 1);
  CHECK(b.two.out.empty());
  CHECK(b.two.err == "losscalc: target: has fewer rows than INPUT (39999 against at least 40000)\n");
  b = two_and_one({"ce", "-q", "-", write("long.csv", long_labels)}, logits);
  CHECK(b.two.err == "losscalc: target: has more rows than INPUT (40000)\n");
  const std::string json_short = r.labels.substr(0, r.labels.rfind(',')) + "]";
  b = two_and_one({"ce", "-q", "-", json_short}, logits);
  CHECK(b.two.err == "losscalc: target: has fewer rows than INPUT (39999 against at least 40000)\n");
  b = two_and_one({"ce", "-q", "-", r.labels.substr(0, r.labels.size() - 1) + ",1]"}, logits);
  CHECK(b.two.err == "losscalc: target: has 40001 rows, INPUT has 40000\n");
}

TEST_CASE("JSON Lines of 4 MB or more: two threads parse chunks; the same bits and messages as one") {
  Rows r = make_rows(90000, 5, 26);
  std::string jsonl;
  {
    std::size_t at = r.csv.find('\n') + 1;
    while (at < r.csv.size()) {
      const std::size_t end = r.csv.find('\n', at), comma = r.csv.rfind(',', end);
      jsonl += "{\"input\": [" + r.csv.substr(at, comma - at) + "], \"target\": " + r.csv.substr(comma + 1, end - comma - 1) + "}\n";
      at = end + 1;
    }
  }
  REQUIRE(jsonl.size() > (std::size_t{4} << 20));
  auto b = two_and_one({"ce", "-q", "-"}, jsonl);
  CHECK(b.two.status == 0);
  CHECK(b.two.out == run_cli({"ce", "-q", r.json, r.labels}).out);
  CHECK(run_cli({"ce", "--format", "csv", "--partial", "-"}, jsonl).out == b.two.out.substr(0, 0) + run_cli({"ce", "--partial", "-"}, jsonl).out);
  // Lines the JSON parser reads (spaces, strings for infinities) deep in it.
  std::string odd = with_line(jsonl, 70000, [](std::string& l) { l = " { \"target\" : 1 , \"input\" : [ 1 , \"-Infinity\" , 2, 3, 4 ] } "; });
  b = two_and_one({"ce", "-q", "-"}, odd);
  CHECK(b.two.status == 0);
  for (std::size_t line : {3, 50000, 89999}) {
    CAPTURE(line);
    b = two_and_one({"ce", "-q", "-"}, with_line(jsonl, line, [](std::string& l) { l.replace(l.find('[') + 1, 0, "x"); }));
    CHECK(b.two.status == 1);
    CHECK(b.two.err.find("stdin, line " + std::to_string(line) + ", column 12: ") != std::string::npos);
    b = two_and_one({"ce", "-q", "-"}, with_line(jsonl, line, [](std::string& l) { l.replace(l.find(']'), 0, ", 1"); }));
    CHECK(b.two.err.find("line " + std::to_string(line) + ", column 1: this line has 6 input and 1 target values, the first line has 5 and 1") !=
          std::string::npos);
    b = two_and_one({"ce", "-q", "-"}, with_line(jsonl, line, [](std::string& l) { l = l.substr(0, l.find(", \"target\"")) + "}"; }));
    CHECK(b.two.err.find("line " + std::to_string(line) + ", column 1: this line has 5 input and 0 target values, the first line has 5 and 1") !=
          std::string::npos);
    b = two_and_one({"ce", "-q", "-"}, with_line(jsonl, line, [](std::string& l) { l.insert(l.size() - 1, ", \"weight\": 2"); }));
    CHECK(b.two.err.find("line " + std::to_string(line) + ", column 1: JSON Lines rows hold \"input\" and \"target\" only") != std::string::npos);
    b = two_and_one({"ce", "-q", "-"}, with_line(jsonl, line, [](std::string& l) { l.replace(l.rfind(' ') + 1, 1, "8"); }));
    CHECK(b.two.err == "losscalc: target: data row " + std::to_string(line) + ": Target 8 is out of bounds.\n");
  }
}

TEST_CASE("--target-column given again adds its columns (soft targets), as a comma list does") {
  const std::string csv = "a,b,c,p0,p1,p2\n1,2,3,0.2,0.3,0.5\n0.5,-1,2,1,0,0\n";
  const auto listed = run_cli({"ce", "-q", "-", "--target-column", "p0,p1,p2"}, csv);
  CHECK(listed.status == 0);
  CHECK(listed.out == run_cli({"ce", "-q", "[[1,2,3],[0.5,-1,2]]", "[[0.2,0.3,0.5],[1,0,0]]"}).out);
  CHECK(run_cli({"ce", "-q", "-", "--target-column", "p0", "--target-column", "p1,p2"}, csv).out == listed.out);
  CHECK(run_cli({"ce", "-q", "-", "--target-column", "p0", "--target-column", "p1", "--target-column", "-1"}, csv).out == listed.out);
  const auto twice = run_cli({"ce", "-q", "-", "--target-column", "p0,p1", "--target-column", "p1,p2"}, csv);
  CHECK(twice.status == 2);
  CHECK(twice.err == "losscalc: --target-column: column p1 is named twice\n");
}

TEST_CASE("per-sample output with a bad row in a later block: the rows before it, in the asked format, then the error") {
  // Blocks of 26214 rows (131072 values / 5): the bad target is in the second block,
  // whose good rows are found one at a time.
  Rows r = make_rows(60000, 5, 27);
  const std::string bad = with_line(r.csv, 40001, [](std::string& l) { l.back() = '9'; });  // data row 40000
  for (const std::vector<std::string>& format : {std::vector<std::string>{"-q"}, {"--json"}, {"--format", "csv"}, {"--precision", "3"}}) {
    CAPTURE(format[0]);
    std::vector<std::string> args = {"ce", "-r", "none", "-", "--target-column", "label"};
    args.insert(args.end(), format.begin(), format.end());
    const auto good = run_cli(args, r.csv);
    REQUIRE(good.status == 0);
    const bool header = format[0] == "--format";
    std::size_t cut = 0;
    for (int k = 0; k < 39999 + (header ? 1 : 0); ++k) cut = good.out.find('\n', cut) + 1;
    auto b = two_and_one(args, bad);
    CHECK(b.two.status == 1);
    CHECK(b.two.out == good.out.substr(0, cut));
    CHECK(b.two.err == "losscalc: target: data row 40000: Target 9 is out of bounds.\n");
  }
}

TEST_CASE(".npy files of 4 MB or more with a .npy TARGET: two threads read half each; the same bits and messages as one") {
  const std::int64_t n = 90000, c = 8;  // 5.76 MB of float64
  std::string f8, f4, labels, labels4;
  std::mt19937 gen(28);
  std::normal_distribution<double> normal;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = 0; k < c; ++k) {
      const double d = normal(gen);
      const auto f = static_cast<float>(d);
      f8.append(reinterpret_cast<const char*>(&d), 8);
      f4.append(reinterpret_cast<const char*>(&f), 4);
    }
    const std::int64_t y = (i * 7) % c;
    const auto y4 = static_cast<std::int32_t>(y);
    labels.append(reinterpret_cast<const char*>(&y), 8);
    labels4.append(reinterpret_cast<const char*>(&y4), 4);
  }
  const std::string shape = "(" + std::to_string(n) + ", " + std::to_string(c) + ")", rows = "(" + std::to_string(n) + ",)";
  const std::string x = write("big_x.npy", npy("<f8", shape, f8)), y = write("big_y.npy", npy("<i8", rows, labels));
  auto b = two_and_one({"ce", "-q", x, y}, "");
  CHECK(b.two.status == 0);
  CHECK(b.two.out.size() > 10);
  two_and_one({"ce", "--partial", x, y}, "");
  two_and_one({"ce", "-q", "--label-smoothing", "0.2", "--weight", "[1,2,3,4,5,6,7,8]", x, y}, "");
  two_and_one({"nll_loss", "-q", "-r", "sum", x, y}, "");
  // float32 logits (2.9 MB, one stream) and twice as many rows (5.8 MB, two threads).
  two_and_one({"ce", "-q", write("big_x4.npy", npy("<f4", shape, f4)), write("big_y4.npy", npy("<i4", rows, labels4))}, "");
  const std::string rows2 = "(" + std::to_string(2 * n) + ",)", shape2 = "(" + std::to_string(2 * n) + ", " + std::to_string(c) + ")";
  b = two_and_one({"ce", "-q", write("big2_x4.npy", npy("<f4", shape2, f4 + f4)), write("big2_y4.npy", npy("<i4", rows2, labels4 + labels4))}, "");
  CHECK(b.two.status == 0);
  // Cut short, in the input or in the target.
  b = two_and_one({"ce", "-q", write("cut_x.npy", npy("<f8", shape, f8.substr(0, f8.size() - 800))), y}, "");
  CHECK(b.two.status == 1);
  CHECK(b.two.err.find(".npy is truncated: expected 720000 values of 8 bytes") != std::string::npos);
  b = two_and_one({"ce", "-q", x, write("cut_y.npy", npy("<i8", rows, labels.substr(0, labels.size() - 8)))}, "");
  CHECK(b.two.err.find("losscalc: target: file '") == 0);
  CHECK(b.two.err.find(".npy is truncated: expected 90000 values of 8 bytes") != std::string::npos);
  // Bad labels: in the second half alone, and in both halves (the first wins).
  const std::int64_t nine = 9;
  std::string bad = labels;
  std::memcpy(bad.data() + 8 * 70000, &nine, 8);
  b = two_and_one({"ce", "-q", x, write("bad_y.npy", npy("<i8", rows, bad))}, "");
  CHECK(b.two.err == "losscalc: target: data row 70001: Target 9 is out of bounds.\n");
  std::memcpy(bad.data() + 8 * 10, &nine, 8);
  b = two_and_one({"ce", "-q", x, write("bad2_y.npy", npy("<i8", rows, bad))}, "");
  CHECK(b.two.err == "losscalc: target: data row 11: Target 9 is out of bounds.\n");
  // A TARGET with other rows: one stream reads it, and says so.
  b = two_and_one({"ce", "-q", x, write("short_y.npy", npy("<i8", "(89999,)", labels.substr(8)))}, "");
  CHECK(b.two.status == 1);
  CHECK(b.two.err.find("has fewer rows than INPUT") != std::string::npos);
}

TEST_CASE("mse_loss over 300,000 x,y rows streams (a single input column per row): the exact mean") {
  // x = (i % 7) / 2 and y = (i % 5) / 4: every square is a multiple of 1/16,
  // so the sum is exact in a double and the mean is that sum / N.
  std::string csv = "x,y\n";
  double sum = 0;
  const int n = 300000;
  for (int i = 0; i < n; ++i) {
    const double x = (i % 7) / 2.0, y = (i % 5) / 4.0;
    sum += (x - y) * (x - y);
    csv += losscalc::print::shortest(x) + "," + losscalc::print::shortest(y) + "\n";
  }
  const auto mean = run_cli({"mse_loss", "-q", "-", "--target-column", "y"}, csv);
  CHECK(mean.status == 0);
  CHECK(mean.err == "");
  CHECK(mean.out == losscalc::print::shortest(sum / n) + "\n");
  const auto total = run_cli({"mse_loss", "-q", "-r", "sum", "-", "--target-column", "y"}, csv);
  CHECK(total.out == losscalc::print::shortest(sum) + "\n");
  // 300 rows (read whole) give the same kind of answer: rows, not one sample.
  std::string small = "x,y\n1,0.5\n2,2\n3,5\n";
  CHECK(run_cli({"mse_loss", "-q", "-", "--target-column", "y"}, small).out == "1.4166666666666667\n");
}

TEST_CASE("a pandas index left out is checked on every row, however large the input (one stream reads it)") {
  // 200,000 rows (about 5 MB, past the two-thread threshold); row 150,000's index is wrong.
  std::string good = ",a,b,label\n", bad;
  for (int i = 0; i < 200000; ++i) {
    const std::string row = "," + std::to_string(i % 3) + ".5,0.25," + std::to_string(i % 2) + "\n";
    good += std::to_string(i) + row;
    bad += (i == 150000 ? std::string("7") : std::to_string(i)) + row;
  }
  bad = ",a,b,label\n" + bad;
  const auto ok = run_cli({"ce", "-q", "--no-warnings", "-", "--target-column", "label"}, good);
  CHECK(ok.status == 0);
  CHECK(ok.err == "");
  const auto wrong = run_cli({"ce", "-q", "--no-warnings", "-", "--target-column", "label"}, bad);
  CHECK(wrong.status == 1);
  CHECK(wrong.out == "");
  CHECK(wrong.err ==
        "losscalc: input: stdin, line 150002, column 1: column 0 was left out as a pandas index (0, 1, 2, ...), but here it "
        "holds '7', not 150000: choose the columns with --column input=SPEC or --ignore-column SPEC\n");
}

TEST_CASE("margin_ranking_loss over 300,000 a,b,y rows (--column input2=b): the streamed mean is exact") {
  // a = (i % 7) / 4, b = (i % 5) / 8, y = +-1, margin 0.5: every loss is a
  // multiple of 1/8, so the sum is exact in a double and the mean is sum / N.
  std::string csv = "a,b,y\n";
  double sum = 0;
  const int n = 300000;
  for (int i = 0; i < n; ++i) {
    const double a = (i % 7) / 4.0, b = (i % 5) / 8.0, y = i % 3 == 0 ? -1 : 1;
    sum += std::max(0.0, -y * (a - b) + 0.5);
    csv += losscalc::print::shortest(a) + "," + losscalc::print::shortest(b) + "," + losscalc::print::shortest(y) + "\n";
  }
  const std::vector<std::string> args{"margin_ranking_loss", "-q", "-", "--column", "input2=b", "--target-column", "y", "--margin", "0.5"};
  const auto mean = run_cli(args, csv);
  CHECK(mean.status == 0);
  CHECK(mean.err == "");
  CHECK(mean.out == losscalc::print::shortest(sum / n) + "\n");
  auto partial = args;
  partial.push_back("--partial");
  const auto p = run_cli(partial, csv);
  CHECK(p.out.find("\"settings\":{\"margin\":0.5}") != std::string::npos);
  // Rows read whole (small) give the rows' shapes, not one sample.
  CHECK(run_cli(args, "a,b,y\n1,0.5,1\n0,0.5,1\n").out == "0.5\n");
  // The same rows as JSON Lines records (about 12 MB: the two-thread chunks), keys named as the data arguments.
  std::string jsonl;
  for (int i = 0; i < n; ++i)
    jsonl += "{\"input1\": " + losscalc::print::shortest((i % 7) / 4.0) + ", \"input2\": " + losscalc::print::shortest((i % 5) / 8.0) +
             ", \"target\": " + (i % 3 == 0 ? "-1" : "1") + "}\n";
  const auto j = run_cli({"margin_ranking_loss", "-q", "-", "--margin", "0.5"}, jsonl);
  CHECK(j.status == 0);
  CHECK(j.out == losscalc::print::shortest(sum / n) + "\n");
}

TEST_CASE("sklearn.log_loss and Keras mse stream rows with a sample_weight column: the in-memory loss, and merged shards") {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::string csv = "p0,p1,p2,label,w\n", head = csv, half[2] = {csv, csv};
  std::string pred = "[", labels = "[", weights = "[";
  char buf[96];
  const int n = 100000;  // 300k values: several blocks (a block is 131072 values)
  for (int i = 0; i < n; ++i) {
    const double a = u(gen), b = u(gen), c = u(gen), w = std::round(u(gen) * 100) / 50;
    const int y = static_cast<int>(u(gen) * 3);
    std::snprintf(buf, sizeof buf, "%.6f,%.6f,%.6f,%d,%.2f\n", a, b, c, y, w);
    csv += buf;
    half[i < n / 2 ? 0 : 1] += buf;
    std::snprintf(buf, sizeof buf, "%s[%.6f,%.6f,%.6f]", i ? "," : "", a, b, c);
    pred += buf;
    labels += (i ? "," : "") + std::to_string(y);
    std::snprintf(buf, sizeof buf, "%s%.2f", i ? "," : "", w);
    weights += buf;
  }
  pred += "]";
  labels += "]";
  weights += "]";
  const std::string pred_path = temp_path("ll_pred.json"), labels_path = temp_path("ll_labels.json"), w_path = temp_path("ll_w.json");
  std::ofstream(pred_path) << pred;
  std::ofstream(labels_path) << labels;
  std::ofstream(w_path) << weights;
  const std::vector<std::string> rows{"--target-column", "label", "--column", "sample_weight=w", "--labels", "[0,1,2]"};
  auto args = [&](std::vector<std::string> head_args, const std::vector<std::string>& tail) {
    head_args.insert(head_args.end(), tail.begin(), tail.end());
    return head_args;
  };
  for (const char* dtype : {"float64", "float32"}) {
    CAPTURE(dtype);
    const auto streamed = run_cli(args({"log_loss", "-q", "--dtype", dtype, "-"}, rows), csv);
    REQUIRE(streamed.status == 0);
    const auto whole = run_cli({"log_loss", "-q", "--dtype", dtype, "--sample-weight", w_path, pred_path, labels_path});
    REQUIRE(whole.status == 0);
    CHECK(streamed.out == whole.out);
    std::string parts;
    for (const auto& h : half) {
      const auto p = run_cli(args({"log_loss", "--partial", "--dtype", dtype, "-"}, rows), h);
      REQUIRE(p.status == 0);
      parts += p.out;
    }
    const auto merged = run_cli({"merge", "-q"}, parts);
    REQUIRE(merged.status == 0);
    CHECK(merged.out == whole.out);
  }
  // Without --labels a block would see some of the labels only: refused.
  const auto no_labels = run_cli({"log_loss", "-q", "-", "--target-column", "label", "--column", "sample_weight=w"}, csv);
  CHECK(no_labels.status == 2);
  CHECK(no_labels.err.find("--labels") != std::string::npos);
  CHECK(no_labels.out.empty());
  // Keras's mse of the same columns against 0.5, weighted per row.
  std::string rows_half = "p0,p1,p2,t0,t1,t2,w\n";
  std::string mse_csv = rows_half;
  for (int i = 0; i < 60000; ++i) {  // 360k values: several blocks
    std::snprintf(buf, sizeof buf, "%.4f,%.4f,%.4f,0.5,0.25,1,%.2f\n", u(gen), u(gen), u(gen), std::round(u(gen) * 100) / 50);
    mse_csv += buf;
  }
  for (const char* red : {"sum_over_batch_size", "sum", "mean_with_sample_weight"}) {
    CAPTURE(red);
    const auto streamed = run_cli({"mse", "-q", "-r", red, "-", "--column", "input=0:2", "--column", "target=3:5", "--column", "sample_weight=w"},
                                  mse_csv);
    REQUIRE(streamed.status == 0);
    // The same rows as JSON arrays, read whole.
    std::string x = "[", t = "[", w = "[";
    std::istringstream in(mse_csv);
    std::string line;
    std::getline(in, line);
    for (int i = 0; std::getline(in, line); ++i) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string cell; std::getline(ls, cell, ',');) f.push_back(cell);
      x += std::string(i ? "," : "") + "[" + f[0] + "," + f[1] + "," + f[2] + "]";
      t += std::string(i ? "," : "") + "[" + f[3] + "," + f[4] + "," + f[5] + "]";
      w += std::string(i ? "," : "") + f[6];
    }
    x += "]";
    t += "]";
    w += "]";
    std::ofstream(temp_path("mse_x.json")) << x;
    std::ofstream(temp_path("mse_t.json")) << t;
    std::ofstream(temp_path("mse_w.json")) << w;
    const auto whole = run_cli({"mse", "-q", "-r", red, "--sample-weight", temp_path("mse_w.json"), temp_path("mse_x.json"), temp_path("mse_t.json")});
    REQUIRE(whole.status == 0);
    CHECK(streamed.out == whole.out);
  }
}

TEST_CASE("a per-row loss without a target streams: triplet_margin_loss of anchor, positive, negative columns, the in-memory loss") {
  std::mt19937 gen(11);
  std::normal_distribution<double> normal;
  std::string csv = "a0,a1,a2,p0,p1,p2,n0,n1,n2\n";
  std::string arr[3] = {"[", "[", "["};
  char buf[32];
  for (int i = 0; i < 50000; ++i) {  // 450k values: several blocks
    for (int part = 0; part < 3; ++part) {
      arr[part] += i ? ",[" : "[";
      for (int k = 0; k < 3; ++k) {
        std::snprintf(buf, sizeof buf, "%.4f", normal(gen));
        csv += std::string(part || k ? "," : "") + buf;
        arr[part] += std::string(k ? "," : "") + buf;
      }
      arr[part] += "]";
    }
    csv += "\n";
  }
  for (auto& a : arr) a += "]";
  const std::string pa = temp_path("tri_a.json"), pp = temp_path("tri_p.json"), pn = temp_path("tri_n.json");
  std::ofstream(pa) << arr[0];
  std::ofstream(pp) << arr[1];
  std::ofstream(pn) << arr[2];
  for (const char* red : {"mean", "sum"}) {
    CAPTURE(red);
    const auto streamed = run_cli({"triplet_margin_loss", "--swap", "-q", "-r", red, "-", "--column", "anchor=0:2", "--column", "positive=3:5",
                                   "--column", "negative=6:8"},
                                  csv);
    REQUIRE(streamed.status == 0);
    const auto whole = run_cli({"triplet_margin_loss", "--swap", "-q", "-r", red, pa, pp, pn});
    REQUIRE(whole.status == 0);
    CHECK(streamed.out == whole.out);
  }
}

namespace {

// A zip of `members` as numpy.savez writes it (stored) or savez_compressed
// (deflated), for the tests.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& members, bool deflated) {
  const auto le = [](std::string& out, std::uint64_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
  };
  std::string body, dir;
  for (auto& [name, data] : members) {
    std::string packed = data;
    if (deflated) {
      z_stream z{};
      REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
      packed.resize(deflateBound(&z, static_cast<uLong>(data.size())));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      z.avail_in = static_cast<uInt>(data.size());
      z.next_out = reinterpret_cast<Bytef*>(packed.data());
      z.avail_out = static_cast<uInt>(packed.size());
      REQUIRE(::deflate(&z, Z_FINISH) == Z_STREAM_END);
      packed.resize(z.total_out);
      deflateEnd(&z);
    }
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    const std::size_t at = body.size();
    std::string common;
    le(common, deflated ? 8 : 0, 2);  // method
    le(common, 0, 4);                // time, date
    le(common, crc, 4);
    le(common, packed.size(), 4);
    le(common, data.size(), 4);
    le(common, name.size(), 2);
    le(common, 0, 2);  // extra
    body += "PK\x03\x04";
    le(body, 20, 2);  // version needed
    le(body, 0, 2);   // flags
    body += common + name + packed;
    dir += "PK\x01\x02";
    le(dir, 20, 2);
    le(dir, 20, 2);
    le(dir, 0, 2);
    dir += common;
    le(dir, 0, 2);  // comment
    le(dir, 0, 2);  // disk
    le(dir, 0, 2);  // internal attributes
    le(dir, 0, 4);  // external attributes
    le(dir, at, 4);
    dir += name;
  }
  std::string end = "PK\x05\x06";
  le(end, 0, 4);
  le(end, members.size(), 2);
  le(end, members.size(), 2);
  le(end, dir.size(), 4);
  le(end, body.size(), 4);
  le(end, 0, 2);
  return body + dir + end;
}

// n x c normal float64 logits and int64 labels (i * step mod c), as raw
// little-endian bytes.
std::pair<std::string, std::string> raw_batch(std::int64_t n, std::int64_t c, unsigned seed, std::int64_t step) {
  std::string f8, labels;
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = 0; k < c; ++k) {
      const double d = normal(gen);
      f8.append(reinterpret_cast<const char*>(&d), 8);
    }
    const std::int64_t y = (i * step) % c;
    labels.append(reinterpret_cast<const char*>(&y), 8);
  }
  return {f8, labels};
}

// A safetensors file of (name, dtype, shape, raw bytes).
std::string safetensors_of(const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& tensors) {
  std::string header = "{", data;
  for (auto& [name, dtype, shape, raw] : tensors) {
    if (header.size() > 1) header += ",";
    header += "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + raw.size()) + "]}";
    data += raw;
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  std::string out;
  for (int k = 0; k < 8; ++k) out += static_cast<char>((header.size() >> (8 * k)) & 0xff);
  return out + header + data;
}

}  // namespace

TEST_CASE("a stored member's tracked readers: the runs they read, each view's CRC taken on the reader's next call or at its end, cover the member and match") {
  std::string data(300000, '\0');
  std::mt19937 gen(3);
  for (auto& ch : data) ch = static_cast<char>(gen());
  for (bool damaged : {false, true}) {
    CAPTURE(damaged);
    std::string z = zip_of({{"a.npy", data}}, false);
    if (damaged) z[30 + 5 + data.size() - 1] ^= 1;  // the member's last byte: in the last view read
    const losscalc::read::Zip zip(z, {"input", "file 'z.npz'"});
    const auto& m = zip.members().at(0);
    auto ledger = std::make_shared<losscalc::read::CrcLedger>(m.crc, m.size);
    {
      // Two readers, as two threads read: the first 100000 bytes, then the rest.
      auto first = zip.tracked_reader(m, ledger, {});
      auto second = zip.tracked_reader(m, ledger, {});
      REQUIRE(first->viewable());
      std::size_t got = 0;
      while (got < 100000) got += first->view(std::min<std::size_t>(65536, 100000 - got)).size();
      REQUIRE(second->skip(100000));
      while (!second->view(65536).empty()) {
      }
      CHECK(!ledger->matches().has_value());  // the last views' CRCs are not taken yet: not covered
    }
    REQUIRE(ledger->matches().has_value());
    CHECK(*ledger->matches() == !damaged);
  }
}

TEST_CASE("a stored .npy member read by the row reader: its CRC, taken in the decode's pass (float32, float64, int64) or after it, covers the member and matches; the values are the bytes'") {
  std::mt19937 gen(5);
  for (const auto& [descr, eb] : std::vector<std::pair<std::string, int>>{{"<f4", 4}, {"<f8", 8}, {"<i8", 8}, {"<i2", 2}}) {
    for (bool two : {false, true}) {
      CAPTURE(descr);
      CAPTURE(two);
      const std::int64_t n = 70001, c = 3;  // 0.4 to 1.7 MB, in blocks of 1000 rows: views that end off a 128-byte step
      std::string raw(static_cast<std::size_t>(n * c * eb), '\0');
      for (auto& ch : raw) ch = static_cast<char>(gen() % 64);  // finite floats, small integers
      std::string file = npy(descr, "(" + std::to_string(n) + ", " + std::to_string(c) + ")", raw);
      if (eb > 2) {
        // A header 2 bytes longer than numpy pads it (as another writer
        // may): the values straddle the views' ends.
        file.insert(file.find('\n', 10), "  ");
        file[8] = static_cast<char>(file[8] + 2);
      }
      const std::string z = zip_of({{"a.npy", file}}, false);
      const losscalc::read::Zip zip(z, {"input", "file 'z.npz'"});
      const auto& m = zip.members().at(0);
      auto ledger = std::make_shared<losscalc::read::CrcLedger>(m.crc, m.size);
      std::vector<double> values;
      for (int part = 0; part < (two ? 2 : 1); ++part) {
        auto rows = losscalc::read::npy_rows(zip.tracked_reader(m, ledger, {}), {"input", "file 'z.npz'"}, part, two ? 2 : 1);
        losscalc::read::RowBlock b;
        while (rows->next(b, 1000)) values.insert(values.end(), b.input.begin(), b.input.begin() + b.rows * b.width);
      }
      REQUIRE(values.size() == static_cast<std::size_t>(n * c));
      std::vector<double> want(values.size());
      losscalc::read::decode_elements(raw.data(), want.size(),
                                      descr == "<f4" ? losscalc::read::Elem::F32 : descr == "<f8" ? losscalc::read::Elem::F64
                                      : descr == "<i8" ? losscalc::read::Elem::I64 : losscalc::read::Elem::I16, want.data());
      CHECK(values == want);
      REQUIRE(ledger->matches().has_value());
      CHECK(*ledger->matches());
    }
  }
}

TEST_CASE(".npz (stored, deflated) and safetensors arrays of 4 MB or more stream as the .npy pair does: the same bits; damage deep in them is an error") {
  const std::int64_t n = 90000, c = 8;  // 5.76 MB of float64
  const auto [f8, labels] = raw_batch(n, c, 19, 5);
  const std::string shape = "(" + std::to_string(n) + ", " + std::to_string(c) + ")", rows = "(" + std::to_string(n) + ",)";
  const std::string xn = npy("<f8", shape, f8), yn = npy("<i8", rows, labels);
  const auto ref = run_cli({"ce", "-q", write("c_x.npy", xn), write("c_y.npy", yn)});
  REQUIRE(ref.status == 0);
  const auto ref_sum = run_cli({"ce", "-q", "-r", "sum", temp_path("c_x.npy"), temp_path("c_y.npy")});
  for (bool deflate : {false, true}) {
    CAPTURE(deflate);
    const std::string z = write(deflate ? "c_deflated.npz" : "c_stored.npz", zip_of({{"logits.npy", xn}, {"labels.npy", yn}}, deflate));
    auto b = two_and_one({"ce", "-q", z}, "");  // INPUT's logits and labels, by their names
    CHECK(b.two.out == ref.out);
    b = two_and_one({"ce", "-q", "-r", "sum", z + ":logits", z + ":labels"}, "");
    CHECK(b.two.out == ref_sum.out);
    // Whole (not -q): the same loss as the streamed one.
    const auto whole = run_cli({"ce", "--json", z});
    CHECK(whole.out.find("\"loss\":" + ref.out.substr(0, ref.out.size() - 1) + ",") != std::string::npos);
    // A checksum that does not match: an error, never a number.
    std::string bad = zip_of({{"logits.npy", xn}, {"labels.npy", yn}}, deflate);
    const auto dir = bad.find("PK\x01\x02");
    bad[dir + 16] = static_cast<char>(bad[dir + 16] ^ 1);
    b = two_and_one({"ce", "-q", write("c_bad.npz", bad)}, "");
    CHECK(b.two.status == 1);
    CHECK(b.two.err == "losscalc: input: file '" + temp_path("c_bad.npz") + "': zip member 'logits.npy': checksum mismatch (a corrupt archive)\n");
    // A byte of the data itself changed, in each half (the two threads'
    // parts of the CRC, combined, and one stream's whole), and in the
    // last view a reader gave (its CRC is taken when the reader ends).
    for (double where : {0.3, 0.8, 0.9999}) {
      CAPTURE(where);
      std::string flipped = zip_of({{"logits.npy", xn}, {"labels.npy", yn}}, deflate);
      if (deflate) break;  // (deflated data would not inflate: another message, tested in tests/cli)
      flipped[static_cast<std::size_t>(static_cast<double>(xn.size()) * where)] ^= 0x10;
      b = two_and_one({"ce", "-q", write("c_flip.npz", flipped)}, "");
      CHECK(b.two.status == 1);
      CHECK(b.two.out.empty());
      CHECK(b.two.err.find("zip member 'logits.npy': checksum mismatch (a corrupt archive)") != std::string::npos);
    }
  }
  const std::string st = write("c.safetensors", safetensors_of({{"logits", "F64", "[" + std::to_string(n) + "," + std::to_string(c) + "]", f8},
                                                                {"labels", "I64", "[" + std::to_string(n) + "]", labels}}));
  auto b = two_and_one({"ce", "-q", st}, "");
  CHECK(b.two.out == ref.out);
  b = two_and_one({"ce", "-q", "-r", "sum", st + ":logits", st + ":labels"}, "");
  CHECK(b.two.out == ref_sum.out);
}

namespace {

// A torch.save pickle (protocol 2, as torch.save writes it) of a dict of
// tensors, each a view of its own storage "0", "1", ...: (name, storage
// class, numel, size, stride, offset).
struct PtTensor {
  std::string name, storage_class;
  std::int64_t numel;
  std::vector<std::int64_t> size, stride;
  std::int64_t offset = 0;
  std::string storage = "";  // its storage's key; empty: its index
};
std::string pt_pickle(const std::vector<PtTensor>& tensors) {
  const auto str = [](const std::string& s) {
    std::string out = "X";
    for (int k = 0; k < 4; ++k) out += static_cast<char>((s.size() >> (8 * k)) & 0xff);
    return out + s;
  };
  const auto integer = [](std::int64_t v) {
    std::string out = "J";
    for (int k = 0; k < 4; ++k) out += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * k)) & 0xff);
    return out;
  };
  std::string p = "\x80\x02}(";
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const PtTensor& t = tensors[i];
    p += str(t.name) + "ctorch._utils\n_rebuild_tensor_v2\n(";
    p += "(" + str("storage") + "ctorch\n" + t.storage_class + "\n" + str(t.storage.empty() ? std::to_string(i) : t.storage) + str("cpu") +
         integer(t.numel) + "tQ";
    p += integer(t.offset) + "(";
    for (auto d : t.size) p += integer(d);
    p += "t(";
    for (auto d : t.stride) p += integer(d);
    p += "t\x89" "ccollections\nOrderedDict\n)Rt" "R";
  }
  return p + "u.";
}

}  // namespace

TEST_CASE("a torch.save file's tensors of 4 MB or more stream as the .npy pair does, a sliced one is read whole; damage deep in them is an error") {
  const std::int64_t n = 90000, c = 8;  // 5.76 MB of float64
  const auto [f8, labels] = raw_batch(n, c, 23, 3);
  const std::string xn = npy("<f8", "(" + std::to_string(n) + ", " + std::to_string(c) + ")", f8);
  const std::string yn = npy("<i8", "(" + std::to_string(n) + ",)", labels);
  const auto ref = run_cli({"ce", "-q", write("p_x.npy", xn), write("p_y.npy", yn)});
  REQUIRE(ref.status == 0);
  const auto pt = [&](const std::string& pickle, const std::string& x) {
    return zip_of({{"archive/data.pkl", pickle}, {"archive/byteorder", "little"}, {"archive/data/0", x}, {"archive/data/1", labels},
                   {"archive/version", "3\n"}},
                  false);
  };
  const std::string whole = pt_pickle({{"logits", "DoubleStorage", n * c, {n, c}, {c, 1}}, {"labels", "LongStorage", n, {n}, {1}}});
  const std::string file = write("p.pt", pt(whole, f8));
  auto b = two_and_one({"ce", "-q", file}, "");  // INPUT's logits and labels, by their names
  CHECK(b.two.out == ref.out);
  b = two_and_one({"ce", "-q", file + ":logits", file + ":labels"}, "");
  CHECK(b.two.out == ref.out);
  // A view that starts one row into a longer storage is gathered whole: the same loss.
  const std::string sliced = pt_pickle({{"logits", "DoubleStorage", (n + 1) * c, {n, c}, {c, 1}, c}, {"labels", "LongStorage", n, {n}, {1}}});
  std::string padded(static_cast<std::size_t>(c) * 8, '\0');
  b = two_and_one({"ce", "-q", write("p_sliced.pt", pt(sliced, padded + f8))}, "");
  CHECK(b.two.status == 0);
  CHECK(b.two.out == ref.out);
  // A byte of a storage changed, in each half: a checksum error, never a number.
  for (double where : {0.3, 0.8}) {
    CAPTURE(where);
    std::string flipped = pt(whole, f8);
    const auto at = flipped.find(f8.substr(0, 64));
    REQUIRE(at != std::string::npos);
    flipped[at + static_cast<std::size_t>(static_cast<double>(f8.size()) * where)] ^= 0x10;
    b = two_and_one({"ce", "-q", write("p_flip.pt", flipped)}, "");
    CHECK(b.two.status == 1);
    CHECK(b.two.out.empty());
    CHECK(b.two.err.find("zip member 'archive/data/0': checksum mismatch (a corrupt archive)") != std::string::npos);
  }
  // A storage whose sizes (local header and directory) claim 4 GB past the
  // file: refused before anything is sized by it, whole (--json) or streamed.
  std::string lying = pt(whole, f8);
  for (std::size_t at = lying.find("archive/data/0"); at != std::string::npos; at = lying.find("archive/data/0", at + 1)) {
    const bool central = lying.compare(at - 46, 4, "PK\x01\x02") == 0, local = lying.compare(at - 30, 4, "PK\x03\x04") == 0;
    if (!central && !local) continue;
    const std::size_t sizes = at - (central ? 46 : 30) + (central ? 20 : 18);
    for (std::size_t k = 0; k < 8; ++k) lying[sizes + k] = k % 4 == 0 ? '\xf0' : '\xff';
  }
  const std::string lie = write("p_lie.pt", lying);
  for (const char* mode : {"-q", "--json"}) {
    CAPTURE(mode);
    const auto o = run_cli({"ce", mode, lie});
    CHECK(o.status == 1);
    CHECK(o.out.empty());
    CHECK(o.err == "losscalc: input: file '" + lie + "': zip member 'archive/data/0': its 4294967280 bytes lie past the end of the file (truncated?)\n");
  }
}

TEST_CASE("two tensors of one storage whose CRC fails: each load is the same data error (a failed read is not kept as empty bytes; found by fuzz_container)") {
  std::string f8;
  for (int k = 0; k < 64; ++k) {
    const double d = k * 0.25;
    f8.append(reinterpret_cast<const char*>(&d), 8);
  }
  const std::string pickle = pt_pickle({{"a", "DoubleStorage", 64, {8, 8}, {8, 1}}, {"b", "DoubleStorage", 64, {4, 8}, {8, 1}, 32, "0"}});
  std::string file = zip_of({{"archive/data.pkl", pickle}, {"archive/data/0", f8}}, false);
  const auto at = file.find(f8.substr(0, 64));
  REQUIRE(at != std::string::npos);
  {
    const losscalc::read::Container good = losscalc::read::open_container(file, {"input", "file 'x.pt'"});
    REQUIRE(good.keys == std::vector<std::string>{"a", "b"});
    CHECK(good.load(1).data[0] == 8.0);  // b starts 32 values in: 32 * 0.25
  }
  file[at + 100] ^= 0x10;
  const losscalc::read::Container c = losscalc::read::open_container(file, {"input", "file 'x.pt'"});
  for (std::size_t i : {0u, 1u, 0u}) {
    CAPTURE(i);
    try {
      (void)c.load(i);
      FAIL("loaded a storage whose CRC does not match");
    } catch (const losscalc::Error& e) {
      CHECK(std::string(e.what()).find("zip member 'archive/data/0': checksum mismatch (a corrupt archive)") != std::string::npos);
    }
  }
}
