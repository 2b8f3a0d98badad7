// Numbers as text: exact (shortest round-trip) for scripts and JSON, and
// torch's tensor formatting for people.
#pragma once

#include <string>
#include <vector>

#include "tensor.h"

namespace losscalc::print {

// Shortest text that parses back to the same double: "1.3644149452875267",
// "2", "1e-05"; "nan", "inf", "-inf" for non-finite values.
std::string shortest(double v);
// shortest(v), or json_number(v) when `json`, appended to `out` (no
// temporary string: per-sample output writes millions of them).
void append_shortest(std::string& out, double v, bool json = false);

// A JSON value: shortest(v), or the strings "NaN", "Infinity", "-Infinity"
// (JSON has no non-finite numbers; these keep the output valid JSON).
std::string json_number(double v);

// Fixed notation with `decimals` digits after the point.
std::string fixed(double v, int decimals);

// torch's _Formatter: picks int / fixed / scientific mode and a common width
// from a tensor's values, then formats each value to that width.
class TorchFormatter {
 public:
  TorchFormatter(const std::vector<double>& values, int precision);
  std::string format(double v) const;
  int width() const { return width_; }

 private:
  int precision_;
  bool int_mode_ = true, sci_mode_ = false;
  int width_ = 1;
};

// A tensor the way torch prints its body (without "tensor(" and ")"):
// nested brackets, aligned columns, lines wrapped at 80 columns, and
// tensors of more than 1000 elements summarised with "..." unless `full`.
// `indent` is the column where the text starts, for continuation lines.
std::string torch_tensor(const Tensor& t, int precision, bool full, int indent);

}  // namespace losscalc::print
