#!/usr/bin/env python3
"""optax's margin and embedding losses emulated in numpy, in optax's op
order, with the gradient as JAX's reverse mode computes it (the JVP rules
transposed; tests/torch/OPTAX_NOTES.md, "Margin, embedding and ranking
losses"): hinge_loss, perceptron_loss, multiclass_hinge_loss,
multiclass_perceptron_loss, sparsemax_loss, cosine_similarity,
cosine_distance, triplet_margin_loss, ntxent, multiclass_sparsemax_loss
((N, C) scores), ranking_softmax_loss (without `where`).

JAX cannot be installed here, so nothing below was run under JAX: every op is
a numpy transcription of the source read (optax HEAD 2edbcbe, jax HEAD
cec06d1). float64 cases mean JAX with jax_enable_x64=True; float32 cases use
np.float32 arithmetic throughout (Python-float parameters cast like JAX's
weak types).

  /usr/bin/python3 tests/torch/gen_reference_optax_margin.py \\
      > tests/torch/optax_margin_reference_cases.json

It checks itself first (the values of optax's own *_test.py, the docstring
examples, central differences in float64, JAX's gradients at the kinks) and
exits 1 on a failed check; then prints the cases (fixed seed) as one JSON
object, in the format of gen_reference_optax.py (tests/reference_test.cpp).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_reference_optax import (FAILS, INF, NAN, OptaxError, allclose, argjson, bshape, canon_axis, check,  # noqa: E402
                                 jsonable, unb)

OPTAX = ("optax 0.2.9.dev = google-deepmind/optax HEAD 2edbcbe2390da13983b92cbef94ac0460ecde1c5 "
         "(optax/losses/_classification.py, _regression.py, _self_supervised.py, _ranking.py, projections/_projections.py and their tests); "
         "JAX rules from jax-ml/jax HEAD cec06d116c05f0d52adfceee3d3b730fdbcb0ce5 (lax.py: max_p, "
         "reduce_max_p, sqrt_p, square_p, integer_pow, pow; lax_numpy.clip; nn.one_hot); emulated in numpy, not run")

class UsageError(OptaxError):
    """A parameter optax rejects on its own (exit 2 in losscalc)."""


def bal(x, ans, y):
    """lax.max / lax.min JVP factor for x: [x == ans] / (2 if y == ans else 1)."""
    one = np.ones_like(ans)
    return np.where(x == ans, one, 0 * one) / np.where(y == ans, 2 * one, one)


# ---------------------------------------------------------- the losses ---
# Each takes the data arrays (already of the dtype) and the parameters and
# returns (loss, vjp, extras); vjp(ct) -> list of gradients, one for each
# differentiable argument, in order.

def hinge_loss(x, t):
    T = x.dtype.type
    bshape(x.shape, t.shape)
    prod = x * t
    z = T(1) - prod
    loss = np.maximum(T(0), z)  # jnp.maximum(0, z)

    def vjp(ct):
        ct_z = ct * bal(z, loss, T(0))
        ct_prod = -ct_z
        return [unb(ct_prod * t, x.shape), unb(x * ct_prod, t.shape)]
    return loss, vjp, {"margin": prod}


def perceptron_loss(x, t):
    T = x.dtype.type
    if x.shape != t.shape:  # utils.check_shapes_equal
        raise OptaxError("Shape mismatch: got %s and %s." % (tuple(x.shape), tuple(t.shape)), "Shape mismatch")
    nx = -x
    prod = nx * t
    loss = np.maximum(T(0), prod)

    def vjp(ct):
        ct_p = ct * bal(prod, loss, T(0))
        return [-(ct_p * t), nx * ct_p]
    return loss, vjp, {"margin": x * t}


def sparsemax_loss(x, labels):
    """jax.nn.sparse_plus(jnp.where(labels, -logits, logits))."""
    T = x.dtype.type
    labels = np.asarray(labels, np.float64)
    if labels.ndim:  # jnp.where broadcasts condition, x, y (a 0-d condition is not broadcast)
        try:
            np.broadcast_shapes(labels.shape, x.shape)
        except ValueError:
            raise OptaxError("Incompatible shapes for broadcasting: shapes=[%s, %s, %s]" % (
                tuple(labels.shape), tuple(x.shape), tuple(x.shape)), "Incompatible shapes for broadcasting")
    cond = np.broadcast_to(labels != 0, np.broadcast_shapes(labels.shape, x.shape))  # NaN != 0: true
    nx = -x
    u = np.where(cond, nx, x)
    q = ((u + T(1)) * (u + T(1))) / T(4)  # (x + 1.0)**2 / 4: integer_pow, div
    inner = np.where(u >= T(1), u, q)
    loss = np.where(u <= T(-1), T(0), inner)

    def vjp(ct):
        ct_inner = np.where(u <= T(-1), T(0), ct)
        ct_u = np.where(u >= T(1), ct_inner, T(0))
        ct_q = np.where(u >= T(1), T(0), ct_inner)
        ct_u = ct_u + (ct_q / T(4)) * (T(2) * (u + T(1)))  # the branch not taken still sees its 0
        g = -np.where(cond, ct_u, T(0)) + np.where(cond, T(0), ct_u)
        return [unb(g, x.shape)]
    return loss, vjp, {"signed_logits": u}


def _one_hot(labels, C, T):
    return (np.asarray(labels, np.float64)[..., None] == np.arange(C)).astype(T)  # jax.nn.one_hot: label == iota


def multiclass_hinge_loss(s, labels):
    T = s.dtype.type
    if s.ndim == 0:
        raise OptaxError("tuple index out of range", "tuple index out of range")
    C = s.shape[-1]
    oh = _one_hot(labels, C, T)
    bshape(s.shape, oh.shape)
    v = (s + T(1)) - oh
    m = np.max(v, axis=-1)
    dot = np.sum(s * oh, axis=-1)  # _dot_last_dim (one nonzero term; NaN * 0 stays NaN)
    loss = m - dot

    def vjp(ct):
        ind = (v == m[..., None]).astype(T)
        cnt = ind.sum(-1)
        ct_v = (ct / cnt)[..., None] * ind  # reduce_max's JVP: ties share, divided by the count
        return [unb(ct_v + (-ct)[..., None] * oh, s.shape)]
    return loss, vjp, {"max": m, "label_score": dot}


def multiclass_perceptron_loss(s, labels):
    T = s.dtype.type
    if s.ndim == 0:
        raise OptaxError("tuple index out of range", "tuple index out of range")
    C = s.shape[-1]
    oh = _one_hot(labels, C, T)
    bshape(s.shape[:-1], np.shape(labels))  # jnp.vectorize's batch dims
    m = np.max(s, axis=-1)
    dot = np.sum(s * oh, axis=-1)
    loss = m - dot

    def vjp(ct):
        ct_m = unb(ct, m.shape)
        ind = (s == m[..., None]).astype(T)
        ct_s = (ct_m / ind.sum(-1))[..., None] * ind
        return [ct_s + unb((-ct)[..., None] * oh, s.shape)]
    return loss, vjp, {"max": np.broadcast_to(m, loss.shape), "label_score": dot}


def _cosine(a, b, epsilon, axis):
    T = a.dtype.type
    eps = T(epsilon)

    def unit(x):
        ax = canon_axis(axis, x.ndim)
        n2 = np.sum(np.square(x), axis=ax, keepdims=True)
        cl = np.maximum(eps, n2)  # jnp.clip(n2, min=eps) = maximum(eps, n2)
        nrm = np.sqrt(cl)
        return ax, n2, cl, nrm, x / nrm

    axa, n2a, cla, na, au = unit(a)
    axb, n2b, clb, nb, bu = unit(b)
    s = bshape(a.shape, b.shape)
    axp = canon_axis(axis, len(s))
    cos = np.sum(au * bu, axis=axp)

    def back(x, ax, n2, cl, nrm, ct_u):
        g = ct_u / nrm
        ct_n = np.sum(-((ct_u * (T(1) / (nrm * nrm))) * x), axis=ax, keepdims=True)
        ct_cl = ct_n * (T(0.5) / nrm)
        ct_n2 = ct_cl * bal(n2, cl, eps)
        return g + ct_n2 * (T(2) * x)

    def vjp(ct):
        c = np.broadcast_to(np.expand_dims(ct, axp), s)
        ct_au = unb(c * bu, a.shape)
        ct_bu = unb(au * c, b.shape)
        return [back(a, axa, n2a, cla, na, ct_au), back(b, axb, n2b, clb, nb, ct_bu)]
    return cos, vjp


def cosine_similarity(a, b, epsilon=0.0, axis=-1):
    cos, vjp = _cosine(a, b, epsilon, axis)
    return cos, vjp, {}


def cosine_distance(a, b, epsilon=0.0, axis=-1):
    T = a.dtype.type
    cos, cvjp = _cosine(a, b, epsilon, axis)
    return T(1) - cos, (lambda ct: cvjp(-ct)), {"cos": cos}


def _degree(norm_degree):
    """norm_degree as the CLI text: an int literal is a Python int."""
    if isinstance(norm_degree, str):
        integer = not any(ch in norm_degree for ch in ".eEn")
        v = float(norm_degree)
        norm_degree = int(v) if integer else v
    if norm_degree == 0:
        raise UsageError("division by zero" if isinstance(norm_degree, int) else "float division by zero",
                         "division by zero")
    return norm_degree


def integer_pow(x, y):
    """lax._integer_pow: binary exponentiation, 1 / acc for y < 0."""
    if y == 0:
        return np.ones_like(x)
    rec = y < 0
    y = -y if rec else y
    acc = None
    while y > 0:
        if y & 1:
            acc = x if acc is None else acc * x
        y >>= 1
        if y > 0:
            x = x * x
    return (np.ones_like(acc) / acc) if rec else acc


def triplet_margin_loss(a, p, n, axis=-1, norm_degree="2", margin=1.0, eps=1e-6):
    T = a.dtype.type
    deg = _degree(norm_degree)
    root = T(1 / deg)  # Python's 1 / norm_degree, a weak float: lax.pow

    def pw(x):
        return integer_pow(x, deg) if isinstance(deg, int) else np.power(x, T(deg))

    def pw_back(g, x):
        if isinstance(deg, int):  # _integer_pow_jvp
            if deg == 0:
                return np.zeros_like(g)
            if deg == 1:
                return g
            if deg == 2:
                return g * (T(2) * x)
            return g * (T(deg) * integer_pow(x, deg - 1))
        y = T(deg)
        return g * (y * np.power(x, y - T(1)))  # _pow_jvp_lhs, a float power

    def pair(u, v):
        s = bshape(u.shape, v.shape)
        d = u - v
        ax = canon_axis(axis, len(s))
        inner = np.sum(pw(d), axis=ax) + T(eps)
        dist = np.power(inner, root)

        def back(ct_d):
            ct_in = ct_d * (root * np.power(inner, root - T(1)))
            g = pw_back(np.broadcast_to(np.expand_dims(ct_in, ax), d.shape), d)
            return unb(g, u.shape), unb(-g, v.shape)
        return dist, back

    pd, bp = pair(a, p)
    nd, bn = pair(a, n)
    bshape(pd.shape, nd.shape)
    z = (pd - nd) + T(margin)
    loss = np.maximum(z, T(0))

    def vjp(ct):
        ct_z = ct * bal(z, loss, T(0))
        ga1, gp = bp(unb(ct_z, pd.shape))
        ga2, gn = bn(unb(-ct_z, nd.shape))
        return [ga1 + ga2, gp, gn]
    return loss, vjp, {"distance_positive": pd, "distance_negative": nd}


def ntxent(e, labels, temperature=0.07):
    T = e.dtype.type
    labels = np.asarray(labels, np.float64)
    if labels.ndim == 0 or e.ndim == 0:
        raise OptaxError("tuple index out of range", "tuple index out of range")
    if labels.shape[0] != e.shape[0]:
        raise OptaxError("Labels and embeddings must have the same leading dimension, found %d for labels and %d for "
                         "embeddings." % (labels.shape[0], e.shape[0]), "must have the same leading dimension")
    if e.ndim == 1:
        raise OptaxError("Too many indices: array is 1-dimensional, but 2 were indexed", "Too many indices")
    N = e.shape[0]
    cos, cvjp = _cosine(e[None, :, :], e[:, None, :], np.finfo(T).eps, -1)
    temp = T(temperature)
    xcs = cos / temp
    same = labels[:, None] == labels[None, :]
    diffs = ~same
    matches = (same.astype(np.int64) - np.eye(N, dtype=np.int64)) != 0
    xd = np.where(diffs, xcs, T(-INF))
    xm = np.where(matches, xcs, T(-INF))
    mx = np.max(np.concatenate((xd, xm), axis=-1), axis=1, keepdims=True)
    sd = xd - mx
    sm = xm - mx
    ne = np.exp(sm)
    den = np.sum(np.exp(sd), axis=1, keepdims=True) + ne
    ls = sm - np.log(den)
    M = int(matches.sum())
    S = np.sum(np.where(matches, ls, T(0)))
    loss = np.asarray((-S) / T(M), T)

    def vjp(ct):
        ct_S = -(ct / T(M))
        ct_ls = np.where(matches, ct_S, T(0))
        ct_den = (-ct_ls) / den
        ct_sm = ct_ls + ct_den * ne
        ct_sd = np.sum(ct_den, axis=1, keepdims=True) * np.exp(sd)
        ct_x = np.where(matches, ct_sm, T(0)) + np.where(diffs, ct_sd, T(0))
        ga, gb = cvjp(ct_x / temp)
        return [ga.reshape(e.shape) + gb.reshape(e.shape)]
    return loss, vjp, {"cos": cos, "positive_pairs": T(M)}


def _proj_simplex(v):
    """optax projections._projection_unit_simplex of a 1-D row (values / 1)."""
    T = v.dtype.type
    n = v.shape[0]
    u = np.sort(v)[::-1]
    cs = np.cumsum(u)
    ind = np.arange(n).astype(v.dtype) + T(1)
    cond = T(1) / ind + (u - cs / ind) > 0
    idx = int(np.count_nonzero(cond))
    fi = T(idx)
    return np.maximum(T(1) / fi + (v - cs[idx - 1] / fi), T(0))  # jax.nn.relu


def multiclass_sparsemax_loss(scores, labels):
    """jax.vmap(_multiclass_sparsemax_loss)(scores, labels); losscalc takes
    (N, C) scores and (N) integer labels only."""
    T = scores.dtype.type
    labels = np.asarray(labels)
    if not np.all(labels == np.round(labels)):
        raise OptaxError("Indexer must have integer or boolean type", "Indexer must have integer or boolean type")
    if scores.ndim == 2 and labels.ndim == 1 and labels.shape[0] != scores.shape[0]:
        raise OptaxError("vmap got inconsistent sizes for array axes to be mapped", "inconsistent sizes")
    if scores.ndim != 2 or labels.ndim != 1:  # optax takes more (vmap over axis 0 of anything); losscalc refuses them
        raise OptaxError("scores (N, C) and labels (N)", "scores (N, C) and labels (N)")
    N, C = scores.shape
    P, W, LAB, G_IN = [], [], [], []
    loss = np.zeros(N, T)
    for i in range(N):
        s = scores[i]
        lab = int(labels[i])
        li = lab + C if lab < 0 else lab  # Python-style wrap
        gi = min(max(li, 0), C - 1)  # gather clamps
        p = _proj_simplex(s)
        sp = s - s[gi]
        if 0 <= li < C:
            sp = sp.copy()
            sp[li] = T(0)  # .at[label].set(0.0): out of range dropped
        w = np.where(p != 0, sp, T(0))
        loss[i] = np.dot(p, w) + T(0.5) * (T(1) - np.dot(p, p))
        P.append(p); W.append(w); LAB.append((li, gi))

    def vjp(ct):
        g = np.zeros_like(scores)
        for i in range(N):
            p, w, (li, gi) = P[i], W[i], LAB[i]
            c = ct[i]
            ct_d2 = -(T(0.5) * c)
            ct_p = c * w + (ct_d2 * p + ct_d2 * p)
            ct_w = c * p
            ct_sp = np.where(p != 0, ct_w, T(0))
            if 0 <= li < C:
                ct_sp = ct_sp.copy()
                ct_sp[li] = T(0)
            supp = (p > 0).astype(scores.dtype)
            card = T(np.count_nonzero(supp))
            ct_v = supp * ct_p - supp * (np.dot(supp, ct_p) / card)
            gi_ct = np.zeros(C, scores.dtype)
            gi_ct[gi] = -np.sum(ct_sp)
            g[i] = ct_v + (ct_sp + gi_ct)
        return [g]
    return loss, vjp, {"sparsemax": np.array(P, T).reshape(scores.shape)}


def ranking_softmax_loss(logits, labels, weights=None):
    """optax/losses/_ranking.py ranking_softmax_loss without `where`:
    -sum(labels (* weights) * log_softmax(logits), -1); the reduction (and
    _safe_reduce's NaN mean -> 0) in run()."""
    T = logits.dtype.type
    if logits.ndim == 0:  # log_softmax's jnp.max(x, axis=-1)
        canon_axis(-1, 0)
    labels = labels.astype(logits.dtype)
    if weights is not None:
        weights = np.asarray(weights, logits.dtype)
        bshape(labels.shape, weights.shape)
        labels = labels * weights  # labels *= weights (a new array, broadcast)
    shape = bshape(labels.shape, logits.shape)
    x_max = np.max(logits, axis=-1, keepdims=True, initial=-np.inf)  # NaN propagates
    shifted = logits - x_max
    e = np.exp(shifted)
    S = np.sum(e, axis=-1, keepdims=True)
    lsm = shifted - np.log(S)
    prod = labels * lsm
    loss = -np.sum(prod, axis=-1)

    def vjp(ct):
        ct_prod = np.broadcast_to(-ct[..., None], shape) * labels  # neg, then the sum's broadcast, mul by labels
        ct_lsm = unb(ct_prod, logits.shape)
        ct_S = (-np.sum(ct_lsm, axis=-1, keepdims=True)) / S
        return [ct_lsm + ct_S * e]
    return loss, vjp, {"log_softmax": lsm}


FNS = {"hinge_loss": hinge_loss, "perceptron_loss": perceptron_loss, "sparsemax_loss": sparsemax_loss, "multiclass_hinge_loss": multiclass_hinge_loss,
       "multiclass_perceptron_loss": multiclass_perceptron_loss, "cosine_similarity": cosine_similarity,
       "cosine_distance": cosine_distance, "triplet_margin_loss": triplet_margin_loss, "ntxent": ntxent,
       "ranking_softmax_loss": ranking_softmax_loss, "multiclass_sparsemax_loss": multiclass_sparsemax_loss}
INT_LABELS = ("sparsemax_loss", "multiclass_hinge_loss", "multiclass_perceptron_loss", "ntxent", "multiclass_sparsemax_loss")  # not differentiable, not cast
GRAD_KEYS = {"triplet_margin_loss": ["grad", "grad_positives", "grad_negatives"], "ranking_softmax_loss": ["grad"]}
LOGITS_ONLY = ("ranking_softmax_loss",)  # the gradient of the first argument only


def grad_keys(fn):
    if fn in GRAD_KEYS:
        return GRAD_KEYS[fn]
    return ["grad"] if fn in INT_LABELS else ["grad", "grad_target"]


def run(fn, arrays, dtype="float64", reduction=None, **params):
    """-> (loss, [grads], extras): losscalc's -r mean / sum are jnp.mean / jnp.sum."""
    T = np.float32 if dtype == "float32" else np.float64
    arrs = [np.asarray(a, T) if not (fn in INT_LABELS and k == 1) else np.asarray(a) for k, a in enumerate(arrays)]
    with np.errstate(all="ignore"):
        loss, vjp, extras = FNS[fn](*arrs, **params)
        loss = np.asarray(loss, T)
        if reduction is None:
            ct, out = np.ones(loss.shape, T), loss
        elif reduction == "sum":
            ct, out = np.ones(loss.shape, T), np.asarray(np.sum(loss), T)
        else:
            nn = T(loss.size)
            ct, out = np.full(loss.shape, T(1) / nn, T), np.asarray(np.sum(loss) / nn, T)
            if fn == "ranking_softmax_loss" and np.isnan(out) and not np.isnan(loss).any():
                ct, out = np.zeros(loss.shape, T), np.asarray(0, T)  # _safe_reduce's jnp.where(isnan & valid, 0, mean)
        grads = [np.asarray(g, T) for g in vjp(ct)]
    for g, a in zip(grads, arrs):
        assert g.shape == a.shape, (fn, g.shape, a.shape)
    return out, grads, extras


# ------------------------------------------------------------ self-check ---

FD_RUNS = []


def fd_check(fn, arrays, params, tag):
    """Central differences of sum(loss) in float64, for each differentiable argument."""
    arrays = [np.asarray(a, np.float64) if not (fn in INT_LABELS and k == 1) else a for k, a in enumerate(arrays)]
    _, grads, _ = run(fn, arrays, **params)
    wrt = [0] if fn in INT_LABELS or fn in LOGITS_ONLY else list(range(len(arrays)))
    for k in wrt:
        arr = arrays[k]
        num = np.zeros_like(arr)
        h = 1e-6
        for i in np.ndindex(arr.shape):
            up, dn = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays], [
                a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
            up[k][i] += h
            dn[k][i] -= h
            num[i] = (float(np.sum(run(fn, up, **params)[0])) - float(np.sum(run(fn, dn, **params)[0]))) / (2 * h)
        check(allclose(grads[k], num, rtol=1e-5, atol=1e-6), "finite differences %s arg %d %s: %s vs %s" % (
            fn, k, tag, grads[k].ravel()[:6], num.ravel()[:6]))
    FD_RUNS.append(fn)


def relu(v):
    return np.maximum(v, 0)


def self_check():
    f32 = {"dtype": "float32"}
    # _classification_test.py HingeTest / PerceptronTest: reference_impl = relu(1 - logit (2 label - 1)) / relu(-logit (2 label - 1))
    check(allclose(run("hinge_loss", [10.0, 1.0], **f32)[0], relu(1 - 10.0 * 1.0), atol=1e-4), "HingeTest test_binary")
    lab = np.array([1, 0])
    check(allclose(run("hinge_loss", [[10.0, 20.0], 2.0 * lab - 1.0], **f32)[0], relu(1 - np.array([10.0, 20.0]) * (2.0 * lab - 1)),
                   atol=1e-4), "HingeTest test_batched_binary")
    check(allclose(run("perceptron_loss", [10.0, 1.0], **f32)[0], 0.0, atol=1e-4), "PerceptronTest test_binary")
    check(allclose(run("perceptron_loss", [[10.0, 20.0], 2.0 * lab - 1.0], **f32)[0], [0.0, 20.0], atol=1e-4),
          "PerceptronTest test_batched_binary")
    # HingeTest / PerceptronTest test_multi_class, test_batched_multi_class:
    # max(scores + 1 - one_hot) - scores[label]; max(scores) - scores[label]
    check(allclose(run("multiclass_hinge_loss", [[10.0, 3.0], 1], **f32)[0], 11.0 - 3.0, atol=1e-4), "HingeTest test_multi_class")
    check(allclose(run("multiclass_hinge_loss", [[[10.0, 3.0], [11.0, -2.0]], [1, 0]], **f32)[0], [8.0, 0.0], atol=1e-4),
          "HingeTest test_batched_multi_class")
    check(allclose(run("multiclass_perceptron_loss", [[10.0, 3.0], 1], **f32)[0], 7.0, atol=1e-4), "PerceptronTest test_multi_class")
    check(allclose(run("multiclass_perceptron_loss", [[[10.0, 3.0], [11.0, -2.0]], [1, 0]], **f32)[0], [7.0, 0.0], atol=1e-4),
          "PerceptronTest test_batched_multi_class")
    # _classification_test.py SparsemaxTest test_binary, test_batched_binary (reference_impl of -(2 label - 1) logit)
    def sp_ref(label, logit):
        v = -(2 * label - 1) * logit
        return 0.0 if v <= -1.0 else (v if v >= 1.0 else (v + 1.0) ** 2 / 4)
    check(allclose(run("sparsemax_loss", [10.0, 1], **f32)[0], sp_ref(1, 10.0), atol=1e-4), "SparsemaxTest test_binary")
    check(allclose(run("sparsemax_loss", [[10.0, 20.0], [1, 0]], **f32)[0], [sp_ref(1, 10.0), sp_ref(0, 20.0)], atol=1e-4),
          "SparsemaxTest test_batched_binary")
    r = run("sparsemax_loss", [[0.5, -1.0, 1.0, INF, -INF], [1, 0, 0, 0, 0]])
    check(allclose(r[0], [0.0625, 0.0, 1.0, INF, 0.0]) and allclose(r[1][0][:3], [-0.25, 0.0, 1.0]) and np.isnan(r[1][0][3:]).all(),
          "sparsemax: the kinks at u = -1 (0) and u = 1 (1); NaN at +-inf (the where trap)")
    # _classification_test.py SparsemaxTest test_multi_class_zero_loss / test_multi_class_gradient
    sc = np.array([[0.0, 1e5, 0.0], [1e5, 0.0, 0.0], [0.0, 0.0, 1e5]])
    r = run("multiclass_sparsemax_loss", [sc, np.array([1, 0, 2])], reduction="mean", **f32)
    check(allclose(run("multiclass_sparsemax_loss", [sc, np.array([1, 0, 2])], **f32)[0], [0.0, 0.0, 0.0], atol=1e-4) and
          allclose(r[1][0], np.zeros((3, 3)), atol=1e-4), "SparsemaxTest test_multi_class_zero_loss / gradient")
    # hand: p = sparsemax(s), loss = 0.5 (1 - |p|^2) + p.(s - s_y) (Fenchel-Young); grad = p - one_hot
    r = run("multiclass_sparsemax_loss", [np.array([[0.5, 0.2, -1.0]]), np.array([0])])
    check(allclose(r[2]["sparsemax"], [[0.65, 0.35, 0.0]]) and allclose(r[0], [0.5 * (1 - 0.65 ** 2 - 0.35 ** 2) + 0.35 * -0.3]) and
          allclose(r[1][0], [[-0.35, 0.35, 0.0]]), "multiclass sparsemax hand values")
    # _ranking_test.py RankingLossesTest (reduce_fn=jnp.sum unless said)
    e, l = np.exp, np.log
    den = e(0.0) + e(3.0) + e(1.0) + e(2.0)
    check(allclose(run("ranking_softmax_loss", [[0.0, 3.0, 1.0, 2.0], [0.0, 0.0, 1.0, 1.0]], reduction="sum", **f32)[0],
                   -(l(e(2.0) / den) + l(e(1.0) / den)), rtol=1e-3), "RankingLossesTest test_computes_loss_value")
    check(allclose(run("ranking_softmax_loss", [[0.0, -2.1e26, 3.4e37, 42.0], [0.0, 1.0, 1.0, 0.0]], reduction="sum", **f32)[0],
                   -((-2.1e26 - (0.0 + -2.1e26 + 3.4e37 + 42.0)) + (3.4e37 - (0.0 + -2.1e26 + 3.4e37 + 42.0))), rtol=1e-3),
          "RankingLossesTest test_computes_loss_with_extreme_inputs")
    check(allclose(run("ranking_softmax_loss", [[0.0, 3.0, 1.0, 2.0], [0.0] * 4], reduction="sum", **f32)[0], 0.0, atol=1e-6),
          "RankingLossesTest test_computes_loss_for_zero_labels")
    check(allclose(run("ranking_softmax_loss", [[0.0, 3.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0]], reduction="sum",
                       weights=np.array([1.0, 1.0, 2.0, 1.0], np.float32), **f32)[0],
                   -(2.0 * l(e(2.0) / den) + l(e(1.0) / den)), rtol=1e-3), "RankingLossesTest test_computes_weighted_loss_value")
    den2 = e(3.0) + e(1.0) + e(4.0) + e(2.0)
    check(allclose(run("ranking_softmax_loss", [[[0.0, 3.0, 1.0, 2.0], [3.0, 1.0, 4.0, 2.0]], [[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 0.0]]],
                       **f32)[0], [-(l(e(2.0) / den) + l(e(1.0) / den)), -(2.0 * l(e(3.0) / den2) + l(e(4.0) / den2))], rtol=1e-3),
          "RankingLossesTest test_computes_loss_value_with_vmap")
    ev = np.array([-l(e(2.0) / (e(2.0) + e(1.0) + e(3.0))), -l(e(1.5) / (e(1.0) + e(0.5) + e(1.5)))])
    sc, lb = [[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    check(allclose(run("ranking_softmax_loss", [sc, lb], reduction="mean", **f32)[0], np.sum(ev) / 2.0, rtol=1e-3) and
          allclose(run("ranking_softmax_loss", [sc, lb], reduction="sum", **f32)[0], np.sum(ev), rtol=1e-3),
          "RankingLossesTest test_computes_reduced_loss")
    check(run("ranking_softmax_loss", [sc, lb], **f32)[0].shape == (2,), "RankingLossesTest test_computes_unreduced_loss")
    r = run("ranking_softmax_loss", [[[-INF, 1.0], [-INF, 1.0]], [[1.0, 0.0], [-1.0, 0.0]]], reduction="mean")
    check(allclose(r[0], 0.0) and allclose(r[1][0], np.zeros((2, 2))), "ranking: _safe_reduce's NaN mean of inf and -inf is 0")
    # _regression_test.py CosineDistanceTest (expected from scipy)
    ys = np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]])
    ts = np.array([[0.0, 1.2, 0.2], [1.0, -0.3, 0.0]])
    exp = np.array([0.9358251989, 1.0464068465])
    check(allclose(run("cosine_distance", [ys[0], ts[0]], **f32)[0], exp[0], atol=1e-4), "CosineDistanceTest scalar distance")
    check(allclose(run("cosine_similarity", [ys[0], ts[0]], **f32)[0], 1 - exp[0], atol=1e-4), "CosineDistanceTest scalar similarity")
    check(allclose(run("cosine_distance", [ys, ts], **f32)[0], exp, atol=1e-4), "CosineDistanceTest batched distance")
    check(allclose(run("cosine_similarity", [ys, ts], **f32)[0], 1 - exp, atol=1e-4), "CosineDistanceTest batched similarity")
    rng = np.random.default_rng(5)
    for axis in (0, 1, 2):  # CosineDistanceTest test_axis
        pr, tg = rng.normal(size=(4, 5, 6)), rng.normal(size=(4, 5, 6))
        check(allclose(run("cosine_similarity", [pr, tg], axis=axis)[0],
                       run("cosine_similarity", [np.moveaxis(pr, axis, -1), np.moveaxis(tg, axis, -1)])[0], atol=1e-12),
              "CosineDistanceTest test_axis %d" % axis)
    # _self_supervised_test.py NtxentTest
    ys = np.array([[-1.9540, 1.0780], [0.2380, -0.5703], [1.8745, -0.0195], [-0.6719, -1.9210]])
    ys2 = ys.copy()
    ys2[0] = 0.0
    check(allclose(run("ntxent", [ys, np.array([0, 0, 1, 1])], **f32)[0], 14.01032, atol=1e-4), "NtxentTest exp_1")
    check(allclose(run("ntxent", [ys, np.array([0, 0, 0, 1])], **f32)[0], 8.968544, atol=1e-4), "NtxentTest exp_2")
    check(allclose(run("ntxent", [ys2, np.array([0, 0, 1, 1])], **f32)[0], 9.2889, atol=1e-4), "NtxentTest exp_3")
    # TripletMarginLossTest test_batched (handmade: sqrt(sum((a - p)^2) + eps) over the whole array, broadcast against the rows)
    for a, p, n in ((np.ones((2, 2)), np.zeros((2, 2)), np.ones((2, 2)) * 2), (np.zeros((2, 2)), np.ones((2, 2)), np.ones((2, 2)) * 2)):
        hand = max(np.sqrt(np.sum((a - p) ** 2) + 1e-6) - np.sqrt(np.sum((a - n) ** 2) + 1e-6) + 1.0, 0)
        check(allclose(run("triplet_margin_loss", [a, p, n], **f32)[0], [hand, hand], atol=1e-4), "TripletMarginLossTest test_batched")
    # the triplet docstring example
    check(allclose(run("triplet_margin_loss", [[[0.0, 0.0], [1.0, 1.0]], [[0.1, 0.1], [1.1, 1.1]], [[1.0, 0.0], [0.0, 1.0]]],
                       **f32)[0], [0.1414, 0.1414], atol=1e-4), "triplet docstring")
    # JAX's gradients at the kinks (hand facts)
    r = run("hinge_loss", [[0.5, 2.0, -1.0], [2.0, 0.5, -1.0]])
    check(allclose(r[1][0], [-1.0, -0.25, 0.5]) and allclose(r[1][1], [-0.25, -1.0, 0.5]), "hinge: 1 - x t = 0 halves the slope")
    r = run("perceptron_loss", [[0.0, -1.0], [1.0, 1.0]])
    check(allclose(r[1][0], [-0.5, -1.0]) and allclose(r[1][1], [0.0, 1.0]), "perceptron: x t = 0 halves the slope")
    r = run("multiclass_perceptron_loss", [[3.0, 3.0, 1.0], 2])
    check(allclose(r[1][0], [0.5, 0.5, -1.0]), "multiclass perceptron: two tied maxima share the gradient")
    r = run("multiclass_hinge_loss", [[3.0, 2.0, 4.0], 2])
    check(allclose(r[0], 0.0) and allclose(r[1][0], [0.5, 0.0, -0.5]), "multiclass hinge: s[y] beats another score by 1 exactly (a tie in the max)")
    r = run("multiclass_hinge_loss", [[1.0, 2.0], 5])
    check(allclose(r[0], 3.0) and allclose(r[1][0], [0.0, 1.0]), "multiclass hinge: an out-of-range label has no one-hot")
    r = run("cosine_similarity", [[0.0, 0.0], [1.0, 2.0]])
    check(np.isnan(r[0]) and np.isnan(r[1][0]).all(), "cosine: a zero vector with epsilon 0 is NaN")
    r = run("cosine_similarity", [[0.0, 0.0], [3.0, 4.0]], epsilon=0.25)
    check(allclose(r[0], 0.0) and allclose(r[1][0], [0.6 / 0.5, 0.8 / 0.5]) and allclose(r[1][1], [0.0, 0.0]),
          "cosine: a zero vector with epsilon > 0")
    r = run("cosine_similarity", [[0.6, 0.8], [0.0, 1.0]], epsilon=1.0)
    x = np.array([0.6, 0.8])
    tang = (np.array([0.0, 1.0]) - 0.8 * x)  # the unclipped gradient, tangential part
    check(allclose(r[1][0], np.array([0.0, 1.0]) - 0.5 * 0.8 * x, atol=1e-15) and allclose(tang, [-0.48, 0.36]),
          "cosine: sum x^2 == epsilon halves the norm's gradient (jnp.clip's maximum)")
    r = run("triplet_margin_loss", [[[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 4.0]]], margin=-1.0, eps=0.0)
    check(allclose(r[0], [0.0]) and allclose(r[1][1], [[0.3, 0.4]]), "triplet: the margin met exactly halves the gradient")
    try:
        run("triplet_margin_loss", [[1.0], [0.0], [2.0]], norm_degree="0")
        check(False, "norm_degree 0 raises")
    except UsageError:
        pass
    # finite differences (float64, smooth points)
    for k in range(3):
        shape = [(5,), (3, 4), (2, 3, 2)][k]
        fd_check("hinge_loss", [rng.normal(size=shape) * 2, np.sign(rng.normal(size=shape)) * rng.uniform(0.5, 1.5, size=shape)], {}, str(shape))
        fd_check("perceptron_loss", [rng.normal(size=shape), rng.normal(size=shape)], {}, str(shape))
        fd_check("sparsemax_loss", [rng.normal(size=shape) * 1.5, rng.integers(0, 2, size=shape)], {}, str(shape))
        lab = rng.integers(0, shape[-1], size=shape[:-1])
        fd_check("multiclass_hinge_loss", [rng.normal(size=shape) * 2, lab], {}, str(shape))
        fd_check("multiclass_perceptron_loss", [rng.normal(size=shape) * 2, lab], {}, str(shape))
        for fn in ("cosine_similarity", "cosine_distance"):
            ax = [-1, 0, 1][k]
            fd_check(fn, [rng.normal(size=shape), rng.normal(size=shape)], {"axis": ax, "epsilon": [0.0, 0.1, 1e-3][k]}, str(shape))
        tshape = [(4,), (3, 4), (2, 3, 2)][k]
        for deg in ("2", "1.5", "3", "4.0"):
            a = rng.normal(size=tshape)
            p, n = a + rng.uniform(0.2, 1.0, size=tshape), a + rng.uniform(0.2, 1.5, size=tshape)
            fd_check("triplet_margin_loss", [a, p, n], {"norm_degree": deg, "margin": 0.5 + k, "axis": [-1, 1, 0][k]},
                     "%s deg %s" % (tshape, deg))
    fd_check("cosine_distance", [rng.normal(size=(2, 3)), rng.normal(size=(3,))], {}, "broadcast")
    fd_check("triplet_margin_loss", [rng.normal(size=(2, 3)), rng.normal(size=(3,)), rng.normal(size=(1, 3))], {"margin": 3.0},
             "broadcast")
    for shape in ((4,), (3, 4), (2, 3, 2)):
        fd_check("ranking_softmax_loss", [rng.normal(size=shape) * 2, rng.uniform(-0.5, 2.0, size=shape)], {}, str(shape))
        fd_check("ranking_softmax_loss", [rng.normal(size=shape), rng.uniform(size=shape)], {"weights": rng.uniform(size=shape[-1:])},
                 str(shape) + " weights")
    fd_check("ranking_softmax_loss", [rng.normal(size=(1, 3)), rng.uniform(size=(2, 3))], {}, "logits broadcast")
    for shape in ((1, 4), (3, 4), (5, 3)):
        sc = rng.normal(size=shape) * 2
        fd_check("multiclass_sparsemax_loss", [sc, rng.integers(0, shape[1], size=shape[0])], {}, str(shape))
    for labs in ([0, 0, 1, 1], [0, 1, 0, 2, 1], [3, 3, 3]):
        fd_check("ntxent", [rng.normal(size=(len(labs), 3)), np.array(labs)], {"temperature": [0.07, 0.5, 1.0][len(labs) % 3]},
                 str(labs))
    return not FAILS


