#!/usr/bin/env python3
"""Reference values of torch's regression losses (mse_loss, l1_loss,
smooth_l1_loss with --beta, huber_loss with --delta) from PyTorch 1.13, for
tests/reference_test.cpp, and a differential test.

  /usr/bin/python3 tests/torch/gen_reference_regression.py
      writes tests/torch/regression_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_regression.py --differential 200 --binary build/losscalc
      makes 200 fresh random cases with torch and checks the binary on each

Each case: losscalc arguments (--json), the expected exit status, and for a
success torch's loss, grad (input) and grad_target (target), with rtol/atol
(float64 1e-12; float32 as torch's own rounding allows). Shapes cover equal
shapes, shapes that broadcast (torch's warning: an (N, 1) input against an
(N) target compares every pair), shapes that do not (status 1, torch's
message), reductions mean/sum/none, float32 and float64, NaN and inf.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import warnings

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402  (non-finite floats as the strings losscalc writes)
OUT = os.path.join(HERE, "regression_reference_cases.json")
TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}


def text(t):
    """A tensor as losscalc reads it: JSON with NaN/Infinity spelled out."""
    def one(v):
        if isinstance(v, list):
            return "[" + ",".join(one(x) for x in v) + "]"
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(float(v))
    return one(t.tolist())


def random_shape(rng):
    nd = rng.choice([0, 1, 1, 2, 2, 2, 3])
    return tuple(rng.randint(1, 5) for _ in range(nd))


def broadcastable_pair(rng):
    """(input shape, target shape): equal (mostly), broadcasting, or not."""
    a = random_shape(rng)
    r = rng.random()
    if r < 0.55:
        return a, a, True
    if r < 0.85:  # a shape that broadcasts against a: some dims set to 1, maybe fewer dims
        b = list(a)
        for i in range(len(b)):
            if rng.random() < 0.4:
                b[i] = 1
        if b and rng.random() < 0.3:
            b = b[rng.randint(0, len(b) - 1):]
        if rng.random() < 0.5:
            a, b = tuple(b), a  # either side may be the smaller
        return tuple(a), tuple(b), True
    if r < 0.93:  # the classic (N, 1) against (N)
        n = rng.randint(2, 5)
        return (n, 1), (n,), True
    # a mismatch
    if not a:
        a = (3,)
    b = list(a)
    i = rng.randint(0, len(b) - 1)
    b[i] = b[i] + rng.randint(1, 3) if b[i] > 1 else 2
    if a[i] == 1:
        a = tuple(a[:i]) + (3,) + tuple(a[i + 1:])
        b[i] = 2
    return tuple(a), tuple(b), False


def values(rng, shape, dtype):
    t = torch.empty(shape, dtype=torch.float64).uniform_(-3, 3, generator=None)
    flat = t.view(-1)
    for k in range(flat.numel()):
        flat[k] = round(rng.uniform(-3, 3), rng.choice([1, 3, 6, 17]))
        r = rng.random()
        if r < 0.03:
            flat[k] = float("nan")
        elif r < 0.05:
            flat[k] = rng.choice([float("inf"), float("-inf")])
        elif r < 0.08:
            flat[k] = rng.choice([1e30, -1e30, 1e-30])
    return t.to(torch.float32 if dtype == "float32" else torch.float64)


# Each function: its torch call, and its parameter's option and values.
FUNCTIONS = [
    ("mse_loss", lambda x, y, r, p: F.mse_loss(x, y, reduction=r), None, []),
    ("l1_loss", lambda x, y, r, p: F.l1_loss(x, y, reduction=r), None, []),
    ("smooth_l1_loss", lambda x, y, r, p: F.smooth_l1_loss(x, y, reduction=r, beta=p), "--beta", [1.0, 0.5, 2.0, 0.0, 0.1]),
    ("huber_loss", lambda x, y, r, p: F.huber_loss(x, y, reduction=r, delta=p), "--delta", [1.0, 0.5, 2.0, 0.1]),
]


def make_case(rng, name, function=None):
    fname, call, option, params = FUNCTIONS[0] if function == "mse_loss" else rng.choice(FUNCTIONS)
    param = rng.choice(params) if params else None
    ishape, tshape, ok = broadcastable_pair(rng)
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice(["mean", "mean", "sum", "none"])
    x = values(rng, ishape, dtype).requires_grad_(True)
    y = values(rng, tshape, dtype).requires_grad_(True)
    if rng.random() < 0.2 and x.shape == y.shape:  # some differences on the kinks: 0, +-beta, +-delta
        with torch.no_grad():
            fx, fy = x.view(-1), y.view(-1)
            for k in range(fx.numel()):
                if rng.random() < 0.5:
                    fy[k] = fx[k] - rng.choice([0.0, param or 0.0, -(param or 0.0)])
    # losscalc reads float64 text and rounds to float32 itself: pass the float32 values exactly.
    args = [fname, "--json", "--no-warnings", "-r", red]
    if option and (param != 1.0 or rng.random() < 0.3):
        args += [option, repr(param)]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(x.detach().double()), text(y.detach().double())]
    case = {"name": "%s %s %s vs %s %s %s %s" % (name, fname, list(ishape), list(tshape), red, dtype, param), "args": args}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = call(x, y, red, param if param is not None else 1.0)
    except RuntimeError as exc:
        assert not ok, exc
        msg = str(exc)
        case["expect"] = {"status": 1, "stderr_contains": msg[msg.find("The size of tensor"):]}
        return case
    assert ok
    loss.sum().backward() if red == "none" else loss.backward()
    rtol, atol = TOL[dtype]
    case["expect"] = {"status": 0, "loss": jsonable(loss.detach().double().tolist()),
                      "grad": jsonable(x.grad.double().tolist()), "grad_target": jsonable(y.grad.double().tolist())}
    # Sums round in their own order (torch's float32 sum; the broadcast
    # gradient summed back to a shape): allow that rounding relative to the
    # magnitudes summed (values as large as 1e30 cancel).
    eps = 1.2e-7 if dtype == "float32" else 2.3e-16
    d = (x.detach().double() - y.detach().double())
    n = d.numel() if red == "mean" else 1
    if red != "none":
        atol = max(atol, 4 * eps * float((d * d + d.abs()).nan_to_num(0, 0, 0).sum()) / n)
    if ishape != tshape:
        atol = max(atol, 4 * eps * float((2 * d.abs()).nan_to_num(0, 0, 0).sum()) / n)
    case["rtol"], case["atol"] = rtol, atol
    return case


def seeded_cases():
    """Cases a person checks by hand, then random ones."""
    cases = []
    fixed = [
        ("classic (N, 1) vs (N): every pair", ["mse_loss", "--json", "--no-warnings", "[[1],[2],[3]]", "[1,2,4]"]),
        ("same shape", ["mse_loss", "--json", "[[1,2],[3,4]]", "[[1.5,2],[2,5]]"]),
        ("sum", ["mse_loss", "--json", "-r", "sum", "[[1,2],[3,4]]", "[[1.5,2],[2,5]]"]),
        ("scalar", ["mse_loss", "--json", "2.5", "1"]),
    ]
    for name, args in fixed:
        red = args[args.index("-r") + 1] if "-r" in args else "mean"
        x = torch.tensor(json.loads(args[-2]), dtype=torch.float64, requires_grad=True)
        y = torch.tensor(json.loads(args[-1]), dtype=torch.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = F.mse_loss(x, y, reduction=red)
        loss.backward()
        cases.append({"name": name, "args": args,
                      "expect": {"status": 0, "loss": loss.item(), "grad": x.grad.tolist(), "grad_target": y.grad.tolist()},
                      "rtol": 1e-12, "atol": 1e-12})
    rng = random.Random(20261204)
    torch.manual_seed(20261204)
    for i in range(160):
        cases.append(make_case(rng, "random %d" % i, "mse_loss"))
    for i in range(240):
        cases.append(make_case(rng, "random %d" % (160 + i)))
    return cases


def close(a, b, rtol, atol):
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def first_mismatch(got, want, rtol, atol, path):
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: shape differs" % path
        for i, (g, w) in enumerate(zip(got, want)):
            m = first_mismatch(g, w, rtol, atol, "%s[%d]" % (path, i))
            if m:
                return m
        return ""
    if isinstance(got, list):  # an array where torch has a number: a mismatch, not a crash
        return "%s: got an array, torch %r" % (path, want)
    return "" if close(got, want, rtol, atol) else "%s: got %r, torch %r" % (path, got, want)


def check(binary, cases):
    bad = 0
    for c in cases:
        p = subprocess.run([binary] + c["args"], capture_output=True, text=True)
        e = c["expect"]
        problem = ""
        if p.returncode != e["status"]:
            problem = "status %d, expected %d: %s" % (p.returncode, e["status"], p.stderr.strip())
        elif e["status"] != 0:
            if e.get("stderr_contains", "") not in p.stderr:
                problem = "stderr %r lacks %r" % (p.stderr.strip(), e["stderr_contains"])
        else:
            got = json.loads(p.stdout)  # non-finite numbers are the strings "NaN", "Infinity", "-Infinity"
            for key in [k for k in e if k not in ("status", "stderr_contains")]:  # loss, grad, grad_target, ...
                problem = first_mismatch(got.get(key), e[key], c["rtol"], c["atol"], key)
                if problem:
                    break
        if problem:
            bad += 1
            print("FAIL %s: %s\n  losscalc %s" % (c["name"], problem, " ".join(c["args"])))
    print("%d cases, %d mismatches" % (len(cases), bad))
    return bad == 0


def run(make_case, seeded_cases, out, generator, checker=None):
    """A generator's command line: --differential N (fresh cases checked
    against --binary) or writing `out` (and checking it with --binary);
    `checker(binary, cases)` instead of check, when given."""
    check_ = checker or check
    ap = argparse.ArgumentParser()
    ap.add_argument("--differential", type=int, metavar="N", help="N fresh random cases, checked against --binary")
    ap.add_argument("--binary")
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    if a.differential:
        seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
        print("seed %d (--seed %d repeats it)" % (seed, seed))
        rng = random.Random(seed)
        torch.manual_seed(seed)
        sys.exit(0 if check_(a.binary, [make_case(rng, "random %d" % i) for i in range(a.differential)]) else 1)
    doc = {"generator": generator, "torch_version": torch.__version__, "cases": seeded_cases()}
    with open(out, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote %d cases to %s" % (len(doc["cases"]), out))
    if a.binary:
        sys.exit(0 if check_(a.binary, doc["cases"]) else 1)


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, "tests/torch/gen_reference_regression.py")
