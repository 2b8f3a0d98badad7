#include "run.h"

#include <cctype>
#include <cmath>
#include <iostream>
#include <new>
#include <set>

#include "cli.h"
#include "error.h"
#include "expect.h"
#include "explain/explain.h"
#include "merge.h"
#include "output.h"
#include "print/matches.h"
#include "print/number.h"
#include "print/printers.h"
#include "read/source.h"
#include "registry.h"
#include "settings_record.h"
#include "stream.h"
#include "warn.h"

namespace losscalc {

namespace {

Tensor array_of(read::Parsed&& p, const Source& s) {
  if (p.is_object) throw data_error(s.name, "", "only INPUT may be a JSON object; give " + s.name + " as an array");
  return std::move(p.array);
}

}  // namespace

Data read_data(const Request& rq, std::istream& in) {
  const FunctionSpec& fn = spec_of(rq.function);
  const auto upper = [](std::string_view n) {
    std::string u(n);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  };
  if (!rq.input) throw usage_error(rq.function, "missing " + upper(fn.args[0].name));
  if (!rq.rows.target_columns.empty() || !rq.rows.more_columns.empty()) return read_rows_whole(rq, in);
  int stdin_uses = 0;
  for (auto* s : {&rq.input, &rq.target, &rq.weight, &rq.pos_weight})
    if (*s && ((*s)->spec == "-" || (*s)->spec.starts_with("-:"))) ++stdin_uses;
  for (auto& m : rq.more) stdin_uses += m.spec == "-" || m.spec.starts_with("-:");
  if (stdin_uses > 1) throw usage_error("", "at most one argument may be '-' (standard input)");

  Data d;
  read::Parsed in_parsed = read::load(*rq.input, in);
  if (in_parsed.is_object) {
    bool has_input = false;
    for (auto& [key, tensor] : in_parsed.fields) {
      const std::string_view name = key == "input" ? fn.args[0].name : std::string_view(key);
      if (!fn.arg(name)) throw usage_error("input", "the object holds \"" + key + "\", which " + rq.function + " does not take");
      has_input = has_input || name == fn.args[0].name;
      put_arg(d, fn, name, std::move(tensor));
    }
    if (!has_input) throw data_error("input", "", "the object has no \"input\" (or \"logits\", \"preds\", \"y_pred\") key");
  } else {
    d.input = std::move(in_parsed.array);
  }
  // Arrays given explicitly override the object's.
  for (auto* s : {&rq.target, &rq.weight, &rq.pos_weight})
    if (*s) put_arg(d, fn, (*s)->name, array_of(read::load(**s, in), **s));
  for (auto& m : rq.more) put_arg(d, fn, m.name, array_of(read::load(m, in), m));
  std::vector<std::string> needed;
  for (auto& a : fn.args)
    if (a.positional && a.required) needed.push_back(upper(a.name));
  for (auto& a : fn.args)
    if (a.positional && a.required && !get_arg(d, fn, a.name)) {
      std::string list;
      for (std::size_t i = 0; i < needed.size(); ++i)
        list += (i == 0 ? "" : i + 1 == needed.size() ? " and " : ", ") + needed[i];
      throw usage_error(rq.function, "missing " + upper(a.name) + ": " + rq.function + " needs " + list);
    }
  return d;
}

Result compute(const Request& rq, const Data& data, const std::string& swapped) {
  const FunctionSpec& fn = spec_of(rq.function);
  Settings s = resolved_settings(fn, data, rq.settings);
  // -q prints the loss alone: no gradients or intermediates to form (the
  // same numbers, without their memory: a 100 MB .pt of logits). torch
  // only: other families' streamed blocks sum differently.
  if (rq.output.quiet && fn.is_loss() && fn.family == Family::Torch && !rq.output.explain) s.loss_only = true;
  // float vs double is chosen here, once.
  Result r = fn.run(data, s);
  r.function = fn.name;
  // Keras computes in float32 (its default floatx): where that number is not
  // the float64 one to 1e-4, a person reading the text should know it.
  if (fn.family == Family::Keras && s.dtype == DType::Float64 && !rq.output.quiet) {
    const Tensor* loss = r.find("loss");
    if (loss && loss->data.size() == 1 && std::isfinite(loss->data[0])) {
      Settings f32 = s;
      f32.dtype = DType::Float32;
      const Tensor* l32 = nullptr;
      Result r32;
      try {
        r32 = fn.run(data, f32);
        l32 = r32.find("loss");
      } catch (const Error&) {
      }
      const double a = loss->data[0];
      if (l32 && l32->data.size() == 1 && std::fabs(l32->data[0] - a) > 1e-4 * std::fabs(a))
        r.notes.push_back("Keras computes in float32 (its default floatx), and there this loss is " +
                          print::shortest(l32->data[0]) + " (--dtype float32): the clip at 1 - epsilon and the rounding differ");
    }
  }
  if (rq.output.explain) explain::explain(fn, data, s, rq.output.explain_samples, r);
  // The op's own warnings (torch's, such as broadcasting), then likely mistakes.
  if (rq.output.warnings)
    for (auto& w : likely_mistakes(fn, data, s, r, swapped)) r.warnings.push_back(w);
  return r;
}

namespace {

// expect: the search, then its output; 0 when something matches, 1 when
// nothing does.
int run_expect(const Request& rq, std::istream& in, std::ostream& out) {
  const Data data = read_data(rq, in);
  const Settings& s = rq.settings;
  ExpectQuery q;
  q.value = 0;
  read::parse_number(*value_text(rq.expect_value), q.value);
  const auto given = [&](const char* key) -> std::string {
    auto it = s.param_text.find(key);
    return it == s.param_text.end() ? "" : it->second;
  };
  const bool tolerance_given = !given("tolerance").empty();
  q.tolerance = tolerance_given ? s.number("tolerance") : *typed_tolerance(rq.expect_value);
  if (const std::string f = given("family"); !f.empty())
    for (Family fam : {Family::Torch, Family::TfNn, Family::Keras, Family::Optax, Family::Sklearn})
      if (family_name(fam) == f) q.family = fam;
  if (const std::string f = given("function"); !f.empty()) q.function = find_function(f);
  const ExpectResult r = expect_search(data, q);
  print::ExpectShown shown;
  shown.typed = rq.expect_value;
  shown.tolerance_given = tolerance_given;
  shown.explain_search = given("explain_search") == "true";
  // The data as the user gave it: their words, swapped, or the target
  // shifted and written inline.
  shown.argv = [&rq, &data](const Candidate& c) {
    std::vector<std::string> w = {"losscalc", std::string(c.fn->name), "-q"};
    for (auto& o : candidate_options(c)) w.push_back(o);
    std::string x = rq.input->spec, y = rq.target ? rq.target->spec : "";
    if (c.variant == Variant::Swapped) std::swap(x, y);
    if (c.variant == Variant::Shifted) y = print::json_tensor(*candidate_data(data, c).target);
    if (c.variant == Variant::Activated) x = print::json_tensor(candidate_data(data, c).input);
    if (c.weight) w.insert(w.end(), {"--weight", rq.weight->spec});
    if (c.pos_weight) w.insert(w.end(), {"--pos-weight", rq.pos_weight->spec});
    if (c.sample_weight)
      for (auto& m : rq.more)
        if (m.name == "sample_weight") w.insert(w.end(), {"--sample-weight", m.spec});
    if (x.starts_with("-") && x != "-") w.push_back("--");
    w.push_back(x);
    if (!y.empty()) w.push_back(y);
    for (auto& m : rq.more)
      if (m.name == "third") w.push_back(m.spec);
    return w;
  };
  write_out(out, print::expect(r, q, shown, rq.output));
  return r.matches.empty() ? 1 : 0;
}

}  // namespace

int run_main(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  try {
    CommandLine cl = parse_command_line(args);
    if (cl.done) {
      write_out(out, cl.text);
      return 0;
    }
    // What reading guessed (a pandas index left out) is said at once, and
    // once: a source may be opened twice (a probe, then the rows).
    std::set<std::string> said;
    if (cl.request.output.warnings)
      for (auto* src : {&cl.request.input, &cl.request.target, &cl.request.weight, &cl.request.pos_weight})
        if (*src)
          (*src)->note = [&err, &said](const std::string& note) {
            if (said.insert(note).second) err << "losscalc: note: " << note << "\n" << std::flush;
          };
    if (cl.request.function == "merge") {
      run_merge(cl.request, in, out);
      return 0;
    }
    if (cl.request.function == "expect") return run_expect(cl.request, in, out);
    std::unique_ptr<std::istream> replay;
    std::optional<Data> small;
    if (auto status = run_streamed(cl.request, in, out, err, replay, small)) return *status;
    const Data data = small ? std::move(*small) : read_data(cl.request, replay ? *replay : in);
    const Request& rq = cl.request;
    const std::string swapped = rq.input && rq.target ? swapped_command(args, rq.input->spec, rq.target->spec) : "";
    Result result = compute(rq, data, swapped);
    if (rq.output.partial) result.settings = settings_record(spec_of(rq.function), rq.settings, data);
    write_out(out, print::render(result, cl.request.output));  // one write: nothing on stdout before this
    if (rq.output.warnings)
      for (auto& w : result.warnings) err << "losscalc: warning: " << w << "\n";
    return 0;
  } catch (const BrokenPipe&) {
    return 141;  // as a shell reports a run ended by SIGPIPE
  } catch (const Error& e) {
    err << e.what() << "\n";
    return e.exit_status();
  } catch (const std::bad_alloc&) {
    err << "losscalc: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    err << "losscalc: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace losscalc
