// The CTC functions' shared pieces (ops/ctc.cpp): the data checked as ATen
// checks it, and the recursion run over a batch.
#pragma once

#include <cstdint>
#include <vector>

#include "core/losses.h"
#include "tensor.h"

namespace losscalc::ops {

struct CtcBatch {
  bool batched = true;        // (T, N, C) / (N, T, C); false: (T, C)
  bool concatenated = false;  // 1-D targets, sum(target_lengths) long
  std::int64_t frames = 0, batch = 0, classes = 0;
  std::vector<std::int64_t> input_lengths, target_lengths;
  std::vector<std::vector<std::int64_t>> labels;  // each sample's, target_length long
};

// torch's checks and messages (ctc_loss_cpu's), and bad data where ATen
// reads out of bounds unchecked (labels outside [0, C), negative lengths, an
// input length 0 with a non-empty target). `time_major`: (T, N, C), else (N, T, C).
CtcBatch ctc_batch(const Tensor& log_probs, const Tensor& targets, const Tensor* input_lengths, const Tensor* target_lengths,
                   std::int64_t blank, bool time_major, const char* targets_name);

template <class T>
struct CtcGrads {
  core::Vec<T> nll;                   // per sample
  std::vector<T> log_alpha_beta;      // of the log-probabilities' layout (see core::CtcSample)
  std::vector<std::vector<T>> log_alpha;  // samples 0 .. keep_alpha_of - 1: frames x (2S + 1)
};
template <class T>
CtcGrads<T> ctc_run(const CtcBatch& b, const core::Vec<T>& x, std::int64_t blank, bool time_major, bool backward,
                    std::int64_t keep_alpha_of);

}  // namespace losscalc::ops
