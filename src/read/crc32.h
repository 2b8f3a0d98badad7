// CRC-32 (zip's, zlib's crc32()) over a byte range, by carry-less
// multiplication where the CPU has it (PCLMULQDQ: about four times zlib's
// table-driven speed), else by zlib. Same contract as zlib's crc32(): `crc`
// is the value of the bytes before these (0 for none), the result that of
// them all.
#pragma once

#include <cstddef>
#include <cstdint>

namespace losscalc::read {

std::uint32_t crc32_update(std::uint32_t crc, const void* bytes, std::size_t n);

// Whether crc32_update() uses carry-less multiplication on this machine
// (of 128-bit registers, or of 256-bit ones where AVX2 and VPCLMULQDQ are).
bool crc32_folds();
// The widest registers crc32_update() may fold in: 256 (the default), 128,
// or 0 for zlib alone; for tests of each path. Returns the previous limit.
int crc32_limit(int bits);

}  // namespace losscalc::read
