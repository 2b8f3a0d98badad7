// expect: which function and convention give a number. The search runs the
// table's functions on the data over their reductions, dtypes, parameter
// grids and data-level departures (INPUT and TARGET swapped, 1-based
// labels), at most two departures at once, in process: nothing prints, and
// a candidate that rejects the data is skipped, never the search.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry.h"
#include "result.h"

namespace losscalc {

struct ExpectQuery {
  double value = 0;
  double tolerance = 0;
  std::optional<Family> family;
  const FunctionSpec* function = nullptr;  // only this one
};

// A data-level departure: INPUT and TARGET swapped, labels 1..C shifted
// to 0..C-1, logits given where probabilities go (a sigmoid, or a softmax
// over the class axis, applied first).
enum class Variant { Plain, Swapped, Shifted, Activated };

struct Candidate {
  const FunctionSpec* fn = nullptr;
  Reduction reduction = Reduction::Mean;
  DType dtype = DType::Float64;
  Amp amp = Amp::Off;  // --amp: INPUT in a half format, the loss in float32
  const Param* param = nullptr;  // the one parameter off its default, if any
  std::string value;             // its value
  Variant variant = Variant::Plain;
  bool weight = false, pos_weight = false, sample_weight = false;  // the user's arrays it takes
  bool three = false;            // a function of three data arguments (THIRD given)
  double loss = 0;
  std::vector<std::string> departures;  // from the function's defaults, for people
  // Where float32 is as much the framework's default as float64 (torch,
  // tf, JAX) and gives a match too: its loss, listed with this one.
  std::optional<double> float32_loss;
};

struct ExpectResult {
  std::vector<Candidate> matches;  // best first
  std::vector<Candidate> nearest;  // when nothing matches: the closest few
  std::vector<std::string> skipped;  // "keras.circle: why" (once per function and reason)
  std::size_t tried = 0;
};

// The default tolerance of a typed value: half a unit of its last digit
// ("1.2340": 5e-5, "2.3e-3": 5e-5 * 1e-3), and at least 8 units in the
// last place of a double. nullopt if it is not a number.
std::optional<double> typed_tolerance(const std::string& typed);
// The number in a typed VALUE: a number, or torch's tensor(1.2340, ...).
std::optional<std::string> value_text(const std::string& typed);

ExpectResult expect_search(const Data& data, const ExpectQuery& q);

// The data a candidate computes on: the user's, with its variant applied.
Data candidate_data(const Data& data, const Candidate& c);

// The framework call as a user writes it: F.cross_entropy(x, y,
// label_smoothing=0.1), keras.losses.CategoricalCrossentropy(...)(y_true, y_pred).
std::string framework_call(const Candidate& c);
// losscalc's options that reproduce it (after the function's name, before
// the data): -r sum, --dtype float32, --label-smoothing 0.1.
std::vector<std::string> candidate_options(const Candidate& c);

}  // namespace losscalc
