#!/usr/bin/env python3
"""Keras 3 (TF backend) hinge, squared_hinge, categorical_hinge and
cosine_similarity through Loss.__call__, emulated in numpy: forward in
Keras's op order (keras/src/losses/losses.py and keras/src/ops/nn.py
_normalize of v3.12.0, the same through v3.15), backward in the op order of
TF's gradient functions (math_grad.py: Maximum sends a tie to its first
operand, Max shares the gradient among the elements equal to the max, Rsqrt's
kernel multiplies with mul_no_nan). Reductions and sample_weight come from
gen_reference_keras_regression.py. Spec: tests/torch/KERAS_REGRESSION_NOTES.md
section "Margin losses".

  /usr/bin/python3 tests/torch/gen_reference_keras_margin.py \
      > tests/torch/keras_margin_reference_cases.json
"""
import json, os, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference_keras_regression import (EPS, bshape, sum_to, squeeze_or_expand, reduce_weighted,  # noqa: E402
                                             mean_last, jsonable, reference_cases, weighted_cases, check_gradient)


def hinge_labels(t, T):  # convert_binary_labels_to_hinge: on the whole of y_true
    return T(2) * t - T(1) if np.all((t == 0) | (t == 1)) else t


def f_hinge(t, p, T):
    t = hinge_labels(t, T)
    bshape(t.shape, p.shape, "Mul")
    m = T(1) - t * p
    v, mb = mean_last(np.maximum(m, T(0)), T)
    return v, lambda g: sum_to(t * -np.where(m >= 0, mb(g), T(0)), p.shape)


def f_squared_hinge(t, p, T):
    t = hinge_labels(t, T)
    bshape(t.shape, p.shape, "Mul")
    m = T(1) - t * p
    h = np.maximum(m, T(0))
    v, mb = mean_last(h * h, T)
    return v, lambda g: sum_to(t * -np.where(m >= 0, mb(g) * (h * T(2)), T(0)), p.shape)


def f_categorical_hinge(t, p, T):
    bshape(t.shape, p.shape, "Mul")
    if np.broadcast_shapes(t.shape, p.shape) == ():
        raise ValueError("Invalid reduction dimension (-1 for input with 0 dimension(s) [Op:Sum]")
    pos = (t * p).sum(-1)
    q = (T(1) - t) * p
    neg = q.max(-1)
    m = neg - pos + T(1)
    v = np.maximum(m, T(0))

    def bwd(g):
        gv = np.where(m >= 0, g, T(0))
        ind = (q == neg[..., None]).astype(T)
        gq = (ind / ind.sum(-1, keepdims=True)) * gv[..., None]
        return sum_to((T(1) - t) * gq, p.shape) + sum_to(t * -gv[..., None], p.shape)
    return v, bwd


def normalize(x, axis, T):  # ops.nn._normalize, order 2, v3.12
    if x.ndim == 0:
        x = x[None]
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"Invalid reduction dimension ({axis} for input with {x.ndim} dimension(s) [Op:Sum]")
    ss = (x * x).sum(axis, keepdims=True)
    r = T(1) / np.sqrt(ss)
    cap = T(1.0 / EPS)
    inv = np.minimum(r, cap)
    xn = x * inv

    def bwd(g):  # g: d / d xn, of x's shape
        gi = np.where(r <= cap, (x * g).sum(axis, keepdims=True), T(0))
        rg = np.where(gi == 0, T(0), r * gi)
        gss = np.where(rg == 0, T(0), (T(-0.5) * (r * r)) * rg)
        return g * inv + gss * (x * T(2))
    return xn, bwd


def f_cosine(t, p, T, axis=-1):
    pshape = p.shape
    pn, pb = normalize(p, axis, T)
    tn, _ = normalize(t, axis, T)
    shape = bshape(tn.shape, pn.shape, "Mul")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"Invalid reduction dimension ({axis} for input with {len(shape)} dimension(s) [Op:Sum]")
    v = -(tn * pn).sum(axis)

    def bwd(g):
        gprod = np.broadcast_to(np.expand_dims(-g, axis), shape)
        return pb(sum_to(tn * gprod, pn.shape)).reshape(pshape)
    return v, bwd


