// libFuzzer target: the whole program, in process, through run_main().
//
// Input layout: the bytes before the first '\n' are the arguments (after
// "losscalc"), separated by NUL bytes; the bytes after it are standard input.
// Inside an argument:
//   - "\x01" followed by one byte k is replaced by word k of kWords below (a
//     function name, an option or a typical value), so mutations reach real
//     functions and options without guessing their spelling;
//   - a byte "\x02" stands for a newline (inline text can span lines).
// Arguments that name devices, FIFOs, /proc, /sys or /dev, or files over
// 1 MiB, make the input uninteresting (skipped): they would test the fuzzer's
// machine, not losscalc. run.sh starts the fuzzer in a scratch directory that
// holds a few small data files, so relative paths can hit real files.
//
// The contract it checks (tests/../cli-contract.md, "Errors and exit status"):
//   - the status is 0, 1 or 2;
//   - on a non-zero status stdout is empty, stderr starts with "losscalc: "
//     and is not an "internal error" (a std::exception other than
//     losscalc::Error that reached run_main's last-resort handler);
//   - on status 0 stdout is not empty, and stderr holds only warnings and
//     notes (what reading guessed: "losscalc: note: ...").
// Nothing is caught here: an exception escaping run_main is a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "run.h"

namespace {

const std::vector<std::string> kWords = {
    // functions and aliases
    "cross_entropy", "ce", "cross-entropy", "CrossEntropyLoss", "nll_loss", "nll", "nll-loss", "NLLLoss", "softmax", "Softmax",
    "log_softmax", "log-softmax", "LogSoftmax", "binary_cross_entropy", "bce", "BCELoss", "binary_cross_entropy_with_logits",
    "bce_with_logits", "BCEWithLogitsLoss", "sigmoid", "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "compare", "cmp",
    // options
    "-h", "--help", "--version", "-i", "--input", "-t", "--target", "-w", "--weight", "--pos-weight", "-r", "--reduction",
    "--ignore-index", "--label-smoothing", "--dim", "--axis", "--target-type", "--from-logits", "--epsilon", "--input-kind",
    "--dtype", "-f", "--format", "--json", "-q", "--quiet", "--precision", "--no-summary", "--full", "--explain", "--explain-samples",
    "--no-warnings", "--", "-qr", "--dim=-1", "--reduction=none",
    // option values
    "mean", "sum", "none", "sum_over_batch_size", "auto", "index", "prob", "logits", "probs", "float64", "float32", "text", "json",
    "csv", "-", "-100", "-1", "0", "1", "2", "3", "17", "18", "0.1", "1e-7", "0.5", "nan", "inf", "-inf", "1e400", "-1e400",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "4294967296", "0,1",
    "0,5,7", "-1,0", "99999999999",
    // data
    "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]", "[2,3]", "[[1,2],[3,4]]", "[0,1]", "[1,0]", "[[0.5,0.5]]", "[0]", "[1]", "[]",
    "[[]]", "[[[1,2],[3,4]],[[5,6],[7,8]]]", "[[0,1],[1,0]]", "0.1 0.2; 0.3 0.4", "1 0", "[[0.2,0.8],[0.9,0.1]]",
    "{\"input\": [[1,2]], \"target\": [1]}", "{\"logits\": [[2.0, 0.5]], \"labels\": [0], \"weight\": [1, 3]}",
    "{\"input\": [[0.5]], \"target\": [[1]], \"pos_weight\": [2]}", "[1e308,1e308]", "[-1e308,1e308]", "[nan,1]",
    "[[9223372036854775808]]", "[-9223372036854775809]", "[1.5]", "[\"NaN\"]",
    // files in the scratch directory (run.sh) and a directory
    "a.json", "b.csv", "c.tsv", "labels.csv", "empty.txt", "obj.json", ".", "missing.json",
    // row data: streaming, --target-column, --partial, merge (appended, so
    // the indices above keep their words)
    "merge", "--target-column", "--header", "--delimiter", "--partial", "yes", "no", "label", "a", "0,1", ";", "\t", " ",
    "rows.csv", "rows.tsv", "rows.jsonl", "small.npy", "partial.jsonl",
    "{\"input\": [1, 2], \"target\": 0}\n{\"input\": [3, 4], \"target\": 1}", "a,b,label\n1,2,0\n3,4,1",
};

// Rejects arguments that would read something other than a small regular
// file or a directory.
bool harmless(const std::string& arg) {
  for (std::string_view bad : {"/proc", "/sys", "/dev", "/run", "/tmp"})
    if (arg.find(bad) != std::string::npos) return false;
  if (arg.find('/') != std::string::npos && arg.find("..") != std::string::npos) return false;
  std::error_code ec;
  auto st = std::filesystem::status(arg, ec);
  if (ec || !std::filesystem::exists(st)) return true;
  if (std::filesystem::is_directory(st)) return true;
  if (!std::filesystem::is_regular_file(st)) return false;
  return std::filesystem::file_size(arg, ec) <= (1u << 20) && !ec;
}

[[noreturn]] void violation(const char* what, const std::vector<std::string>& args, int status, const std::string& out,
                            const std::string& err) {
  std::fprintf(stderr, "fuzz_cli: contract violated: %s\n  status %d\n  args:", what, status);
  for (auto& a : args) std::fprintf(stderr, " [%s]", a.c_str());
  std::fprintf(stderr, "\n  stdout: %.500s\n  stderr: %.500s\n", out.c_str(), err.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("FUZZ_CLI_WORKDIR")) {
    std::error_code ec;
    std::filesystem::current_path(dir, ec);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const std::size_t nl = data.find('\n');
  const std::string_view argtext = data.substr(0, nl);
  const std::string stdin_text(nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1));

  std::vector<std::string> args;
  std::size_t begin = 0;
  for (;;) {
    std::size_t end = argtext.find('\0', begin);
    std::string_view raw = argtext.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    std::string arg;
    if (raw.size() == 2 && raw[0] == '\x01') {
      arg = kWords[static_cast<unsigned char>(raw[1]) % kWords.size()];
    } else {
      arg.assign(raw);
      for (char& c : arg)
        if (c == '\x02') c = '\n';
    }
    args.push_back(std::move(arg));
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  if (args.size() == 1 && args[0].empty()) args.clear();
  if (args.size() > 64) return 0;
  for (auto& a : args)
    if (!harmless(a)) return 0;

  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  const int status = losscalc::run_main(args, in, out, err);
  const std::string o = out.str(), e = err.str();

  if (status != 0 && status != 1 && status != 2) violation("exit status is not 0, 1 or 2", args, status, o, e);
  if (status != 0) {
    if (!o.empty()) violation("stdout not empty on error", args, status, o, e);
    if (e.rfind("losscalc: ", 0) != 0) violation("stderr does not start with \"losscalc: \"", args, status, o, e);
    // Whole-message checks: the data may echo any text into the message.
    if (e.rfind("losscalc: internal error", 0) == 0) violation("internal error", args, status, o, e);
    if (e == "losscalc: out of memory\n") violation("out of memory on a small input", args, status, o, e);
  } else {
    if (o.empty()) violation("empty stdout on success", args, status, o, e);
    std::size_t at = 0;
    while (at < e.size()) {
      if (e.compare(at, 19, "losscalc: warning: ") != 0 && e.compare(at, 16, "losscalc: note: ") != 0)
        violation("stderr on success is not warnings or notes", args, status, o, e);
      std::size_t next = e.find('\n', at);
      if (next == std::string::npos) break;
      at = next + 1;
    }
  }
  return 0;
}
