"""torch.optim run eagerly without importing torch._dynamo.

torch.optim wraps its optimizers' ``step`` (``_use_grad_for_differentiable``), ``add_param_group``
and the functional update rules (``torch._disable_dynamo``) for torch.compile, and those wrappers
import torch._dynamo on their first call: 2-3 s in every process that runs an update rule's oracle
(each pytest worker, each ``refcheck`` run of a CS231n optim.py), for nothing outside
torch.compile. Here:

- ``step(opt)`` calls the optimizer's own step function under ``torch.no_grad()``, which is what
  the wrapper does when not compiling (grad mode set to the optimizer's ``differentiable``, False
  here; a graph break, a no-op in eager mode), and skips the optimizer hooks (an oracle runs
  torch.optim's arithmetic alone, whatever hooks a notebook registered);
- ``eager()`` makes each ``torch._disable_dynamo`` wrapper of torch.optim call its function
  directly, as it does in eager mode, while inside; the wrappers are put back as they were after.

Where torch's wrappers are not as expected (another torch version), nothing is changed and the
wrappers run as usual (torch._dynamo is then imported, as before).
"""
import contextlib
import importlib
import inspect
import sys
import types

import torch

_MODULES = ("optimizer", "sgd", "adam", "adamw", "rmsprop", "adagrad", "lr_scheduler")
_KEY = "__dynamo_disable"  # where torch._disable_dynamo's wrapper caches what it calls
_found = None


def _wrapped():
    """The functions of torch.optim that torch._disable_dynamo wraps (by the wrapper's code object),
    found through the modules' functions, classes and closures."""
    try:
        from torch._compile import _disable_dynamo
        inner = _disable_dynamo(lambda: None).__code__
    except (ImportError, AttributeError):
        return []
    found, seen = [], set()

    def visit(obj, depth):
        if id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            if obj.__code__ is inner:
                if isinstance(getattr(obj, "__wrapped__", None), types.FunctionType):
                    found.append(obj.__wrapped__)
                return
            for cell in obj.__closure__ or ():
                try:
                    visit(cell.cell_contents, depth + 1)
                except ValueError:  # an empty cell
                    pass
            visit(getattr(obj, "__wrapped__", None), depth + 1)
        elif isinstance(obj, type):
            for value in vars(obj).values():
                visit(getattr(value, "__func__", value), depth + 1)
        elif isinstance(obj, types.ModuleType):
            for value in vars(obj).values():
                if isinstance(value, (types.FunctionType, type)) and \
                        str(getattr(value, "__module__", "")).startswith("torch.optim"):
                    visit(value, depth + 1)
    for name in _MODULES:
        try:
            visit(importlib.import_module(f"torch.optim.{name}"), 0)
        except ImportError:
            pass
    return found


@contextlib.contextmanager
def eager():
    """torch.optim's torch._disable_dynamo wrappers call their functions directly while inside."""
    global _found
    if "torch._dynamo" in sys.modules:  # imported already: nothing to save
        yield
        return
    if _found is None:
        _found = _wrapped()
    mine = [fn for fn in _found if getattr(fn, _KEY, None) is None]
    for fn in mine:
        setattr(fn, _KEY, fn)
    try:
        yield
    finally:
        for fn in mine:
            if getattr(fn, _KEY, None) is fn:
                delattr(fn, _KEY)


def step(opt):
    """``opt.step()`` as torch runs it outside torch.compile (see the module docstring)."""
    own = inspect.unwrap(type(opt).step)
    if own is type(opt).step or "differentiable" not in opt.defaults or opt.defaults["differentiable"]:
        return opt.step()  # not the wrappers expected: as usual
    with torch.no_grad():
        return own(opt)
