#!/usr/bin/env python3
"""Keras 3 (TF backend) regression losses through Loss.__call__, emulated in
numpy: forward in Keras's op order, backward in the op order of TF's gradient
functions (math_grad.py, nn_grad.py). Spec: tests/torch/KERAS_REGRESSION_NOTES.md.

  keras_loss(name, y_true, y_pred, sample_weight=None,
             reduction="sum_over_batch_size", dtype="float64", **params)
      -> (loss, grad_wrt_y_pred)   [raises ValueError with TF's message text]
  /usr/bin/python3 tests/torch/gen_reference_keras_regression.py \
      > tests/torch/keras_regression_reference_cases.json
      self-check (against keras's own losses_test.py values and central
      differences), then the reference cases on stdout (--raw: the emulation's
      own records)
"""
import json, sys
import numpy as np

EPS = 1e-7  # keras.config.epsilon()


def tf_shape(s):
    return "[" + ",".join(str(d) for d in s) + "]"


def bshape(a, b, op):  # TF BCast: numpy rules, TF's message
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"Incompatible shapes: {tf_shape(a)} vs. {tf_shape(b)} [Op:{op}]")


def sum_to(g, shape):  # TF: reduce_sum over broadcast axes, reshape
    while g.ndim > len(shape):
        g = g.sum(0)
    for i, d in enumerate(shape):
        if d == 1 and g.shape[i] != 1:
            g = g.sum(i, keepdims=True)
    return g.reshape(shape)


def squeeze_or_expand(x1, x2, expand_rank_1=True):  # keras/src/losses/loss.py
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def sign(x):  # Eigen: sign(+-0) = 0, sign(NaN) = NaN
    return np.sign(x)


def softplus(x, T):  # tensorflow/core/kernels/softplus_op.h
    thr = T(np.log(np.finfo(T).eps)) + T(2)
    e = np.exp(x)
    return np.where(x > -thr, x, np.where(x < thr, e, np.log1p(e)))


def mean_last(x, T):  # tf.reduce_mean = sum / D;  grad: g / D
    D = T(x.shape[-1])
    return x.sum(-1) / D, (lambda g: np.broadcast_to(g[..., None], x.shape) / D)


def f_mse(t, p, T):
    bshape(t.shape, p.shape, "Sub")
    d = t - p
    v, mb = mean_last(d * d, T)
    return v, lambda g: sum_to(-(mb(g) * (d * T(2))), p.shape)


def f_mae(t, p, T):
    bshape(t.shape, p.shape, "Sub")
    d = t - p
    v, mb = mean_last(np.abs(d), T)
    return v, lambda g: sum_to(-(mb(g) * sign(d)), p.shape)


def f_mape(t, p, T):
    bshape(t.shape, p.shape, "Sub")
    d = t - p
    den = np.maximum(np.abs(t), T(EPS))
    q = d / den
    m, mb = mean_last(np.abs(q), T)
    return T(100) * m, lambda g: sum_to(-((mb(g * T(100)) * sign(q)) / den), p.shape)


def f_msle(t, p, T):
    eps = T(np.float32(EPS))  # convert_to_tensor(epsilon()) without dtype: float32
    b = np.maximum(p, eps) + T(1)
    l1 = np.log(b)
    l2 = np.log(np.maximum(t, eps) + T(1))
    bshape(l1.shape, l2.shape, "Sub")
    d = l1 - l2
    v, mb = mean_last(d * d, T)

    def bwd(g):
        gb = sum_to(mb(g) * (d * T(2)), b.shape) * (T(1) / b)
        return np.where(p >= eps, gb, T(0))
    return v, bwd


def f_huber(t, p, T, delta=1.0):
    bshape(p.shape, t.shape, "Sub")
    dl, h = T(delta), T(0.5)
    e = p - t
    ae = np.abs(e)
    c = ae <= dl
    v, mb = mean_last(np.where(c, h * (e * e), dl * ae - h * (dl * dl)), T)

    def bwd(g):
        gv = mb(g)
        gq = np.where(c, gv, T(0))
        gl = np.where(c, T(0), gv)
        return sum_to((gq * h) * (e * T(2)) + (gl * dl) * sign(e), p.shape)
    return v, bwd


