#!/usr/bin/env python3
"""Reference values of the likelihood losses: torch's kl_div,
poisson_nll_loss and gaussian_nll_loss (PyTorch 1.13, run here), and
tf.nn's l2_loss and log_poisson_loss (emulated, see below), for
tests/reference_test.cpp, and a differential test.

  /usr/bin/python3 tests/torch/gen_reference_likelihood.py
      writes tests/torch/likelihood_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_likelihood.py --differential 200 --binary build/losscalc
      makes 200 fresh random cases and checks the binary on each

Each case: losscalc arguments (--json), the expected exit status, and for a
success the loss and the gradient with respect to every differentiable data
argument (grad = INPUT, grad_target, and grad_var for gaussian_nll_loss),
with rtol/atol (float64 1e-12, float32 as torch's own rounding allows; atol
relaxed by the magnitudes that a sum adds up, as in
gen_reference_regression.py). Hand-picked cases come first, then random ones.

torch (F.kl_div etc. called as a user calls them; autograd for every
gradient, the target included):
- kl_div: p (ln p - x) with xlogy (0 where p == 0), log_target e^t (t - x).
  Input and target broadcast, with no warning; 'mean' divides by the
  broadcast element count, 'batchmean' by input.size(0) (the *input's*
  first dim, whatever the target's shape), nothing for a 0-d input.
  grad_target is NaN where p <= 0 (d xlogy(p, p)/dp = ln p + p/p).
- poisson_nll_loss: e^x - y x, or x - y ln(x + eps) with --no-log-input;
  --full adds the Stirling term masked where y <= 1 (masked_fill, so its
  gradient still flows as 0 * (ln y, 1/y): NaN where y <= 0). Input and
  target broadcast, with no warning.
- gaussian_nll_loss: var's shape rules are torch's Python code ("var is of
  incorrect size", "var has negative entry/entries"); var is clamped to eps
  under no_grad, so grad_var is taken at v = eps for clamped entries.

tf.nn (TensorFlow cannot be installed here: emulated with torch ops, in the
order of TensorFlow's source, differentiated the way TF's registered
gradients do):
- l2_loss: the L2Loss kernel, (t.square() * 0.5).sum(); gradient t (L2LossGrad
  is inputs[0] * grad).
- log_poisson_loss (nn_impl.py): exp(c) - c * z, and with compute_full_loss
  + where(0 <= z <= 1, 0, z log z - z + 0.5 log(2 pi z)) (so negative z give
  NaN, unlike torch's mask); gradient exp(c) - z (Exp's grad is grad * y,
  Mul's grad * z). Shapes must be equal: ValueError, whose text varies by TF
  version ("log_input and targets must have the same shape (...)" before,
  "`log_input` and `targets` must have the same shape, received (...)."
  after), so the cases ask for "must have the same shape".
"""
import math
import os
import random
import sys
import warnings

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402
from gen_reference_regression import broadcastable_pair, random_shape, run, text, values  # noqa: E402

OUT = os.path.join(HERE, "likelihood_reference_cases.json")
TOL = {"float64": (1e-12, 1e-12), "float32": (2e-6, 1e-6)}
EPS = {"float64": 2.3e-16, "float32": 1.2e-7}
DEFAULT_EPS = {"poisson_nll_loss": 1e-8, "gaussian_nll_loss": 1e-6}
GRAD_KEYS = {
    "kl_div": ["grad", "grad_target"],
    "poisson_nll_loss": ["grad", "grad_target"],
    "gaussian_nll_loss": ["grad", "grad_target", "grad_var"],
    "l2_loss": ["grad"],
    "log_poisson_loss": ["grad"],
}
TF_SHAPE_MESSAGE = "must have the same shape"


# ---------------------------------------------------------------- tf.nn emulation

def tf_l2_loss(t):
    """tensorflow/core/kernels/l2loss_op.h: (input.square() * 0.5).sum()."""
    return (t.square() * 0.5).sum(), [t * 1.0]


