"""The engine: check one case, or one function over its cases, against the oracle.

The implementation under test is a parameter everywhere: ``Implementation`` wraps a module in this
process (``refcheck.isolate`` provides one that runs it in a worker process). ``make test`` runs
this engine on refimpl; ``refcheck`` and ``pytest --impl`` run it on a user's module.
"""
import contextlib
import io
import os
import random
import shutil
import signal
import sys
import sysconfig
import threading
import time
import traceback
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import hints
from .calls import Malformed, Run
from .cases import Invalid
from .expected import expected_for
from .judge import Outcome, judge
from .registry import ROWS

DEFAULT_TIMEOUT = 20.0  # seconds per call of the implementation


class Timeout(Exception):
    pass


class Fatal(str):
    """An execution error after which the function's remaining cases are not worth running
    (it hung, or its process died): the message, marked."""


@contextlib.contextmanager
def time_limit(seconds):
    """Interrupt Python code that runs longer than ``seconds`` (main thread only; see isolate for
    code stuck in C)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise Timeout(f"did not return within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_LIBRARY_DIRS = tuple({os.path.dirname(__file__)} | {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")})


def describe_exception(exc, user_file=None):
    """``Type: message (file:line in function)`` at the frame that matters most: the deepest one in
    the implementation's file, else the deepest one outside refcheck and the installed libraries."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if user_file and os.path.abspath(f.filename) == user_file]
    outside = [f for f in frames if not os.path.abspath(f.filename).startswith(_LIBRARY_DIRS)]
    where = (mine or outside or frames or [None])[-1]
    text = f"{type(exc).__name__}: {exc}".strip()
    if where is not None:
        text += f" ({os.path.basename(where.filename)}:{where.lineno} in {where.name})"
    return text


def case_seed(name, case_id):
    """The seed of NumPy's and Python's global random state while ``name`` runs on a case."""
    return zlib.crc32(f"{name}:{case_id}".encode())


def seed_global_random(name, case):
    """Seed NumPy's and Python's global random state from the case, before the implementation runs:
    an implementation that draws from them (dropout without a seed) is judged reproducibly."""
    seed = case_seed(name, case.id)
    np.random.seed(seed)
    random.seed(seed)


class Implementation:
    """A module under test, called in this process. ``plan`` (refcheck.courses.Plan) says how its
    functions are found and called; by default it is resolved from the module (course and arrays
    detected), ``options`` (course, name_map, arrays, device, settings) steering it."""

    def __init__(self, module, label=None, timeout=DEFAULT_TIMEOUT, plan=None, options=None):
        from . import courses
        self.module, self.timeout = module, timeout
        self.label = label or module.__name__
        path = getattr(module, "__file__", None)
        self.file = os.path.abspath(path) if path else None
        self.plan = plan or courses.resolve_plan(module, user_file=self.file, **(options or {}))
        self._get = self.plan.getter(module)

    def defines(self, name):
        from .courses import defines
        return defines(self.module, name)

    def call_for(self, row):
        return self.plan.call(row)

    def close(self):
        pass

    def execute(self, row, inputs, case):
        """Run the row's call; returns a Run or an error message."""
        seed_global_random(row.name, case)
        self.plan.arrays.seed(case_seed(row.name, case.id))
        try:
            with time_limit(self.timeout), np.errstate(all="ignore"), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                return self.call_for(row)(self._get, inputs)
        except Malformed as exc:
            return str(exc)
        except Timeout as exc:
            return Fatal(f"{row.name} {exc}")
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - whatever the implementation raises is its verdict
            return describe_exception(exc, self.file)


@dataclass
class Checked:
    """One case, checked: its outcome plus what was needed to produce it (for hints and reports)."""
    case: object
    outcome: Outcome
    inputs: object = None
    run: Run = None
    expected: dict = None   # the oracle's outputs the judge used (the diagnosis reads them again)


def check_case(impl, row, case):
    call = impl.call_for(row)  # how this implementation is called for the row (refcheck.courses)
    absent = [n for n in call.needs if not impl.defines(n)]
    if call.needs[-1] in absent:  # the row's own function (the others are what it runs first)
        named = row.name if call.needs[-1] == row.name else f"{row.name} ({call.needs[-1]})"
        return Checked(case, Outcome("missing", f"{named} is not defined"))
    if absent:
        return Checked(case, Outcome("error", f"{row.name} needs {', '.join(absent)}, which the module "
                                              f"does not define"))
    inputs = row.gen(case)
    outside = getattr(call, "outside", None)  # a course's call that cannot take this case (refcheck.courses)
    reason = outside(inputs.args) if outside else None
    if reason:
        return Checked(case, Outcome("skipped", reason), inputs)
    run = impl.execute(row, inputs, case)
    if isinstance(run, str):
        return Checked(case, Outcome("error", run, fatal=isinstance(run, Fatal)), inputs)
    expected = expected_for(row, case, inputs)
    return Checked(case, judge(row.name, case, inputs, run, expected, call.keys(expected)), inputs, run, expected)


