"""Rows judged through autograd: an implementation that writes only the forward (CS231n 2025's
``rnn_layers_pytorch.py``, an ``nn.Module``), or any forward a user wants checked with gradients
for free.

``Autograd`` calls the user's forward on tensors (the inputs whose gradients the row judges with
``requires_grad``), takes ``torch.autograd.grad`` of its outputs with the case's random upstream
gradients (a loss needs none), and reports outputs and gradients under the contract's names, so
the oracle, the judge and the hints are those of the contract's own rows.

A module target (``Module``) is constructed from the case (hyper-parameters read off the inputs),
put in eval mode (dropout off), cast to the case's dtype and device, and called through
``torch.func.functional_call`` with its parameters set by name to tensors built from the case's
arrays: gradients land on those tensors, so they come back in the contract's layout even where
a parameter is stored differently (``to_param`` converts, e.g. a transpose).

A forward that breaks the graph (``.numpy()``, ``.detach()``, ``.data``, ``torch.tensor(...)``
re-wrapping a tensor, an in-place write autograd rejects) is an ``error`` whose message names the
break and where it happened: the forward is run again under a recording ``TorchFunctionMode``
(only when a break is suspected, so correct code pays nothing for it).
"""
import copy
import os
import re
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from .calls import Malformed, Run, note_modified, snapshot, store_results, to_array, unpack


class GraphBreak(Malformed):
    """The forward broke the autograd graph (an ``error`` verdict naming the break)."""


@dataclass(frozen=True)
class Module:
    """An ``nn.Module`` target: ``cls`` (a name in the user's module), ``init(args) -> (args,
    kwargs)`` its constructor's arguments from the case's contract arguments, and ``params``:
    contract argument -> parameter name in the module, or (name, to_param) where ``to_param``
    turns the contract's tensor into the parameter's layout (autograd carries the gradient back).
    A contract argument that is a dict of arrays (multi-head attention's ``params``) is named by
    its entries, ``"params['Wq']"``, whose gradients are judged as ``dparams['Wq']``. A spec may
    also be a ``Split``: one contract argument sets several parameters (EECS 498's one nn.Linear
    per head takes a slice of Wq each), the gradient summing theirs. ``result(out, args) -> out``,
    when given, turns the module's output into the contract's (a batch axis of one taken off), on
    tensors, so that gradients still flow."""
    cls: str
    init: object
    params: dict = field(default_factory=dict)
    result: object = None

    def targets(self, contract_name, args):
        """[(parameter name, to_param)] that the contract's argument sets, for the case's args."""
        spec = self.params[contract_name]
        if isinstance(spec, Split):
            return list(spec.targets(args))
        return [(spec, None) if isinstance(spec, str) else spec]


@dataclass(frozen=True)
class Split:
    """A contract argument that sets several parameters: ``targets(args) -> [(name, to_param)]``;
    ``label`` says which, for the docs."""
    targets: object
    label: str


_LIBRARY_PARTS = (os.sep + "site-packages" + os.sep, os.sep + "refcheck" + os.sep, os.sep + "lib" + os.sep + "python")


def _where(frames, user_file=None):
    """``file:line in function`` of the frame that matters: the user's file, else the deepest
    frame outside the libraries."""
    mine = [f for f in frames if user_file and os.path.abspath(f.filename) == user_file]
    outside = [f for f in frames if not f.filename.startswith("<")
               and not any(p in os.path.abspath(f.filename) for p in _LIBRARY_PARTS)]
    where = (mine or outside or [None])[-1]
    return f"{os.path.basename(where.filename)}:{where.lineno} in {where.name}" if where else "somewhere"


def _requires_grad(torch, value):
    if isinstance(value, torch.Tensor):
        return value.requires_grad
    if isinstance(value, (list, tuple)):
        return any(_requires_grad(torch, v) for v in value)
    return False


