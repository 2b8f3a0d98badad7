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

std::string read_head(read::ByteReader& r, std::size_t n);

// A data argument opened for rows, with its sniffed format.
struct Opened {
  read::RowFormat format = read::RowFormat::Csv;
  std::unique_ptr<read::ByteReader> bytes;  // head + rest
  std::string head;                         // what was read to sniff (stdin replay)
  read::Origin origin;
  // An array of a .npz or safetensors file (as a .npy); INPUT's input
  // array out of one that holds its target too.
  bool container = false, container_object = false;
};

// Opens "-", an existing file, or inline text that is not JSON; nothing for
// anything else (the in-memory path then reports it).
// `check_crc` false: a stored .npz member's CRC is left to the caller
// (read::container_stream with CrcCheck::First, or a ledger).
std::optional<Opened> open_source(const Source& src, std::istream& in, bool check_crc = true);

// Everything the source holds (the sniffed head included).
std::string read_all(Opened& o);

// A reader of rows in `format` from `bytes`.
std::unique_ptr<read::RowReader> rows_from(read::RowFormat format, std::unique_ptr<read::ByteReader> bytes, const read::Origin& origin,
                                           const RowOptions& ro);

std::unique_ptr<read::RowReader> rows_of(Opened& o, const RowOptions& ro);

}  // namespace losscalc::stream
