"""The command line as users of CLI tools expect it: exit statuses a CI script can rely on, "did you
mean", warnings with their case and repro, an 80-column report with colour only where it belongs,
--version, --list, --json -, validated numbers, imports from the current folder, a signature
mismatch in the contract's terms. In this process where it can be (cli.main), one subprocess each
for `make verify` and a terminal (tmux)."""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from refcheck import cli
from refcheck.cases import Case
from refcheck.engine import Implementation, Report, check_function
from refcheck.loader import ImportProblem, load
from refcheck.registry import FAMILIES, ROWS, family_rows
from refcheck.text import WIDTH, Style, Table, wrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = "examples/layers_with_mistakes.py"
RULES = "tests/fixtures/verdict_rules.py"
ANSI = re.compile(r"\033\[[0-9;]*m")


@pytest.fixture(autouse=True)
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def test_nothing_of_the_contract_found_is_exit_2_naming_what_was_looked_for(tmp_path, capsys):
    renamed = write(tmp_path, "renamed.py", """
        import numpy as np

        def my_softmax(x, y):
            return 0.0, np.zeros_like(x)

        def helper(x):
            return x
    """)
    assert cli.main([renamed, "--seeds", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "defines none of the functions looked for (course cs231n)" in err and "affine_forward" in err
    assert "my_softmax ~ softmax_loss" in err and "--map my_softmax=softmax_loss" in err
    assert cli.main([renamed, "--only", "relu_forward,relu_backward"]) == 2
    assert "relu_forward, relu_backward." in " ".join(capsys.readouterr().err.split())
    # one function found among those asked for is enough to check
    assert cli.main([renamed, "--map", "my_softmax=softmax_loss", "--only", "softmax_loss,relu_forward",
                     "--seeds", "1"]) == 1


def test_did_you_mean_for_only_and_case(capsys):
    assert cli.main([EXAMPLE, "--only", "adma,relu_forward"]) == 2
    err = capsys.readouterr().err
    assert "unknown function adma (did you mean adam or adamw?)" in err and "relu_forward," not in err
    assert cli.main([EXAMPLE, "--only", "max_pool_backward_naive", "--case", "float64-tie"]) == 2
    assert "has no case 'tie' (did you mean ties" in capsys.readouterr().err
    assert cli.main([EXAMPLE, "--only", "lstm_forward", "--case", "float64-seed1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "missings" not in err and "defines none of the functions looked for (course cs231n): lstm_forward." in err
    assert "--map" not in err  # its functions are the contract's own: nothing to map


def test_numbers_are_validated_and_the_path_is_required(capsys):
    for flags in (["--seeds", "-3"], ["--timeout", "0"], ["--memory", "0"], ["-n", "0"], ["--seeds", "two"]):
        with pytest.raises(SystemExit) as exit_:
            cli.parse_args([EXAMPLE, *flags])
        assert exit_.value.code == 2
        assert f"argument {flags[0]}" in capsys.readouterr().err
    assert cli.parse_args([EXAMPLE, "--seeds", "0", "--timeout", "0.5"]).timeout == 0.5
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args([])
    assert exit_.value.code == 2 and "path of the module to check is required" in capsys.readouterr().err


def test_version_list_and_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(["--version"])
    assert exit_.value.code == 0 and re.fullmatch(r"refcheck \(refimpl\) \S+\n", capsys.readouterr().out)
    assert cli.main(["--list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert "layers.py (25)" in listing and "  affine_forward(x, w, b) -> out, cache" in listing
    listed = [line[2:].split("(")[0].split(" ")[0] for line in listing if re.match(r"  \w", line)]
    assert sorted(listed) == sorted(ROWS)  # each once (a long signature continues, indented further)
    assert max(map(len, listing)) <= WIDTH
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    help_text = capsys.readouterr().out
    assert "exit status:" in help_text and "2  a usage problem, a module that cannot be imported" in help_text


def test_json_to_stdout_and_the_report_to_stderr(capsys):
    assert cli.main(["tests/fixtures/off_by_one_bias.py", "--only", "affine_forward,affine_backward",
                     "--seeds", "2", "--json", "-"]) == 1
    captured = capsys.readouterr()
    verdicts = json.loads(captured.out)
    assert {n: f["status"] for n, f in verdicts["functions"].items()} == {"affine_forward": "pass",
                                                                          "affine_backward": "fail"}
    assert "affine_backward fails on case" in captured.err and not os.path.exists("-")


def test_warnings_carry_their_case_and_repro_in_the_table_json_strict_and_case(tmp_path, capsys):
    out = tmp_path / "v.json"
    assert cli.main([RULES, "--only", "softmax_loss", "--json", str(out), "--color", "never"]) == 0
    text = capsys.readouterr().out
    warned = json.loads(out.read_text())["functions"]["softmax_loss"]["warning_cases"]
    first = warned[0]
    assert first["warning"] == "loss is non-finite on extreme inputs"
    assert first["repro"].endswith(f"{RULES} --only softmax_loss --case {first['case']}")
    assert re.search(rf"^softmax_loss +pass .*warning: .*\n +on case {first['case']}", text, re.M), text
    assert f"softmax_loss warning on case {first['case']}: loss is non-finite" in text
    assert cli.main([RULES, "--only", "softmax_loss", "--strict", "--color", "never"]) == 1
    strict = capsys.readouterr().out
    assert "softmax_loss fails under --strict: its warnings are failures" in strict
    assert f"warning: loss is non-finite on extreme inputs (case {first['case']})" in strict
    assert f"--only softmax_loss --case {first['case']}" in " ".join(strict.replace("\\\n", " ").split())
    # --case on it: the pass, then its warnings on lines of their own
    assert cli.main([RULES, "--only", "softmax_loss", "--case", first["case"]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"softmax_loss passes case {first['case']}") and lines[0].endswith("with warnings:")
    assert "  warning: loss is non-finite on extreme inputs" in lines


def result(name, status, message="", hint=None, **kw):
    return Report(name, status, cases=40, failed=3 if status in ("fail", "error") else 0, message=message,
                  hint=hint, **kw)


def test_table_rows_fit_and_never_leave_a_problem_without_a_reason():
    error = result("multi_head_attention_backward", "error",
                   "multi_head_attention_backward errors on case float64-seed0\n"
                   "  affine_forward takes 2 arguments (x, w), the contract passes 3 (x, w, b)")
    unhinted = result("affine_backward", "fail", "affine_backward fails on case float64-seed4\n"
                      "  db differs from the oracle: worst element db[0]: actual -0.999, expected -1")
    hinted = result("softmax_loss", "fail", "softmax_loss fails on case x\n  loss ...", hint="Use x - x.max(axis=1).")
    table = Table([r.name for r in (error, unhinted, hinted)])
    rows = {r.name: table.row(r) for r in (error, unhinted, hinted)}
    assert all(len(line) <= WIDTH for row in rows.values() for line in row.splitlines())
    rows = {name: " ".join(row.split()) for name, row in rows.items()}
    assert "ERROR" in rows[error.name] and "affine_forward takes 2 arguments" in rows[error.name]
    assert "db differs from the oracle" in rows["affine_backward"] and "FAIL 40 3 " in rows["affine_backward"]
    assert rows["softmax_loss"].endswith("Use x - x.max(axis=1).")
    assert len(table.header()) <= WIDTH


def test_colour_on_a_terminal_only_and_as_asked():
    class Tty:
        def isatty(self):
            return True
    assert Style.for_stream(Tty()).color and not Style.for_stream(io.StringIO()).color
    assert not Style.for_stream(Tty(), "never").color and Style.for_stream(object(), "always").color
    os.environ["NO_COLOR"] = "1"
    try:
        assert not Style.for_stream(Tty()).color and Style.for_stream(Tty(), "always").color
    finally:
        del os.environ["NO_COLOR"]
    row = result("softmax_loss", "fail", "softmax_loss fails\n  loss is nan", hint="Subtract the maximum.")
    plain, coloured = Table(["softmax_loss"]).row(row), Table(["softmax_loss"], Style(True)).row(row)
    assert coloured != plain and ANSI.sub("", coloured) == plain  # colour never moves a column


def test_wrapped_repro_lines_still_paste_as_one_command():
    repro = "refcheck examples/layers_with_mistakes.py --only max_pool_backward_naive --case " + \
            "float64-ties-N=1-dh=0-dw=0-ph=1-stride=1-simple"
    wrapped = wrap("  repro: " + repro)
    assert max(map(len, wrapped.splitlines())) <= WIDTH and len(wrapped.splitlines()) > 1
    assert " ".join(wrapped.replace("\\\n", " ").split()) == "repro: " + repro


def test_missing_functions_grouped_by_file_and_whole_files_elided():
    from refcheck.text import missing_block
    results = [Report(r.name, "missing") for family, _ in FAMILIES for r in family_rows(family)]
    results = [Report(r.name, "pass") if r.name in ("affine_forward", "sgd") else r for r in results]
    lines = "\n".join(missing_block(results)).splitlines()
    optim = len(family_rows("optim"))
    assert lines[0] == f"not defined (not checked): {len(ROWS) - 2}, by the file they belong in"
    assert "  optim.py: sgd_momentum, sgd_nesterov, rmsprop, adagrad, adam, adamw" in lines
    assert f"  rnn_layers.py: none of its {len(family_rows('rnn'))} functions" in lines
    assert f"  attention: none of its {len(family_rows('attention'))} functions" in lines
    assert optim > 3 and max(map(len, lines)) <= WIDTH


def test_a_signature_mismatch_is_stated_in_the_contracts_terms(tmp_path):
    module = write(tmp_path, "sig.py", """
        def affine_forward(x, w):
            return x.reshape(x.shape[0], -1) @ w, None
    """)
    report = check_function(Implementation(load(module), module), "affine_forward", [Case.parse("float64-seed0")])
    assert report.status == "error"
    assert "affine_forward takes 2 arguments (x, w), the contract passes 3 (x, w, b)" in report.message
    assert "calls.py" not in report.message


def test_dotted_names_import_from_the_current_folder_and_a_directory_is_named(tmp_path, monkeypatch):
    package = tmp_path / "hw_cs231n"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text("def relu_forward(x):\n    return x * (x > 0), x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        assert load("hw_cs231n.layers").relu_forward is not None
    finally:
        for name in ("hw_cs231n", "hw_cs231n.layers"):
            sys.modules.pop(name, None)
    with pytest.raises(ImportProblem) as problem:
        load("hw_cs231n/")
    assert str(problem.value) == ("cannot import hw_cs231n/: it is a directory; name one file in it "
                                  "(hw_cs231n/layers.py), or a module of the package by its dotted name "
                                  "(hw_cs231n.layers)")


def test_make_verify_reports_refcheck_exit_status(tmp_path):
    # the recipe only (STAMP: an existing file, so that make does not set anything up)
    done = subprocess.run(["make", "-s", "verify", "STAMP=Makefile", f"BIN={os.path.dirname(sys.executable)}",
                           "IMPL=tests/fixtures/off_by_one_bias.py", "ARGS=--only affine_backward --seeds 1"],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode != 0 and "affine_backward fails on case" in done.stdout, done.stdout + done.stderr
    assert "refcheck exited with status 1: a function fails or errors" in done.stdout + done.stderr


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed (.ci/run installs it)")
def test_the_example_report_on_an_80_column_terminal(tmp_path):
    """The shipped example in a real terminal (tmux, 80x40): colour, nothing wider than the screen."""
    # a server of our own (its socket, no config), so that the pane has this process's environment
    tmux = ["tmux", "-L", f"refcheck-test-{os.getpid()}", "-f", os.devnull]
    exe = shutil.which("refcheck") or f"{sys.executable} -m refcheck"
    command = f"cd {ROOT} && {exe} {EXAMPLE}; echo exit=$?; sleep 120"
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    subprocess.run([*tmux, "new-session", "-d", "-s", "report", "-x", "80", "-y", "40", command], env=env, check=True)
    try:
        deadline, screen = time.time() + 300, ""
        while time.time() < deadline and "exit=" not in screen:
            time.sleep(1)
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-e", "-J", "-S", "-", "-t", "report"],
                                    capture_output=True, text=True, check=False).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
    (tmp_path / "screen.txt").write_text(screen)
    plain = ANSI.sub("", screen)
    assert "exit=1" in plain, plain[-2000:]
    assert re.search(r"(\033\[[0-9;]*m)+FAIL", screen) and re.search(r"(\033\[[0-9;]*m)+pass", screen)
    lines = [line.rstrip() for line in plain.splitlines()]
    assert max(map(len, lines)) <= WIDTH, max(lines, key=len)  # -J: a wrapped line would show up joined
    assert any(re.match(r"softmax_loss +FAIL +56 +\d+ +inf  The scores are exponentiated", line) for line in lines)
    assert "  rnn_layers.py: none of its 13 functions" in lines
