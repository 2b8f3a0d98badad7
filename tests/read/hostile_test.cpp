// Hostile input to the readers, in memory: what a fuzzer, a wrong file or a
// broken pipe hands losscalc. Each must end in a data error (exit 1) whose
// message names the place, never a crash, a hang or a huge allocation. The
// end-to-end ones (files, devices, argv) are tests/cli/hostile_*.case.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmath>
#include <sstream>
#include <streambuf>
#include <string>

#include "error.h"
#include "helpers.h"
#include "read/rows.h"
#include "read/source.h"
#include "read/text.h"

using namespace losscalc;
using namespace losscalc::read;
using losscalc::testing::data_error_of;

namespace {

std::string error_of(std::string_view text, const std::string& label = "") {
  return data_error_of([&] { parse_text(text, {"input", label}); });
}

std::string load_error(const std::string& spec, std::istream& in) {
  return data_error_of([&] { load(Source{"input", spec}, in); });
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A version 1.0 .npy: header dict `dict` (padded to 64 bytes), then `data`.
std::string npy(const std::string& dict, const std::string& data) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + data;
}

std::string npy_error(const std::string& bytes) {
  return data_error_of([&] { npy_tensor(bytes, {"input", "stdin"}); });
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A stream buffer that hands out `good` bytes, then fails like a dying pipe
// or disk (the exception makes istream::read set badbit).
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string good) : good_(std::move(good)) { setg(good_.data(), good_.data(), good_.data() + good_.size()); }

 protected:
  int_type underflow() override { throw std::ios_base::failure("I/O error"); }

 private:
  std::string good_;
};

// An endless source of bytes (/dev/zero as a stream); counts what was taken.
class EndlessBuf : public std::streambuf {
 public:
  explicit EndlessBuf(char c) : block_(1 << 16, c) {}
  std::size_t taken = 0;

 protected:
  int_type underflow() override {
    taken += block_.size();
    setg(block_.data(), block_.data(), block_.data() + block_.size());
    return traits_type::to_int_type(block_[0]);
  }

 private:
  std::string block_;
};

}  // namespace

TEST_CASE("an endless stream of NUL bytes (/dev/zero) ends at the first block with an error, not after gigabytes") {
  EndlessBuf buf('\0');
  std::istream in(&buf);
  const std::string e = load_error("-", in);
  CHECK(e.rfind("losscalc: input: stdin, line 1, column 1: expected a number, found '\\x00\\x00", 0) == 0);
  CHECK(buf.taken <= (std::size_t{1} << 20));
}

TEST_CASE("a number past the range of double is infinity, a tiny one zero, in every text form") {
  double x = 0;
  REQUIRE(parse_number("1e400", x));
  CHECK(x == INFINITY);
  REQUIRE(parse_number("-1e400", x));
  CHECK(x == -INFINITY);
  REQUIRE(parse_number("1e-400", x));
  CHECK(x == 0.0);
  REQUIRE(parse_number("1e99999999999999999999", x));
  CHECK(x == INFINITY);
  REQUIRE(parse_number(std::string(1000, '9'), x));
  CHECK(x == INFINITY);
  REQUIRE(parse_number("0." + std::string(1000, '0') + "1", x));
  CHECK(x == 0.0);

  auto csv = parse_text("1e400,-1e400\n1e-400,2", {"input", ""}).array;
  CHECK(csv.shape == Shape{2, 2});
  CHECK(csv.data[0] == INFINITY);
  CHECK(csv.data[1] == -INFINITY);
  CHECK(csv.data[2] == 0.0);
  auto compact = parse_text("1e400 1; 2 3", {"input", ""}).array;
  CHECK(compact.data[0] == INFINITY);
}

TEST_CASE("an array nested 100,000 deep, closed or not, stops at the depth limit instead of overflowing the stack") {
  const std::string closed = std::string(100000, '[') + "1" + std::string(100000, ']');
  CHECK(error_of(closed) == "losscalc: input: line 1, column 33: arrays nested deeper than 32 levels");
  CHECK(error_of(std::string(100000, '[')) == "losscalc: input: line 1, column 33: arrays nested deeper than 32 levels");
  CHECK(error_of("{\"input\": " + closed + "}") == "losscalc: input: line 1, column 43: arrays nested deeper than 32 levels");
  std::istringstream in(closed);
  CHECK(load_error("-", in) == "losscalc: input: stdin, line 1, column 33: arrays nested deeper than 32 levels");
  // 32 levels is the limit itself, and is fine.
  auto t = parse_text(std::string(32, '[') + "1" + std::string(32, ']'), {"input", ""}).array;
  CHECK(t.shape == Shape(32, 1));
}

