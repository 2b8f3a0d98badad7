// optax's losses (optax/losses/_regression.py, _classification.py at
// 2edbcbe, 0.2.9.dev; tests/torch/OPTAX_NOTES.md), per element or per
// example as optax returns them, with the gradient JAX's autodiff gives, in
// its order where that decides NaN and inf. -r mean / sum are jnp.mean /
// jnp.sum of the returned array.
#include <cmath>
#include <limits>

#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "ops/optax_common.h"
#include "print/number.h"

namespace losscalc::ops {

namespace {

// The axis of an axis-reducing function, or JAX's message.
std::int64_t optax_axis(const Settings& s, std::int64_t ndim) { return jax_axis(s.dim.value_or(-1), ndim); }

// A logaddexp's JVP replaces +inf by 0 (jax/_src/lax/other.py).
template <class T>
T ri(T v) {
  return v == std::numeric_limits<T>::infinity() ? T(0) : v;
}
// jnp.logaddexp(a, b): max + log1p(exp(-|a - b|)), a + b where that is NaN.
template <class T>
T logaddexp(T a, T b) {
  const T d = a - b;
  if (std::isnan(d)) return a + b;
  return std::max(a, b) + std::log1p(std::exp(-std::abs(d)));
}
// The per-example values and the slopes (d example loss / d element, with
// the cotangent 1) that every function fills; finish() reduces and scales.
template <class T>
struct Parts {
  Shape shape;                  // the broadcast shape of the elements
  Shape out;                    // the returned array's shape
  core::Layout layout;          // elements to examples (an elementwise loss: one each)
  core::Vec<T> loss, dx, dt;    // per example; per element
};

template <class T>
Result finish(const Data& data, const Settings& s, Parts<T>& p, const char* target_kind, bool grad_target) {
  const std::int64_t n = p.loss.size();
  const auto f = core::forward_of<T>(p.loss);
  const auto red = core::reduce(*s.reduction, f);
  Result r = start(s, true);
  r.summary = describe(data.input, data.target ? &*data.target : nullptr, target_kind, -1) +
              (p.shape != data.input.shape ? ", compared as " + shape_str(p.shape) : "");
  add_loss(r, p.out, f, red, *s.reduction);
  if (s.loss_only) return r;
  // The cotangent of each element: its example's.
  core::Vec<T> gx(p.dx.size()), gt(p.dt.size());
  const std::int64_t classes = p.layout.classes;
  for (std::int64_t q = 0; q < n; ++q)
    for (std::int64_t c = 0; c < classes; ++c) {
      const auto at = p.layout.base(q) + c * p.layout.inner;
      gx[at] = p.dx[at] * red.upstream[q];
      if (p.dt.size()) gt[at] = p.dt[at] * red.upstream[q];
    }
  r.entries.push_back({"grad", sum_to(to_tensor(p.shape, gx), data.input.shape)});
  if (grad_target && data.target && p.dt.size()) r.entries.push_back({"grad_target", sum_to(to_tensor(p.shape, gt), data.target->shape)});
  return r;
}

// An elementwise pair: INPUT and TARGET (or 0 when none) broadcast; `exact`:
// optax's check_shapes_equal (squared_error, l2_loss).
template <class T>
Parts<T> elementwise_pair(const Data& data, bool exact, bool input_first, core::Vec<T>& x, core::Vec<T>& t) {
  check_input(data.input, false);
  Parts<T> p;
  if (!data.target) {
    p.shape = data.input.shape;
    x = to_vec<T>(data.input);
    t = core::Vec<T>::Zero(x.size());
  } else {
    if (exact && data.target->shape != data.input.shape)
      throw data_error("target", "", "Shape mismatch: got " + py_shape(data.input.shape) + " and " + py_shape(data.target->shape) + ".");
    p.shape = input_first ? jnp_broadcast(data.input.shape, data.target->shape) : jnp_broadcast(data.target->shape, data.input.shape);
    x = to_vec<T>(broadcast_to(data.input, p.shape, "input"));
    t = to_vec<T>(broadcast_to(*data.target, p.shape, "target"));
  }
  p.out = p.shape;
  p.layout = core::Layout{numel(p.shape), 1, 1};
  p.loss.resize(x.size());
  p.dx.resize(x.size());
  p.dt.resize(x.size());
  return p;
}

// Along an axis: INPUT and TARGET broadcast, examples along `axis`.
template <class T>
Parts<T> axis_pair(const Data& data, const Settings& s, bool target_first, core::Vec<T>& x, core::Vec<T>& t) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Parts<T> p;
  p.shape = target_first ? jnp_broadcast(target.shape, data.input.shape) : jnp_broadcast(data.input.shape, target.shape);
  const std::int64_t nd = static_cast<std::int64_t>(p.shape.size());
  if (nd == 0) throw data_error("input", "", "axis -1 is out of bounds for array of dimension 0");
  const std::int64_t axis = optax_axis(s, nd);
  x = to_vec<T>(broadcast_to(data.input, p.shape, "input"));
  t = to_vec<T>(broadcast_to(target, p.shape, "target"));
  p.layout = core::make_layout(p.shape, axis);
  p.out = core::positions_shape(p.shape, axis);
  p.loss.resize(p.layout.positions());
  p.dx.resize(x.size());
  p.dt.resize(x.size());
  return p;
}

// jax.nn.log_softmax of one example: sh = x - max, out = sh - log(sum(exp(sh))).
template <class T>
struct LogSoftmax {
  T max, sum;
};
template <class T>
LogSoftmax<T> log_softmax_of(const core::Layout& L, std::int64_t q, const core::Vec<T>& x, core::Vec<T>& sh, core::Vec<T>& lsm) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t c = 0; c < L.classes; ++c) m = nan_max(m, x[L.base(q) + c * L.inner]);
  T sum = 0;
  for (std::int64_t c = 0; c < L.classes; ++c) {
    const auto at = L.base(q) + c * L.inner;
    sh[at] = x[at] - m;
    sum += std::exp(sh[at]);
  }
  const T log_sum = std::log(sum);
  for (std::int64_t c = 0; c < L.classes; ++c) {
    const auto at = L.base(q) + c * L.inner;
    lsm[at] = sh[at] - log_sum;
  }
  return {m, sum};
}

