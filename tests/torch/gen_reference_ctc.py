#!/usr/bin/env python3
"""Reference values of torch's ctc_loss from PyTorch 1.13 (the CPU kernel,
aten/src/ATen/native/LossCTC.cpp), for tests/reference_test.cpp, and a
differential test.

  /usr/bin/python3 tests/torch/gen_reference_ctc.py
      writes tests/torch/ctc_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_ctc.py --differential 200 --binary build/losscalc
      makes 200 fresh random cases with torch and checks the binary on each

Command lines:

  ctc_loss --json --no-warnings [-r mean|sum|none] [--blank B] [--zero-infinity]
      [--dtype float32] LOG_PROBS TARGETS INPUT_LENGTHS TARGET_LENGTHS
      expect loss, nll, grad (autograd w.r.t. log_probs), grad_logits
      (autograd w.r.t. z through log_softmax(z), when LOG_PROBS is
      log_softmax(z)), true_grad (float64: torch's grad - exp(log_probs) x the
      reduction's factor, which is -occupancy x that factor)

  tf.nn.ctc_loss --json --no-warnings [--no-logits-time-major] [--blank-index B]
      [-r mean|sum] [--dtype float32] LOGITS LABELS LOGIT_LENGTH LABEL_LENGTH
      60 cases: no TensorFlow here, so the expected loss and grad (w.r.t. the
      logits) are torch's ctc_loss of log_softmax(logits), reduction none
      (then mean / sum), autograd through the log_softmax, with TF's
      negative blank_index counted from C and both logits layouts.

What torch 1.13 does, which the cases pin down:
  * log_probs (T, N, C) or (T, C); targets (N, S) padded or 1-D
    concatenated; the lengths as tensors. reduction 'mean' is
    mean_n(loss_n / clamp_min(target_length_n, 1)).
  * autograd w.r.t. log_probs gives exp(log_probs) - occupancy (the kernel
    assumes a log_softmax before it), not the derivative -occupancy; frames
    past input_length get 0.
  * an impossible alignment (input too short, also for repeated labels
    that need a blank between them) gives inf and NaN gradients on its
    frames; zero_infinity gives 0 and 0.
  * target_length 0: -sum_t log p(blank); blank may be any class, and a
    label equal to the blank is computed as given.
  * the messages for bad lengths and shapes (status 1); a label outside
    [0, C), a negative length and input_length 0 for a non-empty target are
    read out of bounds by torch without a check: losscalc refuses them.
  * log_probs that are not normalised are taken as they are (a negative loss
    is possible).
"""
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402
from gen_reference_regression import run, text  # noqa: E402

OUT = os.path.join(HERE, "ctc_reference_cases.json")
TOL = {"float64": (1e-11, 1e-12), "float32": (2e-5, 2e-6)}
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def ints(v):
    return json.dumps(v, separators=(",", ":"))


def case(name, z, targets, il, tl, red=None, blank=None, zero_infinity=False, dtype="float64", normalised=True):
    """z: float64 logits (T, N, C) or (T, C); log_probs = log_softmax(z) in
    the dtype (or z itself when not `normalised`); targets, il, tl: lists
    (or ints for the unbatched form)."""
    d = DTYPES[dtype]
    zz = z.to(d).clone().requires_grad_(True)
    lp0 = (F.log_softmax(zz, -1) if normalised else zz).detach()
    lp = lp0.clone().requires_grad_(True)
    args = ["ctc_loss", "--json", "--no-warnings"]
    if red is not None:
        args += ["-r", red]
    if blank is not None:
        args += ["--blank", str(blank)]
    if zero_infinity:
        args += ["--zero-infinity"]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(lp0.double()), ints(targets), ints(il), ints(tl)]
    kw = {"reduction": red or "mean", "blank": blank or 0, "zero_infinity": zero_infinity}
    c = {"name": name, "args": args}
    tt, ilt, tlt = torch.tensor(targets, dtype=torch.long), torch.tensor(il), torch.tensor(tl)
    try:
        loss = F.ctc_loss(lp, tt, ilt, tlt, **kw)
    except RuntimeError as exc:
        c["expect"] = {"status": 1, "stderr_contains": str(exc)}
        return c
    (loss.sum() if kw["reduction"] == "none" else loss).backward()
    with torch.no_grad():
        nll = F.ctc_loss(lp0.double(), tt, ilt, tlt, reduction="none", blank=kw["blank"])
        if dtype == "float32":
            nll = F.ctc_loss(lp0, tt, ilt, tlt, reduction="none", blank=kw["blank"])
    e = {"status": 0, "loss": jsonable(loss.detach().double().tolist()), "grad": jsonable(lp.grad.double().tolist()),
         "nll": jsonable(nll.double().tolist())}
    if normalised:
        l2 = F.ctc_loss(F.log_softmax(zz, -1), tt, ilt, tlt, **kw)
        (l2.sum() if kw["reduction"] == "none" else l2).backward()
        e["grad_logits"] = jsonable(zz.grad.double().tolist())
    if dtype == "float64":
        # torch's grad is (exp(lp) - occupancy) x factor on frames < input_length: the factor is
        # the reduction's (1, or 1 / (N max(tl, 1)) for the mean), so -occupancy x factor is:
        n = lp0.shape[1] if lp0.dim() == 3 else 1
        tlv = [tl] if isinstance(tl, int) else tl
        ilv = [il] if isinstance(il, int) else il
        fac = torch.tensor([1.0 / (n * max(x, 1)) if kw["reduction"] == "mean" else 1.0 for x in tlv], dtype=torch.float64)
        frames = torch.arange(lp0.shape[0])[:, None] < torch.tensor(ilv)[None, :]  # (T, N)
        nllv = nll.reshape(-1)
        live = frames & ~((nllv == float("inf")) & zero_infinity)[None, :]
        lpb = lp0 if lp0.dim() == 3 else lp0[:, None, :]
        gb = lp.grad if lp.grad.dim() == 3 else lp.grad[:, None, :]
        tg = (gb - lpb.exp() * fac[None, :, None]) * live[:, :, None]
        e["true_grad"] = jsonable(tg.reshape(lp0.shape).tolist())
    c["expect"] = e
    rtol, atol = TOL[dtype]
    if dtype == "float32":  # torch sums in float32, losscalc exactly
        atol = max(atol, 4 * 1.2e-7 * float(nll.abs().nan_to_num(0, 0, 0).sum()))
    c["rtol"], c["atol"] = rtol, atol
    return c


