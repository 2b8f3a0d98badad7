// Row-oriented readers: CSV / TSV / compact text, JSON Lines and .npy, read
// a block of rows at a time from a file, stdin or memory, so that a stream
// of any length goes through in bounded memory. The in-memory parser uses
// the same CSV reader, so both paths accept and reject the same text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "read/text.h"
#include "request.h"

namespace losscalc::read {

// Bytes in chunks: a file, stdin, or a string.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual std::size_t read(char* buf, std::size_t n) = 0;  // 0 at the end
  virtual std::int64_t size() const { return -1; }           // total bytes if known
  virtual bool failed() const { return false; }              // a read error (not the end)
  // Skips n bytes (reads them, unless it can seek); false if fewer were left.
  virtual bool skip(std::int64_t n);
  // Whether view() serves the bytes in place (a string, a mapped file).
  virtual bool viewable() const { return false; }
  // The next bytes, at most n, in place: valid until the next call on the
  // reader, empty at the end. Only where viewable(); a copy is never made.
  virtual std::string_view view(std::size_t) { return {}; }
  // A reader that checks a CRC of the bytes it gives (a stored zip
  // member's) takes the last view's at its next call. A caller that
  // passes over the view anyway may take it instead, in the same pass
  // (crc32_decode): crc_before_view() is the CRC of the bytes before the
  // view (nullopt: no CRC to take), and took_crc() gets the CRC of the
  // bytes up to the view's end.
  virtual std::optional<std::uint32_t> crc_before_view() const { return std::nullopt; }
  virtual void took_crc(std::uint32_t) {}
};

std::unique_ptr<ByteReader> string_bytes(std::string_view text);
std::unique_ptr<ByteReader> stream_bytes(std::istream& in);
// Opens a file; throws a data error naming `subject` if it cannot.
std::unique_ptr<ByteReader> file_bytes(const std::string& path, const std::string& subject);
// A regular file's bytes through a mapping (MappedFile): viewable, so that a
// reader decodes them where the page cache holds them, without the copy that
// read() makes. Throws a data error naming `subject` if it cannot.
std::unique_ptr<ByteReader> mapped_file_bytes(const std::string& path, const std::string& subject);

// A file's bytes mapped into memory (read-only), for the readers of files
// of named arrays, which need the central directory or the header at one
// end and the data anywhere, and for arrays read in place. Throws a data
// error naming `subject`. A mapped file that another program truncates
// while it is read ends losscalc with a data error naming it (SIGBUS is
// caught), not with the signal.
class MappedFile {
 public:
  static std::shared_ptr<const MappedFile> open(const std::string& path, const std::string& subject);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(const void* data, std::size_t size, void* slot) : data_(data), size_(size), slot_(slot) {}
  const void* data_;
  std::size_t size_;
  void* slot_;  // its entry in the SIGBUS handler's table, if any
};

// Bytes of a view (that `keep` keeps alive), with a skip that seeks.
std::unique_ptr<ByteReader> view_bytes(std::string_view bytes, std::shared_ptr<const void> keep = {});

// `head`, then the rest of `rest`: bytes already read from it (to sniff a
// format: its size() is then rest's), or bytes put before it (a header).
std::unique_ptr<ByteReader> chain_bytes(std::string head, std::unique_ptr<ByteReader> rest, bool head_read_from_rest = true);

// Largest text read whole (a JSON document, a file or stdin on the in-memory
// path, a single line when streaming); past it the read stops with an error
// instead of exhausting memory.
inline constexpr std::size_t kMaxTextBytes = std::size_t{1} << 31;
inline constexpr const char* kLineTooLong = "a single line longer than 2 GiB; losscalc reads lines of at most that much";

// Everything `in` holds, for a parser that needs the whole text. Text never
// holds a NUL byte: reading stops after the chunk that has one (so /dev/zero
// ends at once), and the parser then reports it at its line and column. A
// .npy, .npz, safetensors or .pt (binary, by its first bytes) is read whole.
// Errors name `subject`/`label`.
std::string read_text(ByteReader& in, const std::string& subject, const std::string& label);

struct CsvOptions {
  enum class Header { Auto, Yes, No } header = Header::Auto;
  // --header's letter ('y'es, 'n'o, else auto) as a Header.
  static Header header_from(char flag) { return flag == 'y' ? Header::Yes : flag == 'n' ? Header::No : Header::Auto; }
  char delimiter = 0;  // 0: detect from the first row: ',' if it has one, else tab, else spaces
  // Column specs: a header name, an index (from 0; negative from the end) or
  // a range a:b of them (both ends included; an end left out is the first or
  // last column). The input is input_columns in their order if given, else
  // every column that is not a target or ignored, in file order. A pandas
  // index column (first header name empty or "Unnamed: 0", first value 0 or
  // 1) is left out, with a note, unless input or ignored columns are given.
  std::vector<std::string> target_columns, input_columns, ignore_columns;
  // The target columns in groups, one a data argument (input2, ..., then
  // the target): each group's number of items of target_columns, in order.
  // Empty: one group, the target.
  std::vector<std::size_t> target_groups;
  // A later part of a CSV (see RowReader::continuation): every row has this
  // many cells, the delimiter and target column indices are given, no
  // header, and no rows at all is no error. -1: the first data row decides.
  std::int64_t columns = -1;
};

