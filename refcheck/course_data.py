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
  widths, no "+1" convention), and ``A5/transformers.py``'s ``scaled_dot_product_no_loop_batch``
  and ``MultiHeadAttention`` (one SelfAttention per head).
"""
import inspect
from dataclasses import dataclass, field

import numpy as np

from .autograd import Module, Split


@dataclass(frozen=True)
class Bind:
    """One contract function in a course or a name map. ``call``: the user's call, a signature
    in contract names (arguments left out are not passed; arguments the contract lacks come from
    ``convert``); ``convert(args) -> args``: the case's contract arguments in the course's
    conventions (a new dict; the oracle keeps the originals); ``module``: an nn.Module target
    (refcheck.autograd.Module) whose method ``call`` names; ``outside(args) -> reason or None``: why
    the course's function cannot take a case of the contract's (its cases are then not judged)."""
    call: str
    convert: object = None
    module: Module = None
    outside: object = None


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


# assignment3/cs231n/transformer_layers.py: nn.Modules whose nn.Linear layers hold x @ W + b as
# weight W.T, bias b (the contract's params, MultiHeadAttention's key/query/value/proj)
def _linear_weight(w):
    return w.T


def _mha_init(args):
    return (int(args["query"].shape[-1]), int(args["num_heads"])), {}


def _linears(triples):
    """The parameters of nn.Linear layers by the contract's names: for each (weight's name, bias's
    name, layer), the weight is layer.weight (transposed), the bias layer.bias."""
    params = {}
    for w, b, layer in triples:
        params[w], params[b] = (f"{layer}.weight", _linear_weight), f"{layer}.bias"
    return params


MHA_LAYERS = (("q", "query"), ("k", "key"), ("v", "value"), ("o", "proj"))
FFN_LAYERS = (("1", "fc1"), ("2", "fc2"))
MHA_PARAMS = _linears((f"params['W{c}']", f"params['b{c}']", layer) for c, layer in MHA_LAYERS)
MHA_MODULE = Module("MultiHeadAttention", _mha_init, MHA_PARAMS)

PE_EXTRA_ROWS = 3  # PositionalEncoding is built longer than the sequence it encodes: its forward must slice


def _pe_init(args):
    """PositionalEncoding(embed_dim, max_len=...) for the x of _zeros_sequence."""
    _, length, embed_dim = args["x"].shape
    return (embed_dim,), {"max_len": length + PE_EXTRA_ROWS}


def _one_sequence(out, args):
    """PositionalEncoding's (1, S, D) output -> pe (S, D); any other shape is judged as it is."""
    return out[0] if getattr(out, "ndim", 0) == 3 and out.shape[0] == 1 else out


def _zeros_sequence(args):
    """PositionalEncoding.forward(x) adds pe to x: x = zeros (1, max_len, embed_dim) in float32
    (CS231n's pe buffer is float32 whatever x is), so its output is pe itself."""
    args["x"] = np.zeros((1, int(args.pop("max_len")), int(args.pop("embed_dim"))), dtype=np.float32)
    return args


PE_MODULE = Module("PositionalEncoding", _pe_init, {}, result=_one_sequence)

# assignment3/cs231n/simclr/contrastive_loss.py: the losses return the loss alone (autograd gives the
# gradients); simclr_loss_vectorized(..., device='cuda') builds its mask on device: the inputs' is passed
CONTRASTIVE_LOSS = {
    "simclr_loss_naive": "simclr_loss_naive(out_left, out_right, tau) -> loss",
    "simclr_loss_vectorized": "simclr_loss_vectorized(out_left, out_right, tau, device=...) -> loss",
}

FFN_MODULE = Module("FeedForwardNetwork", lambda a: ((int(a["W1"].shape[0]), int(a["W1"].shape[1])), {}),
                    _linears((f"W{c}", f"b{c}", layer) for c, layer in FFN_LAYERS))


