#include "expect.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "error.h"
#include "ops/checks.h"
#include "ops/common.h"
#include "read/text.h"

namespace losscalc {

namespace {

bool all_integers_from_one(const Tensor& t) {
  if (t.data.empty()) return false;
  double lo = t.data[0];
  for (double v : t.data) {
    if (!(v == std::floor(v))) return false;
    lo = std::min(lo, v);
  }
  return lo >= 1;
}

// The dtype a framework computes in when nothing is said: Keras in float32
// (its floatx), scikit-learn in numpy's float64. torch, tf and JAX make
// float32 tensors of Python numbers and keep numpy's float64: either is
// their default (nullopt).
std::optional<DType> default_dtype(const FunctionSpec& fn) {
  if (fn.family == Family::Keras) return DType::Float32;
  if (fn.family == Family::Sklearn) return DType::Float64;
  return std::nullopt;
}

bool all_in_unit_interval(const Tensor& t) {
  for (double v : t.data)
    if (!(v >= 0 && v <= 1)) return false;
  return true;
}

// The class axis a function's probabilities are taken over: the last for
// tf.nn, keras and optax, torch's dim 1 (0 for a vector).
std::int64_t class_axis(const FunctionSpec& fn, const Tensor& x) {
  if (x.dims() < 2) return 0;
  return fn.dim_default == DimDefault::TorchClass ? 1 : x.dims() - 1;
}

// The data arguments of a function of three (INPUT, then two more, as
// TARGET and THIRD give them): margin_ranking_loss's input2 and target, a
// triplet's positives and negatives, gaussian_nll_loss's target and var.
// Empty for the others.
std::vector<std::string_view> three_args(const FunctionSpec& fn) {
  std::vector<std::string_view> rest;
  for (auto& a : fn.args)
    if (&a != &fn.args[0] && a.required && a.positional && a.name != "pos_weight") rest.push_back(a.name);
  return rest.size() == 2 ? rest : std::vector<std::string_view>{};
}

}  // namespace

Data candidate_data(const Data& data, const Candidate& c) {
  Data d;
  const FunctionSpec& fn = *c.fn;
  d.input = c.variant == Variant::Swapped ? *data.target : data.input;
  if (data.target) d.target = c.variant == Variant::Swapped ? data.input : *data.target;
  if (c.variant == Variant::Shifted)
    for (double& v : d.target->data) v -= 1;
  if (c.variant == Variant::Activated) {
    Tensor& x = d.input;
    if (fn.layout == Layout::Elementwise) {
      for (double& v : x.data) v = 1 / (1 + std::exp(-v));
    } else {  // a softmax over the class axis
      const std::int64_t axis = class_axis(fn, x);
      const std::int64_t n = x.dims() == 0 ? 1 : x.shape[static_cast<std::size_t>(axis)];
      std::int64_t inner = 1;
      for (std::int64_t k = axis + 1; k < x.dims(); ++k) inner *= x.shape[static_cast<std::size_t>(k)];
      const std::int64_t outer = x.size() / std::max<std::int64_t>(1, n * inner);
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          double m = -INFINITY, sum = 0;
          for (std::int64_t k = 0; k < n; ++k) m = std::max(m, x.data[static_cast<std::size_t>((o * n + k) * inner + i)]);
          for (std::int64_t k = 0; k < n; ++k) sum += std::exp(x.data[static_cast<std::size_t>((o * n + k) * inner + i)] - m);
          for (std::int64_t k = 0; k < n; ++k) {
            double& v = x.data[static_cast<std::size_t>((o * n + k) * inner + i)];
            v = std::exp(v - m) / sum;
          }
        }
    }
  }
  if (const Tensor* third = data.get("third")) {  // a function of three: TARGET and THIRD are its second and third
    const auto names = three_args(fn);
    Tensor second = std::move(*d.target);
    d.target.reset();
    put_arg(d, fn, names[0], std::move(second));
    put_arg(d, fn, names[1], *third);
  }
  if (c.weight) d.weight = data.weight;
  if (c.pos_weight) d.pos_weight = data.pos_weight;
  if (c.sample_weight) d.more.emplace_back("sample_weight", *data.get("sample_weight"));
  return d;
}

