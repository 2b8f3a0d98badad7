#!/usr/bin/python3
"""Differential test: run losscalc on random cases and compare with PyTorch.

Usage (from the repository root; needs PyTorch 1.13, so /usr/bin/python3):

    /usr/bin/python3 tests/torch/differential.py --binary build/losscalc [--cases 300] [--seed 0]

Each case draws a family, then a function of it:

  * softmax family (about 62% of the cases, with its own weights as before):
    cross_entropy, nll_loss, softmax, log_softmax. A shape ((C), (N,C),
    (N,C,d1), (N,C,d1,d2); sometimes C=1 or N=1), a class dim (sometimes not
    1, given as --dim with a positive or negative value), a dtype, data
    (occasionally with +-1e4, +-1e300 (float64 only), +-inf or NaN) and, for
    the losses, a target (class indices, sometimes with ignored positions, or
    for cross_entropy probabilities: normalized, rows not summing to 1, or
    with negative values), weights, ignore_index, label_smoothing and a
    reduction. A few cases get a target out of range and must fail with
    status 1, nothing on stdout and torch's "Target N is out of bounds." on
    stderr.
  * binary family (about 30%): binary_cross_entropy,
    binary_cross_entropy_with_logits, sigmoid (torch semantics). Shape (N),
    (N,C) or (N,C,d) (sometimes a (16..40, C) batch), dtype, reduction, a
    --weight of a shape that broadcasts to the input's (a scalar, (1), the
    last dim, (N,1), (C,1), the full shape...; sometimes with zeros or
    negative values), for with_logits a --pos-weight the same way, binary,
    soft, out-of-[0,1] or non-finite targets, and extreme values: probabilities
    exactly 0 and 1, 1e-300, 1 - 1e-16, denormals, values whose validity
    depends on the dtype (1.00000001, -1e-300: float32 rounds them into
    [0,1]); logits +-100, +-1e4, +-1e30, +-inf, NaN. A few cases are invalid
    on purpose: a binary_cross_entropy probability outside [0,1] (or NaN,
    which torch rejects too), a target of another shape, a weight or
    pos_weight that does not broadcast; torch raises, and losscalc must exit
    with status 1 and nothing on stdout ("between 0 and 1" on stderr for
    the first kind).
  * tf.nn / Keras (about 8%): the emulation of gen_reference_binary.py
    (sigmoid_ / weighted_ / softmax_ / sparse_softmax_cross_entropy_with_logits,
    categorical_ / sparse_categorical_ / binary_crossentropy), with --axis,
    --from-logits, --label-smoothing, --epsilon, --ignore-index (Keras's
    ignore_class), --pos-weight and the Keras reductions; a few sparse labels
    out of range must fail with status 1.

These run with the data inline as JSON and --json; the output is compared
with torch's (evaluate() in gen_reference.py, or in gen_reference_binary.py
for the binary family and tf.nn / Keras) by the rule of the reference tests:
two numbers match when both are the same non-finite string ("NaN",
"Infinity", "-Infinity") or |got - want| <= atol + rtol*|want|, with
rtol/atol 1e-12 (float64) and 2e-6/1e-6 (float32), atol widened only where
cancellation requires it (tolerances() in gen_reference.py or
gen_reference_binary.py, capped by their atol_cap()). For a reduced loss
the exact reduction (math.fsum) of torch's own per-element losses counts as
one more correct formulation, since losscalc's sums are exact: where the
losses cancel (nll_loss picking +-1e300, negative weights) torch's rounded
sum may be far from it, and the atol of "loss" widens the same way
(loss_tolerance() here; not for the Keras functions).

Streamed mode: 5% of the cross_entropy draws instead run through the row
data path, and 1% through JSON Lines: (N, C) logits with N in 1..40000
(sometimes N*C right at the 131072-value block size, sometimes far beyond
it, sometimes a handful of rows) and C in 2..50, class-index targets, maybe
--weight, --label-smoothing, --ignore-index (some rows ignored, never all),
-r sum / mean / none, rarely a -inf, +inf or NaN logit. The rows are
written to a temporary file: CSV with a header and a "label" column (mostly
last, sometimes first or in the middle; the numbers mostly repr(), sometimes
%.17g, %.17e, %.3E or fixed point, sometimes CRLF line ends) run as
`losscalc cross_entropy -q --target-column label FILE`, or JSON Lines
({"input": [...], "target": k} per line, sometimes with the keys the other
way round) run as `losscalc cross_entropy -q FILE`; each also with `-`,
the file on standard input (redirected, or written into a pipe). The
values are parsed back from the file's text and given to torch's
F.cross_entropy; each printed loss (one number, or one per row for -r none)
must match with rtol 1e-12, atol 1e-12, and the file and standard-input
runs must print the same text. A failing case's data file is kept in the
temporary directory and its path printed.

With --reference FILE it runs the fixed cases of reference_cases.json (or
binary_reference_cases.json) instead (by the same rule, with each case's own
rtol/atol), without the C++ test.

Prints each failure, then one line "N passed, M failed". Exit status: 0 if
all passed, 1 if any failed, 77 if torch cannot be imported (ctest's
SKIP_RETURN_CODE), 2 for a usage error.
"""

import argparse
import json
import math
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
MAX_SHOWN = 400  # characters of args / values shown per failure

