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
                                             mean_last, jsonable, reference_cases)


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


FNS = {"hinge": f_hinge, "squared_hinge": f_squared_hinge, "categorical_hinge": f_categorical_hinge,
       "cosine_similarity": f_cosine}


def keras_loss(name, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size", dtype="float64", **params):
    T = np.dtype(dtype).type
    t = np.asarray(y_true, dtype=T)
    p = np.asarray(y_pred, dtype=T)
    t2, p2 = squeeze_or_expand(t, p)  # LossFunctionWrapper.call (cosine_similarity does it again: a no-op)
    with np.errstate(all="ignore"):
        values, bwd = FNS[name](t2, p2, T, **params)
        loss, gvalues = reduce_weighted(np.asarray(values, T), sample_weight, reduction, T)
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
    rng = np.random.default_rng(0)  # gradients against central differences (float64, off the kinks)
    for name, kw in [("hinge", {}), ("squared_hinge", {}), ("categorical_hinge", {}), ("cosine_similarity", {}),
                     ("cosine_similarity", dict(axis=0))]:
        t = rng.choice([-1.0, 1.0], (3, 4)) if "hinge" in name else rng.uniform(-1, 1, (3, 4))
        if name == "categorical_hinge":
            t = np.eye(4)[rng.integers(0, 4, 3)]
        p = rng.uniform(-1.5, 1.5, (3, 4))
        w = rng.uniform(0.5, 2, (3,)) if kw.get("axis") != 0 else None
        _, g = keras_loss(name, t, p, sample_weight=w, **kw)
        for i in np.ndindex(p.shape):
            h = np.zeros_like(p)
            h[i] = 1e-6
            fd = (keras_loss(name, t, p + h, sample_weight=w, **kw)[0] - keras_loss(name, t, p - h, sample_weight=w, **kw)[0]) / 2e-6
            assert abs(fd - g[i]) < 1e-6, (name, kw, i, fd, g[i])


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
    for name in FNS:
        for dtype in ("float64", "float32"):
            for ts, ps in shapes:
                for params in ([{}, {"axis": 0}, {"axis": -2}, {"axis": 3}] if name == "cosine_similarity" else [{}]):
                    yt, yp = data(name, rng, ts, ps)
                    sws = [None, 2.5, rng.uniform(0, 2, ps[:1]).tolist()] if len(ps) > 1 else [None, 0.5]
                    for sw in sws:
                        for red in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
                            case = dict(function=name, params=params, dtype=dtype, reduction=red,
                                        y_true=jsonable(yt), y_pred=jsonable(yp), sample_weight=sw)
                            try:
                                loss, grad = keras_loss(name, yt, yp, sw, red, dtype, **params)
                                case.update(loss=jsonable(loss), grad=jsonable(grad))
                            except ValueError as e:
                                case.update(error=str(e))
                            out.append(case)
    return out


if __name__ == "__main__":
    self_check()
    print("self-check passed", file=sys.stderr)
    cs = reference_cases(cases())
    for c in cs:  # --axis N: the option as losscalc spells it
        c["args"] = [("--axis" if a == "--axis" else a) for a in c["args"]]
    json.dump({"generator": "tests/torch/gen_reference_keras_margin.py",
               "keras": "Keras 3.12.0 (the same through 3.15; 3.16's normalize clamps the squared norm instead), "
                        "keras/src/losses/losses.py, ops/nn.py, TensorFlow backend, emulated in numpy",
               "cases": cs}, sys.stdout, indent=None, separators=(",", ":"))
    print()
