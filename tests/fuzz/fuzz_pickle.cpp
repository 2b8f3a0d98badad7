// libFuzzer target: read::torch_pickle_arrays() (torch.save's data.pkl) on
// the bytes, every storage key served the same 4 KiB (so that tensors built
// by a mutated pickle reach the gathering code; a key of "absent" is refused,
// as the loader refuses a storage the archive lacks).
//
// Checked: only losscalc::Error escapes, of kind Data, and names the origin;
// every array holds numel(shape) values; no crash, leak or large allocation
// (run.sh's -rss_limit_mb).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "error.h"
#include "read/torch_pickle.h"
#include "tensor.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_pickle: %s: %s\n", what, detail.c_str());
  std::abort();
}

// 4 KiB of varied bytes: floats of every sign and size, NaN and inf bits too.
const std::string& storage_bytes() {
  static const std::string s = [] {
    std::string b(4096, '\0');
    for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<char>((k * 37 + k / 7) & 0xff);
    return b;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view pickle(reinterpret_cast<const char*>(bytes), size);
  const losscalc::read::Origin origin{"input", "file 'fuzz.pt'"};
  try {
    const auto arrays = losscalc::read::torch_pickle_arrays(
        pickle,
        [&](const std::string& key) -> std::string_view {
          if (key == "absent") throw losscalc::data_error(origin.subject, origin.label, "the archive has no data/absent");
          return storage_bytes();
        },
        origin);
    for (const auto& [name, t] : arrays)
      if (t.size() != losscalc::numel(t.shape)) fail("array holds the wrong number of values", name + " " + losscalc::shape_str(t.shape));
  } catch (const losscalc::Error& e) {
    if (e.kind() != losscalc::ErrorKind::Data) fail("not a data error", e.what());
    if (std::string(e.what()).find("file 'fuzz.pt'") == std::string::npos) fail("error without the origin", e.what());
  }
  return 0;
}
