// .npy: the header, values of each dtype, rows (in parts for two threads)
// and whole arrays.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <utility>

#include "error.h"
#include "read/crc32.h"
#include "read/elements.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {

struct NpyHeader {
  char kind = 'f';  // f (float16/32/64), i (int8..64), u (uint8..64), b (bool)
  int bytes = 8;
  Shape shape;
  std::size_t data_offset = 0;
  bool fortran = false;  // column-major: read whole, then put in C order
};

NpyHeader npy_header(std::string_view b, const Origin& o) {
  auto bad = [&](const std::string& m) { return data_error(o.subject, o.label, ".npy: " + m); };
  if (!is_npy(b)) throw bad("not a .npy file (no \\x93NUMPY magic)");
  if (b.size() < 10) throw bad("truncated header");
  const int major = static_cast<unsigned char>(b[6]);
  std::size_t len = 0, off = 0;
  if (major == 1) {
    len = static_cast<unsigned char>(b[8]) | static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8;
    off = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw bad("truncated header");
    len = 0;
    for (int k = 0; k < 4; ++k) len |= static_cast<std::size_t>(static_cast<unsigned char>(b[8 + k])) << (8 * k);
    off = 12;
  } else {
    throw bad("unsupported format version " + std::to_string(major));
  }
  if (len > (1u << 20) || b.size() < off + len) throw bad("truncated or corrupt header");
  const std::string h(b.substr(off, len));
  NpyHeader out;
  out.data_offset = off + len;
  auto value_of = [&](const std::string& key) {
    const auto k = h.find("'" + key + "'");
    if (k == std::string::npos) throw bad("corrupt header: no '" + key + "'");
    const auto colon = h.find(':', k);
    if (colon == std::string::npos) throw bad("corrupt header");
    return colon + 1;
  };
  // descr
  std::size_t d = value_of("descr");
  const auto q1 = h.find('\'', d), q2 = q1 == std::string::npos ? q1 : h.find('\'', q1 + 1);
  if (q2 == std::string::npos) throw bad("corrupt header: bad descr");
  const std::string descr = h.substr(q1 + 1, q2 - q1 - 1);
  // numpy's dtype strings: byte order ('<' little, '|' not applicable, '='
  // native, here little), kind, size.
  const auto kind_ok = [&](char k, int size) {
    if (k == 'f') return size == 2 || size == 4 || size == 8;
    if (k == 'i' || k == 'u') return size == 1 || size == 2 || size == 4 || size == 8;
    return k == 'b' && size == 1;
  };
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=') && descr[2] >= '1' && descr[2] <= '8' &&
      kind_ok(descr[1], descr[2] - '0') && (descr[0] != '|' || descr[2] == '1')) {
    out.kind = descr[1];
    out.bytes = descr[2] - '0';
  } else if (descr.size() == 3 && descr[0] == '>') {
    throw bad("big-endian dtype " + in_quotes(descr, 40) + ": save it little-endian (a.astype(a.dtype.newbyteorder('<')))");
  } else {
    throw bad("unsupported dtype " + in_quotes(descr, 40) +
              " (losscalc reads float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, little-endian)");
  }
  // fortran_order
  std::size_t f = value_of("fortran_order");
  while (f < h.size() && h[f] == ' ') ++f;
  if (h.compare(f, 4, "True") == 0) out.fortran = true;
  else if (h.compare(f, 5, "False") != 0) throw bad("corrupt header: bad fortran_order");
  // shape
  std::size_t s = value_of("shape");
  const auto open = h.find('(', s), close = open == std::string::npos ? open : h.find(')', open);
  if (close == std::string::npos) throw bad("corrupt header: bad shape");
  std::string dims = h.substr(open + 1, close - open - 1);
  std::size_t i = 0;
  while (i < dims.size()) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
    if (i >= dims.size()) break;
    std::int64_t v = -1;
    auto [p, ec] = std::from_chars(dims.data() + i, dims.data() + dims.size(), v);
    if (ec != std::errc() || v < 0) throw bad("corrupt header: bad shape '(" + dims + ")'");
    out.shape.push_back(v);
    i = static_cast<std::size_t>(p - dims.data());
  }
  // The element count (and its bytes) must fit: a corrupt shape must not wrap.
  std::int64_t n = 1;
  for (auto extent : out.shape) {
    // At most 2^58 elements: their bytes (8 each) stay far below 2^63.
    if (extent != 0 && n > (std::int64_t{1} << 58) / extent) throw bad("shape (" + dims + ") is too large");
    n *= extent;
  }
  return out;
}

// n values of the header's dtype at p as doubles.
Elem npy_elem(const NpyHeader& h) {
  switch (h.kind) {
    case 'f': return h.bytes == 8 ? Elem::F64 : h.bytes == 4 ? Elem::F32 : Elem::F16;
    case 'i': return h.bytes == 8 ? Elem::I64 : h.bytes == 4 ? Elem::I32 : h.bytes == 2 ? Elem::I16 : Elem::I8;
    case 'b': return Elem::Bool;
    default: return h.bytes == 8 ? Elem::U64 : h.bytes == 4 ? Elem::U32 : h.bytes == 2 ? Elem::U16 : Elem::U8;
  }
}

