#!/usr/bin/python3
"""Generate tests/torch/binary_reference_cases.json: losscalc reference cases
for the sigmoid family, the tf.nn losses and the Keras losses.

Regenerate (from the repository root; needs PyTorch 1.13, e.g. Debian's
python3-torch, so use /usr/bin/python3 rather than a pyenv python):

    /usr/bin/python3 tests/torch/gen_reference_binary.py

Check a build against the cases (prints every mismatch, exit status 1 if any):

    /usr/bin/python3 tests/torch/gen_reference_binary.py --check build/losscalc

The output is deterministic: every case draws its data from a random.Random
seeded with the case's name, so adding or removing one case changes no other.
The file format is the one of reference_cases.json (see gen_reference.py),
plus a top-level "sources" list naming what the emulation follows.

Functions covered
  torch (computed by torch 1.13 itself, float64 or float32, autograd):
    binary_cross_entropy, binary_cross_entropy_with_logits, sigmoid
  tf.nn (TensorFlow is not installable here: the TF formulas are written out
  with torch ops, in the same order as TensorFlow's implementation, and
  differentiated the way TensorFlow differentiates them):
    softmax_cross_entropy_with_logits, sparse_softmax_cross_entropy_with_logits,
    sigmoid_cross_entropy_with_logits, weighted_cross_entropy_with_logits
  Keras 3.12 with the TensorFlow backend (emulated the same way):
    categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy

What the emulation follows (see KERAS_EMULATION.md next to this file for the
framework differences):
  * tensorflow/core/kernels/xent_op.h (SoftmaxCrossEntropyWithLogits): per row
    m = max, s = x - m, loss = sum(labels * (log(sum(exp(s))) - s)); the
    registered gradient (tensorflow/python/ops/nn_grad.py) is
    grad_loss * (softmax - labels), which is NOT the derivative of the loss
    when the labels do not sum to 1 -- reproduced here (TfXent below);
  * tensorflow/core/kernels/sparse_xent_op.h: loss = log(sum(exp(s))) - s[label],
    gradient softmax - onehot; a label outside [0, C) is an error on CPU;
  * tensorflow/python/ops/nn_impl.py: sigmoid_cross_entropy_with_logits =
    where(x >= 0, x, 0) - x * z + log1p(exp(where(x >= 0, -x, x))), and
    weighted_cross_entropy_with_logits_v2 = (1 - z) * x + (1 + (q - 1) * z) *
    (log1p(exp(-abs(x))) + relu(-x)); autodiff of the latter gives (1 - z) at
    x == 0 exactly (abs'(0) = relu'(0) = 0), which the cases keep;
  * tensorflow/python/ops/clip_ops.py clip_by_value = maximum(minimum(x, hi), lo),
    whose gradient (math_grad.py _MaximumMinimumGrad) passes where lo <= x <= hi
    and is zero outside: torch.clamp has the same gradient;
  * keras/src/losses/losses.py (categorical_crossentropy,
    sparse_categorical_crossentropy, binary_crossentropy),
    keras/src/backend/tensorflow/nn.py (the same three) and
    keras/src/losses/loss.py (reduce_values, apply_mask) of Keras 3.12.
    Keras computes in floatx (float32 by default): --dtype float64 is Keras
    with keras.config.set_floatx("float64"). epsilon = keras.config.epsilon()
    = 1e-7 unless --epsilon; the ignore_class denominator uses the default
    1e-7 (no case combines --epsilon with --ignore-index).

Each case is
    {"name": ..., "args": [argv after the program name],
     "expect": {"status": 0, "loss": ..., "grad": ..., ...}, "rtol": r, "atol": a}
or, for an error,
    {"name": ..., "args": [...], "expect": {"status": 1|2, "stderr_contains": "..."}}
"grad" is d loss / d INPUT (for reduction none: of the sum of the losses);
"sigmoid" / "softmax" is the activation of INPUT for the functions that take
logits (softmax along the class axis, also where Keras's ignore_class zeroes
the logits of ignored positions internally).

Tolerances: float64 rtol 1e-12 atol 1e-12; float32 rtol 2e-6 atol 1e-6. Each
case is recomputed with an independent formulation (the formulas with
analytic gradients, in float64; for float32 also the emulation in float64 on
the float32-rounded data); atol widens to 4x the largest excess of those
differences over rtol*|want| (rounded up to 1, 2 or 5 x 10^k) where
cancellation needs it, and the generator aborts if that would exceed 1e-9
(float64) / 1e-4 (float32) or 1024 ulps of the data's largest magnitude, or
if the formulations disagree on which outputs are non-finite.
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import (  # noqa: E402
    dumps_data, first_mismatch, jsonable, leaves, max_excess, nest, nice_ceil, numel, shape_of)

GENERATOR = "tests/torch/gen_reference_binary.py"
OUT_PATH = os.path.join(HERE, "binary_reference_cases.json")
KERAS_VERSION = "3.12"
# The Keras files were read at these keras-team/keras commits (the functions
# used are the same through Keras 3.x; loss.py's ignore_class denominator is
# the 3.x-up-to-3.12 form, see KERAS_EMULATION.md).
SOURCES = [
    "torch 1.13 (torch.nn.functional.binary_cross_entropy, binary_cross_entropy_with_logits, sigmoid; "
    "computed directly)",
    "tensorflow/python/ops/nn_impl.py: sigmoid_cross_entropy_with_logits, weighted_cross_entropy_with_logits_v2 "
    "(TF 2.x)",
    "tensorflow/python/ops/nn_ops.py: softmax_cross_entropy_with_logits_v2 (axis moved last), "
    "sparse_softmax_cross_entropy_with_logits (TF 2.x)",
    "tensorflow/core/kernels/xent_op.h, tensorflow/core/kernels/sparse_xent_op.h: loss and backprop formulas",
    "tensorflow/python/ops/nn_grad.py: gradient = grad_loss * backprop (softmax - labels)",
    "tensorflow/python/ops/clip_ops.py clip_by_value + math_grad.py _MaximumMinimumGrad: "
    "gradient passes where lo <= x <= hi",
    "keras-team/keras v%s keras/src/losses/losses.py: categorical_crossentropy, "
    "sparse_categorical_crossentropy, binary_crossentropy (read at 702a71970049)" % KERAS_VERSION,
    "keras-team/keras v%s keras/src/backend/tensorflow/nn.py: categorical_crossentropy, "
    "sparse_categorical_crossentropy, binary_crossentropy (read at 69b9ad08a11e)" % KERAS_VERSION,
    "keras-team/keras v%s keras/src/losses/loss.py: reduce_values, apply_mask: "
    "mask *= total / (valid + epsilon) for sum_over_batch_size and mean (read at af254e9bb150 and "
    "01a4a576bcf7; keras-team/keras PR #21908, merged December 2025, after 3.12, "
    "replaced it by divide_no_nan(total, valid))" % KERAS_VERSION,
]

DTYPES = {"float64": torch.float64, "float32": torch.float32}
BASE_TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}
MAX_ATOL = {"float64": 1e-9, "float32": 1e-4}
ULP = {"float64": 2.0 ** -52, "float32": 2.0 ** -23}
INF = float("inf")
NAN = float("nan")
KERAS_EPS = 1e-7  # keras.config.epsilon()

TORCH_FUNCS = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "sigmoid")
TF_FUNCS = ("softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
            "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits")
SPARSE_FUNCS = ("sparse_softmax_cross_entropy_with_logits", "sparse_categorical_crossentropy")


class DataError(ValueError):
    """What the framework rejects as bad data (the program's exit status 1)."""


# ----------------------------------------------------------------------------
# command line


def build_args(spec):
    """argv (after the program name) for a case spec."""
    a = [spec.get("alias") or spec["func"], "--json"]
    if spec.get("reduction") is not None:
        a += [spec.get("r_flag", "-r"), spec["reduction"]]
    if spec.get("weight") is not None:
        a += ["--weight", dumps_data(spec["weight"])]
    if spec.get("pos_weight") is not None:
        a += ["--pos-weight", dumps_data(spec["pos_weight"])]
    if spec.get("from_logits"):
        a.append("--from-logits")
    if spec.get("label_smoothing") is not None:
        a += ["--label-smoothing", repr(spec["label_smoothing"])]
    if spec.get("epsilon") is not None:
        a += ["--epsilon", repr(spec["epsilon"])]
    if spec.get("ignore_index") is not None:
        a += ["--ignore-index", str(spec["ignore_index"])]
    if spec.get("dim") is not None:
        a += [spec.get("dim_flag", "--axis"), str(spec["dim"])]
    if spec.get("dtype", "float64") != "float64" or spec.get("explicit_dtype"):
        a += ["--dtype", spec.get("dtype", "float64")]
    a.append(dumps_data(spec["x"]))
    if spec.get("target") is not None:
        a.append(dumps_data(spec["target"]))
    return a


# ----------------------------------------------------------------------------
# TensorFlow kernels, written out with torch ops


class TfXent(torch.autograd.Function):
    """SoftmaxCrossEntropyWithLogits on (batch, classes), as xent_op.h computes
    it; backward is nn_grad.py's grad_loss * backprop, backprop = softmax - labels."""

    @staticmethod
    def forward(ctx, logits, labels):
        m = logits.amax(1, keepdim=True)
        s = logits - m
        sumexp = s.exp().sum(1, keepdim=True)
        loss = (labels * (sumexp.log() - s)).sum(1)
        backprop = s.exp() / sumexp - labels
        if logits.dtype == torch.float64:
            # xent_op.h keeps the tail in float64: where the max's probability
            # rounds to 1 and its label is exactly 1, -tail / (tail + 1), tail
            # the sum of the other exps.
            tail = torch.where(s == 0, torch.zeros_like(s), s.exp()).sum(1, keepdim=True)
            dominant = (s == 0) & (sumexp < 2) & (labels == 1)
            backprop = torch.where(dominant, (-tail / (tail + 1)).expand_as(s), backprop)
        ctx.save_for_backward(backprop)
        return loss

    @staticmethod
    def backward(ctx, g):
        (backprop,) = ctx.saved_tensors
        return g.unsqueeze(1) * backprop, None


class TfSparseXent(torch.autograd.Function):
    """SparseSoftmaxCrossEntropyWithLogits on (batch, classes), as sparse_xent_op.h."""

    @staticmethod
    def forward(ctx, logits, labels):
        m = logits.amax(1, keepdim=True)
        s = logits - m
        sumexp = s.exp().sum(1)
        loss = sumexp.log() - s.gather(1, labels.unsqueeze(1)).squeeze(1)
        onehot = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
        ctx.save_for_backward(s.exp() / sumexp.unsqueeze(1) - onehot)
        return loss

    @staticmethod
    def backward(ctx, g):
        (backprop,) = ctx.saved_tensors
        return g.unsqueeze(1) * backprop, None


def tf_softmax_xent(labels, logits, axis=-1):
    """tf.nn.softmax_cross_entropy_with_logits(labels, logits, axis): the class
    axis is moved last, the rest flattened into rows."""
    a = axis % logits.dim()
    lg, lb = logits.movedim(a, -1), labels.movedim(a, -1)
    rest, C = lg.shape[:-1], lg.shape[-1]
    return TfXent.apply(lg.reshape(-1, C), lb.reshape(-1, C)).reshape(rest)


def tf_sparse_xent(labels, logits):
    """tf.nn.sparse_softmax_cross_entropy_with_logits: classes last; labels
    outside [0, C) are an InvalidArgumentError on CPU."""
    C = logits.shape[-1]
    labels = labels.to(torch.int64)
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise DataError("labels shape %s does not match logits shape %s"
                        % (list(labels.shape), list(logits.shape)))
    bad = (labels < 0) | (labels >= C)
    if bad.any():
        raise DataError("Received a label value of %d which is outside the valid range of [0, %d)"
                        % (int(labels[bad].flatten()[0]), C))
    return TfSparseXent.apply(logits.reshape(-1, C), labels.reshape(-1)).reshape(labels.shape)


def tf_sigmoid_xent(labels, logits):
    """nn_impl.sigmoid_cross_entropy_with_logits, with its where-based max/abs."""
    zeros = torch.zeros_like(logits)
    cond = logits >= zeros
    relu_logits = torch.where(cond, logits, zeros)
    neg_abs_logits = torch.where(cond, -logits, logits)
    return (relu_logits - logits * labels) + torch.log1p(torch.exp(neg_abs_logits))


def tf_weighted_xent(labels, logits, pos_weight):
    """nn_impl.weighted_cross_entropy_with_logits_v2."""
    log_weight = 1 + (pos_weight - 1) * labels
    return (1 - labels) * logits + log_weight * (torch.log1p(torch.exp(-torch.abs(logits))) + torch.relu(-logits))


def tf_clip(x, lo, hi):
    """tf.clip_by_value = maximum(minimum(x, hi), lo); gradient passes for
    lo <= x <= hi, as torch.clamp's does."""
    return torch.clamp(x, lo, hi)


# ----------------------------------------------------------------------------
# Keras 3 (TensorFlow backend)


def keras_reduce(values, reduction, mask=None):
    """loss.py reduce_weighted_values with the ignore_class mask (apply_mask):
    for sum_over_batch_size / mean the mask is scaled by total / (valid + eps);
    reduce_values returns a 0-d loss as it is."""
    if mask is not None:
        m = mask.to(values.dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            total = torch.tensor(float(m.numel()), dtype=values.dtype)
            valid = m.sum()
            m = m * (total / (valid + KERAS_EPS))
        values = values * m
    if reduction == "none" or values.dim() == 0:
        return values
    s = values.sum()
    if reduction == "sum":
        return s
    return s / values.numel()


def f32(v):
    return float(torch.tensor(v, dtype=torch.float32))


def clip_bounds(spec, clip_f32):
    """(epsilon, 1 - epsilon): Python doubles, which TF casts to the tensor's
    dtype (float32: 1 - 1e-7 becomes 0.99999988079071044921875)."""
    eps = spec.get("epsilon")
    eps = KERAS_EPS if eps is None else eps
    lo, hi = eps, 1.0 - eps
    return (f32(lo), f32(hi)) if clip_f32 else (lo, hi)


def keras_loss(spec, x, t, dt, clip_f32=False):
    """The per-sample losses and the mask of a Keras function (x requires grad).
    clip_f32: round the clip bounds to float32 (for the float64 recomputation
    of a float32 case)."""
    func = spec["func"]
    lo, hi = clip_bounds(spec, clip_f32)
    ls = spec.get("label_smoothing") or 0.0
    logits = bool(spec.get("from_logits"))
    axis = spec.get("dim")
    axis = -1 if axis is None else axis
    if func == "categorical_crossentropy":
        y = t
        if ls:
            # num_classes = shape(y_pred)[axis], the class axis (Keras 3.16,
            # keras-team/keras#23437; 3.12 read shape(y_true)[-1]).
            y = y * (1.0 - ls) + torch.tensor(ls, dtype=dt) / torch.tensor(float(x.shape[axis]), dtype=dt)
        if logits:
            return tf_softmax_xent(y, x, axis), None
        out = x / x.sum(axis, keepdim=True)
        out = tf_clip(out, lo, hi)
        return -(y * torch.log(out)).sum(axis), None
    if func == "sparse_categorical_crossentropy":
        if axis not in (-1, x.dim() - 1):
            raise DataError("Only axis=-1 is currently supported")
        y = t.to(dt)
        ii = spec.get("ignore_index")
        valid = None
        if ii is not None:
            valid = y != float(ii)
            y = y * valid.to(dt)
            x = x * valid.unsqueeze(-1).to(dt)
        out = x
        if not logits:
            out = torch.log(tf_clip(out, lo, hi))
        res = tf_sparse_xent(y.to(torch.int64), out)
        if valid is not None:
            res = torch.where(valid, res, torch.zeros((), dtype=dt))
        return res, valid
    if func == "binary_crossentropy":
        y = t
        if ls:
            y = y * (1.0 - ls) + 0.5 * ls
        if logits:
            elem = tf_sigmoid_xent(y, x)
        else:
            out = tf_clip(x, lo, hi)
            bce = y * torch.log(out)
            bce = bce + (1 - y) * torch.log(1 - out)
            elem = -bce
        return elem.mean(axis), None
    raise ValueError(func)


# ----------------------------------------------------------------------------
# reference evaluation


def default_reduction(func):
    if func in TORCH_FUNCS:
        return "mean"
    if func in TF_FUNCS:
        return "none"
    return "sum_over_batch_size"


def class_axis(spec, nd):
    func = spec["func"]
    if func in ("softmax_cross_entropy_with_logits", "categorical_crossentropy"):
        d = spec.get("dim")
        return (-1 if d is None else d) % nd
    return nd - 1


def evaluate(spec, dtype=None, pre_round=False, clip_f32=False):
    """Expected outputs of a case (torch itself, or the TF/Keras emulation).
    pre_round: round the data to float32 first, then compute in `dtype`.
    Raises DataError / RuntimeError for what the framework rejects."""
    dtype = dtype or spec.get("dtype", "float64")
    dt = DTYPES[dtype]

    def tensor(v):
        if pre_round:
            return torch.tensor(v, dtype=torch.float32).to(dt)
        return torch.tensor(v, dtype=dt)

    func = spec["func"]
    x = tensor(spec["x"])
    if func == "sigmoid":
        return {"sigmoid": torch.sigmoid(x).tolist()}
    x.requires_grad_(True)
    sparse = func in SPARSE_FUNCS
    t = torch.tensor(spec["target"], dtype=torch.int64) if sparse else tensor(spec["target"])
    red = spec.get("reduction") or default_reduction(func)
    out = {}
    if func == "binary_cross_entropy":
        w = tensor(spec["weight"]) if spec.get("weight") is not None else None
        loss = F.binary_cross_entropy(x, t, weight=w, reduction=red)
    elif func == "binary_cross_entropy_with_logits":
        w = tensor(spec["weight"]) if spec.get("weight") is not None else None
        pw = tensor(spec["pos_weight"]) if spec.get("pos_weight") is not None else None
        loss = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=red)
    elif func in TF_FUNCS:
        if func == "softmax_cross_entropy_with_logits":
            if tuple(t.shape) != tuple(x.shape):
                raise DataError("labels and logits shapes differ")
            per = tf_softmax_xent(t, x, spec.get("dim", -1) if spec.get("dim") is not None else -1)
        elif func == "sparse_softmax_cross_entropy_with_logits":
            per = tf_sparse_xent(t, x)
        elif func == "sigmoid_cross_entropy_with_logits":
            per = tf_sigmoid_xent(t, x)
        else:
            per = tf_weighted_xent(t, x, tensor(spec["pos_weight"]))
        loss = per if red == "none" else per.sum() if red == "sum" else per.mean()
    else:
        per, mask = keras_loss(spec, x, t, dt, clip_f32)
        loss = keras_reduce(per, red, mask)
    (loss.sum() if red == "none" else loss).backward()
    out["loss"] = loss.detach().tolist()
    out["grad"] = x.grad.tolist()
    xd = x.detach()
    if func in ("binary_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
                "weighted_cross_entropy_with_logits") or (func == "binary_crossentropy" and spec.get("from_logits")):
        out["sigmoid"] = torch.sigmoid(xd).tolist()
    if func in ("softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits") or (
            func in ("categorical_crossentropy", "sparse_categorical_crossentropy") and spec.get("from_logits")):
        out["softmax"] = F.softmax(xd, class_axis(spec, xd.dim())).tolist()
    return out


# ----------------------------------------------------------------------------
# independent formulation (float64, analytic gradients), to size tolerances


def alt_evaluate(spec, pre_round):
    """The formulas written out with their analytic gradients, in float64 (on
    float32-rounded data when pre_round), no autograd."""
    dt = torch.float64

    def tensor(v):
        return torch.tensor(v, dtype=torch.float32).to(dt) if pre_round else torch.tensor(v, dtype=dt)

    func = spec["func"]
    x = tensor(spec["x"])
    sig = 1.0 / (1.0 + torch.exp(-x))
    if func == "sigmoid":
        return {"sigmoid": sig.tolist()}
    sparse = func in SPARSE_FUNCS
    t = torch.tensor(spec["target"], dtype=torch.int64) if sparse else tensor(spec["target"])
    red = spec.get("reduction") or default_reduction(func)
    out = {}
    if func in TORCH_FUNCS or func in TF_FUNCS:
        if func == "binary_cross_entropy":
            w = tensor(spec["weight"]) if spec.get("weight") is not None else torch.ones((), dtype=dt)
            li = -w * (t * torch.clamp(torch.log(x), min=-100) + (1 - t) * torch.clamp(torch.log(1 - x), min=-100))
            gi = w * (x - t) / torch.clamp((1 - x) * x, min=float(torch.tensor(1e-12, dtype=torch.float32)))
        elif func in ("binary_cross_entropy_with_logits", "weighted_cross_entropy_with_logits"):
            w = tensor(spec["weight"]) if spec.get("weight") is not None else torch.ones((), dtype=dt)
            pw = tensor(spec["pos_weight"]) if spec.get("pos_weight") is not None else torch.ones((), dtype=dt)
            lw = 1 + (pw - 1) * t
            li = w * ((1 - t) * x + lw * (torch.log1p(torch.exp(-x.abs())) + torch.relu(-x)))
            gi = w * ((1 - t) - lw * (1.0 / (1.0 + torch.exp(x))))
            if func == "weighted_cross_entropy_with_logits":
                # TF's autodiff: abs'(0) = relu'(0) = 0, so the gradient at 0 is 1 - z.
                gi = torch.where(x == 0, (1 - t) * torch.ones_like(gi), gi)
        elif func == "sigmoid_cross_entropy_with_logits":
            li = torch.relu(x) - x * t + torch.log1p(torch.exp(-x.abs()))
            gi = sig - t
        elif func == "softmax_cross_entropy_with_logits":
            a = (spec.get("dim") if spec.get("dim") is not None else -1) % x.dim()
            li = -(t * F.log_softmax(x, a)).sum(a)
            gi = F.softmax(x, a) - t
        else:  # sparse_softmax_cross_entropy_with_logits
            C = x.shape[-1]
            li = F.cross_entropy(x.reshape(-1, C), t.reshape(-1), reduction="none").reshape(t.shape)
            gi = F.softmax(x, -1) - F.one_hot(t, C).to(dt)
        elementwise = li.shape == x.shape
        if red == "none":
            f = torch.ones_like(li)
            loss = li
        elif red == "sum":
            f = torch.ones_like(li)
            loss = li.sum()
        else:
            f = torch.full_like(li, 1.0 / li.numel())
            loss = li.sum() / li.numel()
        f = f if elementwise else f.unsqueeze(-1)
        if func == "softmax_cross_entropy_with_logits":
            a = (spec.get("dim") if spec.get("dim") is not None else -1) % x.dim()
            f = f.movedim(-1, a) if not elementwise else f
        grad = f * gi
        if func in ("binary_cross_entropy", "binary_cross_entropy_with_logits",
                    "weighted_cross_entropy_with_logits") and grad.shape != x.shape:
            grad = grad.expand(x.shape)
        out["loss"] = loss.tolist()
        out["grad"] = grad.tolist()
        if func in ("binary_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
                    "weighted_cross_entropy_with_logits"):
            out["sigmoid"] = sig.tolist()
        if func in ("softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits"):
            out["softmax"] = torch.exp(F.log_softmax(x, class_axis(spec, x.dim()))).tolist()
        return out

    # Keras
    lo, hi = clip_bounds(spec, pre_round)
    ls = spec.get("label_smoothing") or 0.0
    logits = bool(spec.get("from_logits"))
    mask = None
    if func == "categorical_crossentropy":
        a = class_axis(spec, x.dim())
        y = t * (1 - ls) + ls / x.shape[a] if ls else t
        if logits:
            li = -(y * F.log_softmax(x, a)).sum(a)
            gi = F.softmax(x, a) - y
        else:
            S = x.sum(a, keepdim=True)
            o = x / S
            c = o.clamp(lo, hi)
            passed = ((o >= lo) & (o <= hi)).to(dt)
            li = -(y * torch.log(c)).sum(a)
            dl_do = -y / c * passed
            gi = dl_do / S - (dl_do * x).sum(a, keepdim=True) / (S * S)
        per_axis = a
    elif func == "sparse_categorical_crossentropy":
        C = x.shape[-1]
        ii = spec.get("ignore_index")
        y = t
        xx = x
        if ii is not None:
            mask = t != ii
            y = torch.where(mask, t, torch.zeros_like(t))
            xx = x * mask.unsqueeze(-1).to(dt)
        oh = F.one_hot(y, C).to(dt)
        if logits:
            z = xx
            li = torch.logsumexp(z, -1) - z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
            gi = F.softmax(z, -1) - oh
        else:
            c = xx.clamp(lo, hi)
            passed = ((xx >= lo) & (xx <= hi)).to(dt)
            z = torch.log(c)
            li = torch.logsumexp(z, -1) - z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
            gi = passed / c * (F.softmax(z, -1) - oh)
        if mask is not None:
            li = torch.where(mask, li, torch.zeros_like(li))
            gi = gi * mask.unsqueeze(-1).to(dt)
        per_axis = x.dim() - 1
    else:  # binary_crossentropy
        a = (spec.get("dim") if spec.get("dim") is not None else -1) % x.dim()
        y = t * (1 - ls) + 0.5 * ls if ls else t
        D = x.shape[a]
        if logits:
            e = torch.relu(x) - x * y + torch.log1p(torch.exp(-x.abs()))
            ge = sig - y
        else:
            c = x.clamp(lo, hi)
            passed = ((x >= lo) & (x <= hi)).to(dt)
            e = -(y * torch.log(c) + (1 - y) * torch.log(1 - c))
            ge = passed * (-y / c + (1 - y) / (1 - c))
        li = e.mean(a)
        gi = ge / D
        per_axis = a
    # reduction factor per per-sample loss
    f = torch.ones_like(li)
    if mask is not None:
        f = mask.to(dt)
        if red in ("sum_over_batch_size", "mean"):
            f = f * (f.numel() / (f.sum() + KERAS_EPS))
    if red == "none":
        loss = li * f
    elif red == "sum":
        loss = (li * f).sum()
    else:
        loss = (li * f).sum() / (li.numel() if li.dim() > 0 else 1)
        if li.dim() > 0:
            f = f / li.numel()
    out["loss"] = loss.tolist()
    out["grad"] = (f.unsqueeze(per_axis) * gi).tolist()
    if func == "binary_crossentropy" and logits:
        out["sigmoid"] = sig.tolist()
    if func in ("categorical_crossentropy", "sparse_categorical_crossentropy") and logits:
        out["softmax"] = torch.exp(F.log_softmax(x, class_axis(spec, x.dim()))).tolist()
    return out


# ----------------------------------------------------------------------------
# tolerances


def nonfinite_pattern(v):
    return [repr(e) if isinstance(e, float) and not math.isfinite(e) else "f" for e in leaves(v)]


def tolerances(name, spec, expect):
    dtype = spec.get("dtype", "float64")
    rtol, atol = BASE_TOL[dtype]
    alternatives = [("alt", alt_evaluate(spec, pre_round=(dtype == "float32")))]
    if dtype == "float32":
        alternatives.append(("float64", evaluate(spec, "float64", pre_round=True, clip_f32=True)))
    excess = 0.0
    for label, alt in alternatives:
        for k in expect:
            if k not in alt:
                raise SystemExit("case %r: the %s formulation lacks %r" % (name, label, k))
            want, got = expect[k], alt[k]
            if shape_of(want) != shape_of(got):
                raise SystemExit("case %r: %s: shape %s vs %s" % (name, k, shape_of(want), shape_of(got)))
            if label == "alt" and nonfinite_pattern(want) != nonfinite_pattern(got):
                raise SystemExit("case %r: %s: non-finite values differ between the emulation and the "
                                 "formulas:\n  %s\n  %s" % (name, k, want, got))
            excess = max(excess, max_excess(want, got, rtol))
    if 4 * excess > atol:
        # Cancellation (e.g. logits of 1e4 or a float32 sum): widen atol to
        # 4x the observed discrepancy between correct formulations.
        atol = nice_ceil(4 * excess)
    return rtol, atol


def atol_cap(spec):
    def mag(v):
        finite = [abs(e) for e in leaves(v) if isinstance(e, (int, float)) and math.isfinite(e)]
        return max(finite, default=0.0)
    dtype = spec.get("dtype", "float64")
    m = max(mag(spec["x"]), 1.0) * max(1.0, mag(spec.get("weight") or 0), mag(spec.get("pos_weight") or 0))
    return max(MAX_ATOL[dtype], 1024 * ULP[dtype] * m)


# ----------------------------------------------------------------------------
# data


def rand_logits(rng, shape, scale=2.0, digits=None):
    flat = [rng.gauss(0.0, scale) for _ in range(numel(shape))]
    if digits is not None:
        flat = [round(v, digits) for v in flat]
    return nest(flat, shape)


def rand_probs(rng, shape, lo=0.02, hi=0.98, digits=None):
    flat = [rng.uniform(lo, hi) for _ in range(numel(shape))]
    if digits is not None:
        flat = [round(v, digits) for v in flat]
    return nest(flat, shape)


def rand_binary(rng, shape):
    return nest([rng.randrange(2) for _ in range(numel(shape))], shape)


def rand_soft(rng, shape, digits=3):
    return nest([round(rng.random(), digits) for _ in range(numel(shape))], shape)


def rand_dist(rng, shape, axis=-1, digits=None, scale=1.5):
    """Rows (along axis) that sum to 1: softmax of random logits."""
    t = torch.softmax(torch.tensor(rand_logits(rng, shape, scale), dtype=torch.float64), axis % len(shape))
    if digits is not None:
        return nest([round(v, digits) for v in t.flatten().tolist()], shape)
    return t.tolist()


def rand_onehot(rng, shape):
    """One-hot along the last axis."""
    C = shape[-1]
    rows = numel(shape) // C
    flat = []
    for _ in range(rows):
        k = rng.randrange(C)
        flat += [1 if j == k else 0 for j in range(C)]
    return nest(flat, shape)


def rand_labels(rng, shape, C):
    return nest([rng.randrange(C) for _ in range(numel(shape))], shape) if shape else rng.randrange(C)


# ----------------------------------------------------------------------------
# the cases

CASES = []  # (category, name, spec, error)


def add(category, name, spec, error=None):
    CASES.append((category, name, spec, error))


def grid(reds, dlabel):
    """(label, shape, reduction, dtype) of the shape/reduction/dtype grid of a
    function: every reduction for (N,C), two for (C) and the 3-D shape, the
    default for (32,5); float32 for three of them."""
    first, last = reds[0], reds[-1]
    g = [("(C)", (5,), first, "float64"), ("(C)", (5,), last, "float64")]
    g += [("(N,C)", (4, 3), r, "float64") for r in reds]
    g += [(dlabel, (2, 3, 4), first, "float64"), (dlabel, (2, 3, 4), last, "float64"),
          ("(32,5)", (32, 5), first, "float64")]
    g += [("(N,C)", (4, 3), first, "float32"), (dlabel, (2, 3, 4), last, "float32"), ("(32,5)", (32, 5), first, "float32")]
    return g


def grid_small(dlabel):
    """A smaller grid, for the second input kind (logits) of a Keras function."""
    return [("(C)", (5,), None, "float64"), ("(N,C)", (4, 3), None, "float64"), ("(N,C)", (4, 3), "none", "float64"),
            (dlabel, (2, 3, 4), None, "float64"), ("(32,5)", (32, 5), None, "float64"),
            ("(N,C)", (4, 3), None, "float32"), (dlabel, (2, 3, 4), "none", "float32")]


def bce_cases():
    c = "binary_cross_entropy"
    seed = {"func": "binary_cross_entropy", "x": [0, 1, 0.5], "target": [1, 1, 0]}
    add(c, "bce seed x=[0,1,0.5] y=[1,1,0] sum float64", dict(seed, reduction="sum"))
    add(c, "bce seed mean float64", dict(seed))
    add(c, "bce seed none float64", dict(seed, reduction="none"))
    add(c, "bce seed sum float32", dict(seed, reduction="sum", dtype="float32"))
    for label, shape, red, dtype in grid((None, "sum", "none"), "(N,C,d)"):
        name = "bce %s %s %s" % (label, red or "default(mean)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": "binary_cross_entropy", "x": rand_probs(rng, shape, digits=d),
                      "target": rand_binary(rng, shape), "reduction": red, "dtype": dtype})
    c = "binary_cross_entropy weight"
    for label, shape, wshape in [("weight (C) on (N,C)", (4, 3), (3,)), ("weight (N,1) on (N,C)", (4, 3), (4, 1)),
                                 ("weight full shape", (3, 4), (3, 4)), ("weight (d) on (N,C,d)", (2, 3, 4), (4,)),
                                 ("weight (C,1) on (N,C,d)", (2, 3, 4), (3, 1)), ("weight (1) on (C)", (5,), (1,))]:
        for red in (("mean", "none") if wshape == (3,) else ("none",)):
            name = "bce %s %s float64" % (label, red)
            rng = random.Random(name)
            add(c, name, {"func": "binary_cross_entropy", "x": rand_probs(rng, shape), "target": rand_soft(rng, shape),
                          "weight": nest([round(rng.uniform(0.1, 3), 3) for _ in range(numel(wshape))], wshape),
                          "reduction": red})
    name = "bce weight (C) mean float32"
    rng = random.Random(name)
    add(c, name, {"func": "binary_cross_entropy", "x": rand_probs(rng, (4, 3), digits=4),
                  "target": rand_binary(rng, (4, 3)), "weight": [0.5, 2.0, 1.25], "dtype": "float32"})
    name = "bce scalar weight 2.5 sum float64"
    rng = random.Random(name)
    add(c, name, {"func": "binary_cross_entropy", "x": rand_probs(rng, (2, 3)), "target": rand_binary(rng, (2, 3)),
                  "weight": 2.5, "reduction": "sum"})
    c = "binary_cross_entropy targets and extremes"
    name = "bce soft targets (N,C) mean float64"
    rng = random.Random(name)
    add(c, name, {"func": "binary_cross_entropy", "x": rand_probs(rng, (3, 4)), "target": rand_soft(rng, (3, 4))})
    add(c, "bce targets outside [0,1] accepted (torch 1.13) none float64",
        {"func": "binary_cross_entropy", "x": [0.3, 0.8, 0.5, 0.9], "target": [1.5, -0.5, 2, -1], "reduction": "none"})
    ex = [0.0, 1.0, 0.0, 1.0, 1e-300, 1 - 1e-16, 1e-13, 0.5]
    ey = [0, 1, 1, 0, 0.5, 0.5, 1, 1]
    add(c, "bce probabilities 0 and 1 exactly, 1e-300, 1-1e-16 none float64",
        {"func": "binary_cross_entropy", "x": ex, "target": ey, "reduction": "none"})
    add(c, "bce probabilities 0 and 1 exactly mean float64", {"func": "binary_cross_entropy", "x": ex, "target": ey})
    add(c, "bce probabilities 0 and 1 exactly none float32",
        {"func": "binary_cross_entropy", "x": [0.0, 1.0, 0.0, 1.0, 1e-30, 0.99999994, 0.5],
         "target": [0, 1, 1, 0, 0.5, 0.5, 1], "reduction": "none", "dtype": "float32"})
    add(c, "bce NaN target none float64",
        {"func": "binary_cross_entropy", "x": [0.25, 0.5], "target": [NAN, 1], "reduction": "none"})
    add(c, "bce infinite target none float64",
        {"func": "binary_cross_entropy", "x": [0.25, 0.5], "target": [INF, 1], "reduction": "none"})
    c = "binary_cross_entropy aliases"
    for alias in ("bce", "binary-cross-entropy", "BCELoss"):
        name = "bce alias %s (N,C) mean float64" % alias
        rng = random.Random(name)
        add(c, name, {"func": "binary_cross_entropy", "alias": alias, "x": rand_probs(rng, (2, 3)),
                      "target": rand_binary(rng, (2, 3))})
    name = "bce --reduction sum explicit --dtype float64"
    rng = random.Random(name)
    add(c, name, {"func": "binary_cross_entropy", "x": rand_probs(rng, (2, 3)), "target": rand_binary(rng, (2, 3)),
                  "reduction": "sum", "r_flag": "--reduction", "explicit_dtype": True})