# ----------------------------------------------------------------- cases ---

CASES = []
COUNT = {}
OPTION = {"axis": "--axis", "epsilon": "--epsilon", "norm_degree": "--norm-degree", "margin": "--margin", "eps": "--eps",
          "temperature": "--temperature"}


def fmt(v):
    return v if isinstance(v, str) else (str(int(v)) if isinstance(v, (int, np.integer)) else repr(float(v)))


def add(fn, arrays, dtype="float64", reduction=None, tag="", **params):
    T = np.float32 if dtype == "float32" else np.float64
    arrays = [np.asarray(a, np.float64) for a in arrays]
    args = ["optax." + fn, "--json", "--no-warnings"]
    if reduction:
        args += ["-r", reduction]
    elif fn == "ranking_softmax_loss":
        args += ["-r", "none"]  # reduce_fn=None (losscalc's default for it is -r mean, optax's jnp.mean)
    if dtype == "float32":
        args += ["--dtype", "float32"]
    for k, v in params.items():
        if k == "weights":
            params[k] = v = np.asarray(v, np.float64).astype(T)
            args += ["--weights", argjson(v)]
            continue
        args += [OPTION[k], fmt(v)]
    for k, a in enumerate(arrays):
        label = fn in INT_LABELS and k == 1
        args.append(argjson(a if label else a.astype(T), integer=label and bool(np.all(a == np.round(a)))))
    pstr = " ".join("%s=%s" % (k, str(list(v.shape)) if k == "weights" else fmt(v)) for k, v in params.items())
    name = "optax.%s %s %s %s%s%s" % (fn, dtype, tag, " ".join(str(list(a.shape)) for a in arrays), (" " + pstr) if pstr else "",
                                       (" -r " + reduction) if reduction else "")
    f32 = dtype == "float32"
    try:
        loss, grads, extras = run(fn, arrays, dtype, reduction, **params)
        expect = {"status": 0, "loss": jsonable(loss)}
        for key, g in zip(grad_keys(fn), grads):
            expect[key] = jsonable(g)
        for key, v in extras.items():
            expect[key] = jsonable(v)
    except UsageError as e:
        expect = {"status": 2, "stderr_contains": e.key}
        name += " (optax: %s)" % e
    except OptaxError as e:
        expect = {"status": 1, "stderr_contains": e.key}
        name += " (optax: %s)" % e
    v = np.concatenate([np.abs(a).ravel() for a in arrays])
    v = v[np.isfinite(v)]
    scale = min(float(v.max()), 1e3) if v.size else 0.0
    # as gen_reference_optax.py: rtol 2e-6 (float32) / 1e-12, atol of 2 ulp of
    # the largest input. ntxent divides by the temperature (x 14 at 0.07) and
    # sums exponentials: its atol is scaled by 1 / temperature.
    if fn == "ntxent":
        scale = max(scale, 1.0) / params.get("temperature", 0.07)
    atol = max(1e-6, 2.0 ** -22 * scale) if f32 else max(1e-12, 2.0 ** -50 * scale)
    CASES.append({"name": name, "args": args, "expect": expect, "rtol": 2e-6 if f32 else 1e-12, "atol": atol})
    COUNT[fn] = COUNT.get(fn, 0) + 1