def tf_log_poisson_loss(targets, log_input, compute_full_loss):
    """tensorflow/python/ops/nn_impl.py log_poisson_loss, and its gradient
    with respect to log_input (the loss summed: upstream gradient 1)."""
    if tuple(targets.shape) != tuple(log_input.shape):  # get_shape().assert_is_compatible_with
        raise ValueError("`log_input` and `targets` must have the same shape, received (%s vs %s)."
                         % (tuple(log_input.shape), tuple(targets.shape)))
    result = torch.exp(log_input) - log_input * targets
    if compute_full_loss:
        point_five = torch.tensor(0.5, dtype=targets.dtype)
        two_pi = torch.tensor(2 * math.pi, dtype=targets.dtype)
        stirling_approx = (targets * torch.log(targets)) - targets + (point_five * torch.log(two_pi * targets))
        zeros = torch.zeros_like(targets)
        ones = torch.ones_like(targets)
        cond = torch.logical_and(targets >= zeros, targets <= ones)
        result = result + torch.where(cond, zeros, stirling_approx)
    return result, [torch.exp(log_input) - targets]


# ---------------------------------------------------------------- one case

def losscalc_args(fname, red, opts, arrays, dtype):
    args = [fname, "--json"]
    if fname in ("kl_div", "poisson_nll_loss", "gaussian_nll_loss"):
        args.append("--no-warnings")
        if red is not None:
            args += ["-r", red]
    if opts.get("log_target"):
        args.append("--log-target")
    if "log_input" in opts and (not opts["log_input"] or opts.get("explicit")):
        args.append("--log-input" if opts["log_input"] else "--no-log-input")
    if opts.get("full"):
        args.append("--compute-full-loss" if fname == "log_poisson_loss" else "--full")
    if opts.get("eps") is not None:
        args += ["--eps", repr(opts["eps"])]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    return args + [text(a.double()) for a in arrays]


def magnitudes(fname, opts, a):
    """Per element (on the broadcast shape, float64): the magnitude of the
    terms that make the loss, and of those that make each gradient, so that
    a sum of them may round by a few eps of their total."""
    a = [t.double() for t in a]
    if fname in ("kl_div", "poisson_nll_loss", "gaussian_nll_loss"):
        if fname == "gaussian_nll_loss":
            x, y, v = a
            if v.shape != x.shape and tuple(v.shape) == tuple(x.shape[:-1]):
                v = v.unsqueeze(-1)
            x, y, v = torch.broadcast_tensors(x, y, v)
        else:
            x, y = torch.broadcast_tensors(*a)
    if fname == "kl_div":
        if opts.get("log_target"):
            e = y.exp()
            return e * (y.abs() + x.abs()), [e, e * (y.abs() + x.abs() + 1)]
        ly = y.abs().log().abs()
        return y.abs() * (ly + x.abs()), [y.abs(), ly + 1 + x.abs()]
    if fname == "poisson_nll_loss":
        eps = opts.get("eps") if opts.get("eps") is not None else 1e-8
        if opts.get("log_input", True):
            m, gx, gy = x.exp() + (x * y).abs(), x.exp() + y.abs(), x.abs()
        else:
            lx = (x + eps).abs().log().abs()
            m, gx, gy = x.abs() + y.abs() * lx, 1 + (y / (x + eps)).abs(), lx
        if opts.get("full"):
            ly = y.abs().log().abs()
            m = m + y.abs() * (ly + 1) + ly + 1
            gy = gy + ly + 2
        return m, [gx, gy]
    if fname == "gaussian_nll_loss":
        eps = opts.get("eps") if opts.get("eps") is not None else 1e-6
        v = v.clamp(min=eps)
        d = x - y
        g = d.abs() / v
        return 0.5 * (v.log().abs() + d * d / v + 1), [g, g, 0.5 * (1 / v + d * d / (v * v))]
    if fname == "l2_loss":
        return a[0] * a[0] * 0.5, [a[0].abs()]
    c, z = a  # log_poisson_loss
    m = c.exp() + (c * z).abs()
    if opts.get("full"):
        lz = z.abs().log().abs()
        m = m + z.abs() * (lz + 1) + lz + 1
    return m, [c.exp() + z.abs()]


