#!/usr/bin/python3
"""Writes tests/torch/expect_cases.json: numbers as users meet them (printed to 4
decimals by torch 1.13, or by the Keras formula: Keras cannot be installed
here, see KERAS_EMULATION.md) with the data they came from and the
convention that produced them, for tests/expect_test.cpp: `losscalc expect`
must rank that convention among its first three matches, and the command it
prints must give the number. Run with /usr/bin/python3 (torch 1.13)."""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
cases = []


def add(name, value, x, y, function, departures=(), extra=None, third=None):
    c = {"name": name, "value": value, "input": x, "target": y, "function": function,
         "departures": list(departures), "args": extra or []}
    if third is not None:
        c["third"] = third
    cases.append(c)


def p4(t):
    return "%.4f" % t.item()


# The seed tutorials' printed inputs (seed 002, examples 1 and 2; seed 003).
x = [[0.2228, 0.2523, 0.9712, 0.7887, 0.2820], [0.7778, 0.4144, 0.8693, 0.1355, 0.3706],
     [0.0823, 0.5392, 0.0542, 0.0153, 0.8475]]
add("seed 002 example 1", p4(F.cross_entropy(torch.tensor(x), torch.tensor([2, 0, 4]))), x, [2, 0, 4], "cross_entropy")
x3 = [1.2372, -0.9604, 1.5415]
add("seed 003 BCEWithLogitsLoss", p4(F.binary_cross_entropy_with_logits(torch.tensor(x3), torch.tensor([1., 0., 1.]))), x3, [1, 0, 1],
    "binary_cross_entropy_with_logits")
add("seed 003 BCELoss(Sigmoid)", p4(F.binary_cross_entropy(torch.sigmoid(torch.tensor(x3)), torch.tensor([1., 0., 1.]))), x3, [1, 0, 1],
    "binary_cross_entropy_with_logits")
# The classic, printed by torch in float32: tensor(1.3644).
xc = [[0.1, 0.2, 0.3, 0.4], [0.1, 0.1, 0.1, 0.1]]
add("tensor(1.3644) in float32", "tensor(%s)" % p4(F.cross_entropy(torch.tensor(xc), torch.tensor([2, 3]))), xc, [2, 3], "cross_entropy")
# A batch: label smoothing 0.1, labels 1..C, kl_div's mean where batchmean was meant.
xb = torch.randn(16, 5, dtype=torch.float64)
yb = torch.randint(0, 5, (16,))
add("label_smoothing=0.1", p4(F.cross_entropy(xb, yb, label_smoothing=0.1)), xb.tolist(), yb.tolist(), "cross_entropy",
    ["label_smoothing=0.1"])
add("labels 1..C", p4(F.cross_entropy(xb, yb)), xb.tolist(), (yb + 1).tolist(), "cross_entropy", ["labels 1..C: TARGET minus 1"])
lp = F.log_softmax(xb, 1)
q = F.softmax(torch.randn(16, 5, dtype=torch.float64), 1)
add("kl_div mean", p4(F.kl_div(lp, q, reduction="mean")), lp.tolist(), q.tolist(), "kl_div")
# (optax's kl_divergence(...).mean() is batchmean with no departure: --family torch.)
add("kl_div batchmean", p4(F.kl_div(lp, q, reduction="batchmean")), lp.tolist(), q.tolist(), "kl_div", ["reduction batchmean"],
    ["--family", "torch"])
add("mse_loss sum", p4(F.mse_loss(xb[:, 0], xb[:, 1], reduction="sum")), xb[:, 0].tolist(), xb[:, 1].tolist(), "mse_loss",
    ["reduction sum"])
# Probabilities with a 0 in them: torch clamps the log at -100, Keras clips
# the probability to [1e-7, 1 - 1e-7] (keras/src/backend/tensorflow/nn.py
# binary_crossentropy) and takes the mean over the last axis, then over the batch.
pz, tz = [[0.0], [0.9]], [[1.0], [1.0]]
add("torch BCE with a 0", p4(F.binary_cross_entropy(torch.tensor(pz, dtype=torch.float64), torch.tensor(tz, dtype=torch.float64))), pz, tz,
    "binary_cross_entropy")
eps = 1e-7
keras = sum(-math.log(min(max(p[0], eps), 1 - eps)) for p in pz) / 2
add("keras BinaryCrossentropy with a 0", "%.4f" % keras, pz, tz, "binary_crossentropy")

# A loss stated in bits (information theory, some calculators): the natural
# log's loss divided by ln 2 (--log-base 2).
add("cross_entropy in bits", p4(F.cross_entropy(xb, yb) / math.log(2)), xb.tolist(), yb.tolist(), "cross_entropy",
    ["log base 2 (bits): the loss divided by ln 2"], ["--family", "torch"])
pb = torch.sigmoid(torch.randn(8, dtype=torch.float64))
tb = (torch.rand(8, dtype=torch.float64) > 0.5).double()
add("binary_cross_entropy in bits", p4(F.binary_cross_entropy(pb, tb) / math.log(2)), pb.tolist(), tb.tolist(),
    "binary_cross_entropy", ["log base 2 (bits): the loss divided by ln 2"], ["--family", "torch"])
# Losses of three data arguments (THIRD).
an, po, ne = (torch.randn(6, 4, dtype=torch.float64) for _ in range(3))
add("triplet_margin_loss margin=0.5", p4(F.triplet_margin_loss(an, po, ne, margin=0.5)), an.tolist(), po.tolist(),
    "triplet_margin_loss", ["margin=0.5"], ["--family", "torch"], ne.tolist())
x1, x2 = torch.randn(10, dtype=torch.float64), torch.randn(10, dtype=torch.float64)
ys = torch.where(torch.rand(10) > 0.5, 1.0, -1.0).double()
add("margin_ranking_loss, inputs swapped", p4(F.margin_ranking_loss(x2, x1, ys)), x1.tolist(), x2.tolist(),
    "margin_ranking_loss", ["the first two data arguments swapped"], None, ys.tolist())
var = torch.rand(10, dtype=torch.float64) + 0.2
add("gaussian_nll_loss full=True", p4(F.gaussian_nll_loss(x1, x2, var, full=True)), x1.tolist(), x2.tolist(),
    "gaussian_nll_loss", ["full=True"], None, var.tolist())
# bfloat16 on the CPU, as torch prints it, and the same logits under autocast.
xf = torch.randn(300, 7) * 2
yf = torch.randint(0, 7, (300,))
add("cross_entropy in bfloat16, N = 300", "tensor(%s, dtype=torch.bfloat16)" % p4(F.cross_entropy(xf.bfloat16(), yf).float()),
    xf.tolist(), yf.tolist(), "cross_entropy", ["bfloat16 (torch 1.13's CPU arithmetic)"])
with torch.autocast("cpu"):
    amp = F.cross_entropy(xf.bfloat16(), yf)
add("cross_entropy under torch.autocast('cpu')", p4(amp), xf.tolist(), yf.tolist(), "cross_entropy",
    ["under autocast: INPUT in bfloat16, the loss in float32"])

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "expect_cases.json"), "w") as f:
    json.dump({"generator": "tests/torch/gen_expect_cases.py (torch %s)" % torch.__version__, "cases": cases}, f, indent=1)
for c in cases:
    print(c["name"], c["value"])
