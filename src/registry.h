// The one table of functions. Each row declares a function's names, family,
// data arguments, parameters (with types, defaults, ranges and the
// framework's message for a bad value), reductions, class-axis convention and
// kernel. The CLI, --help, `losscalc functions`, the completion scripts,
// JSON-object keys, streaming and --explain all come from here: adding a
// function is a kernel and a row.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "request.h"
#include "explain/explain.h"
#include "result.h"

namespace losscalc {

enum class Family { Torch, TfNn, Keras, Optax, Sklearn };

// How the class dim defaults: torch's (1, or 0 for inputs of fewer than two
// dims), the last axis (tf.nn, keras), or left unset for the op to choose.
enum class DimDefault { TorchClass, Last, Unset };

using OpFn = Result (*)(const Data&, const Settings&);

// The shape of a function's computation, which row data, streaming and
// --explain follow: over a class axis (a softmax, class indices or
// probabilities), elementwise (the target has the input's shape, one loss
// per element).
enum class Layout { ClassAxis, Elementwise };

// What INPUT holds, which the likely-mistake warnings and --explain follow:
// logits (a softmax or sigmoid is applied), probabilities (clipped or
// clamped logs), log-probabilities (nll_loss), predictions or scores
// compared with a target (mse_loss, margin_ranking_loss), values of an
// activation. --from-logits makes a function's probabilities logits.
enum class Holds { Logits, Probabilities, LogProbabilities, Predictions, Values };

// A data argument, as the framework names it, in the framework's order.
struct DataArg {
  std::string_view name = "";                // "input", "input2", "target", "weight", "pos_weight"
  std::string_view holds = "";               // what it holds, for --help: "logits", "class indices", ...
  std::vector<std::string_view> keys = {};   // JSON-object keys besides the name ("logits", "y_pred")
  bool positional = true;                    // false: given as an option only (--weight)
  bool required = true;
  bool per_row = true;                       // row data: columns of each row (else one array for all rows)
  bool differentiable = false;               // the output has its gradient: grad (the first), grad_NAME
  char short_name = 0;                       // -w
  bool unsqueezes_last = false;              // of INPUT's shape without its last dim: one a row (gaussian's var)
  std::string_view alias = "";               // another option name (--targets for torchvision's targets)
  std::string option() const;                // "--pos-weight"
};

// A parameter: an option named after the framework's keyword argument.
enum class ParamType { Flag, Integer, Number, Choice, Text };  // Text: checked by its store
struct Param {
  std::string_view name = "";                // option name without "--": "label-smoothing", "margin"
  ParamType type = ParamType::Number;
  std::string_view default_value = "";       // as typed; "" = none (unset, or chosen from the data)
  std::string_view help = "";
  std::vector<std::string_view> choices = {};
  double min = -std::numeric_limits<double>::infinity(), max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;   // the range excludes that end
  std::string_view error = "";               // the framework's message for a value out of range ("{}": the value)
  std::string_view alias = "";               // another option name ("axis" for "dim")
  std::string_view unset = "null";           // --partial's record (JSON) when there is no value
  // Where a checked value goes; nullptr: Settings::numbers[name with underscores].
  void (*store)(Settings&, const std::string& value) = nullptr;
  // The values `expect` tries besides the default; empty: the table's grid
  // for parameters of this name (grid_of).
  std::vector<std::string_view> grid = {};
  std::string key() const;                   // the framework's keyword: "label_smoothing"
};

// The values `expect` tries for a parameter besides its default: its own
// grid, else the table's by name (label smoothing 0.05/0.1/0.2; epsilons
// 1e-7/1e-8/1e-12/1e-15 and float32's; deltas, margins and betas 0.5/1/2;
// a flag's other value). Values equal to the default are left out.
std::vector<std::string> grid_of(const Param& p);

// Sets a parameter's value (checked already) in `s`, as the CLI does: its
// store, else Settings::numbers under its keyword; and its text.
void apply_param(Settings& s, const Param& p, const std::string& value);
// Every parameter of `fn` at its default.
Settings default_settings(const struct FunctionSpec& fn);

struct FunctionSpec {
  std::string_view name;                     // canonical
  std::vector<std::string_view> aliases;     // other names, qualified names, class names
  Family family;
  std::string_view summary;
  std::vector<DataArg> args;                 // in the framework's order; the first is INPUT
  std::vector<Param> params;
  std::vector<Reduction> reductions;         // empty: an activation (no loss, no -r)
  Reduction default_reduction;
  DimDefault dim_default;
  Layout layout;
  Holds holds;
  OpFn run_float, run_double;
  // --dtype bfloat16 / float16 (the settings say which); nullptr: not emulated.
  OpFn run_reduced = nullptr;
  // torch 1.13's own error for this function on a CPU bfloat16 tensor, where
  // it has no kernel ("" where it runs one).
  std::string_view bf16_cpu_error = "";
  // --explain's steps for one sample of an elementwise loss; without it the
  // binary cross-entropy walkthrough (the older functions).
  explain::ElementwiseSteps explain_steps = nullptr;
  // With explain_steps: the entries (or "input", "target") whose rows along
  // dim 0 are a sample's arguments, instead of the layout's slices.
  std::vector<std::string_view> explain_rows = {};
  // Elementwise, with explain_steps: result entries of the compared shape
  // whose slices follow the data arguments (hinge's labels as used).
  std::vector<std::string_view> explain_entries = {};
  // Each sample meets every other (circle, ntxent): row data is read whole,
  // never reduced block by block, and --partial is refused.
  bool whole_batch = false;

