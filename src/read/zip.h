// Zip archives (.npz, torch.save files) read from memory: the central
// directory, and members stored or deflated (zlib). Every offset and size
// the archive gives is checked against the archive's length before use.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "read/rows.h"
#include "read/text.h"

namespace losscalc::read {

// Whether bytes start as a zip archive does (a local header, or the end
// record of an empty archive).
inline bool is_zip(std::string_view bytes) { return bytes.starts_with("PK\x03\x04") || bytes.starts_with("PK\x05\x06"); }

// The CRCs of the runs of a stored member that readers read (each from a
// start, contiguous), gathered so that two threads that each read part of
// it can check the whole: verify() combines runs that cover it.
class CrcLedger {
 public:
  struct Run {
    std::uint64_t start = 0, length = 0;
    std::uint32_t crc = 0;
  };
  CrcLedger(std::uint32_t expected, std::uint64_t size) : expected_(expected), size_(size) {}
  void add(const Run& r);
  // Whether the runs' CRC is the member's; nullopt when the runs do not
  // cover the member (then check it whole).
  std::optional<bool> matches() const;

 private:
  mutable std::mutex m_;
  std::vector<Run> runs_;
  std::uint32_t expected_;
  std::uint64_t size_;
};

struct ZipMember {
  std::string name;
  int method = 0;                // 0 stored, 8 deflated
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0;  // bytes in the archive
  std::uint64_t size = 0;        // bytes once inflated
  std::uint64_t header = 0;      // offset of its local header
};

class Zip {
 public:
  // Reads the central directory (zip64 too). Throws a data error naming
  // `origin` if the archive is corrupt, encrypted, split or truncated.
  Zip(std::string_view bytes, Origin origin);
  const std::vector<ZipMember>& members() const { return members_; }
  const ZipMember* find(std::string_view name) const;
  // A member's bytes: a view into the archive when stored, else inflated
  // into `scratch` (which the view then points into). The CRC is checked.
  std::string_view data(const ZipMember& m, std::string& scratch) const;
  // A member's bytes as they are read: a view when stored, else inflated a
  // chunk at a time; `keep` keeps the archive's bytes alive. The end of a
  // deflated member checks its size and CRC (a data error if wrong).
  std::unique_ptr<ByteReader> reader(const ZipMember& m, std::shared_ptr<const void> keep = {}) const;
  // Checks a stored member's CRC (a deflated one's is checked as it inflates).
  void verify(const ZipMember& m) const;
  // A stored member's bytes as a reader that records the CRC of each run it
  // reads in `ledger` (when it skips, and when it is destroyed).
  std::unique_ptr<ByteReader> tracked_reader(const ZipMember& m, std::shared_ptr<CrcLedger> ledger, std::shared_ptr<const void> keep) const;

 private:
  // The member's compressed bytes, after its local header (checked).
  std::string_view raw(const ZipMember& m) const;
  std::string_view bytes_;
  Origin origin_;
  std::vector<ZipMember> members_;
};

}  // namespace losscalc::read
