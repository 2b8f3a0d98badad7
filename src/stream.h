// Streaming: row data (CSV / TSV, JSON Lines, .npy) from a file or stdin,
// read a block of rows at a time and reduced as it goes, so memory stays
// bounded however many rows come; per-sample losses (-r none) are written
// as the rows are read.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>

#include "request.h"
#include "result.h"

namespace losscalc {

// Runs the request streamed when it qualifies (see the man page, STREAMING)
// and returns its exit status; returns nothing when it does not qualify.
// When it had to read ahead on stdin to decide, `replay` receives a stream
// with everything read, for the in-memory path; row data that fits in one
// block comes back read, in `small`, for the in-memory path.
std::optional<int> run_streamed(const Request& request, std::istream& in, std::ostream& out, std::ostream& err,
                                std::unique_ptr<std::istream>& replay, std::optional<Data>& small);

// Row data read whole (for --explain and other in-memory runs with
// --target-column): INPUT's columns split into input and target.
Data read_rows_whole(const Request& request, std::istream& in);

}  // namespace losscalc
