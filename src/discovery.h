// Discovery: the table of functions as text or JSON (`losscalc functions`)
// and completion scripts (`losscalc completion bash|zsh|fish`), all made from
// the registry.
#pragma once

#include <string>

namespace losscalc {

std::string functions_text();
std::string functions_json();  // one JSON object, with a newline
// Throws a usage error for a shell other than bash, zsh or fish.
std::string completion_script(const std::string& shell);

}  // namespace losscalc
