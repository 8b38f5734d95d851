"""Differential diagnosis: which property of a case separates failing cases from passing ones.

The generators declare their diagnostic properties (refcheck.cases.Property, beside each
generator in refcheck.registry). For a failing function, a property is a candidate when every
failing case agrees on it (pad = 0 on all of them) and at least half the cases that share that
value fail (a property most passing cases share separates nothing). The implementation then runs
on the reported case with that property flipped and the other candidates kept, nothing changed
but the sizes the property reads (pad = 1) or the values drawn; when it passes there, the
property separates: "fails only when pad = 0". Only candidates run (at most ``FLIPS`` cases each,
``BUDGET`` in all), so a function that fails everywhere costs nothing here.
"""
from dataclasses import dataclass

from ..cases import Case, Invalid

FLIPS = 2
BUDGET = 12
SEEDS = ("seed0", "seed1", "seed2")


@dataclass
class Separation:
    prop: object            # the Property
    value: bool             # its value on every failing case
    failing: int            # failing cases (the reported one included)
    passing_same: int       # passing cases that share the value (0: every such case fails)
    reported: str           # the reported case's id
    flips: list             # [(case id, what changed)] on which it passes
    checked: list           # their Checked (with the implementation's outputs)

    @property
    def label(self):
        return self.prop.yes if self.value else self.prop.no

    @property
    def other(self):
        return self.prop.no if self.value else self.prop.yes

    def hint(self):
        case_id, changed = self.flips[0]
        where = (f"it fails only when {self.label}" if self.passing_same == 0
                 else f"on every failing case {self.label}")
        return (f"No known mistake reproduces these results, but {where}: the reported case passes once "
                f"{changed} ({self.other}). Look at what the code does there.")

    def evidence(self):
        flips = "; ".join(f"{case_id} ({changed})" for case_id, changed in self.flips)
        if self.passing_same == 0:
            said = (f"fails only when {self.label}: all {self.failing} failing cases have it, and every case "
                    f"with it fails")
        else:  # a separation on the reported case, though some passing cases share the value
            said = (f"on all {self.failing} failing cases {self.label} (as on {self.passing_same} passing "
                    f"case{'s' * (self.passing_same > 1)})")
        return f"property: {said}; when {self.other}, the same case passes: {flips}"


def _values(lo, hi, current, limit=8):
    """Other values of a size, nearest first (a few of a wide range)."""
    if hi - lo <= limit:
        pool = range(lo, hi + 1)
    else:
        pool = {lo, lo + 1, hi, (lo + hi) // 2, current - 2, current - 1, current + 1, current + 2}
    return sorted((v for v in pool if lo <= v <= hi and v != current), key=lambda v: (abs(v - current), v))


def _try(gen, case, token, sizes, simple):
    """The case with ``token`` and every size pinned (so that only what changed differs), its
    inputs and its id without the pins that are the token's own draw; None if invalid."""
    ranges = gen.ranges()
    pins = tuple(sorted((k, v) for k, v in sizes.items() if k in ranges))
    trial = Case(case.dtype, token, pins, simple)
    try:
        inputs = gen(trial)
        natural = gen(Case(case.dtype, token, (), simple)).sizes
    except Invalid:
        return None
    shown = Case(case.dtype, token, tuple((k, v) for k, v in pins if natural.get(k) != v), simple)
    return trial, inputs, shown.id


def flips(gen, checked, prop, value, keep=(), limit=FLIPS):
    """Up to ``limit`` cases like ``checked`` on which ``prop`` is ``not value`` and every property
    of ``keep`` (pairs (property, value)) keeps its value, each with what changed: one size of
    ``prop.vary`` at a time (two when one cannot flip it), or the same sizes with another token
    from ``prop.edges``."""
    case, sizes = checked.case, dict(checked.inputs.sizes)
    ranges = gen.ranges()
    vary = [k for k in prop.vary if k in ranges]
    found = []

    def consider(changes, token, simple, cost):
        tried = _try(gen, case, token, {**sizes, **changes}, simple)
        if tried is None:
            return
        trial, inputs, shown = tried
        view = gen.view(trial, inputs)
        try:
            flipped = bool(prop.holds(view)) != value and all(bool(p.holds(view)) == v for p, v in keep)
        except Exception:  # noqa: BLE001 - a property that cannot read this case does not flip
            flipped = False
        if flipped:
            what = ", ".join(f"{k} = {v}" for k, v in changes.items()) or (
                f"other values, drawn as {token}" + (", not simple" if simple != case.simple else ""))
            found.append((cost, shown, trial, what))

    for k in vary:
        for v in _values(*ranges[k], sizes.get(k, ranges[k][0])):
            consider({k: v}, case.token, case.simple, (1, abs(v - sizes.get(k, 0))))
    if not found:
        for i, a in enumerate(vary):
            for b in vary[i + 1:]:
                for va in _values(*ranges[a], sizes.get(a, ranges[a][0]), limit=4)[:4]:
                    for vb in _values(*ranges[b], sizes.get(b, ranges[b][0]), limit=4)[:4]:
                        consider({a: va, b: vb}, case.token, case.simple,
                                 (2, abs(va - sizes.get(a, 0)) + abs(vb - sizes.get(b, 0))))
    for e in prop.edges:
        tokens = SEEDS if e == "seed" else ((e,) if e in gen.edges else ())
        for n, token in enumerate(t for t in tokens if t != case.token):
            for simple in dict.fromkeys((case.simple, False)):
                consider({}, token, simple, (3, n + (simple != case.simple)))
    found.sort(key=lambda f: f[0])
    seen, out = set(), []
    for _, shown, trial, what in found:
        if shown not in seen:
            seen.add(shown)
            out.append((trial, shown, what))
    return out[:limit]


def _holds(prop, gen, checked):
    try:
        return bool(prop.holds(gen.view(checked.case, checked.inputs)))
    except Exception:  # noqa: BLE001 - unreadable: neither value
        return None


def separations(impl, row, reported, failures, passing, budget=BUDGET):
    """The properties that separate ``row``'s failing cases from its passing ones, exact ones
    first (at most two), each flipped on ``reported`` and run there."""
    from ..engine import _forward_refuses, _forward_row, check_case
    gen = row.gen
    properties = getattr(gen, "properties", ())
    if not properties or reported.inputs is None:
        return []
    failing = [reported] + [f for f in failures if f is not reported and f.inputs is not None]
    forward = _forward_row(row)
    candidates = []
    for prop in properties:
        value = _holds(prop, gen, reported)
        if value is None or any(_holds(prop, gen, f) != value for f in failing):
            continue
        same = sum(_holds(prop, gen, p) == value for p in passing if p.inputs is not None)
        if same <= len(failing):
            candidates.append((prop, value, same))
    found, runs = [], 0
    for prop, value, same in candidates:
        keep = [(p, v) for p, v, _ in candidates if p is not prop]
        passed = []
        for trial, shown, what in flips(gen, reported, prop, value, keep):
            if runs >= budget:
                break
            runs += 1
            checked = check_case(impl, row, trial)
            if _forward_refuses(impl, forward, checked) is not None:
                continue
            if checked.outcome.status != "pass":
                passed = []
                break
            passed.append((shown, what, checked))
        if passed:
            found.append(Separation(prop, value, len(failing), same, reported.case.id,
                                    [(shown, what) for shown, what, _ in passed], [c for _, _, c in passed]))
    found.sort(key=lambda s: (s.passing_same > 0, s.passing_same))
    return found[:2]