enum class Kl { Plain, LogTargets, Generalized };

template <class T>
Result kl_family(const Data& data, const Settings& s, Kl kind) {
  core::Vec<T> lp, t;
  Parts<T> p = axis_pair<T>(data, s, true, lp, t);
  const auto& L = p.layout;
  for (std::int64_t q = 0; q < L.positions(); ++q) {
    T sum = 0, extra = 0;
    for (std::int64_t c = 0; c < L.classes; ++c) {
      const auto at = L.base(q) + c * L.inner;
      if (kind == Kl::LogTargets) {
        const T e = std::exp(t[at]);
        sum += e * (t[at] - lp[at]);
        p.dx[at] = -e;
        p.dt[at] = e + (t[at] - lp[at]) * e;
      } else {
        // where(targets == 0, 0, log(targets)); its gradient still divides 0 / 0.
        const T wlog = t[at] == 0 ? T(0) : std::log(t[at]);
        sum += t[at] * (wlog - lp[at]);
        p.dx[at] = -t[at];
        p.dt[at] = (wlog - lp[at]) + (t[at] == 0 ? T(0) : t[at]) / t[at];
        if (kind == Kl::Generalized) {
          extra += std::exp(lp[at]) - t[at];
          p.dx[at] = p.dx[at] + std::exp(lp[at]);
          p.dt[at] = p.dt[at] + T(-1);
        }
      }
    }
    p.loss[q] = kind == Kl::Generalized ? sum + extra : sum;
  }
  return finish(data, s, p, kind == Kl::LogTargets ? "log-targets" : "targets", true);
}

