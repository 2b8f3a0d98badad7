// LineChunks: whole lines a chunk at a time, from any thread, in order.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "error.h"
#include "read/chunks.h"
#include "read/rows.h"

using losscalc::read::ByteReader;
using losscalc::read::LineChunks;

namespace {

// A source that gives at most `step` bytes a read (as a pipe does), then
// fails if told to.
class Trickle : public ByteReader {
 public:
  Trickle(std::string s, std::size_t step, bool fail = false) : s_(std::move(s)), step_(step), fail_(fail) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min({n, step_, s_.size() - pos_});
    std::copy_n(s_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }
  bool failed() const override { return fail_ && pos_ == s_.size(); }

 private:
  std::string s_;
  std::size_t pos_ = 0, step_;
  bool fail_;
};

std::vector<LineChunks::Chunk> all_chunks(const std::string& text, std::size_t size, std::size_t step) {
  LineChunks chunks(std::make_unique<Trickle>(text, step), {"input", "stdin"}, size);
  std::vector<LineChunks::Chunk> out;
  LineChunks::Chunk c;
  while (chunks.next(c)) {
    REQUIRE(c.seq == static_cast<std::int64_t>(out.size()));
    out.push_back(c);
  }
  std::size_t bytes = 0;
  for (const auto& k : out) bytes += k.text.size();
  CHECK(chunks.bytes() == static_cast<std::int64_t>(bytes));
  CHECK_FALSE(chunks.next(c));  // and it stays ended
  return out;
}

std::string joined(const std::vector<LineChunks::Chunk>& cs) {
  std::string s;
  for (const auto& c : cs) s += c.text;
  return s;
}

}  // namespace

TEST_CASE("chunks end at line breaks and together are the source") {
  std::string text;
  for (int i = 0; i < 500; ++i) text += std::string(static_cast<std::size_t>(i % 37), 'a' + static_cast<char>(i % 26)) + "\n";
  text += "last line without a break";
  for (std::size_t size : {1, 16, 100, 4096, 1 << 20})
    for (std::size_t step : {1, 7, 1 << 16}) {
      CAPTURE(size);
      CAPTURE(step);
      const auto cs = all_chunks(text, size, step);
      CHECK(joined(cs) == text);
      for (std::size_t k = 0; k + 1 < cs.size(); ++k) {
        CHECK(!cs[k].text.empty());
        CHECK(cs[k].text.back() == '\n');
      }
      CHECK(cs.back().text.ends_with("without a break"));
      if (size >= 4096) CHECK(cs.size() == (size == 4096 ? (text.size() + 4095) / 4096 : 1));
    }
}

TEST_CASE("a line longer than a chunk stays whole; empty and exact ends") {
  const std::string long_line(10000, '7');
  auto cs = all_chunks("1\n" + long_line + "\n2\n", 64, 5);
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].text == "1\n");
  CHECK(cs[1].text == long_line + "\n2\n");  // read on to a break, cut at the last
  CHECK(all_chunks("", 64, 5).empty());
  cs = all_chunks(std::string(63, 'x') + "\n", 64, 64);  // ends right at a chunk's end
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].text.size() == 64);
}

TEST_CASE("reading stops after a chunk with a NUL; a read error throws, with the chunk's number") {
  // Think of /dev/zero: no line break ever, but the NUL ends it at once.
  const std::string zeros(1000, '\0');
  auto cs = all_chunks("1,2\n3,4\n" + zeros + "\n5,6\n" + zeros, 16, 16);
  CHECK(joined(cs).find('\0') != std::string::npos);
  CHECK(joined(cs) == "1,2\n3,4\n" + zeros.substr(0, 8));  // not read on past the chunk with the NUL

  LineChunks failing(std::make_unique<Trickle>("1,2\n3,4\n5,", 4, true), {"input", "stdin"}, 4);
  LineChunks::Chunk c;
  REQUIRE(failing.next(c));
  CHECK(c.text == "1,2\n");
  REQUIRE(failing.next(c));
  CHECK(c.text == "3,4\n");
  try {
    failing.next(c);
    FAIL("no error");
  } catch (const losscalc::Error& e) {
    CHECK(std::string(e.what()) == "losscalc: input: stdin: read error");
    CHECK(c.seq == 2);
  }
  CHECK_FALSE(failing.next(c));
}

TEST_CASE("two threads taking chunks get each one once, numbered in source order") {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7 % 13) + "\n";
  LineChunks chunks(std::make_unique<Trickle>(text, 1000), {"input", "stdin"}, 512);
  std::mutex m;
  std::map<std::int64_t, std::string> got;
  auto take = [&] {
    LineChunks::Chunk c;
    while (chunks.next(c)) {
      std::lock_guard<std::mutex> lock(m);
      CHECK(got.emplace(c.seq, c.text).second);
    }
  };
  std::thread other(take);
  take();
  other.join();
  std::string back;
  std::int64_t want = 0;
  for (const auto& [seq, t] : got) {
    CHECK(seq == want++);
    back += t;
  }
  CHECK(back == text);
}

TEST_CASE("a later part of a text keeps a byte-order mark at its start as data (fuzz_rows found the split reading it as blank)") {
  using namespace losscalc::read;
  const Origin origin{"input", "stdin"};
  for (const bool jsonl : {false, true}) {
    CAPTURE(jsonl);
    CsvOptions options;
    options.target_columns = {"y"};
    auto first = jsonl ? jsonl_rows(string_bytes("{\"input\": [1, 2], \"target\": 0}\n"), origin)
                       : csv_rows(string_bytes("a,b,y\n1,2,0\n"), origin, options);
    RowBlock b;
    REQUIRE(first->next(b, 10));
    auto rest = first->continuation();
    REQUIRE(rest);
    auto later = rest(string_bytes("\xEF\xBB\xBF\n3,4,1\n"));
    CHECK_THROWS_AS(later->next(b, 10), losscalc::Error);
  }
}
