"""Pictures of a failing case: heat maps of actual - expected per failing output, the worst element
(largest |diff| / allowed, as the judge measures it) marked, and of the array inputs.

``capture`` reruns the smallest failing case and keeps plain 2-D arrays (picklable: a worker can
send them back); ``png`` draws one with matplotlib (the optional extra ``refimpl[report]``),
imported only here, so the command line and the JSON never need it.
"""
import base64
import io
from dataclasses import dataclass, field

import numpy as np

MAX_INPUTS = 3     # input panels per failure
MAX_SIDE = 64      # larger slices are cropped around the worst element


@dataclass
class Panel:
    title: str
    data: np.ndarray          # 2-D float64; NaN where actual or expected is not finite
    mark: tuple = None        # (row, column) of the worst element in data
    diff: bool = True         # actual - expected (diverging colours) or an input
    nonfinite: int = 0        # elements where the difference is not finite (drawn as grey)
    key: str = ""             # the output or input drawn


@dataclass
class Failure:
    name: str
    case: str
    outputs: list = field(default_factory=list)   # Panels, one per failing output
    inputs: list = field(default_factory=list)    # Panels of the array inputs


def available():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def _slice(arr, flat):
    """(2-D plane, title suffix, mark) of ``arr`` around element ``flat``: the last two axes at the
    element's leading indices (a 1-D array is one row), cropped to MAX_SIDE around it."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return arr.reshape(1, 1), "", (0, 0)
    index = [int(i) for i in np.unravel_index(flat, arr.shape)]
    if arr.ndim == 1:
        plane, lead, mark = arr.reshape(1, -1), [], (0, index[0])
    else:
        lead, mark = index[:-2], tuple(index[-2:])
        plane = arr[tuple(lead)]
    cuts, parts = [], []
    for axis in range(2):
        size = plane.shape[axis]
        lo = max(0, min(mark[axis] - MAX_SIDE // 2, size - MAX_SIDE))
        hi = min(size, lo + MAX_SIDE)
        cuts.append(slice(lo, hi))
        parts.append(":" if (lo, hi) == (0, size) else f"{lo}:{hi}")
    where = [str(i) for i in lead] + (parts[1:] if arr.ndim == 1 else parts)
    suffix = "" if all(p == ":" for p in where) else f"[{', '.join(where)}]"
    return plane[tuple(cuts)], suffix, (mark[0] - cuts[0].start, mark[1] - cuts[1].start)


def _output_panel(key, got, want, allowed):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    with np.errstate(all="ignore"):
        diff = got - want
        both = (np.isnan(got) & np.isnan(want)) | (np.isinf(got) & (got == want))
        diff = np.where(both, 0.0, diff)
        ratio = np.where(diff == 0, 0.0, np.abs(diff) / allowed)
    ratio = np.nan_to_num(ratio, nan=np.inf)
    if diff.size == 0:
        return None
    flat = int(np.argmax(ratio))
    plane, suffix, mark = _slice(diff, flat)
    plane = np.where(np.isfinite(plane), plane, np.nan)
    index = np.unravel_index(flat, diff.shape) if diff.ndim else ()
    at = f"{key}[{', '.join(map(str, index))}]" if index else key
    title = (f"{key}{suffix}: actual - expected; worst {at}: actual {got.flat[flat]:.6g}, "
             f"expected {want.flat[flat]:.6g}")
    return Panel(title, plane, mark, True, int(np.sum(~np.isfinite(diff))), key)


def capture(impl, name, case_id):
    """The Failure of ``name`` on the case ``case_id`` (rerun on ``impl``), or None when it no
    longer fails there or produced no arrays to compare."""
    from . import engine, tolerances
    from .cases import Case
    from .judge import _magnitude_for, views
    from .registry import ROWS
    from torch_oracle.views import Lenient, Mismatch
    row = ROWS[name]
    case = Case.parse(case_id)
    checked = engine.check_case(impl, row, case)
    if checked.outcome.status != "fail" or checked.run is None:
        return None
    failure = Failure(name, case_id)
    expected = checked.expected  # what the judge compared against
    bounds = tolerances.Bounds(name, case.dtype, checked.inputs, expected)
    for key in impl.call_for(row).keys(expected):
        if checked.outcome.ratios.get(key, 0.0) <= 1:
            continue
        entry = expected[key]
        primary = entry.primary if isinstance(entry, Lenient) else entry
        try:
            with np.errstate(all="ignore"):
                got, want = views(key, primary, checked.run.outputs)
            tol, magnitude = bounds(key)
        except (KeyError, Mismatch, ValueError):
            continue
        want = np.asarray(want)
        if np.asarray(got).shape != want.shape or want.dtype.kind not in "fiub":
            continue
        strict = magnitude.strict if isinstance(magnitude, tolerances.Tier) else magnitude
        with np.errstate(all="ignore"):
            allowed = tol.allowed(np.abs(np.where(np.isfinite(want), want, 0)), _magnitude_for(strict, want.shape))
        panel = _output_panel(key, got, want, allowed)
        if panel is not None:
            failure.outputs.append(panel)
    for key, value in {**checked.inputs.args, **checked.inputs.douts}.items():
        if len(failure.inputs) >= MAX_INPUTS:
            break
        if isinstance(value, np.ndarray) and value.size and value.dtype.kind == "f":
            plane, suffix, _ = _slice(value, 0)
            failure.inputs.append(Panel(f"input {key}{suffix} {value.shape}", np.asarray(plane, np.float64),
                                        None, False, key=key))
    return failure


def png(panel):
    """The panel drawn as a PNG, base64 (for ``<img src="data:image/png;base64,...">``): one cell
    per element, the worst one framed, the values written in the cells of a small slice."""
    import matplotlib as mpl
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    rows, cols = panel.data.shape
    cell = min(0.45, 3.6 / max(rows, cols))
    fig = Figure(figsize=(max(2.6, cols * cell + 1.4), max(1.5, rows * cell + 1.0)), dpi=90)
    ax = fig.add_subplot()
    data = np.ma.masked_invalid(panel.data)
    finite = np.abs(data.compressed()) if data.count() else np.zeros(1)
    if panel.diff:
        vmax = float(finite.max()) or 1.0
        cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="0.55")
        image = ax.imshow(data, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    else:
        cmap = mpl.colormaps["viridis"].with_extremes(bad="0.55")
        image = ax.imshow(data, cmap=cmap, interpolation="nearest")
    if rows * cols <= 36:
        for (r, c), value in np.ndenumerate(panel.data):
            ax.text(c, r, f"{value:.3g}", ha="center", va="center", fontsize=6,
                    color="black" if not np.isfinite(value) or abs(value) < 0.6 * (finite.max() or 1) else "white")
    if panel.mark is not None:
        r, c = panel.mark
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.4))
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="yellow", linewidth=1.2,
                               linestyle="--"))
    ax.set_xticks(range(0, cols, -(-cols // 8)))
    ax.set_yticks(range(0, rows, -(-rows // 8)))
    ax.tick_params(labelsize=6)
    fig.colorbar(image, ax=ax, shrink=0.9).ax.tick_params(labelsize=6)
    fig.tight_layout(pad=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")