  // The op in the settings' dtype, with --log-base applied: what a run, a
  // stream's block and an expect candidate compute.
  Result run(const Data& d, const Settings& s) const;
  const DataArg* arg(std::string_view name) const;
  const Param* param(std::string_view name) const;
  bool takes_target() const { return arg("target") != nullptr; }
  // What INPUT holds under these settings (--from-logits: logits).
  Holds input_holds(const Settings& s) const { return s.from_logits ? Holds::Logits : holds; }
  bool is_loss() const { return !reductions.empty(); }
  // The data arguments that rows carry, in order (INPUT first).
  std::vector<const DataArg*> row_args() const;
};

const std::vector<FunctionSpec>& functions();

// Data argument `name` of `fn` in `d`: the first is d.input, target, weight
// and pos_weight have fields, every other one is in d.more.
void put_arg(Data& d, const FunctionSpec& fn, std::string_view name, Tensor t);
const Tensor* get_arg(const Data& d, const FunctionSpec& fn, std::string_view name);

// By canonical name or alias; nullptr if none.
const FunctionSpec* find_function(std::string_view name);
// The qualified names of a name two frameworks share unqualified
// (hinge_loss: optax.hinge_loss, sklearn.hinge_loss); empty if none.
std::vector<std::string_view> ambiguous_name(std::string_view name);
// The row behind a request's canonical name: a function's, or compare's.
const FunctionSpec& spec_of(std::string_view canonical);

std::string_view family_name(Family f);

// Tools: subcommands that are not a framework's function.
enum class ToolKind { Compare, Expect, Merge, Functions, Completion };
struct ToolSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  ToolKind kind;
  std::string_view summary;
  std::string_view usage;  // its arguments, for --help
};
const std::vector<ToolSpec>& tools();
const ToolSpec* find_tool(std::string_view name);

// compare reads data and parameters as a function does: its row is not in
// functions() (it computes no framework's loss of its own).
const FunctionSpec& compare_spec();
// expect's data and options (VALUE comes before them): its row, not a function's.
const FunctionSpec& expect_spec();

// The settings a run uses: the reduction and the class dim resolved to the
// function's defaults for this data, as compute() resolves them.
Settings resolved_settings(const FunctionSpec& fn, const Data& data, Settings s);

}  // namespace losscalc
