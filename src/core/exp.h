// exp of many non-positive values at once (softmax's x - max), vectorised:
// the same bits on every x86-64 (the AVX2 and SSE2 builds of the loop do the
// same IEEE operations in the same order), within 0.73 ulp of exp (glibc's
// std::exp: 0.51; torch's vectorised exp: 1).
#pragma once

#include <cstddef>

namespace losscalc::core {

// out[i] = exp(in[i]); in == out is allowed. Values below -708 (a subnormal
// or zero result), above 0, and NaN get std::exp.
void exp_nonpositive(const double* in, double* out, std::size_t n);

}  // namespace losscalc::core
