"""Courses and name maps: each course's files, written correctly, pass every function they define;
written with classic mistakes, each mistake is caught with its hint; the course is detected from
the names a module defines, --course, --map, pytest --map and [tool.refcheck] steer it."""
import copy
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
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
SIMCLR = ["sim", "sim_positive_pairs", "compute_sim_matrix", "simclr_loss_naive", "simclr_loss_vectorized"]
TRANSFORMER_2025 = ["positional_encoding", "multi_head_attention_forward", "multi_head_attention_backward",
                    "feed_forward_forward", "feed_forward_backward", "patch_embedding_forward", "patch_embedding_backward",
                    "transformer_encoder_layer_forward", "transformer_encoder_layer_backward",
                    "transformer_decoder_layer_forward", "transformer_decoder_layer_backward"]
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
    "eecs498/transformers.py": ("eecs498", ["scaled_dot_product_attention_forward",
                                            "scaled_dot_product_attention_backward", "multi_head_attention_forward",
                                            "multi_head_attention_backward"]),
    "cs231n_2025/transformer_layers.py": ("cs231n-2025", TRANSFORMER_2025),
    "cs231n_2025/contrastive_loss.py": ("cs231n-2025", SIMCLR),
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
    "scaled_dot_product_attention_forward": ("fail", "divided by d, not sqrt(d)"),
    "multi_head_attention_forward": ("error", None),  # the heads share one module: no heads.1.q.weight to set
}
RNN_2025_MISTAKES = {  # tests/fixtures/courses/cs231n_2025/rnn_layers_mistakes.py (broken graphs: test_tensors)
    "rnn_forward": ("fail", "right only to float32 precision"),
    "temporal_softmax_loss": ("fail", "divided by the number of unmasked steps"),
    "affine_forward": ("pass", None), "affine_backward": ("pass", None),
}
TRANSFORMER_2025_MISTAKES = {  # examples/cs231n_2025_transformer_layers.py
    "positional_encoding": ("fail", "a sine-cosine pair shares the exponent 2i"),
    "multi_head_attention_forward": ("fail", "scaled by 1 / sqrt(E), the model's width"),
    "multi_head_attention_backward": ("fail", "The forward's out already differs"),
    "feed_forward_forward": ("fail", "applies ReLU"), "feed_forward_backward": ("fail", "The forward's out already"),
    "patch_embedding_forward": ("fail", "flattened channel-last"),
}
SIMCLR_MISTAKES = {  # tests/fixtures/courses/cs231n_2025/contrastive_loss_mistakes.py
    "sim": ("pass", None), "compute_sim_matrix": ("pass", None), "sim_positive_pairs": ("error", None),
    "simclr_loss_naive": ("fail", "divided by N, the number of pairs"),
    "simclr_loss_vectorized": ("fail", "The denominator includes the sample itself"),
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
    ("examples/cs231n_2025_transformer_layers.py", TRANSFORMER_2025_MISTAKES),
    (os.path.join(FIXTURES, "cs231n_2025", "contrastive_loss_mistakes.py"), SIMCLR_MISTAKES),
    ("examples/interview/answers.py", INTERVIEW),
], ids=["eecs498-example", "eecs498-mistakes", "cs231n-2025-mistakes", "cs231n-2025-transformer-mistakes",
        "cs231n-2025-simclr-mistakes", "interview-example"])
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
    plugin_flags = [f.replace("--map", "--refcheck-map") for f in flags]
    result = subprocess.run([sys.executable, "-m", "pytest", "--impl", str(bare), *plugin_flags, "-q", "-p",
                             "no:cacheprovider", "-n", "0", "-rA", "refcheck/softmax_loss::float64-seed1",
                             "refcheck/lstm_step_forward::float64-saturated", "refcheck/lstm_step_forward::float32-saturated"],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    outcomes = {}
    for line in result.stdout.splitlines():
        found = re.match(r"(PASSED|FAILED|XFAIL) \S*refcheck/(\w+)::", line)
        if found:
            outcomes.setdefault(found.group(2), set()).add(found.group(1))
    # lstm_step_forward: one failure in full, its other failing case in a line (xfailed)
    assert outcomes == {"softmax_loss": {"PASSED"}, "lstm_step_forward": {"FAILED", "XFAIL"}}, result.stdout[-3000:]
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
            available |= {"device"}  # the plan passes the tensors' device where a signature takes one
            assert set(sig.args or ()) <= available, (course.name, name, sig, sorted(available))
            if bind.module is not None:  # arguments, or entries of dict arguments (params['Wq'])
                entries = {f"{k}['{sub}']" for k, a in args.items() if isinstance(a, dict) for sub in a}
                assert set(bind.module.params) <= set(args) | entries, (course.name, name)
            # EECS 498's attention returns its weights beside out: passed back, not judged (the contract has none)
            extra = set(sig.returns) - set(courses.contract_signature(ROWS[name].call).returns)
            assert extra <= ({"weights"} if name == "scaled_dot_product_attention_forward" else set()), (course.name, sig)
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


TRANSFORMER_EXAMPLE = os.path.join(ROOT, FIXTURES, "cs231n_2025", "transformer_layers.py")  # correct


def _inverted_mask_keeps_a_key(case):
    """A case whose attn_mask leaves every query a key and a blocked key (so does its inverse):
    there the inverted polarity is the mutant's output exactly; elsewhere a row it blocks wholly
    is NaN (masked_fill(-inf)), a failure without that hint."""
    mask = ROWS["multi_head_attention_forward"].gen(case).args.get("attn_mask")
    return mask is not None and bool(np.all(np.any(mask != 0, -1)) and np.all(np.any(mask == 0, -1)))


MODULE_MISTAKES = {  # a change to the correct example -> (row, which cases show it, status, a phrase of its hint)
    "mask_polarity": ([("attn_mask == 0", "attn_mask != 0")], "multi_head_attention_forward",
                      _inverted_mask_keeps_a_key, "fail", "attn_mask's polarity is inverted"),
    "heads_without_transpose": (
        [(".view(N, S, H, d).transpose(1, 2)", ".reshape(N, H, S, d)"),
         (".view(N, T, H, d).transpose(1, 2)", ".reshape(N, H, T, d)"),
         ("(weights @ v).transpose(1, 2).reshape(N, S, E)", "(weights @ v).reshape(N, S, E)")],
        "multi_head_attention_forward", lambda c: c.token == "three_heads", "fail", "The heads are split by reshaping"),
    "pe_not_sliced": ([("x + self.pe[:, :S, :]", "x + self.pe")], "positional_encoding",
                      lambda c: c.token == "seed0", "error", None),
    "mha_output_detached": ([("return self.proj(out)", "return self.proj(out.detach())")],
                            "multi_head_attention_backward", lambda c: c.token == "seed0", "error", None),
    "encoder_pre_norm": (
        [("src = self.norm_self(src + self.dropout_self(self.self_attn(src, src, src, attn_mask=src_mask)))",
          "src = src + self.dropout_self(self.self_attn(*[self.norm_self(src)] * 3, attn_mask=src_mask))"),
         ("return self.norm_ffn(src + self.dropout_ffn(self.ffn(src)))",
          "return src + self.dropout_ffn(self.ffn(self.norm_ffn(src)))")],
        "transformer_encoder_layer_forward", lambda c: c.seed is not None, "fail", "Each block is pre-norm"),
    "decoder_cross_attends_to_tgt": (
        [("self.cross_attn(tgt, memory, memory)", "self.cross_attn(tgt, tgt, tgt)")],
        "transformer_decoder_layer_forward", lambda c: c.seed is not None, "fail",
        "keys and values from the target sequence itself"),
    "decoder_mask_dropped": (
        [("self.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask)", "self.self_attn(tgt, tgt, tgt)")],
        "transformer_decoder_layer_forward", lambda c: c.token == "causal", "fail", "tgt_mask is not passed"),
    # the residual path cut off the graph, the rest still attached: wrong gradients (a fail), not a
    # broken graph (an error)
    "encoder_residual_detached": ([("return self.norm_ffn(src + ", "return self.norm_ffn(src.detach() + ")],
                                  "transformer_encoder_layer_backward", lambda c: c.seed is not None, "fail", None),
}


@pytest.mark.parametrize("mistake", list(MODULE_MISTAKES))
def test_transformer_layer_mistakes_made_in_the_correct_example_are_caught(mistake, tmp_path):
    """transformer_layers.py's classes are built, loaded with the case's weights by name and run
    in eval mode: a mistake in a module is judged as one in the contract's function, with its hint
    (an output that breaks the graph is an error that names the break)."""
    changes, name, shows, status, hint = MODULE_MISTAKES[mistake]
    source = open(TRANSFORMER_EXAMPLE).read()
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    module = tmp_path / "transformer_layers.py"
    module.write_text(source)
    checked = Implementation(load(str(module)), str(module))
    assert checked.plan.course.name == "cs231n-2025"
    cases = [c for c in ROWS[name].gen.cases(6) if shows(c)][:3]
    assert cases
    report = check_function(checked, name, cases)
    assert report.status == status, report.message
    if hint:
        assert report.hint and hint in report.hint, (report.hint, report.message)
    if mistake == "mha_output_detached":
        assert ".detach() at transformer_layers.py:" in report.message, report.message


def test_eecs498_attention_mask_is_true_where_blocked(tmp_path):
    """A5's no-loop attention gets the case's mask inverted (True = blocked) and is_causal as such a
    mask; a student who blocks where the mask is False fails with the hint in the course's words.
    Cases the course's function cannot take (no batch axis, a float mask, a scale, a query with no
    allowed key) are not judged, and say why."""
    source = open(os.path.join(ROOT, FIXTURES, "eecs498", "transformers.py")).read()
    assert "masked_fill(mask, -1e9)" in source
    module = tmp_path / "transformers.py"
    module.write_text(source.replace("masked_fill(mask, -1e9)", "masked_fill(~mask, -1e9)"))
    checked = Implementation(load(str(module)), str(module))
    assert checked.plan.course.name == "eecs498"
    name = "scaled_dot_product_attention_forward"
    cases = ROWS[name].gen.cases(5)
    report = check_function(checked, name, cases)
    assert report.status == "fail", report.message
    assert report.not_judged and report.cases + report.not_judged == len(cases)
    assert "the course's function takes (N, K, M) inputs" in report.not_judged_reason

    def inverse_keeps_a_key(case):  # elsewhere the inverted mask blocks a query wholly: uniform weights, no hint
        args = ROWS[name].gen(case).args
        mask = args.get("mask")
        return (args["q"].ndim == 3 and mask is not None and mask.dtype == bool
                and bool(np.all(np.any(~mask, -1)) and np.all(np.any(mask, -1))))
    shown = [c for c in ROWS[name].gen.cases(30) if inverse_keeps_a_key(c)]
    assert shown
    report = check_function(checked, name, shown)
    assert report.status == "fail" and report.hint and "True where blocked" in report.hint, (report.message, report.hint)
