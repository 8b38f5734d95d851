"""A failure report says what, where, how far and how to rerun, and its repro reruns only that case."""
import json
import os
import re
import shlex

import refimpl
from refcheck import cli
from refcheck.cases import Case
from refcheck.engine import Implementation, check_function
from refcheck.loader import load
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join("tests", "fixtures", "off_by_one_bias.py")


def test_report_names_output_index_values_tolerance_case_and_repro():
    impl = Implementation(load(os.path.join(ROOT, FIXTURE)), FIXTURE)
    report = check_function(impl, "affine_backward", ROWS["affine_backward"].gen.cases(20))
    assert report.status == "fail" and report.failed > 0
    case_id = re.search(r"fails on case (\S+)", report.message).group(1)
    case = Case.parse(case_id)
    assert case.seed is not None or case.token in ROWS["affine_backward"].gen.edges
    assert re.search(r"db differs from the oracle: worst element db\[\d+\]: actual \S+, expected \S+, "
                     r"\|diff\| \S+ > allowed \S+ \(rtol \S+, atol \S+, magnitude \S+\)", report.message)
    # the bias is off only when N > 2: the smallest failing case has exactly 3 samples
    assert re.search(r"inputs: x \(3, [\d, ]+\) float\d\d = \[\[.*\]\], w \(\d+, \d+\) float\d\d", report.message)
    assert report.repro.endswith(f"{FIXTURE} --only affine_backward --case {case_id}")
    assert report.repro in report.message


def test_repro_reruns_exactly_that_case(capsys, monkeypatch):
    impl = Implementation(load(os.path.join(ROOT, FIXTURE)), FIXTURE)
    report = check_function(impl, "affine_backward", ROWS["affine_backward"].gen.cases(20))
    args = shlex.split(report.repro.split(" -m refcheck ", 1)[-1].removeprefix("refcheck "))
    # the command's main, in this process (the command itself runs in a process of its own in
    # tests/test_hostile.py, test_cli.py and test_threads.py)
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    assert cli.main(args) == 1
    rerun = capsys.readouterr().out
    first_line = report.message.splitlines()[0]
    assert rerun.splitlines()[0] == first_line
    assert rerun.count("fails on case") == 1


def test_cli_table_json_and_exit_codes(tmp_path, capsys):
    out = tmp_path / "verdicts.json"
    code = cli.main([FIXTURE, "--only", "affine_forward,affine_backward,relu_backward,conv_forward_naive",
                     "--json", str(out)])
    assert code == 1
    verdicts = json.loads(out.read_text())
    assert {n: f["status"] for n, f in verdicts["functions"].items()} == {
        "affine_forward": "pass", "affine_backward": "fail", "relu_backward": "pass",
        "conv_forward_naive": "missing"}
    assert verdicts["summary"] == {"pass": 2, "fail": 1, "error": 0, "missing": 1}
    table = capsys.readouterr().out
    assert re.search(r"^affine_backward +FAIL +\d+ +\d+ ", table, re.M), table
    assert "\n  layers.py: conv_forward_naive\n" in table
    assert cli.main([FIXTURE, "--only", "affine_forward"]) == 0
    assert cli.main([FIXTURE, "--only", "no_such_function"]) == 2
    assert "unknown function" in capsys.readouterr().err


def test_reference_passes_its_own_repro_case():
    impl = Implementation(refimpl)
    assert check_function(impl, "affine_backward", [Case.parse("float64-seed0-N=3-simple")]).status == "pass"
