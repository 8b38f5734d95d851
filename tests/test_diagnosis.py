"""The diagnosis names the real mistake, on evidence, and never guesses (refcheck.diagnosis).

tests/test_zoo.py measures it on every mutant of the zoo (combinations of two included) and
tests/test_calibration.py on correct code (no hypothesis takes a correct style's outputs for a
mistake). Here: a shipped example written as students write (other forms of the mistakes than
the zoo's), forward and backward both wrong in one module, every hypothesis at work on a mutant,
the differential diagnosis, the declarations it reads, a course's wording and the README's count.
"""
import json
import os
import re
import types

import numpy as np
import pytest

import refimpl
from refcheck import cli, diagnosis, hints
from refcheck.cases import Case, CaseView, seeds_for
from refcheck.engine import Implementation, check_case, check_function
from refcheck.loader import load
from refcheck.mutants import MUTANTS, all_mutants
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSIFIERS = "examples/classifiers_with_mistakes.py"
all_mutants()


def module_with(**functions):
    """refimpl with some functions replaced."""
    module = types.ModuleType("patched")
    for name in refimpl.__all__:
        setattr(module, name, getattr(refimpl, name))
    for name, fn in functions.items():
        setattr(module, name, fn)
    return module


def check(module, name, label="patched"):
    return check_function(Implementation(module, label), name, ROWS[name].gen.cases(seeds_for()))


# ---- a shipped example, in students' own forms of the mistakes ---------------------------------

CLASSIFIER_VERDICTS = {   # function: (status, the hints (zoo sentences where the zoo has them), evidence kinds)
    "svm_loss_naive": ("fail", [MUTANTS["svm_loss_naive_no_reg_loss"].hint], ["mutant", "residual", "reg > 0"]),
    "softmax_loss_naive": ("fail", [MUTANTS["softmax_loss_naive_half_reg_loss"].hint,
                                    MUTANTS["softmax_loss_naive_half_reg_gradient"].hint], ["residual", "reg > 0"]),
    "softmax_loss_vectorized": ("fail", [MUTANTS["softmax_loss_vectorized_global_max"].hint],
                                ["residual", "different offsets"]),
    "rmsprop": ("fail", [MUTANTS["rmsprop_eps_inside"].hint], ["mutant"]),
    "adam": ("fail", [MUTANTS["adam_no_bias_correction"].hint, MUTANTS["adam_t_never_incremented"].hint],
             ["mutant"]),
    "svm_loss_vectorized": ("pass", [], []), "compute_distances": ("pass", [], []), "sgd_momentum": ("pass", [], []),
}


def test_the_classifiers_example_gets_each_mistake_named_with_its_evidence(tmp_path):
    out = tmp_path / "verdicts.json"
    assert cli.main([os.path.join(ROOT, CLASSIFIERS), "--json", str(out), "--only", ",".join(CLASSIFIER_VERDICTS)]) == 1
    functions = json.loads(out.read_text())["functions"]
    for name, (status, wanted, kinds) in CLASSIFIER_VERDICTS.items():
        report = functions[name]
        assert report["status"] == status, (name, report["message"])
        if status == "pass":
            assert report["hint"] is None and report["evidence"] == [], name
            continue
        for hint in wanted:
            assert hint in report["hint"], (name, report["hint"])
        assert "does not explain" not in report["hint"], (name, report["hint"])
        evidence = " ".join(report["evidence"])
        for kind in kinds:
            assert kind in evidence, (name, kind, report["evidence"])
        for line in report["evidence"]:
            assert f"evidence: {line}" in report["message"]


# ---- forward and backward both wrong --------------------------------------------------------------

def _pairs():
    """(forward mutant, backward mutant, backward) for every backward whose forward and itself have
    mistakes in the zoo: the first forward mutant and the first backward one."""
    zoo = [m for m in MUTANTS.values() if m.level == "fail" and not m.combines]
    out = []
    for name, row in ROWS.items():
        forward = getattr(row.call, "forward", None)
        mine = [m for m in zoo if m.target == name]
        theirs = [m for m in zoo if forward is not None and m.target == forward.name and m.matches is None]
        if mine and theirs:
            out.append((theirs[0], mine[0], name))
    return out


PAIRS = _pairs()


@pytest.mark.parametrize("forward, backward, name", PAIRS, ids=[f"{f.name}+{b.name}" for f, b, _ in PAIRS])
def test_two_wrong_functions_of_one_module_get_their_own_hints(forward, backward, name):
    """A wrong forward and a wrong backward in one module: the zoo's forward mutants hand over a
    right cache, so the backward's gradients are wrong for its own reason, and its hint must name
    that, not the forward's outputs that ride along with it. (The forward's report is the zoo's:
    the forward's row never calls the backward.)"""
    assert name not in ROWS[forward.target].call.needs
    report = check(module_with(**{forward.target: forward.fn, name: backward.fn}), name)
    assert report.status in ("fail", "error"), report.message
    assert report.hint and backward.hint in report.hint and "fix the forward first" not in report.hint, report.message


