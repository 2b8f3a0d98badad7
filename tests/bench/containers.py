#!/usr/bin/env python3
"""Reading files of named arrays: .npz (stored and deflated), safetensors
and .pt against the same arrays as two .npy files and against reading the
bytes alone.

    /usr/bin/python3 tests/bench/containers.py --binary build/losscalc [--mb 100] [--repeat 3]

Writes float32 logits of about --mb MB (N x 100) with int64 labels in each
form, then runs side by side in one run:
  - losscalc cross_entropy -q on each file (the arrays picked by PATH:KEY);
  - losscalc nll_loss -q on each file: reading, as nearly alone as a loss
    allows (every value is decoded; one a row is used);
  - cat of each file to /dev/null (the floor: reading its bytes);
  - the Python route: numpy.load (or torch.load) and torch's cross_entropy.
It prints the wall-clock medians, MB/s and the ratios to the .npy run and to
cat. The commands run round-robin (each once a round, --repeat rounds), so
that a shared machine's drift falls on all alike; compare ratios within one
run.
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import tempfile
import time

import numpy as np

PY = "/usr/bin/python3"
PY_NPZ = ("import sys, numpy as np, torch, torch.nn.functional as F; a = np.load(sys.argv[1]); "
          "print(F.cross_entropy(torch.from_numpy(a['logits']).double(), torch.from_numpy(a['labels'])).item())")
PY_PT = ("import sys, torch, torch.nn.functional as F; a = torch.load(sys.argv[1]); "
         "print(F.cross_entropy(a['logits'].double(), a['labels']).item())")


def median_time(cmd, repeat):
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        out = p.stdout.strip()
    return statistics.median(times), out


def safetensors(path, arrays):
    header, blobs, at = {}, [], 0
    for name, (dtype, a) in arrays.items():
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/losscalc")
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-python", action="store_true")
    args = ap.parse_args()
    c = 100
    n = int(args.mb * 1e6 / (4 * c))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c)).astype(np.float32)
    y = rng.integers(0, c, n)
    with tempfile.TemporaryDirectory() as d:
        f = {k: os.path.join(d, v) for k, v in dict(xn="logits.npy", yn="labels.npy", npz="stored.npz", npzc="deflated.npz",
                                                      st="batch.safetensors", pt="batch.pt").items()}
        np.save(f["xn"], x)
        np.save(f["yn"], y)
        np.savez(f["npz"], logits=x, labels=y)
        np.savez_compressed(f["npzc"], logits=x, labels=y)
        safetensors(f["st"], {"logits": ("F32", x), "labels": ("I64", y)})
        have_torch = False
        try:
            import torch
            torch.save({"logits": torch.from_numpy(x), "labels": torch.from_numpy(y)}, f["pt"])
            have_torch = True
        except ImportError:
            pass
        b = args.binary
        runs = [(".npy + .npy", [b, "cross_entropy", "-q", f["xn"], f["yn"]], [f["xn"], f["yn"]], None),
                (".npz stored", [b, "cross_entropy", "-q", f["npz"]], [f["npz"]], PY_NPZ),
                (".npz deflated", [b, "cross_entropy", "-q", f["npzc"]], [f["npzc"]], PY_NPZ),
                ("safetensors", [b, "cross_entropy", "-q", f["st"] + ":logits", f["st"] + ":labels"], [f["st"]], None)]
        if have_torch:
            runs.append((".pt", [b, "cross_entropy", "-q", f["pt"]], [f["pt"]], PY_PT))
        # Every command once per round, round after round: drift on a shared
        # machine falls on all of them alike, so the ratios hold.
        timed = {}
        for name, cmd, files, py in runs:
            timed[name, "ce"] = cmd
            timed[name, "cat"] = ["sh", "-c", 'cat "$@" > /dev/null', "sh"] + files
            timed[name, "read"] = [b, "nll_loss", "-q"] + cmd[3:]
            if py and not args.no_python and have_torch:
                timed[name, "py"] = [PY, "-c", py, files[0]]
        times = {k: [] for k in timed}
        outs, failed = {}, {}
        for _ in range(args.repeat):
            for k, cmd in timed.items():
                if k[0] in failed:
                    continue
                try:
                    t, outs[k] = median_time(cmd, 1)
                    times[k].append(t)
                except SystemExit as e:
                    lines = str(e).splitlines()
                    failed[k[0]] = lines[1] if len(lines) > 1 else str(e)
        med = {k: statistics.median(v) for k, v in times.items() if v}
        print(f"float32 logits {n} x {c} ({x.nbytes / 1e6:.0f} MB) and int64 labels; medians of {args.repeat} rounds (each command once a round)")
        base, read_base = med.get((runs[0][0], "ce")), med.get((runs[0][0], "read"))
        for name, cmd, files, py in runs:
            if name in failed:
                print(f"{name:14s} losscalc failed: {failed[name]}")
                continue
            t, tc, tr = med[name, "ce"], med[name, "cat"], med[name, "read"]
            size = sum(os.path.getsize(p) for p in files)
            line = (f"{name:14s} losscalc {t * 1000:7.0f} ms ({size / 1e6 / t:6.0f} MB/s), {t / base:4.2f}x the .npy run, "
                    f"{t / tc:5.2f}x cat ({tc * 1000:.0f} ms); read (nll_loss -q) {tr * 1000:.0f} ms, {tr / read_base:4.2f}x the .npy read, "
                    f"{tr / tc:4.2f}x cat; loss {outs[name, 'ce']}")
            if (name, "py") in med:
                tp = med[name, "py"]
                line += f"; Python {tp * 1000:.0f} ms ({tp / t:.1f}x losscalc), loss {outs[name, 'py']}"
            print(line)

if __name__ == "__main__":
    main()
