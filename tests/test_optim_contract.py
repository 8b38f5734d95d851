"""Update rules may update w in place only when they return that same array (a warning, as
CS231n's stock sgd does); modifying w and returning another array, or touching dw, fails."""
import types

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
    return w.copy(), config


def sgd_scaling_dw_in_place(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    dw *= config["learning_rate"]
    return w - dw, config


def verdict(fn, strict=False):
    module = types.ModuleType("user_optim")
    module.sgd = fn
    return check_function(Implementation(module, "user_optim"), "sgd", ROWS["sgd"].gen.cases(seeds_for()), strict)


def test_stock_sgd_updating_w_in_place_passes_with_a_warning():
    report = verdict(stock_cs231n_sgd)
    assert report.status == "pass", report.message
    assert any("updates w in place" in w for w in report.warnings)
    assert verdict(stock_cs231n_sgd, strict=True).status == "fail"


def test_modifying_w_but_returning_another_array_fails():
    report = verdict(sgd_in_place_returning_copy)
    assert report.status == "fail" and "modified w in place but returned another array" in report.message


def test_modifying_dw_fails():
    report = verdict(sgd_scaling_dw_in_place)
    assert report.status == "fail" and "modified dw in place" in report.message