def describe_inputs(inputs, show_values=12):
    """``x (3, 4) float32, bn_param {mode: 'train', running_mean (4,)}, ...``; arrays of at most
    ``show_values`` elements (a shrunk case's) also show their values."""
    def one(value):
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            text = f"{tuple(value.shape)} {value.dtype}"
            if 0 < value.size <= show_values:
                text += " = " + np.array2string(value, separator=", ", precision=6).replace("\n", "")
            return text
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {one(v)}" for k, v in value.items()) + "}"
        return repr(value)
    items = {**inputs.args, **inputs.douts}
    return ", ".join(f"{k} {one(v)}" for k, v in items.items())


def repro_command(impl_label, name, case):
    if shutil.which("refcheck"):
        exe = "refcheck"
    else:
        python = os.path.relpath(sys.executable)
        exe = f"{sys.executable if python.startswith('..') else python} -m refcheck"
    return f"{exe} {impl_label} --only {name} --case {case.id}"


def case_report(name, checked, impl_label, hint=None, evidence=()):
    """What a failing case shows: what, where, how far, the inputs, a hint, its evidence and the repro."""
    lines = [f"{name} {checked.outcome.status}s on case {checked.case.id}"]
    lines += ["  " + line for line in checked.outcome.message.splitlines()]
    if checked.inputs is not None:
        lines.append(f"  inputs: {describe_inputs(checked.inputs)}")
        if checked.inputs.note:
            lines.append(f"  case: {checked.inputs.note}")
    if getattr(checked.run, "note", None):  # a course's call, given the inputs in its conventions
        lines.append(f"  {checked.run.note}")
    if hint:
        lines.append(f"  hint: {hint}")
        lines += [f"    evidence: {e}" for e in evidence]
    lines.append(f"  repro: {repro_command(impl_label, name, checked.case)}")
    return "\n".join(lines)


@dataclass
class Report:
    """A function's verdict (the JSON fields of `refcheck --json`)."""
    name: str
    status: str                     # pass | fail | error | missing
    cases: int = 0                  # cases judged
    failed: int = 0
    message: str = ""
    repro: str = ""
    hint: str = None
    evidence: list = field(default_factory=list)  # what the hint rests on (refcheck.diagnosis)
    warnings: list = field(default_factory=list)
    worst: float = 0.0              # largest error / allowed among compared elements
    seconds: float = 0.0
    not_judged: int = 0             # a backward's cases on which its own forward raised
    not_judged_reason: str = ""     # the forward's error on the first of them
    warning_cases: list = field(default_factory=list)  # {"warning", "case", "repro"}: where each was first seen


def _forward_row(row):
    """The registry row of a backward's forward (it runs the forward alone on the same inputs),
    or None for a row that is not a backward of a registered forward."""
    forward = getattr(row.call, "forward", None)
    name = getattr(forward, "name", None)
    return ROWS.get(name) if name else None


def _forward_refuses(impl, forward, checked):
    """The forward's own error message when it raises on this case (so the backward's error there
    is the forward's, not the backward's), else None."""
    if forward is None or checked.outcome.status != "error" or checked.outcome.fatal or checked.inputs is None:
        return None
    run = impl.execute(forward, checked.inputs, checked.case)
    return str(run) if isinstance(run, str) and not isinstance(run, Fatal) else None


def _signature(outcome):
    """What makes two failures the same: status, the output that failed, and how (non-finite or
    wrong values, a violation; for an error, its kind or exception type)."""
    kind = outcome.kind
    if kind is None and outcome.status == "error":
        kind = outcome.message.split(":", 1)[0] if ":" in outcome.message else outcome.message
    return outcome.status, outcome.key, kind


