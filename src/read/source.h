// Turning a data argument ("-", a path, or inline text) into parsed arrays.
// The only place that opens files or reads standard input.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "read/rows.h"
#include "read/text.h"
#include "request.h"

namespace losscalc::read {

// Whether a data argument is inline text by the contract's first rule: it
// starts with '[' or '{' or is a single number (so never a file name).
bool looks_inline(const std::string& spec);

// PATH:KEY when PATH is an existing file (or "-") and the whole is not:
// the path and the key of the array to pick out of it.
std::optional<std::pair<std::string, std::string>> split_key(const std::string& spec);

// A data argument that is one array of a container file (PATH:KEY; PATH of
// one array; or, for `role` "input" or "target", the array of that role in
// an INPUT whose arrays are named as the function's input and target) as
// the bytes of a .npy that streams as rows (container_npy). Nothing when it
// is no container file; no bytes when it is one but that array does not
// stream (then the in-memory path reads it, or says what is wrong).
struct ContainerStream {
  std::unique_ptr<ByteReader> bytes;
  std::string label;    // "file 'a.npz', array 'logits'"
  bool object = false;  // picked by its role out of INPUT's input and target
  bool inflates = false;  // a deflated .npz member: skipping costs reading
};
// `verify`: check a stored member's CRC first (once per array and run: the
// threads that reopen it need not).
std::optional<ContainerStream> container_stream(const Source& source, std::string_view role, bool verify = true);

// Loads one data argument per the contract: "-" is `stdin_stream`; text that
// starts with '[' or '{' or is a single number is inline; else an existing
// file; else inline compact text. Throws a data error on failure.
Parsed load(const Source& source, std::istream& stdin_stream);

}  // namespace losscalc::read
