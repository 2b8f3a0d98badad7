// optax's margin, embedding and ranking losses (optax/losses/_classification.py,
// _regression.py, _self_supervised.py at 2edbcbe, 0.2.9.dev;
// tests/torch/OPTAX_NOTES.md, "Margin, embedding and ranking losses"):
// hinge_loss, perceptron_loss, multiclass_hinge_loss,
// multiclass_perceptron_loss, cosine_similarity, cosine_distance,
// triplet_margin_loss, ntxent. Each follows optax's expression in its op
// order; the gradients are JAX's reverse mode, the JVP rules transposed, at
// the kinks as JAX gives them: lax.max's ties share the cotangent 1/2 : 1/2
// (jnp.maximum, jnp.clip), jnp.max's ties share it equally among the tied
// elements, jnp.where sends 0 to the branch not taken.
#include <algorithm>
#include <cmath>
#include <limits>

#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "ops/optax_common.h"
#include "print/number.h"

namespace losscalc::ops {

namespace {

template <class T>
core::Vec<T> values_as(const Tensor& t, const Shape& shape, const char* name) {
  return to_vec<T>(broadcast_to(t, shape, name));
}

// A cotangent over `shape` summed back to an argument's shape (_unbroadcast).
template <class T>
Tensor unbroadcast(const Shape& shape, const core::Vec<T>& g, const Shape& to) {
  return sum_to(to_tensor(shape, g), to);
}

std::string compared_as(const Shape& shape, const Tensor& input) {
  return shape != input.shape ? ", compared as " + shape_str(shape) : "";
}

// ---- hinge_loss, perceptron_loss --------------------------------------------

// hinge: max(0, 1 - x * t); perceptron: max(0, (-x) * t) after
// check_shapes_equal. jnp.maximum(0, z): the cotangent of z is halved where
// z == 0 (lax.max's tie).
template <class T>
Result binary_margin(const Data& data, const Settings& s, bool perceptron) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  if (perceptron && target.shape != data.input.shape)
    throw data_error("target", "", "Shape mismatch: got " + py_shape(data.input.shape) + " and " + py_shape(target.shape) + ".");
  const Shape shape = jnp_broadcast(data.input.shape, target.shape);
  const auto x = values_as<T>(data.input, shape, "input"), t = values_as<T>(target, shape, "target");
  const Eigen::Index n = x.size();
  core::Vec<T> margin(n), z(n), loss(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const T prod = perceptron ? (-x[i]) * t[i] : x[i] * t[i];
    margin[i] = perceptron ? -prod : prod;
    z[i] = perceptron ? prod : T(1) - prod;
    loss[i] = nan_max(T(0), z[i]);
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "targets (-1 or 1)", -1) + compared_as(shape, data.input);
  const auto up = reduce_samples(r, shape, loss, s);
  r.entries.push_back({"margin", to_tensor(shape, margin)});
  if (s.loss_only) return r;
  core::Vec<T> gx(n), gt(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const T ct_z = up[i] * balanced_eq(z[i], loss[i], T(0));
    if (perceptron) {  // z = (-x) * t
      gx[i] = -(ct_z * t[i]);
      gt[i] = (-x[i]) * ct_z;
    } else {  // z = 1 - x * t
      const T ct_prod = -ct_z;
      gx[i] = ct_prod * t[i];
      gt[i] = x[i] * ct_prod;
    }
  }
  r.entries.push_back({"grad", unbroadcast(shape, gx, data.input.shape)});
  r.entries.push_back({"grad_target", unbroadcast(shape, gt, target.shape)});
  return r;
}

// ---- sparsemax_loss -----------------------------------------------------------

// jax.nn.sparse_plus(jnp.where(labels, -logits, logits)): sparse_plus(u) =
// where(u <= -1, 0, where(u >= 1, u, (u + 1)^2 / 4)). The branches not taken
// are still differentiated with a 0 cotangent (0 * inf = NaN at u = +-inf).
template <class T>
Result sparsemax(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& labels = require_target(data.target);
  Shape shape = data.input.shape;
  if (!labels.shape.empty()) {  // a 0-d condition is not broadcast (lax.select)
    const std::size_t n = std::max(labels.shape.size(), shape.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto dim = [&](const Shape& sh) { return i < n - sh.size() ? std::int64_t(1) : sh[i - (n - sh.size())]; };
      const std::int64_t a = dim(labels.shape), b = dim(data.input.shape);
      if (a != b && a != 1 && b != 1)
        throw data_error("target", "", "Incompatible shapes for broadcasting: shapes=[" + py_shape(labels.shape) + ", " +
                                           py_shape(data.input.shape) + ", " + py_shape(data.input.shape) + "]");
    }
    shape = jnp_broadcast(labels.shape, data.input.shape);
  }
  const auto x = values_as<T>(data.input, shape, "input");
  const Tensor y = broadcast_to(labels, shape, "target");
  const Eigen::Index n = x.size();
  core::Vec<T> u(n), loss(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    u[i] = y.data[static_cast<std::size_t>(i)] != 0 ? -x[i] : x[i];  // a NaN label is true
    const T q = ((u[i] + T(1)) * (u[i] + T(1))) / T(4);
    loss[i] = u[i] <= T(-1) ? T(0) : (u[i] >= T(1) ? u[i] : q);
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &labels, "labels (0 or 1; any nonzero is 1)", -1) + compared_as(shape, data.input);
  const auto up = reduce_samples(r, shape, loss, s);
  r.entries.push_back({"signed_logits", to_tensor(shape, u)});
  if (s.loss_only) return r;
  core::Vec<T> g(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const T ct_inner = u[i] <= T(-1) ? T(0) : up[i];
    const T ct_u_branch = u[i] >= T(1) ? ct_inner : T(0), ct_q = u[i] >= T(1) ? T(0) : ct_inner;
    const T ct_u = ct_u_branch + (ct_q / T(4)) * (T(2) * (u[i] + T(1)));
    const bool flip = y.data[static_cast<std::size_t>(i)] != 0;
    g[i] = -(flip ? ct_u : T(0)) + (flip ? T(0) : ct_u);
  }
  r.entries.push_back({"grad", unbroadcast(shape, g, data.input.shape)});
  return r;
}

// ---- multiclass_hinge_loss, multiclass_perceptron_loss ----------------------

// jax.nn.one_hot(labels, C): label == class; a label outside [0, C), or not
// a whole number (JAX only warns about float labels), matches none.
std::int64_t one_hot_class(double label, std::int64_t classes) {
  if (!std::isfinite(label) || label != std::floor(label) || label < 0 || label >= static_cast<double>(classes)) return -1;
  return static_cast<std::int64_t>(label);
}

bool all_whole(const Tensor& t) {
  for (double v : t.data)
    if (!std::isfinite(v) || v != std::floor(v)) return false;
  return true;
}

// hinge: max(scores + 1 - one_hot) - dot(scores, one_hot) over the last
// axis (Crammer-Singer); perceptron: max(scores) - dot(scores, one_hot).
// jnp.max's cotangent goes to the tied maxima in equal parts (ct / count).
template <class T>
Result multiclass_margin(const Data& data, const Settings& s, bool hinge) {
  check_input(data.input, false);
  const Tensor& labels = require_target(data.target);
  const Shape& ss = data.input.shape;
  if (ss.empty()) throw data_error("input", "", "tuple index out of range (scores.shape[-1] of a 0-d array: scores need a class axis)");
  const std::int64_t C = ss.back();
  Shape one_hot_shape = labels.shape;
  one_hot_shape.push_back(C);
  Shape shape;  // of the compared scores
  if (hinge) {
    shape = jnp_broadcast(ss, one_hot_shape);  // (scores + 1.0) - one_hot_labels
  } else {
    shape = jnp_broadcast(Shape(ss.begin(), ss.end() - 1), labels.shape);  // _dot_last_dim's batch dims
    shape.push_back(C);
  }
  const Shape positions(shape.begin(), shape.end() - 1);
  const auto sc = values_as<T>(data.input, shape, "input");
  const Tensor y = broadcast_to(labels, positions, "target");
  const core::Layout L = core::make_layout(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const std::int64_t n = L.positions();
  core::Vec<T> loss(n), mx(n), dot(n);
  for (std::int64_t q = 0; q < n; ++q) {
    const std::int64_t label = one_hot_class(y.data[static_cast<std::size_t>(q)], C);
    T m = -std::numeric_limits<T>::infinity(), d = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      const T v = hinge ? (sc[L.base(q) + c] + T(1)) - (c == label ? T(1) : T(0)) : sc[L.base(q) + c];
      m = c == 0 ? v : nan_max(m, v);
      d += sc[L.base(q) + c] * (c == label ? T(1) : T(0));  // NaN and inf scores make the dot NaN, as jnp.dot
    }
    mx[q] = m;
    dot[q] = d;
    loss[q] = m - d;
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &labels, "integer labels", static_cast<std::int64_t>(ss.size()) - 1) + compared_as(shape, data.input);
  if (!all_whole(labels))
    r.warnings.push_back("jax.nn.one_hot input should be integer-typed; got float labels: a label that is not a whole number matches no class");
  const auto up = reduce_samples(r, positions, loss, s);
  r.entries.push_back({"max", to_tensor(positions, mx)});
  r.entries.push_back({"label_score", to_tensor(positions, dot)});
  if (s.loss_only) return r;
  core::Vec<T> g(sc.size());
  for (std::int64_t q = 0; q < n; ++q) {
    const std::int64_t label = one_hot_class(y.data[static_cast<std::size_t>(q)], C);
    std::int64_t count = 0;
    const auto v = [&](std::int64_t c) { return hinge ? (sc[L.base(q) + c] + T(1)) - (c == label ? T(1) : T(0)) : sc[L.base(q) + c]; };
    for (std::int64_t c = 0; c < C; ++c) count += v(c) == mx[q];
    const T share = up[q] / static_cast<T>(count);  // 0 of them (a NaN max): inf or NaN, times 0 below: NaN
    for (std::int64_t c = 0; c < C; ++c)
      g[L.base(q) + c] = share * (v(c) == mx[q] ? T(1) : T(0)) + (-up[q]) * (c == label ? T(1) : T(0));
  }
  r.entries.push_back({"grad", unbroadcast(shape, g, ss)});
  return r;
}

// ---- cosine_similarity, cosine_distance --------------------------------------

// One argument's unit vectors along `axis`: n2 = sum(x^2), cl = maximum(eps,
// n2) (jnp.clip), norm = sqrt(cl), unit = x / norm.
template <class T>
struct Unit {
  Shape shape;
  core::Layout L;
  core::Vec<T> x, n2, cl, norm, unit;
};

template <class T>
Unit<T> unit_of(const Tensor& t, std::int64_t axis, T eps, const char* subject) {
  Unit<T> u;
  u.shape = t.shape;
  const std::int64_t ax = jax_axis(axis, t.dims(), subject);
  u.L = core::make_layout(t.shape, ax);
  u.x = to_vec<T>(t);
  const std::int64_t n = u.L.positions();
  u.n2.resize(n);
  u.cl.resize(n);
  u.norm.resize(n);
  u.unit.resize(u.x.size());
  for (std::int64_t q = 0; q < n; ++q) {
    T n2 = 0;
    for (std::int64_t c = 0; c < u.L.classes; ++c) {
      const T v = u.x[u.L.base(q) + c * u.L.inner];
      n2 += v * v;
    }
    u.n2[q] = n2;
    u.cl[q] = nan_max(eps, n2);
    u.norm[q] = std::sqrt(u.cl[q]);
    for (std::int64_t c = 0; c < u.L.classes; ++c) {
      const auto at = u.L.base(q) + c * u.L.inner;
      u.unit[at] = u.x[at] / u.norm[q];
    }
  }
  return u;
}

// The cotangent of x from the cotangent of unit (of x's shape).
template <class T>
core::Vec<T> unit_backward(const Unit<T>& u, const core::Vec<T>& ct_unit, T eps) {
  core::Vec<T> g(u.x.size());
  for (std::int64_t q = 0; q < u.L.positions(); ++q) {
    const T nm = u.norm[q];
    T ct_norm = 0;
    for (std::int64_t c = 0; c < u.L.classes; ++c) {
      const auto at = u.L.base(q) + c * u.L.inner;
      g[at] = ct_unit[at] / nm;                                        // div: ct / y
      ct_norm += -((ct_unit[at] * (T(1) / (nm * nm))) * u.x[at]);     // div: -((ct / y^2) x)
    }
    const T ct_cl = ct_norm * (T(0.5) / nm);                           // sqrt: g 0.5 / ans
    const T ct_n2 = ct_cl * balanced_eq(u.n2[q], u.cl[q], eps);        // maximum(eps, n2)
    for (std::int64_t c = 0; c < u.L.classes; ++c) {
      const auto at = u.L.base(q) + c * u.L.inner;
      g[at] += ct_n2 * (T(2) * u.x[at]);                               // square: g 2 x
    }
  }
  return g;
}

template <class T>
Result cosine(const Data& data, const Settings& s, bool distance) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  const std::int64_t axis = s.dim.value_or(-1);
  const T eps = static_cast<T>(s.number("epsilon"));
  const Unit<T> a = unit_of<T>(data.input, axis, eps, "input"), b = unit_of<T>(target, axis, eps, "target");
  const Shape shape = jnp_broadcast(data.input.shape, target.shape);  // a_unit * b_unit
  const std::int64_t ax = jax_axis(axis, static_cast<std::int64_t>(shape.size()));
  const core::Layout L = core::make_layout(shape, ax);
  const Shape positions = core::positions_shape(shape, ax);
  const auto au = values_as<T>(to_tensor(a.shape, a.unit), shape, "input");
  const auto bu = values_as<T>(to_tensor(b.shape, b.unit), shape, "target");
  const std::int64_t n = L.positions();
  core::Vec<T> cos(n), loss(n);
  for (std::int64_t q = 0; q < n; ++q) {
    T sum = 0;
    for (std::int64_t c = 0; c < L.classes; ++c) {
      const auto at = L.base(q) + c * L.inner;
      sum += au[at] * bu[at];
    }
    cos[q] = sum;
    loss[q] = distance ? T(1) - sum : sum;
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &target, "targets", ax) + compared_as(shape, data.input);
  const auto up = reduce_samples(r, positions, loss, s);
  if (distance) r.entries.push_back({"cos", to_tensor(positions, cos)});
  if (s.loss_only) return r;
  core::Vec<T> ct_au(au.size()), ct_bu(bu.size());
  for (std::int64_t q = 0; q < n; ++q) {
    const T ct = distance ? -up[q] : up[q];
    for (std::int64_t c = 0; c < L.classes; ++c) {
      const auto at = L.base(q) + c * L.inner;
      ct_au[at] = ct * bu[at];
      ct_bu[at] = au[at] * ct;
    }
  }
  const auto ga = unit_backward(a, to_vec<T>(unbroadcast(shape, ct_au, a.shape)), eps);
  const auto gb = unit_backward(b, to_vec<T>(unbroadcast(shape, ct_bu, b.shape)), eps);
  r.entries.push_back({"grad", to_tensor(a.shape, ga)});
  r.entries.push_back({"grad_target", to_tensor(b.shape, gb)});
  return r;
}