def rshape(rng, min_rank=1, max_rank=3, min_last=1):
    r = int(rng.integers(min_rank, max_rank + 1))
    s = [int(rng.integers(1, 5)) for _ in range(r)]
    s[-1] = max(s[-1], min_last)
    return tuple(s)


def red_of(k):
    return "mean" if k % 7 == 3 else ("sum" if k % 7 == 5 else None)


def gen_binary(rng, fn):
    for k in range(40):
        dtype = "float32" if k % 3 == 2 else "float64"
        s = rshape(rng, 0 if k % 10 == 0 else 1)
        x = rng.normal(size=s) * 2
        t = np.where(rng.uniform(size=s) < 0.5, -1.0, 1.0) if k % 4 else rng.normal(size=s)
        if k % 5 == 1:  # kinks: x t = 1 (hinge) or x t = 0 (perceptron) at some elements
            m = rng.uniform(size=s) < 0.5
            x = np.where(m, (1.0 if fn == "hinge_loss" else 0.0) * t, x)
        add(fn, [x, t], dtype, red_of(k), "random")
    add(fn, [[1.0, -1.0, 0.5, 2.0, 0.0, -0.0], [1.0, -1.0, 2.0, 0.5, 1.0, -1.0]], tag="kinks")
    add(fn, [[1.0, -1.0, 0.5, 0.0], [1.0, -1.0, 2.0, -1.0]], "float32", tag="kinks")
    add(fn, [[INF, -INF, NAN, 1.0, 3.0], [1.0, 1.0, 1.0, NAN, INF]], tag="inf nan")
    add(fn, [[0.3, -2.0, 5.0], [0.0, 1.0, 0.0]], tag="0/1 labels not mapped")
    add(fn, [rng.normal(size=(2, 3)), np.array([1.0, -1.0, 1.0])], tag="broadcast" if fn == "hinge_loss" else "shapes")
    add(fn, [rng.normal(size=(3, 1)), np.array([1.0, -1.0])], tag="broadcast" if fn == "hinge_loss" else "shapes")
    add(fn, [rng.normal(size=(3,)), np.array([1.0, -1.0])], tag="shapes")
    add(fn, [rng.normal(size=(2, 2)), np.array([[1.0, -1.0]])], "float32", "sum", tag="broadcast" if fn == "hinge_loss" else "shapes")


