// Dispatch: read the data arguments, resolve defaults, pick float or double
// once, run the op, print. run_main() is main() without the process: tests
// call it with string streams.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "request.h"
#include "result.h"

namespace losscalc {

// Reads the data arguments of a request (at most one may be "-").
Data read_data(const Request& request, std::istream& in);

// Computes a request's result (throws losscalc::Error).
// `swapped` is the command with INPUT and TARGET exchanged, for a warning.
Result compute(const Request& request, const Data& data, const std::string& swapped = "");

// The whole program: stdout gets the output only on success, stderr one
// "losscalc: ..." line on failure. Returns the exit status.
int run_main(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace losscalc
