#include "core/reduced_precision.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace losscalc::core {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Round to `bits` significant bits with the format's smallest normal
// exponent `min_exp` (below it: the subnormals' fixed quantum) and its
// largest finite value `max`. nearbyint rounds ties to even.
double round_format(double x, int bits, int min_exp, double max) {
  if (!std::isfinite(x) || x == 0) return x;
  const int q = std::max(std::ilogb(x), min_exp) - (bits - 1);
  const double r = std::ldexp(std::nearbyint(std::ldexp(x, -q)), q);
  return std::fabs(r) > max ? std::copysign(kInf, x) : r;
}

// float arithmetic on two values of the format, then the format's rounding:
// c10::BFloat16's and c10::Half's operators compute in float.
double add_in(Half h, double a, double b) {
  return round_to(h, static_cast<double>(static_cast<float>(a) + static_cast<float>(b)));
}
double div_in(Half h, double a, double b) {
  return round_to(h, static_cast<double>(static_cast<float>(a) / static_cast<float>(b)));
}

// How far torch's float sum of n exponentials (exp within an ulp, added in
// any order) can be from their exact sum, relative to it: 2 ulps for the
// exps, (n - 1) roundings of at most half an ulp each, with room to spare.
double sum_bound(std::int64_t n) { return (std::ldexp(1.0, -22) + static_cast<double>(n) * std::ldexp(1.0, -24)) * 1.01; }
// One float exp or log: within 2 ulps (glibc's, SLEEF's u10, CUDA's).
const double kUlps2 = std::ldexp(1.0, -22);

struct Row {
  std::vector<double> d;  // float(x - max), as torch forms it
  double max = 0, sum = 0;  // sum: of exp(d), in double
  bool finite = true;
};

// The max of position p's classes: NaN if any is NaN.
double column_max(const Layout& layout, const Vec<double>& x, std::int64_t p) {
  const double* xs = x.data() + layout.base(p);
  double m = -kInf;
  bool nan = false;
  for (std::int64_t c = 0; c < layout.classes; ++c) {
    const double v = xs[c * layout.inner];
    if (std::isnan(v)) nan = true;
    m = std::max(m, v);
  }
  return nan ? std::numeric_limits<double>::quiet_NaN() : m;
}

// Position p's classes less `max` (in float) and the sum of their exponentials.
Row row_at(const Layout& layout, const Vec<double>& x, std::int64_t p, double max) {
  Row r;
  const double* xs = x.data() + layout.base(p);
  r.max = max;
  r.d.resize(static_cast<std::size_t>(layout.classes));
  for (std::int64_t c = 0; c < layout.classes; ++c) {
    const float v = static_cast<float>(static_cast<float>(xs[c * layout.inner]) - static_cast<float>(r.max));
    r.d[static_cast<std::size_t>(c)] = v;
    r.sum += std::exp(static_cast<double>(v));
  }
  r.finite = std::isfinite(r.sum);
  return r;
}

Row row_of(const Layout& layout, const Vec<double>& x, std::int64_t p) { return row_at(layout, x, p, column_max(layout, x, p)); }

// torch 1.13's bfloat16 kernels over a dim that is not the last
// (SoftMaxKernel.cpp, _vec_softmax and _vec_logsoftmax) run the inner
// positions of each outer index in vectors of Vectorized<BFloat16>::size()
// = 16 lanes (AVX2) from inner position 0, and the inner % 16 left over
// one at a time in scalar code.
constexpr std::int64_t kLanes = 16;
bool vector_lane(const Layout& layout, std::int64_t p) {
  return p % layout.inner < layout.inner - layout.inner % kLanes;
}

// The max torch 1.13's bfloat16 log_softmax over a non-last dim subtracts at
// position p. Its vector path keeps the max in float, as two 8-lane halves,
// and the upper half (lanes 8..15) subtracts the max of the lower half's
// lane (lane - 8) -- found against torch, not the position's own max: the
// result differs only by rounding (log_softmax is unchanged by a shift) until
// exp(x - max) overflows or underflows float. That max is taken as
// blendv(max, x, x > max) from -inf: a NaN class is passed over.
double log_softmax_max(const Layout& layout, const Vec<double>& x, std::int64_t p) {
  if (!vector_lane(layout, p) || (p % layout.inner) % kLanes < kLanes / 2) return column_max(layout, x, p);
  const double* xs = x.data() + layout.base(p - kLanes / 2);
  double m = -kInf;
  for (std::int64_t c = 0; c < layout.classes; ++c)
    if (xs[c * layout.inner] > m) m = xs[c * layout.inner];
  return m;
}