void npy_values(const char* p, std::size_t n, const NpyHeader& h, double* out) { decode_elements(p, n, npy_elem(h), out); }

class NpyReader : public RowReader {
 public:
  NpyReader(std::unique_ptr<ByteReader> in, Origin origin, int part, int parts) : in_(std::move(in)), origin_(std::move(origin)) {
    std::string head(4096, '\0');
    std::size_t got = 0, n;
    while (got < head.size() && (n = in_->read(head.data() + got, head.size() - got)) > 0) got += n;
    head.resize(got);
    // A header longer than 4 KiB: read on until it is whole.
    if (got >= 12 && is_npy(head)) {
      const std::size_t need = (static_cast<unsigned char>(head[6]) == 1
                                    ? 10 + (static_cast<unsigned char>(head[8]) | static_cast<std::size_t>(static_cast<unsigned char>(head[9])) << 8)
                                    : 12 + (static_cast<std::size_t>(static_cast<unsigned char>(head[8])) |
                                            static_cast<std::size_t>(static_cast<unsigned char>(head[9])) << 8 |
                                            static_cast<std::size_t>(static_cast<unsigned char>(head[10])) << 16));
      if (need > head.size() && need < (1u << 20)) {
        std::size_t old = head.size();
        head.resize(need);
        while (old < need && (n = in_->read(head.data() + old, need - old)) > 0) old += n;
        head.resize(old);
      }
    }
    h_ = npy_header(head, origin_);
    if (h_.fortran)  // sniff() sends these to npy_tensor; a caller that did not gets a message, not columns mixed up
      throw data_error(origin_.subject, origin_.label, ".npy in Fortran order: rows are read from C-order arrays only");
    if (h_.shape.size() > 2)
      throw data_error(origin_.subject, origin_.label, ".npy of shape " + shape_str(h_.shape) + ": streamed rows need 1 or 2 dims");
    rows_ = h_.shape.empty() ? 1 : h_.shape[0];
    width_ = h_.shape.size() == 2 ? h_.shape[1] : 1;
    // Rows of no values hold nothing to compute, and (as many as a header
    // may claim) would stream empty blocks for ever.
    if (width_ == 0 && rows_ > 0)
      throw data_error(origin_.subject, origin_.label, "empty input: no elements (.npy of shape " + shape_str(h_.shape) + ")");
    pending_ = head.substr(h_.data_offset);
    end_ = rows_;
    if (parts > 1) {
      // Rows [R part / parts, R (part + 1) / parts): skip the bytes before.
      done_ = part_start(rows_, part, parts);
      end_ = part + 1 == parts ? rows_ : part_start(rows_, part + 1, parts);
      const std::int64_t skip = done_ * width_ * h_.bytes;
      const std::int64_t early = std::min<std::int64_t>(skip, static_cast<std::int64_t>(pending_.size()));
      pending_.erase(0, static_cast<std::size_t>(early));
      if (!in_->skip(skip - early)) throw truncated();
    }
  }

  bool next(RowBlock& b, std::int64_t max_rows) override {
    // The block's input keeps its memory and its size, every value of which
    // is overwritten below: a vector given back with room is not zeroed anew.
    std::vector<double> room = std::move(b.input);
    b.clear();
    b.first_row = done_;
    b.width = width_;
    b.target_width = 0;
    const std::int64_t want = std::min({max_rows, end_ - done_, std::max<std::int64_t>(1, (std::int64_t{1} << 20) / std::max<std::int64_t>(1, width_))});
    if (want <= 0) return false;
    b.input = std::move(room);
    // rows * width * bytes stays below 2^63 (the header caps elements at 2^58).
    const auto count = static_cast<std::size_t>(want * width_);
    const std::size_t bytes = count * static_cast<std::size_t>(h_.bytes);
    if (in_->viewable()) {
      read_in_place(bytes, b.input);
    } else {
      read_copied(bytes, count, b.input);
    }
    b.rows = want;
    done_ += want;
    read_ += static_cast<std::int64_t>(bytes);
    return true;
  }
  std::int64_t bytes_read() const override { return read_; }

