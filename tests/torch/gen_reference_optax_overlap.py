#!/usr/bin/env python3
"""optax.sigmoid_focal_loss, optax.dice_loss, optax.binary_dice_loss and
optax.multiclass_generalized_dice_loss emulated in numpy, in optax's op order
(optax HEAD 2edbcbe, optax/losses/_classification.py and _segmentation.py).
JAX cannot be installed here: nothing below ran under JAX.

The gradients are not transcribed from losscalc's code: they come from the
complex step (f(x + ih) / h, exact to rounding for these analytic
functions), through an analytic form of the same loss (softplus as
log(1 + e^u)), so they check losscalc's quotient and chain rules
independently. Extreme logits get loss-only cases.

  /usr/bin/python3 tests/torch/gen_reference_optax_overlap.py \\
      > tests/torch/optax_overlap_reference_cases.json

Self-checks first (optax's own test properties: gamma 0 is the sigmoid BCE,
alpha 0 zeroes the positives, alpha 1 the negatives, the ratio tests, perfect
overlap below 0.01, the docstring's shapes; central differences); exits 1 if
one fails. Case format: tests/reference_test.cpp (args, expect, rtol, atol).
"""
import json
import sys

import numpy as np

OPTAX = ("optax 0.2.9.dev = google-deepmind/optax HEAD 2edbcbe2390da13983b92cbef94ac0460ecde1c5 "
         "(optax/losses/_classification.py sigmoid_focal_loss, optax/losses/_segmentation.py); emulated in numpy, not run")


def softplus_stable(u):
    # jnp.logaddexp(u, 0)
    return np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))


def focal_np(x, y, gamma, alpha, dt):
    x = x.astype(dt)
    y = y.astype(dt)
    g = dt(gamma)
    log_p = -softplus_stable(-x)
    log_not_p = -softplus_stable(x)
    ce = -y * log_p - (dt(1) - y) * log_not_p
    high = y >= dt(0.5)
    yp = np.where(high, y, dt(1) - y)
    xp = np.where(high, -x, x)
    with np.errstate(divide="ignore"):
        l1m = -softplus_stable(-xp) + np.log(yp) + softplus_stable(-xp + np.log1p(-yp) - np.log(yp))
    loss = ce * np.exp(g * l1m)
    if alpha is None:
        return loss
    a = dt(alpha)
    return (a * y + (dt(1) - a) * (dt(1) - y)) * loss


def focal_analytic(x, y, gamma, alpha):
    """The same loss in complex-safe form: p = 1 / (1 + e^-x), (1 - p_t) = p(1 - y) + (1 - p) y."""
    p, q = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))  # q = 1 - p without the cancellation
    ce = y * np.log1p(np.exp(-x)) + (1 - y) * np.log1p(np.exp(x))
    one_minus_pt = p * (1 - y) + q * y
    loss = ce * np.exp(gamma * np.log(one_minus_pt))
    if alpha is None:
        return loss
    return (alpha * y + (1 - alpha) * (1 - y)) * loss


