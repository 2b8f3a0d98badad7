#include "registry.h"

#include "ops/ops.h"

namespace losscalc {

const std::vector<FunctionSpec>& functions() {
  // One row a function. Designated fields, in FunctionSpec's order.
  static const std::vector<FunctionSpec> table = {
      {.name = "cross_entropy", .aliases = {"ce", "cross-entropy", "CrossEntropyLoss"}, .family = Family::Torch,
       .summary = "torch cross-entropy of logits: class indices or class probabilities", .input_is = "logits",
       .target_is = "class indices, or class probabilities of INPUT's shape",
       .options = kWeight | kReduction | kIgnoreIndex | kLabelSmoothing | kDim | kTargetType, .takes_target = true,
       .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass, .layout = Layout::ClassAxis,
       .run_float = &ops::cross_entropy<float>, .run_double = &ops::cross_entropy<double>},
      {.name = "nll_loss", .aliases = {"nll", "nll-loss", "NLLLoss"}, .family = Family::Torch,
       .summary = "torch negative log-likelihood of log-probabilities and class indices", .input_is = "log-probabilities",
       .target_is = "class indices", .options = kWeight | kReduction | kIgnoreIndex | kDim | kTargetType,
       .takes_target = true, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::ClassAxis, .run_float = &ops::nll_loss<float>, .run_double = &ops::nll_loss<double>},
      {.name = "softmax", .aliases = {"Softmax"}, .family = Family::Torch, .summary = "torch softmax along --dim",
       .input_is = "values", .target_is = "", .options = kDim, .takes_target = false, .default_reduction = Reduction::Mean,
       .dim_default = DimDefault::TorchClass, .layout = Layout::ClassAxis, .run_float = &ops::softmax<float>,
       .run_double = &ops::softmax<double>},
      {.name = "log_softmax", .aliases = {"log-softmax", "LogSoftmax"}, .family = Family::Torch,
       .summary = "torch log_softmax along --dim", .input_is = "values", .target_is = "", .options = kDim,
       .takes_target = false, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::ClassAxis, .run_float = &ops::log_softmax<float>, .run_double = &ops::log_softmax<double>},
      {.name = "binary_cross_entropy", .aliases = {"bce", "binary-cross-entropy", "BCELoss"}, .family = Family::Torch,
       .summary = "torch binary cross-entropy of probabilities (logs clamped at -100)", .input_is = "probabilities in [0, 1]",
       .target_is = "labels in [0, 1] of INPUT's shape", .options = kWeight | kReduction, .takes_target = true,
       .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise,
       .run_float = &ops::binary_cross_entropy<float>, .run_double = &ops::binary_cross_entropy<double>},
      {.name = "binary_cross_entropy_with_logits", .aliases = {"bce_with_logits", "bce-with-logits", "BCEWithLogitsLoss"},
       .family = Family::Torch, .summary = "torch binary cross-entropy of logits, with weight and pos_weight",
       .input_is = "logits", .target_is = "labels in [0, 1] of INPUT's shape", .options = kWeight | kPosWeight | kReduction,
       .takes_target = true, .default_reduction = Reduction::Mean, .dim_default = DimDefault::TorchClass,
       .layout = Layout::Elementwise, .run_float = &ops::binary_cross_entropy_with_logits<float>,
       .run_double = &ops::binary_cross_entropy_with_logits<double>},
      {.name = "mse_loss", .aliases = {"mse", "mse-loss", "MSELoss"}, .family = Family::Torch,
       .summary = "torch mean squared error, elementwise (input and target broadcast, with torch's warning)",
       .input_is = "predictions", .target_is = "targets, of INPUT's shape (or broadcasting to it)",
       .options = kReduction, .takes_target = true, .default_reduction = Reduction::Mean,
       .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise, .run_float = &ops::mse_loss<float>,
       .run_double = &ops::mse_loss<double>, .explain_steps = &explain::squared_error_steps},
      {.name = "sigmoid", .aliases = {"Sigmoid"}, .family = Family::Torch, .summary = "torch sigmoid, elementwise",
       .input_is = "values", .target_is = "", .options = 0, .takes_target = false, .default_reduction = Reduction::Mean,
       .dim_default = DimDefault::TorchClass, .layout = Layout::Elementwise, .run_float = &ops::sigmoid<float>,
       .run_double = &ops::sigmoid<double>},
      {.name = "softmax_cross_entropy_with_logits", .aliases = {"tf.nn.softmax_cross_entropy_with_logits"},
       .family = Family::TfNn,
       .summary = "tf.nn softmax cross-entropy: logits and class probabilities, classes on --axis (-1)",
       .input_is = "logits", .target_is = "class probabilities (or one-hot) of INPUT's shape", .options = kReduction | kDim,
       .takes_target = true, .default_reduction = Reduction::None, .dim_default = DimDefault::Last,
       .layout = Layout::ClassAxis, .run_float = &ops::softmax_cross_entropy_with_logits<float>,
       .run_double = &ops::softmax_cross_entropy_with_logits<double>},
      {.name = "sparse_softmax_cross_entropy_with_logits", .aliases = {"tf.nn.sparse_softmax_cross_entropy_with_logits"},
       .family = Family::TfNn, .summary = "tf.nn sparse softmax cross-entropy: logits and class indices, classes last",
       .input_is = "logits", .target_is = "class indices", .options = kReduction, .takes_target = true,
       .default_reduction = Reduction::None, .dim_default = DimDefault::Last, .layout = Layout::ClassAxis,
       .run_float = &ops::sparse_softmax_cross_entropy_with_logits<float>,
       .run_double = &ops::sparse_softmax_cross_entropy_with_logits<double>},
      {.name = "sigmoid_cross_entropy_with_logits", .aliases = {"tf.nn.sigmoid_cross_entropy_with_logits"},
       .family = Family::TfNn, .summary = "tf.nn sigmoid cross-entropy of logits and labels, elementwise",
       .input_is = "logits", .target_is = "labels in [0, 1] of INPUT's shape", .options = kReduction, .takes_target = true,
       .default_reduction = Reduction::None, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .run_float = &ops::sigmoid_cross_entropy_with_logits<float>,
       .run_double = &ops::sigmoid_cross_entropy_with_logits<double>},
      {.name = "weighted_cross_entropy_with_logits", .aliases = {"tf.nn.weighted_cross_entropy_with_logits"},
       .family = Family::TfNn, .summary = "tf.nn sigmoid cross-entropy with --pos-weight (required), elementwise",
       .input_is = "logits", .target_is = "labels in [0, 1] of INPUT's shape",
       .options = kReduction | kPosWeight | kRequirePosWeight, .takes_target = true, .default_reduction = Reduction::None,
       .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .run_float = &ops::weighted_cross_entropy_with_logits<float>,
       .run_double = &ops::weighted_cross_entropy_with_logits<double>},
      {.name = "categorical_crossentropy", .aliases = {"CategoricalCrossentropy", "keras.losses.categorical_crossentropy"},
       .family = Family::Keras,
       .summary = "keras categorical cross-entropy: probabilities (clipped) or --from-logits, class probabilities",
       .input_is = "probabilities (or logits with --from-logits)",
       .target_is = "class probabilities (or one-hot) of INPUT's shape",
       .options = kReduction | kFromLogits | kLabelSmoothing | kEpsilon | kDim, .takes_target = true,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::ClassAxis,
       .run_float = &ops::categorical_crossentropy<float>, .run_double = &ops::categorical_crossentropy<double>},
      {.name = "sparse_categorical_crossentropy",
       .aliases = {"SparseCategoricalCrossentropy", "keras.losses.sparse_categorical_crossentropy"},
       .family = Family::Keras,
       .summary = "keras sparse categorical cross-entropy: class indices, --ignore-index as ignore_class",
       .input_is = "probabilities (or logits with --from-logits)", .target_is = "class indices",
       .options = kReduction | kFromLogits | kIgnoreIndex | kEpsilon | kDim, .takes_target = true,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::ClassAxis,
       .run_float = &ops::sparse_categorical_crossentropy<float>,
       .run_double = &ops::sparse_categorical_crossentropy<double>},
      {.name = "binary_crossentropy", .aliases = {"BinaryCrossentropy", "keras.losses.binary_crossentropy"},
       .family = Family::Keras,
       .summary = "keras binary cross-entropy: mean over the last axis per sample, clipped probabilities or --from-logits",
       .input_is = "probabilities (or logits with --from-logits)", .target_is = "labels in [0, 1] of INPUT's shape",
       .options = kReduction | kFromLogits | kLabelSmoothing | kEpsilon | kDim, .takes_target = true,
       .default_reduction = Reduction::SumOverBatchSize, .dim_default = DimDefault::Last, .layout = Layout::Elementwise,
       .run_float = &ops::binary_crossentropy<float>, .run_double = &ops::binary_crossentropy<double>},
      {.name = "compare", .aliases = {"cmp"}, .family = Family::Tool,
       .summary = "the same data through torch, tf.nn and keras side by side, and why the numbers differ",
       .input_is = "logits or probabilities (--input-kind)",
       .target_is = "class indices, or class probabilities of INPUT's shape",
       .options = kWeight | kPosWeight | kIgnoreIndex | kLabelSmoothing | kDim | kEpsilon | kInputKind,
       .takes_target = true, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Unset,
       .layout = Layout::Tool, .run_float = &ops::compare<float>, .run_double = &ops::compare<double>},
      {.name = "merge", .aliases = {}, .family = Family::Tool,
       .summary = "combine --partial results (shards, threads, machines) into one exact loss",
       .input_is = "files of --partial results, one JSON object a line (- or none: stdin)", .target_is = "",
       .options = 0, .takes_target = false, .default_reduction = Reduction::Mean, .dim_default = DimDefault::Unset,
       .layout = Layout::Tool, .run_float = &ops::merge_placeholder<float>, .run_double = &ops::merge_placeholder<double>},
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