def tf_softplus(x, T):  # tensorflow/core/kernels/softplus_op.h
    thr = T(np.log(np.finfo(T).eps)) + T(2)
    return np.where(x > -thr, x, np.where(x < thr, np.exp(x), np.log1p(np.exp(x))))


def masked_lse(x, mask):  # tf.math.reduce_logsumexp(where(mask, x, -inf), axis=1), and its TF gradient
    xm = np.where(mask, x, -np.inf)
    m = xm.max(1, keepdims=True)
    shift = np.where(np.isfinite(m), m, 0)
    e = np.exp(xm - shift)
    s = e.sum(1)
    return np.log(s) + shift[:, 0], lambda g: np.where(mask, (g * (1 / s))[:, None] * e, 0)


def f_circle(t, p, T, gamma=80.0, margin=0.4, remove_diagonal=True):
    """keras.losses.circle of v3.12 (losses.py, numerical_utils.build_pos_neg_masks), ref = the batch."""
    if p.ndim != 2:
        raise ValueError("circle takes y_pred of shape (N, D)")
    with np.errstate(invalid="ignore"):
        lab = np.where(np.isfinite(t) & (np.abs(np.trunc(t)) < 2**31), np.trunc(t), -2**31).astype(np.int64).reshape(-1)
    n = p.shape[0]
    if lab.size != n:
        raise ValueError(f"Incompatible shapes: [{n},{n}] vs. [{lab.size},{lab.size}] [Op:Mul]")
    g_, m_ = T(gamma), T(margin)
    raw = T(1) - p @ p.T
    dist = np.maximum(raw, T(0))
    pm = lab[:, None] == lab[None, :]
    nm = ~pm
    if remove_diagonal:
        pm = pm & ~np.eye(n, dtype=bool)
    pw0, nw0 = (m_ + dist) * pm.astype(T), ((T(1) + m_) - dist) * nm.astype(T)
    pw, nw = np.maximum(pw0, T(0)), np.maximum(nw0, T(0))
    pd, nd = m_ - dist, (T(1) - m_) - dist
    pwd, nwd = ((T(-1) * g_) * pw) * pd, (g_ * nw) * nd
    pl, pb = masked_lse(pwd, pm)
    nl, nb = masked_lse(nwd, nm)
    x = pl + nl
    v = tf_softplus(x, T)

    def bwd(g):
        gs = g / (np.exp(-x) + T(1))
        gpwd, gnwd = pb(gs), nb(gs)
        gpw, gpd = (T(-1) * g_) * (gpwd * pd), ((T(-1) * g_) * pw) * gpwd
        gnw, gnd = g_ * (gnwd * nd), (g_ * nw) * gnwd
        gdist = (np.where(pw0 >= 0, gpw, 0) * pm - gpd) + (-(np.where(nw0 >= 0, gnw, 0) * nm) - gnd)
        gdot = -np.where(raw >= 0, gdist, 0)
        return gdot @ p + gdot.T @ p
    return v, bwd


def circle_mask(values, reduction, T):  # Loss.__call__ -> apply_mask with the mask loss > 0
    mask = (values > 0).astype(T)
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask * (T(mask.size) / (T(mask.sum()) + T(EPS)))
    return mask


FNS = {"hinge": f_hinge, "squared_hinge": f_squared_hinge, "categorical_hinge": f_categorical_hinge,
       "cosine_similarity": f_cosine, "circle": f_circle}