def f_log_cosh(t, p, T):
    bshape(p.shape, t.shape, "Sub")
    log2 = T(np.log(np.float32(2.0)))  # ops.log(2.0) is float32, then cast
    x = p - t
    z = x * T(-2)
    v, mb = mean_last((x + softplus(z, T)) - log2, T)

    def bwd(g):
        gv = mb(g)
        return sum_to(gv + (gv / (np.exp(-z) + T(1))) * T(-2), p.shape)
    return v, bwd


def clip01(x, T):  # clip_by_value = maximum(minimum(x, 1), eps)
    m = np.minimum(x, T(1))
    return np.maximum(m, T(EPS)), (x <= T(1)) & (m >= T(EPS))


def f_kl(t, p, T):
    tc, _ = clip01(t, T)
    pc, pass_ = clip01(p, T)
    bshape(tc.shape, pc.shape, "RealDiv")
    r = tc / pc
    v = (tc * np.log(r)).sum(-1)

    def bwd(g):
        gv = np.broadcast_to(g[..., None], r.shape)
        gpc = ((tc * gv) * (T(1) / r)) * ((-tc / pc) / pc)
        return np.where(pass_, sum_to(gpc, p.shape), T(0))
    return v, bwd


def f_poisson(t, p, T):
    a = p + T(EPS)
    la = np.log(a)
    bshape(t.shape, la.shape, "Mul")
    v, mb = mean_last(p - t * la, T)

    def bwd(g):
        gv = mb(g)
        return sum_to(gv, p.shape) + sum_to((t * -gv) * (T(1) / a), p.shape)
    return v, bwd


def f_gce(t, p, T, q=0.5):
    C = p.shape[-1]
    with np.errstate(invalid="ignore"):  # tf.cast float->int64: trunc; NaN/inf -> INT64_MIN (x86)
        lab = np.where(np.isfinite(t), np.trunc(t), -1).astype(np.int64)
    oh = (lab[..., None] == np.arange(C)).astype(T)  # one_hot: out of range -> all 0
    bshape(p.shape, oh.shape, "Mul")
    pt = (p * oh).sum(-1)
    qT = T(q)
    v = (T(1) - np.power(pt, qT)) / qT

    def bwd(g):
        gpt = (-(g / qT) * qT) * np.power(pt, qT - T(1))
        return sum_to(gpt[..., None] * oh, p.shape)
    return v, bwd


FNS = {"mean_squared_error": f_mse, "mean_absolute_error": f_mae,
       "mean_absolute_percentage_error": f_mape, "mean_squared_logarithmic_error": f_msle,
       "huber": f_huber, "log_cosh": f_log_cosh, "kl_divergence": f_kl, "poisson": f_poisson,
       "categorical_generalized_cross_entropy": f_gce}


def reduce_weighted(values, sw, reduction, T):  # reduce_weighted_values + reduce_values
    if sw is not None:
        v2, s2 = squeeze_or_expand(values, np.asarray(sw, dtype=T))
        bshape(v2.shape, s2.shape, "Mul")
        w = v2 * s2
    else:
        v2, s2, w = values, None, values
    if reduction in (None, "none") or w.shape in ((), (0,)):
        loss, gw = w, np.ones_like(w)  # gradient of the sum
    else:
        s = w.sum(dtype=T)
        if reduction == "sum":
            loss, gw = s, np.ones_like(w)
        else:  # sum_over_batch_size, mean, mean_with_sample_weight
            div = T(s2.sum(dtype=T)) if (reduction == "mean_with_sample_weight" and s2 is not None) else T(w.size)
            loss = s / div if div != 0 else T(0)  # divide_no_nan
            gw = np.full(w.shape, T(1) / div if div != 0 else T(0), T)
    gv = gw if s2 is None else sum_to(gw * s2, v2.shape)
    return loss, gv.reshape(values.shape)


def keras_loss_of(fns, name, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size",
                  dtype="float64", **params):
    """keras_loss for the per-sample functions `fns` (name -> f(t, p, T, **params))."""
    T = np.dtype(dtype).type
    t = np.asarray(y_true, dtype=T)
    p = np.asarray(y_pred, dtype=T)
    t2, p2 = squeeze_or_expand(t, p)  # LossFunctionWrapper.call
    with np.errstate(all="ignore"):
        values, bwd = fns[name](t2, p2, T, **params)
        loss, gvalues = reduce_weighted(np.asarray(values, T), sample_weight, reduction, T)
        grad = bwd(gvalues).reshape(p.shape)
    return loss, grad


