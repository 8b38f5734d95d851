"""refimpl's own suite: the engine's generic check runs with refimpl as the implementation under
test, strictly (refimpl must not earn warnings: float32 stays float32, inputs stay untouched).
With --impl, the same tests check that module instead."""
import pytest


@pytest.fixture(scope="session")
def refcheck_impl(request):
    from refcheck.plugin import PytestChecker, checker_for
    if request.config.getoption("impl"):
        checker = checker_for(request.config)
        yield checker
        checker.impl.close()
        return
    import refimpl
    from refcheck.engine import Implementation
    yield PytestChecker(Implementation(refimpl, "refimpl"), strict=True)
