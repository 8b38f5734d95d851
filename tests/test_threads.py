"""One BLAS/OpenMP/torch thread in refcheck's own process, in the processes it starts and in the
pytest plugin's (see refcheck.parallel): set before NumPy and torch start their pools."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNPINNED = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                               "MKL_NUM_THREADS", "PYTEST_XDIST_WORKER")}

PROBE = """
import os, sys
import refcheck.cli
assert "numpy" in sys.modules
import torch
print(os.environ["OMP_NUM_THREADS"], os.environ["OPENBLAS_NUM_THREADS"], torch.get_num_threads())
# the processes refcheck starts (-n, isolation) run one thread too, whatever this process's environment
from concurrent.futures import ProcessPoolExecutor
from refcheck.parallel import worker_context
os.environ["OMP_NUM_THREADS"] = "3"
with ProcessPoolExecutor(1, mp_context=worker_context()) as pool:
    print(pool.submit(os.getenv, "OMP_NUM_THREADS").result(), pool.submit(torch.get_num_threads).result())
"""


def run(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, env=UNPINNED,
                          timeout=300, **kw)


def test_the_refcheck_command_pins_one_thread_before_numpy_and_torch_start():
    result = run([sys.executable, "-c", PROBE])
    assert result.stdout.split() == ["1", "1", "1", "1", "1"], result.stderr[-2000:]


def test_the_pytest_plugin_pins_one_thread_with_impl(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text("import os\n\ndef test_one_thread():\n    import torch\n"
                     "    assert os.environ['OMP_NUM_THREADS'] == '1' and torch.get_num_threads() == 1\n")
    result = run([sys.executable, "-m", "pytest", "--impl", "refimpl", "-n", "0", "-q", "-p", "no:cacheprovider",
                  "--rootdir", str(tmp_path), str(probe), "-k", "test_one_thread"])  # not the checks beside it
    assert result.returncode == 0, result.stdout[-2000:]
