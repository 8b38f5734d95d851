"""Diagnosis: from a failing function to the mistakes that explain it, each with its evidence.

Three kinds of evidence (refcheck.hints is the entry point the engine calls):
- **mutants** (refcheck.mutants): a known wrong implementation reproduces the outputs;
- **residuals** (the hypotheses of ``generic`` and of one module per family here): an output
  equals the oracle's under a known transform or with a known term changed (the L2 term missing,
  a factor N/(N - 1), gamma = 1 and beta = 0, a shape with the padding removed, a gradient exactly
  zero, permuted LSTM gates...);
- **properties** (declared beside the generators, refcheck.registry): ``differential`` runs the
  implementation on cases that differ in one property at a time and says what separates failing
  cases from passing ones ("fails only when pad = 0").

A match names one mistake and the failing outputs it explains. It must hold on the reported
(shrunk) case and on the case as found before shrinking, and on more of the other failing cases
it is tried on (up to ``CONFIRM`` of them, where those outputs fail) than it misses; the hint
says on which failing cases it does not explain the failure (real code has slightly different
forms of a mistake, or a second one on a few cases). It must explain an output whose oracle
value its transform changes (never an identity), and a mutant must also agree wherever the
implementation is right. The matches that together explain the failure are reported, most
explanatory first; two different mistakes that explain exactly the same outputs equally well are
both given ("Or:"); what nothing explains is said to remain. A hint is never a guess: without a
match it only states the separating property.
"""
import importlib
import importlib.util
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from torch_oracle.views import Lenient

from .. import tolerances
from ..judge import compare, views

CONFIRM = 5         # other failing cases a match must also hold on (the case as found first)
CLEARLY = 4.0       # a transform "changes" an output when it moves it this many tolerances away


@dataclass(frozen=True)
class Match:
    """One mistake found on one case: the failing outputs it explains, the sentence that says what
    to change and the evidence in words. ``tags`` are the readings still open (which size a factor
    is: N or C when both are 4); they are intersected over the cases and ``render(tags)`` gives
    the hint then."""
    keys: frozenset
    mistake: str
    hint: str
    evidence: str
    rank: int = 1               # 0: a mutant reproducing every output; 1: specific; 2: generic
    tags: frozenset = None
    render: object = None
    source: str = None          # the mutant's or the hypothesis's name


@dataclass(frozen=True)
class Hypothesis:
    name: str
    functions: tuple            # the rows it concerns; () for every row
    fn: object                  # fn(subject) -> Match, a list of them, or None
    rank: int = 1


HYPOTHESES = []


def hypothesis(*functions, rank=1):
    """Register ``fn(subject)`` as a hypothesis about ``functions`` (every row when none)."""
    def register(fn):
        HYPOTHESES.append(Hypothesis(fn.__name__, functions, fn, rank))
        return fn
    return register


def hypotheses_for(name):
    _load()
    return [h for h in HYPOTHESES if not h.functions or name in h.functions]


_LOADED = []


def _load():
    if _LOADED:
        return
    from ..registry import FAMILIES
    importlib.import_module(f"{__name__}.generic")
    for family, _ in FAMILIES:
        if importlib.util.find_spec(f"{__name__}.{family}"):
            importlib.import_module(f"{__name__}.{family}")
    _LOADED.append(True)


_REFERENCES = OrderedDict()  # (id(row), case id, refimpl's functions, changes) -> (row, outputs)


def _fingerprint(value):
    """A changed argument as a key (an array by dtype, shape and bytes), or None: not kept."""
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes()) if value.dtype.kind != "O" else None
    return (type(value).__name__, repr(value)) if isinstance(value, (bool, int, float, str)) else None


EXCEPTION = "exception"     # the pseudo-output of a case on which the implementation raised
VIOLATION = "violations"    # ... and of the contract breaches a run records (dw modified in place)


