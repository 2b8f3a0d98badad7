// What a --partial line records of the settings that change the number, so
// that merge refuses to add shards computed differently.
#pragma once

#include <string>

#include "registry.h"
#include "request.h"
#include "result.h"

namespace losscalc {

// A JSON object (text) of the parameters `fn` takes, as given (a default
// where not: torch's --ignore-index -100, --epsilon 1e-7, --dim "default", ...), and
// a digest of --weight and --pos-weight (their shape and the FNV-1a 64 hash
// of their float64 bits), or null when not given. Reduction and dtype are
// the partial line's own fields.
std::string settings_record(const FunctionSpec& fn, const Settings& given, const Data& fixed);

}  // namespace losscalc