// ---- triplet_margin_loss ---------------------------------------------------

// jnp.power(x, norm_degree): a Python int is lax.integer_pow (binary
// exponentiation, 1 / acc for a negative power), a float lax.pow.
struct Degree {
  bool integer;
  long n;
  double value;
};

Degree degree_of(const Settings& s) {
  const double v = s.number("norm_degree");
  const std::string text = s.param_text.count("norm_degree") ? s.param_text.at("norm_degree") : "2";
  const bool integer = text.find_first_of(".eEn") == std::string::npos && std::isfinite(v) && v == std::floor(v) &&
                       std::fabs(v) < 1e9;
  return {integer, integer ? static_cast<long>(v) : 0, v};
}

template <class T>
T integer_pow(T x, long y) {
  if (y == 0) return T(1);
  const bool reciprocal = y < 0;
  if (reciprocal) y = -y;
  T acc = 0;
  bool have = false;
  while (y > 0) {
    if (y & 1) {
      acc = have ? acc * x : x;
      have = true;
    }
    y >>= 1;
    if (y > 0) x = x * x;
  }
  return reciprocal ? T(1) / acc : acc;
}

template <class T>
T power(T x, const Degree& d) {
  return d.integer ? integer_pow(x, d.n) : std::pow(x, static_cast<T>(d.value));
}

