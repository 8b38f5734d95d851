"""Expected values that depend on the implementation's own choices.

An adapter may return, instead of an array, a function of the implementation's outputs (a dict
by name) that returns ``(actual_view, expected_view[, scale])``; the judge compares the two views.
It raises ``Mismatch`` when the outputs cannot match at all (a wrong answer, not a wrong shape).
"""


class Mismatch(Exception):
    """The implementation's outputs are wrong in a way an elementwise comparison cannot show."""
