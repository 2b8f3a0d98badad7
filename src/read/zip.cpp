#include "read/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "error.h"
#include "read/crc32.h"

namespace losscalc::read {

namespace {

std::uint64_t le(std::string_view b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = v << 8 | static_cast<unsigned char>(b[at + static_cast<std::size_t>(k)]);
  return v;
}

// Deflate gives at most 1032 bytes for each compressed byte: a member that
// claims more is corrupt, or a zip bomb.
constexpr std::uint64_t kDeflateRatio = 1032;
// The largest member inflated (a 2^31-value float32 array, 8 GiB).
constexpr std::uint64_t kMaxInflated = std::uint64_t{1} << 33;

}  // namespace

Zip::Zip(std::string_view bytes, Origin origin) : bytes_(bytes), origin_(std::move(origin)) {
  auto bad = [&](const std::string& m) { return data_error(origin_.subject, origin_.label, "zip archive: " + m); };
  const std::size_t n = bytes.size();
  // The end record: 22 bytes and a comment of at most 65535, at the end.
  if (n < 22) throw bad("truncated (no end of central directory record)");
  std::size_t eocd = std::string_view::npos;
  for (std::size_t at = n - 22;; --at) {
    if (bytes.compare(at, 4, "PK\x05\x06") == 0 && at + 22 + le(bytes, at + 20, 2) == n) {
      eocd = at;
      break;
    }
    if (at == 0 || n - at >= 22 + 65535) break;
  }
  if (eocd == std::string_view::npos) throw bad("truncated or corrupt (no end of central directory record)");
  if (le(bytes, eocd + 4, 2) != 0 || le(bytes, eocd + 6, 2) != 0) throw bad("split over several files, which losscalc does not read");
  std::uint64_t count = le(bytes, eocd + 10, 2), dir_size = le(bytes, eocd + 12, 4), dir_at = le(bytes, eocd + 16, 4);
  if (count == 0xFFFF || dir_size == 0xFFFFFFFF || dir_at == 0xFFFFFFFF) {
    // zip64: a locator just before the end record points at a larger record.
    if (eocd < 20 || bytes.compare(eocd - 20, 4, "PK\x06\x07") != 0) throw bad("corrupt zip64 end record");
    const std::uint64_t at = le(bytes, eocd - 20 + 8, 8);
    if (at > n || n - at < 56 || bytes.compare(at, 4, "PK\x06\x06") != 0) throw bad("corrupt zip64 end record");
    count = le(bytes, at + 32, 8);
    dir_size = le(bytes, at + 40, 8);
    dir_at = le(bytes, at + 48, 8);
  }
  if (dir_at > n || dir_size > n - dir_at) throw bad("the central directory lies past the end of the file (truncated?)");
  // Each entry takes at least 46 bytes: a count past that is a lie.
  if (count > dir_size / 46) throw bad("the central directory claims " + std::to_string(count) + " members in " + std::to_string(dir_size) + " bytes");
  members_.reserve(count);
  std::size_t p = dir_at;
  const std::size_t dir_end = dir_at + dir_size;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (dir_end - p < 46 || bytes.compare(p, 4, "PK\x01\x02") != 0) throw bad("corrupt central directory entry " + std::to_string(i));
    const std::uint64_t flags = le(bytes, p + 8, 2);
    ZipMember m;
    m.method = static_cast<int>(le(bytes, p + 10, 2));
    m.crc = static_cast<std::uint32_t>(le(bytes, p + 16, 4));
    m.compressed = le(bytes, p + 20, 4);
    m.size = le(bytes, p + 24, 4);
    const std::size_t name_len = le(bytes, p + 28, 2), extra_len = le(bytes, p + 30, 2), comment_len = le(bytes, p + 32, 2);
    m.header = le(bytes, p + 42, 4);
    if (dir_end - p - 46 < name_len + extra_len + comment_len) throw bad("corrupt central directory entry " + std::to_string(i));
    m.name = std::string(bytes.substr(p + 46, name_len));
    // zip64 sizes and offset, in this order, for the fields that hold all ones.
    for (std::size_t e = p + 46 + name_len, e_end = e + extra_len; e + 4 <= e_end;) {
      const std::uint64_t id = le(bytes, e, 2), len = le(bytes, e + 2, 2);
      if (len > e_end - e - 4) throw bad("corrupt extra field of " + in_quotes(m.name, 80));
      if (id == 1) {
        std::size_t f = e + 4;
        for (std::uint64_t* field : {&m.size, &m.compressed, &m.header})
          if (*field == 0xFFFFFFFF) {
            if (f + 8 > e + 4 + len) throw bad("corrupt zip64 field of " + in_quotes(m.name, 80));
            *field = le(bytes, f, 8);
            f += 8;
          }
      }
      e += 4 + len;
    }
    if (flags & 1) throw bad(in_quotes(m.name, 80) + " is encrypted");
    p += 46 + name_len + extra_len + comment_len;
    members_.push_back(std::move(m));
  }
}

