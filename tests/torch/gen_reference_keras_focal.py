#!/usr/bin/env python3
"""Keras 3 (TF backend) binary_focal_crossentropy and
categorical_focal_crossentropy through Loss.__call__, emulated in numpy.
Forward in Keras's op order: keras/src/losses/losses.py and
keras/src/backend/tensorflow/nn.py (binary_crossentropy's clip to
[epsilon, 1 - epsilon], and its _get_logits: ops.sigmoid's output carries
_keras_logits, so with from_logits the BCE is TF's
sigmoid_cross_entropy_with_logits of the logits, unclipped), read at
keras-team/keras 3422977 (Keras 3.16.0, 2026-08-21; the two functions are
the same since 3.0). Backward in the op order of TF's gradient functions
(math_grad.py: Pow's grad * y * pow(x, y - 1), RealDiv, Log's reciprocal,
clip_by_value passing where lo <= x <= hi; nn_grad.py: Softmax's
(g - sum(g s)) s). Reductions and sample_weight:
gen_reference_keras_regression.py. Spec: tests/torch/KERAS_FOCAL_NOTES.md.

  /usr/bin/python3 tests/torch/gen_reference_keras_focal.py \
      > tests/torch/keras_focal_reference_cases.json
      self-check (Keras's own losses_test.py values: BinaryFocalCrossentropyTest,
      CategoricalFocalCrossentropyTest; central differences), then the cases
"""
import functools, json, os, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference_keras_regression import EPS, bshape, keras_loss_of, weighted_cases, check_gradient, jsonable, reference_cases, emit  # noqa: E402


def same_shape(t, p):  # backend binary_crossentropy's check
    if t.shape != p.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: target.shape=(%s), "
                         "output.shape=(%s)" % (", ".join(map(str, t.shape)), ", ".join(map(str, p.shape))))


def axis_of(axis, nd):
    if not -nd <= axis < nd:
        raise ValueError(f"Invalid reduction dimension ({axis} for input with {nd} dimension(s)")
    return axis % nd


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def f_binary_focal(t, p, T, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                   label_smoothing=0.0, axis=-1):
    same_shape(t, p)
    ax = axis_of(axis, p.ndim)
    if label_smoothing:
        t = t * T(1.0 - label_smoothing) + T(0.5 * label_smoothing)
    z = p
    yp = sigmoid(z).astype(T) if from_logits else p
    if from_logits:  # tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=z)
        relu = np.where(z >= 0, z, T(0))
        bce = relu - z * t + np.log1p(np.exp(np.where(z >= 0, -z, z)))
    else:
        o = np.minimum(np.maximum(yp, T(EPS)), T(1.0 - EPS))  # clip_by_value: maximum(minimum(x, hi), lo), same values
        bce = -(t * np.log(o) + (T(1) - t) * np.log(T(1) - o))
    pt = t * yp + (T(1) - t) * (T(1) - yp)
    u = T(1.0) - pt
    g_ = T(gamma)
    ff = np.power(u, g_)
    fb = ff * bce
    w = t * T(alpha) + (T(1) - t) * T(1.0 - alpha) if apply_class_balancing else None
    v = w * fb if w is not None else fb
    D = T(v.shape[ax])
    out = v.sum(ax) / D

    def bwd(g):
        gv = np.broadcast_to(np.expand_dims(g, ax), v.shape) / D
        gfb = w * gv if w is not None else gv
        gff, gbce = gfb * bce, ff * gfb
        gu = (gff * g_) * np.power(u, g_ - T(1))
        gpt = -gu
        gyp = t * gpt - (T(1) - t) * gpt
        if from_logits:
            gz_bce = gbce * (sigmoid(z).astype(T) - t)
            return gz_bce + gyp * yp * (T(1) - yp)
        gb = -gbce
        go = (t * gb) * (T(1) / o) - ((T(1) - t) * gb) * (T(1) / (T(1) - o))
        return gyp + np.where((yp >= T(EPS)) & (yp <= T(1.0 - EPS)), go, T(0))
    return out, bwd