TEST_CASE("a 100 MB single line is read in a few seconds, and an error at its end names the right column") {
  const std::size_t big = std::size_t{100} << 20;
  const auto t0 = std::chrono::steady_clock::now();

  // JSON: whitespace, then a bad token.
  std::string json = "[" + std::string(big, ' ') + "x]";
  CHECK(error_of(json) == "losscalc: input: line 1, column " + std::to_string(big + 2) + ": expected a number, found 'x'");
  // JSON: one 100 MB number is just a very large number.
  std::string digits = "[" + std::string(big, '7') + "]";
  auto huge = parse_text(digits, {"input", ""}).array;
  REQUIRE(huge.shape == Shape{1});
  CHECK(huge.data[0] == INFINITY);
  // CSV on one line: two cells 100 MB apart, then a bad one.
  std::string csv = "1," + std::string(big, ' ') + "2,x";
  CHECK(error_of(csv) == "losscalc: input: line 1, column " + std::to_string(big + 5) + ": expected a number, found 'x'");
  const double took = seconds_since(t0);
  CAPTURE(took);
  CHECK(took < 20.0);  // generous for sanitizer builds; release takes well under a second per 100 MB
}

TEST_CASE("a quarter of a million numbers on one line make one wide row, not a stall") {
  std::string line;
  line.reserve(2 << 20);
  for (int i = 0; i < 250000; ++i) line += i ? ",0.25" : "0.25";
  const auto t0 = std::chrono::steady_clock::now();
  auto t = parse_text(line, {"input", ""}).array;
  CHECK(t.shape == Shape{250000});
  CHECK(t.data.back() == 0.25);
  auto j = parse_text("[" + line + "]", {"input", ""}).array;
  CHECK(j.shape == Shape{250000});
  CHECK(seconds_since(t0) < 10.0);
}

TEST_CASE("invalid UTF-8 is an error that shows the bytes escaped") {
  CHECK(error_of("[[1,\xff]]") == "losscalc: input: line 1, column 5: expected a number, found '\\xff'");
  CHECK(error_of("1,\xc3\x28") == "losscalc: input: line 1, column 3: expected a number, found '\\xc3('");
  CHECK(error_of("[\xc0\xaf]") == "losscalc: input: line 1, column 2: expected a number, found '\\xc0\\xaf'");
  // UTF-16 (a byte-order mark, then a NUL after every ASCII byte) is not text
  // losscalc reads: said so, either byte order, JSON or CSV.
  const std::string utf16("\xff\xfe[\x00" "1\x00]\x00", 8);
  const std::string said = "losscalc: input: UTF-16 text (it starts with a UTF-16 byte-order mark): losscalc reads UTF-8 "
                           "(iconv -f UTF-16 -t UTF-8 converts it)";
  CHECK(error_of(utf16) == said);
  CHECK(error_of(std::string("\xfe\xff\x00" "1\x00,\x00" "2", 7)) == said);
  // A UTF-8 byte-order mark is skipped, though, before JSON and before CSV.
  CHECK(parse_text("\xef\xbb\xbf[1,2]", {"input", ""}).array.shape == Shape{2});
  CHECK(parse_text("\xef\xbb\xbf" "1,2\n3,4", {"input", ""}).array.shape == Shape{2, 2});
}

TEST_CASE("a NUL byte is an error that shows it as \\x00") {
  CHECK(error_of(std::string("[1,\0]", 5)) == "losscalc: input: line 1, column 4: expected a number, found '\\x00'");
  CHECK(error_of(std::string("[1]\0", 4)) == "losscalc: input: line 1, column 4: unexpected '\\x00' after the end of the data");
  CHECK(error_of(std::string("1,2\0", 4)) == "losscalc: input: line 1, column 3: expected a number, found '2\\x00'");
  CHECK(error_of(std::string("\0", 1)) == "losscalc: input: line 1, column 1: expected a number, found '\\x00'");
  CHECK(contains(error_of(std::string(1000, '\0')), "found '\\x00\\x00"));
  double x;
  CHECK_FALSE(parse_number(std::string("1\0", 2), x));
}

TEST_CASE("empty or blank text is an empty input") {
  CHECK(error_of("") == "losscalc: input: empty input: no numbers");
  CHECK(error_of(" \t\r\n \n") == "losscalc: input: empty input: no numbers");
  CHECK(error_of("\xef\xbb\xbf") == "losscalc: input: empty input: no numbers");
  CHECK(error_of(";;;\n;") == "losscalc: input: empty input: no numbers");
  CHECK(error_of("", "file 'empty.csv'") == "losscalc: input: file 'empty.csv': empty input: no numbers");
}

TEST_CASE("a lone '-' with an empty or blank stdin is an empty input of stdin") {
  std::istringstream empty("");
  CHECK(load_error("-", empty) == "losscalc: input: stdin: empty input: no numbers");
  std::istringstream blank("\n\n  \n");
  CHECK(load_error("-", blank) == "losscalc: input: stdin: empty input: no numbers");
}

