"""Bad and unusual inputs of every contract function, beside the registry (OpInfo's
``error_inputs``): what refimpl must reject, and what it must compute as the oracle does.

One module per family of ``refcheck.registry.FAMILIES`` (the attention family's building blocks
in ``activations``), each with its ``BAD_INPUTS``: function name -> entries (``_entries.Entry``).
An entry starts from one case of the function's row (``token`` and ``dtype``, with ``sizes``
pinned), replaces some arguments or upstream gradients (a value, or a function of the case's
arguments returning one) and says either which ValueError refimpl raises (``rejects``: the regex
names the argument and its value or shape, which is what torch rejects or what would be garbage)
or that refimpl computes what the oracle computes (``computes``: judged like any case, with the
row's tolerances). tests/test_validation.py runs every entry; besides them it runs every function
here on float16 (computed in float32, returned as float16), on Fortran-ordered, non-contiguous and
read-only arrays and on nested lists (LAYOUTS), rejects a complex array in its first floating
argument, checks that a backward reads nothing from the forward's dict arguments, and fails for
a registry row that has no entry of each kind here.

Adding a function: its entries in its family's module, nothing else.
"""
import importlib

import numpy as np

from .. import FAMILIES


def _read_only(a):
    a = a.copy()
    a.setflags(write=False)
    return a


# Layouts every function must accept, with the values unchanged: each array argument (and each
# array in a dict argument, except as lists) is handed over in this form.
LAYOUTS = {
    "fortran_order": np.asfortranarray,
    "non_contiguous": lambda a: np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a,
    "read_only": _read_only,
    "nested_lists": lambda a: a.tolist(),
}

# BAD_INPUTS: every family's entries. LAYOUT_SIZES: sizes pinned in the float16 and layout cases
# (default: the row's seed0 case as it is), from the families that pin some.
BAD_INPUTS, LAYOUT_SIZES = {}, {}
for _family, _ in FAMILIES:
    _module = importlib.import_module(f"{__name__}.{_family}")
    BAD_INPUTS.update(_module.BAD_INPUTS)
    LAYOUT_SIZES.update(getattr(_module, "LAYOUT_SIZES", {}))
