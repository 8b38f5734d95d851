"""The pytest plugin in somebody else's project: its options do not collide with other plugins', its
checks run beside the project's own tests, its ids name the function, and a bug gives one failure
per function (shrunk, with the hint), the function's other failing cases one line each. Runs
pytest in this process (pytester): no new interpreter, no second torch import."""
import os
import re
import textwrap
import importlib
import pkgutil
import xml.etree.ElementTree as ET

import numpy  # noqa: F401
import torch  # noqa: F401

import refcheck.hints  # noqa: F401
import refcheck.run  # noqa: F401
import torch_oracle

# pytester restores sys.modules after each in-process run: what the checks import must be imported
# before it, or the next run would import NumPy a second time
for _module in pkgutil.iter_modules(torch_oracle.__path__):
    importlib.import_module(f"torch_oracle.{_module.name}")

pytest_plugins = ("pytester",)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = "layers.py"  # the user's module, next to their tests (a copy of the shipped example)

# a plugin of its own, installed next to refcheck (a dist-info with a pytest11 entry point, as pip
# leaves it): it owns --profile, as pytest-profiling does, and --map
FAKE_PLUGIN = '''
def pytest_addoption(parser):
    parser.addoption("--profile", action="store_true", help="profile the tests (not refcheck's)")
    parser.addoption("--map", action="store", help="not refcheck's either")
'''
USER_TESTS = '''
def test_my_own(request):
    assert request.config.getoption("profile") is True  # the other plugin's option still works


def test_my_other():
    assert sum([1, 2]) == 3
'''


def install_fake_plugin(pytester):
    site = pytester.mkdir("site")
    (site / "fake_profiling.py").write_text(FAKE_PLUGIN)
    info = site / "fake_profiling-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-profiling\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nfake_profiling = fake_profiling\n")
    pytester.syspathinsert(site)


def outcomes(result):
    """nodeid -> PASSED/FAILED/XFAIL/SKIPPED from the -rA summary."""
    found = {}
    for line in result.outlines:
        m = re.match(r"(PASSED|FAILED|XFAIL|SKIPPED|ERROR) (\S+)", line)
        if m:
            found[m.group(2)] = m.group(1)
    return found


def test_checks_run_beside_the_users_tests_with_a_plugin_that_owns_profile(pytester):
    install_fake_plugin(pytester)
    pytester.makepyfile(test_mine=USER_TESTS)
    with open(os.path.join(ROOT, "examples", "layers_with_mistakes.py")) as f:
        pytester.makepyfile(layers=f.read())
    junit = pytester.path / "junit.xml"
    # no paths: pytest collects the folder's tests as usual, and the checks beside them
    result = pytester.runpytest_inprocess("--impl", EXAMPLE, "--profile", "-p", "no:cacheprovider", "-rA",
                                          f"--junitxml={junit}", "-k", "my_own or softmax_loss or relu_forward")
    found = outcomes(result)
    assert found.get("test_mine.py::test_my_own") == "PASSED", result.stdout.str()[-3000:]
    assert "test_mine.py::test_my_other" not in found  # -k applies to both kinds alike
    softmax = {k: v for k, v in found.items() if k.startswith("refcheck/softmax_loss::")}
    # one failure with the shrunk case and the hint; the function's other failing cases are xfailed
    assert list(softmax.values()).count("FAILED") == 1 and "XFAIL" in softmax.values(), softmax
    assert "PASSED" in softmax.values()
    text = result.stdout.str()
    # the report in full once; the short summary repeats a failure's message (in full when pytest
    # runs on CI, where it truncates nothing), so the count is of the failures' section
    failures = text.split("short test summary info")[0]
    assert failures.count("hint: The scores are exponentiated without subtracting") == 1
    assert re.search(r"softmax_loss fails on case float\d\d-\S+-simple", text)  # shrunk
    assert "repro: " in text and "the shrunk case and hint: refcheck/softmax_loss::" in text
    assert {v for k, v in found.items() if k.startswith("refcheck/relu_forward::")} == {"PASSED"}
    classes = {c.get("classname") for c in ET.parse(junit).getroot().iter("testcase")}
    assert {"refcheck.softmax_loss", "refcheck.relu_forward", "test_mine"} <= classes
    assert result.ret == 1

    # a path given: its tests run and --impl is not ignored; a check's node id selects that check
    result = pytester.runpytest_inprocess("--impl", EXAMPLE, "--profile", "-p", "no:cacheprovider", "-rA",
                                          "test_mine.py", "refcheck/relu_backward::float64-exact_zeros",
                                          "--refcheck-strict")
    found = outcomes(result)
    assert found == {"test_mine.py::test_my_own": "PASSED", "test_mine.py::test_my_other": "PASSED",
                     "refcheck/relu_backward::float64-exact_zeros": "FAILED"}, result.stdout.str()[-3000:]
    text = " ".join(result.stdout.str().replace("\\\n", " ").split())  # failures are wrapped to 80 columns
    assert "warnings are failures under --refcheck-strict" in text and "exactly 0" in text
    assert "--only relu_backward --case float64-exact_zeros" in text


def test_options_are_a_group_in_their_own_namespace(pytester):
    install_fake_plugin(pytester)
    result = pytester.runpytest_inprocess("--help")
    assert result.ret == 0
    text = result.stdout.str()
    section = text.split("refcheck: verify an implementation", 1)[1].split("\n\n", 1)[0]
    for option in ("--refcheck-impl=PATH, --impl=PATH", "--refcheck-profile", "--refcheck-strict, --impl-strict",
                   "--refcheck-map=NAME=FUNCTION,..., --impl-map"):
        assert option in section, section
    assert "--profile " not in section and "--map=" not in section.replace("-map=", "")


def test_a_module_defining_nothing_of_the_contract_is_exit_2_not_all_skipped(pytester):
    module = pytester.makepyfile(renamed=textwrap.dedent('''
        import numpy as np

        def my_softmax(x, y):
            return 0.0, np.zeros_like(x)
    '''))
    result = pytester.runpytest_inprocess("--impl", str(module), "-p", "no:cacheprovider", "-k", "softmax_loss")
    assert result.ret == 2
    text = result.stdout.str() + result.stderr.str()
    assert "defines none of the functions looked for" in text and "my_softmax ~ softmax_loss" in text
    assert "--refcheck-map my_softmax=softmax_loss" in text