def _affine_on_twice_x(x, w, b):
    return refimpl.affine_forward(2 * x, w, b)


def _conv_flipped_throughout(x, w, b, conv_param):
    return refimpl.conv_forward_naive(x, w[:, :, ::-1, ::-1].copy(), b, conv_param)


def _rnn_step_twice_wx(x, prev_h, Wx, Wh, b):
    return refimpl.rnn_step_forward(x, prev_h, 2 * Wx, Wh, b)


def _softmax_with_temperature(x):
    return refimpl.softmax_forward(x / 2)


CARRIED = {  # a forward whose mistake is in its cache too (as in real code), and a wrong backward
    "affine_backward": (_affine_on_twice_x, "affine_backward_db_mean"),
    "conv_backward_naive": (_conv_flipped_throughout, "conv_backward_flipped_dw"),
    "rnn_step_backward": (_rnn_step_twice_wx, "rnn_step_backward_wrong_tanh_derivative"),
    "softmax_backward": (_softmax_with_temperature, "softmax_backward_diagonal"),
}


@pytest.mark.parametrize("name", sorted(CARRIED))
def test_a_backward_on_a_forward_wrong_in_its_cache_too_is_told_to_fix_the_forward_first(name):
    """Its gradients are taken on the wrong forward: no mistake of its own can be read off them,
    and the hint says so instead of guessing the backward's."""
    forward, backward = CARRIED[name]
    report = check(module_with(**{ROWS[name].call.forward.name: forward, name: MUTANTS[backward].fn}), name)
    assert report.status == "fail" and report.hint, report.message
    assert re.fullmatch(r"The forward's \w+ already differs .* so fix the forward first\.", report.hint), report.hint
    assert MUTANTS[backward].hint not in report.hint
    assert any("the forward's own" in e for e in report.evidence), report.evidence


def test_pairs_cover_most_backwards():
    assert len(PAIRS) >= 20
    assert sum(bool(m.combines) for m in MUTANTS.values()) >= 10  # and the zoo's pairs on one function


# ---- every hypothesis at work --------------------------------------------------------------------

def _forward_of_twice_x(x, w, b):
    return refimpl.affine_forward(2 * x, w, b)  # out and cache both wrong


def _affine_float32(x, w, b):
    out, cache = refimpl.affine_forward(x, w, b)
    return out.astype(np.float32).astype(x.dtype), cache


EXERCISED = {   # hypothesis: (the function and the module it fails on)
    "output_all_zero": ("affine_backward", "affine_backward_dw_zeros"),
    "output_scaled": ("softmax_loss", "softmax_loss_dx_not_averaged"),
    "right_values_wrong_shape": ("batchnorm_forward", "batchnorm_running_stats_2d"),
    "float32_precision": ("affine_forward", {"affine_forward": _affine_float32}),
    "forward_already_wrong": ("affine_backward", {"affine_forward": _forward_of_twice_x}),
    "float_size": ("conv_forward_naive", "conv_forward_true_division"),
    "l2_coefficient": ("svm_loss_naive", "svm_loss_naive_no_reg_loss"),
    "log_clamped": ("softmax_loss", "softmax_loss_log_plus_eps"),
    "global_max": ("softmax_loss", "softmax_loss_global_max"),
    "batchnorm_without_affine": ("batchnorm_forward", "batchnorm_test_mode_no_affine"),
    "batchnorm_unbiased": ("batchnorm_forward", "batchnorm_unbiased_running_var"),
    "batchnorm_eps_outside": ("batchnorm_forward", "batchnorm_eps_outside_sqrt"),
    "output_size": ("max_pool_forward_naive", "max_pool_forward_rounded_size"),
    "dx_cropped": ("conv_backward_naive", "conv_backward_crop_minus_pad"),
    "gate_order": ("lstm_step_forward", "lstm_step_forward_torch_gate_order"),
    "step_count": ("adam", "adam_t_never_incremented"),
}


def test_every_hypothesis_is_exercised_here():
    diagnosis._load()
    assert {h.name for h in diagnosis.HYPOTHESES} == set(EXERCISED)


@pytest.mark.parametrize("name", sorted(EXERCISED))
def test_each_hypothesis_holds_on_a_mistake_it_describes(name):
    function, wrong = EXERCISED[name]
    module = module_with(**(wrong if isinstance(wrong, dict) else {function: MUTANTS[wrong].fn}))
    impl, row = Implementation(module, "patched"), ROWS[function]
    for case in row.gen.cases(seeds_for()):
        checked = check_case(impl, row, case)
        if checked.outcome.status != "pass" and not checked.outcome.fatal:
            found = hints.diagnose(row, checked)
            if name in found.candidates:
                assert found.hint
                return
    pytest.fail(f"{name} held on no failing case of {function}")


