#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "error.h"
#include "helpers.h"
#include "read/rows.h"
#include "read/text.h"

using namespace losscalc;
using namespace losscalc::read;
using losscalc::testing::data_error_of;

namespace {
Tensor parse(const std::string& text) { return parse_text(text, {"input", ""}).array; }

std::string error_of(const std::string& text) {
  return data_error_of([&] { parse_text(text, {"input", ""}); });
}
}  // namespace

TEST_CASE("nested JSON arrays give the shape from their nesting") {
  auto t = parse("[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]");
  CHECK(t.shape == Shape{2, 4});
  CHECK(t.data[2] == 0.3);
  CHECK(parse("[[[1],[2]],[[3],[4]]]").shape == Shape{2, 2, 1});
  CHECK(parse("7").shape.empty());
  CHECK(parse(" [ 1 , 2 ] ").shape == Shape{2});
}

TEST_CASE("numbers: JSON forms, a leading plus, non-finite spellings, out of range") {
  auto t = parse("[1e-3, +2, -0.5E2, nan, NaN, inf, -Infinity, \"NaN\", \"-Infinity\", 1e400, -1e400, 1e-400]");
  CHECK(t.data[0] == 0.001);
  CHECK(t.data[1] == 2.0);
  CHECK(t.data[2] == -50.0);
  CHECK(std::isnan(t.data[3]));
  CHECK(std::isnan(t.data[4]));
  CHECK(t.data[5] == INFINITY);
  CHECK(t.data[6] == -INFINITY);
  CHECK(std::isnan(t.data[7]));
  CHECK(t.data[8] == -INFINITY);
  CHECK(t.data[9] == INFINITY);
  CHECK(t.data[10] == -INFINITY);
  CHECK(t.data[11] == 0.0);
}

TEST_CASE("parse_number rejects what is not a number") {
  double x;
  for (const char* bad : {"", "x", "1x", "--1", "+-1", "0x10", "nan(1)", "1,5", "e5", "."}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_number(bad, x));
  }
}

TEST_CASE("malformed JSON is reported with line and column") {
  CHECK(error_of("[[1,2],[3,x]]") == "losscalc: input: line 1, column 11: expected a number, found 'x'");
  CHECK(error_of("[[1,2],\n [3]]") == "losscalc: input: line 2, column 2: ragged nested array: this array has 1 elements, the first one at its depth has 2");
  CHECK(error_of("[1,2") == "losscalc: input: line 1, column 1: unexpected end of text: this '[' is never closed");
  CHECK(error_of("[1,2]]") == "losscalc: input: line 1, column 6: unexpected ']' after the end of the data");
  CHECK(error_of("[1 ; 2]") == "losscalc: input: line 1, column 4: expected ',' or ']', found ';'");  // ([1 2] is numpy's str)
  CHECK(error_of("[[1],2]") == "losscalc: input: line 1, column 6: ragged nested array: found a number where the first row has nested arrays");
  CHECK(error_of("[1,[2]]") == "losscalc: input: line 1, column 4: ragged nested array: found an array where the first row has numbers");
  CHECK(error_of("[1,\"abc\"]") == "losscalc: input: line 1, column 4: expected a number, found the string \"abc\"");
  CHECK(error_of("[1,,2]") == "losscalc: input: line 1, column 4: expected a number, found ','");
}

TEST_CASE("nesting deeper than the limit is an error, not a stack overflow") {
  std::string deep(100000, '[');
  CHECK(error_of(deep).find("nested deeper than 32 levels") != std::string::npos);
}

TEST_CASE("a JSON object holds named arrays under canonical keys") {
  auto p = parse_text("{\"logits\": [[1,2]], \"labels\": [1], \"weight\": [1, 2]}", {"input", ""});
  REQUIRE(p.is_object);
  REQUIRE(p.fields.size() == 3);
  CHECK(p.fields[0].first == "input");
  CHECK(p.fields[1].first == "target");
  CHECK(p.fields[1].second.shape == Shape{1});
  CHECK(p.fields[2].first == "weight");
  CHECK(error_of("{\"inputs\": [1]}").find("unknown key \"inputs\"") != std::string::npos);
  CHECK(error_of("{\"input\": [1], \"preds\": [2]}").find("a second time") != std::string::npos);
  CHECK(error_of("{}").find("holds no arrays") != std::string::npos);
}

