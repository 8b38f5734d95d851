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


@pytest.fixture(scope="session", autouse=True)
def oracle_results_shared_by_the_workers(request, tmp_path_factory):
    """Under xdist, the workers of this run read and write the oracle's results of the registry's
    rows in the run's temporary directory (refcheck.expected.share): the zoo, the calibration and
    the reference cases (on whichever worker they run) call the oracle once per case, not once per
    worker. Before the first test: the registry's rows are the ones shared."""
    if hasattr(request.config, "workerinput"):
        from refcheck import expected
        expected.share(tmp_path_factory.getbasetemp().parent / "oracle-results")
