"""Hints: the entry point of the diagnosis (refcheck.diagnosis) for the engine, the CLI and the
pytest plugin. A hint says which mistake explains a failure and what to change; its evidence says
what it rests on: the mutant of the zoo (refcheck.mutants) that reproduced the outputs, the
residual a hypothesis matched, the property that separates failing cases from passing ones.

A course (``run.course``, set by a course's call) may word a mutant's hint in its own
conventions: ``COURSES[course].hints``, keyed by mutant name, replaces the sentence.
"""
from . import diagnosis


def _course_words(run):
    from .courses import COURSES  # a course states some mistakes in its own conventions' words
    course = getattr(run, "course", None)
    return COURSES[course].hints if course in COURSES else {}


def diagnose(row, checked, also=(), impl=None, failures=(), passing=()):
    """The Diagnosis (``.hint``: a string or None, ``.evidence``: a list of strings) of ``row``'s
    failure on ``checked``: its matches must also hold on the failing cases ``also`` (the case as
    found before shrinking first: a tiny shrunk case can match a mistake by coincidence). With
    ``impl`` (and the function's ``failures`` and ``passing`` cases), the differential diagnosis
    runs too."""
    if checked.inputs is None or checked.outcome.status not in ("fail", "error") or checked.outcome.fatal:
        return diagnosis.Diagnosis()
    also = [also] if hasattr(also, "outcome") else [a for a in also if a is not None]
    return diagnosis.diagnose(row, checked, also, impl, failures, passing, _course_words(checked.run))


def find(row, checked, also=None):
    """The hint alone (a string or None), without the differential diagnosis."""
    return diagnose(row, checked, () if also is None else also).hint