def _patch_init(args):
    """PatchEmbedding(img_size, patch_size, in_channels, embed_dim) for the case's square images."""
    _, channels, side, _ = args["x"].shape
    return (int(side), int(args["patch_size"])), {"in_channels": int(channels), "embed_dim": int(args["w"].shape[1])}


PATCH_MODULE = Module("PatchEmbedding", _patch_init, {"w": ("proj.weight", _linear_weight), "b": "proj.bias"})

def _layer_params(attention, norms):
    """The layers' parameters by the contract's params keys: their blocks under the course's
    names, self_attn / cross_attn (MultiHeadAttention), ffn (FeedForwardNetwork), norm_self /
    norm_cross / norm_ffn (nn.LayerNorm: weight = gamma, bias = beta)."""
    blocks = [(block, c, layer) for block in attention for c, layer in MHA_LAYERS]
    blocks += [("ffn", c, layer) for c, layer in FFN_LAYERS]
    params = _linears((f"params['{block}_W{c}']", f"params['{block}_b{c}']", f"{block}.{layer}")
                      for block, c, layer in blocks)
    for norm in norms:
        params[f"params['{norm}_gamma']"], params[f"params['{norm}_beta']"] = f"{norm}.weight", f"{norm}.bias"
    return params


def _layer_init(args):
    """TransformerEncoderLayer / TransformerDecoderLayer(input_dim, num_heads, dim_feedforward)."""
    d, f = np.shape(args["params"]["ffn_W1"])
    return (int(d), int(args["num_heads"])), {"dim_feedforward": int(f)}


ENCODER_MODULE = Module("TransformerEncoderLayer", _layer_init, _layer_params(("self_attn",), ("norm_self", "norm_ffn")))
DECODER_MODULE = Module("TransformerDecoderLayer", _layer_init,
                        _layer_params(("self_attn", "cross_attn"), ("norm_self", "norm_cross", "norm_ffn")))

TRANSFORMER_LAYERS = {
    "positional_encoding": Bind("PositionalEncoding.forward(x) -> pe", _zeros_sequence, module=PE_MODULE),
    "multi_head_attention_forward": Bind("MultiHeadAttention.forward(query, key, value, attn_mask=...) -> out",
                                         module=MHA_MODULE),
    "feed_forward_forward": Bind("FeedForwardNetwork.forward(x) -> out", module=FFN_MODULE),
    "patch_embedding_forward": Bind("PatchEmbedding.forward(x) -> out", module=PATCH_MODULE),
    "transformer_encoder_layer_forward": Bind("TransformerEncoderLayer.forward(src, src_mask=...) -> out",
                                              module=ENCODER_MODULE),
    "transformer_decoder_layer_forward": Bind("TransformerDecoderLayer.forward(tgt, memory, tgt_mask=...) -> out",
                                              module=DECODER_MODULE),
}


def _detect_cs231n_2025(module, names):
    """A torch module that is rnn_layers_pytorch.py, or defines its recurrent forwards without most
    of the backwards a NumPy-style rnn_layers.py has (affine_forward alone says nothing)."""
    from .tensors import imports_torch
    if not imports_torch(module):
        return None
    base = module.__name__.rsplit(".", 1)[-1]
    if base in ("rnn_layers_pytorch", "transformer_layers", "contrastive_loss"):
        return f"the module is {base}.py"
    if any(n.startswith("hello_") for n in names):  # EECS 498's files (their own MultiHeadAttention)
        return None
    if callable(getattr(module, "simclr_loss_vectorized", None)) or callable(getattr(module, "simclr_loss_naive", None)):
        return "a torch module defining SimCLR's losses (contrastive_loss.py: the loss alone, gradients by autograd)"
    layers = [c for c in ("PositionalEncoding", "MultiHeadAttention", "FeedForwardNetwork", "PatchEmbedding",
                          "TransformerEncoderLayer", "TransformerDecoderLayer")
              if _cs231n_module(module, c)]
    if layers:
        return f"defines the nn.Modules {', '.join(layers)} (transformer_layers.py's, attn_mask 0 = blocked)"
    forwards = [n for n in RNN_LAYERS_PYTORCH if n.endswith("_forward") and n != "affine_forward"
                and callable(getattr(module, n, None))]
    backwards = [n for n in forwards if callable(getattr(module, n.replace("_forward", "_backward"), None))]
    if forwards and 2 * len(backwards) < len(forwards):
        return (f"a torch module defining {', '.join(forwards)} without their backwards "
                f"(rnn_layers_pytorch.py style: forwards only, gradients by autograd)")
    return None


