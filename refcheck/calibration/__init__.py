"""Calibration: the error models of refcheck.tolerances against correct code of several styles.

Each style in ``refcheck.calibration.styles`` is a module of correct implementations that round
differently (explicit loops accumulating in the input's dtype, the staged CS231n computation
graphs, the algebraic ``_alt`` forms, ``np.einsum`` instead of ``@``, the textbook distance
formula, ...); refimpl itself is one more. Every style runs over every case of every function it
defines, strictly: it must pass, with no warning but those its module declares in ``WARNINGS``
(the ones the contract gives that style, such as the textbook distance's inexact zeros). The
table shows, per function, output and dtype, the worst |diff| / allowed over all styles and
cases: at most 0.2 (5x headroom for correct code) and, where any style errs at all, at least 0.01
(a tolerance no more than ~100x the worst error a correct computation makes; outputs that share
one override are one tolerance there).

    python -m refcheck.calibration [--profile thorough] [--only NAME,...] [--styles NAME,...]
"""
import importlib
import pkgutil
from dataclasses import dataclass, field

HEADROOM = 0.2          # a correct style's worst error is at most this fraction of what is allowed
TIGHTNESS = 0.01        # ... and at least this fraction, where any style errs at all


def load_styles(names=None):
    """{name: (module, declared warnings)}: refimpl, then every module of the styles package."""
    import refimpl
    from . import styles as package
    found = {"refimpl": (refimpl, {})}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found[info.name] = (module, getattr(module, "WARNINGS", {}))
    if names:
        unknown = set(names) - set(found)
        if unknown:
            raise ValueError(f"unknown style(s) {', '.join(sorted(unknown))}; styles: {', '.join(found)}")
        found = {n: found[n] for n in names}
    return found


@dataclass
class Worst:
    ratio: float = 0.0
    style: str = ""
    case: str = ""


@dataclass
class Calibration:
    worst: dict = field(default_factory=dict)      # (function, key, dtype) -> Worst
    problems: list = field(default_factory=list)   # a style that failed, errored or warned unexpectedly
    cases: int = 0

    def violations(self):
        """(function, key, dtype, Worst, why) for every entry outside [TIGHTNESS, HEADROOM]. Outputs
        that share one override (coco_map's eighteen keys: one tolerance, one reason) are one
        tolerance for the tightness rule: its worst error over all of them."""
        shared = {}
        for (name, key, dtype), w in self.worst.items():
            group = _override_group(name, key, dtype)
            shared[group] = max(shared.get(group, 0.0), w.ratio)
        out = []
        for (name, key, dtype), w in sorted(self.worst.items()):
            if w.ratio > HEADROOM:
                out.append((name, key, dtype, w, f"less than {1 / HEADROOM:.0f}x headroom"))
            elif 0 < shared[_override_group(name, key, dtype)] < TIGHTNESS:
                out.append((name, key, dtype, w, f"allows more than {1 / TIGHTNESS:.0f}x the worst error"))
        return out


def _override_group(name, key, dtype):
    """The tolerance an output is judged with, for the tightness rule: its override entry when
    one applies (several keys may share it), else the output itself."""
    from ..tolerances import OVERRIDES
    for k in ((name, key, dtype), (name, key, None)):
        if k in OVERRIDES:
            return (name, dtype, OVERRIDES[k])
    return (name, key, dtype)


def calibrate(seeds, functions=None, style_names=None, diagnose=False):
    """Run every style over every case of ``functions`` (default: all) with ``seeds`` randomized
    cases per dtype; returns a Calibration. With ``diagnose``, a hypothesis of the diagnosis that
    would take a correct style's outputs for a mistake is a problem too (refcheck.diagnosis.claims)."""
    from .. import diagnosis
    from ..engine import Implementation, check_case
    from ..registry import ROWS
    result = Calibration()
    chosen = load_styles(style_names)
    # every style is written to the contract itself (not a course's calls, which detection could guess
    # from the names a torch style defines: SimCLR's losses)
    impls = {name: (Implementation(module, f"style:{name}", options={"course": "cs231n"}), declared)
             for name, (module, declared) in chosen.items()}
    for name in functions or ROWS:
        row = ROWS[name]
        for style, (impl, declared) in impls.items():
            if not impl.defines(name):
                continue
            for case in row.gen.cases(seeds):
                checked = check_case(impl, row, case)  # the oracle once per case (refcheck.expected)
                outcome = checked.outcome
                result.cases += 1
                claimed = diagnosis.claims(row, checked, with_mutants=False) if diagnose else []
                if claimed and outcome.status == "pass":
                    result.problems.append((style, name, case.id, "claimed",
                                            f"the diagnosis would name a mistake: {claimed}"))
                unexpected = [w for w in outcome.warnings if not any(d in w for d in declared.get(name, ()))]
                if outcome.status != "pass" or unexpected:
                    result.problems.append((style, name, case.id, outcome.status,
                                            outcome.message or "; ".join(unexpected)))
                    continue
                for key, ratio in outcome.ratios.items():
                    w = result.worst.setdefault((name, key, case.dtype), Worst())
                    if ratio > w.ratio:
                        w.ratio, w.style, w.case = ratio, style, case.id
    return result


def table(result):
    """The calibration as a markdown table: per function and output, the worst |diff| / allowed
    over every style and case in each dtype ("exact": no style ever differed), and where the
    larger of the two was found."""
    from ..registry import ROWS
    lines = ["| function | output | float64 | float32 | worst at (style, case) |", "|---|---|---|---|---|"]
    outputs = sorted({(name, key) for name, key, _ in result.worst}, key=lambda nk: (list(ROWS).index(nk[0]), nk[1]))
    for name, key in outputs:
        cells = {dt: result.worst.get((name, key, dt), Worst()) for dt in ("float64", "float32")}
        worst = max(cells.values(), key=lambda w: w.ratio)
        shown = {dt: f"{w.ratio:.3g}" if w.ratio else "exact" for dt, w in cells.items()}
        where = f"{worst.style}, {worst.case}" if worst.ratio else "-"
        lines.append(f"| {name} | {key} | {shown['float64']} | {shown['float32']} | {where} |")
    return "\n".join(lines)