enum class Ce { Plain, Safe, Poly };

template <class T>
Result softmax_ce_family(const Data& data, const Settings& s, Ce kind) {
  core::Vec<T> x, y;
  Settings fixed = s;
  if (kind == Ce::Safe) fixed.dim = -1;  // no axis: always the last
  Parts<T> p = axis_pair<T>(data, fixed, true, x, y);
  const auto& L = p.layout;
  core::Vec<T> sh(x.size()), lsm(x.size());
  const T eps = kind == Ce::Poly ? static_cast<T>(s.number("epsilon")) : T(0);
  for (std::int64_t q = 0; q < L.positions(); ++q) {
    const auto ls = log_softmax_of(L, q, x, sh, lsm);
    T ce = 0, ysum = 0, one_minus_pt = 0, ypsum = 0;
    for (std::int64_t c = 0; c < L.classes; ++c) {
      const auto at = L.base(q) + c * L.inner;
      const T term = y[at] * lsm[at];
      ce += kind == Ce::Safe && y[at] == 0 ? T(0) : term;
      ysum += y[at];
    }
    // softmax as jax.nn.softmax computes it: exp(x - max) / its sum.
    T usum = 0;
    for (std::int64_t c = 0; c < L.classes; ++c) usum += std::exp(sh[L.base(q) + c * L.inner]);
    for (std::int64_t c = 0; c < L.classes; ++c) {
      const auto at = L.base(q) + c * L.inner;
      const T prob = std::exp(sh[at]) / usum;
      one_minus_pt += y[at] * (T(1) - prob);
      ypsum += y[at] * prob;
    }
    p.loss[q] = kind == Ce::Poly ? -ce + eps * one_minus_pt : -ce;
    for (std::int64_t c = 0; c < L.classes; ++c) {
      const auto at = L.base(q) + c * L.inner;
      // log_softmax's VJP of g = labels * (-1): g + (sum(-g) / S) exp(sh).
      const T g = y[at] * T(-1);
      if (kind == Ce::Safe) {
        const T prob = std::exp(sh[at]) / usum;
        p.dx[at] = g + ysum * prob;
      } else {
        p.dx[at] = g + (ysum / ls.sum) * std::exp(sh[at]);
      }
      p.dt[at] = -lsm[at];
      if (kind == Ce::Poly) {
        const T prob = std::exp(sh[at]) / usum;
        p.dx[at] = p.dx[at] + eps * (ypsum * prob - y[at] * prob);
        p.dt[at] = p.dt[at] + eps * (T(1) - prob);
      }
    }
  }
  return finish(data, s, p, "labels", true);
}

}  // namespace

std::string py_shape(const Shape& s) {
  std::string t = "(";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + (s.size() == 1 ? ",)" : ")");
}

Shape jnp_broadcast(const Shape& first, const Shape& second, const char* subject) {
  const std::size_t n = std::max(first.size(), second.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t a = i < n - first.size() ? 1 : first[i - (n - first.size())];
    const std::int64_t b = i < n - second.size() ? 1 : second[i - (n - second.size())];
    if (a != b && a != 1 && b != 1)
      throw data_error(subject, "", "Incompatible shapes for broadcasting: shapes=[" + py_shape(first) + ", " + py_shape(second) + "]");
    out[i] = a == 1 ? b : a;
  }
  return out;
}

std::int64_t jax_axis(std::int64_t a, std::int64_t ndim, const char* subject) {
  if (a < -ndim || a >= ndim)
    throw data_error(subject, "", "axis " + std::to_string(a) + " is out of bounds for array of dimension " + std::to_string(ndim));
  return a < 0 ? a + ndim : a;
}