def _cs231n_module(module, name):
    """``name`` is an nn.Module class of transformer_layers.py's form (MultiHeadAttention's forward
    takes attn_mask; EECS 498's takes mask)."""
    cls = getattr(module, name, None)
    if not inspect.isclass(cls) or not any(k.__name__ == "Module" for k in cls.__mro__):
        return False
    try:
        params = inspect.signature(cls.forward).parameters
    except (TypeError, ValueError):
        return False
    return name != "MultiHeadAttention" or "attn_mask" in params


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

def _blocked_mask(args):
    """EECS 498's scaled_dot_product_no_loop_batch(query, key, value, mask): mask (N, S, T) True where
    blocked (filled with -1e9); the contract's boolean mask (True = may attend) and is_causal become it."""
    q, k = args["q"], args["k"]
    shape = (q.shape[0], q.shape[1], k.shape[1])
    mask, causal = args.pop("mask", None), args.pop("is_causal", False)
    args.pop("scale", None)
    if causal:
        mask = np.tri(shape[1], shape[2], dtype=bool)
    args["mask"] = None if mask is None else np.ascontiguousarray(np.broadcast_to(~np.asarray(mask, bool), shape))
    return args


def _outside_no_loop_batch(args):
    """The cases EECS 498's no-loop function cannot take: it has one batch axis (N, K, M), a boolean
    mask or none, the default scale; and its -1e9 fill gives a query with no allowed key uniform
    weights (the contract: 0), which the course's masks never produce."""
    if np.ndim(args["q"]) != 3:
        return f"the course's function takes (N, K, M) inputs, not {np.ndim(args['q'])}-D ones"
    if args.get("scale") is not None:
        return "the course's function has no scale argument (it always divides by sqrt(M))"
    mask = args.get("mask")
    if mask is not None and np.asarray(mask).dtype != bool:
        return "the course's mask is boolean (True = blocked); the case's is an additive float mask"
    allowed = (np.tri(args["q"].shape[-2], args["k"].shape[-2], dtype=bool) if args.get("is_causal")
               else None if mask is None else np.asarray(mask))
    if allowed is not None and not np.all(np.any(allowed, axis=-1)):
        return "a query with no allowed key: the course's -1e9 fill gives it uniform weights, the contract 0"
    return None


def _per_head(contract, layer):
    """EECS 498's MultiHeadAttention holds one SelfAttention per head (heads.i.q/k/v, nn.Linear
    from E to E/H): head i's weight is the contract's W[:, i E/H:(i+1) E/H] transposed, its bias
    that slice of b."""
    def targets(args):
        h = int(args["num_heads"])
        hd = int(args["query"].shape[-1]) // h
        weight = contract[0] == "W"
        return [(f"heads.{i}.{layer}.{'weight' if weight else 'bias'}",
                 (lambda w, i=i: w[:, i * hd:(i + 1) * hd].T) if weight else (lambda b, i=i: b[i * hd:(i + 1) * hd]))
                for i in range(h)]
    return Split(targets, f"heads.i.{layer}.{'weight' if contract[0] == 'W' else 'bias'} (head i's slice)")


