"""refimpl's fast layers beyond the generic check: the thread helper follows the thread settings
(serial under refcheck's one-thread pinning), threads change no bit of any result, and the
Winograd path (which the registry's small random cases do not reach: it starts at 32 channels)
passes the generic check on every conv case when it is forced on, in both dtypes, within the
calibration's headroom of the conv error model's Winograd term, whose sums are checked too."""
import dataclasses
import threading

import numpy as np
import pytest

import refimpl
from refcheck.calibration import HEADROOM
from refcheck.cases import Case
from refcheck.engine import Implementation, check_case, check_function
from refcheck.profiles import PROFILES, seeds_for
from refcheck.error_models import winograd
from refcheck.registry import ROWS
from refimpl import _threads
from refimpl import fast_layers as fl

THREAD_VARS = (_threads.ENV, *_threads.BLAS_ENV)


@pytest.fixture
def threads(monkeypatch):
    """Set the thread environment: threads(REFIMPL_NUM_THREADS=2, OMP_NUM_THREADS=None, ...)."""
    for var in THREAD_VARS:
        monkeypatch.delenv(var, raising=False)

    def set_(**env):
        for var, value in env.items():
            if value is None:
                monkeypatch.delenv(var, raising=False)
            else:
                monkeypatch.setenv(var, str(value))
    return set_


@pytest.mark.parametrize("env,expected", [
    ({"REFIMPL_NUM_THREADS": 3}, 3),
    ({"REFIMPL_NUM_THREADS": 2, "OMP_NUM_THREADS": 1}, 2),  # refimpl's own setting wins
    ({"OMP_NUM_THREADS": 1}, 1),                             # refcheck's pinning (refcheck.parallel)
    ({"OMP_NUM_THREADS": 4, "OPENBLAS_NUM_THREADS": 1}, 1),  # the tightest BLAS/OpenMP pin
    ({"OMP_NUM_THREADS": "3,1"}, 3),                         # nested OpenMP levels: the outer one
    ({"REFIMPL_NUM_THREADS": "zero", "MKL_NUM_THREADS": 2}, 2),  # unreadable values are ignored
    ({"REFIMPL_NUM_THREADS": 0, "OMP_NUM_THREADS": 1}, 1),
])
def test_thread_count_follows_the_environment(threads, env, expected):
    threads(**env)
    assert _threads.count() == expected


def test_thread_count_defaults_to_the_cpus_this_process_may_use(threads):
    assert _threads.count() == len(__import__("os").sched_getaffinity(0))


@pytest.mark.parametrize("n,elements,k", [(10, None, 4), (3, None, 3), (0, None, 1), (100, 10, 1),
                                          (100, 4 * _threads.MIN_ELEMENTS, 4), (7, 100 * _threads.MIN_ELEMENTS, 4)])
def test_parts_cover_the_range_once(threads, n, elements, k):
    threads(REFIMPL_NUM_THREADS=4)
    parts = _threads.parts(n, elements)
    assert len(parts) == k
    assert [i for s in parts for i in range(n)[s]] == list(range(n))


def test_one_thread_runs_every_part_in_the_calling_thread(threads):
    threads(OMP_NUM_THREADS=1)
    seen = []
    _threads.split(lambda s: seen.append((threading.get_ident(), s)), 8, 10 ** 9)
    assert seen == [(threading.get_ident(), slice(0, 8))]


def test_parts_run_on_worker_threads_and_errors_reach_the_caller(threads):
    threads(REFIMPL_NUM_THREADS=2)
    seen, barrier = set(), threading.Barrier(2, timeout=10)

    def part(s):
        barrier.wait()  # both parts at once: fails (BrokenBarrierError) if they ran one after the other
        seen.add(threading.get_ident())
        return s.start
    assert _threads.split(part, 10, 10 ** 9) == [0, 5]
    assert len(seen) == 2 and threading.get_ident() in seen

    def fails(s):
        if s.start:
            raise ZeroDivisionError("in a worker")
    with pytest.raises(ZeroDivisionError, match="in a worker"):
        _threads.split(fails, 10, 10 ** 9)


