// The command line: argv -> Request, or the text of --help / --version.
// Built from the registry; the only file that includes CLI11.
#pragma once

#include <string>
#include <vector>

#include "request.h"

namespace losscalc {

struct CommandLine {
  bool done = false;  // --help or --version: print `text`, exit 0
  std::string text;
  Request request;
};

// `args` excludes the program name. Throws a usage error (exit 2).
CommandLine parse_command_line(const std::vector<std::string>& args);

// The top-level help: usage and the functions, grouped by family.
std::string general_help();

// Every option name that `FUNCTION --help` can list, for the man-page test.
std::vector<std::string> all_option_names();

struct FunctionSpec;
// A function's options (with --no-NAME of its boolean parameters and the
// short names), each with its choices, for the completion scripts.
struct CompletionOption {
  std::string name;  // "--reduction", "-r"
  std::vector<std::string> choices;
  bool takes_value;
};
std::vector<CompletionOption> completion_options(const FunctionSpec& fn);

}  // namespace losscalc
