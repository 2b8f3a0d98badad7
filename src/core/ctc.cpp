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
T ctc_log_likelihood(T a, T b) {
  constexpr T neginf = -std::numeric_limits<T>::infinity();
  T m = std::max(a, b);
  m = m == neginf ? T(0) : m;
  return std::log(std::exp(a - m) + std::exp(b - m)) + m;
}

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
  r.nll = S == 0 ? -a(n - 1, 0) : -ctc_log_likelihood(a(n - 1, 2 * S), a(n - 1, 2 * S - 1));
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

template <class T>
T jax_logaddexp(T x1, T x2) {
  const T delta = x1 - x2;
  if (std::isnan(delta)) return x1 + x2;
  const T amax = x1 > x2 ? x1 : x2;
  return amax + std::log1p(std::exp(-std::abs(delta)));
}

namespace {

// jnp.logaddexp's custom_jvp: the weights exp(x - out), with x or out taken
// as 0 where it is +inf (jax's _replace_inf selects on isposinf) and left as
// it is where it is -inf: exp(-inf - out) is 0 for a finite out, and
// exp(-inf - (-inf)) is NaN, as in jax.
template <class T>
T replace_posinf(T x) {
  return x == std::numeric_limits<T>::infinity() ? T(0) : x;
}
template <class T>
T jax_logaddexp_weight(T x, T out) {
  return std::exp(replace_posinf(x) - replace_posinf(out));
}

}  // namespace