def _layers(dtype):
    """(name, call) for each fast path on inputs large enough to be split across threads."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 32, 24, 24)).astype(dtype)
    w3 = rng.standard_normal((32, 32, 3, 3)).astype(dtype)
    w5 = rng.standard_normal((16, 32, 5, 5)).astype(dtype)
    b = rng.standard_normal(32).astype(dtype)

    def conv(w, param):
        out, cache = refimpl.conv_forward_fast(x, w, b[:len(w)], param)
        return (out, *refimpl.conv_backward_fast(np.cos(out), cache)), cache[0]

    def pool(param):
        out, cache = refimpl.max_pool_forward_fast(np.round(x), param)  # rounded: ties
        return (out, refimpl.max_pool_backward_fast(np.cos(out), cache)), "pool"
    return [("winograd", lambda: conv(w3, {"stride": 1, "pad": 1})),
            ("im2col", lambda: conv(w5, {"stride": 2, "pad": 2})),
            ("im2col", lambda: conv(w5, {"stride": 1, "pad": 0})),
            ("pool", lambda: pool({"pool_height": 2, "pool_width": 2, "stride": 2})),
            ("pool", lambda: pool({"pool_height": 3, "pool_width": 3, "stride": 1}))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threads_change_no_bit_of_any_result(threads, monkeypatch, dtype):
    split = []
    monkeypatch.setattr(_threads, "run", lambda fn, slices, run=_threads.run: split.append(len(slices)) or run(fn, slices))
    for path, call in _layers(np.dtype(dtype)):
        threads(REFIMPL_NUM_THREADS=1)
        one, taken = call()
        assert taken == path
        threads(REFIMPL_NUM_THREADS=2)
        split.clear()
        two, _ = call()
        assert max(split) == 2, f"{path}: nothing was split across threads"
        for a, b in zip(one, two):
            np.testing.assert_array_equal(a, b, err_msg=path)


@pytest.fixture
def winograd_everywhere(monkeypatch):
    monkeypatch.setattr(fl, "WINOGRAD_MIN_CHANNELS", 1)


@pytest.mark.parametrize("name", ["conv_forward_fast", "conv_backward_fast"])
def test_winograd_passes_the_generic_check_on_every_conv_case(winograd_everywhere, monkeypatch, name):
    """The registry's conv cases (pads 0-2, odd and one-pixel outputs, N = 1) with every 3x3
    stride-1 one computed by Winograd: a strict pass in both dtypes, under the tolerance table."""
    gen = ROWS[name].gen.variant(HH=(3, 3), WW=(3, 3), stride=(1, 1))
    row = dataclasses.replace(ROWS[name], gen=gen)
    cases = gen.cases(20)
    for case in cases[:3]:
        inputs = gen(case)
        assert refimpl.conv_forward_fast(**inputs.args)[1][0] == "winograd", case
    monkeypatch.setitem(ROWS, name, row)
    report = check_function(Implementation(refimpl, "refimpl"), name, cases, strict=True)
    assert report.status == "pass", report.message
    assert report.cases == len(cases)


# where fast_layers turns to Winograd (32 channels in and out) on the quick profile; 128 channels
# (a 1152-term sum per output, and a minute of the model's sums per dtype) on the thorough one
MANY_CHANNELS = 128 if seeds_for() >= PROFILES["thorough"] else 32


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_winograd_error_keeps_the_calibration_headroom_at_many_channels(dtype):
    """Where the registry's few channels do not reach (C = F = MANY_CHANNELS), Winograd's error
    stays inside the calibration's headroom (worst / allowed <= HEADROOM: the allowed error is the
    conv model's, error_models/winograd.py's magnitude on these shapes)."""
    C = MANY_CHANNELS
    for name in ("conv_forward_fast", "conv_backward_fast"):
        gen = ROWS[name].gen.variant(C=(C, C), F=(C, C), HH=(3, 3), WW=(3, 3), stride=(1, 1),
                                     dh=(4, 8), dw=(4, 8))
        row = dataclasses.replace(ROWS[name], gen=gen)
        for i in range(3):
            checked = check_case(Implementation(refimpl, "refimpl"), row, Case(dtype, f"seed{i}"))
            assert refimpl.conv_forward_fast(**checked.inputs.args)[1][0] == "winograd"
            assert checked.outcome.status == "pass", checked.outcome.message
            assert 0 < checked.outcome.worst <= HEADROOM, (name, i, checked.outcome.ratios)


def test_winograd_needs_its_term_of_the_error_model(winograd_everywhere, monkeypatch):
    """The float64 one-sample case: dx[0, 0, 0, 1] is one product (the direct sums' whole magnitude)
    but Winograd computes it from a tile whose other terms cancel. Judged by the direct sums alone
    its rounding is beyond the calibration's headroom; with the Winograd term, well inside it."""
    name = "conv_backward_fast"
    gen = ROWS[name].gen.variant(HH=(3, 3), WW=(3, 3), stride=(1, 1))
    row = dataclasses.replace(ROWS[name], gen=gen)
    case = Case("float64", "one_sample")
    modeled = check_case(Implementation(refimpl, "refimpl"), row, case).outcome
    assert modeled.status == "pass" and modeled.ratios["dx"] <= HEADROOM, modeled.ratios
    monkeypatch.setattr(winograd, "applies", lambda *args: False)
    # another row: the memo keeps a row's model magnitudes per case (refcheck.expected.derived)
    direct = check_case(Implementation(refimpl, "refimpl"), dataclasses.replace(row), case).outcome
    assert direct.ratios.get("dx", direct.worst) > HEADROOM, direct


@pytest.mark.parametrize("pad,h,w", [(pad, h, w) for pad in (0, 1, 2, 3) for h, w in ((1, 5), (6, 7), (5, 4))
                                     if h + 2 * pad >= 3])
def test_winograd_error_model_with_signed_weights_is_the_convolution(pad, h, w):
    """error_models/winograd.py sums |weights| T over every tile; with the signed weights (EXACT,
    1 where r = i + p) and signed arrays the same sums are torch's convolution and its gradients:
    the tiles, the parities and both backward forms are laid out right."""
    import torch
    rng = np.random.default_rng(pad * 100 + h * 10 + w)
    x, wt = rng.standard_normal((2, 3, h, w)), rng.standard_normal((4, 3, 3, 3))
    xt, wtt = torch.tensor(x, requires_grad=True), torch.tensor(wt, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wtt, padding=pad)
    g = rng.standard_normal(out.shape)
    out.backward(torch.tensor(g))
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    np.testing.assert_allclose(winograd.forward(xp, wt, *out.shape[2:], t=winograd.EXACT), out.detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    forms = []
    _, dw = winograd.backward(xp, wt, g, pad, h, w, t=winograd.EXACT, combine=lambda *dx: forms.extend(dx))
    assert len(forms) == 2
    for dx in forms:
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, wtt.grad.numpy(), rtol=1e-12, atol=1e-12)