// The cotangent of x in power(x, d), for the cotangent g.
template <class T>
T power_backward(T g, T x, const Degree& d) {
  if (d.integer) {
    if (d.n == 0) return T(0);
    if (d.n == 1) return g;
    if (d.n == 2) return g * (T(2) * x);
    return g * (static_cast<T>(d.n) * integer_pow(x, d.n - 1));
  }
  const T y = static_cast<T>(d.value);
  return g * (y * std::pow(x, y - T(1)));
}

// (sum(power(u - v, degree), axis) + eps) ** (1 / degree) (lax.pow).
template <class T>
struct PairDistance {
  Shape shape, positions;
  core::Layout L;
  core::Vec<T> diff, inner, d;
};

template <class T>
PairDistance<T> pair_distance(const Tensor& u, const Tensor& v, const char* name, const Settings& s, const Degree& deg) {
  PairDistance<T> p;
  p.shape = jnp_broadcast(u.shape, v.shape, name);
  const std::int64_t ax = jax_axis(s.dim.value_or(-1), static_cast<std::int64_t>(p.shape.size()));
  p.L = core::make_layout(p.shape, ax);
  p.positions = core::positions_shape(p.shape, ax);
  const auto a = values_as<T>(u, p.shape, "anchors"), b = values_as<T>(v, p.shape, name);
  const T eps = static_cast<T>(s.number("eps"));
  const T root = static_cast<T>(1.0 / deg.value);
  p.diff = a - b;
  p.inner.resize(p.L.positions());
  p.d.resize(p.L.positions());
  for (std::int64_t q = 0; q < p.L.positions(); ++q) {
    T sum = 0;
    for (std::int64_t c = 0; c < p.L.classes; ++c) sum += power(p.diff[p.L.base(q) + c * p.L.inner], deg);
    p.inner[q] = sum + eps;
    p.d[q] = std::pow(p.inner[q], root);
  }
  return p;
}

