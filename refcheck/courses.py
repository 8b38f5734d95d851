"""Courses and name maps: how the contract's functions are found and called in a module written
for a course (or under names of its own).

A course is data: for each contract function it renames, a ``Bind`` holding the user's call as a
signature in the contract's argument and result names (``"Linear.forward(x, w, b) -> out,
cache"``; the name may be a dotted path), the conversions of the case's inputs into the course's
conventions (EECS 498's Dropout ``p`` drops), or an ``nn.Module`` target. Contract functions a
course does not bind are looked up under their contract names. What a binding's call does not
return comes from autograd: a forward bound without a cache has its backward row judged through
autograd (refcheck.autograd), and a loss bound without ``dx`` gets ``dx`` from autograd.
Conventions are converted in the inputs handed to the user (and documented per course); the
oracle, the tolerances and the verdict rules are the contract's own.

``Plan`` resolves one module: its course (detected from the names it defines, or given), a name
map (``--map``, ``[tool.refcheck.map]``), and its arrays (NumPy or torch tensors, detected or
given). The plan is plain data (``spec()``): under isolation the worker resolves it and the
judging process rebuilds the same calls from the spec without importing the module.
"""
import copy
import os
import re

from . import tensors
from .autograd import Autograd, Module  # noqa: F401 (Module: a course's nn.Module target)
from .calls import Backward, Forward, Signature
from .course_data import COURSES, Bind, Course  # noqa: F401 (the courses' data)

DEFAULT = "cs231n"


def resolve(obj, path):
    """``obj.a.b`` for the path ``"a.b"``; AttributeError if any part is missing."""
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def defines(module, path):
    try:
        return callable(resolve(module, path))
    except AttributeError:
        return False


# ---- name maps ------------------------------------------------------------------------------

_ENTRY_SPLIT = re.compile(r",(?=\s*[\w.]+\s*=)")


def parse_map(texts):
    """``["my_softmax=softmax_loss,Attention.forward=affine_forward -> out"]`` (``--map`` may be
    given several times) -> {user name: contract spec}."""
    entries = {}
    for text in texts or ():
        for part in _ENTRY_SPLIT.split(text):
            if not part.strip():
                continue
            user, sep, spec = part.partition("=")
            if not sep or not user.strip() or not spec.strip():
                raise ValueError(f"bad --map entry {part.strip()!r}: expected NAME=CONTRACT_FUNCTION")
            entries[user.strip()] = spec.strip()
    return entries


def map_binds(entries, rows):
    """Binds from a name map {user name: "contract[(args)][ -> returns]"}: the user's function is
    called as the contract's (its arguments and results), unless the spec says otherwise."""
    binds = {}
    for user, spec in entries.items():
        target = Signature.parse(spec)
        if target.name not in rows:
            raise ValueError(f"--map {user}={spec}: {target.name} is not a contract function; the contract's "
                             f"functions are: {', '.join(rows)}")
        sig = _complete(target, contract_signature(rows[target.name].call)).with_(name=user)
        binds[target.name] = Bind(str(sig))
    return binds