def shrink(impl, row, checked, budget=150):
    """A smaller case that fails the same way (same status, same output, same kind; for a backward,
    never a case on which its forward raises): each size pushed towards the bottom of its range,
    then values made simple (small integers). At most ``budget`` cases are tried."""
    best, signature, tried = checked, _signature(checked.outcome), 0
    forward = _forward_row(row)

    def same(trial):
        return _signature(trial.outcome) == signature and _forward_refuses(impl, forward, trial) is None

    improved = True
    while improved and tried < budget:
        improved = False
        sizes = best.inputs.sizes if best.inputs else {}
        for key, (low, _) in row.gen.sizes.items():
            current = sizes.get(key, low)
            for value in sorted({low, (low + current) // 2, current - 1}):
                if value >= current or tried >= budget:
                    continue
                tried += 1
                try:
                    trial = check_case(impl, row, best.case.with_({key: value}))
                except Invalid:
                    continue
                if same(trial):
                    best, improved = trial, True
                    break
    if not best.case.simple and tried < budget:
        trial = check_case(impl, row, best.case.with_(simple=True))
        if same(trial):
            best = trial
    return _without_noop_overrides(row, best)


def _input_size(checked):
    """How many input elements a checked case has: shrinking starts from the smallest failure."""
    if checked.inputs is None:
        return 0
    values = list(checked.inputs.args.values()) + list(checked.inputs.douts.values())
    return sum(np.size(v) for v in values if isinstance(v, np.ndarray))


def _same_inputs(a, b):
    def flat(inputs):
        return list({**inputs.args, **inputs.douts}.values())
    return all(_same_value(x, y) for x, y in zip(flat(a), flat(b)))


def _same_value(x, y):
    """Equal arguments, dicts of arrays (bn_param, params) compared entry by entry."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same_value(x[k], y[k]) for k in x)
    return np.array_equal(x, y) if isinstance(x, np.ndarray) or isinstance(y, np.ndarray) else x == y


def _without_noop_overrides(row, checked):
    """Drop the size overrides that do not change the inputs, so the case id stays short."""
    case = checked.case
    for key, _ in checked.case.overrides:
        trimmed = type(case)(case.dtype, case.token, tuple(kv for kv in case.overrides if kv[0] != key),
                             case.simple)
        try:
            if _same_inputs(row.gen(trimmed), checked.inputs):
                case = trimmed
        except Invalid:
            pass
    checked.case = case
    return checked


def check_function(impl, name, cases, strict=False, minimize=True):
    """Check ``name`` on every case and summarize: the first failure, shrunk, with a hint and repro.
    A backward is judged on the cases where its own forward runs; the others are counted as not
    judged (they count against the forward), and with none left the backward is an error."""
    row = ROWS[name]
    forward = _forward_row(row)
    start = time.perf_counter()
    report = Report(name, "pass")
    failures, passing, compared, refusals = [], [], 0, 0
    for case in cases:
        checked = check_case(impl, row, case)
        outcome = checked.outcome
        if outcome.status == "missing":
            return Report(name, "missing", message=outcome.message)
        if outcome.status == "skipped":  # outside what the course's function takes: not judged
            report.not_judged += 1
            report.not_judged_reason = report.not_judged_reason or f"{outcome.message} (case {case.id})"
            continue
        refused = _forward_refuses(impl, forward, checked)
        if refused is not None:
            refusals += 1
            report.not_judged += 1
            if not report.not_judged_reason:
                report.not_judged_reason = f"{forward.name} raised on case {case.id}: {refused}"
            continue
        report.cases += 1
        compared += outcome.compared
        for w in outcome.warnings:
            if w not in report.warnings:
                report.warnings.append(w)
                report.warning_cases.append({"warning": w, "case": case.id,
                                             "repro": repro_command(impl.label, name, case)})
        if outcome.status == "pass":
            report.worst = max(report.worst, outcome.worst)
            # for the diagnosis: sizes, and the outputs of edge cases (where mutants differ)
            edge = case.seed is None
            passing.append(Checked(case, outcome, checked.inputs, checked.run if edge else None,
                                   checked.expected if edge else None))
        else:
            failures.append(checked)
        if outcome.fatal:
            break
    if failures:
        report.failed = len(failures)
        worst_kind = "error" if any(f.outcome.status == "error" for f in failures) else "fail"
        found = min((f for f in failures if f.outcome.status == worst_kind), key=_input_size)
        first = shrink(impl, row, found) if minimize and not found.outcome.fatal else found
        report.status = first.outcome.status
        report.worst = max(report.worst, first.outcome.worst)
        # a hint must explain the case as found too (and more failures), not a coincidence
        diagnosis = hints.diagnose(row, first, found, impl, failures, passing)
        report.hint, report.evidence = diagnosis.hint, diagnosis.evidence
        report.message = case_report(name, first, impl.label, report.hint, report.evidence)
        report.repro = repro_command(impl.label, name, first.case)
    elif report.cases == 0 and report.not_judged:
        report.status = "error"
        report.message = (f"{name} was not judged on any case: its forward raised on every one "
                          f"({report.not_judged_reason})" if refusals else
                          f"{name} was not judged on any case ({report.not_judged_reason})")
    elif compared == 0:
        report.status, report.message = "error", f"{name}: no value comparison ran"
    elif strict and report.warnings:
        report.status, report.failed = "fail", report.cases
        report.message = "\n".join(
            [f"{name} fails under --strict: its warnings are failures"]
            + [f"  warning: {w['warning']} (case {w['case']})\n  repro: {w['repro']}" for w in report.warning_cases])
        report.repro = report.warning_cases[0]["repro"]
    report.seconds = time.perf_counter() - start
    return report
