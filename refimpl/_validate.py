"""Input checks shared by the references.

Every check raises ``ValueError`` naming the argument and the shapes involved, so bad input fails
loudly instead of broadcasting into garbage.
"""
import numpy as np


def floats(name, a, ndim=None, min_ndim=None):
    """``a`` as a floating array (integers become float64), with its rank checked."""
    a = np.asarray(a)
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
    y = np.asarray(y)
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
    if value not in allowed:
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