def softmax_last(x):
    m = np.max(x.real, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def dice_np(pred, target, dt=np.float64, class_weights=None, smooth=1.0, alpha=0.5, beta=0.5, apply_softmax=True,
            reduction="mean", ignore_background=False, axis=None):
    pred = np.asarray(pred).astype(dt) if dt is not complex else np.asarray(pred)
    target = np.asarray(target).astype(dt if dt is not complex else np.float64)
    if pred.ndim == target.ndim - 1:
        pred = pred[..., None]
    if target.ndim == pred.ndim - 1:
        target = target[..., None]
    if pred.shape != target.shape:
        raise ValueError("Shape mismatch: got %s and %s." % (pred.shape, target.shape))
    if not apply_softmax:
        sums = np.sum(pred, axis=-1)
        if not np.allclose(sums, 1.0, rtol=1e-5):
            raise ValueError("When apply_softmax=False, predictions must be valid probability distributions")
    probs = pred
    if apply_softmax:
        probs = 1 / (1 + np.exp(-pred)) if pred.shape[-1] == 1 else softmax_last(pred)
    axis = tuple(range(1, probs.ndim - 1)) if axis is None else axis
    inter = np.sum(probs * target, axis=axis)
    psum = np.sum(probs, axis=axis)
    tsum = np.sum(target, axis=axis)
    num = inter + smooth
    den = inter + alpha * (psum - inter) + beta * (tsum - inter) + smooth
    d = 1.0 - num / den
    if class_weights is not None:
        d = d * (np.asarray(class_weights) if np.iscomplexobj(d) else np.asarray(class_weights).astype(d.dtype))
    if ignore_background and probs.shape[-1] > 1:
        d = d[..., 1:]
    if reduction == "mean":
        return np.mean(d, axis=-1)
    if reduction == "sum":
        return np.sum(d, axis=-1)
    return d


def binary_dice_np(pred, target, smooth=1.0, apply_sigmoid=True, dt=np.float64):
    pred = np.asarray(pred)
    target = np.asarray(target)
    if pred.ndim == target.ndim and pred.shape[-1] != 1:
        pred = pred[..., None]
        target = target[..., None]
    return dice_np(pred, target, dt=dt, smooth=smooth, apply_softmax=apply_sigmoid, reduction="mean")


def generalized_np(pred, target, smooth=1.0, apply_softmax=True, ignore_background=False, dt=np.float64):
    target = np.asarray(target, dtype=np.float64)
    freq = np.sum(target, axis=tuple(range(target.ndim - 1)))
    w = 1.0 / (freq ** 2 + 1e-7)
    w = w / np.sum(w) * len(w)
    return np.mean(dice_np(pred, target, dt=dt, class_weights=w, smooth=smooth, apply_softmax=apply_softmax, reduction="none",
                           ignore_background=ignore_background))


def complex_grad(f, x):
    """d sum(f(x)) / dx by the complex step."""
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    h = 1e-30
    flat = g.reshape(-1)
    for i in range(x.size):
        xc = x.astype(complex).reshape(-1)
        xc[i] += 1j * h
        flat[i] = np.sum(f(xc.reshape(x.shape))).imag / h
    return g


def central_grad(f, x, h=1e-6):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x).reshape(-1)
    for i in range(x.size):
        a = x.copy().reshape(-1)
        b = x.copy().reshape(-1)
        a[i] += h
        b[i] -= h
        g[i] = (np.sum(f(a.reshape(x.shape))) - np.sum(f(b.reshape(x.shape)))) / (2 * h)
    return g.reshape(x.shape)


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def self_check():
    ok = True

    def check(cond, what):
        nonlocal ok
        if not cond:
            print("self-check failed:", what, file=sys.stderr)
            ok = False

    ys = np.array([[2.0, 0.1, -2.0], [0.3, -0.1, 1.2]])
    ts = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    bce = -ts * -softplus_stable(-ys) - (1 - ts) * -softplus_stable(ys)
    check(np.allclose(focal_np(ys, ts, 0.0, None, np.float64), bce, rtol=1e-14), "gamma 0 is the BCE")
    p = 1 / (1 + np.exp(-ys))
    pt = p * ts + (1 - p) * (1 - ts)
    check(np.allclose(focal_np(ys, ts, 2.0, None, np.float64) / bce, (1 - pt) ** 2, rtol=1e-12), "test_scale")
    check(np.all(focal_np(ys, ts, 2.0, 0.0, np.float64)[ts == 1] == 0), "alpha 0 ignores the positives")
    check(np.all(focal_np(ys, ts, 2.0, 1.0, np.float64)[ts == 0] == 0), "alpha 1 ignores the negatives")
    large = np.log(np.array([0.9, 0.98, 0.3, 0.99]) / (1 - np.array([0.9, 0.98, 0.3, 0.99])))
    ones = np.ones(4)
    ratio = softplus_stable(-large) / focal_np(large, ones, 2.0, 0.5, np.float64)
    check(np.allclose(ratio, 2.0 / (1 - 1 / (1 + np.exp(-large))) ** 2, rtol=1e-10), "test_large_logit_fl_less_than_ce")
    check(np.allclose(focal_np(ys, ts, 2.0, 0.25, np.float64), focal_analytic(ys, ts, 2.0, 0.25), rtol=1e-13), "analytic form")
    ext = focal_np(np.array([100.0, -100.0, 75.0, -75.0, 50.0, -50.0]), np.array([0.9, 0.1, 0.8, 0.2, 1.0, 0.0]), 0.5, None, np.float64)
    check(np.all(np.isfinite(ext)), "extreme logits finite")
    g1 = complex_grad(lambda v: focal_analytic(v, ts, 2.0, None), ys)
    g2 = central_grad(lambda v: focal_np(v, ts, 2.0, None, np.float64), ys)
    check(np.allclose(g1, g2, rtol=1e-6, atol=1e-9), "focal complex step vs central differences")
    # dice: the docstring's example shapes, perfect and no overlap.
    logits = np.array([[1.0, -1.0], [0.5, 0.5]])
    targets = np.array([[1.0, 0.0], [1.0, 0.0]])
    check(dice_np(logits[..., None], targets[..., None]).shape == (2,), "docstring shape (2,)")
    t = np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]])[..., None]
    check(np.mean(dice_np(np.where(t > 0, 10.0, -10.0), t)) < 0.01, "perfect overlap")
    check(np.mean(dice_np(np.where(t > 0, -10.0, 10.0), t)) > 0.7, "no overlap")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4))
    y = np.eye(4)[rng.integers(0, 4, size=(2, 3))]
    g1 = complex_grad(lambda v: dice_np(v, y, dt=complex, alpha=0.3, beta=0.7), x)
    g2 = central_grad(lambda v: dice_np(v, y, alpha=0.3, beta=0.7), x)
    check(np.allclose(g1, g2, rtol=1e-6, atol=1e-9), "dice complex step vs central differences")
    check(np.allclose(dice_np(x, y, class_weights=np.ones(4)), dice_np(x, y), rtol=1e-15), "equal weights")
    return ok


