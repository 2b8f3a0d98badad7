// Turning a data argument ("-", a path, or inline text) into parsed arrays.
// The only place that opens files or reads standard input.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <utility>

#include "read/text.h"
#include "request.h"

namespace losscalc::read {

// Whether a data argument is inline text by the contract's first rule: it
// starts with '[' or '{' or is a single number (so never a file name).
bool looks_inline(const std::string& spec);

// PATH:KEY when PATH is an existing file (or "-") and the whole is not:
// the path and the key of the array to pick out of it.
std::optional<std::pair<std::string, std::string>> split_key(const std::string& spec);

// Loads one data argument per the contract: "-" is `stdin_stream`; text that
// starts with '[' or '{' or is a single number is inline; else an existing
// file; else inline compact text. Throws a data error on failure.
Parsed load(const Source& source, std::istream& stdin_stream);

}  // namespace losscalc::read
