// Byte sources: a string, a stream, a file; and text read whole.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "error.h"
#include "read/container.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {


class StringBytes : public ByteReader {
 public:
  explicit StringBytes(std::string_view s) : s_(s) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, s_.size() - pos_);
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(s_.size()); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

class StreamBytes : public ByteReader {
 public:
  explicit StreamBytes(std::istream& in) : in_(in) {}
  std::size_t read(char* buf, std::size_t n) override {
    in_.read(buf, static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(in_.gcount());
  }
  bool failed() const override { return in_.bad(); }

 private:
  std::istream& in_;
};

class FileBytes : public ByteReader {
 public:
  FileBytes(std::FILE* f, std::int64_t size) : f_(f), size_(size) {}
  ~FileBytes() override { std::fclose(f_); }
  std::size_t read(char* buf, std::size_t n) override { return std::fread(buf, 1, n, f_); }
  bool skip(std::int64_t n) override {
    if (size_ < 0) return ByteReader::skip(n);  // not a regular file: read past
    const off_t at = ftello(f_);
    return at >= 0 && n <= size_ - at && fseeko(f_, static_cast<off_t>(n), SEEK_CUR) == 0;
  }
  std::int64_t size() const override { return size_; }
  bool failed() const override { return std::ferror(f_) != 0; }

 private:
  std::FILE* f_;
  std::int64_t size_;
};

}  // namespace

bool ByteReader::skip(std::int64_t n) {
  char buf[1 << 16];
  while (n > 0) {
    const std::size_t got = read(buf, static_cast<std::size_t>(std::min<std::int64_t>(n, sizeof buf)));
    if (got == 0) return false;
    n -= static_cast<std::int64_t>(got);
  }
  return true;
}

std::unique_ptr<ByteReader> string_bytes(std::string_view text) { return std::make_unique<StringBytes>(text); }
std::unique_ptr<ByteReader> stream_bytes(std::istream& in) { return std::make_unique<StreamBytes>(in); }

std::unique_ptr<ByteReader> file_bytes(const std::string& path, const std::string& subject) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw data_error(subject, "", in_quotes(path) + " is a directory, not a data file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw data_error(subject, "", "cannot read " + in_quotes(path) + ": " + std::strerror(errno));
  const auto size = std::filesystem::is_regular_file(path, ec) ? static_cast<std::int64_t>(std::filesystem::file_size(path, ec)) : -1;
  return std::make_unique<FileBytes>(f, size);
}

std::string read_text(ByteReader& in, const std::string& subject, const std::string& label) {
  std::string text;
  bool npy = false;
  char buf[1 << 16];
  while (const std::size_t got = in.read(buf, sizeof buf)) {
    const std::size_t old = text.size();
    if (old + got > kMaxTextBytes)
      throw data_error(subject, label, "larger than " + std::to_string(kMaxTextBytes >> 20) + " MiB; losscalc reads at most that much");
    // Capacity doubles but never past the cap (so at most 2 GiB is held).
    if (old + got > text.capacity()) text.reserve(std::min(std::max(text.capacity() * 2, old + got), kMaxTextBytes));
    text.append(buf, got);
    if (old < 64) npy = is_npy(text) || is_container(text);  // binary: read whole, NUL bytes and all
    if (!npy && std::memchr(text.data() + old, '\0', got)) break;
  }
  if (in.failed()) throw data_error(subject, label, "read error");
  return text;
}

}  // namespace losscalc::read
