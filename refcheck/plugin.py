"""pytest plugin (entry point ``refcheck``): ``pytest --impl PATH`` runs the engine's checks as tests
against that module, so ``-n auto``, ``-k``, ``-x`` and JUnit XML work as usual."""
import os
import warnings

import pytest

from .cases import PROFILES
from .loader import ImportProblem, load
from .parallel import pin_worker_threads



class RefcheckWarning(UserWarning):
    """A hazard that does not change results (float64 for float32 inputs, in-place changes...)."""


def pytest_addoption(parser):
    group = parser.getgroup("refcheck", "verify an implementation against the PyTorch oracles")
    group.addoption("--impl", metavar="PATH", help="a .py file or importable module to verify")
    group.addoption("--impl-strict", action="store_true", help="warnings about the implementation fail")
    group.addoption("--profile", dest="refcheck_profile", choices=sorted(PROFILES),
                    help="how many randomized cases per function and dtype (default: $REFCHECK_PROFILE or quick)")


def pytest_configure(config):
    # xdist workers inherit the environment (see refcheck.parallel)
    if getattr(config.option, "numprocesses", None) or os.environ.get("PYTEST_XDIST_WORKER"):
        pin_worker_threads(override=False)
    if config.getoption("impl") and config.args_source != pytest.Config.ArgsSource.ARGS:
        from . import checks
        config.args[:] = [checks.__file__]


class PytestChecker:
    """Runs one case through the engine and turns its outcome into a pytest result."""

    def __init__(self, impl, strict):
        self.impl, self.strict = impl, strict

    def assert_case(self, name, case):
        __tracebackhide__ = True
        from . import engine, hints
        from .registry import ROWS
        checked = engine.check_case(self.impl, ROWS[name], case)
        outcome = checked.outcome
        if outcome.status == "missing":
            pytest.skip(f"{name} is not defined in {self.impl.label}")
        if outcome.status == "pass" and outcome.compared == 0:
            outcome.status, outcome.message = "error", "no value comparison ran"
        if outcome.status == "pass" and outcome.warnings and self.strict:
            outcome.status = "fail"
            outcome.message = "warnings are failures in strict mode:\n" + "\n".join(outcome.warnings)
        if outcome.status != "pass":
            hint = hints.find(ROWS[name], checked) if outcome.status == "fail" else None
            pytest.fail(engine.case_report(name, checked, self.impl.label, hint), pytrace=False)
        for w in outcome.warnings:
            warnings.warn(RefcheckWarning(f"{name} [{case.id}]: {w}"), stacklevel=1)


def checker_for(config):
    """The checker of the module named by --impl (exit 2 with one message if it cannot import)."""
    from .engine import Implementation
    target = config.getoption("impl")
    try:
        module = load(target)
    except ImportProblem as exc:
        pytest.exit(str(exc), returncode=2)
    return PytestChecker(Implementation(module, target), config.getoption("impl_strict"))


@pytest.fixture(scope="session")
def refcheck_impl(request):
    if not request.config.getoption("impl"):
        pytest.skip("no implementation given: pass --impl PATH")
    return checker_for(request.config)
