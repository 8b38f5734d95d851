"""Zero flakes: cases come from their ids alone, every process collects the same tests, and
refimpl stays NumPy-only."""
import os
import re
import subprocess
import sys

import numpy as np

from refcheck.cases import Case
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DIGEST = """
import hashlib, numpy as np
from refcheck.cases import seeds_for
from refcheck.registry import ROWS
h = hashlib.sha256()
def add(v):  # an array by its dtype, shape and bytes, also inside a dict (params) or a list
    if isinstance(v, np.ndarray) and v.dtype.kind != "O":
        h.update(f"{v.dtype}{v.shape}".encode())
        h.update(np.ascontiguousarray(v).tobytes())
    elif isinstance(v, dict):
        for k, item in v.items():
            h.update(repr(k).encode())
            add(item)
    elif isinstance(v, (list, tuple)):
        h.update(f"{type(v).__name__}{len(v)}".encode())
        for item in v:
            add(item)
    else:
        h.update(repr(v).encode())
for name, row in ROWS.items():
    for case in row.gen.cases(seeds_for()):
        inputs = row.gen(case)
        h.update(f"{name}-{case.id}".encode())
        for v in list(inputs.args.values()) + list(inputs.douts.values()):
            add(v)
print(h.hexdigest())
"""


def run(args, **env):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, **env})


def test_two_processes_build_identical_cases():
    digests = {run([sys.executable, "-c", DIGEST], PYTHONHASHSEED=seed).stdout for seed in ("1", "2")}
    assert len(digests) == 1 and len(digests.pop()) == 65


def test_same_case_ids_with_and_without_xdist():
    select = ["tests/test_reference.py", "-k", "relu_forward or compute_distances", "-p", "no:randomly"]
    serial = run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", *select])
    ids = {line for line in serial.stdout.splitlines() if "::test_case[" in line}
    parallel = run([sys.executable, "-m", "pytest", "-n", "2", "-rA", "-q", *select])
    ran = set(re.findall(r"PASSED (\S+::test_case\[\S+\])", parallel.stdout))
    assert parallel.returncode == 0, parallel.stdout[-2000:]
    assert ran == ids and len(ids) > 80


def test_float32_and_float64_cases_hold_the_same_values():
    for name, row in ROWS.items():
        a, b = row.gen(Case("float64", "seed4")), row.gen(Case("float32", "seed4"))
        for k, v in a.args.items():
            if isinstance(v, np.ndarray) and b.args[k].dtype == np.float32:
                np.testing.assert_array_equal(v.astype(np.float32), b.args[k], err_msg=f"{name} {k}")


def test_case_ids_round_trip():
    for case in [Case("float32", "seed3"), Case("float64", "ties", (("N", 1), ("d1", 2)), True)]:
        assert Case.parse(case.id) == case


def test_importing_refimpl_does_not_import_torch():
    code = "import sys, refimpl; print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'torchmetrics')))"
    assert run([sys.executable, "-c", code]).stdout.strip() == "[]"
