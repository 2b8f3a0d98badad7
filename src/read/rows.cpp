#include "read/container.h"
#include "read/rows.h"

#include <algorithm>

namespace losscalc::read {

RowBlock read_all(RowReader& rows) {
  RowBlock all, b;
  while (rows.next(b, 1 << 16)) {
    all.input.insert(all.input.end(), b.input.begin(), b.input.end());
    all.target.insert(all.target.end(), b.target.begin(), b.target.end());
    all.rows += b.rows;
    all.width = b.width;
    all.target_width = b.target_width;
    all.target_groups = b.target_groups;
    all.target_group_names = b.target_group_names;
  }
  return all;
}

std::vector<double> group_values(const RowBlock& b, std::size_t g) {
  std::int64_t at = 0;
  for (std::size_t k = 0; k < g; ++k) at += b.target_groups[k];
  const std::int64_t w = b.target_groups[g];
  std::vector<double> values(static_cast<std::size_t>(b.rows * w));
  for (std::int64_t r = 0; r < b.rows; ++r) std::copy_n(b.target.begin() + r * b.target_width + at, w, values.begin() + r * w);
  return values;
}

Shape row_shape(std::int64_t rows, std::int64_t width) {
  if (rows == 1 && width == 1) return {};
  if (rows == 1) return {width};
  if (width == 1) return {rows};
  return {rows, width};
}

RowFormat sniff(std::string_view head) {
  head = without_bom(head);
  if (is_npy(head)) return npy_streams(head) ? RowFormat::Npy : RowFormat::Json;  // Json: read whole
  if (is_container(head)) return RowFormat::Json;                                  // .npz, safetensors, .pt: read whole
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return RowFormat::Csv;
  if (head[first] == '[' || python_call_start(head.substr(first))) return RowFormat::Json;  // JSON, or pasted from Python
  if (head[first] == '{') {
    // JSON Lines: an object that ends on its first line, and more after it.
    const auto nl = head.find('\n', first);
    if (nl == std::string_view::npos) return RowFormat::Json;
    const auto line_end = head.find_last_not_of(" \t\r", nl - 1);
    const auto next = head.find_first_not_of(" \t\r\n", nl);
    if (line_end != std::string_view::npos && head[line_end] == '}' && next != std::string_view::npos && head[next] == '{')
      return RowFormat::JsonLines;
    return RowFormat::Json;
  }
  return RowFormat::Csv;
}

}  // namespace losscalc::read
