"""How each contract function is called is written once, in its row (refcheck.calls.Signature),
and must be refimpl's own signature: the arguments by name in refimpl's order, what the cases
hold, and what refimpl returns."""
import inspect

import numpy as np
import pytest

import refimpl
from refcheck.calls import Signature
from refcheck.cases import Case
from refcheck.registry import ROWS


def signatures(row):
    """(signature, argument values it is called with) for the functions a row calls."""
    call = row.call
    inputs = row.gen(Case("float64", "seed1"))
    if hasattr(call, "forward"):
        yield call.forward.signature, inputs.args
        yield call.signature, {**inputs.douts, "cache": None}
    elif hasattr(call, "signature"):
        yield call.signature, inputs.args


@pytest.mark.parametrize("name", list(ROWS))
def test_the_row_calls_the_function_as_refimpl_declares_it(name):
    row = ROWS[name]
    found = list(signatures(row))
    assert found, f"{name}'s call declares no signature"
    for sig, values in found:
        params = list(inspect.signature(getattr(refimpl, sig.name)).parameters)
        args = list(sig.args) + list(sig.kwargs) if sig.declared else list(values)
        assert args == params, f"{sig} is called with {args}; refimpl's {sig.name} takes {params}"
        if sig.declared and name not in ("sgd", "sgd_momentum", "sgd_nesterov", "rmsprop", "adagrad", "adam", "adamw"):
            assert set(values) == set(args), f"{name}'s cases hold {sorted(values)}, {sig} takes {args}"


@pytest.mark.parametrize("name", list(ROWS))
def test_refimpl_returns_what_the_signature_names(name):
    row = ROWS[name]
    inputs = row.gen(Case("float64", "seed1"))
    for sig, values in signatures(row):
        if "cache" in values:
            values = dict(values, cache=sig_forward_cache(row, inputs))
        elif name in ("sgd", "sgd_momentum", "sgd_nesterov", "rmsprop", "adagrad", "adam", "adamw"):
            values = {"w": inputs.args["w"], "dw": inputs.args["dws"][0], "config": inputs.args["config"]}
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