// The cotangents of u and v (of the pair's shape) from that of d.
template <class T>
core::Vec<T> pair_backward(const PairDistance<T>& p, const core::Vec<T>& ct_d, const Degree& deg) {
  const T root = static_cast<T>(1.0 / deg.value);
  core::Vec<T> g(p.diff.size());
  for (std::int64_t q = 0; q < p.L.positions(); ++q) {
    const T ct_inner = ct_d[q] * (root * std::pow(p.inner[q], root - T(1)));  // lax.pow's JVP, a float power
    for (std::int64_t c = 0; c < p.L.classes; ++c) {
      const auto at = p.L.base(q) + c * p.L.inner;
      g[at] = power_backward(ct_inner, p.diff[at], deg);
    }
  }
  return g;
}

template <class T>
Result triplet(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor* pos = data.get("positives");
  const Tensor* neg = data.get("negatives");
  if (!pos) throw usage_error("positives", "missing POSITIVES (with row data: --column positives=SPEC)");
  if (!neg) throw usage_error("negatives", "missing NEGATIVES (with row data: --column negatives=SPEC)");
  const Degree deg = degree_of(s);
  const PairDistance<T> dp = pair_distance<T>(data.input, *pos, "positives", s, deg);
  const PairDistance<T> dn = pair_distance<T>(data.input, *neg, "negatives", s, deg);
  const Shape out = jnp_broadcast(dp.positions, dn.positions, "negatives");
  const auto pd = values_as<T>(to_tensor(dp.positions, dp.d), out, "positives");
  const auto nd = values_as<T>(to_tensor(dn.positions, dn.d), out, "negatives");
  const T margin = static_cast<T>(s.number("margin"));
  const Eigen::Index n = pd.size();
  core::Vec<T> z(n), loss(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    z[i] = (pd[i] - nd[i]) + margin;
    loss[i] = nan_max(z[i], T(0));
  }
  Result r = start(s, true);
  r.summary = "anchors " + shape_str(data.input.shape) + ", positives " + shape_str(pos->shape) + ", negatives " +
              shape_str(neg->shape) + ", norm degree " + print::shortest(deg.value);
  const auto up = reduce_samples(r, out, loss, s);
  r.entries.push_back({"distance_positive", to_tensor(dp.positions, dp.d)});
  r.entries.push_back({"distance_negative", to_tensor(dn.positions, dn.d)});
  if (s.loss_only) return r;
  core::Vec<T> ct_z(n), ct_nz(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    ct_z[i] = up[i] * balanced_eq(z[i], loss[i], T(0));
    ct_nz[i] = -ct_z[i];
  }
  const auto gp = pair_backward(dp, to_vec<T>(unbroadcast(out, ct_z, dp.positions)), deg);
  const auto gn = pair_backward(dn, to_vec<T>(unbroadcast(out, ct_nz, dn.positions)), deg);
  Tensor ga = unbroadcast(dp.shape, gp, data.input.shape);
  const Tensor ga2 = unbroadcast(dn.shape, gn, data.input.shape);
  for (std::size_t i = 0; i < ga.data.size(); ++i) ga.data[i] = static_cast<double>(static_cast<T>(ga.data[i]) + static_cast<T>(ga2.data[i]));
  r.entries.push_back({"grad", std::move(ga)});
  r.entries.push_back({"grad_positives", unbroadcast(dp.shape, core::Vec<T>(-gp), pos->shape)});
  r.entries.push_back({"grad_negatives", unbroadcast(dn.shape, core::Vec<T>(-gn), neg->shape)});
  return r;
}

