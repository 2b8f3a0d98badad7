// Parsing of data text: JSON (nested arrays of numbers, or an object of named
// arrays) and the compact matrix / CSV / TSV form. No files, no streams: the
// text arrives as a string_view, and errors name its line and column.
#pragma once

#include "error.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor.h"

namespace losscalc::read {

// Where text came from, for messages: subject "input", label "file 'a.csv'",
// "stdin" or "" for inline text.
struct Origin {
  std::string subject;
  std::string label;
  std::size_t first_line = 1;  // line number of the text's first line (JSON Lines)
  char header = 'a';            // CSV text: --header ('a'uto, 'y'es, 'n'o)
  char delimiter = 0;           // CSV text: --delimiter; 0 = detect
  // CSV text: --column input=SPEC and --ignore-column SPEC, one column spec
  // (a name, an index, or a range a:b) each.
  std::vector<std::string> input_columns{}, ignore_columns{};
  // Where a note goes (a column left out on a guess); none: said nowhere.
  std::function<void(const std::string&)> note{};
  // JSON-object keys the function takes besides input, target, weight and
  // pos_weight and their aliases (its other data arguments: input2, var, ...).
  std::vector<std::string> keys{};
  // The name of the function's first data argument when it is not "input"
  // ("input1"): a key that holds the input too.
  std::string input_name{};
  // Another key for the target ("targets", torchvision's name), or "".
  std::string target_name{};
};

// One data argument: either a single array, or (JSON objects) named arrays
// under their canonical keys: "input", "target", "weight", "pos_weight".
struct Parsed {
  bool is_object = false;
  Tensor array;
  std::vector<std::pair<std::string, Tensor>> fields;
};

// The canonical key of a JSON object field ("input" for "logits", one of
// origin.keys, ...), or "" if it is none of the data arguments' keys.
std::string canonical_key(std::string_view key, const Origin& origin);

// Deepest nesting accepted in JSON arrays (torch tensors have at most 64 dims;
// nobody means more than this, and it bounds the parser's recursion).
inline constexpr int kMaxDepth = 32;

// Parses a number token: JSON numbers plus a leading '+', and nan / inf /
// infinity in any case with an optional sign. Out-of-range magnitudes become
// +-inf or 0, as float() does in Python. Returns false if it is not a number.
bool parse_number(std::string_view token, double& out);

// Parses `text`: JSON when it starts with '[' or '{', else the matrix form.
// Throws a data error naming `origin` and the line and column.
Parsed parse_text(std::string_view text, const Origin& origin);

// Text pasted from Python (torch's and numpy's printed forms, tuples,
// trailing commas, non-breaking spaces: read/python.cpp) rewritten in place,
// at its length, into what parse_text reads; `json` when it is now JSON (a
// call's values, a list), else only its spaces changed. nullopt: nothing to
// rewrite. A summarised array ('...') is a data error.
struct PythonText {
  std::string text;
  bool json = false;
};
std::optional<PythonText> python_as_json(std::string_view text, const Origin& origin);
// Whether text starts as a printed call does (tensor(, array(, np.float64(,
// "Parameter containing:") or a tuple: text to read whole, not rows.
bool python_call_start(std::string_view text);

// A short, printable rendering of a token for messages: 'x', '\xff', 'abc...'.
std::string quote_token(std::string_view token);

// "line L, column C" of a byte offset (columns count bytes, from 1).
// `text` without a leading UTF-8 byte-order mark (not part of the text).
inline std::string_view without_bom(std::string_view text) {
  return text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text;
}

// Whether `text` starts with a UTF-16 byte-order mark (either byte order).
inline bool utf16_bom(std::string_view text) { return text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"); }

// The message for text that starts with a UTF-16 byte-order mark.
inline constexpr const char* kUtf16Message =
    "UTF-16 text (it starts with a UTF-16 byte-order mark): losscalc reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)";

Place line_column(std::string_view text, std::size_t offset, std::size_t first_line = 1);

}  // namespace losscalc::read