TEST_CASE("a stream that fails in the middle is a read error, not a partial parse") {
  FailingBuf buf("[[1,2],[3,4]]");
  std::istream in(&buf);
  CHECK(load_error("-", in) == "losscalc: input: stdin: read error");
}

TEST_CASE("truncated JSON names the bracket left open or the place where the text ends") {
  CHECK(error_of("[[") == "losscalc: input: line 1, column 2: unexpected end of text: this '[' is never closed");
  CHECK(error_of("[") == "losscalc: input: line 1, column 1: unexpected end of text: this '[' is never closed");
  CHECK(error_of("[1,") == "losscalc: input: line 1, column 1: unexpected end of text: this '[' is never closed");
  CHECK(error_of("[[1,2],\n[3,") == "losscalc: input: line 2, column 1: unexpected end of text: this '[' is never closed");
  CHECK(error_of("{") == "losscalc: input: line 1, column 2: expected a quoted key in the object");
  CHECK(error_of("{\"input") == "losscalc: input: line 1, column 2: unterminated string");
  CHECK(error_of("{\"input\"") == "losscalc: input: line 1, column 9: expected ':' after the key \"input\"");
  CHECK(error_of("{\"input\":") == "losscalc: input: line 1, column 10: unexpected end of text: expected a number or '['");
  CHECK(error_of("{\"input\": [1]") == "losscalc: input: line 1, column 14: unexpected end of text: the object is not closed with '}'");
  CHECK(error_of("[\"NaN") == "losscalc: input: line 1, column 2: unterminated string");
  CHECK(error_of("[1e") == "losscalc: input: line 1, column 2: expected a number, found '1e'");
  CHECK(error_of("[-") == "losscalc: input: line 1, column 2: expected a number, found '-'");
}

TEST_CASE("a directory given as data is refused by name") {
  std::istringstream none("");
  CHECK(load_error("/", none) == "losscalc: input: '/' is a directory, not a data file");
  CHECK(load_error(".", none) == "losscalc: input: '.' is a directory, not a data file");
}

TEST_CASE("long tokens are cut to 24 characters in messages") {
  const std::string token(100000, 'x');
  CHECK(error_of("[" + token + "]") == "losscalc: input: line 1, column 2: expected a number, found 'xxxxxxxxxxxxxxxxxxxxxxxx...'");
  CHECK(error_of("1," + token) == "losscalc: input: line 1, column 3: expected a number, found 'xxxxxxxxxxxxxxxxxxxxxxxx...'");
}

// ---- bugs found with tests/fuzz/fuzz_rows (the first by the fuzzer, the .npy ones
// by reading npy_tensor(), then reproduced with it) -----------------------------

TEST_CASE("a target column named in the header but past the end of the data rows is an error, not a write out of bounds") {
  // fuzz_rows: the header has 3 names, the rows 2 cells; "label" is column 2
  // of a 2-wide row (heap-buffer-overflow in CsvReader::resolve_targets).
  // Also: printf 'a,b,label\n1,2\n3,4\n' | losscalc ce -q --target-column label -
  CsvOptions opt;
  opt.target_columns = {"label"};
  auto rows = csv_rows(string_bytes("a,b,label\n1,2\n3,4\n"), {"input", "stdin"}, opt);
  RowBlock b;
  try {
    rows->next(b, 16);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).rfind("losscalc: ", 0) == 0);
    CHECK(contains(e.what(), "label"));
  }
}

TEST_CASE("a .npy whose shape overflows int64 when multiplied out is bad data, not a tensor with too few values") {
  // 3 x 6148914691236517206 = 2^64 + 2: numel() wraps to 2 (signed overflow),
  // the 16 data bytes pass the size check, and softmax then reads far past
  // them: losscalc softmax -q file.npy dies with SIGSEGV.
  const std::string one("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);
  const std::string wraps = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 6148914691236517206), }", one + one);
  CHECK(contains(npy_error(wraps), "losscalc: input: stdin"));
  // 4 x 2^62 wraps to 0: "no elements" would be a wrong account of it.
  const std::string zero = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4611686018427387904), }", one);
  CHECK(contains(npy_error(zero), "losscalc: input: stdin"));
}

TEST_CASE("a .npy that claims more elements than memory holds is bad data, not an internal error") {
  // 2^61 float64 values: n * 8 wraps to 0, the size check passes and
  // vector::resize throws std::length_error ("internal error" from run_main).
  const std::string huge = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", "");
  CHECK(contains(npy_error(huge), "losscalc: input: stdin"));
  // Large but not overflowing: the truncation check catches it.
  const std::string big = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", "");
  CHECK(contains(npy_error(big), ".npy is truncated"));
}