def bce_logits_cases():
    c = "binary_cross_entropy_with_logits"
    seed = {"func": "binary_cross_entropy_with_logits", "x": [1.2372, -0.9604, 1.5415], "target": [1, 0, 1]}
    add(c, "bcel seed mean float32", dict(seed, dtype="float32"))
    add(c, "bcel seed mean float64", dict(seed))
    add(c, "bcel seed none float64", dict(seed, reduction="none"))
    for label, shape, red, dtype in grid((None, "sum", "none"), "(N,C,d)"):
        name = "bcel %s %s %s" % (label, red or "default(mean)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": "binary_cross_entropy_with_logits", "x": rand_logits(rng, shape, digits=d),
                      "target": rand_binary(rng, shape), "reduction": red, "dtype": dtype})
    c = "binary_cross_entropy_with_logits weight / pos_weight"
    opts = [
        ("pos_weight (C) on (N,C)", (4, 3), None, (3,)),
        ("pos_weight scalar on (N,C)", (4, 3), None, ()),
        ("pos_weight (1) on (N,C)", (4, 3), None, (1,)),
        ("pos_weight (d) on (N,C,d) (last dim)", (2, 3, 4), None, (4,)),
        ("pos_weight (C,1) on (N,C,d)", (2, 3, 4), None, (3, 1)),
        ("pos_weight full shape", (2, 3), None, (2, 3)),
        ("weight (C) on (N,C)", (4, 3), (3,), None),
        ("weight (N,1) on (N,C)", (4, 3), (4, 1), None),
        ("weight (C) and pos_weight (C)", (4, 3), (3,), (3,)),
        ("weight (1) and pos_weight (1) on (C)", (5,), (1,), (1,)),
    ]
    for k, (label, shape, wshape, pshape) in enumerate(opts):
        for red in (("mean", "none") if k == 0 else ("none" if k % 2 else "mean",)):
            name = "bcel %s %s float64" % (label, red)
            rng = random.Random(name)
            spec = {"func": "binary_cross_entropy_with_logits", "x": rand_logits(rng, shape),
                    "target": rand_soft(rng, shape), "reduction": red}
            if wshape is not None:
                spec["weight"] = nest([round(rng.uniform(0.1, 3), 3) for _ in range(numel(wshape))], wshape)
            if pshape is not None:
                pw = [round(rng.uniform(0.2, 5), 3) for _ in range(max(1, numel(pshape)))]
                spec["pos_weight"] = pw[0] if pshape == () else nest(pw, pshape)
            add(c, name, spec)
    name = "bcel weight (C) and pos_weight (C) sum float32"
    rng = random.Random(name)
    add(c, name, {"func": "binary_cross_entropy_with_logits", "x": rand_logits(rng, (4, 3), digits=4),
                  "target": rand_binary(rng, (4, 3)), "weight": [0.5, 2.0, 1.25], "pos_weight": [3.0, 0.5, 1.5],
                  "reduction": "sum", "dtype": "float32"})
    add(c, "bcel negative and zero pos_weight none float64",
        {"func": "binary_cross_entropy_with_logits", "x": [[0.5, -1.5, 2.0], [-0.25, 1.0, 0.0]],
         "target": [[1, 1, 0.5], [1, 0, 1]], "pos_weight": [-1.0, 0.0, 2.0], "reduction": "none"})
    c = "binary_cross_entropy_with_logits extremes"
    xs = [100.0, -100.0, 1e4, -1e4, 1e30, -1e30, 0.0, 36.7, -745.2, 710.0]
    for y in (0, 1):
        add(c, "bcel logits +-100 +-1e4 +-1e30 target %d none float64" % y,
            {"func": "binary_cross_entropy_with_logits", "x": xs, "target": [y] * len(xs), "reduction": "none"})
    add(c, "bcel logits +-100 +-1e4 soft target mean float64",
        {"func": "binary_cross_entropy_with_logits", "x": xs, "target": [0.25] * len(xs)})
    add(c, "bcel logits +-100 +-1e4 target 1 none float32",
        {"func": "binary_cross_entropy_with_logits", "x": [100.0, -100.0, 1e4, -1e4, 0.0, 88.7, -88.7, 17.0],
         "target": [1, 1, 1, 1, 1, 0, 0, 0], "reduction": "none", "dtype": "float32"})
    add(c, "bcel logits +-1e4 pos_weight 3 sum float32",
        {"func": "binary_cross_entropy_with_logits", "x": [1e4, -1e4, 1e4, -1e4], "target": [1, 1, 0, 0],
         "pos_weight": 3.0, "reduction": "sum", "dtype": "float32"})
    nf = [INF, -INF, NAN, 1.0]
    for y in (0, 1):
        add(c, "bcel logits +-inf NaN target %d none float64" % y,
            {"func": "binary_cross_entropy_with_logits", "x": nf, "target": [y] * 4, "reduction": "none"})
    add(c, "bcel logits +-inf pos_weight 2 target 1 none float64",
        {"func": "binary_cross_entropy_with_logits", "x": nf, "target": [1] * 4, "pos_weight": 2.0,
         "reduction": "none"})
    add(c, "bcel logits +inf in one element mean float32",
        {"func": "binary_cross_entropy_with_logits", "x": [[INF, 0.5], [-0.5, 2.0]], "target": [[0, 1], [0, 1]],
         "dtype": "float32"})
    c = "binary_cross_entropy_with_logits aliases"
    for alias in ("bce_with_logits", "bce-with-logits", "BCEWithLogitsLoss"):
        name = "bcel alias %s mean float64" % alias
        rng = random.Random(name)
        add(c, name, {"func": "binary_cross_entropy_with_logits", "alias": alias, "x": rand_logits(rng, (2, 3)),
                      "target": rand_binary(rng, (2, 3))})


