#include "error.h"

#include <algorithm>

namespace losscalc {

namespace {
std::string compose(const std::string& subject, const std::string& where,
                    const std::string& message) {
  std::string s = "losscalc: ";
  if (!subject.empty()) s += subject + ": ";
  if (!where.empty()) s += where + ": ";
  s += message;
  // One line whatever the user typed: control characters as \xNN.
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      append_hex(out, u);
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

std::string Place::str() const {
  std::string s = label;
  const auto add = [&s](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  const auto index = [this] {
    if (element.size() == 1) return std::to_string(element[0]);
    std::string i = "[";
    for (std::size_t d = 0; d < element.size(); ++d) i += (d ? ", " : "") + std::to_string(element[d]);
    return i + "]";
  };
  if (line > 0) add("line " + std::to_string(line) + (column > 0 ? ", column " + std::to_string(column) : ""));
  if (row > 0)
    add("data row " + std::to_string(row) + (element.size() > 1 ? " (element " + index() + " of its block)" : ""));
  else if (!element.empty())
    add("element " + index());
  return s;
}

Error::Error(ErrorKind kind, std::string subject, std::string where, std::string message)
    : Error(kind, std::move(subject), Place{.label = std::move(where)}, std::move(message)) {}

Error::Error(ErrorKind kind, std::string subject, Place place, std::string message)
    : std::runtime_error(compose(subject, place.str(), message)),
      kind_(kind),
      place_(std::move(place)),
      subject_(std::move(subject)),
      where_(place_.str()),
      message_(std::move(message)) {}

Error data_error(std::string subject, std::string where, std::string message) {
  return Error(ErrorKind::Data, std::move(subject), std::move(where), std::move(message));
}

Error data_error(std::string subject, Place place, std::string message) {
  return Error(ErrorKind::Data, std::move(subject), std::move(place), std::move(message));
}

Error usage_error(std::string subject, std::string message) {
  return Error(ErrorKind::Usage, std::move(subject), "", std::move(message));
}

void append_hex(std::string& out, unsigned char byte) {
  static const char* hex = "0123456789abcdef";
  out += hex[byte >> 4];
  out += hex[byte & 15];
}

std::vector<std::string> comma_items(std::string_view value) {
  std::vector<std::string> items;
  for (std::size_t at = 0; at <= value.size();) {
    const std::size_t comma = std::min(value.find(',', at), value.size());
    items.emplace_back(value.substr(at, comma - at));
    at = comma + 1;
  }
  return items;
}

std::string in_quotes(std::string_view text, std::size_t max) {
  if (text.size() <= max) return "'" + std::string(text) + "'";
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return "'" + std::string(text.substr(0, cut)) + "...'";
}

}  // namespace losscalc
