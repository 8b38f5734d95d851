"""The verdict rules that real student code exercises: a backward judged where its forward runs,
shrinking that keeps the same failure, the conventions accepted with a warning (ReLU at 0, the
Adam paper's epsilon, the textbook distance), and the cases every softmax-like function gets."""
import json
import os
import types

import numpy as np
import pytest

import refimpl
from refcheck import cli
from refcheck.calibration.styles import alt, cs231n_2025, textbook
from refcheck.cases import Case, seeds_for
from refcheck.engine import Implementation, check_case, check_function, shrink
from refcheck.loader import load
from refcheck.mutants import MUTANTS, all_mutants
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRICT_STRIDE = os.path.join("tests", "fixtures", "strict_stride.py")
SOFTMAX_LIKE = ("softmax_loss", "softmax_loss_naive", "softmax_loss_vectorized", "temporal_softmax_loss")

all_mutants()


def module(name, **functions):
    m = types.ModuleType(name)
    for k in refimpl.__all__:
        setattr(m, k, getattr(refimpl, k))
    for k, fn in functions.items():
        setattr(m, k, fn)
    return m


def verdict(mod, name, strict=False):
    impl = mod if isinstance(mod, Implementation) else Implementation(mod, getattr(mod, "__name__", "m"))
    return check_function(impl, name, ROWS[name].gen.cases(seeds_for()), strict)


def test_a_backward_is_judged_on_the_cases_its_forward_runs(tmp_path, capsys):
    out = tmp_path / "v.json"
    assert cli.main([STRICT_STRIDE, "--json", str(out), "--only", "conv_forward_naive,conv_backward_naive"]) == 1
    functions = json.loads(out.read_text())["functions"]
    forward, backward = functions["conv_forward_naive"], functions["conv_backward_naive"]
    assert forward["status"] == "error" and "AssertionError: stride does not divide" in forward["message"]
    assert backward["status"] == "pass", backward["message"]
    assert backward["cases"] > 0 and backward["not_judged"] > 0
    assert backward["cases"] + backward["not_judged"] == len(ROWS["conv_backward_naive"].gen.cases(seeds_for()))
    assert "conv_forward_naive raised on case" in backward["not_judged_reason"]
    table = " ".join(capsys.readouterr().out.split())  # the table's hint column wraps
    assert f"not judged on {backward['not_judged']} cases: conv_forward_naive raised" in table


def test_a_backward_error_is_its_own_exception_on_a_case_its_forward_runs():
    impl = Implementation(load(os.path.join(ROOT, STRICT_STRIDE)), STRICT_STRIDE)
    report = check_function(impl, "max_pool_backward_naive", ROWS["max_pool_backward_naive"].gen.cases(seeds_for()))
    assert report.status == "error" and report.not_judged > 0
    first_lines = report.message.splitlines()[:2]
    assert "IndexError: a batch of one is not supported (strict_stride.py:" in first_lines[1]
    assert not any("AssertionError" in line for line in first_lines)
    case = Case.parse(report.repro.rsplit("--case ", 1)[1])
    inputs = ROWS["max_pool_backward_naive"].gen(case)
    impl.module.max_pool_forward_naive(**inputs.args)  # the shrunk case is one its forward accepts


def test_a_backward_whose_forward_always_raises_is_an_error_naming_the_forward():
    report = verdict(load(os.path.join(ROOT, "tests", "fixtures", "verdict_rules.py")), "affine_backward")
    assert report.status == "error" and report.cases == 0 and report.not_judged > 0
    assert "RuntimeError: not implemented yet" in report.message and "verdict_rules.py" in report.message


def test_shrinking_keeps_the_same_output_failing():
    """dx is wrong when N >= 2 and d1 >= 3, db only when N == 1: from a dx failure, shrinking N to
    1 would give a db failure instead, which is not the same failure."""
    def affine_backward(dout, cache):
        dx, dw, db = refimpl.affine_backward(dout, cache)
        x = cache[0]
        if x.shape[0] >= 2 and x.ndim > 1 and x.shape[1] >= 3:
            dx = dx + 1
        return dx, dw, db + (x.shape[0] == 1)
    impl = Implementation(module("two_mistakes", affine_backward=affine_backward), "two_mistakes")
    row = ROWS["affine_backward"]
    case = next(c for c in row.gen.cases(seeds_for()) if c.seed is not None
                and row.gen(c).sizes["N"] >= 3 and row.gen(c).sizes["d1"] >= 3)
    found = check_case(impl, row, case)
    assert found.outcome.status == "fail" and found.outcome.key == "dx"
    shrunk = shrink(impl, row, found)
    assert shrunk.outcome.key == "dx" and shrunk.outcome.kind == "value"
    assert shrunk.inputs.sizes["N"] == 2 and shrunk.inputs.sizes["d1"] == 3


def test_an_exact_batchnorm_backward_alt_passes_one_sample_in_float32():
    """With one sample the alt formula subtracts two terms of size gamma * dout / sqrt(eps) that
    round differently: an ulp of them is left, which the 1/sqrt(var + eps) in the error model allows."""
    case = Case("float32", "one_sample")
    inputs = ROWS["batchnorm_backward_alt"].gen(case)
    _, cache = alt.batchnorm_forward(**inputs.args)
    dx = alt.batchnorm_backward_alt(inputs.douts["dout"], cache)[0]
    assert np.abs(dx).max() > 0  # the residue is there (the exact dx is 0)
    checked = check_case(Implementation(alt, "alt"), ROWS["batchnorm_backward_alt"], case)
    assert checked.outcome.status == "pass", checked.outcome.message


