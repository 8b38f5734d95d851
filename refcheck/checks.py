"""The generic check as plain pytest tests: one test per (function, case), ids like
``test_case[affine_backward-float32-seed3]``, for a test file of one's own that re-exports them
(refimpl's tests/test_reference.py does) with a ``refcheck_impl`` fixture (the plugin's checks the
--impl module). ``pytest --impl PATH`` itself adds the checks as ``refcheck/NAME::CASE`` items
(refcheck.plugin).
"""
from .cases import seeds_for
from .registry import ROWS


def pytest_generate_tests(metafunc):
    if "refcheck_case" in metafunc.fixturenames:
        seeds = seeds_for(metafunc.config.getoption("refcheck_profile", None))
        params = [(name, case) for name, row in ROWS.items() for case in row.gen.cases(seeds)]
        metafunc.parametrize("refcheck_case", params, ids=[f"{n}-{c.id}" for n, c in params])


def test_case(refcheck_impl, refcheck_case):
    refcheck_impl.assert_case(*refcheck_case)
