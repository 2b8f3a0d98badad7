#include "explain/explain.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numbers>
#include <optional>

#include "core/layout.h"
#include "error.h"
#include "ops/checks.h"
#include "ops/ctc.h"
#include "ops/keras_reduce.h"
#include "ops/ops.h"
#include "print/number.h"
#include "registry.h"

namespace losscalc::explain {

namespace {

using Values = std::vector<double>;

Tensor vec(Values v) {
  Tensor t{{static_cast<std::int64_t>(v.size())}, std::move(v)};
  return t;
}
Tensor num(double v) { return Tensor{{}, {v}}; }

// Arithmetic in the dtype asked for: with float32 every step is rounded to
// float, as the kernels compute (the inputs too), so the steps end on the
// kernel's numbers. Set by explain() for the one call.
thread_local bool t_float32 = false;
double rd(double v) { return t_float32 ? static_cast<double>(static_cast<float>(v)) : v; }
double rexp(double v) { return t_float32 ? static_cast<double>(std::exp(static_cast<float>(v))) : std::exp(v); }
double rlog(double v) { return t_float32 ? static_cast<double>(std::log(static_cast<float>(v))) : std::log(v); }

// One sample's values along the class dim (in the dtype asked for).
Values slice(const Tensor& t, const core::Layout& l, std::int64_t p) {
  Values v(static_cast<std::size_t>(l.classes));
  for (std::int64_t c = 0; c < l.classes; ++c) v[static_cast<std::size_t>(c)] = rd(t.data[static_cast<std::size_t>(l.base(p) + c * l.inner)]);
  return v;
}

Values map(const Values& a, double (*f)(double)) {
  Values out(a.size());
  std::transform(a.begin(), a.end(), out.begin(), f);
  return out;
}

double sum(const Values& a) {
  double s = 0;
  for (double v : a) s = rd(s + v);
  return s;
}

std::string idx(std::int64_t p, const Shape& positions) {
  if (positions.size() <= 1) return std::to_string(p);
  std::vector<std::int64_t> i(positions.size());
  for (std::size_t d = positions.size(); d-- > 0;) {
    i[d] = p % positions[d];
    p /= positions[d];
  }
  std::string s = "[";
  for (std::size_t d = 0; d < i.size(); ++d) s += (d ? ", " : "") + std::to_string(i[d]);
  return s + "]";
}

// The softmax steps of one sample, as by hand; returns log_softmax (and
// softmax in `p`): the kernel's own rows where it kept them (`kernel_p`,
// `kernel_lp`), which the steps computed here reach to the last bit or two.
Values softmax_steps(std::vector<Step>& st, const Values& x, Values& p, const char* what = "logits x",
                     const std::optional<Values>& kernel_p = std::nullopt, const std::optional<Values>& kernel_lp = std::nullopt) {
  const double m = *std::max_element(x.begin(), x.end());
  Values xm(x.size());
  for (std::size_t c = 0; c < x.size(); ++c) xm[c] = rd(x[c] - m);
  const Values e = map(xm, rexp);
  const double s = sum(e);
  p.resize(x.size());
  Values lp(x.size());
  for (std::size_t c = 0; c < x.size(); ++c) {
    p[c] = rd(e[c] / s);
    lp[c] = rd(xm[c] - rlog(s));
  }
  if (kernel_p) p = *kernel_p;
  if (kernel_lp) lp = *kernel_lp;
  st.push_back({what, "", vec(x)});
  st.push_back({"max m", "subtracted so that exp() cannot overflow", num(m)});
  st.push_back({"x - m", "", vec(xm)});
  st.push_back({"exp(x - m)", "", vec(e)});
  st.push_back({"sum S", "sum of exp(x - m)", num(s)});
  st.push_back({"log S", "", num(rlog(s))});
  st.push_back({"softmax", "exp(x - m) / S", vec(p)});
  st.push_back({"log_softmax", "x - m - log S", vec(lp)});
  return lp;
}

struct Ctx {
  const FunctionSpec& fn;
  const Data& d;
  const Settings& s;
  Result& r;
  core::Layout layout;
  Shape positions;
  std::int64_t dim;
};

Values weights_of(const Ctx& c) {
  if (!c.d.weight || c.d.weight->data.size() != static_cast<std::size_t>(c.layout.classes))
    return Values(static_cast<std::size_t>(c.layout.classes), 1.0);
  Values w = c.d.weight->data;
  for (auto& v : w) v = rd(v);
  return w;
}

// The kernel's row of `key` (softmax, log_softmax) for sample p, when it
// kept one of the input's shape.
std::optional<Values> kernel_row(const Ctx& c, const char* key, std::int64_t p) {
  const Tensor* t = c.r.find(key);
  if (!t || t->shape != c.d.input.shape) return std::nullopt;
  return slice(*t, c.layout, p);
}

// The kernel's loss of sample p (one per position), when it kept them.
std::optional<double> kernel_loss(const Ctx& c, std::int64_t p) {
  const std::int64_t n = c.layout.positions();
  for (const char* key : {"losses", "loss"})
    if (const Tensor* t = c.r.find(key); t && static_cast<std::int64_t>(t->data.size()) == n && (n > 1 || std::string(key) == "losses"))
      return t->data[static_cast<std::size_t>(p)];
  return std::nullopt;
}

// Index-target losses: cross_entropy, nll_loss, sparse softmax (tf, keras).
void index_sample(const Ctx& c, std::int64_t p, Section& sec) {
  auto& st = sec.steps;
  const bool nll = c.fn.holds == Holds::LogProbabilities;
  const bool from_probs = c.fn.input_holds(c.s) == Holds::Probabilities;  // keras: the log of clipped probabilities
  // The table gives every function its ignore_index default (torch's -100, Keras's none); tf.nn has none.
  const std::int64_t ignore = c.s.ignore_index.value_or(INT64_MIN);
  const auto y = static_cast<std::int64_t>(c.d.target->data[static_cast<std::size_t>(p)]);
  sec.title += ", target " + std::to_string(y);
  Values x = slice(c.d.input, c.layout, p), prob, lp;
  if (from_probs) {
    st.push_back({"probabilities p", "", vec(x)});
    const double eps = c.s.epsilon;
    Values z(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) z[k] = rlog(std::min(std::max(x[k], rd(eps)), rd(1 - eps)));
    st.push_back({"z = log(clip(p))", "clip to [eps, 1 - eps], eps = " + print::shortest(eps), vec(z)});
    x = z;
  }
  if (nll) {
    lp = x;
    st.push_back({"log-probabilities x", "nll_loss takes them as given", vec(x)});
  } else {
    lp = softmax_steps(st, x, prob, from_probs ? "z" : "logits x", from_probs ? std::nullopt : kernel_row(c, "softmax", p),
                       from_probs ? std::nullopt : kernel_row(c, "log_softmax", p));
  }
  if (y == ignore) {
    st.push_back({"ignored", "target == ignore index: loss 0, left out of the mean", num(0)});
    return;
  }
  const Values w = weights_of(c);  // ones unless the function takes (and was given) class weights
  const double picked = lp[static_cast<std::size_t>(y)];
  st.push_back({"log_softmax[y]", "the target's log-probability", num(picked)});
  Values onehot(x.size(), 0.0);
  onehot[static_cast<std::size_t>(y)] = 1;
  double dot = 0;
  for (std::size_t k = 0; k < x.size(); ++k) dot = rd(dot + onehot[k] * lp[k]);
  st.push_back({"one-hot(y) . log_softmax", "the same number through the one-hot route", num(dot)});
  const double wy = w[static_cast<std::size_t>(y)];
  if (c.d.weight) st.push_back({"w[y]", "class weight of the target", num(wy)});
  const double nll_i = rd(-wy * picked);
  st.push_back({"nll", c.d.weight ? "-w[y] * log_softmax[y]" : "-log_softmax[y]", num(nll_i)});
  const double eps = c.s.label_smoothing;  // 0 unless the function takes it
  double loss = nll_i;
  if (eps > 0) {
    double sm = 0;
    for (std::size_t k = 0; k < x.size(); ++k) sm = rd(sm - rd(w[k] * lp[k]));
    sm = rd(sm / static_cast<double>(x.size()));
    st.push_back({"smooth", "-(1/C) sum_c w[c] log_softmax[c]", num(sm)});
    loss = kernel_loss(c, p).value_or(rd(rd((1 - eps) * nll_i) + rd(eps * sm)));
    st.push_back({"loss", "(1 - eps) * nll + eps * smooth, eps = " + print::shortest(eps), num(loss)});
  } else {
    st.push_back({"loss", "= nll", num(kernel_loss(c, p).value_or(loss))});
  }
  if (!nll) {
    Values g(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) g[k] = rd(prob[k] - onehot[k]);
    st.push_back({"softmax - one-hot(y)", from_probs ? "d loss / d z" : "d loss / d logits before weights and reduction", vec(g)});
  }
}

// Probability-target softmax losses: cross_entropy (prob), tf softmax, keras categorical.
void prob_sample(const Ctx& c, std::int64_t p, Section& sec) {
  auto& st = sec.steps;
  const Values x = slice(c.d.input, c.layout, p);
  Values t = slice(*c.d.target, c.layout, p);
  const auto C = static_cast<double>(t.size());
  const double eps = c.s.label_smoothing;
  const bool keras_probs = c.fn.family == Family::Keras && c.fn.input_holds(c.s) == Holds::Probabilities;
  Values lp, prob;
  if (keras_probs) {
    st.push_back({"probabilities p", "", vec(x)});
    const double total = sum(x);
    st.push_back({"sum p", "keras renormalises each row", num(total)});
    Values q(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) q[k] = std::min(std::max(rd(x[k] / total), rd(c.s.epsilon)), rd(1 - c.s.epsilon));
    st.push_back({"q = clip(p / sum p)", "clip to [eps, 1 - eps], eps = " + print::shortest(c.s.epsilon), vec(q)});
    lp = map(q, rlog);
    st.push_back({"log q", "", vec(lp)});
  } else {
    lp = softmax_steps(st, x, prob, "logits x", kernel_row(c, "softmax", p), kernel_row(c, "log_softmax", p));
  }
  st.push_back({"target t", "class probabilities", vec(t)});
  if (eps > 0) {
    for (auto& v : t) v = rd(rd(v * rd(1 - eps)) + rd(eps / C));
    st.push_back({"smoothed t'", "t (1 - eps) + eps / C", vec(t)});
  }
  const Values w = weights_of(c);
  if (c.d.weight) st.push_back({"weight w", "", vec(w)});
  double loss = 0;
  for (std::size_t k = 0; k < x.size(); ++k) loss = rd(loss - rd(rd(w[k] * t[k]) * lp[k]));
  loss = kernel_loss(c, p).value_or(loss);
  st.push_back({"loss", std::string("-sum_c ") + (c.d.weight ? "w[c] " : "") + (eps > 0 ? "t'[c]" : "t[c]") + (keras_probs ? " log q[c]" : " log_softmax[c]"), num(loss)});
  if (!keras_probs) {
    Values g(x.size());
    const double tw = [&] { double a = 0; for (std::size_t k = 0; k < x.size(); ++k) a = rd(a + rd(w[k] * t[k])); return a; }();
    const bool tf = c.fn.family != Family::Torch;  // TensorFlow's gradient: softmax - t
    for (std::size_t k = 0; k < x.size(); ++k) g[k] = tf ? rd(prob[k] - t[k]) : rd(rd(prob[k] * tw) - rd(w[k] * t[k]));
    st.push_back({tf ? "softmax - t" : "softmax * sum(w t) - w t", "d loss / d logits before the reduction", vec(g)});
  }
}

void activation_sample(const Ctx& c, std::int64_t p, Section& sec) {
  Values prob;
  softmax_steps(sec.steps, slice(c.d.input, c.layout, p), prob, "x", kernel_row(c, "softmax", p), kernel_row(c, "log_softmax", p));
}

// Elementwise binary losses, one row (along the last axis) at a time.
void binary_sample(const Ctx& c, std::int64_t p, Section& sec) {
  auto& st = sec.steps;
  const Values x = slice(c.d.input, c.layout, p);
  Values y = slice(*c.d.target, c.layout, p);
  const std::size_t n = x.size();
  const bool probs = c.fn.input_holds(c.s) == Holds::Probabilities;
  const bool keras = c.fn.family == Family::Keras;
  st.push_back({probs ? "probabilities p" : "logits x", "", vec(x)});
  st.push_back({"target y", "", vec(y)});
  if (keras && c.s.label_smoothing > 0) {
    for (auto& v : y) v = rd(rd(v * rd(1 - c.s.label_smoothing)) + rd(0.5 * c.s.label_smoothing));
    st.push_back({"smoothed y'", "y (1 - s) + 0.5 s: keras's binary smoothing pulls labels toward 0.5", vec(y)});
  }
  Values loss(n);
  if (probs && !keras) {  // torch: each log clamped at -100
    Values lx(n), l1x(n);
    for (std::size_t k = 0; k < n; ++k) {
      lx[k] = std::max(rlog(x[k]), -100.0);
      l1x[k] = std::max(rlog(rd(1 - x[k])), -100.0);
      loss[k] = -rd(rd(y[k] * lx[k]) + rd(rd(1 - y[k]) * l1x[k]));
    }
    st.push_back({"max(log p, -100)", "torch clamps each log at -100", vec(lx)});
    st.push_back({"max(log(1 - p), -100)", "", vec(l1x)});
    if (c.d.weight) {
      const Tensor w = ops::broadcast_to(*c.d.weight, c.d.input.shape, "weight");
      const Values ws = slice(w, c.layout, p);
      for (std::size_t k = 0; k < n; ++k) loss[k] = rd(loss[k] * ws[k]);
      st.push_back({"weight w", "broadcast to the input", vec(ws)});
    }
    if (auto k = kernel_row(c, "losses", p)) loss = *k;
    st.push_back({"loss", std::string(c.d.weight ? "-w " : "-") + "(y log p + (1 - y) log(1 - p))", vec(loss)});
    return;
  }
  if (probs) {  // keras from probabilities
    Values q(n);
    for (std::size_t k = 0; k < n; ++k) {
      q[k] = std::min(std::max(x[k], rd(c.s.epsilon)), rd(1 - c.s.epsilon));
      loss[k] = -rd(rd(y[k] * rlog(q[k])) + rd(rd(1 - y[k]) * rlog(rd(1 - q[k]))));
    }
    st.push_back({"clip(p)", "to [eps, 1 - eps], eps = " + print::shortest(c.s.epsilon), vec(q)});
    st.push_back({"elementwise loss", "-(y log p + (1 - y) log(1 - p))", vec(loss)});
  } else {
    Values sg(n), sp(n);
    for (std::size_t k = 0; k < n; ++k) {
      sg[k] = rd(1 / rd(1 + rexp(-x[k])));
      const double m = std::max(-x[k], 0.0);
      sp[k] = rd(rlog(rd(rexp(-m) + rexp(rd(-x[k] - m)))) + m);
    }
    st.push_back({"sigmoid(x)", "1 / (1 + exp(-x))", vec(sg)});
    st.push_back({"log(1 + exp(-x))", "stable form: m = max(-x, 0); log(exp(-m) + exp(-x - m)) + m", vec(sp)});
    Values lw(n, 1.0);
    if (c.d.pos_weight) {
      const Tensor pw = ops::broadcast_to(*c.d.pos_weight, c.d.input.shape, "pos_weight");
      const Values q = slice(pw, c.layout, p);
      for (std::size_t k = 0; k < n; ++k) lw[k] = rd(1 + rd(rd(q[k] - 1) * y[k]));
      st.push_back({"pos_weight", "", vec(q)});
      st.push_back({"lw", "1 + (pos_weight - 1) y", vec(lw)});
    }
    for (std::size_t k = 0; k < n; ++k) loss[k] = rd(rd(rd(1 - y[k]) * x[k]) + rd(lw[k] * sp[k]));
    if (c.d.weight) {
      const Tensor w = ops::broadcast_to(*c.d.weight, c.d.input.shape, "weight");
      const Values ws = slice(w, c.layout, p);
      for (std::size_t k = 0; k < n; ++k) loss[k] = rd(loss[k] * ws[k]);
      st.push_back({"weight w", "broadcast to the input", vec(ws)});
    }
    if (auto k = kernel_row(c, "losses", p)) loss = *k;
    st.push_back({"elementwise loss", std::string(c.d.weight ? "w " : "") + "((1 - y) x + " + (c.d.pos_weight ? "lw " : "") + "log(1 + exp(-x)))", vec(loss)});
  }
  if (keras)
    st.push_back({"per-sample loss", "keras: the mean over the last axis",
                  num(kernel_loss(c, p).value_or(rd(sum(loss) / static_cast<double>(n))))});
}

}  // namespace

void squared_error_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values d(x.size()), sq(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    d[k] = rd(x[k] - y[k]);
    sq[k] = rd(d[k] * d[k]);
  }
  st.push_back({"input x", "", vec(x)});
  st.push_back({"target y", "", vec(y)});
  st.push_back({"x - y", "", vec(d)});
  st.push_back({"(x - y)^2", "the elementwise loss", vec(sq)});
}

