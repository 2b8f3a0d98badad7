// torch's margin and embedding losses (aten/src/ATen/native/Loss.cpp,
// LossMultiMargin.cpp, LossMultiLabelMargin.cpp, torch/nn/functional.py of
// 1.13): hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
// multi_margin_loss, multilabel_margin_loss, cosine_embedding_loss,
// triplet_margin_loss, triplet_margin_with_distance_loss. Each follows
// torch's expression in its order; gradients are autograd's (or the ATen
// backward kernel's), with its subgradients at the kinks.
#include <cmath>
#include <limits>

#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "ops/pointwise.h"
#include "print/number.h"

namespace losscalc::ops {

namespace {

// torch does not differentiate these targets (hinge_embedding_loss's is a
// mask, soft_margin_loss's is "not differentiable with respect to argument
// 'target'"): no grad_target.
Result without_target_grad(Result r) {
  std::erase_if(r.entries, [](const Entry& e) { return e.key == "grad_target"; });
  return r;
}

template <class T>
T nan_aware_clamp_min(T v, T lo) {
  return std::isnan(v) ? v : std::max(v, lo);
}

// The (N, C) of the multi-class margin losses' input, a 0-D, (C) or (N, C)
// one (N may be 0), or ATen's message; `empty_ok`: an input without
// elements passes (multilabel_margin_loss's (0, C) batch).
struct Rows {
  std::int64_t n, c;
};
Rows vector_or_matrix(const Tensor& t, bool empty_ok) {
  if (t.dims() > 2 || (t.dims() == 2 && t.shape[1] == 0) || (t.data.empty() && (!empty_ok || t.dims() == 1)))
    throw data_error("input", "", "Expected non-empty vector or matrix with optional 0-dim batch size, but got: " + aten_list(t.shape));
  if (t.dims() == 0) return {1, 1};
  if (t.dims() == 1) return {1, t.shape[0]};
  return {t.shape[0], t.shape[1]};
}

}  // namespace

// hinge_embedding_loss: where(t != 1, max(margin - x, 0), 0) + where(t != -1, x, 0).
template <class T>
Result hinge_embedding_loss(const Data& data, const Settings& s) {
  const T margin = static_cast<T>(s.number("margin"));
  return without_target_grad(regression<T>(
      data, s,
      [margin](const core::Vec<T>& x, const core::Vec<T>& t) {
        core::Pointwise<T> pw{core::Vec<T>(x.size()), core::Vec<T>(x.size())};
        for (Eigen::Index i = 0; i < x.size(); ++i) {
          const T m = margin - x[i];
          const T clamp = nan_aware_clamp_min(m, T(0));
          const bool not_pos = !(t[i] == T(1)), not_neg = !(t[i] == T(-1));
          pw.loss[i] = (not_pos ? clamp : T(0)) + (not_neg ? x[i] : T(0));
          // clamp_min passes the gradient where margin - x >= 0 (the kink included).
          pw.slope[i] = (not_pos && m >= T(0) ? T(-1) : T(0)) + (not_neg ? T(1) : T(0));
        }
        pw.target_slope = core::Vec<T>::Zero(x.size());
        return pw;
      },
      {.warn = false, .target_first = true}));
}

// soft_margin_loss: log(1 + exp(-x * y)); torch's backward -y z / (1 + z),
// z = exp(-y x) (NaN where z overflows, as torch).
template <class T>
Result soft_margin_loss(const Data& data, const Settings& s) {
  // In place on the input (neg_out(output, input).mul_(target)): the target
  // broadcasts to the input's shape, not beyond.
  if (data.target) {
    const Shape b = broadcast_shape(data.input.shape, data.target->shape, "target");
    if (b != data.input.shape)
      throw data_error("target", "", "output with shape " + aten_list(data.input.shape) + " doesn't match the broadcast shape " + aten_list(b));
  }
  return without_target_grad(regression<T>(
      data, s,
      [](const core::Vec<T>& x, const core::Vec<T>& t) {
        core::Pointwise<T> pw{core::Vec<T>(x.size()), core::Vec<T>(x.size())};
        pw.target_slope = core::Vec<T>(x.size());
        for (Eigen::Index i = 0; i < x.size(); ++i) {
          const T z = std::exp((-x[i]) * t[i]);
          pw.loss[i] = std::log(T(1) + z);  // torch 1.13: exp_().add_(1).log_(), not log1p (0 beyond x y of about 37)
          pw.slope[i] = -(t[i] * z) / (z + T(1));
          pw.target_slope[i] = -(x[i] * z) / (z + T(1));
        }
        return pw;
      },
      {.warn = false, .target_first = false}));
}

// multilabel_soft_margin_loss (functional.py): -(t logsigmoid(x) + (1 - t)
// logsigmoid(-x)) [* weight], summed over the last dim / C, then reduced.
template <class T>
Result multilabel_soft_margin_loss(const Data& data, const Settings& s) {
  const Tensor& x0 = data.input;
  check_input(x0, false);
  const Tensor& t0 = require_target(data.target);
  if (x0.dims() == 0) throw data_error("input", "", "Dimension specified as -1 but tensor has no dimensions");
  // target * logsigmoid(input) first, then * weight: torch's messages in that order.
  Shape shape = broadcast_shape(t0.shape, x0.shape, "target");
  if (data.weight) shape = broadcast_shape(shape, data.weight->shape, "weight");
  // functional.py divides the sum over the last dim by the input's C.
  const T input_classes = static_cast<T>(x0.shape.back());
  const auto x = to_vec<T>(broadcast_to(x0, shape, "input"));
  const auto t = to_vec<T>(broadcast_to(t0, shape, "target"));
  const auto nd = static_cast<std::int64_t>(shape.size());
  const core::Layout L = core::make_layout(shape, nd - 1);
  const Shape positions = core::positions_shape(shape, nd - 1);
  core::Vec<T> w = core::Vec<T>::Ones(x.size());
  if (data.weight) w = to_vec<T>(broadcast_to(*data.weight, shape, "weight"));
  // logsigmoid as ATen's CPU kernel: min(u, 0) - log1p(exp(-|u|)); its
  // backward (u < 0 ? 1 : 0) - (u < 0 ? 1 : -1) z / (1 + z), z = exp(-|u|).
  const auto log_sigmoid = [](T u) { return std::min(u, T(0)) - std::log1p(std::exp(-std::abs(u))); };
  const auto log_sigmoid_slope = [](T u) {
    const T z = std::exp(-std::abs(u));
    const bool negative = u < T(0);
    return (negative ? T(1) : T(0)) - (negative ? T(1) : T(-1)) * (z / (T(1) + z));
  };
  const std::int64_t n = L.positions(), C = L.classes;
  core::Vec<T> loss(n), dx(x.size()), dt(x.size());
  for (std::int64_t q = 0; q < n; ++q) {
    double sum = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      const auto at = L.base(q) + c * L.inner;
      const T lp = log_sigmoid(x[at]), ln = log_sigmoid(-x[at]);
      const T e = -(t[at] * lp + (T(1) - t[at]) * ln) * w[at];
      sum += static_cast<double>(e);
      dx[at] = -(t[at] * log_sigmoid_slope(x[at]) - (T(1) - t[at]) * log_sigmoid_slope(-x[at])) * w[at] / input_classes;
      dt[at] = -(lp - ln) * w[at] / input_classes;
    }
    loss[q] = static_cast<T>(sum) / input_classes;
  }
  Result r = start(s, true);
  r.summary = describe(x0, &t0, "", nd - 1) + (data.weight ? ", weight " + shape_str(data.weight->shape) : "");
  const auto up = reduce_samples(r, positions, loss, s);
  if (s.loss_only) return r;
  core::Vec<T> gx(x.size()), gt(x.size());
  for (std::int64_t q = 0; q < n; ++q)
    for (std::int64_t c = 0; c < C; ++c) {
      const auto at = L.base(q) + c * L.inner;
      gx[at] = dx[at] * up[q];
      gt[at] = dt[at] * up[q];
    }
  r.entries.push_back({"grad", sum_to(to_tensor(shape, gx), x0.shape)});
  r.entries.push_back({"grad_target", sum_to(to_tensor(shape, gt), t0.shape)});
  return r;
}