template <class T>
Result optax_squared_error(const Data& data, const Settings& s) {
  core::Vec<T> x, t;
  Parts<T> p = elementwise_pair<T>(data, true, true, x, t);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const T e = x[i] - t[i];
    p.loss[i] = e * e;
    p.dx[i] = T(2) * e;
    p.dt[i] = -(T(2) * e);
  }
  return finish(data, s, p, "targets", true);
}

template <class T>
Result optax_l2_loss(const Data& data, const Settings& s) {
  core::Vec<T> x, t;
  Parts<T> p = elementwise_pair<T>(data, true, true, x, t);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const T e = x[i] - t[i];
    p.loss[i] = T(0.5) * (e * e);
    p.dx[i] = e;
    p.dt[i] = -e;
  }
  return finish(data, s, p, "targets", true);
}

template <class T>
Result optax_huber_loss(const Data& data, const Settings& s) {
  core::Vec<T> x, t;
  Parts<T> p = elementwise_pair<T>(data, false, true, x, t);
  const auto delta = static_cast<T>(s.number("delta"));
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const T e = x[i] - t[i];
    const T a = std::abs(e);
    const T q = nan_min(a, delta);
    p.loss[i] = T(0.5) * (q * q) + delta * (a - q);
    // ct_q = q - delta; ct_a = delta + ct_q where a is the min (halved at a tie).
    const T ct_q = q - delta;
    const T ct_a = delta + ct_q * (a == q ? T(1) : T(0)) / (delta == q ? T(2) : T(1));  // NaN * 0 stays NaN
    p.dx[i] = e >= 0 ? ct_a : -ct_a;
    p.dt[i] = -p.dx[i];
  }
  return finish(data, s, p, "targets", true);
}

template <class T>
Result optax_log_cosh(const Data& data, const Settings& s) {
  core::Vec<T> x, t;
  Parts<T> p = elementwise_pair<T>(data, false, true, x, t);
  const T log2 = static_cast<T>(std::log(2.0));
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const T e = x[i] - t[i];
    const T out = logaddexp(e, -e);
    p.loss[i] = out - log2;
    p.dx[i] = std::exp(ri(e) - ri(out)) - std::exp(ri(-e) - ri(out));
    p.dt[i] = -p.dx[i];
  }
  return finish(data, s, p, "targets", true);
}

template <class T>
Result optax_sigmoid_binary_cross_entropy(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  core::Vec<T> x, y;
  Parts<T> p;
  p.shape = jnp_broadcast(target.shape, data.input.shape);
  p.out = p.shape;
  x = to_vec<T>(broadcast_to(data.input, p.shape, "input"));
  y = to_vec<T>(broadcast_to(target, p.shape, "target"));
  p.layout = core::Layout{numel(p.shape), 1, 1};
  p.loss.resize(x.size());
  p.dx.resize(x.size());
  p.dt.resize(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const T sp_neg = logaddexp(-x[i], T(0)), sp_pos = logaddexp(x[i], T(0));  // softplus(-x), softplus(x)
    const T log_p = -sp_neg, log_not_p = -sp_pos;
    p.loss[i] = (-y[i]) * log_p - (T(1) - y[i]) * log_not_p;
    const T s_neg = std::exp(ri(-x[i]) - ri(sp_neg)), s_pos = std::exp(ri(x[i]) - ri(sp_pos));
    p.dx[i] = -(y[i] * s_neg) + (T(1) - y[i]) * s_pos;
    p.dt[i] = -log_p + log_not_p;
  }
  return finish(data, s, p, "labels", true);
}

