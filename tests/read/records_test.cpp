// JSON Lines records (pandas' to_json(orient='records', lines=True)): the
// keys are columns, resolved as a CSV header's names are.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "error.h"
#include "read/rows.h"

using namespace losscalc::read;

namespace {

RowBlock rows_of(std::unique_ptr<RowReader> r) { return read_all(*r); }

RowBlock records(const std::string& text, CsvOptions opt = {}) {
  return rows_of(jsonl_rows(string_bytes(text), Origin{"input", "stdin"}, std::move(opt)));
}

}  // namespace

TEST_CASE("records lines give the rows the CSV of the same data gives, with the same column options") {
  const std::string jsonl =
      "{\"id\":7,\"a\":0.1,\"b\":-2.5e-3,\"c\":3,\"label\":1}\n"
      "{\"id\":8,\"a\":1.25,\"b\":0.5,\"c\":-4,\"label\":0}\n";
  const std::string csv = "id,a,b,c,label\n7,0.1,-2.5e-3,3,1\n8,1.25,0.5,-4,0\n";
  const Origin origin{"input", "stdin"};
  for (auto [input, ignore] : {std::pair<std::vector<std::string>, std::vector<std::string>>{{}, {"id"}},
                               {{"a:c"}, {}},
                               {{"c", "a"}, {}},
                               {{}, {"0", "b"}}}) {
    CsvOptions opt;
    opt.target_columns = {"label"};
    opt.input_columns = input;
    opt.ignore_columns = ignore;
    const RowBlock want = rows_of(csv_rows(string_bytes(csv), origin, opt));
    const RowBlock got = records(jsonl, opt);
    CHECK(got.rows == 2);
    CHECK(got.width == want.width);
    CHECK(got.input == want.input);
    CHECK(got.target == want.target);
  }
  // Without --target-column, "label" is the target and every other key the input.
  const RowBlock b = records(jsonl);
  CHECK(b.width == 4);
  CHECK(b.target == std::vector<double>{1, 0});
}

TEST_CASE("records keys in another order are matched by name; null is NaN, true and false are 1 and 0; spaces as json.dumps writes") {
  const RowBlock b = records("{\"x\": 0.5, \"y\": true}\n{\"y\" : false , \"x\" : null}\n");
  REQUIRE(b.rows == 2);
  CHECK(b.width == 1);
  CHECK(b.input[0] == 0.5);
  CHECK(std::isnan(b.input[1]));
  CHECK(b.target == std::vector<double>{1, 0});
}

TEST_CASE("records keys are decoded: pandas' \\/ and \\u escapes, a surrogate pair, and options name them decoded") {
  CsvOptions opt;
  opt.input_columns = {"caf\xC3\xA9", "a/b"};
  opt.target_columns = {"\xF0\x9F\x98\x80"};
  const RowBlock b = records("{\"a\\/b\":1,\"caf\\u00e9\":2,\"\\ud83d\\ude00\":0}\n{\"a\\/b\":3,\"caf\\u00e9\":4,\"\\ud83d\\ude00\":1}\n", opt);
  CHECK(b.input == std::vector<double>{2, 1, 4, 3});
  CHECK(b.target == std::vector<double>{0, 1});
}

TEST_CASE("records read in two parts (as two threads read them) give the whole's rows; a pandas index keeps them one stream") {
  const std::string first = "{\"a\":1,\"b\":2,\"y\":0}\n", rest = "{\"b\":4,\"a\":3,\"y\":1}\n{\"a\":5,\"b\":6,\"y\":0}\n";
  auto r = jsonl_rows(string_bytes(first), Origin{"input", "stdin"});
  RowBlock b;
  REQUIRE(r->next(b, 10));
  auto later = r->continuation();
  REQUIRE(later);
  const RowBlock tail = rows_of(later(string_bytes(rest)));
  CHECK(tail.input == std::vector<double>{3, 4, 5, 6});
  CHECK(tail.target == std::vector<double>{1, 0});
  CHECK_THROWS_AS(rows_of(later(string_bytes("{\"a\":1,\"y\":0}\n"))), losscalc::Error);  // "b" missing there too

  auto indexed = jsonl_rows(string_bytes("{\"Unnamed: 0\":0,\"a\":1,\"y\":0}\n"), Origin{"input", "stdin"});
  REQUIRE(indexed->next(b, 10));
  CHECK(b.width == 1);
  CHECK_FALSE(indexed->continuation());
}

TEST_CASE("records errors name the line, the column and the key") {
  const auto message = [](const std::string& text, CsvOptions opt = {}) {
    try {
      records(text, std::move(opt));
    } catch (const losscalc::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("{\"a\":1,\"y\":0}\n{\"a\":\"x\",\"y\":1}\n").find("line 2, column 6: key \"a\" holds text ('x')") != std::string::npos);
  CHECK(message("{\"a\":1,\"y\":0}\n{\"a\":[1],\"y\":1}\n").find("line 2, column 6: key \"a\" holds an array, but the first") != std::string::npos);
  CHECK(message("{\"a\":1,\"y\":0}\n{\"a\":2,\"y\":1,\"y\":0}\n").find("key \"y\" appears twice") != std::string::npos);
  CHECK(message("{\"a\":1,\"y\":0,\"label\":1}\n{\"a\":1,\"y\":0,\"label\":1}\n").find("keys \"y\" and \"label\" both name a target") !=
        std::string::npos);
  CsvOptions opt;
  opt.target_columns = {"z"};
  CHECK(message("{\"a\":1,\"y\":0}\n{\"a\":1,\"y\":0}\n", opt).find("no column named 'z' (columns: 'a', 'y')") != std::string::npos);
}

TEST_CASE("a records line alone is told from a JSON object by a key that is no data argument's") {
  const Origin origin{"input", "stdin"};
  CHECK(one_records_line("{\"logit_0\":0.1,\"label\":1}\n", origin));
  CHECK_FALSE(one_records_line("{\"input\":0.1,\"target\":1}", origin));     // the JSON object form
  CHECK_FALSE(one_records_line("{\"x\":[0.1],\"label\":1}", origin));        // an array: JSON (and its error)
  CHECK_FALSE(one_records_line("{\"x\":1}\n{\"x\":2}", origin));             // two lines: sniff() says JSON Lines
}