def sigmoid_cases():
    c = "sigmoid"
    for label, shape in [("(C)", (5,)), ("(N,C)", (3, 4)), ("(N,C,d)", (2, 3, 2)), ("single element", (1,))]:
        for dtype in ("float64", "float32"):
            name = "sigmoid %s %s" % (label, dtype)
            rng = random.Random(name)
            add(c, name, {"func": "sigmoid", "x": rand_logits(rng, shape, 3.0, 4 if dtype == "float32" else None),
                          "dtype": dtype})
    ext = [INF, -INF, NAN, 0.0, 1e4, -1e4, 36.8, -36.8, 745.0, -745.0, -800.0, 1e-300]
    add(c, "sigmoid extremes float64", {"func": "sigmoid", "x": ext})
    add(c, "sigmoid extremes float32", {"func": "sigmoid", "x": [INF, -INF, NAN, 0.0, 1e4, -1e4, 16.7, -16.7,
                                                                   88.0, -88.0, -104.0, 1e-30], "dtype": "float32"})
    add(c, "sigmoid alias Sigmoid", {"func": "sigmoid", "alias": "Sigmoid", "x": [[0.5, -0.5], [2.0, -3.0]]})


def tf_cases():
    c = "tf softmax_cross_entropy_with_logits"
    f = "softmax_cross_entropy_with_logits"
    for label, shape, red, dtype in grid((None, "mean", "sum"), "(N,L,C)"):
        name = "tf softmax_ce %s %s %s" % (label, red or "default(none)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=d), "target": rand_dist(rng, shape),
                      "reduction": red, "dtype": dtype})
    for label, shape, axis, flag in [("(C,N) --axis 0", (3, 4), 0, "--axis"), ("(N,C,L) --axis 1", (2, 3, 4), 1, "--axis"),
                                     ("(N,C,L) --dim -2", (2, 3, 4), -2, "--dim"), ("(N,C) --axis -1", (3, 4), -1, "--axis")]:
        name = "tf softmax_ce %s none float64" % label
        rng = random.Random(name)
        add(c, name, {"func": f, "x": rand_logits(rng, shape), "target": rand_dist(rng, shape, axis),
                      "dim": axis, "dim_flag": flag})
    name = "tf softmax_ce (N,C,L) --axis 1 mean float32"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_logits(rng, (2, 3, 4), digits=4), "target": rand_dist(rng, (2, 3, 4), 1),
                  "dim": 1, "reduction": "mean", "dtype": "float32"})
    name = "tf softmax_ce one-hot labels (N,C) none float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_logits(rng, (4, 5)), "target": rand_onehot(rng, (4, 5))})
    # TensorFlow's xent_op test: logits [ln 2^54, 0], labels [1, 0]; TF's
    # float64 kernel gives [-2^-54, 2^-54], not [0, 2^-54] (the exact values
    # are checked by tests/cli/ok_tf_softmax_grad_tail.case: atol is 1e-12 here).
    add(c, "tf softmax_ce float64 gradient tail of a probability that rounds to 1 none float64",
        {"func": f, "x": [[37.42994775023705, 0.0], [0.5, 40.0]], "target": [[1.0, 0.0], [0.0, 1.0]]})
    # TF's registered gradient is softmax - labels: for labels that do not sum
    # to 1 it is not the derivative of the loss (which is softmax*sum(labels) - labels).
    add(c, "tf softmax_ce labels not summing to 1: TF gradient softmax - labels none float64",
        {"func": f, "x": [[0.5, -1.0, 2.0], [0.0, 0.25, -0.5]], "target": [[0.5, 0.5, 0.5], [0.2, 0.0, 0.3]]})
    add(c, "tf softmax_ce negative labels: TF gradient softmax - labels sum float64",
        {"func": f, "x": [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], "target": [[1.5, -0.5, 0.0], [-1.0, 2.0, 0.0]],
         "reduction": "sum"})
    big = [[1e4, -1e4, 0.5, 9999.0], [-1e4, -1e4, -9999.5, -1e4], [0.0, 1e4, -1e4, 1e4]]
    bigt = [[0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0], [0, 0.5, 0, 0.5]]
    add(c, "tf softmax_ce logits +-1e4 none float64", {"func": f, "x": big, "target": bigt})
    add(c, "tf softmax_ce logits +-1e4 mean float32", {"func": f, "x": big, "target": bigt, "reduction": "mean",
                                                         "dtype": "float32"})
    add(c, "tf softmax_ce logits 1e300 none float64",
        {"func": f, "x": [[1e300, 0.0, -1e300], [-1e300, 1e300, 5.0]], "target": [[0.5, 0.5, 0], [0, 0.25, 0.75]]})
    add(c, "tf softmax_ce -inf logit with label 0 (0*inf = NaN loss, finite grad) none float64",
        {"func": f, "x": [[0.0, -INF, 1.0], [0.5, 0.25, -0.75]], "target": [[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]]})
    add(c, "tf softmax_ce +inf logit, NaN logit, all -inf row none float64",
        {"func": f, "x": [[0.0, INF, 1.0], [0.5, NAN, -0.75], [-INF, -INF, -INF], [1.0, 2.0, 3.0]],
         "target": [[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1, 0, 0], [0, 0, 1]]})

    c = "tf sparse_softmax_cross_entropy_with_logits"
    f = "sparse_softmax_cross_entropy_with_logits"
    for label, shape, red, dtype in grid((None, "mean", "sum"), "(N,L,C)"):
        name = "tf sparse_ce %s %s %s" % (label, red or "default(none)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=d),
                      "target": rand_labels(rng, shape[:-1], shape[-1]), "reduction": red, "dtype": dtype})
    add(c, "tf sparse_ce C=1 (loss 0) none float64", {"func": f, "x": [[0.5], [-2.0], [3.0]], "target": [0, 0, 0]})
    add(c, "tf sparse_ce logits +-1e4 none float64", {"func": f, "x": big, "target": [3, 2, 1]})
    add(c, "tf sparse_ce logits +-1e4 mean float32", {"func": f, "x": big, "target": [3, 0, 1], "reduction": "mean",
                                                        "dtype": "float32"})
    add(c, "tf sparse_ce -inf at non-label (finite) and at label (inf) none float64",
        {"func": f, "x": [[0.0, -INF, 1.0], [0.5, -INF, -0.75]], "target": [0, 1]})
    add(c, "tf sparse_ce +inf logit and NaN logit none float64",
        {"func": f, "x": [[0.0, INF, 1.0], [0.5, NAN, -0.75], [1.0, 2.0, 3.0]], "target": [1, 0, 2]})

    c = "tf sigmoid_cross_entropy_with_logits"
    f = "sigmoid_cross_entropy_with_logits"
    for label, shape, red, dtype in grid((None, "mean", "sum"), "(N,L,C)"):
        name = "tf sigmoid_ce %s %s %s" % (label, red or "default(none)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        tgt = rand_binary(rng, shape) if label != "(N,L,C)" else rand_soft(rng, shape)
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=d), "target": tgt,
                      "reduction": red, "dtype": dtype})
    xs = [100.0, -100.0, 1e4, -1e4, 0.0, 36.7, -745.2, 710.0]
    for y in (0, 1, 0.5):
        add(c, "tf sigmoid_ce logits +-100 +-1e4 target %s none float64" % y,
            {"func": f, "x": xs, "target": [y] * len(xs)})
    add(c, "tf sigmoid_ce logits +-100 +-1e4 target 1 none float32",
        {"func": f, "x": [100.0, -100.0, 1e4, -1e4, 0.0, 88.7, -88.7], "target": [1] * 7, "dtype": "float32"})
    for y in (0, 1):
        add(c, "tf sigmoid_ce logits +-inf NaN target %d none float64" % y,
            {"func": f, "x": [INF, -INF, NAN, 1.0], "target": [y] * 4})

    c = "tf weighted_cross_entropy_with_logits"
    f = "weighted_cross_entropy_with_logits"
    for label, shape, pshape in [("(C) pos_weight scalar", (5,), ()), ("(N,C) pos_weight scalar", (4, 3), ()),
                                 ("(N,C) pos_weight (C)", (4, 3), (3,)), ("(N,L,C) pos_weight (C)", (2, 3, 4), (4,)),
                                 ("(32,5) pos_weight scalar", (32, 5), ())]:
        for red in ((None, "mean", "sum") if label == "(N,C) pos_weight scalar" else (None,)):
            name = "tf weighted_ce %s %s float64" % (label, red or "default(none)")
            rng = random.Random(name)
            pw = [round(rng.uniform(0.2, 5), 3) for _ in range(max(1, numel(pshape)))]
            add(c, name, {"func": f, "x": rand_logits(rng, shape), "target": rand_soft(rng, shape, 2),
                          "pos_weight": pw[0] if pshape == () else pw, "reduction": red})
    for label, shape, pshape in [("(N,C) pos_weight scalar", (4, 3), ()), ("(N,C) pos_weight (C)", (4, 3), (3,))]:
        name = "tf weighted_ce %s mean float32" % label
        rng = random.Random(name)
        pw = [round(rng.uniform(0.2, 5), 2) for _ in range(max(1, numel(pshape)))]
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=4), "target": rand_binary(rng, shape),
                      "pos_weight": pw[0] if pshape == () else pw, "reduction": "mean", "dtype": "float32"})
    add(c, "tf weighted_ce logit exactly 0: TF autodiff gradient 1 - z none float64",
        {"func": f, "x": [0.0, 0.0, 0.0, 0.5], "target": [0, 1, 0.25, 1], "pos_weight": 3.0})
    add(c, "tf weighted_ce pos_weight 1 equals sigmoid_ce none float64",
        {"func": f, "x": [1.5, -0.5, 2.25], "target": [1, 0, 0.5], "pos_weight": 1})
    add(c, "tf weighted_ce logits +-100 +-1e4 none float64",
        {"func": f, "x": [100.0, -100.0, 1e4, -1e4, 100.0, -100.0, 1e4, -1e4],
         "target": [1, 1, 1, 1, 0, 0, 0, 0], "pos_weight": 2.5})
    add(c, "tf weighted_ce logits +-inf NaN none float64",
        {"func": f, "x": [INF, -INF, NAN, INF, -INF], "target": [0, 1, 1, 1, 0], "pos_weight": 2.0})


