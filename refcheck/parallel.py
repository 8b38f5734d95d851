"""One BLAS/OpenMP/torch thread per process that checks cases: the arrays are tiny, so on a
machine with few cores thread pools only contend (measured: 2,000 small cases took 28 s with
-n 2 and default pools, 8.7 s with one thread per worker; one full module took 15-24 s in one
process while another CPU-bound process ran, 4.5-5 s with one thread, same verdicts).

The pools read these variables when NumPy and torch are first imported, so ``pin_threads`` must
run before that: the ``refcheck`` command and ``python -m refcheck.calibration`` call it before
importing anything else, the pytest plugin before the session imports NumPy, and worker
processes inherit the environment. If torch is already imported, its pool is resized too.
"""
import importlib.util
import multiprocessing
import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads(override=True):
    """One thread for this process and the ones it starts (``override=False`` keeps values the
    user set)."""
    for var in THREAD_VARS:
        if override:
            os.environ[var] = "1"
        else:
            os.environ.setdefault(var, "1")
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads") and os.environ["OMP_NUM_THREADS"] == "1":
        torch.set_num_threads(1)


pin_worker_threads = pin_threads  # the workers' name for it


# What the processes refcheck starts import once, in the server they are forked from: an isolated
# worker's modules (refcheck.isolate, the judge's side of a -n worker) and, when the process that
# starts the server has imported torch or asks for it (``refcheck -n``: its workers compute the
# oracles), torch and the oracles, which a torch module's isolated worker needs too. A spawned
# process paid 2-3 s for them, each one (each -n worker, each restart of an isolated worker after
# a crash or a time-out). A NumPy module's isolated worker, started by a process that has not
# imported torch, does not wait for it.
SERVER_PRELOAD = ["numpy", "numpy.lib.format", "refcheck.isolate", "refcheck.engine", "refcheck.courses",
                  "refcheck.loader", "refcheck.registry", "refcheck.run", "refcheck.batch", "refcheck.hints"]
TORCH_PRELOAD = ["torch", "torch_oracle"]


_serving = False  # this process has started its server (worker_context)


def serving():
    """Whether this process forks its workers from refcheck's server already."""
    return _serving


def worker_context(torch=None):
    """The multiprocessing context of every process refcheck starts (``-n`` workers, the batch
    mode's, isolated workers): a fresh process forked from one server per process
    (multiprocessing's forkserver, started by the first call) that imported SERVER_PRELOAD once
    and runs one BLAS/OpenMP/torch thread, whatever this process's environment; spawn where the
    platform has no forkserver. The server, not this process, is forked: its children inherit no
    thread pool, lock or state of this one. ``torch``: True, the server imports torch too; None,
    when this process has imported it; False, not even then (the server of a ``-n`` worker, which
    has torch for the oracles, whose isolated workers run a NumPy module)."""
    global _serving
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    preload = list(SERVER_PRELOAD)
    if torch is None:
        torch = "torch" in sys.modules
    if torch and importlib.util.find_spec("torch") is not None:
        preload += TORCH_PRELOAD + [f"torch_oracle.{m}" for m in _oracle_modules()]
    context.set_forkserver_preload(preload)  # read when the server starts, so by the first call only
    saved = {var: os.environ.get(var) for var in THREAD_VARS}
    try:
        os.environ.update({var: "1" for var in THREAD_VARS})
        from multiprocessing import forkserver
        forkserver.ensure_running()  # started (with this environment, importing in the background) if not running
        _serving = True
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    return context


def _oracle_modules():
    import pkgutil
    spec = importlib.util.find_spec("torch_oracle")
    return [m.name for m in pkgutil.iter_modules(spec.submodule_search_locations or [])] if spec else []