def random_problem(rng):
    T = rng.randint(1, 12)
    N = rng.randint(1, 4)
    C = rng.randint(2, 6)
    blank = rng.choice([0, 0, 0, C - 1, rng.randrange(C)])
    S = rng.randint(0, 5)
    tl, il, rows = [], [], []
    for _ in range(N):
        n = rng.randint(0, S)
        tl.append(n)
        il.append(rng.randint(1, T))
        row = [rng.choice([c for c in range(C) if c != blank] or [blank]) for _ in range(n)]
        if rng.random() < 0.3 and n >= 2:
            row[1] = row[0]  # a repeat: needs a blank between
        rows.append(row + [rng.randrange(C) for _ in range(max(S, 1) - n)])  # padding of any value
    if rng.random() < 0.4 and N > 1:
        il[rng.randrange(N)] = T
    return T, N, C, blank, S, tl, il, rows


def make_case(rng, name):
    T, N, C, blank, S, tl, il, rows = random_problem(rng)
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice([None, "none", "mean", "sum"])
    zi = rng.random() < 0.3
    scale = rng.choice([1.0, 3.0, 10.0])
    z = torch.randn(T, N, C, dtype=torch.float64) * scale
    concat = rng.random() < 0.4 and sum(tl) > 0
    targets = [v for k, r in enumerate(rows) for v in r[:tl[k]]] if concat else rows
    return case("%s T%d N%d C%d S%d %s %s blank=%d zi=%s %s" % (name, T, N, C, S, red, dtype, blank, zi, "concat" if concat else "padded"),
                z, targets, il, tl, red, blank if blank else None, zi, dtype)


def hand_cases():
    torch.manual_seed(7)
    z = torch.randn(5, 2, 4, dtype=torch.float64)
    tg, il, tl = [[1, 2], [3, 3]], [5, 5], [2, 2]
    out = []
    for dtype in ("float64", "float32"):
        for red in ("mean", "sum", "none"):
            out.append(case("ctc padded %s %s" % (red, dtype), z, tg, il, tl, red=red, dtype=dtype))
            out.append(case("ctc concatenated %s %s" % (red, dtype), z, [1, 2, 3, 3], il, tl, red=red, dtype=dtype))
        out += [
            case("ctc default reduction (mean) %s" % dtype, z, tg, il, tl, dtype=dtype),
            case("ctc blank 3 %s" % dtype, z, [[1, 2], [0, 0]], il, tl, blank=3, dtype=dtype),
            case("ctc input too short: inf, NaN grads %s" % dtype, z, tg, [1, 5], tl, red="none", dtype=dtype),
            case("ctc repeat needs 3 frames, 2 given: inf %s" % dtype, z, tg, [5, 2], tl, red="none", dtype=dtype),
            case("ctc impossible, mean %s" % dtype, z, tg, [1, 5], tl, dtype=dtype),
            case("ctc zero_infinity none %s" % dtype, z, tg, [1, 5], tl, red="none", zero_infinity=True, dtype=dtype),
            case("ctc zero_infinity mean %s" % dtype, z, tg, [1, 5], tl, red="mean", zero_infinity=True, dtype=dtype),
            case("ctc target length 0 %s" % dtype, z, tg, il, [0, 2], red="none", dtype=dtype),
            case("ctc target length 0 mean (divides by 1) %s" % dtype, z, [3, 3], il, [0, 2], dtype=dtype),
            case("ctc shorter input_lengths: frames past get 0 %s" % dtype, z, tg, [3, 4], [1, 2], red="sum", dtype=dtype),
            case("ctc unbatched (T, C) %s" % dtype, z[:, 0], [1, 2], 5, 2, dtype=dtype),
            case("ctc unbatched none is a scalar %s" % dtype, z[:, 0], [1, 2], 5, 2, red="none", dtype=dtype),
            case("ctc raw logits (not normalised): a negative loss %s" % dtype, z * 3 + 2, tg, il, tl, red="none", dtype=dtype,
                 normalised=False),
            case("ctc long sequence %s" % dtype, torch.randn(60, 3, 7, dtype=torch.float64) * 4,
                 [[1, 2, 3, 3, 4, 5, 6, 1, 1, 2], [6, 5, 4, 3, 2, 1, 1, 1, 2, 3], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]], [60, 45, 30], [10, 8, 10],
                 dtype=dtype),
        ]
    out += [
        case("ctc a label equal to the blank (torch computes it)", z, [[0, 2], [3, 3]], il, tl, red="none"),
        case("ctc blank 3 with a label 3", z, [[1, 3], [3, 3]], il, tl, red="none", blank=3),
        case("ctc padding values are not read", z, [[1, 2, 9, -5], [3, 3, 7, 7]], il, tl, red="none"),
        case("ctc unbatched targets (1, S)", z[:, 0], [[1, 2]], [5], [2]),
        # torch's errors
        case("ctc input_lengths above T", z, tg, [6, 5], tl),
        case("ctc target_lengths above the padded width", z, tg, il, [3, 2]),
        case("ctc input_lengths of the wrong size", z, tg, [5], tl),
        case("ctc target_lengths of the wrong size", z, tg, il, [2]),
        case("ctc blank >= C", z, tg, il, tl, blank=4),
        case("ctc concatenated targets too short", z, [1, 2, 3], il, tl),
        case("ctc targets with too few rows", z, [[1, 2]], il, tl),
    ]
    return out


