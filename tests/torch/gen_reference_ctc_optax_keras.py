#!/usr/bin/env python3
"""Reference values of optax.ctc_loss and Keras 3's CTC for
tests/reference_test.cpp, and a differential test. Neither optax (JAX) nor
Keras is installed here: torch 1.13 is.

  /usr/bin/python3 tests/torch/gen_reference_ctc_optax_keras.py
      writes tests/torch/ctc_optax_keras_reference_cases.json (fixed seed)
  /usr/bin/python3 tests/torch/gen_reference_ctc_optax_keras.py --differential 200 --binary build/losscalc
      makes 200 fresh random cases and checks the binary on each

optax.ctc_loss --json --no-warnings [--blank-id B] [--log-epsilon E] [-r mean|sum]
    [--dtype float32] LOGITS LOGIT_PADDINGS LABELS LABEL_PADDINGS
  optax (google-deepmind/optax 2edbcbe, optax/losses/_classification.py,
  ctc_loss_with_forward_probs) translated line by line into torch below
  (optax_emulation): log_softmax, the phi/emit recursion with log_epsilon in
  place of -inf (the forbidden moves added with log_epsilon, not left out),
  the padded frames keeping the states, repeat compared on the raw labels
  (padding included), one_hot's zero row for a padded value outside [0, K),
  the loss -phi_last[N - sum(label_paddings)]. The gradient w.r.t. the
  logits is torch's autograd of that translation, as jax.grad would take it
  (torch.logaddexp's backward is jnp.logaddexp's weights exp(x - out)).
  Checks made here, not written to the JSON: wherever the alignment is
  possible, the logit paddings are trailing and log_epsilon <= -100, the
  emulation's loss equals torch's F.ctc_loss(log_softmax(logits)) with the
  paddings as lengths (1e-9 relative), and its gradient torch's
  (softmax - occupancy); for the hand cases, torch.autograd.gradcheck
  (central differences) of the emulation in float64.

ctc --json --no-warnings [-r sum_over_batch_size|sum|none|mean|mean_with_sample_weight]
    [--sample-weight W] [--dtype float32] Y_PRED Y_TRUE
  Keras 3.16 (keras/src/losses/losses.py ctc, the TensorFlow backend's
  ops.nn.ctc_loss, i.e. tf.nn.ctc_loss(labels, logits, label_length,
  logit_length, blank_index=0, logits_time_major=False)): torch's
  F.ctc_loss(log_softmax(y_pred).transpose(0, 1), y_true, input_lengths=T,
  target_lengths=count of nonzero labels, blank=0, reduction='none'), then
  Keras's reduction of loss * sample_weight (sum_over_batch_size and mean:
  / N; mean_with_sample_weight: / sum(sample_weight); none with an (N, 1)
  weight is (N, 1), squeeze_or_expand_to_same_rank); the gradient is
  autograd through the log_softmax. An impossible alignment is inf (NaN
  gradients on its frames), as tf.nn.ctc_loss's.
"""
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_reference import jsonable  # noqa: E402
from gen_reference_regression import run, text  # noqa: E402

OUT = os.path.join(HERE, "ctc_optax_keras_reference_cases.json")
TOL = {"float64": (1e-11, 1e-12), "float32": (2e-5, 2e-6)}
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def ints(v):
    return json.dumps(v, separators=(",", ":"))


def nums(v):
    return json.dumps([[float(x) for x in r] for r in v], separators=(",", ":"))


