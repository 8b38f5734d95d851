"""Update rules may update w in place only when they return that same array (a warning, as
CS231n's stock sgd does); modifying w and returning another array, or touching dw, fails. The
same for rules on torch tensors (whose w and state stay tensors from one step to the next)."""
import types

import pytest
import torch

from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.registry import ROWS


def stock_cs231n_sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_in_place_returning_copy(w, dw, config=None):
    w, config = stock_cs231n_sgd(w, dw, config)
    return (w.clone() if isinstance(w, torch.Tensor) else w.copy()), config


def sgd_scaling_dw_in_place(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    dw *= config["learning_rate"]
    return w - dw, config


@pytest.fixture(params=["numpy", "torch"])
def arrays(request):
    return request.param


def verdict(fn, strict=False, arrays="numpy"):
    module = types.ModuleType("user_optim")
    module.sgd = fn
    impl = Implementation(module, "user_optim", options={"arrays": arrays})
    assert impl.plan.arrays_name == arrays
    return check_function(impl, "sgd", ROWS["sgd"].gen.cases(seeds_for()), strict)


def test_stock_sgd_updating_w_in_place_passes_with_a_warning(arrays):
    report = verdict(stock_cs231n_sgd, arrays=arrays)
    assert report.status == "pass", report.message
    assert any("updates w in place" in w for w in report.warnings)
    assert verdict(stock_cs231n_sgd, strict=True, arrays=arrays).status == "fail"


def test_modifying_w_but_returning_another_array_fails(arrays):
    report = verdict(sgd_in_place_returning_copy, arrays=arrays)
    assert report.status == "fail" and "modified w in place but returned another array" in report.message


def test_modifying_dw_fails(arrays):
    report = verdict(sgd_scaling_dw_in_place, arrays=arrays)
    assert report.status == "fail" and "modified dw in place" in report.message