 private:
  // The block's `bytes` decoded into `out` where the reader holds them (a
  // mapped file, a string): no copy before the decode. A value split
  // between two views (the header's bytes and the rest) is put together
  // in carry_.
  void read_in_place(std::size_t bytes, std::vector<double>& out) {
    const auto eb = static_cast<std::size_t>(h_.bytes);
    std::size_t have = 0, values = 0;
    while (have < bytes) {
      // Memory grows only as bytes arrive (16 MB at a time), so a header
      // that claims petabytes ends as a truncated file, not a huge
      // allocation. (Both ends are whole values: 2^24 is a multiple of 8.)
      const std::size_t upto = have + std::min(bytes - have, std::size_t{1} << 24);
      out.resize(upto / eb);
      while (have < upto) {
        const bool early = !pending_.empty();  // read with the header
        // 64 KiB at a time.
        const std::size_t n = std::min<std::size_t>(upto - have, 1 << 16);
        const std::string_view v = early ? std::string_view(pending_).substr(0, n) : in_->view(n);
        if (v.empty()) throw truncated();
        // A stored zip member's CRC, taken here in the decode's pass.
        const std::optional<std::uint32_t> before = early ? std::nullopt : in_->crc_before_view();
        std::uint32_t crc = before.value_or(0);
        have += v.size();
        std::size_t at = 0;
        if (!carry_.empty()) {
          at = std::min(eb - carry_.size(), v.size());
          carry_.append(v.data(), at);
          if (before) crc = crc32_update(crc, v.data(), at);
          if (carry_.size() == eb) {
            npy_values(carry_.data(), 1, h_, &out[values++]);
            carry_.clear();
          }
        }
        const std::size_t whole = (v.size() - at) / eb, rest = v.size() - at - whole * eb;
        if (before) {
          crc = crc32_decode(crc, v.data() + at, whole, npy_elem(h_), out.data() + values);
          in_->took_crc(crc32_update(crc, v.data() + at + whole * eb, rest));
        } else {
          npy_values(v.data() + at, whole, h_, out.data() + values);
        }
        values += whole;
        carry_.append(v.data() + at + whole * eb, rest);
        if (early) pending_.erase(0, v.size());
      }
    }
  }

  // The same through read(): float64 straight into the block, other dtypes
  // through raw_ and converted. Memory grows as in read_in_place().
  void read_copied(std::size_t bytes, std::size_t count, std::vector<double>& input) {
    const bool direct = h_.kind == 'f' && h_.bytes == 8;
    std::size_t have = 0;
    while (have < bytes) {
      const std::size_t upto = have + std::min(bytes - have, std::size_t{1} << 24);
      char* to;
      if (direct) {
        input.resize(upto / 8 + (upto % 8 != 0));
        to = reinterpret_cast<char*>(input.data());
      } else {
        raw_.resize(upto);
        to = raw_.data();
      }
      const std::size_t early = std::min(pending_.size(), upto - have);  // read with the header
      std::memcpy(to + have, pending_.data(), early);
      pending_.erase(0, early);
      have += early;
      while (have < upto) {
        const std::size_t n = in_->read(to + have, upto - have);
        if (n == 0) throw truncated();
        have += n;
      }
    }
    input.resize(count);  // (direct: a vector with room held more)
    if (!direct) npy_values(raw_.data(), count, h_, input.data());
  }

  std::unique_ptr<ByteReader> in_;
  Origin origin_;
  NpyHeader h_;
  Error truncated() const {
    return data_error(origin_.subject, origin_.label,
                      ".npy is truncated: expected " + std::to_string(rows_ * width_) + " values of " + std::to_string(h_.bytes) + " bytes");
  }

  std::string pending_, raw_, carry_;
  std::int64_t rows_ = 0, width_ = 1, done_ = 0, end_ = 0, read_ = 0;
};

}  // namespace

std::unique_ptr<RowReader> npy_rows(std::unique_ptr<ByteReader> bytes, Origin origin, int part, int parts) {
  return std::make_unique<NpyReader>(std::move(bytes), std::move(origin), part, parts);
}

Shape npy_shape(std::string_view head, const Origin& origin) { return npy_header(head, origin).shape; }

bool npy_streams(std::string_view head) {
  try {
    const NpyHeader h = npy_header(head, Origin{"", ""});
    return !h.fortran && h.shape.size() <= 2;
  } catch (const Error&) {
    return true;  // the row reader says what is wrong
  }
}

Tensor npy_tensor(std::string_view bytes, const Origin& origin) {
  const NpyHeader h = npy_header(bytes, origin);
  Tensor t{h.shape, {}};
  const auto n = static_cast<std::size_t>(numel(h.shape));
  if (bytes.size() < h.data_offset + n * static_cast<std::size_t>(h.bytes))
    throw data_error(origin.subject, origin.label, ".npy is truncated: expected " + std::to_string(n) + " values of " + std::to_string(h.bytes) + " bytes");
  t.data.resize(n);
  npy_values(bytes.data() + h.data_offset, n, h, t.data.data());
  if (h.fortran && h.shape.size() > 1) {  // column-major: the first index runs fastest
    std::vector<double> c(n);
    const std::size_t nd = h.shape.size();
    std::vector<std::int64_t> index(nd, 0);
    for (std::size_t k = 0; k < n; ++k) {  // k walks the file's order; put each at its C-order place
      std::size_t at = 0;
      for (std::size_t d = 0; d < nd; ++d) at = at * static_cast<std::size_t>(h.shape[d]) + static_cast<std::size_t>(index[d]);
      c[at] = t.data[k];
      for (std::size_t d = 0; d < nd && ++index[d] == h.shape[d]; ++d) index[d] = 0;
    }
    t.data = std::move(c);
  }
  return t;
}

}  // namespace losscalc::read
