"""The attention family beyond the generic checks: the shipped interview-style example is reported
mistake by mistake, a torch implementation of another style passes, the conventions a fully masked
row may follow in multi-head attention are accepted, malformed results are errors, and refimpl's
functions are strict about bad input and float16."""
import json
import math
import os
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import refimpl as r
from refcheck import cli
from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.loader import load
from refcheck.registry import FAMILIES, ROWS, family_rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = "examples/attention_with_mistakes.py"
NAMES = [row.name for row in family_rows("attention")]

EXAMPLE_VERDICTS = {
    "softmax_forward": ("fail", "without subtracting the row maximum"),
    "scaled_dot_product_attention_forward": ("fail", "polarity is inverted"),
    "multi_head_attention_forward": ("fail", "1 / sqrt(E), the model's width"),
    "positional_encoding": ("pass", None), "rms_norm_forward": ("pass", None), "rms_norm_backward": ("pass", None),
    "rope_forward": ("pass", None), "rope_backward": ("pass", None), "kv_cache_attention_step": ("pass", None),
}


def check(module, name):
    return check_function(Implementation(module, module.__name__), name, ROWS[name].gen.cases(seeds_for()))


def test_attention_family_is_one_line_of_families():
    assert ("attention", "Attention and transformer building blocks") in FAMILIES
    assert len(NAMES) == 21


def test_refcheck_names_the_three_mistakes_of_the_attention_example(tmp_path):
    out = tmp_path / "verdicts.json"
    assert cli.main([os.path.join(ROOT, EXAMPLE), "--json", str(out)]) == 1
    functions = json.loads(out.read_text())["functions"]
    for name, (status, hint) in EXAMPLE_VERDICTS.items():
        assert functions[name]["status"] == status, (name, functions[name]["message"])
        assert functions[name]["warnings"] == [], (name, functions[name]["warnings"])
        if hint:
            assert hint in functions[name]["hint"], (name, functions[name]["hint"])
    assert {n for n, f in functions.items() if f["status"] != "missing"} == set(EXAMPLE_VERDICTS)


def test_a_torch_implementation_of_another_style_passes_every_attention_function():
    module = load(os.path.join(ROOT, "refcheck", "calibration", "styles", "torch_attention.py"))
    for name in NAMES:
        report = check(module, name)
        assert report.status == "pass", report.message
        assert report.warnings == [], (name, report.warnings)


