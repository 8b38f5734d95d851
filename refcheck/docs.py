"""Writes docs/API.md from the registry: every function with its signature, returns, what refimpl
computes (its docstring), its oracle and conversions (the adapter's docstring), its edge cases
and tolerance overrides. ``python -m refcheck.docs > docs/API.md``; tests/test_docs.py keeps the
committed file current."""
import importlib
import inspect
import sys

import refimpl

from . import tolerances
from .registry import FAMILIES, family_rows


HEADER = """# API reference

Generated from the registry by `python -m refcheck.docs` (tests/test_docs.py fails when this file
is stale). Each function exists in `refimpl` with this name and signature and is what the verifier
looks up in a user's module. "Oracle" is what its results must agree with, and how the adapter
converts where the contract and PyTorch differ. `cache` is opaque: the verifier hands it back only
to the same implementation's backward. Arrays are NumPy arrays; float32 in gives float32 out.

Verdicts on a user's implementation: `fail` when an output, gradient or state differs from the
oracle beyond tolerance (or is NaN/inf where the oracle is finite on ordinary inputs); `error`
when it raises, returns the wrong structure or shape, or hangs; `pass` with a warning for float64
outputs from float32 inputs, an array argument modified in place, non-finite results only on
extreme inputs, an update rule that updates `w` in place and returns it, a `relu_backward` that
passes the gradient where x is exactly 0, Adam with the paper's placement of epsilon, or
distances that are not exactly 0 for identical rows (`--strict` fails them). A backward is
judged on its own forward's cache, on the cases where that forward runs (the others are
reported as not judged). Tolerances: every output's error model is in `refcheck/tolerances.py`.
"""


def _paragraph(doc):
    """A docstring on one line, with table pipes escaped."""
    return " ".join(inspect.cleandoc(doc or "").split()).replace("|", "\\|")


def _oracle_doc(row):
    module, function = row.oracle.split(":")
    return _paragraph(getattr(importlib.import_module(f"torch_oracle.{module}"), function).__doc__)


def _overrides(name):
    """The function's error model (refcheck.tolerances.MODELS) and tolerance overrides, with reasons;
    the keys that share one (tolerance, reason) together."""
    shared = {}
    for (fn, key, _), (tol, reason) in tolerances.OVERRIDES.items():
        if fn == name:
            shared.setdefault((str(tol), reason), []).append(f"`{key}`")
    notes = [f"{', '.join(keys)}: {tol} ({reason})" for (tol, reason), keys in shared.items()]
    model = tolerances.MODELS.get(name)
    text = f"; error model of {', '.join(f'`{k}`' for k in model.keys)}: {model.reason}" if model else ""
    return text + (("; tolerance " + "; ".join(notes)) if notes else "")


def _module_notes(rows, shown):
    """The docstrings of the refimpl and torch_oracle modules behind ``rows``, each module once."""
    notes = []
    modules = [inspect.getmodule(getattr(refimpl, r.name)) for r in rows]
    modules += [importlib.import_module(f"torch_oracle.{r.oracle.split(':')[0]}") for r in rows]
    for module in modules:
        if module.__name__ not in shown and module.__doc__:
            shown.add(module.__name__)
            notes += [f"**`{module.__name__}`**: " + " ".join(module.__doc__.split()), ""]
    return notes


def render():
    lines, shown = [HEADER], set()
    for family, title in FAMILIES:
        rows = family_rows(family)
        lines += [f"## {title}", ""] + _module_notes(rows, shown)
        lines += ["| function | returns | refimpl | oracle | edge cases |", "|---|---|---|---|---|"]
        for row in rows:
            fn = getattr(refimpl, row.name)
            signature = f"`{row.name}{inspect.signature(fn)}`"
            returns = ", ".join(row.call.returns)
            edges = ", ".join(row.gen.edges) or "-"
            lines.append(f"| {signature} | {returns} | {_paragraph(fn.__doc__)} | {_oracle_doc(row)}"
                         f"{_overrides(row.name)} | {edges} |")
        lines.append("")
    return "\n".join(lines + _courses())


def _courses():
    """The courses' mappings (refcheck.course_data): how each contract function is called there."""
    from .course_data import COURSES, __doc__ as notes
    lines = ["## Courses and name maps", "", _paragraph(notes.split("\n\n", 1)[1]), ""]
    for course in COURSES.values():
        lines += [f"### `{course.name}`: {course.title}", ""]
        if course.conventions:
            lines += ["Conventions converted: " + "; ".join(f"{where}: {what}" for where, what in course.conventions)
                      + ".", ""]
        if not course.binds:
            lines += ["The contract's own names and calls.", ""]
            continue
        lines += ["| contract function | called as |", "|---|---|"]
        for name in course.binds:
            bind = course.bind(name)
            how = f"`{bind.call}`" + (f" (nn.Module `{bind.module.cls}`, parameters "
                                      f"{', '.join(f'{k} -> {_target_label(v)}' for k, v in bind.module.params.items())})"
                                      if bind.module else "")
            lines.append(f"| `{name}` | {how} |")
        lines.append("")
    return lines


def _target_label(spec):
    """What a Module's parameter spec sets: a name, (name, to_param) or a Split."""
    return spec if isinstance(spec, str) else spec[0] if isinstance(spec, tuple) else spec.label


if __name__ == "__main__":
    sys.stdout.write(render())