namespace {
// x, y, d = x - y, |d|, then the loss of each element by `loss(z)`.
template <class Loss>
void distance_steps(const Args& args, std::vector<Step>& st, const std::string& label, const std::string& formula, Loss loss) {
  const Values &x = args[0], &y = args[1];
  Values d(x.size()), z(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    d[k] = rd(x[k] - y[k]);
    z[k] = std::fabs(d[k]);
    l[k] = loss(z[k]);
  }
  st.push_back({"input x", "", vec(x)});
  st.push_back({"target y", "", vec(y)});
  st.push_back({"x - y", "", vec(d)});
  st.push_back({"z = |x - y|", "", vec(z)});
  st.push_back({label, formula, vec(l)});
}
}  // namespace

void absolute_error_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  distance_steps(args, st, "loss", "the elementwise loss, z", [](double z) { return z; });
}

void smooth_l1_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double beta = rd(s.number("beta"));
  if (beta == 0) return distance_steps(args, st, "loss", "beta 0: the l1 loss, z", [](double z) { return z; });
  distance_steps(args, st, "loss", "0.5 z^2 / beta where z < beta, else z - 0.5 beta; beta = " + print::shortest(beta),
                 [beta](double z) { return z < beta ? rd(rd(rd(0.5 * z) * z) / beta) : rd(z - rd(0.5 * beta)); });
}

void huber_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double delta = rd(s.number("delta"));
  distance_steps(args, st, "loss", "0.5 z^2 where z < delta, else delta (z - 0.5 delta); delta = " + print::shortest(delta),
                 [delta](double z) { return z < delta ? rd(rd(0.5 * z) * z) : rd(delta * rd(z - rd(0.5 * delta))); });
}

void margin_ranking_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x1 = args[0], &x2 = args[1], &y = args[2];
  const double margin = rd(s.number("margin"));
  Values d(x1.size()), u(x1.size()), l(x1.size()), g(x1.size());
  for (std::size_t k = 0; k < x1.size(); ++k) {
    d[k] = rd(x1[k] - x2[k]);
    u[k] = rd(rd(-y[k] * d[k]) + margin);
    l[k] = u[k] < 0 ? 0 : u[k];
    g[k] = u[k] >= 0 ? -y[k] : 0;
  }
  st.push_back({"input1 x1", "", vec(x1)});
  st.push_back({"input2 x2", "", vec(x2)});
  st.push_back({"target y", "", vec(y)});
  st.push_back({"x1 - x2", "", vec(d)});
  st.push_back({"-y (x1 - x2) + margin", "margin " + print::shortest(margin), vec(u)});
  st.push_back({"max(0, ...)", "the elementwise loss (0 where the preferred input wins by the margin)", vec(l)});
  st.push_back({"d loss / d x1", "-y where active (>= 0, the kink included, as torch), else 0; d / d x2 is its opposite", vec(g)});
}

void kl_div_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &t = args[1];
  Values a(x.size()), l(x.size());
  const bool log_target = s.number("log_target") != 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (log_target) {
      a[k] = rexp(t[k]);
      l[k] = rd(a[k] * rd(t[k] - x[k]));
    } else {
      a[k] = std::isnan(t[k]) ? t[k] : t[k] == 0 ? 0.0 : rd(t[k] * rlog(t[k]));
      l[k] = rd(a[k] - rd(t[k] * x[k]));
    }
  }
  st.push_back({"input x", "log-probabilities log q", vec(x)});
  if (log_target) {
    st.push_back({"target t", "log-probabilities log p (--log-target)", vec(t)});
    st.push_back({"p = exp(t)", "", vec(a)});
    st.push_back({"p (t - x)", "the elementwise loss", vec(l)});
  } else {
    st.push_back({"target p", "probabilities", vec(t)});
    st.push_back({"p log p", "xlogy: 0 where p = 0, NaN where p < 0", vec(a)});
    st.push_back({"p log p - p x", "the elementwise loss", vec(l)});
  }
  st.push_back({"d loss / d x", "-p", vec(map(log_target ? a : t, [](double v) { return -v; }))});
}

namespace {
// Stirling's term t log t - t + 0.5 log(2 pi t) of each count, 0 where `keep` is false.
template <class Keep>
Values stirling_terms(const Values& t, Keep keep) {
  Values out(t.size());
  const double two_pi = rd(2 * std::numbers::pi);
  for (std::size_t k = 0; k < t.size(); ++k)
    out[k] = keep(t[k]) ? rd(rd(rd(t[k] * rlog(t[k])) - t[k]) + rd(0.5 * rlog(rd(two_pi * t[k])))) : 0.0;
  return out;
}
}  // namespace

