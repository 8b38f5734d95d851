"""``refcheck.check`` in a Jupyter kernel: on a module and on a function defined in a cell, the
cell displays the HTML verdict table (a heat map for the failure) and the same object prints as text."""
import os
import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CELLS = [
    "import torch\ntorch.set_num_threads(2)\nthreads = torch.get_num_threads()\n"
    "import refcheck, refimpl\nchecked = refcheck.check(refimpl, only='relu_forward,affine_forward', seeds=3)\nchecked",
    "import numpy as np\n\ndef my_relu(x):\n    out = np.where(x > 0, x, 0.01 * x)  # leaky: wrong\n    return out, x\n\n"
    "mine = refcheck.check(my_relu, as_='relu_forward', seeds=3)\nmine",
    "print(mine)",
    "import torch\nprint(torch.get_num_threads() == threads)",
]


def test_check_displays_the_html_table_in_a_kernel_and_prints_as_text(monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    module, function, printed, threads = (cell.outputs for cell in nb.cells)
    html = [o["data"]["text/html"] for o in module if o.output_type == "execute_result"][0]
    assert '<table class="verdicts">' in html
    assert all(f'<tr class="pass"><td>{n}</td>' in html for n in ("relu_forward", "affine_forward"))
    html = [o["data"]["text/html"] for o in function if o.output_type == "execute_result"][0]
    assert '<tr class="fail"><td><a href="#rc-relu_forward">relu_forward</a></td>' in html and "FAIL" in html
    assert 'alt="heat map of relu_forward output out: actual - expected" src="data:image/png;base64,' in html
    assert "repro: refcheck.check(my_relu, as_=&#x27;relu_forward&#x27;, case=&#x27;" in html  # a call, not a file
    text = "".join(o.get("text", "") for o in printed if o.output_type == "stream")
    assert re.search(r"\nrelu_forward +FAIL", text) and "relu_forward fails on case" in text
    assert "<" not in text.split("\n", 1)[1]  # plain text, no markup
    assert threads[0]["text"] == "True\n"  # the notebook's torch thread count is put back
