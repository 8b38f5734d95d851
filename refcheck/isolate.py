"""Isolation: the implementation under test runs in a worker process.

The process that generates cases, runs the oracle and judges (this one) never imports the user's
module. The worker imports it, runs each call and sends back plain data only: a JSON header and
NumPy arrays in .npy format, read here with ``allow_pickle=False``, so nothing the worker sends
can run code here. Each call has a time limit (the worker is killed and restarted when it is
exceeded) and the worker caps its data segment (RLIMIT_DATA) at what the module needed to import
plus a memory budget, so a huge allocation raises MemoryError there. A crash (a segfault through
ctypes, os._exit) ends only the worker: that call is an `error`, and the next one starts a new
worker. A torch implementation is no different: the worker converts the case's arrays to tensors
and its results back (refcheck.tensors), so tensors cross the process boundary as plain data;
the worker also resolves the module's plan (course, name map, arrays: refcheck.courses) and sends
it as data, from which this side builds the same calls without importing the module.

What this protects: the verdicts. Patching torch, numpy, builtins or refcheck itself in the
worker changes nothing the judge uses. What it does not: it is not a sandbox. The worker runs
with your user's rights, can read and write your files and use the network; run untrusted code
in a container or a VM as well.
"""
import builtins
import io
import json
import os
import random
import re
import resource
import signal
import struct
import sys
import warnings

import numpy as np

from .calls import Malformed, Run

DEFAULT_MEMORY_MB = 2048
MAX_MESSAGE = 1 << 30


class WorkerGone(Exception):
    pass


# ---- the worker side --------------------------------------------------------------------------

def _encode(header, arrays):
    """A JSON header and .npy blobs, length-prefixed: the only thing the worker ever sends."""
    blobs = []
    for key, arr in arrays.items():
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)  # any layout; 0-d stays 0-d
        blobs.append((key, buf.getvalue()))
    header = dict(header, arrays=[[k, len(b)] for k, b in blobs])
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + b"".join(b for _, b in blobs)


def _vm_bytes(field):
    match = re.search(rf"{field}:\s+(\d+) kB", open("/proc/self/status").read())
    return int(match.group(1)) * 1024 if match else 0


def _worker_main(conn, target, memory_mb, options=None):
    # Everything the worker needs is imported and bound before the module runs, and Python's
    # builtins are put back after it ran: a module patching them at import time (max, numpy's
    # lazily imported parts) must not break the worker that reports what its functions return.
    import numpy.lib.format  # noqa: F401
    import numpy.random  # noqa: F401
    from . import courses, engine, loader
    from .registry import ROWS
    seed_numpy, seed_python = np.random.seed, random.seed
    builtins_before = dict(vars(builtins))
    try:
        module = loader.load(target)
    except loader.ImportProblem as exc:
        conn.send_bytes(_encode({"import_error": str(exc)}, {}))
        return
    finally:
        vars(builtins).update(builtins_before)
    try:
        plan = courses.resolve_plan(module, user_file=module_file(module), **(options or {}))
    except ValueError as exc:
        conn.send_bytes(_encode({"plan_error": str(exc)}, {}))
        return
    names = [n for n in plan.names() if courses.defines(module, n)]
    get, seed_arrays = plan.getter(module), plan.arrays.seed
    devnull = os.open(os.devnull, os.O_WRONLY)  # the functions' own prints go nowhere
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = io.StringIO()
    if memory_mb:
        limit = _vm_bytes("VmData") + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    from .suggest import own_names
    # whether the module works in torch (a -n worker's server imports torch for its workers then)
    uses_torch = plan.arrays_name == "torch" or any(
        type(v) is type(np) and v.__name__.partition(".")[0] == "torch" for v in vars(module).values())
    conn.send_bytes(_encode({"names": names, "plan": plan.spec(), "own": own_names(module),
                             "torch": uses_torch}, {}))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        name, inputs, case_id = request
        row = ROWS[name]
        seed = engine.case_seed(name, case_id)  # as seed_global_random, with the functions bound early
        seed_numpy(seed)
        seed_python(seed)
        seed_arrays(seed)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run = plan.call(row)(get, inputs)
        except Malformed as exc:
            conn.send_bytes(_encode({"error": str(exc)}, {}))
            continue
        except (MemoryError, RuntimeError) as exc:
            if not isinstance(exc, MemoryError) and "can't allocate memory" not in str(exc):  # torch's allocator
                conn.send_bytes(_encode({"error": engine.describe_exception(exc, module_file(module))}, {}))
                continue
            conn.send_bytes(_encode({"error": f"{name} ran out of memory (over the {memory_mb} MB limit): "
                                              f"{engine.describe_exception(exc, module_file(module))}"}, {}))
            continue
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the implementation's failure is the verdict
            conn.send_bytes(_encode({"error": engine.describe_exception(exc, module_file(module))}, {}))
            continue
        conn.send_bytes(_encode({"untyped": sorted(run.untyped), "warnings": run.warnings,
                                 "violations": run.violations, "course": run.course, "note": run.note},
                                run.outputs))


