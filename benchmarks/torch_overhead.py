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

Every row is first checked once on each side (first calls, lazy imports, and the oracle's
results, which both sides then read from the memo). Then, row by row, the two sides run back to
back, the order alternating between repeats; a side's time is the sum over rows of each row's
median over the repeats. (Interleaving whole passes instead let this shared 2-core machine's
slow spells of several seconds fall on one side: pass ratios of one run ranged 1.40 to 1.90.)
Threads are pinned to one (tiny arrays, as refcheck's workers). A benchmark, not a test: it never
fails.

Each side's time is also split in two: the time spent inside the implementation's own functions
(every function and static method the module defines is timed at its outermost call; the facade's
conversions count as refcheck's, autograd's backward through a forward-only function too) and the
rest, refcheck's own (cases, calls, tensors sent and received, oracle results, judging). The
last column is refcheck's own time on the torch module over its own time on the NumPy module.

Then the whole command, as a user runs it: ``refcheck <course fixture>`` against ``refcheck refimpl
--only <the rows it defines>``, each a fresh process (start-up, imports, the import probe, the
oracles computed once, the checks, the report), the two alternating, each side's median of
--runs runs.

    python benchmarks/torch_overhead.py [--repeats 5] [--seeds 20] [--runs 3] [--only facade,eecs498,cs231n-2025]
"""
import argparse
import functools
import inspect
import os
import subprocess
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


def torch_facade(clock):
    """refimpl's functions taking and returning tensors (dict arguments converted in place, so
    the state they carry behaves as refimpl's); ``clock`` times refimpl's functions alone."""
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
        setattr(module, name, wrap(clock.wrap(getattr(refimpl, name))))
    return module


class Clock:
    """Seconds spent inside the functions it wraps, at their outermost call (a function calling
    another wrapped one is timed once)."""

    def __init__(self):
        self.seconds, self.inside = 0.0, False

    def wrap(self, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            if self.inside:
                return fn(*args, **kwargs)
            self.inside, start = True, time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.inside = False
        return timed


def numpy_module(clock):
    """refimpl's functions, each timed by ``clock``."""
    module = types.ModuleType("refimpl_timed")
    module.np = np
    for name in refimpl.__all__:
        setattr(module, name, clock.wrap(getattr(refimpl, name)))
    return module


def time_module(module, clock):
    """``module`` with the functions and static methods defined in its own directory timed by
    ``clock`` (in place: a course file's classes imported from its sibling file too)."""
    here = os.path.dirname(os.path.abspath(module.__file__))

    def own(obj):
        try:
            return os.path.dirname(os.path.abspath(inspect.getfile(obj))) == here
        except TypeError:
            return False
    for name, value in list(vars(module).items()):
        if inspect.isfunction(value) and own(value):
            setattr(module, name, clock.wrap(value))
        elif inspect.isclass(value) and own(value) and not getattr(value, "_timed", False):
            for attr, member in list(vars(value).items()):
                if isinstance(member, staticmethod):
                    setattr(value, attr, staticmethod(clock.wrap(member.__func__)))
                elif inspect.isfunction(member) and attr == "forward":
                    setattr(value, attr, clock.wrap(member))
            value._timed = True
    return module


def seconds(impl, name, cases):
    """(total seconds, seconds inside the implementation) of checking ``name`` on ``cases``."""
    clock = impl.clock
    clock.seconds = 0.0
    start = time.perf_counter()
    check_function(impl, name, cases)
    return time.perf_counter() - start, clock.seconds


def measure(numpy_impl, torch_impl, names, seeds, repeats):
    """{side: (seconds, seconds inside the implementation)}, each the sum over ``names`` of the
    row's median repeat."""
    sides = {"numpy": numpy_impl, "torch": torch_impl}
    total = {k: [0.0, 0.0] for k in sides}
    for name in names:
        cases = list(ROWS[name].gen.cases(seeds))
        for impl in sides.values():
            seconds(impl, name, cases)  # warm-up
        times = {k: [] for k in sides}
        for r in range(repeats):
            for k in (("numpy", "torch") if r % 2 == 0 else ("torch", "numpy")):
                times[k].append(seconds(sides[k], name, cases))
        for k, runs in times.items():
            runs.sort()
            t, inside = runs[len(runs) // 2]
            total[k][0] += t
            total[k][1] += inside
    return total


FIXTURES = (("eecs498", "tests/fixtures/courses/eecs498/convolutional_networks.py"),
            ("cs231n-2025", "tests/fixtures/courses/cs231n_2025/rnn_layers_pytorch.py"))


def command_seconds(args):
    """Wall seconds of one ``refcheck`` command in a fresh process (its exit status must be 0)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "refcheck.cli", *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"refcheck {' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def end_to_end(path, names, runs, seeds):
    """(median seconds of ``refcheck refimpl --only names``, of ``refcheck path``), alternating."""
    times = {"numpy": [], "torch": []}
    commands = {"numpy": ["refimpl", "--only", ",".join(names), "--seeds", str(seeds)],
                "torch": [path, "--seeds", str(seeds)]}
    for r in range(runs):
        for k in (("numpy", "torch") if r % 2 == 0 else ("torch", "numpy")):
            times[k].append(command_seconds(commands[k]))
    return tuple(sorted(times[k])[len(times[k]) // 2] for k in ("numpy", "torch"))


def pairs(only):
    numpy_clock = Clock()
    numpy_impl = Implementation(numpy_module(numpy_clock), "refimpl")
    numpy_impl.clock = numpy_clock
    found = []
    if "facade" in only:
        clock = Clock()
        facade = Implementation(torch_facade(clock), "refimpl through tensors", options={"arrays": "torch"})
        facade.clock = clock
        found.append(("refimpl vs refimpl behind tensors (all rows)", numpy_impl, facade, list(ROWS), None))
    for key, path in FIXTURES:
        if key in only:
            clock = Clock()
            other = Implementation(time_module(load(os.path.join(ROOT, path)), clock), path)
            other.clock = clock
            names = [n for n in ROWS if other.defines(other.call_for(ROWS[n]).needs[-1])]
            found.append((f"refimpl vs {os.path.basename(path)} ({key}, {len(names)} rows)", numpy_impl, other, names,
                          path))
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seeds", type=int, default=20, help="randomized cases per dtype (default: the quick profile)")
    p.add_argument("--runs", type=int, default=3, help="runs of each whole refcheck command (0: none)")
    p.add_argument("--only", default="facade,eecs498,cs231n-2025")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, numpy {np.__version__}, 1 thread, {args.seeds} seeds per dtype, "
          f"each row's median of {args.repeats} interleaved repeats")
    print("| pair | NumPy module s (in its functions) | torch module s (in its functions) | ratio | target "
          "| refcheck's own: NumPy s, torch s, ratio |")
    print("|---|---|---|---|---|---|")
    found = pairs(args.only.split(","))
    for title, numpy_impl, torch_impl, names, _ in found:
        total = measure(numpy_impl, torch_impl, names, args.seeds, args.repeats)
        (a, a_in), (b, b_in) = total["numpy"], total["torch"]
        own_a, own_b = a - a_in, b - b_in
        print(f"| {title} | {a:.2f} ({a_in:.2f}) | {b:.2f} ({b_in:.2f}) | {b / a:.2f} | <= {TARGET}"
              f"{'' if b / a <= TARGET else ' (missed)'} | {own_a:.2f}, {own_b:.2f}, {own_b / own_a:.2f} |")
    commands = [(title, path, names) for title, _, _, names, path in found if path is not None]
    if args.runs > 0 and commands:
        print(f"\nThe whole command (fresh process each, median of {args.runs} alternating runs, {args.seeds} seeds):")
        print("| pair | refcheck refimpl --only ... s | refcheck <fixture> s | ratio | target |")
        print("|---|---|---|---|---|")
        for title, path, names in commands:
            a, b = end_to_end(path, names, args.runs, args.seeds)
            print(f"| {title} | {a:.1f} | {b:.1f} | {b / a:.2f} | <= {TARGET}{'' if b / a <= TARGET else ' (missed)'} |")


if __name__ == "__main__":
    main()
