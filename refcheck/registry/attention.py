"""Rows for the attention family: softmaxes, activations, RMSNorm, SwiGLU, cross-entropy, scaled
dot-product and multi-head attention, positional encodings, RoPE and the KV-cache step.

Random masks leave every query at least one key (a fully masked row is an edge case of its own),
and the huge-score edges use integer logits whose winners lead by thousands, so the softmax is
exactly one-hot in any precision while exp overflows without the max-subtraction.
"""
import math

import numpy as np

from ..calls import Backward, Forward, Malformed, Run, describe, note_modified, snapshot, to_array, unpack
from ..cases import generator
from . import Row, backward, forward

PARAM_KEYS = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")
DPARAMS = tuple(f"dparams['{k}']" for k in PARAM_KEYS)


@generator(K=(1, 3), a=(1, 4), b=(1, 3), C=(1, 7), edges={
    "one_class": {"C": 1}, "one_row": {"K": 1}, "huge_offset": {}, "huge_scores": {},
    "row_offsets": {"K": 2, "a": 3}, "exact_ties": {}})
def rows(c):
    """x (..., C) for the softmaxes: a common offset of 1e3 (exp overflows without the
    max-subtraction), a spread of 1e4 (the softmax underflows, the log-softmax must not) and rows
    at different offsets (one row near 1e3: subtracting the array-wide maximum underflows the rest)."""
    shape = [c.a, c.b][:c.K - 1] + [c.C]
    x = c.raw(*shape)
    if c.edge == "huge_offset":
        x += 1e3
    elif c.edge == "huge_scores":
        x *= 1e4
    elif c.edge == "row_offsets":
        x[0] += 1e3
    elif c.edge == "exact_ties":
        x = np.round(x)
    return dict(x=c.cast(x)), dict(dout=c.grad(*shape))


def _elementwise(c):
    if c.edge == "scalar":
        return c.randn(), c.grad()
    shape = [c.d1, c.d2, c.d3][:c.K]
    x = c.raw(*shape)
    if c.edge == "exact_zeros":
        x[c.rng.random(x.shape) < 0.4] = 0
    elif c.edge == "large_inputs":  # the tails: sigmoid(-30), erf(+-20)
        x *= 30
    return c.cast(x), c.grad(*shape)


ELEMENTWISE = dict(K=(1, 3), d1=(1, 5), d2=(1, 4), d3=(1, 3))
ELEMENTWISE_EDGES = {"exact_zeros": {}, "large_inputs": {}, "scalar": {}}


@generator(**ELEMENTWISE, form=(0, 1), edges={**ELEMENTWISE_EDGES, "erf_form": {"form": 0},
                                              "tanh_form": {"form": 1}, "default_form": {}})
def gelu(c):
    """form: 0 approximate='none' (erf), 1 'tanh'; default_form leaves approximate out."""
    x, dout = _elementwise(c)
    args = dict(x=x) if c.edge == "default_form" else dict(x=x, approximate=("none", "tanh")[c.form])
    return args, dict(dout=dout)


@generator(**ELEMENTWISE, edges=ELEMENTWISE_EDGES)
def silu(c):
    x, dout = _elementwise(c)
    return dict(x=x), dict(dout=dout)


@generator(K=(1, 3), a=(1, 4), b=(1, 3), D=(1, 10), eps=(0, 2), edges={
    "zero_row": {}, "one_feature": {"D": 1}, "default_eps": {"eps": 0}, "large_eps": {"eps": 2},
    "small_inputs": {"eps": 0}})
def rms_norm(c):
    """eps: 0 the default (not passed), 1 1e-5, 2 0.1. small_inputs: x near 1e-3, where the
    mean square is comparable to eps."""
    shape = [c.a, c.b][:c.K - 1] + [c.D]
    x = c.raw(*shape) * (1e-3 if c.edge == "small_inputs" else 1.0)
    if c.edge == "zero_row":
        x.reshape(-1, c.D)[0] = 0
    args = dict(x=c.cast(x), gamma=c.randn(c.D))
    if c.eps:
        args["eps"] = (1e-5, 0.1)[c.eps - 1]
    return args, dict(dout=c.grad(*shape))