def module_file(module):
    path = getattr(module, "__file__", None)
    return os.path.abspath(path) if path else None


# ---- the judging side -------------------------------------------------------------------------

def _decode(data):
    """Header and arrays from the worker's bytes; anything malformed is the worker's fault."""
    try:
        (n,) = struct.unpack_from("<Q", data)
        header = json.loads(data[8:8 + n].decode())
        arrays, offset = {}, 8 + n
        for key, size in header.get("arrays", []):
            arrays[str(key)] = np.load(io.BytesIO(data[offset:offset + size]), allow_pickle=False)
            offset += size
        return header, arrays
    except Exception as exc:  # noqa: BLE001 - a garbled message from the worker
        raise WorkerGone(f"the worker sent an unreadable message ({type(exc).__name__})") from None


def _how_it_ended(process):
    process.join(1)
    code = process.exitcode
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _context(torch=None):
    """A fresh process per worker, forked from a server that imported what it needs once (a
    spawned worker spends 1-3 s importing them, 2 more for torch: the batch mode starts one per
    submission, a crash or a time-out one more): refcheck.parallel.worker_context."""
    from .parallel import worker_context
    return worker_context(torch)


class IsolatedImplementation:
    """A module under test, run in a worker process (see the module docstring)."""

    def __init__(self, target, label=None, timeout=None, memory_mb=DEFAULT_MEMORY_MB, options=None, torch=None):
        """``torch``: whether the workers' server imports torch (refcheck.parallel.worker_context);
        ``uses_torch`` then says whether the module turned out to work in torch."""
        from .engine import DEFAULT_TIMEOUT
        self.target, self.label, self.options, self.torch = target, label or target, options, torch
        self.timeout, self.memory_mb = timeout or DEFAULT_TIMEOUT, memory_mb
        self.file = os.path.abspath(target) if target.endswith(".py") else None
        self.process = None
        self.names = self._start()

    def _start(self):
        from .loader import ImportProblem
        context = _context(self.torch)
        parent, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, self.target, self.memory_mb, self.options),
                                       daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        try:
            header, _ = self._receive(max(self.timeout, 60.0))
        except WorkerGone as exc:
            self.close()
            raise ImportProblem(f"cannot import {self.target}: the worker process {exc} while importing it") from None
        if "import_error" in header:
            self.close()
            raise ImportProblem(header["import_error"])
        if "plan_error" in header:
            self.close()
            raise ValueError(header["plan_error"])
        from .courses import Plan
        self.plan = Plan.from_spec(header["plan"])
        self.own_names = header.get("own", [])
        self.uses_torch = bool(header.get("torch"))
        return set(header["names"])

    def _receive(self, timeout):
        if not self.conn.poll(timeout):
            raise WorkerGone(f"did not answer within {timeout:g} s")
        try:
            return _decode(self.conn.recv_bytes(MAX_MESSAGE))
        except (EOFError, OSError):
            raise WorkerGone(_how_it_ended(self.process)) from None

    def defines(self, name):
        return name in self.names

    def call_for(self, row):
        return self.plan.call(row)

    def execute(self, row, inputs, case):
        """Run the row's call in the worker; returns a Run or an error message (see engine)."""
        from .engine import Fatal
        if self.process is None or not self.process.is_alive():
            self._start()
        try:
            self.conn.send((row.name, inputs, case.id))
            header, arrays = self._receive(self.timeout)
        except WorkerGone as exc:
            message = str(exc)
            self.close()
            if message.startswith("did not answer"):
                return Fatal(f"{row.name} did not return within {self.timeout:g} s (the worker was stopped)")
            return Fatal(f"{row.name} crashed the worker process: it {message}")
        except (BrokenPipeError, ConnectionError):
            # the worker died while this process was writing to it: read how it ended, then clean up
            how = _how_it_ended(self.process)
            self.close()
            return Fatal(f"{row.name} crashed the worker process: it {how}")
        if "error" in header:
            return str(header["error"])
        course, note = header.get("course"), header.get("note")
        return Run(outputs=arrays, untyped=set(header.get("untyped", [])),
                   warnings=[str(w) for w in header.get("warnings", [])],
                   violations=[str(v) for v in header.get("violations", [])],
                   course=str(course) if course is not None else None, note=str(note) if note is not None else None)

    def close(self):
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(5)
            self.process = None