def keras_cases():
    c = "keras categorical_crossentropy"
    f = "categorical_crossentropy"
    for label, shape, red, dtype in grid((None, "sum", "none"), "(N,L,C)"):
        name = "keras cce probs %s %s %s" % (label, red or "default(sum_over_batch_size)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_dist(rng, shape, digits=d), "target": rand_onehot(rng, shape),
                      "reduction": red, "dtype": dtype})
    for red in ("sum_over_batch_size", "mean"):
        name = "keras cce probs (N,C) -r %s float64" % red
        rng = random.Random(name)
        add(c, name, {"func": f, "x": rand_dist(rng, (3, 4)), "target": rand_dist(rng, (3, 4)), "reduction": red})
    for label, shape, red, dtype in grid_small("(N,L,C)"):
        name = "keras cce logits %s %s %s" % (label, red or "default(sum_over_batch_size)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=d), "target": rand_dist(rng, shape),
                      "from_logits": True, "reduction": red, "dtype": dtype})
    name = "keras cce probs rows not summing to 1 (renormalised) none float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_probs(rng, (3, 4), 0.05, 2.0), "target": rand_onehot(rng, (3, 4)),
                  "reduction": "none"})
    add(c, "keras cce probs 0 and 1 exactly (clipped, zero gradient there) none float64",
        {"func": f, "x": [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]],
         "target": [[1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], "reduction": "none"})
    add(c, "keras cce probs 0 and 1 exactly sum float32",
        {"func": f, "x": [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]], "target": [[1, 0, 0], [1, 0, 0], [0, 0, 1]],
         "reduction": "sum", "dtype": "float32"})
    for eps in (1e-3, 1e-12, 0.0):
        add(c, "keras cce probs --epsilon %r none float64" % eps,
            {"func": f, "x": [[1, 0, 0], [0.9995, 0.0004, 0.0001], [0.2, 0.3, 0.5]],
             "target": [[0, 1, 0], [0, 0, 1], [0, 1, 0]], "epsilon": eps, "reduction": "none"})
    for ls in (0.1, 0.25):
        for logits in (False, True):
            name = "keras cce label smoothing %r %s (N,C) float64" % (ls, "logits" if logits else "probs")
            rng = random.Random(name)
            x = rand_logits(rng, (4, 5)) if logits else rand_dist(rng, (4, 5))
            add(c, name, {"func": f, "x": x, "target": rand_onehot(rng, (4, 5)), "label_smoothing": ls,
                          "from_logits": logits})
    name = "keras cce label smoothing 0.1 probs (N,L,C) none float32"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_dist(rng, (2, 3, 4), digits=4), "target": rand_onehot(rng, (2, 3, 4)),
                  "label_smoothing": 0.1, "reduction": "none", "dtype": "float32"})
    add(c, "keras cce label smoothing 1.0 probs none float64",
        {"func": f, "x": [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], "target": [[1, 0, 0], [0, 1, 0]],
         "label_smoothing": 1.0, "reduction": "none"})
    name = "keras cce probs (C,N) --axis 0 none float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_dist(rng, (4, 3), 0), "target": rand_dist(rng, (4, 3), 0), "dim": 0,
                  "reduction": "none"})
    name = "keras cce logits (N,C,L) --axis 1 float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_logits(rng, (2, 3, 4)), "target": rand_dist(rng, (2, 3, 4), 1), "dim": 1,
                  "from_logits": True})
    # Keras smooths with num_classes = y_pred.shape[axis] (3.16; before
    # keras-team/keras#23437 it read the last axis): here s/3 is added, not s/4.
    name = "keras cce label smoothing 0.2 with --axis 0: num_classes from the class axis none float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_dist(rng, (3, 4), 0), "target": [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]],
                  "dim": 0, "label_smoothing": 0.2, "reduction": "none"})
    # keras/src/losses/losses_test.py test_label_smoothing_with_axis (3.16):
    # 0.361773 in float32.
    kx = [[[0.8, 0.1], [0.1, 0.8], [0.1, 0.1]], [[0.1, 0.8], [0.8, 0.1], [0.1, 0.1]]]
    ky = [[[1, 0], [0, 1], [0, 0]], [[0, 1], [1, 0], [0, 0]]]
    add(c, "keras cce label smoothing 0.1 --axis 1 (Keras's test) float32",
        {"func": f, "x": kx, "target": ky, "dim": 1, "label_smoothing": 0.1, "dtype": "float32"})
    add(c, "keras cce label smoothing 0.1 --axis 1 (Keras's test) float64",
        {"func": f, "x": kx, "target": ky, "dim": 1, "label_smoothing": 0.1})
    name = "keras cce logits label smoothing 0.3 --axis 1 (N,C,L) float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_logits(rng, (2, 3, 4)), "target": rand_dist(rng, (2, 3, 4), 1), "dim": 1,
                  "from_logits": True, "label_smoothing": 0.3})
    add(c, "keras cce logits labels not summing to 1: TF gradient softmax - labels none float64",
        {"func": f, "x": [[0.5, -1.0, 2.0], [0.0, 0.25, -0.5]], "target": [[1, 1, 0], [0.5, 0, 0]],
         "from_logits": True, "reduction": "none"})
    big = [[1e4, -1e4, 0.5, 9999.0], [-1e4, -1e4, -9999.5, -1e4], [0.0, 1e4, -1e4, 1e4]]
    add(c, "keras cce logits +-1e4 float64",
        {"func": f, "x": big, "target": [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], "from_logits": True})
    add(c, "keras cce logits +-1e4 none float32",
        {"func": f, "x": big, "target": [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], "from_logits": True,
         "reduction": "none", "dtype": "float32"})
    add(c, "keras cce C=1 probs (always 1, clipped) none float64",
        {"func": f, "x": [[0.3], [1.0]], "target": [[1], [1]], "reduction": "none"})

    c = "keras sparse_categorical_crossentropy"
    f = "sparse_categorical_crossentropy"
    for label, shape, red, dtype in grid((None, "sum", "none"), "(N,L,C)"):
        name = "keras scce probs %s %s %s" % (label, red or "default(sum_over_batch_size)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_dist(rng, shape, digits=d),
                      "target": rand_labels(rng, shape[:-1], shape[-1]), "reduction": red, "dtype": dtype})
    for label, shape, red, dtype in grid_small("(N,L,C)"):
        name = "keras scce logits %s %s %s" % (label, red or "default(sum_over_batch_size)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=d),
                      "target": rand_labels(rng, shape[:-1], shape[-1]), "from_logits": True,
                      "reduction": red, "dtype": dtype})
    for red in ("sum_over_batch_size", "mean"):
        name = "keras scce probs (N,C) -r %s float64" % red
        rng = random.Random(name)
        add(c, name, {"func": f, "x": rand_dist(rng, (3, 4)), "target": rand_labels(rng, (3,), 4), "reduction": red})
    name = "keras scce probs rows not summing to 1 (renormalised by the softmax of the logs) none float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_probs(rng, (3, 4), 0.05, 2.0), "target": [0, 3, 1], "reduction": "none"})
    add(c, "keras scce probs 0 and 1 exactly none float64",
        {"func": f, "x": [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]], "target": [0, 0, 2, 1],
         "reduction": "none"})
    add(c, "keras scce probs 0 and 1 exactly --epsilon 1e-3 float64",
        {"func": f, "x": [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]], "target": [0, 0, 2], "epsilon": 1e-3})
    add(c, "keras scce logits +-1e4 none float64",
        {"func": f, "x": big, "target": [3, 2, 1], "from_logits": True, "reduction": "none"})
    add(c, "keras scce C=1 probs (loss 0) none float64",
        {"func": f, "x": [[0.3], [1.0]], "target": [0, 0], "reduction": "none"})
    c = "keras sparse_categorical_crossentropy ignore_class"
    for red in (None, "sum", "none", "mean"):
        name = "keras scce ignore_class -1 (N,C) probs %s float64" % (red or "default(sum_over_batch_size)")
        add(c, name, {"func": f, "x": [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5], [0.3, 0.3, 0.4],
                                       [0.05, 0.9, 0.05]],
                      "target": [0, -1, 2, -1, 1], "ignore_index": -1, "reduction": red})
    name = "keras scce ignore_class 255 (N,L,C) logits float64"
    rng = random.Random(name)
    tgt = rand_labels(rng, (2, 3), 4)
    tgt[0][1] = 255
    tgt[1][2] = 255
    add(c, name, {"func": f, "x": rand_logits(rng, (2, 3, 4)), "target": tgt, "ignore_index": 255,
                  "from_logits": True})
    name = "keras scce ignore_class 255 (N,L,C) logits none float64"
    add(c, name, {"func": f, "x": rand_logits(rng, (2, 3, 4)), "target": tgt, "ignore_index": 255,
                  "from_logits": True, "reduction": "none"})
    name = "keras scce ignore_class 0 (an in-range class) (N,C) probs float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_dist(rng, (6, 3)), "target": [0, 1, 2, 0, 2, 1], "ignore_index": 0})
    name = "keras scce ignore_class -1 (32,5) logits float32"
    rng = random.Random(name)
    tgt = [rng.randrange(5) if rng.random() > 0.3 else -1 for _ in range(32)]
    add(c, name, {"func": f, "x": rand_logits(rng, (32, 5), digits=4), "target": tgt, "ignore_index": -1,
                  "from_logits": True, "dtype": "float32"})
    name = "keras scce ignore_class -1 (N,C) probs sum float32"
    add(c, name, {"func": f, "x": [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]], "target": [0, -1, 2],
                  "ignore_index": -1, "reduction": "sum", "dtype": "float32"})
    add(c, "keras scce ignore_class every position ignored (loss 0, grad 0) float64",
        {"func": f, "x": [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], "target": [-1, -1], "ignore_index": -1})
    add(c, "keras scce ignore_class (C) unbatched kept: loss / (1 + 1e-7) float64",
        {"func": f, "x": [0.7, 0.2, 0.1], "target": 0, "ignore_index": -1})
    add(c, "keras scce ignore_class set but no position ignored float64",
        {"func": f, "x": [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], "target": [0, 2], "ignore_index": -1})

    c = "keras binary_crossentropy"
    f = "binary_crossentropy"
    for label, shape, red, dtype in grid((None, "sum", "none"), "(N,L,C)"):
        name = "keras bce probs %s %s %s" % (label, red or "default(sum_over_batch_size)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_probs(rng, shape, digits=d), "target": rand_binary(rng, shape),
                      "reduction": red, "dtype": dtype})
    for label, shape, red, dtype in grid_small("(N,L,C)"):
        name = "keras bce logits %s %s %s" % (label, red or "default(sum_over_batch_size)", dtype)
        rng = random.Random(name)
        d = 4 if dtype == "float32" else None
        add(c, name, {"func": f, "x": rand_logits(rng, shape, digits=d), "target": rand_soft(rng, shape),
                      "from_logits": True, "reduction": red, "dtype": dtype})
    for red in ("sum_over_batch_size", "mean"):
        name = "keras bce probs (N,C) -r %s float64" % red
        rng = random.Random(name)
        add(c, name, {"func": f, "x": rand_probs(rng, (3, 4)), "target": rand_soft(rng, (3, 4)), "reduction": red})
    add(c, "keras bce probs 0 and 1 exactly (clip: 16.118 not 100) none float64",
        {"func": f, "x": [[0, 1, 0, 1], [0.5, 1e-9, 1 - 1e-9, 0.25]], "target": [[1, 0, 0, 1], [1, 1, 0, 0]],
         "reduction": "none"})
    add(c, "keras bce probs 0 and 1 exactly none float32",
        {"func": f, "x": [[0, 1, 0, 1], [0.5, 1e-9, 0.99999994, 0.25]], "target": [[1, 0, 0, 1], [1, 1, 0, 0]],
         "reduction": "none", "dtype": "float32"})
    for eps in (1e-3, 1e-15):
        add(c, "keras bce probs 0 and 1 --epsilon %r none float64" % eps,
            {"func": f, "x": [[0, 1, 0.0005, 0.9999]], "target": [[1, 0, 1, 0]], "epsilon": eps, "reduction": "none"})
    for ls in (0.1, 0.3):
        for logits in (False, True):
            name = "keras bce label smoothing %r %s (N,C) float64" % (ls, "logits" if logits else "probs")
            rng = random.Random(name)
            x = rand_logits(rng, (3, 4)) if logits else rand_probs(rng, (3, 4))
            add(c, name, {"func": f, "x": x, "target": rand_binary(rng, (3, 4)), "label_smoothing": ls,
                          "from_logits": logits})
    name = "keras bce label smoothing 0.1 probs (N,L,C) none float32"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_probs(rng, (2, 3, 4), digits=4), "target": rand_binary(rng, (2, 3, 4)),
                  "label_smoothing": 0.1, "reduction": "none", "dtype": "float32"})
    xs = [[100.0, -100.0, 1e4, -1e4], [0.0, 36.7, -745.2, 710.0]]
    add(c, "keras bce logits +-100 +-1e4 target 1 (TF: logit -100 costs 100) none float64",
        {"func": f, "x": xs, "target": [[1] * 4, [1] * 4], "from_logits": True, "reduction": "none"})
    add(c, "keras bce logits +-100 +-1e4 target 0 none float32",
        {"func": f, "x": [[100.0, -100.0, 1e4, -1e4], [0.0, 36.7, -88.7, 88.7]], "target": [[0] * 4, [0] * 4],
         "from_logits": True, "reduction": "none", "dtype": "float32"})
    add(c, "keras bce logits +-inf NaN none float64",
        {"func": f, "x": [[INF, -INF], [NAN, 1.0], [INF, -INF]], "target": [[0, 1], [1, 0], [1, 0]],
         "from_logits": True, "reduction": "none"})
    add(c, "keras bce logits with label smoothing 0.2 +-1e4 sum float64",
        {"func": f, "x": [[1e4, -1e4], [2.0, -3.0]], "target": [[1, 0], [0, 1]], "from_logits": True,
         "label_smoothing": 0.2, "reduction": "sum"})
    name = "keras bce probs (C,N) --axis 0 (mean over axis 0) none float64"
    rng = random.Random(name)
    add(c, name, {"func": f, "x": rand_probs(rng, (4, 3)), "target": rand_binary(rng, (4, 3)), "dim": 0,
                  "reduction": "none"})
    add(c, "keras bce single column (N,1) probs float64",
        {"func": f, "x": [[0.9], [0.2], [0.6]], "target": [[1], [0], [0]]})


