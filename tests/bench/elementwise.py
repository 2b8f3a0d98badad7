#!/usr/bin/env python3
"""Elementwise and per-row losses streaming a CSV, beside cross_entropy -q on
the same file, and the one-liner's start against Python's.

    /usr/bin/python3 tests/bench/elementwise.py --binary build/losscalc [--rows 1000000] [--repeat 5]

Makes one CSV (in --dir) of --rows rows: x0..x4, t0..t4 (positive) and a
label in [0, 10). Then, side by side in one run, each command's fastest of
--repeat wall-clock runs, MB/s and its time over cross_entropy's:
  - cross_entropy -q: the ten value columns as logits, the label column;
  - mse_loss, l1_loss, huber_loss, poisson_nll_loss --no-log-input, kl_div,
    Keras mse (its per-row means), optax.squared_error -r mean and
    sklearn.mean_squared_error: x0..x4 against t0..t4, the label left out;
  - margin losses: soft_margin_loss, hinge_embedding_loss, Keras hinge,
    optax.hinge_loss and optax.cosine_distance on the same pairs;
    multi_margin_loss and optax.multiclass_hinge_loss on the ten columns
    as class scores with the label;
  - the Python route for mse_loss: numpy.loadtxt of the file, then torch's
    F.mse_loss with its backward (when torch imports);
  - the one-liner (mse_loss of two 2x4 arrays) against python3 -c importing
    torch and computing it.
The machine is shared: compare the ratios of one run, not times across runs.
"""
import argparse
import os
import subprocess
import time

import numpy as np

PY = "/usr/bin/python3"


def fastest(cmd, repeat, env=None):
    best, out = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        best = min(best, time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit("failed: %s\n%s" % (" ".join(cmd), p.stderr))
        out = p.stdout.strip()
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/losscalc-bench-elementwise")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    path = os.path.join(a.dir, "rows_%d.csv" % a.rows)
    if not os.path.exists(path):
        rng = np.random.default_rng(1)
        x = rng.uniform(0.05, 1, (a.rows, 5))
        t = rng.uniform(0.05, 1, (a.rows, 5))
        y = rng.integers(0, 10, a.rows)
        with open(path, "w") as f:
            f.write(",".join(["x%d" % i for i in range(5)] + ["t%d" % i for i in range(5)] + ["label"]) + "\n")
            np.savetxt(f, np.column_stack([x, t, y]), fmt=["%.6f"] * 10 + ["%d"], delimiter=",")
    mb = os.path.getsize(path) / 1e6
    b = a.binary
    pair = [path, "--column", "input=0:4", "--column", "target=5:9", "--ignore-column", "label"]
    rows = [
        ("cross_entropy -q (10 logits, label)", [b, "cross_entropy", "-q", path, "--target-column", "label"]),
        ("mse_loss -q", [b, "mse_loss", "-q"] + pair),
        ("l1_loss -q", [b, "l1_loss", "-q"] + pair),
        ("huber_loss -q", [b, "huber_loss", "-q"] + pair),
        ("poisson_nll_loss --no-log-input -q", [b, "poisson_nll_loss", "--no-log-input", "-q"] + pair),
        ("kl_div -q", [b, "kl_div", "-q"] + pair),
        ("keras mse -q", [b, "mse", "-q"] + pair),
        ("optax.squared_error -r mean -q", [b, "optax.squared_error", "-r", "mean", "-q"] + pair),
        ("sklearn.mean_squared_error -q", [b, "sklearn.mean_squared_error", "-q"] + pair),
        # margin losses: elementwise pairs, and per-row class scores with the label
        ("soft_margin_loss -q", [b, "soft_margin_loss", "-q"] + pair),
        ("hinge_embedding_loss -q", [b, "hinge_embedding_loss", "-q"] + pair),
        ("keras hinge -q", [b, "hinge", "-q"] + pair),
        ("optax.hinge_loss -r mean -q", [b, "optax.hinge_loss", "-r", "mean", "-q"] + pair),
        ("optax.cosine_distance -r mean -q", [b, "optax.cosine_distance", "-r", "mean", "-q"] + pair),
        ("multi_margin_loss -q (10 scores, label)", [b, "multi_margin_loss", "-q", path, "--target-column", "label"]),
        ("optax.multiclass_hinge_loss -r mean -q", [b, "optax.multiclass_hinge_loss", "-r", "mean", "-q", path, "--target-column", "label"]),
    ]
    print("file: %s, %.1f MB, %d rows x 11 columns; fastest of %d runs" % (path, mb, a.rows, a.repeat))
    print("%-40s %9s %9s %8s  %s" % ("command", "seconds", "MB/s", "vs ce", "loss"))
    base = None
    for name, cmd in rows:
        t, out = fastest(cmd, a.repeat)
        base = base or t
        print("%-40s %9.3f %9.1f %8.2f  %s" % (name, t, mb / t, t / base, out))
    torch_ok = subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode == 0
    if torch_ok:
        code = ("import numpy as np, torch; d = np.loadtxt(%r, delimiter=',', skiprows=1); "
                "x = torch.tensor(d[:, :5], requires_grad=True); t = torch.tensor(d[:, 5:10]); "
                "l = torch.nn.functional.mse_loss(x, t); l.backward(); print(repr(l.item()))" % path)
        t, out = fastest([PY, "-c", code], max(1, a.repeat // 2))
        print("%-40s %9.3f %9.1f %8.2f  %s" % ("python: np.loadtxt + F.mse_loss+backward", t, mb / t, t / base, out))
    one = [b, "mse_loss", "-q", "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]", "[[0,0,1,0],[0,0,0,1]]"]
    t1, o1 = fastest(one, 21)
    print("\none-liner: losscalc mse_loss 2x4       %8.4f s  %s" % (t1, o1))
    if torch_ok:
        code = ("import torch; x = torch.tensor([[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]], dtype=torch.float64, requires_grad=True); "
                "l = torch.nn.functional.mse_loss(x, torch.tensor([[0.,0,1,0],[0,0,0,1]], dtype=torch.float64)); l.backward(); print(l.item())")
        t2, o2 = fastest([PY, "-c", code], 5)
        print("one-liner: python3 -c 'import torch...' %8.4f s  %s  (%.0fx losscalc)" % (t2, o2, t2 / t1))


if __name__ == "__main__":
    main()
