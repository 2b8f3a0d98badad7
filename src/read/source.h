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
#include "read/zip.h"
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
  // With CrcCheck::Track, a stored member's: what its readers read.
  std::shared_ptr<CrcLedger> ledger{};
};
// A stored .npz member's CRC: checked before it is read (First), left to
// the caller (Later: it checks with CrcCheck::First before reading on, or
// through the ledger), or tracked run by run in the ledger (Track; a given
// ledger, so that the threads that read parts of it share one).
enum class CrcCheck { First, Later, Track };
std::optional<ContainerStream> container_stream(const Source& source, std::string_view role, CrcCheck check = CrcCheck::First,
                                                std::shared_ptr<CrcLedger> ledger = {});
// Checks the CRC of the stored .npz member that container_stream() gives
// for `source` and `role`: by the runs in `ledger` when they cover it, else
// whole. Throws the data error of a mismatch; nothing for other files.
void check_container_crc(const Source& source, std::string_view role, const CrcLedger* ledger = nullptr);

// Loads one data argument per the contract: "-" is `stdin_stream`; text that
// starts with '[' or '{' or is a single number is inline; else an existing
// file; else inline compact text. Throws a data error on failure.
Parsed load(const Source& source, std::istream& stdin_stream);

}  // namespace losscalc::read
