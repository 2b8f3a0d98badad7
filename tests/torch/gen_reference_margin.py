#!/usr/bin/env python3
"""Reference values of torch's margin and embedding losses from PyTorch 1.13,
for tests/reference_test.cpp, and a differential test:

    hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
    multilabel_margin_loss, multi_margin_loss, cosine_embedding_loss,
    triplet_margin_loss, triplet_margin_with_distance_loss

  /usr/bin/python3 tests/torch/gen_reference_margin.py
      writes tests/torch/margin_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_margin.py --differential 200 --binary build/losscalc
      makes 200 fresh random cases with torch and checks the binary on each

Each case: losscalc arguments (--json), the expected exit status, and for a
success torch's loss and gradients (all from autograd: loss.backward(), or
loss.sum().backward() for reduction none), with rtol/atol. Every function
has hand-picked cases first (named "<function> <what it shows>"), then
random ones ("<function> random <i> <shapes> <reduction> <dtype> <options>").

Command lines (options before the positionals; -r is left out for some mean
cases, so the default is exercised; --dtype float32 only for float32 cases;
an option at its default value is sometimes given and sometimes left out):

  hinge_embedding_loss --json --no-warnings [-r R] [--dtype float32] [--margin M] INPUT TARGET
      expect loss, grad
  soft_margin_loss ... INPUT TARGET                          expect loss, grad
  multilabel_soft_margin_loss ... [--weight W] INPUT TARGET  expect loss, grad, grad_target
  multilabel_margin_loss ... INPUT TARGET                    expect loss, grad
  multi_margin_loss ... [--p 1|2] [--margin M] [--weight W] INPUT TARGET
      expect loss, grad
  cosine_embedding_loss ... [--margin M] INPUT1 INPUT2 TARGET
      expect loss, grad (input1), grad_input2
  triplet_margin_loss ... [--margin M] [--p P] [--eps E] [--swap] ANCHOR POSITIVE NEGATIVE
      expect loss, grad (anchor), grad_positive, grad_negative
  triplet_margin_with_distance_loss ... [--distance-function pairwise|cosine]
      [--margin M] [--swap] ANCHOR POSITIVE NEGATIVE
      expect loss, grad, grad_positive, grad_negative

Data are inline JSON: float tensors as repr-exact floats with NaN, Infinity,
-Infinity spelled out (float32 cases: the float32 values exactly, which
losscalc rounds to float32 unchanged); the class-index targets of
multilabel_margin_loss and multi_margin_loss as JSON integers; --weight as
JSON. --margin and --eps are repr(float) ("1.0", "-0.5", "1e-06", "0.0");
--p is "1", "2", "3" or "1.5" (integral values without ".0"). In float32
torch rounds margin and eps to float32 before using them (a kink at margin
0.1 in float32 is exact: x == float32(0.1)).

torch's behaviours the cases pin down (some surprising):

hinge_embedding_loss (ATen: where(t != 1, clamp_min(margin - x, 0), 0) +
  where(t != -1, x, 0)):
  * a target other than 1 and -1 (0, 2, 0.5, NaN) takes BOTH branches:
    loss x + max(0, margin - x), gradient 1 - [x <= margin] (0 below the
    margin, 1 above); target 1 gives x, target -1 max(0, margin - x).
  * at the kink (target -1, x == margin exactly) the gradient is -1 (/n for
    mean): clamp_min passes the gradient at equality.
  * input and target broadcast (torch.where): an (N, 1) input and an (N)
    target give an (N, N) loss; a 0-D target applies to every element.
  * the two-branch sum cancels: target 0 with x = -1e308 gives loss 0, not 1
    ((1 + 1e308) - 1e308); x = -inf with target 0 gives NaN (-inf + inf);
    x = +inf with target -1 gives 0, with target 1 inf.
  * the target gets no gradient (torch: only compared), so none is expected.
soft_margin_loss (ATen: log(1 + exp(-x t)), NOT log1p):
  * torch's autograd gives NO target gradient: "The function
    'soft_margin_loss' is not differentiable with respect to argument
    'target'. This input cannot have requires_grad True." So the cases
    expect loss and grad only (no grad_target).
  * because it is log(1 + e) and not log1p(e), the loss is exactly 0 once
    exp(-x t) < ulp(1)/2 (x t > ~36.7 in float64, ~16.6 in float32) while
    the gradient -t e / (1 + e) is still nonzero; for x t = 16 .. 37 the
    float64 loss carries the rounding of 1 + e.
  * exp overflow (x t < -709.8 in float64, < -88.7 in float32): loss inf
    and gradient NaN (inf / inf).
  * target 0: loss log 2, gradient -0.0; any other target value is used
    as is (t = 2, 0.5, -3).
  * the target must broadcast TO the input's shape (the output has the
    input's shape, computed in place): a target (C) or (N, 1) or 0-D
    against an (N, C) input works; a target with a larger shape raises
    "output with shape [2, 1] doesn't match the broadcast shape [2, 3]";
    sizes that do not broadcast: "The size of tensor a (2) must match the
    size of tensor b (3) at non-singleton dimension 0".
multilabel_soft_margin_loss (Python: -(t logsigmoid(x) + (1 - t)
  logsigmoid(-x)) * weight, summed over the LAST dim / C, then the reduction
  over the rest):
  * autograd gives a target gradient: (logsigmoid(-x) - logsigmoid(x)) w /
    (C n) = -x w / (C n); it is expected as grad_target.
  * the class dim is the last one of ANY input: 1-D (C) gives a 0-D loss
    per "sample" (reduction none: a scalar), 3-D (N, K, C) a (N, K) loss.
  * 0-D input: IndexError "Dimension specified as -1 but tensor has no
    dimensions".
  * target and weight broadcast against the input (a target (C) against an
    (N, C) input works; a weight of the wrong length: "The size of tensor a
    (3) must match the size of tensor b (2) at non-singleton dimension 1").
    (Not pinned down: a target with MORE dims than the input broadcasts the
    loss up and then sums over input.dim() - 1, a different axis.)
  * x = +-inf gives a NaN loss even with a 0/1 target (0 * -inf), while
    the gradient stays finite; soft targets and targets outside [0, 1]
    (-0.5, 2) are used as is; negative and zero weights are used as is.
multilabel_margin_loss (int64 targets of the input's shape; per sample the
  targets are read up to the first -1; loss = sum over target j and
  non-target i of max(0, 1 - (x[j] - x[i])) / C):
  * EVERY target value is range-checked, also those after the first -1:
    any value < -1 or >= C raises "argument #2 'target' is out of range"
    (even [3, -1, 7, 1] with C = 4).
  * a class repeated before the -1 counts twice (the sum over j repeats it;
    the non-target set is the same).
  * all classes targets, or -1 first: loss 0, gradient 0.
  * strict z > 0: at the kink (x[j] - x[i] == 1 exactly) the term and its
    gradient are 0; a NaN term (z = NaN) is skipped, so a NaN input can
    give a finite loss (or inf from another element).
  * 0-D input with a 0-D or 1-element target works (C = 1: loss 0).
  * shape errors: "inconsistent size [1, 3] for argument #2 'target'"
    (target shape != input shape, also (N, C) against (C));
    3-D input: "Expected non-empty vector or matrix with optional 0-dim
    batch size, but got: [1, 1, 2]"; a fractional target: torch's
    "expected scalar type Long but found Float" (losscalc: its own
    message, status 1; the cases only ask for "losscalc: ").
multi_margin_loss (loss = sum over i != y of w[y] max(0, margin - x[y] +
  x[i])^p / C; mean divides by N, not by the weights):
  * p must be 1 or 2: ValueError "only p == 1 and p == 2 supported" (p = 3,
    0, 1.5); losscalc treats it as a usage error, status 2.
  * the weight multiplies AFTER the power: w[y] * z^2 for p = 2.
  * strict z > 0: the kink (z == 0) gives no loss and no gradient; margin 0
    with a tie x[i] == x[y] likewise; NaN terms are skipped, so a NaN at
    the target class makes every z NaN: loss 0 and gradient 0 for that row.
  * target index out of [0, C): "target out of range" (also -1).
  * target shape: (N) for (N, C); for 1-D input a 0-D target gives a 0-D
    loss, a (1) target a (1) loss (reduction none); a 0-D target also works
    for a (1, C) input; otherwise "inconsistent target size, got: [3]".
  * 3-D input: "Expected non-empty vector or matrix with optional 0-dim
    batch size, but got: [1, 2, 4]"; a 2-D weight: ValueError "weight must
    be one-dimensional".
  * (Not pinned down: torch 1.13 does NOT check the weight's length; it
    reads weight[y] only, out of bounds for y >= len(weight). Later torch
    raises "inconsistent weight size, expected 4 but got [3]"; losscalc
    should reject it, status 1.)
cosine_embedding_loss (ATen: cos = sum(x1 x2) / sqrt((sum(x1^2) + EPSILON)
  (sum(x2^2) + EPSILON)); loss where(t == 1, 1 - cos, 0) + where(t == -1,
  clamp_min(cos - margin, 0), 0)):
  * EPSILON is a FLOAT constant even in float64: float32(1e-12) =
    9.999999960041972e-13 (verified: 1 - cos of x1 = x2 = (1e-7, 0) is
    0.9900990098618194 in float64, 0.9900990099009901 with 1e-12; the
    gradient at a zero vector against (1, 1, 1) is -577350.2703430185 =
    -1/sqrt(3 float32(1e-12)), not -577350.2691896257).
  * a zero vector: cos = 0 exactly, loss 1 for target 1, the gradient with
    respect to the ZERO vector is huge, x_other / sqrt(EPSILON |x_other|^2)
    (5.8e5 for (1, 1, 1)), and the other vector's gradient is 0; both zero:
    loss 1 (target 1), all gradients 0.
  * target -1 with cos == margin (orthogonal vectors, margin 0; a zero
    vector, margin 0): the kink; clamp_min passes the gradient.
  * EPSILON keeps cos of identical vectors below 1 (x == x: 1 - cos =
    1e-12 / |x|^2 for target 1, not 0); for tiny vectors (|x| ~ 1e-7) it
    dominates.
  * targets other than 1 and -1 (0, 2, NaN): loss 0, gradient 0.
  * squares overflow (1e200): NaN loss and gradients (inf / inf).
  * shapes: a 1-D target needs 2-D inputs ("1D target tensor expects 2D
    input tensors, but found inputs with sizes [2] and [2]."), a 0-D target
    1-D inputs ("0D target tensor expects 1D input tensors, but found inputs
    with sizes [1, 2] and [1, 2]."), a 2-D target "0D or 1D target tensor
    expected, multi-target not supported"; input2 (1, D) and a target (1)
    broadcast against N rows; other sizes: "The size of tensor a (3) must
    match the size of tensor b (2) at non-singleton dimension 1".
  * the target gets no gradient (only compared).
triplet_margin_loss (ATen: d(a, b) = ||a - b + eps||_p over the last dim;
  loss clamp_min(margin + d(a, p) - d(a, n), 0); --swap: d(a, n) replaced by
  min(d(a, n), d(p, n))):
  * eps is added to the difference (not to the norm), so identical vectors
    are at distance eps * D^(1/p) and their distance has a gradient (the
    direction (1, .., 1)): anchor == positive == negative gives loss margin,
    grad 0 for the anchor, -(1, .., 1)/||.|| for positive and +... for
    negative. With --eps 0 the gradient of a zero difference is 0 for every
    p (p = 1: sign(0) = 0), and so is that of a zero COMPONENT of a nonzero
    difference for p = 1.5 (torch's sgn(d) |d|^(p-1) / ||d||^(p-1), not
    NaN).
  * the kink (margin + d_pos - d_neg == 0 exactly, e.g. p = 1, eps = 0 and
    integers): clamp_min passes the gradient.
  * swap with a tie d(a, n) == d(p, n): torch.min's gradient goes half to
    each (0.5 / 0.5).
  * all three need the same number of dims: "All inputs should have same
    dimension but got 2D, 1D and 2D inputs."; sizes broadcast otherwise
    ((1, D) against (N, D) works); 0-D and 3-D (norm over the last dim)
    work; other sizes: "The size of tensor a (2) must match the size of
    tensor b (3) at non-singleton dimension 1".
  * p = 1.5 and p = 3 use |d|^p summed, then ^(1/p); (not pinned down:
    p = 0 gives a loss whose gradients are None, p < 0 is accepted.)
triplet_margin_with_distance_loss (Python: distance_function(a, p) etc.,
  clamp(d_pos - d_neg + margin, min=0); "pairwise" is the default
  F.pairwise_distance (p = 2, eps = 1e-6), "cosine" is
  lambda a, b: 1 - F.cosine_similarity(a, b)):
  * no check that margin > 0 (1.13's F and nn module; later torch's module
    raises "TripletMarginWithDistanceLoss: expected margin to be greater
    than 0, got -0.5"): margins 0 and -0.5 are computed.
  * unlike triplet_margin_loss there is NO check of the number of dims:
    pairwise with a (D) positive against (N, D) anchor and negative
    broadcasts (triplet_margin_loss raises).
  * cosine_similarity's default dim is 1: 1-D inputs raise IndexError
    "Dimension out of range (expected to be in range of [-1, 0], but got
    1)" (pairwise works on 1-D and 0-D), and for 3-D (N, D, K) inputs the
    cosine is taken along dim 1, not the last (loss (N, K)).
  * cosine_similarity (1.13) is sum((x1 / n1) * (x2 / n2)) over dim 1 with
    n = max(||x||_2, 1e-8), normalised first: a norm that overflows (1e200)
    gives x / inf = 0, cosine 0, distance 1 and zero gradients (not NaN).
    Its gradient treats the clamped n as if it were the norm: dn/dx =
    x / n also where ||x|| < 1e-8 (verified bitwise against torch on tiny,
    zero, huge and ordinary vectors): for anchor (1e-9, 0) and positive
    (1e-9, 1e-9), d cos / d anchor = (9.9e6, 1e7), where holding n
    constant would give (1e7, 1e7) and differentiating the unclamped norm
    (9e6, 1e7). A zero vector gives cosine 0 (distance 1); ITS gradient is
    (x_other / n_other) / 1e-8 (7.07e7 against (1, 1)), the other's is 0.
  * the kink and the swap tie behave as in triplet_margin_loss.

Errors: torch raises; the case expects status 1 (2 for the p of
multi_margin_loss) and "stderr_contains": a stable fragment of torch's
message (shape errors: torch's sentence from "The size of tensor" on, or
torch's whole message); the case name ends with torch's full message.

Tolerances: float64 rtol 1e-12, atol 1e-12; float32 rtol 2e-6 (1e-5, and atol
1e-5 of the largest expected value, for the
cosine distance, whose float32 norm torch sums in another order), atol 1e-6,
then atol is widened (see `tolerances`) to
  * 4 eps times the magnitude of what is summed or cancels in the loss (for
    a reduction the sum of the per-element magnitudes, / n for mean): torch
    sums in its own order, losscalc may sum exactly;
  * 4 times the largest excess over rtol |want| of the differences between
    torch's result and (a) torch on the same data with every dimension
    reversed (and the class indices remapped), which changes the order of
    every sum, and (b) for float32, torch in float64 on the same float32
    values: torch's own float32 rounding.
"""
import json
import math
import os
import random
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable, max_excess, nice_ceil  # noqa: E402
from gen_reference_regression import check, run, text, values  # noqa: E402,F401  (check: what run() uses)

