"""Hypotheses about the update rules: Adam's step count t never incremented, or one ahead."""
import numpy as np

from ..mutants.optim import T_NEVER_INCREMENTED, T_STARTS_AT_ONE
from . import Match, hypothesis

KEY = "config['t']"


@hypothesis("adam", "adamw")
def step_count(s):
    """config['t'] after each step stays where it started, or is the oracle's plus one."""
    actual, want = s.outputs.get(KEY), s.expected.get(KEY)
    if KEY not in s.failing or actual is None or not isinstance(want, np.ndarray) or actual.shape != want.shape \
            or actual.size < 2:
        return None
    if np.all(actual == actual.flat[0]):
        return Match(frozenset([KEY]), "t never incremented", T_NEVER_INCREMENTED,
                     f"config['t'] stays {actual.flat[0]:g} over {actual.size} steps")
    if np.array_equal(actual, want + 1):
        return Match(frozenset([KEY]), "t starts at 1", T_STARTS_AT_ONE,
                     "config['t'] is the oracle's step count plus one after every step")
    return None
