"""Broken and hostile implementations: the verifier finishes, gives every function its verdict,
loses no result and gives no false pass (tests/fixtures/hostile/)."""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from refcheck import cli, loader
from refcheck.cases import Case, seeds_for
from refcheck.engine import Fatal
from refcheck.isolate import IsolatedImplementation
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTILE = os.path.join("tests", "fixtures", "hostile")

# function -> (status, a phrase its message must hold)
BROKEN = {
    "affine_forward": ("error", "NotImplementedError: TODO: affine_forward (broken.py:"),
    "affine_backward": ("error", "NotImplementedError: TODO: affine_forward"),
    "relu_forward": ("error", "returned a NoneType, expected a tuple (out, cache)"),
    "relu_backward": ("error", "returned a NoneType"),
    "svm_loss_naive": ("error", "dW has shape"),
    "svm_loss": ("error", "not a numeric array"),
    "softmax_loss": ("error", "SystemExit: 3"),
    "batchnorm_forward": ("fail", "is non-finite where the oracle is finite"),
    "conv_forward_naive": ("error", "did not return within 2 s"),
    "max_pool_forward_naive": ("error", "ran out of memory"),
    "compute_distances": ("error", "crashed the worker process: it was killed by signal SIGSEGV"),
    "dropout_forward": ("pass", ""), "dropout_backward": ("pass", ""), "sgd": ("pass", ""),
    "svm_loss_vectorized": ("pass", ""),
}
# what a crash or a 50 GB allocation would do to the verifier's own process stays isolated
IN_PROCESS_SAFE = [n for n in BROKEN if n not in ("max_pool_forward_naive", "compute_distances")]

TAMPERED = {"affine_forward": "fail", "relu_backward": "fail", "softmax_loss": "fail", "svm_loss": "fail",
            "relu_forward": "pass"}