TEST_CASE("the compact form: rows by ';' or newline, cells by spaces, commas or tabs") {
  auto t = parse("0.1 0.2; 0.3 0.4");
  CHECK(t.shape == Shape{2, 2});
  CHECK(t.data[3] == 0.4);
  CHECK(parse("1,2,3").shape == Shape{3});
  CHECK(parse("1\t2\n3\t4\n").shape == Shape{2, 2});
  CHECK(parse("2\n0\n1\n").shape == Shape{3});  // a label column is a vector
  CHECK(parse("5").shape.empty());
}

TEST_CASE("a CSV header line is skipped") {
  auto t = parse("a,b,c\n1,2,3\n4,5,6\n");
  CHECK(t.shape == Shape{2, 3});
  CHECK(t.data[0] == 1.0);
}

TEST_CASE("bad CSV is reported with line and column") {
  CHECK(error_of("1,2\n3,x\n") == "losscalc: input: line 2, column 3: expected a number, found 'x'");
  CHECK(error_of("1,2\n3,4,5\n") == "losscalc: input: line 2, column 1: this row has 3 cells, the first data row has 2");
  CHECK(error_of("1,,2") == "losscalc: input: line 1, column 3: empty cell");
  CHECK(error_of("data.csv") == "losscalc: input: line 1, column 1: expected a number, found 'data.csv'");
  CHECK(error_of("   \n ") == "losscalc: input: empty input: no numbers");
}

TEST_CASE("a byte order mark and CRLF line ends are accepted") {
  auto t = parse("\xEF\xBB\xBF" "1,2\r\n3,4\r\n");
  CHECK(t.shape == Shape{2, 2});
  CHECK(t.data[3] == 4.0);
}

TEST_CASE("the CSV reader's fast decimal path gives exactly from_chars's double") {
  std::mt19937_64 gen(11);
  std::string text;
  std::vector<std::string> tokens;
  for (int i = 0; i < 60000; ++i) {
    const int digits = static_cast<int>(gen() % 19) + 1;
    std::string t = gen() % 2 ? "-" : "";
    std::string d;
    for (int k = 0; k < digits; ++k) d += static_cast<char>('0' + gen() % 10);
    const int dot = static_cast<int>(gen() % (digits + 1));
    t += d.substr(0, dot).empty() ? "0" : d.substr(0, dot);
    if (dot < digits) t += "." + d.substr(dot);
    if (gen() % 3 == 0) t += "e" + std::to_string(static_cast<int>(gen() % 61) - 30);
    if (i % 997 == 0) t = i % 2 ? "-0" : "-0.0";
    tokens.push_back(t);
    text += t + ((i + 1) % 6 == 0 ? "\n" : ",");
  }
  const Tensor got = parse(text);
  REQUIRE(got.data.size() == tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    double want = 0;
    std::from_chars(tokens[i].data(), tokens[i].data() + tokens[i].size(), want);
    if (std::memcmp(&want, &got.data[i], sizeof want) != 0) {
      CAPTURE(tokens[i]);
      CHECK(got.data[i] == want);
    }
  }
}

