// Request: what the command line asked for, as plain data. cli.cpp fills it,
// run.cpp carries it out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace losscalc {

// SumOverBatchSize is Keras's name for the mean over every per-sample loss;
// BatchMean is torch kl_div's sum divided by the input's first dim;
// MeanWithSampleWeight Keras's sum divided by the sample weights' sum.
enum class Reduction { None, Mean, Sum, SumOverBatchSize, BatchMean, MeanWithSampleWeight };
// A reduction that divides the sum by a denominator (the shares' sum).
inline bool divides(Reduction r) { return r != Reduction::None && r != Reduction::Sum; }
inline constexpr Reduction kAllReductions[] = {Reduction::Mean, Reduction::Sum, Reduction::None, Reduction::SumOverBatchSize,
                                               Reduction::BatchMean, Reduction::MeanWithSampleWeight};
enum class TargetType { Auto, Index, Prob };
// BFloat16: torch 1.13's CPU bfloat16 kernels; Float16: CUDA's half convention.
enum class DType { Float64, Float32, BFloat16, Float16 };
inline bool is_half(DType d) { return d == DType::BFloat16 || d == DType::Float16; }
// --amp: the model's outputs rounded to a half format, the loss in float32.
enum class Amp { Off, Float16, BFloat16 };
// The half format --amp rounds to (Float16 for Off: not asked).
inline DType amp_dtype(Amp a) { return a == Amp::BFloat16 ? DType::BFloat16 : DType::Float16; }
enum class Format { Text, Json, Csv };
enum class InputKind { Auto, Logits, Probabilities };  // compare: what INPUT holds

// Where a data argument comes from: "-", a path or inline text, as typed.
struct Source {
  std::string name;  // the argument's name in messages: "input", "target", ...
  std::string spec;  // what the user typed
  char header = 'a';   // CSV: --header ('a'uto, 'y'es, 'n'o)
  char delimiter = 0;  // CSV: --delimiter; 0 = detect
  std::vector<std::string> input_columns{}, ignore_columns{};  // CSV (INPUT only): --column input=, --ignore-column
  std::function<void(const std::string&)> note{};          // where reading notes go (stderr); none: nowhere
  std::vector<std::string> keys{};  // JSON-object keys of the function's other data arguments (input2, var, ...)
  std::string input_name{};         // the first data argument's name when not "input" ("input1"): a key for it too
  std::string target_name{};        // another key for the target ("targets"), or ""
};

// torch's default ignore_index (the table's default for its functions; ops
// called with no value, as compare's torch rows are, use it too).
inline constexpr std::int64_t kTorchIgnoreIndex = -100;

// Options that shape the computation; unset ones take the function's default.
struct Settings {
  std::optional<Reduction> reduction;
  std::optional<std::int64_t> ignore_index;
  double label_smoothing = 0.0;
  std::optional<std::int64_t> dim;
  TargetType target_type = TargetType::Auto;
  DType dtype = DType::Float64;
  Amp amp = Amp::Off;
  bool from_logits = false;  // keras: INPUT holds logits
  double epsilon = 1e-7;     // keras: backend epsilon (clipping, masked means)
  InputKind input_kind = InputKind::Auto;
  bool loss_only = false;  // internal (streaming): skip gradients and intermediates
  // Table parameters without a field of their own (margin, ...), by the
  // framework's keyword; the CLI sets each to its value or its default.
  std::map<std::string, double, std::less<>> numbers;
  // Every parameter's value as given (or the table's default), by keyword; "" for none.
  std::map<std::string, std::string> param_text;
  double number(std::string_view key) const;  // throws an internal error if the table gave none
};

// Options that shape the output.
struct OutputOptions {
  Format format = Format::Text;
  bool quiet = false;
  std::optional<int> precision;  // decimals; text default 4, -q default exact
  bool full = false;             // --no-summary: no summarisation of long tensors
  bool explain = false;          // --explain: the calculation step by step
  std::vector<std::int64_t> explain_samples;  // which samples; empty = the first few
  bool warnings = true;          // likely-mistake warnings on stderr
  bool partial = false;          // --partial: the mergeable sums instead of the loss
};

// How row data (CSV / TSV) is read.
struct RowOptions {
  std::vector<std::string> target_columns;  // --target-column, --column target=: names, indices or ranges
  std::vector<std::string> input_columns;   // --column input=: the input's columns (else every other one)
  std::vector<std::string> ignore_columns;  // --ignore-column: columns left out
  // --column NAME=SPEC for the other data arguments that rows carry
  // (input2, ...), in the table's order: (name, specs).
  std::vector<std::pair<std::string, std::vector<std::string>>> more_columns;
  // The first column option given (for messages), or "" if none.
  std::string column_option() const {
    return !target_columns.empty()                              ? "--target-column"
           : !input_columns.empty() || !more_columns.empty() ? "--column"
           : !ignore_columns.empty()                         ? "--ignore-column"
                                                             : "";
  }
  char header = 'a';                        // --header: 'a'uto, 'y'es, 'n'o
  char delimiter = 0;                       // --delimiter; 0 = detect
};

struct Request {
  std::string function;  // canonical name
  // The data arguments as given: the first (INPUT) in `input`, the target,
  // weight and pos_weight in theirs, every other one (input2, var, ...) in
  // `more`, in the table's order. Source::name is the table's name.
  std::optional<Source> input, target, weight, pos_weight;
  std::vector<Source> more;
  std::vector<std::string> merge_files;  // merge: its files in order ("-": stdin); none: stdin
  std::string expect_value;              // expect: VALUE as typed
  RowOptions rows;
  Settings settings;
  OutputOptions output;
};

}  // namespace losscalc
