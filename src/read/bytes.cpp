// Byte sources: a string, a stream, a file; and text read whole.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "read/container.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {


class StringBytes : public ByteReader {
 public:
  explicit StringBytes(std::string_view s, std::shared_ptr<const void> keep = {}) : s_(s), keep_(std::move(keep)) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, s_.size() - pos_);
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  bool skip(std::int64_t n) override {
    if (n < 0 || static_cast<std::uint64_t>(n) > s_.size() - pos_) return false;
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(s_.size()); }

 private:
  std::string_view s_;
  std::shared_ptr<const void> keep_;
  std::size_t pos_ = 0;
};

class ChainedBytes : public ByteReader {
 public:
  ChainedBytes(std::string head, std::unique_ptr<ByteReader> rest, bool of_rest)
      : head_(std::move(head)), rest_(std::move(rest)), extra_(of_rest ? 0 : static_cast<std::int64_t>(head_.size())) {}
  std::size_t read(char* buf, std::size_t n) override {
    if (pos_ < head_.size()) {
      const std::size_t k = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, k);
      pos_ += k;
      if (pos_ == head_.size()) {
        std::string().swap(head_);  // read: its memory goes
        pos_ = 0;
      }
      return k;
    }
    return rest_->read(buf, n);
  }
  bool skip(std::int64_t n) override {
    const auto early = static_cast<std::int64_t>(std::min<std::size_t>(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)), head_.size() - pos_));
    pos_ += static_cast<std::size_t>(early);
    return rest_->skip(n - early);
  }
  std::int64_t size() const override {
    const std::int64_t rest = rest_->size();
    return rest < 0 ? -1 : rest + extra_;
  }
  bool failed() const override { return rest_->failed(); }

 private:
  std::string head_;
  std::size_t pos_ = 0;
  std::unique_ptr<ByteReader> rest_;
  std::int64_t extra_;  // bytes the head adds to rest's size
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

// Bytes [offset, offset + length) of a file, read with pread (an array in
// a file of named arrays: read as a .npy file is, not through page faults).
class RangeBytes : public ByteReader {
 public:
  RangeBytes(int fd, std::uint64_t offset, std::uint64_t length) : fd_(fd), at_(offset), end_(offset + length), length_(length) {}
  ~RangeBytes() override { ::close(fd_); }
  RangeBytes(const RangeBytes&) = delete;
  RangeBytes& operator=(const RangeBytes&) = delete;
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, end_ - at_));
    std::size_t got = 0;
    while (got < want) {
      const ssize_t k = ::pread(fd_, buf + got, want - got, static_cast<off_t>(at_ + got));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        failed_ = k < 0;
        break;
      }
      got += static_cast<std::size_t>(k);
    }
    at_ += got;
    return got;
  }
  bool skip(std::int64_t n) override {
    if (n < 0 || static_cast<std::uint64_t>(n) > end_ - at_) return false;
    at_ += static_cast<std::uint64_t>(n);
    return true;
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(length_); }
  bool failed() const override { return failed_; }

 private:
  int fd_;
  std::uint64_t at_, end_, length_;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<ByteReader> file_range_bytes(const std::string& path, std::uint64_t offset, std::uint64_t length, const std::string& subject) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw data_error(subject, "", "cannot read " + in_quotes(path) + ": " + std::strerror(errno));
  posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_SEQUENTIAL);
  return std::make_unique<RangeBytes>(fd, offset, length);
}

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
std::unique_ptr<ByteReader> view_bytes(std::string_view bytes, std::shared_ptr<const void> keep) {
  return std::make_unique<StringBytes>(bytes, std::move(keep));
}
std::unique_ptr<ByteReader> chain_bytes(std::string head, std::unique_ptr<ByteReader> rest, bool head_read_from_rest) {
  return std::make_unique<ChainedBytes>(std::move(head), std::move(rest), head_read_from_rest);
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path, const std::string& subject) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw data_error(subject, "", "cannot read " + in_quotes(path) + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw data_error(subject, "", "cannot map " + in_quotes(path) + ": not a regular file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = size == 0 ? nullptr : mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw data_error(subject, "", "cannot map " + in_quotes(path) + ": " + std::strerror(err));
  if (p) madvise(p, size, MADV_SEQUENTIAL);
  return std::shared_ptr<const MappedFile>(new MappedFile(p, size));
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<void*>(data_), size_);
}
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
  bool binary = false;
  char buf[1 << 16];
  while (const std::size_t got = in.read(buf, sizeof buf)) {
    const std::size_t old = text.size();
    if (old + got > kMaxTextBytes)
      throw data_error(subject, label, "larger than " + std::to_string(kMaxTextBytes >> 20) + " MiB; losscalc reads at most that much");
    // Capacity doubles but never past the cap (so at most 2 GiB is held).
    if (old + got > text.capacity()) text.reserve(std::min(std::max(text.capacity() * 2, old + got), kMaxTextBytes));
    text.append(buf, got);
    if (old < 64) binary = is_npy(text) || is_container(text);  // read whole, NUL bytes and all
    if (!binary && std::memchr(text.data() + old, '\0', got)) break;
  }
  if (in.failed()) throw data_error(subject, label, "read error");
  return text;
}

}  // namespace losscalc::read
