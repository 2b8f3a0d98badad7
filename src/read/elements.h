// Raw little-endian elements of the dtypes that array files hold (.npy,
// .npz, safetensors, torch storages), decoded to doubles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace losscalc::read {

enum class Elem { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, Bool };

// Bytes per element.
int elem_bytes(Elem e);
// numpy's name of it ("float32", "bfloat16", "bool").
std::string elem_name(Elem e);
// n elements at p (any alignment) as doubles. Bool is one byte: nonzero is 1.
// int64/uint64 beyond 2^53 round to the nearest double.
void decode_elements(const char* p, std::size_t n, Elem e, double* out);
// IEEE binary16 and bfloat16 bits to double, exactly (subnormals, inf, NaN).
double half_to_double(std::uint16_t h);
double bfloat16_to_double(std::uint16_t b);

}  // namespace losscalc::read
