// Text pasted from Python: torch's and numpy's printed forms rewritten, byte
// for byte in place, into the JSON the parser reads. Every rewrite keeps the
// text's length, so a message's line and column point into what was pasted.
//
//   tensor([[0.2228, 0.2523]], requires_grad=True)   the call and its keywords
//   Parameter containing:\ntensor([...])              nn.Parameter's header
//   array([1., 2.], dtype=float32), np.float64(1.5)  numpy's repr
//   [[0.1 0.2]\n [0.3 0.4]]                          numpy's str: no commas
//   (1, 2), [1, 2,]                                  tuples, trailing commas
//   True / False                                     1 / 0
//   a non-breaking space (UTF-8 C2 A0)               two spaces
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "read/text.h"

namespace losscalc::read {

namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The callables whose printed form holds an array or a number.
bool known_call(std::string_view name) {
  static constexpr std::string_view names[] = {"tensor", "torch.tensor", "array", "np.array", "numpy.array", "np.asarray"};
  for (auto n : names)
    if (name == n) return true;
  // numpy 2's scalar reprs: np.float64(1.5), np.int64(2), np.bool_(True).
  for (std::string_view prefix : {"np.", "numpy."})
    if (name.starts_with(prefix)) {
      const std::string_view type = name.substr(prefix.size());
      for (std::string_view t : {"float", "int", "uint", "bool_", "double", "half", "single", "longlong"})
        if (type.starts_with(t)) return true;
    }
  return false;
}

class Rewrite {
 public:
  // `original`: the text as given, which lines and columns count in.
  Rewrite(std::string_view text, std::string_view original, const Origin& origin) : s_(text), original_(original), origin_(origin) {}

  // Whether the text is a Python form (a call, a list or a tuple) that
  // needed rewriting.
  bool run() {
    std::size_t at = skip(0);
    // nn.Parameter prints a header line first.
    constexpr std::string_view header = "Parameter containing:";
    if (s_.compare(at, header.size(), header) == 0) {
      blank(at, at + header.size());
      at = skip(at + header.size());
    }
    std::size_t name_end = at;
    while (name_end < s_.size() && ident_char(s_[name_end])) ++name_end;
    if (name_end > at && name_end < s_.size() && s_[name_end] == '(' && std::isalpha(static_cast<unsigned char>(s_[at]))) {
      if (!known_call(std::string_view(s_).substr(at, name_end - at))) return false;
      call(at, name_end);
    } else if (at < s_.size() && (s_[at] == '[' || s_[at] == '(')) {
      values(at, s_.size());
    } else {
      return false;
    }
    return changed_;
  }

  std::string text() && { return std::move(s_); }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& message) const {
    Place place = line_column(original_, at, origin_.first_line);
    place.label = origin_.label;
    throw data_error(origin_.subject, std::move(place), message);
  }

  std::size_t skip(std::size_t at) const {
    while (at < s_.size() && space(s_[at])) ++at;
    return at;
  }

  void blank(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      if (!space(s_[i])) s_[i] = ' ';
    changed_ = true;
  }

  // NAME(VALUES, keyword=..., ...): the name, the parenthesis and the
  // keywords become spaces; only whitespace may follow the closing one.
  void call(std::size_t name_at, std::size_t open) {
    blank(name_at, open + 1);
    std::size_t at = skip(open + 1);
    if (at >= s_.size()) fail(at, "unexpected end of text after '" + s_.substr(name_at, open + 1 - name_at) + "'");
    const std::size_t data_at = at;
    std::size_t data_end = at;
    if (s_[at] == '[' || s_[at] == '(') {
      data_end = matching(at) + 1;
    } else {
      while (data_end < s_.size() && s_[data_end] != ',' && s_[data_end] != ')' && !space(s_[data_end])) ++data_end;
    }
    values(data_at, data_end);
    // The keywords (requires_grad=True, grad_fn=<NllLossBackward0>,
    // dtype=torch.float64, device='cuda:0'), up to the call's ')'.
    at = skip(data_end);
    if (at < s_.size() && s_[at] == ',') {
      const std::size_t close = matching_paren(at);
      blank(at, close + 1);
      at = close + 1;
    } else if (at < s_.size() && s_[at] == ')') {
      blank(at, at + 1);
      ++at;
    } else {
      fail(at, at >= s_.size() ? "unexpected end of text: the call is not closed with ')'"
                               : "expected ',' or ')' after the values, found " + quote_token(std::string_view(s_).substr(at, 1)));
    }
    at = skip(at);
    if (at < s_.size()) fail(at, "unexpected " + quote_token(std::string_view(s_).substr(at, 1)) + " after the end of the data");
  }

  // The ']' or ')' closing the bracket at `open`, or a message.
  std::size_t matching(std::size_t open) const {
    int depth = 0;
    for (std::size_t i = open; i < s_.size(); ++i) {
      if (s_[i] == '[' || s_[i] == '(') ++depth;
      if (s_[i] == ']' || s_[i] == ')') {
        if (--depth == 0) return i;
      }
    }
    fail(open, "unexpected end of text: '" + std::string(1, s_[open]) + "' is not closed");
  }