const ZipMember* Zip::find(std::string_view name) const {
  for (auto& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

namespace {

Error member_error(const Origin& o, const ZipMember& m, const std::string& msg) {
  return data_error(o.subject, o.label, "zip member " + in_quotes(m.name, 80) + ": " + msg);
}

std::uint32_t crc_of(std::string_view bytes, std::uint32_t crc = 0) { return crc32_update(crc, bytes.data(), bytes.size()); }

// A deflated member inflated as it is read: never more than the size it
// claims, and at its end the size and the CRC are checked.
class InflateBytes : public ByteReader {
 public:
  InflateBytes(std::string_view raw, ZipMember m, Origin o, std::shared_ptr<const void> keep)
      : raw_(raw), m_(std::move(m)), o_(std::move(o)), keep_(std::move(keep)) {
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) throw member_error(o_, m_, "zlib cannot start");
    crc_ = crc32(0, nullptr, 0);
  }
  ~InflateBytes() override { inflateEnd(&z_); }
  InflateBytes(const InflateBytes&) = delete;
  InflateBytes& operator=(const InflateBytes&) = delete;

  std::size_t read(char* buf, std::size_t n) override {
    if (done_ || n == 0) return 0;
    // Room for one byte past the claimed size, to see a stream that goes on.
    const std::uint64_t room = std::min<std::uint64_t>({n, m_.size - produced_ + 1, 1u << 30});
    std::size_t got = 0;
    while (got == 0) {
      if (z_.avail_in == 0 && fed_ < raw_.size()) {
        const std::size_t chunk = std::min<std::size_t>(raw_.size() - fed_, 1u << 30);
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw_.data() + fed_));
        z_.avail_in = static_cast<uInt>(chunk);
        fed_ += chunk;
      }
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = static_cast<uInt>(room);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      got = static_cast<std::size_t>(room - z_.avail_out);
      produced_ += got;
      if (produced_ > m_.size)
        throw member_error(o_, m_, "inflates past the " + std::to_string(m_.size) + " bytes it claims: a corrupt archive or a zip bomb");
      crc_ = crc32_update(static_cast<std::uint32_t>(crc_), buf, got);
      if (rc == Z_STREAM_END) {
        done_ = true;
        if (produced_ != m_.size)
          throw member_error(o_, m_, "inflates to " + std::to_string(produced_) + " bytes, not the " + std::to_string(m_.size) + " it claims");
        if (crc_ != m_.crc) throw member_error(o_, m_, "checksum mismatch (a corrupt archive)");
        return got;
      }
      if (rc != Z_OK) throw member_error(o_, m_, rc == Z_BUF_ERROR ? "its deflated data ends early (truncated?)" : "corrupt deflated data");
    }
    return got;
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(m_.size); }

 private:
  std::string_view raw_;
  ZipMember m_;
  Origin o_;
  std::shared_ptr<const void> keep_;
  z_stream z_{};
  uLong crc_;
  std::size_t fed_ = 0;
  std::uint64_t produced_ = 0;
  bool done_ = false;
};

// A stored member's bytes (a reader of them), with the CRC of each
// contiguous run read. A view's CRC is taken by its caller in the pass
// that decodes it (took_crc), else when the reader is next called: then
// from the cache, where the decode left the bytes. (A CRC pass first,
// then the decode, made the CRC the pass that waits for memory: 13 ms of
// CPU for 100 MB; after the decode 4.5 ms; in the decode's pass ~0.)
class TrackedBytes : public ByteReader {
 public:
  TrackedBytes(std::unique_ptr<ByteReader> in, std::shared_ptr<CrcLedger> ledger)
      : in_(std::move(in)), ledger_(std::move(ledger)), crc_(crc32(0, nullptr, 0)) {}
  ~TrackedBytes() override { close_run(); }
  TrackedBytes(const TrackedBytes&) = delete;
  TrackedBytes& operator=(const TrackedBytes&) = delete;
  std::size_t read(char* buf, std::size_t n) override {
    flush();
    const std::size_t k = in_->read(buf, n);
    track(std::string_view(buf, k));
    return k;
  }
  bool skip(std::int64_t n) override {
    close_run();
    if (!in_->skip(n)) return false;
    pos_ += static_cast<std::uint64_t>(n);
    start_ = pos_;
    crc_ = crc32(0, nullptr, 0);
    return true;
  }
  std::int64_t size() const override { return in_->size(); }
  bool failed() const override { return in_->failed(); }
  bool viewable() const override { return in_->viewable(); }
  std::string_view view(std::size_t n) override {
    flush();
    const std::string_view v = in_->view(n);
    unchecked_ = v;
    return v;
  }
  std::optional<std::uint32_t> crc_before_view() const override {
    return unchecked_.empty() ? std::nullopt : std::optional<std::uint32_t>(static_cast<std::uint32_t>(crc_));
  }
  void took_crc(std::uint32_t crc) override {
    if (unchecked_.empty()) return;
    crc_ = crc;
    pos_ += unchecked_.size();
    unchecked_ = {};
  }