std::optional<std::string> value_text(const std::string& typed) {
  std::string t = typed;
  // torch's printed scalar: tensor(1.2340) or tensor(1.2340, grad_fn=<...>)
  if (t.rfind("tensor(", 0) == 0) {
    const auto end = t.find_first_of(",)", 7);
    if (end == std::string::npos) return std::nullopt;
    t = t.substr(7, end - 7);
  }
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
  double x;
  if (!read::parse_number(t, x) || !std::isfinite(x)) return std::nullopt;
  return t;
}

std::optional<double> typed_tolerance(const std::string& typed) {
  const auto t = value_text(typed);
  if (!t) return std::nullopt;
  const std::string& s = *t;
  const auto e = s.find_first_of("eE");
  const std::string mantissa = s.substr(0, e);
  int exponent = 0;
  if (e != std::string::npos) exponent = std::atoi(s.c_str() + e + 1);
  const auto dot = mantissa.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(mantissa.size() - dot - 1);
  // (All 17 digits typed: a few units in the last place, since frameworks
  // that agree to the bit on the math may still round their sums apart.)
  double x = 0;
  read::parse_number(s, x);
  return std::max(0.5 * std::pow(10.0, exponent - decimals), 8 * std::numeric_limits<double>::epsilon() * std::fabs(x));
}

namespace {

// A parameter's keyword in its framework's call: torch's dim is Keras's axis.
std::string keyword(const FunctionSpec& fn, const Param& p) {
  if (fn.family == Family::Torch || p.alias.empty()) return p.key();
  std::string k(p.alias);
  for (char& ch : k)
    if (ch == '-') ch = '_';
  return k;
}

}  // namespace

