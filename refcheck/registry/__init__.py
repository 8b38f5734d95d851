"""The registry: one row per contract function, read by one generic check.

A row ties the function's name to its input generator, its oracle (a torch_oracle adapter, imported
lazily so that listing the registry does not import torch) and its call (how the implementation
under test is invoked and which outputs are judged). Tolerances live in ``refcheck.tolerances``.
"""
import importlib
from dataclasses import dataclass

from ..calls import Backward, Forward, Signature


@dataclass(frozen=True)
class Row:
    name: str
    gen: object        # refcheck.cases.Gen
    oracle: str        # "module:function" in torch_oracle
    call: object       # refcheck.calls.Forward, Backward or a special call

    def expected(self, inputs):
        module, function = self.oracle.split(":")
        adapter = getattr(importlib.import_module(f"torch_oracle.{module}"), function)
        return adapter(**inputs.args, **inputs.douts)


def forward(name, gen, oracle, returns="out cache"):
    """A row whose call is ``name``: a signature (``"affine_forward(x, w, b) -> out, cache"``), or
    a bare name with ``returns``."""
    call = Forward(name, returns)
    return Row(call.name, gen, oracle, call)


def backward(name, gen, oracle, forward_name, returns=None, forward_returns="out cache"):
    """A backward row: ``name`` a signature (``"affine_backward(dout, cache) -> dx, dw, db"``) or a
    bare name with ``returns``; ``forward_name`` the forward it runs first (a bare name takes the
    signature of that forward's own row)."""
    call = Backward(name, forward_name, returns, forward_returns)
    return Row(call.name, gen, oracle, call)


def _link_forwards(rows):
    """A backward names its forward; the forward's signature is the one its own row declares."""
    declared = {r.name: r.call.signature for r in rows
                if isinstance(getattr(r.call, "signature", None), Signature) and r.call.signature.declared}
    for r in rows:
        forward = getattr(r.call, "forward", None)
        if isinstance(forward, Forward) and not forward.signature.declared and forward.name in declared:
            forward.signature = declared[forward.name].with_(returns=tuple(forward.returns))


# The families of the contract, in the order the docs and reports list them: (module, title). Each
# names a module of this package (its rows) and, where it has mutants, of refcheck.mutants. Adding
# a family is one line here.
FAMILIES = (
    ("layers", "Layers and losses (CS231n assignment 2, `layers.py`)"),
    ("norm", "Normalization (CS231n assignment 2)"),
    ("conv", "Convolution and pooling (CS231n assignment 2, `layers.py` and `fast_layers.py`)"),
    ("classifiers", "Linear classifiers and k-NN (CS231n assignment 1)"),
    ("rnn", "Recurrent layers (CS231n assignment 3, `rnn_layers.py`)"),
    ("optim", "Update rules (CS231n `optim.py` and beyond)"),
    ("detection", "Detection utilities"),
    ("attention", "Attention and transformer building blocks"),
    ("detection_more", "Detection, more (GIoU / DIoU / CIoU, losses, batched NMS, COCO evaluation)"),
    ("interview", "Pooling, upsampling, metrics and schedules that interviews ask for"),
    ("sandwiches", "Sandwich layers (CS231n `layer_utils.py`, EECS 498's `*_ReLU*` classes)"),
    ("contrastive", "Contrastive loss (CS231n assignment 3, SimCLR's `contrastive_loss.py`)"),
    ("transformer", "Transformer blocks (CS231n 2025's `transformer_layers.py`: feed-forward, patch embedding, encoder and decoder layers)"),
)


def family_rows(family):
    return importlib.import_module(f"{__name__}.{family}").ROWS


def _rows():
    rows = [row for family, _ in FAMILIES for row in family_rows(family)]
    _link_forwards(rows)
    names = [r.name for r in rows]
    assert len(names) == len(set(names)), "duplicate registry rows"
    return {r.name: r for r in rows}


ROWS = _rows()
