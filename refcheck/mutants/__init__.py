"""The mutant zoo: realistic wrong implementations, each a one-function change of refimpl.

Two uses. ``make test`` requires the verifier to flag every mutant on its own function and on
nothing else; and when a user's function fails, the verifier runs the mutants of that function on
the failing case: a mutant whose output matches the user's (within the row's tolerance) names the
likely mistake, its ``hint``.

A mutant's ``fn`` replaces its target in a copy of refimpl. ``matches(inputs, outputs)``, when
given, decides the hint instead of a comparison: for mistakes whose output depends on randomness
the user's cannot share (dropout's mask). A mutant of ``level="warn"`` is a convention the
contract accepts with a warning (ReLU's gradient of 1 at exactly 0): the verifier must pass it
with that warning (its ``hint``), and fail it under ``--strict``. A mutant that ``combines`` two
others of the same function makes both mistakes at once, as real code does: the verifier must
name each of them.
"""
import importlib
import importlib.util
from dataclasses import dataclass

from ..registry import FAMILIES


@dataclass(frozen=True)
class Mutant:
    name: str
    target: str
    hint: str
    fn: object
    matches: object = None
    level: str = "fail"     # "warn": passes with the warning ``hint`` (fails under --strict)
    combines: tuple = ()    # the mutants whose two mistakes this one makes at once

    @property
    def hints(self):
        """The sentences a report on this mutant must contain: its own, or its parts'."""
        return tuple(MUTANTS[name].hint for name in self.combines) or (self.hint,)


MUTANTS = {}


def mutant(target, hint, matches=None, level="fail", combines=()):
    """Register the decorated function as a wrong ``target``; the function's name names the mutant."""
    def register(fn):
        if fn.__name__ in MUTANTS:
            raise ValueError(f"two mutants are named {fn.__name__}")
        MUTANTS[fn.__name__] = Mutant(fn.__name__, target, hint, fn, matches, level, tuple(combines))
        return fn
    return register


def all_mutants():
    for family, _ in FAMILIES:
        if importlib.util.find_spec(f"{__name__}.{family}"):
            importlib.import_module(f"{__name__}.{family}")
    return list(MUTANTS.values())


def by_target(target, level="fail"):
    return [m for m in all_mutants() if m.target == target and m.level == level]
