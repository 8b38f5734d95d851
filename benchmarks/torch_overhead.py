"""What checking a torch module costs against the same checks on a NumPy module, side by side in
one process (the modules imported and the oracles warmed up first; process start-up and the torch
import, the same for both, are left out).

Three pairs, each the same registry rows over the same cases:
- refimpl against refimpl behind a torch facade (every argument converted to NumPy and every
  result back to tensors around refimpl's own functions): refcheck's own cost for tensors, the
  implementation's arithmetic being the same;
- the EECS 498 A3 fixture (tests/fixtures/courses/eecs498/convolutional_networks.py: classes,
  torch arithmetic) against refimpl on the rows it defines;
- the CS231n 2025 fixture (rnn_layers_pytorch.py: forwards only, the backward rows through
  autograd) against refimpl on its rows.

Each side's time is the median of interleaved repeats of check_function over the rows. Threads are
pinned to one (tiny arrays, as refcheck's workers). A benchmark, not a test: it never fails.

    python benchmarks/torch_overhead.py [--repeats 3] [--seeds 20] [--only facade,eecs498,cs231n-2025]
"""
import argparse
import os
import statistics
import sys
import time
import types

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import refimpl  # noqa: E402
from refcheck.engine import Implementation, check_function  # noqa: E402
from refcheck.loader import load  # noqa: E402
from refcheck.registry import ROWS  # noqa: E402

TARGET = 1.5


def _to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, dict):
        for k, v in value.items():
            value[k] = _to_numpy(v)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    return value


def _to_torch(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, dict):
        for k, v in value.items():
            value[k] = _to_torch(v)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return value


def torch_facade():
    """refimpl's functions taking and returning tensors (dict arguments converted in place, so
    the state they carry behaves as refimpl's)."""
    module = types.ModuleType("refimpl_through_tensors")
    module.torch = torch

    def wrap(fn):
        def call(*args):
            args = [_to_numpy(a) for a in args]
            result = fn(*args)
            for a in args:
                if isinstance(a, dict):
                    _to_torch(a)
            return _to_torch(result)
        return call
    for name in refimpl.__all__:
        setattr(module, name, wrap(getattr(refimpl, name)))
    return module


def seconds(impl, names, seeds):
    start = time.perf_counter()
    for name in names:
        check_function(impl, name, ROWS[name].gen.cases(seeds))
    return time.perf_counter() - start


def pairs(only):
    numpy_impl = Implementation(refimpl, "refimpl")
    found = []
    if "facade" in only:
        facade = Implementation(torch_facade(), "refimpl through tensors", options={"arrays": "torch"})
        found.append(("refimpl vs refimpl behind tensors (all rows)", numpy_impl, facade, list(ROWS)))
    for key, path in (("eecs498", "tests/fixtures/courses/eecs498/convolutional_networks.py"),
                      ("cs231n-2025", "tests/fixtures/courses/cs231n_2025/rnn_layers_pytorch.py")):
        if key in only:
            other = Implementation(load(os.path.join(ROOT, path)), path)
            names = [n for n in ROWS if other.defines(other.call_for(ROWS[n]).needs[-1])]
            found.append((f"refimpl vs {os.path.basename(path)} ({key}, {len(names)} rows)", numpy_impl, other, names))
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seeds", type=int, default=20, help="randomized cases per dtype (default: the quick profile)")
    p.add_argument("--only", default="facade,eecs498,cs231n-2025")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, numpy {np.__version__}, 1 thread, {args.seeds} seeds per dtype, "
          f"median of {args.repeats} interleaved repeats")
    print("| pair | NumPy module s | torch module s | ratio | target |")
    print("|---|---|---|---|---|")
    for title, numpy_impl, torch_impl, names in pairs(args.only.split(",")):
        seconds(numpy_impl, names[:3], 1)
        seconds(torch_impl, names[:3], 1)  # warm-up: first calls, lazy imports
        times = {"numpy": [], "torch": []}
        for _ in range(args.repeats):
            times["numpy"].append(seconds(numpy_impl, names, args.seeds))
            times["torch"].append(seconds(torch_impl, names, args.seeds))
        a, b = statistics.median(times["numpy"]), statistics.median(times["torch"])
        print(f"| {title} | {a:.2f} | {b:.2f} | {b / a:.2f} | <= {TARGET}{'' if b / a <= TARGET else ' (missed)'} |")


if __name__ == "__main__":
    main()
