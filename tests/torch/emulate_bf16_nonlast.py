#!/usr/bin/env python3
"""A numpy model of torch 1.13's CPU bfloat16 softmax / log_softmax over a
dim that is not the last (aten/src/ATen/native/cpu/SoftMaxKernel.cpp,
_vec_softmax and _vec_logsoftmax, AVX2), checked against torch on random
shapes; the counts it prints are the evidence for src/core/reduced_precision.cpp.

  /usr/bin/python3 tests/torch/emulate_bf16_nonlast.py [CASES] [SEED]

The input is seen as (outer, C, inner). Per outer index the inner positions
0 .. inner - inner % 16 - 1 run in 16-lane vectors, the rest one at a time.
  softmax, vectors:   bf16(exp(x - max) / sum), all in float
  softmax, the rest:  bf16(float(bf16(exp(x - max))) / sum)
  log_softmax, both:  bf16((x - max) - log(sum)), all in float, but in each
                      vector lanes 8..15 use the max of lane - 8 (NaN
                      classes passed over), not their own
Float exp and log are modelled as double ones rounded to float; torch's
(SLEEF's in the vectors, glibc's in the scalar code) can differ by an ulp,
which shows as the few mismatches left, all where the float result is
within a few float ulps of a bfloat16 rounding boundary (losscalc reports
such values with _low / _high).
"""
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F

LANES = 16


def bf(a):
    a = np.asarray(a, dtype=np.float32)
    b = a.view(np.uint32).astype(np.uint64)
    r = (((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(a), a, r).astype(np.float32)


def fexp(d):
    with np.errstate(over="ignore"):
        return np.exp(d.astype(np.float64)).astype(np.float32)


def flog(s):
    with np.errstate(divide="ignore"):
        return np.log(s.astype(np.float64)).astype(np.float32)


def fsum(e):
    s = np.zeros((e.shape[0], 1, e.shape[2]), np.float32)
    for c in range(e.shape[1]):
        s = (s + e[:, c:c + 1, :]).astype(np.float32)
    return s


def softmax(x):
    m = x.max(axis=1, keepdims=True)
    e = fexp((x - m).astype(np.float32))
    s = fsum(e)
    nv = x.shape[2] - x.shape[2] % LANES
    out = bf(bf(e) / s)
    out[:, :, :nv] = bf(e / s)[:, :, :nv]
    return out


def log_softmax(x):
    m = x.max(axis=1, keepdims=True)
    nv = x.shape[2] - x.shape[2] % LANES
    for b in range(0, nv, LANES):
        m[:, :, b + 8:b + 16] = np.where(np.isnan(x[:, :, b:b + 8]), -np.inf, x[:, :, b:b + 8]).max(axis=1, keepdims=True)
    d = (x - m).astype(np.float32)
    return bf(d - flog(fsum(fexp(d))))


def main():
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    torch.set_num_threads(1)
    for name, fn, model in (("softmax", F.softmax, softmax), ("log_softmax", F.log_softmax, log_softmax)):
        total = bad = 0
        for _ in range(cases):
            inner, n = rng.randint(1, 40), rng.randint(1, 4)
            c = rng.choice([1, 2, 3, 5, 8, 16, 33, 100, 300, rng.randint(1, 300)])
            if rng.random() < 0.5:
                a = rng.randint(1, 8)
                shape = (n, c, a, max(1, inner // a))
            else:
                shape = (n, c, inner)
            g = torch.Generator().manual_seed(rng.randrange(1 << 30))
            xt = (torch.randn(shape, generator=g) * rng.choice([0.5, 1, 3, 10, 20])).bfloat16()
            want = fn(xt, 1).float().numpy().reshape(n, c, -1)
            got = model(xt.float().numpy().reshape(n, c, -1))
            total += got.size
            bad += int((~((got == want) | (np.isnan(got) & np.isnan(want)))).sum())
        print("%s: %d cases, %d elements, %d differ from torch %s" % (name, cases, total, bad, torch.__version__))


if __name__ == "__main__":
    main()
