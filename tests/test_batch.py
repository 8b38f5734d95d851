"""Batch mode: a class of made-up submissions (refcheck.mutants.submissions) gives the verdict each
summary cell must show, each case's oracle results are computed once for all of them, and the
submissions run isolated (never imported into the checking process)."""
import csv
import io
import json
import os
import re
import sys

from refcheck import cli
from refcheck.mutants import submissions
from refcheck.progress import Functions, Progress
from refcheck.engine import Report as Result


def test_a_class_of_twenty_gets_the_right_verdict_in_every_cell(tmp_path, capsys):
    expected = submissions.write(str(tmp_path / "subs"), 20)
    kinds = {v for cells in expected.values() for v in cells.values()}
    assert {"pass", "fail", "error", "missing"} <= kinds  # the class exercises every verdict
    paths = sorted(expected)
    csv_path, md_path = str(tmp_path / "results.csv"), str(tmp_path / "results.md")
    code = cli.main([*paths, "--summary", csv_path, "--summary", md_path, "--only", ",".join(submissions.FUNCTIONS),
                     "--seeds", "5"])
    assert code == 1  # some submissions fail
    out, err = capsys.readouterr()
    with open(csv_path, newline="") as f:
        table = list(csv.DictReader(f))
    assert [row["submission"] for row in table] == paths
    for row in table:
        cells = {name: row[name] for name in submissions.FUNCTIONS}
        assert cells == expected[row["submission"]], row["submission"]
        assert int(row["pass"]) == sum(c.startswith("pass") for c in cells.values())
    warned = [row for row in table if "pass (warning)" in row.values()]
    assert all("relu_backward:" in row["warnings / problem"] for row in warned)
    md = open(md_path).read().splitlines()
    assert len(md) == 22 and md[0].startswith("| submission | affine_forward |")
    for path in paths:  # per-submission JSON, next to the first summary
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(tmp_path / "results-json" / f"{stem}.json") as f:
            statuses = {k: v["status"] for k, v in json.load(f)["functions"].items()}
        assert {k: expected[path][k].split()[0] for k in statuses} == statuses
    computed, reused = map(int, re.search(r"oracle results: (\d+) cases computed, (\d+) reused", err).groups())
    assert reused > 5 * computed, err  # each case's oracle once, reused by the other submissions
    assert not any(os.path.splitext(os.path.basename(p))[0] in sys.modules for p in paths)  # isolated
    assert "\r" not in err  # no progress line when stderr is not a terminal


def test_progress_line_only_on_a_terminal():
    quiet = io.StringIO()
    Functions(2, Progress(quiet))(Result("relu_forward", "pass", cases=40))
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    track = Functions(2, Progress(shown, enabled=True), prefix="submission 1/3 a.py: ")
    track(Result("relu_forward", "pass", cases=40))
    track(Result("relu_backward", "fail", cases=38, not_judged=2))
    assert shown.getvalue().rsplit("\r\x1b[K", 1)[1].startswith("submission 1/3 a.py: functions 2/2, 80 cases (")
