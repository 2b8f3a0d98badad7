// Result: what a function computed, as named tensors in print order. The ops
// fill it; the printers lay it out. Nothing here computes or prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/exact_sum.h"
#include "tensor.h"

namespace losscalc {

// Data arguments after reading: the arrays a function works on.
// The first data argument is `input` (input1, log_probs, ...); every other
// one than target, weight and pos_weight is in `more`, by its table name.
struct Data {
  Tensor input;
  std::optional<Tensor> target, weight, pos_weight;
  std::vector<std::pair<std::string, Tensor>> more{};
  const Tensor* get(std::string_view name) const {
    for (auto& [n, t] : more)
      if (n == name) return &t;
    return nullptr;
  }
};

struct Entry {
  std::string key;  // "loss", "losses", "denominator", "softmax", "log_softmax", "grad", ...
  Tensor value;
};

// One line of a side-by-side comparison: a framework's call and its loss, or
// why that call does not apply to the data.
struct Row {
  std::string group;      // rows in a group compute the same loss: "multi-class", "binary"
  std::string framework;  // "torch", "tf.nn", "keras"
  std::string call;       // as a user writes it: "F.cross_entropy(x, y)"
  double loss = 0;
  std::string error;      // non-empty when the call cannot take this data
};

// --explain: the calculation as one writes it by hand, in sections (one per
// shown sample, then the reduction, the gradient, identities).
struct Step {
  std::string label;    // "max m", "exp(x - m)", ...
  std::string formula;  // how it is computed, in words and symbols; may be empty
  Tensor value;
};
struct Section {
  std::string title;
  std::vector<Step> steps;
};

struct Result {
  std::string function;   // canonical name
  std::string reduction;  // "mean" / "sum" / "none"; empty for activations
  std::string dtype;      // "float64" / "float32"
  std::string primary;    // key of the main output: "loss", or the activation's name
  std::string summary;    // one line for people: shapes, target kind, class dim
  std::int64_t class_dim = -1;  // of the input, for per-position layouts
  std::vector<Entry> entries;
  std::vector<Row> rows;            // compare only
  std::vector<std::string> notes;   // compare: why the numbers differ; a Keras loss: its float32 value
  std::vector<Section> explanation;  // --explain only
  std::string explain_note;          // e.g. "explained 3 of 32 samples (29 left out; ...)"
  std::vector<std::string> warnings;  // likely mistakes, for stderr; never change a number

  // What a reduced loss is made of, to merge blocks and shards exactly:
  // mean = loss_sum / (share_sum + extra_denominator), over `count` positions.
  core::ExactSum loss_sum, share_sum;
  double extra_denominator = 0;
  std::string settings;  // --partial: the settings record (a JSON object), see settings_record.h
  std::int64_t count = 0;

  const Tensor* find(const std::string& key) const {
    for (auto& e : entries)
      if (e.key == key) return &e.value;
    return nullptr;
  }
};

}  // namespace losscalc
