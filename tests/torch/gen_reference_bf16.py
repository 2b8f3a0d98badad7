#!/usr/bin/env python3
"""Reference values of --dtype bfloat16: torch 1.13's CPU bfloat16 kernels
(cross_entropy with class indices, nll_loss, log_softmax, softmax), bit for
bit, and the gradients of cross_entropy (class dim last or not) and
nll_loss (of at most 1000 values), for tests/reference_test.cpp ("bfloat16
reference cases").

  /usr/bin/python3 tests/torch/gen_reference_bf16.py
      writes tests/torch/bf16_reference_cases.json (fixed seed) and, with
      --binary build/losscalc, checks it
  /usr/bin/python3 tests/torch/gen_reference_bf16.py --differential 300 --binary build/losscalc [--seed S]
      makes fresh random cases (larger ones too) and checks the binary

Inputs are decimals of 4 significant digits, read by torch as a float32
tensor and converted with .bfloat16() (round to nearest even), as losscalc
rounds them. The shapes: (N, C) with N around 256 and 257 (the batch count
is a bfloat16 number: 257 becomes 256), 1 to 300 and large C (up to 5000),
unbatched (C), K-dimensional (N, C, d) and (N, C, d1, d2); every reduction,
class weights (a few negative), ignore_index; logits of scale 1 to 30. Then
cases over a dim that is not the last (nonlast_cases: softmax, log_softmax
over dim 1 of (N, C, d) and (N, C, d1, d2), cross_entropy of K-dim input),
with the positions after the dim 1 to 47 so that torch 1.13's 16-lane
vectors, their upper halves and its scalar remainder are all met.

A case passes when losscalc's value equals torch's to the bit, or, where
losscalc reports loss_low / loss_high (torch's float sum of exponentials
lies within its rounding error of a bfloat16 boundary, so either neighbour
is possible), torch's value lies in [low, high]. The check prints how many
cases were certain.
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference_regression import run  # noqa: E402

OUT = os.path.join(HERE, "bf16_reference_cases.json")


def dec(v):
    return float("%.4g" % v)


def text(values):
    return json.dumps(values, separators=(",", ":"))


def nested(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def jsonable(v):
    if isinstance(v, list):
        return [jsonable(e) for e in v]
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def logits(rng, shape, scale):
    n = 1
    for s in shape:
        n *= s
    flat = [dec(rng.gauss(0, 1) * scale) for _ in range(n)]
    return flat, nested(flat, shape)


def make_case(rng, name):
    big = name.startswith("random") and rng.random() < 0.2  # the differential's larger cases
    kind = rng.choices(["ce", "ce_unbatched", "ce_kdim", "nll", "nll_kdim", "log_softmax", "softmax"],
                       [44, 8, 1, 16, 10, 10, 10])[0]
    scale = rng.choice([1.0, 3.0, 10.0, 30.0])
    budget = 60000 if big else 2600 if rng.random() < 0.06 else 400
    if kind in ("ce", "nll"):
        n = rng.choice([1, 2, 3, 5, 8, 17, 31, 64, 100, 128, 300] * 3 + [255, 256, 257] * 2 + [511, 512, 513])
        c = rng.choice([2, 3, 4, 5, 10, 32, 100, 257, 1000, 5000])
        if n >= 255 and not big:
            c = rng.choice([2, 3, 4])
            budget = max(budget, n * c)
        while n * c > budget:
            if c > 10 and rng.random() < 0.5:
                c //= 2
            else:
                n = max(1, n // 2)
        shape = [n, c]
    elif kind == "ce_unbatched":
        shape = [rng.choice([2, 3, 7, 16, 100, 1000])]
    elif kind in ("ce_kdim", "nll_kdim"):
        n, c = rng.choice([1, 2, 3, 8]), rng.choice([2, 3, 5, 16])
        d = [rng.choice([1, 2, 5, 16, 32, 129])]
        if rng.random() < 0.4:
            d.append(rng.choice([1, 3, 8]))
        shape = [n, c] + d
        while math.prod(shape) > budget:
            k = max(range(2, len(shape)), key=lambda i: shape[i])  # the largest of the d's
            if shape[k] == 1:
                shape[0] = max(1, shape[0] // 2)
            shape[k] = max(1, shape[k] // 2)
    else:
        shape = rng.choice([[rng.choice([2, 5, 100, 1000])], [rng.choice([1, 4, 33]), rng.choice([2, 16, 300])],
                            [2, rng.choice([3, 8]), rng.choice([1, 5])]])
        if math.prod(shape) > budget:
            shape[-1] = max(2, budget // max(1, math.prod(shape[:-1])))
    flat, x = logits(rng, shape, scale)
    xt = torch.tensor(flat, dtype=torch.float32).reshape(shape).bfloat16()
    args = {"ce": "cross_entropy", "ce_unbatched": "cross_entropy", "ce_kdim": "cross_entropy", "nll": "nll_loss",
            "nll_kdim": "nll_loss", "log_softmax": "log_softmax", "softmax": "softmax"}[kind]
    args = [args, "--json", "--no-warnings", "--dtype", "bfloat16"]
    expect = {"status": 0}
    if kind in ("log_softmax", "softmax"):
        dim = len(shape) - 1 if rng.random() < 0.9 else rng.randrange(len(shape))
        args += ["--dim", str(dim), text(x)]
        out = (F.log_softmax if kind == "log_softmax" else F.softmax)(xt, dim)
        expect[kind] = jsonable(out.double().tolist())
        return {"name": "%s %s %s dim %d" % (name, kind, shape, dim), "args": args, "expect": expect}
    c = shape[0] if kind == "ce_unbatched" else shape[1]
    if kind.startswith("nll"):
        # log-probabilities in bfloat16, as a model's log_softmax hands them on
        lp = F.log_softmax(torch.tensor(flat, dtype=torch.float32).reshape(shape), 1)
        flat = [dec(v) for v in lp.flatten().tolist()]
        x = nested(flat, shape)
        xt = torch.tensor(flat, dtype=torch.float32).reshape(shape).bfloat16()
    pos_shape = [] if kind == "ce_unbatched" else [shape[0]] + shape[2:]
    npos = math.prod(pos_shape) if pos_shape else 1
    y = [rng.randrange(c) for _ in range(npos)]
    ignore = -100
    if rng.random() < 0.25:
        if rng.random() < 0.5:
            ignore = rng.randrange(c)
            args += ["--ignore-index", str(ignore)]
        for i in range(npos):
            if rng.random() < 0.2:
                y[i] = ignore
    red = rng.choice(["mean", "mean", "sum", "none"])
    args += ["-r", red, text(x), text(nested(y, pos_shape) if pos_shape else y[0])]
    weight = None
    if rng.random() < 0.3:
        w = [dec(rng.uniform(0.1, 3.0) if rng.random() < 0.95 else rng.uniform(-1, 0)) for _ in range(c)]
        args += ["--weight", text(w)]
        weight = torch.tensor(w, dtype=torch.float32).bfloat16()
    yt = torch.tensor(y if pos_shape else y[0], dtype=torch.long).reshape(pos_shape)
    fn = F.cross_entropy if kind.startswith("ce") else F.nll_loss
    out = fn(xt, yt, weight=weight, ignore_index=ignore, reduction=red)
    expect["loss"] = jsonable(out.double().tolist())
    if xt.numel() <= 1000:
        # The gradient, through torch's bfloat16 backward (reduction none:
        # of the losses' sum, an upstream gradient of ones).
        xg = xt.clone().requires_grad_()
        fn(xg, yt, weight=weight, ignore_index=ignore, reduction=red).sum().backward()
        expect["grad"] = jsonable(xg.grad.double().tolist())
    if kind.startswith("ce") and xt.numel() <= 100:
        expect["log_softmax"] = jsonable(F.log_softmax(xt, 0 if kind == "ce_unbatched" else 1).double().tolist())
    return {"name": "%s %s %s %s%s%s" % (name, kind, shape, red, " weighted" if weight is not None else "",
                                        " ignore %d" % ignore if ignore != -100 else ""), "args": args, "expect": expect}


def hand_cases():
    """The catalogue's examples: N = 257 counts as 256 (a mean of 1.0 where
    float32 gives 0.99611); 8 ones summed."""
    out = []
    for n in (255, 256, 257, 258, 1000):
        x = [[0.0, 0.0]] * n
        y = [0] * n
        xt = torch.zeros(n, 2).bfloat16()
        v = F.cross_entropy(xt, torch.zeros(n, dtype=torch.long)).double().item()
        out.append({"name": "equal logits, N = %d (the count in bfloat16)" % n,
                    "args": ["cross_entropy", "--json", "--no-warnings", "--dtype", "bfloat16", text(x), text(y)],
                    "expect": {"status": 0, "loss": v}})
        lp = [[-1.0, -1.0]] * n
        v = F.nll_loss(torch.full((n, 2), -1.0).bfloat16(), torch.zeros(n, dtype=torch.long)).double().item()
        out.append({"name": "nll of -1, N = %d" % n,
                    "args": ["nll_loss", "--json", "--no-warnings", "--dtype", "bfloat16", text(lp), text(y)],
                    "expect": {"status": 0, "loss": v}})
    return out


def nonlast_case(rng, name):
    """softmax / log_softmax over dim 1 of (N, C, d) or (N, C, d1, d2), or
    cross_entropy of that input: inner sizes below, at and above torch's 16
    lanes, with a remainder or without."""
    kind = rng.choice(["softmax", "log_softmax", "log_softmax", "ce_kdim"])
    inner = rng.choice(list(range(1, 41)) + [47])
    c = rng.choice([1, 2, 3, 5, 10, 16, 33, 100, 300])
    n = rng.randint(1, 4)
    while n * c * inner > 700:
        if n > 1:
            n -= 1
        else:
            c = max(1, c // 2)
    if inner > 1 and rng.random() < 0.4:
        a = rng.choice([k for k in range(1, inner + 1) if inner % k == 0])
        shape = [n, c, a, inner // a]
    else:
        shape = [n, c, inner]
    scale = rng.choice([0.5, 1.0, 3.0, 10.0, 20.0])
    flat, x = logits(rng, shape, scale)
    xt = torch.tensor(flat, dtype=torch.float32).reshape(shape).bfloat16()
    if kind != "ce_kdim":
        args = [kind, "--json", "--no-warnings", "--dtype", "bfloat16", "--dim", "1", text(x)]
        out = (F.log_softmax if kind == "log_softmax" else F.softmax)(xt, 1)
        return {"name": "%s %s %s dim 1 (inner %d)" % (name, kind, shape, inner), "args": args,
                "expect": {"status": 0, kind: jsonable(out.double().tolist())}}
    pos_shape = [shape[0]] + shape[2:]
    y = [rng.randrange(c) for _ in range(math.prod(pos_shape))]
    red = rng.choice(["mean", "sum", "none"])
    args = ["cross_entropy", "--json", "--no-warnings", "--dtype", "bfloat16", "-r", red, text(x), text(nested(y, pos_shape))]
    yt = torch.tensor(y, dtype=torch.long).reshape(pos_shape)
    expect = {"status": 0, "loss": jsonable(F.cross_entropy(xt, yt, reduction=red).double().tolist()),
              "log_softmax": jsonable(F.log_softmax(xt, 1).double().tolist())}
    # The gradient, through torch's bfloat16 backward over the non-last dim
    # (reduction none: of the losses' sum).
    xg = xt.clone().requires_grad_()
    F.cross_entropy(xg, yt, reduction=red).sum().backward()
    expect["grad"] = jsonable(xg.grad.double().tolist())
    return {"name": "%s ce_kdim %s %s (inner %d)" % (name, shape, red, inner), "args": args, "expect": expect}


def differential_case(rng, name):
    """The differential's cases: one in five over a dim that is not the last."""
    return nonlast_case(rng, name) if rng.random() < 0.2 else make_case(rng, name)