@generator(K=(1, 3), a=(1, 3), b=(1, 3), D=(1, 6), H=(1, 8), edges={
    "one_token": {"K": 1}, "one_hidden": {"H": 1}, "one_feature": {"D": 1}})
def swiglu(c):
    """x (..., D); weights scaled by 1 / sqrt(fan-in), as initialized in practice."""
    shape = [c.a, c.b][:c.K - 1] + [c.D]
    return (dict(x=c.randn(*shape), W1=c.randn(c.D, c.H, scale=c.D ** -0.5), W3=c.randn(c.D, c.H, scale=c.D ** -0.5),
                 W2=c.randn(c.H, c.D, scale=c.H ** -0.5)), dict(dout=c.grad(*shape)))


@generator(N=(1, 8), C=(2, 10), smooth=(0, 2), ign=(0, 2), edges={
    "one_sample": {"N": 1}, "two_classes": {"C": 2}, "label_ends": {"ign": 2}, "smoothing_zero": {"ign": 2},
    "smoothing_one": {}, "all_ignored": {"ign": 0}, "ignore_a_class": {"ign": 1}, "huge_offset": {},
    "huge_scores": {}, "defaults": {"ign": 2}})
def cross_entropy(c):
    """smooth: 0 none, 1 a random eps in (0, 1), 2 eps = 0.1; ign: 0 some labels -100 (the default
    ignore_index), 1 ignore_index set to a class (its rows ignored), 2 nothing ignored.
    huge_scores (a spread of 1e4) is extreme: only log-sum-exp stays finite there."""
    x = c.raw(c.N, c.C)
    y = c.labels(c.N, c.C)
    smoothing = {0: 0.0, 1: float(c.rng.uniform(0.01, 0.99)), 2: 0.1}[c.smooth]
    ignore_index = -100
    if c.ign == 0:
        y[c.rng.random(c.N) < 0.3] = -100
    elif c.ign == 1:
        ignore_index = int(c.rng.integers(0, c.C))
    if c.edge == "label_ends":
        y = np.where(np.arange(c.N) % 2, c.C - 1, 0)
    elif c.edge in ("smoothing_zero", "smoothing_one"):
        smoothing = float(c.edge == "smoothing_one")
    elif c.edge == "all_ignored":
        y[:] = -100
        c.extreme = True  # a mean over no rows: NaN (torch) or 0; a NaN dx only warns
    elif c.edge == "huge_offset":
        x += 1e3
    elif c.edge == "huge_scores":
        x, c.extreme = 1e4 * x, True
    args = dict(x=c.cast(x), y=y)
    if c.edge == "defaults":
        return args, {}
    if c.smooth or c.ign == 1 or c.edge in ("smoothing_zero", "smoothing_one"):
        args["label_smoothing"] = smoothing
    if c.ign == 1:
        args["ignore_index"] = ignore_index
    return args, {}


def _some_allowed(c, allowed):
    """Let every query attend to at least one random key (in place)."""
    pick = c.rng.integers(0, allowed.shape[-1], allowed.shape[:-1])
    np.put_along_axis(allowed, pick[..., None], True, axis=-1)
    return allowed


