// Test helpers: run the whole program in-process, and build core inputs.
#pragma once

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/losses.h"
#include "error.h"
#include "run.h"

namespace losscalc::testing {

struct Outcome {
  int status;
  std::string out, err;
};

inline Outcome run_cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int status = run_main(args, in, out, err);
  return {status, out.str(), err.str()};
}

// The message of the data error (exit status 1, checked) that `f` throws, or
// "no error".
template <class F>
std::string data_error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.exit_status() == 1);
    return e.what();
  }
  return "no error";
}

inline core::Vec<double> vec(std::initializer_list<double> v) {
  core::Vec<double> a(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) a[i++] = x;
  return a;
}

inline core::Index idx(std::initializer_list<std::int64_t> v) {
  core::Index a(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (auto x : v) a[i++] = x;
  return a;
}

// |a - b| <= atol + rtol |b|, NaN equal to NaN, inf to the same inf.
inline bool close(double a, double b, double rtol = 1e-12, double atol = 1e-12) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

}  // namespace losscalc::testing