// multi_margin_loss (LossMultiMargin.cpp): sum over j != y of
// w[y] max(0, margin - x[y] + x[j])^p, / C (the true class counted).
template <class T>
Result multi_margin_loss(const Data& data, const Settings& s) {
  const Tensor& x0 = data.input;
  const Tensor& y0 = require_target(data.target);
  const auto p = static_cast<std::int64_t>(s.number("p"));
  const T margin = static_cast<T>(s.number("margin"));
  const auto [n, C] = vector_or_matrix(x0, false);
  if (static_cast<std::int64_t>(y0.data.size()) != n || y0.dims() > 1)
    throw data_error("target", "", "inconsistent target size, got: " + aten_list(y0.shape));
  if (data.weight && data.weight->dims() != 1) throw data_error("weight", "", "weight must be one-dimensional");
  if (data.weight && data.weight->shape[0] != C)
    throw data_error("weight", "", "inconsistent weight size, expected " + std::to_string(C) + " but got " + aten_list(data.weight->shape) +
                                       " (torch reads weight[target] unchecked: a short weight is bad data)");
  const auto x = to_vec<T>(x0);
  const auto w = data.weight ? to_vec<T>(*data.weight) : core::Vec<T>();
  core::Vec<T> loss(n), g(x.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const double yv = y0.data[static_cast<std::size_t>(i)];
    if (!(yv >= 0 && yv < static_cast<double>(C)) || yv != std::floor(yv)) throw data_error("target", "", "target out of range");
    const auto y = static_cast<std::int64_t>(yv);
    const T xy = x[i * C + y];
    T sum = 0, gy = 0;
    for (std::int64_t j = 0; j < C; ++j) {
      if (j == y) continue;
      const T z = margin - xy + x[i * C + j];
      if (z > T(0)) {
        T h = p == 1 ? z : z * z;
        if (w.size()) h *= w[y];
        sum += h;
        T gh = p == 1 ? T(1) : T(2) * z;
        if (w.size()) gh *= w[y];
        gy -= gh;
        g[i * C + j] = gh;
      } else {
        g[i * C + j] = 0;
      }
    }
    g[i * C + y] = gy;
    loss[i] = sum / static_cast<T>(C);
  }
  Result r = start(s, true);
  r.summary = describe(x0, &y0, "class indices", x0.dims() - 1) + ", p " + std::to_string(p) + ", margin " + print::shortest(s.number("margin"));
  const Shape positions = y0.dims() == 0 ? Shape{} : Shape{n};  // the target's: (1) for a (C) input with a (1) target
  const auto up = reduce_samples(r, positions, loss, s);
  if (s.loss_only) return r;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < C; ++j) g[i * C + j] = g[i * C + j] / static_cast<T>(C) * up[i];
  r.entries.push_back({"grad", to_tensor(x0.shape, g)});
  return r;
}