def _recorder(torch, user_file):
    """A TorchFunctionMode that notes every operation that cuts a tensor off the graph."""
    from torch.overrides import TorchFunctionMode
    T = torch.Tensor
    cuts = {T.detach: ".detach()", T.detach_: ".detach_()", T.numpy: ".numpy()", T.item: ".item()",
            T.tolist: ".tolist()", T.data.__get__: ".data"}
    rewraps = {torch.tensor: "torch.tensor(...)", torch.as_tensor: "torch.as_tensor(...)",
               T.new_tensor: ".new_tensor(...)", torch.asarray: "torch.asarray(...)"}

    class Recorder(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.breaks = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            what = None
            if func in cuts and args and _requires_grad(torch, args[0]):
                what = cuts[func]
            elif func in rewraps and _requires_grad(torch, list(args) + list(kwargs.values())):
                what = f"{rewraps[func]} re-wrapping a tensor that carries gradients"
            if what:
                self.breaks.append(f"{what} at {_where(traceback.extract_stack()[:-1], user_file)}")
            return func(*args, **kwargs)
    return Recorder()


_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation"
_MODIFIED = "modified by an inplace operation"


class Autograd:
    """A row's outputs from the user's forward and its gradients from autograd (see the module
    docstring). ``signature``: the user's forward (contract argument names, the names of what it
    returns); ``compares``: what the row judges (outputs the forward returns, the rest gradients
    ``d<argument>``); ``arrays``: refcheck.tensors.TorchArrays; ``module``: a Module, or None."""

    def __init__(self, row_name, signature, compares, arrays, module=None, returns=None):
        self.row_name, self.signature, self.arrays, self.module = row_name, signature, arrays, module
        self.name = signature.name
        self.returns = list(returns or compares)
        self.compares = tuple(compares)
        self.outputs = [r for r in signature.returns if r != "cache"]
        self.grads = [c for c in self.compares if c not in self.outputs]
        self.needs = (self.name,)
        wrt = {g[1:] for g in self.grads}
        params = set(module.params) if module else set()
        unknown = [g for g in self.grads if not g.startswith("d") or g[1:] not in set(signature.args or ()) | params]
        if unknown:
            raise ValueError(f"{row_name}: {', '.join(unknown)} cannot come from autograd through "
                             f"{signature} (no argument of that name)")
        self.wrt = wrt
        self.user_file = None  # set by the plan: the file broken-graph messages point into

    def keys(self, expected):
        """The judged outputs and the state in dict arguments (bn_param['running_mean']), not the
        entries of gradients the row does not judge (dparams['Wq'] of a forward)."""
        args = set(self.signature.parameters)
        return [k for k in expected if k in self.compares or ("['" in k and k.split("[")[0] in args)]

    # ---- the call -------------------------------------------------------------------------
    def _target(self, get, inputs, tensors):
        """The function to call and the leaves its parameters bring (contract name -> tensor)."""
        if self.module is None:
            return _raw(get(self.name)), {}
        torch = self.arrays.torch
        method = self.name.partition(".")[2]
        cls = _raw(get(self.module.cls))
        init_args, init_kwargs = self.module.init(inputs.args)
        net = cls(*init_args, **init_kwargs)
        if not isinstance(net, torch.nn.Module):
            raise Malformed(f"{self.module.cls}(...) is a {type(net).__name__}, not a torch.nn.Module")
        dtype = next((t.dtype for t in tensors.values() if isinstance(t, torch.Tensor) and t.is_floating_point()),
                     torch.float64)
        net = net.eval().to(device=self.arrays.device, dtype=dtype)
        known = dict(net.named_parameters())
        targets = {k: self.module.targets(k, inputs.args) for k in self.module.params}
        sets = [path for pairs in targets.values() for path, _ in pairs]
        unset = sorted(set(known) - set(sets))
        if unset:
            raise Malformed(f"{self.module.cls} has parameters the case cannot set: {', '.join(unset)} "
                            f"(refcheck sets {', '.join(sets)})")
        params, leaves = {}, {}
        for contract_name, pairs in targets.items():
            given = tensors.pop(contract_name)
            leaves[contract_name] = given
            for path, to_param in pairs:
                value = to_param(given) if to_param else given
                if path not in known:
                    raise Malformed(f"{self.module.cls} has no parameter {path!r} (its parameters: "
                                    f"{', '.join(known) or 'none'})")
                if tuple(known[path].shape) != tuple(value.shape):
                    raise Malformed(f"{self.module.cls}.{path} has shape {tuple(known[path].shape)}, expected "
                                    f"{tuple(value.shape)} (from the case's {contract_name})")
                params[path] = value
        getattr(net, method or "forward")  # an AttributeError names a missing method

        def call(*args, **kwargs):
            if not method or method == "forward":
                return torch.func.functional_call(net, params, args, kwargs)
            holder = _method_module(torch)(net, method)
            return torch.func.functional_call(holder, {f"net.{k}": v for k, v in params.items()}, args, kwargs)
        return call, leaves

    def _forward(self, get, inputs, grad):
        """Run the forward on tensors: (its results by name, the leaves to differentiate by contract
        name, the argument arrays it was given, the (array, tensor) pairs sent)."""
        arrays = self.arrays
        args = copy.deepcopy(inputs.args)
        if self.module is not None:
            _flatten_params(args, self.module.params)
        sent, tensors, leaves = [], {}, {}
        for k, v in args.items():
            floating = isinstance(v, np.ndarray) and v.dtype.kind == "f"
            if grad and k in self.wrt and floating:
                leaves[k] = tensors[k] = arrays.tensor(v.copy(), requires_grad=True)
            elif self.module is not None and k in self.module.params and floating:
                tensors[k] = arrays.tensor(v.copy())
            else:
                tensors[k] = arrays.send(v, sent)
        fn, param_leaves = self._target(get, inputs, tensors)
        leaves.update({k: v for k, v in param_leaves.items() if grad and k in self.wrt})
        values = dict(tensors)
        try:
            result = self.signature.invoke(fn, values)
        except RuntimeError as exc:
            if _LEAF_INPLACE in str(exc):
                raise GraphBreak(f"{self.name} writes in place into an input that requires grad, which "
                                 f"autograd rejects (x += ..., x[...] = ...: work on a copy or out of place): "
                                 f"{_first_line(exc)} ({_where(traceback.extract_tb(exc.__traceback__), self.user_file)})") from None
            raise
        arrays.copy_back(sent)
        if self.module is not None and self.module.result is not None:
            result = self.module.result(result, args)
        return unpack(result, list(self.signature.returns), self.name), leaves, args, sent

    def __call__(self, get, inputs):
        run = Run()
        grad = bool(self.grads)
        before = snapshot(inputs.args)
        results, leaves, args, sent = self._forward(get, inputs, grad)
        note_modified(run, before, args, self.name)
        outs = {k: results[k] for k in self.outputs}
        if grad:
            grads = self._gradients(get, inputs, outs, leaves)
        for k, v in outs.items():
            if k in self.compares:
                to_array(run, k, self.arrays.receive(v, sent))
            to_array(run, f"forward {k}", self.arrays.receive(v, sent))
        if grad:
            for k, g in grads.items():
                to_array(run, k, g)
        for d, t in sent:
            if t is None:
                self.arrays.receive(d, sent)
        store_results(run, {}, [(k, a) for k, a in args.items() if isinstance(a, dict)])
        return run

    def _gradients(self, get, inputs, outs, leaves):
        torch = self.arrays.torch
        tensors, upstream = [], []
        douts = list(inputs.douts.values())
        # upstream gradients pair with the outputs in order; without any, the output is a loss
        pairs = list(zip(outs.items(), douts)) if douts else [(item, None) for item in list(outs.items())[:1]]
        for (k, out), dout in pairs:
            if not isinstance(out, torch.Tensor) or not out.requires_grad:
                raise GraphBreak(self._break_message(get, inputs, k, out))
            if dout is None:
                if out.numel() != 1:
                    raise Malformed(f"{k} has shape {tuple(out.shape)}, expected a scalar loss")
                upstream.append(torch.ones_like(out))
            else:
                g = self.arrays.tensor(np.ascontiguousarray(dout))
                if tuple(g.shape) != tuple(out.shape):
                    raise Malformed(f"{k} has shape {tuple(out.shape)}, expected {tuple(g.shape)}")
                upstream.append(g.to(out.dtype))
            tensors.append(out)
        names = [g[1:] for g in self.grads]
        missing = [n for n in names if n not in leaves]
        if missing:
            raise Malformed(f"{self.name}: no tensor to take d{missing[0]} with respect to")
        try:
            grads = torch.autograd.grad(tensors, [leaves[n] for n in names], upstream, allow_unused=True)
        except RuntimeError as exc:
            if _MODIFIED in str(exc):
                raise GraphBreak(f"{self.name} modifies in place a tensor autograd needs for the "
                                 f"gradients{self._inplace_site(get, inputs)}: {_first_line(exc)}") from None
            raise
        result = {}
        for n, g in zip(names, grads):
            if g is None:
                cut = self._recorded_breaks(get, inputs)
                if cut:
                    raise GraphBreak(f"d{n}: the output does not depend on {n} through autograd; the graph "
                                     f"is broken by {cut[0]}")
                g = torch.zeros_like(leaves[n])
            result[f"d{n}"] = self.arrays.to_numpy(g)
        return result

    # ---- naming the break -----------------------------------------------------------------
    def _recorded_breaks(self, get, inputs):
        """Run the forward again under the recorder; the breaks it saw (may be none)."""
        recorder = _recorder(self.arrays.torch, self.user_file)
        try:
            with recorder, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._forward(get, inputs, True)
        except Exception:  # noqa: BLE001 - the first run already told what it raises; only the record counts
            pass
        return recorder.breaks

    def _break_message(self, get, inputs, key, out):
        torch = self.arrays.torch
        cut = self._recorded_breaks(get, inputs)
        if isinstance(out, np.ndarray):
            what = f"a NumPy array for {key}, not a tensor"
        elif not isinstance(out, torch.Tensor):
            what = f"{key} as a {type(out).__name__}, not a tensor"
        else:
            what = f"{key} as a tensor that does not depend on the inputs through autograd (no grad_fn)"
        where = (f"the graph is broken by {cut[0]}" if cut else
                 "the graph is broken somewhere in the forward (a .numpy() round trip, .detach(), "
                 "torch.tensor(...) re-wrapping, or arithmetic on NumPy values)")
        return (f"{self.name} returned {what}: {where}. Gradients are taken by autograd through the "
                f"forward, so it must compute with torch operations on the tensors it is given")

    def _inplace_site(self, get, inputs):
        """Where the modified tensor was used, from anomaly mode's record of the forward."""
        torch = self.arrays.torch
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with torch.autograd.detect_anomaly(check_nan=False):
                    results, leaves, _, _ = self._forward(get, inputs, True)
                    outs = [results[k] for k in self.outputs]
                    torch.autograd.grad([o.sum() for o in outs if isinstance(o, torch.Tensor)],
                                        list(leaves.values()), allow_unused=True)
            except Exception:  # noqa: BLE001 - the error itself is known; only the recorded site counts
                pass
        text = "\n".join(str(w.message) for w in caught)
        sites = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', text)
        mine = [s for s in sites if self.user_file and os.path.abspath(s[0]) == self.user_file]
        outside = [s for s in sites if not any(p in os.path.abspath(s[0]) for p in _LIBRARY_PARTS)]
        site = (mine or outside or [None])[-1]
        return f" (the operation at {os.path.basename(site[0])}:{site[1]} in {site[2]} used it)" if site else ""


def _flatten_params(args, params):
    """Replace (in place) each dict argument whose entries the module sets by name by those
    entries, ``args["params"]["Wq"]`` -> ``args["params['Wq']"]``."""
    for k in [k for k, v in args.items() if isinstance(v, dict)]:
        flat = {f"{k}['{sub}']": v for sub, v in args[k].items()}
        if set(flat) & set(params):
            del args[k]
            args.update(flat)


def _raw(fn):
    """The user's own function, not the array-converting wrapper the plan's getter returns."""
    return getattr(fn, "__wrapped__", fn)


def _first_line(exc):
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


_METHOD_MODULE = []


def _method_module(torch):
    """A module whose forward is ``net.<method>``: functional_call reparametrizes forward only."""
    if not _METHOD_MODULE:
        class MethodModule(torch.nn.Module):
            def __init__(self, net, method):
                super().__init__()
                self.net, self.method = net, method

            def forward(self, *args, **kwargs):
                return getattr(self.net, self.method)(*args, **kwargs)
        _METHOD_MODULE.append(MethodModule)
    return _METHOD_MODULE[0]