TEST_CASE("CSV numbers read by the fast path are the doubles from_chars gives, digit count and exponent near every limit") {
  std::mt19937_64 gen(17);
  std::string csv;
  std::vector<std::string> tokens;
  for (int i = 0; i < 20000; ++i) {
    // 0 to 20 digits on each side: every count of a group of 8 and past 19.
    const int int_digits = static_cast<int>(gen() % (i % 2 ? 21 : 10));
    const int frac_digits = static_cast<int>(gen() % (i % 3 ? 21 : 9));
    std::string t = (gen() % 2) ? "-" : "";
    for (int k = 0; k < int_digits; ++k) t += static_cast<char>('0' + gen() % 10);
    if (frac_digits || int_digits == 0) {
      t += '.';
      for (int k = 0; k < std::max(frac_digits, int_digits == 0 ? 1 : 0); ++k) t += static_cast<char>('0' + gen() % 10);
    }
    if (gen() % 3 == 0) t += "e" + std::to_string(static_cast<int>(gen() % 60) - 30);
    if (i % 1000 == 0) t = "9007199254740993";  // 2^53 + 1: past the fast path
    if (i % 1000 == 1) t = "9007199254740992e-22";
    if (i % 1000 == 2) t = "0.00000000000000000001234";
    if (i % 1000 == 3) t = "-0";  // the sign of zero survives (memcmp below)
    if (i % 1000 == 4) t = "-0.000e7";
    tokens.push_back(t);
    csv += t + ((i % 10 == 9) ? (i % 20 == 19 ? "\r\n" : "\n") : (i % 7 ? "," : " , "));
  }
  auto rows = csv_rows(string_bytes(csv), {"input", ""}, {});
  RowBlock all = read_all(*rows);
  REQUIRE(all.input.size() == tokens.size());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    double want = 0;
    std::from_chars(tokens[i].data(), tokens[i].data() + tokens[i].size(), want);
    if (std::memcmp(&want, &all.input[i], sizeof want) != 0) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("plain CSV rows and every other kind of row, mixed, read the same as each alone") {
  // 2000 rows: mostly plain (the batch path), with CRLF ends, blank and
  // space-only lines, ';'-joined rows, spaced and quoted cells, a '+', and
  // exponent numbers between them; every value is known.
  std::mt19937_64 gen(23);
  std::string csv = "a,b,label\n";
  std::vector<double> want_in, want_tg;
  for (int i = 0; i < 2000; ++i) {
    const double a = static_cast<double>(i) / 8, b = -static_cast<double>(i) / 16;
    const int label = i % 3;
    want_in.insert(want_in.end(), {a, b});
    want_tg.push_back(label);
    char row[96];
    switch (gen() % 16) {
      case 0: std::snprintf(row, sizeof row, "%.4f,%.5f,%d\r\n", a, b, label); break;
      case 1: std::snprintf(row, sizeof row, "\n  \n%.4f,%.5f,%d\n", a, b, label); break;
      case 2: std::snprintf(row, sizeof row, " %.4f , %.5f,%d\n", a, b, label); break;
      case 3: std::snprintf(row, sizeof row, "+%.4f,\"%.5f\",%d\n", a, b, label); break;
      case 4: std::snprintf(row, sizeof row, "%.6e,%.6e,%d\n", a, b, label); break;
      case 5:
        // this row and the next joined by ';'
        std::snprintf(row, sizeof row, "%.4f,%.5f,%d;", a, b, label);
        break;
      default: std::snprintf(row, sizeof row, "%.4f,%.5f,%d\n", a, b, label); break;
    }
    csv += row;
  }
  CsvOptions o;
  o.target_columns = {"label"};
  auto rows = csv_rows(string_bytes(csv), {"input", ""}, o);
  RowBlock all = read_all(*rows);
  CHECK(all.rows == 2000);
  CHECK(all.input == want_in);
  CHECK(all.target == want_tg);

  // A bad cell after a run of plain rows: its own line and column.
  std::string bad = "1,2\n";
  for (int i = 0; i < 700; ++i) bad += "0.5,-0.25\n";
  bad += "0.5,-0.2x\n";
  auto bad_rows = csv_rows(string_bytes(bad), {"input", ""}, {});
  CHECK(data_error_of([&] { read_all(*bad_rows); }) == "losscalc: input: line 702, column 5: expected a number, found '-0.2x'");
  std::string wide = "1,2\n3,4\n5,6,7\n";
  auto wide_rows = csv_rows(string_bytes(wide), {"input", ""}, {});
  CHECK(data_error_of([&] { read_all(*wide_rows); }) == "losscalc: input: line 3, column 1: this row has 3 cells, the first data row has 2");
}

// ---- Text pasted from Python ----------------------------------------------

TEST_CASE("torch's printed tensors are data: the call, its keywords and its indentation") {
  auto t = parse("   tensor([[0.8671, 0.0189],\n      [0.1054, 0.1519]],\n      requires_grad=True)");
  CHECK(t.shape == Shape{2, 2});
  CHECK(t.data == std::vector<double>{0.8671, 0.0189, 0.1054, 0.1519});
  auto s = parse("tensor(1.8338, grad_fn=<NllLossBackward>)");
  CHECK(s.shape == Shape{});
  CHECK(s.data == std::vector<double>{1.8338});
  CHECK(parse("tensor([2, 0, 4])").data == std::vector<double>{2, 0, 4});
  CHECK(parse("tensor([1., 2.], dtype=torch.float64, device='cuda:0')").data == std::vector<double>{1, 2});
  CHECK(parse("Parameter containing:\ntensor([[0.5, -1.5]], requires_grad=True)").shape == Shape{1, 2});
  CHECK(parse("tensor([True, False, True])").data == std::vector<double>{1, 0, 1});
}

TEST_CASE("numpy's repr and str are data: commas or none, rows over several lines") {
  CHECK(parse("array([[1., 2.],\n       [3., 4.]], dtype=float32)").data == std::vector<double>{1, 2, 3, 4});
  auto t = parse("[[0.1 0.2 0.3]\n [0.4 0.5 0.6]]");
  CHECK(t.shape == Shape{2, 3});
  CHECK(t.data == std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6});
  CHECK(parse("[ 1.e-05 -2.e+00  nan  inf]").data.size() == 4);
  CHECK(parse("[ 1.e-05 -2.e+00]").data == std::vector<double>{1e-5, -2});
  CHECK(parse("np.float64(1.5)").data == std::vector<double>{1.5});
  CHECK(parse("[ True False]").data == std::vector<double>{1, 0});
}

