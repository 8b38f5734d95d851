"""``refcheck --html``: the shipped example's report, rendered in headless Chromium as a person would
open it, shows the verdict table and one heat map per failing output, and no image is broken."""
import json
import os
import re
import shutil
import subprocess

import pytest

from refcheck import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "layers_with_mistakes.py")  # `make verify`'s default
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# appended to a copy of the page: after load, every image says whether it decoded
PROBE = """<script>window.addEventListener("load", () => { for (const img of document.images)
  img.setAttribute("data-decoded", img.complete && img.naturalWidth > 0 ? "yes" : "no"); });</script>"""


def failing_outputs(message):
    """The outputs a failure report names as wrong (``dx differs from the oracle: ...``)."""
    return set(re.findall(r"^  (\S+) (?:differs from the oracle|is non-finite where the oracle is finite)",
                          message, re.M))


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_the_examples_html_report_renders_with_a_heat_map_per_failing_output(tmp_path):
    pytest.importorskip("matplotlib")
    page, verdicts = tmp_path / "report.html", tmp_path / "report.json"
    assert cli.main([EXAMPLE, "--html", str(page), "--json", str(verdicts)]) == 1
    html = page.read_text()
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    functions = json.loads(verdicts.read_text())["functions"]
    rows = re.findall(r'<tr class="(\w+)"><td>(?:<a [^>]*>)?([\w]+)', dom)
    assert sorted(rows) == sorted((v["status"], k) for k, v in functions.items() if v["status"] != "missing")
    images = re.findall(r"<img [^>]*>", dom)
    assert images and all('data-decoded="yes"' in img for img in images)  # none broken
    failing = {k: v for k, v in functions.items() if v["status"] == "fail"}
    assert failing
    for name, verdict in failing.items():
        drawn = set(re.findall(rf'alt="heat map of {name} output (.+?): actual - expected"', dom))
        assert drawn == failing_outputs(verdict["message"]), name