def gen_sparsemax(rng):
    fn = "sparsemax_loss"
    for k in range(36):
        dtype = "float32" if k % 3 == 2 else "float64"
        s = rshape(rng, 0 if k % 9 == 0 else 1)
        x = rng.normal(size=s) * 1.5
        y = rng.integers(0, 2, size=s).astype(float)
        if k % 5 == 1:
            x = np.where(rng.uniform(size=s) < 0.5, np.where(y == 1, -1.0, 1.0) * rng.choice([-1.0, 1.0], size=s), x)  # u = +-1
        add(fn, [x, y], dtype, red_of(k), "random")
    add(fn, [[0.5, -1.0, 1.0, -0.5, 1.0, -1.0], [1, 0, 0, 0, 1, 1]], tag="kinks u = +-1")
    add(fn, [[0.5, -1.0, 1.0, 3.0], [1, 0, 0, 1]], "float32", tag="kinks u = +-1")
    add(fn, [[INF, -INF, NAN, 2.0, 0.3], [0, 0, 0, NAN, 2]], tag="inf nan, a NaN or 2 label counts as 1")
    add(fn, [rng.normal(size=(2, 3)), np.array([1, 0, 1])], tag="broadcast")
    add(fn, [rng.normal(size=(3,)), np.array([[1], [0]])], tag="broadcast labels larger")
    add(fn, [rng.normal(size=(2, 3)), 1], tag="a 0-d label")
    add(fn, [rng.normal(size=(2, 3)), np.array([1, 0])], tag="shapes")
    add(fn, [[10.0, 20.0], [1, 0]], "float32", "mean", tag="optax test values")