// ---- ntxent ----------------------------------------------------------------

// xcs[i][j] = cosine_similarity(emb[None], emb[:, None], epsilon=finfo.eps)
// / temperature (predictions row j, targets row i); positives: the same
// label, not itself; negatives: another label. For each positive pair,
// -log(exp(xcs_ij) / (exp(xcs_ij) + sum over i's negatives)), shifted by the
// row's max (stop_gradient); the mean over the positive pairs.
template <class T>
Result ntxent(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& labels = require_target(data.target);
  const Tensor& e = data.input;
  if (labels.shape.empty() || e.shape.empty()) throw data_error(labels.shape.empty() ? "target" : "input", "", "tuple index out of range (shape[0] of a 0-d array)");
  if (labels.shape[0] != e.shape[0])
    throw data_error("target", "", "Labels and embeddings must have the same leading dimension, found " + std::to_string(labels.shape[0]) +
                                       " for labels and " + std::to_string(e.shape[0]) + " for embeddings.");
  if (e.dims() == 1) throw data_error("input", "", "Too many indices: array is 1-dimensional, but 2 were indexed");
  if (e.dims() != 2 || labels.dims() != 1)
    throw data_error(e.dims() != 2 ? "input" : "target", "",
                     "losscalc takes ntxent's embeddings as (N, D) and labels as (N) (optax documents these shapes); got " +
                         shape_str(e.shape) + " and " + shape_str(labels.shape));
  const std::int64_t N = e.shape[0], D = e.shape[1];
  const T eps = std::numeric_limits<T>::epsilon();
  const T temp = static_cast<T>(s.number("temperature"));
  const Unit<T> u = unit_of<T>(e, -1, eps, "input");
  const auto at = [N](std::int64_t i, std::int64_t j) { return i * N + j; };
  std::vector<char> match(static_cast<std::size_t>(N * N)), diff(match.size());
  core::Vec<T> cos(N * N), xcs(N * N);
  std::int64_t pairs = 0;
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      const bool same = labels.data[static_cast<std::size_t>(i)] == labels.data[static_cast<std::size_t>(j)];
      diff[static_cast<std::size_t>(at(i, j))] = !same;
      match[static_cast<std::size_t>(at(i, j))] = same != (i == j);  // bool(matches - eye)
      pairs += same != (i == j);
      T sum = 0;
      for (std::int64_t d = 0; d < D; ++d) sum += u.unit[j * D + d] * u.unit[i * D + d];
      cos[at(i, j)] = sum;
      xcs[at(i, j)] = sum / temp;
    }
  const T inf = std::numeric_limits<T>::infinity();
  core::Vec<T> sd(N * N), sm(N * N), denom(N * N), ls(N * N), row_sum(N), sample(N);
  T total = 0;
  for (std::int64_t i = 0; i < N; ++i) {
    T mx = -inf;
    for (std::int64_t j = 0; j < N; ++j) {
      const auto k = static_cast<std::size_t>(at(i, j));
      mx = nan_max(mx, diff[k] ? xcs[at(i, j)] : -inf);
      mx = nan_max(mx, match[k] ? xcs[at(i, j)] : -inf);
    }
    T se = 0;
    for (std::int64_t j = 0; j < N; ++j) {
      const auto k = static_cast<std::size_t>(at(i, j));
      sd[at(i, j)] = (diff[k] ? xcs[at(i, j)] : -inf) - mx;
      sm[at(i, j)] = (match[k] ? xcs[at(i, j)] : -inf) - mx;
      se += std::exp(sd[at(i, j)]);
    }
    row_sum[i] = se;
    sample[i] = 0;
    for (std::int64_t j = 0; j < N; ++j) {
      denom[at(i, j)] = se + std::exp(sm[at(i, j)]);
      ls[at(i, j)] = sm[at(i, j)] - std::log(denom[at(i, j)]);
      if (match[static_cast<std::size_t>(at(i, j))]) sample[i] += ls[at(i, j)];
    }
    total += sample[i];
    sample[i] = T(0) - sample[i];
  }
  core::Vec<T> loss(1);
  loss[0] = (-total) / static_cast<T>(pairs);
  Result r = start(s, true);
  r.summary = "embeddings " + shape_str(e.shape) + ", labels " + shape_str(labels.shape) + ", " + std::to_string(pairs) +
              " positive pairs, temperature " + print::shortest(static_cast<double>(temp));
  const auto up = reduce_samples(r, {}, loss, s);
  r.entries.push_back({"cos", to_tensor({N, N}, cos)});
  r.entries.push_back({"sample_losses", to_tensor({N}, sample)});
  r.entries.push_back({"positive_pairs", Tensor{{}, {static_cast<double>(pairs)}}});
  if (s.loss_only) return r;
  const T ct_sum = -(up[0] / static_cast<T>(pairs));
  core::Vec<T> ct_cos(N * N);
  for (std::int64_t i = 0; i < N; ++i) {
    core::Vec<T> ct_denom(N);
    T ct_row = 0;
    for (std::int64_t j = 0; j < N; ++j) {
      const T ct_ls = match[static_cast<std::size_t>(at(i, j))] ? ct_sum : T(0);
      ct_denom[j] = (-ct_ls) / denom[at(i, j)];  // log: ct / x (0 / 0 is NaN, masked below)
      ct_row += ct_denom[j];
    }
    for (std::int64_t j = 0; j < N; ++j) {
      const auto k = static_cast<std::size_t>(at(i, j));
      const T ct_ls = match[k] ? ct_sum : T(0);
      const T ct_sm = ct_ls + ct_denom[j] * std::exp(sm[at(i, j)]);
      const T ct_sd = ct_row * std::exp(sd[at(i, j)]);
      const T ct_x = (match[k] ? ct_sm : T(0)) + (diff[k] ? ct_sd : T(0));  // jnp.where: 0 to the branch not taken
      ct_cos[at(i, j)] = ct_x / temp;
    }
  }
  // cos[i][j] = sum(unit[j] * unit[i]): the predictions' side (row j) and the targets' (row i).
  core::Vec<T> ct_a = core::Vec<T>::Zero(N * D), ct_b = core::Vec<T>::Zero(N * D);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t j = 0; j < N; ++j)
      for (std::int64_t d = 0; d < D; ++d) {
        ct_a[j * D + d] += ct_cos[at(i, j)] * u.unit[i * D + d];
        ct_b[i * D + d] += u.unit[j * D + d] * ct_cos[at(i, j)];
      }
  const core::Vec<T> g = unit_backward(u, ct_a, eps) + unit_backward(u, ct_b, eps);
  r.entries.push_back({"grad", to_tensor(e.shape, g)});
  return r;
}

