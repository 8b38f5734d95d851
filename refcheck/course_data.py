"""The courses' mappings (see refcheck.courses), each read off the course's own files.

- ``cs231n``: the contract itself (Stanford CS231n, NumPy: assignments 1-2 of every year,
  assignment 3 up to 2024).
- ``cs231n-2025``: CS231n 2025's ``assignment2/cs231n/rnn_layers_pytorch.py``: torch functions with
  the contract's names and arguments that return the output alone (the docstrings still say "a
  tuple"), with no cache and no backward; gradients come from autograd. LSTM gates in CS231n's
  order i, f, o, g, as the contract. Students' extra functions and defaulted keyword arguments
  are tolerated: only these names are called, positionally.
- ``eecs498``: UMich EECS 498-007 / 598-005 (torch): ``A2/linear_classifier.py`` (the contract's
  names), ``A3/fully_connected_networks.py`` and ``A3/convolutional_networks.py`` (classes with
  ``@staticmethod`` forward/backward; Dropout's ``p`` drops; ``sgd`` updates ``w`` in place, a
  warning as in CS231n), ``A4/rnn_lstm_captioning.py`` (the RNN functions under the contract's
  names; ``WordEmbedding`` and ``LSTM`` nn.Modules; ``temporal_softmax_loss(x, y,
  ignore_index)``), and ``nms(boxes, scores, iou_threshold)`` of its detection assignment
  (``A5/single_stage_detector.py``, later ``A4/one_stage_detector.py``; torchvision's box
  widths, no "+1" convention). Its attention assignment is not mapped yet.
"""
import inspect
from dataclasses import dataclass, field

import numpy as np

from .autograd import Module


@dataclass(frozen=True)
class Bind:
    """One contract function in a course or a name map. ``call``: the user's call, a signature
    in contract names (arguments left out are not passed; arguments the contract lacks come from
    ``convert``); ``convert(args) -> args``: the case's contract arguments in the course's
    conventions (a new dict; the oracle keeps the originals); ``module``: an nn.Module target
    (refcheck.autograd.Module) whose method ``call`` names."""
    call: str
    convert: object = None
    module: Module = None


@dataclass(frozen=True)
class Course:
    """A course's mapping. ``binds``: contract name -> Bind (or just the call); ``arrays``: "torch"
    when the course's students write tensors (None: detected from the module); ``detect(module,
    names) -> reason or None``; ``hints``: mutant name -> that hint in the course's terms;
    ``conventions``: (where, what is converted) for the docs."""
    name: str
    title: str
    binds: dict = field(default_factory=dict)
    arrays: str = None
    detect: object = None
    hints: dict = field(default_factory=dict)
    conventions: tuple = ()

    def bind(self, name):
        b = self.binds.get(name)
        return Bind(b) if isinstance(b, str) else b


def _static_forward(module, name):
    cls = getattr(module, name, None)
    return inspect.isclass(cls) and isinstance(inspect.getattr_static(cls, "forward", None), staticmethod)

# ---- cs231n-2025 ----------------------------------------------------------------------------

RNN_LAYERS_PYTORCH = {
    "affine_forward": "affine_forward(x, w, b) -> out",
    "rnn_step_forward": "rnn_step_forward(x, prev_h, Wx, Wh, b) -> next_h",
    "rnn_forward": "rnn_forward(x, h0, Wx, Wh, b) -> h",
    "word_embedding_forward": "word_embedding_forward(x, W) -> out",
    "lstm_step_forward": "lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> next_h, next_c",
    "lstm_forward": "lstm_forward(x, h0, Wx, Wh, b) -> h",
    "temporal_affine_forward": "temporal_affine_forward(x, w, b) -> out",
    "temporal_softmax_loss": "temporal_softmax_loss(x, y, mask) -> loss",
}


def _detect_cs231n_2025(module, names):
    """A torch module that is rnn_layers_pytorch.py, or defines its recurrent forwards without most
    of the backwards a NumPy-style rnn_layers.py has (affine_forward alone says nothing)."""
    from .tensors import imports_torch
    if not imports_torch(module):
        return None
    if module.__name__.rsplit(".", 1)[-1] == "rnn_layers_pytorch":
        return "the module is rnn_layers_pytorch.py"
    forwards = [n for n in RNN_LAYERS_PYTORCH if n.endswith("_forward") and n != "affine_forward"
                and callable(getattr(module, n, None))]
    backwards = [n for n in forwards if callable(getattr(module, n.replace("_forward", "_backward"), None))]
    if forwards and 2 * len(backwards) < len(forwards):
        return (f"a torch module defining {', '.join(forwards)} without their backwards "
                f"(rnn_layers_pytorch.py style: forwards only, gradients by autograd)")
    return None