def keras_loss(name, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size", dtype="float64", **params):
    T = np.dtype(dtype).type
    t = np.asarray(y_true, dtype=T)
    p = np.asarray(y_pred, dtype=T)
    t2, p2 = squeeze_or_expand(t, p)  # LossFunctionWrapper.call (cosine_similarity does it again: a no-op)
    with np.errstate(all="ignore"):
        values, bwd = FNS[name](t2, p2, T, **params)
        values = np.asarray(values, T)
        if name == "circle":  # the keras mask, merged into the weights
            mask = circle_mask(values, reduction, T)
            if sample_weight is not None:
                m2, w2 = squeeze_or_expand(mask, np.asarray(sample_weight, dtype=T))
                sample_weight = w2 * m2
            else:
                sample_weight = mask
        loss, gvalues = reduce_weighted(values, sample_weight, reduction, T)
        grad = bwd(gvalues).reshape(p.shape)
    return loss, grad


def self_check():
    yt = [[0.0, 1.0], [0.0, 0.0]]
    yp = [[0.6, 0.4], [0.4, 0.6]]
    f32 = dict(dtype="float32")
    exp = [  # keras/src/losses/losses_test.py (v3.12.0), float32
        ("hinge", {}, 1.3), ("hinge", dict(reduction="sum"), 2.6), ("hinge", dict(sample_weight=[1, 0]), 0.55),
        ("squared_hinge", {}, 1.86), ("squared_hinge", dict(reduction="sum"), 3.72),
        ("squared_hinge", dict(sample_weight=[1, 0]), 0.73),
        ("categorical_hinge", {}, 1.4), ("categorical_hinge", dict(sample_weight=[1, 0]), 0.6),
        ("categorical_hinge", dict(sample_weight=0.0), 0.0),
    ]
    for name, kw, want in exp:
        got, _ = keras_loss(name, yt, yp, **kw, **f32)
        assert abs(float(got) - want) < 1e-3, (name, kw, got, want)
    got, _ = keras_loss("hinge", yt, yp, reduction="none", **f32)
    assert np.allclose(got, [1.1, 1.5])
    # The catalogue's trap: Keras's categorical hinge 0.5 where Crammer-Singer gives 0.
    assert keras_loss("categorical_hinge", [[1, 0, 0]], [[0.5, -1, -2]])[0] == 0.5
    # cosine_similarity: losses_test.py's l2_norm (epsilon 1e-12 on the squared sum: the same away from 0)
    a = np.array([[1, 9, 2], [-5, -2, 6]], np.float32)
    b = np.array([[4, 8, 12], [8, 1, 3]], np.float32)
    nrm = lambda x, ax: x / np.sqrt(np.maximum((x * x).sum(ax, keepdims=True), 1e-12))
    want = (nrm(a, 1) * nrm(b, 1)).sum(1)
    for kw, w in [({}, 1), (dict(sample_weight=2.3), 2.3), (dict(sample_weight=[1.2, 3.4]), np.array([1.2, 3.4]))]:
        got, _ = keras_loss("cosine_similarity", a, b, **kw, **f32)
        assert abs(got - -np.mean(want * w)) < 1e-3, (kw, got)
    got, _ = keras_loss("cosine_similarity", [[0., 1.], [1., 1.], [1., 1.]], [[1., 0.], [1., 1.], [-1., -1.]],
                        reduction="none", **f32)
    assert np.allclose(got, [0, -0.99999994, 0.99999994], atol=1e-7), got  # the docstring's example
    ce = np.array([[0.70014004, -0.42008403, 0.14002801, 0.56011203], [0.17609018, 0.70436073, -0.52827054, 0.44022545],
                   [-0.34050261, 0.25537696, -0.68100522, 0.59587957], [0.32163376, -0.75047877, 0.53605627, -0.21442251],
                   [0.51261459, -0.34174306, 0.17087153, 0.76892189]])
    cl, w = [1, 1, 2, 2, 3], [2.0, 2.0, 1.0, 1.0, 0.5]
    for kw, want in [({}, 188.3883), (dict(gamma=256, margin=0.25), 652.7617), (dict(sample_weight=w), 244.91918),
                     (dict(sample_weight=w, reduction="mean_with_sample_weight"), 163.27948)]:
        got, _ = keras_loss("circle", cl, ce, **kw, **f32)
        assert abs(got - want) < 1e-3 * want, (kw, got, want)
    rng = np.random.default_rng(0)  # gradients against central differences (float64, off the kinks)
    for name, kw in [("hinge", {}), ("squared_hinge", {}), ("categorical_hinge", {}), ("cosine_similarity", {}),
                     ("cosine_similarity", dict(axis=0)), ("circle", dict(gamma=3.0)), ("circle", dict(gamma=2.0, margin=0.3))]:
        t = rng.choice([-1.0, 1.0], (3, 4)) if "hinge" in name else rng.uniform(-1, 1, (3, 4))
        if name == "categorical_hinge":
            t = np.eye(4)[rng.integers(0, 4, 3)]
        p = rng.uniform(-1.5, 1.5, (3, 4))
        if name == "circle":
            t = np.array([0, 0, 1])
            p = rng.uniform(-1, 1, (3, 4))
            p /= np.linalg.norm(p, axis=1, keepdims=True)
        w = rng.uniform(0.5, 2, (3,)) if kw.get("axis") != 0 else None
        if name == "circle":
            w = None  # the mask's weight changes where a loss meets 0: not differentiable there
        check_gradient(keras_loss, name, t, p, w, **kw)


def data(name, rng, ts, ps):
    if name in ("hinge", "squared_hinge"):
        kind = rng.integers(0, 3)  # 0/1 labels (mapped), -1/+1, or mixed (not mapped)
        t = rng.integers(0, 2, ts).astype(float) if kind == 0 else rng.choice([-1.0, 1.0], ts) if kind == 1 else \
            rng.choice([0.0, 1.0, -1.0, 0.5], ts)
        p = rng.choice([-1.0, 1.0, 0.0, 2.0], ps) if rng.random() < 0.3 else rng.uniform(-2, 2, ps)  # kinks: 1 - t p = 0
        return t, p
    if name == "categorical_hinge":
        C = ps[-1] if ps else 1
        t = np.eye(C)[rng.integers(0, C, ts[:-1])] if len(ts) >= 1 and ts == ps else rng.integers(0, 2, ts).astype(float)
        p = rng.choice([0.5, -1.0, 0.0, 0.5], ps) if rng.random() < 0.3 else rng.uniform(-2, 2, ps)  # ties in the max
        return t, p
    if name == "circle":
        n = ps[0]
        t = rng.integers(0, max(1, n // 2), ts).astype(float)
        p = rng.normal(size=ps)
        p /= np.linalg.norm(p, axis=-1, keepdims=True)
        return t, p
    t = rng.uniform(-1, 1, ts)
    p = rng.uniform(-1, 1, ps)
    if rng.random() < 0.25 and p.ndim >= 1:
        p.reshape(-1)[: p.shape[-1]] = 0  # a zero vector: cosine 0 and 1 / epsilon
    return t, p


def cases():
    rng = np.random.default_rng(2026)
    out = []
    shapes = [((4,), (4,)), ((3, 2), (3, 2)), ((3,), (3, 1)), ((3, 1), (3,)), ((2, 3, 2), (2, 3, 2)), ((2, 3), (3,)),
              ((2, 3), (4, 3))]
    circle_shapes = [((5,), (5, 4)), ((6, 1), (6, 3)), ((4,), (4, 1)), ((8,), (8, 6)), ((3,), (4, 2)), ((3,), (3,))]
    for name in FNS:
        for dtype in ("float64", "float32"):
            for ts, ps in (circle_shapes if name == "circle" else shapes):
                grid = {"cosine_similarity": [{}, {"axis": 0}, {"axis": -2}, {"axis": 3}],
                        "circle": [{}, {"gamma": 2.0, "margin": 0.25}, {"gamma": 16.0, "remove_diagonal": False}]}
                for params in grid.get(name, [{}]):
                    yt, yp = data(name, rng, ts, ps)
                    sws = [None, 2.5, rng.uniform(0, 2, ps[:1]).tolist()] if len(ps) > 1 else [None, 0.5]
                    out += weighted_cases(keras_loss, name, params, dtype, yt, yp, sws,
                                          ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"))
    return out


if __name__ == "__main__":
    self_check()
    print("self-check passed", file=sys.stderr)
    cs = reference_cases(cases())
    for c in cs:  # remove_diagonal=False as losscalc spells it
        a = c["args"]
        if "--remove_diagonal" in a:
            i = a.index("--remove_diagonal")
            a[i:i + 2] = ["--no-remove-diagonal"]
    json.dump({"generator": "tests/torch/gen_reference_keras_margin.py",
               "keras": "Keras 3.12.0 (the same through 3.15; 3.16's normalize clamps the squared norm instead), "
                        "keras/src/losses/losses.py, ops/nn.py, TensorFlow backend, emulated in numpy",
               "cases": cs}, sys.stdout, indent=None, separators=(",", ":"))
    print()