def build(name, fname, red, opts, arrays, dtype="float64"):
    """A case from the data (lists or tensors): the losscalc arguments and
    what the framework gives."""
    dt = torch.float32 if dtype == "float32" else torch.float64
    arrays = [(a if torch.is_tensor(a) else torch.tensor(a, dtype=torch.float64)).to(dt) for a in arrays]
    case = {"name": name, "args": losscalc_args(fname, red, opts, arrays, dtype)}
    leaves = [a.clone().requires_grad_(True) for a in arrays]
    if red is None and fname in ("kl_div", "poisson_nll_loss", "gaussian_nll_loss"):
        red = "mean"  # torch's default; the arguments leave -r out
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div 'mean': losscalc runs with --no-warnings
            if fname == "kl_div":
                loss = F.kl_div(leaves[0], leaves[1], reduction=red, log_target=opts.get("log_target", False))
            elif fname == "poisson_nll_loss":
                loss = F.poisson_nll_loss(leaves[0], leaves[1], log_input=opts.get("log_input", True),
                                          full=opts.get("full", False), reduction=red,
                                          eps=opts["eps"] if opts.get("eps") is not None else 1e-8)
            elif fname == "gaussian_nll_loss":
                loss = F.gaussian_nll_loss(leaves[0], leaves[1], leaves[2], full=opts.get("full", False),
                                           eps=opts["eps"] if opts.get("eps") is not None else 1e-6, reduction=red)
            elif fname == "l2_loss":
                loss, grads = tf_l2_loss(arrays[0])
            else:
                loss, grads = tf_log_poisson_loss(arrays[1], arrays[0], opts.get("full", False))
    except (RuntimeError, ValueError) as exc:
        msg = str(exc).strip()
        if fname == "log_poisson_loss":
            msg = TF_SHAPE_MESSAGE
        elif "The size of tensor" in msg:
            msg = msg[msg.find("The size of tensor"):]
        case["expect"] = {"status": 1, "stderr_contains": msg}
        return case
    if fname in ("kl_div", "poisson_nll_loss", "gaussian_nll_loss"):
        loss.sum().backward() if red == "none" else loss.backward()
        grads = [t.grad for t in leaves]
    expect = {"status": 0, "loss": jsonable(loss.detach().double().tolist())}
    for key, g in zip(GRAD_KEYS[fname], grads):
        expect[key] = jsonable(g.double().tolist())
    case["expect"] = expect
    rtol, atol = TOL[dtype]
    eps = EPS[dtype]
    m, gm = magnitudes(fname, opts, arrays)
    if red == "mean":
        n = m.numel()
    elif red == "batchmean":
        n = arrays[0].shape[0] if arrays[0].dim() else 1
    else:
        n = 1
    if red in ("mean", "sum", "batchmean") or fname == "l2_loss":
        atol = max(atol, 4 * eps * float(m.nan_to_num(0, 0, 0).sum()) / n)
    for a, g in zip(arrays, gm):
        if tuple(a.shape) != tuple(g.shape):  # a gradient summed back over broadcast dims
            atol = max(atol, 4 * eps * float(g.nan_to_num(0, 0, 0).sum()) / n)
    case["rtol"], case["atol"] = rtol, atol
    return case


# ---------------------------------------------------------------- random data

def fill(rng, shape, dtype, draw):
    t = torch.zeros(shape, dtype=torch.float64)
    flat = t.view(-1)
    for k in range(flat.numel()):
        flat[k] = draw(rng)
    return t.to(torch.float32 if dtype == "float32" else torch.float64)


def digits(rng, v):
    return round(v, rng.choice([2, 4, 17]))


def draw_log_prob(rng):
    r = rng.random()
    if r < 0.04:
        return float("-inf")
    if r < 0.06:
        return float("nan")
    if r < 0.09:
        return 0.0
    if r < 0.12:
        return digits(rng, rng.uniform(0, 2))  # not a log-probability: torch takes it anyway
    if r < 0.13:
        return rng.choice([-1e30, 40.0, float("inf")])
    return digits(rng, math.log(rng.uniform(1e-6, 1)))


def draw_prob(rng):
    r = rng.random()
    if r < 0.2:
        return 0.0
    if r < 0.24:
        return -digits(rng, rng.uniform(0, 1))
    if r < 0.26:
        return float("nan")
    if r < 0.27:
        return float("inf")
    if r < 0.31:
        return digits(rng, rng.uniform(1, 3))
    if r < 0.34:
        return 1.0
    return digits(rng, rng.uniform(0, 1))