def keras_loss(name, *args, **kwargs):
    return keras_loss_of(FNS, name, *args, **kwargs)


def weighted_cases(keras_loss, name, params, dtype, yt, yp, sws, reductions):
    """One case per sample_weight and reduction: the emulated loss and grad, or the error."""
    out = []
    for sw in sws:
        for red in reductions:
            case = dict(function=name, params=params, dtype=dtype, reduction=red,
                        y_true=jsonable(yt), y_pred=jsonable(yp), sample_weight=sw)
            try:
                loss, grad = keras_loss(name, yt, yp, sw, red, dtype, **params)
                case.update(loss=jsonable(loss), grad=jsonable(grad))
            except ValueError as e:
                case.update(error=str(e))
            out.append(case)
    return out


def check_gradient(keras_loss, name, t, p, w, **kw):
    """The emulated gradient against central differences of the emulated loss."""
    _, g = keras_loss(name, t, p, sample_weight=w, **kw)
    for i in np.ndindex(p.shape):
        h = np.zeros_like(p)
        h[i] = 1e-6
        fd = (keras_loss(name, t, p + h, sample_weight=w, **kw)[0] - keras_loss(name, t, p - h, sample_weight=w, **kw)[0]) / 2e-6
        assert abs(fd - g[i]) < 1e-6, (name, kw, i, fd, g[i])


def self_check():
    yt = [[1, 9, 2], [-5, -2, 6]]
    yp = [[4, 8, 12], [8, 1, 3]]
    sw = [[1.2], [3.4]]
    f32 = dict(dtype="float32")
    exp = [  # keras/src/losses/losses_test.py (float32)
        ("mean_squared_error", {}, 49.5), ("mean_squared_error", dict(sample_weight=2.3), 113.85),
        ("mean_squared_error", dict(sample_weight=sw), 767.8 / 6),
        ("mean_squared_error", dict(sample_weight=sw, reduction="mean_with_sample_weight"),
         (110 / 3 * 1.2 + 187 / 3 * 3.4) / 4.6),
        ("mean_squared_error", dict(sample_weight=2.3, reduction="sum"), 227.69998),
        ("mean_absolute_percentage_error", {}, 211.8518), ("mean_absolute_percentage_error", dict(sample_weight=sw), 422.8888),
        ("mean_absolute_percentage_error", dict(sample_weight=sw, reduction="mean_with_sample_weight"), 183.865),
        ("mean_squared_logarithmic_error", {}, 1.4370), ("mean_squared_logarithmic_error", dict(sample_weight=sw), 3.7856),
        ("mean_squared_logarithmic_error", dict(sample_weight=sw, reduction="mean_with_sample_weight"), 1.646),
    ]
    for name, kw, want in exp:
        got, _ = keras_loss(name, yt, yp, **kw, **f32)
        assert abs(float(got) - want) < 2e-3 * max(1, abs(want)), (name, kw, got, want)
    ts = np.array([1, 9, 2, -5, -2, 6.]).reshape(2, 3, 1)
    ps = np.array([4, 8, 12, 8, 1, 3.]).reshape(2, 3, 1)
    tw = np.array([3, 6, 5, 0, 4, 2.]).reshape(2, 3)
    for name, want in [("mean_squared_error", 97.833336), ("mean_absolute_percentage_error", 694.4444),
                       ("mean_squared_logarithmic_error", 2.647374)]:
        got, _ = keras_loss(name, ts, ps, sample_weight=tw, **f32)
        assert abs(float(got) - want) < 1e-3 * want, (name, got, want)
    got, _ = keras_loss("categorical_generalized_cross_entropy", [0, 1, 0, 1],
                        [[.7, .3], [.2, .8], [.6, .4], [.4, .6]], q=0.5)
    assert abs(got - np.mean([(1 - np.sqrt(v)) / .5 for v in (.7, .8, .6, .6)])) < 1e-12
    rng = np.random.default_rng(0)  # gradients against central differences (float64, off the kinks)
    for name, kw in [(n, {}) for n in FNS if n != "categorical_generalized_cross_entropy"] + [("huber", dict(delta=0.7))]:
        t = rng.uniform(0.2, 0.9, (3, 4))
        p = rng.uniform(0.2, 0.9, (3, 4))
        w = rng.uniform(0.5, 2, (3,))
        check_gradient(keras_loss, name, t, p, w, **kw)


