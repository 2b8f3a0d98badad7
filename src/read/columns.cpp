#include "read/columns.h"

#include <algorithm>
#include <charconv>

#include "error.h"

namespace losscalc::read::detail {

void say(const Origin& o, const std::string& what) {
  if (o.note) o.note(o.subject + (o.label.empty() ? "" : ": " + o.label) + ": " + what);
}

namespace {

class Planner {
 public:
  Planner(const CsvOptions& opt, const std::vector<std::string>& names, std::int64_t width, const Origin& origin)
      : opt_(opt), names_(names), width_(width), origin_(origin) {}

  // A range a:b (not a header name that holds a colon).
  bool is_range(const std::string& spec) const {
    return spec.find(':') != std::string::npos && std::find(names_.begin(), names_.end(), spec) == names_.end();
  }

  // The index of one column (a header name, or an index from 0, negative
  // from the end); `option` names the option in messages.
  std::int64_t column_of(const std::string& option, const std::string& spec) const {
    auto it = std::find(names_.begin(), names_.end(), spec);
    if (it != names_.end()) {
      const std::int64_t col = it - names_.begin();
      if (col >= width_)
        throw data_error(origin_.subject, origin_.label,
                         "the header names " + std::to_string(names_.size()) + " columns, the data rows have " +
                             std::to_string(width_) + ": column " + in_quotes(spec) + " is past their end");
      return col;
    }
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), v);
    if (ec != std::errc() || p != spec.data() + spec.size()) {
      std::string known;
      for (auto& n : names_) known += (known.empty() ? "" : ", ") + quote_token(n);
      throw usage_error(option, "no column named " + in_quotes(spec) +
                                    (names_.empty() ? " (the data has no header line)" : " (columns: " + known + ")"));
    }
    const std::int64_t col = v < 0 ? v + width_ : v;
    if (col < 0 || col >= width_)
      throw usage_error(option, "column " + spec + " is out of range: the rows have " + std::to_string(width_) + " columns (0 to " +
                                    std::to_string(width_ - 1) + ")");
    return col;
  }

  // The columns of a spec: one column, or a range a:b (both ends included).
  std::vector<std::int64_t> columns_of(const std::string& option, const std::string& spec) const {
    if (!is_range(spec)) return {column_of(option, spec)};
    const auto colon = spec.find(':');
    const std::string a = spec.substr(0, colon), b = spec.substr(colon + 1);
    const std::int64_t first = a.empty() ? 0 : column_of(option, a);
    const std::int64_t last = b.empty() ? width_ - 1 : column_of(option, b);
    if (first > last)
      throw usage_error(option, "the range " + in_quotes(spec) + " runs backwards (columns " + std::to_string(first) + " to " +
                                    std::to_string(last) + ")");
    std::vector<std::int64_t> out;
    for (std::int64_t c = first; c <= last; ++c) out.push_back(c);
    return out;
  }

  // pandas' to_csv writes its index first: an empty (or, read and written
  // again, "Unnamed: 0") header name over integers counting from 0 or 1.
  bool pandas_index(const std::string_view* first_value, bool first_is_target) const {
    if (names_.empty() || (!names_[0].empty() && names_[0] != "Unnamed: 0") || !first_value) return false;
    return !first_is_target && (*first_value == "0" || *first_value == "1");
  }