def draw_count(rng):
    r = rng.random()
    if r < 0.15:
        return 0.0
    if r < 0.27:
        return 1.0
    if r < 0.47:
        return float(rng.randint(2, 8))
    if r < 0.62:
        return digits(rng, rng.uniform(0, 1))
    if r < 0.68:
        return -digits(rng, rng.uniform(0, 3))
    if r < 0.73:
        return rng.choice([1e3, 12345.0, 1e6, 3.5e7])
    if r < 0.75:
        return float("nan")
    if r < 0.76:
        return float("inf")
    return digits(rng, rng.uniform(1, 10))


def draw_rate(rng):
    """An input of poisson_nll_loss --no-log-input (a rate, but not always)."""
    r = rng.random()
    if r < 0.1:
        return 0.0
    if r < 0.16:
        return -digits(rng, rng.uniform(0, 2))
    if r < 0.19:
        return rng.choice([1e-9, 1e-8, -1e-8, 1e-3])
    if r < 0.21:
        return float("nan")
    if r < 0.22:
        return float("inf")
    return digits(rng, rng.uniform(0, 6))


def draw_var(rng):
    r = rng.random()
    if r < 0.04:
        return rng.choice([0.0, 1e-9, 1e-7, 1e-6, 5e-4, -0.0])
    if r < 0.06:
        return float("nan")
    if r < 0.07:
        return float("inf")
    if r < 0.09:
        return rng.choice([1e-30, 1e30])
    return digits(rng, rng.uniform(0.01, 4))


def log_softmax_rows(rng, shape, dtype):
    """Real log-probabilities: log_softmax of random logits over the last dim."""
    z = fill(rng, shape, "float64", lambda r: digits(r, r.uniform(-4, 4)))
    if z.dim() == 0:
        z = torch.zeros((), dtype=torch.float64)
    return z.log_softmax(-1).to(torch.float32 if dtype == "float32" else torch.float64)


def random_kl(rng, name):
    ishape, tshape, _ = broadcastable_pair(rng)
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice(["mean", "sum", "none", "batchmean", "batchmean"])
    log_target = rng.random() < 0.3
    x = log_softmax_rows(rng, ishape, dtype) if rng.random() < 0.5 else fill(rng, ishape, dtype, draw_log_prob)
    if log_target:
        y = log_softmax_rows(rng, tshape, dtype) if rng.random() < 0.4 else fill(rng, tshape, dtype, draw_log_prob)
    else:
        y = log_softmax_rows(rng, tshape, dtype).exp() if rng.random() < 0.3 else fill(rng, tshape, dtype, draw_prob)
    opts = {"log_target": log_target}
    return build("%s kl_div %s vs %s %s %s%s" % (name, list(ishape), list(tshape), red, dtype,
                                                 " log_target" if log_target else ""),
                 "kl_div", red, opts, [x, y], dtype)


def broadcasts(x, y):
    try:
        torch.broadcast_shapes(x.shape, y.shape)
        return True
    except RuntimeError:
        return False


def random_poisson(rng, name):
    ishape, tshape, _ = broadcastable_pair(rng)
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice(["mean", "mean", "sum", "none"])
    log_input = rng.random() < 0.6
    opts = {"log_input": log_input, "full": rng.random() < 0.4,
            "eps": rng.choice([None, None, 1e-8, 1e-3, 0.0]), "explicit": rng.random() < 0.15}
    x = values(rng, ishape, dtype) if log_input else fill(rng, ishape, dtype, draw_rate)
    y = fill(rng, tshape, dtype, draw_count)
    if not log_input and x.numel() < (x + y).numel() if broadcasts(x, y) else False:
        # A broadcast input at x + eps == 0: torch's autograd sums the copies'
        # t / N before it divides by x + eps (-inf), losscalc sums each copy's
        # 1 - t / (x + eps) (NaN where t = 0): they differ only in which
        # non-finite value comes out, and that is not what the cases test.
        e = 1e-8 if opts["eps"] is None else opts["eps"]
        x = torch.where(x + torch.tensor(e, dtype=x.dtype) == 0, torch.tensor(0.5, dtype=x.dtype), x)
    return build("%s poisson_nll_loss %s vs %s %s %s log_input=%s full=%s eps=%s" % (
        name, list(ishape), list(tshape), red, dtype, log_input, opts["full"], opts["eps"]),
        "poisson_nll_loss", red, opts, [x, y], dtype)


