"""#11's verdict rules on the rows #13 and #16 added: every backward of the attention, detection and
interview families is judged on the cases its own forward runs (the others are not judged), and
shrinking keeps the same failure through their special calls (the KV-cache Steps, coco_map's
Metrics, clip_grad_norm's Clipped, lr_schedule's Schedule, multi-head attention's params)."""
import types

import numpy as np
import pytest

import refimpl
from refcheck.calls import Backward
from refcheck.cases import Case, seeds_for
from refcheck.engine import Implementation, check_case, check_function, shrink
from refcheck.registry import ROWS, family_rows

FAMILIES = ("attention", "detection_more", "interview")
BACKWARDS = [r.name for f in FAMILIES for r in family_rows(f) if isinstance(r.call, Backward)]


def implementation(label, **functions):
    m = types.ModuleType(label)
    for k in refimpl.__all__:
        setattr(m, k, getattr(refimpl, k))
    for k, fn in functions.items():
        setattr(m, k, fn)
    return Implementation(m, label)


def refusing(name):
    """refimpl's forward, except that it refuses inputs whose first entry is negative (as a
    student's assert on something the contract allows)."""
    fn = getattr(refimpl, name)

    def forward(*args, **kwargs):
        first = next(a for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f")
        if first.size and float(np.ravel(first)[0]) < 0:
            raise AssertionError("negative first entry not supported")
        return fn(*args, **kwargs)
    return forward


def test_the_new_families_have_backwards():
    assert len(BACKWARDS) == 11, BACKWARDS


@pytest.mark.parametrize("name", BACKWARDS)
def test_a_backward_is_judged_on_the_cases_its_forward_runs(name):
    forward = ROWS[name].call.forward.name
    cases = ROWS[name].gen.cases(seeds_for())
    report = check_function(implementation("refusing", **{forward: refusing(forward)}), name, cases)
    assert report.status == "pass", report.message
    assert report.cases > 0 and report.not_judged > 0 and report.cases + report.not_judged == len(cases)
    assert f"{forward} raised on case" in report.not_judged_reason
    assert "negative first entry" in report.not_judged_reason


def first_failure(impl, name, where):
    row = ROWS[name]
    for case in row.gen.cases(seeds_for("thorough")):
        if case.seed is not None and where(row.gen(case)):
            found = check_case(impl, row, case)
            assert found.outcome.status == "fail", found.outcome.message
            return row, found
    raise AssertionError(f"no case of {name} where the mutant fails first")


def assert_same_failure(found, shrunk):
    assert (shrunk.outcome.status, shrunk.outcome.key, shrunk.outcome.kind) == \
        (found.outcome.status, found.outcome.key, found.outcome.kind), shrunk.outcome.message


def test_shrinking_a_kv_cache_failure_keeps_it_through_the_steps():
    """out_t is off from the third step on; with d = 1 it is NaN (a failure of another kind): the
    shrunk case keeps T = 3 and d = 2."""
    def step(q_t, k_t, v_t, cache=None):
        past = 0 if cache is None else cache["k"].shape[-2]
        out, cache = refimpl.kv_cache_attention_step(q_t, k_t, v_t, cache)
        if q_t.shape[-1] == 1:
            return out * np.nan, cache
        return (out + 1e-3 if past >= 2 else out), cache
    impl = implementation("late_steps", kv_cache_attention_step=step)
    row, found = first_failure(impl, "kv_cache_attention_step", lambda i: i.sizes["T"] >= 5 and i.sizes["d"] >= 4)
    assert found.outcome.key == "out_t" and found.outcome.kind == "value"
    shrunk = shrink(impl, row, found)
    assert_same_failure(found, shrunk)
    assert shrunk.inputs.sizes["T"] == 3 and shrunk.inputs.sizes["d"] == 2


def test_shrinking_a_clip_grad_norm_failure_keeps_the_same_output():
    """grads[0] is off with two or more gradients; with one, total_norm is (another output)."""
    def clip(grads, max_norm):
        clipped, total = refimpl.clip_grad_norm(grads, max_norm)
        if len(grads) == 1:
            return clipped, total + 1
        return [clipped[0] * 1.01, *clipped[1:]], total
    impl = implementation("clip_two_mistakes", clip_grad_norm=clip)
    row, found = first_failure(impl, "clip_grad_norm", lambda i: i.sizes["count"] == 4)
    assert found.outcome.key == "grads[0]"
    shrunk = shrink(impl, row, found)
    assert_same_failure(found, shrunk)
    assert shrunk.inputs.sizes["count"] == 2


def test_shrinking_an_lr_schedule_failure_keeps_the_same_kind():
    """Rates are off from step 5 on; StepLR's are NaN (a failure of another kind): the shrunk case
    keeps steps = 5 and a schedule other than StepLR."""
    def schedule(name, step, base_lr, **kw):
        if name == "StepLR":
            return float("nan")
        lr = refimpl.lr_schedule(name, step, base_lr, **kw)
        return lr * 1.01 if step >= 5 else lr
    impl = implementation("late_rates", lr_schedule=schedule)
    row, found = first_failure(impl, "lr_schedule", lambda i: i.sizes["sched"] >= 3 and i.sizes["steps"] >= 20)
    shrunk = shrink(impl, row, found)
    assert_same_failure(found, shrunk)
    assert shrunk.inputs.args["steps"] == 5 and shrunk.inputs.args["name"] != "StepLR"


def test_shrinking_a_coco_map_failure_keeps_the_same_output():
    """map_50 is off with three or more images; with one image mar_1 is (another output)."""
    def coco(preds, targets, *args, **kwargs):
        result = refimpl.coco_map(preds, targets, *args, **kwargs)
        if len(preds) == 1:
            result["mar_1"] = result["mar_1"] + 0.01
        elif len(preds) >= 3:
            result["map_50"] = result["map_50"] + 0.01
        return result
    impl = implementation("coco_two_mistakes", coco_map=coco)
    row, found = first_failure(impl, "coco_map", lambda i: i.sizes["images"] >= 5)
    assert found.outcome.key == "map_50"
    shrunk = shrink(impl, row, found)
    assert_same_failure(found, shrunk)
    assert shrunk.inputs.sizes["images"] == 3


def test_a_multi_head_backward_is_judged_where_its_forward_runs_and_shrinks_to_such_a_case():
    """A forward that refuses five heads, and a backward whose dparams['Wq'] is off: the backward
    fails on its own mistake, never on a case its forward refuses, and the shrunk case is one the
    forward accepts."""
    def forward(query, key, value, params, num_heads, attn_mask=None):
        if num_heads == 5:
            raise NotImplementedError("five heads")
        return refimpl.multi_head_attention_forward(query, key, value, params, num_heads, attn_mask)

    def backward(dout, cache):
        dq, dk, dv, dparams = refimpl.multi_head_attention_backward(dout, cache)
        return dq, dk, dv, {**dparams, "Wq": dparams["Wq"] + 1e-3}
    impl = implementation("five_heads", multi_head_attention_forward=forward, multi_head_attention_backward=backward)
    name = "multi_head_attention_backward"
    report = check_function(impl, name, ROWS[name].gen.cases(seeds_for()))
    assert report.status == "fail" and report.not_judged > 0
    assert "dparams['Wq']" in report.message.splitlines()[1]
    assert "five heads" in report.not_judged_reason
    shrunk = ROWS[name].gen(Case.parse(report.repro.rsplit("--case ", 1)[1]))
    assert shrunk.args["num_heads"] != 5


# main's float32 input-scale tolerance before the error models: (rtol, atol * largest input)
OLD_FLOAT32 = {"value": (2e-5, 2e-6), "grad": (1e-4, 1e-5)}


@pytest.mark.parametrize("name,case_id,key,delta", [
    ("softmax_forward", "float32-huge_offset", "out", 1e-3),
    ("softmax_backward", "float32-huge_offset", "dx", 5e-3),
    ("log_softmax_forward", "float32-huge_offset", "out", 1e-3),
    ("cross_entropy_loss", "float32-huge_offset", "dx", 5e-3),
    ("scaled_dot_product_attention_forward", "float32-huge_scores", "out", 3e-4),
    ("generalized_box_iou", "float32-far_offset", "giou", 1e-2),
    ("auroc", "float32-huge_offset", "auroc", 0.1),
])
def test_errors_the_input_scale_tolerance_let_through_on_the_new_rows_fail(name, case_id, key, delta):
    """On large inputs whose outputs are not large (scores near 1e3 or 1e4, boxes near 1e4, AUROC
    scores near 1e6), the input-scale tolerance these rows had allowed these errors."""
    from refcheck.judge import judge
    from refcheck.tolerances import GRADIENTS, input_scale
    row = ROWS[name]
    checked = check_case(Implementation(refimpl), row, Case.parse(case_id))
    assert checked.outcome.status == "pass", checked.outcome.message
    out = checked.run.outputs[key]
    i = np.unravel_index(np.argmax(np.abs(out)), out.shape) if out.ndim else ()
    rtol, atol = OLD_FLOAT32["grad" if key in GRADIENTS else "value"]
    assert delta <= rtol * abs(float(out[i])) + atol * input_scale(checked.inputs)  # within the old bound
    out[i] += delta
    expected = row.expected(checked.inputs)
    assert judge(name, checked.case, checked.inputs, checked.run, expected, row.call.keys(expected)).status == "fail"
