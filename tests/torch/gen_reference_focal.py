#!/usr/bin/env python3
"""Reference values of torchvision.ops.sigmoid_focal_loss from torchvision
0.14 (Debian's python3-torchvision, on torch 1.13), for
tests/reference_test.cpp, and a differential test.

  /usr/bin/python3 tests/torch/gen_reference_focal.py
      writes tests/torch/focal_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_focal.py --differential 300 --binary build/losscalc
      makes 300 fresh random cases with torchvision and checks the binary on each

Command lines:

  sigmoid_focal_loss --json --no-warnings [-r none|mean|sum] [--alpha A] [--gamma G]
      [--dtype float32] INPUTS TARGETS
      expect loss, grad, grad_target, sigmoid (torchvision's p), p_t, modulating_factor

loss and both gradients come from autograd (loss.backward(), or
loss.sum().backward() for reduction none); the intermediates are
torchvision's own expressions evaluated again. Tolerances: float64
rtol = atol = 1e-12; float32 rtol 2e-6, atol 1e-6, the atol of a reduced
loss widened by its rounding (torch sums in float32, losscalc exactly).

What torchvision 0.14 does (focal_loss.py), which the cases pin down:
  * p = sigmoid(x); ce = binary_cross_entropy_with_logits(x, y, 'none');
    p_t = p y + (1 - p)(1 - y); loss = ce (1 - p_t)^gamma; when alpha >= 0
    it is multiplied by alpha_t = alpha y + (1 - alpha)(1 - y). alpha = -1
    (any negative value) switches alpha_t off. The default reduction is
    'none'.
  * no check of alpha or gamma: alpha 1.5 or 0 and gamma 0, 0.5 or -1 are
    computed (gamma -1 at p_t = 1 gives inf times 0: NaN); targets outside
    [0, 1] and soft targets are used as they are.
  * the targets get a gradient (BCE with logits differentiates its target:
    -x, and p_t and alpha_t depend on it).
  * targets must have the inputs' shape (BCE with logits: "Target size
    (torch.Size([2])) must be the same as input size (torch.Size([3]))").
  * an unknown reduction is not an error in 0.14 (the loss comes back
    unreduced); losscalc refuses it, as for every function (cli-contract).
"""
import os
import random
import sys

import torch
from torchvision.ops import sigmoid_focal_loss

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402
from gen_reference_regression import run, text, values  # noqa: E402

OUT = os.path.join(HERE, "focal_reference_cases.json")
TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def random_targets(rng, shape, dtype):
    t = torch.empty(shape, dtype=torch.float64)
    flat = t.view(-1)
    for k in range(flat.numel()):
        r = rng.random()
        flat[k] = (rng.choice([0.0, 1.0]) if r < 0.75 else round(rng.uniform(0, 1), 3) if r < 0.9
                   else rng.choice([-0.5, 2.0, 1.5]) if r < 0.98 else float("nan"))
    return t.to(DTYPES[dtype])


def case(name, x, y, red=None, alpha=None, gamma=None, dtype="float64"):
    """One case: x, y float64 tensors (rounded to dtype first)."""
    x = x.to(DTYPES[dtype]).clone().requires_grad_(True)
    y = y.to(DTYPES[dtype]).clone().requires_grad_(True)
    args = ["sigmoid_focal_loss", "--json", "--no-warnings"]
    if red is not None:
        args += ["-r", red]
    if alpha is not None:
        args += ["--alpha", repr(alpha)]
    if gamma is not None:
        args += ["--gamma", repr(gamma)]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(x.detach().double()), text(y.detach().double())]
    kw = {}
    if alpha is not None:
        kw["alpha"] = alpha
    if gamma is not None:
        kw["gamma"] = gamma
    c = {"name": name, "args": args}
    try:
        loss = sigmoid_focal_loss(x, y, reduction=red or "none", **kw)
    except ValueError as exc:
        msg = str(exc)
        c["expect"] = {"status": 1, "stderr_contains": "must be the same as input size"}
        assert "must be the same as input size" in msg, msg
        return c
    (loss.sum() if (red or "none") == "none" else loss).backward()
    g = kw.get("gamma", 2)
    with torch.no_grad():
        p = torch.sigmoid(x)
        p_t = p * y + (1 - p) * (1 - y)
        m = (1 - p_t) ** g
    c["expect"] = {"status": 0, "loss": jsonable(loss.detach().double().tolist()),
                   "grad": jsonable(x.grad.double().tolist()), "grad_target": jsonable(y.grad.double().tolist()),
                   "sigmoid": jsonable(p.double().tolist()), "p_t": jsonable(p_t.double().tolist()),
                   "modulating_factor": jsonable(m.double().tolist())}
    rtol, atol = TOL[dtype]
    if (red or "none") != "none":
        with torch.no_grad():
            full = sigmoid_focal_loss(x.double(), y.double(), reduction="none", **kw).abs().nan_to_num(0, 0, 0)
        n = full.numel() if red == "mean" else 1
        eps = 1.2e-7 if dtype == "float32" else 2.3e-16
        atol = max(atol, 4 * eps * float(full.sum()) / n)
    c["rtol"], c["atol"] = rtol, atol
    return c