// ---- ranking_softmax_loss ----------------------------------------------------

// optax/losses/_ranking.py without `where`: labels = labels.astype(dtype)
// (times weights: labels *= weights broadcasts), lsm = jax.nn.log_softmax
// (logits, -1) (shifted = x - stop_gradient(max(x)), shifted - log(sum(exp))),
// loss = -sum(labels * lsm, -1); _safe_reduce: a NaN mean with no NaN loss
// (inf - inf, no lists) is 0. JAX's gradient: the product's cotangent summed
// back to the logits' shape, then g = ct - sum(ct) / S * exp(shifted).
template <class T>
Result ranking_softmax(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& labels = require_target(data.target);
  const Tensor* weights = data.get("weights");
  const Shape& ss = data.input.shape;
  jax_axis(-1, static_cast<std::int64_t>(ss.size()));  // log_softmax's jnp.max(x, -1) of a 0-d array
  Shape lshape = labels.shape;
  if (weights) lshape = jnp_broadcast(labels.shape, weights->shape, "weights");  // labels *= weights
  const Shape shape = jnp_broadcast(lshape, ss);                                  // labels * log_softmax
  const Shape positions(shape.begin(), shape.end() - 1);
  // log_softmax over the logits' own rows
  const auto x = to_vec<T>(data.input);
  const core::Layout LX = core::make_layout(ss, static_cast<std::int64_t>(ss.size()) - 1);
  const std::int64_t C = ss.back(), nx = LX.positions();
  core::Vec<T> sh(x.size()), e(x.size()), lsm(x.size()), S(nx);
  for (std::int64_t q = 0; q < nx; ++q) {
    T m = -std::numeric_limits<T>::infinity();  // initial=-inf
    for (std::int64_t c = 0; c < C; ++c) m = nan_max(m, x[LX.base(q) + c]);
    T sum = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      sh[LX.base(q) + c] = x[LX.base(q) + c] - m;
      e[LX.base(q) + c] = std::exp(sh[LX.base(q) + c]);
      sum += e[LX.base(q) + c];
    }
    S[q] = sum;
    const T lse = std::log(sum);
    for (std::int64_t c = 0; c < C; ++c) lsm[LX.base(q) + c] = sh[LX.base(q) + c] - lse;
  }
  core::Vec<T> lab = values_as<T>(labels, lshape, "target");
  if (weights) lab = core::Vec<T>(lab * values_as<T>(*weights, lshape, "weights"));
  const auto labb = values_as<T>(to_tensor(lshape, lab), shape, "target");
  const auto lsmb = values_as<T>(to_tensor(ss, lsm), shape, "input");
  const core::Layout L = core::make_layout(shape, static_cast<std::int64_t>(shape.size()) - 1);
  const std::int64_t n = L.positions();
  core::Vec<T> loss(n);
  bool any_nan = false;
  for (std::int64_t q = 0; q < n; ++q) {
    T sum = 0;
    for (std::int64_t c = 0; c < C; ++c) sum += labb[L.base(q) + c] * lsmb[L.base(q) + c];
    loss[q] = -sum;
    any_nan = any_nan || std::isnan(loss[q]);
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &labels, "relevance labels", static_cast<std::int64_t>(ss.size()) - 1) +
              (weights ? ", weights " + shape_str(weights->shape) : std::string()) + compared_as(shape, data.input);
  auto up = reduce_samples(r, positions, loss, s);
  if (*s.reduction == Reduction::Mean && !any_nan) {  // _safe_reduce: jnp.where(isnan(mean) & valid, 0, mean)
    for (auto& en : r.entries)
      if (en.key == "loss" && !en.value.data.empty() && std::isnan(en.value.data[0])) {
        en.value.data[0] = 0;
        up.setZero();
      }
  }
  r.entries.push_back({"log_softmax", to_tensor(ss, lsm)});
  if (s.loss_only) return r;
  core::Vec<T> ctb(labb.size());
  for (std::int64_t q = 0; q < n; ++q)
    for (std::int64_t c = 0; c < C; ++c) ctb[L.base(q) + c] = (-up[q]) * labb[L.base(q) + c];
  const auto ct = to_vec<T>(unbroadcast(shape, ctb, ss));
  core::Vec<T> g(x.size());
  for (std::int64_t q = 0; q < nx; ++q) {
    T sct = 0;
    for (std::int64_t c = 0; c < C; ++c) sct += ct[LX.base(q) + c];
    const T ct_s = (-sct) / S[q];
    for (std::int64_t c = 0; c < C; ++c) g[LX.base(q) + c] = ct[LX.base(q) + c] + ct_s * e[LX.base(q) + c];
  }
  r.entries.push_back({"grad", to_tensor(ss, g)});
  return r;
}

