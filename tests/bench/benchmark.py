#!/usr/bin/env python3
"""Throughput benchmark: losscalc against the route a Python user takes.

    /usr/bin/python3 tests/bench/benchmark.py --binary build/losscalc [--scale 1.0] [--keep DIR]

Generates logits with a label column as CSV, JSON Lines and .npy (sizes
scaled by --scale: at 1.0, 1e5 x 100 and 1e6 x 10 as CSV, 2e5 x 100 as JSON
Lines and .npy), then runs, side by side in one run:
  - losscalc cross_entropy -q (streamed, mean) on each file; each CSV also
    from stdin ("CSV <"), and both on one thread ("1t": LOSSCALC_THREADS=1);
  - the Python route on the same file: numpy.loadtxt (or the json module, or
    numpy.load), then torch cross_entropy with backward (when torch imports);
  - the .npy files read by cat alone (the floor: reading, nothing else);
  - the classic 2x4 one-liner: losscalc vs python3 -c 'import torch; ...'.
It prints MB/s, rows/s, peak RSS (of the child process) and the ratio.
Timings are wall-clock medians of --repeat runs; the machine is shared, so
compare ratios measured in the same run, not absolute times across runs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

PY = "/usr/bin/python3"


def measured(cmd, repeat, stdin_path=None, env=None, rss=True):
    """Median time and the peak RSS, via /usr/bin/time for a per-command peak
    (rss=False: the command alone, for runs of a few milliseconds, where
    /usr/bin/time's own start would count)."""
    times, peak, out = [], 0.0, ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        with open(stdin_path or os.devnull, "rb") as stdin:
            p = subprocess.run((["/usr/bin/time", "-f", "%M"] if rss else []) + cmd, capture_output=True, text=True,
                               stdin=stdin, env=dict(os.environ, **(env or {})))
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        if rss:
            peak = max(peak, int(p.stderr.strip().splitlines()[-1]) / 1024)
        out = p.stdout.strip()
    return statistics.median(times), peak, out


def make_data(d, n, c, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    return x, y


def write_csv(path, x, y):
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(x.shape[1])] + ["label"]) + "\n")
        np.savetxt(f, np.column_stack([x, y]), fmt=["%.6f"] * x.shape[1] + ["%d"], delimiter=",")


def write_jsonl(path, x, y):
    with open(path, "w") as f:
        for row, label in zip(x, y):
            f.write(json.dumps({"input": [round(v, 6) for v in row.tolist()], "target": int(label)}) + "\n")