def failing_outputs(checked):
    """The outputs a failing case got wrong, in the judge's order."""
    outcome = checked.outcome
    keys = [k for k, r in outcome.ratios.items() if not r <= 1]
    if outcome.status == "error" and outcome.kind == "shape" and outcome.key not in keys:
        keys.append(outcome.key)
    if checked.run is None and outcome.status == "error":
        keys.append(EXCEPTION)
    if checked.run is not None and checked.run.violations:
        keys.append(VIOLATION)
    return keys


class Subject:
    """One failing case under diagnosis: its inputs, what the implementation returned (``run``,
    None when it raised), the outcome, the outputs it got wrong and right, and the oracle."""

    def __init__(self, row, checked):
        self.row, self.checked = row, checked
        self.case, self.inputs, self.run, self.outcome = checked.case, checked.inputs, checked.run, checked.outcome
        self.failing = failing_outputs(checked)
        self.passing = [k for k, r in self.outcome.ratios.items() if r <= 1]
        self.dtype = self.case.dtype
        self.args = self.inputs.args if self.inputs is not None else {}
        self.sizes = self.inputs.sizes if self.inputs is not None else {}

    @cached_property
    def expected(self):
        known = getattr(self.checked, "expected", None)  # what the judge compared against: not run again
        return known if known is not None else self.row.expected(self.inputs)

    @property
    def outputs(self):
        return self.run.outputs if self.run is not None else {}

    def oracle(self, **changed):
        """The oracle's outputs on these inputs with some arguments replaced."""
        from ..cases import Inputs
        inputs = self.inputs
        return self.row.expected(Inputs({**inputs.args, **changed}, inputs.douts, inputs.sizes, inputs.extreme))

    @cached_property
    def _bounds(self):
        return tolerances.Bounds(self.row.name, self.dtype, self.inputs, self.expected)

    def reference(self, **changed):
        """refimpl's outputs on these inputs with some arguments replaced: a hypothesis's prediction
        (like the zoo's mutants, a known wrong computation is refimpl under a transform; refimpl is
        never the oracle). Kept per row, case and change: the calibration asks it again of every
        style's outputs on the same case (the LSTM's 23 gate orders), the zoo of every mutant's."""
        import refimpl
        from ..cases import Inputs
        changes = tuple((k, _fingerprint(v)) for k, v in sorted(changed.items()))
        key = None
        if all(fp is not None for _, fp in changes):  # the row held in the entry: its id cannot be reused
            key = (id(self.row), self.case.id, tuple(getattr(refimpl, n, None) for n in self.row.call.needs), changes)
            hit = _REFERENCES.get(key)
            if hit is not None and hit[0] is self.row:
                return {k: a.copy() for k, a in hit[1].items()}
        inputs = self.inputs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = self.row.call(lambda name: getattr(refimpl, name),
                                    Inputs({**inputs.args, **changed}, inputs.douts, inputs.sizes, inputs.extreme)).outputs
        if key is not None:
            if len(_REFERENCES) >= 4096:
                _REFERENCES.popitem(last=False)
            _REFERENCES[key] = (self.row, {k: a.copy() for k, a in outputs.items()})
        return outputs

    def _tolerance(self, key, expected):
        bounds = self._bounds if expected is None else tolerances.Bounds(self.row.name, self.dtype, self.inputs,
                                                                         expected)
        tol, magnitude = bounds(key)
        return tol, magnitude.lenient if isinstance(magnitude, tolerances.Tier) else magnitude

    def ratio(self, key, actual, want, expected=None):
        """worst |actual - want| / allowed, with the tolerance of ``key`` (inf for another shape): the
        magnitudes of the oracle's case, or of ``expected`` (a mutant's outputs) when given."""
        try:
            tol, magnitude = self._tolerance(key, expected)
            with np.errstate(all="ignore"):
                status, _, worst, _ = compare(key, actual, want, tol, magnitude)
        except Exception:  # noqa: BLE001 - a model that cannot take this prediction: no agreement
            return np.inf
        return np.inf if status == "error" else worst

    def agrees(self, key, want):
        """The implementation's ``key`` equals ``want`` (an array) within the row's tolerance."""
        if key not in self.outputs:
            return False
        return self.ratio(key, self.outputs[key], np.asarray(want)) <= 1

    def oracle_view(self, key, outputs=None):
        """(actual, expected) of ``key`` as the judge compares them (views included; for a
        convention accepted with a warning, the contract's own)."""
        entry = self.expected[key]
        entry = entry.primary if isinstance(entry, Lenient) else entry
        return views(key, entry, self.outputs if outputs is None else outputs)

    def differs(self, key, want):
        """``want`` is clearly not the oracle's ``key`` (a transform that changes it)."""
        from torch_oracle.views import Mismatch
        try:
            mine, theirs = self.oracle_view(key, {**self.outputs, key: np.asarray(want)})
        except Mismatch:  # the view itself tells them apart (NMS keeping other boxes)
            return True
        except Exception:  # noqa: BLE001 - no view of this prediction: it cannot be judged different
            return False
        return self.ratio(key, np.asarray(mine), np.asarray(theirs)) > CLEARLY

    def explains(self, key, want):
        """``want`` reproduces the failing output ``key`` and is clearly not the oracle's."""
        return key in self.failing and self.agrees(key, want) and self.differs(key, want)