def _separated_logits(c, lead, s, t, causal=False):
    """q (..., S, 4) and k (..., T, 4) of multiples of 100 whose scores q @ k^T / 2 are multiples of
    5000 with one winner per query (among the keys it may see) ahead by at least 5000."""
    q = 100.0 * c.rng.integers(-2, 3, (*lead, s, 4))
    k = np.empty((*lead, t, 4))
    for i in np.ndindex(*lead):  # distinct keys, so that some query separates them
        codes = c.rng.choice(5 ** 4, t, replace=False)
        k[i] = 100.0 * (codes[:, None] // 5 ** np.arange(4) % 5 - 2)
    for i in np.ndindex(*lead, s):
        visible = k[i[:-1]][:(i[-1] + 1) if causal else t]
        for _ in range(1000):
            scores = np.sort(visible @ q[i])
            if len(scores) == 1 or scores[-1] - scores[-2] >= 1e4:
                break
            q[i] = 100.0 * c.rng.integers(-3, 4, 4)
    return q, k


@generator(lead=(0, 2), N=(1, 3), H=(1, 3), S=(1, 5), T=(1, 5), d=(1, 6), dv=(1, 6), mode=(0, 3),
           mshape=(0, 2), scaled=(0, 1), edges={
               "one_key": {"T": 1}, "one_query": {"S": 1}, "causal_square": {"mode": 3, "S": 4, "T": 4},
               "causal_tall": {"mode": 3, "S": 5, "T": 2}, "causal_wide": {"mode": 3, "S": 2, "T": 5},
               "fully_masked_row": {"mode": 1, "mshape": 1, "S": 3}, "fully_masked_batch": {"mode": 1, "mshape": 2},
               "fully_masked_additive": {"mode": 2, "mshape": 1, "S": 3}, "huge_scores": {"mode": 0, "d": 4},
               "custom_scale": {"scaled": 1}, "no_batch": {"lead": 0}, "heads": {"lead": 2},
               "same_dims": {"d": 4, "dv": 4}, "defaults": {"mode": 0}})
def sdpa(c):
    """q (..., S, d), k (..., T, d), v (..., T, dv) with 0-2 leading axes; mode: 0 no mask, 1 a
    boolean mask, 2 a float mask (normal values and some -inf), 3 is_causal; mshape: the mask is
    (S, T), (..., S, T) or (..., 1, T) (key padding); scaled: a custom scale."""
    lead = [c.N, c.H][:c.lead]
    if c.edge == "huge_scores":
        q, k = _separated_logits(c, lead, c.S, c.T)
        q, k = c.cast(q), c.cast(k)
    else:
        q, k = c.randn(*lead, c.S, c.d), c.randn(*lead, c.T, c.d)
    v = c.randn(*lead, c.T, c.dv)
    mask = None
    if c.mode in (1, 2):
        shape = [(c.S, c.T), (*lead, c.S, c.T), (*lead, 1, c.T)][c.mshape]
        allowed = _some_allowed(c, c.rng.random(shape) < 0.6)
        if c.edge in ("fully_masked_row", "fully_masked_additive"):
            allowed[..., 0, :] = False
        elif c.edge == "fully_masked_batch":
            allowed.reshape(-1, c.T)[0] = False
        mask = allowed if c.mode == 1 else c.cast(np.where(allowed, 2 * c.raw(*shape), -np.inf))
    args = dict(q=q, k=k, v=v)
    if c.edge != "defaults":
        args.update(mask=mask, is_causal=c.mode == 3,
                    scale=float(c.rng.uniform(0.2, 2.0)) if c.scaled else None)
    return args, dict(dout=c.grad(*lead, c.S, c.dv))


HEADS = (1, 2, 3, 5)


@generator(N=(1, 3), S=(1, 5), T=(1, 5), heads=(0, len(HEADS) - 1), hd=(1, 4), mask=(0, 2), boolean=(0, 1), edges={
    "one_head": {"heads": 0}, "three_heads": {"heads": 2}, "five_heads": {"heads": 3, "hd": 1},
    "one_query": {"S": 1}, "one_key": {"T": 1}, "one_sample": {"N": 1}, "self_attention": {},
    "causal": {"mask": 2, "S": 4, "T": 4}, "fully_masked_row": {"mask": 1, "S": 3}, "no_mask": {"mask": 0}})
def mha(c):
    """E = heads * hd with 1, 2, 3 or 5 heads; weights scaled by 1 / sqrt(E); mask: 0 none, 1
    random (0 = blocked, every query keeps a key), 2 causal; boolean: the mask's dtype (bool, or
    0/1 floats). self_attention: key and value equal to query. fully_masked_row: query 0 may
    attend to nothing, where NaN (CS231n's masked_fill(-inf)) only warns."""
    h = HEADS[c.heads]
    e, t = h * c.hd, (c.S if c.edge == "self_attention" else c.T)
    query = c.randn(c.N, c.S, e)
    key, value = (query.copy(), query.copy()) if c.edge == "self_attention" else (c.randn(c.N, t, e), c.randn(c.N, t, e))
    params = {}
    for name in PARAM_KEYS:
        params[name] = c.randn(e, e, scale=e ** -0.5) if name[0] == "W" else c.randn(e, scale=0.5)
    mask = None
    if c.mask == 1:
        allowed = _some_allowed(c, c.rng.random((c.S, t)) < 0.6)
        if c.edge == "fully_masked_row":
            allowed[0], c.extreme = False, True
        mask = allowed
    elif c.mask == 2:
        mask = np.tri(c.S, t, dtype=bool)
    if mask is not None and not c.boolean:
        mask = c.cast(mask)
    args = dict(query=query, key=key, value=value, params=params, num_heads=h)
    if c.edge != "no_mask":
        args["attn_mask"] = mask
    return args, dict(dout=c.grad(c.N, c.S, e))


@generator(L=(1, 60), half=(1, 8), edges={"one_position": {"L": 1}, "one_pair": {"half": 1},
                                          "long": {"L": 1000, "half": 4}, "wide": {"half": 32}})
def encodings(c):
    return dict(max_len=c.L, embed_dim=2 * c.half), {}


STARTS = (0, 1, 5, 100)
THETAS = (None, 500000.0, 100.0)


@generator(lead=(0, 2), N=(1, 2), H=(1, 3), T=(1, 6), half=(1, 4), start=(0, len(STARTS) - 1), kind=(0, 2),
           il=(0, 1), theta=(0, len(THETAS) - 1), edges={
               "half_split": {"il": 0}, "interleaved": {"il": 1}, "offset_positions": {"start": 3, "kind": 0},
               "one_token": {"T": 1}, "one_pair": {"half": 1}, "per_batch_positions": {"kind": 2, "lead": 2},
               "defaults": {"theta": 0, "il": 0}, "large_positions": {"kind": 0}})
def rope(c):
    """x (..., T, d) with d = 2 * half; positions: kind 0 start + arange(T), 1 sorted distinct
    positions with gaps, 2 one row per batch entry ((N, [1,] T), different starts); theta: the
    default, Llama 3's 500000 or 100. large_positions start at 4000."""
    lead = [c.N, c.H][:c.lead]
    x = c.randn(*lead, c.T, 2 * c.half)
    start = 4000 if c.edge == "large_positions" else STARTS[c.start]
    if c.kind == 1:
        positions = start + np.sort(c.rng.choice(3 * c.T, c.T, replace=False))
    elif c.kind == 2 and lead:
        starts = c.rng.integers(0, 50, (lead[0], *[1] * (len(lead) - 1), 1))
        positions = starts + np.arange(c.T)
    else:
        positions = start + np.arange(c.T)
    args = dict(x=x, positions=positions.astype(np.int64))
    if c.edge != "defaults":
        args.update(theta=THETAS[c.theta] or 10000.0, interleaved=bool(c.il))
    return args, dict(dout=c.grad(*lead, c.T, 2 * c.half))


@generator(N=(1, 2), H=(1, 3), T=(1, 6), d=(1, 6), edges={
    "one_step": {"T": 1}, "one_head": {"H": 1}, "long_sequence": {"T": 16}, "huge_scores": {"d": 4}})
def kv_sequence(c):
    """Whole sequences q, k, v (N, H, T, d), fed to the step function one token at a time."""
    if c.edge == "huge_scores":
        q, k = (c.cast(a) for a in _separated_logits(c, [c.N, c.H], c.T, c.T, causal=True))
    else:
        q, k = c.randn(c.N, c.H, c.T, c.d), c.randn(c.N, c.H, c.T, c.d)
    return dict(q=q, k=k, v=c.randn(c.N, c.H, c.T, c.d)), {}


class ParamsForward(Forward):
    """multi_head_attention_forward: params is a dict of arrays, read and never modified (a
    change is a warning, as for any array argument)."""

    def keys(self, expected):
        return list(self.compares)

    def __call__(self, get, inputs):
        run = super().__call__(get, inputs)
        for k, before in inputs.args["params"].items():
            after = run.outputs.pop(f"params['{k}']", None)
            if after is not None and not np.array_equal(after, before, equal_nan=True):
                run.warnings.append(f"{self.name} modified its argument params['{k}'] in place")
        return run


class ParamsBackward(Backward):
    """multi_head_attention_backward: its dparams, a dict with params' keys, is judged key by key
    as dparams['Wq'], dparams['bq'], ..."""

    def __init__(self):
        super().__init__("multi_head_attention_backward", "multi_head_attention_forward",
                         "dquery dkey dvalue dparams")
        self.compares = ("dquery", "dkey", "dvalue", *DPARAMS)

    def __call__(self, get, inputs):
        def flattened(name):
            fn = get(name)
            if name != self.name:
                return fn

            def call(*args):
                grads = unpack(fn(*args), self.returns, self.name)
                dparams = grads.pop("dparams")
                if not isinstance(dparams, dict) or set(PARAM_KEYS) - set(dparams):
                    raise Malformed(f"{self.name} returned dparams as {describe(dparams)}, expected a dict "
                                    f"with the keys {', '.join(PARAM_KEYS)}")
                return (*grads.values(), *(dparams[k] for k in PARAM_KEYS))
            return call
        return Backward(self.name, self.forward.name, " ".join(self.compares))(flattened, inputs)


class NoFloatInputs(Forward):
    """positional_encoding takes sizes only: no input fixes pe's precision, so its dtype is not
    judged (NumPy's float64 and torch's default float32 are both right)."""

    def __call__(self, get, inputs):
        run = super().__call__(get, inputs)
        run.untyped |= set(run.outputs)
        return run


class Steps:
    """kv_cache_attention_step, called once per token as a decoding loop would: the sequences'
    step t goes in as (N, H, 1, d) slices with the cache the previous call returned (None first).
    The T outputs out_t, stacked along axis 2 (out_t[:, :, t] is step t's), are judged against
    causal attention over the whole sequences."""

    def __init__(self, name):
        self.name, self.needs, self.returns, self.compares = name, (name,), ("out_t", "cache"), ("out_t",)

    def keys(self, expected):
        return list(self.compares)

    def __call__(self, get, inputs):
        step, run, cache, outs = get(self.name), Run(), None, []
        q, k, v = (inputs.args[n] for n in ("q", "k", "v"))
        for t in range(q.shape[2]):
            args = {n: a[:, :, t:t + 1].copy() for n, a in (("q_t", q), ("k_t", k), ("v_t", v))}
            before = snapshot(args)
            returned = unpack(step(*args.values(), cache), list(self.returns), self.name)
            notes = Run()
            note_modified(notes, before, args, self.name)
            run.warnings += [w for w in notes.warnings if w not in run.warnings]
            to_array(notes, "out_t", returned["out_t"])
            out_t, want = notes.outputs["out_t"], args["q_t"].shape[:-1] + v.shape[-1:]
            if out_t.shape != want:
                raise Malformed(f"out_t has shape {out_t.shape} at step {t + 1}, expected {want}")
            outs.append(out_t)
            run.untyped |= notes.untyped
            cache = returned["cache"]
        run.outputs["out_t"] = np.concatenate(outs, axis=2)
        return run


def _pair(name, gen, oracle, returns):
    return [forward(f"{name}_forward", gen, oracle),
            backward(f"{name}_backward", gen, oracle, f"{name}_forward", returns)]


ROWS = [
    *_pair("softmax", rows, "attention:softmax", "dx"),
    *_pair("log_softmax", rows, "attention:log_softmax", "dx"),
    *_pair("gelu", gelu, "attention:gelu", "dx"),
    *_pair("silu", silu, "attention:silu", "dx"),
    *_pair("rms_norm", rms_norm, "attention:rms_norm", "dx dgamma"),
    *_pair("swiglu", swiglu, "attention:swiglu", "dx dW1 dW3 dW2"),
    forward("cross_entropy_loss", cross_entropy, "attention:cross_entropy", "loss dx"),
    *_pair("scaled_dot_product_attention", sdpa, "attention:sdpa", "dq dk dv"),
    Row("multi_head_attention_forward", mha, "attention:multi_head_attention",
        ParamsForward("multi_head_attention_forward", "out cache")),
    Row("multi_head_attention_backward", mha, "attention:multi_head_attention", ParamsBackward()),
    Row("positional_encoding", encodings, "attention:positional_encoding", NoFloatInputs("positional_encoding", "pe")),
    *_pair("rope", rope, "attention:rope", "dx"),
    Row("kv_cache_attention_step", kv_sequence, "attention:kv_cache", Steps("kv_cache_attention_step")),
]