def main():
    if not self_check():
        sys.exit(1)
    rng = np.random.default_rng(20261207)
    cases = []

    def add(name, args, expect, rtol=1e-12, atol=1e-12):
        cases.append({"name": name, "args": args, "expect": expect, "rtol": rtol, "atol": atol})

    # ---- sigmoid_focal_loss
    for k in range(60):
        shape = [(5,), (2, 3), (3, 2, 2)][k % 3]
        x = rng.normal(scale=[1, 3, 6][k % 3], size=shape)
        soft = k % 4 == 3
        y = rng.uniform(size=shape) if soft else rng.integers(0, 2, size=shape).astype(float)
        if soft and k % 8 == 7:
            y = np.round(y, 1)  # ties at 0.5 take the y >= 0.5 branch
        gamma = [2.0, 0.0, 0.5, 1.0, 3.0][k % 5]
        alpha = [None, 0.25, None, 0.75, 1.0, 0.0][k % 6]
        dt = np.float32 if k % 2 else np.float64
        args = ["optax.sigmoid_focal_loss", "--json", "--no-warnings", "--gamma", repr(gamma)]
        if alpha is not None:
            args += ["--alpha", repr(alpha)]
        red = ["none", "mean", "sum"][k % 3]
        if red != "none":
            args += ["-r", red]
        if dt is np.float32:
            args += ["--dtype", "float32"]
            x = x.astype(np.float32).astype(np.float64)
        args += [json.dumps(tolist(x)), json.dumps(tolist(y))]
        loss = focal_np(x, y, gamma, alpha, dt)
        grad = complex_grad(lambda v: focal_analytic(v, y, gamma, alpha), x)
        if red == "mean":
            loss, grad = np.mean(loss.astype(np.float64)), grad / x.size
        elif red == "sum":
            loss = np.sum(loss.astype(np.float64))
        tol = (2e-6, 1e-7) if dt is np.float32 else (1e-12, 1e-13)
        add("optax.sigmoid_focal_loss %d" % k, args, {"status": 0, "loss": tolist(loss), "grad": tolist(grad)}, *tol)
    # extreme logits (optax's finite-gradient test): the loss only.
    x = np.array([100.0, -100.0, 75.0, -75.0, 50.0, -50.0])
    y = np.array([0.9, 0.1, 0.8, 0.2, 1.0, 0.0])
    add("optax.sigmoid_focal_loss extreme", ["optax.sigmoid_focal_loss", "--json", "--gamma", "0.5", json.dumps(tolist(x)), json.dumps(tolist(y))],
        {"status": 0, "loss": tolist(focal_np(x, y, 0.5, None, np.float64))})

    # ---- dice_loss
    for k in range(60):
        shape = [(2, 4, 3), (2, 3, 3, 2), (3, 5, 1), (4, 3), (2, 5)][k % 5]
        x = rng.normal(scale=2, size=shape)
        c = shape[-1]
        y = np.eye(c)[rng.integers(0, c, size=shape[:-1])] if c > 1 else rng.integers(0, 2, size=shape).astype(float)
        kw = {}
        args = ["optax.dice_loss", "--json", "--no-warnings"]
        if k % 4 == 1:
            kw["alpha"], kw["beta"] = 0.3, 0.7
            args += ["--alpha", "0.3", "--beta", "0.7"]
        if k % 5 == 2:
            kw["smooth"] = [0.0, 1e-5, 2.0][k % 3]
            args += ["--smooth", repr(kw["smooth"])]
        red = ["mean", "sum", "none"][k % 3]
        kw["reduction"] = red
        if red != "mean":
            args += ["-r", red]
        if k % 6 == 3 and c > 1:
            kw["ignore_background"] = True
            args += ["--ignore-background"]
        if k % 7 == 4 and c > 1:
            w = rng.uniform(0.5, 2, size=c)
            kw["class_weights"] = w
            args += ["--class-weights", json.dumps(tolist(w))]
        if k % 9 == 5 and len(shape) == 4:
            kw["axis"] = (0, 1, 2)
            args += ["--axis", "0,1,2"]
        if k % 10 == 6 and c > 1:
            x = softmax_last(x)  # probabilities
            kw["apply_softmax"] = False
            args += ["--no-apply-softmax"]
        dt = np.float32 if k % 2 else np.float64
        if dt is np.float32:
            args += ["--dtype", "float32"]
            x = x.astype(np.float32).astype(np.float64)
            if kw.get("apply_softmax") is False:
                x = x / np.sum(x, axis=-1, keepdims=True)
        args += [json.dumps(tolist(x)), json.dumps(tolist(y))]
        loss = dice_np(x, y, dt=dt, **kw)
        grad = complex_grad(lambda v: dice_np(v, y, dt=complex, **kw), x)
        tol = (2e-6, 1e-7) if dt is np.float32 else (1e-12, 1e-13)
        add("optax.dice_loss %d" % k, args, {"status": 0, "loss": tolist(loss), "grad": tolist(grad)}, *tol)
    # a target without the channel axis; the docstring's binary example.
    x = np.array([[1.0, -1.0], [0.5, 0.5]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    add("optax.dice_loss docstring", ["optax.dice_loss", "--json", json.dumps(tolist(x[..., None])), json.dumps(tolist(y))],
        {"status": 0, "loss": tolist(dice_np(x[..., None], y)), "grad": tolist(complex_grad(lambda v: dice_np(v, y, dt=complex), x[..., None]))})

    # ---- binary_dice_loss
    for k in range(20):
        shape = [(2, 5), (3, 4, 1), (2, 3, 3)][k % 3]
        x = rng.normal(scale=2, size=shape)
        y = rng.integers(0, 2, size=shape).astype(float)
        smooth = [1.0, 0.5][k % 2]
        args = ["optax.binary_dice_loss", "--json", "--smooth", repr(smooth), json.dumps(tolist(x)), json.dumps(tolist(y))]
        loss = binary_dice_np(x, y, smooth=smooth)
        grad = complex_grad(lambda v: binary_dice_np(v, y, smooth=smooth, dt=complex), x)
        add("optax.binary_dice_loss %d" % k, args, {"status": 0, "loss": tolist(loss), "grad": tolist(grad)})

    # ---- multiclass_generalized_dice_loss
    for k in range(20):
        shape = [(2, 4, 3), (3, 2, 2, 4), (5, 3)][k % 3]
        x = rng.normal(scale=2, size=shape)
        c = shape[-1]
        y = np.eye(c)[rng.integers(0, c, size=shape[:-1])]
        ib = k % 4 == 1
        args = ["optax.multiclass_generalized_dice_loss", "--json"] + (["--ignore-background"] if ib else [])
        args += [json.dumps(tolist(x)), json.dumps(tolist(y))]
        loss = generalized_np(x, y, ignore_background=ib)
        grad = complex_grad(lambda v: generalized_np(v, y, ignore_background=ib, dt=complex), x)
        # 1 / (freq^2 + 1e-7) of an absent class is 1e7: the losses differ by 1e7 in scale.
        add("optax.multiclass_generalized_dice_loss %d" % k, args, {"status": 0, "loss": tolist(loss), "grad": tolist(grad)}, 1e-11, 1e-12)

    # ---- errors
    add("dice shape mismatch", ["optax.dice_loss", "[[1,2],[3,4]]", "[[1,0,0],[0,1,0]]"], {"status": 1, "stderr_contains": "Shape mismatch: got (2, 2) and (2, 3)."})
    add("dice not probabilities", ["optax.dice_loss", "--no-apply-softmax", "[[0.5,0.6],[0.2,0.8]]", "[[1,0],[0,1]]"],
        {"status": 1, "stderr_contains": "Found sum range: [1.000000, 1.100000]"})
    add("dice class weights rank", ["optax.dice_loss", "--class-weights", "[[1,2]]", "[[0.5,0.6],[0.2,0.8]]", "[[1,0],[0,1]]"],
        {"status": 1, "stderr_contains": "Expected the input to have rank 1, got 2 instead"})
    add("dice axis out of range", ["optax.dice_loss", "--axis", "3", "[[0.5,0.6],[0.2,0.8]]", "[[1,0],[0,1]]"],
        {"status": 1, "stderr_contains": "axis 3 is out of bounds for array of dimension 2"})
    add("generalized shape mismatch", ["optax.multiclass_generalized_dice_loss", "[[1,2],[3,4]]", "[1,0]"],
        {"status": 1, "stderr_contains": "Shape mismatch: got (2, 2) and (2,)."})
    json.dump({"generator": "tests/torch/gen_reference_optax_overlap.py", "emulates": OPTAX, "cases": cases}, sys.stdout, indent=None)
    print()


if __name__ == "__main__":
    main()