def optax_emulation(logits, logit_paddings, labels, label_paddings, blank_id=0, log_epsilon=-1e5):
    """optax.ctc_loss in torch, line by line (the names are optax's)."""
    batchsize, _, num_classes = logits.shape
    maxlabellen = labels.shape[1]
    logprobs = F.log_softmax(logits, -1)
    labellens = maxlabellen - label_paddings.sum(1).to(torch.int32)
    repeat = (labels[:, :-1] == labels[:, 1:]).to(logits.dtype)
    repeat = F.pad(repeat, (0, 1))
    logprobs_phi = logprobs[:, :, blank_id:blank_id + 1].transpose(0, 1)  # [T, B, 1]
    one_hot = (labels[..., None] == torch.arange(num_classes)).to(logits.dtype)  # zero rows outside [0, K)
    logprobs_emit = torch.einsum("btk,bnk->btn", logprobs, one_hot).transpose(0, 1)  # [T, B, N]
    logalpha_phi_init = torch.ones(batchsize, maxlabellen + 1, dtype=logits.dtype) * log_epsilon
    logalpha_phi_init[:, 0] = 0.0
    logalpha_emit_init = torch.ones(batchsize, maxlabellen, dtype=logits.dtype) * log_epsilon

    def update_phi_score(phi, added_score):
        return torch.cat([phi[:, :1], torch.logaddexp(phi[:, 1:], added_score)], -1)

    prev_phi, prev_emit = logalpha_phi_init, logalpha_emit_init
    pads = logit_paddings.transpose(0, 1)
    for t in range(logits.shape[1]):
        prev_phi_orig = prev_phi
        prev_phi = update_phi_score(prev_phi, prev_emit + log_epsilon * repeat)
        logprob_emit, logprob_phi, pad = logprobs_emit[t], logprobs_phi[t], pads[t]
        next_emit = torch.logaddexp(prev_phi[:, :-1] + logprob_emit, prev_emit + logprob_emit)
        next_phi = prev_phi + logprob_phi
        next_phi = update_phi_score(next_phi, prev_emit + logprob_phi + log_epsilon * (1.0 - repeat))
        pad = pad.reshape(batchsize, 1)
        next_emit = pad * prev_emit + (1.0 - pad) * next_emit
        next_phi = pad * prev_phi_orig + (1.0 - pad) * next_phi
        prev_phi, prev_emit = next_phi, next_emit
    logalpha_phi_last = update_phi_score(prev_phi, prev_emit)
    onehot_len = (labellens[:, None].long() == torch.arange(maxlabellen + 1)).to(logits.dtype)
    return -torch.einsum("bn,bn->b", logalpha_phi_last, onehot_len)


def optax_case(name, z, lpad, labels, bpad, blank=None, eps=None, red=None, dtype="float64", gradcheck=False):
    """z: float64 logits (B, T, K); lpad (B, T), labels (B, N), bpad (B, N): lists."""
    d = DTYPES[dtype]
    args = ["optax.ctc_loss", "--json", "--no-warnings"]
    if blank is not None:
        args += ["--blank-id", str(blank)]
    if eps is not None:
        args += ["--log-epsilon", repr(eps)]
    if red is not None:
        args += ["-r", red]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(z), nums(lpad), ints(labels), nums(bpad)]
    kw = {"blank_id": blank or 0, "log_epsilon": -1e5 if eps is None else eps}
    lp_t, lb_t, bp_t = torch.tensor(lpad, dtype=d), torch.tensor(labels, dtype=torch.float64), torch.tensor(bpad, dtype=d)
    x = z.to(d).clone().requires_grad_(True)
    losses = optax_emulation(x, lp_t, lb_t, bp_t, **kw)
    loss = {"mean": losses.mean(), "sum": losses.sum()}.get(red, losses)
    loss.sum().backward()
    if gradcheck:
        x64 = z.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(lambda v: optax_emulation(v, lp_t.double(), lb_t, bp_t.double(), **kw), (x64,)), name
    # torch's ctc_loss where the problem is one it can state and the alignment is possible.
    T = z.shape[1]
    trailing = all(r == sorted(r) for r in lpad)
    if trailing and kw["log_epsilon"] <= -100:
        il = [T - int(sum(r)) for r in lpad]
        tl = [len(r) - int(sum(r)) for r in bpad]
        zz = z.clone().requires_grad_(True)
        ref = F.ctc_loss(F.log_softmax(zz, -1).transpose(0, 1), torch.tensor(labels).long(), torch.tensor(il), torch.tensor(tl),
                         blank=kw["blank_id"], reduction="none")
        # (torch reads out of bounds for input length 0: left out)
        ok = torch.isfinite(ref) & (torch.tensor(il) > 0)
        if ok.any():
            em64 = optax_emulation(z, lp_t.double(), lb_t, bp_t.double(), **kw)
            assert torch.allclose(em64[ok], ref.detach()[ok], rtol=1e-9, atol=1e-9), (name, em64, ref)
            if ok.all() and ref.numel() == len(il):
                ref.sum().backward()
                x64 = z.clone().requires_grad_(True)
                optax_emulation(x64, lp_t.double(), lb_t, bp_t.double(), **kw).sum().backward()
                assert torch.allclose(x64.grad, zz.grad, rtol=1e-8, atol=1e-10), name
    rtol, atol = TOL[dtype]
    if dtype == "float32":
        atol = max(atol, 1e-5 * float(losses.detach().abs().sum()))
    else:
        # An impossible alignment's log-values are near -1e5, known to 1e5 x 2^-53 = 1e-11 only, so the
        # weights exp(x - out) of the gradient are known to about that relative: the tolerance grows with them.
        big = float(losses.detach().abs().max()) * 2 ** -52 * 64
        rtol, atol = max(rtol, big), max(atol, big)
    return {"name": name, "args": args,
            "expect": {"status": 0, "loss": jsonable(loss.detach().double().tolist()), "grad": jsonable(x.grad.double().tolist())},
            "rtol": rtol, "atol": atol}


