"""Courses and name maps: each course's files, written correctly, pass every function they define;
written with classic mistakes, each mistake is caught with its hint; the course is detected from
the names a module defines, --course, --map, pytest --map and [tool.refcheck] steer it."""
import copy
import json
import os
import subprocess
import sys
import textwrap

import pytest

from refcheck import cli, courses
from refcheck.calls import Backward, Signature
from refcheck.cases import Case
from refcheck.course_data import COURSES
from refcheck.engine import Implementation, check_function
from refcheck.loader import load
from refcheck.registry import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join("tests", "fixtures", "courses")

RNN_2025 = ["affine_forward", "affine_backward", "rnn_step_forward", "rnn_step_backward", "rnn_forward",
            "rnn_backward", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
            "word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
            "temporal_affine_backward", "temporal_softmax_loss"]
FC = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "svm_loss",
      "dropout_forward", "dropout_backward", "sgd", "sgd_momentum", "rmsprop", "adam", "affine_relu_forward",
      "affine_relu_backward"]
CONV = FC + ["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "spatial_batchnorm_forward",
             "spatial_batchnorm_backward", "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
             "max_pool_backward_naive", "conv_forward_fast", "conv_backward_fast", "max_pool_forward_fast",
             "max_pool_backward_fast", "affine_bn_relu_forward", "affine_bn_relu_backward", "conv_relu_forward",
             "conv_relu_backward", "conv_relu_pool_forward", "conv_relu_pool_backward", "conv_bn_relu_forward",
             "conv_bn_relu_backward", "conv_bn_relu_pool_forward", "conv_bn_relu_pool_backward"]
CORRECT = {
    "cs231n_2025/rnn_layers_pytorch.py": ("cs231n-2025", RNN_2025),
    "eecs498/fully_connected_networks.py": ("eecs498", FC),
    "eecs498/convolutional_networks.py": ("eecs498", CONV),
    "eecs498/linear_classifier.py": ("eecs498", ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
                                                 "softmax_loss_vectorized"]),
    "eecs498/rnn_lstm_captioning.py": ("eecs498", ["rnn_step_forward", "rnn_step_backward", "rnn_forward",
                                                   "rnn_backward", "lstm_step_forward", "lstm_step_backward",
                                                   "lstm_forward", "lstm_backward", "word_embedding_forward",
                                                   "word_embedding_backward", "temporal_softmax_loss"]),
    "eecs498/one_stage_detector.py": ("eecs498", ["nms"]),
}


def run_cli(tmp_path, path, *args):
    out = tmp_path / "verdicts.json"
    code = cli.main([path, "--json", str(out), *args])
    return code, json.loads(out.read_text())


def verdicts_of(path, names, seeds=5, **options):
    """The engine's reports, in this process (the CLI around it is tested once, below)."""
    impl = Implementation(load(os.path.join(ROOT, path)), path, options=options)
    return impl, {n: check_function(impl, n, ROWS[n].gen.cases(seeds)) for n in names}


# Five randomized cases per dtype plus every edge case: the rows themselves are proven on refimpl
# by the whole profile; here the course's calls are. convolutional_networks.py star-imports
# fully_connected_networks.py, whose functions the other fixture's test checks.
SEEDS = ["--seeds", "5"]
ALSO_CHECKED = {"eecs498/convolutional_networks.py": FC}


@pytest.mark.parametrize("fixture", list(CORRECT))
def test_a_course_file_written_correctly_passes_every_function_it_defines(fixture):
    course, names = CORRECT[fixture]
    impl, reports = verdicts_of(os.path.join(FIXTURES, fixture),
                                [n for n in names if n not in ALSO_CHECKED.get(fixture, ())])
    assert impl.plan.course.name == course
    assert sorted(n for n, row in ROWS.items() if impl.defines(impl.call_for(row).needs[-1])) == sorted(names)
    assert {n: r.status for n, r in reports.items()} == {n: "pass" for n in reports}, \
        {n: r.message for n, r in reports.items() if r.status != "pass"}


