"""The docs cannot drift: docs/API.md is generated from the registry, and refimpl, the registry and
the zoo cover the same functions."""
import os

import refimpl
from refcheck import docs
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_api_reference_is_current():
    with open(os.path.join(ROOT, "docs", "API.md")) as f:
        assert f.read() == docs.render(), "docs/API.md is stale: run `python -m refcheck.docs > docs/API.md`"


def test_every_refimpl_function_is_registered_and_documented():
    assert sorted(refimpl.__all__) == sorted(ROWS)
    for name in ROWS:
        assert getattr(refimpl, name).__doc__, f"{name} has no docstring"