// exp of a float as torch 1.13's Vectorized<float>::exp computes it on an
// AVX2 machine: SLEEF's expf u10 (Sleef_expf8_u10): x = q ln 2 + s with q
// the nearest integer to x / ln 2 and ln 2 in two parts, exp(s) by a degree-6
// polynomial in fused multiply-adds, then 2^q in two halves. Checked against
// torch.exp on 8,000,000 floats (scale 5 and 30): all bit-identical.
float torch_expf(float x) {
  const int q = static_cast<int>(std::nearbyint(x * 1.442695040888963407359924681001892137426645954152985934135449406931f));
  const auto qf = static_cast<float>(q);
  float s = std::fma(qf, -0.693145751953125f, x);
  s = std::fma(qf, -1.428606765330187045e-06f, s);
  float u = 0.000198527617612853646278381f;
  for (float c : {0.00139304355252534151077271f, 0.00833336077630519866943359f, 0.0416664853692054748535156f,
                  0.166666671633720397949219f, 0.5f})
    u = std::fma(u, s, c);
  u = 1.0f + std::fma(s * s, u, s);
  const int half = q >> 1;
  u = u * std::ldexp(1.0f, half) * std::ldexp(1.0f, q - half);
  if (x < -104) u = 0;
  if (x > 100) u = std::numeric_limits<float>::infinity();
  return std::isnan(x) ? x : u;
}

// Two float steps toward -inf / +inf: where SLEEF's u10 and glibc's float
// exp and log (within an ulp of the exact value) can land from the exact
// value rounded to float.
float down2(float v) {
  const float inf = std::numeric_limits<float>::infinity();
  return std::nextafter(std::nextafter(v, -inf), -inf);
}
float up2(float v) {
  const float inf = std::numeric_limits<float>::infinity();
  return std::nextafter(std::nextafter(v, inf), inf);
}

// Over a non-last dim each lane adds its classes' exponentials in class
// order in float, with torch's float exp: SLEEF's (torch_expf) in the
// vector lanes, glibc's expf (the same library's here) in the scalar ones.
// That sum, formed the same way, is torch's.
float exp_torch(double d, bool vector) { return vector ? torch_expf(static_cast<float>(d)) : std::exp(static_cast<float>(d)); }
float float_sum(const std::vector<double>& d, bool vector) {
  float s = 0;
  for (const double v : d) s += exp_torch(v, vector);
  return s;
}

// torch's float log of that sum: glibc's logf in the scalar lanes; in the
// vector ones SLEEF's, within an ulp of the exact log: two float steps
// either side of it rounded to float bound it.
struct FloatLog {
  float value, lo, hi;
};
FloatLog float_log(float sum, bool vector) {
  if (std::isnan(sum) || !vector) {
    const float l = std::log(sum);
    return {l, l, l};
  }
  const auto l = static_cast<float>(std::log(static_cast<double>(sum)));
  return {l, down2(l), up2(l)};
}

void put(Bounded& b, const Layout& layout, std::int64_t p, std::int64_t c, double v, double lo, double hi) {
  const std::int64_t i = layout.base(p) + c * layout.inner;
  b.value[i] = v;
  b.lo[i] = lo;
  b.hi[i] = hi;
}

Bounded sized(std::int64_t n) { return {Vec<double>(n), Vec<double>(n), Vec<double>(n)}; }

}  // namespace

// Through float first, as torch converts a double (and as a pasted value
// reaches a model, in a float32 tensor).
double to_bfloat16(double x) { return round_format(static_cast<float>(x), 8, -126, std::ldexp(255.0, 120)); }
double to_float16(double x) { return round_format(static_cast<float>(x), 11, -14, 65504.0); }

Vec<double> round_to(Half h, const Vec<double>& x) {
  return x.unaryExpr([h](double v) { return round_to(h, v); });
}

std::int64_t Bounded::uncertain() const {
  std::int64_t n = 0;
  for (Eigen::Index i = 0; i < lo.size(); ++i)
    if (!(lo[i] == hi[i]) && !(std::isnan(lo[i]) && std::isnan(hi[i]))) ++n;
  return n;
}

