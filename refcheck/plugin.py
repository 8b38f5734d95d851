"""pytest plugin (entry point ``refcheck``): ``pytest --impl PATH`` adds the engine's checks of that
module as tests beside the ones pytest collects anyway, so ``-n auto``, ``-k``, ``-x`` and JUnit XML
work as usual.

- Options live in their own group and namespace (``--refcheck-profile``, ``--refcheck-strict``,
  ...); the older ``--impl-*`` spellings stay as aliases. Generic names (``--profile``, ``--map``)
  are not registered: other plugins (pytest-profiling) own them.
- One test per (function, case), with node ids that name the function:
  ``refcheck/affine_backward::float32-seed3`` (JUnit classname ``refcheck.affine_backward``). Such
  an id on the command line selects that check (``refcheck/affine_backward`` all of its cases).
- Per function (and per process), the first failing case fails with the shrunk case, the hint and
  the repro; the function's later failing cases still run and are reported as xfailed, one line
  each, pointing at that failure: a module with one real bug gives one failure, not one per case.

Nothing here imports NumPy at import time: with ``--impl``, the session is pinned to one
BLAS/OpenMP thread (refcheck.parallel) before anything starts a thread pool."""
import os
import warnings

import pytest

from .loader import ImportProblem
from .parallel import pin_threads
from .profiles import PROFILES

PREFIX = "refcheck/"


class RefcheckWarning(UserWarning):
    """A hazard that does not change results (float64 for float32 inputs, in-place changes...)."""


def pytest_addoption(parser):
    group = parser.getgroup("refcheck", "refcheck: verify an implementation against the PyTorch oracles")
    group.addoption("--refcheck-impl", "--impl", dest="impl", metavar="PATH",
                    help="a .py file or importable module to verify: its checks run beside the other tests")
    group.addoption("--refcheck-strict", "--impl-strict", dest="impl_strict", action="store_true",
                    help="warnings about the implementation fail")
    group.addoption("--refcheck-isolate", "--impl-isolate", dest="impl_isolate", action="store_true",
                    help="run the implementation in a worker process (see refcheck --isolate)")
    group.addoption("--refcheck-timeout", "--impl-timeout", dest="impl_timeout", type=_positive(float),
                    default=None, metavar="SECONDS", help="time limit per call of the implementation (default 20)")
    group.addoption("--refcheck-memory", "--impl-memory", dest="impl_memory", type=_positive(int), default=None,
                    metavar="MB", help="with --refcheck-isolate, the memory the implementation may allocate "
                                       "(default 2048)")
    group.addoption("--refcheck-course", "--impl-course", dest="impl_course", metavar="NAME",
                    help="the course the module follows (see refcheck --course)")
    group.addoption("--refcheck-map", "--impl-map", dest="impl_map", action="append", metavar="NAME=FUNCTION,...",
                    help="the module's own names for contract functions (see refcheck --map)")
    group.addoption("--refcheck-arrays", "--impl-arrays", dest="impl_arrays", choices=("numpy", "torch"),
                    help="NumPy arrays or torch tensors (default: detected)")
    group.addoption("--refcheck-device", "--impl-device", dest="impl_device", metavar="DEVICE",
                    help="with torch tensors, cpu (default) or cuda")
    group.addoption("--refcheck-profile", dest="refcheck_profile", choices=sorted(PROFILES),
                    help="how many randomized cases per function and dtype (default: $REFCHECK_PROFILE or quick)")


def _positive(kind):
    def parse(text):
        import argparse
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # before the conftest files and the tests import NumPy or torch (see refcheck.parallel)
    if any(a in ("--impl", "--refcheck-impl") or a.startswith(("--impl=", "--refcheck-impl=")) for a in args):
        pin_threads()


_SELECTED = pytest.StashKey()
_CHECKER = pytest.StashKey()


def _selection(arg):
    """``refcheck/NAME`` or ``refcheck/NAME::CASE`` (a check's node id) as (name, case id or None)."""
    from .registry import ROWS
    if not arg.startswith(PREFIX) or os.path.exists(arg.split("::")[0]):
        return None
    name, _, case = arg[len(PREFIX):].partition("::")
    return (name, case or None) if name in ROWS else None