@dataclass
class Finding:
    """A mistake (or a few equally good alternatives) in the report, with its evidence."""
    matches: list                   # alternatives: one Match each
    keys: frozenset
    cases: list = field(default_factory=list)   # the case ids it held on
    also: list = field(default_factory=list)    # more evidence for the same hint
    missed: list = field(default_factory=list)  # failing cases (ids) it does not reproduce

    @property
    def hint(self):
        return " Or: ".join(m.hint for m in self.matches)

    @property
    def evidence(self):
        where = f" (on {len(self.cases)} failing case{'s' * (len(self.cases) > 1)}: {', '.join(self.cases)})"
        text = " Or: ".join(m.evidence for m in self.matches) + where
        if self.missed:
            text += f"; not on {_listed(self.missed)}, which fail{'s' * (len(self.missed) == 1)} otherwise"
        return "; ".join([text, *self.also])


@dataclass
class Diagnosis:
    findings: list = field(default_factory=list)
    unexplained: list = field(default_factory=list)    # failing outputs no finding explains
    separations: list = field(default_factory=list)    # refcheck.diagnosis.differential.Separation
    candidates: list = field(default_factory=list)     # every mutant and hypothesis that held

    @property
    def hint(self):
        if not self.findings:
            return self.separations[0].hint() if self.separations else None
        text = " ".join(f.hint for f in self.findings)
        missed = [c for f in self.findings for c in f.missed
                  if not any(c in g.cases for g in self.findings)]
        if missed:
            text += (f" That does not explain the failure on case {_listed(list(dict.fromkeys(missed)))}: "
                     f"something else is wrong there too.")
        if self.unexplained:
            text += f" That does not explain {_listed(self.unexplained)}, still wrong for another reason."
        return text

    @property
    def evidence(self):
        lines = [f"{_listed(sorted(f.keys))}: {f.evidence}" for f in self.findings]
        lines += [s.evidence() for s in self.separations]
        return lines