OUT = os.path.join(HERE, "margin_reference_cases.json")
GENERATOR = "tests/torch/gen_reference_margin.py"
TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}
EPS = {"float64": 2.0 ** -52, "float32": 2.0 ** -23}
DT = {"float64": torch.float64, "float32": torch.float32}
INF = float("inf")
NAN = float("nan")
SEED = 20261206
RANDOM_PER_FUNCTION = 56


def cosine_distance(a, b):
    """--distance-function cosine."""
    return 1 - F.cosine_similarity(a, b)


# Each function: its positional data roles (name, kind, expected gradient key)
# and its options. Kinds: "x" a float tensor that gets a gradient, "t" a float
# target without one, "row" multilabel_margin_loss's int64 target (indices of
# the last dim, read up to the first -1), "idx" multi_margin_loss's int64
# target (one index per sample).
FUNCS = {
    "hinge_embedding_loss": [("input", "x", "grad"), ("target", "t", None)],
    "soft_margin_loss": [("input", "x", "grad"), ("target", "t", None)],
    "multilabel_soft_margin_loss": [("input", "x", "grad"), ("target", "x", "grad_target")],
    "multilabel_margin_loss": [("input", "x", "grad"), ("target", "row", None)],
    "multi_margin_loss": [("input", "x", "grad"), ("target", "idx", None)],
    "cosine_embedding_loss": [("input1", "x", "grad"), ("input2", "x", "grad_input2"), ("target", "t", None)],
    "triplet_margin_loss": [("anchor", "x", "grad"), ("positive", "x", "grad_positive"),
                            ("negative", "x", "grad_negative")],
    "triplet_margin_with_distance_loss": [("anchor", "x", "grad"), ("positive", "x", "grad_positive"),
                                          ("negative", "x", "grad_negative")],
}
DEFAULT_MARGIN = {"hinge_embedding_loss": 1.0, "multi_margin_loss": 1.0, "cosine_embedding_loss": 0.0,
                  "triplet_margin_loss": 1.0, "triplet_margin_with_distance_loss": 1.0}

# stderr_contains for torch's messages: (text torch's message contains,
# status, fragment losscalc must print; None = torch's message from that text
# on).
ERRORS = [
    ("The size of tensor", 1, None),
    ("doesn't match the broadcast shape", 1, "FULL"),
    ("Dimension specified as -1 but tensor has no dimensions", 1,
     "Dimension specified as -1 but tensor has no dimensions"),
    ("Dimension out of range", 1, "FULL"),
    ("'target' is out of range", 1, "'target' is out of range"),
    ("target out of range", 1, "target out of range"),
    ("inconsistent size", 1, "inconsistent size"),
    ("inconsistent target size", 1, "inconsistent target size"),
    ("Expected non-empty vector or matrix", 1, "Expected non-empty vector or matrix with optional 0-dim batch size"),
    ("0D or 1D target tensor expected", 1, "0D or 1D target tensor expected, multi-target not supported"),
    ("1D target tensor expects 2D input tensors", 1, "1D target tensor expects 2D input tensors"),
    ("0D target tensor expects 1D input tensors", 1, "0D target tensor expects 1D input tensors"),
    ("All inputs should have same dimension", 1, "All inputs should have same dimension"),
    ("only p == 1 and p == 2 supported", 2, "only p == 1 and p == 2 supported"),
    ("weight must be one-dimensional", 1, "weight must be one-dimensional"),
    ("expected scalar type Long but found", 1, "losscalc: "),  # a fractional class index: losscalc's own words
]


def classify(msg):
    """(status, stderr_contains) for torch's message."""
    for key, status, frag in ERRORS:
        if key in msg:
            if frag is None:
                return status, msg[msg.find(key):]
            return status, msg if frag == "FULL" else frag
    raise SystemExit("unclassified torch error: %r" % msg)


# ----------------------------------------------------------------------------
# specs: {"func", "data": {role: nested list}, "opts": {option: value given on
# the command line}, "weight": list or None, "red", "r_flag", "dtype",
# "error": None (must succeed) | fragment (must raise it) | "may" (either)}


def spec(func, data, opts=None, red="mean", dtype="float64", weight=None, error=None, r_flag=None):
    s = {"func": func, "data": {}, "opts": dict(opts or {}), "weight": None, "red": red, "dtype": dtype,
         "error": error, "r_flag": (red != "mean") if r_flag is None else r_flag}
    for role, kind, _ in FUNCS[func]:
        v = data[role]
        if kind in ("x", "t"):  # the dtype's values, exactly (NaN/inf kept)
            v = torch.tensor(v, dtype=DT[dtype]).double().tolist()
        s["data"][role] = v
    if weight is not None:
        s["weight"] = torch.tensor(weight, dtype=DT[dtype]).double().tolist()
    return s


