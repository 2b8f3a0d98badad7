// bfloat16 and float16 arithmetic as torch runs it: the rounding helpers,
// and the softmax family and nll_loss at the points where torch rounds.
//
// --dtype bfloat16 is torch 1.13's CPU kernels (losses-catalogue §4.1):
// log_softmax over the last dim rounds the sum of exponentials to bf16, its
// log to bf16 and the output once; nll_loss adds in bf16 through an 8-level
// cascade whose count is a bf16 number. Over another dim torch 1.13 runs
// 16 inner positions at a time in float vectors and the inner % 16 left
// over in scalar code: log_softmax rounds (x - max) - log(sum) once, but the
// vectors' upper 8 lanes subtract the max of the lane 8 below (a shift that
// changes only the roundings, until exp overflows or underflows); softmax
// rounds exp / sum once in the vectors and, in the scalar positions, stores
// exp as bf16 before dividing. --dtype float16 is the CUDA convention
// (§4.2): half inputs, float sums, one rounding of the result.
//
// torch sums the exponentials in float in an order of its vector lanes
// and takes exp and log from its vector library. losscalc forms the same
// sums in double and bounds how far torch's float can be from them; where
// that bound straddles a rounding boundary both neighbours are possible,
// and every value carries the lowest and highest value torch can print
// (`lo`, `hi`; equal to `value` where the result is certain). Every
// rounding is monotone, so the bounds travel through the sums unchanged.
#pragma once

#include <cstdint>

#include "core/losses.h"

namespace losscalc::core {

enum class Half { BFloat16, Float16 };
// The format of a half dtype (DType::BFloat16 or DType::Float16).
inline Half half_of(DType d) { return d == DType::BFloat16 ? Half::BFloat16 : Half::Float16; }

// x rounded to the nearest bfloat16 / float16, ties to even, as c10::BFloat16
// and c10::Half convert a float; a double is rounded to float first, as
// torch converts one. Beyond the largest finite value: inf. NaN stays NaN.
double to_bfloat16(double x);
double to_float16(double x);
inline double round_to(Half h, double x) { return h == Half::BFloat16 ? to_bfloat16(x) : to_float16(x); }
Vec<double> round_to(Half h, const Vec<double>& x);

// Values torch computes to within a rounding: what losscalc prints, and the
// range torch's own float arithmetic can land in.
struct Bounded {
  Vec<double> value, lo, hi;
  // How many of the values are not certain (lo != hi).
  std::int64_t uncertain() const;
  static Bounded exact(Vec<double> v) { return {v, v, v}; }
};

// softmax / log_softmax of x (already in the format) along the layout's
// class dim. `last_dim`: the class dim is the input's last (torch's
// lastdim kernels differ from the others in bfloat16).
Bounded reduced_log_softmax(Half h, const Layout& layout, bool last_dim, const Vec<double>& x);
Bounded reduced_softmax(Half h, const Layout& layout, bool last_dim, const Vec<double>& x);

// nll_loss on log-probabilities in the format (bounded), class indices,
// optional class weights in the format; `input_dims`: the input's (1: one
// unbatched sample; above 2: torch's nll_loss2d). Returns one value per position for
// Reduction::None, else one.
Bounded reduced_nll(Half h, const Layout& layout, std::int64_t input_dims, const Bounded& log_probs, const Index& target,
                    const Vec<double>& weight, std::int64_t ignore_index, Reduction reduction);

// torch 1.13's CPU bfloat16 backward of the loss above (nll_loss_backward,
// LossNLL.cpp / LossNLL2d.cpp): the gradient of the loss with respect to its
// log-probabilities, -w[y] g at each position's class y (the product
// rounded), 0 elsewhere and where ignored; g is 1 for sum and none, and for
// the mean 1 / total_weight divided in bfloat16, total_weight being the
// forward's bfloat16 number (its cascade of weights, or the count rounded:
// 257 positions divide by 256).
Vec<double> bf16_nll_backward(const Layout& layout, std::int64_t input_dims, const Index& target, const Vec<double>& weight,
                              std::int64_t ignore_index, Reduction reduction);
// The total_weight of bfloat16 nll_loss's mean.
double bf16_total_weight(const Layout& layout, std::int64_t input_dims, const Index& target, const Vec<double>& weight,
                         std::int64_t ignore_index);
// log_softmax's bfloat16 backward over any class dim (classes
// `layout.inner` apart), as torch 1.13 forms it over the last dim
// (_vec_log_softmax_backward_lastdim through vec's bfloat16 map2, in float)
// and, measured against torch's x.grad, over another dim too (vector lanes
// and scalar tail alike): gx = bf16(fma(-exp(out), s, gy)) in float, with
// s = bf16(the position's float sum of gy) and exp torch's (SLEEF's expf
// u10, bit for bit). `out`: log_softmax's output (bounded: either end gives
// a bound); `gy`: its upstream gradient, one nonzero a position (nll_loss's).
Bounded bf16_log_softmax_backward(const Layout& layout, const Bounded& out, const Vec<double>& gy);

}  // namespace losscalc::core