 private:
  // The last view's CRC, if its caller did not take it.
  void flush() {
    if (!unchecked_.empty()) track(unchecked_);
    unchecked_ = {};
  }
  // Bytes read, read() or view(): into the run's CRC.
  void track(std::string_view v) {
    crc_ = crc_of(v, crc_);
    pos_ += v.size();
  }
  void close_run() {
    flush();
    if (pos_ > start_) ledger_->add({start_, pos_ - start_, static_cast<std::uint32_t>(crc_)});
    start_ = pos_;
    crc_ = crc32(0, nullptr, 0);
  }
  std::unique_ptr<ByteReader> in_;
  std::shared_ptr<CrcLedger> ledger_;
  uLong crc_;
  std::uint64_t pos_ = 0, start_ = 0;
  std::string_view unchecked_;  // the last view, its CRC not yet taken
};

}  // namespace

void CrcLedger::add(const Run& r) {
  std::lock_guard<std::mutex> lock(m_);
  runs_.push_back(r);
}

std::optional<bool> CrcLedger::matches() const {
  std::lock_guard<std::mutex> lock(m_);
  // From 0, the longest run that starts where the last one ended, combined.
  std::uint64_t at = 0;
  uLong crc = crc32(0, nullptr, 0);
  while (at < size_) {
    const Run* best = nullptr;
    for (auto& r : runs_)
      if (r.start == at && r.length > 0 && (!best || r.length > best->length)) best = &r;
    if (!best) return std::nullopt;
    crc = crc32_combine(crc, best->crc, static_cast<z_off_t>(best->length));
    at += best->length;
  }
  return crc == expected_;
}

std::unique_ptr<ByteReader> Zip::tracked_reader(const ZipMember& m, std::shared_ptr<CrcLedger> ledger, std::shared_ptr<const void> keep) const {
  auto in = reader(m, std::move(keep));
  if (m.method != 0) return in;  // a deflated member checks its own CRC
  return std::make_unique<TrackedBytes>(std::move(in), std::move(ledger));
}

std::string_view Zip::raw(const ZipMember& m) const {
  const std::size_t n = bytes_.size();
  if (m.header > n || n - m.header < 30 || bytes_.compare(m.header, 4, "PK\x03\x04") != 0)
    throw member_error(origin_, m, "corrupt local header (truncated archive?)");
  const std::uint64_t start = m.header + 30 + le(bytes_, m.header + 26, 2) + le(bytes_, m.header + 28, 2);
  if (start > n || m.compressed > n - start)
    throw member_error(origin_, m, "its " + std::to_string(m.compressed) + " bytes lie past the end of the file (truncated?)");
  if (m.method == 0 && m.size != m.compressed)
    throw member_error(origin_, m, "stored, but its sizes differ (" + std::to_string(m.size) + " and " + std::to_string(m.compressed) + ")");
  if (m.method == 8 && m.size > m.compressed * kDeflateRatio + 64)
    throw member_error(origin_, m, "claims " + std::to_string(m.size) + " bytes from " + std::to_string(m.compressed) +
                                       " compressed ones, more than deflate can give: a corrupt archive or a zip bomb");
  if (m.method != 0 && m.method != 8)
    throw member_error(origin_, m, "compressed with method " + std::to_string(m.method) +
                                       ", which losscalc does not read (numpy and torch write stored or deflated members)");
  return bytes_.substr(start, m.compressed);
}

std::unique_ptr<ByteReader> Zip::reader(const ZipMember& m, std::shared_ptr<const void> keep) const {
  const std::string_view r = raw(m);
  if (m.method == 0) return view_bytes(r, std::move(keep));
  return std::make_unique<InflateBytes>(r, m, origin_, std::move(keep));
}

void Zip::verify(const ZipMember& m) const {
  if (m.method == 0 && crc_of(raw(m)) != m.crc) throw member_error(origin_, m, "checksum mismatch (a corrupt archive)");
}

std::string_view Zip::data(const ZipMember& m, std::string& scratch) const {
  if (m.method == 0) {
    verify(m);
    return raw(m);
  }
  if (m.size > kMaxInflated) throw member_error(origin_, m, "inflates to " + std::to_string(m.size) + " bytes, more than losscalc reads (8 GiB)");
  // Memory grows as output arrives (doubling), never past the claimed size.
  auto in = reader(m);
  scratch.clear();
  std::size_t have = 0;
  for (;;) {
    if (have == scratch.size())
      scratch.resize(static_cast<std::size_t>(std::min<std::uint64_t>(m.size + 1, std::max<std::size_t>(scratch.size() * 2, 1 << 20))));
    const std::size_t got = in->read(scratch.data() + have, scratch.size() - have);
    if (got == 0) break;
    have += got;
  }
  scratch.resize(have);
  return scratch;
}

}  // namespace losscalc::read
