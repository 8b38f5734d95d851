"""One BLAS/OpenMP/torch thread per worker process: on 2 cores, 2 workers with default thread
pools oversubscribe the machine (measured: 2,000 small cases took 28 s with -n 2 that way, 8.7 s
with one thread per worker). Set before the workers start: they read it when they import."""
import os

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_worker_threads(override=True):
    for var in THREAD_VARS:
        if override:
            os.environ[var] = "1"
        else:
            os.environ.setdefault(var, "1")
