"""Argument values that are lists (of arrays, or of per-image dicts of arrays): list subclasses
that compare by content (the shrinker compares a case's inputs with ``==``) and print briefly."""
from collections.abc import Mapping

import numpy as np


def same(a, b):
    """Structural equality of nested lists, dicts and arrays (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype \
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def _fmt(a):
    return np.array2string(np.asarray(a), separator=", ", precision=6).replace("\n", "")


class Arrays(list):
    """A list of arrays (gradients, or one array per image)."""

    def __eq__(self, other):
        return same(list(self), other)

    __hash__ = None

    def __repr__(self):
        if sum(np.size(a) for a in self) > 24:
            return "[" + ", ".join(f"{np.shape(a)} {np.asarray(a).dtype}" for a in self) + "]"
        return "[" + ", ".join(_fmt(a) for a in self) + "]"


class Images(Arrays):
    """A list of per-image dicts of arrays (COCO predictions or targets)."""

    def __repr__(self):
        if not self:
            return "[] (no images)"
        sizes = [len(d.get("boxes", ())) for d in self]
        if sum(sizes) > 12:
            crowd = sum(int(np.sum(d.get("iscrowd", 0))) for d in self)
            return f"[{len(self)} images, {sum(sizes)} boxes{f', {crowd} crowd' if crowd else ''}]"
        return "[" + ", ".join("{" + ", ".join(f"{k}: {_fmt(a)}" for k, a in d.items()) + "}" for d in self) + "]"