def gen_multiclass(rng, fn):
    for k in range(40):
        dtype = "float32" if k % 3 == 2 else "float64"
        s = rshape(rng, 1, 3, min_last=2)
        x = rng.normal(size=s) * 2
        if k % 5 == 1:  # ties: rounded scores
            x = np.round(x)
        lab = rng.integers(0, s[-1], size=s[:-1]) if len(s) > 1 else int(rng.integers(0, s[-1]))
        add(fn, [x, lab], dtype, red_of(k), "random")
    add(fn, [[[3.0, 3.0, 1.0], [3.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], [2, 0, 2, 1]], tag="ties")
    add(fn, [[[3.0, 3.0, 3.0], [1.0, 0.0, 1.0]], [0, 1]], "float32", tag="ties")
    add(fn, [[[1.0, 2.0, 3.0]] * 5, [3, -1, -3, 7, 1]], tag="out-of-range labels: no one-hot")
    add(fn, [[[1.0, 2.0, 3.0]] * 3, [0.5, 1.0, 2.5]], tag="float labels: no one-hot for 0.5")
    add(fn, [[[NAN, 0.0, 1.0], [INF, 0.0, 1.0], [-INF, 0.0, 1.0]], [1, 1, 0]], tag="nan inf")
    add(fn, [[[10.0, 3.0], [11.0, -2.0]], [1, 0]], "float32", tag="optax test values")
    add(fn, [rng.normal(size=(2, 3)), 1], tag="one label for all rows")
    add(fn, [rng.normal(size=(3,)), np.array([0, 1])], tag="labels broadcast (3,) scores")
    add(fn, [rng.normal(size=(2, 3)), np.array([0, 1, 2])], tag="shapes")
    add(fn, [rng.normal(size=(2, 3)), np.array([[0], [1]])], tag="labels of the scores' rank")
    add(fn, [2.5, 0], tag="0-d scores")


def gen_cosine(rng, fn):
    for k in range(45):
        dtype = "float32" if k % 3 == 2 else "float64"
        s = rshape(rng, 1, 3, min_last=1)
        nd = len(s)
        params = {}
        ax = [None, -1, 0, nd - 1, -nd][k % 5]
        if ax is not None:
            params["axis"] = ax
        if k % 4 == 1:
            params["epsilon"] = [1e-8, 0.5, 2.0][k % 3]
        x, y = rng.normal(size=s), rng.normal(size=s)
        if k % 6 == 4:
            y = x * rng.uniform(0.5, 2.0)  # parallel
        add(fn, [x, y], dtype, red_of(k), "random", **params)
    add(fn, [[[0.0, 0.0], [1.0, 2.0]], [[1.0, 1.0], [0.0, 0.0]]], tag="zero vectors, epsilon 0: NaN")
    add(fn, [[[0.0, 0.0], [1.0, 2.0]], [[1.0, 1.0], [0.0, 0.0]]], tag="zero vectors", epsilon=1e-6)
    add(fn, [[[0.0, 0.0], [1.0, 2.0]], [[3.0, 4.0], [0.0, 0.0]]], "float32", tag="zero vectors", epsilon=0.25)
    add(fn, [[[0.6, 0.8], [3.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]], tag="sum x^2 == epsilon", epsilon=1.0)
    add(fn, [[[0.6, 0.8], [3.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]], "float32", tag="sum x^2 == epsilon", epsilon=25.0)
    add(fn, [[[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]], [[0.0, 1.2, 0.2], [1.0, -0.3, 0.0]]], "float32", tag="optax test values")
    add(fn, [[[1e200, 1e-200], [INF, 1.0], [NAN, 1.0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]], tag="overflow inf nan", epsilon=1e-12)
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(3,))], tag="broadcast")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2, 1))], tag="broadcast")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2,))], tag="shapes")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2, 3))], tag="bad axis", axis=2)
    add(fn, [rng.normal(size=(3,)), rng.normal(size=(3,))], tag="bad axis", axis=-2)
    add(fn, [1.5, 2.0], tag="0-d")


