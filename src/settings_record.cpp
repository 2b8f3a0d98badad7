#include "settings_record.h"

#include <cstdint>
#include <cstring>
#include <map>

#include "print/number.h"
#include "print/printers.h"
#include "read/text.h"

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
  // Every parameter by its keyword, and a digest of each array that is one
  // for all rows (weight, pos_weight), in key order.
  std::map<std::string, std::string> fields;
  for (auto& p : fn.params) {
    auto it = s.param_text.find(p.key());
    const std::string text = it == s.param_text.end() ? std::string(p.default_value) : it->second;
    double x = 0;
    if (text.empty()) {
      if (!p.unset.empty()) fields[p.key()] = std::string(p.unset);  // "": not recorded (--log-base)
    } else if (p.type == ParamType::Flag) fields[p.key()] = text == "true" ? "true" : "false";
    else if (p.type == ParamType::Choice) fields[p.key()] = quoted(text);
    else if (read::parse_number(text, x)) fields[p.key()] = p.type == ParamType::Integer ? std::to_string(static_cast<std::int64_t>(x)) : print::json_number(x);
  }
  for (auto& a : fn.args)
    if (!a.per_row) {
      const Tensor* t = get_arg(fixed, fn, a.name);
      fields[std::string(a.name)] = t ? quoted(digest(*t)) : "null";
    }
  std::string out;
  for (auto& [key, value] : fields) out += std::string(out.empty() ? "" : ",") + "\"" + key + "\":" + value;
  return "{" + out + "}";
}

}  // namespace losscalc