EECS_EXAMPLE = {  # examples/eecs498_fully_connected.py: function -> (status, a phrase of its hint)
    "affine_forward": ("pass", None), "relu_forward": ("pass", None), "relu_backward": ("pass", None),
    "affine_backward": ("fail", "db averages dout over the batch"),
    "dropout_forward": ("fail", "in EECS 498 Dropout's p is the probability of dropping"),
    "dropout_backward": ("fail", "The forward's out already differs"),
    "adam": ("fail", "No bias correction"), "sgd": ("pass", None), "sgd_momentum": ("pass", None),
    "rmsprop": ("pass", None), "affine_relu_forward": ("pass", None), "affine_relu_backward": ("fail", None),
}
EECS_MISTAKES = {  # tests/fixtures/courses/eecs498/mistakes.py
    "conv_forward_naive": ("fail", "The kernel is flipped"),
    "batchnorm_forward": ("fail", "unbiased batch variance"),
    "svm_loss_vectorized": ("fail", "summed over the batch, not averaged"),
    "lstm_step_forward": ("fail", "i, f, g, o (torch's order)"), "lstm_forward": ("fail", "i, f, g, o"),
    "lstm_backward": ("fail", "The forward's h already differs"),
    "word_embedding_backward": ("error", None), "nms": ("fail", "dropped at IoU == threshold"),
    "conv_backward_naive": ("pass", None), "max_pool_backward_naive": ("pass", None), "rnn_forward": ("pass", None),
}
RNN_2025_MISTAKES = {  # tests/fixtures/courses/cs231n_2025/rnn_layers_mistakes.py (broken graphs: test_tensors)
    "rnn_forward": ("fail", "right only to float32 precision"),
    "temporal_softmax_loss": ("fail", "divided by the number of unmasked steps"),
    "affine_forward": ("pass", None), "affine_backward": ("pass", None),
}
INTERVIEW = {  # examples/interview/answers.py, mapped by examples/interview/pyproject.toml
    "softmax_loss": ("pass", None), "compute_distances": ("pass", None),
    "lstm_step_forward": ("fail", "i, f, g, o (torch's order)"),
    "lstm_step_backward": ("fail", "The forward's next_h already differs"),
}


@pytest.mark.parametrize("path,expected", [
    ("examples/eecs498_fully_connected.py", EECS_EXAMPLE),
    (os.path.join(FIXTURES, "eecs498", "mistakes.py"), EECS_MISTAKES),
    (os.path.join(FIXTURES, "cs231n_2025", "rnn_layers_mistakes.py"), RNN_2025_MISTAKES),
    ("examples/interview/answers.py", INTERVIEW),
], ids=["eecs498-example", "eecs498-mistakes", "cs231n-2025-mistakes", "interview-example"])
def test_each_classic_mistake_is_caught_with_its_hint(path, expected):
    _, reports = verdicts_of(path, list(expected), settings=options_for(path))
    for name, (status, hint) in expected.items():
        got = reports[name]
        assert got.status == status, (name, got.message)
        if hint:
            assert got.hint and hint in got.hint, (name, got.hint, got.message)


def options_for(path):
    return cli.plan_options(os.path.join(ROOT, path))["settings"]


def test_course_is_detected_from_names_and_overridden(tmp_path, capsys):
    detect = lambda p: courses.detect_course(load(os.path.join(ROOT, FIXTURES, p)))
    assert detect("eecs498/fully_connected_networks.py") == ("eecs498", "defines hello_fully_connected_networks")
    assert detect("cs231n_2025/rnn_layers_pytorch.py")[0] == "cs231n-2025"
    assert detect("cs231n_2025/rnn_layers_mistakes.py")[0] == "cs231n-2025"  # by its forwards without backwards
    assert courses.detect_course(load(os.path.join(ROOT, "examples", "layers_with_mistakes.py")))[0] == "cs231n"
    # a module without the course's markers, its classes alone identify it
    plain = tmp_path / "layers.py"
    plain.write_text("class Linear:\n    @staticmethod\n    def forward(x, w, b):\n"
                     "        return x.reshape(x.shape[0], -1) @ w + b, (x, w)\n")
    assert courses.detect_course(load(str(plain)))[0] == "eecs498"
    # --course overrides: as plain CS231n names, the EECS classes are not what the contract calls
    _, verdicts = run_cli(tmp_path, os.path.join(FIXTURES, "eecs498", "fully_connected_networks.py"),
                          "--course", "cs231n", "--seeds", "2", "--only", "affine_forward,sgd")
    assert verdicts["functions"]["affine_forward"]["status"] == "missing"
    assert verdicts["functions"]["sgd"]["status"] == "pass"
    assert "course cs231n (" in capsys.readouterr().err  # the report says which course it used
    assert cli.main([str(plain), "--course", "no-such-course"]) == 2
    assert "unknown course 'no-such-course'" in capsys.readouterr().err