def tf_case(name, z, labels, logit_length, label_length, time_major=True, blank_index=None, red=None, dtype="float64"):
    """tf.nn.ctc_loss (dense labels, softmax inside) against torch's ctc_loss
    on log_softmax(logits), reduction none, in the time-major layout; the
    gradient w.r.t. the logits from autograd through log_softmax."""
    d = DTYPES[dtype]
    zz = z.to(d).clone()  # time-major (T, B, C)
    C = zz.shape[2]
    blank = 0 if blank_index is None else (blank_index + C if blank_index < 0 else blank_index)
    given = zz if time_major else zz.transpose(0, 1).contiguous()
    args = ["tf.nn.ctc_loss", "--json", "--no-warnings"]
    if not time_major:
        args += ["--no-logits-time-major"]
    if blank_index is not None:
        args += ["--blank-index", str(blank_index)]
    if red is not None:
        args += ["-r", red]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(given.double()), ints(labels), ints(logit_length), ints(label_length)]
    x = given.clone().requires_grad_(True)
    lp = F.log_softmax(x if time_major else x.transpose(0, 1), -1)
    losses = F.ctc_loss(lp, torch.tensor(labels, dtype=torch.long), torch.tensor(logit_length), torch.tensor(label_length),
                        reduction="none", blank=blank)
    loss = {"mean": losses.mean(), "sum": losses.sum()}.get(red, losses)
    loss.sum().backward()
    rtol, atol = TOL[dtype]
    return {"name": name, "args": args,
            "expect": {"status": 0, "loss": jsonable(loss.detach().double().tolist()), "grad": jsonable(x.grad.double().tolist())},
            "rtol": rtol, "atol": max(atol, 1e-5 * float(losses.abs().nan_to_num(0, 0, 0).sum())) if dtype == "float32" else atol}


def tf_cases():
    rng = random.Random(20261208)
    torch.manual_seed(20261208)
    out = []
    for i in range(60):
        T, N, C, blank, S, tl, il, rows = random_problem(rng)
        if blank != 0 and rng.random() < 0.5:
            bi = blank - C  # TF's negative blank_index
        else:
            bi = blank if blank != 0 or rng.random() < 0.5 else None
        rows = [[v if k >= tl[n] or v != blank else (blank + 1) % C for k, v in enumerate(r)] for n, r in enumerate(rows)]
        if C == 2:
            rows = [[1 - blank if k < tl[n] else v for k, v in enumerate(r)] for n, r in enumerate(rows)]
        z = torch.randn(T, N, C, dtype=torch.float64) * rng.choice([1.0, 3.0])
        tm = rng.random() < 0.5
        red = rng.choice([None, None, "mean", "sum"])
        dtype = rng.choice(["float64", "float64", "float32"])
        out.append(tf_case("tf.nn.ctc_loss random %d T%d B%d C%d %s blank_index=%r %s %s" % (i, T, N, C, "time-major" if tm else "batch-major", bi, red, dtype),
                           z, rows, il, tl, tm, bi, red, dtype))
    return out


def seeded_cases():
    rng = random.Random(20261207)
    torch.manual_seed(20261207)
    return hand_cases() + [make_case(rng, "ctc random %d" % i) for i in range(120)] + tf_cases()


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, "tests/torch/gen_reference_ctc.py")
