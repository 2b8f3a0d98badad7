#include "read/chunks.h"

#include <cstring>

#include "error.h"

namespace losscalc::read {

LineChunks::LineChunks(std::unique_ptr<ByteReader> in, Origin origin, std::size_t size)
    : in_(std::move(in)), origin_(std::move(origin)), size_(size) {}

bool LineChunks::next(Chunk& c) {
  std::lock_guard<std::mutex> lock(m_);
  c.seq = seq_;
  if (ended_ && carry_.empty()) return false;
  c.text.swap(carry_);
  carry_.clear();
  std::size_t scanned = 0;  // bytes of c.text known to hold no line break
  for (;;) {
    // Read until the chunk holds `size_` new bytes, or the end.
    const std::size_t from = c.text.size();
    std::size_t have = from;
    if (!ended_) {
      c.text.resize(from + size_);
      while (have < from + size_) {
        const std::size_t got = in_->read(c.text.data() + have, from + size_ - have);
        if (got == 0) {
          if (in_->failed()) {
            ended_ = true;
            throw data_error(origin_.subject, origin_.label, "read error");
          }
          ended_ = true;
          break;
        }
        if (std::memchr(c.text.data() + have, '\0', got)) ended_ = true;  // the parser stops there
        have += got;
        if (ended_) break;
      }
      c.text.resize(have);
    }
    if (ended_) break;  // the rest, line break or not
    // Cut after the last line break; a chunk without one reads on.
    const void* nl = memrchr(c.text.data() + scanned, '\n', c.text.size() - scanned);
    if (nl) {
      const std::size_t cut = static_cast<std::size_t>(static_cast<const char*>(nl) - c.text.data()) + 1;
      carry_.assign(c.text, cut);
      c.text.resize(cut);
      break;
    }
    scanned = c.text.size();
    if (c.text.size() > kMaxTextBytes) {
      ended_ = true;
      carry_.clear();
      throw data_error(origin_.subject, origin_.label, kLineTooLong);
    }
  }
  if (c.text.empty()) return false;
  ++seq_;
  bytes_.fetch_add(static_cast<std::int64_t>(c.text.size()), std::memory_order_relaxed);
  return true;
}

}  // namespace losscalc::read
