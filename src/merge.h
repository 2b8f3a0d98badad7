// merge: combines --partial results (shards, threads, machines) into one
// exact loss.
#pragma once

#include <iosfwd>

#include "request.h"

namespace losscalc {

// The files of `request.merge_files` ("-" or none: `in`) hold --partial
// lines; prints their combined loss (or, with --partial, their combined
// partial). Throws a data error for a bad line or differing settings.
void run_merge(const Request& request, std::istream& in, std::ostream& out);

}  // namespace losscalc
