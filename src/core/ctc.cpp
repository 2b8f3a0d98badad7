// CTC's forward-backward recursion (see ctc.h), after ATen's CPU kernel.
#include "core/ctc.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace losscalc::core {

std::vector<std::int64_t> ctc_extended(const std::vector<std::int64_t>& labels, std::int64_t blank) {
  std::vector<std::int64_t> e(2 * labels.size() + 1, blank);
  for (std::size_t k = 0; k < labels.size(); ++k) e[2 * k + 1] = labels[k];
  return e;
}

namespace {

// log(exp(a - m) + exp(b - m) + exp(c - m)) + m, m the largest (0 when all are -inf).
template <class T>
T log_add3(T a, T b, T c) {
  constexpr T neginf = -std::numeric_limits<T>::infinity();
  T m = a;
  if (b > m) m = b;
  if (c > m) m = c;
  if (m == neginf) m = 0;
  return std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m)) + m;
}

}  // namespace

template <class T>
CtcSample<T> ctc_sample(const CtcFrames<T>& x, const std::vector<std::int64_t>& labels, std::int64_t blank, bool backward,
                        bool keep_alpha) {
  constexpr T neginf = -std::numeric_limits<T>::infinity();
  const std::int64_t S = static_cast<std::int64_t>(labels.size()), L = 2 * S + 1, n = x.frames, C = x.classes;
  const std::vector<std::int64_t> e = ctc_extended(labels, blank);
  CtcSample<T> r{0, {}, {}};
  if (backward) r.log_alpha_beta.assign(static_cast<std::size_t>(n * C), neginf);
  if (n == 0) {
    r.nll = S == 0 ? T(0) : std::numeric_limits<T>::infinity();
    return r;
  }
  const auto lp = [&](std::int64_t t, std::int64_t c) { return x.lp[t * x.stride + c]; };
  std::vector<T> alpha(static_cast<std::size_t>(n * L), neginf);
  const auto a = [&](std::int64_t t, std::int64_t s) -> T& { return alpha[static_cast<std::size_t>(t * L + s)]; };
  a(0, 0) = lp(0, blank);
  if (S > 0) a(0, 1) = lp(0, e[1]);
  for (std::int64_t t = 1; t < n; ++t)
    for (std::int64_t s = 0; s < L; ++s) {
      const T la1 = a(t - 1, s);
      const T la2 = s > 0 ? a(t - 1, s - 1) : neginf;
      const T la3 = s > 1 && e[static_cast<std::size_t>(s - 2)] != e[static_cast<std::size_t>(s)] ? a(t - 1, s - 2) : neginf;
      a(t, s) = log_add3(la1, la2, la3) + lp(t, e[static_cast<std::size_t>(s)]);
    }
  if (S == 0) {
    r.nll = -a(n - 1, 0);
  } else {
    const T l1 = a(n - 1, 2 * S), l2 = a(n - 1, 2 * S - 1);
    T m = std::max(l1, l2);
    m = m == neginf ? T(0) : m;
    r.nll = -(std::log(std::exp(l1 - m) + std::exp(l2 - m)) + m);
  }
  if (backward) {
    std::vector<T> beta(static_cast<std::size_t>(n * L), neginf);
    const auto b = [&](std::int64_t t, std::int64_t s) -> T& { return beta[static_cast<std::size_t>(t * L + s)]; };
    const auto g = [&](std::int64_t t, std::int64_t c) -> T& { return r.log_alpha_beta[static_cast<std::size_t>(t * C + c)]; };
    // The last frame: the final blank and the last label (ATen assigns
    // both, so a last label equal to the blank overwrites the blank's).
    b(n - 1, 2 * S) = lp(n - 1, blank);
    g(n - 1, blank) = a(n - 1, 2 * S) + b(n - 1, 2 * S);
    if (S > 0) {
      const std::int64_t c = e[static_cast<std::size_t>(2 * S - 1)];
      b(n - 1, 2 * S - 1) = lp(n - 1, c);
      g(n - 1, c) = a(n - 1, 2 * S - 1) + b(n - 1, 2 * S - 1);
    }
    for (std::int64_t t = n - 2; t >= 0; --t)
      for (std::int64_t s = 2 * S; s >= 0; --s) {
        const std::int64_t c = e[static_cast<std::size_t>(s)];
        const T lb1 = b(t + 1, s);
        const T lb2 = s < 2 * S ? b(t + 1, s + 1) : neginf;
        const T lb3 = s < 2 * S - 1 && e[static_cast<std::size_t>(s + 2)] != c ? b(t + 1, s + 2) : neginf;
        b(t, s) = log_add3(lb1, lb2, lb3) + lp(t, c);
        const T ab = a(t, s) + b(t, s);
        T& lcab = g(t, c);
        if (lcab == neginf) {
          lcab = ab;
        } else {
          const T m = std::max(lcab, ab);
          lcab = std::log(std::exp(lcab - m) + std::exp(ab - m)) + m;
        }
      }
  }
  if (keep_alpha) r.log_alpha = std::move(alpha);
  return r;
}

template CtcSample<float> ctc_sample(const CtcFrames<float>&, const std::vector<std::int64_t>&, std::int64_t, bool, bool);
template CtcSample<double> ctc_sample(const CtcFrames<double>&, const std::vector<std::int64_t>&, std::int64_t, bool, bool);

}  // namespace losscalc::core
