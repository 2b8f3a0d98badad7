// Whole lines of a byte source, a chunk at a time, for threads that parse
// chunks side by side: every chunk but the last ends at a line break, and
// the chunks, in the order of their numbers, are the source. No parsing here.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "read/rows.h"

namespace losscalc::read {

class LineChunks {
 public:
  struct Chunk {
    std::int64_t seq = -1;  // 0, 1, 2, ... in the order of the source
    std::string text;
  };
  // About `size` bytes a chunk (more when a line is longer). Errors name `origin`.
  LineChunks(std::unique_ptr<ByteReader> in, Origin origin, std::size_t size = std::size_t{1} << 20);

  // The next chunk; false at the end. Any thread may call it. A read error or
  // a line longer than kMaxTextBytes throws, with c.seq set to the chunk it
  // would have been (and the chunks end there). Reading stops after a chunk
  // that holds a NUL byte (text never holds one: the parser reports it).
  bool next(Chunk& c);

  // Bytes handed out so far (for progress).
  std::int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  std::mutex m_;
  std::unique_ptr<ByteReader> in_;
  const Origin origin_;
  const std::size_t size_;
  std::string carry_;  // the start of a line after the last chunk handed out
  std::int64_t seq_ = 0;
  bool ended_ = false;
  std::atomic<std::int64_t> bytes_{0};
};

}  // namespace losscalc::read
