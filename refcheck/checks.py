"""The generic check as pytest tests: one test per (function, case), ids like
``test_case[affine_backward-float32-seed3]``. Collected by ``pytest --impl PATH`` (refcheck.plugin)
and re-exported by refimpl's own tests/test_reference.py.
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