Bounded reduced_log_softmax(Half h, const Layout& layout, bool last_dim, const Vec<double>& x) {
  Bounded b = sized(x.size());
  const double rel = sum_bound(layout.classes);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const Row r = row_of(layout, x, p);
    if (h == Half::BFloat16 && last_dim) {
      // _vec_log_softmax_lastdim: bf16(sum), bf16(log of it), then the
      // output x - max - logsum in float, rounded once.
      const auto logsum = [&](double s, double slack) { return to_bfloat16(std::log(s) + slack); };
      const double s = to_bfloat16(r.sum), s_lo = to_bfloat16(r.sum * (1 - rel)), s_hi = to_bfloat16(r.sum * (1 + rel));
      const double l = logsum(s, 0);
      const double l_lo = r.finite ? logsum(s_lo, -std::fabs(std::log(s_lo)) * kUlps2) : l;
      const double l_hi = r.finite ? logsum(s_hi, std::fabs(std::log(s_hi)) * kUlps2) : l;
      const auto out = [](double d, double ls) {
        return to_bfloat16(static_cast<double>(static_cast<float>(d) - static_cast<float>(ls)));
      };
      for (std::int64_t c = 0; c < layout.classes; ++c) {
        const double d = r.d[static_cast<std::size_t>(c)];
        put(b, layout, p, c, out(d, l), out(d, l_hi), out(d, l_lo));
      }
      continue;
    }
    if (h == Half::BFloat16) {
      // Over another dim (_vec_logsoftmax): max, x - max, exp, sum and log
      // in float in the vector lanes and the scalar ones alike, then
      // (x - max) - log(sum) rounded once; the vector lanes' max as
      // log_softmax_max says.
      const double m = log_softmax_max(layout, x, p);
      const Row s = std::isnan(m) || m == r.max ? r : row_at(layout, x, p, m);
      const bool vector = vector_lane(layout, p);
      const FloatLog l = float_log(float_sum(s.d, vector), vector);
      const auto out = [](double d, float ls) { return to_bfloat16(static_cast<double>(static_cast<float>(d) - ls)); };
      for (std::int64_t c = 0; c < layout.classes; ++c) {
        const double d = s.d[static_cast<std::size_t>(c)];
        const double v = out(d, l.value);
        if (std::isnan(v))
          put(b, layout, p, c, v, v, v);
        else
          put(b, layout, p, c, v, out(d, l.hi), out(d, l.lo));
      }
      continue;
    }
    // The float32 result rounded once (CUDA's half kernels; float16 over
    // any dim): (x - max) - log(sum). torch's float log of its float sum is
    // within the sum's bound and the log's 2 ulps of log(sum): float bounds
    // of it, then the float arithmetic on them (monotone).
    const double l = std::log(r.sum), slack = rel + std::fabs(l) * kUlps2;
    const float l_nom = static_cast<float>(l);
    const float l_lo = std::nextafter(static_cast<float>(l - slack), -std::numeric_limits<float>::infinity());
    const float l_hi = std::nextafter(static_cast<float>(l + slack), std::numeric_limits<float>::infinity());
    const float m = static_cast<float>(r.max);
    const double* xs = x.data() + layout.base(p);
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const float xc = static_cast<float>(xs[c * layout.inner]);
      const auto out = [&](float ls) {
        const float o = (xc - m) - ls;
        return round_to(h, static_cast<double>(o));
      };
      const double v = out(l_nom);
      if (!r.finite)
        put(b, layout, p, c, v, v, v);
      else
        put(b, layout, p, c, v, out(l_hi), out(l_lo));
    }
  }
  return b;
}

Bounded reduced_softmax(Half h, const Layout& layout, bool last_dim, const Vec<double>& x) {
  // Every path forms exp(x - max) and the sum in float and rounds
  // exp * (1 / sum) (or exp / sum) once, but for torch 1.13's bfloat16
  // scalar positions over a non-last dim (_vec_softmax's tail): they store
  // exp(x - max) as bfloat16 and divide that by the float sum.
  Bounded b = sized(x.size());
  const double rel = sum_bound(layout.classes) + kUlps2 + std::ldexp(1.0, -23);
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const Row r = row_of(layout, x, p);
    if (h == Half::BFloat16 && !last_dim) {
      // The lane's float sum in class order (float_sum) and a float
      // division, all as torch forms them: certain.
      const bool stored = !vector_lane(layout, p);
      const float sum = float_sum(r.d, !stored);
      for (std::int64_t c = 0; c < layout.classes; ++c) {
        const float e = exp_torch(r.d[static_cast<std::size_t>(c)], !stored);
        const double v = to_bfloat16(static_cast<double>((stored ? static_cast<float>(to_bfloat16(e)) : e) / sum));
        put(b, layout, p, c, v, v, v);
      }
      continue;
    }
    for (std::int64_t c = 0; c < layout.classes; ++c) {
      const double q = std::exp(r.d[static_cast<std::size_t>(c)]) / r.sum;
      const double v = round_to(h, q);
      if (!std::isfinite(q) || q == 0)
        put(b, layout, p, c, v, v, v);
      else
        put(b, layout, p, c, v, round_to(h, q * (1 - rel)), round_to(h, q * (1 + rel)));
    }
  }
  return b;
}

