"""refcheck: the verification engine behind refimpl's tests, the `refcheck` command and the pytest plugin.

``refcheck.check(target, ...)`` checks a module, a path or a single function and returns a Report
(see refcheck.run)."""


def check(target, only=None, course=None, **options):
    from .run import check as run_check
    return run_check(target, only, course, **options)


check.__doc__ = """Check ``target`` (a module, a path, or a function with ``as_="nms"``) against the
PyTorch oracles; returns a refcheck.run.Report (prints as text, displays as HTML in a notebook).
See refcheck.run.check for the options."""
