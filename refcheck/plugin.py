"""pytest plugin (entry point ``refcheck``): ``pytest --impl PATH`` runs the engine's checks as tests
against that module, so ``-n auto``, ``-k``, ``-x`` and JUnit XML work as usual.

Nothing here imports NumPy at import time: with ``--impl``, the session is pinned to one
BLAS/OpenMP thread (refcheck.parallel) before anything starts a thread pool."""
import os
import warnings

import pytest

from .loader import ImportProblem
from .parallel import pin_threads
from .profiles import PROFILES



class RefcheckWarning(UserWarning):
    """A hazard that does not change results (float64 for float32 inputs, in-place changes...)."""


def pytest_addoption(parser):
    group = parser.getgroup("refcheck", "verify an implementation against the PyTorch oracles")
    group.addoption("--impl", metavar="PATH", help="a .py file or importable module to verify")
    group.addoption("--impl-strict", action="store_true", help="warnings about the implementation fail")
    group.addoption("--impl-isolate", action="store_true",
                    help="run the implementation in a worker process (see refcheck --isolate)")
    group.addoption("--impl-timeout", type=float, default=None, metavar="SECONDS",
                    help="time limit per call of the implementation (default 20)")
    group.addoption("--impl-memory", type=int, default=None, metavar="MB",
                    help="with --impl-isolate, the memory the implementation may allocate (default 2048)")
    group.addoption("--impl-course", metavar="NAME", help="the course the module follows (see refcheck --course)")
    group.addoption("--map", "--impl-map", dest="impl_map", action="append", metavar="NAME=FUNCTION,...",
                    help="the module's own names for contract functions (see refcheck --map)")
    group.addoption("--impl-arrays", choices=("numpy", "torch"), help="NumPy arrays or torch tensors (default: detected)")
    group.addoption("--impl-device", metavar="DEVICE", help="with torch tensors, cpu (default) or cuda")
    group.addoption("--profile", dest="refcheck_profile", choices=sorted(PROFILES),
                    help="how many randomized cases per function and dtype (default: $REFCHECK_PROFILE or quick)")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # before the conftest files and the tests import NumPy or torch (see refcheck.parallel)
    if any(a == "--impl" or a.startswith("--impl=") for a in args):
        pin_threads()


def pytest_configure(config):
    # xdist workers inherit the environment (see refcheck.parallel)
    if getattr(config.option, "numprocesses", None) or os.environ.get("PYTEST_XDIST_WORKER"):
        pin_threads(override=False)
    if config.getoption("impl") and config.args_source != pytest.Config.ArgsSource.ARGS:
        from . import checks
        config.args[:] = [checks.__file__]


class PytestChecker:
    """Runs one case through the engine and turns its outcome into a pytest result."""

    def __init__(self, impl, strict):
        self.impl, self.strict = impl, strict
        self.fatal = {}  # function -> the case on which it hung or crashed

    def assert_case(self, name, case):
        __tracebackhide__ = True
        from . import engine, hints
        from .registry import ROWS
        if name in self.fatal:  # one hang or crash per function is enough to know its verdict
            pytest.fail(f"{name} is not run again: it {self.fatal[name]}", pytrace=False)
        checked = engine.check_case(self.impl, ROWS[name], case)
        outcome = checked.outcome
        if outcome.fatal:
            self.fatal[name] = f"hung or crashed on case {case.id} ({outcome.message})"
        if outcome.status == "missing":
            pytest.skip(f"{name} is not defined in {self.impl.label}")
        forward = engine._forward_row(ROWS[name])
        refused = engine._forward_refuses(self.impl, forward, checked)
        if refused is not None:  # the forward's failure, counted in the forward's own tests
            pytest.skip(f"{name} is not judged on case {case.id}: {forward.name} raised ({refused})")
        if outcome.status == "pass" and outcome.compared == 0:
            outcome.status, outcome.message = "error", "no value comparison ran"
        if outcome.status == "pass" and outcome.warnings and self.strict:
            outcome.status = "fail"
            outcome.message = "warnings are failures in strict mode:\n" + "\n".join(outcome.warnings)
        if outcome.status != "pass":
            diagnosis = hints.diagnose(ROWS[name], checked)
            pytest.fail(engine.case_report(name, checked, self.impl.label, diagnosis.hint, diagnosis.evidence),
                        pytrace=False)
        for w in outcome.warnings:
            warnings.warn(RefcheckWarning(f"{name} [{case.id}]: {w}"), stacklevel=1)


def checker_for(config):
    """The checker of the module named by --impl (exit 2 with one message if it cannot import)."""
    from .cli import _make_impl, plan_options
    path = config.getoption("impl")
    try:
        options = plan_options(path, config.getoption("impl_course"), config.getoption("impl_map"),
                               config.getoption("impl_arrays"), config.getoption("impl_device"))
        impl = _make_impl(path, config.getoption("impl_timeout"), config.getoption("impl_isolate"),
                          config.getoption("impl_memory"), options)
    except (ImportProblem, ValueError) as exc:
        pytest.exit(str(exc), returncode=2)
    return PytestChecker(impl, config.getoption("impl_strict"))


@pytest.fixture(scope="session")
def refcheck_impl(request):
    if not request.config.getoption("impl"):
        pytest.skip("no implementation given: pass --impl PATH")
    checker = checker_for(request.config)
    yield checker
    checker.impl.close()
