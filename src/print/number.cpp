#include "print/number.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

namespace losscalc::print {

void append_shortest(std::string& out, double v, bool json) {
  if (std::isnan(v)) {
    out += json ? "\"NaN\"" : "nan";
  } else if (std::isinf(v)) {
    out += json ? (v > 0 ? "\"Infinity\"" : "\"-Infinity\"") : (v > 0 ? "inf" : "-inf");
  } else {
    // As Python's repr: fixed notation from 1e-4 up to 1e16, else scientific.
    char buf[64];
    const double a = std::fabs(v);
    const auto fmt = (a == 0 || (a >= 1e-4 && a < 1e16)) ? std::chars_format::fixed : std::chars_format::scientific;
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, fmt);
    (void)ec;
    out.append(buf, end);
  }
}

std::string shortest(double v) {
  std::string s;
  append_shortest(s, v);
  return s;
}

std::string json_number(double v) {
  std::string s;
  append_shortest(s, v, true);
  return s;
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return shortest(v);
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

namespace {
std::string sci(double v, int precision) {
  if (!std::isfinite(v)) return shortest(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", precision, v);
  return buf;
}
}  // namespace

TorchFormatter::TorchFormatter(const std::vector<double>& values, int precision) : precision_(precision) {
  // As torch/_tensor_str.py: the mode comes from the finite non-zero values.
  double lo = INFINITY, hi = 0;
  bool any = false;
  for (double v : values) {
    if (!std::isfinite(v) || v == 0) continue;
    any = true;
    lo = std::min(lo, std::fabs(v));
    hi = std::max(hi, std::fabs(v));
    if (v != std::ceil(v)) int_mode_ = false;
  }
  if (!any) return;
  if (int_mode_) {
    sci_mode_ = hi / lo > 1000.0 || hi > 1e8;
  } else {
    sci_mode_ = hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4;
  }
  for (double v : values) {
    if (!std::isfinite(v) || v == 0) continue;
    int w;
    if (sci_mode_)
      w = static_cast<int>(sci(v, precision_).size());
    else if (int_mode_)
      w = static_cast<int>(fixed(v, 0).size()) + 1;
    else
      w = static_cast<int>(fixed(v, precision_).size());
    width_ = std::max(width_, w);
  }
}

std::string TorchFormatter::format(double v) const {
  std::string s;
  if (sci_mode_) {
    s = sci(v, precision_);
  } else if (int_mode_) {
    s = fixed(v, 0);
    if (std::isfinite(v)) s += ".";
  } else {
    s = fixed(v, precision_);
  }
  if (static_cast<int>(s.size()) < width_) s.insert(0, static_cast<std::size_t>(width_) - s.size(), ' ');
  return s;
}

namespace {

constexpr std::int64_t kThreshold = 1000;  // torch's print threshold
constexpr std::int64_t kEdgeItems = 3;     // torch's edgeitems
constexpr int kLineWidth = 80;             // torch's linewidth

struct Printer {
  const Tensor& t;
  bool summarize;
  std::vector<std::int64_t> strides;

  // The indices kept along a dim of size n.
  std::vector<std::int64_t> kept(std::int64_t n) const {
    std::vector<std::int64_t> k;
    if (summarize && n > 2 * kEdgeItems) {
      for (std::int64_t i = 0; i < kEdgeItems; ++i) k.push_back(i);
      k.push_back(-1);  // the "..." marker
      for (std::int64_t i = n - kEdgeItems; i < n; ++i) k.push_back(i);
    } else {
      for (std::int64_t i = 0; i < n; ++i) k.push_back(i);
    }
    return k;
  }

  void collect(std::size_t d, std::int64_t offset, std::vector<double>& out) const {
    if (d == t.shape.size()) {
      out.push_back(t.data[static_cast<std::size_t>(offset)]);
      return;
    }
    for (auto i : kept(t.shape[d]))
      if (i >= 0) collect(d + 1, offset + i * strides[d], out);
  }

  std::string str(std::size_t d, std::int64_t offset, int indent, const TorchFormatter& f) const {
    if (t.shape.empty()) return f.format(t.data[0]);
    if (d + 1 == t.shape.size()) {
      std::vector<std::string> items;
      for (auto i : kept(t.shape[d])) items.push_back(i < 0 ? " ..." : f.format(t.data[static_cast<std::size_t>(offset + i)]));
      const int per_line = std::max(1, (kLineWidth - indent) / (f.width() + 2));
      std::string s = "[";
      for (std::size_t k = 0; k < items.size(); ++k) {
        if (k) s += (k % static_cast<std::size_t>(per_line) == 0) ? ",\n" + std::string(static_cast<std::size_t>(indent) + 1, ' ') : ", ";
        s += items[k];
      }
      return s + "]";
    }
    const std::size_t rest = t.shape.size() - d;
    const std::string sep = "," + std::string(rest - 1, '\n') + std::string(static_cast<std::size_t>(indent) + 1, ' ');
    std::string s = "[";
    bool first = true;
    for (auto i : kept(t.shape[d])) {
      if (!first) s += sep;
      first = false;
      s += i < 0 ? "..." : str(d + 1, offset + i * strides[d], indent + 1, f);
    }
    return s + "]";
  }
};

}  // namespace

std::string torch_tensor(const Tensor& t, int precision, bool full, int indent) {
  Printer p{t, !full && numel(t.shape) > kThreshold, std::vector<std::int64_t>(t.shape.size(), 1)};
  for (std::size_t d = t.shape.size(); d-- > 1;) p.strides[d - 1] = p.strides[d] * t.shape[d];
  if (!t.shape.empty() && numel(t.shape) == 0) return "[]";
  std::vector<double> shown;
  if (p.summarize)
    p.collect(0, 0, shown);
  TorchFormatter f(p.summarize ? shown : t.data, precision);
  return p.str(0, 0, indent, f);
}

}  // namespace losscalc::print