def f_categorical_focal(t, p, T, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    ax = axis_of(axis, p.ndim)
    C = p.shape[ax]
    if label_smoothing:
        t = t * T(1.0 - label_smoothing) + T(label_smoothing) / T(C)
    if bshape(t.shape, p.shape, "Mul") != p.shape:  # Keras computes it; losscalc refuses
        raise ValueError("would broadcast y_pred")
    if from_logits:
        m = p.max(ax, keepdims=True)
        e = np.exp(p - m)
        yp = e / e.sum(ax, keepdims=True)
    else:
        yp = p
    S = yp.sum(ax, keepdims=True)
    q = yp / S
    o = np.minimum(np.maximum(q, T(EPS)), T(1.0 - EPS))
    lo = np.log(o)
    cce = -t * lo
    u = T(1.0) - o
    g_ = T(gamma)
    mf = np.power(u, g_)
    wf = mf * T(alpha)
    v = (wf * cce).sum(ax)

    def bwd(g):
        gv = np.broadcast_to(np.expand_dims(g, ax), p.shape)
        gwf, gcce = gv * cce, wf * gv
        gmf = gwf * T(alpha)
        gu = (gmf * g_) * np.power(u, g_ - T(1))
        go = -gu + (-t * gcce) * (T(1) / o)
        gq = np.where((q >= T(EPS)) & (q <= T(1.0 - EPS)), go, T(0))
        gS = (gq * ((-yp / S) / S)).sum(ax, keepdims=True)
        gyp = gq / S + gS
        if not from_logits:
            return gyp
        return (gyp - (gyp * yp).sum(ax, keepdims=True)) * yp
    return v, bwd


FNS = {"binary_focal_crossentropy": f_binary_focal, "categorical_focal_crossentropy": f_categorical_focal}


keras_loss = functools.partial(keras_loss_of, FNS)  # (name, y_true, y_pred, sample_weight, reduction, dtype, **params)


def self_check():
    f32 = dict(dtype="float32")
    bt, bp = np.array([1, 0, 1, 0.]).reshape(2, 2), np.array([0.9, 0.8, 0.7, 0.2]).reshape(2, 2)
    lt, lz = [[1, 1, 0], [0, 1, 0.]], [[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]]
    sw = np.array([1.2, 3.4]).reshape(2, 1)
    B = "binary_focal_crossentropy"
    exp = [  # keras/src/losses/losses_test.py, BinaryFocalCrossentropyTest (float32), 3 decimals
        (np.eye(3), np.eye(3), dict(gamma=1.5), 0.0),
        (np.eye(3), np.where(np.eye(3) > 0, 100.0, -100.0), dict(gamma=2.0, from_logits=True), 0.0),
        (bt, bp, dict(gamma=2.0), 0.268), (lt, lz, dict(gamma=3.0, from_logits=True), 0.799),
        (bt, bp, dict(gamma=2.0, sample_weight=1.23), 0.3296), (lt, lz, dict(gamma=3.0, from_logits=True, sample_weight=3.21), 2.565),
        (bt, bp, dict(gamma=2.0, sample_weight=sw), 0.34415), (lt, lz, dict(gamma=3.0, from_logits=True, sample_weight=sw), 0.95977),
    ]
    for t, p, kw, want in exp:
        got, _ = keras_loss(B, t, p, **kw, **f32)
        assert abs(float(got) - want) < 1e-3, (kw, got, want)
    got, _ = keras_loss(B, bt, bp, gamma=2.0, reduction="none", **f32)
    assert np.allclose(got, (0.515547, 0.020513), rtol=1e-6, atol=1e-6), got  # assertAllClose: 1e-6
    got, _ = keras_loss(B, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2.0, reduction="none", **f32)
    assert np.allclose(got, (0.330, 0.206), atol=1e-3), got  # the docstring's example
    C = "categorical_focal_crossentropy"
    ct = np.eye(3)
    cp = [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]]
    cz = [[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]]
    csw = np.array([[1.2], [3.4], [5.6]])
    exp = [  # CategoricalFocalCrossentropyTest (float32)
        (ct, ct, dict(alpha=0.25, gamma=2.0), 0.0, 3), (ct, [[10.0, 0, 0], [0, 10.0, 0], [0, 0, 10.0]], dict(from_logits=True), 0.0, 3),
        (ct, cp, {}, 0.02059, 3), (ct, cz, dict(from_logits=True), 0.000345, 3),
        (ct, cp, dict(sample_weight=2.3), 0.047368, 3), (ct, cz, dict(from_logits=True, sample_weight=2.3), 0.000794, 4),
        (ct, cp, dict(sample_weight=csw), 0.06987, 3), (ct, cz, dict(from_logits=True, sample_weight=csw), 0.001933, 3),
        ([[1, 0, 0]], [[4.9, -0.5, 2.05]], dict(from_logits=True, label_smoothing=0.1), 0.06685, 3),
    ]
    for t, p, kw, want, places in exp:
        got, _ = keras_loss(C, t, p, **kw, **f32)
        assert abs(float(got) - want) < 1.5 * 10 ** -places, (kw, got, want)
    got, _ = keras_loss(C, ct, cz, from_logits=True, reduction="none", **f32)
    assert np.allclose(got, (1.5096224e-09, 2.4136547e-11, 1.0360638e-03), rtol=1e-6, atol=1e-6), got
    got, _ = keras_loss(C, [[0, 1, 0], [0, 0, 1]], [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]], reduction="none", **f32)
    assert np.allclose(got, (2.63401289e-04, 6.75912094e-01), rtol=1e-6, atol=1e-6), got  # the docstring's example
    yt = np.array([[[1, 0], [0, 1], [0, 0]], [[0, 1], [1, 0], [0, 0]]], float)
    yp = np.array([[[0.8, 0.1], [0.1, 0.8], [0.1, 0.1]], [[0.1, 0.8], [0.8, 0.1], [0.1, 0.1]]])
    ys = yt * 0.9 + 0.1 / 3
    want = np.mean(np.sum(0.25 * (1 - yp) ** 2 * -ys * np.log(yp), axis=1))
    got, _ = keras_loss(C, yt, yp, label_smoothing=0.1, axis=1, **f32)
    assert abs(got - want) < 1e-5, (got, want)  # test_label_smoothing_with_axis
    rng = np.random.default_rng(0)  # gradients against central differences (float64, off the clip)
    for name, kw in [(B, {}), (B, dict(apply_class_balancing=True, alpha=0.4, gamma=1.5)), (B, dict(from_logits=True, label_smoothing=0.2)),
                     (B, dict(axis=0, gamma=3.0)), (C, {}), (C, dict(from_logits=True, gamma=1.5, label_smoothing=0.1)),
                     (C, dict(axis=0, alpha=0.6))]:
        t = rng.choice([0.0, 1.0, 0.3], (3, 4))
        p = rng.uniform(0.1, 0.9, (3, 4)) if not kw.get("from_logits") else rng.uniform(-2, 2, (3, 4))
        w = rng.uniform(0.5, 2, (3,)) if kw.get("axis") != 0 else None
        check_gradient(keras_loss, name, t, p, w, **kw)