def refcheck(*args):
    """The command itself, in a process of its own (for what only a real process shows)."""
    return subprocess.run([sys.executable, "-m", "refcheck", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=600)


def verdicts(tmp_path, module, *args):
    """refcheck's main in this process: with --isolate, this process never imports the module."""
    out = tmp_path / "v.json"
    assert cli.main([os.path.join(ROOT, HOSTILE, module), "--json", str(out), *args]) == 1
    return json.loads(out.read_text())["functions"]


# broken_torch.py and tampering_torch.py are the same modules written for torch tensors: under
# isolation the tensors cross the process boundary as plain data, and the verdicts are the same
@pytest.mark.parametrize("module,workers", [("broken.py", "1"), ("broken.py", "2"), ("broken_torch.py", "1")])
def test_broken_functions_each_get_their_verdict_under_isolation(tmp_path, module, workers):
    fewer = ["--seeds", "3"] if "torch" in module else []  # the same verdicts, on fewer cases
    functions = verdicts(tmp_path, module, "--isolate", "--timeout", "2", "-n", workers, *fewer)
    for name, (status, phrase) in BROKEN.items():
        phrase = phrase.replace("broken.py", module)
        assert functions[name]["status"] == status, (name, functions[name]["message"])
        assert phrase in functions[name]["message"], (name, functions[name]["message"])


def test_broken_functions_in_process_where_that_is_safe(tmp_path):
    # broken.py does nothing at import, so loading it into this process is harmless
    functions = verdicts(tmp_path, "broken.py", "--timeout", "2", "--only", ",".join(IN_PROCESS_SAFE))
    for name in IN_PROCESS_SAFE:
        status, phrase = BROKEN[name]
        assert functions[name]["status"] == status, (name, functions[name]["message"])
        assert phrase in functions[name]["message"], (name, functions[name]["message"])


@pytest.mark.parametrize("module,workers", [("tampering.py", "1"), ("tampering.py", "2"), ("tampering_torch.py", "1")])
def test_patching_torch_numpy_builtins_or_refcheck_cannot_turn_a_fail_into_a_pass(tmp_path, module, workers):
    functions = verdicts(tmp_path, module, "--isolate", "-n", workers, *(["--seeds", "3"] if "torch" in module else []))
    assert {n: functions[n]["status"] for n in TAMPERED} == TAMPERED
    assert {n for n, f in functions.items() if f["status"] == "pass"} == {"relu_forward"}


def test_pytest_plugin_isolates_too(tmp_path):
    junit = tmp_path / "r.xml"
    subprocess.run([sys.executable, "-m", "pytest", "--impl", os.path.join(HOSTILE, "broken.py"), "--refcheck-isolate",
                    "--refcheck-timeout", "2", "-n", "0", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                    "refcheck/compute_distances", "refcheck/max_pool_forward_naive", "refcheck/sgd::float64-seed1",
                    "refcheck/conv_forward_naive::float64-seed1"],
                   cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in ET.parse(junit).getroot().iter("testcase")}
    failed = {name for name, c in cases.items() if c.find("failure") is not None}
    xfailed = {name for name, c in cases.items() if c.find("skipped") is not None
               and c.find("skipped").get("type") == "pytest.xfail"}
    assert "refcheck.sgd::float64-seed1" in cases and "refcheck.sgd::float64-seed1" not in failed | xfailed
    for function in ("compute_distances", "max_pool_forward_naive", "conv_forward_naive"):
        mine = {n for n in cases if n.startswith(f"refcheck.{function}::")}
        assert len(mine & failed) == 1 and mine <= failed | xfailed, (function, mine & failed)
    # the checker runs a crashing function once, then marks its other cases at once (xfailed, one line)
    distances = [n for n in cases if "compute_distances" in n]
    assert len(distances) == len(ROWS["compute_distances"].gen.cases(seeds_for()))
    ran = [cases[n].find("failure").get("message") for n in distances if n in failed]
    assert len(ran) == 1 and "crashed the worker process: it was killed by signal SIGSEGV" in ran[0]
    assert all("is not run again" in cases[n].find("skipped").get("message") for n in distances if n in xfailed)


@pytest.mark.parametrize("isolate", [[], ["--isolate"]], ids=["in-process", "isolated"])
@pytest.mark.parametrize("module,phrase", [
    ("exits_at_import.py", "it called sys.exit(3) at import time"),
    ("os_exit_at_import.py", "while importing it"),
    ("syntax_error.py", "syntax error at"),
    ("missing_dependency.py", "it needs the module 'numpy_but_misspelled', which is not installed"),
])
def test_import_problems_are_one_clear_message_and_exit_2(module, phrase, isolate):
    result = refcheck(os.path.join(HOSTILE, module), *isolate)
    assert result.returncode == 2
    assert phrase in result.stderr or (phrase == "while importing it" and "while being imported" in result.stderr)
    assert result.stderr.startswith("refcheck: cannot import") and "Traceback" not in result.stderr
    if module == "syntax_error.py":
        assert "syntax_error.py:2" in result.stderr
    if not isolate:  # the probe forked from refcheck's server (where torch is imported) says the same
        with pytest.raises(loader.ImportProblem) as problem:
            loader._probe_forked(os.path.join(HOSTILE, module), 120)
        said = str(problem.value)
        assert phrase in said or (phrase == "while importing it" and "while being imported" in said), said
        assert said in result.stderr


@pytest.mark.parametrize("isolate", [[], ["--isolate"]], ids=["in-process", "isolated"])
def test_output_printed_at_import_does_not_reach_the_report(isolate):
    result = refcheck(os.path.join(HOSTILE, "prints_at_import.py"), "--only", "affine_forward", *isolate)
    assert result.returncode == 0
    assert "hello from" not in result.stdout + result.stderr
    assert "file descriptor" not in result.stdout + result.stderr
    assert re.search(r"^affine_forward +pass +44 ", result.stdout, re.M), result.stdout


class _DiesMidWrite:
    """The worker's connection, killing the worker just as a request is written to it."""

    def __init__(self, impl):
        self.impl, self.conn = impl, impl.conn

    def send(self, request):
        self.impl.process.kill()
        self.impl.process.join(5)
        self.conn.send(request)

    def __getattr__(self, name):
        return getattr(self.conn, name)


def test_a_worker_that_dies_while_a_request_is_written_is_a_crash_and_the_next_call_restarts():
    impl = IsolatedImplementation(os.path.join(ROOT, HOSTILE, "broken.py"), timeout=10)
    try:
        row, case = ROWS["sgd"], Case("float64", "seed1")
        impl.conn = _DiesMidWrite(impl)
        run = impl.execute(row, row.gen(case), case)
        assert isinstance(run, Fatal) and "crashed the worker process: it was killed by signal SIGKILL" in run
        again = impl.execute(row, row.gen(case), case)  # a new worker
        assert not isinstance(again, str) and "next_w" in again.outputs
    finally:
        impl.close()


def test_the_probe_overlaps_this_process_work_and_still_reports_a_module_that_ends_it(tmp_path, monkeypatch):
    """make_impl imports torch while the fresh interpreter imports a torch module (the two imports
    overlap); the probe's verdict is the same as without the overlap."""
    import refcheck.parallel
    monkeypatch.setattr(refcheck.parallel, "serving", lambda: False)  # the fresh-interpreter probe
    ended = tmp_path / "torch_then_exit.py"
    ended.write_text("import os\nos._exit(0)\n")
    ran = []
    with pytest.raises(loader.ImportProblem, match="ended the process while being imported"):
        loader.probe(str(ended), meanwhile=lambda: ran.append(True))
    assert ran == [True]
    fine = tmp_path / "torch_fine.py"
    fine.write_text("def relu_forward(x):  # torch tensors\n    import torch\n    return torch.relu(x), x\n")
    loader.probe(str(fine), meanwhile=lambda: ran.append(True))
    assert ran == [True, True]
    from refcheck import run
    commented = tmp_path / "numpy_mentioning_torch.py"
    commented.write_text("import numpy as np  # as torch does\n\ndef relu_forward(x):\n    return np.maximum(x, 0), x\n")
    assert run._names_torch(str(fine)) and not run._names_torch(str(commented))
    assert not run._names_torch(os.path.join(HOSTILE, "os_exit_at_import.py"))