namespace {

// torch 1.13's CPU nll_loss / nll_loss2d reduction in the format: an
// 8-level cascade of partial sums (every add rounded), element b added into
// level 0 and, while the j-th k-bit group of b is zero, level j carried into
// level j + 1; the levels added in order at the end.
struct Cascade {
  double level[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int k;
  explicit Cascade(std::int64_t n) {
    int ceil_log2 = 0;
    while ((std::int64_t{1} << ceil_log2) < n) ++ceil_log2;
    k = std::max(4, ceil_log2 / 8);
  }
  void add(std::int64_t b, double v, bool subtract) {
    level[0] = add_in(Half::BFloat16, level[0], subtract ? -v : v);
    const std::int64_t mask = (std::int64_t{1} << k) - 1;
    for (int j = 0; j + 1 < 8; ++j) {
      if ((b & (mask << (j * k))) != 0) break;
      level[j + 1] = add_in(Half::BFloat16, level[j + 1], level[j]);
      level[j] = 0;
    }
  }
  double total() const {
    double s = 0;
    for (double l : level) s = add_in(Half::BFloat16, s, l);
    return s;
  }
};

// CUDA's 2-D nll_loss reduction: 32 threads each sum a strided slice in
// float, thread 0 adds the 32 partials in float.
struct Strided {
  float part[32] = {};
  void add(std::int64_t b, double v) { part[b % 32] += static_cast<float>(v); }
  double total() const {
    float s = 0;
    for (float v : part) s += v;
    return s;
  }
};

}  // namespace

double bf16_total_weight(const Layout& layout, std::int64_t input_dims, const Index& target, const Vec<double>& weight,
                         std::int64_t ignore_index) {
  const auto w = [&](std::int64_t p) { return weight.size() ? weight[target[p]] : 1.0; };
  if (input_dims == 1) return target[0] == ignore_index ? 0.0 : to_bfloat16(w(0));  // one unbatched sample: its weight
  const std::int64_t n = layout.positions();
  Cascade weights(n);
  std::int64_t counted = 0;
  for (std::int64_t p = 0; p < n; ++p) {
    if (target[p] == ignore_index) continue;
    ++counted;
    weights.add(p, w(p), false);
  }
  return weight.size() ? weights.total() : to_bfloat16(static_cast<double>(counted));
}

Bounded reduced_nll(Half h, const Layout& layout, std::int64_t input_dims, const Bounded& log_probs, const Index& target,
                    const Vec<double>& weight, std::int64_t ignore_index, Reduction reduction) {
  const std::int64_t n = layout.positions();
  const bool k_dim = input_dims > 2;
  // The term of each position, -w * x (the product rounded), and its bounds;
  // a negative weight swaps them.
  Bounded term = sized(n);
  Vec<double> w = Vec<double>::Zero(n);
  for (std::int64_t p = 0; p < n; ++p) {
    const std::int64_t y = target[p];
    if (y == ignore_index) {
      term.value[p] = term.lo[p] = term.hi[p] = 0;
      continue;
    }
    const std::int64_t i = layout.base(p) + y * layout.inner;
    w[p] = weight.size() ? weight[y] : 1.0;
    const double a = -round_to(h, log_probs.hi[i] * w[p]), z = -round_to(h, log_probs.lo[i] * w[p]);
    term.value[p] = -round_to(h, log_probs.value[i] * w[p]);
    term.lo[p] = std::min(a, z);
    term.hi[p] = std::max(a, z);
  }
  if (reduction == Reduction::None) return term;
  const bool mean = reduction != Reduction::Sum;
  const auto reduce = [&](const Vec<double>& t) -> double {
    if (h == Half::BFloat16) {
      if (input_dims == 1) {
        // One unbatched sample: its term, divided by its weight for the mean.
        if (target[0] == ignore_index) return mean ? std::numeric_limits<double>::quiet_NaN() : 0.0;
        return mean ? div_in(h, t[0], round_to(h, w[0])) : t[0];
      }
      Cascade loss(n);
      for (std::int64_t p = 0; p < n; ++p)
        if (target[p] != ignore_index) loss.add(p, t[p], false);
      const double sum = loss.total();
      return mean ? div_in(h, sum, bf16_total_weight(layout, input_dims, target, weight, ignore_index)) : sum;
    }
    // float16, the CUDA convention.
    Strided loss, weights;
    for (std::int64_t p = 0; p < n; ++p) {
      if (target[p] == ignore_index) continue;
      loss.add(p, t[p]);
      weights.add(p, w[p]);
    }
    if (k_dim) {
      // nll_loss2d: half partials added atomically into a half output and a
      // half total_weight (in an order the code does not fix).
      const double sum = to_float16(loss.total()), total = to_float16(weights.total());
      return mean ? div_in(h, sum, total) : sum;
    }
    const double sum = loss.total();
    return to_float16(mean ? static_cast<double>(static_cast<float>(sum) / static_cast<float>(weights.total())) : sum);
  };
  Bounded r = sized(1);
  r.value[0] = reduce(term.value);
  const double a = reduce(term.lo), z = reduce(term.hi);
  r.lo[0] = std::min(a, z);
  r.hi[0] = std::max(a, z);
  if (std::isnan(r.value[0])) r.lo[0] = r.hi[0] = r.value[0];
  return r;
}

// ---- bfloat16 gradients -------------------------------------------------------

Vec<double> bf16_nll_backward(const Layout& layout, std::int64_t input_dims, const Index& target, const Vec<double>& weight,
                              std::int64_t ignore_index, Reduction reduction) {
  Vec<double> grad = Vec<double>::Zero(layout.positions() * layout.classes);
  // The upstream gradient of the loss, 1 (of each loss with reduction
  // none), divided in bfloat16 by the bfloat16 total weight for the mean.
  const double g = reduction != Reduction::None && reduction != Reduction::Sum
                       ? div_in(Half::BFloat16, 1.0, bf16_total_weight(layout, input_dims, target, weight, ignore_index))
                       : 1.0;
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const std::int64_t y = target[p];
    if (y == ignore_index) continue;
    grad[layout.base(p) + y * layout.inner] = -to_bfloat16((weight.size() ? weight[y] : 1.0) * g);
  }
  return grad;
}