def pytest_configure(config):
    config.addinivalue_line("markers", "refcheck: a check of the implementation given by --impl")
    # xdist workers inherit the environment (see refcheck.parallel)
    if getattr(config.option, "numprocesses", None) or os.environ.get("PYTEST_XDIST_WORKER"):
        pin_threads(override=False)
    if not config.getoption("impl"):
        return
    selected = [s for s in map(_selection, config.args) if s]
    if selected:  # the checks' node ids are not paths: take them out of what pytest collects
        config.args[:] = [a for a in config.args if not _selection(a)]
    config.stash[_SELECTED] = selected


class FunctionChecks(pytest.Collector):
    """The checks of one contract function (node id ``refcheck/NAME``), one item per case."""

    def __init__(self, *, cases, **kw):
        super().__init__(**kw)
        self.cases = cases

    def collect(self):
        return [CaseCheck.from_parent(self, name=c.id, function=self.name, case=c) for c in self.cases]


class CaseCheck(pytest.Item):
    """One case of one function: ``refcheck/NAME::CASE``."""

    def __init__(self, *, function, case, **kw):
        super().__init__(**kw)
        self.contract_function, self.case = function, case
        self.add_marker("refcheck")
        self.extra_keyword_matches.add(f"{function}-{case.id}")  # -k 'sgd-float64-seed1'

    def runtest(self):
        checker(self.config).assert_case(self.contract_function, self.case, where=self.nodeid)

    def reportinfo(self):
        return self.path, None, str(self.nodeid)

    def repr_failure(self, excinfo, style=None):
        # a later failing case's xfail is shown by its reason alone (pytest's summary and JUnit
        # read the reason from the exception): rendering its traceback through pytest's and
        # pluggy's frames, which nobody sees, parsed their source files at 0.1-0.3 s a case
        if excinfo.errisinstance(pytest.xfail.Exception) and not self.config.option.runxfail:
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


@pytest.hookimpl(tryfirst=True)  # before -k, -m and --deselect pick from the items
def pytest_collection_modifyitems(session, config, items):
    if not config.getoption("impl"):
        return
    from pathlib import Path

    from .cases import seeds_for
    from .registry import ROWS
    selected = config.stash.get(_SELECTED, [])
    given = config.getoption("impl")
    path = Path(given).resolve() if os.path.isfile(given) else session.path
    seeds = seeds_for(config.getoption("refcheck_profile"))
    for name, row in ROWS.items():
        cases = [c for c in row.gen.cases(seeds)
                 if not selected or any(n == name and i in (None, c.id) for n, i in selected)]
        if not cases:
            continue
        group = FunctionChecks.from_parent(session, name=name, nodeid=PREFIX + name, path=path, cases=cases)
        # collected as pytest collects (so the counts and the collection hooks see them)
        group.ihook.pytest_collectstart(collector=group)
        report = group.ihook.pytest_make_collect_report(collector=group)
        group.ihook.pytest_collectreport(report=report)
        items.extend(report.result)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    # under xdist, an import problem or a module defining nothing of the contract ends the run
    # here, once (exit status 2), before the workers start and each one crashes on it
    config = session.config
    if config.getoption("impl") and getattr(config.option, "numprocesses", None) \
            and not os.environ.get("PYTEST_XDIST_WORKER"):
        checker(config)


def pytest_sessionfinish(session):
    found = session.config.stash.get(_CHECKER, None)
    if found is not None:
        found.impl.close()


