// Likely mistakes in the data, said on stderr after a successful run; they
// never change a number, and --no-warnings silences them.
#pragma once

#include <string>
#include <vector>

#include "request.h"
#include "result.h"

namespace losscalc {

// `settings` are resolved (dim and reduction set); `swapped_command` is the
// command line with INPUT and TARGET exchanged (empty when not known), shown
// when they look swapped.
struct FunctionSpec;
std::vector<std::string> likely_mistakes(const FunctionSpec& function, const Data& data, const Settings& settings,
                                         const Result& result, const std::string& swapped_command = "");

// The command line `args` (after "losscalc") with the words `a` and `b`
// exchanged, quoted for a POSIX shell; empty unless each occurs once.
// A word as a POSIX shell reads it back: as it is, or single-quoted.
std::string shell_word(const std::string& w);

std::string swapped_command(const std::vector<std::string>& args, const std::string& a, const std::string& b);

}  // namespace losscalc