// multilabel_margin_loss (LossMultiLabelMargin.cpp): the target's indices up
// to the first -1 are the sample's labels; sum over labels j and non-labels
// i of max(0, 1 - (x[j] - x[i])), / C.
template <class T>
Result multilabel_margin_loss(const Data& data, const Settings& s) {
  const Tensor& x0 = data.input;
  const Tensor& y0 = require_target(data.target);
  const auto [n, C] = vector_or_matrix(x0, true);
  if (y0.shape != x0.shape) throw data_error("target", "", "inconsistent size " + aten_list(y0.shape) + " for argument #2 'target'");
  for (double v : y0.data)  // every index is checked, those after a -1 too
    if (v != std::floor(v) || !(v >= -1 && v < static_cast<double>(C)))
      throw data_error("target", "", "argument #2 'target' is out of range (" + print::shortest(v) + " for " + std::to_string(C) + " classes)");
  const auto x = to_vec<T>(x0);
  core::Vec<T> loss(n), g = core::Vec<T>::Zero(x.size());
  std::vector<char> is_target(static_cast<std::size_t>(C));
  for (std::int64_t i = 0; i < n; ++i) {
    std::fill(is_target.begin(), is_target.end(), 0);
    std::int64_t labels = 0;
    for (std::int64_t k = 0; k < C; ++k) {
      const double v = y0.data[static_cast<std::size_t>(i * C + k)];
      if (v < 0) break;
      is_target[static_cast<std::size_t>(v)] = 1;
      ++labels;
    }
    T sum = 0;
    for (std::int64_t k = 0; k < labels; ++k) {
      const auto j = static_cast<std::int64_t>(y0.data[static_cast<std::size_t>(i * C + k)]);
      const T xj = x[i * C + j];
      for (std::int64_t d = 0; d < C; ++d) {
        if (is_target[static_cast<std::size_t>(d)]) continue;
        const T z = T(1) - xj + x[i * C + d];
        if (z > T(0)) {
          sum += z;
          g[i * C + j] -= T(1);
          g[i * C + d] += T(1);
        }
      }
    }
    loss[i] = sum / static_cast<T>(C);
  }
  Result r = start(s, true);
  r.summary = describe(x0, &y0, "class indices up to the first -1", x0.dims() - 1);
  const Shape positions = x0.dims() <= 1 ? Shape{} : Shape{n};
  const auto up = reduce_samples(r, positions, loss, s);
  if (s.loss_only) return r;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < C; ++j) g[i * C + j] = g[i * C + j] / static_cast<T>(C) * up[i];
  r.entries.push_back({"grad", to_tensor(x0.shape, g)});
  return r;
}