# ---- the differential diagnosis ------------------------------------------------------------------

def test_a_crop_that_is_empty_at_pad_zero_fails_only_when_pad_is_zero():
    report = check(module_with(conv_backward_naive=MUTANTS["conv_backward_crop_minus_pad"].fn), "conv_backward_naive")
    assert report.status == "error" and re.search(r"dx has shape \(\d+, \d+, 0, 0\)", report.message), report.message
    line = next(e for e in report.evidence if e.startswith("property:"))
    assert line.startswith("property: fails only when pad = 0: all ") and "every case with it fails" in line
    assert "pad = 1" in line


def test_a_flip_changes_one_property_and_keeps_the_others():
    """max-pool backward giving every tied maximum the gradient fails on tied windows only; the
    flip to a square input would also lose the ties, so it is not a separation."""
    report = check(module_with(max_pool_backward_naive=MUTANTS["max_pool_backward_all_ties"].fn),
                   "max_pool_backward_naive")
    properties = [e for e in report.evidence if e.startswith("property:")]
    assert any("a window holds tied maxima" in e for e in properties), properties
    assert not any("square" in e for e in properties), properties


def test_no_separation_and_no_extra_run_when_every_case_fails():
    def always_wrong(x, w, b):
        out, cache = refimpl.affine_forward(x, w, b)
        return out + 1, cache

    impl = Implementation(module_with(affine_forward=always_wrong), "patched")
    calls = []
    execute = impl.execute
    impl.execute = lambda *a: calls.append(a[2].id) or execute(*a)
    cases = ROWS["affine_forward"].gen.cases(seeds_for())
    report = check_function(impl, "affine_forward", cases, minimize=False)
    assert report.status == "fail" and not any(e.startswith("property:") for e in report.evidence)
    assert len(calls) == len(cases)  # the diagnosis ran nothing: no property was shared by all failures


def test_correct_code_is_never_diagnosed():
    """A function that passes is never handed to the diagnosis (it costs nothing there)."""
    original = hints.diagnose
    try:
        hints.diagnose = lambda *a, **k: pytest.fail("diagnosed a passing function")
        assert check(refimpl, "conv_backward_naive").status == "pass"
    finally:
        hints.diagnose = original


def test_every_declared_property_reads_its_cases_and_can_be_flipped():
    from refcheck.diagnosis.differential import flips
    seen = {}
    for row in ROWS.values():
        seen.setdefault(id(row.gen.properties), row.gen)
    for gen in seen.values():
        ranges = gen.ranges()
        for prop in gen.properties:
            assert all(k in ranges for k in prop.vary), (gen.name, prop.yes, prop.vary)
            assert all(e == "seed" or e in gen.edges for e in prop.edges), (gen.name, prop.yes, prop.edges)
            flipped = False
            for case in gen.cases(2):
                inputs = gen(case)
                value = bool(prop.holds(CaseView(inputs.sizes, case.token if case.seed is None else None, inputs.args)))
                if flips(gen, types.SimpleNamespace(case=case, inputs=inputs), prop, value, limit=1):
                    flipped = True
                    break
            assert flipped, f"{gen.name}: {prop.yes!r} cannot be flipped from any case"


# ---- a course's words, the README's count ---------------------------------------------------------

def test_a_course_words_a_mutant_hint_in_its_conventions():
    """A course (refcheck.courses, issue 14) words some mutants' hints for its students:
    COURSES[name].hints replaces the zoo's sentence in the diagnosis's findings."""
    from refcheck.courses import COURSES
    name = "dropout_p_drops"
    impl, row = Implementation(module_with(dropout_forward=MUTANTS[name].fn), "p"), ROWS["dropout_forward"]
    checked = next(c for c in (check_case(impl, row, case) for case in row.gen.cases(seeds_for()))
                   if c.outcome.status == "fail")
    assert hints.find(row, checked) == MUTANTS[name].hint
    checked.run.course = "eecs498"
    assert hints.find(row, checked) == COURSES["eecs498"].hints[name] != MUTANTS[name].hint


def test_the_readme_states_what_the_diagnosis_names():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    counts = diagnosis.inventory()
    assert (f"{counts['mutant_hints']} mistakes of the zoo's mutants on {counts['functions']} functions"
            in readme), counts
    assert f"{counts['hypotheses']} residual hypotheses ({counts['generic']} for any function)" in readme, counts
    assert f"{counts['properties']} diagnostic properties on {counts['generators']} generators" in readme, counts
    assert f"{counts['combinations']} of them two mistakes at once" in readme, counts
