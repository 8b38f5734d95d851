"""How the implementation under test is called. This is the only code that runs the user's
functions; it turns whatever they return into plain NumPy arrays and notes, so that everything
after it (comparison, verdicts, hints) never touches user objects. Under isolation it runs in the
worker process.

A call object has ``needs`` (the names it calls, in order; the last one is the function the row
is about, so the row is "missing" when that one is absent), ``compares`` (which output keys the
row judges) and ``__call__(get, inputs) -> Run``, where ``get(name)`` returns the
implementation's function. How each contract function is called is written once, in its row, as
a ``Signature`` (``affine_forward(x, w, b) -> out, cache``): the arguments by name, in the order
they are passed, and the names of what it returns. tests/test_calls.py checks every row's
signatures against refimpl's.
"""
import copy
import inspect
import re
from dataclasses import dataclass, field

import numpy as np


_ARITY_OK = {}  # (function, number of positional arguments, keywords) -> function, for calls it takes


class Malformed(Exception):
    """The implementation returned the wrong structure (an `error` verdict)."""


@dataclass
class Run:
    outputs: dict = field(default_factory=dict)     # key -> np.ndarray (copied at return time)
    untyped: set = field(default_factory=set)       # keys that were Python scalars (no dtype)
    warnings: list = field(default_factory=list)    # hazards that do not change results
    violations: list = field(default_factory=list)  # contract breaches that fail the case
    course: str = None                              # the course whose call ran (its hints' words)
    note: str = None                                # how the course's call got its inputs, for reports