# Share of the draws per family; the rest is the softmax family.
P_BINARY = 0.30
P_TFKERAS = 0.08
# Share of the cross_entropy draws that run streamed (CSV, then JSON Lines).
P_STREAM_CSV = 0.05
P_STREAM_JSONL = 0.01
BLOCK_VALUES = 131072  # values per streamed block (man page, STREAMING AND ROW DATA)
STREAM_TOL = (1e-12, 1e-12)  # (rtol, atol), float64

BINARY_TORCH = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "sigmoid")
TFKERAS = ("sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True, help="path to the losscalc executable")
    ap.add_argument("--cases", type=int, default=300, help="number of random cases (default 300)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    ap.add_argument("--reference", metavar="JSON",
                    help="instead of random cases, run the cases of a reference file "
                         "(tests/torch/reference_cases.json) with the same rule")
    return ap.parse_args()


def is_binary_family(spec):
    return spec["func"] in BINARY_TORCH or spec["func"] in TFKERAS


# ----------------------------------------------------------------------------
# random cases: softmax family


def random_values(rng, shape, dtype, ref):
    scale = rng.choice((0.5, 2.0, 2.0, 8.0))
    digits = 4 if dtype == "float32" and rng.random() < 0.7 else (3 if rng.random() < 0.2 else None)
    n = ref.numel(shape)
    flat = [rng.gauss(0.0, scale) for _ in range(n)]
    if digits is not None:
        flat = [round(v, digits) for v in flat]
    if rng.random() < 0.12:  # occasional extreme values
        pool = [1e4, -1e4, ref.INF, -ref.INF, ref.NAN]
        if dtype == "float64":
            pool += [1e300, -1e300]
        for _ in range(rng.randint(1, max(1, n // 3))):
            flat[rng.randrange(n)] = rng.choice(pool)
    return ref.nest(flat, shape)


def random_shape(rng):
    """(shape, class position, --dim value or None)."""
    nd = rng.choices((1, 2, 3, 4), weights=(2, 5, 2, 1))[0]
    C = rng.choices((1, 2, 3, 4, 5, 7), weights=(1, 3, 3, 3, 2, 1))[0]
    if nd == 1:
        return (C,), 0, (rng.choice((0, -1)) if rng.random() < 0.2 else None)
    others = [rng.randint(1, 4)] + [rng.randint(1, 3) for _ in range(nd - 2)]
    if rng.random() < 0.25:
        pos = rng.randrange(nd)
        dim = pos if rng.random() < 0.5 else pos - nd
    else:
        pos = 1
        dim = rng.choice((1, -nd + 1)) if rng.random() < 0.1 else None
    shape = others[:pos] + [C] + others[pos:]
    return tuple(shape), pos, dim


def random_softmax_spec(rng, ref):
    """A random case of the softmax family (or, for a few cross_entropy draws,
    a streamed case); the second value is True when the case is made invalid
    on purpose (a target out of range)."""
    func = rng.choices(("cross_entropy", "nll_loss", "softmax", "log_softmax"), weights=(45, 25, 15, 15))[0]
    if func == "cross_entropy":
        u = rng.random()
        if u < P_STREAM_CSV + P_STREAM_JSONL:
            return random_stream_spec(rng, "csv" if u < P_STREAM_CSV else "jsonl"), False
    dtype = rng.choice(("float64", "float32"))
    shape, pos, dim = random_shape(rng)
    spec = {"func": func, "dtype": dtype, "dim": dim, "x": random_values(rng, shape, dtype, ref)}
    if func in ref.ACTIVATIONS:
        return spec, False
    C = shape[pos]
    spec["reduction"] = rng.choice((None, "mean", "sum", "none"))
    if rng.random() < 0.3:
        spec["weight"] = ref.rand_weight(rng, C)
    if func == "cross_entropy" and rng.random() < 0.3:
        spec["label_smoothing"] = rng.choice((0.1, 0.25, 0.5, 1.0, round(rng.random(), 3)))
    if func == "cross_entropy" and rng.random() < 0.3:
        kind = rng.choice(("normalized", "normalized", "unnormalized", "negative"))
        spec["target"] = ref.rand_prob(rng, shape, pos, kind)
        if rng.random() < 0.3:
            spec["target_type"] = "prob"
        return spec, False
    tshape = tuple(s for i, s in enumerate(shape) if i != pos)
    ignore, p_ignore = None, 0.0
    if rng.random() < 0.25:
        choice = rng.choice(("default", "explicit", "class", "minus1"))
        ignore = {"default": -100, "explicit": -100, "class": rng.randrange(C), "minus1": -1}[choice]
        if choice != "default":
            spec["ignore_index"] = ignore
        p_ignore = 1.0 if rng.random() < 0.1 else 0.35
    target = ref.rand_index(rng, tshape, C, ignore, p_ignore)
    if rng.random() < 0.2:
        spec["target_type"] = "index"
    invalid = rng.random() < 0.06
    if invalid:
        ii = spec.get("ignore_index", -100)
        bad = rng.choice([C, C + 3] + ([-1] if ii != -1 else []))
        target = with_bad_label(rng, ref, target, bad, tshape)
    spec["target"] = target
    return spec, invalid


def with_bad_label(rng, ref, target, bad, tshape):
    """The target (a label or nested labels of shape tshape) with one label,
    drawn at random, replaced by `bad`."""
    if isinstance(target, list):
        flat = list(ref.leaves(target))
        flat[rng.randrange(len(flat))] = bad
        return ref.nest(flat, tshape)
    return bad


def random_spec(rng, ref):
    """A random case spec of any family; the second value is True when the case
    is made invalid on purpose (torch must raise)."""
    u = rng.random()
    if u < P_BINARY:
        return random_binary_spec(rng, ref)
    if u < P_BINARY + P_TFKERAS:
        return random_tfkeras_spec(rng, ref)
    return random_softmax_spec(rng, ref)


# ----------------------------------------------------------------------------
# random cases: binary family (torch)

INF = float("inf")
NAN = float("nan")


def random_binary_shape(rng):
    if rng.random() < 0.05:
        return (rng.randint(16, 40), rng.randint(2, 6))
    nd = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
    if nd == 1:
        return (rng.randint(1, 6),)
    if nd == 2:
        return (rng.randint(1, 4), rng.randint(1, 5))
    return (rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 3))


def broadcast_shape(rng, shape):
    """A shape that broadcasts to `shape` (never larger): some trailing dims,
    each either kept or 1; () is a scalar."""
    k = rng.randint(0, len(shape))
    return tuple(s if rng.random() < 0.6 else 1 for s in shape[len(shape) - k:])


def random_factor(rng, ref, shape, lo, hi, odd=0.1):
    """A weight / pos_weight of the given shape (a bare number for ())."""
    flat = [round(rng.uniform(lo, hi), 3) for _ in range(max(1, ref.numel(shape)))]
    if rng.random() < odd:  # zeros and negatives
        for _ in range(rng.randint(1, len(flat))):
            flat[rng.randrange(len(flat))] = rng.choice((0.0, -0.5, -1.5, 0))
    return flat[0] if shape == () else ref.nest(flat, shape)


def digits_for(rng, dtype):
    if dtype == "float32" and rng.random() < 0.7:
        return 4
    return 3 if rng.random() < 0.2 else None


def random_probs(rng, ref, shape, dtype):
    n = ref.numel(shape)
    digits = digits_for(rng, dtype)
    flat = [rng.random() for _ in range(n)]
    if digits is not None:
        flat = [round(v, digits) for v in flat]
    if rng.random() < 0.25:  # exact 0 and 1, tiny, nearly 1, dtype-dependent edges
        pool = [0.0, 1.0, 0.0, 1.0, 1e-13, 1e-30, 1e-45, 1 - 1e-7, 0.99999994, -0.0]
        if dtype == "float64":
            pool += [1e-300, 5e-324, 1 - 1e-16, 1 - 2 ** -53]
        else:
            pool += [1.00000001, -1e-300, 1e-300]  # float32 rounds them into [0, 1]
        for _ in range(rng.randint(1, max(1, n // 2))):
            flat[rng.randrange(n)] = rng.choice(pool)
    return ref.nest(flat, shape)


def random_logits(rng, ref, shape, dtype, p_extreme=0.15):
    n = ref.numel(shape)
    scale = rng.choice((0.5, 2.0, 2.0, 8.0))
    digits = digits_for(rng, dtype)
    flat = [rng.gauss(0.0, scale) for _ in range(n)]
    if digits is not None:
        flat = [round(v, digits) for v in flat]
    if rng.random() < p_extreme:
        pool = [100.0, -100.0, 1e4, -1e4, 36.7, -36.7, 0.0, INF, -INF, NAN]
        if dtype == "float64":
            pool += [1e30, -1e30, 1e300, -1e300, -745.2, 710.0, 1e-300]
        else:
            pool += [88.7, -88.7, -104.0, 17.0, 1e-30]
        for _ in range(rng.randint(1, max(1, n // 3))):
            flat[rng.randrange(n)] = rng.choice(pool)
    return ref.nest(flat, shape)


def random_binary_target(rng, ref, shape, kinds=("binary", "soft", "outside", "nonfinite"),
                         weights=(50, 38, 8, 4)):
    n = ref.numel(shape)
    kind = rng.choices(kinds, weights=weights)[0]
    if kind == "binary":
        flat = [rng.randrange(2) for _ in range(n)]
    elif kind == "soft":
        flat = [round(rng.random(), 3) for _ in range(n)]
    elif kind == "outside":  # torch 1.13 accepts targets outside [0, 1]
        flat = [rng.choice((1.5, -0.5, 2, -1, round(rng.uniform(-2, 3), 2))) for _ in range(n)]
    else:
        flat = [rng.randrange(2) for _ in range(n)]
        for _ in range(rng.randint(1, max(1, n // 3))):
            flat[rng.randrange(n)] = rng.choice((NAN, INF, -INF))
    return ref.nest(flat, shape)


def random_binary_spec(rng, ref):
    func = rng.choices(BINARY_TORCH, weights=(40, 40, 20))[0]
    dtype = rng.choice(("float64", "float32"))
    shape = random_binary_shape(rng)
    if func == "sigmoid":
        return {"func": func, "dtype": dtype, "x": random_logits(rng, ref, shape, dtype, 0.2)}, False
    spec = {"func": func, "dtype": dtype}
    if func == "binary_cross_entropy":
        spec["x"] = random_probs(rng, ref, shape, dtype)
    else:
        spec["x"] = random_logits(rng, ref, shape, dtype)
    spec["target"] = random_binary_target(rng, ref, shape)
    spec["reduction"] = rng.choice((None, "mean", "sum", "none"))
    if rng.random() < 0.35:
        spec["weight"] = random_factor(rng, ref, broadcast_shape(rng, shape), 0.1, 3.0)
    if func == "binary_cross_entropy_with_logits" and rng.random() < 0.35:
        spec["pos_weight"] = random_factor(rng, ref, broadcast_shape(rng, shape), 0.2, 5.0)
    invalid = rng.random() < 0.08
    if invalid:
        kinds = ["target shape"]
        if shape[-1] >= 2:
            kinds.append("weight shape")
            if func == "binary_cross_entropy_with_logits":
                kinds.append("pos_weight shape")
        if func == "binary_cross_entropy":
            kinds += ["probability"] * 4
        kind = rng.choice(kinds)
        bad_shape = shape[:-1] + (shape[-1] + 1,)
        if kind == "probability":
            flat = list(ref.leaves(spec["x"]))
            pool = [1.5, -0.1, NAN, 2.0, -1.0, INF, -INF, 1.0000001]
            if dtype == "float64":
                pool += [1 + 2 ** -52, -1e-300]
            flat[rng.randrange(len(flat))] = rng.choice(pool)
            spec["x"] = ref.nest(flat, shape)
        elif kind == "target shape":
            spec["target"] = random_binary_target(rng, ref, bad_shape, ("binary",), (1,))
        elif kind == "weight shape":
            spec["weight"] = random_factor(rng, ref, bad_shape[-1:], 0.1, 3.0, odd=0)
        else:
            spec["pos_weight"] = random_factor(rng, ref, bad_shape[-1:], 0.2, 5.0, odd=0)
    return spec, invalid


# ----------------------------------------------------------------------------
# random cases: tf.nn / Keras (the emulation of gen_reference_binary.py)


def random_class_shape(rng):
    nd = rng.choices((1, 2, 3), weights=(2, 6, 2))[0]
    C = rng.choices((1, 2, 3, 4, 5), weights=(1, 3, 3, 3, 2))[0]
    if nd == 1:
        return (C,)
    if nd == 2:
        return (rng.randint(1, 5), C)
    return (rng.randint(1, 3), rng.randint(1, 3), C)


def random_dist(rng, ref, shape, axis, dtype):
    """Rows along axis that sum to 1 (float32: 4 digits, so only nearly)."""
    import torch
    t = torch.softmax(torch.tensor(random_logits(rng, ref, shape, "float64", 0), dtype=torch.float64), axis)
    flat = t.flatten().tolist()
    if dtype == "float32" and rng.random() < 0.7:
        flat = [round(v, 4) for v in flat]
    return ref.nest(flat, shape)


def random_onehot(rng, ref, shape):
    C = shape[-1]
    flat = []
    for _ in range(ref.numel(shape) // C):
        k = rng.randrange(C)
        flat += [1 if j == k else 0 for j in range(C)]
    return ref.nest(flat, shape)


def random_labels(rng, ref, shape, C):
    if not shape:
        return rng.randrange(C)
    return ref.nest([rng.randrange(C) for _ in range(ref.numel(shape))], shape)


def random_axis(rng, spec, nd, p):
    """With probability p (and nd > 1), a class axis drawn from all axes, as a
    positive or negative index, set as spec["dim"]; else None (the last)."""
    if nd > 1 and rng.random() < p:
        a = rng.randrange(nd)
        spec["dim"] = a if rng.random() < 0.5 else a - nd
        return spec["dim"]
    return None


def random_tfkeras_spec(rng, ref):
    func = rng.choice(TFKERAS)
    dtype = rng.choice(("float64", "float32"))
    shape = random_class_shape(rng)
    nd = len(shape)
    spec = {"func": func, "dtype": dtype}
    keras = func in ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy")
    if keras:
        spec["reduction"] = rng.choice((None, "sum_over_batch_size", "mean", "sum", "none"))
    else:
        spec["reduction"] = rng.choice((None, "mean", "sum", "none"))
    invalid = False
    if func in ("sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits"):
        spec["x"] = random_logits(rng, ref, shape, dtype)
        spec["target"] = random_binary_target(rng, ref, shape, ("binary", "soft"), (1, 1))
        if func == "weighted_cross_entropy_with_logits":
            spec["pos_weight"] = random_factor(rng, ref, rng.choice(((), (shape[-1],))), 0.2, 5.0, odd=0)
    elif func == "softmax_cross_entropy_with_logits":
        axis = random_axis(rng, spec, nd, 0.3)
        if axis is not None:
            spec["dim_flag"] = rng.choice(("--axis", "--dim"))
        spec["x"] = random_logits(rng, ref, shape, dtype, 0.1)
        a = (-1 if axis is None else axis) % nd
        spec["target"] = random_dist(rng, ref, shape, a, dtype) if axis is not None or rng.random() < 0.7 \
            else random_onehot(rng, ref, shape)
    elif func == "sparse_softmax_cross_entropy_with_logits":
        spec["x"] = random_logits(rng, ref, shape, dtype, 0.1)
        spec["target"] = random_labels(rng, ref, shape[:-1], shape[-1])
        if rng.random() < 0.06:
            invalid = True
            bad = rng.choice((shape[-1], -1, shape[-1] + 2))
            spec["target"] = with_bad_label(rng, ref, spec["target"], bad, shape[:-1])
    elif func == "categorical_crossentropy":
        axis = random_axis(rng, spec, nd, 0.2)
        a = (-1 if axis is None else axis) % nd
        spec["from_logits"] = rng.random() < 0.4
        if spec["from_logits"]:
            spec["x"] = random_logits(rng, ref, shape, dtype, 0.1)
        elif rng.random() < 0.75:
            spec["x"] = random_dist(rng, ref, shape, a, dtype)
        else:  # rows not summing to 1, some exact zeros: renormalised, clipped
            spec["x"] = random_probs(rng, ref, shape, dtype)
        spec["target"] = random_onehot(rng, ref, shape) if axis is None and rng.random() < 0.5 \
            else random_dist(rng, ref, shape, a, dtype)
        if rng.random() < 0.25:
            spec["label_smoothing"] = rng.choice((0.1, 0.2, 0.25, round(rng.random(), 2)))
        if not spec["from_logits"] and rng.random() < 0.2:
            spec["epsilon"] = rng.choice((1e-3, 1e-12, 1e-15))
    elif func == "sparse_categorical_crossentropy":
        C = shape[-1]
        spec["from_logits"] = rng.random() < 0.4
        spec["x"] = random_logits(rng, ref, shape, dtype, 0.1) if spec["from_logits"] \
            else random_dist(rng, ref, shape, nd - 1, dtype)
        spec["target"] = random_labels(rng, ref, shape[:-1], C)
        if nd > 1 and rng.random() < 0.25:
            ii = rng.choice((-1, 255, rng.randrange(C)))
            spec["ignore_index"] = ii
            flat = list(ref.leaves(spec["target"]))
            for _ in range(rng.randint(0, len(flat))):
                flat[rng.randrange(len(flat))] = ii
            spec["target"] = ref.nest(flat, shape[:-1])
        elif not spec["from_logits"] and rng.random() < 0.2:
            spec["epsilon"] = rng.choice((1e-3, 1e-12))
        if rng.random() < 0.06:
            invalid = True
            bad = rng.choice((C, C + 2, -2))
            spec["target"] = with_bad_label(rng, ref, spec["target"], bad, shape[:-1])
    else:  # binary_crossentropy
        if nd > 1 and rng.random() < 0.15:
            spec["dim"] = rng.randrange(nd - 1)
        spec["from_logits"] = rng.random() < 0.4
        spec["x"] = random_logits(rng, ref, shape, dtype) if spec["from_logits"] \
            else random_probs(rng, ref, shape, dtype)
        if not spec["from_logits"]:
            # only values in [0, 1] here (Keras clips, it does not check)
            flat = [min(1.0, max(0.0, v)) for v in ref.leaves(spec["x"])]
            spec["x"] = ref.nest(flat, shape)
            if rng.random() < 0.2:
                spec["epsilon"] = rng.choice((1e-3, 1e-12, 1e-15))
        spec["target"] = random_binary_target(rng, ref, shape, ("binary", "soft"), (1, 1))
        if rng.random() < 0.25:
            spec["label_smoothing"] = rng.choice((0.1, 0.2, 0.3, round(rng.random(), 2)))
    return spec, invalid


# ----------------------------------------------------------------------------
# random cases: streamed cross_entropy


def random_stream_spec(rng, mode):
    """A streamed cross_entropy case. The data are drawn when the case runs,
    from data_seed, so drawing the spec is cheap."""
    C = rng.randint(2, 50)
    u = rng.random()
    if u < 0.25:  # right at the block size: N*C (or N*(C+1)) around 131072
        per_row = C + rng.choice((0, 1))
        N = -(-BLOCK_VALUES // per_row) + rng.randint(-2, 2)
    elif u < 0.45:  # a handful of rows (read whole)
        N = rng.randint(1, 40)
    else:  # log-uniform in [1, 40000]: sometimes far beyond one block
        N = int(round(math.exp(rng.uniform(0.0, math.log(40000)))))
    N = max(1, min(40000, N))
    spec = {"func": "cross_entropy", "mode": mode, "dtype": "float64", "N": N, "C": C,
            "data_seed": rng.getrandbits(64),
            "scale": rng.choice((1e-6, 0.5, 2.0, 2.0, 8.0, 30.0)),
            "reduction": rng.choices((None, "mean", "sum", "none"), weights=(40, 15, 30, 15))[0]}
    if rng.random() < 0.25:
        spec["weight"] = [round(rng.uniform(0.2, 3.0), 3) for _ in range(C)]
    if rng.random() < 0.25:
        spec["label_smoothing"] = rng.choice((0.1, 0.25, 0.5, 1.0, round(rng.random(), 3)))
    if rng.random() < 0.15:
        choice = rng.choice(("default", "class", "minus1"))
        spec["ignore"] = {"default": -100, "class": rng.randrange(C), "minus1": -1}[choice]
        if choice != "default":
            spec["ignore_index"] = spec["ignore"]
    if rng.random() < 0.04:
        spec["nonfinite"] = True
    spec["stdin_pipe"] = rng.random() < 0.5  # else the file itself is standard input
    if mode == "csv":
        spec["label_pos"] = rng.choices(("last", "first", "middle"), weights=(70, 15, 15))[0]
        spec["number_format"] = rng.choices(("repr", "%.17g", "%.17e", "%.3E", "fixed"),
                                            weights=(70, 10, 5, 5, 10))[0]
        spec["crlf"] = rng.random() < 0.1
    else:
        spec["target_first"] = rng.random() < 0.2
        spec["compact"] = rng.random() < 0.5
    return spec


def stream_data(spec):
    """(rows of logits, labels) of a streamed case, drawn from its data_seed."""
    rng = random.Random(spec["data_seed"])
    N, C, scale = spec["N"], spec["C"], spec["scale"]
    rows = [[rng.gauss(0.0, scale) for _ in range(C)] for _ in range(N)]
    labels = [rng.randrange(C) for _ in range(N)]
    if "ignore" in spec:
        picks = [i for i in range(N) if rng.random() < 0.2]
        if len(picks) == N:  # never every row
            picks = picks[1:]
        for i in picks:
            labels[i] = spec["ignore"]
    if spec.get("nonfinite"):
        for _ in range(rng.randint(1, 3)):
            rows[rng.randrange(N)][rng.randrange(C)] = rng.choice((-INF, -INF, INF, NAN))
    return rows, labels


def format_number(v, fmt, fixed_digits):
    if fmt == "repr" or not math.isfinite(v):
        return repr(v)
    if fmt == "fixed":
        return "%.*f" % (fixed_digits, v)
    return fmt % v


def write_stream_file(spec, path):
    """Writes the case's data file; returns its lines (without line ends)."""
    rows, labels = stream_data(spec)
    C = spec["C"]
    lines = []
    if spec["mode"] == "csv":
        pos = {"last": C, "first": 0}.get(spec["label_pos"])
        if pos is None:
            pos = random.Random(spec["data_seed"] + 1).randint(1, C - 1)
        fmt = spec["number_format"]
        fixed_digits = random.Random(spec["data_seed"] + 2).randint(1, 9)
        header = ["x%d" % j for j in range(C)]
        header.insert(pos, "label")
        lines.append(",".join(header))
        for row, label in zip(rows, labels):
            cells = [format_number(v, fmt, fixed_digits) for v in row]
            cells.insert(pos, str(label))
            lines.append(",".join(cells))
        eol = "\r\n" if spec["crlf"] else "\n"
    else:
        sep = (",", ":") if spec["compact"] else (", ", ": ")
        for row, label in zip(rows, labels):
            obj = {"target": label, "input": row} if spec["target_first"] else {"input": row, "target": label}
            lines.append(json.dumps(obj, separators=sep, allow_nan=True))
        eol = "\n"
    with open(path, "w", newline="") as f:
        f.write(eol.join(lines) + eol)
    return lines


def parse_stream_lines(spec, lines):
    """The values exactly as written: (rows, labels)."""
    rows, labels = [], []
    if spec["mode"] == "csv":
        header = lines[0].split(",")
        pos = header.index("label")
        for line in lines[1:]:
            cells = line.split(",")
            labels.append(int(cells.pop(pos)))
            rows.append([float(c) for c in cells])
    else:
        for line in lines:
            obj = json.loads(line)
            labels.append(obj["target"])
            rows.append([float(v) for v in obj["input"]])
    return rows, labels


def stream_args(spec, source):
    a = ["cross_entropy", "-q"]
    if spec["mode"] == "csv":
        a += ["--target-column", "label"]
    if spec.get("reduction") is not None:
        a += ["-r", spec["reduction"]]
    if spec.get("weight") is not None:
        a += ["--weight", json.dumps(spec["weight"])]
    if spec.get("label_smoothing") is not None:
        a += ["--label-smoothing", repr(spec["label_smoothing"])]
    if spec.get("ignore_index") is not None:
        a += ["--ignore-index", str(spec["ignore_index"])]
    a.append(source)
    return a


def stream_want(spec, rows, labels):
    import torch
    import torch.nn.functional as F
    x = torch.tensor(rows, dtype=torch.float64)
    t = torch.tensor(labels, dtype=torch.int64)
    w = torch.tensor(spec["weight"], dtype=torch.float64) if spec.get("weight") is not None else None
    ii = spec.get("ignore", -100)
    loss = F.cross_entropy(x, t, weight=w, ignore_index=ii, reduction=spec.get("reduction") or "mean",
                           label_smoothing=spec.get("label_smoothing") or 0.0)
    return loss.tolist()


def parse_printed(text):
    """The printed numbers, one per line (nan, inf, -inf included)."""
    out = []
    for line in text.splitlines():
        if not re.fullmatch(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf|infinity)",
                            line.strip(), re.IGNORECASE):
            raise ValueError("not a number: %r" % line)
        out.append(float(line))
    return out


def run_stream_case(ref, binary, spec, workdir, label, timeout):
    """Returns (ok, details, args) where args is the command line shown."""
    ext = "csv" if spec["mode"] == "csv" else "jsonl"
    path = os.path.join(workdir, "%s.%s" % (label, ext))
    lines = write_stream_file(spec, path)
    rows, labels = parse_stream_lines(spec, lines)
    del lines
    want = stream_want(spec, rows, labels)
    del rows, labels
    want_list = want if isinstance(want, list) else [want]
    rtol, atol = STREAM_TOL
    details = []
    outputs = {}
    stdin_label = "stdin (%s)" % ("a pipe" if spec.get("stdin_pipe") else "the file redirected")
    for how in ("file", "stdin"):
        args = stream_args(spec, path if how == "file" else "-")
        where = how if how == "file" else stdin_label
        try:
            if how == "file":
                proc = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout)
            elif spec.get("stdin_pipe"):
                with open(path, "rb") as f:
                    data = f.read()
                proc = subprocess.run([binary] + args, input=data, capture_output=True, timeout=timeout)
                proc.stdout = proc.stdout.decode("utf-8", "replace")
                proc.stderr = proc.stderr.decode("utf-8", "replace")
            else:
                with open(path, "rb") as f:
                    proc = subprocess.run([binary] + args, stdin=f, capture_output=True, text=True,
                                          timeout=timeout)
        except subprocess.TimeoutExpired:
            details.append("%s: timed out after %gs" % (where, timeout))
            continue
        except OSError as exc:
            return False, ["cannot run %s: %s" % (binary, exc)], stream_args(spec, path)
        if proc.returncode != 0:
            details.append("%s: expected exit status 0, got %d; stderr: %s"
                           % (where, proc.returncode, short(proc.stderr.strip())))
            continue
        outputs[how] = proc.stdout
        try:
            got = parse_printed(proc.stdout)
        except ValueError as exc:
            details.append("%s: stdout is not one number per line (%s): %s" % (where, exc, short(proc.stdout)))
            continue
        if len(got) != len(want_list):
            details.append("%s: expected %d number(s), got %d: %s"
                           % (where, len(want_list), len(got), short(proc.stdout.strip())))
            continue
        mismatch = ref.first_mismatch(ref.jsonable(want_list), ref.jsonable(got), rtol, atol, "loss")
        if mismatch:
            details.append("%s: %s (rtol %g, atol %g)" % (where, mismatch, rtol, atol))
            if len(want_list) == 1:
                details.append("  expected (torch F.cross_entropy): %r" % want_list[0])
                details.append("  got:                              %r" % got[0])
    if len(outputs) == 2 and outputs["file"] != outputs["stdin"]:
        details.append("the file and standard-input runs printed different text: %s vs %s"
                       % (short(outputs["file"].strip(), 120), short(outputs["stdin"].strip(), 120)))
    shown = stream_args(spec, path)
    if details:
        kept = os.path.join(tempfile.gettempdir(), "losscalc-differential-%s.%s" % (label, ext))
        shutil.copyfile(path, kept)
        shown = stream_args(spec, kept)
    os.unlink(path)
    return not details, details, shown


# ----------------------------------------------------------------------------
# running and comparing


def strict_json(text):
    def no_constant(name):
        raise ValueError("invalid JSON constant %s" % name)
    return json.loads(text, parse_constant=no_constant)


def short(v, n=MAX_SHOWN):
    s = v if isinstance(v, str) else json.dumps(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def case_tolerances(ref, bref, spec, want):
    """(rtol, atol) of a random case, as the reference generators size them."""
    dtype = spec.get("dtype", "float64")
    if is_binary_family(spec):
        try:
            rtol, atol = bref.tolerances("random case", spec, want)
            return rtol, min(atol, bref.atol_cap(spec))
        except (Exception, SystemExit):  # the formulations disagree (non-finite): base tolerances
            return bref.BASE_TOL[dtype]
    try:
        rtol, atol, _ = ref.tolerances(spec, want)
        return rtol, min(atol, ref.atol_cap(spec))
    except Exception:  # the alternative formulation failed: keep the base tolerances
        return ref.BASE_TOL[dtype]


def loss_tolerance(ref, bref, spec, want, rtol, atol):
    """atol for the reduced "loss": also the exact reduction (math.fsum) of
    torch's own per-element losses is a correct formulation (losscalc's sums
    are exact), and where the losses cancel (+-1e300 picked by nll_loss,
    negative weights) torch's rounded sum can be far from it; atol widens to
    4x that discrepancy, as tolerances() does, capped by atol_cap()."""
    func = spec["func"]
    if func in ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"):
        return atol  # Keras: masks and per-sample means, not re-derived here
    binary = is_binary_family(spec)
    mod = bref if binary else ref
    red = spec.get("reduction") or (bref.default_reduction(func) if binary else "mean")
    if red not in ("mean", "sum") or not isinstance(want.get("loss"), float):
        return atol
    try:
        per = mod.evaluate(dict(spec, reduction="none"))["loss"]
    except Exception:
        return atol
    flat = list(ref.leaves(per))
    if not all(math.isfinite(v) for v in flat) or not math.isfinite(want["loss"]):
        return atol
    total = math.fsum(flat)
    if red == "sum":
        exact = total
    elif binary or ref.is_prob_target(spec, ref.shape_of(spec["x"])):
        exact = total / len(flat)
    else:  # class indices: the weights of the kept targets
        ii = spec.get("ignore_index")
        ii = -100 if ii is None else ii
        w = spec.get("weight")
        denom = math.fsum((w[t] if w is not None else 1.0) for t in ref.leaves(spec["target"]) if t != ii)
        if denom == 0:
            return atol
        exact = total / denom
    excess = abs(exact - want["loss"]) - rtol * abs(want["loss"])
    if 4 * excess <= atol:
        return atol
    cap = (bref if binary else ref).atol_cap(spec)
    return max(atol, min(ref.nice_ceil(4 * excess), cap))


# What losscalc's stderr must contain when torch raises with this message.
ERROR_TEXT = [
    (re.compile(r"Target -?\d+ is out of bounds\."), None),  # the same text
    (re.compile(r"all elements of input should be between 0 and 1"), "between 0 and 1"),
]


def run_case(ref, bref, binary, spec, invalid, timeout):
    """Returns (ok, details) where details is a list of lines for a failure."""
    mod = bref if is_binary_family(spec) else ref
    args = mod.build_args(spec)
    try:
        want = mod.evaluate(spec)
        torch_error = None
    except (RuntimeError, IndexError, ValueError) as exc:  # bref.DataError is a ValueError
        want, torch_error = None, str(exc).splitlines()[0]
    if invalid and torch_error is None:
        return False, ["generator: torch accepted a case made invalid (this is a test bug)"]

    try:
        proc = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, ["timed out after %gs" % timeout]
    except OSError as exc:
        return False, ["cannot run %s: %s" % (binary, exc)]
    details = []
    if torch_error is not None:
        if proc.returncode != 1:
            details.append("expected exit status 1 (torch: %s), got %d" % (torch_error, proc.returncode))
        if proc.stdout.strip():
            details.append("expected nothing on stdout for an error, got: %s" % short(proc.stdout.strip()))
        for pattern, text in ERROR_TEXT:
            m = pattern.search(torch_error)
            if m and (text or m.group(0)) not in proc.stderr:
                details.append("expected stderr to contain %r, got: %s"
                               % (text or m.group(0), short(proc.stderr.strip())))
        return not details, details

    if proc.returncode != 0:
        return False, ["expected exit status 0, got %d; stderr: %s" % (proc.returncode, short(proc.stderr.strip()))]
    try:
        got = strict_json(proc.stdout)
    except ValueError as exc:
        return False, ["stdout is not valid JSON (%s): %s" % (exc, short(proc.stdout.strip()))]
    if not isinstance(got, dict):
        return False, ["stdout is not a JSON object: %s" % short(proc.stdout.strip())]
    rtol, base_atol = case_tolerances(ref, bref, spec, want)
    for key, value in want.items():
        expect = ref.jsonable(value)
        if key not in got:
            details.append("key %r missing from the output" % key)
            continue
        atol = loss_tolerance(ref, bref, spec, want, rtol, base_atol) if key == "loss" else base_atol
        mismatch = ref.first_mismatch(expect, got[key], rtol, atol, key)
        if mismatch:
            details.append("%s (rtol %g, atol %g)" % (mismatch, rtol, atol))
            details.append("  expected %s: %s" % (key, short(expect)))
            details.append("  got      %s: %s" % (key, short(got[key])))
    if spec["func"] in ref.ACTIVATIONS or spec["func"] == "sigmoid":
        for key in ("loss", "grad", "reduction"):
            if key in got:
                details.append("key %r must be absent for %s" % (key, spec["func"]))
    return not details, details


def run_reference_case(ref, binary, case, timeout):
    try:
        proc = subprocess.run([binary] + case["args"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ["timed out after %gs" % timeout]
    except OSError as exc:
        return ["cannot run %s: %s" % (binary, exc)]
    expect = case["expect"]
    details = []
    if proc.returncode != expect["status"]:
        details.append("expected exit status %d, got %d; stderr: %s"
                       % (expect["status"], proc.returncode, short(proc.stderr.strip())))
        return details
    if expect["status"] != 0:
        if proc.stdout.strip():
            details.append("expected nothing on stdout for an error, got: %s" % short(proc.stdout.strip()))
        if expect.get("stderr_contains", "") not in proc.stderr:
            details.append("expected stderr to contain %r, got: %s"
                           % (expect["stderr_contains"], short(proc.stderr.strip())))
        return details
    try:
        got = strict_json(proc.stdout)
    except ValueError as exc:
        return ["stdout is not valid JSON (%s): %s" % (exc, short(proc.stdout.strip()))]
    for key, want in expect.items():
        if key == "status":
            continue
        if not isinstance(got, dict) or key not in got:
            details.append("key %r missing from the output" % key)
            continue
        mismatch = ref.first_mismatch(want, got[key], case["rtol"], case["atol"], key)
        if mismatch:
            details.append("%s (rtol %g, atol %g)" % (mismatch, case["rtol"], case["atol"]))
            details.append("  expected %s: %s" % (key, short(want)))
            details.append("  got      %s: %s" % (key, short(got[key])))
    return details


def run_reference(ref, binary, path, timeout):
    with open(path) as f:
        cases = json.load(f)["cases"]
    passed = failed = 0
    for case in cases:
        details = run_reference_case(ref, binary, case, timeout)
        if not details:
            passed += 1
            continue
        failed += 1
        print("FAIL %s" % case["name"])
        print("  args: losscalc %s" % short(shlex.join(case["args"])))
        for line in details:
            print("  " + line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def describe(spec):
    """The case's function and variant, for a failure line."""
    if spec.get("mode"):
        return "%s streamed %s (N=%d, C=%d)" % (spec["func"], spec["mode"], spec["N"], spec["C"])
    return "%s %s" % (spec["func"], spec.get("dtype", "float64"))


def main():
    opts = parse_args()
    try:
        import torch  # noqa: F401
    except Exception:
        print("torch not available: skipped")
        return SKIP
    sys.path.insert(0, HERE)
    import gen_reference as ref

    binary = os.path.abspath(opts.binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("differential.py: no executable at %s" % opts.binary, file=sys.stderr)
        return 2

    if opts.reference:
        return run_reference(ref, binary, opts.reference, opts.timeout)

    import gen_reference_binary as bref

    rng = random.Random(opts.seed)
    passed = failed = 0
    workdir = tempfile.mkdtemp(prefix="losscalc-differential-")
    try:
        for i in range(opts.cases):
            spec, invalid = random_spec(rng, ref)
            if spec.get("mode"):
                label = "seed%d-case%d" % (opts.seed, i)
                ok, details, args = run_stream_case(ref, binary, spec, workdir, label, opts.timeout)
            else:
                ok, details = run_case(ref, bref, binary, spec, invalid, opts.timeout)
                args = (bref if is_binary_family(spec) else ref).build_args(spec)
            if ok:
                passed += 1
                continue
            failed += 1
            print("FAIL case %d (seed %d): %s" % (i, opts.seed, describe(spec)))
            print("  args: losscalc %s" % short(shlex.join(args)))
            for line in details:
                print("  " + line)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