def var_shape(rng, ishape):
    """var's shape: one of the three torch accepts, 0-d, or a wrong one."""
    r = rng.random()
    if r < 0.42 or not ishape:
        if not ishape and r >= 0.42:
            return rng.choice([(), (1,), (2,)])
        return ishape
    if r < 0.6:
        return ishape[:-1]
    if r < 0.72:
        return ishape[:-1] + (1,)
    if r < 0.8:
        return ()
    wrong = [ishape[1:] if len(ishape) > 1 else (ishape[0] + 1,), (1,) + ishape, ishape + (1,),
             ishape[:-1] + (ishape[-1] + 1,), tuple(1 for _ in ishape)]
    return rng.choice(wrong)


def random_gaussian(rng, name):
    ishape, tshape, _ = broadcastable_pair(rng)
    if rng.random() < 0.3:
        tshape = ishape
    vshape = var_shape(rng, ishape)
    dtype = rng.choice(["float64", "float64", "float32"])
    red = rng.choice(["mean", "mean", "sum", "none"])
    opts = {"full": rng.random() < 0.35, "eps": rng.choice([None, None, 1e-6, 1e-3, 0.0, 0.1])}
    x = values(rng, ishape, dtype)
    y = values(rng, tshape, dtype)
    v = fill(rng, vshape, dtype, draw_var)
    if rng.random() < 0.06:
        v.view(-1)[rng.randrange(v.numel())] = -rng.choice([1.0, 1e-9, 0.5])
    return build("%s gaussian_nll_loss %s vs %s var %s %s %s full=%s eps=%s" % (
        name, list(ishape), list(tshape), list(vshape), red, dtype, opts["full"], opts["eps"]),
        "gaussian_nll_loss", red, opts, [x, y, v], dtype)


def random_l2(rng, name):
    shape = random_shape(rng)
    dtype = rng.choice(["float64", "float32"])
    return build("%s l2_loss %s %s" % (name, list(shape), dtype), "l2_loss", None, {},
                 [values(rng, shape, dtype)], dtype)


def random_log_poisson(rng, name):
    shape = random_shape(rng)
    tshape = shape
    if rng.random() < 0.12:
        tshape = rng.choice([shape + (1,), shape[:-1] if shape else (1,), (3,) + shape])
    dtype = rng.choice(["float64", "float64", "float32"])
    opts = {"full": rng.random() < 0.5}
    c = values(rng, shape, dtype)
    z = fill(rng, tshape, dtype, draw_count)
    return build("%s log_poisson_loss %s vs %s %s full=%s" % (name, list(shape), list(tshape), dtype, opts["full"]),
                 "log_poisson_loss", None, opts, [c, z], dtype)


RANDOM = [("kl_div", random_kl, 27), ("poisson_nll_loss", random_poisson, 27),
          ("gaussian_nll_loss", random_gaussian, 30), ("l2_loss", random_l2, 7),
          ("log_poisson_loss", random_log_poisson, 9)]


def make_case(rng, name, function=None):
    if function is None:
        function = rng.choices([f for f, _, _ in RANDOM], weights=[w for _, _, w in RANDOM])[0]
    return dict((f, g) for f, g, _ in RANDOM)[function](rng, name)


# ---------------------------------------------------------------- the cases

