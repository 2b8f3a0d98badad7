#!/usr/bin/env python3
"""-q prints the loss that --json does, digit for digit, on every torch
reference case (the -q run forms no gradients or intermediates, and inline
numbers stay arrays, not rows).

    python3 tests/quiet_matches_json.py BINARY REFERENCE.json...
"""
import json
import math
import subprocess
import sys


def flat(v, out):
    if isinstance(v, list):
        for e in v:
            flat(e, out)
    else:
        out.append(float("nan") if v == "NaN" else float(v.replace("Infinity", "inf")) if isinstance(v, str) else float(v))
    return out


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    n = bad = 0
    for f in files:
        for c in json.load(open(f))["cases"]:
            if c["expect"].get("status", 0) != 0 or "--json" not in c["args"]:
                continue
            j = subprocess.run([binary] + c["args"], capture_output=True, text=True)
            q = subprocess.run([binary] + [a for a in c["args"] if a != "--json"] + ["-q"], capture_output=True, text=True)
            if j.returncode != 0 or "loss" not in json.loads(j.stdout):
                continue
            n += 1
            want = flat(json.loads(j.stdout)["loss"], [])
            got = [float(g) for g in q.stdout.split()] if q.returncode == 0 else None
            same = got is not None and len(got) == len(want) and all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(got, want))
            if not same:
                bad += 1
                print("DIFF %s: %s: -q %r (status %d: %s), --json %r" % (f, c["name"], q.stdout[:80], q.returncode, q.stderr.strip()[:120], want[:3]))
    print("%d cases: %d where -q differs from --json" % (n, bad))
    sys.exit(1 if bad or n < 1000 else 0)


if __name__ == "__main__":
    main()