// cosine_embedding_loss (Loss.cpp): cos = sum(a b) / sqrt((sum a^2 + 1e-12)
// (sum b^2 + 1e-12)); y = 1: 1 - cos; y = -1: max(0, cos - margin); else 0.
template <class T>
Result cosine_embedding_loss(const Data& data, const Settings& s) {
  const Tensor& a0 = data.input;
  const Tensor* b0 = data.get("input2");
  if (!b0) throw usage_error("input2", "missing INPUT2");
  const Tensor& y0 = require_target(data.target);
  if (y0.dims() > 1) throw data_error("target", "", "0D or 1D target tensor expected, multi-target not supported");
  if (y0.dims() == 1 && (a0.dims() != 2 || b0->dims() != 2))
    throw data_error("input", "", "1D target tensor expects 2D input tensors, but found inputs with sizes " + aten_list(a0.shape) + " and " +
                                      aten_list(b0->shape) + ".");
  if (y0.dims() == 0 && (a0.dims() != 1 || b0->dims() != 1))
    throw data_error("input", "", "0D target tensor expects 1D input tensors, but found inputs with sizes " + aten_list(a0.shape) + " and " +
                                      aten_list(b0->shape) + ".");
  const Shape shape = broadcast_shape(a0.shape, b0->shape, "input2");
  const auto a = to_vec<T>(broadcast_to(a0, shape, "input1"));
  const auto b = to_vec<T>(broadcast_to(*b0, shape, "input2"));
  const std::int64_t d = shape.back(), n = shape.size() == 2 ? shape[0] : 1;
  const Shape positions = shape.size() == 2 ? Shape{n} : Shape{};
  broadcast_shape(y0.shape, positions, "target");  // where(target == 1, ...): torch's message names the target first
  const Tensor y = broadcast_to(y0, positions, "target");
  const T margin = static_cast<T>(s.number("margin"));
  const T eps = static_cast<T>(static_cast<float>(1e-12));  // ATen's EPSILON, a float constant
  // Each squared norm over its own tensor's last dim (torch sums input1 *
  // input1, not the broadcast pair), then broadcast to the rows.
  const auto own_squares = [&](const Tensor& t) {
    const Shape rows(t.shape.begin(), t.shape.end() - 1);
    const std::int64_t w = t.shape.back(), k = numel(rows);
    const auto v = to_vec<T>(t);
    core::Vec<T> sq(k);
    for (std::int64_t r = 0; r < k; ++r) {
      T acc = 0;
      for (std::int64_t c = 0; c < w; ++c) acc += v[r * w + c] * v[r * w + c];
      sq[r] = acc + eps;
    }
    return to_tensor(rows, sq);
  };
  const Tensor sq1 = own_squares(a0), sq2 = own_squares(*b0);
  const auto m1v = to_vec<T>(broadcast_to(sq1, positions, "input1")), m2v = to_vec<T>(broadcast_to(sq2, positions, "input2"));
  core::Vec<T> loss(n), cosv(n), gp_a(a.size()), gp_b(b.size()), g1(n), g2(n);
  for (std::int64_t i = 0; i < n; ++i) {
    T prod = 0;
    for (std::int64_t k = 0; k < d; ++k) prod += a[i * d + k] * b[i * d + k];
    const T m1 = m1v[i], m2 = m2v[i];
    const T denom = std::sqrt(m1 * m2);
    const T c = prod / denom;
    cosv[i] = c;
    const double yv = y.data[static_cast<std::size_t>(i)];
    const T neg = nan_aware_clamp_min(c - margin, T(0));
    loss[i] = (yv == 1 ? T(1) - c : T(0)) + (yv == -1 ? neg : T(0));
    // d loss / d cos: -1 (y = 1), 1 where cos - margin >= 0 (y = -1), else 0.
    const T dc = yv == 1 ? T(-1) : yv == -1 && c - margin >= T(0) ? T(1) : T(0);
    // Through cos = prod / denom, denom = sqrt(m1 m2), in autograd's order.
    const T g_prod = dc / denom;
    const T g_denom = -(dc * prod / (denom * denom));
    const T g_m1m2 = g_denom / (T(2) * denom);
    g1[i] = g_m1m2 * m2;
    g2[i] = g_m1m2 * m1;
    for (std::int64_t k = 0; k < d; ++k) {
      gp_a[i * d + k] = g_prod * b[i * d + k];
      gp_b[i * d + k] = g_prod * a[i * d + k];
    }
  }
  Result r = start(s, true);
  r.summary = "input1 " + shape_str(a0.shape) + ", input2 " + shape_str(b0->shape) + ", target " + shape_str(y0.shape) + ", margin " +
              print::shortest(s.number("margin"));
  const auto up = reduce_samples(r, positions, loss, s);
  if (s.loss_only) return r;
  r.entries.push_back({"cos", to_tensor(positions, cosv)});
  for (std::int64_t i = 0; i < n; ++i) {
    g1[i] *= up[i];
    g2[i] *= up[i];
    for (std::int64_t k = 0; k < d; ++k) {
      gp_a[i * d + k] *= up[i];
      gp_b[i * d + k] *= up[i];
    }
  }
  // The product's part summed back to each input's shape, plus each squared
  // norm's part (2 x times its rows' upstream) on the input's own elements.
  const auto with_norm = [&](Tensor g, const Tensor& x, const Tensor& sq, const core::Vec<T>& gm) {
    const auto per_row = to_vec<T>(sum_to(to_tensor(positions, gm), sq.shape));
    const std::int64_t w = x.shape.back();
    for (std::size_t at = 0; at < g.data.size(); ++at) {
      const auto row = static_cast<Eigen::Index>(static_cast<std::int64_t>(at) / w);
      g.data[at] = static_cast<double>(static_cast<T>(g.data[at]) + per_row[row] * (T(2) * static_cast<T>(x.data[at])));
    }
    return g;
  };
  r.entries.push_back({"grad", with_norm(sum_to(to_tensor(shape, gp_a), a0.shape), a0, sq1, g1)});
  r.entries.push_back({"grad_input2", with_norm(sum_to(to_tensor(shape, gp_b), b0->shape), *b0, sq2, g2)});
  return r;
}