def error_cases():
    c = "errors"
    e = lambda name, spec, status, msg: add(c, name, spec, (status, msg))  # noqa: E731
    bce = {"func": "binary_cross_entropy", "x": [0.2, 1.5, 0.5], "target": [1, 1, 0]}
    e("error bce probability 1.5", bce, 1, "between 0 and 1")
    e("error bce probability -0.1", dict(bce, x=[0.2, -0.1, 0.5]), 1, "between 0 and 1")
    e("error bce probability NaN (torch rejects NaN too)", dict(bce, x=[0.2, NAN, 0.5]), 1, "between 0 and 1")
    e("error bce probability 1.5 float32", dict(bce, dtype="float32"), 1, "between 0 and 1")
    ok_bce = dict(bce, x=[0.2, 0.7, 0.5])
    e("error bce --label-smoothing", dict(ok_bce, label_smoothing=0.1), 2, "losscalc: ")
    e("error bce --from-logits", dict(ok_bce, from_logits=True), 2, "losscalc: ")
    e("error bce --pos-weight (BCELoss has none)", dict(ok_bce, pos_weight=2.0), 2, "losscalc: ")
    bcel = {"func": "binary_cross_entropy_with_logits", "x": [0.2, 1.5, -0.5], "target": [1, 1, 0]}
    e("error bce_with_logits --from-logits", dict(bcel, from_logits=True), 2, "losscalc: ")
    e("error bce_with_logits --label-smoothing", dict(bcel, label_smoothing=0.1), 2, "losscalc: ")
    e("error sigmoid with a TARGET", {"func": "sigmoid", "x": [0.5, -0.5], "target": [1, 0]}, 2, "losscalc: ")
    e("error sigmoid --from-logits", {"func": "sigmoid", "x": [0.5, -0.5], "from_logits": True}, 2, "losscalc: ")
    sp = {"func": "sparse_softmax_cross_entropy_with_logits", "x": [[0.1, 0.2, 0.3], [0.5, 0.4, 0.3]]}
    e("error tf sparse_ce label 3 out of range", dict(sp, target=[0, 3]), 1, "losscalc: ")
    e("error tf sparse_ce label -1 out of range", dict(sp, target=[-1, 0]), 1, "losscalc: ")
    e("error tf sparse_ce --dim -1", dict(sp, target=[0, 2], dim=-1, dim_flag="--dim"), 2, "losscalc: ")
    e("error tf sparse_ce --axis 0", dict(sp, target=[0, 2], dim=0), 2, "losscalc: ")
    e("error tf sparse_ce labels of the wrong shape", dict(sp, target=[0, 2, 1]), 1, "losscalc: ")
    e("error tf sparse_ce --from-logits (tf.nn always takes logits)", dict(sp, target=[0, 2], from_logits=True),
      2, "losscalc: ")
    e("error tf weighted_ce without --pos-weight",
      {"func": "weighted_cross_entropy_with_logits", "x": [0.5, -0.5], "target": [1, 0]}, 2, "losscalc: ")
    e("error tf sigmoid_ce without TARGET", {"func": "sigmoid_cross_entropy_with_logits", "x": [0.5, -0.5]},
      2, "losscalc: ")
    e("error tf sigmoid_ce --label-smoothing",
      {"func": "sigmoid_cross_entropy_with_logits", "x": [0.5, -0.5], "target": [1, 0], "label_smoothing": 0.1},
      2, "losscalc: ")
    e("error tf softmax_ce labels of the wrong shape",
      {"func": "softmax_cross_entropy_with_logits", "x": [[0.1, 0.2, 0.3]], "target": [[0.5, 0.5]]}, 1, "losscalc: ")
    scce = {"func": "sparse_categorical_crossentropy", "x": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]}
    e("error keras scce label 3 out of range", dict(scce, target=[0, 3]), 1, "losscalc: ")
    e("error keras scce label -1 without --ignore-index", dict(scce, target=[-1, 0]), 1, "losscalc: ")
    e("error keras scce label -1 with --ignore-index 255", dict(scce, target=[-1, 0], ignore_index=255),
      1, "losscalc: ")
    e("error keras scce --label-smoothing (Keras has none for sparse)", dict(scce, target=[0, 2], label_smoothing=0.1),
      2, "losscalc: ")


