"""Hypotheses about the recurrent layers: the LSTM's four gate blocks read in another order."""
from itertools import permutations

import numpy as np

from . import Match, hypothesis

GATES = ("i", "f", "o", "g")    # the contract's order of the blocks of Wx, Wh and b


def gate_order_hint(order):
    torch = " (torch's order)" if order == ("i", "f", "g", "o") else ""
    return (f"The gate blocks are read as {', '.join(order)}{torch}; the contract's order is "
            f"{', '.join(GATES)}.")


def _reordered(a, blocks):
    parts = np.split(a, 4, axis=-1)
    return np.concatenate([parts[k] for k in blocks], axis=-1)


@hypothesis("lstm_step_forward", "lstm_forward")
def gate_order(s):
    """The outputs equal the oracle's with the blocks permuted: the implementation reads block k
    as gate order[k]."""
    keys = [k for k in ("next_h", "next_c", "h") if k in s.failing]
    if not keys or s.args["b"].shape[-1] < 4 or s.args["b"].shape[-1] % 4:
        return None
    actual = {k: s.outputs[k] for k in keys if k in s.outputs}
    if not actual:
        return None
    nearest = []
    for order in permutations(GATES):
        if order == GATES:
            continue
        blocks = [order.index(gate) for gate in GATES]  # the block the implementation uses as each gate
        want = s.reference(**{w: _reordered(s.args[w], blocks) for w in ("Wx", "Wh", "b")})
        if all(want[k].shape == a.shape for k, a in actual.items()):
            distance = max(float(np.max(np.abs(want[k] - a), initial=0)) for k, a in actual.items())
            nearest.append((distance, order, want))
    if not nearest:
        return None
    _, order, want = min(nearest, key=lambda n: n[0])  # only the nearest order is judged
    explained = frozenset(k for k in actual if s.explains(k, want[k]))
    if not explained:
        return None
    return Match(explained, f"gates {order}", gate_order_hint(order),
                 f"residual: {', '.join(sorted(explained))} equal the oracle's with the gate blocks "
                 f"reordered as {', '.join(order)}")
