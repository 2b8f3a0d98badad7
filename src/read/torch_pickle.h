// torch.save's data.pkl read without Python: a pickle interpreter that knows
// only the opcodes and the few globals torch.save writes for tensors and plain
// containers (dict, OrderedDict, list, tuple, int, float, bool). It never runs
// code from the file: any other global is refused by name.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "read/text.h"
#include "tensor.h"

namespace losscalc::read {

// The arrays in a torch.save pickle. `pickle`: the bytes of data.pkl;
// `storage(key)`: the bytes of ARCHIVE/data/KEY (throws a data_error if absent).
// Returns (key, tensor) pairs in the file's order: a lone tensor gives one pair
// with key ""; a dict (or OrderedDict, a state_dict) gives its keys; nested
// dicts give "outer.inner"; a list/tuple gives "0", "1", ...;
// Python numbers (int, float, bool) inside a container are 0-d tensors.
// Throws data_error(origin.subject, origin.label, "...") on anything else.
std::vector<std::pair<std::string, Tensor>> torch_pickle_arrays(
    std::string_view pickle, const std::function<std::string_view(const std::string&)>& storage, const Origin& origin);

}  // namespace losscalc::read
