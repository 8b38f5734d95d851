"""Implementations written for torch tensors get the verdicts NumPy ones get: every verdict rule
of the contract, in-place writes and dtypes read through the tensors, forwards judged by autograd
with the broken graph named, and the plan (arrays, device) decided as documented."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from refcheck import cli, courses, tensors
from refcheck.calls import Signature
from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.loader import load
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES, RULES_TORCH = "tests/fixtures/verdict_rules.py", "tests/fixtures/verdict_rules_torch.py"
BROKEN_GRAPHS = "tests/fixtures/courses/cs231n_2025/rnn_layers_mistakes.py"
FORWARD_ONLY_MAP = {"temporal_affine": "temporal_affine_forward -> out", "embedding_float32": "word_embedding_forward -> out"}
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def impl(path, **options):
    return Implementation(load(os.path.join(ROOT, path)), path, timeout=options.pop("timeout", None) or 20,
                          options=options)


def report(implementation, name):
    return check_function(implementation, name, ROWS[name].gen.cases(seeds_for()))


@pytest.mark.parametrize("name", ["affine_backward", "relu_backward", "softmax_loss", "svm_loss", "sgd",
                                  "compute_distances"])
def test_every_verdict_rule_gives_the_same_verdict_for_tensors(name):
    numpy_report = report(impl(RULES, timeout=0.5), name)
    torch_report = report(impl(RULES_TORCH, timeout=0.5), name)
    assert torch_report.status == numpy_report.status, torch_report.message
    assert torch_report.warnings == numpy_report.warnings
    def first(r):  # the message's first line, without where it happened or how a wrong value looked
        line = r.message.splitlines()[1].strip() if r.message.count("\n") else r.message
        return re.sub(r"returned .*?, expected", "returned ..., expected", line).split(" (")[0]
    assert first(torch_report) == first(numpy_report), (torch_report.message, numpy_report.message)
    if name == "affine_backward":
        assert "RuntimeError: not implemented yet (verdict_rules_torch.py:" in torch_report.message
    strict = check_function(impl(RULES_TORCH, timeout=0.5), name, ROWS[name].gen.cases(seeds_for()), strict=True)
    assert strict.status == ("fail" if torch_report.warnings else torch_report.status)


def test_forward_only_verdicts_warn_and_fail_as_for_numpy():
    checked = impl(RULES_TORCH, name_map=FORWARD_ONLY_MAP)
    forward = report(checked, "temporal_affine_forward")
    assert forward.status == "pass", forward.message
    assert set(forward.warnings) == {"out is float64 for float32 inputs",
                                     "temporal_affine modified its argument x in place"}
    backward = report(checked, "temporal_affine_backward")  # the same write is one autograd refuses
    assert backward.status == "error" and "writes in place into an input that requires grad" in backward.message
    assert "verdict_rules_torch.py:" in backward.message
    for name in ("word_embedding_forward", "word_embedding_backward"):
        r = report(checked, name)
        assert r.status == "fail" and "float64" in r.message.splitlines()[0] + r.message, r.message
        assert "right only to float32 precision" in r.hint


BREAKS = {
    "rnn_step_backward": "the graph is broken by .detach() at rnn_layers_mistakes.py:12 in rnn_step_forward",
    "word_embedding_backward": "the graph is broken by torch.tensor(...) re-wrapping a tensor that carries "
                               "gradients at rnn_layers_mistakes.py:16",
    "temporal_affine_backward": "Can't call numpy() on Tensor that requires grad",
    "lstm_step_backward": "writes in place into an input that requires grad, which autograd rejects",
    "lstm_backward": "modifies in place a tensor autograd needs for the gradients (the operation at "
                     "rnn_layers_mistakes.py:43 in lstm_forward used it)",
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_a_broken_graph_is_an_error_that_names_the_break(name):
    r = report(impl(BROKEN_GRAPHS), name)
    assert r.status == "error" and BREAKS[name] in r.message, r.message
    forward = report(impl(BROKEN_GRAPHS), name.replace("_backward", "_forward"))
    assert forward.status == "pass", forward.message  # the values are right: only the graph is broken


def test_results_convert_back_with_dtype_identity_and_in_place_writes_seen():
    arrays = tensors.TorchArrays()
    w, dw = np.arange(3.0), np.ones(3, np.float32)
    config = {"velocity": np.zeros(3)}

    def rule(w_t, dw_t, cfg):
        assert isinstance(w_t, torch.Tensor) and dw_t.dtype == torch.float32
        assert isinstance(cfg["velocity"], torch.Tensor)  # arrays inside dicts arrive as tensors
        w_t -= 1.0  # in place
        cfg["velocity"] = cfg["velocity"] + 2
        return w_t, cfg
    next_w, cfg = arrays.wrap(rule, Signature.parse("sgd(w, dw, config) -> next_w, config"))(w, dw, config)
    assert next_w is w and np.array_equal(w, [-1.0, 0.0, 1.0])  # the same array, written through
    assert isinstance(cfg["velocity"], np.ndarray) and np.array_equal(cfg["velocity"], [2.0, 2.0, 2.0])

    def forward(x):
        return x * 2, ("opaque", x)
    out, cache = arrays.wrap(forward, Signature.parse("f(x) -> out, cache"))(np.ones(2, np.float32))
    assert out.dtype == np.float32 and isinstance(cache[1], torch.Tensor)  # the cache is left as it is
    back = arrays.wrap(lambda dout, cache: dout * cache[1], Signature.parse("g(dout, cache) -> dx"))
    assert np.array_equal(back(np.full(2, 3.0, np.float32), cache), [3.0, 3.0])


def test_arrays_are_detected_and_can_be_overridden(tmp_path):
    assert impl(RULES).plan.arrays_name == "numpy"
    assert impl(RULES_TORCH).plan.arrays_name == "torch"
    both = tmp_path / "both.py"  # imports both: decided by what its first function returns
    both.write_text("import numpy as np\nimport torch\n\ndef affine_forward(x, w, b):\n"
                    "    return x.reshape(x.shape[0], -1) @ w + b, None\n")
    assert Implementation(load(str(both))).plan.arrays_name == "torch"
    forced = Implementation(load(str(both)), options={"arrays": "numpy"})
    assert forced.plan.arrays_name == "numpy"
    assert report(forced, "affine_forward").status == "pass"  # NumPy arrays in, NumPy out


@pytest.mark.parametrize("device", DEVICES)
def test_the_device_option(device):
    if device == "cpu":
        checked = impl(RULES_TORCH, device="cpu")
        assert checked.plan.arrays.device.type == "cpu" and report(checked, "svm_loss").status == "pass"
    else:  # where torch sees a GPU, the same verdicts with tensors on it
        cuda = impl(RULES_TORCH, device="cuda")
        assert report(cuda, "svm_loss").warnings == report(impl(RULES_TORCH), "svm_loss").warnings


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_device_cuda_without_a_gpu_is_a_usage_error(capsys):
    assert cli.main([RULES_TORCH, "--device", "cuda", "--only", "svm_loss"]) == 2
    assert "torch sees no CUDA device here" in capsys.readouterr().err


def test_isolated_torch_module_gets_the_same_verdicts(tmp_path):
    import json
    runs = {}
    for mode in ([], ["--isolate"]):
        out = tmp_path / f"{len(mode)}.json"
        cli.main([BROKEN_GRAPHS, "--json", str(out), "--seeds", "5", "--only", "rnn_step_backward,lstm_backward,rnn_forward"]
                 + mode)
        runs[len(mode)] = {k: {f: v for f, v in r.items() if f != "seconds"}
                           for k, r in json.loads(out.read_text())["functions"].items()}
    assert runs[0] == runs[1]
    assert runs[1]["rnn_forward"]["status"] == "fail" and "float32 precision" in runs[1]["rnn_forward"]["hint"]


def test_torch_is_imported_only_for_torch_modules():
    code = ("import sys; from refcheck.engine import Implementation; from refcheck.loader import load; "
            "i = Implementation(load('tests/fixtures/off_by_one_bias.py')); "
            "print(i.plan.arrays_name, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.stdout.split() == ["numpy", "False"], done.stderr[-2000:]


def test_a_signature_taking_a_device_gets_the_tensors_device(tmp_path):
    """CS231n 2025's simclr_loss_vectorized(..., device='cuda') builds its mask on `device`: a
    signature that names a device the case does not hold is given the tensors' own."""
    module = tmp_path / "answers.py"
    module.write_text("import torch\n\ndef dist(X, Y, device='cuda'):\n"
                      "    return torch.cdist(X, Y.to(device), compute_mode='donot_use_mm_for_euclid_dist')\n")
    checked = Implementation(load(str(module)), options={"name_map": {"dist": "compute_distances(X, Y, *, device)"}})
    assert report(checked, "compute_distances").status == "pass"