void poisson_nll_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &t = args[1];
  const bool log_input = s.number("log_input") != 0, full = s.number("full") != 0;
  const double eps = rd(s.number("eps"));
  Values a(x.size()), l(x.size()), g(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    a[k] = log_input ? rexp(x[k]) : rd(x[k] + eps);
    l[k] = log_input ? rd(a[k] - rd(t[k] * x[k])) : rd(x[k] - rd(t[k] * rlog(a[k])));
    g[k] = log_input ? rd(a[k] - t[k]) : rd(1 - rd(t[k] / a[k]));
  }
  st.push_back({"input x", log_input ? "log-rates (log_input)" : "rates (--no-log-input)", vec(x)});
  st.push_back({"target t", "counts", vec(t)});
  st.push_back({log_input ? "exp(x)" : "x + eps", log_input ? "" : "eps = " + print::shortest(eps), vec(a)});
  st.push_back({log_input ? "exp(x) - t x" : "x - t log(x + eps)", full ? "" : "the elementwise loss", vec(l)});
  if (full) {
    const Values term = stirling_terms(t, [](double v) { return v > 1; });
    Values total(l.size());
    for (std::size_t k = 0; k < l.size(); ++k) total[k] = rd(l[k] + term[k]);
    st.push_back({"t log t - t + 0.5 log(2 pi t)", "Stirling's term (--full), 0 where t <= 1", vec(term)});
    st.push_back({"loss", "the elementwise loss", vec(total)});
  }
  st.push_back({"d loss / d x", log_input ? "exp(x) - t" : "1 - t / (x + eps)", vec(g)});
}

void log_poisson_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &c = args[0], &z = args[1];
  const bool full = s.number("compute_full_loss") != 0;
  Values e(c.size()), l(c.size()), g(c.size());
  for (std::size_t k = 0; k < c.size(); ++k) {
    e[k] = rexp(c[k]);
    l[k] = rd(e[k] - rd(c[k] * z[k]));
    g[k] = rd(e[k] - z[k]);
  }
  st.push_back({"log_input c", "", vec(c)});
  st.push_back({"targets z", "", vec(z)});
  st.push_back({"exp(c)", "", vec(e)});
  st.push_back({"exp(c) - c z", full ? "" : "the elementwise loss", vec(l)});
  if (full) {
    const Values term = stirling_terms(z, [](double v) { return !(v >= 0 && v <= 1); });
    Values total(l.size());
    for (std::size_t k = 0; k < l.size(); ++k) total[k] = rd(l[k] + term[k]);
    st.push_back({"z log z - z + 0.5 log(2 pi z)", "Stirling's term (--compute-full-loss), 0 where 0 <= z <= 1", vec(term)});
    st.push_back({"loss", "the elementwise loss", vec(total)});
  }
  st.push_back({"d loss / d c", "exp(c) - z", vec(g)});
}

void gaussian_nll_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1], &var = args[2];
  const double eps = rd(s.number("eps"));
  const bool full = s.number("full") != 0;
  Values v(x.size()), d2(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    v[k] = std::isnan(var[k]) ? var[k] : std::max(var[k], eps);
    const double d = rd(x[k] - y[k]);
    d2[k] = rd(d * d);
    l[k] = rd(0.5 * rd(rlog(v[k]) + rd(d2[k] / v[k])));
    if (full) l[k] = rd(l[k] + rd(0.5 * std::log(2 * std::numbers::pi)));
  }
  st.push_back({"input x", "means", vec(x)});
  st.push_back({"target y", "", vec(y)});
  st.push_back({"var", "", vec(var)});
  st.push_back({"v = max(var, eps)", "eps = " + print::shortest(eps) + " (the clamp has no gradient)", vec(v)});
  st.push_back({"(x - y)^2", "", vec(d2)});
  st.push_back({full ? "0.5 (log v + (x - y)^2 / v) + 0.5 log(2 pi)" : "0.5 (log v + (x - y)^2 / v)", "the elementwise loss", vec(l)});
}

void half_squares_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values& t = args[0];
  Values h(t.size());
  for (std::size_t k = 0; k < t.size(); ++k) h[k] = rd(rd(t[k] * t[k]) * 0.5);
  st.push_back({"t", "", vec(t)});
  st.push_back({"t^2 / 2", "each element's part of the sum", vec(h)});
}

namespace {
// Keras's regression losses: the elementwise loss by the op's own kernel
// (in the run's dtype), its slope, then the sample's mean (or sum) over the
// last axis. `kernel(p, t)` takes y_pred and y_true as Vec<T>.
template <class Kernel>
void keras_steps(const Args& args, std::vector<Step>& st, const std::string& formula, const std::string& slope, bool sum_last,
                 Kernel kernel) {
  const Values &x = args[0], &y = args[1];
  const auto n = static_cast<Eigen::Index>(x.size());
  Values l(x.size()), g(x.size());
  double per_sample = 0;
  const auto run = [&](auto zero) {
    using T = decltype(zero);
    core::Vec<T> p(n), t(n);
    for (Eigen::Index k = 0; k < n; ++k) {
      p[k] = static_cast<T>(x[static_cast<std::size_t>(k)]);
      t[k] = static_cast<T>(y[static_cast<std::size_t>(k)]);
    }
    const core::Pointwise<T> pw = kernel(p, t);
    T total = 0;
    for (Eigen::Index k = 0; k < n; ++k) {
      l[static_cast<std::size_t>(k)] = static_cast<double>(pw.loss[k]);
      g[static_cast<std::size_t>(k)] = static_cast<double>(pw.slope[k]);
      total += pw.loss[k];
    }
    per_sample = static_cast<double>(sum_last ? total : total / static_cast<T>(n));
  };
  if (t_float32) run(0.0f);
  else run(0.0);
  st.push_back({"y_pred x", "", vec(x)});
  st.push_back({"y_true y", "", vec(y)});
  st.push_back({"elementwise loss", formula, vec(l)});
  st.push_back({"per-sample loss", sum_last ? "keras: the sum over the last axis" : "keras: the mean over the last axis", num(per_sample)});
  st.push_back({"d elementwise / d x", slope, vec(g)});
}

template <class V>
using Scalar = typename std::decay_t<V>::Scalar;
}  // namespace

// hinge and squared_hinge on y_pred, y_true and the labels used.
void keras_hinge_family(const Args& args, std::vector<Step>& st, bool squared) {
  const Args a{args[0], args.size() > 2 ? args[2] : args[1]};
  const char* formula = squared ? "max(1 - y' x, 0)^2" : "max(1 - y' x, 0)";
  const char* slope = squared ? "-2 y' max(1 - y' x, 0)" : "-y' where 1 - y' x >= 0 (the tie included), else 0";
  keras_steps(a, st, formula, slope, false, [squared](auto& p, auto& t) {
    using T = typename std::decay_t<decltype(p)>::Scalar;
    return squared ? core::keras_squared_hinge<T>(p, t) : core::keras_hinge<T>(p, t);
  });
  st[1] = {"labels y'", "y_true as -1/+1: 2 y - 1 when every label of y_true is 0 or 1, else y_true itself", vec(a[1])};
  st.insert(st.begin() + 1, {"y_true y", "", vec(args[1])});
}

void keras_squared_error_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  keras_steps(args, st, "(y - x)^2", "2 (x - y)", false, [](auto& p, auto& t) { return core::keras_squared_error<Scalar<decltype(p)>>(p, t); });
}
void keras_absolute_error_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  keras_steps(args, st, "|y - x|", "sign(x - y)", false, [](auto& p, auto& t) { return core::keras_absolute_error<Scalar<decltype(p)>>(p, t); });
}
void keras_percentage_error_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double eps = s.epsilon;
  keras_steps(args, st, "100 |(y - x) / max(|y|, epsilon)|, epsilon " + print::shortest(rd(eps)), "100 sign(x - y) / max(|y|, epsilon)", false,
              [eps](auto& p, auto& t) {
                using T = Scalar<decltype(p)>;
                return core::keras_percentage_error<T>(p, t, static_cast<T>(eps));
              });
}
void keras_squared_log_error_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  keras_steps(args, st, "(log(max(x, eps) + 1) - log(max(y, eps) + 1))^2, eps 1e-7 (float32's)",
              "2 (log(max(x, eps) + 1) - log(max(y, eps) + 1)) / (max(x, eps) + 1); 0 below eps", false,
              [](auto& p, auto& t) { return core::keras_squared_log_error<Scalar<decltype(p)>>(p, t); });
}
void keras_huber_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double delta = s.number("delta");
  keras_steps(args, st, "0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2 (e = x - y); delta " + print::shortest(rd(delta)),
              "e inside, delta sign(e) outside", false, [delta](auto& p, auto& t) {
                using T = Scalar<decltype(p)>;
                return core::keras_huber<T>(p, t, static_cast<T>(delta));
              });
}
void keras_log_cosh_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  keras_steps(args, st, "log(cosh(e)) as e + softplus(-2 e) - log 2 (e = x - y)", "tanh(e)", false,
              [](auto& p, auto& t) { return core::keras_log_cosh<Scalar<decltype(p)>>(p, t); });
}
void keras_kl_divergence_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double eps = s.epsilon;
  keras_steps(args, st, "y' log(y' / x'), both clipped to [epsilon, 1], epsilon " + print::shortest(rd(eps)),
              "-y' / x' inside the clip, 0 outside", true, [eps](auto& p, auto& t) {
                using T = Scalar<decltype(p)>;
                return core::keras_kl_divergence<T>(p, t, static_cast<T>(eps));
              });
}
void keras_poisson_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double eps = s.epsilon;
  keras_steps(args, st, "x - y log(x + epsilon), epsilon " + print::shortest(rd(eps)), "1 - y / (x + epsilon)", false,
              [eps](auto& p, auto& t) {
                using T = Scalar<decltype(p)>;
                return core::keras_poisson<T>(p, t, static_cast<T>(eps));
              });
}

namespace {
// One sample's values as Vec<T>, in the run's dtype.
template <class T>
core::Vec<T> as_vec(const Values& v) {
  core::Vec<T> out(static_cast<Eigen::Index>(v.size()));
  for (std::size_t k = 0; k < v.size(); ++k) out[static_cast<Eigen::Index>(k)] = static_cast<T>(v[k]);
  return out;
}
template <class V>
Values values_of(const V& v) {
  Values out(static_cast<std::size_t>(v.size()));
  for (Eigen::Index k = 0; k < v.size(); ++k) out[static_cast<std::size_t>(k)] = static_cast<double>(v[k]);
  return out;
}
core::FocalOptions keras_focal_options(const Settings& s, bool binary) {
  return {.alpha = s.number("alpha"), .gamma = s.number("gamma"), .epsilon = s.epsilon,
          .apply_class_balancing = binary && s.number("apply_class_balancing") != 0, .from_logits = s.from_logits};
}
// Keras's label smoothing of one sample's y_true, toward 0.5 or 1 / C.
Values keras_smoothed(const Values& y, const Settings& s, double toward) {
  Values t = y;
  if (s.label_smoothing > 0)
    for (double& v : t) v = rd(rd(v * rd(1.0 - s.label_smoothing)) + rd(rd(s.label_smoothing) * toward));
  return t;
}
}  // namespace