// optax.sigmoid_focal_loss (optax/losses/_classification.py at 2edbcbe):
// the sigmoid BCE times (1 - p_t)^gamma, with log(1 - p_t) computed from the
// larger of y and 1 - y (stable for soft labels); alpha (default None: no
// weighting) as alpha y + (1 - alpha)(1 - y). The gradient is JAX's, with
// respect to the logits.
template <class T>
Result optax_sigmoid_focal_loss(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Parts<T> p;
  p.shape = jnp_broadcast(target.shape, data.input.shape);
  p.out = p.shape;
  const auto x = to_vec<T>(broadcast_to(data.input, p.shape, "input"));
  const auto y = to_vec<T>(broadcast_to(target, p.shape, "target"));
  p.layout = core::Layout{numel(p.shape), 1, 1};
  p.loss.resize(x.size());
  p.dx.resize(x.size());
  const T gamma = static_cast<T>(s.number("gamma"));
  const bool weighted = s.numbers.count("alpha") > 0;
  const T alpha = weighted ? static_cast<T>(s.number("alpha")) : T(0);
  // log_sigmoid(u) = -softplus(-u), and its JVP, as optax's BCE has them.
  const auto softplus = [](T u) { return logaddexp(u, T(0)); };
  const auto softplus_slope = [&](T u) { return std::exp(ri(u) - ri(softplus(u))); };
  core::Vec<T> factor(x.size()), pt(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const T sp_neg = softplus(-x[i]), sp_pos = softplus(x[i]);
    const T ce = (-y[i]) * (-sp_neg) - (T(1) - y[i]) * (-sp_pos);
    const T d_ce = -(y[i] * softplus_slope(-x[i])) + (T(1) - y[i]) * softplus_slope(x[i]);
    const bool high = y[i] >= T(0.5);
    const T yp = high ? y[i] : T(1) - y[i], xp = high ? -x[i] : x[i];
    const T z = -xp + std::log1p(-yp) - std::log(yp);
    const T log_1m_pt = -softplus(-xp) + std::log(yp) + softplus(z);
    const T d_log_1m_pt = (softplus_slope(-xp) - softplus_slope(z)) * (high ? T(-1) : T(1));
    const T focal = std::exp(gamma * log_1m_pt);
    const T d_focal = focal * (gamma * d_log_1m_pt);
    const T w = weighted ? alpha * y[i] + (T(1) - alpha) * (T(1) - y[i]) : T(1);
    p.loss[i] = weighted ? w * (ce * focal) : ce * focal;
    p.dx[i] = w * (d_ce * focal + ce * d_focal);
    factor[i] = focal;
    pt[i] = T(1) - std::exp(log_1m_pt);
  }
  Result r = finish(data, s, p, "labels", false);
  if (s.loss_only) return r;
  r.entries.insert(r.entries.end() - 1, {"p_t", to_tensor(p.shape, pt)});
  r.entries.insert(r.entries.end() - 1, {"modulating_factor", to_tensor(p.shape, factor)});
  return r;
}

template <class T>
Result optax_kl_divergence(const Data& data, const Settings& s) {
  return kl_family<T>(data, s, Kl::Plain);
}
template <class T>
Result optax_kl_divergence_with_log_targets(const Data& data, const Settings& s) {
  return kl_family<T>(data, s, Kl::LogTargets);
}
template <class T>
Result optax_generalized_kl_divergence(const Data& data, const Settings& s) {
  return kl_family<T>(data, s, Kl::Generalized);
}
template <class T>
Result optax_softmax_cross_entropy(const Data& data, const Settings& s) {
  return softmax_ce_family<T>(data, s, Ce::Plain);
}
template <class T>
Result optax_safe_softmax_cross_entropy(const Data& data, const Settings& s) {
  return softmax_ce_family<T>(data, s, Ce::Safe);
}
template <class T>
Result optax_poly_loss_cross_entropy(const Data& data, const Settings& s) {
  return softmax_ce_family<T>(data, s, Ce::Poly);
}

