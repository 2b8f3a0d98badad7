#!/usr/bin/env python3
"""optax losses emulated in numpy, in optax's op order, with the gradient as
JAX's reverse-mode autodiff computes it (the JVP rules of jax.lax / jax.nn /
optax's custom_jvp, transposed). Spec and sources: tests/torch/OPTAX_NOTES.md.

JAX cannot be installed here, so nothing below was run under JAX: every op
is a numpy transcription of the source read (optax HEAD 2edbcbe, jax HEAD
cec06d1). float64 cases mean JAX with jax_enable_x64=True; float32 cases use
np.float32 arithmetic throughout (constants are cast like JAX's weak types).

  /usr/bin/python3 tests/torch/gen_reference_optax.py \
      > tests/torch/optax_reference_cases.json
      self-check first (optax's own *_test.py values, docstring examples,
      central differences in float64, internal consistency); exits 1 on a
      failed check, else prints the cases (fixed seed) as one JSON object.

Case format (tests/reference_test.cpp): args = ["optax.NAME", "--json",
"--no-warnings", ["-r", mean|sum], ["--dtype", "float32"], [--delta/--axis/
--epsilon V], INPUT_JSON, [TARGET_JSON]]; expect = {status, loss, grad
[, grad_target]} or {status: 1, stderr_contains}. In the argv JSON, NaN /
Infinity / -Infinity are json.dumps tokens; in "expect" they are the strings
"NaN" / "Infinity" / "-Infinity" (nlohmann::json cannot parse the tokens;
reference_test.cpp's as_double reads the strings).
"""
import json
import sys

import numpy as np

OPTAX = ("optax 0.2.9.dev = google-deepmind/optax HEAD 2edbcbe2390da13983b92cbef94ac0460ecde1c5 "
         "(2026-08-07; optax/losses/_regression.py, _classification.py, optax/_src/utils.py); "
         "JAX rules from jax-ml/jax HEAD cec06d116c05f0d52adfceee3d3b730fdbcb0ce5 (0.11.1.dev, 2026-08-08); "
         "emulated in numpy, not run")

NAN = float("nan")
INF = float("inf")


class OptaxError(Exception):
    """What optax/JAX raises: msg is its text, key the phrase the cases ask for."""

    def __init__(self, msg, key):
        super().__init__(msg)
        self.key = key


# ---------------------------------------------------------------- helpers ---

def shp(s):
    return str(tuple(int(d) for d in s))


