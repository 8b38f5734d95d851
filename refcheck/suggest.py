"""Suggestions for names that do not match: "did you mean" for --only and --case, and the message
for a module that defines nothing of the contract (what was looked for, what it defines instead)."""
import difflib
import inspect


def close(word, choices, n=3, cutoff=0.6):
    """The choices closest to ``word`` (difflib's ratio), best first; a choice containing the word,
    or contained in it, counts as close too."""
    found = difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)
    contains = [c for c in choices if c not in found and len(word) >= 3 and (word in c or c in word)]
    return (found + contains)[:n]


def did_you_mean(word, choices):
    """`` (did you mean X or Y?)``, or "" when nothing is close."""
    found = close(word, choices)
    return f" (did you mean {' or '.join(found)}?)" if found else ""


def own_names(module):
    """The public functions and classes ``module`` defines itself (not the ones it imports)."""
    return sorted(k for k, v in vars(module).items()
                  if not k.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
                  and getattr(v, "__module__", None) == module.__name__)


def looked_for(impl, names):
    """contract name -> the name the implementation's course calls for it (``Linear.forward``)."""
    from .registry import ROWS
    return {n: impl.call_for(ROWS[n]).needs[-1] for n in names}


def defined_by(impl):
    """own_names of the implementation's module (an isolated one's worker sent them)."""
    return impl.own_names if hasattr(impl, "own_names") else own_names(impl.module)


def nothing_found(impl, names, map_option="--map"):
    """The message when the module defines none of ``names`` (else None): the names looked for,
    the module's own names and, for each close one, the --map that would use it."""
    wanted = looked_for(impl, names)
    if any(impl.defines(n) for n in wanted.values()):
        return None
    own = defined_by(impl)
    shown = list(wanted.values())
    listed = ", ".join(shown[:6]) + (f", ... ({len(shown)} names; refcheck --list shows them all)"
                                     if len(shown) > 6 else "")
    text = f"{impl.label} defines none of the functions looked for (course {impl.plan.course.name}): {listed}."
    if not own:
        return text + " It defines no functions or classes of its own."
    text += f" It defines {', '.join(own[:8])}{', ...' if len(own) > 8 else ''}."
    from .registry import ROWS
    known = set(ROWS) | set(looked_for(impl, list(ROWS)).values())  # names already the contract's
    pairs = [(o, c[0]) for o in own if o not in known for c in [close(o, shown, n=1, cutoff=0.5)] if c][:5]
    if pairs:
        text += (" Closest: " + ", ".join(f"{o} ~ {c}" for o, c in pairs)
                 + f"; if they are those, name them so or map them: {map_option} "
                 + ",".join(f"{o}={next(k for k, v in wanted.items() if v == c)}" for o, c in pairs))
    return text