  // The ')' closing a call whose keywords start at `from` (brackets, quotes
  // and grad_fn's <...> skipped).
  std::size_t matching_paren(std::size_t from) const {
    int depth = 0;
    char quote = 0;
    for (std::size_t i = from; i < s_.size(); ++i) {
      const char c = s_[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '<') {
        ++depth;
      } else if (c == ']' || c == '>') {
        --depth;
      } else if (c == ')') {
        if (depth == 0) return i;
        --depth;
      }
    }
    fail(from, "unexpected end of text: the call is not closed with ')'");
  }

  // Within [from, to): tuples become lists, True / False 1 / 0, a trailing
  // comma a space, and whitespace between two values a comma (numpy's str);
  // torch's and numpy's summarised '...' is refused.
  void values(std::size_t from, std::size_t to) {
    bool after_value = false;  // the last thing seen ends a value
    std::vector<bool> parens;  // the open '(': a tuple's (true) or a token's
    std::size_t gap = std::string::npos;  // the first whitespace since that value
    for (std::size_t i = from; i < to; ++i) {
      char& c = s_[i];
      if (space(c)) {
        if (after_value && gap == std::string::npos) gap = i;
        continue;
      }
      if (c == '.' && s_.compare(i, 3, "...") == 0)
        fail(i, "the array was printed summarised ('...' stands for values left out): print it whole "
                "(torch.set_printoptions(profile='full'), numpy.set_printoptions(threshold=sys.maxsize)) or save it "
                "(torch.save, numpy.save) and give the file");
      const bool starts_value = c == '[' || c == '(' || c == '-' || c == '+' || c == '.' || std::isalnum(static_cast<unsigned char>(c));
      if (starts_value && after_value && gap != std::string::npos) {  // [0.1 0.2], ]\n [
        s_[gap] = ',';
        changed_ = true;
      }
      gap = std::string::npos;
      // A tuple's parentheses (not those of a token: -nan(1) stays bad data).
      const bool token_paren = c == '(' && i > from && !space(s_[i - 1]) && s_[i - 1] != '[' && s_[i - 1] != '(' && s_[i - 1] != ',';
      if (c == '(') parens.push_back(!token_paren);
      if (c == ')' && !parens.empty()) {
        const bool tuple = parens.back();
        parens.pop_back();
        if (!tuple) {  // the token's: left as it is
          after_value = true;
          continue;
        }
      }
      if ((c == '(' && !token_paren) || c == ')') {
        c = c == '(' ? '[' : ']';
        changed_ = true;
      }
      if (c == ',') {  // a trailing comma: [1, 2,] or (1,)
        const std::size_t next = skip(i + 1);
        if (next < to && (s_[next] == ']' || s_[next] == ')')) {
          c = ' ';
          changed_ = true;
        }
        after_value = false;
        continue;
      }
      if (c == '[') {
        after_value = false;
        continue;
      }
      if (c == ']') {
        after_value = true;
        continue;
      }
      // A token: a number, nan, inf, True, False.
      std::size_t end = i;
      while (end < to && !space(s_[end]) && s_[end] != ',' && s_[end] != '[' && s_[end] != ']' && s_[end] != '(' && s_[end] != ')') ++end;
      if (end == i) end = i + 1;  // a token's own '(' (-nan(1)): one byte, left for the parser's message
      const std::string_view token = std::string_view(s_).substr(i, end - i);
      if (token == "True" || token == "False") {
        s_.replace(i, token.size(), token == "True" ? "1   " : "0    ");
        changed_ = true;
      }
      after_value = true;
      i = end - 1;
    }
  }

  std::string s_;
  std::string_view original_;
  const Origin& origin_;
  bool changed_ = false;
};

}  // namespace

bool python_call_start(std::string_view s) {
  std::size_t at = 0;
  while (at < s.size() && space(s[at])) ++at;
  if (s.substr(at).starts_with("Parameter containing:") || (at < s.size() && s[at] == '(')) return true;
  std::size_t end = at;
  while (end < s.size() && ident_char(s[end])) ++end;
  return end > at && end < s.size() && s[end] == '(' && known_call(s.substr(at, end - at));
}

std::optional<PythonText> python_as_json(std::string_view text, const Origin& origin) {
  const bool nbsp = text.find("\xC2\xA0") != std::string_view::npos;
  const auto first = text.find_first_not_of(" \t\r\n");
  if (!nbsp && !python_call_start(text) && !(first != std::string_view::npos && text[first] == '[')) return std::nullopt;  // no copy of plain CSV text
  std::string copy(text);
  for (std::size_t i = 0; nbsp && i + 1 < copy.size(); ++i)
    if (copy[i] == '\xC2' && copy[i + 1] == '\xA0') copy[i] = copy[i + 1] = ' ';
  Rewrite r(copy, text, origin);
  const bool changed = r.run();
  if (!changed && !nbsp) return std::nullopt;
  return PythonText{std::move(r).text(), changed};
}

}  // namespace losscalc::read
