// The one table of functions: canonical name, aliases, family, summary, the
// options each takes, its defaults and its op. The CLI, --help and dispatch
// all come from here; adding a function is adding a row.
#pragma once

#include <string_view>
#include <vector>

#include "request.h"
#include "explain/explain.h"
#include "result.h"

namespace losscalc {

// Options a function may take (a bit set per row).
enum Option : unsigned {
  kWeight = 1u << 0,
  kPosWeight = 1u << 1,
  kReduction = 1u << 2,
  kIgnoreIndex = 1u << 3,
  kLabelSmoothing = 1u << 4,
  kDim = 1u << 5,
  kTargetType = 1u << 6,
  kFromLogits = 1u << 7,
  kEpsilon = 1u << 8,
  kRequirePosWeight = 1u << 9,  // not an option: --pos-weight is required
  kInputKind = 1u << 10,
  kRows = 1u << 11,  // --target-column, --header, --delimiter, --partial (every loss)
};

enum class Family { Torch, TfNn, Keras, Tool };

// How the class dim defaults: torch's (1, or 0 for inputs of fewer than two
// dims), the last axis (tf.nn, keras), or left unset for the op to choose.
enum class DimDefault { TorchClass, Last, Unset };

using OpFn = Result (*)(const Data&, const Settings&);

// The shape of a function's computation, which row data, streaming and
// --explain follow: over a class axis (a softmax, class indices or
// probabilities), elementwise (the target has the input's shape, one loss
// per element), or a tool's own.
enum class Layout { ClassAxis, Elementwise, Tool };

struct FunctionSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  Family family;
  std::string_view summary;
  std::string_view input_is;   // what INPUT holds, for help: "logits", ...
  std::string_view target_is;  // what TARGET holds, for help; "" without one
  unsigned options;
  bool takes_target;
  Reduction default_reduction;
  DimDefault dim_default;
  Layout layout;
  OpFn run_float, run_double;
  // --explain's steps for one sample of an elementwise loss; without it the
  // binary cross-entropy walkthrough (the older functions).
  explain::ElementwiseSteps explain_steps = nullptr;
};

const std::vector<FunctionSpec>& functions();

// By canonical name or alias; nullptr if none.
const FunctionSpec* find_function(std::string_view name);

std::string_view family_name(Family f);

}  // namespace losscalc