def fmt_p(p):
    return str(int(p)) if float(p).is_integer() else repr(float(p))


def build_args(s):
    f = s["func"]
    a = [f, "--json", "--no-warnings"]
    if s["r_flag"]:
        a += ["-r", s["red"]]
    if s["dtype"] == "float32":
        a += ["--dtype", "float32"]
    o = s["opts"]
    if "distance" in o:
        a += ["--distance-function", o["distance"]]
    if "margin" in o:
        a += ["--margin", repr(float(o["margin"]))]
    if "p" in o:
        a += ["--p", fmt_p(o["p"])]
    if "eps" in o:
        a += ["--eps", repr(float(o["eps"]))]
    if o.get("swap"):
        a += ["--swap"]
    if s["weight"] is not None:
        a += ["--weight", text(torch.tensor(s["weight"], dtype=torch.float64))]
    for role, kind, _ in FUNCS[f]:
        v = s["data"][role]
        a.append(json.dumps(v) if kind in ("row", "idx") else text(torch.tensor(v, dtype=torch.float64)))
    return a


def call(s, T, w):
    """torch.nn.functional, as a user calls it."""
    f, o, red = s["func"], s["opts"], s["red"]
    m = o.get("margin", DEFAULT_MARGIN.get(f))
    if f == "hinge_embedding_loss":
        return F.hinge_embedding_loss(T["input"], T["target"], margin=m, reduction=red)
    if f == "soft_margin_loss":
        return F.soft_margin_loss(T["input"], T["target"], reduction=red)
    if f == "multilabel_soft_margin_loss":
        return F.multilabel_soft_margin_loss(T["input"], T["target"], weight=w, reduction=red)
    if f == "multilabel_margin_loss":
        return F.multilabel_margin_loss(T["input"], T["target"], reduction=red)
    if f == "multi_margin_loss":
        return F.multi_margin_loss(T["input"], T["target"], p=o.get("p", 1), margin=m, weight=w, reduction=red)
    if f == "cosine_embedding_loss":
        return F.cosine_embedding_loss(T["input1"], T["input2"], T["target"], margin=m, reduction=red)
    if f == "triplet_margin_loss":
        return F.triplet_margin_loss(T["anchor"], T["positive"], T["negative"], margin=m, p=o.get("p", 2),
                                     eps=o.get("eps", 1e-6), swap=o.get("swap", False), reduction=red)
    if f == "triplet_margin_with_distance_loss":
        dist = cosine_distance if o.get("distance") == "cosine" else None
        return F.triplet_margin_with_distance_loss(T["anchor"], T["positive"], T["negative"],
                                                   distance_function=dist, margin=m,
                                                   swap=o.get("swap", False), reduction=red)
    raise KeyError(f)


def all_dims(t):
    return list(range(t.dim()))


def evaluate(s, dtype=None, flip=False):
    """torch's loss and gradients. flip: every tensor reversed along every dim
    (class indices remapped), results reversed back: the same values
    mathematically, every sum in another order (for tolerances only)."""
    dt = DT[dtype or s["dtype"]]
    roles = FUNCS[s["func"]]
    T, leaves = {}, []
    first = torch.tensor(s["data"][roles[0][0]], dtype=dt)
    C = first.shape[-1] if first.dim() else 1
    for role, kind, gkey in roles:
        v = s["data"][role]
        if kind in ("row", "idx"):
            t = torch.tensor(v)  # int64 (a fractional value gives float: torch raises)
            if flip:
                if kind == "row":
                    t = t.flip(all_dims(t)[:-1]) if t.dim() > 1 else t
                    t = torch.where(t >= 0, C - 1 - t, t)
                else:
                    t = (C - 1 - t).flip(all_dims(t))
        else:
            t = torch.tensor(v, dtype=dt)
            if flip:
                t = t.flip(all_dims(t))
            if gkey:
                t.requires_grad_(True)
                leaves.append((gkey, t))
        T[role] = t
    w = None
    if s["weight"] is not None:
        w = torch.tensor(s["weight"], dtype=dt)
        if flip:
            w = w.flip(all_dims(w))
    loss = call(s, T, w)
    (loss.sum() if s["red"] == "none" else loss).backward()
    back = (lambda t: t.flip(all_dims(t))) if flip else (lambda t: t)
    out = {"loss": back(loss.detach()).double().tolist()}
    for gkey, t in leaves:
        if t.grad is None:
            raise SystemExit("%s: torch gave no gradient for %s" % (s["func"], gkey))
        out[gkey] = back(t.grad).double().tolist()
    return out


def magnitude(s):
    """What rounding of sums and of libm functions can move the loss by, in
    units of the dtype's eps: per loss element, the size of what torch sums
    inside it (over classes, over a vector) and cancels after rounding; for a
    reduction, the sum of |element| plus those, / n for mean. The elementwise
    steps themselves (margin - x, clamp, +, where) are single IEEE
    operations that losscalc repeats exactly, so they need no allowance."""
    f, o, d = s["func"], s["opts"], s["data"]

    def g(role):
        return torch.tensor(d[role], dtype=torch.float64)

    def z(t):
        return torch.as_tensor(t, dtype=torch.float64).nan_to_num(0.0, 0.0, 0.0).abs()

    m = abs(o.get("margin", DEFAULT_MARGIN.get(f, 0.0)))
    loss = z(torch.tensor(evaluate(s)["loss"], dtype=torch.float64))
    with torch.no_grad():
        if f == "multilabel_soft_margin_loss":  # a sum over C of terms of both signs
            x, t = torch.broadcast_tensors(g("input"), g("target"))
            w = z(torch.tensor(s["weight"])) if s["weight"] is not None else 1.0
            elem = ((z(t * F.logsigmoid(x)) + z((1 - t) * F.logsigmoid(-x))) * w).sum(-1) / x.shape[-1]
        elif f == "cosine_embedding_loss":  # cos from three sums over D: ~D eps
            x1, _ = torch.broadcast_tensors(g("input1"), g("input2"))
            elem = torch.full(x1.shape[:-1], float(x1.shape[-1]), dtype=torch.float64)
        elif f in ("triplet_margin_loss", "triplet_margin_with_distance_loss"):
            a, p, n = g("anchor"), g("positive"), g("negative")
            if f == "triplet_margin_with_distance_loss" and o.get("distance") == "cosine":
                D = torch.broadcast_tensors(a, p, n)[0].shape[1]
                elem = torch.full(cosine_distance(a, p).shape, 2.0 * D, dtype=torch.float64)
            else:  # margin + d_pos - d_neg: each distance (a norm: positive terms) rounded relative to itself
                pp, e = (o.get("p", 2), o.get("eps", 1e-6)) if f == "triplet_margin_loss" else (2, 1e-6)
                dist = lambda u, v: F.pairwise_distance(u, v, p=pp, eps=e)  # noqa: E731
                elem = 2 * (z(dist(a, p)) + z(dist(a, n)) + z(dist(p, n)))
        else:  # hinge, soft margin: elementwise; multi(label) margin: sums of terms of one sign
            elem = torch.zeros(loss.shape, dtype=torch.float64)
        elem = z(elem).reshape(-1)
    if loss.numel() == 0:
        return 0.0
    if s["red"] == "none":
        return float(elem.max())
    total = float(loss.sum() + elem.sum())
    return total / (elem.numel() if s["red"] == "mean" else 1)


def as_float32_options(s):
    """The spec with margin and eps rounded to float32, as torch uses them in
    a float32 computation (for the float64 recomputation of a float32 case)."""
    o = dict(s["opts"])
    for k in ("margin", "eps"):
        if k in o:
            o[k] = float(torch.tensor(o[k], dtype=torch.float32))
    return dict(s, opts=o)


def largest_data(s):
    vals = [abs(v) for r in s["data"] for v in torch.tensor(s["data"][r], dtype=torch.float64).view(-1).tolist()
            if math.isfinite(v)]
    return max(vals, default=0.0)


def tolerances(s, want, why=None):
    """(rtol, atol): the base tolerances, atol widened to 4 eps magnitude(s)
    and to 4x the largest excess over rtol |want| of torch's own
    alternatives: the same data with every dim reversed (every sum in
    another order) and, for float32, torch in float64 on the same float32
    values (torch's float32 rounding; skipped when the data reach 1e12,
    where float32 overflows in squares and cubes and float64 does not)."""
    dtype = s["dtype"]
    rtol, atol = TOL[dtype]
    if dtype == "float32" and s["opts"].get("distance") == "cosine":
        # torch's float32 vector norm sums in an order losscalc does not
        # reproduce (1 ulp), and a zero vector's gradient cancels two terms
        # of 1/eps scale: about 1e-6 relative of it survives (seen 2.3e-6).
        rtol = max(rtol, 1e-5)
        # and a gradient that cancels to 0 exactly (a 1-element "vector"
        # along dim 1) keeps a float32 residue of a few ulp of its terms.
        atol = max(atol, 1e-5 * max([1.0] + [abs(float(v)) for t in want.values() for v in torch.as_tensor(t).reshape(-1)
                                              if math.isfinite(float(v))]))
    atol = max(atol, 4 * EPS[dtype] * magnitude(s))
    if why is not None and atol > TOL[dtype][1]:
        why.append(("magnitude", atol))
    alternatives = [("reversed", evaluate(s, flip=True))]
    if dtype == "float32" and largest_data(s) < 1e12:
        alternatives.append(("float64", evaluate(as_float32_options(s), "float64")))
    excess = 0.0
    for label, alt in alternatives:
        for k in want:
            e = max_excess(want[k], alt[k], rtol)
            if why is not None and 4 * e > atol:
                why.append((label + " " + k, 4 * e))
            excess = max(excess, e)
    if 4 * excess > atol:
        atol = nice_ceil(4 * excess)
    return rtol, atol


def shapes_of(s):
    return " ".join(str(list(torch.tensor(s["data"][r]).shape)) for r, _, _ in FUNCS[s["func"]])


