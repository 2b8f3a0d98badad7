#!/usr/bin/env python3
"""ctc_loss on 1000 frames, 100 labels, 50 classes, batch 32, beside torch's
route, measured side by side in one run.

    /usr/bin/python3 tests/bench/ctc.py --binary build/losscalc [--repeat 5] [--dir /tmp]

Writes log_probs (T=1000, N=32, C=50, float64, log_softmax of normal logits)
as a .npy, targets (32, 100) as a .npy and the lengths inline (input lengths
900..1000, target lengths 80..100), then reports the fastest of --repeat
wall-clock runs of:
  - losscalc ctc_loss -q (the loss; the backward is still computed: grad,
    true_grad, grad_logits, occupancy) and --json (everything printed:
    4 tensors of 1.6 million numbers);
  - torch 1.13 in-process: F.ctc_loss forward, and forward + backward,
    timed inside Python (no interpreter start, no file reading), and the
    whole Python route as a user runs it (python3 -c: import torch, np.load,
    forward + backward), which is the command-line equivalent;
and checks that losscalc's loss equals torch's (to 1e-12 relative).
The machine is shared: compare the ratios of one run, not times across runs.
"""
import argparse
import os
import subprocess
import time

import numpy as np

PY = "/usr/bin/python3"
T, N, C, S = 1000, 32, 50, 100


def fastest(cmd, repeat):
    best, out = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit("failed: %s\n%s" % (" ".join(cmd), p.stderr))
        out = p.stdout
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/losscalc")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default="/tmp")
    a = ap.parse_args()
    rng = np.random.default_rng(20261207)
    z = rng.standard_normal((T, N, C)) * 2
    lp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) - z.max(-1, keepdims=True)
    targets = rng.integers(1, C, size=(N, S))
    il = rng.integers(900, T + 1, size=N)
    tl = rng.integers(80, S + 1, size=N)
    lp_path, tg_path = os.path.join(a.dir, "ctc_bench_log_probs.npy"), os.path.join(a.dir, "ctc_bench_targets.npy")
    np.save(lp_path, lp)
    np.save(tg_path, targets)
    ils, tls = "[" + ",".join(map(str, il)) + "]", "[" + ",".join(map(str, tl)) + "]"
    base = [a.binary, "ctc_loss", lp_path, tg_path, ils, tls]
    t_q, out_q = fastest(base[:2] + ["-q"] + base[2:], a.repeat)
    t_json, _ = fastest(base[:2] + ["--json"] + base[2:], max(1, a.repeat // 2))
    rows = [("losscalc ctc_loss -q (forward + backward, loss printed)", t_q),
            ("losscalc ctc_loss --json (every entry printed)", t_json)]
    ours = float(out_q)
    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(1)
        x = torch.from_numpy(lp)
        tg, ilt, tlt = torch.from_numpy(targets), torch.from_numpy(il), torch.from_numpy(tl)
        best_f = best_b = float("inf")
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            loss = F.ctc_loss(x, tg, ilt, tlt)
            best_f = min(best_f, time.perf_counter() - t0)
            xx = x.clone().requires_grad_(True)
            t0 = time.perf_counter()
            F.ctc_loss(xx, tg, ilt, tlt).backward()
            best_b = min(best_b, time.perf_counter() - t0)
        theirs = float(loss)
        script = ("import numpy as np, torch, torch.nn.functional as F; torch.set_num_threads(1); "
                  "x = torch.from_numpy(np.load(%r)).requires_grad_(True); t = torch.from_numpy(np.load(%r)); "
                  "l = F.ctc_loss(x, t, torch.tensor(%s), torch.tensor(%s)); l.backward(); print(repr(l.item()))"
                  % (lp_path, tg_path, ils, tls))
        t_py, out_py = fastest([PY, "-c", script], max(1, a.repeat // 2))
        rows += [("torch F.ctc_loss forward, in-process (1 thread)", best_f),
                 ("torch F.ctc_loss forward + backward, in-process (1 thread)", best_b),
                 ("python3 -c: import torch, np.load, forward + backward (1 thread)", t_py)]
        agree = abs(ours - theirs) <= 1e-12 * abs(theirs)
        print("loss: losscalc %r, torch %r (%s)" % (ours, theirs, "equal to 1e-12" if agree else "DIFFERENT"))
        if float(out_py) != theirs:
            print("note: the python3 -c route printed %s" % out_py.strip())
    except ImportError:
        print("loss: losscalc %r (torch not importable: no comparison)" % ours)
    print("T=%d N=%d C=%d S=%d (target lengths %d..%d), fastest of %d" % (T, N, C, S, tl.min(), tl.max(), a.repeat))
    for name, t in rows:
        print("  %-68s %8.3f s  %6.2fx losscalc -q" % (name, t, t / t_q))


if __name__ == "__main__":
    main()