// ---- multiclass_sparsemax_loss -------------------------------------------------

// jax.vmap(_multiclass_sparsemax_loss)(scores, labels) of (N, C) scores and
// (N) integer labels: p = projection_simplex(s) (sort, cumsum, the support's
// count idx, relu(1 / idx + (s - cumsum[idx - 1] / idx))), s' = (s - s[y])
// .at[y].set(0) (y wraps as Python; the gather clamps, the scatter drops),
// loss = dot(p, where(p, s', 0)) + 0.5 (1 - dot(p, p)). The gradient is JAX's:
// projection_simplex's custom_jvp (supp v - dot(supp, v) / card supp)
// transposed, plus the s' path.
template <class T>
Result multiclass_sparsemax(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& labels = require_target(data.target);
  if (!all_whole(labels))
    throw data_error("target", "", "Indexer must have integer or boolean type (scores[label]): labels must be whole numbers");
  const Shape& ss = data.input.shape;
  if (ss.size() == 2 && labels.shape.size() == 1 && labels.shape[0] != ss[0])
    throw data_error("target", "", "vmap got inconsistent sizes for array axes to be mapped: scores " + py_shape(ss) + ", labels " +
                                       py_shape(labels.shape));
  if (ss.size() != 2 || labels.shape.size() != 1)
    throw data_error("target", "", "losscalc takes scores (N, C) and labels (N) (optax's jax.vmap over the rows); got scores " +
                                       py_shape(ss) + ", labels " + py_shape(labels.shape));
  const std::int64_t N = ss[0], C = ss[1];
  const auto x = to_vec<T>(data.input);
  core::Vec<T> loss(N), P(x.size()), W(x.size());
  std::vector<std::int64_t> li(static_cast<std::size_t>(N)), gi(static_cast<std::size_t>(N));
  std::vector<T> u(static_cast<std::size_t>(C)), cs(static_cast<std::size_t>(C));
  for (std::int64_t i = 0; i < N; ++i) {
    const T* v = &x[i * C];
    for (std::int64_t c = 0; c < C; ++c) u[static_cast<std::size_t>(c)] = v[c];
    // jnp.sort (NaN last), reversed
    std::sort(u.begin(), u.end(), [](T a, T b) { return std::isnan(b) ? !std::isnan(a) : (!std::isnan(a) && a < b); });
    std::reverse(u.begin(), u.end());
    T acc = 0;
    std::int64_t idx = 0;
    for (std::int64_t k = 0; k < C; ++k) {
      acc += u[static_cast<std::size_t>(k)];
      cs[static_cast<std::size_t>(k)] = acc;
      const T ind = static_cast<T>(k + 1);
      idx += (T(1) / ind + (u[static_cast<std::size_t>(k)] - acc / ind)) > T(0);
    }
    const T fi = static_cast<T>(idx), c_last = cs[static_cast<std::size_t>(idx == 0 ? C - 1 : idx - 1)];  // cumsum_u[-1] wraps
    for (std::int64_t c = 0; c < C; ++c) P[i * C + c] = std::max(T(1) / fi + (v[c] - c_last / fi), T(0));
    const auto lab = static_cast<std::int64_t>(labels.data[static_cast<std::size_t>(i)]);
    const std::int64_t l = lab < 0 ? lab + C : lab, g = std::clamp<std::int64_t>(l, 0, C - 1);
    li[static_cast<std::size_t>(i)] = l;
    gi[static_cast<std::size_t>(i)] = g;
    T d1 = 0, d2 = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      const T sp = c == l ? T(0) : v[c] - v[g];
      W[i * C + c] = P[i * C + c] != 0 ? sp : T(0);
      d1 += P[i * C + c] * W[i * C + c];
      d2 += P[i * C + c] * P[i * C + c];
    }
    loss[i] = d1 + T(0.5) * (T(1) - d2);
  }
  Result r = start(s, true);
  r.summary = describe(data.input, &labels, "integer labels", 1);
  const Shape positions{N};
  const auto up = reduce_samples(r, positions, loss, s);
  r.entries.push_back({"sparsemax", to_tensor(ss, P)});
  if (s.loss_only) return r;
  core::Vec<T> g(x.size());
  for (std::int64_t i = 0; i < N; ++i) {
    const T ct = up[i], ct_d2 = -(T(0.5) * ct);
    const std::int64_t l = li[static_cast<std::size_t>(i)], gg = gi[static_cast<std::size_t>(i)];
    T dot_supp = 0, sum_sp = 0, card = 0;
    core::Vec<T> ct_p(C), ct_sp(C);
    for (std::int64_t c = 0; c < C; ++c) {
      const T p = P[i * C + c];
      ct_p[c] = ct * W[i * C + c] + (ct_d2 * p + ct_d2 * p);
      ct_sp[c] = (p != 0 && c != l) ? ct * p : T(0);
      sum_sp += ct_sp[c];
      dot_supp += (p > 0 ? T(1) : T(0)) * ct_p[c];  // dot(supp, ct): 0 * NaN off the support stays NaN
      card += p > 0 ? T(1) : T(0);
    }
    const T share = dot_supp / card;
    for (std::int64_t c = 0; c < C; ++c) {
      const T supp = P[i * C + c] > 0 ? T(1) : T(0);
      const T ct_v = supp * ct_p[c] - supp * share;
      g[i * C + c] = ct_v + (ct_sp[c] + (c == gg ? -sum_sp : T(0)));
    }
  }
  r.entries.push_back({"grad", to_tensor(ss, g)});
  return r;
}

}  // namespace