def make_case(rng, name):
    nd = rng.choice([0, 1, 1, 2, 2, 3])
    shape = tuple(rng.randint(1, 5) for _ in range(nd))
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice([None, "none", "mean", "sum"])
    alpha = rng.choice([None, None, 0.25, -1.0, 0.5, 0.0, 1.0, 0.75, 1.5])
    gamma = rng.choice([None, None, 2.0, 2, 0.0, 1.0, 0.5, 3.0, 1.5, 5.0])
    x = values(rng, shape, "float64")
    tshape = shape
    if rng.random() < 0.04:  # targets of another shape: BCE with logits refuses
        tshape = shape + (2,) if rng.random() < 0.5 or not shape else shape[:-1]
    y = random_targets(rng, tshape, "float64")
    return case("%s %s %s %s %s alpha=%r gamma=%r" % (name, list(shape), list(tshape), red, dtype, alpha, gamma),
                x, y, red, alpha, gamma, dtype)


def hand_cases():
    T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    x = T([[0.5, -1.0, 2.0], [3.0, -0.25, 0.0]])
    y = T([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    out = []
    for dtype in ("float64", "float32"):
        out += [
            case("sigmoid_focal_loss defaults (alpha 0.25, gamma 2, none) %s" % dtype, x, y, dtype=dtype),
            case("sigmoid_focal_loss mean %s" % dtype, x, y, red="mean", dtype=dtype),
            case("sigmoid_focal_loss sum %s" % dtype, x, y, red="sum", dtype=dtype),
            case("sigmoid_focal_loss alpha -1 (off) %s" % dtype, x, y, alpha=-1.0, dtype=dtype),
            case("sigmoid_focal_loss gamma 0 is alpha_t BCE %s" % dtype, x, y, gamma=0.0, dtype=dtype),
            case("sigmoid_focal_loss soft and outside-[0,1] targets %s" % dtype, x, T([[0.3, 0.9, -0.5], [2.0, 0.5, 1.5]]),
                 dtype=dtype),
            case("sigmoid_focal_loss gamma 0.5 %s" % dtype, x, y, gamma=0.5, alpha=0.5, dtype=dtype),
            case("sigmoid_focal_loss large logits %s" % dtype, T([40.0, -40.0, 100.0, -100.0, 1e30]), T([1.0, 0.0, 0.0, 1.0, 1.0]),
                 dtype=dtype),
        ]
    out += [
        case("sigmoid_focal_loss a 0-d pair", T(0.7), T(1.0)),
        case("sigmoid_focal_loss alpha 1.5 and gamma -1 (no checks)", x, y, alpha=1.5, gamma=-1.0),
        case("sigmoid_focal_loss NaN and inf logits", T([float("nan"), float("inf"), float("-inf"), 1.0]), T([1.0, 1.0, 1.0, float("nan")])),
        case("sigmoid_focal_loss targets of another shape", x, T([1.0, 0.0])),
        case("sigmoid_focal_loss targets (N, 1) against (N, C)", x, T([[1.0], [0.0]])),
    ]
    return out


def seeded_cases():
    rng = random.Random(20261206)
    torch.manual_seed(20261206)
    return hand_cases() + [make_case(rng, "sigmoid_focal_loss random %d" % i) for i in range(150)]


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, "tests/torch/gen_reference_focal.py")
