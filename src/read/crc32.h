// CRC-32 (zip's, zlib's crc32()) over a byte range, by carry-less
// multiplication where the CPU has it (PCLMULQDQ: about four times zlib's
// table-driven speed), else by zlib. Same contract as zlib's crc32(): `crc`
// is the value of the bytes before these (0 for none), the result that of
// them all.
#pragma once

#include <cstddef>
#include <cstdint>

#include "read/elements.h"

namespace losscalc::read {

std::uint32_t crc32_update(std::uint32_t crc, const void* bytes, std::size_t n);

// crc32_update() of the n elements of type e at p, while they are decoded
// into out as decode_elements() does: float32, float64 and int64 in one
// pass over the bytes where the CPU folds in 256-bit registers (the CRC
// then costs next to nothing beside the decode, which waits for memory),
// the others (and other CPUs) decoded, then folded.
std::uint32_t crc32_decode(std::uint32_t crc, const char* p, std::size_t n, Elem e, double* out);

// Whether crc32_update() uses carry-less multiplication on this machine
// (of 128-bit registers, or of 256-bit ones where AVX2 and VPCLMULQDQ are).
bool crc32_folds();
// The widest registers crc32_update() may fold in: 256 (the default), 128,
// or 0 for zlib alone; for tests of each path. Returns the previous limit.
int crc32_limit(int bits);

}  // namespace losscalc::read