template <class T>
OptaxCtcSample<T> optax_ctc_sample(const OptaxCtcInput<T>& x, bool backward) {
  const std::int64_t F = x.frames, K = x.classes, N = static_cast<std::int64_t>(x.labels.size()), W = N + 1;
  const T eps = x.log_epsilon;
  const auto rep = [&](std::int64_t n) { return static_cast<T>(x.repeat[static_cast<std::size_t>(n)]); };
  // States before each frame t (row t) and after the last (row F).
  std::vector<T> P(static_cast<std::size_t>((F + 1) * W)), E(static_cast<std::size_t>((F + 1) * N));
  for (std::int64_t n = 0; n < W; ++n) P[static_cast<std::size_t>(n)] = n == 0 ? T(0) : T(1) * eps;
  for (std::int64_t n = 0; n < N; ++n) E[static_cast<std::size_t>(n)] = T(1) * eps;
  std::vector<T> P1(static_cast<std::size_t>(W)), NP(static_cast<std::size_t>(W)), NE(static_cast<std::size_t>(N));
  // One frame's update from the states of row t: P1 (after the epsilon move), NE, NP0 (in NP) and NP.
  const auto step = [&](std::int64_t t, std::vector<T>& p1, std::vector<T>& np0, std::vector<T>& np, std::vector<T>& ne) {
    const T* p = P.data() + t * W;
    const T* e = E.data() + t * N;
    const T lb = x.lp[t * K + x.blank];
    const T* le = x.emit + t * N;
    p1[0] = p[0];
    for (std::int64_t n = 0; n < N; ++n) p1[static_cast<std::size_t>(n + 1)] = jax_logaddexp(p[n + 1], e[n] + eps * rep(n));
    for (std::int64_t n = 0; n < N; ++n)
      ne[static_cast<std::size_t>(n)] = jax_logaddexp(p1[static_cast<std::size_t>(n)] + le[n], e[n] + le[n]);
    for (std::int64_t n = 0; n < W; ++n) np0[static_cast<std::size_t>(n)] = p1[static_cast<std::size_t>(n)] + lb;
    np[0] = np0[0];
    for (std::int64_t n = 0; n < N; ++n)
      np[static_cast<std::size_t>(n + 1)] = jax_logaddexp(np0[static_cast<std::size_t>(n + 1)], e[n] + lb + eps * (T(1) - rep(n)));
  };
  std::vector<T> NP0(static_cast<std::size_t>(W));
  for (std::int64_t t = 0; t < F; ++t) {
    step(t, P1, NP0, NP, NE);
    const T pad = x.pad[t];
    T* pn = P.data() + (t + 1) * W;
    T* en = E.data() + (t + 1) * N;
    const T* p = P.data() + t * W;
    const T* e = E.data() + t * N;
    for (std::int64_t n = 0; n < N; ++n) en[n] = pad * e[n] + (T(1) - pad) * NE[static_cast<std::size_t>(n)];
    for (std::int64_t n = 0; n < W; ++n) pn[n] = pad * p[n] + (T(1) - pad) * NP[static_cast<std::size_t>(n)];
  }
  OptaxCtcSample<T> r;
  // The last row's epsilon move, then -einsum(phi_last, one_hot(label_length)).
  const T* pf = P.data() + F * W;
  const T* ef = E.data() + F * N;
  std::vector<T> last(static_cast<std::size_t>(W));
  last[0] = pf[0];
  for (std::int64_t n = 0; n < N; ++n) last[static_cast<std::size_t>(n + 1)] = jax_logaddexp(pf[n + 1], ef[n]);
  r.phi_before_last.assign(pf, pf + W);
  T dot = 0;
  for (std::int64_t n = 0; n < W; ++n) dot += last[static_cast<std::size_t>(n)] * (n == x.label_length ? T(1) : T(0));
  r.loss = -dot;
  r.phi.assign(P.begin() + W, P.end());
  r.emit.assign(E.begin() + N, E.end());
  if (F > 0)
    for (std::int64_t n = 0; n < W; ++n) r.phi[static_cast<std::size_t>((F - 1) * W + n)] = last[static_cast<std::size_t>(n)];
  if (!backward) return r;
  // Reverse mode: gP, gE the adjoints of the states of row t + 1, carried back to row t.
  r.grad_lp.assign(static_cast<std::size_t>(F * K), T(0));
  std::vector<T> gP(static_cast<std::size_t>(W)), gE(static_cast<std::size_t>(N), T(0));
  for (std::int64_t n = 0; n < W; ++n) gP[static_cast<std::size_t>(n)] = -(n == x.label_length ? T(1) : T(0));
  {
    std::vector<T> gl = gP;
    for (std::int64_t n = 0; n < N; ++n) {
      const T g = gl[static_cast<std::size_t>(n + 1)], out = last[static_cast<std::size_t>(n + 1)];
      gP[static_cast<std::size_t>(n + 1)] = g * jax_logaddexp_weight(pf[n + 1], out);
      gE[static_cast<std::size_t>(n)] = g * jax_logaddexp_weight(ef[n], out);
    }
  }
  std::vector<T> gNP(static_cast<std::size_t>(W)), gNE(static_cast<std::size_t>(N)), gP1(static_cast<std::size_t>(W)),
      gp(static_cast<std::size_t>(W)), ge(static_cast<std::size_t>(N));
  for (std::int64_t t = F - 1; t >= 0; --t) {
    step(t, P1, NP0, NP, NE);
    const T pad = x.pad[t];
    const T* p = P.data() + t * W;
    const T* e = E.data() + t * N;
    const T lb = x.lp[t * K + x.blank];
    const T* le = x.emit + t * N;
    for (std::int64_t n = 0; n < W; ++n) {
      gp[static_cast<std::size_t>(n)] = pad * gP[static_cast<std::size_t>(n)];
      gNP[static_cast<std::size_t>(n)] = (T(1) - pad) * gP[static_cast<std::size_t>(n)];
    }
    for (std::int64_t n = 0; n < N; ++n) {
      ge[static_cast<std::size_t>(n)] = pad * gE[static_cast<std::size_t>(n)];
      gNE[static_cast<std::size_t>(n)] = (T(1) - pad) * gE[static_cast<std::size_t>(n)];
    }
    T g_lb = 0;
    T* glp = r.grad_lp.data() + t * K;
    // np[n + 1] = logaddexp(np0[n + 1], e[n] + lb + eps (1 - rep)); np[0] = np0[0]; np0 = p1 + lb.
    gP1[0] = gNP[0];
    g_lb += gNP[0];
    for (std::int64_t n = 0; n < N; ++n) {
      const T g = gNP[static_cast<std::size_t>(n + 1)], out = NP[static_cast<std::size_t>(n + 1)];
      const T g0 = g * jax_logaddexp_weight(NP0[static_cast<std::size_t>(n + 1)], out);
      const T gx = g * jax_logaddexp_weight(e[n] + lb + eps * (T(1) - rep(n)), out);
      ge[static_cast<std::size_t>(n)] += gx;
      g_lb += gx;
      gP1[static_cast<std::size_t>(n + 1)] = g0;
      g_lb += g0;
    }
    // ne[n] = logaddexp(p1[n] + le[n], e[n] + le[n]).
    for (std::int64_t n = 0; n < N; ++n) {
      const T g = gNE[static_cast<std::size_t>(n)], out = NE[static_cast<std::size_t>(n)];
      const T wa = g * jax_logaddexp_weight(P1[static_cast<std::size_t>(n)] + le[n], out);
      const T wb = g * jax_logaddexp_weight(e[n] + le[n], out);
      gP1[static_cast<std::size_t>(n)] += wa;
      ge[static_cast<std::size_t>(n)] += wb;
      const std::int64_t k = x.labels[static_cast<std::size_t>(n)];
      if (k >= 0 && k < K) glp[k] += wa + wb;
    }
    // p1[n + 1] = logaddexp(p[n + 1], e[n] + eps rep); p1[0] = p[0].
    gp[0] += gP1[0];
    for (std::int64_t n = 0; n < N; ++n) {
      const T g = gP1[static_cast<std::size_t>(n + 1)], out = P1[static_cast<std::size_t>(n + 1)];
      gp[static_cast<std::size_t>(n + 1)] += g * jax_logaddexp_weight(p[n + 1], out);
      ge[static_cast<std::size_t>(n)] += g * jax_logaddexp_weight(e[n] + eps * rep(n), out);
    }
    glp[x.blank] += g_lb;
    gP.swap(gp);
    gE.swap(ge);
  }
  return r;
}

template float ctc_log_likelihood(float, float);
template double ctc_log_likelihood(double, double);
template float jax_logaddexp(float, float);
template double jax_logaddexp(double, double);
template OptaxCtcSample<float> optax_ctc_sample(const OptaxCtcInput<float>&, bool);
template OptaxCtcSample<double> optax_ctc_sample(const OptaxCtcInput<double>&, bool);

template CtcSample<float> ctc_sample(const CtcFrames<float>&, const std::vector<std::int64_t>&, std::int64_t, bool, bool);
template CtcSample<double> ctc_sample(const CtcFrames<double>&, const std::vector<std::int64_t>&, std::int64_t, bool, bool);

}  // namespace losscalc::core