# ---- eecs498 --------------------------------------------------------------------------------

def _p_drops(args):
    """EECS 498's Dropout p is the probability of dropping: 1 - the contract's."""
    args["dropout_param"] = dict(args["dropout_param"], p=1.0 - args["dropout_param"]["p"])
    return args


def _exclusive_boxes(args):
    """EECS 498's nms has torchvision's widths (x2 - x1); the "+1" convention's boxes are passed
    with x2, y2 one pixel out (exact for the integer corners of the cases)."""
    if args.pop("pixel_inclusive", False):
        boxes = args["boxes"].copy()
        boxes[:, 2:] += 1
        args["boxes"] = boxes
    return args


IGNORED = -1


def _mask_to_ignore_index(args):
    """EECS 498's temporal_softmax_loss(x, y, ignore_index) ignores the steps whose label is
    ignore_index: the masked-out steps get the label -1, and ignore_index=-1."""
    mask = args.pop("mask")
    args["y"] = np.where(mask, args["y"], IGNORED)
    args["ignore_index"] = IGNORED
    return args


def _sequence_dims(args):
    return (args["Wx"].shape[0], args["Wh"].shape[0]), {}


LSTM_MODULE = Module("LSTM", _sequence_dims, {"Wx": "Wx", "Wh": "Wh", "b": "b"})
WORD_EMBEDDING_MODULE = Module("WordEmbedding", lambda a: (tuple(a["W"].shape), {}), {"W": "W_embed"})

EECS498_BINDS = {
    # A3/fully_connected_networks.py
    "affine_forward": "Linear.forward(x, w, b) -> out, cache",
    "affine_backward": "Linear.backward(dout, cache) -> dx, dw, db",
    "relu_forward": "ReLU.forward(x) -> out, cache",
    "relu_backward": "ReLU.backward(dout, cache) -> dx",
    "affine_relu_forward": "Linear_ReLU.forward(x, w, b) -> out, cache",
    "affine_relu_backward": "Linear_ReLU.backward(dout, cache) -> dx, dw, db",
    "dropout_forward": Bind("Dropout.forward(x, dropout_param) -> out, cache", _p_drops),
    "dropout_backward": "Dropout.backward(dout, cache) -> dx",
    # A3/convolutional_networks.py
    "conv_forward_naive": "Conv.forward(x, w, b, conv_param) -> out, cache",
    "conv_backward_naive": "Conv.backward(dout, cache) -> dx, dw, db",
    "max_pool_forward_naive": "MaxPool.forward(x, pool_param) -> out, cache",
    "max_pool_backward_naive": "MaxPool.backward(dout, cache) -> dx",
    "conv_forward_fast": "FastConv.forward(x, w, b, conv_param) -> out, cache",
    "conv_backward_fast": "FastConv.backward(dout, cache) -> dx, dw, db",
    "max_pool_forward_fast": "FastMaxPool.forward(x, pool_param) -> out, cache",
    "max_pool_backward_fast": "FastMaxPool.backward(dout, cache) -> dx",
    "batchnorm_forward": "BatchNorm.forward(x, gamma, beta, bn_param) -> out, cache",
    "batchnorm_backward": "BatchNorm.backward(dout, cache) -> dx, dgamma, dbeta",
    "batchnorm_backward_alt": "BatchNorm.backward_alt(dout, cache) -> dx, dgamma, dbeta",
    "spatial_batchnorm_forward": "SpatialBatchNorm.forward(x, gamma, beta, bn_param) -> out, cache",
    "spatial_batchnorm_backward": "SpatialBatchNorm.backward(dout, cache) -> dx, dgamma, dbeta",
    "conv_relu_forward": "Conv_ReLU.forward(x, w, b, conv_param) -> out, cache",
    "conv_relu_backward": "Conv_ReLU.backward(dout, cache) -> dx, dw, db",
    "conv_relu_pool_forward": "Conv_ReLU_Pool.forward(x, w, b, conv_param, pool_param) -> out, cache",
    "conv_relu_pool_backward": "Conv_ReLU_Pool.backward(dout, cache) -> dx, dw, db",
    "affine_bn_relu_forward": "Linear_BatchNorm_ReLU.forward(x, w, b, gamma, beta, bn_param) -> out, cache",
    "affine_bn_relu_backward": "Linear_BatchNorm_ReLU.backward(dout, cache) -> dx, dw, db, dgamma, dbeta",
    "conv_bn_relu_forward": "Conv_BatchNorm_ReLU.forward(x, w, b, gamma, beta, conv_param, bn_param) -> out, cache",
    "conv_bn_relu_backward": "Conv_BatchNorm_ReLU.backward(dout, cache) -> dx, dw, db, dgamma, dbeta",
    "conv_bn_relu_pool_forward": ("Conv_BatchNorm_ReLU_Pool.forward(x, w, b, gamma, beta, conv_param, bn_param, "
                                  "pool_param) -> out, cache"),
    "conv_bn_relu_pool_backward": "Conv_BatchNorm_ReLU_Pool.backward(dout, cache) -> dx, dw, db, dgamma, dbeta",
    # A4/rnn_lstm_captioning.py (rnn_step_forward ... rnn_backward keep the contract's names)
    "word_embedding_forward": Bind("WordEmbedding.forward(x) -> out", module=WORD_EMBEDDING_MODULE),
    "lstm_step_forward": Bind("LSTM.step_forward(x, prev_h, prev_c) -> next_h, next_c", module=LSTM_MODULE),
    "lstm_forward": Bind("LSTM.forward(x, h0) -> h", module=LSTM_MODULE),
    "temporal_softmax_loss": Bind("temporal_softmax_loss(x, y, ignore_index) -> loss", _mask_to_ignore_index),
    # the detection assignment
    "nms": Bind("nms(boxes, scores, iou_threshold) -> keep", _exclusive_boxes),
}

