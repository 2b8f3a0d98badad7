// Byte sources: a string, a stream, a file; and text read whole.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "read/container.h"
#include "read/rows.h"

namespace losscalc::read {

namespace {

// The files mapped now, for the SIGBUS handler: a page of a mapping past
// the end of its file (another program truncated it while losscalc read
// it) faults with SIGBUS, which would end losscalc with "Bus error" and
// no word of the file. The handler names the file and exits as a data
// error does. A slot is free while `begin` is null; its text is written
// before `begin` is published.
struct MapSlot {
  std::atomic<const char*> begin{nullptr};
  std::atomic<std::size_t> size{0};
  char what[400];
};
MapSlot g_maps[32];

void write_all(const char* s, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::write(2, s, n);
    if (k <= 0) return;
    s += k;
    n -= static_cast<std::size_t>(k);
  }
}

extern "C" void on_sigbus(int, siginfo_t* info, void*) {
  // Async-signal-safe: atomics, write and _exit only.
  const char* at = static_cast<const char*>(info->si_addr);
  const char* what = "a mapped file";
  for (auto& m : g_maps) {
    const char* b = m.begin.load();
    if (b && at >= b && static_cast<std::size_t>(at - b) < m.size.load()) what = m.what;
  }
  static const char kHead[] = "losscalc: ", kTail[] = ": the file shrank while losscalc read it (another program truncated or rewrote it)\n";
  write_all(kHead, sizeof kHead - 1);
  write_all(what, std::strlen(what));
  write_all(kTail, sizeof kTail - 1);
  _exit(1);
}

// The slot of a new mapping (nullptr when all are taken: the handler then
// says "a mapped file").
MapSlot* register_mapping(const void* p, std::size_t size, const std::string& subject, const std::string& path) {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGBUS, &sa, nullptr) == 0;
  }();
  if (!installed || !p) return nullptr;
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  for (auto& slot : g_maps) {
    if (slot.begin.load() != nullptr) continue;
    const std::string what = subject + ": file " + in_quotes(path, 300);
    const std::size_t n = std::min(what.size(), sizeof slot.what - 1);
    std::memcpy(slot.what, what.data(), n);
    slot.what[n] = '\0';
    slot.size.store(size);
    slot.begin.store(static_cast<const char*>(p));
    return &slot;
  }
  return nullptr;
}

// Pages [begin, end) of a mapped file, read already, out of the process's
// page tables (whole pages only; nothing when the range lies in no
// mapping). The file's pages stay in the page cache: a later read faults
// them in again. So a file streamed through its mapping keeps its resident
// memory bounded, and the unmapping at the end has little left to undo.
void release_mapped_pages(const char* begin, const char* end) {
  static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  for (auto& m : g_maps) {
    const char* b = m.begin.load();
    if (!b || begin < b || static_cast<std::size_t>(begin - b) >= m.size.load()) continue;
    const auto lo = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const auto hi = reinterpret_cast<std::uintptr_t>(end) / page * page;
    if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
    return;
  }
}

class StringBytes : public ByteReader {
 public:
  explicit StringBytes(std::string_view s, std::shared_ptr<const void> keep = {}) : s_(s), keep_(std::move(keep)) {}
  std::size_t read(char* buf, std::size_t n) override {
    release();
    const std::size_t k = std::min(n, s_.size() - pos_);
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  bool skip(std::int64_t n) override {
    if (n < 0 || static_cast<std::uint64_t>(n) > s_.size() - pos_) return false;
    release_mapped_pages(s_.data() + released_, s_.data() + pos_);
    pos_ += static_cast<std::size_t>(n);
    released_ = pos_;  // skipped pages are not this reader's to release (another may read them)
    return true;
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(s_.size()); }
  bool viewable() const override { return true; }
  std::string_view view(std::size_t n) override {
    release();  // (the last view is no longer in use)
    const std::size_t k = std::min(n, s_.size() - pos_);
    pos_ += k;
    return s_.substr(pos_ - k, k);
  }

 private:
  // Every 8 MB read of a view that lies in a mapped file: its pages go.
  void release() {
    if (pos_ - released_ < (std::size_t{1} << 23)) return;
    release_mapped_pages(s_.data() + released_, s_.data() + pos_);
    released_ = pos_;
  }
  std::string_view s_;
  std::shared_ptr<const void> keep_;
  std::size_t pos_ = 0, released_ = 0;
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
  bool viewable() const override { return rest_->viewable(); }
  std::string_view view(std::size_t n) override {
    if (pos_ < head_.size()) {
      const std::size_t k = std::min(n, head_.size() - pos_);
      pos_ += k;
      from_rest_ = false;
      return std::string_view(head_).substr(pos_ - k, k);  // the head goes at the next call
    }
    if (!head_.empty()) {
      std::string().swap(head_);
      pos_ = 0;
    }
    from_rest_ = true;
    return rest_->view(n);
  }
  std::optional<std::uint32_t> crc_before_view() const override { return from_rest_ ? rest_->crc_before_view() : std::nullopt; }
  void took_crc(std::uint32_t crc) override {
    if (from_rest_) rest_->took_crc(crc);
  }

 private:
  std::string head_;
  std::size_t pos_ = 0;
  std::unique_ptr<ByteReader> rest_;
  std::int64_t extra_;     // bytes the head adds to rest's size
  bool from_rest_ = false;  // the last view was rest's
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
  return std::shared_ptr<const MappedFile>(new MappedFile(p, size, register_mapping(p, size, subject, path)));
}

MappedFile::~MappedFile() {
  if (slot_) static_cast<MapSlot*>(slot_)->begin.store(nullptr);
  if (data_) munmap(const_cast<void*>(data_), size_);
}

std::unique_ptr<ByteReader> mapped_file_bytes(const std::string& path, const std::string& subject) {
  auto file = MappedFile::open(path, subject);
  const std::string_view bytes = file->bytes();
  return view_bytes(bytes, std::move(file));
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