INF, NAN = float("inf"), float("nan")
LP = [[math.log(0.2), math.log(0.3), math.log(0.5)], [math.log(0.1), math.log(0.6), math.log(0.3)]]
P = [[0.3, 0.3, 0.4], [0.25, 0.25, 0.5]]
HAND = [
    # kl_div
    ("kl_div default reduction (mean)", "kl_div", None, {}, [LP, P]),
    ("kl_div batchmean 2-D (/N)", "kl_div", "batchmean", {}, [LP, P]),
    ("kl_div sum", "kl_div", "sum", {}, [LP, P]),
    ("kl_div none", "kl_div", "none", {}, [LP, P]),
    ("kl_div target exact zeros (xlogy; grad_target NaN there)", "kl_div", "sum", {}, [[-1.2, -0.5, -2.0], [0.0, 0.4, 0.6]]),
    ("kl_div negative target: NaN", "kl_div", "none", {}, [[-1.0, -2.0], [-0.5, 1.5]]),
    ("kl_div -inf input: inf, or NaN against p = 0", "kl_div", "none", {}, [[-INF, -INF, -1.0], [0.5, 0.0, 0.5]]),
    ("kl_div NaN input", "kl_div", "mean", {}, [[NAN, -1.0], [0.5, 0.5]]),
    ("kl_div inf target", "kl_div", "none", {}, [[-1.0, -1.0], [INF, 0.5]]),
    ("kl_div log_target", "kl_div", "batchmean", {"log_target": True}, [LP, [[math.log(0.3), math.log(0.3), math.log(0.4)], [-1.0, -2.0, -0.5]]]),
    ("kl_div log_target -inf target: NaN", "kl_div", "none", {"log_target": True}, [[-1.0, -INF, -0.5], [-INF, -INF, 0.0]]),
    ("kl_div 0-d none", "kl_div", "none", {}, [-0.7, 0.5]),
    ("kl_div 0-d batchmean: no division", "kl_div", "batchmean", {}, [-0.7, 0.5]),
    ("kl_div 0-d mean", "kl_div", "mean", {}, [-0.7, 0.5]),
    ("kl_div 1-D batchmean: / C", "kl_div", "batchmean", {}, [[-1.0, -2.0, -0.5], [0.2, 0.3, 0.5]]),
    ("kl_div 3-D batchmean: / size(0)", "kl_div", "batchmean", {},
     [[[[-1.0, -0.5], [-2.0, -0.1]], [[-0.3, -1.5], [-0.7, -0.7]]], [[[0.1, 0.9], [0.5, 0.5]], [[0.0, 1.0], [0.3, 0.7]]]]),
    ("kl_div broadcast (3,1) vs (3) batchmean: / 3", "kl_div", "batchmean", {}, [[[-1.0], [-2.0], [-0.5]], [0.2, 0.3, 0.5]]),
    ("kl_div broadcast (3) vs (2,3) batchmean: / input.size(0) = 3", "kl_div", "batchmean", {}, [[-1.0, -2.0, -0.5], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]]),
    ("kl_div broadcast (1,3) vs (2,3) batchmean: / 1", "kl_div", "batchmean", {}, [[[-1.0, -2.0, -0.5]], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]]),
    ("kl_div broadcast 0-d input vs (4) batchmean: no division", "kl_div", "batchmean", {}, [-1.0, [0.1, 0.2, 0.3, 0.4]]),
    ("kl_div broadcast (3) vs 0-d target mean", "kl_div", "mean", {}, [[-1.0, -2.0, -0.5], 0.25]),
    ("kl_div (3) vs (4): no broadcast", "kl_div", "sum", {}, [[-1.0, -2.0, -0.5], [0.1, 0.2, 0.3, 0.4]]),
    ("kl_div probabilities as input: negative", "kl_div", "batchmean", {}, [[[0.2, 0.3, 0.5]], [[0.3, 0.3, 0.4]]]),
    # poisson_nll_loss
    ("poisson default (log_input, mean)", "poisson_nll_loss", None, {}, [[0.5, -1.0, 2.0, 0.0, 1.5], [0.0, 1.0, 0.5, 2.0, 10.0]]),
    ("poisson negative and large targets", "poisson_nll_loss", "none", {}, [[0.5, 0.5, 13.0], [-1.0, 1e6, 1e6]]),
    ("poisson --no-log-input x=0 (eps): grad -2e8", "poisson_nll_loss", "none", {"log_input": False}, [[0.0, -1.0, 2.0, 1e-8], [2.0, 2.0, 0.0, 1.0]]),
    ("poisson --no-log-input eps 1e-3", "poisson_nll_loss", "sum", {"log_input": False, "eps": 1e-3}, [[0.0, 1.0, -1e-3], [2.0, 0.0, 1.0]]),
    ("poisson --no-log-input eps 0", "poisson_nll_loss", "none", {"log_input": False, "eps": 0.0}, [[0.0, 1.0, -1e-8], [2.0, 0.0, 1.0]]),
    ("poisson --full Stirling mask y <= 1 (grad_target NaN at y <= 0)", "poisson_nll_loss", "none", {"full": True},
     [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.0, 0.5, 1.0, 1.5, 2.0, -1.0, 1e6]]),
    ("poisson catalogue x=3 y=5 --no-log-input --full: 2.2778", "poisson_nll_loss", "mean", {"log_input": False, "full": True}, [[3.0], [5.0]]),
    ("poisson --log-input explicit, --eps ignored", "poisson_nll_loss", "mean", {"log_input": True, "explicit": True, "eps": 0.5}, [[0.5, 1.0], [1.0, 3.0]]),
    ("poisson broadcast (3,1) vs (3)", "poisson_nll_loss", "mean", {}, [[[0.5], [1.0], [-1.0]], [1.0, 2.0, 0.0]]),
    ("poisson (3) vs (4): no broadcast", "poisson_nll_loss", "mean", {}, [[0.5, 1.0, -1.0], [1.0, 2.0, 0.0, 3.0]]),
    ("poisson 0-d", "poisson_nll_loss", "none", {"full": True}, [0.25, 4.0]),
    ("poisson inf and NaN", "poisson_nll_loss", "none", {}, [[INF, -INF, NAN, 1.0], [1.0, 1.0, 1.0, INF]]),
    # gaussian_nll_loss
    ("gaussian default (mean)", "gaussian_nll_loss", None, {}, [[1.0, 2.0, 3.0], [0.5, 2.5, 2.0], [0.5, 1.0, 2.0]]),
    ("gaussian square (2,2) input, var (2): per row (unsqueezed at -1)", "gaussian_nll_loss", "none", {},
     [[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [1.0, 4.0]]),
    ("gaussian var (N,1)", "gaussian_nll_loss", "sum", {}, [[[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]], [[0.0, 1.0, 0.0], [2.0, 2.0, 2.0]], [[0.5], [2.0]]]),
    ("gaussian 3-D input, var input.shape[:-1]", "gaussian_nll_loss", "mean", {},
     [[[[1.0, 2.0], [0.0, -1.0]], [[0.5, 0.5], [2.0, 3.0]]], [[[0.0, 0.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]], [[1.0, 2.0], [0.5, 3.0]]]),
    ("gaussian var (3) for (2,3) input: incorrect size", "gaussian_nll_loss", "mean", {}, [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [1.0, 2.0, 3.0]]),
    ("gaussian var (2,3,1) for (2,3) input: incorrect size", "gaussian_nll_loss", "mean", {},
     [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[[1.0], [2.0], [3.0]], [[1.0], [2.0], [3.0]]]]),
    ("gaussian 0-d var, 1-D input: accepted", "gaussian_nll_loss", "none", {}, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 2.0]),
    ("gaussian 0-d var, 2-D input: incorrect size", "gaussian_nll_loss", "mean", {}, [[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], 2.0]),
    ("gaussian 0-d input, var (1): loss (1)", "gaussian_nll_loss", "none", {}, [1.5, 0.5, [2.0]]),
    ("gaussian 0-d input, var (3): incorrect size", "gaussian_nll_loss", "none", {}, [1.5, 0.5, [2.0, 1.0, 1.0]]),
    ("gaussian 0-d all", "gaussian_nll_loss", "mean", {"full": True}, [1.5, 0.5, 2.0]),
    ("gaussian negative var", "gaussian_nll_loss", "mean", {}, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, -1.0, 1.0]]),
    ("gaussian NaN var next to a negative one", "gaussian_nll_loss", "mean", {}, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [NAN, -1.0, 1.0]]),
    ("gaussian var below eps: clamped, grad_var at eps", "gaussian_nll_loss", "none", {}, [[1.0, 2.0, 3.0, 0.5], [0.0, 0.0, 0.0, 0.0], [1e-9, 0.0, -0.0, 1e-6]]),
    ("gaussian NaN and inf var", "gaussian_nll_loss", "none", {}, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [NAN, INF, 1.0]]),
    ("gaussian eps 1e-3", "gaussian_nll_loss", "sum", {"eps": 1e-3}, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1e-4, 1e-3, 0.5]]),
    ("gaussian eps 0, var 0", "gaussian_nll_loss", "none", {"eps": 0.0}, [[1.0, 0.0, 2.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1e-300]]),
    ("gaussian full", "gaussian_nll_loss", "mean", {"full": True}, [[1.0, 0.0], [0.0, 0.0], [2.0, 3.0]]),
    ("gaussian broadcast input (3,1) vs target (3), var (3,1)", "gaussian_nll_loss", "mean", {},
     [[[1.0], [2.0], [3.0]], [1.0, 2.0, 4.0], [[1.0], [0.5], [2.0]]]),
    ("gaussian broadcast input (3) vs target (2,3), var 0-d", "gaussian_nll_loss", "none", {},
     [[1.0, 2.0, 3.0], [[1.0, 2.0, 4.0], [0.0, 0.0, 0.0]], 0.5]),
    ("gaussian input (3) vs target (4): no broadcast", "gaussian_nll_loss", "mean", {}, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0]]),
    # l2_loss
    ("l2_loss 1-D", "l2_loss", None, {}, [[1.0, 2.0, 3.0]]),
    ("l2_loss 0-d", "l2_loss", None, {}, [3.0]),
    ("l2_loss 2-D", "l2_loss", None, {}, [[[0.5, -1.5], [2.0, -0.25]]]),
    ("l2_loss NaN", "l2_loss", None, {}, [[1.0, NAN]]),
    ("l2_loss -inf", "l2_loss", None, {}, [[1.0, -INF]]),
    ("l2_loss overflow", "l2_loss", None, {}, [[1e200, 1.0]]),
    # log_poisson_loss
    ("log_poisson_loss", "log_poisson_loss", None, {}, [[0.5, -1.0, 2.0, 0.0], [0.0, 1.0, 2.0, 5.0]]),
    ("log_poisson_loss full: 0 <= z <= 1 masked", "log_poisson_loss", None, {"full": True}, [[0.5, 0.5, 0.5, 0.5, 0.5], [0.0, 0.5, 1.0, 1.5, 1e6]]),
    ("log_poisson_loss full negative target: NaN (torch masks it)", "log_poisson_loss", None, {"full": True}, [[0.5, 0.5], [-1.0, 2.0]]),
    ("log_poisson_loss 0-d", "log_poisson_loss", None, {"full": True}, [1.5, 3.0]),
    ("log_poisson_loss -inf log_input with z 0: NaN", "log_poisson_loss", None, {}, [[-INF, INF, NAN], [0.0, 1.0, 1.0]]),
    ("log_poisson_loss (3) vs (3,1): shapes must be equal", "log_poisson_loss", None, {}, [[0.5, 1.0, 2.0], [[1.0], [2.0], [3.0]]]),
    ("log_poisson_loss 0-d vs (1): shapes must be equal", "log_poisson_loss", None, {}, [0.5, [1.0]]),
]
FLOAT32 = ["kl_div target exact zeros (xlogy; grad_target NaN there)", "kl_div broadcast (3) vs (2,3) batchmean: / input.size(0) = 3",
           "poisson --full Stirling mask y <= 1 (grad_target NaN at y <= 0)", "poisson --no-log-input eps 1e-3",
           "gaussian var below eps: clamped, grad_var at eps", "gaussian full", "l2_loss 2-D", "l2_loss overflow",
           "log_poisson_loss full: 0 <= z <= 1 masked"]
RANDOM_COUNTS = [("kl_div", 95), ("poisson_nll_loss", 95), ("gaussian_nll_loss", 100),
                 ("l2_loss", 22), ("log_poisson_loss", 30)]


def seeded_cases():
    """Cases a person checks by hand, then random ones."""
    cases = [build(name, fname, red, opts, data) for name, fname, red, opts, data in HAND]
    cases += [build(name + " float32", fname, red, opts, data, "float32")
              for name, fname, red, opts, data in HAND if name in FLOAT32]
    rng = random.Random(20261206)
    torch.manual_seed(20261206)
    for fname, count in RANDOM_COUNTS:
        for i in range(count):
            cases.append(make_case(rng, "random %d" % i, fname))
    return cases


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, "tests/torch/gen_reference_likelihood.py")
