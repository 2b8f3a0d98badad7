#include "settings_record.h"

#include <cstdint>
#include <cstring>

#include "print/number.h"
#include "print/printers.h"

namespace losscalc {

namespace {

// "(5) fnv1a64:0123456789abcdef" of a tensor's shape and float64 bits.
std::string digest(const Tensor& t) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (auto d : t.shape) mix(static_cast<std::uint64_t>(d));
  for (double v : t.data) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    mix(bits);
  }
  static const char* hex = "0123456789abcdef";
  std::string out = shape_str(t.shape) + " fnv1a64:";
  for (int i = 15; i >= 0; --i) out += hex[(h >> (4 * i)) & 0xf];
  return out;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }  // names and digests: no characters to escape

}  // namespace

std::string settings_record(const FunctionSpec& fn, const Settings& s, const Data& fixed) {
  std::string out;
  auto add = [&out](const char* key, const std::string& json_value) {
    out += std::string(out.empty() ? "" : ",") + "\"" + key + "\":" + json_value;
  };
  const unsigned o = fn.options;
  if (o & kDim) add("dim", s.dim ? std::to_string(*s.dim) : quoted("default"));
  if (o & kEpsilon) add("epsilon", print::json_number(s.epsilon));
  if (o & kFromLogits) add("from_logits", s.from_logits ? "true" : "false");
  // torch's default is -100; Keras's ignore_class and compare's default is none.
  if (o & kIgnoreIndex)
    add("ignore_index", s.ignore_index ? std::to_string(*s.ignore_index) : fn.family == Family::Torch ? "-100" : "null");
  if (o & kInputKind)
    add("input_kind", quoted(s.input_kind == InputKind::Logits ? "logits" : s.input_kind == InputKind::Probabilities ? "probs" : "auto"));
  if (o & kLabelSmoothing) add("label_smoothing", print::json_number(s.label_smoothing));
  if (o & kPosWeight) add("pos_weight", fixed.pos_weight ? quoted(digest(*fixed.pos_weight)) : "null");
  if (o & kTargetType)
    add("target_type", quoted(s.target_type == TargetType::Index ? "index" : s.target_type == TargetType::Prob ? "prob" : "auto"));
  if (o & kWeight) add("weight", fixed.weight ? quoted(digest(*fixed.weight)) : "null");
  return "{" + out + "}";
}

}  // namespace losscalc