TEST_CASE("a streamed .npy whose rows claim petabytes is a truncated file, not an overflow or a huge allocation") {
  // npy_rows sizes a block as rows * width * bytes before reading it: with
  // shape (1, 2^60) that is 2^63 (signed overflow); with (2^20, 2^40) a
  // block of 16 rows asks for 128 TiB at once (allocation-size-too-big under
  // ASan, "out of memory" in release). Both files hold 8 bytes of data.
  const std::string one("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);
  for (const char* shape : {"(1, 1152921504606846976)", "(1048576, 1099511627776)"}) {
    CAPTURE(shape);
    const std::string bytes = npy(std::string("{'descr': '<f8', 'fortran_order': False, 'shape': ") + shape + ", }", one);
    try {
      auto rows = npy_rows(string_bytes(bytes), {"input", "stdin"});
      RowBlock b;
      while (rows->next(b, 16)) {
      }
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.exit_status() == 1);
      CHECK(contains(e.what(), "losscalc: input: stdin"));
    }
  }
}

TEST_CASE("a streamed .npy of rows with no values is an empty input, not empty blocks for ever") {
  // fuzz_rows: shape (2^46, 0) streamed 2^46 / 16 blocks of nothing (two
  // such files, input and target, kept losscalc busy for hours).
  const std::string bytes = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (70368744177664, 0), }", "");
  CHECK(data_error_of([&] { npy_rows(string_bytes(bytes), {"input", "stdin"}); }) ==
        "losscalc: input: stdin: empty input: no elements (.npy of shape (70368744177664, 0))");
  // No rows at all is an empty input too, and (0, 0) as well: the reader just ends.
  for (const char* shape : {"(0, 5)", "(0, 0)"}) {
    auto rows = npy_rows(string_bytes(npy(std::string("{'descr': '<f8', 'fortran_order': False, 'shape': ") + shape + ", }", "")),
                         {"input", "stdin"});
    RowBlock b;
    CHECK_FALSE(rows->next(b, 16));
  }
}

TEST_CASE("a NaN with a payload such as -nan(1) is refused in a CSV data row, as in JSON and in the first row") {
  // fuzz_number's CSV-vs-parse_number check: the CSV fast path takes
  // from_chars' "-nan(...)" (it only refuses a leading 'n'), so a data row
  // accepted what parse_number, JSON and header detection refuse.
  CHECK(error_of("[0,-nan(1)]") == "losscalc: input: line 1, column 4: expected a number, found '-nan(1)'");
  CHECK(error_of("-nan(1),0") == "losscalc: input: line 1, column 1: expected a number, found '-nan(1)'");
  CHECK(error_of("0,0\n0,-nan(1)") == "losscalc: input: line 2, column 3: expected a number, found '-nan(1)'");
  CHECK(error_of("0,0\n0,-NaN()") == "losscalc: input: line 2, column 3: expected a number, found '-NaN()'");
  // Plain signed NaN stays a number everywhere.
  CHECK(std::isnan(parse_text("0,0\n0,-nan", {"input", ""}).array.data[3]));
}

TEST_CASE("a float32 value split between two views (the header's bytes and the rest) decodes whole") {
  // Four float32 values; the first view ends 3 bytes into the second one.
  std::string data;
  for (float v : {1.5f, -2.25f, 3.0f, 1e-3f}) data.append(reinterpret_cast<const char*>(&v), 4);
  const std::string bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data);
  const std::size_t cut = bytes.size() - data.size() + 7;
  auto rows = npy_rows(chain_bytes(bytes.substr(0, cut), string_bytes(std::string_view(bytes).substr(cut))), {"input", "stdin"});
  RowBlock b;
  REQUIRE(rows->next(b, 16));
  CHECK(b.input == std::vector<double>{1.5, -2.25, 3.0, static_cast<double>(1e-3f)});
  CHECK_FALSE(rows->next(b, 16));
}

TEST_CASE("a mapped file truncated while it is read ends with a data error naming it, not with SIGBUS") {
  char path[] = "/tmp/losscalc_sigbus_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string page(1 << 16, 'x');
  REQUIRE(write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size()));
  int err[2];
  REQUIRE(pipe(err) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(err[1], 2);
    auto bytes = mapped_file_bytes(path, "input");
    if (ftruncate(fd, 0) != 0) _exit(3);
    const std::string_view v = bytes->view(page.size());
    volatile char sum = 0;
    for (char c : v) sum = static_cast<char>(sum + c);  // past the end of the file now: SIGBUS
    _exit(4);
  }
  close(err[1]);
  std::string message;
  char buf[512];
  for (ssize_t k; (k = ::read(err[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<std::size_t>(k));
  close(err[0]);
  int status = 0;
  waitpid(child, &status, 0);
  close(fd);
  unlink(path);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(message == std::string("losscalc: input: file '") + path + "': the file shrank while losscalc read it (another program truncated or rewrote it)\n");
}