EECS498_MARKERS = ("hello_linear_classifier", "hello_fully_connected_networks", "hello_convolutional_networks",
                   "hello_rnn_lstm_captioning", "hello_single_stage_detector", "hello_two_stage_detector",
                   "hello_one_stage_detector", "hello_common")


def _detect_eecs498(module, names):
    marker = next((n for n in EECS498_MARKERS if n in names), None)
    if marker:
        return f"defines {marker}"
    classes = sorted({b.split(".")[0] for b in (v if isinstance(v, str) else v.call for v in EECS498_BINDS.values())
                      if "." in b} - {"WordEmbedding", "LSTM"})
    found = [c for c in classes if _static_forward(module, c)]
    if found:
        return f"defines the classes {', '.join(found[:4])}{', ...' if len(found) > 4 else ''} with static forward/backward"
    modules = [c for c in ("WordEmbedding", "LSTM") if callable(getattr(getattr(module, c, None), "step_forward" if c == "LSTM" else "forward", None))
               and any(k.__name__ == "Module" for k in getattr(getattr(module, c), "__mro__", ()))]
    if modules:
        return f"defines the nn.Modules {', '.join(modules)}"
    return None


EECS498_HINTS = {
    "dropout_p_drops": "p is used as the probability of keeping; in EECS 498 Dropout's p is the probability of "
                       "dropping: keep with rand >= p (or rand < 1 - p), scale by 1 / (1 - p).",
    "dropout_not_inverted": "The kept units are not scaled by 1 / (1 - p) (non-inverted dropout); inverted dropout "
                            "divides by the keep probability 1 - p at train time so test time is the identity.",
    "dropout_backward_unscaled": "dx is dout where kept but not divided by the keep probability 1 - p, so it does not "
                                 "match the forward's scaling.",
}

COURSES = {c.name: c for c in (
    Course("cs231n", "Stanford CS231n, the contract's own names (NumPy, or torch tensors)"),
    Course("cs231n-2025", "Stanford CS231n 2025: rnn_layers_pytorch.py, forward-only torch functions",
           RNN_LAYERS_PYTORCH, arrays="torch", detect=_detect_cs231n_2025,
           conventions=(("the forwards", "return the output alone (no cache); the backward rows and dx of "
                                         "temporal_softmax_loss come from autograd through them"),)),
    Course("eecs498", "UMich EECS 498-007 / 598-005 (torch tensors)", EECS498_BINDS, arrays="torch",
           detect=_detect_eecs498, hints=EECS498_HINTS,
           conventions=(("Dropout.forward", "dropout_param['p'] drops: the case's keep probability p is passed as 1 - p"),
                        ("nms", "torchvision's box widths: the pixel_inclusive cases' boxes are passed with x2, y2 + 1"),
                        ("temporal_softmax_loss", "ignore_index instead of a mask: masked-out steps get the label -1 "
                                                  "and ignore_index=-1"),
                        ("WordEmbedding, LSTM", "nn.Modules: constructed from the case's sizes, parameters W_embed / "
                                                "Wx, Wh, b set from the case, gradients by autograd"))),
)}