template <class T>
Result optax_hinge_loss(const Data& data, const Settings& s) {
  return binary_margin<T>(data, s, false);
}
template <class T>
Result optax_perceptron_loss(const Data& data, const Settings& s) {
  return binary_margin<T>(data, s, true);
}
template <class T>
Result optax_sparsemax_loss(const Data& data, const Settings& s) {
  return sparsemax<T>(data, s);
}
template <class T>
Result optax_multiclass_hinge_loss(const Data& data, const Settings& s) {
  return multiclass_margin<T>(data, s, true);
}
template <class T>
Result optax_multiclass_perceptron_loss(const Data& data, const Settings& s) {
  return multiclass_margin<T>(data, s, false);
}
template <class T>
Result optax_cosine_similarity(const Data& data, const Settings& s) {
  return cosine<T>(data, s, false);
}
template <class T>
Result optax_cosine_distance(const Data& data, const Settings& s) {
  return cosine<T>(data, s, true);
}
template <class T>
Result optax_triplet_margin_loss(const Data& data, const Settings& s) {
  return triplet<T>(data, s);
}
template <class T>
Result optax_ntxent(const Data& data, const Settings& s) {
  return ntxent<T>(data, s);
}
template <class T>
Result optax_multiclass_sparsemax_loss(const Data& data, const Settings& s) {
  return multiclass_sparsemax<T>(data, s);
}
template <class T>
Result optax_ranking_softmax_loss(const Data& data, const Settings& s) {
  return ranking_softmax<T>(data, s);
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(optax_hinge_loss)
LOSSCALC_INSTANTIATE(optax_perceptron_loss)
LOSSCALC_INSTANTIATE(optax_sparsemax_loss)
LOSSCALC_INSTANTIATE(optax_multiclass_hinge_loss)
LOSSCALC_INSTANTIATE(optax_multiclass_perceptron_loss)
LOSSCALC_INSTANTIATE(optax_cosine_similarity)
LOSSCALC_INSTANTIATE(optax_cosine_distance)
LOSSCALC_INSTANTIATE(optax_triplet_margin_loss)
LOSSCALC_INSTANTIATE(optax_ntxent)
LOSSCALC_INSTANTIATE(optax_ranking_softmax_loss)
LOSSCALC_INSTANTIATE(optax_multiclass_sparsemax_loss)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
