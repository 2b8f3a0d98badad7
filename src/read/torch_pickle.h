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

#include "read/elements.h"
#include "read/text.h"
#include "tensor.h"

namespace losscalc::read {

// One array of a torch.save pickle, its elements not read: a view of a
// storage (checked by the unpickler to lie inside it), or a Python number.
struct TorchArray {
  std::string key;
  bool is_tensor = true;
  double value = 0;      // a Python number (not is_tensor): a 0-d tensor
  std::string storage;   // a tensor's storage: ARCHIVE/data/STORAGE
  Elem elem = Elem::F32;
  std::int64_t offset = 0;  // in elements of the storage
  Shape size, stride;       // a dim of size 1 has stride 0
  // Row-major, so that its elements lie in one run of the storage.
  bool contiguous() const;
};

// The arrays of a torch.save pickle, in the file's order and named as
// torch_pickle_arrays() names them; `storage_size(key)`: the bytes of
// ARCHIVE/data/KEY (throws a data_error if absent). The elements all the
// views hold together are bounded by the storages' bytes (a data_error past).
std::vector<TorchArray> torch_pickle_index(std::string_view pickle, const std::function<std::uint64_t(const std::string&)>& storage_size,
                                           const Origin& origin);
// An array's elements, read from the bytes of its storage (of the size
// torch_pickle_index() was told).
Tensor torch_array_tensor(const TorchArray& a, std::string_view storage);

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
