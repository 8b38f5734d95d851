"""Rows for the attention family: the blocks of refcheck.registry.activations (softmaxes, GELU,
SiLU, RMSNorm, SwiGLU, cross-entropy), then scaled dot-product and multi-head attention,
positional encodings, RoPE and the KV-cache step.

Random masks leave every query at least one key (a fully masked row is an edge case of its own),
and the huge-score edges use integer logits whose winners lead by thousands, so the softmax is
exactly one-hot in any precision while exp overflows without the max-subtraction.
"""
import copy

import numpy as np

from ..calls import Backward, Forward, Malformed, Run, Signature, describe, note_modified, snapshot, to_array, unchanged, unpack
from ..cases import generator
from . import Row, activations, backward, forward

PARAM_KEYS = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")


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
    """Whole sequences q, k, v (N, H, T, d), fed to the step function one token at a time, and the
    cache of the first step: None (a cache is the implementation's own; only bad_inputs hands
    refimpl its dict of earlier keys and values)."""
    if c.edge == "huge_scores":
        q, k = (c.cast(a) for a in _separated_logits(c, [c.N, c.H], c.T, c.T, causal=True))
    else:
        q, k = c.randn(c.N, c.H, c.T, c.d), c.randn(c.N, c.H, c.T, c.d)
    return dict(q=q, k=k, v=c.randn(c.N, c.H, c.T, c.d), cache=None), {}


class ParamsForward(Forward):
    """multi_head_attention_forward: params is a dict of arrays, read and never modified (a
    change is a warning, as for any array argument)."""

    def keys(self, expected):
        return list(self.compares)

    def __call__(self, get, inputs):
        run = super().__call__(get, inputs)
        for k, before in inputs.args["params"].items():
            after = run.outputs.pop(f"params['{k}']", None)
            if after is not None and not unchanged(before, after):
                run.warnings.append(f"{self.name} modified its argument params['{k}'] in place")
        return run


class ParamsBackward(Backward):
    """multi_head_attention_backward (and the transformer layers'): its dparams, a dict with params'
    keys, is judged key by key as dparams['Wq'], dparams['bq'], ... (the call is a Backward's,
    through the signatures, whatever names a course gives them)."""

    def __init__(self, signature="multi_head_attention_backward(dout, cache) -> dquery, dkey, dvalue, dparams",
                 forward="multi_head_attention_forward", keys=PARAM_KEYS):
        super().__init__(signature, forward)
        self.param_keys = tuple(keys)
        self.compares = (*(r for r in self.returns if r != "dparams"), *(f"dparams['{k}']" for k in keys))

    def __call__(self, get, inputs):
        returns, keys = list(self.returns), self.param_keys

        def flattened(name):
            fn = get(name)
            if name != self.name:
                return fn

            def call(*args, **kwargs):
                grads = unpack(fn(*args, **kwargs), returns, self.name)
                dparams = grads.pop("dparams")
                if not isinstance(dparams, dict) or set(keys) - set(dparams):
                    raise Malformed(f"{self.name} returned dparams as {describe(dparams)}, expected a dict "
                                    f"with the keys {', '.join(keys)}")
                return (*grads.values(), *(dparams[k] for k in keys))
            return call
        flat = copy.copy(self)
        flat.returns = [r for r in returns if r != "dparams"] + [f"dparams['{k}']" for k in keys]
        flat.signature = self.signature.with_(returns=tuple(flat.returns))
        return Backward.__call__(flat, flattened, inputs)


class NoFloatInputs(Forward):
    """positional_encoding takes sizes only: no input fixes pe's precision, so its dtype is not
    judged (NumPy's float64 and torch's default float32 are both right)."""

    def __call__(self, get, inputs):
        run = super().__call__(get, inputs)
        run.untyped |= set(run.outputs)
        return run


class Steps:
    """kv_cache_attention_step, called once per token as a decoding loop would: the sequences'
    step t goes in as (N, H, 1, d) slices with the cache the previous call returned (first the
    case's: None; refimpl's bad inputs hand it a dict of its own form).
    The T outputs out_t, stacked along axis 2 (out_t[:, :, t] is step t's), are judged against
    causal attention over the whole sequences."""
    STEP_ARGS = {"q": "q_t", "k": "k_t", "v": "v_t"}  # a sequence -> the argument its slices go in as

    def __init__(self, signature):
        self.signature = Signature.parse(signature)
        self.name, self.needs, self.compares = self.signature.name, (self.signature.name,), ("out_t",)
        self.returns = list(self.signature.returns)

    def keys(self, expected):
        return list(self.compares)

    def step_args(self, inputs, t, cache):
        """The arguments of step ``t`` by name: the sequences' slices t, and the cache."""
        args = {name: inputs.args[seq][:, :, t:t + 1].copy() for seq, name in self.STEP_ARGS.items()}
        return {**args, "cache": cache}

    def invocations(self, inputs):
        """(signature, arguments) of the first call (tests/test_calls.py)."""
        return [(self.signature, self.step_args(inputs, 0, inputs.args.get("cache")))]

    def __call__(self, get, inputs):
        step, run, outs = get(self.name), Run(), []
        cache = copy.deepcopy(inputs.args.get("cache"))
        q, v = inputs.args["q"], inputs.args["v"]
        for t in range(q.shape[2]):
            values = self.step_args(inputs, t, cache)
            args = {k: a for k, a in values.items() if k != "cache"}
            before = snapshot(args)
            returned = unpack(self.signature.invoke(step, values), list(self.returns), self.name)
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


ROWS = [
    *activations.ROWS,
    forward("scaled_dot_product_attention_forward(q, k, v, mask=..., is_causal=..., scale=...) -> out, cache", sdpa,
            "attention:sdpa"),
    backward("scaled_dot_product_attention_backward(dout, cache) -> dq, dk, dv", sdpa, "attention:sdpa",
             "scaled_dot_product_attention_forward"),
    Row("multi_head_attention_forward", mha, "attention:multi_head_attention",
        ParamsForward("multi_head_attention_forward(query, key, value, params, num_heads, attn_mask=...) -> out, cache")),
    Row("multi_head_attention_backward", mha, "attention:multi_head_attention", ParamsBackward()),
    Row("positional_encoding", encodings, "attention:positional_encoding",
        NoFloatInputs("positional_encoding(max_len, embed_dim) -> pe")),
    forward("rope_forward(x, positions, theta=..., interleaved=...) -> out, cache", rope, "attention:rope"),
    backward("rope_backward(dout, cache) -> dx", rope, "attention:rope", "rope_forward"),
    Row("kv_cache_attention_step", kv_sequence, "attention:kv_cache",
        Steps("kv_cache_attention_step(q_t, k_t, v_t, cache) -> out_t, cache")),
]
