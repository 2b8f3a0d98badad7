#!/usr/bin/env python3
"""Keras 3 (TF backend) dice and tversky through Loss.__call__, emulated in
numpy: keras/src/losses/losses.py at keras-team/keras 3422977 (3.16.0; the
same since 3.0), reductions and sample_weight as
gen_reference_keras_regression.py, gradients in the op order of TF's
(RealDiv: grad / y and grad * ((-x / y) / y); Mul; Sub). Spec:
tests/torch/KERAS_FOCAL_NOTES.md, section "Dice and Tversky".

  /usr/bin/python3 tests/torch/gen_reference_keras_overlap.py \
      > tests/torch/keras_overlap_reference_cases.json
      self-check (DiceTest, TverskyTest of keras/src/losses/losses_test.py and
      the dice docstring; central differences), then the cases
"""
import functools, json, os, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference_keras_regression import EPS, bshape, keras_loss_of, weighted_cases, check_gradient, reference_cases, emit  # noqa: E402


def axes_of(axis, nd):
    if axis is None:
        return tuple(range(nd))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axis:
        if not -nd <= a < nd:
            raise ValueError(f"Invalid reduction dimension ({a} for input with {nd} dimension(s)")
    return tuple(sorted(a % nd for a in axis))


def f_dice(t, p, T, axis=None):
    if bshape(t.shape, p.shape, "Mul") != p.shape or t.shape != p.shape:
        raise ValueError("y_true and y_pred of one shape")
    ax = axes_of(axis, p.ndim)
    inter = (t * p).sum(ax)
    den = t.sum(ax) + p.sum(ax) + T(EPS)
    num = T(2.0) * inter
    v = T(1) - num / den

    def bwd(g):
        gd = -g
        gnum, gden = gd / den, gd * ((-num / den) / den)
        gi = gnum * T(2.0)
        return np.expand_dims(gi, ax) * t + np.expand_dims(gden, ax) * np.ones_like(p)
    return v, bwd


def f_tversky(t, p, T, alpha=0.5, beta=0.5, axis=None):
    if bshape(t.shape, p.shape, "Mul") != p.shape or t.shape != p.shape:
        raise ValueError("y_true and y_pred of one shape")
    ax = axes_of(axis, p.ndim)
    inter = (p * t).sum(ax)
    fp = ((T(1) - t) * p).sum(ax)
    fn = (t * (T(1) - p)).sum(ax)
    den = inter + fp * T(alpha) + fn * T(beta) + T(EPS)
    v = T(1) - inter / den

    def bwd(g):
        gt = -g
        gden = gt * ((-inter / den) / den)
        gi = gt / den + gden
        gfp, gfn = gden * T(alpha), gden * T(beta)
        e = lambda x: np.expand_dims(x, ax)  # noqa: E731
        return e(gi) * t + e(gfp) * (T(1) - t) - e(gfn) * t
    return v, bwd


FNS = {"dice": f_dice, "tversky": f_tversky}


keras_loss = functools.partial(keras_loss_of, FNS)  # (name, y_true, y_pred, sample_weight, reduction, dtype, **params)


def self_check():
    f32 = dict(dtype="float32")
    a, b = [[1, 2], [1, 2]], [[4, 1], [6, 1]]
    st = [[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]]
    sp = [[0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1]]
    at = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
    ap = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]
    exp = [  # DiceTest, TverskyTest (assertAllClose: 1e-6) and the dice docstring
        ("dice", a, b, {}, -0.55555546), ("dice", st, sp, {}, 0.77777773), ("dice", at, ap, dict(axis=(1, 2, 3), reduction=None), [0.5, 0.75757575]),
        ("dice", at, ap, {}, 0.6164384),
        ("tversky", a, b, {}, -0.55555558), ("tversky", a, b, dict(alpha=0.2, beta=0.8), -0.94444442), ("tversky", st, sp, {}, 0.77777779),
        ("tversky", at, ap, dict(axis=(1, 2, 3), reduction=None), [0.5, 0.75757575]),
        ("tversky", st, sp, dict(alpha=0.2, beta=0.8), 0.76190472),
        ("tversky", at, ap, dict(alpha=0.2, beta=0.8, axis=(1, 2, 3), reduction=None), [0.5, 0.78494626]),
    ]
    for name, t, p, kw, want in exp:
        got, _ = keras_loss(name, t, p, **kw, **f32)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-6), (name, kw, got, want)
    rng = np.random.default_rng(0)
    for name, kw in [("dice", {}), ("dice", dict(axis=(1,))), ("tversky", dict(alpha=0.3, beta=0.9)), ("tversky", dict(axis=(1,)))]:
        t = rng.choice([0.0, 1.0, 0.5], (3, 4))
        p = rng.uniform(0, 1, (3, 4))
        w = rng.uniform(0.5, 2, (3,)) if kw.get("axis") else None
        check_gradient(keras_loss, name, t, p, w, **kw)


def cases():
    rng = np.random.default_rng(2028)
    out = []
    shapes = [(4,), (3, 2), (2, 3, 2), (2, 2, 2, 1)]
    for name in FNS:
        for dtype in ("float64", "float32"):
            for ps in shapes:
                axes = [{}] + [{"axis": ax} for ax in ([(1,), (-1,), (1, 2), (0,)] if len(ps) > 1 else [(0,)])]
                if len(ps) == 4:
                    axes.append({"axis": (1, 2, 3)})
                for params in axes:
                    if name == "tversky" and rng.random() < 0.6:
                        params = dict(params, alpha=float(rng.choice([0.2, 0.7, 1.0])), beta=float(rng.choice([0.8, 0.3, 0.0])))
                    t = rng.choice([0.0, 1.0, 1.0, 0.5], ps)
                    p = rng.uniform(0, 1, ps) if rng.random() < 0.8 else rng.uniform(-1, 3, ps)
                    try:
                        kept = [d for i, d in enumerate(ps) if i not in axes_of(params.get("axis"), len(ps))]
                    except ValueError:  # an axis out of range: the cases expect TF's error
                        kept = []
                    sws = [None, 2.5] + ([rng.uniform(0, 2, kept[:1]).tolist()] if kept else [])
                    out += weighted_cases(keras_loss, name, params, dtype, t, p, sws,
                                          ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"))
    for c in out:  # the axis tuple as losscalc takes it: comma-separated
        if "axis" in c["params"]:
            c["params"] = dict(c["params"], axis=",".join(map(str, c["params"]["axis"])))
    return out


def losscalc_args(cs):
    for c in cs:
        a = c["args"]
        if "--axis" in a:
            i = a.index("--axis")
            a[i + 1] = a[i + 1].strip("'")
    return cs


if __name__ == "__main__":
    emit(self_check, lambda: losscalc_args(reference_cases(cases())), "tests/torch/gen_reference_keras_overlap.py",
         "Keras 3.16.0 (keras-team/keras 3422977; dice and tversky unchanged since 3.0), keras/src/losses/losses.py, "
         "TensorFlow backend, emulated in numpy")