def keras_case(name, z, y_true, red=None, sw=None, dtype="float64"):
    """z: float64 logits (N, T, C); y_true (N, L) list, 0 padding (at the end)."""
    d = DTYPES[dtype]
    args = ["ctc", "--json", "--no-warnings"]
    if red is not None:
        args += ["-r", red]
    if sw is not None:
        args += ["--sample-weight", json.dumps(sw)]
    if dtype == "float32":
        args += ["--dtype", "float32"]
    args += [text(z), ints(y_true)]
    N, T, _ = z.shape
    x = z.to(d).clone().requires_grad_(True)
    tl = [sum(1 for v in r if v != 0) for r in y_true]
    losses = F.ctc_loss(F.log_softmax(x, -1).transpose(0, 1), torch.tensor(y_true).long(), torch.tensor([T] * N), torch.tensor(tl),
                        blank=0, reduction="none")
    # Keras's reduce_weighted_values: squeeze_or_expand_to_same_rank(values, sample_weight), values * sample_weight,
    # then reduce_values (a scalar is returned as it is; mean_with_sample_weight divides by sum(sample_weight) as given).
    r = red or "sum_over_batch_size"
    if sw is None:
        v, wsum = losses, None
    elif not isinstance(sw, list):
        w = torch.tensor(sw, dtype=d)
        v, wsum = (losses[0] * w if N == 1 else losses * w), w  # (1,) against () is squeezed to ()
    elif isinstance(sw[0], list):
        w = torch.tensor(sw, dtype=d)  # (N, 1): values gain a last dim
        v, wsum = losses[:, None] * w, w.sum()
    else:
        w = torch.tensor(sw, dtype=d)
        v, wsum = losses * w, w.sum()
    if v.dim() == 0 or r == "none":
        loss = v
    elif r == "sum":
        loss = v.sum()
    elif r == "mean_with_sample_weight" and wsum is not None:
        loss = v.sum() / wsum
    else:
        loss = v.sum() / v.numel()
    loss.sum().backward()
    rtol, atol = TOL[dtype]
    if dtype == "float32":
        atol = max(atol, 1e-5 * float(losses.detach().abs().nan_to_num(0, 0, 0).sum()))
    return {"name": name, "args": args,
            "expect": {"status": 0, "loss": jsonable(loss.detach().double().tolist()), "grad": jsonable(x.grad.double().tolist())},
            "rtol": rtol, "atol": atol}


