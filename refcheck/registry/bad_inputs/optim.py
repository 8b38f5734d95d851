"""Bad and unusual inputs of the update rules: torch.optim's hyper-parameter checks and carried state."""
import numpy as np

from ..optim import STATE
from ._entries import NAN, computes, put, rejects


_RULE = dict(schedule=0, custom=0, partial=0)  # the config is the entry's, never the generator's
_W34 = dict(_RULE, rank=3, steps=3)  # w (3, 4)


def _hyper(key, value, match):
    return rejects(f"{key} = {value!r}", rf"config\['{key}'\] {match}", sizes=_RULE, config={key: value})


def _rule_entries(state, hyper):
    """Entries shared by the update rules: torch.optim's checks of the hyper-parameters in
    ``hyper``, the carried state in ``state`` of a shape that broadcasts against w, NaN gradients."""
    entries = [
        _hyper("learning_rate", -0.1, r"must be >= 0, got -0.1"),
        _hyper("learning_rate", "1e-2", r"must be a number >= 0, got '1e-2'"),
        _hyper("learning_rate", NAN, r"must be a number >= 0, got nan"),
        rejects("dw of another shape", r"dw must have shape \(3, 4\) \(the shape of w\), got \(4,\)", sizes=_W34,
                dws=lambda a: a["dws"][..., 0, :]),
        rejects("config a list", r"config must be a dict, got list", sizes=_RULE, config=[0.1]),
        computes("learning_rate 0 (torch accepts it)", sizes=_W34, config={"learning_rate": 0.0}),
        computes("NaN gradient", sizes=_W34, dws=put("dws", NAN, at=5)),
        computes("w of no elements", sizes=dict(_W34, steps=2), w=np.zeros((0, 4)), dws=np.zeros((2, 0, 4))),
    ]
    for key, value, match in hyper:
        entries.append(_hyper(key, value, match))
    for key in state:
        if key == "t":
            entries += [_hyper("t", -1, r"must be a whole number >= 0, got -1"),
                        _hyper("t", 1.5, r"must be a whole number >= 0, got 1.5")]
            continue
        for bad in ((4,), (3, 1), (1, 4)):
            entries.append(rejects(f"{key} of shape {bad}, which broadcasts against w (3, 4)",
                                   rf"config\['{key}'\] must have shape \(3, 4\) \(the shape of w\), got \({bad[0]},",
                                   sizes=_W34, config={key: np.zeros(bad)}))
    return entries


_MOMENTUM = [("momentum", -0.5, r"must be >= 0, got -0.5")]
_ADAM = [("beta1", 1.0, r"must be >= 0 and < 1, got 1.0"), ("beta1", -0.1, r"must be >= 0 and < 1, got -0.1"),
         ("beta2", 1.5, r"must be >= 0 and < 1, got 1.5"), ("epsilon", -1e-8, r"must be >= 0, got -1e-08")]
BAD_INPUTS = {
    "sgd": _rule_entries((), []),
    "sgd_momentum": _rule_entries(("velocity",), _MOMENTUM),
    "sgd_nesterov": _rule_entries(("velocity",), _MOMENTUM + [
        ("momentum", 0.0, r"must be > 0, got 0.0")]),  # torch: Nesterov momentum requires a momentum
    "rmsprop": _rule_entries(("cache",), [("decay_rate", -0.1, r"must be >= 0, got -0.1"),
                                                     ("epsilon", -1.0, r"must be >= 0, got -1.0")]),
    "adagrad": _rule_entries(("cache",), [("epsilon", -1.0, r"must be >= 0, got -1.0")]),
    "adam": _rule_entries(("m", "v", "t"), _ADAM),
    "adamw": _rule_entries(("m", "v", "t"), _ADAM + [
        ("weight_decay", -0.01, r"must be >= 0, got -0.01"), ("weight_decay", NAN, r"must be a number >= 0, got nan")]),
}

# An update rule takes one step in float16 and in the layouts: the oracle's trajectory is never
# rounded to float16 between steps.
LAYOUT_SIZES = {rule: {"steps": 1} for rule in STATE}
