"""Expected values that depend on the implementation's own choices.

An adapter may return, instead of an array, a function of the implementation's outputs (a dict
by name) that returns ``(actual_view, expected_view)``; the judge compares the two views. It
raises ``Mismatch`` when the outputs cannot match at all (a wrong answer, not a wrong shape).
How far apart the two may be is not the adapter's business: every output's error model lives in
``refcheck.tolerances``.

An expected entry may also be ``Lenient(primary, alternative, warning)``: a convention the
contract does not use but accepts with a warning (a ReLU gradient of 1 at exactly 0, the Adam
paper's placement of epsilon). The implementation passes against ``primary``, or else against
``alternative`` with ``warning``; a failure is reported against ``primary``.
"""
from dataclasses import dataclass


class Mismatch(Exception):
    """The implementation's outputs are wrong in a way an elementwise comparison cannot show."""


@dataclass(frozen=True)
class Lenient:
    primary: object         # an array or a view, as any expected entry
    alternative: object     # the same, for the accepted convention
    warning: str            # what the table and the JSON say when the alternative is what matched


def primary(entry):
    """The contract's expected entry (an array or a view), with or without a Lenient around it."""
    return entry.primary if isinstance(entry, Lenient) else entry