def seeded_cases():
    rng = random.Random(20261207)
    cases = hand_cases() + [make_case(rng, "bf16 %d" % i) for i in range(1200)]
    rng = random.Random(20261208)
    return cases + [nonlast_case(rng, "bf16 non-last %d" % i) for i in range(300)]


def within(got, key, want):
    """torch's value equals losscalc's, or lies in [KEY_low, KEY_high]."""
    g = got[key]
    lo, hi = got.get(key + "_low", g), got.get(key + "_high", g)

    def flat(v):
        return sum((flat(e) for e in v), []) if isinstance(v, list) else [v]

    def num(v):
        return float("nan") if v == "NaN" else float(v.replace("Infinity", "inf")) if isinstance(v, str) else float(v)

    for a, b, l, h in zip(flat(g), flat(want), flat(lo), flat(hi)):
        a, b, l, h = num(a), num(b), num(l), num(h)
        if math.isnan(b) and math.isnan(a):
            continue
        if a == b:
            continue
        if not (l <= b <= h):
            return False
    return len(flat(g)) == len(flat(want))


def check(binary, cases):
    bad = uncertain = refusals = nominal_off = 0
    for c in cases:
        args = list(c["args"])
        files = []
        for i, a in enumerate(args):
            if len(a) > 20000:  # long data through a file (the command line has a limit)
                f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
                f.write(a)
                f.close()
                files.append(f.name)
                args[i] = f.name
        p = subprocess.run([binary] + args, capture_output=True, text=True)
        for f in files:
            os.unlink(f)
        if p.returncode != c["expect"]["status"]:
            bad += 1
            print("FAIL %s: status %d: %s" % (c["name"], p.returncode, p.stderr.strip()))
            continue
        if p.returncode != 0:
            if c["expect"]["stderr_contains"] not in p.stderr or p.stdout:
                bad += 1
                print("FAIL %s: stderr %s" % (c["name"], p.stderr.strip()))
            refusals += 1
            continue
        got = json.loads(p.stdout)
        unsure = any(k.endswith("_low") for k in got)
        uncertain += unsure
        nominal_off += unsure and any(k in got and got[k] != v for k, v in c["expect"].items() if k != "status")
        for key, want in c["expect"].items():
            if key == "status":
                continue
            if key not in got or not within(got, key, want):
                bad += 1
                print("FAIL %s: %s: losscalc %s, torch %s" % (c["name"], key, json.dumps(got.get(key))[:300], json.dumps(want)[:300]))
                print("  " + " ".join(c["args"][:6]))
                break
    print("%d cases: %d certain and bit-identical, %d with a reported range (torch took the other neighbour in %d), "
          "%d refused with the message, %d failures" %
          (len(cases), len(cases) - uncertain - bad - refusals, uncertain, nominal_off, refusals, bad))
    return bad == 0


if __name__ == "__main__":
    run(differential_case, seeded_cases, OUT, "tests/torch/gen_reference_bf16.py", check)