def bshape(a, b):
    """jnp binary-op broadcasting (lax.broadcast_shapes); JAX's ValueError text."""
    try:
        return tuple(np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        raise OptaxError("Incompatible shapes for broadcasting: shapes=[%s, %s]" % (shp(a), shp(b)),
                         "Incompatible shapes for broadcasting")


def unb(g, shape):
    """ad._unbroadcast: sum the cotangent over the broadcast dimensions."""
    shape = tuple(shape)
    while g.ndim > len(shape):
        g = g.sum(0)
    for i, d in enumerate(shape):
        if d == 1 and g.shape[i] != 1:
            g = g.sum(i, keepdims=True)
    return g.reshape(shape)


def canon_axis(axis, ndim):
    """jax._src.util.canonicalize_axis / optax canonicalize_axis (same text)."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise OptaxError("axis %d is out of bounds for array of dimension %d" % (axis, ndim), "out of bounds")
    return axis + ndim if axis < 0 else axis


def ri(v):
    """lax_other._replace_inf: +inf -> 0 (used by logaddexp's JVP)."""
    return np.where(v == np.inf, v.dtype.type(0), v)


def logaddexp(x1, x2):
    """jax._src.lax.other.logaddexp (custom_jvp), real floating branch."""
    amax = np.maximum(x1, x2)  # lax.max: NaN-propagating, like np.maximum
    delta = x1 - x2
    return np.where(np.isnan(delta), x1 + x2, amax + np.log1p(np.exp(-np.abs(delta))))


def lae_coef(x, out):
    """d logaddexp / d x_i as its JVP computes it: exp(ri(x_i) - ri(out))."""
    return np.exp(ri(x) - ri(out))


def softplus(x):  # jax.nn.softplus = jnp.logaddexp(x, 0)
    return logaddexp(x, np.zeros_like(x))


def log_softmax(x, ax):
    """jax.nn.log_softmax (plain function, x_max under stop_gradient)."""
    m = np.max(x, axis=ax, keepdims=True)  # initial=-inf changes nothing; NaN propagates
    sh = x - m
    e = np.exp(sh)
    S = np.sum(e, axis=ax, keepdims=True)
    res = sh - np.log(S)

    def vjp(g):  # res = sh - log(S): ct_S = sum(-g)/S (log's JVP is g/x), ct_sh = g + ct_S*e
        ct_S = np.sum(-g, axis=ax, keepdims=True) / S
        return g + ct_S * e
    return res, vjp


def softmax(x, ax):
    """jax.nn.softmax with jax_softmax_custom_jvp=False (the default): the
    `_softmax_deprecated` body, differentiated through exp and div."""
    m = np.max(x, axis=ax, keepdims=True)
    u = np.exp(x - m)
    s = np.sum(u, axis=ax, keepdims=True)
    p = u / s
    one = x.dtype.type(1)

    def vjp(ct):  # div JVP: g/y and (-g)*x*y**-2 (integer_pow(y,-2) = 1/(y*y))
        ct_u = ct / s
        ct_s = np.sum(-((ct * (one / (s * s))) * u), axis=ax, keepdims=True)
        return (ct_u + ct_s) * u
    return p, vjp


def expand(ct, ax, shape):
    return np.broadcast_to(np.expand_dims(ct, ax), shape)


# ---------------------------------------------------------- the losses ---
# Each returns (loss, vjp); vjp(ct) -> (grad wrt first arg, grad wrt second
# or None). ct is the cotangent of the per-example loss array.

def squared_error(p, t=None, **kw):
    T = p.dtype.type
    if t is not None and p.shape != t.shape:  # utils.check_shapes_equal: no broadcasting
        raise OptaxError("Shape mismatch: got %s and %s." % (shp(p.shape), shp(t.shape)), "Shape mismatch")
    e = p - t if t is not None else p
    loss = e * e  # errors**2 -> lax.integer_pow(e, 2)

    def vjp(ct):
        ge = ct * (T(2) * e)  # integer_pow JVP: g * (2 * x)
        return ge, (-ge if t is not None else None)
    return loss, vjp


def l2_loss(p, t=None, **kw):
    T = p.dtype.type
    sq, sq_vjp = squared_error(p, t)
    loss = T(0.5) * sq

    def vjp(ct):
        return sq_vjp(T(0.5) * ct)
    return loss, vjp


def _errors(p, t):
    if t is None:
        return p, None
    s = bshape(p.shape, t.shape)
    return p - t, s


def huber_loss(p, t=None, delta=1.0, **kw):
    T = p.dtype.type
    d = T(delta)  # weak-typed Python float -> input dtype
    e, _ = _errors(p, t)
    a = np.abs(e)
    q = np.minimum(a, d)  # lax.min, NaN-propagating
    lin = a - q
    loss = T(0.5) * (q * q) + d * lin

    def vjp(ct):
        ct_q = (T(0.5) * ct) * (T(2) * q) + (-(d * ct))
        ct_a = d * ct
        # lax.min JVP: g * _balanced_eq(x, ans, y) = [x == ans] / (2 if y == ans else 1)
        bal = np.where(a == q, T(1), T(0)) / np.where(d == q, T(2), T(1))
        ct_a = ct_a + ct_q * bal
        ct_e = np.where(e >= 0, ct_a, -ct_a)  # abs JVP: select(x >= 0, g, -g)
        return unb(ct_e, p.shape), (unb(-ct_e, t.shape) if t is not None else None)
    return loss, vjp


def log_cosh(p, t=None, **kw):
    T = p.dtype.type
    e, _ = _errors(p, t)
    ne = -e
    out = logaddexp(e, ne)
    loss = out - T(np.log(T(2)))  # jnp.log(2.0).astype(errors.dtype)

    def vjp(ct):
        ct_e = ct * lae_coef(e, out) + (-(ct * lae_coef(ne, out)))
        return unb(ct_e, p.shape), (unb(-ct_e, t.shape) if t is not None else None)
    return loss, vjp


def kl_divergence(lp, t, axis=-1, **kw):
    T = lp.dtype.type
    s = bshape(t.shape, lp.shape)
    ax = canon_axis(axis, len(s))
    wlog = np.where(t == 0, T(0), np.log(t))
    inner = wlog - lp
    el = t * inner
    loss = np.sum(el, axis=ax)

    def vjp(ct):
        c = expand(ct, ax, s)
        ct_inner = t * c
        g_lp = unb(-ct_inner, lp.shape)
        ct_wlog = unb(ct_inner, t.shape)
        ct_log = np.where(t == 0, T(0), ct_wlog)  # select transpose: the log branch gets 0 where t == 0 ...
        g_t = unb(c * inner, t.shape) + ct_log / t  # ... and log's transpose divides: 0/0 = NaN at t == 0
        return g_lp, g_t
    return loss, vjp


def kl_divergence_with_log_targets(lp, lt, axis=-1, **kw):
    s = bshape(lt.shape, lp.shape)
    ax = canon_axis(axis, len(s))
    e = np.exp(lt)
    inner = lt - lp
    loss = np.sum(e * inner, axis=ax)

    def vjp(ct):
        c = expand(ct, ax, s)
        ct_inner = e * c
        ct_e = unb(c * inner, lt.shape)
        return unb(-ct_inner, lp.shape), unb(ct_inner, lt.shape) + ct_e * e
    return loss, vjp


def convex_kl_divergence(lp, t, axis=-1, **kw):  # = generalized_kl_divergence (deprecated alias)
    x, x_vjp = kl_divergence(lp, t, axis)
    s = bshape(lp.shape, t.shape)
    ax = canon_axis(axis, len(s))
    elp = np.exp(lp)
    y = np.sum(elp - t, axis=ax)
    loss = x + y

    def vjp(ct):
        g_lp, g_t = x_vjp(ct)
        c = expand(ct, ax, s)
        return g_lp + unb(c, lp.shape) * elp, g_t + unb(-c, t.shape)
    return loss, vjp


generalized_kl_divergence = convex_kl_divergence


def softmax_cross_entropy(x, y, axis=-1, **kw):
    ax = canon_axis(axis, x.ndim)  # jnp.max inside log_softmax
    lp, lp_vjp = log_softmax(x, ax)
    s = bshape(y.shape, lp.shape)
    if len(s) != x.ndim:
        raise AssertionError("labels of higher rank than logits are not emulated")
    loss = -np.sum(y * lp, axis=ax)

    def vjp(ct):
        c = expand(-ct, ax, s)
        g = unb(y * c, lp.shape)
        return lp_vjp(g), unb(c * lp, y.shape)
    return loss, vjp


def safe_softmax_cross_entropy(x, w, **kw):
    T = x.dtype.type
    if bshape(w.shape, x.shape) and w.shape != x.shape:  # jnp.where(weights != 0, weights * lsm, 0)
        raise AssertionError("broadcast labels are not emulated for safe_softmax_cross_entropy")
    lsm, _ = log_softmax(x, -1)
    r = np.where(w != 0, w * lsm, T(0))
    loss = -np.sum(r, axis=-1)
    sm, _ = softmax(x, -1)

    def vjp(ct):
        # custom JVP: w*xd - w*sum(xd*softmax, keepdims) + wd*log_softmax, transposed
        c = expand(-ct, x.ndim - 1, x.shape)
        g1 = w * c
        ct_S = np.sum(w * (-c), axis=-1, keepdims=True)
        return g1 + ct_S * sm, c * lsm
    return loss, vjp


def poly_loss_cross_entropy(x, y, epsilon=2.0, axis=-1, **kw):
    T = x.dtype.type
    eps = T(epsilon)
    ax = canon_axis(axis, x.ndim)
    p, p_vjp = softmax(x, ax)
    s = bshape(y.shape, p.shape)
    omp_el = y * (T(1) - p)
    omp = np.sum(omp_el, axis=ax)
    ce, ce_vjp = softmax_cross_entropy(x, y, axis)
    loss = ce + eps * omp

    def vjp(ct):
        g_ce, gy_ce = ce_vjp(ct)
        c = expand(eps * ct, ax, s)
        ct_p = -unb(y * c, p.shape)
        return g_ce + p_vjp(ct_p), gy_ce + unb(c * (T(1) - p), y.shape)
    return loss, vjp


def softmax_cross_entropy_with_integer_labels(x, labels, axis=-1, **kw):
    T = x.dtype.type
    lab = np.asarray(labels, dtype=np.float64)
    if np.any(lab != np.round(lab)) or not np.all(np.isfinite(lab)):
        # utils.check_subdtype(labels, jnp.integer): a float array raises TypeError
        raise OptaxError("Expected the input to have a dtype that is a subdtype of "
                         "<class 'jax.numpy.integer'>, got float32 instead", "integer")
    lab = lab.astype(np.int64)
    ax = canon_axis(axis, x.ndim)  # optax's canonicalize_axis
    nd_idx = lab.ndim + 1  # jnp.expand_dims(labels, axis)
    if ax >= nd_idx:
        raise OptaxError("axis %d is out of bounds for array of dimension %d" % (ax, nd_idx), "out of bounds")
    idx_shape = lab.shape[:ax] + (1,) + lab.shape[ax:]
    if nd_idx != x.ndim:
        raise OptaxError("indices and arr must have the same number of dimensions; %d vs. %d" % (nd_idx, x.ndim),
                         "same number of dimensions")
    arr_shape = x.shape[:ax] + (1,) + x.shape[ax + 1:]
    out_shape = bshape(idx_shape, arr_shape)
    if tuple(out_shape) != tuple(arr_shape):
        raise AssertionError("label broadcasting is not emulated")
    C = x.shape[ax]
    li = np.where(lab < 0, lab + C, lab)  # _normalize_index: [-C, 0) wraps
    valid = (li >= 0) & (li < C)  # gather mode="fill": out of bounds -> NaN
    xm = np.moveaxis(x, ax, -1)
    ll = np.take_along_axis(xm, np.clip(li, 0, C - 1)[..., None], -1)[..., 0]
    ll = np.where(valid, ll, T(np.nan))
    # jax.nn.logsumexp(logits, axis)
    am = np.max(x, axis=ax)
    am = np.where(np.isfinite(am), am, T(0))
    ea = np.exp(x - np.expand_dims(am, ax))
    se = np.sum(ea, axis=ax)
    sa = np.abs(se)
    lse = np.log(sa) + am
    loss = lse - ll
    onehot = (np.arange(C) == li[..., None]) & valid[..., None]

    def vjp(ct):
        ct_sa = ct / sa
        ct_se = np.where(se >= 0, ct_sa, -ct_sa)  # abs JVP
        g = np.expand_dims(ct_se, ax) * ea
        gm = np.moveaxis(g, ax, -1)
        gm = np.where(onehot, gm + (-ct)[..., None], gm)  # gather transpose: scatter-add, OOB dropped
        return np.moveaxis(gm, -1, ax), None
    return loss, vjp


def sigmoid_binary_cross_entropy(x, y, **kw):
    T = x.dtype.type
    y = y.astype(x.dtype)  # jnp.astype(labels, logits.dtype)
    s = bshape(y.shape, x.shape)  # first mixed op: -labels * log_p
    if tuple(s) != x.shape:
        raise AssertionError("labels of larger shape than logits are not emulated")
    nx = -x
    sp1 = softplus(nx)
    lp = -sp1  # log_sigmoid(x) = -softplus(-x)
    sp2 = softplus(-nx)
    lnp = -sp2  # log_sigmoid(-x) = -softplus(-(-x))
    ny = -y
    omy = T(1) - y
    loss = ny * lp - omy * lnp

    def vjp(ct):
        ct_lp = unb(ny * ct, x.shape)
        ct_lnp = unb(omy * (-ct), x.shape)
        g_nx = (-ct_lp) * lae_coef(nx, sp1)
        g_x2 = (-ct_lnp) * lae_coef(-nx, sp2)
        gx = -g_nx + g_x2
        gy = unb(-(ct * lp), y.shape) + unb(-((-ct) * lnp), y.shape)
        return gx, gy
    return loss, vjp


FNS = {
    "squared_error": squared_error,
    "l2_loss": l2_loss,
    "huber_loss": huber_loss,
    "log_cosh": log_cosh,
    "kl_divergence": kl_divergence,
    "kl_divergence_with_log_targets": kl_divergence_with_log_targets,
    "convex_kl_divergence": convex_kl_divergence,
    "generalized_kl_divergence": generalized_kl_divergence,
    "softmax_cross_entropy": softmax_cross_entropy,
    "softmax_cross_entropy_with_integer_labels": softmax_cross_entropy_with_integer_labels,
    "safe_softmax_cross_entropy": safe_softmax_cross_entropy,
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
    "poly_loss_cross_entropy": poly_loss_cross_entropy,
}
INT_TARGET = {"softmax_cross_entropy_with_integer_labels"}


def run(fn, x, t=None, dtype="float64", reduction=None, **params):
    """-> (loss, grad, grad_target or None): loss per example (or reduced),
    grads of sum / mean of the per-example losses (JAX: jnp.sum / jnp.mean)."""
    T = np.float32 if dtype == "float32" else np.float64
    x = np.asarray(x, dtype=T)
    if t is not None and fn not in INT_TARGET:
        t = np.asarray(t, dtype=T)
    with np.errstate(all="ignore"):
        loss, vjp = FNS[fn](x, t, **params)
        loss = np.asarray(loss)
        if reduction is None:
            ct = np.ones(loss.shape, T)
            out = loss
        elif reduction == "sum":
            ct = np.ones(loss.shape, T)
            out = np.asarray(np.sum(loss), dtype=T)
        elif reduction == "mean":  # jnp.mean = sum / N; its transpose: 1/N per element
            n = T(loss.size)
            ct = np.full(loss.shape, T(1) / n, T)
            out = np.asarray(np.sum(loss) / n, dtype=T)
        else:
            raise ValueError(reduction)
        gx, gt = vjp(ct)
        gx = np.asarray(gx)
        gt = None if gt is None else np.asarray(gt)
    for a in (out, gx) + (() if gt is None else (gt,)):
        assert a.dtype == T, (fn, a.dtype)
    assert gx.shape == x.shape, (fn, gx.shape, x.shape)
    if gt is not None:
        assert gt.shape == t.shape
    return out, gx, gt


# ------------------------------------------------------------ self-check ---

FAILS = []
FD_RUNS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("SELF-CHECK FAILED: " + what, file=sys.stderr)


def allclose(a, b, rtol=1e-7, atol=0.0):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def fd_check(fn, x, t, params, tag, wrt_target=True):
    """Central differences of sum(loss) in float64."""
    x = np.asarray(x, np.float64)
    tt = None if t is None else (np.asarray(t, np.float64) if fn not in INT_TARGET else t)
    _, gx, gt = run(fn, x, tt, **params)

    def total(xx, tv):
        with np.errstate(all="ignore"):
            return float(np.sum(run(fn, xx, tv, **params)[0]))
    for which, arr, g in (("x", x, gx), ("t", tt, gt)):
        if g is None or (which == "t" and not wrt_target):
            continue
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            h = 1e-6 * max(1.0, abs(arr[i]))
            a1, a2 = arr.copy(), arr.copy()
            a1[i] += h
            a2[i] -= h
            if which == "x":
                num[i] = (total(a1, tt) - total(a2, tt)) / (2 * h)
            else:
                num[i] = (total(x, a1) - total(x, a2)) / (2 * h)
        FD_RUNS.append(fn)
        check(np.allclose(num, g, rtol=1e-6, atol=1e-7),
              "finite differences %s %s d/d%s: %s vs %s" % (fn, tag, which, num.tolist(), g.tolist()))


def self_check():
    f32 = dict(dtype="float32")
    # ---- optax/losses/_regression_test.py
    ys = np.array([-2.0, -1.0, 0.5, 1.0])
    ts = np.array([-1.5, 0.0, -1, 1.0])
    check(allclose(run("squared_error", ys, ts, **f32)[0], (ts - ys) ** 2), "SquaredErrorTest batched")
    check(allclose(run("l2_loss", ys, ts, **f32)[0], 0.5 * (ts - ys) ** 2), "L2LossTest batched")
    for fn in ("squared_error", "l2_loss"):  # test_shape_mismatch: ValueError
        try:
            run(fn, ys, ts[:, None])
            check(False, fn + " shape mismatch did not raise")
        except OptaxError as e:
            check(str(e) == "Shape mismatch: got (4,) and (4, 1).", fn + " message " + str(e))
    ys = np.array([-2.0, 0.5, 0.0, 0.5, 2.0, 4.0, 132.0])
    ts = np.array([0.0, -0.5, 0.0, 1.0, 1.0, 2.0, 0.3])
    exp = np.array([1.5, 0.5, 0.0, 0.125, 0.5, 1.5, 131.2])
    check(allclose(run("huber_loss", ys, ts, delta=1.0, **f32)[0], exp), "HuberLossTest batched f32")
    check(allclose(run("huber_loss", ys, ts, delta=1.0)[0], exp, rtol=1e-13), "HuberLossTest batched f64")
    ys = np.array([500, -2.0, -1.0, 0.5, 1.0])
    ts = np.array([-200, -1.5, 0.0, -1, 1.0])
    check(allclose(run("log_cosh", ys, ts, **f32)[0], [699.3068, 0.12011445, 0.4337809, 0.85544014, 0.0],
                   rtol=1e-7, atol=1e-5), "LogCoshTest batched")
    check(allclose(run("log_cosh", ys, None, **f32)[0], [499.30685, 1.3250027, 0.4337809, 0.12011451, 0.43378082],
                   rtol=1e-7, atol=1e-5), "LogCoshTest predictions only")
    # ---- optax/losses/_classification_test.py
    ys = np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]])
    ts = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    check(allclose(run("softmax_cross_entropy", ys, ts, **f32)[0], [9.00013, 3.0696733], atol=1e-4),
          "SoftmaxCrossEntropyTest batched")
    check(allclose(run("softmax_cross_entropy", ys[0], ts[0], **f32)[0], 9.00013, atol=1e-4),
          "SoftmaxCrossEntropyTest scalar")
    sy = np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2], [-INF, 0.0, 0.0], [-INF, 0.0, 0.0], [-INF, 0.0, -INF]])
    st = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.4, 0.3, 0.3], [0.0, 1.0, 0.0]])
    check(allclose(run("safe_softmax_cross_entropy", sy, st, **f32)[0], [9.00013, 3.0696733, 0.693147, INF, 0.0],
                   atol=1e-4), "SafeSoftmaxCrossEntropyTest batched")
    a = run("softmax_cross_entropy", ys[0], ts[0], **f32)
    b = run("safe_softmax_cross_entropy", ys[0], ts[0], **f32)
    check(allclose(a[0], b[0], atol=1e-4) and allclose(a[1], b[1], atol=1e-4), "Safe vs plain value_and_grad")
    # the plain one gives NaN where a -inf logit meets a 0 label (why safe_ exists)
    check(np.isnan(run("softmax_cross_entropy", sy, st)[0][[2, 4]]).all(), "plain CE NaN at 0*log 0")
    li = np.array([1, 0])
    for f in ({}, f32):
        oh = np.eye(3)[li]
        check(allclose(run("softmax_cross_entropy_with_integer_labels", ys, li, **f)[0],
                       run("softmax_cross_entropy", ys, oh, **f)[0], rtol=1e-6),
              "integer labels consistent with one-hot " + str(f))
        check(allclose(run("softmax_cross_entropy_with_integer_labels", ys, li, **f)[1],
                       run("softmax_cross_entropy", ys, oh, **f)[1], rtol=1e-6, atol=1e-7),
              "integer labels grad consistent with one-hot " + str(f))
    check(allclose(run("softmax_cross_entropy_with_integer_labels", ys[0], 1, **f32)[0],
                   run("softmax_cross_entropy", ys[0], np.eye(3)[1], **f32)[0], rtol=1e-6), "integer labels scalar")
    # docstring examples (printed to 4 decimals)
    dl = np.array([[1.2, -0.8, -0.5], [0.9, -1.2, 1.1]])
    check(allclose(run("softmax_cross_entropy", dl, np.array([[1.0, 0, 0], [0, 1.0, 0]]), **f32)[0],
                   [0.2761, 2.9518], atol=6e-5), "softmax_cross_entropy docstring")
    check(allclose(run("softmax_cross_entropy_with_integer_labels", dl, np.array([0, 1]), **f32)[0],
                   [0.2761, 2.9518], atol=6e-5), "integer labels docstring")
    for preds, labels, expected in [
            ([-1e09, -1e-09], [1.0, 0.0], 5e08), ([-1e09, -1e-09], [0.0, 1.0], 0.3465736),
            ([1e09, 1e-09], [1.0, 0.0], 0.3465736), ([1e09, 1e-09], [0.0, 1.0], 5e08),
            ([-1e09, 1e-09], [1.0, 0.0], 5e08), ([-1e09, 1e-09], [0.0, 1.0], 0.3465736),
            ([1e09, -1e-09], [1.0, 0.0], 0.3465736), ([1e09, -1e-09], [0.0, 1.0], 5e08),
            ([0.0, 0.0], [1.0, 0.0], 0.6931472), ([0.0, 0.0], [0.0, 1.0], 0.6931472)]:
        got = run("sigmoid_binary_cross_entropy", preds, labels, reduction="mean", **f32)[0]
        check(allclose(got, expected, rtol=1e-6, atol=1e-6), "SigmoidCrossEntropyTest %s %s" % (preds, labels))
    pl = np.array([0.14, 1.456, 2.356, -0.124, -2.47])
    pt = np.array([0.1, 0.15, 0.2, 0.25, 0.3])
    for eps, expected in [(2, 4.5317), (1, 3.7153), (-1, 2.0827), (0, 2.8990), (-0.5, 2.4908),
                          (1.15, 3.8378), (1.214, 3.8900), (5.45, 7.3480)]:
        check(allclose(run("poly_loss_cross_entropy", pl, pt, epsilon=eps, **f32)[0], expected, atol=1e-4),
              "PolyLossTest scalar eps=%s" % eps)
    bl = np.array([[4.0, 2.0, 1.0], [0.0, 5.0, 1.0]])
    bt = np.array([[1.0, 0.0, 0.0], [0.0, 0.8, 0.2]])
    for eps, expected in [(2, [0.4823, 1.2567]), (1, [0.3261, 1.0407]), (0, [0.1698, 0.8247]),
                          (-0.5, [0.0917, 0.7168]), (1.15, [0.3495, 1.0731]), (1.214, [0.3595, 1.0870]),
                          (5.45, [1.0211, 2.0018])]:
        check(allclose(run("poly_loss_cross_entropy", bl, bt, epsilon=eps, **f32)[0], expected, atol=1e-4),
              "PolyLossTest batched eps=%s" % eps)
    for lg, lb in [(bl, bt), (np.array([1.89, 2.39]), np.array([0.34, 0.66])), (np.array([0.314]), np.array([1.0]))]:
        check(allclose(run("poly_loss_cross_entropy", lg, lb, epsilon=0.0, **f32)[0],
                       run("softmax_cross_entropy", lg, lb, **f32)[0], atol=1e-4), "PolyLoss eps=0 equals CE")
    log_ps = np.array([[-2.9957, -3.5066, -3.9120, -1.2040, -0.6931, -2.3026],
                       [-1.6094, -1.6094, -1.6094, -2.3026, -1.8971, -1.8971]])
    qs = np.array([[0.2, 0.2, 0.2, 0.1, 0.15, 0.15], [0.05, 0.03, 0.02, 0.3, 0.5, 0.0]])
    check(allclose(run("generalized_kl_divergence", log_ps, qs, **f32)[0], [0.88757247, 0.859308], atol=1e-4),
          "GeneralizedKLDivergenceTest batched")
    check(allclose(run("convex_kl_divergence", log_ps, qs, **f32)[0], [0.88757247, 0.859308], atol=1e-4),
          "convex_kl_divergence (deprecated alias)")
    check(allclose(run("kl_divergence", log_ps, qs, **f32)[0], [0.8875577, 0.7592807], atol=1e-4),
          "KLDivergenceTest batched")
    check(allclose(run("kl_divergence", log_ps[0], qs[0], **f32)[0], 0.8875577, atol=1e-4), "KLDivergenceTest scalar")
    lqs = np.array([[-1.6094, -1.6094, -1.6094, -2.3026, -1.8971, -1.8971],
                    [-2.9957, -3.5066, -3.9120, -1.2040, -0.6931, -2.3026]])
    check(allclose(run("kl_divergence_with_log_targets", log_ps, lqs, **f32)[0], [0.8875625, 0.7187435584901326],
                   atol=1e-4), "KLDivergenceWithLogTargetsTest batched")
    # test_axis equivalences (moveaxis), float64
    rng = np.random.default_rng(7)
    for fn in ("softmax_cross_entropy", "poly_loss_cross_entropy", "kl_divergence", "kl_divergence_with_log_targets",
               "generalized_kl_divergence"):
        for axis in (0, 1, 2):
            pr = rng.normal(size=(4, 5, 6))
            tg = rng.dirichlet(np.ones(6), size=(4, 5))
            tg = np.log(tg) if fn == "kl_divergence_with_log_targets" else tg  # as the test: not moved
            x = run(fn, pr, tg, axis=axis)
            y = run(fn, np.moveaxis(pr, axis, -1), np.moveaxis(tg, axis, -1))
            check(allclose(x[0], y[0], rtol=1e-12, atol=1e-12) and
                  allclose(x[1], np.moveaxis(y[1], -1, axis), rtol=1e-12, atol=1e-14), "test_axis %s %d" % (fn, axis))
    for axis in (0, 1, 2):
        pr = rng.normal(size=(4, 5, 6))
        sh = (4, 5, 6)
        tg = rng.integers(sh[axis], size=sh[:axis] + sh[axis + 1:])
        x = run("softmax_cross_entropy_with_integer_labels", pr, tg, axis=axis)
        y = run("softmax_cross_entropy_with_integer_labels", np.moveaxis(pr, axis, -1), tg)
        check(allclose(x[0], y[0], rtol=1e-12, atol=1e-12), "integer test_axis %d" % axis)
    # hand facts: gradients in closed form (float64), edge semantics
    x = rng.normal(size=(3, 4)) * 2
    y = rng.uniform(size=(3, 4))
    sm = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    check(allclose(run("softmax_cross_entropy", x, y)[1], sm * y.sum(-1, keepdims=True) - y, rtol=1e-12, atol=1e-15),
          "CE grad = softmax*sum(labels) - labels")
    check(allclose(run("safe_softmax_cross_entropy", x, y)[1], sm * y.sum(-1, keepdims=True) - y, rtol=1e-12,
                   atol=1e-15), "safe CE grad")
    eps = 1.5
    pg = sm * y.sum(-1, keepdims=True) - y + eps * (y * sm).sum(-1, keepdims=True) * sm - eps * y * sm
    check(allclose(run("poly_loss_cross_entropy", x, y, epsilon=eps)[1], pg, rtol=1e-11, atol=1e-14), "poly grad")
    check(allclose(run("sigmoid_binary_cross_entropy", x, y)[1], 1 / (1 + np.exp(-x)) - y, rtol=1e-12, atol=1e-15),
          "BCE grad = sigmoid - y")
    check(allclose(run("sigmoid_binary_cross_entropy", x, y)[2], -x, rtol=1e-12, atol=1e-14), "BCE grad_y = -x")
    check(allclose(run("log_cosh", x, y)[1], np.tanh(x - y), rtol=1e-12, atol=1e-15), "log_cosh grad = tanh")
    r = run("kl_divergence", np.array([0.0, -INF, -INF, 1.0]), np.array([0.0, 0.0, 0.5, 0.5]), axis=0)
    check(np.isnan(r[0]), "kl: 0 * (0 - -inf) is NaN")
    check(allclose(r[1], [-0.0, -0.0, -0.5, -0.5]) and np.isnan(r[2][:2]).all(), "kl grads at the edges")
    r = run("softmax_cross_entropy_with_integer_labels", np.array([[1.0, 2.0, 3.0]] * 5), np.array([3, -1, -3, -4, 7]))
    check(np.isnan(r[0][[0, 3, 4]]).all() and allclose(r[0][1], run("softmax_cross_entropy_with_integer_labels",
                                                                    np.array([1.0, 2, 3]), 2)[0]), "OOB labels")
    check(allclose(r[1][0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-12), "OOB labels: grad = softmax")
    r = run("huber_loss", np.array([0.75, -0.25]), np.array([0.25, 0.25]), delta=0.5)
    check(allclose(r[1], [0.5, -0.5], rtol=0) and allclose(r[0], [0.125, 0.125], rtol=0), "huber at |e| == delta")
    r = run("sigmoid_binary_cross_entropy", np.array([INF, -INF, INF, 100.0]), np.array([1.0, 0.0, 0.0, 1.0]))
    check(np.isnan(r[0][:2]).all() and r[0][2] == INF and allclose(r[1], [0, 0, 1, 0], atol=1e-40),
          "BCE at +-inf logits")
    # finite differences, float64, smooth points
    for fn in FNS:
        for k in range(3):
            shape = [(5,), (3, 4), (2, 3, 2)][k]
            x = rng.normal(size=shape)
            params = {}
            if fn in INT_TARGET:
                t = rng.integers(0, shape[-1], size=shape[:-1]) if len(shape) > 1 else int(rng.integers(0, 5))
            elif fn in ("kl_divergence", "generalized_kl_divergence", "convex_kl_divergence"):
                t = rng.uniform(0.1, 1.0, size=shape)
                x = np.log(rng.uniform(0.1, 1.0, size=shape))
            elif fn == "kl_divergence_with_log_targets":
                t = np.log(rng.uniform(0.1, 1.0, size=shape))
            else:
                t = rng.uniform(0, 1, size=shape) if "entropy" in fn else rng.normal(size=shape)
            if fn == "huber_loss":
                params["delta"] = 0.7
            if fn == "poly_loss_cross_entropy":
                params["epsilon"] = [2.0, -1.0, 0.5][k]
            if k == 2 and fn in ("softmax_cross_entropy", "poly_loss_cross_entropy", "kl_divergence",
                                 "kl_divergence_with_log_targets", "generalized_kl_divergence",
                                 "softmax_cross_entropy_with_integer_labels"):
                params["axis"] = 1
                if fn in INT_TARGET:
                    t = rng.integers(0, 3, size=(2, 2))
            fd_check(fn, x, t, params, "shape %s %s" % (shape, params))
            if fn in ("squared_error", "l2_loss", "huber_loss", "log_cosh"):
                fd_check(fn, x, None, params, "no target")
    fd_check("huber_loss", np.array([[3.0, -0.2]]), np.array([0.5]), {"delta": 1.3}, "broadcast")
    fd_check("kl_divergence", np.log(np.array([[0.2, 0.8], [0.6, 0.4]])), np.array([0.3, 0.7]), {}, "broadcast")
    fd_check("sigmoid_binary_cross_entropy", np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([[0.3], [0.9]]), {},
             "broadcast")
    return not FAILS


# ----------------------------------------------------------------- cases ---

def jsonable(x):
    """expect values: non-finite as the strings reference_test.cpp reads."""
    x = np.asarray(x, dtype=np.float64)
    f = lambda v: v if np.isfinite(v) else ("NaN" if np.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
    return f(float(x)) if x.ndim == 0 else [jsonable(v) for v in x]


def argjson(a, integer=False):
    """argv JSON: json.dumps of the exact values (float32 values as the doubles
    that hold them exactly); NaN/Infinity tokens."""
    if integer:
        return json.dumps(np.asarray(a).astype(np.int64).tolist())
    return json.dumps(np.asarray(a, np.float64).tolist())


def fmt_param(v):
    return str(int(v)) if isinstance(v, (int, np.integer)) else repr(float(v))


CASES = []
COUNT = {}


def add(fn, x, t=None, dtype="float64", reduction=None, tag="", **params):
    T = np.float32 if dtype == "float32" else np.float64
    x = np.asarray(x, np.float64).astype(T)
    integer = fn in INT_TARGET
    if t is not None and not integer:
        t = np.asarray(t, np.float64).astype(T)
    args = ["optax." + fn, "--json", "--no-warnings"]
    if reduction:
        args += ["-r", reduction]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    for k in ("delta", "axis", "epsilon"):
        if k in params:
            args += ["--" + k, fmt_param(params[k])]
    args.append(argjson(x))
    if t is not None:
        tl = np.asarray(t, np.float64)
        args.append(argjson(tl, integer=integer and np.all(tl == np.round(tl))))
    tshape = "none" if t is None else str(list(np.shape(t)))
    pstr = " ".join("%s=%s" % (k, fmt_param(v)) for k, v in params.items())
    name = "optax.%s %s %s x%s t%s%s%s" % (fn, dtype, tag, list(x.shape), tshape, (" " + pstr) if pstr else "",
                                           (" -r " + reduction) if reduction else "")
    f32 = dtype == "float32"
    try:
        loss, gx, gt = run(fn, x, t, dtype, reduction, **params)
        expect = {"status": 0, "loss": jsonable(loss), "grad": jsonable(gx)}
        if gt is not None:
            expect["grad_target"] = jsonable(gt)
    except OptaxError as e:
        expect = {"status": 1, "stderr_contains": e.key}
        name += " (optax: %s)" % e
    vals = [np.abs(np.asarray(x, np.float64)).ravel()]
    if t is not None:
        vals.append(np.abs(np.asarray(t, np.float64)).ravel())
    v = np.concatenate(vals)
    v = v[np.isfinite(v)]
    scale = min(float(v.max()), 1e3) if v.size else 0.0
    # float32: rtol 2e-6, atol 1e-6, atol widened to 2 ulp of the largest
    # input (at most 1e3) where a result can cancel down from that magnitude
    # (lse - x etc.); float64 likewise (2^-50 * scale, at least 1e-12)
    atol = max(1e-6, 2.0 ** -22 * scale) if f32 else max(1e-12, 2.0 ** -50 * scale)
    CASES.append({"name": name, "args": args, "expect": expect,
                  "rtol": 2e-6 if f32 else 1e-12, "atol": atol})
    COUNT[fn] = COUNT.get(fn, 0) + 1


def rshape(rng, min_rank=1, max_rank=3, min_last=1):
    r = int(rng.integers(min_rank, max_rank + 1))
    s = [int(rng.integers(1, 5)) for _ in range(r)]
    s[-1] = max(s[-1], min_last)
    return tuple(s)


def red_of(rng, k):
    if k % 15 == 5:
        return "mean"
    if k % 15 == 12:
        return "sum"
    return None


def gen_regression(rng, fn):
    hub = fn == "huber_loss"
    deltas64 = [None, 0.8, 0.5, 2.0, 1.5, 0.1, 1.0]
    deltas32 = [None, 0.5, 0.8, 2.0, 0.25]

    def dp(d):
        return {} if d is None else {"delta": d}
    k = 0
    for dtype, n in (("float64", 28), ("float32", 14)):
        for i in range(n):
            s = rshape(rng)
            x = rng.normal(size=s) * 2
            t = None if i % 5 == 2 else rng.normal(size=s) * 2
            d = (deltas64 if dtype == "float64" else deltas32)[i % (7 if dtype == "float64" else 5)] if hub else None
            add(fn, x, t, dtype, red_of(rng, k), "random", **dp(d))
            k += 1
    # edges
    e1 = np.array([0.0, 1.5, -1.5, 3.0, -0.0])
    add(fn, e1, e1.copy(), tag="zero errors")
    add(fn, np.array([1e3, -1e3, 1e-3, 37.5]), np.array([0.0, 2.0, 0.0, -37.5]), tag="large")
    add(fn, np.array([1e155, -1e200, 1e-200]), np.array([0.0, 0.0, 0.0]), tag="overflow")
    add(fn, np.array([1e20, -3e19, 1e-20]), np.array([0.0, 0.0, 0.0]), "float32", tag="overflow")
    add(fn, np.array([INF, -INF, NAN, 1.0, INF]), np.array([0.0, 0.0, 0.0, INF, INF]), tag="inf nan")
    add(fn, np.array([[INF, 2.0], [NAN, -INF]]), np.array([[1.0, NAN], [0.0, 5.0]]), "float32", tag="inf nan")
    add(fn, np.array([INF, -INF, NAN, 0.0]), None, tag="inf nan no target")
    if hub:
        add(fn, np.array([0.75, -0.25, 1.5, 0.25]), np.array([0.25, 0.25, 1.0, 0.25]), tag="|e| == delta", delta=0.5)
        add(fn, np.array([1.0, -1.0, 2.0]), None, tag="|e| == delta default", )
        add(fn, np.array([2.0, -2.0, 1.0, 3.0]), np.array([0.0, 0.0, 3.0, 1.0]), "float32", tag="|e| == delta",
            delta=2.0)
        add(fn, np.array([0.3, -5.0, 1e4]), np.array([0.0, 0.0, 0.0]), tag="tiny delta", delta=1e-3)
        add(fn, np.array([0.3, -5.0, 1e4]), np.array([0.0, 0.0, 0.0]), tag="huge delta", delta=1e3)
    else:
        add(fn, np.array([0.5, -0.25, 20.0, -20.0]), np.array([0.0, 0.0, 0.0, 0.0]), "float32", tag="large")
        add(fn, np.array([500.0, -2.0, -1.0, 0.5, 1.0]), np.array([-200.0, -1.5, 0.0, -1.0, 1.0]), "float32",
            tag="optax test values")
    # reductions on a 3-D input
    x = rng.normal(size=(2, 3, 2))
    t = rng.normal(size=(2, 3, 2))
    add(fn, x, t, reduction="sum", tag="reduction", **({"delta": 0.8} if hub else {}))
    add(fn, x, None, reduction="mean", tag="reduction")
    add(fn, x, t, "float32", "mean", tag="reduction")
    # shapes: optax's squared_error/l2_loss insist on equal shapes, the others broadcast
    for xs, ts in (((3,), (3, 1)), ((2, 3), (3,)), ((4,), (1,)), ((2, 3), (2, 1)), ((3,), (2,)), ((2, 2), (3, 2))):
        add(fn, rng.normal(size=xs), rng.normal(size=ts), tag="broadcast" if fn not in (
            "squared_error", "l2_loss") else "shapes")
    add(fn, rng.normal(size=(2, 3)), rng.normal(size=(3,)), "float32", tag="broadcast" if fn not in (
        "squared_error", "l2_loss") else "shapes")


def dirichlet(rng, shape, axis=-1, zeros=False):
    ax = axis % len(shape)
    moved = shape[:ax] + shape[ax + 1:] + (shape[ax],)
    p = rng.dirichlet(np.ones(shape[ax]), size=moved[:-1]) if moved[:-1] else rng.dirichlet(np.ones(shape[ax]))
    p = np.asarray(p).reshape(moved)
    if zeros:
        z = rng.uniform(size=moved) < 0.3
        z[..., 0] = False
        p = np.where(z, 0.0, p)
        p = p / p.sum(-1, keepdims=True)
    return np.moveaxis(p, -1, ax)


def axis_choices(rng, shape):
    nd = len(shape)
    opts = [None, -1] + list(range(nd)) + [-nd]
    return opts[int(rng.integers(len(opts)))]


def gen_kl(rng, fn, n64=35, n32=12, edges=True):
    logt = fn == "kl_divergence_with_log_targets"
    gen = fn in ("convex_kl_divergence", "generalized_kl_divergence")
    k = 0
    for dtype, n in (("float64", n64), ("float32", n32)):
        for i in range(n):
            s = rshape(rng)
            ax = axis_choices(rng, s)
            a = -1 if ax is None else ax
            if gen:
                lp = rng.normal(size=s)
                t = rng.uniform(0.0, 2.0, size=s)
                if i % 4 == 1:
                    t = np.where(rng.uniform(size=s) < 0.3, 0.0, t)
            else:
                lp = np.log(dirichlet(rng, s, a)) if i % 3 else rng.normal(size=s) - 1
                t = dirichlet(rng, s, a, zeros=(i % 4 == 1))
                if logt:
                    with np.errstate(divide="ignore"):
                        t = np.log(t)
            params = {} if ax is None else {"axis": ax}
            add(fn, lp, t, dtype, red_of(rng, k), "random", **params)
            k += 1
    if not edges:
        return
    # edges: zero targets, -inf log predictions, NaN, negative targets
    if logt:
        add(fn, np.array([-1.0, -INF, -0.5, -2.0]), np.array([-INF, -1.0, -INF, -0.2]), tag="-inf")
        add(fn, np.array([[-1.0, -0.5], [-INF, -INF]]), np.array([[-0.3, -1.4], [-INF, 0.0]]), "float32", tag="-inf")
        add(fn, np.array([-1.0, NAN, -0.5]), np.array([-0.2, -1.0, NAN]), tag="nan")
        add(fn, np.array([-1.0, -0.5, INF]), np.array([INF, -1.0, -1.0]), tag="+inf")
        add(fn, np.array([[-50.0, -1e-3, -700.0]]), np.array([[-700.0, -1e-3, -50.0]]), tag="extreme logs")
    else:
        add(fn, np.array([-1.0, -INF, -INF, -0.5]), np.array([0.0, 0.0, 0.5, 0.5]), tag="zero targets -inf logp")
        add(fn, np.array([[-1.0, -INF], [-0.7, -0.7]]), np.array([[1.0, 0.0], [0.5, 0.5]]), "float32",
            tag="zero targets -inf logp")
        add(fn, np.array([[-0.1, -2.0, -3.0], [-1.2, -0.6, -1.6]]), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
            tag="one-hot targets")
        add(fn, np.array([-1.0, NAN, -0.5]), np.array([0.3, 0.3, 0.4]), tag="nan logp")
        add(fn, np.array([-1.0, -1.0, -0.5]), np.array([0.3, NAN, 0.7]), tag="nan target")
        add(fn, np.array([-1.0, -1.0, -0.5]), np.array([1.3, -0.3, 0.0]), tag="negative target")
        add(fn, np.array([-1.0, INF, -0.5]), np.array([0.3, 0.3, 0.4]), tag="+inf logp")
        add(fn, np.array([[-50.0, -1e-3, -700.0]]), np.array([[1e-300, 0.999, 1e-3]]), tag="extreme")
    # reductions
    s = (3, 4)
    lp = np.log(dirichlet(rng, s))
    t = dirichlet(rng, s)
    t = np.log(t) if logt else t
    add(fn, lp, t, reduction="mean", tag="reduction")
    add(fn, lp, t, reduction="sum", tag="reduction", axis=0)
    add(fn, lp, t, "float32", "sum", tag="reduction")
    # broadcasting (targets of lower rank), incompatible shapes, bad axis
    t3 = dirichlet(rng, (3,))
    add(fn, np.log(dirichlet(rng, (2, 3))), np.log(t3) if logt else t3, tag="broadcast")
    t31 = rng.uniform(0.1, 1, size=(2, 1))
    add(fn, np.log(dirichlet(rng, (2, 3))), np.log(t31) if logt else t31, tag="broadcast", axis=0)
    add(fn, np.log(dirichlet(rng, (2, 3))), np.log(dirichlet(rng, (2,))), tag="shapes")
    add(fn, np.log(dirichlet(rng, (2, 3))), np.log(dirichlet(rng, (2, 3))), tag="bad axis", axis=2)
    add(fn, np.log(dirichlet(rng, (4,))), np.log(dirichlet(rng, (4,))), tag="bad axis", axis=-2)


def gen_ce(rng, fn):
    has_axis = fn != "safe_softmax_cross_entropy"
    poly = fn == "poly_loss_cross_entropy"
    epss = [None, 1.5, -1.0, 0.0, 5.45, 1.214, 2.0]
    k = 0
    for dtype, n in (("float64", 32 if has_axis else 36), ("float32", 12)):
        for i in range(n):
            s = rshape(rng, min_last=2)
            ax = axis_choices(rng, s) if has_axis else None
            a = -1 if ax is None else ax
            x = rng.normal(size=s) * 2
            kind = i % 4
            if kind == 0:
                y = dirichlet(rng, s, a)
            elif kind == 1:  # one-hot
                y = np.moveaxis(np.eye(s[a])[rng.integers(0, s[a], size=s[:a % len(s)] + s[a % len(s) + 1:])], -1, a)
            elif kind == 2:  # unnormalised / soft
                y = rng.uniform(0, 1, size=s)
            else:
                y = dirichlet(rng, s, a, zeros=True)
            params = {} if ax is None else {"axis": ax}
            if poly and epss[i % 7] is not None:
                params["epsilon"] = epss[i % 7]
            add(fn, x, y, dtype, red_of(rng, k), "random", **params)
            k += 1
    # edges
    oh = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    add(fn, np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 99.0], [100.0, 100.0, -100.0]]), oh, tag="+-100")
    add(fn, np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 99.0], [100.0, 100.0, -100.0]]), oh, "float32",
        tag="+-100")
    add(fn, np.array([[-INF, 0.0, 1.0], [-INF, 0.0, -INF], [-INF, 2.0, 1.0]]),
        np.array([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.4, 0.3, 0.3]]), tag="-inf logits")
    add(fn, np.array([[-INF, 0.0, 1.0], [-INF, 0.0, -INF]]), np.array([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0]]), "float32",
        tag="-inf logits")
    add(fn, np.array([[INF, 0.0, 1.0], [-INF, -INF, -INF]]), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
        tag="+inf / all -inf row")
    add(fn, np.array([[NAN, 0.0, 1.0], [0.5, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0], [0.0, NAN, 1.0]]), tag="nan")
    add(fn, np.array([1.2, -0.8, -0.5]), np.array([1.0, 0.0, 0.0]), tag="docstring example row")
    add(fn, np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]]), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), "float32",
        tag="optax test values")
    add(fn, np.array([[0.5], [-3.0]]), np.array([[1.0], [0.3]]), tag="one class")
    if poly:
        add(fn, np.array([0.14, 1.456, 2.356, -0.124, -2.47]), np.array([0.1, 0.15, 0.2, 0.25, 0.3]), "float32",
            tag="optax test values", epsilon=1.214)
        add(fn, np.array([[4.0, 2.0, 1.0], [0.0, 5.0, 1.0]]), np.array([[1.0, 0.0, 0.0], [0.0, 0.8, 0.2]]),
            tag="optax test values", epsilon=-0.5)
    # reductions
    x = rng.normal(size=(2, 3, 4))
    y = dirichlet(rng, (2, 3, 4))
    add(fn, x, y, reduction="mean", tag="reduction")
    add(fn, x, y, "float32", "sum", tag="reduction", **({"axis": 1} if has_axis else {}))
    # shapes
    if has_axis:
        add(fn, rng.normal(size=(2, 3)), dirichlet(rng, (3,)), tag="broadcast labels")
        add(fn, rng.normal(size=(3, 2)), dirichlet(rng, (3, 1), axis=0), tag="broadcast labels", axis=0)
        add(fn, rng.normal(size=(2, 3)), dirichlet(rng, (2,)), tag="shapes")
        add(fn, rng.normal(size=(2, 3)), dirichlet(rng, (2, 3)), tag="bad axis", axis=2)
        add(fn, rng.normal(size=(3,)), dirichlet(rng, (3,)), tag="bad axis", axis=-2)
    else:
        add(fn, rng.normal(size=(2, 3)), dirichlet(rng, (2,)), tag="shapes")