TEST_CASE("tuples, trailing commas and non-breaking spaces") {
  CHECK(parse("(1, 2, 3)").shape == Shape{3});
  CHECK(parse("(1,)").shape == Shape{1});
  CHECK(parse("[(1, 2), (3, 4)]").shape == Shape{2, 2});
  CHECK(parse("[[1, 2,], [3, 4,],]").data == std::vector<double>{1, 2, 3, 4});
  CHECK(parse("[1,\xC2\xA0" "2]").data == std::vector<double>{1, 2});
  CHECK(parse("0.5\xC2\xA0" "1.5").data == std::vector<double>{0.5, 1.5});
}

TEST_CASE("a printed form that is not whole data is refused, at its place") {
  CHECK(error_of("tensor([[0.1, 0.2, ..., 0.9]])") ==
        "losscalc: input: line 1, column 20: the array was printed summarised ('...' stands for values left out): print it whole "
        "(torch.set_printoptions(profile='full'), numpy.set_printoptions(threshold=sys.maxsize)) or save it (torch.save, "
        "numpy.save) and give the file");
  CHECK(error_of("[[0.1 0.2]\n [0.3 ...]]").find("line 2, column 7: the array was printed summarised") != std::string::npos);
  CHECK(error_of("tensor([1, 2") == "losscalc: input: line 1, column 8: unexpected end of text: '[' is not closed");
  CHECK(error_of("tensor([1, 2], requires_grad=True") == "losscalc: input: line 1, column 14: unexpected end of text: the call is not closed with ')'");
  CHECK(error_of("tensor([1, 2]) + 1") == "losscalc: input: line 1, column 16: unexpected '+' after the end of the data");
  CHECK(error_of("tensor([1, 2] 3)") == "losscalc: input: line 1, column 15: expected ',' or ')' after the values, found '3'");
  // Rewriting keeps every byte's place: a bad number is named where it was typed.
  CHECK(error_of("tensor([[1, 2],\n        [3, x]])") == "losscalc: input: line 2, column 13: expected a number, found 'x'");
  // JSON mistakes stay JSON mistakes.
  CHECK(error_of("[1,,2]").find("column 4") != std::string::npos);
}
