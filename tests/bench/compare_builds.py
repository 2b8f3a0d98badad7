#!/usr/bin/env python3
"""Two builds side by side: the same commands, alternated, on the same files.

    /usr/bin/python3 tests/bench/compare_builds.py --before OLD/losscalc --after build/losscalc [--dir DIR] [--repeat 21]

Makes (once, in DIR) a CSV of 1e5 rows x 100 logits and one of 1e6 x 10,
each with a label column, then times cross_entropy -q --target-column label
on each (two threads and LOSSCALC_THREADS=1) and the classic 2x4 one-liner,
before and after in turn. It prints the fastest of --repeat runs (the least
disturbed on a shared machine), MB/s and the after/before ratio, and checks
that both builds print the same loss.
"""
import argparse
import os
import subprocess
import time

import numpy as np


def make(path, n, c, seed):
    if os.path.exists(path):
        return
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, c)), rng.integers(0, c, n)
    with open(path, "w") as f:
        f.write(",".join("l%d" % i for i in range(c)) + ",label\n")
        np.savetxt(f, np.column_stack([x, y]), fmt=["%.6f"] * c + ["%d"], delimiter=",")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--dir", default="/tmp/losscalc-compare-builds")
    ap.add_argument("--repeat", type=int, default=21)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    wide, tall = os.path.join(a.dir, "b100.csv"), os.path.join(a.dir, "b10.csv")
    make(wide, 100000, 100, 0)
    make(tall, 1000000, 10, 0)
    bins = {"before": a.before, "after": a.after}
    cases = [("CSV 1e5x100, two threads", ["ce", "-q", "--target-column", "label", wide], {}),
             ("CSV 1e5x100, one thread", ["ce", "-q", "--target-column", "label", wide], {"LOSSCALC_THREADS": "1"}),
             ("CSV 1e6x10, two threads", ["ce", "-q", "--target-column", "label", tall], {}),
             ("CSV 1e6x10, one thread", ["ce", "-q", "--target-column", "label", tall], {"LOSSCALC_THREADS": "1"}),
             ("one-liner 2x4", ["ce", "-q", "[[0.1,0.2,0.3,0.4],[0.1,0.1,0.1,0.1]]", "[2,3]"], {})]
    for name, args, env in cases:
        reps = a.repeat if "one-liner" not in name else 5 * a.repeat
        times, outs = {b: [] for b in bins}, {}
        for _ in range(reps):
            for b, path in bins.items():
                t = time.perf_counter()
                p = subprocess.run([path] + args, capture_output=True, text=True, env=dict(os.environ, **env))
                times[b].append(time.perf_counter() - t)
                outs[b] = p.stdout.strip()
        size = os.path.getsize(args[-1]) if args[-1].endswith(".csv") else 0
        best = {b: min(t) for b, t in times.items()}
        parts = ["%s %.2f ms%s" % (b, best[b] * 1000, " (%.0f MB/s)" % (size / best[b] / 1e6) if size else "") for b in bins]
        print("%s: %s; after/before %.3f; same output: %s" % (name, "; ".join(parts), best["after"] / best["before"],
                                                            outs["before"] == outs["after"]))


if __name__ == "__main__":
    main()
