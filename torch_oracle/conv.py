"""Oracles for convolution and max pooling (NCHW)."""
import itertools

import numpy as np
import torch.nn.functional as F

from ._autograd import autograd


def conv(x, w, b, conv_param, dout):
    """``F.conv2d(x, w, b, stride, padding)``: a cross-correlation, same layouts as the contract
    (sizes given as whole floats such as 2.0, which the contract allows, are passed as ints)."""
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    return autograd(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=pad),
                    dict(x=x, w=w, b=b), ("out",), (dout,))


def max_pool(x, pool_param, dout):
    """``F.max_pool2d(x, (pool_height, pool_width), stride)``. torch sends a window's gradient to
    its first maximum in row-major order; the contract lets it go to any one of tied maxima, so
    dx is judged against the closest such assignment when x has ties. A NaN is its window's
    maximum (torch's forward propagates it; its backward sends the gradient to the last NaN of
    the window): the NaNs of a window are its tied maxima.
    """
    ph, pw, stride = (int(pool_param[k]) for k in ("pool_height", "pool_width", "stride"))
    expected = autograd(lambda x: F.max_pool2d(x, (ph, pw), stride=stride), dict(x=x), ("out",), (dout,))
    torch_dx = expected["dx"]
    expected["dx"] = lambda a: (a["dx"], closest_tie_assignment(x, dout, ph, pw, stride, a["dx"], torch_dx))
    return expected


def _windows(h_out, w_out, ph, pw, stride):
    for i, j in itertools.product(range(h_out), range(w_out)):
        yield i, j, slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)


def closest_tie_assignment(x, dout, ph, pw, stride, actual, torch_dx, max_choices=4096):
    """The dx closest to ``actual`` among those sending each window's gradient to one of its maxima.

    Planes without ties (all of them for continuous random data) keep torch's dx. In a plane with
    ties, windows whose tie sets share positions form a component; each component's choices are
    enumerated (up to ``max_choices``, else torch's choice stays) and the one nearest to
    ``actual`` in the max norm is kept.
    """
    actual = np.asarray(actual, dtype=np.float64)
    if actual.shape != np.shape(x):
        return torch_dx
    x = np.asarray(x, dtype=np.float64)
    h_out, w_out = dout.shape[2:]
    result = torch_dx.copy()
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        plane, fixed, ambiguous = x[n, c], np.zeros(x.shape[2:]), []
        for i, j, rows, cols in _windows(h_out, w_out, ph, pw, stride):
            window = plane[rows, cols]
            top = np.isnan(window) if np.isnan(window).any() else window == window.max()
            ties = [(rows.start + r, cols.start + s) for r, s in zip(*np.nonzero(top))]
            if len(ties) == 1:
                fixed[ties[0]] += dout[n, c, i, j]
            else:
                ambiguous.append((float(dout[n, c, i, j]), ties))
        if not ambiguous:
            continue
        for component in _components(ambiguous):
            grads, tie_sets = zip(*component)
            if np.prod([len(t) for t in tie_sets], dtype=float) > max_choices:
                choices = [[t[0] for t in tie_sets]]
            else:
                choices = itertools.product(*tie_sets)
            cells = sorted({p for t in tie_sets for p in t})
            best, best_err = None, np.inf
            for choice in choices:
                trial = {p: 0.0 for p in cells}
                for g, p in zip(grads, choice):
                    trial[p] += g
                err = max(abs(actual[n, c][p] - fixed[p] - trial[p]) for p in cells)
                if err < best_err:
                    best, best_err = trial, err
            for p in cells:
                fixed[p] += best[p]
        result[n, c] = fixed
    return result


def _components(windows):
    """Group (gradient, tie positions) windows that share positions, transitively."""
    groups = []
    for window in windows:
        cells = set(window[1])
        merged = [g for g in groups if g[0] & cells]
        for g in merged:
            groups.remove(g)
            cells |= g[0]
        groups.append((cells, [w for g in merged for w in g[1]] + [window]))
    return [members for _, members in groups]
