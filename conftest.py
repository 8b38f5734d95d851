"""refimpl's own suite: the engine's generic check runs with refimpl as the implementation under
test, strictly (refimpl must not earn warnings: float32 stays float32, inputs stay untouched)."""
import pytest


@pytest.fixture(scope="session")
def refcheck_impl(request):
    if request.config.getoption("impl"):
        pytest.fail("tests/ checks refimpl itself; run `pytest --impl PATH` without test paths to "
                    "verify another module")
    import refimpl
    from refcheck.engine import Implementation
    from refcheck.plugin import PytestChecker
    return PytestChecker(Implementation(refimpl, "refimpl"), strict=True)