// A block of rows: `width` input values and `target_width` target values each.
struct RowBlock {
  std::int64_t first_row = 0;  // data-row index of the first row
  std::int64_t rows = 0;
  std::int64_t width = 0;
  std::int64_t target_width = 0;
  std::vector<double> input, target;
  // The widths of target_groups (CsvOptions) within each row's target values;
  // empty: one group.
  std::vector<std::int64_t> target_groups;
  // JSON Lines: the groups' names (the function's other data arguments,
  // then "target"); empty: the groups of CsvOptions::target_groups.
  std::vector<std::string> target_group_names;
  void clear() {
    rows = 0;
    input.clear();
    target.clear();
  }
};

class RowReader {
 public:
  virtual ~RowReader() = default;
  // Appends up to `max_rows` rows to `block` (cleared first); false when no
  // row was left. Throws a data error (line and column) on bad text.
  virtual bool next(RowBlock& block, std::int64_t max_rows) = 0;
  // Bytes consumed so far, for progress.
  virtual std::int64_t bytes_read() const = 0;
  // Lines read so far (CSV and JSON Lines; 0 for .npy).
  virtual std::int64_t lines_read() const { return 0; }
  // A maker of readers for a later part of the same text (split off at a
  // line break) that read it as this reader would: the delimiter, columns,
  // targets and widths its first data row settled, no header, and no error
  // for a part without rows. CSV and JSON Lines, once a data row was read;
  // empty before, and for .npy.
  using Continuation = std::function<std::unique_ptr<RowReader>(std::unique_ptr<ByteReader>)>;
  virtual Continuation continuation() const { return {}; }
};

std::unique_ptr<RowReader> csv_rows(std::unique_ptr<ByteReader> bytes, Origin origin, CsvOptions options);
// JSON Lines: {"input": [...], "target": ...} per line (keys as in JSON
// objects), or records, one key a column and a number a key, as pandas'
// to_json(orient='records', lines=True) writes (a first line with a key
// that is no data argument's, or any column option in `columns`): their
// keys are columns, resolved as a CSV header's; without a target column,
// the key label, labels, y, y_true or target is the target. null is NaN.
std::unique_ptr<RowReader> jsonl_rows(std::unique_ptr<ByteReader> bytes, Origin origin, CsvOptions columns = {});
// Whether `text` is one records line alone (which sniff() calls JSON: an
// object that nothing follows): a flat object with a key that is no data
// argument's, as pandas writes a DataFrame of one row.
bool one_records_line(std::string_view text, const Origin& origin);
// A C-order .npy of 1 or 2 dims (float64, float32, int64, int32): rows of it;
// with parts > 1, only part `part` of `parts` (rows R*part/parts up to
// R*(part+1)/parts, numbered as in the whole; the bytes before are skipped).
std::unique_ptr<RowReader> npy_rows(std::unique_ptr<ByteReader> bytes, Origin origin, int part = 0, int parts = 1);
// The first of `rows` rows in part `part` of `parts` (the last part ends at `rows`).
inline std::int64_t part_start(std::int64_t rows, int part, int parts) {
  return rows / parts * part + std::min<std::int64_t>(part, rows % parts);
}

// Group g's values of every row of `b` (see RowBlock::target_groups), row by row.
std::vector<double> group_values(const RowBlock& b, std::size_t g);

// Every remaining row of a reader, in one block (the in-memory paths).
RowBlock read_all(RowReader& rows);

// The in-memory shape of rows: a lone value is a scalar, one row is (C),
// one column is (N), else (N, C).
Shape row_shape(std::int64_t rows, std::int64_t width);

// A whole .npy (any number of dims) as a tensor.
Tensor npy_tensor(std::string_view bytes, const Origin& origin);
// The shape in a .npy's header (`head`: its first bytes, the header whole).
Shape npy_shape(std::string_view head, const Origin& origin);
// Whether bytes start with the .npy magic.
inline bool is_npy(std::string_view bytes) { return bytes.substr(0, 6) == "\x93NUMPY"; }
// Whether a .npy streams as rows: C order and at most 2 dims (else, or with
// a header that does not parse, it is read whole: npy_tensor).
bool npy_streams(std::string_view head);

// The sniffed format of data text or bytes.
enum class RowFormat { Json, JsonLines, Npy, Csv };
RowFormat sniff(std::string_view head);

}  // namespace losscalc::read
