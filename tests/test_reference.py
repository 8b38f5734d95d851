"""refimpl against the PyTorch oracles: every registry row over its randomized and edge cases,
through the same generic check that `pytest --impl` and `refcheck` run on other modules."""
from refcheck.checks import pytest_generate_tests, test_case  # noqa: F401