def describe(s):
    o = ["%s=%s" % (k, fmt_p(v) if k == "p" else v) for k, v in sorted(s["opts"].items())]
    if s["weight"] is not None:
        o.append("weight %s" % list(torch.tensor(s["weight"]).shape))
    return "%s %s %s %s" % (shapes_of(s), s["red"], s["dtype"], " ".join(o) or "defaults")


def build_case(name, s):
    case = {"name": name, "args": build_args(s)}
    try:
        want = evaluate(s)
    except (RuntimeError, ValueError, IndexError) as exc:
        msg = str(exc).strip()
        status, frag = classify(msg)
        if s["error"] is None:
            raise SystemExit("case %r: torch raised %r" % (name, msg))
        if s["error"] != "may" and s["error"] != frag:
            raise SystemExit("case %r: torch raised %r, the case expects %r" % (name, msg, s["error"]))
        case["name"] = "%s (torch: %s)" % (name, msg)
        case["expect"] = {"status": status, "stderr_contains": frag}
        return case
    if s["error"] not in (None, "may"):
        raise SystemExit("case %r: torch did not raise" % name)
    case["expect"] = {"status": 0}
    for k, v in want.items():
        case["expect"][k] = jsonable(v)
    case["rtol"], case["atol"] = tolerances(s, want)
    return case


# ----------------------------------------------------------------------------
# random data


def dtype_red(rng):
    return rng.choice(["float64", "float64", "float32"]), rng.choice(["mean", "mean", "sum", "none"])


def data(rng, shape, dtype, mode="clean", grid=(-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)):
    """A tensor of `dtype`: "wild" is the regression generator's `values`
    (NaN, +-inf, +-1e30, 1e-30 now and then), "grid" small halves (ties,
    kinks, orthogonal and parallel vectors), "clean" uniform(-3, 3) rounded
    to 1 .. 17 digits."""
    if mode == "wild":
        return values(rng, shape, dtype)
    t = torch.empty(shape, dtype=torch.float64)
    flat = t.view(-1)
    for k in range(flat.numel()):
        flat[k] = rng.choice(grid) if mode == "grid" else round(rng.uniform(-3, 3), rng.choice([1, 2, 3, 6, 17]))
    return t.to(DT[dtype])


def mode_of(rng, wild=0.2, grid=0.3):
    r = rng.random()
    return "wild" if r < wild else "grid" if r < wild + grid else "clean"


def lst(t):
    return t.double().tolist()


def maybe_margin(rng, f, choices):
    m = rng.choice(choices)
    if m is None:
        return {}
    if m == DEFAULT_MARGIN[f] and rng.random() < 0.5:
        return {}
    return {"margin": m}


def smaller_shape(rng, shape):
    """A shape that broadcasts to `shape`: some dims 1, maybe fewer dims."""
    b = [1 if rng.random() < 0.4 else d for d in shape]
    if b and rng.random() < 0.3:
        b = b[rng.randint(0, len(b) - 1):]
    return tuple(b)


def bad_shape(rng, shape):
    """A shape that does not broadcast against `shape` (shape has a dim > 1)."""
    b = list(shape)
    i = max(range(len(b)), key=lambda k: b[k])
    b[i] = b[i] + rng.randint(1, 2)
    return tuple(b)


def rand_shape(rng, nd_choices=(0, 1, 1, 2, 2, 2, 3)):
    nd = rng.choice(nd_choices)
    return tuple(rng.randint(1, 5) for _ in range(nd))


def pm1_targets(rng, shape, others=(0.0, 2.0, 0.5, -2.0, NAN), p_other=0.12):
    t = torch.empty(shape, dtype=torch.float64)
    flat = t.view(-1)
    for k in range(flat.numel()):
        r = rng.random()
        flat[k] = rng.choice(others) if r < p_other else (1.0 if r < p_other + (1 - p_other) / 2 else -1.0)
    return t