def random_optax(rng, name):
    B, T, K, N = rng.randint(1, 4), rng.randint(1, 10), rng.randint(2, 6), rng.randint(1, 5)
    blank = rng.choice([0, 0, 0, K - 1, rng.randrange(K)])
    others = [c for c in range(K) if c != blank]
    labels, bpad, lpad = [], [], []
    for _ in range(B):
        L = rng.randint(0, N)
        row = [rng.choice(others) for _ in range(L)]
        if L >= 2 and rng.random() < 0.4:
            row[1] = row[0]  # a repeat: needs a blank between
        fill = rng.choice(["any", "last", "minus1", "blank"])
        for _ in range(N - L):
            row.append({"any": rng.randrange(K), "last": row[-1] if row else 0, "minus1": -1, "blank": blank}[fill])
        labels.append(row)
        bpad.append([0.0] * L + [1.0] * (N - L))
        il = rng.randint(0 if rng.random() < 0.1 else 1, T)
        if rng.random() < 0.3:
            il = max(0, min(T, L - rng.randint(0, 2)))  # too short, or barely long enough
        p = [0.0] * il + [1.0] * (T - il)
        if rng.random() < 0.15 and T >= 3:
            p = [rng.choice([0.0, 0.0, 1.0]) for _ in range(T)]  # padded frames in the middle
        lpad.append(p)
    eps = rng.choice([None, None, None, None, -1e3, -30.0, -5.0])
    red = rng.choice([None, None, "mean", "sum"])
    dtype = rng.choice(["float64", "float64", "float32"])
    z = torch.randn(B, T, K, dtype=torch.float64) * rng.choice([1.0, 3.0])
    return optax_case("%s B%d T%d K%d N%d blank=%d eps=%r %s %s" % (name, B, T, K, N, blank, eps, red, dtype),
                      z, lpad, labels, bpad, blank or None, eps, red, dtype)


