#include "ops/keras_reduce.h"

#include "error.h"
#include "ops/checks.h"

namespace losscalc::ops {

void squeeze_or_expand(Shape& a, Shape& b) {
  const std::size_t ra = a.size(), rb = b.size();
  if (ra == rb + 1 && a.back() == 1) {
    if (rb == 1) b.push_back(1);
    else a.pop_back();
  } else if (rb == ra + 1 && b.back() == 1) {
    if (ra == 1) a.push_back(1);
    else b.pop_back();
  }
}

KerasPair keras_pair(const Data& data) {
  check_input(data.input, false);
  const Tensor& target = require_target(data.target);
  Shape t = target.shape, p = data.input.shape;
  squeeze_or_expand(t, p);
  return {Tensor{p, data.input.data}, Tensor{t, target.data}};
}

Shape tf_broadcast_shape(const Shape& a, const Shape& b, const std::string& op, const std::string& subject) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1) {
      const auto dims = [](const Shape& s) {
        std::string t = "[";
        for (std::size_t k = 0; k < s.size(); ++k) t += (k ? "," : "") + std::to_string(s[k]);
        return t + "]";
      };
      throw data_error(subject, "", "Incompatible shapes: " + dims(a) + " vs. " + dims(b) + " [Op:" + op + "]");
    }
    out[i] = x == 1 ? y : x;
  }
  return out;
}

template <class T>
core::Vec<T> keras_reduce(Result& r, const Shape& positions, const core::Forward<T>& f, const Tensor* sample_weight,
                          const Settings& s) {
  const Reduction reduction = *s.reduction;
  // A scalar (one 1-D sample's mean) comes back as it is, whatever the
  // reduction, but for ignore_class's mask weight total / (valid + 1e-7),
  // which mean and sum_over_batch_size apply (extra_denominator).
  const auto reduce = [&](const core::Forward<T>& g, const Shape& shape) {
    const Reduction applied = !shape.empty() ? reduction : divides(reduction) && g.extra_denominator != 0 ? Reduction::Mean : Reduction::Sum;
    auto red = core::reduce(applied, g);
    if (divides(reduction) && !shape.empty() && red.denominator == 0) {  // divide_no_nan
      red.loss.setZero();
      red.upstream.setZero();
    }
    return red;
  };
  if (!sample_weight) {
    const auto red = reduce(f, positions);
    add_loss(r, positions, f, red, reduction);
    return red.upstream;
  }
  if (f.extra_denominator != 0)
    throw usage_error("--sample-weight", "--sample-weight with --ignore-index (keras's ignore_class mask) is not supported yet");
  Shape v = positions, w = sample_weight->shape;
  squeeze_or_expand(v, w);
  const Shape shape = tf_broadcast_shape(v, w, "Mul", "sample_weight");
  const auto values = to_vec<T>(broadcast_to(to_tensor(v, f.loss), shape, "input"));
  const Tensor weight{w, sample_weight->data};
  const auto sw = to_vec<T>(broadcast_to(weight, shape, "sample_weight"));
  auto g = core::forward_of<T>(values * sw);
  if (reduction == Reduction::MeanWithSampleWeight) {
    // The weights' own sum (before broadcasting): each weight counted once,
    // at its first copy, so row blocks add up to it exactly.
    Tensor index{w, std::vector<double>(weight.data.size())};
    for (std::size_t k = 0; k < index.data.size(); ++k) index.data[k] = static_cast<double>(k);
    const Tensor at = broadcast_to(index, shape, "sample_weight");
    std::vector<bool> seen(index.data.size(), false);
    for (std::size_t p = 0; p < at.data.size(); ++p) {
      const auto k = static_cast<std::size_t>(at.data[p]);
      g.share[static_cast<Eigen::Index>(p)] = seen[k] ? 0.0 : static_cast<double>(sw[static_cast<Eigen::Index>(p)]);
      seen[k] = true;
    }
  }
  const auto red = reduce(g, shape);
  add_loss(r, shape, g, red, reduction);
  if (!s.loss_only) r.entries.push_back({"unweighted_losses", to_tensor(positions, f.loss)});
  // d / d values: the upstream times the weight, summed over the broadcast dims.
  Tensor up = sum_to(to_tensor(shape, core::Vec<T>(red.upstream * sw)), v);
  return to_vec<T>(up);
}

template core::Vec<float> keras_reduce(Result&, const Shape&, const core::Forward<float>&, const Tensor*, const Settings&);
template core::Vec<double> keras_reduce(Result&, const Shape&, const core::Forward<double>&, const Tensor*, const Settings&);

}  // namespace losscalc::ops