def _mha_filled(fill):
    """CS231n's MultiHeadAttention in torch, blocked scores filled with ``fill``, backward by autograd."""
    keys = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")

    def forward(query, key, value, params, num_heads, attn_mask=None):
        leaves = [torch.tensor(a, requires_grad=True) for a in (query, key, value, *(params[k] for k in keys))]
        q, k, v, p = *leaves[:3], dict(zip(keys, leaves[3:]))
        n, s, e = q.shape
        split = lambda x: x.reshape(n, x.shape[1], num_heads, e // num_heads).transpose(1, 2)
        Q, K, V = split(q @ p["Wq"] + p["bq"]), split(k @ p["Wk"] + p["bk"]), split(v @ p["Wv"] + p["bv"])
        scores = Q @ K.transpose(-2, -1) / math.sqrt(e // num_heads)
        if attn_mask is not None:
            scores = scores.masked_fill(torch.as_tensor(np.asarray(attn_mask) == 0), fill)
        out = (torch.softmax(scores, -1) @ V).transpose(1, 2).reshape(n, s, e) @ p["Wo"] + p["bo"]
        return out.detach().numpy(), (leaves, out)

    def backward(dout, cache):
        leaves, out = cache
        grads = [g.numpy() for g in torch.autograd.grad(out, leaves, torch.from_numpy(dout))]
        return (*grads[:3], dict(zip(keys, grads[3:])))
    return types.ModuleType(f"mha_fill_{fill}"), forward, backward


@pytest.mark.parametrize("fill,warning", [(-1e9, None), (float("-inf"), "is non-finite on extreme inputs")],
                         ids=["uniform", "nan"])
def test_multi_head_attention_accepts_uniform_weights_or_nan_for_a_query_with_no_key(fill, warning):
    module, module.multi_head_attention_forward, module.multi_head_attention_backward = _mha_filled(fill)
    for name in ("multi_head_attention_forward", "multi_head_attention_backward"):
        report = check(module, name)
        assert report.status == "pass", report.message
        assert [w for w in report.warnings if warning and warning in w] or not warning, report.warnings
        assert bool(report.warnings) == bool(warning), report.warnings


def test_scaled_dot_product_attention_must_give_zero_for_a_query_with_no_key():
    module = types.ModuleType("sdpa_nan")

    def forward(q, k, v, mask=None, is_causal=False, scale=None):
        with torch.no_grad():
            qt, kt, vt = (torch.from_numpy(a) for a in (q, k, v))
            scores = qt @ kt.transpose(-2, -1) * (scale or 1 / math.sqrt(q.shape[-1]))
            if mask is not None:
                m = torch.as_tensor(mask)
                scores = scores.masked_fill(~m, float("-inf")) if m.dtype == torch.bool else scores + m
            elif is_causal:
                scores = scores.masked_fill(~torch.ones(scores.shape[-2:], dtype=torch.bool).tril(), float("-inf"))
            return (torch.softmax(scores, -1) @ vt).numpy(), None
    module.scaled_dot_product_attention_forward = forward
    report = check(module, "scaled_dot_product_attention_forward")
    assert report.status == "fail" and "fully_masked" in report.message
    assert "A query with no allowed key gives NaN" in report.hint


def test_malformed_kv_cache_steps_and_dparams_are_errors():
    module = types.ModuleType("malformed")
    module.kv_cache_attention_step = lambda q, k, v, cache=None: (r.kv_cache_attention_step(q, k, v, cache)[0][:, :, 0],
                                                                  r.kv_cache_attention_step(q, k, v, cache)[1])
    module.multi_head_attention_forward = r.multi_head_attention_forward
    module.multi_head_attention_backward = lambda dout, cache: (*r.multi_head_attention_backward(dout, cache)[:3], [])
    steps = check(module, "kv_cache_attention_step")
    assert steps.status == "error" and "out_t has shape" in steps.message and "at step 1" in steps.message
    grads = check(module, "multi_head_attention_backward")
    assert grads.status == "error" and "dparams as a list of 0, expected a dict" in grads.message


def test_a_kv_cache_that_modifies_its_inputs_warns_once():
    module = types.ModuleType("in_place")

    def step(q_t, k_t, v_t, cache=None):
        out, cache = r.kv_cache_attention_step(q_t, k_t, v_t, cache)
        q_t *= 2
        return out, cache
    module.kv_cache_attention_step = step
    report = check(module, "kv_cache_attention_step")
    assert report.status == "pass" and report.warnings == ["kv_cache_attention_step modified its argument q_t in place"]


f = np.zeros
qkv = (f((2, 3, 4)), f((2, 5, 4)), f((2, 5, 6)))
params = {k: f((4, 4)) if k[0] == "W" else f(4) for k in ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")}
BAD = [
    ("softmax empty axis", lambda: r.softmax_forward(f((3, 0))), r"x must have at least one entry on its last axis"),
    ("softmax dout", lambda: r.softmax_backward(f((2, 4)), r.softmax_forward(f((2, 3)))[1]), r"dout .*\(2, 3\).*\(2, 4\)"),
    ("gelu approximate", lambda: r.gelu_forward(f(3), "fast"), r"approximate must be one of \['none', 'tanh'\]"),
    ("rms_norm gamma", lambda: r.rms_norm_forward(f((2, 3)), f(4)), r"gamma .*\(3,\).*\(4,\)"),
    ("rms_norm eps", lambda: r.rms_norm_forward(f((2, 3)), f(3), -1.0), r"eps must be > 0, got -1.0"),
    ("swiglu W2", lambda: r.swiglu_forward(f((2, 3)), f((3, 5)), f((3, 5)), f((3, 5))), r"W2 .*\(5, 3\).*\(3, 5\)"),
    ("swiglu W3", lambda: r.swiglu_forward(f((2, 3)), f((3, 5)), f((3, 4)), f((5, 3))), r"W3 .*\(3, 5\).*\(3, 4\)"),
    ("cross_entropy label", lambda: r.cross_entropy_loss(f((2, 3)), np.array([0, 3])), r"y .*must lie in \[0, 3\)"),
    ("cross_entropy smoothing", lambda: r.cross_entropy_loss(f((2, 3)), np.array([0, 1]), 1.5),
     r"label_smoothing must be >= 0 and <= 1, got 1.5"),
    ("cross_entropy empty", lambda: r.cross_entropy_loss(f((0, 3)), np.array([], int)), r"x must have at least one row"),
    ("sdpa k", lambda: r.scaled_dot_product_attention_forward(f((2, 3, 4)), f((2, 5, 3)), f((2, 5, 6))),
     r"k must have shape \(2, 5, 4\).*\(2, 5, 3\)"),
    ("sdpa v", lambda: r.scaled_dot_product_attention_forward(f((2, 3, 4)), f((2, 5, 4)), f((2, 4, 6))),
     r"v must have shape \(2, 5, 6\).*\(2, 4, 6\)"),
    ("sdpa mask and causal", lambda: r.scaled_dot_product_attention_forward(*qkv, np.ones((3, 5), bool), True),
     r"mask must be None when is_causal=True"),
    ("sdpa mask shape", lambda: r.scaled_dot_product_attention_forward(*qkv, np.ones((3, 4), bool)),
     r"mask must broadcast to the scores' shape \(2, 3, 5\), got \(3, 4\)"),
    ("sdpa mask dtype", lambda: r.scaled_dot_product_attention_forward(*qkv, np.ones((3, 5), int)),
     r"mask must be boolean .* got dtype int64"),
    ("sdpa scale", lambda: r.scaled_dot_product_attention_forward(*qkv, None, False, float("nan")),
     r"scale must be a finite number"),
    ("mha heads", lambda: r.multi_head_attention_forward(f((1, 2, 4)), f((1, 3, 4)), f((1, 3, 4)), params, 3),
     r"num_heads must be a positive divisor of E = 4, got 3"),
    ("mha params", lambda: r.multi_head_attention_forward(f((1, 2, 4)), f((1, 3, 4)), f((1, 3, 4)),
                                                          dict(params, Wk=f((4, 3))), 2), r"params\['Wk'\] .*\(4, 4\)"),
    ("mha missing param", lambda: r.multi_head_attention_forward(f((1, 2, 4)), f((1, 3, 4)), f((1, 3, 4)),
                                                                 {"Wq": f((4, 4))}, 2), r"params must hold the keys .*, missing bq"),
    ("mha mask", lambda: r.multi_head_attention_forward(f((1, 2, 4)), f((1, 3, 4)), f((1, 3, 4)), params, 2, f((3, 2))),
     r"attn_mask .*\(2, 3\).*\(3, 2\)"),
    ("positional odd", lambda: r.positional_encoding(4, 5), r"embed_dim must be even"),
    ("positional size", lambda: r.positional_encoding(2.5, 4), r"max_len must be a whole number >= 0, got 2.5"),
    ("rope odd", lambda: r.rope_forward(f((3, 5)), np.arange(3)), r"x must have an even last axis"),
    ("rope positions", lambda: r.rope_forward(f((3, 4)), np.arange(4)), r"positions must have T = 3 entries"),
    ("rope theta", lambda: r.rope_forward(f((3, 4)), np.arange(3), -1.0), r"theta must be > 0"),
    ("kv step", lambda: r.kv_cache_attention_step(f((1, 2, 2, 4)), f((1, 2, 2, 4)), f((1, 2, 2, 4))),
     r"q_t must hold one token"),
    ("kv cache", lambda: r.kv_cache_attention_step(f((1, 2, 1, 4)), f((1, 2, 1, 4)), f((1, 2, 1, 4)),
                                                   {"k": f((1, 3, 2, 4)), "v": f((1, 3, 2, 4))}),
     r"cache\['k'\] must have shape \(1, 2, 2, 4\)"),
]


@pytest.mark.parametrize("call,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_float16_is_computed_in_float32_and_returned_as_float16():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5))
    out, _ = r.softmax_forward((x * 1e4).astype(np.float16))
    assert out.dtype == np.float16 and np.isfinite(out).all()
    q, k, v = (rng.standard_normal((2, 3, 4)).astype(np.float16) for _ in range(3))
    out, cache = r.scaled_dot_product_attention_forward(q, k, v, is_causal=True)
    want = F.scaled_dot_product_attention(*(torch.from_numpy(a.astype(np.float32)) for a in (q, k, v)), is_causal=True)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype(np.float32), want.numpy(), rtol=2e-3, atol=2e-3)
    assert all(g.dtype == np.float16 for g in r.scaled_dot_product_attention_backward(np.ones_like(out), cache))
    out, cache = r.rms_norm_forward(x.astype(np.float16) * 300, np.ones(5, np.float16))  # x**2 overflows float16
    assert out.dtype == np.float16 and np.isfinite(out).all()
    assert [g.dtype for g in r.rms_norm_backward(out, cache)] == [np.float16, np.float16]


def test_the_kv_cache_is_new_each_step_and_the_inputs_stay_untouched():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((1, 2, 1, 3)) for _ in range(3))
    _, first = r.kv_cache_attention_step(q, k, v)
    keys = first["k"].copy()
    _, second = r.kv_cache_attention_step(q, k, v, first)
    assert second["k"].shape == (1, 2, 2, 3) and np.array_equal(first["k"], keys)
    first["k"][:] = 0
    assert not np.array_equal(k, first["k"])  # the cache does not alias the caller's k_t