class PytestChecker:
    """Runs one case through the engine and turns its outcome into a pytest result: the first
    failure of a function in full (shrunk, with the hint and the repro), its later ones in a line."""

    def __init__(self, impl, strict):
        self.impl, self.strict = impl, strict
        self.fatal = {}     # function -> the case on which it hung or crashed
        self.reported = {}  # function -> where its failure is shown in full
        self.warned = set()

    def assert_case(self, name, case, where=None):
        __tracebackhide__ = True
        from . import engine, hints
        from .registry import ROWS
        row = ROWS[name]
        if name in self.fatal:  # one hang or crash per function is enough to know its verdict
            pytest.xfail(f"{name} is not run again: it {self.fatal[name]}")
        checked = engine.check_case(self.impl, row, case)
        outcome = checked.outcome
        if outcome.fatal:
            self.fatal[name] = f"hung or crashed on case {case.id} ({outcome.message.splitlines()[0]})"
        if outcome.status == "missing":
            pytest.skip(f"{name} is not defined in {self.impl.label}")
        if outcome.status == "skipped":
            pytest.skip(f"{name} is not judged on case {case.id}: {outcome.message}")
        forward = engine._forward_row(row)
        refused = engine._forward_refuses(self.impl, forward, checked)
        if refused is not None:  # the forward's failure, counted in the forward's own tests
            pytest.skip(f"{name} is not judged on case {case.id}: {forward.name} raised ({refused})")
        if outcome.status == "pass" and outcome.compared == 0:
            outcome.status, outcome.message = "error", "no value comparison ran"
        strict = outcome.status == "pass" and outcome.warnings and self.strict
        if strict:
            outcome.status = "fail"
            outcome.message = "warnings are failures under --refcheck-strict:\n" + "\n".join(outcome.warnings)
        if outcome.status != "pass":
            first_line = outcome.message.splitlines()[0] if outcome.message else outcome.status
            if name in self.reported:
                pytest.xfail(f"{name} {outcome.status}s on case {case.id} too ({first_line[:120]}); "
                             f"the shrunk case and hint: {self.reported[name]}")
            self.reported[name] = where or f"{name} [{case.id}]"
            found = checked
            if not outcome.fatal and not strict:
                checked = engine.shrink(self.impl, row, checked)
            hint, evidence = None, []
            if not strict:  # a hint must explain the case as found too (refcheck.diagnosis)
                diagnosis = hints.diagnose(row, checked, found)
                hint, evidence = diagnosis.hint, diagnosis.evidence
            text = engine.case_report(name, checked, self.impl.label, hint, evidence)
            if checked.case != found.case:
                text += f"\n  (found on case {found.case.id}, shrunk to the smallest case that fails the same way)"
            from .text import wrap
            pytest.fail(wrap(text), pytrace=False)
        for w in outcome.warnings:
            if (name, w) not in self.warned:  # once per function and warning, with its case and repro
                self.warned.add((name, w))
                warnings.warn(RefcheckWarning(
                    f"{name} [{case.id}]: {w}; repro: {engine.repro_command(self.impl.label, name, case)}"),
                    stacklevel=1)


def checker_for(config):
    """The checker of the module named by --impl (exit 2 with one message if it cannot import)."""
    from .run import make_impl, plan_options
    path = config.getoption("impl")
    try:
        options = plan_options(path, config.getoption("impl_course"), config.getoption("impl_map"),
                               config.getoption("impl_arrays"), config.getoption("impl_device"))
        impl = make_impl(path, config.getoption("impl_timeout"), config.getoption("impl_isolate"),
                          config.getoption("impl_memory"), options)
    except (ImportProblem, ValueError) as exc:
        pytest.exit(f"refcheck: {exc}", returncode=2)
    from .registry import ROWS
    from .suggest import nothing_found
    nothing = nothing_found(impl, list(ROWS), map_option="--refcheck-map")
    if nothing:  # nothing checked is not a success (as refcheck's exit status 2)
        impl.close()
        pytest.exit(f"refcheck: {nothing}", returncode=2)
    return PytestChecker(impl, config.getoption("impl_strict"))


def checker(config):
    """The session's checker of the --impl module, made on first use."""
    if _CHECKER not in config.stash:
        config.stash[_CHECKER] = checker_for(config)
    return config.stash[_CHECKER]


@pytest.fixture(scope="session")
def refcheck_impl(request):
    """The --impl module's checker, for test files that re-export refcheck.checks."""
    if not request.config.getoption("impl"):
        pytest.skip("no implementation given: pass --impl PATH")
    return checker(request.config)