ExpectResult expect_search(const Data& data, const ExpectQuery& q) {
  ExpectResult out;
  std::vector<Candidate> all;
  std::set<std::string> said;
  const Tensor* user_sample_weight = data.get("sample_weight");
  for (const FunctionSpec& fn : functions()) {
    if (!fn.is_loss()) continue;
    if (q.family && fn.family != *q.family) continue;
    if (q.function && &fn != q.function) continue;
    // The data arguments: INPUT as the first, TARGET as the target; a
    // function that needs another (input2, var) cannot take this data.
    const bool three = data.get("third") != nullptr;
    if (three && three_args(fn).empty()) {
      const std::string why = std::string(fn.name) + ": takes no third data argument";
      if (said.insert(why).second) out.skipped.push_back(why);
      continue;
    }
    std::string needs;
    for (auto& a : fn.args)
      if (!three && &a != &fn.args[0] && a.required && a.name != "target") needs = a.name;
    if (!needs.empty() || (data.target && !fn.takes_target() && !three)) {
      const std::string why = std::string(fn.name) + ": " + (needs.empty() ? "takes INPUT alone" : "needs " + needs + " too");
      if (said.insert(why).second) out.skipped.push_back(why);
      continue;
    }
    if ((fn.takes_target() || three) && !data.target) continue;
    std::vector<Variant> variants = {Variant::Plain};
    if (data.target) variants.push_back(Variant::Swapped);
    // (Class indices: a target of one dim fewer than INPUT.)
    if (!three && data.target && data.target->dims() + 1 == data.input.dims() && all_integers_from_one(*data.target))
      variants.push_back(Variant::Shifted);
    if (!three && fn.holds == Holds::Probabilities && !all_in_unit_interval(data.input)) variants.push_back(Variant::Activated);
    // One parameter off its default (or none).
    std::vector<std::pair<const Param*, std::string>> choices = {{nullptr, ""}};
    for (auto& p : fn.params)
      for (auto& v : grid_of(p)) choices.emplace_back(&p, v);
    const std::optional<DType> natural = default_dtype(fn);
    // The precisions: float64 and float32; torch's half formats where the
    // table emulates them; autocast for torch's losses.
    struct Precision {
      DType dtype;
      Amp amp = Amp::Off;
    };
    std::vector<Precision> precisions = {{natural.value_or(DType::Float64)}, {natural == DType::Float32 ? DType::Float64 : DType::Float32}};
    if (fn.run_reduced) precisions.insert(precisions.end(), {{DType::BFloat16}, {DType::Float16}});
    if (fn.family == Family::Torch) precisions.insert(precisions.end(), {{DType::Float32, Amp::BFloat16}, {DType::Float32, Amp::Float16}});
    const auto dtype_departs = [&](const Precision& p) {
      return p.amp != Amp::Off || is_half(p.dtype) || (natural && p.dtype != *natural);
    };
    for (Variant variant : variants) {
      Candidate base;
      base.fn = &fn;
      base.variant = variant;
      base.weight = data.weight && fn.arg("weight");
      base.pos_weight = data.pos_weight && fn.arg("pos_weight");
      base.sample_weight = user_sample_weight && fn.arg("sample_weight");
      const Data d = candidate_data(data, base);
      const int variant_departures = variant == Variant::Plain ? 0 : 1;
      for (Reduction r : fn.reductions) {
        if (r == Reduction::None) continue;
        // tf.nn and optax return per-sample losses that every user reduces:
        // their mean or sum departs from nothing.
        const bool departs = r != fn.default_reduction && fn.default_reduction != Reduction::None;
        const int reduction_departures = variant_departures + departs;
        if (reduction_departures > 2) continue;
        for (const Precision& precision : precisions) {
          const DType dt = precision.dtype;
          const int dtype_departures = reduction_departures + dtype_departs(precision);
          if (dtype_departures > 2) continue;
          for (auto& [param, value] : choices) {
            if (dtype_departures + (param != nullptr) > 2) continue;
            Candidate c = base;
            c.three = three;
            c.reduction = r;
            c.dtype = dt;
            c.amp = precision.amp;
            c.param = param;
            c.value = value;
            Settings s = default_settings(fn);
            s.reduction = r;
            s.dtype = dt;
            s.amp = precision.amp;
            std::string why;
            try {
              if (param) apply_param(s, *param, value);
            } catch (const Error& e) {
              why = e.message();
            }
            ++out.tried;
            if (why.empty()) {
              s = resolved_settings(fn, d, s);
              s.loss_only = true;
              // (fn.run: the dtype's op, then --log-base, as a run computes it.)
              const ops::Attempt a = ops::attempt([&fn](const Data& dd, const Settings& ss) { return fn.run(dd, ss); }, d, s);
              why = a.error;
              c.loss = a.loss;
            }
            if (!why.empty()) {
              const std::string skip = std::string(fn.name) + ": " + why;
              if (said.insert(skip).second) out.skipped.push_back(skip);
              continue;
            }
            if (!std::isfinite(c.loss)) continue;
            if (variant == Variant::Swapped)
              c.departures.push_back(three ? "the first two data arguments swapped" : "INPUT and TARGET swapped (the y_true, y_pred order)");
            if (variant == Variant::Shifted) c.departures.push_back("labels 1..C: TARGET minus 1");
            if (variant == Variant::Activated)
              c.departures.push_back(fn.layout == Layout::Elementwise ? "INPUT holds logits: a sigmoid first" : "INPUT holds logits: a softmax first");
            if (departs) c.departures.push_back(std::string("reduction ") + ops::reduction_name(r));
            if (precision.amp != Amp::Off)
              c.departures.push_back(std::string("under autocast: INPUT in ") + ops::dtype_name(amp_dtype(precision.amp)) +
                                     ", the loss in float32");
            else if (dt == DType::BFloat16)
              c.departures.push_back("bfloat16 (torch 1.13's CPU arithmetic)");
            else if (dt == DType::Float16)
              c.departures.push_back("float16 (CUDA's half convention)");
            else if (dtype_departs(precision))
              c.departures.push_back(dt == DType::Float32 ? "float32 (scikit-learn computes in float64)" : "float64 (keras computes in float32)");
            if (param && param->name == "log-base")
              c.departures.push_back("log base " + value + (value == "2" ? " (bits): the loss divided by ln 2" : ": the loss divided by ln 10"));
            else if (param)
              c.departures.push_back(keyword(fn, *param) + "=" + (param->type != ParamType::Flag ? value : value == "true" ? "True" : "False"));
            all.push_back(std::move(c));
          }
        }
      }
    }
  }
  // Best first: the fewest departures, then the nearest, then the table's order.
  std::map<const FunctionSpec*, std::size_t> order;
  for (std::size_t i = 0; i < functions().size(); ++i) order[&functions()[i]] = i;
  // (Within the tolerance, nearer is noise: the table's order decides.)
  const auto diff = [&](const Candidate& c) { return std::fabs(c.loss - q.value); };
  std::stable_sort(all.begin(), all.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.departures.size() != b.departures.size()) return a.departures.size() < b.departures.size();
    const bool ia = diff(a) <= q.tolerance, ib = diff(b) <= q.tolerance;
    if (ia != ib) return ia;
    if (!ia && diff(a) != diff(b)) return diff(a) < diff(b);
    return order[a.fn] < order[b.fn];
  });
  // A departure that leaves a function's number as it was (an epsilon that
  // never acts, a symmetric loss swapped) explains nothing: the simplest
  // candidate of each function and number stands for the rest.
  std::set<std::pair<const FunctionSpec*, double>> seen;
  for (auto& c : all) {
    if (diff(c) > q.tolerance) continue;
    if (!seen.insert({c.fn, c.loss}).second) continue;
    // A float32 twin of a float64 match (dtype no departure): one entry.
    if (c.dtype == DType::Float32 && c.amp == Amp::Off && !default_dtype(*c.fn)) {
      const auto twin = std::find_if(out.matches.begin(), out.matches.end(), [&](const Candidate& m) {
        return m.fn == c.fn && m.dtype == DType::Float64 && m.reduction == c.reduction && m.param == c.param && m.value == c.value &&
               m.variant == c.variant;
      });
      if (twin != out.matches.end()) {
        twin->float32_loss = c.loss;
        continue;
      }
    }
    // A half-precision or autocast twin of a match in float64 or float32
    // says nothing more: the number is explained already.
    if (c.amp != Amp::Off || is_half(c.dtype)) {
      const bool twin = std::any_of(out.matches.begin(), out.matches.end(), [&](const Candidate& m) {
        return m.amp == Amp::Off && !is_half(m.dtype) && m.fn == c.fn && m.reduction == c.reduction && m.param == c.param &&
               m.value == c.value && m.variant == c.variant;
      });
      if (twin) continue;
    }
    out.matches.push_back(c);
  }
  if (out.matches.empty()) {
    std::stable_sort(all.begin(), all.end(), [&](const Candidate& a, const Candidate& b) {
      if (diff(a) != diff(b)) return diff(a) < diff(b);
      return a.departures.size() < b.departures.size();
    });
    seen.clear();
    for (std::size_t i = 0; i < all.size() && out.nearest.size() < 5; ++i)
      if (seen.insert({all[i].fn, all[i].loss}).second) out.nearest.push_back(all[i]);
  }
  return out;
}

