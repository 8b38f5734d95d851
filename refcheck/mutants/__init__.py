"""The mutant zoo: realistic wrong implementations, each a one-function change of refimpl.

Two uses. ``make test`` requires the verifier to flag every mutant on its own function and on
nothing else; and when a user's function fails, the verifier runs the mutants of that function on
the failing case: a mutant whose output matches the user's names the likely mistake (its hint).

A mutant's ``fn`` replaces its target in a copy of refimpl. ``view(inputs)``, when given, returns
expected entries like an oracle's (see refcheck.judge) for hint matching, for mutants whose output
depends on randomness that the user's cannot share (dropout).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    target: str
    hint: str
    fn: object
    view: object = None


MUTANTS = []


def mutant(target, hint, view=None):
    """Register the decorated function as a wrong ``target``; the function's name names the mutant."""
    def register(fn):
        MUTANTS.append(Mutant(fn.__name__, target, hint, fn, view))
        return fn
    return register


def by_target(target):
    _load()
    return [m for m in MUTANTS if m.target == target]


def all_mutants():
    _load()
    return list(MUTANTS)


def _load():
    from . import zoo  # noqa: F401  (registers on import)