void keras_binary_focal_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values& x = args[0];
  if (x.size() != args[1].size()) return;
  const Values y = keras_smoothed(args[1], s, 0.5);
  const core::FocalOptions o = keras_focal_options(s, true);
  Values probs, bce, pt, ff, loss;
  double per_sample = 0;
  const auto run = [&](auto zero) {
    using T = decltype(zero);
    const auto f = core::keras_binary_focal<T>(as_vec<T>(x), as_vec<T>(y), o);
    probs = values_of(f.probs), bce = values_of(f.bce), pt = values_of(f.p_t), ff = values_of(f.focal_factor), loss = values_of(f.pw.loss);
    per_sample = static_cast<double>(f.pw.loss.sum() / static_cast<T>(x.size()));
  };
  if (t_float32) run(0.0f);
  else run(0.0);
  st.push_back({o.from_logits ? "y_pred logits z" : "y_pred p", "", vec(x)});
  if (o.from_logits) st.push_back({"p = sigmoid(z)", "", vec(probs)});
  st.push_back({"y_true y", s.label_smoothing > 0 ? "smoothed toward 0.5: y (1 - s) + 0.5 s" : "", vec(y)});
  st.push_back({"bce", o.from_logits ? "sigmoid_cross_entropy_with_logits(y, z): from the logits, not clipped"
                                     : "-(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps], eps = " + print::shortest(rd(s.epsilon)),
                vec(bce)});
  st.push_back({"p_t = y p + (1 - y)(1 - p)", "", vec(pt)});
  st.push_back({"(1 - p_t)^gamma", "the focal factor; gamma " + print::shortest(o.gamma), vec(ff)});
  st.push_back({"elementwise loss", o.apply_class_balancing
                                        ? "(alpha y + (1 - alpha)(1 - y)) (1 - p_t)^gamma bce, alpha " + print::shortest(o.alpha)
                                        : "(1 - p_t)^gamma bce (alpha is used only with --apply-class-balancing)",
                vec(loss)});
  st.push_back({"per-sample loss", "keras: the mean over the last axis", num(per_sample)});
}

void keras_categorical_focal_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values& x = args[0];
  if (x.size() != args[1].size()) return;
  const Values y = keras_smoothed(args[1], s, rd(1.0 / static_cast<double>(x.size())));
  const core::FocalOptions o = keras_focal_options(s, false);
  const core::Layout layout{1, static_cast<std::int64_t>(x.size()), 1};
  Values probs, q, mf;
  double loss = 0;
  const auto run = [&](auto zero) {
    using T = decltype(zero);
    const auto f = core::keras_categorical_focal<T>(layout, as_vec<T>(x), as_vec<T>(y), o);
    probs = values_of(f.probs), q = values_of(f.clipped), mf = values_of(f.modulating_factor);
    loss = static_cast<double>(f.f.loss[0]);
  };
  if (t_float32) run(0.0f);
  else run(0.0);
  Values terms(x.size());
  for (std::size_t c = 0; c < x.size(); ++c) terms[c] = rd(rd(mf[c] * rd(o.alpha)) * rd(-y[c] * rlog(q[c])));
  st.push_back({o.from_logits ? "y_pred logits z" : "y_pred p", "", vec(x)});
  if (o.from_logits) st.push_back({"p = softmax(z)", "", vec(probs)});
  st.push_back({"y_true y", s.label_smoothing > 0 ? "smoothed: y (1 - s) + s / C" : "", vec(y)});
  st.push_back({"q = clip(p / sum p)", "renormalised, clipped to [eps, 1 - eps], eps = " + print::shortest(rd(s.epsilon)), vec(q)});
  st.push_back({"(1 - q)^gamma", "the modulating factor; gamma " + print::shortest(o.gamma), vec(mf)});
  st.push_back({"alpha (1 - q)^gamma (-y log q)", "each class's term; alpha " + print::shortest(o.alpha) + ", one for every class", vec(terms)});
  st.push_back({"loss", "the sum over the class axis", num(loss)});
}

void keras_overlap_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  if (x.size() != y.size()) return;
  const bool tversky = s.numbers.count("beta") != 0;
  double inter = 0, a = 0, b = 0;  // dice: sum y, sum x; tversky: fp, fn
  for (std::size_t k = 0; k < x.size(); ++k) {
    inter = rd(inter + rd(y[k] * x[k]));
    a = tversky ? rd(a + rd(rd(1 - y[k]) * x[k])) : rd(a + y[k]);
    b = tversky ? rd(b + rd(y[k] * rd(1 - x[k]))) : rd(b + x[k]);
  }
  const double eps = rd(s.epsilon);
  const auto it = s.param_text.find("axis");
  const bool whole = it == s.param_text.end() || it->second.empty();
  const std::string note = whole ? " (axis none: the loss sums over every row first, so it is not these rows' mean; intersection and sums are printed above)"
                                 : "";
  st.push_back({"y_pred p", "this row (index along dim 0)", vec(x)});
  st.push_back({"y_true y", "", vec(y)});
  st.push_back({"sum(y p)", "the row's intersection", num(inter)});
  if (tversky) {
    const double alpha = rd(s.number("alpha")), beta = rd(s.number("beta"));
    st.push_back({"fp = sum((1 - y) p)", "", num(a)});
    st.push_back({"fn = sum(y (1 - p))", "", num(b)});
    const double den = rd(rd(rd(inter + rd(a * alpha)) + rd(b * beta)) + eps);
    st.push_back({"1 - I / (I + alpha fp + beta fn + eps)", "over this row alone; alpha " + print::shortest(alpha) + ", beta " +
                                                                  print::shortest(beta) + ", eps " + print::shortest(eps) + note,
                  num(rd(1 - rd(inter / den)))});
  } else {
    st.push_back({"sum y, sum p", "", vec({a, b})});
    st.push_back({"1 - 2 I / (sum y + sum p + eps)", "over this row alone; eps " + print::shortest(eps) + note,
                  num(rd(1 - rd(rd(2 * inter) / rd(rd(a + b) + eps))))});
  }
}

void generalized_cross_entropy_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values& x = args[0];
  const double label = args[1].empty() ? std::nan("") : args[1][0];
  const double q = rd(s.number("q"));
  const double y = std::isfinite(label) ? std::trunc(label) : -1;
  const bool in_range = y >= 0 && y < static_cast<double>(x.size());
  double pt = 0;
  for (std::size_t c = 0; c < x.size(); ++c) pt = rd(pt + rd(x[c] * (in_range && static_cast<double>(c) == y ? 1.0 : 0.0)));
  const double pq = t_float32 ? static_cast<double>(std::pow(static_cast<float>(pt), static_cast<float>(q))) : std::pow(pt, q);
  st.push_back({"y_pred p", "probabilities (not clipped, not normalised)", vec(x)});
  st.push_back({"label y", in_range ? "cast to int toward 0" : "out of range: its one-hot row is all 0", num(label)});
  st.push_back({"p_t", "sum(p * one_hot(y))", num(pt)});
  st.push_back({"p_t^q", "q = " + print::shortest(q), num(pq)});
  st.push_back({"loss", "(1 - p_t^q) / q", num(rd(rd(1 - pq) / q))});
  st.push_back({"d loss / d p[y]", "-p_t^(q - 1); 0 for the other classes", num(-(t_float32 ? static_cast<double>(std::pow(static_cast<float>(pt), static_cast<float>(q - 1))) : std::pow(pt, q - 1)))});
}

void keras_hinge_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  keras_hinge_family(args, st, false);
  (void)s;
}
void keras_squared_hinge_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  keras_hinge_family(args, st, true);
  (void)s;
}

void keras_categorical_hinge_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  if (x.size() != y.size()) return;  // compared by broadcasting: the summary says how
  double pos = 0, neg = -INFINITY;
  for (std::size_t c = 0; c < x.size(); ++c) {
    pos = rd(pos + rd(y[c] * x[c]));
    neg = std::max(neg, rd(rd(1 - y[c]) * x[c]));
  }
  st.push_back({"y_pred x", "", vec(x)});
  st.push_back({"y_true y", "one-hot (or -1/+1)", vec(y)});
  st.push_back({"pos", "sum(y x)", num(pos)});
  st.push_back({"neg", "max((1 - y) x): the true class's 0 takes part", num(neg)});
  st.push_back({"loss", "max(neg - pos + 1, 0)", num(std::max(rd(rd(neg - pos) + 1), 0.0))});
}

void keras_cosine_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  if (x.size() != y.size()) return;
  const double cap = rd(1 / s.epsilon);
  const auto inv = [cap](const Values& v) {
    double ss = 0;
    for (double e : v) ss = rd(ss + rd(e * e));
    return std::min(rd(1 / std::sqrt(ss)), cap);
  };
  const double ix = inv(x), iy = inv(y);
  double c = 0;
  for (std::size_t k = 0; k < x.size(); ++k) c = rd(c + rd(rd(y[k] * iy) * rd(x[k] * ix)));
  st.push_back({"y_pred x", "", vec(x)});
  st.push_back({"y_true y", "", vec(y)});
  st.push_back({"1 / |x|", "min(rsqrt(sum x^2), 1 / epsilon), epsilon " + print::shortest(rd(s.epsilon)), num(ix)});
  st.push_back({"1 / |y|", "the same for y", num(iy)});
  st.push_back({"cos", "sum((x / |x|) (y / |y|))", num(c)});
  st.push_back({"loss", "-cos: keras's cosine similarity loss is negative, -1 for equal directions", num(-c)});
}

void keras_circle_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double pl = args[2].empty() ? NAN : args[2][0], nl = args[3].empty() ? NAN : args[3][0];
  const double gamma = rd(s.number("gamma")), m = rd(s.number("margin"));
  const std::string g = print::shortest(gamma), mm = print::shortest(m);
  st.push_back({"embedding", "", vec(args[0])});
  st.push_back({"label", "", vec(args[1])});
  st.push_back({"p_loss", "logsumexp over the other samples of its label of -" + g + " max(" + mm + " + d, 0) (" + mm + " - d), d = max(1 - cos, 0) (see distances)",
                num(pl)});
  st.push_back({"n_loss", "logsumexp over the samples of other labels of " + g + " max(1 + " + mm + " - d, 0) (1 - " + mm + " - d)", num(nl)});
  const double x = rd(pl + nl);
  st.push_back({"loss", "softplus(p_loss + n_loss); 0 (no positives or no negatives) is masked out of the mean",
                num(x > 30 ? x : std::log1p(std::exp(x)))});
}