@dataclass(frozen=True)
class Signature:
    """``name(a, b, c=..., *, d, **kw) -> r1, r2``: the positional arguments in the order they are
    passed (``c=...``: a defaulted one, passed only when the case holds it; once one is left out,
    the later ones the case holds go by keyword), the arguments passed by keyword (after ``*``,
    passed only when the case holds them), an argument whose dict is spread as keyword arguments
    (``**kw``), and the names of the results (one name: the function returns it alone, not a
    tuple). ``args`` None means undeclared: the arguments go in the order the generator builds
    them. tests/test_calls.py checks every row's signatures against refimpl's."""
    name: str
    args: tuple = None
    kwargs: tuple = ()
    returns: tuple = ()
    defaults: tuple = ()        # the positional arguments marked ``=...``
    varkw: str = None           # the ``**`` argument

    _FORM = re.compile(r"\s*([\w.]+)\s*(?:\((.*)\))?\s*(?:->\s*(.*))?\s*$")

    @classmethod
    def parse(cls, text, returns=None):
        """From ``"affine_forward(x, w, b) -> out, cache"``; a bare name leaves the arguments
        undeclared, and ``returns`` (``"out cache"``) applies when the text has no ``->``."""
        match = cls._FORM.fullmatch(text)
        if not match:
            raise ValueError(f"bad signature {text!r}: expected name(arg, ...) -> result, ...")
        name, params, results = match.groups()
        args = kwargs = None
        defaults, varkw = [], None
        if params is not None:
            names = [p.strip() for p in params.split(",") if p.strip()]
            if names and names[-1].startswith("**"):
                varkw = names.pop()[2:]
            star = names.index("*") if "*" in names else len(names)
            for i, p in enumerate(names):
                if p.endswith("=..."):
                    names[i] = p[:-4].strip()
                    defaults.append(names[i])
            if not all(re.fullmatch(r"\w+", p) for p in names if p != "*") or (varkw and not varkw.isidentifier()):
                raise ValueError(f"bad signature {text!r}: arguments are names, name=... or **name")
            args, kwargs = tuple(names[:star]), tuple(names[star + 1:])
        results = results if results is not None else (returns or "")
        return cls(name, args, kwargs or (), tuple(r for r in re.split(r"[\s,]+", results) if r), tuple(defaults),
                   varkw)

    @property
    def declared(self):
        return self.args is not None

    @property
    def parameters(self):
        """Every argument name, in the order the function declares them."""
        return list(self.args or ()) + list(self.kwargs) + ([self.varkw] if self.varkw else [])

    def arguments(self, values):
        """Positional and keyword arguments from ``values`` (a dict by contract name)."""
        if self.args is None:
            return list(values.values()), {}
        args, kwargs = [], {}
        for k in self.args:
            if k in self.defaults and k not in values:
                continue
            if kwargs or len(args) < self.args.index(k):  # an earlier defaulted one was left out
                kwargs[k] = values[k]
            else:
                args.append(values[k])
        kwargs.update({k: values[k] for k in self.kwargs if k in values})
        if self.varkw:
            kwargs.update(values[self.varkw] or {})
        return args, kwargs

    def invoke(self, fn, values):
        args, kwargs = self.arguments(values)
        self.check_arity(fn, args, kwargs)
        return fn(*args, **kwargs)

    def check_arity(self, fn, args, kwargs):
        """A function whose parameters cannot take the contract's arguments is Malformed, in the
        contract's terms (``affine_forward takes 2 arguments (x, w), the contract passes 3 (x, w,
        b)``), not a TypeError raised inside refcheck."""
        # whether the parameters take them depends on the function, the number of positional
        # arguments and the keywords' names alone: known once per function and shape of call
        # (inspect.signature and bind took about a tenth of a case's time)
        try:
            key = (fn, len(args), tuple(kwargs))
            if _ARITY_OK.get(key) is fn:
                return
        except TypeError:  # an unhashable callable: checked every time
            key = None
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin or C function: let the call itself tell
            return
        try:
            sig.bind(*args, **kwargs)
            if key is not None:
                if len(_ARITY_OK) >= 4096:  # a class's submissions: the oldest go with the rest
                    _ARITY_OK.clear()
                _ARITY_OK[key] = fn
        except TypeError as exc:
            params = [p for p in sig.parameters.values()]
            shown = ", ".join(str(p).split(":")[0].split("=")[0] for p in params)
            passed = [k for k, _ in zip(self.args or (), args)] if self.args is not None else []
            names = passed + list(kwargs)
            count = len(args) + len(kwargs)
            plural = "s" if len(params) != 1 else ""
            text = (f"{self.name} takes {len(params)} argument{plural} ({shown}), the contract passes "
                    f"{count} ({', '.join(names) if names else count})")
            if len(params) == count:
                text += f": {exc}"
            raise Malformed(text) from None

    def with_(self, **changes):
        return type(self)(**{**self.__dict__, **changes})

    def __str__(self):
        params = [f"{a}=..." if a in self.defaults else a for a in self.args or ()]
        params += (["*", *self.kwargs] if self.kwargs else []) + ([f"**{self.varkw}"] if self.varkw else [])
        return f"{self.name}{'' if self.args is None else '(' + ', '.join(params) + ')'} -> {', '.join(self.returns)}"


def describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if type(value).__module__.startswith("torch") and hasattr(value, "shape"):
        return f"a {type(value).__name__} of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def to_array(run, key, value):
    """Store a copy of ``value`` as ``run.outputs[key]``; anything not array-like is Malformed."""
    if isinstance(value, (bool, int, float)):
        run.untyped.add(key)
    try:
        arr = np.array(value, copy=True)
    except Exception as exc:  # noqa: BLE001 - any failure to convert is the implementation's
        raise Malformed(f"{key} is {describe(value)}, not an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise Malformed(f"{key} is {describe(value)} of dtype {arr.dtype}, not a numeric array")
    run.outputs[key] = arr


def unpack(value, names, who):
    """Split a function's return value into the contract's names (one name: no tuple)."""
    if len(names) == 1:
        return {names[0]: value}
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise Malformed(f"{who} returned {describe(value)}, expected a tuple ({', '.join(names)})")
    return dict(zip(names, value))


def snapshot(values):
    return {k: a.copy() for k, a in values.items() if isinstance(a, np.ndarray)}


def unchanged(old, new):
    """``np.array_equal(old, new, equal_nan=True)`` for numeric arrays in a few ufunc calls: that
    test costs 19 us an argument, this 5 (3 more when they differ), and the in-place checks run on
    every argument of every call (an update rule writing w in place differs at every step). Equal
    where every element is equal or NaN in both (an integer or bool array holds no NaN); other
    arrays and values take the full test."""
    if (type(new) is np.ndarray and type(old) is np.ndarray and new.shape == old.shape
            and old.dtype.kind in "biuf" and new.dtype.kind in "biuf"):
        same = new == old
        if same.all():
            return True
        if old.dtype.kind != "f" or new.dtype.kind != "f":
            return False
        return bool((same | (np.isnan(new) & np.isnan(old))).all())
    return np.array_equal(old, new, equal_nan=True)


def note_modified(run, before, after, who):
    for k, old in before.items():
        if not unchanged(old, after[k]):
            run.warnings.append(f"{who} modified its argument {k} in place")


def store_results(run, results, state_args=()):
    """Outputs by name (the cache stays opaque), then the arrays of state dicts such as bn_param."""
    for name, value in results.items():
        if name != "cache":
            to_array(run, name, value)
    for arg_name, state in state_args:
        if not isinstance(state, dict):
            continue
        for k, value in state.items():
            if isinstance(value, np.ndarray):
                to_array(run, f"{arg_name}['{k}']", value)


class Forward:
    """``name(x, w, ...)`` returning the contract's names; dict arguments (bn_param) report their
    arrays. ``name`` is a signature (``"affine_forward(x, w, b) -> out, cache"``) or a bare name
    with ``returns`` (``"out cache"``)."""

    def __init__(self, name, returns="out cache"):
        self.signature = Signature.parse(name, returns)
        self.name, self.returns = self.signature.name, list(self.signature.returns)
        self.needs = (self.name,)
        self.compares = tuple(r for r in self.returns if r != "cache")

    def keys(self, expected):
        """The judged outputs: the returns (those the oracle gives) and the state in dict arguments."""
        return [k for k in expected if k in self.compares or "['" in k]

    def __call__(self, get, inputs):
        run = Run()
        args = copy.deepcopy(inputs.args)
        before = snapshot(args)
        results = unpack(self.signature.invoke(get(self.name), args), self.returns, self.name)
        note_modified(run, before, args, self.name)
        store_results(run, results, [(k, a) for k, a in args.items() if isinstance(a, dict)])
        return run


class Backward:
    """``forward(x, ...)`` then ``name(dout, ..., cache)``: a backward judged on its own forward's
    cache. ``name`` and ``forward`` are signatures or bare names (see Forward); a backward's
    undeclared arguments are its upstream gradients in the generator's order, then the cache."""

    def __init__(self, name, forward, returns=None, forward_returns="out cache"):
        self.signature = Signature.parse(name, returns)
        self.forward = forward if isinstance(forward, Forward) else Forward(forward, forward_returns)
        self.name, self.returns = self.signature.name, list(self.signature.returns)
        self.needs = (self.forward.name, self.name)
        self.compares = tuple(self.returns)

    def keys(self, expected):
        return list(self.compares)

    def __call__(self, get, inputs):
        run = Run()
        args = copy.deepcopy(inputs.args)
        fwd = unpack(self.forward.signature.invoke(get(self.forward.name), args), self.forward.returns,
                     self.forward.name)
        if "cache" not in fwd:
            raise Malformed(f"{self.forward.name} returned no cache")
        douts = {k: a.copy() for k, a in inputs.douts.items()}
        before = snapshot(douts)
        results = unpack(self.signature.invoke(get(self.name), {**douts, "cache": fwd["cache"]}),
                         self.returns, self.name)
        note_modified(run, before, douts, self.name)
        # the forward's own outputs ride along: some oracles judge the backward against them
        store_results(run, {f"forward {k}": v for k, v in fwd.items() if k != "cache"})
        store_results(run, results)
        return run
