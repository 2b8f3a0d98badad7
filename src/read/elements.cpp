#include "read/elements.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace losscalc::read {

namespace {

template <class V>
void convert(const char* p, std::size_t n, double* out) {
  for (std::size_t k = 0; k < n; ++k) {
    V v;
    std::memcpy(&v, p + k * sizeof(V), sizeof(V));
    out[k] = static_cast<double>(v);
  }
}

}  // namespace

int elem_bytes(Elem e) {
  switch (e) {
    case Elem::F64: case Elem::I64: case Elem::U64: return 8;
    case Elem::F32: case Elem::I32: case Elem::U32: return 4;
    case Elem::F16: case Elem::BF16: case Elem::I16: case Elem::U16: return 2;
    default: return 1;
  }
}

std::string elem_name(Elem e) {
  switch (e) {
    case Elem::F64: return "float64";
    case Elem::F32: return "float32";
    case Elem::F16: return "float16";
    case Elem::BF16: return "bfloat16";
    case Elem::I64: return "int64";
    case Elem::I32: return "int32";
    case Elem::I16: return "int16";
    case Elem::I8: return "int8";
    case Elem::U64: return "uint64";
    case Elem::U32: return "uint32";
    case Elem::U16: return "uint16";
    case Elem::U8: return "uint8";
    default: return "bool";
  }
}

double half_to_double(std::uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) v = std::ldexp(mantissa, -24);
  else if (exponent == 31) v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(mantissa + 1024, exponent - 25);
  return sign ? -v : v;
}

double bfloat16_to_double(std::uint16_t b) {
  // The upper half of a float32: exact.
  return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16));
}

void decode_elements(const char* p, std::size_t n, Elem e, double* out) {
  switch (e) {
    case Elem::F64: return convert<double>(p, n, out);
    case Elem::F32: return convert<float>(p, n, out);
    case Elem::F16:
    case Elem::BF16:
      for (std::size_t k = 0; k < n; ++k) {
        std::uint16_t v;
        std::memcpy(&v, p + 2 * k, 2);
        out[k] = e == Elem::F16 ? half_to_double(v) : bfloat16_to_double(v);
      }
      return;
    case Elem::I64: return convert<std::int64_t>(p, n, out);
    case Elem::I32: return convert<std::int32_t>(p, n, out);
    case Elem::I16: return convert<std::int16_t>(p, n, out);
    case Elem::I8: return convert<std::int8_t>(p, n, out);
    case Elem::U64: return convert<std::uint64_t>(p, n, out);
    case Elem::U32: return convert<std::uint32_t>(p, n, out);
    case Elem::U16: return convert<std::uint16_t>(p, n, out);
    case Elem::U8: return convert<std::uint8_t>(p, n, out);
    case Elem::Bool:
      for (std::size_t k = 0; k < n; ++k) out[k] = p[k] != 0 ? 1.0 : 0.0;
      return;
  }
}

}  // namespace losscalc::read