def gen_triplet(rng):
    fn = "triplet_margin_loss"
    degs = [None, "2", "1", "3", "2.0", "1.5", "4", "-1"]
    for k in range(56):
        dtype = "float32" if k % 3 == 2 else "float64"
        s = rshape(rng, 1, 3)
        nd = len(s)
        params = {}
        ax = [None, -1, 0, nd - 1][k % 4]
        if ax is not None:
            params["axis"] = ax
        if degs[k % 8] is not None:
            params["norm_degree"] = degs[k % 8]
        if k % 5 == 2:
            params["margin"] = [0.0, 0.3, 2.5][k % 3]
        if k % 7 == 3:
            params["eps"] = [0.0, 1e-3, 0.5][k % 3]
        a = rng.normal(size=s)
        p, n = rng.normal(size=s), rng.normal(size=s)
        add(fn, [a, p, n], dtype, red_of(k), "random", **params)
    add(fn, [[[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 4.0]]], tag="margin met exactly", margin=-1.0, eps=0.0)
    add(fn, [[[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 4.0]]], "float32", tag="margin met exactly", margin=-1.0, eps=0.0)
    add(fn, [[[1.0, 2.0], [0.5, 0.5]], [[1.0, 2.0], [0.5, 0.5]], [[1.0, 2.0], [0.0, 0.0]]], tag="identical vectors")
    add(fn, [[[1.0, 2.0]], [[1.0, 2.0]], [[3.0, 2.0]]], tag="identical vectors, eps 0: inf gradient", eps=0.0)
    add(fn, [[[0.0, 0.0], [1.0, 1.0]], [[0.1, 0.1], [1.1, 1.1]], [[1.0, 0.0], [0.0, 1.0]]], "float32", tag="docstring")
    add(fn, [np.ones((2, 2)), np.zeros((2, 2)), np.ones((2, 2)) * 2], "float32", tag="optax test values")
    add(fn, [[[0.0, 0.0]], [[1.0, -2.0]], [[0.5, 0.5]]], tag="odd degree: negative sum, NaN", norm_degree="3")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(3,)), rng.normal(size=(1, 3))], tag="broadcast")
    add(fn, [rng.normal(size=(3,)), rng.normal(size=(2, 3)), rng.normal(size=(3,))], tag="broadcast")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2,)), rng.normal(size=(2, 3))], tag="shapes")
    add(fn, [rng.normal(size=(1, 3)), rng.normal(size=(2, 3)), rng.normal(size=(4, 3))], tag="distances' shapes")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))], tag="bad axis", axis=2)
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))], tag="degree 0", norm_degree="0")
    add(fn, [rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))], tag="degree 0.0", norm_degree="0.0")