namespace {

// A distance between rows and its gradient with respect to each side.
template <class T>
struct Distance {
  core::Vec<T> value;   // one a row
  core::Vec<T> du, dv;  // d value / d u, d value / d v, per element
};

// F.pairwise_distance(u, v, p, eps): ||u - v + eps||_p over the last dim,
// and torch's norm backward (0 where the norm is 0).
template <class T>
Distance<T> pairwise(const core::Vec<T>& u, const core::Vec<T>& v, const core::Layout& L, T p, T eps) {
  const std::int64_t n = L.positions(), d = L.classes;
  Distance<T> out{core::Vec<T>(n), core::Vec<T>(u.size()), core::Vec<T>(u.size())};
  core::Vec<T> diff(u.size());
  for (std::int64_t i = 0; i < n; ++i) {
    T acc = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      const auto at = L.base(i) + k * L.inner;
      const T z = u[at] - v[at] + eps;
      diff[at] = z;
      acc += p == T(2) ? z * z : p == T(1) ? std::abs(z) : std::pow(std::abs(z), p);
    }
    const T norm = p == T(2) ? std::sqrt(acc) : p == T(1) ? acc : std::pow(acc, T(1) / p);
    out.value[i] = norm;
    for (std::int64_t k = 0; k < d; ++k) {
      const auto at = L.base(i) + k * L.inner;
      const T z = diff[at];
      T g;
      // torch's norm_backward: sgn(z) for p = 1; sgn(z) |z|^(p-1) norm^(1-p)
      // below 2 (no 0 * inf at z = 0); z |z|^(p-2) / norm^(p-1) from 2; 0
      // where the norm is 0 (but for p < 1).
      const T sgn = z > T(0) ? T(1) : z < T(0) ? T(-1) : T(0);
      if (p == T(1)) g = sgn;
      else if (p < T(1)) g = sgn * std::pow(std::abs(z), p - T(1)) * std::pow(norm, T(1) - p);
      else if (norm == T(0)) g = 0;
      else if (p == T(2)) g = z / norm;
      else if (p < T(2)) g = sgn * std::pow(std::abs(z), p - T(1)) / std::pow(norm, p - T(1));
      else g = z * std::pow(std::abs(z), p - T(2)) / std::pow(norm, p - T(1));
      out.du[at] = g;
      out.dv[at] = -g;
    }
  }
  return out;
}

