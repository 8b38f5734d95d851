"""Wall time of the verifier on a full module, on an idle machine and while another CPU-bound
process runs: ``refcheck MODULE`` (default refimpl, every function of the contract, the quick
profile), timed from the command line as a user would run it (torch's import included).

    python benchmarks/verify_timing.py [--module refimpl] [--repeats 3] [--load blas|python|none]

The load is one other process: ``blas`` multiplies 1500 x 1500 matrices in a loop with NumPy's
default thread pool (every core), ``python`` spins one core in pure Python. A benchmark, not a
test: it prints medians and never fails for timing.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADS = {
    "blas": "import numpy as np\na = np.ones((1500, 1500))\nwhile True:\n    a @ a",
    "python": "while True:\n    pass",
}


def time_refcheck(module, extra):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                              "MKL_NUM_THREADS")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "refcheck", module, *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"refcheck failed: {done.stderr[-2000:]}")
    return elapsed


def measure(module, repeats, load, extra):
    background = None
    if load != "none":
        background = subprocess.Popen([sys.executable, "-c", LOADS[load]], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let it start its threads
    try:
        return [time_refcheck(module, extra) for _ in range(repeats)]
    finally:
        if background is not None:
            background.kill()
            background.wait()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--module", default="refimpl")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--load", choices=["blas", "python", "none", "all"], default="all")
    p.add_argument("extra", nargs="*", help="more refcheck arguments (after --)")
    args = p.parse_args(argv)
    loads = ["none", "blas", "python"] if args.load == "all" else [args.load]
    print(f"refcheck {args.module} {' '.join(args.extra)}: wall seconds, median of {args.repeats} "
          f"({os.cpu_count()} cores)")
    for load in loads:
        times = measure(args.module, args.repeats, load, args.extra)
        label = {"none": "idle", "blas": "busy (a BLAS loop on every core)",
                 "python": "busy (one core spinning)"}[load]
        print(f"  {label:34} {statistics.median(times):6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times)})",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