// logsumexp(logits) - logits[label]: take_along_axis wraps -C <= l < 0 to
// l + C and gives NaN for a label still outside [0, C); its gradient is
// then the softmax alone.
template <class T>
Result optax_softmax_cross_entropy_with_integer_labels(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& labels = require_target(data.target);
  const Shape& xs = data.input.shape;
  const std::int64_t nd = static_cast<std::int64_t>(xs.size());
  for (double v : labels.data)
    if (v != std::floor(v) || !std::isfinite(v))
      throw data_error("target", "", "Expected the input to have a dtype that is a subdtype of <class 'jax.numpy.integer'>, got float "
                                     "labels (" + print::shortest(v) + ")");
  const std::int64_t axis = optax_axis(s, nd);
  const auto label_dims = static_cast<std::int64_t>(labels.shape.size());
  if (axis > label_dims)  // expand_dims(labels, axis) first
    throw data_error("target", "", "axis " + std::to_string(axis) + " is out of bounds for array of dimension " + std::to_string(label_dims + 1));
  if (label_dims + 1 != nd)
    throw data_error("target", "", "indices and arr must have the same number of dimensions; " + std::to_string(label_dims + 1) +
                                       " vs. " + std::to_string(nd) + ".");
  const core::Layout L = core::make_layout(xs, axis);
  const Shape positions = core::positions_shape(xs, axis);
  // The labels' non-axis dims broadcast to the logits' (a size-1 one repeats).
  Shape expanded = labels.shape;
  expanded.insert(expanded.begin() + axis, 1);
  Shape against = xs;
  against[static_cast<std::size_t>(axis)] = 1;
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (expanded[i] != against[i] && expanded[i] != 1)
      throw data_error("target", "", "Incompatible shapes for broadcasting: shapes=[" + py_shape(expanded) + ", " + py_shape(against) + "]");
  const Tensor y = broadcast_to(labels, positions, "target");
  const auto x = to_vec<T>(data.input);
  const std::int64_t n = L.positions(), C = L.classes;
  Parts<T> p;
  p.shape = xs;
  p.out = positions;
  p.layout = L;
  p.loss.resize(n);
  p.dx.resize(x.size());
  for (std::int64_t q = 0; q < n; ++q) {
    T amax = -std::numeric_limits<T>::infinity();
    for (std::int64_t c = 0; c < C; ++c) amax = nan_max(amax, x[L.base(q) + c * L.inner]);
    if (!std::isfinite(amax)) amax = 0;
    T se = 0;
    for (std::int64_t c = 0; c < C; ++c) se += std::exp(x[L.base(q) + c * L.inner] - amax);
    const T lse = std::log(std::abs(se)) + amax;
    auto label = static_cast<std::int64_t>(y.data[static_cast<std::size_t>(q)]);
    if (label < 0 && label >= -C) label += C;
    const bool in_range = label >= 0 && label < C;
    const T picked = in_range ? x[L.base(q) + label * L.inner] : std::numeric_limits<T>::quiet_NaN();
    p.loss[q] = lse - picked;
    for (std::int64_t c = 0; c < C; ++c) {
      const auto at = L.base(q) + c * L.inner;
      p.dx[at] = (T(1) / std::abs(se)) * std::exp(x[at] - amax) + (in_range && c == label ? T(-1) : T(0));
    }
  }
  return finish(data, s, p, "class indices", false);
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(optax_squared_error)
LOSSCALC_INSTANTIATE(optax_l2_loss)
LOSSCALC_INSTANTIATE(optax_huber_loss)
LOSSCALC_INSTANTIATE(optax_log_cosh)
LOSSCALC_INSTANTIATE(optax_sigmoid_binary_cross_entropy)
LOSSCALC_INSTANTIATE(optax_sigmoid_focal_loss)
LOSSCALC_INSTANTIATE(optax_kl_divergence)
LOSSCALC_INSTANTIATE(optax_kl_divergence_with_log_targets)
LOSSCALC_INSTANTIATE(optax_generalized_kl_divergence)
LOSSCALC_INSTANTIATE(optax_softmax_cross_entropy)
LOSSCALC_INSTANTIATE(optax_safe_softmax_cross_entropy)
LOSSCALC_INSTANTIATE(optax_poly_loss_cross_entropy)
LOSSCALC_INSTANTIATE(optax_softmax_cross_entropy_with_integer_labels)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
