#!/usr/bin/env python3
"""Reference values of --log-base 2|10: torch 1.13's loss divided by
math.log(b) (loss / math.log(2), as a user writes it), and autograd's
gradient of that quotient, for tests/reference_test.cpp.

  /usr/bin/python3 tests/torch/gen_reference_log_base.py
      writes tests/torch/log_base_reference_cases.json (fixed seed)

The functions: cross_entropy (class indices with weight, ignore_index and
label smoothing; class probabilities), nll_loss, binary_cross_entropy,
binary_cross_entropy_with_logits (with pos_weight), kl_div (with
batchmean); every reduction; float64 and float32. torch divides a float32
tensor by a Python float in float32 (the quotient correctly rounded, checked
on 10^5 values: no multiplication by a reciprocal), which losscalc
reproduces; the float32 gradients are autograd's of the quotient, whose last
bits may differ from losscalc's (natural gradient) / float32(ln b): the
float32 cases carry rtol 2e-6. Errors: a base other than 2 and 10.
"""
import json
import math
import os
import random
import sys
import warnings

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402

OUT = os.path.join(HERE, "log_base_reference_cases.json")
TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}
DT = {"float64": torch.float64, "float32": torch.float32}


def text(t):
    return json.dumps(t.double().tolist())


def case(name, fn, dtype, reduction, base, data, extra, loss_fn, grads):
    """data: the tensors (leaves that get a gradient, in output order)."""
    leaves = [d.clone().requires_grad_(g is not None) for d, g in zip(data, grads)]
    loss = loss_fn(*leaves, reduction) / math.log(base)
    total = loss.sum() if loss.dim() else loss
    expect = {"status": 0, "loss": jsonable(loss.detach().double().tolist())}
    if any(g is not None for g in grads):
        total.backward()
        for leaf, g in zip(leaves, grads):
            if g is not None:
                expect[g] = jsonable(leaf.grad.double().tolist())
    rtol, atol = TOL[dtype]
    args = [fn, "--json", "--no-warnings", "--log-base", str(base), "-r", reduction, "--dtype", dtype]
    args += [text(d) for d in data] + extra
    return {"name": name, "args": args, "expect": expect, "rtol": rtol, "atol": atol}


def main():
    warnings.filterwarnings("ignore")
    rng = random.Random(20261207)
    torch.manual_seed(20261207)
    cases = []
    for k in range(240):
        dtype = ("float64", "float32")[k % 2]
        dt = DT[dtype]
        base = (2, 10)[(k // 2) % 2]
        kind = (k // 4) % 6
        n, c = rng.randint(1, 6), rng.randint(2, 5)
        name = f"log_base {k}"
        if kind == 0:  # cross_entropy, class indices, maybe weight / smoothing / ignore_index
            x = torch.randn(n, c, dtype=dt) * 2
            y = torch.randint(0, c, (n,))
            if n > 1 and rng.random() < 0.3:
                y[0] = -100
            w = torch.rand(c, dtype=dt) + 0.1 if rng.random() < 0.5 else None
            ls = rng.choice([0.0, 0.1])
            red = rng.choice(["mean", "sum", "none"])
            extra = (["--weight", text(w)] if w is not None else []) + (["--label-smoothing", str(ls)] if ls else [])
            cases.append(case(name, "cross_entropy", dtype, red, base, [x, y], extra,
                              lambda a, b, r: F.cross_entropy(a, b, weight=w, label_smoothing=ls, reduction=r),
                              ["grad", None]))
        elif kind == 1:  # cross_entropy, class probabilities
            x = torch.randn(n, c, dtype=dt) * 2
            t = torch.softmax(torch.randn(n, c, dtype=dt), 1)
            red = rng.choice(["mean", "sum", "none"])
            cases.append(case(name, "cross_entropy", dtype, red, base, [x, t], [],
                              lambda a, b, r: F.cross_entropy(a, b, reduction=r), ["grad", None]))
        elif kind == 2:  # nll_loss
            x = torch.log_softmax(torch.randn(n, c, dtype=dt), 1)
            y = torch.randint(0, c, (n,))
            red = rng.choice(["mean", "sum", "none"])
            cases.append(case(name, "nll_loss", dtype, red, base, [x, y], [],
                              lambda a, b, r: F.nll_loss(a, b, reduction=r), ["grad", None]))
        elif kind == 3:  # binary_cross_entropy
            p = torch.rand(n, c, dtype=dt) * 0.98 + 0.01
            t = (torch.rand(n, c, dtype=dt) > 0.5).to(dt)
            red = rng.choice(["mean", "sum", "none"])
            cases.append(case(name, "binary_cross_entropy", dtype, red, base, [p, t], [],
                              lambda a, b, r: F.binary_cross_entropy(a, b, reduction=r), ["grad", None]))
        elif kind == 4:  # binary_cross_entropy_with_logits, maybe pos_weight
            x = torch.randn(n, c, dtype=dt) * 3
            t = torch.rand(n, c, dtype=dt)
            pw = torch.rand(c, dtype=dt) * 3 if rng.random() < 0.5 else None
            red = rng.choice(["mean", "sum", "none"])
            extra = ["--pos-weight", text(pw)] if pw is not None else []
            cases.append(case(name, "binary_cross_entropy_with_logits", dtype, red, base, [x, t], extra,
                              lambda a, b, r: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, reduction=r),
                              ["grad", None]))
        else:  # kl_div
            x = torch.log_softmax(torch.randn(n, c, dtype=dt), 1)
            t = torch.softmax(torch.randn(n, c, dtype=dt), 1)
            red = rng.choice(["mean", "sum", "batchmean", "none"])
            cases.append(case(name, "kl_div", dtype, red, base, [x, t], [],
                              lambda a, b, r: F.kl_div(a, b, reduction=r), ["grad", "grad_target"]))
    for bad in ["3", "e", "1", "two"]:
        cases.append({"name": f"log_base bad {bad}",
                      "args": ["cross_entropy", "--log-base", bad, "[[0.1,0.2]]", "[0]"],
                      "expect": {"status": 2, "stderr_contains": f"--log-base: invalid value '{bad}': expected one of 2, 10"}})
    doc = {"generator": "tests/torch/gen_reference_log_base.py", "torch": torch.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
