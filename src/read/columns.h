// Which column of row data goes where (the input, a target group, left
// out), from the column options of CsvOptions: one resolution for the CSV
// reader's header names and for the keys of JSON Lines records, so that
// --target-column, --column NAME=SPEC and --ignore-column mean the same in
// both.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "read/rows.h"

namespace losscalc::read::detail {

struct ColumnPlan {
  // Where each column goes: its input slot (>= 0), kTarget0 - its target
  // slot, kSkip (left out, not parsed) or kIndex (a pandas index left out,
  // its count checked).
  static constexpr int kSkip = -1, kIndex = -2, kTarget0 = -3;
  std::vector<int> slot;
  std::size_t input_slots = 0, target_slots = 0;
  std::vector<std::int64_t> group_widths;  // of CsvOptions::target_groups
  std::int64_t pandas_first = -1;          // a pandas index left out: its first value (0 or 1); -1: none
};

// The plan for rows of `width` columns named `names` (the header's; none
// without a header, and a header may name more columns than the rows have).
// `first_value`: column 0's text in the first data row, for guessing a
// pandas index; nullptr for a later part of the text (no guess, no notes).
// Throws a usage error naming the option for a spec that names no column.
ColumnPlan plan_columns(const CsvOptions& opt, const std::vector<std::string>& names, std::int64_t width, const Origin& origin,
                        const std::string_view* first_value);

// A note on what reading chose, "SUBJECT: LABEL: ...", when the caller
// takes notes.
void say(const Origin& origin, const std::string& what);

}  // namespace losscalc::read::detail