PY_CSV = """
import sys, numpy as np, torch, torch.nn.functional as F
a = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1)
x = torch.tensor(a[:, :-1], requires_grad=True); y = torch.tensor(a[:, -1]).long()
l = F.cross_entropy(x, y); l.backward(); print(repr(l.item()))
"""
PY_JSONL = """
import sys, json, torch, torch.nn.functional as F
rows = [json.loads(line) for line in open(sys.argv[1])]
x = torch.tensor([r['input'] for r in rows], dtype=torch.float64, requires_grad=True)
y = torch.tensor([r['target'] for r in rows])
l = F.cross_entropy(x, y); l.backward(); print(repr(l.item()))
"""
PY_NPY = """
import sys, numpy as np, torch, torch.nn.functional as F
x = torch.tensor(np.load(sys.argv[1]), requires_grad=True); y = torch.tensor(np.load(sys.argv[2]))
l = F.cross_entropy(x, y); l.backward(); print(repr(l.item()))
"""
PY_ONE = ("import torch, torch.nn.functional as F; "
          "print(F.cross_entropy(torch.tensor([[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]), torch.tensor([2,3])).item())")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="directory for the generated files (default: a temporary one)")
    args = ap.parse_args()
    try:
        subprocess.run([PY, "-c", "import torch"], check=True, capture_output=True)
        have_torch = True
    except Exception:
        have_torch = False
    d = args.keep or tempfile.mkdtemp(prefix="losscalc-bench-")
    os.makedirs(d, exist_ok=True)
    s = args.scale
    cases = []
    for n, c in [(int(1e5 * s), 100), (int(1e6 * s), 10)]:
        x, y = make_data(d, n, c, n + c)
        p = os.path.join(d, f"csv_{n}x{c}.csv")
        write_csv(p, x, y)
        ours = [args.binary, "cross_entropy", "-q", p, "--target-column", "label"]
        stdin = [args.binary, "cross_entropy", "-q", "-", "--target-column", "label"]
        theirs = [PY, "-c", PY_CSV, p]
        # A file (split in two halves), the same from stdin (one reader, read
        # ahead), and either on one thread (LOSSCALC_THREADS=1).
        cases.append(("CSV", f"{n}x{c}", n, p, ours, theirs, None, None))
        cases.append(("CSV 1t", f"{n}x{c}", n, p, ours, theirs, None, {"LOSSCALC_THREADS": "1"}))
        cases.append(("CSV <", f"{n}x{c}", n, p, stdin, theirs, p, None))
        cases.append(("CSV <1t", f"{n}x{c}", n, p, stdin, theirs, p, {"LOSSCALC_THREADS": "1"}))
    n, c = int(2e5 * s), 100
    x, y = make_data(d, n, c, 7)
    p = os.path.join(d, f"jsonl_{n}x{c}.jsonl")
    write_jsonl(p, x, y)
    cases.append(("JSONL", f"{n}x{c}", n, p, [args.binary, "cross_entropy", "-q", p], [PY, "-c", PY_JSONL, p], None, None))
    px, py_ = os.path.join(d, f"npy_{n}x{c}.npy"), os.path.join(d, f"npy_{n}_labels.npy")
    np.save(px, x)
    np.save(py_, y)
    cases.append((".npy", f"{n}x{c}", n, px, [args.binary, "cross_entropy", "-q", px, py_], [PY, "-c", PY_NPY, px, py_], None, None))

    print(f"{'format':7} {'shape':>12} {'MB':>7} | {'losscalc MB/s':>13} {'rows/s':>10} {'RSS MB':>7} | "
          f"{'python MB/s':>11} {'RSS MB':>7} | {'ratio':>6}  agree")
    python_times = {}  # the Python route once per file
    for fmt, shape, rows, path, ours, theirs, stdin_path, env in cases:
        mb = os.path.getsize(path) / 1e6
        t, rss, out = measured(ours, args.repeat, stdin_path, env)
        line = f"{fmt:7} {shape:>12} {mb:7.1f} | {mb / t:13.1f} {rows / t:10.3g} {rss:7.1f} | "
        if have_torch:
            if path not in python_times:
                python_times[path] = measured(theirs, min(3, args.repeat))  # median of up to 3: it takes seconds
            tp, rssp, outp = python_times[path]
            agree = abs(float(out) - float(outp)) <= 1e-9 * max(1.0, abs(float(outp)))
            line += f"{mb / tp:11.1f} {rssp:7.1f} | {tp / t:6.1f}  {'yes' if agree else 'NO: ' + out + ' vs ' + outp}"
        else:
            line += f"{'(no torch)':>11} {'':>7} | {'':>6}"
        print(line, flush=True)

    # The floor for .npy: reading its bytes and nothing else.
    tc, _, _ = measured(["sh", "-c", 'cat "$0" "$1" > /dev/null', px, py_], args.repeat, rss=False)
    tn = measured(cases[-1][4], args.repeat)[0]
    print(f".npy files read by cat alone: {os.path.getsize(px) / 1e6 / tc:.1f} MB/s; losscalc takes {tn / tc:.2f}x that time")

    one = [args.binary, "cross_entropy", "-q", "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]", "[2,3]"]
    t1, _, _ = measured(one, 20, rss=False)
    msg = f"one-liner (2x4): losscalc {t1 * 1e3:.2f} ms"
    if have_torch:
        tp, _, _ = measured([PY, "-c", PY_ONE], 3, rss=False)
        msg += f", python3 -c 'import torch; ...' {tp * 1e3:.0f} ms, ratio {tp / t1:.0f}x"
    print(msg)
    if not args.keep:
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
        os.rmdir(d)


if __name__ == "__main__":
    main()
