"""The oracle's results, computed once per row and case in a process and reused.

A case's inputs are a pure function of its id (``refcheck.cases``), so what the oracle returns for
it is too: every check of the same case (the same function checked again, the mutants of the zoo,
the submissions of a class, a shrink revisiting a case) can share one oracle call. The key is the
row object itself (held by its entry) and the case id: within a process a row is one version of
the registry's generator and oracle, and a course's or the calibration's own row is another key.
The arrays are stored read-only, so that a judge or a view that wrote into them would raise
instead of changing what the next check compares with.

``share(directory)`` lets the processes of one session (pytest-xdist's workers: the suite's
conftest.py) compute each case's oracle once between them: a result of one of the registry's own
rows is written there as a pickle, and a process missing it in its memo reads it before computing
it. Rows made later (a course's, a test's variant put in the registry) and results that cannot be
pickled (views, closures over the case) stay in their process.
"""
import os
import pickle
import tempfile
from collections import OrderedDict

import numpy as np

LIMIT = 256 * 2**20  # bytes of arrays kept; the least recently used entries go first

_memo = OrderedDict()  # (id(row), case id) -> (row, expected, bytes)
_derived = {}          # id(expected) of a memo entry -> {what: value} (see derived)
_held = 0
counts = {"computed": 0, "reused": 0}
_shared = None         # (directory, {id(row): row} of the registry's rows when it was shared)


def expected_for(row, case, inputs):
    """``row.expected(inputs)`` for ``inputs = row.gen(case)``, from the memo when it has it."""
    global _held
    key = (id(row), case.id)
    hit = _memo.get(key)
    if hit is not None and hit[0] is row:  # the row held in the entry: its id cannot be reused
        _memo.move_to_end(key)
        counts["reused"] += 1
        return hit[1]
    value = _read_shared(row, case)
    if value is None:
        value = row.expected(inputs)
        counts["computed"] += 1
        _write_shared(row, case, value)
    size = _freeze(value)
    _memo[key] = (row, value, size)
    _derived[id(value)] = {}
    _held += size
    while _held > LIMIT and len(_memo) > 1:
        _, (_, old, old_size) = _memo.popitem(last=False)
        _held -= old_size
        _derived.pop(id(old), None)
    return value


def derived(value, what, compute):
    """``compute()``, computed once per entry of the memo: ``value`` an oracle's result that
    expected_for returned, ``what`` names something that depends on that entry's row, case and
    oracle result alone (the error model's magnitudes for a dtype: refcheck.tolerances). For any
    other ``value`` (an oracle's result on changed inputs, a mutant's outputs) it is computed each
    time. The memo holds its values, so an id here cannot be another object's."""
    extras = _derived.get(id(value))
    if extras is None:
        return compute()
    if what not in extras:
        extras[what] = compute()
    return extras[what]


def share(directory):
    """Read and write the registry rows' oracle results in ``directory`` (see the module docstring);
    the rows are the registry's as they are now."""
    global _shared
    from .registry import ROWS
    os.makedirs(directory, exist_ok=True)
    _shared = (str(directory), {id(r): r for r in ROWS.values()})


def _shared_path(row, case):
    if _shared is None or _shared[1].get(id(row)) is not row:
        return None
    return os.path.join(_shared[0], f"{row.name}@{case.id}.pickle")


def _read_shared(row, case):
    path = _shared_path(row, case)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except Exception:  # noqa: BLE001 - not written yet, or unreadable: computed here, as without it
        return None


def _write_shared(row, case, value):
    path = _shared_path(row, case)
    if path is None:
        return
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a view or a closure: this process keeps it to itself
        return
    fd, temp = tempfile.mkstemp(dir=_shared[0], suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(temp, path)  # whole or not at all for a process reading it now


def clear():
    global _held
    _memo.clear()
    _derived.clear()
    _held = 0


def _freeze(value):
    """Make the arrays in ``value`` read-only; their size in bytes."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
        return value.nbytes
    if isinstance(value, dict):
        return sum(_freeze(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_freeze(v) for v in value)
    return 0
