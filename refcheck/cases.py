"""Deterministic cases: a case id fully determines its inputs.

A case id reads ``<dtype>-<token>[-<size>=<value>...][-simple]``, for example ``float32-seed3``,
``float64-ties`` or ``float32-seed3-N=1-D=2-simple``:
- the token is ``seed<k>`` (a randomized case) or the name of one of the generator's edge cases;
- the random stream is seeded from the generator's name and the token (never drawn at collection
  time), so every process, worker and run builds the same arrays;
- size overrides replace the sizes drawn from that stream (the shrinker writes them), and
  ``simple`` draws small integers instead of normal values, which keeps reports readable.
Values are drawn in float64 and rounded to the case's dtype, so the float32 and float64 cases of
one token hold the same numbers.
"""
import copy
import re
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .profiles import PROFILE_ENV, PROFILES, seeds_for  # noqa: F401 (re-exported)

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Case:
    dtype: str
    token: str
    overrides: tuple = ()
    simple: bool = False

    @property
    def id(self):
        parts = [self.dtype, self.token, *(f"{k}={v}" for k, v in self.overrides)]
        return "-".join(parts + ["simple"] * self.simple)

    @property
    def seed(self):
        return int(self.token[4:]) if re.fullmatch(r"seed\d+", self.token) else None

    def with_(self, overrides=None, simple=None):
        """A copy with some sizes overridden (merged into the existing overrides) or simple set."""
        merged = dict(self.overrides)
        merged.update(overrides or {})
        return Case(self.dtype, self.token, tuple(sorted(merged.items())),
                    self.simple if simple is None else simple)

    @classmethod
    def parse(cls, text):
        parts = text.split("-")
        if len(parts) < 2 or parts[0] not in DTYPES:
            raise ValueError(f"bad case id {text!r}: expected <dtype>-<seedK|edge>[-<size>=<n>...][-simple], "
                             f"dtype one of {', '.join(DTYPES)}")
        simple = parts[-1] == "simple"
        rest = parts[2:len(parts) - simple]
        overrides = []
        for part in rest:
            m = re.fullmatch(r"([A-Za-z_][A-Za-z_0-9]*)=(\d+)", part)
            if not m:
                raise ValueError(f"bad size override {part!r} in case id {text!r}")
            overrides.append((m.group(1), int(m.group(2))))
        return cls(parts[0], parts[1], tuple(sorted(overrides)), simple)


class Invalid(ValueError):
    """The requested sizes do not make a case for this generator."""


@dataclass
class Inputs:
    args: dict                  # positional arguments of the forward call, by contract name
    douts: dict                 # upstream gradients for the backward call, by contract name
    sizes: dict                 # the sizes the case was built from
    extreme: bool = False       # extreme inputs: non-finite results there only warn
    note: str = None            # what is special about this case, for failure reports


class Context:
    """What a generator function sees: its sizes as attributes, the edge name, and value helpers.
    A generator may set ``extreme`` (non-finite results only warn) and ``note`` (a sentence on
    what the case holds, shown when it fails)."""

    def __init__(self, rng, dtype, sizes, edge, simple):
        self.rng, self.dtype, self.sizes, self.edge, self.simple = rng, np.dtype(dtype), sizes, edge, simple
        self.extreme, self.note = False, None

    def __getattr__(self, name):
        try:
            return self.__dict__["sizes"][name]
        except KeyError:
            raise AttributeError(name) from None

    def cast(self, values):
        return np.asarray(values, dtype=np.float64).astype(self.dtype)

    def raw(self, *shape):
        """float64 normal values (small integers in [-3, 3] for simple cases), to combine before
        ``cast``: arithmetic after casting would round twice and split the dtypes' values."""
        if self.simple:
            return self.rng.integers(-3, 4, size=shape).astype(np.float64)
        return self.rng.standard_normal(shape)

    def randn(self, *shape, scale=1.0):
        """Normal values times scale, in the case's dtype."""
        return self.cast(self.raw(*shape) * scale)

    grad = randn  # upstream gradients: random, never all ones

    def uniform(self, low, high, *shape, cast=True):
        """Uniform values in [low, high], in the case's dtype (``cast=False``: float64, to combine
        before casting). Simple cases draw the whole numbers in the range, or its ends when it
        holds none."""
        if self.simple:
            whole = np.arange(np.ceil(low), np.floor(high) + 1)
            values = self.rng.choice(whole if whole.size else np.array([low, high], dtype=np.float64), size=shape)
        else:
            values = self.rng.uniform(low, high, size=shape)
        return self.cast(values) if cast else np.asarray(values, dtype=np.float64)

    def nonzero(self, *shape):
        """Values bounded away from zero (|v| >= 0.25), e.g. where a zero would hide a dropped unit."""
        v = self.randn(*shape)
        return np.where(np.abs(v) < 0.25, np.copysign(0.25, v) + v, v).astype(self.dtype)

    def labels(self, n, num_classes, shape=None):
        return self.rng.integers(0, num_classes, size=(n,) if shape is None else shape)


@dataclass(frozen=True)
class Property:
    """A yes/no question about a case that may separate failing cases from passing ones, for the
    differential diagnosis (refcheck.diagnosis.differential): ``holds(view)`` reads the case's
    sizes as attributes (``view.pad``), ``view.edge`` (None for a randomized case) and
    ``view.args`` (the generated arguments). ``yes`` and ``no`` say it both ways ("pad = 0",
    "pad > 0"). The diagnosis flips it by changing one of the sizes (or knobs) in ``vary`` at a
    time (two when one is not enough), or by switching to one of ``edges`` ("seed": a randomized
    case) with the same sizes."""
    yes: str
    no: str
    holds: object
    vary: tuple = ()
    edges: tuple = ()