void sklearn_log_loss_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &oh = args[2], &clipped = args[3], &q = args[4];
  double loss = 0;
  for (std::size_t k = 0; k < q.size(); ++k)
    if (oh[k] != 0) loss -= oh[k] * std::log(q[k]);
  st.push_back({"y_pred", args[0].size() == 1 ? "the greater label's probability p: the row is [1 - p, p]" : "", vec(args[0])});
  st.push_back({"y_true", "", vec(args[1])});
  st.push_back({"one-hot y", "over the sorted labels", vec(oh)});
  st.push_back({"clipped", "min(max(p, eps), 1 - eps)", vec(clipped)});
  st.push_back({"q", "clipped / its sum (renormalised)", vec(q)});
  st.push_back({"loss", "-sum y log q", num(loss + 0.0)});
}

void sklearn_brier_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const double p = args[0][0], o = args[2][0];
  st.push_back({"y_prob p", "", num(p)});
  st.push_back({"y_true", "", num(args[1][0])});
  st.push_back({"outcome o", "1 where y_true == pos_label, else 0", num(o)});
  st.push_back({"(o - p)^2", "the sample's loss", num((o - p) * (o - p))});
}

void sklearn_hinge_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const double m = args[2].empty() ? NAN : args[2][0];
  st.push_back({"pred_decision", args[0].size() == 1 ? "binary: y_true as -1 / +1, margin y x" : "multiclass: margin x[y] - max over j != y", vec(args[0])});
  st.push_back({"y_true", "", vec(args[1])});
  st.push_back({"margin", "", num(m)});
  st.push_back({"max(0, 1 - margin)", "the sample's loss", num(std::max(1 - m, 0.0))});
}

void sklearn_squared_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  Values sq(args[0].size());
  for (std::size_t k = 0; k < sq.size(); ++k) sq[k] = (args[1][k] - args[0][k]) * (args[1][k] - args[0][k]);
  st.push_back({"y_pred", "", vec(args[0])});
  st.push_back({"y_true", "", vec(args[1])});
  st.push_back({"(y_true - y_pred)^2", "one an output", vec(sq)});
}

void sklearn_absolute_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  Values ab(args[0].size());
  for (std::size_t k = 0; k < ab.size(); ++k) ab[k] = std::fabs(args[0][k] - args[1][k]);
  st.push_back({"y_pred", "", vec(args[0])});
  st.push_back({"y_true", "", vec(args[1])});
  st.push_back({"|y_pred - y_true|", "one an output", vec(ab)});
}

namespace {
// Row p (along dim 0) of a tensor: its values as a list.
Values row_of(const Tensor& t, std::int64_t p) {
  if (t.shape.empty()) return t.data;
  const auto width = static_cast<std::size_t>(t.data.size() / static_cast<std::size_t>(std::max<std::int64_t>(1, t.shape[0])));
  return Values(t.data.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p) * width),
                t.data.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(p) + 1) * width));
}
}  // namespace

namespace {
// Elementwise optax: x, t (0 when not given), e = x - t, then `loss(e)`.
template <class Loss>
void optax_elementwise(const Args& args, std::vector<Step>& st, const std::string& formula, Loss loss) {
  const Values& x = args[0];
  const Values t = args.size() > 1 ? args[1] : Values(x.size(), 0.0);
  Values e(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    e[k] = rd(x[k] - t[k]);
    l[k] = loss(e[k]);
  }
  st.push_back({"predictions x", "", vec(x)});
  st.push_back({"targets t", args.size() > 1 ? "" : "none given: 0", vec(t)});
  st.push_back({"e = x - t", "", vec(e)});
  st.push_back({"loss", formula, vec(l)});
}
}  // namespace

void optax_squared_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  optax_elementwise(args, st, "e^2, per element", [](double e) { return rd(e * e); });
}
void optax_half_squared_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  optax_elementwise(args, st, "0.5 e^2, per element", [](double e) { return rd(0.5 * rd(e * e)); });
}
void optax_huber_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double delta = rd(s.number("delta"));
  optax_elementwise(args, st, "0.5 q^2 + delta (|e| - q), q = min(|e|, delta); delta " + print::shortest(delta), [delta](double e) {
    const double a = std::fabs(e), q = std::min(a, delta);
    return rd(rd(0.5 * rd(q * q)) + rd(delta * rd(a - q)));
  });
}
void optax_log_cosh_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  optax_elementwise(args, st, "logaddexp(e, -e) - log 2", [](double e) {
    const double a = std::fabs(e);
    return rd(rd(a + std::log1p(rexp(rd(-2 * a)))) - rd(std::log(2.0)));
  });
}
void optax_sigmoid_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values lp(x.size()), lnp(x.size()), l(x.size());
  const auto softplus = [](double z) { return rd(std::max(z, 0.0) + std::log1p(rexp(-std::fabs(z)))); };
  for (std::size_t k = 0; k < x.size(); ++k) {
    lp[k] = -softplus(-x[k]);
    lnp[k] = -softplus(x[k]);
    l[k] = rd(rd(-y[k] * lp[k]) - rd(rd(1 - y[k]) * lnp[k]));
  }
  st.push_back({"logits x", "", vec(x)});
  st.push_back({"labels y", "", vec(y)});
  st.push_back({"log_sigmoid(x)", "-softplus(-x)", vec(lp)});
  st.push_back({"log_sigmoid(-x)", "-softplus(x)", vec(lnp)});
  st.push_back({"loss", "-y log_sigmoid(x) - (1 - y) log_sigmoid(-x), per element", vec(l)});
}
void optax_kl_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &lq = args[0], &t = args[1];
  Values term(lq.size());
  double sum = 0;
  for (std::size_t k = 0; k < lq.size(); ++k) {
    const double wlog = t[k] == 0 ? 0.0 : rlog(t[k]);
    term[k] = rd(t[k] * rd(wlog - lq[k]));
    sum = rd(sum + term[k]);
  }
  st.push_back({"log-predictions log q", "", vec(lq)});
  st.push_back({"targets t", "", vec(t)});
  st.push_back({"t (log t - log q)", "log t taken as 0 where t = 0 (not xlogy)", vec(term)});
  st.push_back({"sum over the axis", "the example's KL (optax.kl_divergence's value)", num(sum)});
}
void optax_softmax_ce_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values prob;
  const Values lsm = softmax_steps(st, x, prob, "logits x", std::nullopt, std::nullopt);
  double sum = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    sum = rd(sum + (y[k] == 0 ? 0.0 : rd(y[k] * lsm[k])));
  }
  st.push_back({"labels y", "", vec(y)});
  st.push_back({"-sum y log_softmax", "the example's cross-entropy (poly_loss adds epsilon sum y (1 - p))", num(-sum)});
}
void optax_integer_ce_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values& x = args[0];
  double m = -INFINITY, se = 0;
  for (double v : x) m = std::max(m, v);
  for (double v : x) se = rd(se + rexp(rd(v - m)));
  const double lse = rd(rd(rlog(se)) + m);
  st.push_back({"logits x", "", vec(x)});
  st.push_back({"logsumexp(x)", "max + log(sum(exp(x - max)))", num(lse)});
  if (args[1].empty()) return;
  auto label = static_cast<std::int64_t>(args[1][0]);
  const auto c = static_cast<std::int64_t>(x.size());
  if (label < 0 && label >= -c) label += c;
  st.push_back({"label", "negative labels wrap (take_along_axis); out of range gives NaN", num(args[1][0])});
  const double picked = label >= 0 && label < c ? x[static_cast<std::size_t>(label)] : NAN;
  st.push_back({"loss", "logsumexp - x[label]", num(rd(lse - picked))});
}