def rand_hinge(rng):
    f = "hinge_embedding_loss"
    dtype, red = dtype_red(rng)
    r = rng.random()
    xs = rand_shape(rng)
    err = None
    if r < 0.7:
        ts = xs
    elif r < 0.9:
        ts = smaller_shape(rng, xs)
        if rng.random() < 0.5:
            xs, ts = ts, xs
    else:
        if not xs or max(xs) == 1:
            xs = (3,)
        ts, err = bad_shape(rng, xs), "may"
    opts = maybe_margin(rng, f, [None, 1.0, 1.0, 0.5, 0.0, 2.0, -0.5, 0.1])
    m = opts.get("margin", 1.0)
    x = data(rng, xs, dtype, mode_of(rng, 0.25, 0.2))
    t = pm1_targets(rng, ts)
    if xs == ts and rng.random() < 0.35:  # on the kink: target -1, x == margin (in the dtype)
        fx, ft = x.view(-1), t.view(-1)
        for k in range(fx.numel()):
            if rng.random() < 0.5:
                fx[k], ft[k] = m, rng.choice([-1.0, -1.0, 0.0])
    return spec(f, {"input": lst(x), "target": lst(t)}, opts, red, dtype, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


def rand_soft(rng):
    f = "soft_margin_loss"
    dtype, red = dtype_red(rng)
    xs = rand_shape(rng)
    r = rng.random()
    err = None
    if r < 0.7:
        ts = xs
    elif r < 0.87:
        ts = smaller_shape(rng, xs)
    elif r < 0.94 and xs and min(xs) == 1 and max(xs) > 1:  # the target larger: torch's in-place output refuses
        ts, err = tuple(3 if d == 1 else d for d in xs), "may"
    else:
        if not xs or max(xs) == 1:
            xs = (2, 3)
        ts, err = bad_shape(rng, xs), "may"
    x = data(rng, xs, dtype, mode_of(rng, 0.2, 0.2))
    if rng.random() < 0.2:  # far into the tails: exp overflow, log(1 + tiny) == 0
        x = (x * rng.choice([15.0, 40.0, 300.0])).to(DT[dtype])
    t = pm1_targets(rng, ts, others=(0.0, 0.5, 2.0, -3.0, NAN), p_other=0.1)
    return spec(f, {"input": lst(x), "target": lst(t)}, {}, red, dtype, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


def rand_mlsm(rng):
    f = "multilabel_soft_margin_loss"
    dtype, red = dtype_red(rng)
    N, C = rng.randint(1, 4), rng.randint(1, 5)
    xs = (N, C) if rng.random() < 0.7 else (C,)
    r = rng.random()
    ts, err = xs, None
    if r < 0.06 and len(xs) == 2:
        ts = (C,)
    elif r < 0.1:
        ts, err = xs[:-1] + (C + 1,), "may"
    x = data(rng, xs, dtype, mode_of(rng, 0.2, 0.15))
    tm = rng.random()
    t = torch.empty(ts, dtype=torch.float64)
    flat = t.view(-1)
    for k in range(flat.numel()):
        if tm < 0.6:
            flat[k] = float(rng.random() < 0.5)
        elif tm < 0.9:
            flat[k] = round(rng.random(), rng.choice([1, 2, 17]))
        else:
            flat[k] = rng.choice([0.0, 1.0, -0.5, 1.5, 2.0])
    w = None
    r = rng.random()
    if r < 0.45:
        w = [rng.choice([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, -1.0]) for _ in range(C)]
    elif r < 0.5:
        w, err = [1.0] * (C + 1), "may"
    return spec(f, {"input": lst(x), "target": lst(t.to(DT[dtype]))}, {}, red, dtype, weight=w, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


def label_row(rng, C):
    k = rng.randint(0, C)
    row = rng.sample(range(C), k)
    if row and rng.random() < 0.15:  # a repeated class
        row.insert(rng.randint(0, len(row)), rng.choice(row))
    row = row[:C]
    if len(row) < C:
        row.append(-1)
        while len(row) < C:  # after the -1: ignored by the loss, still range-checked
            row.append(rng.randint(-1, C - 1))
    return row


def rand_mlm(rng):
    f = "multilabel_margin_loss"
    dtype, red = dtype_red(rng)
    N, C = rng.randint(1, 4), rng.randint(1, 6)
    r = rng.random()
    xs = (N, C) if r < 0.7 else (C,) if r < 0.95 else ()
    x = data(rng, xs, dtype, mode_of(rng, 0.15, 0.4))
    if xs == ():
        t = rng.choice([0, -1])
    elif len(xs) == 1:
        t = label_row(rng, C)
    else:
        t = [label_row(rng, C) for _ in range(N)]
    err = None
    r = rng.random()
    if r < 0.05 and xs:  # a class out of range, maybe after the -1
        row = t if len(xs) == 1 else t[rng.randint(0, N - 1)]
        row[rng.randint(0, C - 1)] = rng.choice([C, C + 2, -2])
        err = "may"
    elif r < 0.1 and xs:  # a shape mismatch
        t = [row[:-1] if len(row) > 1 else row + [0] for row in t] if len(xs) == 2 else (t[:-1] or [0, 0])
        err = "may"
    return spec(f, {"input": lst(x), "target": t}, {}, red, dtype, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


def rand_mm(rng):
    f = "multi_margin_loss"
    dtype, red = dtype_red(rng)
    N, C = rng.randint(1, 5), rng.randint(1, 6)
    one_d = rng.random() < 0.25
    xs = (C,) if one_d else (N, C)
    x = data(rng, xs, dtype, mode_of(rng, 0.15, 0.35))
    t = (rng.randint(0, C - 1) if rng.random() < 0.7 else [rng.randint(0, C - 1)]) if one_d else \
        [rng.randint(0, C - 1) for _ in range(N)]
    opts = maybe_margin(rng, f, [None, 1.0, 1.0, 0.5, 0.0, 2.0, -0.5, 0.1])
    p = rng.choice([1, 1, 2])
    if p == 2 or rng.random() < 0.3:
        opts["p"] = p
    w = [rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, -1.0]) for _ in range(C)] if rng.random() < 0.45 else None
    err = None
    r = rng.random()
    if r < 0.04:
        if isinstance(t, list):
            t[rng.randint(0, len(t) - 1)] = rng.choice([C, -1])
        else:
            t = rng.choice([C, -1])
        err = "may"
    elif r < 0.07 and not one_d:
        t, err = t + [0], "may"
    return spec(f, {"input": lst(x), "target": t}, opts, red, dtype, weight=w, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


def rand_cosine(rng):
    f = "cosine_embedding_loss"
    dtype, red = dtype_red(rng)
    N, D = rng.randint(1, 5), rng.randint(1, 6)
    one_d = rng.random() < 0.2
    s1 = s2 = (D,) if one_d else (N, D)
    ts = () if one_d else (N,)
    err = None
    r = rng.random()
    if r < 0.05 and not one_d:
        s2 = (1, D)
    elif r < 0.1 and not one_d:
        ts = (1,)
    elif r < 0.15:
        s2, err = s2[:-1] + (D + 1,), "may"
    mode = mode_of(rng, 0.15, 0.35)
    x1, x2 = data(rng, s1, dtype, mode), data(rng, s2, dtype, mode)
    for x in (x1, x2):  # zero vectors now and then
        rows = x.view(1, -1) if x.dim() == 1 else x
        for i in range(rows.shape[0]):
            if rng.random() < 0.12:
                rows[i].zero_()
    if s1 == s2 and rng.random() < 0.1:  # parallel: x2 = x1 (cos just below 1, EPSILON)
        x2 = x1.clone()
    t = pm1_targets(rng, ts, others=(0.0, 2.0, NAN), p_other=0.1)
    opts = maybe_margin(rng, f, [None, 0.0, 0.5, -0.5, 0.1, 1.0, -1.0])
    return spec(f, {"input1": lst(x1), "input2": lst(x2), "target": lst(t.to(DT[dtype]))}, opts, red, dtype,
                error=err, r_flag=red != "mean" or rng.random() < 0.5)


def triplet_shapes(rng, allow_mixed):
    N, D = rng.randint(1, 5), rng.randint(1, 5)
    r = rng.random()
    if r < 0.65:
        return [(N, D)] * 3, None
    if r < 0.77:
        return [(D,)] * 3, None
    if r < 0.82:
        return [(N, rng.randint(1, 3), D)] * 3, None
    if r < 0.85:
        return [()] * 3, None
    if r < 0.92:
        out = [(N, D)] * 3
        out[rng.randint(0, 2)] = (1, D)
        return out, None
    if r < 0.96:
        out = [(N, D)] * 3
        out[rng.randint(0, 2)] = (D,)
        return out, (None if allow_mixed else "may")
    out = [(N, D)] * 3
    out[rng.randint(1, 2)] = (N, D + 1)
    return out, "may"


def rand_triplet(rng):
    f = "triplet_margin_loss"
    dtype, red = dtype_red(rng)
    sh, err = triplet_shapes(rng, allow_mixed=False)
    mode = mode_of(rng, 0.15, 0.35)
    a, p, n = (data(rng, s, dtype, mode) for s in sh)
    if sh[0] == sh[1] and rng.random() < 0.15:
        p = a.clone()  # zero difference: the distance is eps * D^(1/p)
    opts = maybe_margin(rng, f, [None, 1.0, 1.0, 0.5, 0.0, 2.0, -0.5])
    pv = rng.choice([None, 2, 1, 3, 1.5])
    if pv is not None:
        opts["p"] = pv
    ev = rng.choice([None, None, 1e-6, 0.0, 0.0, 1e-3])
    if ev is not None:
        opts["eps"] = ev
    if rng.random() < 0.3:
        opts["swap"] = True
    return spec(f, {"anchor": lst(a), "positive": lst(p), "negative": lst(n)}, opts, red, dtype, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


def rand_twd(rng):
    f = "triplet_margin_with_distance_loss"
    dtype, red = dtype_red(rng)
    r = rng.random()
    dist = None if r < 0.3 else "pairwise" if r < 0.5 else "cosine"
    sh, err = triplet_shapes(rng, allow_mixed=True)
    if dist == "cosine" and len(sh[0]) < 2 and rng.random() < 0.6:  # mostly 2-D+ for cosine (1-D raises)
        D = rng.randint(1, 5)
        sh = [(rng.randint(1, 4), D)] * 3
    if dist == "cosine" and min(len(x) for x in sh) < 2:
        err = "may"
    mode = mode_of(rng, 0.15, 0.35)
    a, p, n = (data(rng, s, dtype, mode) for s in sh)
    if dist == "cosine":
        for x in (a, p, n):
            if x.dim() == 2:
                for i in range(x.shape[0]):
                    if rng.random() < 0.1:
                        x[i].zero_()
    if sh[0] == sh[1] and rng.random() < 0.15:
        p = a.clone()
    opts = maybe_margin(rng, f, [None, 1.0, 1.0, 0.5, 0.0, 2.0, -0.5])
    if dist:
        opts["distance"] = dist
    if rng.random() < 0.3:
        opts["swap"] = True
    return spec(f, {"anchor": lst(a), "positive": lst(p), "negative": lst(n)}, opts, red, dtype, error=err,
                r_flag=red != "mean" or rng.random() < 0.5)


RANDOM = {
    "hinge_embedding_loss": rand_hinge,
    "soft_margin_loss": rand_soft,
    "multilabel_soft_margin_loss": rand_mlsm,
    "multilabel_margin_loss": rand_mlm,
    "multi_margin_loss": rand_mm,
    "cosine_embedding_loss": rand_cosine,
    "triplet_margin_loss": rand_triplet,
    "triplet_margin_with_distance_loss": rand_twd,
}


def make_case(rng, name, function=None):
    function = function or rng.choice(sorted(RANDOM))
    s = RANDOM[function](rng)
    return build_case("%s %s %s" % (function, name, describe(s)), s)


# ----------------------------------------------------------------------------
# hand-picked cases


def hand_hinge():
    f = "hinge_embedding_loss"
    X = [[0.5, -1.0, 2.0], [0.3, 1.0, -0.25]]
    Y = [[1.0, -1.0, -1.0], [1.0, -1.0, 1.0]]
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("+-1 targets %s" % red, spec(f, {"input": X, "target": Y}, {}, red)))
    c.append(("-r mean given", spec(f, {"input": X, "target": Y}, {}, "mean", r_flag=True)))
    c.append(("--margin 1.0 given (the default)", spec(f, {"input": X, "target": Y}, {"margin": 1.0}, "none")))
    for m in (1.0, 0.5, 0.0, -0.5, 2.0):
        c.append(("kink: target -1, x == margin %r (gradient -1 passes)" % m,
                  spec(f, {"input": [m, m + 0.5, m - 0.5], "target": [-1.0, -1.0, -1.0]}, {"margin": m}, "none")))
    c.append(("kink mean: the gradient at x == margin is -1/n",
              spec(f, {"input": [1.0, 0.0, 3.0, 1.0], "target": [-1.0, -1.0, -1.0, 1.0]}, {}, "mean")))
    c.append(("targets 0, 2, 0.5, -2, NaN take both branches: x + max(0, margin - x)",
              spec(f, {"input": [0.2, 2.0, -0.3, 0.5, 1.5], "target": [0.0, 2.0, 0.5, -2.0, NAN]}, {}, "none")))
    c.append(("target 0 at the kink x == margin: gradient 1 - 1 = 0",
              spec(f, {"input": [1.0, 0.0], "target": [0.0, 0.0]}, {}, "sum")))
    c.append(("target 0 margin 0: x >= 0 gradient 1, below 0",
              spec(f, {"input": [1.0, 0.0, -0.5], "target": [0.0, 0.0, 0.0]}, {"margin": 0.0}, "sum")))
    c.append(("negative margin -1: target -1 clamp(-1 - x)",
              spec(f, {"input": [2.0, -2.0, -1.0], "target": [-1.0, -1.0, -1.0]}, {"margin": -1.0}, "none")))
    c.append(("0-D input and target", spec(f, {"input": 0.3, "target": -1.0}, {}, "mean")))
    c.append(("0-D target broadcasts to every element",
              spec(f, {"input": [0.3, 1.5, -2.0], "target": -1.0}, {}, "none")))
    c.append(("(N,1) input against (N) target: (N,N) loss",
              spec(f, {"input": [[0.5], [2.0]], "target": [1.0, -1.0, -1.0]}, {}, "none")))
    c.append(("(C) input against (N,C) target", spec(f, {"input": [0.5, 2.0], "target": [[1.0, -1.0], [-1.0, 0.0]]},
                                                 {}, "mean")))
    c.append(("non-finite: inf with 1 and -1, -inf with 0 (NaN: -inf + inf), NaN with 1",
              spec(f, {"input": [INF, INF, -INF, NAN, -INF], "target": [1.0, -1.0, 0.0, 1.0, -1.0]}, {}, "none")))
    c.append(("cancellation: target 0 with x = -1e308 gives 0 ((1 + 1e308) - 1e308)",
              spec(f, {"input": [-1e308, -1e16, 1e308], "target": [0.0, 0.0, 0.0]}, {}, "none")))
    c.append(("float32 kink at margin 0.1 (margin rounded to float32)",
              spec(f, {"input": [0.1, 0.2, 0.05], "target": [-1.0, -1.0, -1.0]}, {"margin": 0.1}, "none",
                   "float32")))
    c.append(("float32 +-1 targets mean", spec(f, {"input": X, "target": Y}, {}, "mean", "float32")))
    c.append(("float32 cancellation: target 0 with x = -1e30 gives 0",
              spec(f, {"input": [-1e30, -3e7], "target": [0.0, 0.0]}, {}, "none", "float32")))
    c.append(("error: sizes 2 and 3 do not broadcast",
              spec(f, {"input": [1.0, 2.0], "target": [1.0, -1.0, 1.0]}, error="may")))
    return c


def hand_soft():
    f = "soft_margin_loss"
    X = [[0.5, -2.0, 1.0], [0.0, 3.0, -0.75]]
    Y = [[1.0, -1.0, -1.0], [1.0, 1.0, -1.0]]
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("+-1 targets %s" % red, spec(f, {"input": X, "target": Y}, {}, red)))
        c.append(("+-1 targets %s float32" % red, spec(f, {"input": X, "target": Y}, {}, red, "float32")))
    c.append(("targets 0 (log 2, gradient -0), 2, 0.5, -3",
              spec(f, {"input": [0.5, 0.5, 1.0, -0.25], "target": [0.0, 2.0, 0.5, -3.0]}, {}, "none")))
    c.append(("log(1 + exp(-x t)), not log1p: loss 0 for x t >= 37, gradient nonzero",
              spec(f, {"input": [16.0, 36.0, 37.0, 40.0, 800.0], "target": [1.0, 1.0, 1.0, 1.0, 1.0]}, {}, "none")))
    c.append(("float32: loss 0 for x t >= 17, gradient nonzero",
              spec(f, {"input": [10.0, 16.0, 17.0, 40.0], "target": [1.0, 1.0, 1.0, 1.0]}, {}, "none", "float32")))
    c.append(("exp overflow: x t = -800 gives loss inf, gradient NaN",
              spec(f, {"input": [800.0, -709.0, -710.0], "target": [-1.0, 1.0, 1.0]}, {}, "none")))
    c.append(("float32 exp overflow at x t = -89 (inf, NaN), -88 finite",
              spec(f, {"input": [89.0, -88.0], "target": [-1.0, 1.0]}, {}, "none", "float32")))
    c.append(("non-finite: NaN, +inf, -inf with target 1, +inf with -1",
              spec(f, {"input": [NAN, INF, -INF, INF], "target": [1.0, 1.0, 1.0, -1.0]}, {}, "none")))
    c.append(("0-D", spec(f, {"input": 0.5, "target": -1.0}, {}, "mean")))
    c.append(("0-D target against (3)", spec(f, {"input": [0.5, 1.0, -2.0], "target": -1.0}, {}, "mean")))
    c.append(("target (C) broadcasts to input (N,C)",
              spec(f, {"input": X, "target": [1.0, -1.0, 1.0]}, {}, "none")))
    c.append(("target (N,1) broadcasts to input (N,C)", spec(f, {"input": X, "target": [[1.0], [-1.0]]}, {}, "sum")))
    c.append(("error: target (3) larger than input (2,1)",
              spec(f, {"input": [[0.5], [1.0]], "target": [1.0, -1.0, 1.0]},
                   error="output with shape [2, 1] doesn't match the broadcast shape [2, 3]")))
    c.append(("error: target (2) against 0-D input",
              spec(f, {"input": 0.5, "target": [1.0, -1.0]},
                   error="output with shape [] doesn't match the broadcast shape [2]")))
    c.append(("error: sizes 2 and 3", spec(f, {"input": [1.0, 2.0], "target": [1.0, -1.0, 1.0]}, error="may")))
    return c


def hand_mlsm():
    f = "multilabel_soft_margin_loss"
    X = [[0.5, 1.0, 2.0], [1.0, -1.0, 0.0]]
    T01 = [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    Ts = [[1.0, 0.0, 1.0], [0.0, 0.3, 1.0]]
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("0/1 target %s" % red, spec(f, {"input": X, "target": T01}, {}, red)))
    c.append(("soft target none", spec(f, {"input": X, "target": Ts}, {}, "none")))
    c.append(("soft target float32 mean", spec(f, {"input": X, "target": Ts}, {}, "mean", "float32")))
    c.append(("weight sum", spec(f, {"input": X, "target": Ts}, {}, "sum", weight=[1.0, 2.0, 0.5])))
    c.append(("weight with 0 and negative none",
              spec(f, {"input": X, "target": T01}, {}, "none", weight=[0.0, -1.0, 2.0])))
    c.append(("weight float32 mean", spec(f, {"input": X, "target": Ts}, {}, "mean", "float32",
                                          weight=[0.25, 1.5, 1.0])))
    c.append(("1-D (C): reduction none gives a scalar", spec(f, {"input": [0.5, 1.0, 2.0], "target": [1.0, 0.0, 1.0]},
                                                          {}, "none")))
    c.append(("1-D (C) mean", spec(f, {"input": [0.5, 1.0, 2.0], "target": [1.0, 0.0, 1.0]}, {}, "mean")))
    c.append(("C = 1", spec(f, {"input": [[0.5], [-2.0]], "target": [[1.0], [0.0]]}, {}, "none")))
    c.append(("3-D (N,K,C): classes on the last dim, loss (N,K)",
              spec(f, {"input": [[[0.5, 1.0], [2.0, 3.0]]], "target": [[[1.0, 0.0], [0.0, 1.0]]]}, {}, "none")))
    c.append(("target (C) broadcasts against input (N,C)",
              spec(f, {"input": X, "target": [1.0, 0.0, 1.0]}, {}, "none")))
    c.append(("targets outside [0,1]: -0.5, 1.5, 2", spec(f, {"input": X, "target": [[-0.5, 1.5, 2.0], [1.0, 0.0, -0.5]]},
                                                       {}, "sum")))
    c.append(("+-inf input: NaN loss even for 0/1 targets (0 * -inf), finite gradients",
              spec(f, {"input": [[INF, -INF, 0.5], [1.0, INF, -INF]], "target": [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]},
                   {}, "none")))
    c.append(("+-1e30 input", spec(f, {"input": [[1e30, -1e30, 2.0]], "target": [[0.0, 0.5, 1.0]]}, {}, "none")))
    c.append(("NaN input", spec(f, {"input": [[NAN, 1.0], [0.5, 0.5]], "target": [[1.0, 0.0], [0.0, 1.0]]}, {}, "none")))
    c.append(("large inputs +-40 float32", spec(f, {"input": [[40.0, -40.0, 20.0]], "target": [[1.0, 1.0, 0.0]]},
                                                {}, "mean", "float32")))
    c.append(("error: 0-D input", spec(f, {"input": 0.5, "target": 1.0},
                                       error="Dimension specified as -1 but tensor has no dimensions")))
    c.append(("error: weight of length 2 for C = 3", spec(f, {"input": X, "target": T01}, weight=[1.0, 2.0],
                                                          error="may")))
    c.append(("error: target (N,2) for input (N,3)", spec(f, {"input": X, "target": [[1.0, 0.0], [0.0, 1.0]]},
                                                          error="may")))
    return c


def hand_mlm():
    f = "multilabel_margin_loss"
    c = []
    doc_x, doc_y = [[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]]
    for red in ("mean", "sum", "none"):
        c.append(("torch's doc example (0.85) %s" % red, spec(f, {"input": doc_x, "target": doc_y}, {}, red)))
    c.append(("doc example float32", spec(f, {"input": doc_x, "target": doc_y}, {}, "mean", "float32")))
    c.append(("1-D (C)", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [3, 0, -1, 1]}, {}, "none")))
    X2 = [[0.1, 0.2, 0.4, 0.8], [0.3, 0.2, 0.1, 0.0]]
    c.append(("N = 2 mean", spec(f, {"input": X2, "target": [[3, 0, -1, 1], [1, -1, 0, 0]]}, {}, "mean")))
    c.append(("N = 2 none float32", spec(f, {"input": X2, "target": [[3, 0, -1, 1], [1, -1, 0, 0]]}, {}, "none",
                                         "float32")))
    c.append(("every class a target: loss 0", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [3, 0, 2, 1]}, {},
                                                    "none")))
    c.append(("-1 first: no targets, loss 0", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [-1, 0, 2, 1]}, {},
                                                    "none")))
    c.append(("a repeated class counts twice", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [3, 3, -1, 1]}, {},
                                                     "none")))
    c.append(("values after the -1 are ignored", spec(f, {"input": [[0.1, 0.2, 0.4, 0.8]] * 2,
                                                          "target": [[2, -1, 3, 0], [2, -1, -1, -1]]}, {}, "none")))
    c.append(("kink x[j] - x[i] == 1: no term, no gradient (strict >)",
              spec(f, {"input": [0.0, 1.0, 0.5], "target": [1, -1, 0]}, {}, "none")))
    c.append(("ties x[j] == x[i]: each term 1", spec(f, {"input": [0.5, 0.5, 0.5], "target": [0, -1, 0]}, {}, "sum")))
    c.append(("NaN terms skipped, inf term: loss inf",
              spec(f, {"input": [NAN, 0.2, 0.4, INF], "target": [1, -1, 0, 0]}, {}, "none")))
    c.append(("inf at the target class: every term -inf, skipped, loss 0",
              spec(f, {"input": [0.3, INF, 0.4, 0.1], "target": [1, -1, 0, 0]}, {}, "none")))
    c.append(("0-D input, target 0", spec(f, {"input": 0.5, "target": 0}, {}, "none")))
    c.append(("0-D input, target -1", spec(f, {"input": 0.5, "target": -1}, {}, "mean")))
    c.append(("C = 1 rows", spec(f, {"input": [[0.5], [1.0]], "target": [[0], [-1]]}, {}, "none")))
    c.append(("error: class 4 out of range for C = 4",
              spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [3, 4, -1, 1]}, error="'target' is out of range")))
    c.append(("error: -2 out of range", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [3, -2, 1, 1]},
                                             error="'target' is out of range")))
    c.append(("error: 7 after the -1 is still checked",
              spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [3, -1, 7, 1]}, error="'target' is out of range")))
    c.append(("error: 0-D input, target 1", spec(f, {"input": 0.5, "target": 1}, error="'target' is out of range")))
    c.append(("error: target (1,3) for input (1,4)", spec(f, {"input": doc_x, "target": [[3, 0, -1]]},
                                                          error="inconsistent size")))
    c.append(("error: target (4) for input (1,4)", spec(f, {"input": doc_x, "target": [3, 0, -1, 1]},
                                                        error="inconsistent size")))
    c.append(("error: target (1,4) for input (2,4)", spec(f, {"input": X2, "target": doc_y},
                                                          error="inconsistent size")))
    c.append(("error: 3-D input", spec(f, {"input": [[[0.5, 1.0]]], "target": [[[0, 1]]]},
                                       error="Expected non-empty vector or matrix with optional 0-dim batch size")))
    c.append(("error: fractional class index", spec(f, {"input": [0.1, 0.2], "target": [1.5, 0]},
                                                    error="losscalc: ")))
    return c


