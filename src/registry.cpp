#include "registry.h"

#include "ops/ops.h"

namespace losscalc {

const std::vector<FunctionSpec>& functions() {
  static const std::vector<FunctionSpec> table = {
      {"cross_entropy", {"ce", "cross-entropy", "CrossEntropyLoss"}, Family::Torch,
       "torch cross-entropy of logits: class indices or class probabilities", "logits",
       kWeight | kReduction | kIgnoreIndex | kLabelSmoothing | kDim | kTargetType, true, Reduction::Mean,
       DimDefault::TorchClass, &ops::cross_entropy<float>, &ops::cross_entropy<double>},
      {"nll_loss", {"nll", "nll-loss", "NLLLoss"}, Family::Torch,
       "torch negative log-likelihood of log-probabilities and class indices", "log-probabilities",
       kWeight | kReduction | kIgnoreIndex | kDim | kTargetType, true, Reduction::Mean, DimDefault::TorchClass,
       &ops::nll_loss<float>, &ops::nll_loss<double>},
      {"softmax", {"Softmax"}, Family::Torch, "torch softmax along --dim", "values", kDim, false, Reduction::Mean,
       DimDefault::TorchClass, &ops::softmax<float>, &ops::softmax<double>},
      {"log_softmax", {"log-softmax", "LogSoftmax"}, Family::Torch, "torch log_softmax along --dim", "values", kDim,
       false, Reduction::Mean, DimDefault::TorchClass, &ops::log_softmax<float>, &ops::log_softmax<double>},
      {"binary_cross_entropy", {"bce", "binary-cross-entropy", "BCELoss"}, Family::Torch,
       "torch binary cross-entropy of probabilities (logs clamped at -100)", "probabilities in [0, 1]",
       kWeight | kReduction, true, Reduction::Mean, DimDefault::TorchClass, &ops::binary_cross_entropy<float>,
       &ops::binary_cross_entropy<double>},
      {"binary_cross_entropy_with_logits", {"bce_with_logits", "bce-with-logits", "BCEWithLogitsLoss"}, Family::Torch,
       "torch binary cross-entropy of logits, with weight and pos_weight", "logits", kWeight | kPosWeight | kReduction,
       true, Reduction::Mean, DimDefault::TorchClass, &ops::binary_cross_entropy_with_logits<float>,
       &ops::binary_cross_entropy_with_logits<double>},
      {"sigmoid", {"Sigmoid"}, Family::Torch, "torch sigmoid, elementwise", "values", 0, false, Reduction::Mean,
       DimDefault::TorchClass, &ops::sigmoid<float>, &ops::sigmoid<double>},
      {"softmax_cross_entropy_with_logits", {"tf.nn.softmax_cross_entropy_with_logits"}, Family::TfNn,
       "tf.nn softmax cross-entropy: logits and class probabilities, classes on --axis (-1)", "logits",
       kReduction | kDim, true, Reduction::None, DimDefault::Last, &ops::softmax_cross_entropy_with_logits<float>,
       &ops::softmax_cross_entropy_with_logits<double>},
      {"sparse_softmax_cross_entropy_with_logits", {"tf.nn.sparse_softmax_cross_entropy_with_logits"}, Family::TfNn,
       "tf.nn sparse softmax cross-entropy: logits and class indices, classes last", "logits", kReduction, true,
       Reduction::None, DimDefault::Last, &ops::sparse_softmax_cross_entropy_with_logits<float>,
       &ops::sparse_softmax_cross_entropy_with_logits<double>},
      {"sigmoid_cross_entropy_with_logits", {"tf.nn.sigmoid_cross_entropy_with_logits"}, Family::TfNn,
       "tf.nn sigmoid cross-entropy of logits and labels, elementwise", "logits", kReduction, true, Reduction::None,
       DimDefault::Last, &ops::sigmoid_cross_entropy_with_logits<float>, &ops::sigmoid_cross_entropy_with_logits<double>},
      {"weighted_cross_entropy_with_logits", {"tf.nn.weighted_cross_entropy_with_logits"}, Family::TfNn,
       "tf.nn sigmoid cross-entropy with --pos-weight (required), elementwise", "logits",
       kReduction | kPosWeight | kRequirePosWeight, true, Reduction::None, DimDefault::Last,
       &ops::weighted_cross_entropy_with_logits<float>, &ops::weighted_cross_entropy_with_logits<double>},
      {"categorical_crossentropy", {"CategoricalCrossentropy", "keras.losses.categorical_crossentropy"}, Family::Keras,
       "keras categorical cross-entropy: probabilities (clipped) or --from-logits, class probabilities",
       "probabilities (or logits with --from-logits)", kReduction | kFromLogits | kLabelSmoothing | kEpsilon | kDim, true,
       Reduction::SumOverBatchSize, DimDefault::Last, &ops::categorical_crossentropy<float>,
       &ops::categorical_crossentropy<double>},
      {"sparse_categorical_crossentropy",
       {"SparseCategoricalCrossentropy", "keras.losses.sparse_categorical_crossentropy"}, Family::Keras,
       "keras sparse categorical cross-entropy: class indices, --ignore-index as ignore_class",
       "probabilities (or logits with --from-logits)", kReduction | kFromLogits | kIgnoreIndex | kEpsilon | kDim, true,
       Reduction::SumOverBatchSize, DimDefault::Last, &ops::sparse_categorical_crossentropy<float>,
       &ops::sparse_categorical_crossentropy<double>},
      {"binary_crossentropy", {"BinaryCrossentropy", "keras.losses.binary_crossentropy"}, Family::Keras,
       "keras binary cross-entropy: mean over the last axis per sample, clipped probabilities or --from-logits",
       "probabilities (or logits with --from-logits)", kReduction | kFromLogits | kLabelSmoothing | kEpsilon | kDim, true,
       Reduction::SumOverBatchSize, DimDefault::Last, &ops::binary_crossentropy<float>, &ops::binary_crossentropy<double>},
      {"compare", {"cmp"}, Family::Tool,
       "the same data through torch, tf.nn and keras side by side, and why the numbers differ",
       "logits or probabilities (--input-kind)",
       kWeight | kPosWeight | kIgnoreIndex | kLabelSmoothing | kDim | kEpsilon | kInputKind, true, Reduction::Mean,
       DimDefault::Unset, &ops::compare<float>, &ops::compare<double>},
      {"merge", {}, Family::Tool,
       "combine --partial results (shards, threads, machines) into one exact loss",
       "files of --partial results, one JSON object a line (- or none: stdin)", 0, false, Reduction::Mean, DimDefault::Unset,
       &ops::merge_placeholder<float>, &ops::merge_placeholder<double>},
  };
  return table;
}

const FunctionSpec* find_function(std::string_view name) {
  for (auto& f : functions()) {
    if (f.name == name) return &f;
    for (auto a : f.aliases)
      if (a == name) return &f;
  }
  return nullptr;
}

std::string_view family_name(Family f) {
  switch (f) {
    case Family::Torch:
      return "torch";
    case Family::TfNn:
      return "tf.nn";
    case Family::Keras:
      return "keras";
    case Family::Tool:
      return "losscalc";
  }
  return "torch";
}

}  // namespace losscalc