void optax_hinge_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &t = args[1];
  Values m(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    m[k] = rd(x[k] * t[k]);
    l[k] = std::max(0.0, rd(1 - m[k]));
  }
  st.push_back({"predictor outputs x", "", vec(x)});
  st.push_back({"targets t", "used as given (no 0/1 mapping): -1 or 1", vec(t)});
  st.push_back({"margin x t", "", vec(m)});
  st.push_back({"loss", "max(0, 1 - x t), per element", vec(l)});
}
void optax_perceptron_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &t = args[1];
  Values m(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    m[k] = rd(x[k] * t[k]);
    l[k] = std::max(0.0, -m[k]);
  }
  st.push_back({"predictor outputs x", "", vec(x)});
  st.push_back({"targets t", "used as given: -1 or 1", vec(t)});
  st.push_back({"margin x t", "", vec(m)});
  st.push_back({"loss", "max(0, -x t), per element", vec(l)});
}
void optax_sparsemax_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values u(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    u[k] = y[k] != 0 ? -x[k] : x[k];
    l[k] = u[k] <= -1 ? 0.0 : u[k] >= 1 ? u[k] : rd(rd(rd(u[k] + 1) * rd(u[k] + 1)) / 4);
  }
  st.push_back({"logits x", "", vec(x)});
  st.push_back({"labels y", "any nonzero label counts as 1", vec(y)});
  st.push_back({"u", "-x where y is 1, x where y is 0", vec(u)});
  st.push_back({"loss", "sparse_plus(u): 0 for u <= -1, u for u >= 1, (u + 1)^2 / 4 between", vec(l)});
}
namespace {
void optax_multiclass_steps(const Args& args, std::vector<Step>& st, bool hinge) {
  const Values& x = args[0];
  st.push_back({"scores s", "", vec(x)});
  if (args[1].empty()) return;
  const double y = args[1][0];
  const bool whole = std::isfinite(y) && y == std::floor(y) && y >= 0 && y < static_cast<double>(x.size());
  Values v(x.size());
  double m = -INFINITY, picked = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double oh = whole && static_cast<double>(k) == y ? 1.0 : 0.0;
    v[k] = hinge ? rd(rd(x[k] + 1) - oh) : x[k];
    m = std::isnan(v[k]) || std::isnan(m) ? NAN : std::max(m, v[k]);
    picked = rd(picked + rd(x[k] * oh));
  }
  st.push_back({"label y", whole ? "" : "outside [0, C) or not a whole number: one_hot is all 0", num(y)});
  if (hinge) st.push_back({"s + 1 - one_hot(y)", "", vec(v)});
  st.push_back({"max", hinge ? "max(s + 1 - one_hot(y)): ties share the gradient equally" : "max(s): ties share the gradient equally", num(m)});
  st.push_back({"s[y]", "dot(s, one_hot(y))", num(picked)});
  st.push_back({"loss", hinge ? "max - s[y] (Crammer-Singer: 0 once s[y] beats every other score by 1)" : "max - s[y]", num(rd(m - picked))});
}
}  // namespace
void optax_multiclass_hinge_steps(const Args& args, const Settings&, std::vector<Step>& st) { optax_multiclass_steps(args, st, true); }
void optax_multiclass_perceptron_steps(const Args& args, const Settings&, std::vector<Step>& st) { optax_multiclass_steps(args, st, false); }
void optax_multiclass_sparsemax_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values& x = args[0];
  st.push_back({"scores s", "", vec(x)});
  if (args[1].empty() || x.empty()) return;
  const std::int64_t C = static_cast<std::int64_t>(x.size());
  const auto lab = static_cast<std::int64_t>(args[1][0]);
  const std::int64_t l = lab < 0 ? lab + C : lab, g = std::clamp<std::int64_t>(l, 0, C - 1);
  Values u = x;
  std::sort(u.begin(), u.end(), [](double a, double b) { return std::isnan(b) ? !std::isnan(a) : (!std::isnan(a) && a < b); });
  std::reverse(u.begin(), u.end());
  double acc = 0;
  std::int64_t idx = 0;
  Values cs(u.size());
  for (std::int64_t k = 0; k < C; ++k) {
    acc = rd(acc + u[static_cast<std::size_t>(k)]);
    cs[static_cast<std::size_t>(k)] = acc;
    const double ind = static_cast<double>(k + 1);
    idx += rd(rd(1 / ind) + rd(u[static_cast<std::size_t>(k)] - rd(acc / ind))) > 0;
  }
  const double fi = static_cast<double>(idx), tau = cs[static_cast<std::size_t>(idx == 0 ? C - 1 : idx - 1)];
  Values p(x.size()), sp(x.size());
  double d1 = 0, d2 = 0;
  for (std::int64_t c = 0; c < C; ++c) {
    const auto k = static_cast<std::size_t>(c);
    p[k] = std::max(rd(rd(1 / fi) + rd(x[k] - rd(tau / fi))), 0.0);
    sp[k] = c == l ? 0.0 : rd(x[k] - x[static_cast<std::size_t>(g)]);
    d1 = rd(d1 + rd(p[k] * (p[k] != 0 ? sp[k] : 0.0)));
    d2 = rd(d2 + rd(p[k] * p[k]));
  }
  const bool in_range = l >= 0 && l < C;
  st.push_back({"label y", !in_range ? "out of range: s[y] clamps to the nearest class, the set to 0 is dropped"
                           : lab < 0 ? "negative: wraps as a Python index" : "",
                num(args[1][0])});
  st.push_back({"sorted s", "descending", vec(u)});
  st.push_back({"support size k", "the count of 1/j + (u_j - cumsum_j / j) > 0", num(fi)});
  st.push_back({"p = sparsemax(s)", "max(0, 1/k + s - cumsum_k / k)", vec(p)});
  st.push_back({"s - s[y]", "0 at y", vec(sp)});
  st.push_back({"loss", in_range ? "dot(p, s - s[y]) + 0.5 (1 - dot(p, p)); its gradient p - one_hot(y)" : "dot(p, s - s[y]) + 0.5 (1 - dot(p, p))",
                num(rd(d1 + rd(0.5 * rd(1 - d2))))});
}
void optax_ranking_softmax_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values& x = args[0];
  Values p;
  const Values lp = softmax_steps(st, x, p);
  if (args[1].size() != x.size()) return;
  const Values& y = args[1];
  Values prod(x.size());
  double total = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    prod[k] = rd(y[k] * lp[k]);
    total = rd(total + prod[k]);
  }
  st.push_back({"labels y", "relevance as given; --weights are not shown here, the loss above counts them", vec(y)});
  st.push_back({"y log_softmax", "", vec(prod)});
  st.push_back({"loss", "-sum(y log_softmax) over the list", num(rd(-total))});
}
namespace {
void optax_cos_steps(const Args& args, const Settings& s, std::vector<Step>& st, bool distance) {
  const Values &x = args[0], &y = args[1];
  st.push_back({"predictions x", "", vec(x)});
  if (x.size() != y.size()) return;
  st.push_back({"targets y", "", vec(y)});
  const double eps = rd(s.number("epsilon"));
  const auto norm = [eps](const Values& v) {
    double ss = 0;
    for (double e : v) ss = rd(ss + rd(e * e));
    return rd(std::sqrt(std::isnan(ss) ? ss : std::max(ss, eps)));
  };
  const double nx = norm(x), ny = norm(y);
  double c = 0;
  for (std::size_t k = 0; k < x.size(); ++k) c = rd(c + rd(rd(x[k] / nx) * rd(y[k] / ny)));
  st.push_back({"|x|", "sqrt(max(sum x^2, epsilon)), epsilon " + print::shortest(eps) + (nx == 0 ? ": 0, so x / |x| is 0 / 0 = NaN" : ""), num(nx)});
  st.push_back({"|y|", "the same for y", num(ny)});
  st.push_back({"cos", "sum((x / |x|) (y / |y|))", num(c)});
  if (distance) st.push_back({"loss", "1 - cos", num(rd(1 - c))});
}
}  // namespace
void optax_cosine_similarity_steps(const Args& args, const Settings& s, std::vector<Step>& st) { optax_cos_steps(args, s, st, false); }
void optax_cosine_distance_steps(const Args& args, const Settings& s, std::vector<Step>& st) { optax_cos_steps(args, s, st, true); }
void optax_triplet_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double margin = rd(s.number("margin"));
  const double dp = args[3].empty() ? NAN : args[3][0], dn = args[4].empty() ? NAN : args[4][0];
  const std::string deg = print::shortest(s.number("norm_degree")), eps = print::shortest(rd(s.number("eps")));
  st.push_back({"anchor a", "", vec(args[0])});
  st.push_back({"positive p", "", vec(args[1])});
  st.push_back({"negative n", "", vec(args[2])});
  st.push_back({"d(a, p)", "(sum((a - p)^" + deg + ") + " + eps + ")^(1/" + deg + "): eps inside the sum, no abs()", num(dp)});
  st.push_back({"d(a, n)", "the same with n", num(dn)});
  const double z = rd(rd(dp - dn) + margin);
  st.push_back({"loss", "max(d(a, p) - d(a, n) + margin, 0), margin " + print::shortest(margin) + (z == 0 ? "; exactly 0: the gradient is halved (jnp.maximum's tie)" : ""),
                num(std::isnan(z) ? z : std::max(z, 0.0))});
}
void optax_ntxent_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  st.push_back({"embedding", "", vec(args[0])});
  st.push_back({"label", "", vec(args[1])});
  st.push_back({"cos", "its cosine similarity to each sample (norms clipped at sqrt(finfo.eps)); divided by temperature " +
                           print::shortest(rd(s.number("temperature"))),
                vec(args[2])});
  st.push_back({"its pairs' losses", "sum over its positives j (same label, not itself) of -log(exp(c_j) / (exp(c_j) + sum over its negatives of exp(c_k)))",
                vec(args[3])});
}

void hinge_embedding_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  const double margin = rd(s.number("margin"));
  Values l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k)
    l[k] = rd((y[k] != 1 ? std::max(rd(margin - x[k]), 0.0) : 0.0) + (y[k] != -1 ? x[k] : 0.0));
  st.push_back({"input x", "", vec(x)});
  st.push_back({"target y", "", vec(y)});
  st.push_back({"loss", "x where y = 1, max(0, margin - x) where y = -1, both otherwise; margin " + print::shortest(margin), vec(l)});
}
void sigmoid_focal_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  const double alpha = s.number("alpha"), gamma = s.number("gamma");
  const std::size_t n = x.size();
  Values p(n), ce(n), pt(n), m(n), at(n), l(n);
  for (std::size_t k = 0; k < n; ++k) {
    p[k] = rd(1 / rd(1 + rexp(-x[k])));
    // BCE with logits, torch's stable form: (1 - y) x + max(-x, 0) + log(exp(-max) + exp(-x - max)).
    const double mx = std::max(-x[k], 0.0);
    ce[k] = rd(rd(rd(rd(1 - y[k]) * x[k]) + mx) + rlog(rd(rexp(-mx) + rexp(rd(-x[k] - mx)))));
    pt[k] = rd(rd(p[k] * y[k]) + rd(rd(1 - p[k]) * rd(1 - y[k])));
    m[k] = rd(std::pow(rd(1 - pt[k]), rd(gamma)));
    at[k] = rd(rd(rd(alpha) * y[k]) + rd(rd(1 - alpha) * rd(1 - y[k])));
    l[k] = alpha >= 0 ? rd(at[k] * rd(ce[k] * m[k])) : rd(ce[k] * m[k]);
  }
  st.push_back({"logits x", "", vec(x)});
  st.push_back({"targets y", "", vec(y)});
  st.push_back({"p = sigmoid(x)", "", vec(p)});
  st.push_back({"ce = BCE with logits", "-(y log p + (1 - y) log(1 - p)), computed stably from x", vec(ce)});
  st.push_back({"p_t = p y + (1 - p)(1 - y)", "", vec(pt)});
  st.push_back({"(1 - p_t)^gamma", "the modulating factor; gamma " + print::shortest(gamma), vec(m)});
  if (alpha >= 0) {
    st.push_back({"alpha_t = alpha y + (1 - alpha)(1 - y)", "alpha " + print::shortest(alpha), vec(at)});
    st.push_back({"alpha_t (1 - p_t)^gamma ce", "the elementwise loss", vec(l)});
  } else {
    st.push_back({"(1 - p_t)^gamma ce", "the elementwise loss (alpha < 0: no alpha_t)", vec(l)});
  }
}
void soft_margin_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values m(x.size()), l(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    m[k] = rd(-x[k] * y[k]);
    l[k] = rd(std::log1p(rexp(m[k])));
  }
  st.push_back({"input x", "", vec(x)});
  st.push_back({"target y", "", vec(y)});
  st.push_back({"-x y", "", vec(m)});
  st.push_back({"log(1 + exp(-x y))", "the elementwise loss", vec(l)});
}
void multilabel_soft_margin_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values l(x.size());
  double sum = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double sp = std::max(x[k], 0.0) + std::log1p(std::exp(-std::fabs(x[k])));  // softplus(x)
    l[k] = rd(y[k] * (sp - x[k]) + (1 - y[k]) * sp);
    sum += l[k];
  }
  st.push_back({"logits x", "", vec(x)});
  st.push_back({"labels y", "", vec(y)});
  st.push_back({"-(y log sigmoid(x) + (1 - y) log sigmoid(-x))", "each class's loss (times weight, when given)", vec(l)});
  st.push_back({"sum / C", "the sample's loss (the mean over its " + std::to_string(x.size()) + " classes)", num(rd(sum / static_cast<double>(x.size())))});
}
void multi_margin_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const Values& x = args[0];
  if (args[1].empty()) return;
  const auto y = static_cast<std::size_t>(args[1][0]);
  if (y >= x.size()) return;
  const double margin = rd(s.number("margin"));
  const auto p = static_cast<int>(s.number("p"));
  Values h(x.size(), 0.0);
  double sum = 0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    if (j == y) continue;
    const double z = rd(rd(margin - x[y]) + x[j]);
    h[j] = z > 0 ? (p == 1 ? z : rd(z * z)) : 0.0;
    sum += h[j];
  }
  st.push_back({"scores x", "", vec(x)});
  st.push_back({"target y", "", num(args[1][0])});
  st.push_back({p == 1 ? "max(0, margin - x[y] + x[j])" : "max(0, margin - x[y] + x[j])^2", "for j != y (0 at y; times weight[y] when given); margin " + print::shortest(margin), vec(h)});
  st.push_back({"sum / C", "the sample's loss: C = " + std::to_string(x.size()) + " counts the true class", num(rd(sum / static_cast<double>(x.size())))});
}
void multilabel_margin_steps(const Args& args, const Settings&, std::vector<Step>& st) {
  const Values &x = args[0], &y = args[1];
  Values labels;
  for (double v : y) {
    if (v < 0) break;
    labels.push_back(v);
  }
  double sum = 0;
  for (double j : labels)
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::find(labels.begin(), labels.end(), static_cast<double>(i)) != labels.end()) continue;
      const double z = rd(1 - rd(x[static_cast<std::size_t>(j)] - x[i]));
      if (z > 0) sum += z;
    }
  st.push_back({"scores x", "", vec(x)});
  st.push_back({"target", "class indices, read up to the first -1", vec(y)});
  st.push_back({"labels", "", vec(labels)});
  st.push_back({"sum of max(0, 1 - (x[j] - x[i]))", "over labels j and non-labels i", num(sum)});
  st.push_back({"loss", "the sum / C (C = " + std::to_string(x.size()) + ")", num(rd(sum / static_cast<double>(x.size())))});
}
void cosine_embedding_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double margin = rd(s.number("margin"));
  const double c = args[3].empty() ? NAN : args[3][0], y = args[2].empty() ? NAN : args[2][0];
  st.push_back({"input1 a", "", vec(args[0])});
  st.push_back({"input2 b", "", vec(args[1])});
  st.push_back({"cos", "sum(a b) / sqrt((sum a^2 + 1e-12) (sum b^2 + 1e-12))", num(c)});
  st.push_back({"target y", "", num(y)});
  st.push_back({"loss", y == 1 ? "1 - cos" : y == -1 ? "max(0, cos - margin), margin " + print::shortest(margin) : "0 (y is neither 1 nor -1)",
                num(y == 1 ? rd(1 - c) : y == -1 ? std::max(rd(c - margin), 0.0) : 0.0)});
}
void triplet_steps(const Args& args, const Settings& s, std::vector<Step>& st) {
  const double margin = rd(s.number("margin"));
  const double dp = args[3].empty() ? NAN : args[3][0], dn = args[4].empty() ? NAN : args[4][0];
  st.push_back({"anchor a", "", vec(args[0])});
  st.push_back({"positive p", "", vec(args[1])});
  st.push_back({"negative n", "", vec(args[2])});
  st.push_back({"d(a, p)", "", num(dp)});
  st.push_back({"d(a, n)", s.number("swap") != 0 ? "min(d(a, n), d(p, n)) (swap)" : "", num(dn)});
  st.push_back({"loss", "max(d(a, p) - d(a, n) + margin, 0), margin " + print::shortest(margin), num(std::max(rd(rd(margin + dp) - dn), 0.0))});
}