class CaseView:
    """What a Property reads: sizes as attributes, the edge and the arguments."""

    def __init__(self, sizes, edge, args):
        self.sizes, self.edge, self.args = sizes, edge, args

    def __getattr__(self, name):
        try:
            return self.__dict__["sizes"][name]
        except KeyError:
            raise AttributeError(name) from None


class Gen:
    """An input generator: sizes drawn from inclusive ranges, then ``fn(context)`` builds the inputs.

    ``fn`` returns ``(args, douts)`` (two dicts) and may read ``context.edge``; ``edges`` maps each
    edge-case name to the sizes it pins (an empty dict when ``fn`` handles the edge itself).
    Every combination of sizes inside the ranges must make a valid case.

    ``knobs`` are sizes that are never drawn (they sit at the bottom of their range unless a case
    overrides them, so adding one changes no existing case): the differential diagnosis turns
    them to build a case that differs in one property (gamma = 1 and beta = 0). ``properties``
    (added with ``declare``) are the diagnostic properties of the generator's cases.
    """

    def __init__(self, fn, sizes, edges, knobs=None, properties=None):
        self.fn, self.name, self.sizes, self.edges = fn, fn.__name__, sizes, edges
        # a variant shares its generator's list: properties declared later hold for both
        self.knobs, self.properties = dict(knobs or {}), [] if properties is None else properties
        for edge in edges:
            if not re.fullmatch(r"[a-z][a-z_]*", edge) or edge.startswith("seed"):
                raise ValueError(f"edge name {edge!r} must be lowercase letters and underscores")

    def declare(self, *properties):
        """Add diagnostic properties (see Property); returns the generator."""
        self.properties.extend(properties)
        return self

    def ranges(self):
        """Every size and knob with its inclusive range."""
        return {**self.sizes, **self.knobs}

    def view(self, case, inputs):
        return CaseView(inputs.sizes, None if case.seed is not None else case.token, inputs.args)

    def __call__(self, case):
        """The case's inputs: a fresh deep copy each time of what was built once per generator and
        case in this process (the zoo's mutants, the calibration's styles and a rerun ask again for
        the same case; a copy costs a tenth of building, which is a pure function of the case)."""
        key = (id(self), case)
        hit = _BUILT.get(key)
        if hit is not None and hit[0] is self:  # the generator held in the entry: its id is not reused
            _BUILT.move_to_end(key)
            return copy.deepcopy(hit[1])
        inputs = self._build(case)
        _keep(key, self, inputs)
        return copy.deepcopy(inputs)

    def _build(self, case):
        is_edge = case.seed is None
        if is_edge and case.token not in self.edges:
            raise Invalid(f"{self.name} has no edge case {case.token!r} (edges: {', '.join(self.edges)})")
        rng = np.random.default_rng(zlib.crc32(f"{self.name}:{case.token}".encode()))
        sizes = {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in self.sizes.items()}
        sizes.update({k: lo for k, (lo, _) in self.knobs.items()})
        if is_edge:
            sizes.update(self.edges[case.token])
        ranges = self.ranges()
        for k, value in case.overrides:
            if k not in ranges:
                raise Invalid(f"{self.name} has no size {k!r} (sizes: {', '.join(ranges)})")
            lo, hi = ranges[k]
            if not lo <= value <= hi:
                raise Invalid(f"size {k}={value} is outside {self.name}'s range [{lo}, {hi}]")
            sizes[k] = value
        ctx = Context(rng, case.dtype, sizes, case.token if is_edge else None, case.simple)
        args, douts = self.fn(ctx)
        return Inputs(args, douts, sizes, ctx.extreme, ctx.note)

    def variant(self, **sizes):
        """The same generator (same name, so the same random streams) with some size ranges
        replaced; edges that pin a size outside the new ranges are dropped."""
        ranges = {**self.sizes, **sizes}
        edges = {name: pins for name, pins in self.edges.items()
                 if all(ranges[k][0] <= v <= ranges[k][1] for k, v in pins.items())}
        return Gen(self.fn, ranges, edges, self.knobs, self.properties)

    def cases(self, seeds):
        """The randomized cases (``seeds`` per dtype) followed by the edge cases, for every dtype."""
        return ([Case(dt, f"seed{i}") for dt in DTYPES for i in range(seeds)]
                + [Case(dt, edge) for dt in DTYPES for edge in self.edges])


_BUILT = OrderedDict()  # (id(gen), case) -> (gen, Inputs, bytes): see Gen.__call__
_BUILT_LIMIT = 128 * 2**20  # bytes of arrays kept; the least recently used go first
_built_bytes = 0


def _keep(key, gen, inputs):
    global _built_bytes
    size = _nbytes(inputs.args) + _nbytes(inputs.douts)
    _BUILT[key] = (gen, inputs, size)
    _built_bytes += size
    while _built_bytes > _BUILT_LIMIT and len(_BUILT) > 1:
        _built_bytes -= _BUILT.popitem(last=False)[1][2]


def _nbytes(value):
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return sum(_nbytes(v) for v in vars(value).values()) if hasattr(value, "__dict__") else 0


def generator(edges=None, knobs=None, **sizes):
    """Decorator: ``@generator(N=(1, 8), D=(1, 10), edges={"one_sample": {"N": 1}})``."""
    return lambda fn: Gen(fn, sizes, edges or {}, knobs)
