"""One BLAS/OpenMP/torch thread per process that checks cases: the arrays are tiny, so on a
machine with few cores thread pools only contend (measured: 2,000 small cases took 28 s with
-n 2 and default pools, 8.7 s with one thread per worker; one full module took 15-24 s in one
process while another CPU-bound process ran, 4.5-5 s with one thread, same verdicts).

The pools read these variables when NumPy and torch are first imported, so ``pin_threads`` must
run before that: the ``refcheck`` command and ``python -m refcheck.calibration`` call it before
importing anything else, the pytest plugin before the session imports NumPy, and worker
processes inherit the environment. If torch is already imported, its pool is resized too.
"""
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