def test_name_maps_on_the_command_line_and_in_pytest(tmp_path, capsys):
    answers = "examples/interview/answers.py"
    flags = ["--map", "cross_entropy=softmax_loss -> loss,lstm_cell=lstm_step_forward -> next_h, next_c",
             "--map", "pairwise_distances=compute_distances"]
    bare = tmp_path / "answers.py"  # the same file away from its pyproject.toml: nothing maps it
    bare.write_text(open(os.path.join(ROOT, answers)).read())
    mapped = ["softmax_loss", "compute_distances", "lstm_step_forward", "lstm_step_backward"]
    _, reports = verdicts_of(str(bare), mapped)
    assert {r.status for r in reports.values()} == {"missing"}
    code, verdicts = run_cli(tmp_path, str(bare), *flags, *SEEDS, "--only", ",".join(mapped))
    assert code == 1 and {n: f["status"] for n, f in verdicts["functions"].items()} == {
        "softmax_loss": "pass", "compute_distances": "pass", "lstm_step_forward": "fail", "lstm_step_backward": "fail"}
    assert cli.main([str(bare), "--map", "cross_entropy=no_such_function"]) == 2
    assert "no_such_function is not a contract function" in capsys.readouterr().err
    result = subprocess.run([sys.executable, "-m", "pytest", "--impl", str(bare), *flags, "-q", "-p", "no:cacheprovider",
                             "-n", "0", "-rA", "-k", "(softmax_loss and seed1) or (lstm_step_forward and saturated)"],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    outcomes = {}
    for line in result.stdout.splitlines():
        if line.startswith(("PASSED", "FAILED")) and "test_case[" in line:
            outcomes.setdefault(line.split("test_case[")[1].split("-")[0], set()).add(line.split()[0])
    assert outcomes == {"softmax_loss": {"PASSED"}, "lstm_step_forward": {"FAILED"}}, result.stdout[-3000:]
    assert result.returncode == 1 and "i, f, g, o (torch's order)" in result.stdout


def test_pyproject_sets_the_course_and_the_map(tmp_path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "homework"

        [tool.refcheck]
        course = "cs231n-2025"

        [tool.refcheck.map]
        my_affine = "affine_forward"
    """))
    (tmp_path / "hw").mkdir()
    module = tmp_path / "hw" / "answers.py"
    module.write_text("import torch\n\ndef my_affine(x, w, b):\n    return x.reshape(x.shape[0], -1) @ w + b\n")
    plan = Implementation(load(str(module)), options=cli.plan_options(str(module))).plan
    assert plan.course.name == "cs231n-2025" and plan.name_map == {"my_affine": "affine_forward"}
    settings = cli.plan_options(str(module))["settings"]
    _, reports = verdicts_of(str(module), ["affine_forward"], settings=settings)
    # the map's spec takes the contract's results (out, cache); the file returns out alone
    assert reports["affine_forward"].status == "error"
    (tmp_path / "pyproject.toml").write_text('[tool.refcheck.map]\nmy_affine = "affine_forward -> out"\n')
    code, verdicts = run_cli(tmp_path, str(module), *SEEDS, "--only", "affine_forward,affine_backward")
    assert code == 0 and {f["status"] for f in verdicts["functions"].values()} == {"pass"}


def test_module_targets_report_what_they_cannot_set(tmp_path):
    module = tmp_path / "rnn_lstm_captioning.py"
    module.write_text(textwrap.dedent("""
        import torch
        from torch import nn

        def hello_rnn_lstm_captioning():
            pass

        class WordEmbedding(nn.Module):
            def __init__(self, vocab_size, embed_size):
                super().__init__()
                self.W_embed = nn.Parameter(torch.randn(embed_size, vocab_size))  # transposed

            def forward(self, x):
                return self.W_embed.T[x]

        class LSTM(nn.Module):
            def __init__(self, input_dim, hidden_dim):
                super().__init__()
                self.Wx = nn.Parameter(torch.randn(input_dim, 4 * hidden_dim))
                self.Wh = nn.Parameter(torch.randn(hidden_dim, 4 * hidden_dim))
                self.b = nn.Parameter(torch.zeros(4 * hidden_dim))
                self.scale = nn.Parameter(torch.ones(1))  # a parameter of its own

            def forward(self, x, h0):
                return x
    """))
    _, reports = verdicts_of(str(module), ["word_embedding_forward", "lstm_forward"])
    assert reports["word_embedding_forward"].status == "error"
    assert "WordEmbedding.W_embed has shape (" in reports["word_embedding_forward"].message
    assert "LSTM has parameters the case cannot set: scale" in reports["lstm_forward"].message


def test_the_course_data_names_contract_functions_and_their_arguments():
    from refcheck.mutants import MUTANTS, all_mutants
    all_mutants()
    for course in COURSES.values():
        for name in course.binds:
            assert name in ROWS, f"{course.name} binds {name}, which is not a contract function"
            bind = course.bind(name)
            sig = Signature.parse(bind.call)
            inputs = ROWS[name].gen(Case("float64", "seed1"))
            args = bind.convert(copy.deepcopy(inputs.args)) if bind.convert else inputs.args
            available = set(args) - (set(bind.module.params) if bind.module else set())
            if isinstance(ROWS[name].call, Backward):  # a backward takes the upstream gradients and the cache
                available = set(inputs.douts) | {"cache"}
            assert set(sig.args or ()) <= available, (course.name, name, sig, sorted(available))
            if bind.module is not None:
                assert set(bind.module.params) <= set(args), (course.name, name)
            assert set(sig.returns) <= set(courses.contract_signature(ROWS[name].call).returns), (course.name, sig)
        for mutant in course.hints:
            assert mutant in MUTANTS, f"{course.name} words a hint for {mutant}, which is no mutant"


def test_eecs498_relu_backward_passing_the_gradient_at_zero_is_a_warning(tmp_path):
    """EECS 498 students commonly write ReLU.backward as dx[x < 0] = 0, which passes the gradient
    where x is exactly 0: with tensors as with arrays, a pass with API.md's warning (any value in
    [0, 1] is a subgradient there), a failure under --strict; a mask that is wrong elsewhere fails."""
    from torch_oracle.layers import RELU_AT_ZERO
    source = open(os.path.join(ROOT, FIXTURES, "eecs498", "fully_connected_networks.py")).read()
    assert "dx = dout * (x > 0)" in source
    for mask, verdict in (("dx = dout.clone()\n        dx[x < 0] = 0", "warn"), ("dx = dout * (x < 0)", "fail")):
        module = tmp_path / f"fully_connected_networks_{verdict}.py"
        module.write_text(source.replace("dx = dout * (x > 0)", mask))
        checked = Implementation(load(str(module)), str(module))
        assert checked.plan.course.name == "eecs498" and checked.plan.arrays_name == "torch"
        cases = ROWS["relu_backward"].gen.cases(5)
        report = check_function(checked, "relu_backward", cases)
        if verdict == "warn":
            assert report.status == "pass" and report.warnings == [RELU_AT_ZERO], (report.message, report.warnings)
            assert check_function(checked, "relu_backward", cases, strict=True).status == "fail"
            # Linear_ReLU.backward runs the same mask: no case puts a pre-activation at exactly 0
            assert check_function(checked, "affine_relu_backward", ROWS["affine_relu_backward"].gen.cases(5)).status == "pass"
        else:
            assert report.status == "fail", report.message
