"""The verifier catches every mutant of the zoo on its own function, names it in the hint, and
flags nothing else; refimpl itself passes every case (tests/test_reference.py)."""
import types

import pytest

import refimpl
from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.mutants import all_mutants
from refcheck.registry import ROWS

MUTANTS = all_mutants()


def mutant_module(m):
    module = types.ModuleType(f"mutant_{m.name}")
    for name in refimpl.__all__:
        setattr(module, name, getattr(refimpl, name))
    setattr(module, m.target, m.fn)
    return module


@pytest.mark.parametrize("m", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_flagged_on_its_own_function_only(m):
    impl = Implementation(mutant_module(m), f"mutant:{m.name}")
    report = check_function(impl, m.target, ROWS[m.target].gen.cases(seeds_for()))
    if m.level == "warn":  # an accepted convention: a pass with its warning, a failure under --strict
        assert report.status == "pass", report.message
        assert any(m.hint in w for w in report.warnings), f"warnings {report.warnings} for {m.name}"
        assert check_function(impl, m.target, ROWS[m.target].gen.cases(seeds_for()), strict=True).status == "fail"
    else:
        assert report.status in ("fail", "error"), f"{m.name} passed {report.cases} cases of {m.target}"
    if report.status == "fail":
        assert report.hint and m.hint in report.hint, f"hint {report.hint!r} for {m.name}\n{report.message}"
    again = check_function(impl, m.target, ROWS[m.target].gen.cases(seeds_for()))
    assert (again.status, again.failed, again.message, again.hint) == (
        report.status, report.failed, report.message, report.hint), "the verdict must not depend on the run"
    # Every other function of the module is refimpl's own object; those calling the mutated one
    # (a backward on its forward's cache) must still pass.
    for name, row in ROWS.items():
        if name != m.target and m.target in row.call.needs:
            other = check_function(impl, name, row.gen.cases(seeds_for()))
            assert other.status == "pass", f"{m.name} also flagged {name}:\n{other.message}"


def test_zoo_is_large_and_aimed_at_contract_functions():
    assert len(MUTANTS) >= 30
    assert {m.target for m in MUTANTS} <= set(ROWS)
