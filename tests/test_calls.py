"""How each contract function is called is written once, in its row (refcheck.calls.Signature),
and must be refimpl's own signature: the arguments by name in refimpl's order (those marked
``=...`` defaulted in refimpl), what the cases hold, and what refimpl returns. Every row declares
its calls, the special ones (optimizer trajectories, the KV-cache steps, the schedules) through
``invocations``."""
import inspect

import numpy as np
import pytest

import refimpl
from refcheck.calls import Signature
from refcheck.cases import Case
from refcheck.registry import ROWS


def signatures(row, token="seed1"):
    """(signature, argument values it is called with) for the functions a row calls."""
    call = row.call
    inputs = row.gen(Case("float64", token))
    if hasattr(call, "invocations"):
        yield from call.invocations(inputs)
    elif hasattr(call, "forward"):
        yield call.forward.signature, inputs.args
        yield call.signature, {**inputs.douts, "cache": None}
    elif hasattr(call, "signature"):
        yield call.signature, inputs.args


def tokens(row):
    return ["seed0", "seed1", "seed2", *row.gen.edges]


@pytest.mark.parametrize("name", list(ROWS))
def test_the_row_calls_the_function_as_refimpl_declares_it(name):
    row = ROWS[name]
    found = list(signatures(row))
    assert found, f"{name}'s call declares no signature"
    for sig, _ in found:
        assert sig.declared, f"{name} calls {sig.name} with undeclared arguments: {sig}"
        params = inspect.signature(getattr(refimpl, sig.name)).parameters
        assert sig.parameters == list(params), f"{sig} is called with {sig.parameters}; refimpl's {sig.name} takes {list(params)}"
        for a in sig.defaults:
            assert params[a].default is not inspect.Parameter.empty, f"{sig}: {a}=... but refimpl's {a} has no default"
    held = {}
    for token in tokens(row):  # every case: what it holds is what the signature takes
        for sig, values in signatures(row, token):
            required = set(sig.parameters) - set(sig.defaults) - set(sig.kwargs)
            assert required <= set(values) <= set(sig.parameters), \
                f"{name}'s case {token} holds {sorted(values)}, {sig} takes {sig.parameters}"
            held.setdefault(sig.name, set()).update(values)
    for sig, _ in found:
        unused = set(sig.parameters) - held[sig.name]
        assert not unused, f"no case of {name} passes {sorted(unused)} to {sig.name}: declare only what is passed"


@pytest.mark.parametrize("name", list(ROWS))
def test_refimpl_returns_what_the_signature_names(name):
    row = ROWS[name]
    inputs = row.gen(Case("float64", "seed1"))
    for sig, values in signatures(row):
        if "cache" in values and values["cache"] is None and hasattr(row.call, "forward"):
            values = dict(values, cache=sig_forward_cache(row, inputs))
        result = sig.invoke(getattr(refimpl, sig.name), values)
        if len(sig.returns) > 1:
            assert isinstance(result, tuple) and len(result) == len(sig.returns), \
                f"refimpl's {sig.name} returns {type(result).__name__}, {sig} says {len(sig.returns)} results"
        else:
            assert not isinstance(result, tuple), f"refimpl's {sig.name} returns a tuple, {sig} says one result"


def sig_forward_cache(row, inputs):
    fsig = row.call.forward.signature
    return dict(zip(fsig.returns, fsig.invoke(getattr(refimpl, fsig.name), inputs.args)))["cache"]


def test_signatures_parse_and_print():
    sig = Signature.parse("nms(boxes, scores, *, iou_threshold) -> keep")
    assert (sig.name, sig.args, sig.kwargs, sig.returns) == ("nms", ("boxes", "scores"), ("iou_threshold",), ("keep",))
    assert str(sig) == "nms(boxes, scores, *, iou_threshold) -> keep"
    assert Signature.parse("Linear.forward(x, w, b) -> out, cache").returns == ("out", "cache")
    bare = Signature.parse("affine_forward", "out cache")
    assert not bare.declared and bare.returns == ("out", "cache")
    assert sig.arguments({"boxes": 1, "scores": 2}) == ([1, 2], {})  # keyword arguments only when given
    with pytest.raises(ValueError):
        Signature.parse("not a signature ->")
    with pytest.raises(ValueError):
        Signature.parse("f(x=1) -> y")  # a default is written =..., refimpl holds its value


