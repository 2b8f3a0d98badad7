// Standard output: a write that fails is an error, never a silent success.
#pragma once

#include <iosfwd>
#include <string_view>

namespace losscalc {

// Thrown when the reader of standard output has gone away (EPIPE with
// SIGPIPE ignored): the run ends quietly, as a closed pipe ends it otherwise.
struct BrokenPipe {};

// Writes `text` and flushes; throws a data error naming standard output and
// the system's reason ("No space left on device") when the write fails.
void write_out(std::ostream& out, std::string_view text);

}  // namespace losscalc