namespace {

// The name a user calls: F.cross_entropy, keras.losses.CategoricalCrossentropy, ...
std::string call_name(const FunctionSpec& fn) {
  const auto has = [&](std::string_view prefix) -> std::string {
    for (auto a : fn.aliases)
      if (a.starts_with(prefix)) return std::string(a);
    return "";
  };
  switch (fn.family) {
    case Family::Torch: {
      const std::string f = has("F.");
      return f.empty() ? "F." + std::string(fn.name) : f;
    }
    case Family::Keras: {
      for (auto a : fn.aliases)
        if (a.starts_with("keras.losses.") && std::isupper(static_cast<unsigned char>(a[13]))) return std::string(a);
      return "keras.losses." + std::string(fn.name);
    }
    case Family::Optax: {
      const std::string o = has("optax.losses.");
      return o.empty() ? std::string(fn.name) : o;
    }
    case Family::Sklearn: {
      const std::string m = has("sklearn.metrics.");
      return m.empty() ? std::string(fn.name) : m;
    }
    default:
      return has("tf.nn.").empty() ? std::string(fn.name) : has("tf.nn.");
  }
}

}  // namespace

std::string framework_call(const Candidate& c) {
  const FunctionSpec& fn = *c.fn;
  std::vector<std::string> kw;
  if (c.weight) kw.push_back("weight=w");
  if (c.pos_weight) kw.push_back("pos_weight=pw");
  // --log-base is no framework's keyword: the user divides the call by ln b.
  const bool log_base = c.param && c.param->name == "log-base";
  if (c.param && !log_base) {
    std::string v = c.value;
    if (c.param->type == ParamType::Flag) v = v == "true" ? "True" : "False";
    kw.push_back(keyword(fn, *c.param) + "=" + v);
  }
  const bool keras = fn.family == Family::Keras, optax = fn.family == Family::Optax;
  const bool per_sample = fn.default_reduction == Reduction::None;  // tf.nn, optax: reduced by the user
  if (c.reduction != fn.default_reduction && !per_sample) kw.push_back(std::string("reduction='") + ops::reduction_name(c.reduction) + "'");
  std::string args;
  for (auto& k : kw) args += ", " + k;
  const std::string x = c.variant == Variant::Swapped ? "y" : "x", y = c.variant == Variant::Swapped ? "x" : "y";
  const std::string yy = c.variant == Variant::Shifted ? y + " - 1" : y;
  std::string xx = x;
  if (c.variant == Variant::Activated) {
    const bool sigmoid = fn.layout == Layout::Elementwise;
    const std::string axis = fn.dim_default == DimDefault::TorchClass ? "dim=1" : "axis=-1";
    switch (fn.family) {
      case Family::Torch: xx = sigmoid ? "torch.sigmoid(x)" : "torch.softmax(x, " + axis + ")"; break;
      case Family::Keras: xx = sigmoid ? "keras.ops.sigmoid(x)" : "keras.ops.softmax(x)"; break;
      case Family::Optax: xx = sigmoid ? "jax.nn.sigmoid(x)" : "jax.nn.softmax(x)"; break;
      default: xx = sigmoid ? "scipy.special.expit(x)" : "scipy.special.softmax(x, axis=-1)"; break;
    }
  }
  std::string call;
  if (const auto names = three_args(fn); c.three && !names.empty()) {
    // Named after the function's arguments: F.margin_ranking_loss(input1, input2, target).
    std::string a0(fn.args[0].name), a1(names[0]);
    if (c.variant == Variant::Swapped) std::swap(a0, a1);
    call = call_name(fn) + "(" + a0 + ", " + a1 + ", " + std::string(names[1]) + args + ")";
  } else if (keras) {
    call = call_name(fn) + "(" + (args.empty() ? "" : args.substr(2)) + ")(" + yy + ", " + xx + (c.sample_weight ? ", sample_weight=sw" : "") + ")";
  } else if (fn.family == Family::Sklearn) {
    call = call_name(fn) + "(" + yy + ", " + xx + (c.sample_weight ? ", sample_weight=sw" : "") + args + ")";
  } else if (fn.family == Family::TfNn) {
    call = call_name(fn) + "(labels=" + yy + ", logits=" + x + args + ")";
    if (per_sample) call = std::string(c.reduction == Reduction::Sum ? "tf.reduce_sum(" : "tf.reduce_mean(") + call + ")";
  } else {
    call = call_name(fn) + "(" + xx + ", " + yy + args + ")";
  }
  if (optax && per_sample) call += c.reduction == Reduction::Sum ? ".sum()" : ".mean()";
  if (log_base) call += " / math.log(" + c.value + ")";
  if (c.amp != Amp::Off)
    call = std::string("with torch.autocast(") + (c.amp == Amp::BFloat16 ? "'cpu'" : "'cuda'") + "): " + call + " on " +
           ops::dtype_name(amp_dtype(c.amp)) + " " + std::string(c.fn->args[0].name);
  else if (is_half(c.dtype))
    call += c.dtype == DType::BFloat16 ? " in bfloat16" : " in float16 (CUDA)";
  else if (c.dtype == DType::Float32 && !keras)
    call += " in float32";
  if (c.dtype == DType::Float64 && keras) call += " in float64";
  return call;
}

std::vector<std::string> candidate_options(const Candidate& c) {
  std::vector<std::string> o;
  if (c.reduction != c.fn->default_reduction) o.insert(o.end(), {"-r", ops::reduction_name(c.reduction)});
  if (c.amp != Amp::Off)
    o.insert(o.end(), {"--amp", ops::dtype_name(amp_dtype(c.amp))});
  else if (c.dtype != DType::Float64)
    o.insert(o.end(), {"--dtype", ops::dtype_name(c.dtype)});
  if (c.param) {
    const std::string opt = "--" + std::string(c.param->name);
    if (c.param->type == ParamType::Flag) {
      o.push_back(c.value == "true" ? opt : "--no-" + std::string(c.param->name));
    } else {
      o.insert(o.end(), {opt, c.value});
    }
  }
  return o;
}

}  // namespace losscalc
