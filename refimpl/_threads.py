"""The one place ``fast_layers`` splits work across cores.

NumPy releases the GIL inside its ufunc loops and copies, so Python threads running NumPy on
disjoint slices of an array run in parallel. ``parts`` cuts an axis into one slice per thread,
``run`` calls a function on each slice (the calling thread takes the first one) and returns when
all are done. Nothing is pinned globally: the thread count is read at every call.

What is never handed to these threads: a matrix product above a few hundred thousand
multiply-adds. OpenBLAS threads those itself, and two threaded products started from two threads
at once serialize on its level-3 lock (and corrupt each other's state in OpenBLAS releases without
the fix of OpenMathLib/OpenBLAS#5836), so fast_layers calls them from the calling thread only.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

# REFIMPL_NUM_THREADS wins; otherwise the tightest of the BLAS/OpenMP settings, so that a process
# pinned to one BLAS thread (refcheck's and pytest's workers: refcheck.parallel) runs serially.
ENV = "REFIMPL_NUM_THREADS"
BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MIN_ELEMENTS = 1 << 17  # fewer elements per thread: handing a part to a thread (~50 us) costs more than it saves

_pool = None
_pool_key = None
_lock = threading.Lock()


def _read(var):
    value = os.environ.get(var, "").split(",")[0].strip()  # OMP_NUM_THREADS may list nested levels
    return int(value) if value.isdigit() and int(value) > 0 else None


def count():
    """Threads the fast layers use: REFIMPL_NUM_THREADS, else the smallest of OMP_NUM_THREADS,
    OPENBLAS_NUM_THREADS and MKL_NUM_THREADS that is set, else the CPUs this process may use."""
    own = _read(ENV)
    if own is not None:
        return own
    pinned = [n for n in map(_read, BLAS_ENV) if n is not None]
    if pinned:
        return min(pinned)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parts(n, elements=None):
    """Slices cutting range(n) into one contiguous part per thread (fewer when each part would hold
    fewer than MIN_ELEMENTS of the ``elements`` the whole job touches; one when threads are off)."""
    k = min(count(), n)
    if elements is not None:
        k = min(k, elements // MIN_ELEMENTS)
    k = max(k, 1)
    bounds = [n * i // k for i in range(k + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def _executor(workers):
    global _pool, _pool_key
    key = (os.getpid(), workers)  # a forked child has none of its parent's threads: start anew
    with _lock:
        if _pool_key != key:
            if _pool is not None and _pool_key[0] == key[0]:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="refimpl")
            _pool_key = key
        return _pool


def run(fn, slices):
    """``[fn(s) for s in slices]``, the slices after the first on worker threads; the first
    exception raised is re-raised here once every call has finished."""
    if len(slices) <= 1:
        return [fn(s) for s in slices]
    pool = _executor(max(len(slices) - 1, count() - 1))
    futures = [pool.submit(fn, s) for s in slices[1:]]
    try:
        first = fn(slices[0])
    finally:
        wait(futures)  # every part is finished (or failed) before the caller reads or frees anything
    return [first, *(f.result() for f in futures)]


def split(fn, n, elements=None):
    """``run(fn, parts(n, elements))``: fn over one slice of range(n) per thread."""
    return run(fn, parts(n, elements))