def build_case(name, spec, error):
    args = build_args(spec)
    if error is not None:
        status, msg = error
        if status == 1:
            try:
                evaluate(spec)
            except (RuntimeError, DataError, IndexError, ValueError) as exc:
                if msg != "losscalc: " and msg not in str(exc):
                    raise SystemExit("case %r: raised %r, expected %r" % (name, str(exc), msg))
            else:
                raise SystemExit("case %r: the reference did not raise" % name)
        return {"name": name, "args": args, "expect": {"status": status, "stderr_contains": msg}}
    want = evaluate(spec)
    rtol, atol = tolerances(name, spec, want)
    if atol > atol_cap(spec):
        raise SystemExit("case %r: the emulation and the written-out formulas disagree (atol would be %g)"
                         % (name, atol))
    expect = {"status": 0}
    for k in ("loss", "grad", "sigmoid", "softmax"):
        if k in want:
            expect[k] = jsonable(want[k])
    return {"name": name, "args": args, "expect": expect, "rtol": rtol, "atol": atol}


def check_seed(cases):
    by = {c["name"]: c for c in cases}
    s = by["bce seed x=[0,1,0.5] y=[1,1,0] sum float64"]["expect"]
    assert s["loss"] == 100.69314718055995, s["loss"]
    # torch 1.13 clamps x(1-x) at EPSILON, a float constant 1e-12f =
    # 9.999999960041972e-13, so the gradient is -1.0000000039958e12, not -1e12.
    assert abs(s["grad"][0] / -1e12 - 1) < 1e-8, s["grad"]
    assert by["bcel seed mean float32"]["expect"]["loss"] == 0.2576102316379547
    # Keras clips at 1e-7: a confident wrong prediction costs -log(1e-7) = 16.118..., not 100.
    k = by["keras bce probs 0 and 1 exactly (clip: 16.118 not 100) none float64"]["expect"]["loss"]
    assert abs(k[0] - (-math.log(1e-7) - math.log(1 - (1 - 1e-7)) - 2 * math.log(1 - 1e-7)) / 4) < 1e-12, k