def _listed(keys):
    names = [k if k != EXCEPTION else "the exception" for k in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _mutant_match(m, row, subject):
    """The Match of mutant ``m`` on ``subject``: the failing outputs it reproduces, provided it
    agrees wherever the implementation is right."""
    import refimpl
    if subject.run is None and EXCEPTION not in subject.failing:
        return None
    if m.matches is not None:
        if subject.run is None:
            return None
        if not m.matches(subject.inputs, subject.run.outputs):
            return None
        return Match(frozenset(subject.failing), m.name, m.hint, f"the zoo's mutant {m.name} reproduces them", 0,
                     source=m.name)
    get = lambda name: m.fn if name == m.target else getattr(refimpl, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = row.call(get, subject.inputs)
    except Exception as exc:  # noqa: BLE001 - a mutant that cannot run here matches only the same error
        said = f"{type(exc).__name__}: {exc}".strip()
        if subject.run is None and subject.outcome.message.split(" (")[0] == said.split(" (")[0]:
            return Match(frozenset([EXCEPTION]), m.name, m.hint, f"the zoo's mutant {m.name} raises the same "
                         f"{type(exc).__name__}", 1, source=m.name)
        return None
    if subject.run is None:
        return None
    keys = row.call.keys(run.outputs)
    agree = {k: k in subject.outputs and subject.ratio(k, subject.outputs[k], run.outputs[k], run.outputs) <= 1
             for k in keys}
    if any(not agree.get(k, False) for k in subject.passing if k in agree):
        return None
    explained = {k for k in subject.failing if agree.get(k) and subject.differs(k, run.outputs[k])}
    if VIOLATION in subject.failing and run.violations and run.violations == subject.run.violations:
        explained.add(VIOLATION)
    if not explained:
        return None
    full = explained == set(subject.failing) and all(agree.values())
    what = "reproduces every output" if full else f"reproduces {_listed(sorted(explained))}"
    return Match(frozenset(explained), m.name, m.hint, f"the zoo's mutant {m.name} {what}", 0 if full else 1,
                 source=m.name)


def _as_list(result):
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _run_hypothesis(h, subject):
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = _as_list(h.fn(subject))
    except Exception:  # noqa: BLE001 - a hypothesis that cannot read this case holds nothing
        return []
    return [replace(m, keys=m.keys & frozenset(subject.failing), rank=max(m.rank, h.rank), source=h.name)
            for m in found if m.keys & frozenset(subject.failing)]


def _confirmed(first, subject, others, again, required=()):
    """``first`` (a Match on ``subject``, the reported case) also held on the other subjects where
    the outputs it explains fail: ``again(other)`` gives the matches there. It must hold on each
    of ``required`` (the case as found before shrinking) and on more of the cases tried than it
    misses: real code often has a slightly different form of the mistake, or a second one, that
    shows on a few cases only (NaN where the mutant keeps a box), and those are reported as not
    explained. Returns (Match, the ids of the cases it held on, those it missed) or None."""
    held, missed, tags, keys = [subject.case.id], [], first.tags, first.keys
    for other in others:
        relevant = first.keys & frozenset(other.failing)
        if not relevant:
            continue
        there = [m for m in again(other) if m.mistake == first.mistake and relevant <= m.keys]
        if there and tags is not None and not tags & there[0].tags:
            there = []
        if not there:
            if any(other is r for r in required):
                return None
            missed.append(other.case.id)
            continue
        if tags is not None:
            tags = tags & there[0].tags
        held.append(other.case.id)
        keys = keys | there[0].keys  # outputs that fail only there (a one-step case gets next_w right)
    if len(missed) >= len(held):
        return None
    first = replace(first, keys=keys)
    if first.render is not None and tags is not None:
        first = replace(first, hint=first.render(tags), tags=tags)
    return first, held, missed


def diagnose(row, reported, confirm=(), impl=None, failures=(), passing=(), words=None):
    """The Diagnosis of ``row``'s failure on ``reported`` (a Checked; its shrunk case), confirmed on
    ``confirm`` (other failing Checked: the case as found first, then more failures), with the
    differential diagnosis when ``impl`` is given (``failures`` and ``passing``: every case the
    function ran). ``words`` maps a mutant's name to a course's wording of its hint.

    Matches are looked for on the reported case and on failures that get other outputs wrong (two
    mistakes that show on different cases); a mutant must also agree with the implementation on
    passing cases (the differential's flips and passing edge cases), where it must not fail."""
    from .. import mutants
    from . import differential
    subject = Subject(row, reported)
    if not subject.failing:
        return Diagnosis()
    separations = differential.separations(impl, row, reported, failures, passing) if impl is not None else []
    primaries = [subject] + [Subject(row, c) for c in _other_mistakes(subject, failures)]
    others = [Subject(row, c) for c in _confirmations(reported, confirm, failures)
              if not any(p.checked is c for p in primaries)]
    required = [o for o in others if any(o.checked is c for c in confirm[:1])]
    refs = [Subject(row, c) for c in _passing_references(separations, passing)]
    zoo = [m for m in mutants.by_target(row.name) if not m.combines]  # combinations: tests of the machinery
    found, rejected = {}, set()     # (source, mistake) -> [Match, case ids, order]
    with np.errstate(all="ignore"):
        for primary in primaries:
            rest = [s for s in [*primaries, *others] if s is not primary]
            tries = [(lambda s, m=m: _as_list(_mutant_match(m, row, s)), m) for m in zoo]
            tries += [(lambda s, h=h: _run_hypothesis(h, s), None) for h in hypotheses_for(row.name)]
            for again, m in tries:
                for first in again(primary):
                    key = first.source, first.mistake
                    if key in rejected:
                        continue
                    if key in found:  # a mistake already found elsewhere explains this case's outputs too
                        found[key][0] = replace(found[key][0], keys=found[key][0].keys | first.keys)
                        continue
                    held = _confirmed(first, primary, rest, again, required if primary is subject else ())
                    if held and (m is None or all(_mutant_agrees(m, row, ref) for ref in refs)):
                        found[key] = [*held, len(found)]
                    else:
                        rejected.add(key)
    failing = list(dict.fromkeys(k for p in primaries for k in p.failing))
    diagnosis = _select(failing, list(found.values()), words or {}, reported.case.id)
    diagnosis.separations = separations
    diagnosis.candidates = [source for source, _ in found]
    return diagnosis


def _other_mistakes(subject, failures, limit=2):
    """Failing cases that get outputs wrong which the reported case gets right: a second mistake
    may show only there (test mode's, while the reported case is in train mode)."""
    seen, chosen = set(subject.failing), []
    for checked in failures:
        if len(chosen) >= limit:
            break
        if checked is subject.checked or checked.inputs is None:
            continue
        new = [k for k in failing_outputs(checked) if k not in seen]
        if new:
            chosen.append(checked)
            seen.update(new)
    return chosen


def _passing_references(separations, passing, limit=8):
    """Passing cases a mutant must reproduce too: the differential's flips, then passing edge
    cases (one per edge) whose outputs were kept."""
    refs = [c for s in separations for c in s.checked]
    tokens = set()
    for checked in passing:
        if len(refs) >= limit:
            break
        if checked.run is not None and checked.case.token not in tokens and not _overflowed(checked):
            refs.append(checked)
            tokens.add(checked.case.token)
    return refs[:limit + len(separations)]


def _mutant_agrees(m, row, ref):
    """Mutant ``m`` reproduces the implementation's outputs on the passing case ``ref`` (a mutant that
    fails where the implementation passes is not its mistake)."""
    import refimpl
    if m.matches is not None or ref.run is None:
        return True
    get = lambda name: m.fn if name == m.target else getattr(refimpl, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = row.call(get, ref.inputs)
    except Exception:  # noqa: BLE001 - a mutant that raises where the implementation passes disagrees
        return False
    keys = [k for k in row.call.keys(run.outputs) if k in ref.outputs]
    return all(ref.ratio(k, ref.outputs[k], run.outputs[k], run.outputs) <= 1 for k in keys)


def _overflowed(checked):
    """A pass on extreme inputs (a spread of 1e4, a tiny temperature) with inf or NaN outputs: the
    judge only warns there (API.md), so the implementation is not right there, and a mutant of the
    stable form need not reproduce it."""
    if checked.inputs is None or not checked.inputs.extreme or checked.run is None:
        return False
    return any(np.asarray(a).dtype.kind == "f" and not np.all(np.isfinite(a)) for a in checked.run.outputs.values())


def _confirmations(reported, confirm, failures, limit=CONFIRM):
    """The failing cases a match must also hold on: ``confirm`` first, then failures of other edges
    and seeds (one per dtype and token, in the order they ran), at most ``limit``."""
    chosen, tokens = [], {(reported.case.dtype, reported.case.token)}
    for checked in [*confirm, *failures]:
        if len(chosen) >= limit:
            break
        if checked is reported or any(c is checked for c in chosen) or checked.inputs is None:
            continue
        token = checked.case.dtype, checked.case.token
        if any(c is checked for c in confirm) or token not in tokens:
            chosen.append(checked)
            tokens.add(token)
    return chosen


def _select(failing, candidates, words, reported=None):
    """The findings that explain the ``failing`` outputs, most explanatory first (greedy cover: those
    that explain the ``reported`` case first, then most outputs, then the stronger kind of
    evidence, then those that hold on every case tried); equal alternatives are kept together."""
    order = sorted(candidates, key=lambda c: (reported not in c[1], -len(c[0].keys), c[0].rank, bool(c[2]), c[3]))
    findings, covered, used = [], set(), set()
    for i, (match, held, missed, _) in enumerate(order):
        if i in used:
            continue
        same = [f for f in findings if f.matches[0].hint == match.hint]
        if same:  # a mutant and a hypothesis naming the same mistake: one finding, both evidences
            same[0].also.append(match.evidence)
            continue
        new = match.keys - covered
        if not new:
            continue
        group = [match]
        for j, (other, other_held, _, _) in enumerate(order[i + 1:], i + 1):
            # an alternative explains the same outputs on the same cases (one that misses cases the
            # first explains is no alternative: sdpa without max-shift also gives NaN on a fully
            # masked row, where the fully-masked mutant would match too)
            if (other.rank == match.rank and other.keys - covered == new and other.hint != match.hint
                    and other.mistake != match.mistake and set(other_held) == set(held)):
                group.append(other)
                used.add(j)
        group = [_worded(m, words) for m in group]
        findings.append(Finding(group, frozenset(match.keys), held, missed=missed))
        covered |= match.keys
    unexplained = [k for k in failing if k not in covered]
    return Diagnosis(findings, unexplained if findings else [])


def _worded(match, words):
    hint = words.get(match.mistake)
    return match if hint is None else replace(match, hint=hint)


def claims(row, checked, with_mutants=True):
    """What would claim a mistake on ``checked`` if every output it judged were wrong: the
    (source, outputs) of each mutant and hypothesis that explains one of them. On correct code this
    must be empty: a match requires an output that its transform clearly changes, so the right
    values can never be taken for a mistake (tests/test_diagnosis.py runs it on refimpl and the
    calibration styles)."""
    from .. import mutants
    subject = Subject(row, checked)
    subject.failing, subject.passing = list(checked.outcome.ratios), []
    found = []
    with np.errstate(all="ignore"):
        if with_mutants:
            for m in mutants.by_target(row.name):
                match = None if m.matches is not None or m.combines else _mutant_match(m, row, subject)
                if match is not None:
                    found.append((m.name, sorted(match.keys)))
        for h in hypotheses_for(row.name):
            found += [(h.name, sorted(match.keys)) for match in _run_hypothesis(h, subject)]
    return found


def inventory():
    """What the diagnosis can name: the zoo's distinct mistakes, its hypotheses and the properties
    the generators declare (the README states these counts; tests/test_diagnosis.py keeps them)."""
    from .. import mutants
    from ..registry import ROWS
    zoo = [m for m in mutants.all_mutants() if m.level == "fail" and not m.combines]
    gens = {id(r.gen): r.gen for r in ROWS.values()}.values()
    _load()
    return {"mutant_hints": len({(m.target, m.hint) for m in zoo}),
            "functions": len({m.target for m in zoo}),
            "combinations": sum(bool(m.combines) for m in mutants.all_mutants()),
            "hypotheses": len(HYPOTHESES),
            "generic": sum(not h.functions for h in HYPOTHESES),
            "properties": sum(len(g.properties) for g in {id(g.properties): g for g in gens}.values()),
            "generators": sum(bool(g.properties) for g in {id(g.properties): g for g in gens}.values())}
