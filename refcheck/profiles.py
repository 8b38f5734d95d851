"""How many randomized cases per function and dtype: the profiles (no NumPy here, so that the
pytest plugin can read them before the session imports NumPy; see refcheck.parallel)."""
import os

PROFILES = {"quick": 20, "thorough": 100}
PROFILE_ENV = "REFCHECK_PROFILE"


def seeds_for(profile=None):
    """Randomized cases per dtype for a profile name (default: $REFCHECK_PROFILE or 'quick')."""
    name = profile or os.environ.get(PROFILE_ENV) or "quick"
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]