def gen_int(rng):
    fn = "softmax_cross_entropy_with_integer_labels"
    k = 0
    for dtype, n in (("float64", 32), ("float32", 12)):
        for i in range(n):
            s = rshape(rng, min_last=2)
            ax = axis_choices(rng, s)
            a = (-1 if ax is None else ax) % len(s)
            x = rng.normal(size=s) * 2
            ls = s[:a] + s[a + 1:]
            lab = rng.integers(0, s[a], size=ls) if ls else int(rng.integers(0, s[a]))
            params = {} if ax is None else {"axis": ax}
            add(fn, x, lab, dtype, red_of(rng, k), "random", **params)
            k += 1
    x = np.array([[1.0, 2.0, 3.0]] * 6)
    add(fn, x, np.array([3, 5, -1, -3, -4, -100]), tag="out-of-range and negative labels")
    add(fn, x, np.array([3, 5, -1, -3, -4, 0]), "float32", tag="out-of-range and negative labels")
    add(fn, np.array([0.5, -1.0, 2.0]), 3, tag="out-of-range scalar label")
    add(fn, np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 99.0], [100.0, 100.0, -100.0]]), np.array([0, 1, 2]),
        tag="+-100")
    add(fn, np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 99.0], [100.0, 100.0, -100.0]]), np.array([0, 1, 2]),
        "float32", tag="+-100")
    add(fn, np.array([[-INF, 0.0, 1.0], [-INF, 0.0, 1.0], [-INF, -INF, -INF]]), np.array([1, 0, 2]), tag="-inf logits")
    add(fn, np.array([[INF, 0.0, 1.0], [INF, 0.0, 1.0], [NAN, 0.0, 1.0]]), np.array([0, 1, 2]), tag="+inf / nan")
    add(fn, np.array([[INF, 0.0, 95.0], [1.0, 0.0, 95.0]]), np.array([1, 1]), "float32",
        tag="+inf with exp overflow")
    add(fn, np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]]), np.array([1, 0]), "float32", tag="optax test values")
    add(fn, np.array([[1.2, -0.8, -0.5], [0.9, -1.2, 1.1]]), np.array([0, 1]), tag="docstring example")
    x = rng.normal(size=(2, 3, 4))
    add(fn, x, rng.integers(0, 4, size=(2, 3)), reduction="mean", tag="reduction")
    add(fn, x, rng.integers(0, 3, size=(2, 4)), "float32", "sum", tag="reduction", axis=1)
    # errors optax raises
    add(fn, rng.normal(size=(2, 3)), np.array([[0], [1]]), tag="labels rank = logits rank")
    add(fn, rng.normal(size=(2, 3)), np.array([0, 1, 2]), tag="labels shape")
    add(fn, rng.normal(size=(2, 3)), np.array([0.5, 1.0]), tag="non-integer labels")
    add(fn, rng.normal(size=(2, 3)), np.array([0, 1]), tag="bad axis", axis=2)
    add(fn, rng.normal(size=(2, 3, 4)), np.array([0, 1]), tag="labels rank 1 for 3-D logits")