def test_the_adam_papers_efficient_form_passes_with_its_warning_and_other_placements_fail():
    report = verdict(cs231n_2025, "adam")
    assert report.status == "pass", report.message
    assert any("efficient' form" in w for w in report.warnings)
    assert verdict(cs231n_2025, "adam", strict=True).status == "fail"

    def eps_inside_sqrt(w, dw, config=None):  # the efficient form with epsilon under the root
        config = {} if config is None else dict(config)
        for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
            config.setdefault(key, value)
        b1, b2, t = config["beta1"], config["beta2"], config.get("t", 0) + 1
        m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
        config.update(m=m, v=v, t=t)
        step = config["learning_rate"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - step * m / np.sqrt(v + config["epsilon"]), config
    assert verdict(module("eps_inside", adam=eps_inside_sqrt), "adam").status == "fail"


def test_relu_backward_passing_the_gradient_at_zero_warns_and_other_masks_fail():
    at_zero = verdict(module("m", relu_backward=MUTANTS["relu_backward_at_zero"].fn), "relu_backward")
    assert at_zero.status == "pass" and any("exactly 0" in w for w in at_zero.warnings)
    assert verdict(module("m", relu_backward=MUTANTS["relu_backward_at_zero"].fn), "relu_backward",
                   strict=True).status == "fail"
    wrong = verdict(module("m", relu_backward=MUTANTS["relu_backward_mask_from_dout"].fn), "relu_backward")
    assert wrong.status == "fail"


def test_the_textbook_distance_warns_and_nan_fails():
    report = verdict(textbook, "compute_distances")
    assert report.status == "pass", report.message
    assert any("not exactly 0 for identical rows" in w for w in report.warnings)
    assert verdict(textbook, "compute_distances", strict=True).status == "fail"
    unclamped = verdict(module("m", compute_distances=MUTANTS["compute_distances_unclamped"].fn), "compute_distances")
    assert unclamped.status == "fail" and "non-finite" in unclamped.message


@pytest.mark.parametrize("name", SOFTMAX_LIKE + ("svm_loss", "svm_loss_naive", "svm_loss_vectorized"))
def test_every_softmax_like_function_has_the_ordinary_and_extreme_cases(name):
    gen = ROWS[name].gen
    common = "huge_offset" if "huge_offset" in gen.edges else "bias_offset"
    for edge, extreme in ((common, False), ("row_offsets", False), ("huge_scores", True), ("far_below", True)):
        inputs = gen(Case("float64", edge))
        assert inputs.extreme == extreme, (name, edge)
        scores = (inputs.args["X"] @ inputs.args["W"] if "W" in inputs.args else inputs.args["x"])
        scores = scores.reshape(-1, scores.shape[-1])
        levels = scores.max(axis=1)
        if edge == "row_offsets":
            assert levels.max() - levels.min() > 1000  # the lowest rows underflow under a global max
        elif edge == common:
            assert levels.min() > 900
        elif edge == "huge_scores":
            assert (levels - scores.min(axis=1)).max() > 1e4
        else:
            labels = np.asarray(inputs.args["y"]).reshape(-1)
            assert (levels - scores[np.arange(len(labels)), labels]).min() > 700


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_the_textbook_softmax_warns_on_every_softmax_like_function(name):
    report = verdict(textbook, name)
    assert report.status == "pass", report.message
    assert "loss is non-finite on extreme inputs" in report.warnings


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_a_global_maximum_softmax_fails_saying_the_rows_sit_at_different_levels(name):
    m = MUTANTS[f"{name}_global_max"]
    report = verdict(module("m", **{name: m.fn}), name)
    assert report.status == "fail"
    assert "sit at different levels" in report.message and m.hint in report.hint


@pytest.mark.parametrize("name,case_id,key,delta", [
    ("softmax_loss", "float32-huge_scores", "dx", 0.05),       # 10% of a dx of 0.5
    ("softmax_loss", "float32-huge_offset", "dx", 5e-3),
    ("svm_loss", "float32-huge_offset", "dx", 5e-3),
    ("softmax_loss_vectorized", "float32-bias_offset", "dW", 5e-3),
    ("temporal_softmax_loss", "float32-huge_offset", "dx", 5e-3),
])
def test_errors_an_input_scale_tolerance_let_through_on_large_scores_fail(name, case_id, key, delta):
    """The tolerance this replaced allowed rtol 1e-4 * |expected| + atol 1e-5 * (largest input) on
    float32 gradients: 0.1 on scores near 1e4, 1e-2 near 1e3."""
    from refcheck.judge import judge
    from refcheck.tolerances import input_scale
    row = ROWS[name]
    checked = check_case(Implementation(refimpl), row, Case.parse(case_id))
    assert checked.outcome.status == "pass"
    out = checked.run.outputs[key]
    i = np.unravel_index(np.argmax(np.abs(out)), out.shape)
    assert delta <= 1e-4 * abs(float(out[i])) + 1e-5 * input_scale(checked.inputs)  # within the old bound
    out[i] += delta
    expected = row.expected(checked.inputs)
    assert judge(name, checked.case, checked.inputs, checked.run, expected, row.call.keys(expected)).status == "fail"