def pyproject_settings(start):
    """The ``[tool.refcheck]`` table of the first pyproject.toml at or above ``start`` that has one
    (``map``, ``course``, ``arrays``); {} when there is none."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            return {}
    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(os.path.abspath(start)))
    while True:
        path = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(path):
            with open(path, "rb") as f:
                try:
                    table = tomllib.load(f).get("tool", {}).get("refcheck")
                except tomllib.TOMLDecodeError as exc:
                    raise ValueError(f"cannot read {path}: {exc}") from None
            if table is not None:
                return dict(table, _source=path)
        parent = os.path.dirname(directory)
        if parent == directory:
            return {}
        directory = parent


# ---- the calls ------------------------------------------------------------------------------

def contract_signature(call):
    sig = getattr(call, "signature", None)
    if isinstance(sig, Signature):
        return sig
    return Signature(call.name, None, (), tuple(getattr(call, "returns", ())))


def _complete(sig, contract):
    """A bind's signature with what it leaves out taken from the contract's (the arguments, with
    their defaults and ``**`` argument, when it declares none; the results)."""
    base = sig if sig.declared else contract.with_(name=sig.name)
    return base.with_(returns=sig.returns or contract.returns)


def _rebind(call, sig, forward=None):
    """A copy of a contract call that calls ``sig`` instead (its compares are the contract's)."""
    new = copy.copy(call)
    new.signature, new.name, new.returns = sig, sig.name, list(sig.returns)
    if forward is not None:
        new.forward = forward
    new.needs = ((new.forward.name,) if isinstance(getattr(new, "forward", None), Forward) else ()) + (sig.name,)
    return new


class Bound:
    """A call in a course's terms: its inputs converted, then the call; the Run remembers the
    course (for hints in the course's words). A signature that takes a ``device`` the case does
    not hold is given the device the tensors are on (CS231n 2025's ``device='cuda'`` defaults)."""

    def __init__(self, call, convert, course, device=None, outside=None):
        self.call, self.convert, self.course, self.device = call, convert, course, device
        self.outside = outside  # outside(args) -> why the course's function cannot take a case, or None
        for attr in ("name", "needs", "compares", "returns", "signature", "forward"):
            if hasattr(call, attr):
                setattr(self, attr, getattr(call, attr))
        sig = getattr(call, "signature", None)
        self.wants_device = isinstance(sig, Signature) and "device" in sig.parameters

    def keys(self, expected):
        return self.call.keys(expected)

    def __call__(self, get, inputs):
        if self.convert or self.wants_device:
            inputs = copy.copy(inputs)
            inputs.args = self.convert(copy.deepcopy(inputs.args)) if self.convert else dict(inputs.args)
            if self.wants_device:
                inputs.args.setdefault("device", str(self.device or "cpu"))
        run = self.call(get, inputs)
        run.course = self.course
        if self.convert:
            run.note = self._note(inputs.args)
        return run

    def _note(self, args):
        """``called with dropout_param {mode: 'train', p: 0.75}``: the converted arguments."""
        from .engine import describe_inputs
        from .cases import Inputs
        return (f"called as {self.call.signature.name} with the course's conventions: "
                f"{describe_inputs(Inputs(dict(args), {}, {}))}")


class Plan:
    """How one module is called: ``course``, a name map {user name: contract spec}, its arrays
    ("numpy" or "torch") and device. ``call(row)`` is the call object for a registry row."""

    def __init__(self, course=DEFAULT, name_map=None, arrays="numpy", device=None, user_file=None, reasons=()):
        from .registry import ROWS
        if course not in COURSES:
            raise ValueError(f"unknown course {course!r}; the courses are: {', '.join(COURSES)}")
        self.course, self.rows = COURSES[course], ROWS
        self.name_map = dict(name_map or {})
        self.map = map_binds(self.name_map, ROWS)
        self.arrays_name, self.device = arrays, device
        self.arrays = tensors.make(arrays, device)
        self.user_file, self.reasons = user_file, tuple(reasons)
        self._calls = {name: self._build(row) for name, row in ROWS.items()}
        self.signatures = {}
        for call in self._calls.values():
            inner = getattr(call, "call", call)
            for c in (inner, getattr(inner, "forward", None)):
                if c is not None and isinstance(getattr(c, "signature", None), Signature):
                    self.signatures.setdefault(c.signature.name, c.signature)

    def spec(self):
        return {"course": self.course.name, "map": self.name_map, "arrays": self.arrays_name,
                "device": self.device, "user_file": self.user_file, "reasons": list(self.reasons)}

    @classmethod
    def from_spec(cls, spec):
        return cls(spec["course"], spec.get("map"), spec.get("arrays", "numpy"), spec.get("device"),
                   spec.get("user_file"), spec.get("reasons", ()))

    def describe(self):
        arrays = "NumPy arrays" if self.arrays_name == "numpy" else f"torch tensors on {self.arrays.device}"
        text = f"course {self.course.name} ({self.course.title}), {arrays}"
        return text + (f"; {'; '.join(self.reasons)}" if self.reasons else "")

    def bind(self, name):
        return self.map.get(name) or self.course.bind(name)

    def call(self, row):
        return self._calls[row.name]

    def getter(self, module):
        """``get(name)`` for the calls: the module's function at that (dotted) name, converting
        arrays to tensors and back for torch implementations."""
        made = {}  # name -> (function, its wrapper): one wrapper per function, not one per case

        def get(name):
            fn = resolve(module, name)
            known = made.get(name)
            if known is not None and known[0] is fn:
                return known[1]
            wrapped = self.arrays.wrap(fn, self.signatures.get(name))  # torch's sets __wrapped__
            made[name] = (fn, wrapped)
            return wrapped
        return get

    def names(self):
        """Every name the calls may look up in the module."""
        return sorted({n for c in self._calls.values() for n in c.needs}
                      | {b.module.cls for b in self._binds() if b.module is not None})

    def _binds(self):
        return [b for b in (self.bind(n) for n in self.rows) if b is not None]

    # ---- building ----------------------------------------------------------------------
    def _autograd(self, row, bind, sig):
        if self.arrays_name != "torch":
            raise ValueError(f"{row.name}: {sig} returns no cache, so its gradients come from autograd, which "
                             f"needs torch tensors (--arrays torch)")
        call = Autograd(row.name, sig, row.call.compares, self.arrays, bind.module, row.call.returns)
        call.user_file = self.user_file
        return call

    def _build(self, row):
        contract = row.call
        bind = self.bind(row.name)
        forward = getattr(contract, "forward", None)
        forward_bind = self.bind(forward.name) if isinstance(forward, Forward) else None
        if bind is None and forward_bind is None:
            if self.course.name == DEFAULT and not self.map:
                return contract
            return Bound(contract, None, self.course.name, self.device)
        if isinstance(contract, Backward):
            fsig = _complete(Signature.parse(forward_bind.call), forward.signature) if forward_bind else forward.signature
            convert = forward_bind.convert if forward_bind else None
            if forward_bind and (forward_bind.module or "cache" not in fsig.returns):
                if bind is not None:
                    raise ValueError(f"{row.name} is bound to {bind.call}, but its forward {fsig} returns no cache")
                return Bound(self._autograd(row, forward_bind, fsig), convert, self.course.name, self.device,
                             forward_bind.outside)
            fcall = _rebind(forward, fsig) if forward_bind else forward
            sig = _complete(Signature.parse(bind.call), contract.signature) if bind else contract.signature
            return Bound(_rebind(contract, sig, fcall), convert or (bind.convert if bind else None), self.course.name,
                         self.device, forward_bind.outside if forward_bind else None)
        if bind is None:  # a call of another kind that names a forward: left as the contract's
            return Bound(contract, None, self.course.name, self.device)
        sig = _complete(Signature.parse(bind.call), contract_signature(contract))
        # results the contract's function returns and the user's does not (a loss's dx): autograd
        missing = [r for r in contract_signature(contract).returns if r != "cache" and r not in sig.returns]
        if bind.module is not None or (missing and isinstance(contract, Forward)):
            return Bound(self._autograd(row, bind, sig), bind.convert, self.course.name, self.device, bind.outside)
        return Bound(_rebind(contract, sig), bind.convert, self.course.name, self.device, bind.outside)


# ---- resolving a module ---------------------------------------------------------------------

def detect_course(module):
    """(course name, reason) from the names the module defines."""
    names = set(vars(module))
    for course in COURSES.values():
        reason = course.detect(module, names) if course.detect else None
        if reason:
            return course.name, reason
    return DEFAULT, None


def check_options(course=None, name_map=None, arrays=None, device=None, settings=None):
    """Raise ValueError for options no module can satisfy (an unknown course, a map entry naming
    no contract function, a device torch does not see)."""
    from .registry import ROWS
    settings = settings or {}
    course = course or settings.get("course")
    if course is not None and course not in COURSES:
        raise ValueError(f"unknown course {course!r}; the courses are: {', '.join(COURSES)}")
    map_binds({**(settings.get("map") or {}), **(name_map or {})}, ROWS)
    if device and str(device) != "cpu":
        tensors.TorchArrays(device)


def resolve_plan(module, course=None, name_map=None, arrays=None, device=None, user_file=None, settings=None):
    """The plan for a loaded module: course and arrays detected unless given (the pyproject
    settings, ``[tool.refcheck]``, come between the two)."""
    settings = settings or {}
    reasons = []
    entries = dict(settings.get("map") or {})
    entries.update(name_map or {})
    if course is None and settings.get("course"):
        course = settings["course"]
        reasons.append(f"course from {settings.get('_source', 'pyproject.toml')}")
    if course is None:
        course, why = detect_course(module)
        if why:
            reasons.append(f"detected: {why}")
    elif course not in COURSES:
        raise ValueError(f"unknown course {course!r}; the courses are: {', '.join(COURSES)}")
    arrays = arrays or settings.get("arrays")
    if arrays is None:
        arrays, why = detect_arrays(module, COURSES[course], entries)
        if arrays == "torch":
            reasons.append(why)
    if arrays not in tensors.CHOICES:
        raise ValueError(f"unknown arrays {arrays!r}: choose numpy or torch")
    return Plan(course, entries, arrays, device if arrays == "torch" else None, user_file, reasons)


def detect_arrays(module, course, entries):
    """"torch" for a course whose students write tensors, or a module that imports torch (and,
    if it imports NumPy as well, whose first contract function returns a tensor)."""
    if course.arrays:
        return course.arrays, f"{course.name} is written with torch tensors"
    if not tensors.imports_torch(module):
        return "numpy", None
    if not tensors.imports_numpy(module):
        return "torch", "the module imports torch (--arrays numpy overrides)"
    if _returns_tensors(module, course, entries):
        return "torch", "the module imports torch and its functions return tensors (--arrays numpy overrides)"
    return "numpy", None


def _returns_tensors(module, course, entries):
    """Call the module's first contract function once on a float64 case, with tensors: does it
    return one?"""
    import torch
    from .cases import Case
    from .engine import time_limit
    plan = Plan(course.name, entries, "torch")
    for row in plan.rows.values():
        call = plan.call(row)
        if not isinstance(call, Bound) and not isinstance(call, Forward):
            continue
        fn_name = call.needs[-1]
        if not defines(module, fn_name) or len(call.needs) != 1:
            continue
        try:
            inputs = row.gen(Case("float64", "seed0"))
            arrays = tensors.TorchArrays()
            sent = []
            args = {k: arrays.send(copy.deepcopy(v), sent) for k, v in inputs.args.items()}
            sig = getattr(call, "signature", None) or Signature(fn_name)
            with time_limit(5.0):
                result = sig.invoke(resolve(module, fn_name), args)
        except Exception:  # noqa: BLE001 - a probe that fails decides nothing
            return False
        values = result if isinstance(result, (tuple, list)) else [result]
        return any(isinstance(v, torch.Tensor) for v in values)
    return False


