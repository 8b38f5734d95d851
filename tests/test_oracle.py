"""The oracle is checked too: its gradients against central finite differences of its own values,
and the comparison against a tiny perturbation of each judged output (the harness can fail)."""
import copy

import numpy as np
import pytest

import refimpl
from refcheck.cases import Case
from refcheck.engine import Implementation, check_case
from refcheck import tolerances
from refcheck.judge import judge
from refcheck.registry import ROWS
from refcheck.tolerances import FD_STEP, FINITE_DIFFERENCES, GRADIENTS
from torch_oracle.views import primary

def small_case(row, token="seed1"):
    """Every size one step above the bottom of its range."""
    return Case("float64", token).with_({k: min(hi, lo + 1) for k, (lo, hi) in row.gen.sizes.items()})


def leaves(args):
    """The floating arrays among the arguments, by path: (name,) or, inside a dict argument such as
    multi-head attention's params, (name, key); with the name of the gradient the oracle gives."""
    for k, a in args.items():
        if isinstance(a, dict):
            for j, item in a.items():
                if isinstance(item, np.ndarray) and item.dtype.kind == "f":
                    yield (k, j), f"d{k}['{j}']", item
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            yield (k,), f"d{k}", a


def resolved(want, key, shape):
    """An expected entry as an array; a view is read with a zero actual (see oracle_gradients)."""
    return want({key: np.zeros(shape)})[1] if callable(want) else want


def oracle_gradients(row, inputs, expected):
    """The oracle's gradients by leaf path. A gradient given as a view (max pooling, where any
    tied maximum may take the gradient) is read with a zero actual: on tie-free inputs the view
    returns torch's gradient whatever the actual is."""
    grads = {}
    for path, name, a in leaves(inputs.args):
        if name not in expected:
            continue
        try:
            grads[path] = (name, resolved(primary(expected[name]), name, a.shape))
        except KeyError:  # a view of the implementation's own mask (dropout): not autograd
            continue
    return grads


# Each (generator, oracle) pair once, on a small float64 case (away from kinks and ties: random
# normal values). Chosen without calling the oracle: collection (in every xdist worker) stays cheap.
FD_ROWS = list({(r.gen.name, r.oracle): r for r in ROWS.values()}.values())


def objective(row, inputs):
    """The scalar whose gradient the oracle reports: the loss, or sum(out * dout) over outputs."""
    def f(args):
        expected = row.expected(type(inputs)(args, inputs.douts, inputs.sizes))
        if not inputs.douts:
            return float(resolved(primary(expected["loss"]), "loss", ()))
        return sum(float(np.sum(resolved(primary(expected[d[1:]]), d[1:], g.shape) * g))
                   for d, g in inputs.douts.items())
    return f


@pytest.mark.parametrize("row", FD_ROWS, ids=[r.name for r in FD_ROWS])
def test_oracle_gradients_match_finite_differences(row):
    inputs = row.gen(small_case(row))
    expected = row.expected(inputs)
    grads = oracle_gradients(row, inputs, expected)
    if not grads:  # nothing to differentiate: then the oracle gives no gradient at all
        assert not set(expected) & set(GRADIENTS), f"{row.oracle} gives {sorted(expected)}"
        return
    f = objective(row, inputs)
    for path, (name, grad) in grads.items():
        numeric = np.zeros(grad.shape)
        for i in np.ndindex(numeric.shape):
            args = {n: copy.deepcopy(a) for n, a in inputs.args.items()}
            leaf = args[path[0]] if len(path) == 1 else args[path[0]][path[1]]
            leaf[i] += FD_STEP
            up = f(args)
            leaf[i] -= 2 * FD_STEP
            numeric[i] = (up - f(args)) / (2 * FD_STEP)
        assert name in GRADIENTS
        np.testing.assert_allclose(grad, numeric, rtol=FINITE_DIFFERENCES.rtol,
                                   atol=FINITE_DIFFERENCES.atol, err_msg=f"{row.oracle} {name}")


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_comparison_catches_a_tiny_perturbation(name, dtype):
    row = ROWS[name]
    case = Case(dtype, "seed2").with_(small_case(row, "seed2").overrides)
    checked = check_case(Implementation(refimpl), row, case)
    assert checked.outcome.status == "pass", checked.outcome.message
    run, expected = checked.run, row.expected(checked.inputs)
    keys = row.call.keys(expected)
    assert keys, f"{name} judges nothing"
    for key in keys:  # each judged output perturbed on its own, the others left as they passed
        out = run.outputs[key]  # judged directly or through a view of it
        kept = out.copy()
        i = np.unravel_index(np.argmax(np.abs(out)), out.shape) if out.ndim else ()
        if out.dtype.kind == "f":  # twenty times what the tolerance allows there: tiny, and beyond it
            tol, magnitude = tolerances.Bounds(name, dtype, checked.inputs, expected)(key)
            if isinstance(magnitude, tolerances.Tier):
                magnitude = magnitude.lenient
            m = np.broadcast_to(np.asarray(magnitude, dtype=np.float64), out.shape)[i] if out.shape else magnitude
            out[i] += 20 * tol.allowed(abs(float(out[i])), float(np.max(m)))
        else:
            out[i] += 1
        outcome = judge(name, case, checked.inputs, run, expected, keys)
        assert outcome.status == "fail", f"a perturbed {key} passed"
        assert key in outcome.message
        out[...] = kept



