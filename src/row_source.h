// Row sources of the streaming paths: a data argument opened (stdin, a file
// or inline text) with its format sniffed from its first bytes, and a row
// reader for it.
#pragma once

#include <cstring>
#include <istream>
#include <memory>
#include <optional>
#include <string>

#include "read/rows.h"
#include "request.h"

namespace losscalc::stream {

// Bytes already read (to sniff the format), then the rest of the source.
class ChainBytes : public read::ByteReader {
 public:
  ChainBytes(std::string head, std::unique_ptr<read::ByteReader> rest) : head_(std::move(head)), rest_(std::move(rest)) {}
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
  std::int64_t size() const override { return rest_->size(); }
  bool failed() const override { return rest_->failed(); }

 private:
  std::string head_;
  std::size_t pos_ = 0;
  std::unique_ptr<read::ByteReader> rest_;
};

std::string read_head(read::ByteReader& r, std::size_t n);

// A data argument opened for rows, with its sniffed format.
struct Opened {
  read::RowFormat format = read::RowFormat::Csv;
  std::unique_ptr<read::ByteReader> bytes;  // head + rest
  std::string head;                         // what was read to sniff (stdin replay)
  read::Origin origin;
};

// Opens "-", an existing file, or inline text that is not JSON; nothing for
// anything else (the in-memory path then reports it).
std::optional<Opened> open_source(const Source& src, std::istream& in);

// Everything the source holds (the sniffed head included).
std::string read_all(Opened& o);

// A reader of rows in `format` from `bytes`.
std::unique_ptr<read::RowReader> rows_from(read::RowFormat format, std::unique_ptr<read::ByteReader> bytes, const read::Origin& origin,
                                           const RowOptions& ro);

std::unique_ptr<read::RowReader> rows_of(Opened& o, const RowOptions& ro);

}  // namespace losscalc::stream