EECS498_MHA = Module(
    "MultiHeadAttention",
    lambda a: ((int(a["num_heads"]), int(a["query"].shape[-1]), int(a["query"].shape[-1]) // int(a["num_heads"])), {}),
    {**{f"params['{k}']": _per_head(k, k[1]) for k in ("Wq", "bq", "Wk", "bk", "Wv", "bv")},
     "params['Wo']": ("output_layer.weight", _linear_weight), "params['bo']": "output_layer.bias"})


def _mha_blocked_mask(args):
    """EECS 498's MultiHeadAttention.forward(query, key, value, mask): mask (N, S, T) True where
    blocked (-1e9); the contract's attn_mask (S, T) is 0 where blocked."""
    mask = args.pop("attn_mask", None)
    n, s, t = args["query"].shape[0], args["query"].shape[1], args["key"].shape[1]
    args["mask"] = None if mask is None else np.ascontiguousarray(np.broadcast_to(np.asarray(mask) == 0, (n, s, t)))
    return args


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
    # A5/transformers.py's batched no-loop attention (the two-loop versions take no mask: --map them)
    "scaled_dot_product_attention_forward": Bind("scaled_dot_product_no_loop_batch(q, k, v, mask) -> out, weights",
                                                 _blocked_mask, outside=_outside_no_loop_batch),
    # its MultiHeadAttention(num_heads, dim_in, dim_out): one SelfAttention (q, k, v) per head of
    # dim_out = E / H features, concatenated, then output_layer
    "multi_head_attention_forward": Bind("MultiHeadAttention.forward(query, key, value, mask) -> out",
                                         _mha_blocked_mask, module=EECS498_MHA),
    # the detection assignment
    "nms": Bind("nms(boxes, scores, iou_threshold) -> keep", _exclusive_boxes),
}

EECS498_MARKERS = ("hello_transformers", "hello_linear_classifier", "hello_fully_connected_networks", "hello_convolutional_networks",
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
    "sdpa_mask_inverted": "The mask's polarity is inverted: in EECS 498's scaled_dot_product_no_loop_batch the mask "
                          "is True where blocked (masked_fill(mask, -1e9)), False where the query may attend.",
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
           {**RNN_LAYERS_PYTORCH, **TRANSFORMER_LAYERS, **CONTRASTIVE_LOSS}, arrays="torch", detect=_detect_cs231n_2025,
           conventions=(("the forwards", "return the output alone (no cache); the backward rows and dx of "
                                         "temporal_softmax_loss come from autograd through them"),)),
    Course("eecs498", "UMich EECS 498-007 / 598-005 (torch tensors)", EECS498_BINDS, arrays="torch",
           detect=_detect_eecs498, hints=EECS498_HINTS,
           conventions=(("Dropout.forward", "dropout_param['p'] drops: the case's keep probability p is passed as 1 - p"),
                        ("nms", "torchvision's box widths: the pixel_inclusive cases' boxes are passed with x2, y2 + 1"),
                        ("temporal_softmax_loss", "ignore_index instead of a mask: masked-out steps get the label -1 "
                                                  "and ignore_index=-1"),
                        ("scaled_dot_product_no_loop_batch", "mask True = blocked (N, K, K): the case's boolean mask "
                                                             "is inverted and broadcast, is_causal becomes such a "
                                                             "mask; cases with other leading axes, a float mask, a "
                                                             "scale or a fully masked query are not judged"),
                        ("MultiHeadAttention", "nn.Module: one SelfAttention per head, heads.i.q/k/v set to the "
                                               "slice i E/H:(i+1) E/H of Wq, Wk, Wv (transposed) and their biases, "
                                               "output_layer to Wo, bo; mask (N, S, T) True = blocked, from the "
                                               "case's attn_mask == 0"),
                        ("WordEmbedding, LSTM", "nn.Modules: constructed from the case's sizes, parameters W_embed / "
                                                "Wx, Wh, b set from the case, gradients by autograd"))),
)}