def test_defaulted_arguments_are_passed_positionally_while_the_case_holds_them():
    """As the generators' dicts were passed before signatures: a student's defaulted argument of
    another name still receives it; once one is left out, the later ones go by keyword."""
    sig = Signature.parse("sdpa(q, k, v, mask=..., is_causal=..., scale=...) -> out, cache")
    assert str(sig) == "sdpa(q, k, v, mask=..., is_causal=..., scale=...) -> out, cache"
    assert sig.arguments({"q": 1, "k": 2, "v": 3}) == ([1, 2, 3], {})
    assert sig.arguments({"q": 1, "k": 2, "v": 3, "mask": 4, "is_causal": 5, "scale": 6}) == ([1, 2, 3, 4, 5, 6], {})
    assert sig.arguments({"q": 1, "k": 2, "v": 3, "scale": 6}) == ([1, 2, 3], {"scale": 6})
    with pytest.raises(KeyError):
        sig.arguments({"q": 1, "k": 2})  # a required argument the case does not hold
    spread = Signature.parse("lr_schedule(name, step, base_lr, **kw) -> lr")
    assert spread.parameters == ["name", "step", "base_lr", "kw"]
    assert spread.arguments({"name": "StepLR", "step": 3, "base_lr": 0.1, "kw": {"step_size": 2}}) == (
        ["StepLR", 3, 0.1], {"step_size": 2})


def test_the_call_order_is_the_signature_not_the_cases_dict_order():
    """The generator's dict order no longer decides anything: a case whose dict lists the
    arguments in another order calls the function the same way."""
    row = ROWS["affine_forward"]
    inputs = row.gen(Case("float64", "seed1"))
    inputs.args = dict(reversed(list(inputs.args.items())))
    seen = []

    def affine_forward(x, w, b):
        seen.append((x.ndim >= 2, w.ndim, b.ndim))
        return refimpl.affine_forward(x, w, b)
    run = row.call(lambda name: affine_forward, inputs)
    assert seen == [(True, 2, 1)] and np.array_equal(run.outputs["out"], refimpl.affine_forward(
        inputs.args["x"], inputs.args["w"], inputs.args["b"])[0])


def test_unchanged_answers_as_array_equal_with_equal_nan():
    """The in-place checks' fast test against the NumPy one it stands for, on pairs that differ in
    the ways that matter: a value, NaN in one or both (same or other place), inf, -0.0, dtypes,
    shapes, 0-d and empty arrays."""
    from refcheck.calls import unchanged
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 4))
    nan_here, nan_there = base.copy(), base.copy()
    nan_here[1, 2] = nan_there[0, 0] = np.nan
    changed, inf, neg_zero = base.copy(), base.copy(), np.zeros(5)
    changed[2, 3] += 1e-12
    inf[0, 1] = np.inf
    neg_zero[3] = -0.0
    arrays = [base, nan_here, nan_there, changed, inf, base.astype(np.float32), base.T.copy(), np.zeros(5),
              neg_zero, np.arange(12).reshape(3, 4), np.arange(12).reshape(3, 4) > 5, np.array(1.0),
              np.array(np.nan), np.zeros((0, 4)), np.full((3, 4), np.nan), np.full((3, 4), np.nan, np.float32)]
    pairs = [(a, b) for a in arrays for b in arrays] + [(a, a.copy()) for a in arrays]
    for a, b in pairs:
        assert unchanged(a, b) == np.array_equal(a, b, equal_nan=True), (a, b)
    assert unchanged(nan_here, nan_here.copy()) and not unchanged(nan_here, nan_there)