  ColumnPlan plan(const std::string_view* first_value) const {
    using P = ColumnPlan;
    struct Column {
      int input = -1, target = -1;  // its position in the input or the target
      bool skip = false;            // left out (not even parsed)
    };
    ColumnPlan out;
    std::vector<Column> cols(static_cast<std::size_t>(width_));
    out.group_widths.assign(opt_.target_groups.size(), 0);
    for (std::size_t item = 0; item < opt_.target_columns.size(); ++item) {
      const std::string& spec = opt_.target_columns[item];
      const std::size_t before = out.target_slots;
      for (std::int64_t col : columns_of("--target-column", spec)) {
        Column& c = cols[static_cast<std::size_t>(col)];
        if (c.target >= 0) throw usage_error("--target-column", "column " + spec + " is named twice");
        c.target = static_cast<int>(out.target_slots++);
      }
      // Which group the item is in: the first whose items reach past it.
      std::size_t group = 0, end = opt_.target_groups.empty() ? 0 : opt_.target_groups[0];
      while (group + 1 < opt_.target_groups.size() && item >= end) end += opt_.target_groups[++group];
      if (!out.group_widths.empty()) out.group_widths[group] += static_cast<std::int64_t>(out.target_slots - before);
    }
    for (const std::string& spec : opt_.ignore_columns)
      for (std::int64_t col : columns_of("--ignore-column", spec)) {
        Column& c = cols[static_cast<std::size_t>(col)];
        if (is_range(spec) && c.target >= 0) continue;  // a range passes over target columns, as --column input= does
        if (c.target >= 0) throw usage_error("--ignore-column", "column " + spec + " is also a target column");
        c.skip = true;
      }
    bool pandas = false;
    if (width_ > 0 && opt_.input_columns.empty() && opt_.ignore_columns.empty() && pandas_index(first_value, cols[0].target >= 0)) {
      pandas = true;
      cols[0].skip = true;
      out.pandas_first = *first_value == "0" ? 0 : 1;  // each row's value is checked: 0, 1, 2, ... (or from 1)
      say(origin_, "column 0 (header " + quote_token(names_[0]) + ", values counting from " + std::to_string(out.pandas_first) +
                       ") looks like a pandas index: left out (--column input=SPEC or --ignore-column SPEC choose the columns yourself)");
    }
    if (!opt_.input_columns.empty()) {
      for (const std::string& spec : opt_.input_columns)
        for (std::int64_t col : columns_of("--column", spec)) {
          Column& c = cols[static_cast<std::size_t>(col)];
          if (is_range(spec) && (c.target >= 0 || c.skip)) continue;  // a range (2:, 1:-1) passes over them
          if (c.target >= 0) throw usage_error("--column", "column " + spec + " is both an input and a target column");
          if (c.skip) throw usage_error("--column", "column " + spec + " is both an input column and ignored");
          if (c.input >= 0) throw usage_error("--column", "input column " + spec + " is named twice");
          c.input = static_cast<int>(out.input_slots++);
        }
      // Columns named nowhere are left out, and (once, not again for a later
      // part of the text) said so.
      std::string unnamed;
      for (std::size_t k = 0; k < cols.size(); ++k) {
        Column& c = cols[k];
        if (c.input >= 0 || c.target >= 0 || c.skip) continue;
        c.skip = true;
        unnamed += (unnamed.empty() ? "" : ", ") + (k < names_.size() && !names_[k].empty() ? quote_token(names_[k]) : std::to_string(k));
      }
      if (!unnamed.empty() && first_value)
        say(origin_, std::string("column") + (unnamed.find(", ") == std::string::npos ? " " : "s ") + unnamed +
                         " in no --column, --target-column or --ignore-column: left out");
    } else {
      for (Column& c : cols)
        if (c.target < 0 && !c.skip) c.input = static_cast<int>(out.input_slots++);
    }
    if (out.input_slots == 0) {
      if (pandas)
        throw data_error(origin_.subject, origin_.label,
                         "column 0 looks like a pandas index and the other columns are targets: no input left "
                         "(--column input=0 keeps column 0 as the input)");
      throw usage_error(!opt_.input_columns.empty()     ? "--column"
                        : opt_.target_columns.empty() ? "--ignore-column"
                                                      : "--target-column",
                        "every column is a target or left out: no input values left");
    }
    out.slot.resize(cols.size());
    for (std::size_t k = 0; k < cols.size(); ++k)
      out.slot[k] = cols[k].skip ? (pandas && k == 0 ? P::kIndex : P::kSkip) : cols[k].input >= 0 ? cols[k].input : P::kTarget0 - cols[k].target;
    return out;
  }

 private:
  const CsvOptions& opt_;
  const std::vector<std::string>& names_;
  std::int64_t width_;
  const Origin& origin_;
};

}  // namespace

ColumnPlan plan_columns(const CsvOptions& opt, const std::vector<std::string>& names, std::int64_t width, const Origin& origin,
                        const std::string_view* first_value) {
  return Planner(opt, names, width, origin).plan(first_value);
}

}  // namespace losscalc::read::detail