// 1 - F.cosine_similarity(u, v) (dim 1, eps 1e-8), as torch 1.13 computes
// it: each side divided by its norm clamped at eps (the clamp in place,
// without a gradient), then the products summed: a norm that overflows
// gives 0. The gradient goes through the division and the (clamped) norm.
template <class T>
Distance<T> cosine_distance(const core::Vec<T>& u, const core::Vec<T>& v, const core::Layout& L) {
  const std::int64_t n = L.positions(), d = L.classes;
  Distance<T> out{core::Vec<T>(n), core::Vec<T>(u.size()), core::Vec<T>(u.size())};
  const T eps = static_cast<T>(1e-8);
  for (std::int64_t i = 0; i < n; ++i) {
    T su = 0, sv = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      const auto at = L.base(i) + k * L.inner;
      su += u[at] * u[at];
      sv += v[at] * v[at];
    }
    const T nu = std::max(std::sqrt(su), eps), nv = std::max(std::sqrt(sv), eps);
    T c = 0, uv = 0, vu = 0;  // cos; sum((v / nv) u); sum((u / nu) v)
    for (std::int64_t k = 0; k < d; ++k) {
      const auto at = L.base(i) + k * L.inner;
      c += (u[at] / nu) * (v[at] / nv);
      uv += (v[at] / nv) * u[at];
      vu += (u[at] / nu) * v[at];
    }
    out.value[i] = T(1) - c;
    // d(1 - c)/du = -(v / nv) / nu + u (sum((v / nv) u) / (nu nu)) / nu.
    const T gnu = -(-uv / (nu * nu)), gnv = -(-vu / (nv * nv));
    for (std::int64_t k = 0; k < d; ++k) {
      const auto at = L.base(i) + k * L.inner;
      out.du[at] = -((v[at] / nv) / nu) + u[at] * gnu / nu;
      out.dv[at] = -((u[at] / nu) / nv) + v[at] * gnv / nv;
    }
  }
  return out;
}