def gen_bce(rng):
    fn = "sigmoid_binary_cross_entropy"
    k = 0
    for dtype, n in (("float64", 33), ("float32", 12)):
        for i in range(n):
            s = rshape(rng)
            x = rng.normal(size=s) * 3
            y = rng.integers(0, 2, size=s).astype(float) if i % 2 else rng.uniform(0, 1, size=s)
            add(fn, x, y, dtype, red_of(rng, k), "random")
            k += 1
    add(fn, np.array([100.0, -100.0, 100.0, -100.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.5]), tag="+-100")
    add(fn, np.array([100.0, -100.0, 100.0, -100.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.5]), "float32",
        tag="+-100")
    add(fn, np.array([INF, -INF, INF, -INF, NAN, 1.0]), np.array([1.0, 0.0, 0.0, 1.0, 1.0, NAN]), tag="inf nan")
    add(fn, np.array([[INF, -INF], [INF, 2.0]]), np.array([[1.0, 0.0], [0.5, 0.5]]), "float32", tag="inf")
    add(fn, np.array([-1e9, -1e-9]), np.array([1.0, 0.0]), "float32", reduction="mean", tag="optax test values")
    add(fn, np.array([1e9, 1e-9]), np.array([0.0, 1.0]), reduction="mean", tag="optax test values")
    add(fn, np.array([40.0, -40.0, 800.0, -800.0]), np.array([0.0, 1.0, 0.3, 0.7]), tag="large")
    add(fn, np.array([20.0, -20.0, 90.0, -90.0]), np.array([0.0, 1.0, 0.3, 0.7]), "float32", tag="large")
    add(fn, np.array([0.3, -0.2]), np.array([1.7, -0.5]), tag="labels outside [0, 1]")
    x = rng.normal(size=(2, 3, 2))
    add(fn, x, rng.uniform(size=(2, 3, 2)), reduction="sum", tag="reduction")
    add(fn, x, rng.uniform(size=(2, 3, 2)), "float32", "mean", tag="reduction")
    add(fn, rng.normal(size=(2, 3)), rng.uniform(size=(3,)), tag="broadcast labels")
    add(fn, rng.normal(size=(2, 3)), rng.uniform(size=(2, 1)), tag="broadcast labels")
    add(fn, rng.normal(size=(2, 3)), rng.uniform(size=(2,)), tag="shapes")
    add(fn, rng.normal(size=(3,)), rng.uniform(size=(4,)), "float32", tag="shapes")