def jsonable(x):
    x = np.asarray(x, dtype=np.float64)
    f = lambda v: v if np.isfinite(v) else ("NaN" if np.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
    return f(float(x)) if x.ndim == 0 else [jsonable(v) for v in x]


def cases():
    rng = np.random.default_rng(1234)
    out = []
    shapes = [((4,), (4,)), ((3, 2), (3, 2)), ((3,), (3, 1)), ((3, 1), (3,)), ((2, 3, 2), (2, 3, 2))]
    weights = lambda s: [None, 2.5, rng.uniform(0, 2, s[:1]).tolist(), rng.uniform(0, 2, s[:1] + (1,)).tolist()]
    for name in FNS:
        for dtype in ("float64", "float32"):
            for ts, ps in shapes:
                if name == "categorical_generalized_cross_entropy":
                    ps = ts + (3,)
                    yt = rng.integers(0, 3, ts).astype(float)
                    yp = rng.dirichlet(np.ones(3), ts)
                else:
                    yt, yp = rng.uniform(-0.5, 2, ts), rng.uniform(-0.5, 2, ps)
                params = {"huber": {"delta": 0.8}, "categorical_generalized_cross_entropy": {"q": 0.7}}.get(name, {})
                out += weighted_cases(keras_loss, name, params, dtype, yt, yp, weights(ps[:-1] if len(ps) > 1 else ps),
                                      ("sum_over_batch_size", "mean", "sum", "none", "mean_with_sample_weight"))
    return out


def emit(self_check, cases, generator, keras):
    """A generator's main: its self-check, then its cases as reference_test reads them, on stdout."""
    self_check()
    print("self-check passed", file=sys.stderr)
    json.dump({"generator": generator, "keras": keras, "cases": cases()}, sys.stdout, indent=None, separators=(",", ":"))
    print()


def reference_cases(raw):
    """The emulated values as reference_test cases: the losscalc argv and
    what it must print (float64 to 1e-12, float32 to float32's rounding)."""
    out = []
    for c in raw:
        args = [c["function"], "--json", "--no-warnings", "-r", c["reduction"]]
        if c["dtype"] == "float32":
            args += ["--dtype", "float32"]
        for k, v in c["params"].items():
            args += ["--" + k, repr(v)]
        if c["sample_weight"] is not None:
            args += ["--sample-weight", json.dumps(c["sample_weight"])]
        args += [json.dumps(c["y_pred"]), json.dumps(c["y_true"])]
        sw = "none" if c["sample_weight"] is None else "scalar" if not isinstance(c["sample_weight"], list) else \
            "(%d%s)" % (len(c["sample_weight"]), ", 1" if isinstance(c["sample_weight"][0], list) else "")
        name = "%s %s %s sw %s y_pred %s y_true %s" % (c["function"], c["dtype"], c["reduction"], sw,
                                                       np.shape(c["y_pred"]), np.shape(c["y_true"]))
        if "error" in c:
            expect = {"status": 1, "stderr_contains": c["error"].split(" [Op")[0]}
        else:
            expect = {"status": 0, "loss": c["loss"], "grad": c["grad"]}
        f32 = c["dtype"] == "float32"
        out.append({"name": name, "args": args, "expect": expect,
                    "rtol": 2e-6 if f32 else 1e-12, "atol": 1e-6 if f32 else 1e-12})
    return out



if __name__ == "__main__":
    self_check()
    print("self-check passed", file=sys.stderr)
    if "--raw" in sys.argv:
        json.dump(cases(), sys.stdout, indent=None)
    else:
        json.dump({"generator": "tests/torch/gen_reference_keras_regression.py",
                   "keras": "Keras 3.12 to 3.16 (keras/src/losses/losses.py, loss.py), TensorFlow backend, emulated in numpy",
                   "cases": reference_cases(cases())}, sys.stdout, indent=None, separators=(",", ":"))
        print()
