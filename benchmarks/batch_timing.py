"""Wall time of the batch mode against separate runs: N made-up submissions (refcheck.mutants.
submissions), checked by one ``refcheck S1.py ... SN.py --summary results.csv`` (isolated, the
oracle's results computed once per case) and by N separate ``refcheck Si.py --isolate`` commands
(each importing torch and computing every oracle result again), timed from the command line.

    python benchmarks/batch_timing.py [--count 20] [-n 1]

A benchmark, not a test: it prints both times and their ratio, and checks that the two ways give
the same verdicts.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def refcheck(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "refcheck", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"refcheck {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=20)
    p.add_argument("-n", dest="workers", type=int, default=1, help="processes of the batch run")
    args = p.parse_args()
    from refcheck.mutants import submissions
    with tempfile.TemporaryDirectory() as tmp:
        paths = sorted(submissions.write(os.path.join(tmp, "subs"), args.count))
        batch = refcheck(*paths, "--summary", "results.csv", "--json-dir", "batch", "-n", str(args.workers), cwd=tmp)
        separate = 0.0
        for i, path in enumerate(paths):
            separate += refcheck(path, "--isolate", "--json", f"separate{i:02d}.json", cwd=tmp)
        for i, path in enumerate(paths):
            stem = os.path.splitext(os.path.basename(path))[0]
            with open(os.path.join(tmp, "batch", stem + ".json")) as f:
                one = {k: v["status"] for k, v in json.load(f)["functions"].items()}
            with open(os.path.join(tmp, f"separate{i:02d}.json")) as f:
                other = {k: v["status"] for k, v in json.load(f)["functions"].items()}
            if one != other:
                raise SystemExit(f"{stem}: the batch and a separate run disagree: {one} vs {other}")
    print(f"{args.count} submissions: batch (-n {args.workers}, oracle cache) {batch:.1f} s, "
          f"{args.count} separate runs {separate:.1f} s, ratio {separate / batch:.1f}x; same verdicts")


if __name__ == "__main__":
    main()
