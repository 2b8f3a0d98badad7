// --explain: rebuilds, for a few samples, the calculation a person does by
// hand (max, exponentials, sums, the picked log-probability, weights,
// smoothing, the reduction with its denominator, the gradient), with the
// actual numbers. It reads the computed Result and the data; it prints
// nothing: the printers lay the sections out.
#pragma once

#include <cstdint>
#include <vector>

#include "request.h"
#include "result.h"

namespace losscalc::explain {

// How many samples are explained when none are picked.
inline constexpr std::int64_t kDefaultSamples = 3;

// One sample's steps of an elementwise loss from its values x and target y
// (broadcast to one shape): a table row's own walkthrough.
using ElementwiseSteps = void (*)(const std::vector<double>& x, const std::vector<double>& y, const Settings& settings,
                                  std::vector<Step>& steps);

// mse_loss: d = x - y, d^2.
void squared_error_steps(const std::vector<double>& x, const std::vector<double>& y, const Settings& settings,
                         std::vector<Step>& steps);

// Adds r.explanation and r.explain_note. `settings` are resolved (dim and
// reduction set); `picks` are sample (position) indices, empty = the first few.
void explain(const std::string& function, const Data& data, const Settings& settings,
             const std::vector<std::int64_t>& picks, Result& r);

}  // namespace losscalc::explain