def hand_mm():
    f = "multi_margin_loss"
    X = [[0.1, 0.2, 0.4, 0.8], [0.5, 0.5, -1.0, 2.0]]
    Y = [3, 1]
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("p 1 %s" % red, spec(f, {"input": X, "target": Y}, {}, red)))
        c.append(("--p 2 %s" % red, spec(f, {"input": X, "target": Y}, {"p": 2}, red)))
    c.append(("--p 1 given", spec(f, {"input": X, "target": Y}, {"p": 1}, "mean", "float32")))
    c.append(("--p 2 float32", spec(f, {"input": X, "target": Y}, {"p": 2}, "none", "float32")))
    c.append(("weight p 1 (mean divides by N, not the weights)",
              spec(f, {"input": X, "target": Y}, {}, "mean", weight=[1.0, 2.0, 3.0, 4.0])))
    c.append(("weight p 2: w[y] times z^2", spec(f, {"input": X, "target": Y}, {"p": 2}, "none",
                                                 weight=[1.0, 2.0, 3.0, 4.0])))
    c.append(("weight with 0 and negative", spec(f, {"input": X, "target": Y}, {}, "none",
                                                 weight=[1.0, -2.0, 3.0, 0.0])))
    for m in (0.5, 0.0, -0.5, 2.0):
        c.append(("--margin %r" % m, spec(f, {"input": X, "target": Y}, {"margin": m}, "none")))
    c.append(("--margin 1.0 given", spec(f, {"input": X, "target": Y}, {"margin": 1.0}, "sum")))
    c.append(("1-D input, 0-D target: 0-D loss", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": 2}, {}, "none")))
    c.append(("1-D input, target (1): loss (1)", spec(f, {"input": [0.1, 0.2, 0.4, 0.8], "target": [2]}, {}, "none")))
    c.append(("(1,C) input, 0-D target", spec(f, {"input": [[0.1, 0.2]], "target": 1}, {}, "none")))
    c.append(("0-D input and target", spec(f, {"input": 0.5, "target": 0}, {}, "none")))
    c.append(("kink z == 0: no term, no gradient", spec(f, {"input": [0.0, 1.0, 0.5], "target": 1}, {}, "none")))
    c.append(("kink p 2", spec(f, {"input": [[0.0, 1.0, 0.5]], "target": [1]}, {"p": 2}, "sum")))
    c.append(("margin 0 tie: nothing", spec(f, {"input": [1.0, 1.0, 0.5], "target": 1}, {"margin": 0.0}, "none")))
    c.append(("float32 margin 0.1", spec(f, {"input": [[0.1, 0.0, 0.2]], "target": [1]}, {"margin": 0.1}, "none",
                                         "float32")))
    c.append(("NaN at the target class: every z NaN, skipped: loss 0; NaN elsewhere skipped; inf",
              spec(f, {"input": [[NAN, 0.2, 0.4, INF], [0.1, NAN, 0.0, 0.0]], "target": [1, 1]}, {}, "none")))
    c.append(("error: --p 3", spec(f, {"input": X, "target": Y}, {"p": 3}, error="only p == 1 and p == 2 supported")))
    c.append(("error: --p 0", spec(f, {"input": X, "target": Y}, {"p": 0}, error="only p == 1 and p == 2 supported")))
    c.append(("error: --p 1.5", spec(f, {"input": X, "target": Y}, {"p": 1.5},
                                     error="only p == 1 and p == 2 supported")))
    c.append(("error: target 4 for C = 4", spec(f, {"input": X, "target": [4, 1]}, error="target out of range")))
    c.append(("error: target -1", spec(f, {"input": X, "target": [-1, 1]}, error="target out of range")))
    c.append(("error: 3 targets for 2 rows", spec(f, {"input": X, "target": [1, 2, 3]},
                                                  error="inconsistent target size")))
    c.append(("error: target (2,1)", spec(f, {"input": X, "target": [[1], [2]]}, error="inconsistent target size")))
    c.append(("error: target (2) for 1-D input", spec(f, {"input": [0.5, 1.0], "target": [0, 1]},
                                                      error="inconsistent target size")))
    c.append(("error: 3-D input", spec(f, {"input": [X], "target": [[1, 2]]},
                                       error="Expected non-empty vector or matrix with optional 0-dim batch size")))
    c.append(("error: 2-D weight", spec(f, {"input": X, "target": Y}, weight=[[1.0, 2.0, 3.0, 4.0]],
                                        error="weight must be one-dimensional")))
    c.append(("error: fractional class index", spec(f, {"input": X, "target": [3.5, 1]}, error="losscalc: ")))
    return c


def hand_cosine():
    f = "cosine_embedding_loss"
    A = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    B = [[1.0, 2.0, 3.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("target 1, zero vectors %s" % red, spec(f, {"input1": A, "input2": B, "target": [1.0, 1.0, 1.0]},
                                                           {}, red)))
    c.append(("target -1, zero vector on the kink (cos 0 == margin 0)",
              spec(f, {"input1": A, "input2": B, "target": [-1.0, -1.0, -1.0]}, {}, "none")))
    c.append(("mixed targets float32", spec(f, {"input1": A, "input2": B, "target": [1.0, -1.0, 1.0]}, {}, "none",
                                            "float32")))
    c.append(("targets 0, 2, NaN: loss 0", spec(f, {"input1": A, "input2": B, "target": [0.0, 2.0, NAN]}, {}, "none")))
    c.append(("both zero: target 1 loss 1, gradients 0", spec(f, {"input1": [[0.0, 0.0]], "input2": [[0.0, 0.0]],
                                                                 "target": [1.0]}, {}, "none")))
    c.append(("both zero, target -1, margin -0.5", spec(f, {"input1": [[0.0, 0.0]], "input2": [[0.0, 0.0]],
                                                           "target": [-1.0]}, {"margin": -0.5}, "none")))
    c.append(("kink: orthogonal, target -1, margin 0 (gradient passes); parallel target -1",
              spec(f, {"input1": [[1.0, 0.0], [1.0, 1.0]], "input2": [[0.0, 1.0], [1.0, 1.0]],
                       "target": [-1.0, -1.0]}, {"margin": 0.0}, "none")))
    c.append(("identical vectors, target 1: 1 - cos = EPSILON / |x|^2",
              spec(f, {"input1": [[1.0, 0.0], [3.0, 4.0]], "input2": [[1.0, 0.0], [3.0, 4.0]],
                       "target": [1.0, 1.0]}, {}, "none")))
    for m in (0.5, -0.5, 1.0):
        c.append(("target -1 --margin %r" % m, spec(f, {"input1": A, "input2": B, "target": [-1.0, -1.0, -1.0]},
                                                     {"margin": m}, "mean")))
    c.append(("1-D inputs, 0-D target", spec(f, {"input1": [1.0, 2.0], "input2": [2.0, 1.0], "target": 1.0}, {},
                                             "none")))
    c.append(("1-D inputs, 0-D target -1 float32", spec(f, {"input1": [1.0, 2.0], "input2": [2.0, 1.0],
                                                           "target": -1.0}, {"margin": 0.1}, "mean", "float32")))
    c.append(("input2 (1,D) broadcasts", spec(f, {"input1": A, "input2": [[1.0, 1.0, 1.0]], "target": [1.0, -1.0, 1.0]},
                                              {}, "none")))
    c.append(("target (1) broadcasts", spec(f, {"input1": A, "input2": B, "target": [-1.0]}, {}, "none")))
    c.append(("input1 (1,D) broadcasts", spec(f, {"input1": [[1.0, 2.0]], "input2": [[0.0, 1.0], [2.0, 1.0]],
                                                  "target": [1.0, -1.0]}, {}, "sum")))
    c.append(("tiny vectors 1e-7: EPSILON dominates", spec(f, {"input1": [[1e-7, 0.0]], "input2": [[1e-7, 0.0]],
                                                              "target": [1.0]}, {}, "none")))
    c.append(("tiny vectors 1e-7 float32", spec(f, {"input1": [[1e-7, 0.0]], "input2": [[1e-7, 0.0]],
                                                   "target": [1.0]}, {}, "none", "float32")))
    c.append(("squares overflow (1e200): NaN", spec(f, {"input1": [[1e200, 1.0]], "input2": [[1e200, 1.0]],
                                                       "target": [1.0]}, {}, "none")))
    c.append(("inf: NaN", spec(f, {"input1": [[INF, 1.0], [1.0, 2.0]], "input2": [[1.0, 1.0], [2.0, 2.0]],
                                   "target": [1.0, 1.0]}, {}, "none")))
    c.append(("error: 1-D target with 1-D inputs", spec(f, {"input1": [1.0, 2.0], "input2": [2.0, 1.0],
                                                            "target": [1.0]},
                                                        error="1D target tensor expects 2D input tensors")))
    c.append(("error: 1-D target with 3-D inputs", spec(f, {"input1": [[[1.0, 2.0]]], "input2": [[[1.0, 2.0]]],
                                                            "target": [1.0]},
                                                        error="1D target tensor expects 2D input tensors")))
    c.append(("error: 0-D target with 2-D inputs", spec(f, {"input1": [[1.0, 2.0]], "input2": [[2.0, 1.0]],
                                                            "target": 1.0},
                                                        error="0D target tensor expects 1D input tensors")))
    c.append(("error: 2-D target", spec(f, {"input1": [[1.0, 2.0]], "input2": [[2.0, 1.0]], "target": [[1.0]]},
                                        error="0D or 1D target tensor expected, multi-target not supported")))
    c.append(("error: D 3 against 2", spec(f, {"input1": A, "input2": [[1.0, 1.0]] * 3, "target": [1.0, 1.0, 1.0]},
                                           error="may")))
    c.append(("error: N 3 against 2", spec(f, {"input1": A, "input2": [[1.0, 1.0, 1.0]] * 2, "target": [1.0, 1.0, 1.0]},
                                           error="may")))
    c.append(("error: 2 targets for 3 rows", spec(f, {"input1": A, "input2": B, "target": [1.0, -1.0]}, error="may")))
    return c


def hand_triplet():
    f = "triplet_margin_loss"
    A = [[1.0, 2.0], [0.0, 0.0], [1.0, 1.0]]
    P = [[1.0, 2.0], [0.0, 0.0], [1.5, 0.0]]
    N = [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    d = {"anchor": A, "positive": P, "negative": N}
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("p 2 default, zero differences (eps gives a direction) %s" % red, spec(f, d, {}, red)))
    for p in (1, 2, 3, 1.5):
        c.append(("--p %s" % fmt_p(p), spec(f, d, {"p": p}, "none")))
        c.append(("--p %s --eps 0 (zero difference: gradient 0)" % fmt_p(p), spec(f, d, {"p": p, "eps": 0.0}, "none")))
    c.append(("--p 1.5 float32", spec(f, d, {"p": 1.5}, "mean", "float32")))
    c.append(("--eps 1e-06 given, --eps 0.001", spec(f, d, {"eps": 1e-3}, "none")))
    c.append(("--eps 1e-06 given", spec(f, d, {"eps": 1e-6, "p": 2, "margin": 1.0}, "sum")))
    c.append(("--swap", spec(f, {"anchor": A, "positive": P, "negative": [[1.0, 2.0], [3.0, 3.0], [1.0, 1.0]]},
                             {"swap": True}, "none")))
    c.append(("--swap tie d(a,n) == d(p,n): the gradient halves",
              spec(f, {"anchor": [[0.0, 0.0]], "positive": [[2.0, 0.0]], "negative": [[1.0, 0.0]]},
                   {"swap": True, "margin": 2.0, "eps": 0.0}, "none")))
    c.append(("kink: margin + d_pos - d_neg == 0 (p 1, eps 0): gradient passes",
              spec(f, {"anchor": [[0.0, 0.0]], "positive": [[1.0, 0.0]], "negative": [[2.0, 0.0]]},
                   {"margin": 1.0, "eps": 0.0, "p": 1}, "none")))
    c.append(("kink p 2 (3-4-5)", spec(f, {"anchor": [[0.0, 0.0]], "positive": [[3.0, 4.0]], "negative": [[0.0, 6.0]]},
                                       {"margin": 1.0, "eps": 0.0}, "sum")))
    for m in (0.0, -0.5, 2.0):
        c.append(("--margin %r" % m, spec(f, d, {"margin": m}, "none")))
    c.append(("1-D", spec(f, {"anchor": [1.0, 2.0], "positive": [1.0, 3.0], "negative": [0.0, 0.0]}, {}, "none")))
    c.append(("0-D", spec(f, {"anchor": 1.0, "positive": 2.0, "negative": 3.5}, {}, "none")))
    c.append(("3-D: norm over the last dim", spec(f, {"anchor": [[[1.0, 2.0], [3.0, 4.0]]],
                                                      "positive": [[[1.0, 2.0], [3.0, 5.0]]],
                                                      "negative": [[[0.0, 2.0], [3.0, 4.0]]]}, {}, "none")))
    c.append(("positive (1,D) broadcasts", spec(f, {"anchor": A, "positive": [[1.0, 2.0]], "negative": N}, {}, "none")))
    c.append(("NaN and inf", spec(f, {"anchor": [[NAN, 1.0], [INF, 0.0]], "positive": [[1.0, 1.0], [0.0, 0.0]],
                                      "negative": [[0.0, 0.0], [1.0, 1.0]]}, {}, "none")))
    c.append(("float32 defaults", spec(f, d, {}, "none", "float32")))
    c.append(("error: 2-D, 1-D, 2-D", spec(f, {"anchor": A, "positive": [1.0, 2.0], "negative": N},
                                           error="All inputs should have same dimension")))
    c.append(("error: 2-D, 2-D, 3-D", spec(f, {"anchor": A, "positive": P, "negative": [N]},
                                           error="All inputs should have same dimension")))
    c.append(("error: D 2 against 3", spec(f, {"anchor": A, "positive": [[1.0, 2.0, 3.0]] * 3, "negative": N},
                                           error="may")))
    return c


def hand_twd():
    f = "triplet_margin_with_distance_loss"
    A = [[1.0, 2.0], [0.0, 0.0], [1.0, 1.0]]
    P = [[1.0, 2.0], [0.0, 0.0], [1.5, 0.0]]
    N = [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    d = {"anchor": A, "positive": P, "negative": N}
    cos = {"distance": "cosine"}
    c = []
    for red in ("mean", "sum", "none"):
        c.append(("pairwise default %s" % red, spec(f, d, {}, red)))
        c.append(("cosine, zero vectors (distance 1) %s" % red, spec(f, d, cos, red)))
    c.append(("--distance-function pairwise given", spec(f, d, {"distance": "pairwise"}, "none")))
    c.append(("pairwise --swap", spec(f, {"anchor": A, "positive": P, "negative": [[1.0, 2.0], [3.0, 3.0], [1.0, 1.0]]},
                                      {"swap": True}, "none")))
    c.append(("cosine --swap", spec(f, {"anchor": A, "positive": P, "negative": [[1.0, 2.0], [3.0, 3.0], [1.0, 1.0]]},
                                    {"distance": "cosine", "swap": True}, "none")))
    c.append(("cosine --swap tie: the gradient halves",
              spec(f, {"anchor": [[1.0, 0.0]], "positive": [[0.0, 1.0]], "negative": [[1.0, 1.0]]},
                   {"distance": "cosine", "swap": True}, "none")))
    c.append(("cosine kink: d_pos - d_neg + margin == 0", spec(f, {"anchor": [[1.0, 0.0]], "positive": [[1.0, 0.0]],
                                                                   "negative": [[0.0, 1.0]]}, cos, "none")))
    c.append(("cosine 3-D (N,D,K): along dim 1, not the last", spec(f, {"anchor": [[[1.0, 2.0], [3.0, 4.0]]],
                                                                      "positive": [[[1.0, 2.0], [3.0, 5.0]]],
                                                                      "negative": [[[0.0, 2.0], [3.0, 4.0]]]},
                                                                  cos, "none")))
    c.append(("pairwise 3-D: along the last dim", spec(f, {"anchor": [[[1.0, 2.0], [3.0, 4.0]]],
                                                           "positive": [[[1.0, 2.0], [3.0, 5.0]]],
                                                           "negative": [[[0.0, 2.0], [3.0, 4.0]]]}, {}, "none")))
    c.append(("cosine tiny vectors 1e-9: norms clamped at 1e-8, gradient through the norm",
              spec(f, {"anchor": [[1e-9, 0.0]], "positive": [[1e-9, 1e-9]], "negative": [[0.0, 1e-9]]}, cos, "none")))
    c.append(("cosine tiny vectors float32", spec(f, {"anchor": [[1e-9, 0.0]], "positive": [[1e-9, 1e-9]],
                                                     "negative": [[0.0, 1e-9]]}, cos, "none", "float32")))
    c.append(("cosine 1e200 (norm overflows: cosine 0)", spec(f, {"anchor": [[1e200, 1.0]], "positive": [[1e200, 1e200]],
                                                                  "negative": [[0.0, 1e200]]}, cos, "none")))
    c.append(("cosine inf: NaN", spec(f, {"anchor": [[INF, 1.0]], "positive": [[1.0, 1.0]], "negative": [[0.0, 1.0]]},
                                      cos, "none")))
    c.append(("pairwise 1-D", spec(f, {"anchor": [1.0, 2.0], "positive": [2.0, 1.0], "negative": [0.0, 1.0]}, {},
                                   "none")))
    c.append(("pairwise 0-D", spec(f, {"anchor": 1.0, "positive": 2.0, "negative": 0.0}, {}, "none")))
    c.append(("pairwise 2-D, 1-D, 2-D broadcasts (no dims check, unlike triplet_margin_loss)",
              spec(f, {"anchor": A, "positive": [1.0, 2.0], "negative": N}, {}, "none")))
    c.append(("cosine 2-D, 1-D, 2-D broadcasts", spec(f, {"anchor": A, "positive": [1.0, 2.0], "negative": N}, cos,
                                                      "none")))
    for m in (0.0, -0.5, 2.0):
        c.append(("cosine --margin %r" % m, spec(f, d, {"distance": "cosine", "margin": m}, "mean")))
    c.append(("pairwise float32", spec(f, d, {}, "none", "float32")))
    c.append(("cosine float32 --margin 0.5", spec(f, {"anchor": A, "positive": P,
                                                      "negative": [[1.0, 2.0], [3.0, 3.0], [1.0, 1.0]]},
                                                  {"distance": "cosine", "margin": 0.5}, "sum", "float32")))
    c.append(("error: cosine of 1-D inputs (cosine_similarity's dim 1)",
              spec(f, {"anchor": [1.0, 2.0], "positive": [2.0, 1.0], "negative": [0.0, 1.0]}, cos,
                   error="Dimension out of range (expected to be in range of [-1, 0], but got 1)")))
    c.append(("error: pairwise D 2 against 3", spec(f, {"anchor": A, "positive": [[1.0, 2.0, 3.0]] * 3, "negative": N},
                                                    error="may")))
    c.append(("error: cosine D 2 against 3", spec(f, {"anchor": A, "positive": [[1.0, 2.0, 3.0]] * 3, "negative": N},
                                                  cos, error="may")))
    return c


HAND = {
    "hinge_embedding_loss": hand_hinge,
    "soft_margin_loss": hand_soft,
    "multilabel_soft_margin_loss": hand_mlsm,
    "multilabel_margin_loss": hand_mlm,
    "multi_margin_loss": hand_mm,
    "cosine_embedding_loss": hand_cosine,
    "triplet_margin_loss": hand_triplet,
    "triplet_margin_with_distance_loss": hand_twd,
}


def seeded_cases():
    """Per function: the hand-picked cases, then random ones."""
    cases = []
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    for f in FUNCS:
        for label, s in HAND[f]():
            cases.append(build_case("%s %s" % (f, label), s))
        for i in range(RANDOM_PER_FUNCTION):
            cases.append(make_case(rng, "random %d" % i, f))
    names = [c["name"] for c in cases]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SystemExit("duplicate case names: %s" % dup)
    return cases


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, GENERATOR)
