"""refimpl is strict (API.md, "Everywhere"): on every bad input listed in
refcheck.registry.bad_inputs it raises a ValueError that names the argument, and on every unusual
one (empty batches, NaN and inf, float16, whole-number floats, layouts, lists) it computes what the
oracle computes, judged as any case is."""
import re
import types

import numpy as np
import pytest

import refimpl
from refcheck.calls import Backward
from refcheck.cases import Case
from refcheck.engine import Implementation
from refcheck.judge import judge
from refcheck.registry import ROWS
from refcheck.registry.bad_inputs import BAD_INPUTS, LAYOUT_SIZES, LAYOUTS


def _slug(text):
    return re.sub(r"\W+", "_", text).strip("_")


ENTRIES = [(name, entry) for name, entries in BAD_INPUTS.items() for entry in entries]
REJECTS = [(n, e) for n, e in ENTRIES if e.rejects]
COMPUTES = [(n, e) for n, e in ENTRIES if not e.rejects]


def _ids(pairs):
    return [f"{name}-{_slug(entry.label)}" for name, entry in pairs]


def module_of(wrap, label):
    """refimpl with every function wrapped by ``wrap(name, fn)``: the implementation under test."""
    module = types.ModuleType(label)
    for name in refimpl.__all__:
        setattr(module, name, wrap(name, getattr(refimpl, name)))
    return module


def assert_computes_as_oracle(module, row, case, inputs):
    """Run ``row`` on ``inputs`` through the engine and require a strict pass (no warnings)."""
    run = Implementation(module, module.__name__).execute(row, inputs, case)
    assert not isinstance(run, str), f"{row.name} raised: {run}"
    with np.errstate(all="ignore"):
        expected = row.expected(inputs)
    outcome = judge(row.name, case, inputs, run, expected, row.call.keys(expected))
    assert outcome.status == "pass", outcome.message
    assert outcome.compared, "no value comparison ran"
    assert not outcome.warnings, outcome.warnings
    return run


def base_case(name, dtype):
    row = ROWS[name]
    sizes = LAYOUT_SIZES.get(name, {})
    gen = row.gen.variant(**{k: (n, n) for k, n in sizes.items()}) if sizes else row.gen
    case = Case(dtype, "seed0")
    return row, case, gen(case)


def test_every_function_has_bad_and_unusual_inputs():
    unknown = sorted(set(BAD_INPUTS) - set(ROWS))
    assert not unknown, f"bad_inputs lists functions the registry does not have: {unknown}"
    no_rejects = [n for n in ROWS if not any(e.rejects for e in BAD_INPUTS.get(n, ()))]
    no_computes = [n for n in ROWS if not any(not e.rejects for e in BAD_INPUTS.get(n, ()))]
    assert not no_rejects and not no_computes, (
        f"add entries to the family's module in refcheck/registry/bad_inputs/: no bad input rejected for {no_rejects}; "
        f"no unusual input computed for {no_computes}")
    for name, entries in BAD_INPUTS.items():
        labels = [_slug(e.label) for e in entries]
        assert len(labels) == len(set(labels)), f"{name} has two entries with the same label"


@pytest.mark.parametrize("name,entry", REJECTS, ids=_ids(REJECTS))
def test_bad_input_raises_value_error_naming_the_argument(name, entry):
    row = ROWS[name]
    _, inputs = entry.inputs(row)
    with pytest.raises(ValueError, match=entry.match), np.errstate(all="ignore"):
        row.call(lambda n: getattr(refimpl, n), inputs)


@pytest.mark.parametrize("name,entry", COMPUTES, ids=_ids(COMPUTES))
def test_unusual_input_computes_what_the_oracle_computes(name, entry):
    row = ROWS[name]
    case, inputs = entry.inputs(row)
    assert_computes_as_oracle(refimpl, row, case, inputs)


def _floating_values(name):
    """The row's case, and the values its function itself takes first (a backward's: its upstream
    gradients), with the names of the floating arrays among them."""
    row, _, inputs = base_case(name, "float64")
    values = inputs.douts if isinstance(row.call, Backward) else inputs.args
    return row, inputs, values, [k for k, a in values.items() if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


@pytest.mark.parametrize("name", [n for n in sorted(BAD_INPUTS) if _floating_values(n)[3]])  # not positional_encoding
def test_complex_input_is_rejected(name):
    """The first floating argument of the function itself (a backward's: its upstream gradient;
    the KV-cache step's: q, whose slices go in as q_t)."""
    row, inputs, values, floating = _floating_values(name)
    arg = floating[0]
    values[arg] = values[arg] + 1j
    named = getattr(row.call, "STEP_ARGS", {}).get(arg, arg)
    with pytest.raises(ValueError, match=rf"{named} must be a real floating array, got dtype complex128"):
        row.call(lambda n: getattr(refimpl, n), inputs)


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_float16_is_computed_in_float32_and_returned_as_float16(name):
    row, case, inputs = base_case(name, "float16")
    run = assert_computes_as_oracle(refimpl, row, case, inputs)
    returned = {k: a.dtype for k, a in run.outputs.items()
                if a.dtype.kind == "f" and "['" not in k and k not in run.untyped}
    assert all(d == np.float16 for d in returned.values()), returned  # nms returns integers only


def _in_layout(value, layout):
    if isinstance(value, np.ndarray):
        return LAYOUTS[layout](value)
    if isinstance(value, dict):  # in place: bn_param and config are updated in place
        for k, a in value.items():
            if isinstance(a, np.ndarray) and isinstance(LAYOUTS[layout](a), np.ndarray):
                value[k] = LAYOUTS[layout](a)
    if isinstance(value, list):  # gradients, per-image dicts: new lists and dicts, every array in the layout
        return [{k: LAYOUTS[layout](x) if isinstance(x, np.ndarray) else x for k, x in a.items()}
                if isinstance(a, dict) else _in_layout(a, layout) for a in value]
    return value


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_layouts_compute_what_the_oracle_computes(name, layout):
    """Lists hold Python floats (float64), so that case is float64; the others are float32 (and
    must stay float32)."""
    row, case, inputs = base_case(name, "float64" if layout == "nested_lists" else "float32")

    def wrap(fn_name, fn):
        takes_cache = isinstance(getattr(ROWS.get(fn_name), "call", None), Backward)  # the cache stays as it is
        return lambda *args, **kw: fn(*(a if takes_cache and i == len(args) - 1 else _in_layout(a, layout)
                                        for i, a in enumerate(args)), **kw)
    assert_computes_as_oracle(module_of(wrap, f"refimpl_{layout}"), row, case, inputs)


BACKWARDS_OF_DICTS = sorted(n for n, row in ROWS.items() if n in BAD_INPUTS and isinstance(row.call, Backward)
                            and any(isinstance(a, dict) for a in base_case(n, "float64")[2].args.values()))


@pytest.mark.parametrize("name", BACKWARDS_OF_DICTS)
def test_backward_reads_nothing_from_the_forwards_dicts(name):
    """The forward's dict arguments (pool_param, conv_param, bn_param, ...) are emptied as soon as
    it returns: a cache that kept one by reference would hand the backward an empty dict."""
    row, case, inputs = base_case(name, "float64")

    def wrap(fn_name, fn):
        def call(*args):
            result = fn(*args)
            if fn_name == row.call.forward.name:
                for a in args:
                    if isinstance(a, dict):
                        a.clear()
            return result
        return call
    assert_computes_as_oracle(module_of(wrap, "refimpl_forgetting_dicts"), row, case, inputs)
