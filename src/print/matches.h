// expect's output: the matches (or the nearest) as text, -q lines or JSON.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "expect.h"
#include "request.h"

namespace losscalc::print {

struct ExpectShown {
  std::string typed;       // VALUE as typed
  bool tolerance_given = false;
  bool explain_search = false;
  // The words of the losscalc command that reproduces a candidate, data included.
  std::function<std::vector<std::string>(const Candidate&)> argv;
};

std::string expect(const ExpectResult& r, const ExpectQuery& q, const ExpectShown& shown, const OutputOptions& o);

}  // namespace losscalc::print