def gen_ntxent(rng):
    fn = "ntxent"
    for k in range(30):
        dtype = "float32" if k % 3 == 2 else "float64"
        N, D = int(rng.integers(2, 7)), int(rng.integers(1, 5))
        e = rng.normal(size=(N, D))
        lab = rng.integers(0, max(1, N // 2), size=N)
        params = {} if k % 4 == 0 else {"temperature": [0.07, 0.5, 1.0, 0.1][k % 4]}
        add(fn, [e, lab], dtype, red_of(k), "random", **params)
    ys = np.array([[-1.9540, 1.0780], [0.2380, -0.5703], [1.8745, -0.0195], [-0.6719, -1.9210]])
    ys2 = ys.copy()
    ys2[0] = 0.0
    add(fn, [ys, [0, 0, 1, 1]], "float32", tag="optax test values")
    add(fn, [ys, [0, 0, 0, 1]], "float32", tag="optax test values")
    add(fn, [ys2, [0, 0, 1, 1]], "float32", tag="optax test values: a zero embedding")
    add(fn, [ys2, [0, 0, 1, 1]], tag="a zero embedding")
    add(fn, [ys, [0, 1, 2, 3]], tag="no positive pair: NaN")
    add(fn, [ys, [5, 5, 5, 5]], tag="no negatives")
    add(fn, [[[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], [0, 0, 1]], tag="equal embeddings")
    add(fn, [[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], [0, 0, 1]], "float32", tag="exp underflow", temperature=0.005)
    add(fn, [[[1.0, 0.0]], [0]], tag="one sample")
    add(fn, [ys, [0, 0, 1]], tag="labels shape")
    add(fn, [[1.0, 2.0, 3.0], [0, 0, 1]], tag="1-D embeddings")


def gen_multiclass_sparsemax(rng):
    fn = "multiclass_sparsemax_loss"
    for k in range(40):
        dtype = "float32" if k % 3 == 2 else "float64"
        N, C = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        x = rng.normal(size=(N, C)) * [0.3, 1.0, 3.0][k % 3]
        if k % 5 == 1:
            x = np.round(x * 2) / 2  # ties, supports on the edge
        lab = rng.integers(0, C, size=N)
        add(fn, [x, lab], dtype, red_of(k), "random")
    sc = [[0.0, 1e5, 0.0], [1e5, 0.0, 0.0], [0.0, 0.0, 1e5]]
    add(fn, [sc, [1, 0, 2]], "float32", tag="optax test values")
    add(fn, [sc, [1, 0, 2]], "float32", "mean", tag="optax test gradient")
    add(fn, [[[0.5, 0.2, -1.0], [1.0, 1.0, 1.0], [2.0, 0.0, 0.0]], [0, 1, 1]], tag="hand values, ties, a one-hot p")
    add(fn, [[[0.5, 0.2, -1.0], [1.0, 1.0, 1.0]], [0, 1]], "float32", tag="hand values, ties")
    add(fn, [[[0.5, 0.2, -1.0], [0.5, 0.2, -1.0]], [-1, -3]], tag="negative labels wrap")
    add(fn, [[[0.5, 0.2, -1.0], [0.5, 0.2, -1.0]], [3, -4]], tag="out-of-range labels: the gather clamps, the set is dropped")
    add(fn, [[[INF, 0.0, 1.0], [-INF, 0.0, 1.0]], [0, 1]], tag="inf")
    add(fn, [[[0.5, 0.2, -1.0]], [0.5]], tag="float labels")
    add(fn, [rng.normal(size=(2, 3)), [0, 1, 2]], tag="inconsistent sizes")
    add(fn, [rng.normal(size=(3,)), [0, 1, 2]], tag="1-D scores")
    add(fn, [rng.normal(size=(2, 3)), 1], tag="a 0-d label")
    add(fn, [rng.normal(size=(2, 2, 3)), [0, 1]], tag="3-D scores")


def gen_ranking(rng):
    fn = "ranking_softmax_loss"
    for k in range(40):
        dtype = "float32" if k % 3 == 2 else "float64"
        s = rshape(rng, 1, 3, min_last=1)
        x = rng.normal(size=s) * 2
        if k % 5 == 1:
            x = np.round(x)  # ties
        y = rng.integers(0, 3, size=s).astype(float) if k % 4 else rng.uniform(-0.5, 2.0, size=s)
        params = {}
        if k % 6 == 2:
            params["weights"] = rng.uniform(0.0, 2.0, size=s if k % 12 == 2 else s[-1:])
        red = ["mean", None, "sum", "mean"][k % 4] if k % 7 != 3 else None
        add(fn, [x, y], dtype, red, "random", **params)
    t = [[0.0, 3.0, 1.0, 2.0], [0.0, 0.0, 1.0, 1.0]]
    add(fn, t, "float32", "sum", tag="optax test values")
    add(fn, t, tag="optax test values")
    add(fn, [[0.0, -2.1e26, 3.4e37, 42.0], [0.0, 1.0, 1.0, 0.0]], "float32", "sum", tag="optax extreme inputs")
    add(fn, [[0.0, 3.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0]], "float32", "sum", tag="optax zero labels")
    add(fn, [[0.0, 3.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0]], "float32", "sum", tag="optax weighted", weights=[1.0, 1.0, 2.0, 1.0])
    add(fn, [[[0.0, 3.0, 1.0, 2.0], [3.0, 1.0, 4.0, 2.0]], [[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 1.0, 0.0]]], "float32", tag="optax vmap")
    add(fn, [[[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]], "float32", "mean", tag="optax reduced")
    add(fn, [[[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]], "float32", "sum", tag="optax reduced")
    add(fn, [[[-INF, 1.0, 2.0], [NAN, 0.0, 1.0], [INF, 0.0, 1.0]], [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]], tag="inf nan")
    add(fn, [[[-INF, 1.0], [-INF, 1.0]], [[1.0, 0.0], [-1.0, 0.0]]], "float64", "mean", tag="inf - inf: the mean is 0")
    add(fn, [[[-INF, 1.0], [-INF, 1.0]], [[1.0, 0.0], [-1.0, 0.0]]], "float64", "sum", tag="inf - inf: the sum is NaN")
    add(fn, [[[-INF, 1.0, 0.0]], [[0.0, 1.0, 0.0]]], tag="-inf logit with label 0: NaN")
    add(fn, [rng.normal(size=(2, 3)), np.array([1.0, 0.0, 2.0])], "float64", "mean", tag="labels broadcast")
    add(fn, [rng.normal(size=(1, 3)), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])], "float64", "sum", tag="logits broadcast")
    add(fn, [rng.normal(size=(2, 3)), 1.0], tag="a 0-d label")
    add(fn, [rng.normal(size=(2, 3)), rng.uniform(size=(2, 3))], "float32", tag="weights (2, 1)", weights=rng.uniform(size=(2, 1)))
    add(fn, [rng.normal(size=(2, 3)), np.array([1.0, 0.0])], tag="shapes")
    add(fn, [rng.normal(size=(2, 3)), rng.uniform(size=(2, 3))], tag="weights shapes", weights=[1.0, 2.0])
    add(fn, [2.0, 1.0], tag="0-d logits")


def cases():
    rng = np.random.default_rng(20261206)
    for fn in ("hinge_loss", "perceptron_loss"):
        gen_binary(rng, fn)
    for fn in ("multiclass_hinge_loss", "multiclass_perceptron_loss"):
        gen_multiclass(rng, fn)
    gen_sparsemax(rng)
    for fn in ("cosine_similarity", "cosine_distance"):
        gen_cosine(rng, fn)
    gen_triplet(rng)
    gen_ntxent(rng)
    gen_ranking(rng)
    gen_multiclass_sparsemax(rng)
    return CASES


if __name__ == "__main__":
    if not self_check():
        print("self-check: %d failure(s)" % len(FAILS), file=sys.stderr)
        sys.exit(1)
    print("self-check passed (%d finite-difference checks over %d functions)" % (len(FD_RUNS), len(set(FD_RUNS))), file=sys.stderr)
    cs = cases()
    print("%d cases: %s" % (len(cs), ", ".join("%s %d" % kv for kv in COUNT.items())), file=sys.stderr)
    json.dump({"generator": "tests/torch/gen_reference_optax_margin.py", "optax": OPTAX, "cases": cs}, sys.stdout,
              indent=None, separators=(",", ":"), allow_nan=False)
    print()
