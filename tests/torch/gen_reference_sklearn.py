#!/usr/bin/env python3
"""Reference values of scikit-learn's losses, from scikit-learn itself
(Debian's python3-sklearn, 1.2), for tests/reference_test.cpp, and a
differential test.

  /usr/bin/python3 tests/torch/gen_reference_sklearn.py
      writes tests/torch/sklearn_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_sklearn.py --differential 300 --binary build/losscalc
      makes 300 fresh random cases and checks the binary on each; on every
      success it also checks losscalc's gradient (scikit-learn has none)
      against central differences of scikit-learn's own loss

Functions: sklearn.metrics.log_loss (eps, normalize, sample_weight, labels),
hinge_loss (binary and multiclass, labels, sample_weight),
brier_score_loss (pos_label, sample_weight), mean_squared_error (squared,
multioutput, sample_weight), mean_absolute_error (multioutput,
sample_weight). A case is the losscalc argv (--json), the exit status, the
loss for a success (scikit-learn's own number) and for a failure a piece of
scikit-learn's message. --dtype float32 is y_pred given as a float32 array
(y_true stays int64 / float64, sample_weight float64), as a user passes one.
"""
import argparse
import json
import math
import random
import subprocess
import sys
import warnings

import numpy as np
import sklearn
from sklearn.metrics import brier_score_loss, hinge_loss, log_loss, mean_absolute_error, mean_squared_error

OUT = __file__.rsplit("/", 1)[0] + "/sklearn_reference_cases.json"
warnings.simplefilter("ignore")


def text(a):
    """A value as losscalc reads it: JSON with NaN/Infinity spelled out."""
    def one(v):
        if isinstance(v, list):
            return "[" + ",".join(one(x) for x in v) + "]"
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)
    return one(np.asarray(a, dtype=np.float64).tolist())