def cases():
    rng = np.random.default_rng(20260808)
    for fn in ("squared_error", "l2_loss", "huber_loss", "log_cosh"):
        gen_regression(rng, fn)
    for fn in ("kl_divergence", "kl_divergence_with_log_targets", "convex_kl_divergence"):
        gen_kl(rng, fn)
    gen_kl(rng, "generalized_kl_divergence", n64=8, n32=4, edges=False)
    for fn in ("softmax_cross_entropy", "safe_softmax_cross_entropy", "poly_loss_cross_entropy"):
        gen_ce(rng, fn)
    gen_int(rng)
    gen_bce(rng)
    return CASES


if __name__ == "__main__":
    ok = self_check()
    if not ok:
        print("self-check: %d failure(s)" % len(FAILS), file=sys.stderr)
        sys.exit(1)
    print("self-check passed (%d finite-difference checks over %d functions)"
          % (len(FD_RUNS), len(set(FD_RUNS))), file=sys.stderr)
    cs = cases()
    print("%d cases: %s" % (len(cs), ", ".join("%s %d" % kv for kv in COUNT.items())), file=sys.stderr)
    json.dump({"generator": "tests/torch/gen_reference_optax.py", "optax": OPTAX, "cases": cs}, sys.stdout,
              indent=None, separators=(",", ":"), allow_nan=False)
    print()
