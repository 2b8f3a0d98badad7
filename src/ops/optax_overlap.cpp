// optax's segmentation losses (optax/losses/_segmentation.py at 2edbcbe,
// 0.2.9.dev): dice_loss, binary_dice_loss, multiclass_generalized_dice_loss.
// Unlike Keras's dice, optax smooths by `smooth` (1) above and below the
// line, takes logits by default (a softmax over the last axis, a sigmoid
// when that axis has one channel), sums over the spatial axes only (1 to
// ndim - 2), and reduces over the classes: one loss per sample. -r is
// dice_loss's own `reduction` keyword. The gradient is that of the sum of
// the returned array, with respect to the logits (or probabilities with
// --no-apply-softmax), by the quotient rule chained through the softmax.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "error.h"
#include "ops/common.h"
#include "ops/ops.h"
#include "ops/optax_common.h"

namespace losscalc::ops {

namespace {

struct DiceOptions {
  double smooth = 1, alpha = 0.5, beta = 0.5;
  bool apply_softmax = true, ignore_background = false;
  Reduction reduction = Reduction::Mean;
  std::string axis;                     // "" : None (the spatial axes)
  const Tensor* class_weights = nullptr;
  const char* activation_flag = "apply_softmax";
};

// The axes summed over: optax's default (1 .. ndim - 2) or --axis, as
// jnp.sum takes them (JAX's message for one out of range).
std::vector<bool> dice_axes(const std::string& text, std::size_t rank) {
  std::vector<bool> summed(rank, false);
  if (text.empty()) {
    for (std::size_t d = 1; d + 1 < rank; ++d) summed[d] = true;
    return summed;
  }
  for (const std::string& item : comma_items(text)) {
    const auto a = static_cast<std::size_t>(jax_axis(std::stoll(item), static_cast<std::int64_t>(rank)));
    if (summed[a]) throw data_error("--axis", "", "repeated axis in reduction: " + text);
    summed[a] = true;
  }
  return summed;
}

Tensor with_channel(Tensor t) {
  t.shape.push_back(1);
  return t;
}

template <class T>
Result dice_loss_of(const Data& data, const Settings& s, const DiceOptions& o, std::vector<double>* weights_out = nullptr) {
  check_input(data.input, false);
  Tensor pred = data.input, target = require_target(data.target);
  if (pred.dims() + 1 == target.dims()) pred = with_channel(pred);
  if (target.dims() + 1 == pred.dims()) target = with_channel(target);
  if (pred.shape != target.shape)
    throw data_error("target", "", "Shape mismatch: got " + py_shape(pred.shape) + " and " + py_shape(target.shape) + ".");
  if (pred.dims() == 0) throw data_error("input", "", "axis -1 is out of bounds for array of dimension 0");
  const Shape& shape = pred.shape;
  const std::int64_t classes = shape.back(), cells = numel(shape) / std::max<std::int64_t>(classes, 1);
  const auto x = to_vec<T>(pred), t = to_vec<T>(target);

  if (!o.apply_softmax && x.size() > 0) {
    // jnp.allclose(sums, 1.0, rtol=1e-5): |sum - 1| <= 1e-8 + 1e-5, NaN never close.
    double lo = INFINITY, hi = -INFINITY;
    bool close = true;
    for (std::int64_t c0 = 0; c0 < cells; ++c0) {
      T sum = 0;
      for (std::int64_t c = 0; c < classes; ++c) sum += x[c0 * classes + c];
      const double v = static_cast<double>(sum);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      if (!(std::abs(v - 1.0) <= 1e-8 + 1e-5)) close = false;
    }
    if (!close) {
      char range[96];
      std::snprintf(range, sizeof range, "[%.6f, %.6f]", lo, hi);
      throw data_error("input", "", std::string("When apply_softmax=False, predictions must be valid probability distributions that sum to 1 "
                                                "along the class axis. Found sum range: ") + range +
                                        (classes == 1 ? " (with one channel each value is its own sum: optax's check refuses "
                                                        "probabilities unless they are 1)"
                                                      : ""));
    }
  }

  // Probabilities: jax.nn.softmax over the last axis, or jax.nn.sigmoid.
  core::Vec<T> p(x.size());
  for (std::int64_t c0 = 0; c0 < cells; ++c0) {
    const auto row = c0 * classes;
    if (!o.apply_softmax) {
      for (std::int64_t c = 0; c < classes; ++c) p[row + c] = x[row + c];
    } else if (classes == 1) {
      p[row] = T(1) / (T(1) + std::exp(-x[row]));
    } else {
      T m = -std::numeric_limits<T>::infinity();
      for (std::int64_t c = 0; c < classes; ++c) m = std::max(m, x[row + c]);
      T sum = 0;
      for (std::int64_t c = 0; c < classes; ++c) sum += (p[row + c] = std::exp(x[row + c] - m));
      for (std::int64_t c = 0; c < classes; ++c) p[row + c] /= sum;
    }
  }

  // Sums over the summed axes: one group per position of the others.
  const std::vector<bool> summed = dice_axes(o.axis, shape.size());
  Shape kept;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (!summed[d]) kept.push_back(shape[d]);
  if (kept.empty()) throw data_error("--axis", "", "axis -1 is out of bounds for array of dimension 0 (every axis summed: no class axis left to reduce)");
  const std::int64_t groups = numel(kept), width = kept.back();
  const std::vector<std::int64_t> group = group_index(shape, summed);
  core::Vec<T> inter = core::Vec<T>::Zero(groups), psum = core::Vec<T>::Zero(groups), tsum = core::Vec<T>::Zero(groups);
  for (std::size_t k = 0; k < group.size(); ++k) {
    inter[group[k]] += p[static_cast<Eigen::Index>(k)] * t[static_cast<Eigen::Index>(k)];
    psum[group[k]] += p[static_cast<Eigen::Index>(k)];
    tsum[group[k]] += t[static_cast<Eigen::Index>(k)];
  }
  const T smooth = static_cast<T>(o.smooth), alpha = static_cast<T>(o.alpha), beta = static_cast<T>(o.beta);
  core::Vec<T> num(groups), den(groups), loss(groups);
  for (std::int64_t g = 0; g < groups; ++g) {
    num[g] = inter[g] + smooth;
    den[g] = inter[g] + alpha * (psum[g] - inter[g]) + beta * (tsum[g] - inter[g]) + smooth;
    loss[g] = T(1) - num[g] / den[g];
  }

  // Class weights (rank 1, broadcast along the last kept axis).
  core::Vec<T> w = core::Vec<T>::Ones(width);
  if (o.class_weights) {
    const Tensor& cw = *o.class_weights;
    if (cw.dims() != 1)
      throw data_error("class_weights", "", "Expected the input to have rank 1, got " + std::to_string(cw.dims()) + " instead");
    const Shape b = jnp_broadcast(kept, cw.shape, "class_weights");
    if (b != kept)
      throw data_error("class_weights", "", "class_weights " + py_shape(cw.shape) + " would broadcast the losses " + py_shape(kept) + " to " +
                                                py_shape(b) + ": losscalc takes weights of the last axis's length or one");
    for (std::int64_t c = 0; c < width; ++c) w[c] = static_cast<T>(cw.data[cw.shape[0] == 1 ? 0 : static_cast<std::size_t>(c)]);
  }
  if (weights_out) *weights_out = std::vector<double>(w.data(), w.data() + w.size());
  // ignore_background drops the first entry of the last axis (when the
  // probabilities have more than one channel).
  const std::int64_t first = o.ignore_background && classes > 1 ? 1 : 0, used = width - first;
  Shape out_shape = kept;
  out_shape.back() = used;
  Shape sample_shape(kept.begin(), kept.end() - 1);
  const std::int64_t samples = groups / std::max<std::int64_t>(width, 1);
  core::Vec<T> per_class(samples * used);
  for (std::int64_t q = 0; q < samples; ++q)
    for (std::int64_t c = 0; c < used; ++c) per_class[q * used + c] = loss[q * width + first + c] * w[first + c];

  Result r = start(s, true);
  r.summary = describe(data.input, &*data.target, "targets", -1) + ", sums over " +
              (o.axis.empty() ? std::string("the spatial axes (1 to ndim - 2)") : "axes " + o.axis) + ", " +
              (o.reduction == Reduction::None ? "one loss per class" : std::string(reduction_name(o.reduction)) + " over the classes") +
              "; grad: of the sum of the losses";
  core::Vec<T> out(o.reduction == Reduction::None ? samples * used : samples);
  core::Vec<T> up(samples * used);  // d sum(out) / d per_class
  for (std::int64_t q = 0; q < samples; ++q) {
    T acc = 0;
    for (std::int64_t c = 0; c < used; ++c) {
      const T v = per_class[q * used + c];
      if (o.reduction == Reduction::None) out[q * used + c] = v;
      acc += v;
      up[q * used + c] = o.reduction == Reduction::Mean ? T(1) / static_cast<T>(used) : T(1);
    }
    if (o.reduction != Reduction::None) out[q] = o.reduction == Reduction::Mean ? acc / static_cast<T>(used) : acc;
  }
  const Shape loss_shape = o.reduction == Reduction::None ? out_shape : sample_shape;
  r.entries.push_back({"loss", to_tensor(loss_shape, out)});
  if (s.loss_only) return r;
  r.entries.push_back({"probabilities", to_tensor(shape, p)});
  r.entries.push_back({"intersection", to_tensor(kept, inter)});
  r.entries.push_back({"pred_sum", to_tensor(kept, psum)});
  r.entries.push_back({"target_sum", to_tensor(kept, tsum)});
  r.entries.push_back({"numerator", to_tensor(kept, num)});
  r.entries.push_back({"denominator", to_tensor(kept, den)});
  if (o.reduction != Reduction::None) r.entries.push_back({"losses", to_tensor(out_shape, per_class)});

  // d loss_g / d I, d P: quotient rule on N / D with D = (1 - a - b) I + a P + b T + s.
  core::Vec<T> g_inter = core::Vec<T>::Zero(groups), g_psum = core::Vec<T>::Zero(groups);
  for (std::int64_t q = 0; q < samples; ++q)
    for (std::int64_t c = 0; c < used; ++c) {
      const std::int64_t g = q * width + first + c;
      const T u = up[q * used + c] * w[first + c];  // d out / d loss_g
      const T d2 = den[g] * den[g];
      g_inter[g] = u * (-(T(1) / den[g]) + num[g] * (T(1) - alpha - beta) / d2);
      g_psum[g] = u * (num[g] * alpha / d2);
    }
  core::Vec<T> gp(p.size());
  for (std::size_t k = 0; k < group.size(); ++k) {
    const auto e = static_cast<Eigen::Index>(k);
    gp[e] = g_inter[group[k]] * t[e] + g_psum[group[k]];
  }
  core::Vec<T> gx(p.size());
  for (std::int64_t c0 = 0; c0 < cells; ++c0) {
    const auto row = c0 * classes;
    if (!o.apply_softmax) {
      for (std::int64_t c = 0; c < classes; ++c) gx[row + c] = gp[row + c];
    } else if (classes == 1) {
      gx[row] = gp[row] * p[row] * (T(1) - p[row]);
    } else {
      T dot = 0;
      for (std::int64_t c = 0; c < classes; ++c) dot += gp[row + c] * p[row + c];
      for (std::int64_t c = 0; c < classes; ++c) gx[row + c] = p[row + c] * (gp[row + c] - dot);
    }
  }
  // Undo the channel optax appended to INPUT, if it did.
  r.entries.push_back({"grad", to_tensor(data.input.shape, gx)});
  return r;
}

DiceOptions options_of(const Settings& s) {
  DiceOptions o;
  o.smooth = s.number("smooth");
  if (const auto it = s.param_text.find("axis"); it != s.param_text.end()) o.axis = it->second;
  return o;
}

}  // namespace

template <class T>
Result optax_dice_loss(const Data& data, const Settings& s) {
  DiceOptions o = options_of(s);
  o.alpha = s.number("alpha");
  o.beta = s.number("beta");
  o.apply_softmax = s.number("apply_softmax") != 0;
  o.ignore_background = s.number("ignore_background") != 0;
  o.reduction = *s.reduction;
  o.class_weights = data.get("class_weights");
  return dice_loss_of<T>(data, s, o);
}

template <class T>
Result optax_binary_dice_loss(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  DiceOptions o = options_of(s);
  o.apply_softmax = s.number("apply_sigmoid") != 0;
  Data d = data;
  // Both get a channel unless INPUT's last axis is one already.
  if (d.input.dims() == target.dims() && (d.input.dims() == 0 || d.input.shape.back() != 1)) {
    d.input = with_channel(d.input);
    d.target = with_channel(target);
  }
  Result r = dice_loss_of<T>(d, s, o);
  for (Entry& e : r.entries)
    if (e.key == "grad") e.value.shape = data.input.shape;
  return r;
}

template <class T>
Result optax_multiclass_generalized_dice_loss(const Data& data, const Settings& s) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  if (data.input.shape != target.shape)
    throw data_error("target", "", "Shape mismatch: got " + py_shape(data.input.shape) + " and " + py_shape(target.shape) + ".");
  if (target.dims() == 0) throw data_error("target", "", "len() of unsized object");
  // Class weights from the batch's targets: 1 / (frequency^2 + 1e-7), scaled to sum to C.
  const std::int64_t classes = target.shape.back();
  const auto tv = to_vec<T>(target);
  core::Vec<T> freq = core::Vec<T>::Zero(classes);
  for (Eigen::Index k = 0; k < tv.size(); ++k) freq[k % classes] += tv[k];
  core::Vec<T> w(classes);
  for (std::int64_t c = 0; c < classes; ++c) w[c] = T(1) / (freq[c] * freq[c] + static_cast<T>(1e-7));
  const T wsum = w.sum();
  for (std::int64_t c = 0; c < classes; ++c) w[c] = w[c] / wsum * static_cast<T>(classes);
  const Tensor weights = to_tensor({classes}, w);
  DiceOptions o = options_of(s);
  o.apply_softmax = s.number("apply_softmax") != 0;
  o.ignore_background = s.number("ignore_background") != 0;
  o.reduction = Reduction::None;
  o.class_weights = &weights;
  Result r = dice_loss_of<T>(data, s, o);
  // jnp.mean of the per-class losses; its gradient is 1/count of theirs.
  const Tensor per_class = r.entries[0].value;
  T mean = 0;
  for (double v : per_class.data) mean += static_cast<T>(v);
  mean /= static_cast<T>(std::max<std::size_t>(per_class.data.size(), 1));
  const double scale = 1.0 / static_cast<double>(std::max<std::size_t>(per_class.data.size(), 1));
  r.entries[0] = {"loss", Tensor{{}, {static_cast<double>(mean)}}};
  if (s.loss_only) {
    r.entries.resize(1);
    return r;
  }
  for (Entry& e : r.entries)
    if (e.key == "grad")
      for (double& v : e.value.data) v = static_cast<double>(static_cast<T>(v) * static_cast<T>(scale));
  r.entries.insert(r.entries.begin() + 1, {"losses", per_class});
  r.entries.insert(r.entries.begin() + 2, {"class_weights", weights});
  r.summary = describe(data.input, &target, "targets", -1) +
              ", class weights 1 / (frequency^2 + 1e-7) from the targets, scaled to sum to C; the mean of every sample's and class's loss";
  return r;
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(optax_dice_loss)
LOSSCALC_INSTANTIATE(optax_binary_dice_loss)
LOSSCALC_INSTANTIATE(optax_multiclass_generalized_dice_loss)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