namespace {

// The CTC functions, by the table's name.
std::optional<ops::CtcFunction> ctc_function(const FunctionSpec& fn) {
  const std::string_view n = fn.name;
  if (n == "ctc_loss") return ops::CtcFunction::Torch;
  if (n == "tf.nn.ctc_loss") return ops::CtcFunction::Tf;
  if (n == "optax.ctc_loss") return ops::CtcFunction::Optax;
  if (n == "ctc") return ops::CtcFunction::Keras;
  return std::nullopt;
}

// Rows of the alpha table printed whole up to this many cells; past it the
// first and last kCtcEdgeRows rows.
constexpr std::int64_t kCtcFullCells = 120;
constexpr std::int64_t kCtcEdgeRows = 3;

Tensor ctc_rows(const ops::CtcTable& t, std::int64_t from, std::int64_t to) {
  const std::int64_t w = static_cast<std::int64_t>(t.extended.size());
  Tensor out{Shape{to - from, w}, {}};
  out.data.assign(t.log_alpha.begin() + from * w, t.log_alpha.begin() + to * w);
  return out;
}

bool same_number(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// One CTC sample: l, l', T and S, the forward variables, log p(l|x), and
// the sample's loss as the function forms it, checked against the kernel's.
void ctc_sample_steps(ops::CtcFunction f, const ops::CtcTable& t, const Settings& s, std::optional<double> kernel, Section& sec) {
  auto& st = sec.steps;
  const std::int64_t S = static_cast<std::int64_t>(t.labels.size()), W = static_cast<std::int64_t>(t.extended.size()), T = t.frames;
  const bool optax = f == ops::CtcFunction::Optax;
  const std::string blank = std::to_string(t.blank);
  Values l(t.labels.begin(), t.labels.end()), e(t.extended.begin(), t.extended.end());
  st.push_back({"labels l", f == ops::CtcFunction::Keras ? "y_true's nonzero labels (label_length)"
                            : optax                       ? "the first N - sum(label_paddings) labels"
                                                          : "the first target_length labels of its row",
                vec(l)});
  st.push_back({"extended l'", "blank, l1, blank, ..., lS, blank: 2S + 1 states, blank " + blank +
                                   (f == ops::CtcFunction::Keras ? " (Keras: class 0 is the blank)" : ""),
                vec(e)});
  st.push_back({"input length T", optax ? "frames of logits; " + std::to_string(t.padded) + " padded (a padded frame keeps the states before it)"
                                  : f == ops::CtcFunction::Keras ? "y_pred's frames (Keras's input_length)"
                                  : f == ops::CtcFunction::Tf    ? "logit_length"
                                                                 : "input_lengths",
                num(static_cast<double>(T))});
  st.push_back({"target length S", "|l'| = 2S + 1 = " + std::to_string(W), num(static_cast<double>(S))});
  const std::string how =
      optax ? "log alpha_t(s) as optax keeps it: s = 2n logalpha_blank[n], s = 2n + 1 logalpha_nonblank[n]; log_epsilon " +
                  print::shortest(s.number("log_epsilon")) + " in place of log 0, forbidden moves added with it; the last row before the last epsilon move"
            : "log alpha_t(s), rows t, columns s of l': alpha_0(0) = lp_0(blank), alpha_0(1) = lp_0(l1), then alpha_t(s) = logsumexp(alpha_{t-1}(s), "
              "alpha_{t-1}(s-1), alpha_{t-1}(s-2) if l'(s) != l'(s-2)) + lp_t(l'(s))" +
                  std::string(f == ops::CtcFunction::Torch ? "" : ", lp = log_softmax(logits)");
  if (T > 0) {
    if (T * W <= kCtcFullCells || T <= 2 * kCtcEdgeRows) {
      st.push_back({"alpha, t = 0.." + std::to_string(T - 1), how, ctc_rows(t, 0, T)});
    } else {
      const std::int64_t left = T - 2 * kCtcEdgeRows;
      st.push_back({"alpha, t = 0.." + std::to_string(kCtcEdgeRows - 1),
                    how + "; rows t = " + std::to_string(kCtcEdgeRows) + ".." + std::to_string(T - kCtcEdgeRows - 1) + " (" +
                        std::to_string(left) + " of the " + std::to_string(T) + ") left out",
                    ctc_rows(t, 0, kCtcEdgeRows)});
      st.push_back({"alpha, t = " + std::to_string(T - kCtcEdgeRows) + ".." + std::to_string(T - 1), "", ctc_rows(t, T - kCtcEdgeRows, T)});
    }
  }
  const std::string last = "alpha_{T-1}(|l'|-1)";
  st.push_back({"log p(l|x)", T == 0 ? (S == 0 ? "no frames, an empty target: log 1" : "no frames for a target: no alignment")
                              : S == 0 ? last + " (l' is the blank alone)"
                              : optax  ? "jnp.logaddexp(" + last + ", alpha_{T-1}(|l'|-2)): optax's last epsilon move, phi_last[S]"
                                       : "logsumexp(" + last + ", alpha_{T-1}(|l'|-2))",
                num(t.log_likelihood)});
  const double nll = -t.log_likelihood;
  st.push_back({"-log p(l|x)", same_number(nll, t.nll) ? "" : "the kernel's is " + print::shortest(t.nll), num(nll)});
  double loss = nll;
  std::string formula;
  if (f == ops::CtcFunction::Torch) {
    if (s.number("zero_infinity") != 0 && loss == std::numeric_limits<double>::infinity()) {
      loss = 0;
      formula = "zero_infinity: an impossible alignment (inf) gives 0";
    }
    if (*s.reduction == Reduction::Mean) {
      loss = rd(loss / static_cast<double>(std::max<std::int64_t>(S, 1)));
      formula = (formula.empty() ? "" : formula + ", then ") + "torch's mean divides each by its target length: -log p / max(S, 1)";
    } else {
      formula = formula.empty() ? "-log p, not divided by the target length (only the mean does)" : formula;
    }
  } else if (optax) {
    formula = "-phi_last[S] (-einsum(phi_last, one_hot(label length))); an impossible alignment costs about -log_epsilon per missing step, not inf";
    loss = t.nll;
  } else if (f == ops::CtcFunction::Keras) {
    formula = "-log p, tf.nn.ctc_loss with blank_index 0; Keras's reduction follows";
  } else {
    formula = "-log p, one loss an example";
  }
  if (kernel) formula += same_number(*kernel, loss) ? "; = the kernel's" : "; the kernel's is " + print::shortest(*kernel);
  st.push_back({"loss_n", formula, num(loss)});
}

// The kernel's loss of CTC sample p before the reduction, where it kept one.
std::optional<double> ctc_kernel_loss(const Result& r, std::int64_t p, std::int64_t total) {
  for (const std::string key : {"unweighted_losses", "losses", "loss"})
    if (const Tensor* t = r.find(key); t && static_cast<std::int64_t>(t->data.size()) == total && (key != "loss" || r.reduction == "none"))
      return t->data[static_cast<std::size_t>(p)];
  return std::nullopt;
}

}  // namespace

void explain(const FunctionSpec& fn, const Data& given, const Settings& s, const std::vector<std::int64_t>& picks,
             Result& r) {
  if (!r.rows.empty()) return;  // compare explains itself in its notes
  const FunctionSpec* spec = &fn;
  struct Dtype {  // the steps' arithmetic for this call
    explicit Dtype(bool f32) { t_float32 = f32; }
    ~Dtype() { t_float32 = false; }
  } dtype(s.dtype == DType::Float32);
  // An elementwise loss with its own steps is explained on its data
  // arguments broadcast to one shape (mse_loss's (3, 1) against (3)), the
  // values it compares.
  std::vector<Tensor> broadcast_args;
  if (spec->explain_steps && spec->layout == Layout::Elementwise) {
    std::vector<Tensor> ts;
    Shape shape = given.input.shape;
    // Keras squeezes or expands y_true and y_pred to one rank first.
    Shape keras_pred = given.input.shape, keras_true = given.target ? given.target->shape : Shape{};
    if (spec->family == Family::Keras && given.target) {
      ops::squeeze_or_expand(keras_true, keras_pred);
      shape = keras_pred;
    }
    for (auto& a : spec->args)
      if (a.positional)
        if (const Tensor* t = get_arg(given, *spec, a.name)) {
          Tensor u = *t;
          if (spec->family == Family::Keras) u.shape = a.name == "target" ? keras_true : keras_pred;
          // gaussian_nll_loss's var of INPUT's shape without its last dim: one a row.
          if (a.unsqueezes_last && !given.input.shape.empty() && u.shape == Shape(given.input.shape.begin(), given.input.shape.end() - 1))
            u.shape.push_back(1);
          shape = ops::broadcast_shape(shape, u.shape, std::string(a.name));
          ts.push_back(std::move(u));
        }
    for (auto& t : ts) broadcast_args.push_back(ops::broadcast_to(t, shape, "input"));
  }
  Data broadcast;
  if (!broadcast_args.empty()) {
    broadcast.input = broadcast_args[0];
    if (given.target) broadcast.target = broadcast_args.back();
  }
  const Data& data = broadcast_args.empty() ? given : broadcast;
  const bool elementwise = spec && spec->layout == Layout::Elementwise;
  const std::int64_t nd = data.input.dims();
  const std::int64_t dim = elementwise ? std::max<std::int64_t>(nd - 1, 0) : core::normalize_dim(*s.dim, nd);
  Ctx c{fn, data, s, r, core::make_layout(data.input.shape, dim), core::positions_shape(data.input.shape, dim), dim};
  // A table's explain_rows: a sample is a row (dim 0) of each.
  std::vector<const Tensor*> rows;
  for (auto name : spec->explain_rows)
    rows.push_back(name == "input" ? &given.input : spec->arg(name) ? get_arg(given, *spec, name) : r.find(std::string(name)));
  const bool by_rows = !rows.empty() && std::all_of(rows.begin(), rows.end(), [](const Tensor* t) { return t != nullptr; });
  const auto ctc = ctc_function(fn);
  const std::int64_t total = ctc       ? ops::ctc_samples(*ctc, given, s)
                             : by_rows ? (given.input.shape.empty() ? 1 : given.input.shape[0])
                                       : c.layout.positions();
  std::vector<std::int64_t> shown = picks;
  if (shown.empty())
    for (std::int64_t p = 0; p < std::min(total, kDefaultSamples); ++p) shown.push_back(p);
  for (auto p : shown)
    if (p < 0 || p >= total)
      throw usage_error("--explain-samples", "sample " + std::to_string(p) + " is out of range: there are " + std::to_string(total) + " samples");

  // CTC: each sample's forward variables, by the kernel's preparation and recursion.
  std::vector<ops::CtcTable> ctc_tables;
  if (ctc) ctc_tables = s.dtype == DType::Float32 ? ops::ctc_tables<float>(*ctc, given, s, shown) : ops::ctc_tables<double>(*ctc, given, s, shown);

  const bool prob_target = data.target && data.target->shape == data.input.shape && !elementwise;
  const bool activation = !spec->is_loss();
  const bool sparse = !prob_target;  // class indices (the op accepted them)
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const std::int64_t p = shown[i];
    if (ctc) {
      Section sec{"sample " + std::to_string(p), {}};
      ctc_sample_steps(*ctc, ctc_tables[i], s, ctc_kernel_loss(r, p, total), sec);
      r.explanation.push_back(std::move(sec));
      continue;
    }
    Section sec{"sample " + idx(p, c.positions), {}};
    if (by_rows) {
      Args args;
      for (auto* t : rows) args.push_back(row_of(*t, p));
      spec->explain_steps(args, s, sec.steps);
    } else if (activation && elementwise) {  // sigmoid
      sec.steps.push_back({"x", "", vec(slice(data.input, c.layout, p))});
      Values sg = slice(data.input, c.layout, p);
      for (auto& v : sg) v = 1 / (1 + std::exp(-v));
      sec.steps.push_back({"sigmoid(x)", "1 / (1 + exp(-x))", vec(sg)});
    } else if (activation) {
      activation_sample(c, p, sec);
    } else if (!elementwise && spec->explain_steps) {  // a class axis and one label a sample
      Args args{slice(data.input, c.layout, p), {}};
      if (data.target && data.target->shape == data.input.shape)
        args[1] = slice(*data.target, c.layout, p);
      else if (data.target && static_cast<std::int64_t>(data.target->data.size()) == total)
        args[1].push_back(data.target->data[static_cast<std::size_t>(p)]);
      spec->explain_steps(args, s, sec.steps);
    } else if (elementwise && spec->explain_steps) {
      Args args;
      for (auto& t : broadcast_args) args.push_back(slice(t, c.layout, p));
      for (auto name : spec->explain_entries)
        if (const Tensor* e = r.find(std::string(name)); e && e->shape == data.input.shape) args.push_back(slice(*e, c.layout, p));
      spec->explain_steps(args, s, sec.steps);
    } else if (elementwise) {
      binary_sample(c, p, sec);
    } else if (sparse) {
      index_sample(c, p, sec);
    } else {
      prob_sample(c, p, sec);
    }
    r.explanation.push_back(std::move(sec));
  }
  r.explain_note = "explained " + std::to_string(shown.size()) + " of " + std::to_string(total) + " samples" +
                   (static_cast<std::int64_t>(shown.size()) < total
                        ? " (" + std::to_string(total - static_cast<std::int64_t>(shown.size())) + " left out; --explain-samples picks others)"
                        : "");
  if (activation) return;