def jsonable(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        v = float(x)
        return v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
    return [jsonable(v) for v in x]


# What losscalc exits with for each of scikit-learn's refusals: bad data 1,
# an option scikit-learn cannot take 2.
USAGE = ("Allowed 'multioutput' string values", "Axis must be specified")


def call(fn, y_true, y_pred, kw):
    try:
        return fn(y_true, y_pred, **kw), None
    except (ValueError, ZeroDivisionError, TypeError) as e:
        return None, str(e)


def case(name, fname, fn, y_pred, y_true, kw, dtype, extra_args):
    """One case: scikit-learn's answer for these arguments."""
    pred = np.asarray(y_pred, dtype=np.float32 if dtype == "float32" else np.float64)
    loss, err = call(fn, y_true, pred, kw)
    args = [fname, "--json", "--no-warnings"] + (["--dtype", "float32"] if dtype == "float32" else []) + extra_args
    if "sample_weight" in kw and kw["sample_weight"] is not None:
        args += ["--sample-weight", text(kw["sample_weight"])]
    args += [text(pred), text(y_true)]
    if err is not None:
        # A piece of the message that losscalc words as scikit-learn does.
        piece = err.split(". Please")[0].split(" (")[0][:60]
        status = 2 if any(err.startswith(u) for u in USAGE) else 1
        if err.startswith("Axis must be specified"):
            piece = "variance_weighted"
        expect = {"status": status, "stderr_contains": piece}
    else:
        expect = {"status": 0, "loss": jsonable(loss)}
    f32 = dtype == "float32"
    return {"name": name, "args": args, "expect": expect, "rtol": 1e-6 if f32 else 1e-12, "atol": 1e-7 if f32 else 1e-12,
            "_fd": {"fn": fn.__name__, "y_true": np.asarray(y_true).tolist(), "y_pred": pred.tolist(), "kw": kw, "dtype": dtype}}


def prob(rng):
    r = rng.random()
    if r < 0.05:
        return 0.0
    if r < 0.1:
        return 1.0
    if r < 0.13:
        return rng.choice([1e-20, 1 - 1e-17, 1e-9, 0.5])
    return round(rng.uniform(0, 1), rng.choice([2, 4, 17]))


LABEL_SETS = [[0, 1], [0, 1], [-1, 1], [1, 2], [2, 5, 7], [0, 1, 2], [0, 1, 2, 3], [3, 10]]


def random_log_loss(rng, name):
    labels = rng.choice(LABEL_SETS)
    n = rng.randint(1, 6)
    y = [rng.choice(labels) for _ in range(n)]
    if n >= len(labels) and rng.random() < 0.7:  # every label present (else scikit-learn refuses, unless --labels)
        y[:len(labels)] = labels
        rng.shuffle(y)
    binary_1d = len(labels) == 2 and rng.random() < 0.6
    c = len(labels) if rng.random() < 0.9 else len(labels) + 1  # sometimes a class count mismatch
    if binary_1d:
        pred = [prob(rng) for _ in range(n)]
    else:
        pred = [[prob(rng) for _ in range(c)] for _ in range(n)]
        if rng.random() < 0.5:  # rows that sum to 1
            pred = [[v / s if s else 1.0 / c for v in row] for row in pred for s in [sum(row)]]
    if rng.random() < 0.03:
        (pred if binary_1d else pred[0])[0] = rng.choice([float("nan"), float("inf")])
    kw, extra = {}, []
    if rng.random() < 0.3:
        eps = rng.choice([1e-15, 1e-3, 0.0, 0.1])
        kw["eps"] = eps
        extra += ["--eps", repr(eps)]
    if rng.random() < 0.3:
        kw["normalize"] = False
        extra += ["--no-normalize"]
    if rng.random() < 0.3:
        w = [round(rng.uniform(0, 3), 2) for _ in range(n if rng.random() < 0.95 else n + 1)]
        kw["sample_weight"] = w
    if rng.random() < 0.25:
        lab = sorted(set(labels + ([max(labels) + 1] if rng.random() < 0.3 else [])))
        kw["labels"] = lab
        extra += ["--labels", text(lab)]
    dtype = rng.choice(["float64", "float64", "float32"])
    return case("%s log_loss %s" % (name, json.dumps(kw)), "sklearn.log_loss", log_loss, pred, y, kw, dtype, extra)


def random_brier(rng, name):
    labels = rng.choice([[0, 1], [0, 1], [-1, 1], [2, 5], [1], [0], [3], [0, 1, 2]])
    n = rng.randint(1, 6)
    y = [rng.choice(labels) for _ in range(n)]
    pred = [prob(rng) for _ in range(n)]
    if rng.random() < 0.05:
        pred[0] = rng.choice([1.5, -0.2])
    kw, extra = {}, []
    if rng.random() < 0.3:
        pos = rng.choice(labels + [9])
        kw["pos_label"] = pos
        extra += ["--pos-label", str(pos)]
    if rng.random() < 0.3:
        kw["sample_weight"] = [round(rng.uniform(0, 3), 2) for _ in range(n)]
    dtype = rng.choice(["float64", "float64", "float32"])
    return case("%s brier_score_loss %s" % (name, json.dumps(kw)), "sklearn.brier_score_loss", brier_score_loss, pred, y, kw,
                dtype, extra)


def random_hinge(rng, name):
    labels = rng.choice([[-1, 1], [0, 1], [2, 5], [3], [0, 1, 2], [0, 1, 2, 3], [1, 4, 9]])
    n = rng.randint(1, 6)
    y = [rng.choice(labels) for _ in range(n)]
    if n >= len(labels) and rng.random() < 0.7:
        y[:len(labels)] = labels
        rng.shuffle(y)
    val = lambda: round(rng.uniform(-3, 3), rng.choice([1, 2, 17]))
    kw, extra = {}, []
    if len(labels) > 2 or rng.random() < 0.1:
        c = len(labels) if rng.random() < 0.9 else len(labels) + 1
        pred = [[val() for _ in range(c)] for _ in range(n)]
        if rng.random() < 0.2:
            pred[0][-1] = pred[0][0]  # a tie in the max
    else:
        pred = [val() for _ in range(n)]
        if rng.random() < 0.15:
            pred[0] = 1.0 if y[0] == max(labels) else -1.0  # the margin exactly met
    if rng.random() < 0.25:
        lab = sorted(set(labels + ([max(labels) + 1] if rng.random() < 0.3 else [])))
        kw["labels"] = lab
        extra += ["--labels", text(lab)]
    if rng.random() < 0.3:
        kw["sample_weight"] = [round(rng.uniform(0, 3), 2) for _ in range(n)]
    dtype = rng.choice(["float64", "float64", "float32"])
    return case("%s hinge_loss %s" % (name, json.dumps(kw)), "sklearn.hinge_loss", hinge_loss, pred, y, kw, dtype, extra)


def random_regression(rng, name, fn, fname):
    n = rng.randint(1, 6)
    k = rng.choice([None, None, 1, 2, 3])
    shape = (n,) if k is None else (n, k)
    val = lambda: round(rng.uniform(-3, 3), rng.choice([1, 3, 17]))
    pred = np.array([val() for _ in range(int(np.prod(shape)))]).reshape(shape)
    truth = np.array([val() for _ in range(int(np.prod(shape)))]).reshape(shape)
    if rng.random() < 0.05:
        truth = truth.reshape(-1)[: max(1, truth.size - 1)]  # a length or output mismatch
    kw, extra = {}, []
    r = rng.random()
    kout = 1 if k is None else k
    if r < 0.2:
        kw["multioutput"] = "raw_values"
        extra += ["--multioutput", "raw_values"]
    elif r < 0.3:
        v = [round(rng.uniform(0, 2), 2) for _ in range(kout if rng.random() < 0.9 else kout + 1)]
        kw["multioutput"] = v
        extra += ["--multioutput", ",".join(repr(x) for x in v)]
    elif r < 0.33:
        kw["multioutput"] = "variance_weighted"
        extra += ["--multioutput", "variance_weighted"]
    if fn is mean_squared_error and rng.random() < 0.25:
        kw["squared"] = False
        extra += ["--no-squared"]
    if rng.random() < 0.3:
        kw["sample_weight"] = [round(rng.uniform(0, 3), 2) for _ in range(n)]
    dtype = rng.choice(["float64", "float64", "float32"])
    return case("%s %s %s %s" % (name, fname, list(shape), json.dumps(kw)), fname, fn, pred.tolist(), truth.tolist(), kw, dtype, extra)


HAND = [
    ("log_loss docstring: spam/ham", "sklearn.log_loss", log_loss, [[.1, .9], [.9, .1], [.8, .2], [.35, .65]], [1, 0, 0, 1], {}, []),
    ("log_loss one label", "sklearn.log_loss", log_loss, [0.2, 0.7, 0.9], [1, 1, 1], {}, []),
    ("log_loss labels of one", "sklearn.log_loss", log_loss, [0.2, 0.7, 0.9], [1, 1, 1], {"labels": [1]}, ["--labels", "[1]"]),
    ("log_loss a label outside --labels: a row of 0s", "sklearn.log_loss", log_loss,
     [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]], [0, 1, 5], {"labels": [0, 1, 2]}, ["--labels", "[0,1,2]"]),
    ("log_loss y_true lacks a class", "sklearn.log_loss", log_loss, [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]], [0, 1], {}, []),
    ("log_loss indicator y_true", "sklearn.log_loss", log_loss, [[0.2, 0.8], [0.1, 0.9], [0.5, 0.5]], [[0, 1], [1, 0], [1, 0]], {}, []),
    ("log_loss eps above 0.5 (np.clip)", "sklearn.log_loss", log_loss, [0.2, 0.7, 0.9], [0, 1, 1], {"eps": 0.7}, ["--eps", "0.7"]),
    ("log_loss eps 0 and a certain wrong answer: inf", "sklearn.log_loss", log_loss, [0.0, 0.7, 0.9], [1, 1, 0], {"eps": 0.0},
     ["--eps", "0.0"]),
    ("log_loss weights sum to 0", "sklearn.log_loss", log_loss, [0.2, 0.7], [0, 1], {"sample_weight": [0, 0]}, []),
    ("log_loss weights sum to 0, not normalised", "sklearn.log_loss", log_loss, [0.2, 0.7], [0, 1],
     {"sample_weight": [0, 0], "normalize": False}, ["--no-normalize"]),
    ("log_loss 3-D", "sklearn.log_loss", log_loss, np.full((2, 2, 2), 0.5).tolist(), [0, 1], {}, []),
    ("log_loss continuous labels", "sklearn.log_loss", log_loss, [0.2, 0.7, 0.9], [0.5, 1.5, 1.5], {}, []),
    ("brier docstring", "sklearn.brier_score_loss", brier_score_loss, [0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0], {}, []),
    ("brier labels {0, 2}: the greater is positive", "sklearn.brier_score_loss", brier_score_loss, [0.2, 0.7, 0.9], [0, 2, 2], {}, []),
    ("brier multiclass", "sklearn.brier_score_loss", brier_score_loss, [0.2, 0.7, 0.9], [0, 1, 2], {}, []),
    ("brier y_prob above 1", "sklearn.brier_score_loss", brier_score_loss, [0.2, 1.7, 0.9], [0, 1, 1], {}, []),
    ("brier y_prob (N, 2)", "sklearn.brier_score_loss", brier_score_loss, [[0.2, 0.1], [0.7, 0.1]], [0, 1], {}, []),
    ("hinge docstring binary", "sklearn.hinge_loss", hinge_loss, [-2.18173682, 2.36360149, 0.09093234], [-1, 1, 1], {}, []),
    ("hinge one label: all -1", "sklearn.hinge_loss", hinge_loss, [-2.18, 2.36, 0.09], [3, 3, 3], {}, []),
    ("hinge multiclass 1-D pred", "sklearn.hinge_loss", hinge_loss, [-2.18, 2.36, 0.09], [0, 1, 2], {}, []),
    ("hinge multiclass with labels", "sklearn.hinge_loss", hinge_loss, [[1, 2, 3], [1, 2, 3], [3, 2, 1]], [0, 1, 1],
     {"labels": [0, 1, 2]}, ["--labels", "[0,1,2]"]),
    ("hinge multiclass labels and columns differ", "sklearn.hinge_loss", hinge_loss, [[1, 2, 3], [1, 2, 3], [3, 2, 1]], [0, 1, 2],
     {"labels": [0, 1, 2, 3]}, ["--labels", "[0,1,2,3]"]),
    ("hinge unseen label", "sklearn.hinge_loss", hinge_loss, [[1, 2, 3], [1, 2, 3], [3, 2, 1]], [0, 1, 5],
     {"labels": [0, 1, 2]}, ["--labels", "[0,1,2]"]),
    ("hinge binary 2-D pred", "sklearn.hinge_loss", hinge_loss, [[-2.18, 1], [2.36, 1], [0.09, 1]], [0, 1, 1], {}, []),
    ("mse docstring", "sklearn.mean_squared_error", mean_squared_error, [2.5, 0.0, 2, 8], [3, -0.5, 2, 7], {}, []),
    ("mse docstring multioutput", "sklearn.mean_squared_error", mean_squared_error, [[0, 2], [-1, 2], [8, -5]],
     [[0.5, 1], [-1, 1], [7, -6]], {"multioutput": [0.3, 0.7]}, ["--multioutput", "0.3,0.7"]),
    ("mse variance_weighted: TypeError in 1.2", "sklearn.mean_squared_error", mean_squared_error, [[1, 2], [3, 5]], [[1, 2], [3, 4]],
     {"multioutput": "variance_weighted"}, ["--multioutput", "variance_weighted"]),
    ("mse custom weights, one output", "sklearn.mean_squared_error", mean_squared_error, [1, 2], [1, 2], {"multioutput": [1]},
     ["--multioutput", "1"]),
    ("mse outputs differ", "sklearn.mean_squared_error", mean_squared_error, [[1, 2, 3], [3, 5, 3]], [[1, 2], [3, 4]], {}, []),
    ("mae docstring raw_values", "sklearn.mean_absolute_error", mean_absolute_error, [[0, 2], [-1, 2], [8, -5]],
     [[0.5, 1], [-1, 1], [7, -6]], {"multioutput": "raw_values"}, ["--multioutput", "raw_values"]),
    ("mae NaN", "sklearn.mean_absolute_error", mean_absolute_error, [1, 2, float("nan")], [1, 2, 3], {}, []),
]


