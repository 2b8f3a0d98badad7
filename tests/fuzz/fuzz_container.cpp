// libFuzzer target: the readers of files of named arrays (src/read/zip.h,
// src/read/container.h): .npz (zip, stored and deflated members, zip64),
// safetensors and the torch.save check, on the bytes as a file's content.
//
// Checked: only losscalc::Error escapes; every array loaded has
// numel(shape) values; a member read through Zip::data() is exactly the
// size its directory entry claims; memory stays bounded (libFuzzer's
// -rss_limit_mb catches an allocation by a size the file was not checked for).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "error.h"
#include "read/container.h"
#include "read/zip.h"
#include "tensor.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_container: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace losscalc;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const read::Origin origin{"input", "fuzz"};
  try {
    if (read::is_container(bytes)) {
      const read::Container c = read::open_container(bytes, origin);
      for (std::size_t i = 0; i < c.keys.size(); ++i) {
        try {
          const Tensor t = c.load(i);
          if (t.size() != numel(t.shape)) fail("an array's values do not fill its shape");
        } catch (const Error&) {
        }
      }
    }
  } catch (const Error&) {
  }
  try {
    const read::Zip zip(bytes, origin);
    for (auto& m : zip.members()) {
      try {
        std::string scratch;
        if (zip.data(m, scratch).size() != m.size) fail("a zip member's bytes are not the size it claims");
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