  // The reduction, with its denominator written out.
  Section red{"reduction: " + r.reduction, {}};
  const Tensor* losses = r.find("losses");
  const Tensor* loss = r.find("loss");
  const Tensor* denom = r.find("denominator");
  if (const Tensor* u = r.find("unweighted_losses"); u && losses) {
    red.steps.push_back({"unweighted losses", "", *u});
    if (const Tensor* w = r.find("weights"))  // circle's keras mask folded into the weights
      red.steps.push_back({"weights", "keras's mask (loss > 0), times total / (valid + epsilon) for the means, times sample_weight", *w});
    else
      red.steps.push_back({"sample_weight", fn.family == Family::Keras ? "squeezed or expanded to the losses' rank, then broadcast" : "one a sample",
                           *given.get("sample_weight")});
  }
  if (losses) {
    red.steps.push_back({r.find("unweighted_losses") ? "weighted losses" : "per-sample losses",
                         r.find("unweighted_losses") ? "each loss times its sample_weight" : "", *losses});
    red.steps.push_back({"sum", "", num(sum(losses->data))});
    if (denom) {
      const bool keras = fn.family == Family::Keras;
      std::string why = ctc && !keras ? "the number of per-sample losses (the batch size)"
                        : sparse && !keras && !elementwise
                            ? (data.weight ? "sum of w[y] over the targets not ignored" : "the number of targets not ignored")
                        : sparse && keras && !elementwise && s.ignore_index ? "valid targets + epsilon (keras ignore_class)"
                        : r.reduction == "batchmean" ? "input.size(0), the batch size (batchmean)"
                        : r.reduction == "mean_with_sample_weight" && given.get("sample_weight") ? "the sum of sample_weight (mean_with_sample_weight)"
                        : fn.family == Family::Sklearn && given.get("sample_weight") ? "the sum of sample_weight (np.average)"
                        : fn.family == Family::Sklearn ? "the number of values averaged (np.average)"
                                                                                         : "the number of per-sample losses";
      red.steps.push_back({"denominator", why, *denom});
      red.steps.push_back({"loss", "sum / denominator", *loss});
    } else {
      red.steps.push_back({"loss", "the sum", *loss});
    }
  } else if (loss) {
    red.steps.push_back({"loss", r.reduction == "none" ? "one loss per sample, no reduction" : "", *loss});
  }
  if (const Tensor* g = r.find("grad")) {
    std::string how = r.reduction == "none" ? "the gradient of the summed losses" : "each sample's gradient";
    if (denom) how += " divided by the denominator";
    red.steps.push_back({"grad", how, *g});
  }
  r.explanation.push_back(std::move(red));

  // The identity users check by hand: one-hot route, log_softmax + nll_loss, cross_entropy.
  // (torch's softmax loss over class indices)
  if (fn.family == Family::Torch && fn.holds == Holds::Logits && !elementwise && !prob_target && s.label_smoothing == 0) {
    Section id{"identity: cross_entropy = nll_loss(log_softmax(x), y) = manual one-hot route", {}};
    const Tensor* lsm = r.find("log_softmax");
    Data nd_data{*lsm, data.target, data.weight, std::nullopt};
    Settings ns = s;
    ns.label_smoothing = 0;
    ns.target_type = TargetType::Index;
    const Result via_nll = ops::nll_loss<double>(nd_data, ns);
    // Manual: -sum_i w[y_i] onehot_i . log_softmax_i / sum_i w[y_i] (mean), computed directly.
    const Values w = weights_of(c);
    double num_sum = 0, den = 0;
    const std::int64_t ignore = s.ignore_index.value_or(kTorchIgnoreIndex);
    for (std::int64_t p = 0; p < total; ++p) {
      const auto y = static_cast<std::int64_t>(data.target->data[static_cast<std::size_t>(p)]);
      if (y == ignore) continue;
      const double wy = w[static_cast<std::size_t>(y)];
      num_sum -= wy * lsm->data[static_cast<std::size_t>(c.layout.base(p) + y * c.layout.inner)];
      den += wy;
    }
    const double manual = r.reduction == "mean" ? num_sum / den : num_sum;
    if (r.reduction != "none") {
      id.steps.push_back({"manual", std::string("-sum_i ") + (data.weight ? "w[y_i] " : "") + "one-hot(y_i) . log_softmax_i" +
                                        (r.reduction == "mean" ? (data.weight ? " / sum_i w[y_i]" : " / N") : ""),
                          num(manual)});
      id.steps.push_back({"log_softmax + nll_loss", "nll_loss(log_softmax(x), y)", *via_nll.find("loss")});
      id.steps.push_back({"cross_entropy", "cross_entropy(x, y)", *loss});
      r.explanation.push_back(std::move(id));
    }
  }
}

}  // namespace losscalc::explain
