"""refimpl's own suite: the engine's generic check runs with refimpl as the implementation under
test, strictly (refimpl must not earn warnings: float32 stays float32, inputs stay untouched).
With --impl, the plugin adds that module's checks beside this suite (``-m refcheck`` selects them
alone); these tests keep checking refimpl."""
import pytest


@pytest.fixture(scope="session")
def refcheck_impl(request):
    import refimpl
    from refcheck.engine import Implementation
    from refcheck.plugin import PytestChecker
    yield PytestChecker(Implementation(refimpl, "refimpl"), strict=True)