EAGER_CASE = """
import numpy as np
rng = np.random.default_rng(1)
configs = {"sgd": dict(learning_rate=0.1), "sgd_momentum": dict(learning_rate=0.1, momentum=0.9),
           "sgd_nesterov": dict(learning_rate=0.1, momentum=0.9),
           "rmsprop": dict(learning_rate=0.1, decay_rate=0.9, epsilon=1e-8),
           "adagrad": dict(learning_rate=0.1, epsilon=1e-10),
           "adam": dict(learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=1e-8),
           "adamw": dict(learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.01)}
w, dws, schedule = rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 4)), np.linspace(0.1, 0.01, 5)
"""
EAGER_PROBE = EAGER_CASE + """
import sys
from torch_oracle import optim, training
out = {}
for r, c in configs.items():
    next_w, states = optim._run(r, w, dws, c, schedule)
    out[r + " next_w"] = next_w
    out.update({f"{r} {k}": v for k, v in states.items()})
out["lr_schedule"] = training.lr_schedule("StepLR", 6, 0.1, {"step_size": 2})["lr"]
np.savez(sys.argv[1], **out)
print("dynamo", "torch._dynamo" in sys.modules)
"""


def test_the_update_rules_oracles_run_torch_optim_without_importing_dynamo_and_get_the_same_values(tmp_path):
    """torch_oracle._eager: torch.optim's steps without its torch.compile wrappers (which import
    torch._dynamo, 2-3 s a process) give bit for bit what opt.step() gives here, wrappers and all,
    for every rule with a changing learning rate, and for a scheduler; run in a fresh process,
    where nothing else imports torch._dynamo (torchvision does)."""
    import subprocess
    import sys
    import warnings
    import torch
    from torch_oracle import optim
    saved = tmp_path / "eager.npz"
    done = subprocess.run([sys.executable, "-c", EAGER_PROBE, str(saved)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["dynamo", "False"], done.stdout
    eager = dict(np.load(saved))
    case = {}
    exec(EAGER_CASE, case)  # the probe's inputs
    w, dws, configs, schedule = case["w"], case["dws"], case["configs"], case["schedule"]
    for r, c in configs.items():
        p = torch.nn.Parameter(torch.tensor(w))
        opt = optim._optimizer(r, p, c)
        for i, g in enumerate(dws):
            opt.param_groups[0]["lr"] = float(schedule[i])
            p.grad = torch.tensor(g)
            opt.step()
            assert np.array_equal(eager[f"{r} next_w"][i], p.detach().numpy()), (r, i)
            for key, value in optim._contract_state(r, opt.state[p], opt.param_groups[0]["lr"]):
                assert np.array_equal(eager[f"{r} {key}"][i], torch.as_tensor(value, dtype=torch.float64).numpy())
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=2)
    lrs = [opt.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(6):
            opt.step()
            scheduler.step()
            lrs.append(opt.param_groups[0]["lr"])
    assert np.array_equal(eager["lr_schedule"], lrs)