# ----------------------------------------------------------------------------
# running a build


def run_check(binary, cases):
    failed = 0
    for c in cases:
        p = subprocess.run([binary] + c["args"], capture_output=True, text=True, timeout=60)
        exp = c["expect"]
        problem = None
        if p.returncode != exp["status"]:
            problem = "status %d, expected %d; stderr: %s" % (p.returncode, exp["status"], p.stderr.strip()[:300])
        elif p.returncode != 0:
            if p.stdout:
                problem = "stdout not empty on error"
            elif exp.get("stderr_contains") and exp["stderr_contains"] not in p.stderr:
                problem = "stderr lacks %r: %s" % (exp["stderr_contains"], p.stderr.strip()[:300])
        else:
            try:
                got = json.loads(p.stdout)
            except ValueError as exc:
                got, problem = None, "invalid JSON (%s): %s" % (exc, p.stdout[:200])
            if got is not None:
                for k, want in exp.items():
                    if k == "status":
                        continue
                    if k not in got:
                        problem = "missing key %r" % k
                        break
                    m = first_mismatch(want, got[k], c["rtol"], c["atol"], k)
                    if m:
                        problem = m
                        break
        if problem:
            failed += 1
            print("FAIL %s\n     %s\n     args: %s" % (c["name"], problem, " ".join(c["args"])[:400]))
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", metavar="BINARY",
                    help="run the cases of the existing JSON file through BINARY instead of regenerating")
    opts = ap.parse_args()
    if opts.check:
        with open(OUT_PATH) as f:
            doc = json.load(f)
        sys.exit(run_check(opts.check, doc["cases"]))

    bce_cases()
    bce_logits_cases()
    sigmoid_cases()
    tf_cases()
    keras_cases()
    error_cases()

    names = [n for _, n, _, _ in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit("duplicate case names: %s" % sorted(dup))

    cases, counts, widened = [], {}, []
    for category, name, spec, error in CASES:
        case = build_case(name, spec, error)
        cases.append(case)
        counts[category] = counts.get(category, 0) + 1
        if error is None and case["atol"] != BASE_TOL[spec.get("dtype", "float64")][1]:
            widened.append((name, case["atol"]))
    check_seed(cases)

    lines = ['{"generator": %s,' % json.dumps(GENERATOR),
             ' "torch_version": %s,' % json.dumps(torch.__version__),
             ' "keras_version": %s,' % json.dumps(KERAS_VERSION),
             ' "sources": %s,' % json.dumps(SOURCES),
             ' "cases": [']
    lines.append(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
    lines.append("]}")
    text = "\n".join(lines) + "\n"
    json.loads(text)
    with open(OUT_PATH, "w") as f:
        f.write(text)
    for category, n in counts.items():
        print("%4d  %s" % (n, category))
    print("%4d  cases in total, %d bytes -> %s" % (len(cases), len(text), os.path.relpath(OUT_PATH)))
    for name, atol in widened:
        print("      atol widened to %g: %s" % (atol, name))


if __name__ == "__main__":
    main()
