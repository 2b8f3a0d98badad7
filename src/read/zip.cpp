#include "read/zip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "error.h"

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

std::string_view Zip::data(const ZipMember& m, std::string& scratch) const {
  auto bad = [&](const std::string& msg) {
    return data_error(origin_.subject, origin_.label, "zip member " + in_quotes(m.name, 80) + ": " + msg);
  };
  const std::size_t n = bytes_.size();
  if (m.header > n || n - m.header < 30 || bytes_.compare(m.header, 4, "PK\x03\x04") != 0) throw bad("corrupt local header (truncated archive?)");
  const std::uint64_t start = m.header + 30 + le(bytes_, m.header + 26, 2) + le(bytes_, m.header + 28, 2);
  if (start > n || m.compressed > n - start)
    throw bad("its " + std::to_string(m.compressed) + " bytes lie past the end of the file (truncated?)");
  const std::string_view raw = bytes_.substr(start, m.compressed);
  std::string_view out;
  if (m.method == 0) {
    if (m.size != m.compressed) throw bad("stored, but its sizes differ (" + std::to_string(m.size) + " and " + std::to_string(m.compressed) + ")");
    out = raw;
  } else if (m.method == 8) {
    if (m.size > m.compressed * kDeflateRatio + 64)
      throw bad("claims " + std::to_string(m.size) + " bytes from " + std::to_string(m.compressed) +
                " compressed ones, more than deflate can give: a corrupt archive or a zip bomb");
    if (m.size > kMaxInflated) throw bad("inflates to " + std::to_string(m.size) + " bytes, more than losscalc reads (8 GiB)");
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw bad("zlib cannot start");
    // Memory grows as output arrives, never past the size the member claims.
    scratch.clear();
    std::size_t have = 0, fed = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (z.avail_in == 0 && fed < raw.size()) {
        const std::size_t chunk = std::min<std::size_t>(raw.size() - fed, 1u << 30);
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data() + fed));
        z.avail_in = static_cast<uInt>(chunk);
        fed += chunk;
      }
      if (have == scratch.size()) {
        if (scratch.size() >= m.size) {
          // Full: the stream must end here, without another byte.
          unsigned char probe;
          z.next_out = &probe;
          z.avail_out = 1;
          rc = inflate(&z, Z_NO_FLUSH);
          if (rc == Z_STREAM_END && z.avail_out == 1) break;
          inflateEnd(&z);
          throw bad(z.avail_out == 0 ? "inflates past the " + std::to_string(m.size) + " bytes it claims: a corrupt archive or a zip bomb"
                                     : std::string(rc == Z_BUF_ERROR ? "its deflated data ends early (truncated?)" : "corrupt deflated data"));
        }
        scratch.resize(static_cast<std::size_t>(std::min<std::uint64_t>(m.size, std::max<std::size_t>(scratch.size() * 2, 1 << 20))));
      }
      const std::size_t room = std::min<std::size_t>(scratch.size() - have, 1u << 30);
      z.next_out = reinterpret_cast<Bytef*>(scratch.data() + have);
      z.avail_out = static_cast<uInt>(room);
      rc = inflate(&z, Z_NO_FLUSH);
      have += room - z.avail_out;
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&z);
        throw bad(rc == Z_BUF_ERROR ? "its deflated data ends early (truncated?)" : "corrupt deflated data");
      }
    }
    inflateEnd(&z);
    if (have != m.size) throw bad("inflates to " + std::to_string(have) + " bytes, not the " + std::to_string(m.size) + " it claims");
    scratch.resize(have);
    out = scratch;
  } else {
    throw bad("compressed with method " + std::to_string(m.method) + ", which losscalc does not read (numpy and torch write stored or deflated members)");
  }
  // The checksum, in pieces (zlib counts in 32-bit lengths).
  uLong crc = crc32(0, nullptr, 0);
  for (std::size_t at = 0; at < out.size(); at += 1u << 30)
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + at), static_cast<uInt>(std::min<std::size_t>(out.size() - at, 1u << 30)));
  if (crc != m.crc) throw bad("checksum mismatch (a corrupt archive)");
  return out;
}

}  // namespace losscalc::read
