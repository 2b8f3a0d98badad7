// The bfloat16 / float16 helpers and torch 1.13's bfloat16 nll_loss
// cascade. The numbers on the right are torch 1.13's (printed by
// torch.tensor(...).bfloat16() / .half() and F.nll_loss on bfloat16).
#include "core/reduced_precision.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace losscalc;
using namespace losscalc::core;

TEST_CASE("to_bfloat16 rounds to nearest, ties to even, through float as torch converts a double") {
  CHECK(to_bfloat16(1.00390625) == 1.0);             // 1 + 2^-8: a tie, to the even 1
  CHECK(to_bfloat16(1.01171875) == 1.015625);        // 1 + 3 * 2^-8: a tie, to the even 1 + 2^-6
  CHECK(to_bfloat16(1.00390625 + 1e-12) == 1.0);     // float rounds it to the tie first (torch: 1.0)
  CHECK(to_bfloat16(-0.3) == -0.30078125);
  CHECK(to_bfloat16(257.0) == 256.0);                // the count of a batch of 257
  CHECK(to_bfloat16(3.3895313892515355e38) == 3.3895313892515355e38);  // the largest bfloat16
  CHECK(std::isinf(to_bfloat16(3.4e38)));
  CHECK(std::isnan(to_bfloat16(std::numeric_limits<double>::quiet_NaN())));
  CHECK(to_bfloat16(std::ldexp(1.0, -133)) == std::ldexp(1.0, -133));  // the smallest subnormal
  CHECK(to_bfloat16(std::ldexp(1.0, -134)) == 0.0);                    // half of it: a tie, to 0
}

TEST_CASE("to_float16: 65504 is the largest, 65520 rounds to inf, the subnormals' quantum is 2^-24") {
  CHECK(to_float16(65519.0) == 65504.0);
  CHECK(std::isinf(to_float16(65520.0)));
  CHECK(to_float16(std::ldexp(1.0, -25)) == 0.0);
  CHECK(to_float16(3 * std::ldexp(1.0, -26)) == std::ldexp(1.0, -24));
  CHECK(to_float16(0.1) == 0.0999755859375);
}

TEST_CASE("bfloat16 nll_loss: the 8-level cascade and the bfloat16 count (torch 1.13)") {
  const auto nll = [](std::int64_t n, double v, Reduction r) {
    const Layout layout{.outer = n, .classes = 2, .inner = 1};
    const Vec<double> x = Vec<double>::Constant(2 * n, to_bfloat16(v));
    const Index y = Index::Zero(n);
    return reduced_nll(Half::BFloat16, layout, 2, Bounded::exact(x), y, Vec<double>(), -100, r).value[0];
  };
  // 257 terms of 0.30078125: the sum 77.5, the count bf16(257) = 256.
  CHECK(nll(257, -0.3, Reduction::Sum) == 77.5);
  CHECK(nll(257, -0.3, Reduction::Mean) == 0.302734375);
  // 1000 of them: the cascade keeps the sum at 300 (adding them one by one
  // in bfloat16 would stop growing long before).
  CHECK(nll(1000, -0.3, Reduction::Sum) == 300.0);
  CHECK(nll(257, -1.0, Reduction::Mean) == 1.0);
}

TEST_CASE("Bounded::uncertain counts the values whose bounds differ, NaN bounds being certain") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Bounded b{Vec<double>(3), Vec<double>(3), Vec<double>(3)};
  b.value << 1, 2, nan;
  b.lo << 1, 1.5, nan;
  b.hi << 1, 2, nan;
  CHECK(b.uncertain() == 1);
}

TEST_CASE("float16, CUDA's nll_loss2d: half accumulators overflow past 65504 (pytorch/pytorch#85791, #29429)") {
  const auto nll = [](std::int64_t positions, double v) {
    const Layout layout{.outer = 1, .classes = 2, .inner = positions};  // (1, 2, positions)
    const Vec<double> x = Vec<double>::Constant(2 * positions, v);
    return reduced_nll(Half::Float16, layout, 3, Bounded::exact(x), Index::Zero(positions), Vec<double>(), -100,
                       Reduction::Mean)
        .value[0];
  };
  CHECK(nll(1000, -0.5) == 0.5);
  CHECK(std::isinf(nll(33000, -2.0)));  // the sum 66000 is inf in half; the count is finite
  CHECK(nll(70000, -0.5) == 0.0);       // the count 70000 is inf in half: 35000 / inf
  CHECK(std::isnan(nll(140000, -1.0)));  // both overflow: inf / inf (#29429's NaN)
}