namespace {

// gx = bf16(fma(-e, s, g)) at every class of every position, the classes
// `layout.inner` apart: e = torch_expf(out), s = bf16(the float sum of the
// position's g).
Bounded log_softmax_backward_in_float(const Layout& layout, const Bounded& out, const Vec<double>& gy) {
  Bounded gx = sized(out.value.size());
  const std::int64_t c = layout.classes, stride = layout.inner;
  for (std::int64_t p = 0; p < layout.positions(); ++p) {
    const std::int64_t at = layout.base(p);
    double sum = 0;
    for (std::int64_t k = 0; k < c; ++k) sum += gy[at + k * stride];
    const double s = to_bfloat16(sum);  // (nll_loss's gradient: one value a row, so the float sum is exact)
    // g - e s in one fused multiply-add (torch's build contracts the
    // vector multiply and subtract: a separate rounding of e s differs).
    const auto one = [&](double g, double y) {
      return to_bfloat16(std::fma(-torch_expf(static_cast<float>(y)), static_cast<float>(s), static_cast<float>(g)));
    };
    for (std::int64_t k = 0; k < c; ++k) {
      const std::int64_t i = at + k * stride;
      const double g = gy[i];
      gx.value[i] = one(g, out.value[i]);
      // Where the output is one of two values, either: g - exp(y) s is
      // monotone in y, and every rounding keeps the order.
      const double a = one(g, out.lo[i]), z = one(g, out.hi[i]);
      gx.lo[i] = std::min(a, z);
      gx.hi[i] = std::max(a, z);
      if (std::isnan(gx.value[i])) gx.lo[i] = gx.hi[i] = gx.value[i];
    }
  }
  return gx;
}

}  // namespace

Bounded bf16_log_softmax_backward(const Layout& layout, const Bounded& out, const Vec<double>& gy) {
  return log_softmax_backward_in_float(layout, out, gy);
}

}  // namespace losscalc::core