SPECIAL, SPECIAL_MISTAKES = "tests/fixtures/torch_special_calls.py", "tests/fixtures/torch_special_mistakes.py"
SPECIAL_CALLS = ["kv_cache_attention_step", "multi_head_attention_forward", "multi_head_attention_backward",
                 "clip_grad_norm", "lr_schedule", "generalized_box_iou", "coco_map"]


@pytest.mark.parametrize("name", SPECIAL_CALLS)
def test_torch_implementations_pass_through_the_special_calls(name):
    """The decoding loop of KV-cache steps (its cache the function's own tensors), dicts of
    parameter and gradient tensors, lists of gradients, a schedule's keyword arguments, COCO's
    per-image dicts: each fixture function raises unless it is handed tensors."""
    checked = impl(SPECIAL)
    assert checked.plan.arrays_name == "torch"
    r = report(checked, name)
    assert r.status == "pass" and not r.warnings, (r.message, r.warnings)


@pytest.mark.parametrize("name,hint", [
    ("kv_cache_attention_step", "The cache is not kept"),
    ("clip_grad_norm", "Each gradient is clipped by its own norm"),
])
def test_torch_mistakes_through_the_special_calls_are_caught_with_their_hint(name, hint):
    r = report(impl(SPECIAL_MISTAKES), name)
    assert r.status == "fail" and r.hint and hint in r.hint, r.message


def test_special_calls_follow_a_name_map(tmp_path):
    """A course or map binds a special call as any other: its arguments and results by name."""
    module = tmp_path / "answers.py"
    module.write_text("import torch\nimport torch.nn.functional as F\n\n"
                      "def decode(query, key, value, past=None):\n"
                      "    keys = key if past is None else torch.cat([past[0], key], 2)\n"
                      "    values = value if past is None else torch.cat([past[1], value], 2)\n"
                      "    return (keys, values), F.scaled_dot_product_attention(query, keys, values)\n")
    checked = Implementation(load(str(module)), options={
        "name_map": {"decode": "kv_cache_attention_step(q_t, k_t, v_t, cache) -> cache, out_t"}})
    assert report(checked, "kv_cache_attention_step").status == "pass"