def data(name, rng, ts, ps, from_logits):
    if from_logits:
        p = rng.choice([-3.0, 0.0, 2.5, 40.0, -40.0], ps) if rng.random() < 0.2 else rng.uniform(-4, 4, ps)
    elif name == "categorical_focal_crossentropy":
        p = rng.dirichlet(np.ones(ps[-1]), ps[:-1]) if rng.random() < 0.6 else rng.uniform(0, 1, ps)
        if rng.random() < 0.2:
            p.reshape(-1)[0] = 0.0  # clipped: no gradient there
    else:
        p = rng.choice([0.0, 1.0, 0.5, 1e-9], ps) if rng.random() < 0.2 else rng.uniform(0, 1, ps)
    if name == "categorical_focal_crossentropy" and len(ts) == len(ps) and ts == ps and rng.random() < 0.7:
        t = np.eye(ps[-1])[rng.integers(0, ps[-1], ps[:-1])]
    else:
        t = rng.choice([0.0, 1.0, 1.0, 0.0, 0.25], ts)
    return t, p


def cases():
    rng = np.random.default_rng(2027)
    out = []
    shapes = [((4,), (4,)), ((3, 2), (3, 2)), ((3,), (3, 1)), ((3, 1), (3,)), ((2, 3, 2), (2, 3, 2)), ((3, 3), (3, 2))]
    grids = {"binary_focal_crossentropy": [{}, {"gamma": 3.0}, {"apply_class_balancing": True}, {"apply_class_balancing": True, "alpha": 0.6, "gamma": 0.5},
                                           {"from_logits": True}, {"from_logits": True, "label_smoothing": 0.1, "apply_class_balancing": True},
                                           {"label_smoothing": 0.2}, {"axis": 0}, {"gamma": 0.0}],
             "categorical_focal_crossentropy": [{}, {"gamma": 3.0, "alpha": 0.5}, {"from_logits": True}, {"label_smoothing": 0.1},
                                                {"from_logits": True, "label_smoothing": 0.2, "gamma": 1.5}, {"axis": 0}, {"gamma": 0.0, "alpha": 1.0}]}
    for name in FNS:
        for dtype in ("float64", "float32"):
            for ts, ps in shapes:
                for params in grids[name]:
                    yt, yp = data(name, rng, ts, ps, params.get("from_logits", False))
                    sws = [None, 2.5, rng.uniform(0, 2, ps[:1]).tolist()] if len(ps) > 1 else [None, 0.5]
                    out += weighted_cases(keras_loss, name, params, dtype, yt, yp, sws,
                                          ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"))
    return out


def losscalc_args(cs):  # flags as losscalc spells them
    for c in cs:
        a = c["args"]
        for flag in ("--apply_class_balancing", "--from_logits"):
            if flag in a:
                i = a.index(flag)
                a[i:i + 2] = [flag.replace("_", "-")]
        for k in ("--label_smoothing",):
            if k in a:
                a[a.index(k)] = k.replace("_", "-")
    return cs


if __name__ == "__main__":
    emit(self_check, lambda: losscalc_args(reference_cases(cases())), "tests/torch/gen_reference_keras_focal.py",
         "Keras 3.16.0 (keras-team/keras 3422977; the focal losses unchanged since 3.0), keras/src/losses/losses.py, "
         "backend/tensorflow/nn.py, TensorFlow backend, emulated in numpy")
