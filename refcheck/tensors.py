"""Implementations written for torch tensors: the case's arrays go in as tensors, what comes back
goes out as NumPy arrays, so that everything after the call (comparison, verdicts, hints) is the
same for both.

``Arrays`` wraps each of the implementation's functions (``wrap``):
- in: every NumPy array argument becomes a tensor of the same dtype (``torch.from_numpy``: on the
  CPU the tensor shares the array's memory, so an in-place write into it shows in the array and
  is reported as for NumPy; on CUDA the values are copied back after the call). Arrays inside
  dict arguments (bn_param, config) are replaced in the same dict, so state the function stores
  there is seen; lists are converted element by element. The ``cache`` argument of a backward
  is the implementation's own object and passes untouched.
- out: the results named in the function's signature are converted back (``detach().cpu()``),
  except ``cache``; a result that *is* one of the argument tensors comes back as that very
  argument array (an update rule returning the ``w`` it updated in place is recognized as such).

This module imports torch only when a torch implementation is checked.
"""
import inspect
import sys

import numpy as np

CHOICES = ("numpy", "torch")
_PLAIN = frozenset((float, int, bool, str, type(None)))  # a dict's values that never convert (hyper-parameters)


class NumpyArrays:
    """NumPy implementations: nothing to convert."""
    name, device = "numpy", None

    def wrap(self, fn, signature=None):
        return fn

    def seed(self, seed):
        pass


