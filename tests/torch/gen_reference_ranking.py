#!/usr/bin/env python3
"""Reference values of torch's ranking losses (today: margin_ranking_loss)
from PyTorch 1.13, for tests/reference_test.cpp, and a differential test.

  /usr/bin/python3 tests/torch/gen_reference_ranking.py
      writes tests/torch/ranking_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_ranking.py --differential 200 --binary build/losscalc
      makes 200 fresh random cases with torch and checks the binary on each

Each case: losscalc arguments (--json), the expected exit status, and for a
success torch's loss, grad (input1) and grad_input2, with rtol/atol (float64
1e-12; float32 as torch's own rounding allows). Cases cover equal shapes,
shapes of one number of dims that broadcast, a number of dims that differs
(torch's "All input tensors should have same dimension", status 1), shapes
that do not broadcast, targets of 1, -1, 0 and other values, margins
(negative ones and ones float32 rounds), the kink (the margin exactly met,
where torch's clamp passes the gradient), NaN and inf, mean/sum/none,
float32 and float64.
"""
import os
import random
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402
from gen_reference_regression import run, text, values  # noqa: E402

OUT = os.path.join(HERE, "ranking_reference_cases.json")
TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}


def shapes(rng):
    """Three shapes, whether torch takes them, and the message if not."""
    nd = rng.choice([0, 1, 1, 1, 2, 2, 3])
    base = [rng.randint(1, 5) for _ in range(nd)]
    r = rng.random()
    if r < 0.6:
        return [tuple(base)] * 3
    if r < 0.85:  # some dims 1 in some of the three: they broadcast
        out = []
        for _ in range(3):
            out.append(tuple(1 if (d > 1 and rng.random() < 0.3) else d for d in base))
        return out
    if r < 0.93:  # one of them with another number of dims
        other = list(base) + [rng.randint(1, 3)] if (not base or rng.random() < 0.5) else base[:-1]
        out = [tuple(base)] * 3
        out[rng.randint(0, 2)] = tuple(other)
        return out
    if not base:  # a size that does not broadcast
        base = [3]
    bad = list(base)
    i = rng.randint(0, len(bad) - 1)
    bad[i] = base[i] + 1 if base[i] > 1 else 2
    b2 = list(base)
    if base[i] == 1:
        b2[i] = 3
    out = [tuple(b2), tuple(b2), tuple(b2)]
    out[rng.randint(1, 2)] = tuple(bad)
    return out


def targets(rng, shape, dtype):
    t = torch.empty(shape, dtype=torch.float64)
    flat = t.view(-1)
    for k in range(flat.numel()):
        r = rng.random()
        flat[k] = 1.0 if r < 0.42 else -1.0 if r < 0.84 else 0.0 if r < 0.92 else round(rng.uniform(-2, 2), 2)
    return t.to(torch.float32 if dtype == "float32" else torch.float64)


def make_case(rng, name):
    s1, s2, s3 = shapes(rng)
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice(["mean", "mean", "sum", "none"])
    margin = rng.choice([0.0, 0.0, 0.5, 1.0, 0.1, -0.3, 2.0])
    x1 = values(rng, s1, dtype)
    x2 = values(rng, s2, dtype)
    y = targets(rng, s3, dtype)
    if s1 == s2 == s3 and rng.random() < 0.3:  # put some elements on the kink: -y (x1 - x2) + margin = 0 exactly
        f1, f2, fy = x1.view(-1), x2.view(-1), y.view(-1)
        for k in range(f1.numel()):
            if rng.random() < 0.5:
                a = rng.choice([0.5, 1.0, -1.5, 2.25])
                f1[k] = a
                fy[k] = rng.choice([1.0, -1.0])
                f2[k] = a + fy[k] * margin if margin in (0.0, 0.5, 1.0, 2.0) else a
                if margin not in (0.0, 0.5, 1.0, 2.0):
                    fy[k] = 0.0
    x1.requires_grad_(True)
    x2.requires_grad_(True)
    args = ["margin_ranking_loss", "--json", "--no-warnings", "-r", red]
    if margin != 0.0 or rng.random() < 0.3:
        args += ["--margin", repr(margin)]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(x1.detach().double()), text(x2.detach().double()), text(y.double())]
    case = {"name": "%s %s %s %s %s %s margin %r" % (name, list(s1), list(s2), list(s3), red, dtype, margin), "args": args}
    try:
        loss = F.margin_ranking_loss(x1, x2, y, margin=margin, reduction=red)
    except RuntimeError as exc:
        msg = str(exc).strip()
        key = msg[msg.find("The size of tensor"):] if "The size of tensor" in msg else msg
        case["expect"] = {"status": 1, "stderr_contains": key}
        return case
    loss.sum().backward() if red == "none" else loss.backward()
    rtol, atol = TOL[dtype]
    case["expect"] = {"status": 0, "loss": jsonable(loss.detach().double().tolist()),
                      "grad": jsonable(x1.grad.double().tolist()), "grad_input2": jsonable(x2.grad.double().tolist())}
    # Sums round in their own order (torch's float32 sum, a broadcast
    # gradient summed back): allow that rounding relative to the magnitudes.
    eps = 1.2e-7 if dtype == "float32" else 2.3e-16
    with torch.no_grad():
        u = (-y.double() * (x1.double() - x2.double()) + margin).clamp_min(0).nan_to_num(0, 0, 0)
    n = u.numel() if red == "mean" else 1
    if red != "none":
        atol = max(atol, 4 * eps * float(u.sum()) / n)
    case["rtol"], case["atol"] = rtol, atol
    return case


def seeded_cases():
    cases = []
    rng = random.Random(20261205)
    torch.manual_seed(20261205)
    for i in range(160):
        cases.append(make_case(rng, "margin_ranking_loss random %d" % i))
    return cases


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, "tests/torch/gen_reference_ranking.py")