def random_keras(rng, name):
    N, T, C, L = rng.randint(1, 4), rng.randint(1, 10), rng.randint(2, 6), rng.randint(1, 5)
    y = []
    for _ in range(N):
        n = rng.randint(0, L)
        if rng.random() < 0.7:
            n = min(n, max(0, T // 2))  # mostly possible
        row = [rng.randint(1, C - 1) for _ in range(n)]
        if n >= 2 and rng.random() < 0.4:
            row[1] = row[0]
        y.append(row + [0] * (L - n))
    red = rng.choice([None, None, "sum", "none", "mean", "mean_with_sample_weight"])
    sw = None
    if rng.random() < 0.4:
        form = rng.choice(["n", "n1", "scalar"])
        vals = [round(rng.uniform(0.1, 2.0), 3) for _ in range(N)]
        sw = vals if form == "n" else [[v] for v in vals] if form == "n1" else vals[0]
    dtype = rng.choice(["float64", "float64", "float32"])
    z = torch.randn(N, T, C, dtype=torch.float64) * rng.choice([1.0, 3.0])
    return keras_case("%s N%d T%d C%d L%d %s sw=%s %s" % (name, N, T, C, L, red, "none" if sw is None else json.dumps(sw), dtype),
                      z, y, red, sw, dtype)


def make_case(rng, name):
    return random_optax(rng, "optax " + name) if rng.random() < 0.5 else random_keras(rng, "keras " + name)


def hand_cases():
    torch.manual_seed(11)
    z = torch.randn(2, 5, 4, dtype=torch.float64)
    lab, bp = [[1, 2], [3, 3]], [[0.0, 0.0], [0.0, 0.0]]
    full = [[0.0] * 5, [0.0] * 5]
    out = []
    for dtype in ("float64", "float32"):
        out += [
            optax_case("optax defaults %s" % dtype, z, full, lab, bp, dtype=dtype, gradcheck=dtype == "float64"),
            optax_case("optax -r mean (jnp.mean) %s" % dtype, z, full, lab, bp, red="mean", dtype=dtype),
            optax_case("optax -r sum %s" % dtype, z, full, lab, bp, red="sum", dtype=dtype),
            optax_case("optax padded frames at the end %s" % dtype, z, [[0.0] * 3 + [1.0] * 2, [0.0] * 4 + [1.0]], lab, bp, dtype=dtype,
                       gradcheck=dtype == "float64"),
            optax_case("optax padded frames in the middle %s" % dtype, z, [[0.0, 1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]], lab, bp,
                       dtype=dtype, gradcheck=dtype == "float64"),
            optax_case("optax label paddings %s" % dtype, z, full, [[1, 0], [3, 3]], [[0.0, 1.0], [0.0, 0.0]], dtype=dtype),
            optax_case("optax label length 0 %s" % dtype, z, full, [[2, 2], [3, 1]], [[1.0, 1.0], [0.0, 0.0]], dtype=dtype),
            optax_case("optax impossible: 1 frame for 2 labels (about 1e5) %s" % dtype, z, [[0.0] + [1.0] * 4, full[1]], lab, bp,
                       dtype=dtype, gradcheck=dtype == "float64"),
            optax_case("optax impossible: repeat in 2 frames %s" % dtype, z, [full[0], [0.0] * 2 + [1.0] * 3], lab, bp, dtype=dtype,
                       gradcheck=dtype == "float64"),
            optax_case("optax impossible: every frame padded %s" % dtype, z, [[1.0] * 5, full[1]], lab, bp, dtype=dtype),
            optax_case("optax log_epsilon -5 (the forbidden moves count) %s" % dtype, z, full, lab, bp, eps=-5.0, dtype=dtype,
                       gradcheck=dtype == "float64"),
            optax_case("optax log_epsilon -1e3, impossible %s" % dtype, z, [[0.0] + [1.0] * 4, full[1]], lab, bp, eps=-1e3, dtype=dtype),
            optax_case("optax blank 3 %s" % dtype, z, full, [[1, 2], [0, 0]], bp, blank=3, dtype=dtype),
            optax_case("optax padding equal to the last label (repeat on the padding) %s" % dtype, z, full, [[1, 2, 2], [3, 1, 1]],
                       [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=dtype, gradcheck=dtype == "float64"),
            optax_case("optax padding -1 and 9 (one_hot's zero row) %s" % dtype, z, full, [[1, 2, -1], [3, 9, 9]],
                       [[0.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=dtype),
            optax_case("optax long sequence %s" % dtype, torch.randn(3, 40, 6, dtype=torch.float64) * 3,
                       [[0.0] * 40, [0.0] * 30 + [1.0] * 10, [0.0] * 12 + [1.0] * 28],
                       [[1, 2, 3, 3, 4, 5, 1, 1], [5, 4, 3, 2, 1, 1, 1, 2], [2, 2, 2, 2, 2, 2, 2, 2]],
                       [[0.0] * 8, [0.0] * 6 + [1.0] * 2, [0.0] * 8], dtype=dtype),
        ]
        zk = torch.randn(3, 6, 4, dtype=torch.float64)
        yk = [[1, 2, 0], [3, 3, 0], [2, 0, 0]]
        out += [
            keras_case("keras CTC() defaults (sum_over_batch_size) %s" % dtype, zk, yk, dtype=dtype),
            keras_case("keras -r none %s" % dtype, zk, yk, red="none", dtype=dtype),
            keras_case("keras -r sum %s" % dtype, zk, yk, red="sum", dtype=dtype),
            keras_case("keras sample_weight %s" % dtype, zk, yk, sw=[0.5, 1.0, 2.0], dtype=dtype),
            keras_case("keras mean_with_sample_weight %s" % dtype, zk, yk, red="mean_with_sample_weight", sw=[0.5, 1.0, 2.0], dtype=dtype),
            keras_case("keras a row of zeros (label_length 0) %s" % dtype, zk, [[1, 2, 0], [0, 0, 0], [2, 2, 2]], red="none", dtype=dtype),
            keras_case("keras impossible (four 1s need 7 frames, 6 given) %s" % dtype, zk, [[1, 1, 1, 1], [3, 3, 3, 0], [2, 0, 0, 0]],
                       red="none", dtype=dtype),
            keras_case("keras long %s" % dtype, torch.randn(2, 30, 5, dtype=torch.float64) * 3, [[1, 2, 3, 4, 4, 1, 0, 0], [4, 4, 4, 4, 3, 2, 1, 1]],
                       dtype=dtype),
        ]
    return out


def seeded_cases():
    rng = random.Random(20261209)
    torch.manual_seed(20261209)
    out = hand_cases()
    out += [random_optax(rng, "optax random %d" % i) for i in range(70)]
    out += [random_keras(rng, "keras random %d" % i) for i in range(70)]
    return out


if __name__ == "__main__":
    run(make_case, seeded_cases, OUT, "tests/torch/gen_reference_ctc_optax_keras.py")
