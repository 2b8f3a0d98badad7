// Connectionist temporal classification: the forward-backward recursion in
// log space over the extended label sequence (blank, l1, blank, l2, ...,
// blank), linear in frames x (2S + 1). One sample at a time, on a strided
// view of its log-probabilities, so that time-major (T, N, C) and
// batch-major (N, T, C) layouts share it. No I/O.
#pragma once

#include <cstdint>
#include <vector>

namespace losscalc::core {

// One sample's log-probabilities: frame t, class c at lp[t * stride + c].
template <class T>
struct CtcFrames {
  const T* lp;
  std::int64_t stride;  // between frames
  std::int64_t classes;
  std::int64_t frames;  // the sample's input length (frames past it are not read)
};

// What the recursion gives for one sample.
template <class T>
struct CtcSample {
  T nll;                       // -log p(labels | frames); inf when no alignment exists
  // log sum over the states s with l'(s) = c of alpha_t(s) beta_t(s), per
  // (frame, class), laid out frames x classes (-inf where no state); beta
  // includes frame t's emission, as ATen's does, so the posterior occupancy
  // of class c at frame t is exp(log_alpha_beta - nll - lp).
  std::vector<T> log_alpha_beta;
  std::vector<T> log_alpha;    // frames x (2S + 1), when asked for (--explain)
};

// The extended sequence l' of `labels`: blank, l1, blank, ..., lS, blank.
std::vector<std::int64_t> ctc_extended(const std::vector<std::int64_t>& labels, std::int64_t blank);

// ATen's CPU recursion (aten/src/ATen/native/LossCTC.cpp, torch 1.13), in
// its order of operations, so that float32 rounds as torch's float32 does:
// alpha over t = 1..frames-1 (each state a log-sum-exp of its up to three
// predecessors, the maximum taken out, 0 for it when all are -inf); the
// likelihood from the last two states (the last one alone for an empty
// target); beta backwards, with alpha beta gathered per class as it goes.
// `frames` 0 gives nll 0 for an empty target and inf otherwise. Labels must
// be in [0, classes); a label equal to the blank is taken as ATen takes it.
template <class T>
CtcSample<T> ctc_sample(const CtcFrames<T>& x, const std::vector<std::int64_t>& labels, std::int64_t blank, bool backward,
                        bool keep_alpha);

// log p(labels | frames) from the last frame's alphas as ctc_sample forms
// it: log(exp(a - m) + exp(b - m)) + m, m the larger (0 when both are -inf),
// a = alpha_{T-1}(2S), b = alpha_{T-1}(2S - 1). (An empty target has only
// alpha_{T-1}(0): ctc_sample takes it alone.)
template <class T>
T ctc_log_likelihood(T a, T b);

// jnp.logaddexp: amax + log1p(exp(-|x1 - x2|)), x1 + x2 where the
// difference is NaN (infinities of one sign, or a NaN).
template <class T>
T jax_logaddexp(T x1, T x2);

// optax.ctc_loss's recursion (optax/losses/_classification.py,
// ctc_loss_with_forward_probs, at google-deepmind/optax 2edbcbe, Aug 2026),
// one sequence, in its order of operations: states phi[0..N] (blank after n
// labels) and emit[0..N-1] (label n emitted), N the labels' padded width;
// -inf replaced by log_epsilon, so that the forbidden transitions (the
// epsilon move between two equal labels, the blank move after a label that
// is not repeated) are added with log_epsilon rather than left out, and an
// impossible alignment costs a multiple of -log_epsilon instead of inf. A
// padded frame (pad 1) keeps the states of the frame before. The loss is
// -phi_last[label_length] after the last epsilon move. Backward is the
// reverse-mode derivative of that recursion, as jax's autodiff takes it
// (logaddexp's weights exp(x - out), +inf taken as 0 in them as jax's
// custom_jvp does), w.r.t. the log-probabilities.
template <class T>
struct OptaxCtcInput {
  const T* lp;              // log_softmax, frame t class k at lp[t * classes + k]
  std::int64_t frames, classes;
  const T* pad;             // frames values: the logit paddings (1 padded)
  const T* emit;            // frames x N: einsum of lp and one_hot(labels) (lp[label], 0 for a label outside [0, K))
  std::vector<std::int64_t> labels;   // N (a value outside [0, classes): one_hot's zero row)
  std::vector<unsigned char> repeat;  // N: labels[n] == labels[n + 1] (0 for the last)
  std::int64_t label_length;          // N - sum(label paddings)
  std::int64_t blank;
  T log_epsilon;
};
template <class T>
struct OptaxCtcSample {
  T loss;
  std::vector<T> phi, emit;  // frames x (N + 1), frames x N: logalpha_blank / logalpha_nonblank (last row updated)
  std::vector<T> phi_before_last;  // N + 1: phi's last row as the recursion left it, before the last epsilon move
  std::vector<T> grad_lp;    // frames x classes: d loss / d lp (when backward)
};
template <class T>
OptaxCtcSample<T> optax_ctc_sample(const OptaxCtcInput<T>& x, bool backward);

}  // namespace losscalc::core