def make_case(rng, name, function=None):
    f = function or rng.choice(["log_loss", "log_loss", "brier", "hinge", "mse", "mae"])
    if f == "log_loss":
        return random_log_loss(rng, name)
    if f == "brier":
        return random_brier(rng, name)
    if f == "hinge":
        return random_hinge(rng, name)
    if f == "mse":
        return random_regression(rng, name, mean_squared_error, "sklearn.mean_squared_error")
    return random_regression(rng, name, mean_absolute_error, "sklearn.mean_absolute_error")


def seeded_cases():
    cases = [case(name, fname, fn, pred, y, kw, "float64", extra) for name, fname, fn, pred, y, kw, extra in HAND]
    rng = random.Random(20261206)
    for f, count in [("log_loss", 140), ("brier", 70), ("mse", 80), ("mae", 60), ("hinge", 90)]:
        for i in range(count):
            cases.append(make_case(rng, "random %d" % i, f))
    return cases


def close(a, b, rtol, atol):
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(close(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def fd_check(c, got):
    """losscalc's gradient against central differences of scikit-learn's loss
    (float64, away from the clips and kinks; nothing to say otherwise)."""
    d = c["_fd"]
    if d["dtype"] != "float64" or "grad" not in got or d["kw"].get("multioutput") == "raw_values":
        return ""
    fn = {"log_loss": log_loss, "brier_score_loss": brier_score_loss, "hinge_loss": hinge_loss, "mean_squared_error": mean_squared_error,
          "mean_absolute_error": mean_absolute_error}[d["fn"]]
    p = np.asarray(d["y_pred"], dtype=np.float64)
    g = np.asarray(got["grad"], dtype=np.float64)
    eps = d["kw"].get("eps", np.finfo(np.float64).eps)
    h = 1e-6
    for i in np.ndindex(p.shape):
        v = p[i]
        if d["fn"] in ("log_loss", "brier_score_loss") and not (eps + 2 * h < v < 1 - eps - 2 * h):
            continue
        if d["fn"] == "mean_absolute_error" and abs(v - np.asarray(d["y_true"], dtype=np.float64).reshape(p.shape)[i]) < 2 * h:
            continue
        if d["fn"] == "hinge_loss":  # off the kinks: every margin and every tie in the max a step away
            a, ea = call(fn, d["y_true"], p, d["kw"])
            if ea:
                continue
            q = p.reshape(p.shape[0], -1)
            if q.shape[1] > 1 and any(len(set(np.round(row, 9))) < len(row) for row in q):
                continue
            if q.shape[1] == 1 and abs(abs(v) - 1) < 2 * h:  # binary: the margin met exactly (|x| = 1)
                continue
            if q.shape[1] > 1:  # multiclass: a margin of exactly 1 (x[y] - max of the others)
                yl = sorted(set(d["kw"].get("labels", d["y_true"])))
                row = q[i[0]]
                yi = yl.index(d["y_true"][i[0]])
                if abs(1 - (row[yi] - max(row[j] for j in range(len(row)) if j != yi))) < 4 * h:
                    continue
        hi, lo = p.copy(), p.copy()
        hi[i] += h
        lo[i] -= h
        a, ea = call(fn, d["y_true"], hi, d["kw"])
        b, eb = call(fn, d["y_true"], lo, d["kw"])
        if ea or eb or not (np.isfinite(a) and np.isfinite(b)):
            continue
        fd = (a - b) / (2 * h)
        # A central difference's own error grows as v^-3 near p = 0 (log_loss
        # at p = 1e-4: 3.5e-5 relative with h = 1e-6): 1e-4 relative.
        if abs(fd - g[i]) > 1e-4 * max(1.0, abs(fd)):
            return "grad%s: got %r, central difference of scikit-learn %r" % (list(i), float(g[i]), float(fd))
    return ""


def check(binary, cases, fd=False):
    bad = 0
    for c in cases:
        p = subprocess.run([binary] + c["args"], capture_output=True, text=True)
        e = c["expect"]
        problem = ""
        if p.returncode != e["status"]:
            problem = "status %d, expected %d: %s" % (p.returncode, e["status"], p.stderr.strip())
        elif e["status"] != 0:
            if e.get("stderr_contains", "") not in p.stderr:
                problem = "stderr %r lacks %r" % (p.stderr.strip(), e["stderr_contains"])
        else:
            got = json.loads(p.stdout)
            if not close(got["loss"], e["loss"], c["rtol"], c["atol"]):
                problem = "loss: got %r, scikit-learn %r" % (got["loss"], e["loss"])
            elif fd:
                problem = fd_check(c, got)
        if problem:
            bad += 1
            print("FAIL %s: %s\n  losscalc %s" % (c["name"], problem, " ".join(c["args"])))
    print("%d cases, %d mismatches" % (len(cases), bad))
    return bad == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--differential", type=int, metavar="N")
    ap.add_argument("--binary")
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    if a.differential:
        seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
        print("seed %d (--seed %d repeats it)" % (seed, seed))
        rng = random.Random(seed)
        sys.exit(0 if check(a.binary, [make_case(rng, "random %d" % i) for i in range(a.differential)], fd=True) else 1)
    cases = seeded_cases()
    doc = {"generator": "tests/torch/gen_reference_sklearn.py", "sklearn_version": sklearn.__version__,
           "cases": [{k: v for k, v in c.items() if k != "_fd"} for c in cases]}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote %d cases to %s" % (len(cases), OUT))
    if a.binary:
        sys.exit(0 if check(a.binary, cases, fd=True) else 1)


if __name__ == "__main__":
    main()
