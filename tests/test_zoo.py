"""The verifier catches every mutant of the zoo on its own function, names it in the hint (with the
evidence it rests on, never another mistake of the zoo), and flags nothing else; refimpl itself
passes every case (tests/test_reference.py). A mutant that combines two mistakes must get both
named. This is also the diagnosis's measure on the zoo (tests/test_diagnosis.py covers pairs of
functions, the shipped examples and correct code)."""
import types

import pytest

import refimpl
from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.mutants import all_mutants
from refcheck.registry import ROWS

MUTANTS = all_mutants()
MUTANTS_BY_NAME = {m.name: m for m in MUTANTS}
FIRST_OF_TARGET = {}
for _m in MUTANTS:
    FIRST_OF_TARGET.setdefault(_m.target, _m)


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
    if m.level == "fail":
        assert_names(m, report)
    if FIRST_OF_TARGET[m.target] is m:  # once per function (the whole report, twice over, costs a third)
        again = check_function(impl, m.target, ROWS[m.target].gen.cases(seeds_for()))
        assert (again.status, again.failed, again.message, again.hint, again.evidence) == (
            report.status, report.failed, report.message, report.hint, report.evidence), \
            "the verdict must not depend on the run"
    # Every other function of the module is refimpl's own object; those calling the mutated one
    # (a backward on its forward's cache) must still pass, or, where the mutated forward raises on
    # every case, be judged on none (API.md: the forward's error, not the backward's).
    for name, row in ROWS.items():
        if name != m.target and m.target in row.call.needs:
            other = check_function(impl, name, row.gen.cases(seeds_for()))
            unjudged = other.cases == 0 and other.not_judged and "not judged on any case" in other.message
            assert other.status == "pass" or unjudged, f"{m.name} also flagged {name}:\n{other.message}"


def assert_names(m, report):
    """The report names each of ``m``'s mistakes, each on evidence, and no other mistake of the zoo."""
    assert report.hint, f"no hint for {m.name}\n{report.message}"
    for hint in m.hints:
        assert hint in report.hint, f"hint {report.hint!r} for {m.name}\n{report.message}"
    assert report.evidence and all(report.evidence), f"no evidence for {m.name}'s hint"
    assert f"hint: {report.hint}" in report.message and all(e in report.message for e in report.evidence)
    others = [o.name for o in MUTANTS if o.target == m.target and o.level == "fail" and o.name != m.name
              and not o.combines and o.hint in report.hint and o.hint not in m.hints]
    assert not others, f"{m.name}'s hint also names {others}: {report.hint}"


def test_zoo_is_large_and_aimed_at_contract_functions():
    assert len(MUTANTS) >= 30
    assert {m.target for m in MUTANTS} <= set(ROWS)
    for m in MUTANTS:  # a combination makes two mistakes of the zoo on the same function
        assert all(MUTANTS_BY_NAME[p].target == m.target and not MUTANTS_BY_NAME[p].combines
                   for p in m.combines), m.name
    assert sum(bool(m.combines) for m in MUTANTS) >= 10
