// losscalc::Error: the one error type. Readers, checks and the CLI throw it;
// only main() catches it, prints one line on stderr and exits with its status.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace losscalc {

enum class ErrorKind { Data = 1, Usage = 2 };

// Where in an argument an error is, as data, so that an error in a part of a
// stream is renumbered for the whole without parsing its message again.
// Written "LABEL, line L, column C", "data row R", "element [i, j]", ...
struct Place {
  std::string label{};                 // "file 'x.csv'", "stdin", or text of its own; may be empty
  std::int64_t line = 0, column = 0;   // from 1; 0: none
  std::int64_t row = 0;                // a data row, from 1; 0: none
  std::vector<std::int64_t> element{}; // an element's index (one per dim); empty: none
  std::string str() const;
};

class Error : public std::runtime_error {
 public:
  // `subject` names the argument at fault ("input", "target", "--dim", ...);
  // `where` is the place in it ("line 1, column 9", "element 3"), may be empty.
  Error(ErrorKind kind, std::string subject, std::string where, std::string message);
  Error(ErrorKind kind, std::string subject, Place place, std::string message);

  ErrorKind kind() const { return kind_; }
  int exit_status() const { return static_cast<int>(kind_); }
  const std::string& subject() const { return subject_; }
  const std::string& where() const { return where_; }
  const Place& place() const { return place_; }
  const std::string& message() const { return message_; }

 private:
  ErrorKind kind_;
  Place place_;
  std::string subject_, where_, message_;
};

// Shorthands for the two kinds.
Error data_error(std::string subject, std::string where, std::string message);
Error data_error(std::string subject, Place place, std::string message);
Error usage_error(std::string subject, std::string message);

// User text (a path, an option value, a name) for a message: in single quotes,
// at most `max` bytes, cut on a UTF-8 boundary with "..." marking the cut.
// Control characters are escaped when the message is composed, so an error
// is always one line.
std::string in_quotes(std::string_view text, std::size_t max = 200);
// The items of a comma-separated option value ("a,b,,c": "a", "b", "", "c";
// "": one empty item), for the option to check.
std::vector<std::string> comma_items(std::string_view value);

// Two lowercase hex digits of a byte, appended (for \xHH and \u00HH escapes).
void append_hex(std::string& out, unsigned char byte);

}  // namespace losscalc
