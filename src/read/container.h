// Files of named arrays: NumPy .npz, safetensors and torch.save (.pt/.pth),
// read from memory without running anything from them. Sizes and offsets
// are checked against the file's length before anything is allocated.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "read/rows.h"
#include "read/text.h"
#include "read/zip.h"

namespace losscalc::read {

// Whether bytes start as a zip archive (.npz, .pt) or a safetensors file
// (a little-endian header length, then '{'), or as a pickle (a legacy
// torch.save file, which open_container refuses with a message).
bool is_container(std::string_view head);

struct Container {
  std::string kind;               // "a .npz archive", "a safetensors file", "a torch.save file"
  std::vector<std::string> keys;  // the arrays' names, in the file's order
  // The array of keys[i], decoded (and, for .npz, inflated) on demand: the
  // bytes given to open_container must outlive it.
  std::function<Tensor(std::size_t)> load;
};

// One array of a container as the bytes of a C-order .npy of at most 2
// dims, for the row readers: a stored .npz member as it lies in the file, a
// deflated one inflated as it is read, a safetensors tensor behind a .npy
// header. nullptr when that array is not such a .npy (3 or more dims,
// Fortran order, bfloat16): the in-memory reader then takes it. `keep`
// keeps `bytes` alive for the reader; `*inflates` says whether it inflates
// (then skipping bytes costs as much as reading them). A stored member's
// CRC (a deflated one's is checked at its end, always): checked first when
// `verify` and no `*ledger`; with a `ledger`, the reader records the CRCs
// of what it reads there (made anew, for the member, if *ledger is empty).
std::unique_ptr<ByteReader> container_npy(std::string_view bytes, std::size_t index, const Origin& origin, std::shared_ptr<const void> keep,
                                          bool* inflates = nullptr, bool verify = true, std::shared_ptr<CrcLedger>* ledger = nullptr);

// The container in `bytes` (is_container()). Throws a data error naming
// `origin` if it is corrupt or holds something that is not an array.
Container open_container(std::string_view bytes, const Origin& origin);

}  // namespace losscalc::read
