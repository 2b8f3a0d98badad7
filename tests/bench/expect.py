#!/usr/bin/env python3
"""The speed of `losscalc expect`: the whole search on inputs of up to 1,000
values, against one `losscalc cross_entropy` run on the same data (the
floor: starting the program and reading the data).

    /usr/bin/python3 tests/bench/expect.py --binary build/losscalc [--repeat 9]

Prints, for logits of N x C (N * C up to 1,000) with class labels, the
median wall-clock time of the search, how many candidates it ran, and the
ratio to the single run; the machine is shared, so compare within one run.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np


def median_time(cmd, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/losscalc")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        for n, c in [(2, 4), (10, 10), (100, 10), (50, 20)]:
            x, y = os.path.join(d, f"x{n}.json"), os.path.join(d, f"y{n}.json")
            json.dump(rng.standard_normal((n, c)).tolist(), open(x, "w"))
            json.dump(rng.integers(0, c, n).tolist(), open(y, "w"))
            one, out = median_time([args.binary, "cross_entropy", "-q", x, y], args.repeat)
            value = "%.4f" % float(out)
            t, out = median_time([args.binary, "expect", value, "--format", "json", x, y], args.repeat)
            tried = json.loads(out)["tried"]
            print(f"{n} x {c} ({n * c} values): expect {t * 1000:6.1f} ms ({tried} candidates), "
                  f"one cross_entropy {one * 1000:5.1f} ms, {t / one:4.1f}x")


if __name__ == "__main__":
    main()
