"""Input checks shared by the references.

Every check raises ``ValueError`` naming the argument, its value or shape, and what was expected,
so bad input fails loudly instead of broadcasting into garbage.
"""
import functools
import math
import numbers

import numpy as np


def _array(name, a):
    """np.asarray(a), with ragged lists and the like reported under the argument's name."""
    try:
        return np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got {type(a).__name__} ({exc})") from None


def floats(name, a, ndim=None, min_ndim=None):
    """``a`` as a floating array (integers become float64), with its rank checked."""
    a = _array(name, a)
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    elif a.dtype.kind != "f":
        raise ValueError(f"{name} must be a real floating array, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if min_ndim is not None and a.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {a.shape}")
    return a


def shape(name, a, expected, why=""):
    """Require ``a.shape == expected``; ``why`` names where the expected shape comes from."""
    if a.shape != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}{why}, got {a.shape}")


def labels(name, y, n, num_classes, y_shape=None):
    """Integer class labels of shape ``y_shape`` (default ``(n,)``) with values in [0, num_classes)."""
    y = _array(name, y)
    want = (n,) if y_shape is None else tuple(y_shape)
    if y.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.shape != want:
        raise ValueError(f"{name} must have shape {want}, got {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"{name} must lie in [0, {num_classes}), got values in [{y.min()}, {y.max()}]")
    return y


def choice(name, value, allowed):
    try:
        known = value in allowed
    except TypeError:  # an unhashable value (a list) is none of the choices
        known = False
    if not known:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value


def positive(name, value, allow_zero=False):
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not (value > 0 or (allow_zero and value == 0)):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return value


def result_dtype(*arrays):
    """The floating dtype a function returns for these inputs (float32 stays float32)."""
    return np.result_type(*arrays)


def _real(value):
    """``value`` as a Python number when it is a real, non-boolean scalar (0-d arrays included), else None."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    return value


def number(name, value, low=None, high=None, low_open=False, high_open=False):
    """A real number (not a bool, not NaN) in the interval from ``low`` to ``high`` (closed unless
    ``low_open``/``high_open``; None: unbounded). Returns it unchanged."""
    real = _real(value)
    lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
    want = " and ".join(w for w in (lo, hi) if w)
    if real is None or math.isnan(real):
        raise ValueError(f"{name} must be a number{' ' + want if want else ''}, got {value!r}")
    if ((low is not None and (real < low or (low_open and real == low)))
            or (high is not None and (real > high or (high_open and real == high)))):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value


def whole(name, value, minimum=0):
    """A size (stride, pad, pool size, group count): a whole number >= ``minimum``, as an int.
    2 and 2.0 are accepted; 1.5, inf, NaN, True and '2' are not (no silent truncation)."""
    real = _real(value)
    if real is None or not math.isfinite(real) or real != int(real) or real < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(real)


def params(name, value, required=False):
    """A parameter dict (bn_param, conv_param, ...), to read values from (a cache keeps the values,
    never the dict). None stands for {} when no key is ``required``."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict, got {type(value).__name__}")
    return value


def state(name, value, like, why=" (the shape of w)"):
    """Carried state (an optimizer's velocity, cache, moments): floats of exactly ``like``'s
    shape, which a broadcastable shape would silently grow into."""
    value = floats(name, value)
    shape(name, value, like.shape, why)
    return value


def mask(name, m, expected, why=""):
    """A boolean (or 0/1, or real weight) mask of shape ``expected``."""
    m = _array(name, m)
    if m.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a boolean or real mask, got dtype {m.dtype}")
    shape(name, m, expected, why)
    return m


def integers(name, a, expected, why=""):
    """An integer array (class ids, indices) of shape ``expected``."""
    a = _array(name, a)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {a.dtype}")
    shape(name, a, expected, why)
    return a


def flag(name, value):
    """True or False (NumPy's booleans too), as a bool; 1, None and 'yes' are not flags."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def nonempty(name, a, axis, what):
    """Require ``a.shape[axis] > 0``; ``what`` names one entry along that axis ("time step")."""
    if a.shape[axis] == 0:
        raise ValueError(f"{name} must hold at least one {what}, got shape {a.shape}")
    return a


def finite(name, a):
    """Require every value of the array ``a`` to be finite (no NaN, no inf)."""
    bad = ~np.isfinite(a)
    if bad.any():
        i = np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape)
        raise ValueError(f"{name} must be finite, got {a[i]} at {[int(j) for j in i]} "
                         f"({int(bad.sum())} non-finite values)")
    return a


def _is_half(a):
    return isinstance(a, (np.ndarray, np.floating)) and a.dtype == np.float16


def _widen(a):
    return a.astype(np.float32) if _is_half(a) else a


def _narrow(a):
    if isinstance(a, (np.ndarray, np.floating)) and a.dtype == np.float32:
        return a.astype(np.float16)
    return a


def float16_as_float32(fn):
    """Decorator: when the floating array arguments are float16 (their common dtype, as NumPy
    promotes them, is float16), compute in float32 and return the floating arrays and scalars of
    the result as float16, as torch does on CPU: no intermediate (a variance, a squared
    distance, an area) overflows float16's 65504. Caches, dicts and lists in the result are left
    as they are (a cache keeps float32 for its backward; state in bn_param/config stays float32).
    Other inputs pass straight through."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        # floating arrays (and float16 scalars); a float64 scalar such as a threshold does not count
        arrays = [a for a in (*args, *kwargs.values())
                  if (isinstance(a, np.ndarray) and a.dtype.kind == "f") or _is_half(a)]
        if not any(_is_half(a) for a in arrays) or np.result_type(*arrays) != np.float16:
            return fn(*args, **kwargs)
        result = fn(*map(_widen, args), **{k: _widen(a) for k, a in kwargs.items()})
        if isinstance(result, tuple):
            return tuple(map(_narrow, result))
        return _narrow(result)
    return wrapper


def boxes(name, a, pixel_inclusive=False):
    """(N, 4) corner rows x1, y1, x2, y2 with x2 >= x1 and y2 >= y1 (x2 >= x1 - 1 with the "+1"
    convention): torchvision computes negative areas from reversed corners, which no IoU can
    mean. An empty 1-D array (``[]``, the nested list of no boxes) is (0, 4). NaN coordinates pass
    (their IoUs are NaN, as torchvision's)."""
    a = floats(name, a)
    if a.ndim == 1 and a.size == 0:
        a = a.reshape(0, 4)
    if a.ndim != 2 or a.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) with rows x1, y1, x2, y2, got {a.shape}")
    reversed_ = (a[:, 2:] + (1 if pixel_inclusive else 0) < a[:, :2]).any(axis=1)
    if reversed_.any():
        i = int(np.flatnonzero(reversed_)[0])
        want = "x2 >= x1 - 1 and y2 >= y1 - 1 (pixel_inclusive)" if pixel_inclusive else "x2 >= x1 and y2 >= y1"
        raise ValueError(f"{name} must have {want} in every row, got row {i} {a[i].tolist()} "
                         f"({int(reversed_.sum())} such rows)")
    return a