class TorchArrays:
    """Torch implementations on ``device`` ("cpu" or "cuda")."""
    name = "torch"

    def __init__(self, device="cpu"):
        import torch
        self.torch = torch
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("--device cuda: torch sees no CUDA device here")
        self.device = torch.device(device)
        self.cpu = self.device.type == "cpu"

    def seed(self, seed):
        """Seed torch's global generator too (dropout drawn with torch.rand is judged reproducibly).
        On the CPU only its generator: torch.manual_seed also queues the CUDA, XPU and MTIA
        generators' seeding, each recording a stack trace (2 ms a case)."""
        self.torch.default_generator.manual_seed(seed)
        if not self.cpu:
            self.torch.cuda.manual_seed_all(seed)

    # ---- in -------------------------------------------------------------------------------
    def tensor(self, array, requires_grad=False):
        """A tensor holding ``array`` (its memory, on the CPU), dtype kept."""
        torch = self.torch
        try:
            t = torch.from_numpy(array)
        except (TypeError, ValueError):  # dtypes torch has no tensor for (object, str): as they are
            return array
        if not self.cpu:
            t = t.to(self.device)
        return t.requires_grad_(True) if requires_grad else t

    def send(self, value, sent):
        """``value`` with its arrays as tensors; ``sent`` collects (array, tensor) pairs and the
        dicts changed in place."""
        if isinstance(value, np.ndarray):
            if self.cpu:  # tensor()'s work inlined: this runs for every argument of every call
                try:
                    t = self.torch.from_numpy(value)
                except (TypeError, ValueError):
                    t = value
            else:
                t = self.tensor(value)
            sent.append((value, t))
            return t
        if isinstance(value, dict):
            for k, v in value.items():
                if type(v) not in _PLAIN and isinstance(v, (np.ndarray, list, tuple, dict)):
                    value[k] = self.send(v, sent)  # replacing a key's value: the dict's size is kept
            sent.append((value, None))
            return value
        if isinstance(value, (list, tuple)) and any(isinstance(v, (np.ndarray, dict, list)) for v in value):
            return type(value)(self.send(v, sent) for v in value)
        return value

    # ---- out ------------------------------------------------------------------------------
    def is_tensor(self, value):
        return isinstance(value, self.torch.Tensor)

    def to_numpy(self, t):
        if t.requires_grad:
            t = t.detach()
        try:  # a CPU tensor of a NumPy dtype without conjugate or negative bits: one call
            return t.numpy()
        except (TypeError, RuntimeError):
            pass
        if t.device.type != "cpu":
            t = t.cpu()
        if t.dtype == self.torch.bfloat16:
            t = t.float()
        return t.resolve_conj().resolve_neg().numpy()

    def receive(self, value, sent):
        """``value`` with its tensors as arrays (an argument tensor as its own argument array)."""
        Tensor = self.torch.Tensor
        if isinstance(value, Tensor):
            for array, t in sent:
                if t is value:
                    return array
            return self.to_numpy(value)
        if isinstance(value, dict):
            for k, v in value.items():  # numbers and arrays come back as they are
                if type(v) not in _PLAIN and isinstance(v, (Tensor, dict, list, tuple)):
                    value[k] = self.receive(v, sent)  # replacing a key's value: the dict's size is kept
            return value
        if isinstance(value, list):
            return [self.receive(v, sent) for v in value]
        if isinstance(value, tuple):
            return tuple(self.receive(v, sent) for v in value)
        return value

    def copy_back(self, sent):
        """On CUDA, in-place writes into argument tensors reach their arrays only this way."""
        if self.cpu:
            return
        for array, t in sent:
            if t is not None and self.is_tensor(t) and tuple(t.shape) == array.shape:
                array[...] = self.to_numpy(t)

    def wrap(self, fn, signature=None):
        """``fn`` called with tensors; its results (by ``signature.returns``, the cache excepted)
        converted back. Without a signature, the top-level results are converted."""
        if signature is None:
            cache_at = None
        elif signature.args is not None:
            cache_at = signature.args.index("cache") if "cache" in signature.args else None
        else:  # undeclared: (douts..., cache)
            cache_at = -1 if signature.name.endswith("backward") else None
        names = tuple(signature.returns) if signature is not None else ()
        send, receive = self.send, self.receive

        def call(*args, **kwargs):
            sent = []
            skip = len(args) - 1 if cache_at == -1 else cache_at
            args = [a if i == skip else send(a, sent) for i, a in enumerate(args)]
            if kwargs:
                kwargs = {k: send(v, sent) for k, v in kwargs.items()}
            result = fn(*args, **kwargs)
            self.copy_back(sent)
            for d, t in sent:
                if t is None:  # a dict argument: what the function stored in it comes back as arrays
                    receive(d, sent)
            return self.receive_results(result, names, sent)
        call.__wrapped__ = fn
        return call

    def receive_results(self, result, names, sent):
        """``result`` with its tensors as arrays; ``names`` (the signature's returns) say which
        result is the cache, left as it is."""
        if len(names) > 1 and isinstance(result, (tuple, list)) and len(result) == len(names):
            return type(result)(v if n == "cache" else self.receive(v, sent) for n, v in zip(names, result))
        if len(names) == 1:
            return result if names[0] == "cache" else self.receive(result, sent)
        if isinstance(result, (tuple, list)):
            return type(result)(self.receive(v, sent) if self.is_tensor(v) else v for v in result)
        return self.receive(result, sent) if self.is_tensor(result) else result


def make(name, device=None):
    if name == "torch":
        return TorchArrays(device or "cpu")
    if device and str(device) != "cpu":
        raise ValueError(f"--device {device} needs torch tensors (--arrays torch)")
    return NumpyArrays()


def imports_torch(module):
    """Whether ``module`` imported torch (``import torch``, ``from torch import nn``, a class
    derived from ``torch.nn.Module``, ...)."""
    if "torch" not in sys.modules:
        return False
    for value in vars(module).values():
        if inspect.ismodule(value):
            if value.__name__ == "torch" or value.__name__.startswith("torch."):
                return True
        elif inspect.isclass(value) and any(c.__module__.startswith("torch.") for c in value.__mro__[1:]):
            return True
        elif getattr(value, "__module__", None) and str(value.__module__).startswith("torch"):
            return True
    return False


def imports_numpy(module):
    return any(inspect.ismodule(v) and (v.__name__ == "numpy" or v.__name__.startswith("numpy."))
               for v in vars(module).values())