TEST_CASE("float16, CUDA's 2-D nll_loss: 32 strided float partials, one rounding of the mean") {
  const std::int64_t n = 70000;  // the count passes 65504 but stays a float
  const Layout layout{.outer = n, .classes = 2, .inner = 1};
  const Vec<double> x = Vec<double>::Constant(2 * n, -0.5);
  CHECK(reduced_nll(Half::Float16, layout, 2, Bounded::exact(x), Index::Zero(n), Vec<double>(), -100, Reduction::Mean).value[0] == 0.5);
}

TEST_CASE("bfloat16 backward of nll_loss: 1 / total_weight in bfloat16, times the weight, rounded (torch 1.13)") {
  const Layout layout{257, 2, 1};
  Index y = Index::Zero(257);
  // The mean of 257 unweighted positions divides by the bfloat16 count, 256:
  // torch's x.grad is -0.00390625 at each target, not -1/257.
  auto g = bf16_nll_backward(layout, 2, y, {}, -100, Reduction::Mean);
  CHECK(g[0] == -0.00390625);
  CHECK(g[1] == 0.0);
  CHECK(g[2 * 256] == -0.00390625);
  // Weighted: -bf16(w * bf16(1 / total_weight)); total_weight 1.5 + 3 = 4.5,
  // 1 / 4.5 = 0.22265625 in bfloat16, times 3 = 0.66796875 (torch: -0.66796875).
  const Layout two{2, 2, 1};
  Index t(2);
  t << 0, 1;
  Vec<double> w(2);
  w << 1.5, 3.0;
  g = bf16_nll_backward(two, 2, t, w, -100, Reduction::Mean);
  CHECK(g[0] == -0.333984375);
  CHECK(g[3] == -0.66796875);
  g = bf16_nll_backward(two, 2, t, w, 0, Reduction::Sum);  // class 0 ignored (torch: [[0, 0], [0, -3]])
  CHECK(g[0] == 0.0);
  CHECK(g[3] == -3.0);
}

TEST_CASE("bfloat16 backward of log_softmax over the last dim: exp as torch's, g - e s in one fused multiply-add (torch 1.13)") {
  // A row of F.cross_entropy(x.bfloat16(), y, weight=w) that torch 1.13 gives
  // as [9.0003e-06, -0.00027275, 0.00023937]: rounding e s apart gives
  // -0.00027084 in the middle.
  const Layout layout{1, 3, 1};
  Vec<double> out(3), gy(3);
  out << -6.90625, -0.03076171875, -3.625;
  gy << 0.0, -0.00897216796875, 0.0;
  const Bounded gx = bf16_log_softmax_backward(layout, Bounded::exact(out), gy);
  CHECK(gx.value[0] == 9.000301361083984e-06);
  CHECK(gx.value[1] == -0.0002727508544921875);
  CHECK(gx.value[2] == 0.00023937225341796875);
  CHECK(gx.uncertain() == 0);
}

TEST_CASE("bfloat16 backward of log_softmax over a dim that is not the last: the same float exp and fused multiply-add (torch 1.13)") {
  // x = [[[1, 2], [3, 4]]] (N 1, C 2, d 2), y = [[0, 1]], the mean: torch
  // 1.13's F.cross_entropy(x.bfloat16(), y).backward() gives x.grad =
  // [[[-0.439453125, 0.059814453125], [0.439453125, -0.0595703125]]]
  // (its log_softmax [[[-2.125, -2.125], [-0.126953125, -0.126953125]]],
  // nll's gradient -0.5 at each target). exp(out) rounded to bfloat16 first
  // would give -0.060546875 last.
  const Layout layout{1, 2, 2};
  Vec<double> out(4), gy(4);
  out << -2.125, -2.125, -0.126953125, -0.126953125;
  gy << -0.5, 0.0, 0.0, -0.5;
  const Bounded gx = bf16_log_softmax_backward(layout, Bounded::exact(out), gy);
  CHECK(gx.value[0] == -0.439453125);
  CHECK(gx.value[1] == 0.059814453125);
  CHECK(gx.value[2] == 0.439453125);
  CHECK(gx.value[3] == -0.0595703125);
  CHECK(gx.uncertain() == 0);
}
