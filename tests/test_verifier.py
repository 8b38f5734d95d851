"""The verifier's two faces on other people's modules: verdicts, hints, warnings, the pytest plugin."""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from refcheck import cli
from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.loader import load
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = "examples/layers_with_mistakes.py"
RULES = "tests/fixtures/verdict_rules.py"

EXAMPLE_VERDICTS = {   # function: (status, what its hint must say (each fragment), what its evidence must say)
    "affine_forward": ("pass", (), ()), "affine_backward": ("pass", (), ()), "relu_forward": ("pass", (), ()),
    "relu_backward": ("pass", (), ()),
    "softmax_loss": ("fail", ("without subtracting each row's maximum",), ("mutant softmax_loss_no_max_shift",)),
    "svm_loss": ("pass", (), ()),
    "batchnorm_forward": ("fail", ("unbiased batch variance", "Test mode leaves out gamma and beta"),
                          ("the factor N / (N - 1)", "with gamma = 1 and beta = 0 (test mode)")),
    "dropout_forward": ("fail", ("probability of dropping",), ("fails only when dropout_param's mode is 'train'",)),
    "conv_forward_naive": ("pass", (), ()),
    "conv_backward_naive": ("error", ("dx_pad[:, :, pad:-pad, pad:-pad], which is empty when pad = 0",),
                            ("fails only when pad = 0", "with pad = 0")),
    "max_pool_forward_naive": ("pass", (), ()),
    "max_pool_backward_naive": ("fail", ("Every tied maximum",), ("fails only when a window holds tied maxima",)),
}


def run(*args, **kw):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False, **kw)


def verdict(path, name, strict=False, timeout=None):
    impl = Implementation(load(os.path.join(ROOT, path)), path, **({"timeout": timeout} if timeout else {}))
    return check_function(impl, name, ROWS[name].gen.cases(seeds_for()), strict)


def test_make_verify_example_gets_the_right_verdict_and_hint_for_each_function(tmp_path, capsys):
    reports = {}
    for n in ("1", "2"):  # serial and parallel runs must agree
        out = tmp_path / f"{n}.json"
        assert cli.main([EXAMPLE, "--json", str(out), "-n", n]) == 1
        functions = json.loads(out.read_text())["functions"]
        reports[n] = {k: {f: v for f, v in r.items() if f != "seconds"} for k, r in functions.items()}
    assert reports["1"] == reports["2"]
    functions = reports["2"]
    for name, (status, said, evidence) in EXAMPLE_VERDICTS.items():
        assert functions[name]["status"] == status, (name, functions[name]["message"])
        assert bool(said) == bool(functions[name]["hint"]), (name, functions[name]["hint"])
        for fragment in said:
            assert fragment in functions[name]["hint"], (name, functions[name]["hint"])
        for fragment in evidence:
            assert any(fragment in e for e in functions[name]["evidence"]), (name, functions[name]["evidence"])
    assert functions["conv_forward_naive"]["warnings"] == ["out is float64 for float32 inputs"]
    assert any("exactly 0" in w for w in functions["relu_backward"]["warnings"])  # x >= 0: a warning
    assert {n for n, f in functions.items() if f["status"] == "missing"} == set(ROWS) - set(EXAMPLE_VERDICTS)
    out = capsys.readouterr().out
    assert "\n  layers.py: batchnorm_backward, batchnorm_backward_alt, dropout_backward," in out
    assert "\n  rnn_layers.py: none of its 13 functions\n" in out  # a whole file absent: a count
    assert "relu_backward" not in out.split("not defined")[1].split("\n\n")[0]  # defined ones are not listed
    # the shipped example's report fits 80 columns (twice: once per run), FAIL rows say what is wrong
    assert max(len(line) for line in out.splitlines()) <= 80, max(out.splitlines(), key=len)
    assert re.search(r"^max_pool_backward_naive FAIL +50 +\d+ +\S+  Every tied maximum", out, re.M), out


def test_backward_is_an_error_when_its_forward_always_raises_or_is_missing():
    raised = verdict(RULES, "affine_backward")
    assert raised.status == "error" and "RuntimeError: not implemented yet" in raised.message
    assert "verdict_rules.py" in raised.message and "not judged on any case" in raised.message
    missing = verdict(RULES, "relu_backward")
    assert missing.status == "error" and "needs relu_forward" in missing.message


def test_non_finite_only_on_extreme_inputs_is_a_warning():
    report = verdict(RULES, "softmax_loss")
    assert report.status == "pass", report.message
    assert "loss is non-finite on extreme inputs" in report.warnings
    assert verdict(RULES, "softmax_loss", strict=True).status == "fail"


def test_float64_outputs_and_modified_inputs_warn():
    report = verdict(RULES, "svm_loss")
    assert report.status == "pass", report.message
    assert "dx is float64 for float32 inputs" in report.warnings
    assert "svm_loss modified its argument x in place" in report.warnings


def test_wrong_structure_and_hangs_are_errors():
    structure = verdict(RULES, "sgd")
    assert structure.status == "error" and "expected a tuple (next_w, config)" in structure.message
    hang = verdict(RULES, "compute_distances", timeout=0.5)
    assert hang.status == "error" and "did not return within 0.5 s" in hang.message


def test_pytest_plugin_runs_the_same_checks_with_xdist_k_and_junit(tmp_path):
    junit = tmp_path / "report.xml"
    # the checks' node ids as arguments: those checks only, not refimpl's own suite beside them
    chosen = ["refcheck/relu_forward", "refcheck/relu_backward", "refcheck/svm_loss", "refcheck/affine_forward",
              "refcheck/max_pool_backward_naive", "refcheck/lstm_forward"]
    result = run("-m", "pytest", "--impl", EXAMPLE, "-n", "2", "-q", "-p", "no:cacheprovider", *chosen,
                 "-k", "not lstm", f"--junitxml={junit}")
    assert result.returncode == 1, result.stdout[-3000:]
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert {c.get("classname") for c in cases} == {n.replace("/", ".") for n in chosen[:-1]}
    failed = {c.get("classname") for c in cases if c.find("failure") is not None}
    assert failed == {"refcheck.max_pool_backward_naive"}
    assert "repro: " in result.stdout and "Every tied maximum" in result.stdout
    assert "RefcheckWarning: relu_backward" in result.stdout and "exactly 0" in result.stdout
    skipped = run("-m", "pytest", "--impl", EXAMPLE, "-q", "-p", "no:cacheprovider", "-n", "0", "refcheck/lstm_forward")
    assert skipped.returncode == 0 and "skipped" in skipped.stdout