// One distance call d(u, v) as torch makes it: the pair broadcast to its own
// shape, the distance along `axis` of it.
template <class T>
struct PairDistance {
  Shape shape, positions;
  core::Layout layout;
  Distance<T> d;
};

template <class T>
Result triplet(const Data& data, const Settings& s, bool with_distance) {
  const Tensor& a0 = data.input;
  const Tensor* p0 = data.get("positive");
  const Tensor* n0 = data.get("negative");
  if (!p0) throw usage_error("positive", "missing POSITIVE (with row data: --column positive=SPEC)");
  if (!n0) throw usage_error("negative", "missing NEGATIVE (with row data: --column negative=SPEC)");
  if (!with_distance && (a0.dims() != p0->dims() || a0.dims() != n0->dims()))
    throw data_error("positive", "", "All inputs should have same dimension but got " + std::to_string(a0.dims()) + "D, " +
                                         std::to_string(p0->dims()) + "D and " + std::to_string(n0->dims()) + "D inputs.");
  const bool cosine = with_distance && s.param_text.count("distance_function") && s.param_text.at("distance_function") == "cosine";
  const T margin = static_cast<T>(s.number("margin"));
  const bool swap = s.number("swap") != 0;
  const T p = with_distance ? T(2) : static_cast<T>(s.number("p"));
  const T eps = with_distance ? static_cast<T>(1e-6) : static_cast<T>(s.number("eps"));
  const auto dist = [&](const Tensor& u0, const Tensor& v0, const char* name) {
    PairDistance<T> out;
    out.shape = broadcast_shape(u0.shape, v0.shape, name);
    const auto nd = static_cast<std::int64_t>(out.shape.size());
    if (cosine && nd < 2)
      throw data_error("input", "", "Dimension out of range (expected to be in range of [-1, 0], but got 1) (cosine_similarity's dim 1)");
    const std::int64_t axis = cosine ? 1 : nd - 1;
    out.layout = nd == 0 ? core::Layout{1, 1, 1} : core::make_layout(out.shape, axis);
    out.positions = nd == 0 ? Shape{} : core::positions_shape(out.shape, axis);
    const auto u = to_vec<T>(broadcast_to(u0, out.shape, "anchor"));
    const auto v = to_vec<T>(broadcast_to(v0, out.shape, name));
    out.d = cosine ? cosine_distance<T>(u, v, out.layout) : pairwise<T>(u, v, out.layout, p, eps);
    return out;
  };
  const PairDistance<T> dp = dist(a0, *p0, "positive"), dn = dist(a0, *n0, "negative");
  PairDistance<T> ds;
  if (swap) ds = dist(*p0, *n0, "negative");
  // The distances broadcast against each other, as torch's arithmetic on them.
  Shape positions = broadcast_shape(dp.positions, dn.positions, "negative");
  if (swap) positions = broadcast_shape(positions, ds.positions, "negative");
  const auto vp = to_vec<T>(broadcast_to(to_tensor(dp.positions, dp.d.value), positions, "positive"));
  const auto vn = to_vec<T>(broadcast_to(to_tensor(dn.positions, dn.d.value), positions, "negative"));
  const auto vs = swap ? to_vec<T>(broadcast_to(to_tensor(ds.positions, ds.d.value), positions, "negative")) : core::Vec<T>();
  const std::int64_t n = numel(positions);
  core::Vec<T> loss(n), neg_used(n), w_ap(n), w_an(n), w_pn(n);
  for (std::int64_t i = 0; i < n; ++i) {
    T neg = vn[i];
    T share_an = 1, share_pn = 0;
    if (swap) {  // torch.minimum: ties split the gradient in halves
      const T x = vn[i], y = vs[i];
      neg = std::isnan(x) || std::isnan(y) ? std::numeric_limits<T>::quiet_NaN() : std::min(x, y);
      share_an = x == y ? T(0.5) : x < y ? T(1) : T(0);
      share_pn = x == y ? T(0.5) : y < x ? T(1) : T(0);
    }
    neg_used[i] = neg;
    // ATen's triplet_margin_loss adds margin + d(a, p) - d(a, n); the
    // Python triplet_margin_with_distance_loss d(a, p) - d(a, n) + margin:
    // the last bit decides a kink.
    const T u = with_distance ? (vp[i] - neg) + margin : (margin + vp[i]) - neg;
    loss[i] = nan_aware_clamp_min(u, T(0));
    const T active = u >= T(0) ? T(1) : T(0);  // clamp_min passes the gradient at the kink
    w_ap[i] = active;
    w_an[i] = -(active * share_an);
    w_pn[i] = -(active * share_pn);
  }
  Result r = start(s, true);
  r.summary = "anchor " + shape_str(a0.shape) + ", positive " + shape_str(p0->shape) + ", negative " + shape_str(n0->shape) + ", margin " +
              print::shortest(s.number("margin")) + (cosine ? ", cosine distance" : "") + (swap ? ", swap" : "");
  const auto up = reduce_samples(r, positions, loss, s);
  if (s.loss_only) return r;
  r.entries.push_back({"distance_positive", to_tensor(positions, vp)});
  r.entries.push_back({"distance_negative", to_tensor(positions, neg_used)});
  // Each distance's upstream, summed back to its own positions, then
  // through its elements to its two sides.
  Tensor ga = Tensor{a0.shape, std::vector<double>(a0.data.size(), 0.0)}, gp = Tensor{p0->shape, std::vector<double>(p0->data.size(), 0.0)},
         gn = Tensor{n0->shape, std::vector<double>(n0->data.size(), 0.0)};
  const auto back = [&](const PairDistance<T>& pd, const core::Vec<T>& w, Tensor& gu, Tensor& gv, const Shape& su, const Shape& sv) {
    const auto c = to_vec<T>(sum_to(to_tensor(positions, core::Vec<T>(w * up)), pd.positions));
    core::Vec<T> eu(pd.d.du.size()), ev(pd.d.dv.size());
    for (std::int64_t q = 0; q < pd.layout.positions(); ++q)
      for (std::int64_t k = 0; k < pd.layout.classes; ++k) {
        const auto at = pd.layout.base(q) + k * pd.layout.inner;
        eu[at] = c[q] * pd.d.du[at];
        ev[at] = c[q] * pd.d.dv[at];
      }
    const Tensor tu = sum_to(to_tensor(pd.shape, eu), su), tv = sum_to(to_tensor(pd.shape, ev), sv);
    for (std::size_t k = 0; k < gu.data.size(); ++k) gu.data[k] += tu.data[k];
    for (std::size_t k = 0; k < gv.data.size(); ++k) gv.data[k] += tv.data[k];
  };
  back(dp, w_ap, ga, gp, a0.shape, p0->shape);
  back(dn, w_an, ga, gn, a0.shape, n0->shape);
  if (swap) back(ds, w_pn, gp, gn, p0->shape, n0->shape);
  if (s.dtype == DType::Float32)  // the sums of the parts, as float32 adds them
    for (Tensor* g : {&ga, &gp, &gn})
      for (auto& v : g->data) v = static_cast<double>(static_cast<float>(v));
  r.entries.push_back({"grad", std::move(ga)});
  r.entries.push_back({"grad_positive", std::move(gp)});
  r.entries.push_back({"grad_negative", std::move(gn)});
  return r;
}

}  // namespace

template <class T>
Result triplet_margin_loss(const Data& data, const Settings& s) {
  return triplet<T>(data, s, false);
}
template <class T>
Result triplet_margin_with_distance_loss(const Data& data, const Settings& s) {
  return triplet<T>(data, s, true);
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(hinge_embedding_loss)
LOSSCALC_INSTANTIATE(soft_margin_loss)
LOSSCALC_INSTANTIATE(multilabel_soft_margin_loss)
LOSSCALC_INSTANTIATE(multi_margin_loss)
LOSSCALC_INSTANTIATE(multilabel_margin_loss)
LOSSCALC_INSTANTIATE(cosine_embedding_loss)
LOSSCALC_INSTANTIATE(triplet_margin_loss)
LOSSCALC_INSTANTIATE(triplet_margin_with_distance_loss)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
