// Keras 3's overlap losses, dice and tversky (keras/src/losses/losses.py at
// 3.16.0, the same since 3.0): sums over --axis (default none: every axis,
// the batch included, one scalar), then Keras's reduction.
#include <algorithm>

#include "error.h"
#include "ops/common.h"
#include "ops/keras_reduce.h"
#include "ops/ops.h"

namespace losscalc::ops {

namespace {

// Which axes --axis sums over ("" is None: all of them), or TF's error.
std::vector<bool> summed_axes(const Settings& s, std::size_t rank) {
  const auto it = s.param_text.find("axis");
  const std::string text = it == s.param_text.end() ? "" : it->second;
  std::vector<bool> summed(rank, text.empty());
  if (text.empty()) return summed;
  const auto r = static_cast<std::int64_t>(rank);
  for (const std::string& item : comma_items(text)) {
    const std::int64_t a = std::stoll(item);  // checked as integers when stored
    if (a < -r || a >= r)
      throw data_error("--axis", "", "Invalid reduction dimension (" + std::to_string(a) + " for input with " + std::to_string(rank) +
                                         " dimension(s) [Op:Sum]");
    summed[static_cast<std::size_t>(a < 0 ? a + r : a)] = true;
  }
  return summed;
}

template <class T>
Result overlap(const Data& data, const Settings& s, bool tversky) {
  const KerasPair kp = keras_pair(data);
  const Shape shape = tf_broadcast_shape(kp.target.shape, kp.input.shape, "Mul", "target");
  if (kp.target.shape != kp.input.shape)
    throw data_error("target", "", "y_true " + shape_str(kp.target.shape) + " and y_pred " + shape_str(kp.input.shape) +
                                       " differ (Keras would broadcast their product but sum each on its own shape: losscalc takes one shape)");
  const std::vector<bool> summed = summed_axes(s, shape.size());
  // Each element's position: its index over the dims not summed.
  Shape positions;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (!summed[d]) positions.push_back(shape[d]);
  const std::vector<std::int64_t> group = group_index(shape, summed);
  const core::OverlapOptions o{.tversky = tversky, .alpha = tversky ? s.number("alpha") : 0.5,
                               .beta = tversky ? s.number("beta") : 0.5, .epsilon = s.epsilon};
  const auto p = to_vec<T>(kp.input), t = to_vec<T>(kp.target);
  const auto f = core::keras_overlap<T>(group, numel(positions), p, t, o);
  Result r = start(s, true);
  r.summary = describe(data.input, &*data.target, "", -1) +
              (positions.empty() ? ", summed over every axis (axis none: one loss for the batch)" : ", losses " + shape_str(positions)) +
              sample_weight_note(data);
  core::Vec<T> loss = T(1) - f.fraction;
  const auto upstream = keras_reduce(r, positions, core::forward_of<T>(loss), data.get("sample_weight"), s);
  if (s.loss_only) return r;
  r.entries.push_back({"intersection", to_tensor(positions, f.intersection)});
  if (tversky) {
    r.entries.push_back({"fp", to_tensor(positions, f.fp)});
    r.entries.push_back({"fn", to_tensor(positions, f.fn)});
  } else {
    r.entries.push_back({"sum_true", to_tensor(positions, f.sum_true)});
    r.entries.push_back({"sum_pred", to_tensor(positions, f.sum_pred)});
  }
  r.entries.push_back({tversky ? "tversky" : "dice", to_tensor(positions, f.fraction)});
  r.entries.push_back({"grad", to_tensor(data.input.shape, core::keras_overlap_backward<T>(group, f, t, o, upstream))});
  return r;
}

}  // namespace

template <class T>
Result dice(const Data& data, const Settings& s) {
  return overlap<T>(data, s, false);
}

template <class T>
Result tversky(const Data& data, const Settings& s) {
  return overlap<T>(data, s, true);
}

#define LOSSCALC_INSTANTIATE(fn)                            \
  template Result fn<float>(const Data&, const Settings&); \
  template Result fn<double>(const Data&, const Settings&);
LOSSCALC_INSTANTIATE(dice)
LOSSCALC_INSTANTIATE(tversky)
#undef LOSSCALC_INSTANTIATE

}  // namespace losscalc::ops
