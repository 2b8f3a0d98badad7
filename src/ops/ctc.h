// The CTC functions' shared pieces (ops/ctc.cpp): the data checked as ATen
// checks it, and the recursion run over a batch.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ctc.h"
#include "core/losses.h"
#include "request.h"
#include "result.h"
#include "tensor.h"

namespace losscalc::ops {

struct CtcBatch {
  bool batched = true;        // (T, N, C) / (N, T, C); false: (T, C)
  bool concatenated = false;  // 1-D targets, sum(target_lengths) long
  std::int64_t frames = 0, batch = 0, classes = 0;
  std::vector<std::int64_t> input_lengths, target_lengths;
  std::vector<std::vector<std::int64_t>> labels;  // each sample's, target_length long
};

template <class T>
struct CtcGrads {
  core::Vec<T> nll;                   // per sample
  std::vector<T> log_alpha_beta;      // of the log-probabilities' layout (see core::CtcSample)
  std::vector<std::vector<T>> log_alpha;  // samples 0 .. keep_alpha_of - 1: frames x (2S + 1)
};
// The data arguments' names in a framework's words; `torch`: torch's checks
// and messages (ctc_loss_cpu's), and the (T, C) form; otherwise plain ones
// (tf.nn, Keras, optax: 3-D only, a label equal to the blank refused).
struct CtcNames {
  const char* input = "log_probs";
  const char* targets = "targets";
  const char* input_lengths = "input_lengths";
  const char* target_lengths = "target_lengths";
  const char* blank = "--blank";
  bool torch = true;
};
// The checks, and bad data where ATen would read out of bounds unchecked
// (labels outside [0, C), negative lengths, an input length 0 with a
// non-empty target). `time_major`: (T, N, C), else (N, T, C).
CtcBatch ctc_batch(const Tensor& log_probs, const Tensor& targets, const Tensor* input_lengths, const Tensor* target_lengths,
                   std::int64_t blank, bool time_major, const CtcNames& names);

// Per sample n with a finite loss (or every one unless `skip_infinite`),
// frames t < its length: occupancy gamma = exp(log_alpha_beta + nll - lp)
// and grad = (exp(lp) - gamma) * upstream[n]; `lp` the log-probabilities
// (log_softmax of the logits, so exp(lp) is the softmax). 0 elsewhere.
template <class T>
void ctc_softmax_grad(const CtcBatch& b, const core::Vec<T>& lp, const CtcGrads<T>& g, bool time_major, const core::Vec<T>& upstream,
                      bool skip_infinite, core::Vec<T>& occupancy, core::Vec<T>& grad);
// log_softmax over the last axis (max taken out, then log of the sum of exps).
template <class T>
core::Vec<T> ctc_log_softmax(const core::Vec<T>& x, std::int64_t classes);
// (N, 2 Smax + 1) extended label sequences, -1 padding the shorter.
Tensor ctc_extended_tensor(const CtcBatch& b, std::int64_t blank);

template <class T>
CtcGrads<T> ctc_run(const CtcBatch& b, const core::Vec<T>& x, std::int64_t blank, bool time_major, bool backward,
                    std::int64_t keep_alpha_of);

// The four CTC functions.
enum class CtcFunction { Torch, Tf, Keras, Optax };

// What torch's ctc_loss, tf.nn.ctc_loss and Keras's ctc hand to ctc_run:
// the checked batch, the log-probabilities (log_softmax of the logits for
// tf.nn and Keras), the blank, the layout; Keras's label_length too.
template <class T>
struct CtcPrepared {
  CtcBatch b;
  core::Vec<T> lp;
  std::int64_t blank = 0;
  bool time_major = true;
  Shape input_shape, target_shape;  // Keras: after squeezing or expanding
  Tensor label_length;              // Keras: the nonzero labels of each row
};
template <class T>
CtcPrepared<T> ctc_prepare(CtcFunction f, const Data& data, const Settings& s);  // Torch, Tf or Keras

// optax.ctc_loss's checked data and the inputs of core::optax_ctc_sample.
template <class T>
struct OptaxPrepared {
  std::int64_t B = 0, F = 0, K = 0, N = 0, blank = 0;
  T log_epsilon = 0;
  core::Vec<T> lp, pads;  // log_softmax (B, F, K); logit paddings (B, F)
  std::vector<std::int64_t> label_length;
  std::vector<std::vector<std::int64_t>> ids;
  std::vector<std::vector<unsigned char>> repeat;
  std::vector<std::vector<T>> emit;  // per sequence, F x N
  core::OptaxCtcInput<T> input(std::int64_t b) const;
};
template <class T>
OptaxPrepared<T> optax_prepare(const Data& data, const Settings& s);

// For --explain: one sample's forward variables as the function's kernel
// computes them, by the same preparation and the same core recursion
// (which is deterministic, so these are the numbers the loss came from).
// Columns are the states of the extended sequence l'; optax's states are
// mapped onto them (s = 2n: logalpha_blank[n], s = 2n + 1:
// logalpha_nonblank[n]), its last row as the recursion left it, before the
// last epsilon move. Values are the dtype's, held as double.
struct CtcTable {
  std::vector<std::int64_t> labels;    // l, the target length used
  std::vector<std::int64_t> extended;  // l'
  std::int64_t blank = 0;
  std::int64_t frames = 0;             // rows: the input length (optax: every frame, padded ones carried over)
  std::int64_t padded = 0;             // optax: padded frames among them
  std::vector<double> log_alpha;       // frames x |l'|
  double log_likelihood = 0;           // from the last row: ctc_log_likelihood (optax: jnp.logaddexp)
  double nll = 0;                      // the kernel's -log p (optax: its loss, -einsum(phi_last, one_hot))
};
std::int64_t ctc_samples(CtcFunction f, const Data& data, const Settings& s);
template <class T>
std::vector<CtcTable> ctc_tables(CtcFunction f, const Data& data, const Settings& s, const std::vector<std::int64_t>& samples);

}  // namespace losscalc::ops
