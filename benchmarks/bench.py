"""refimpl's fast paths against PyTorch's CPU kernels, side by side in one process.

Each row times refimpl and torch on the same inputs (warm-up, then the median of several
repeats, interleaved, both with the same thread count) and prints time(refimpl) / time(torch): below 1,
refimpl is faster. For the convolutions it also prints refimpl's GFLOP/s (counted as im2col's
multiplies, so Winograd's rate is an effective one) against a GEMM peak measured here, and the
algorithm fast_layers chose. The network rows time one training step (forward, backward, SGD
update) of a convnet built from refimpl's fast layers against the same network in torch, after
checking that the two agree on the loss and every gradient (benchmarks/networks.py). A benchmark,
not a test: it never fails for timing (it exits with status 1 if a network disagrees with torch).

    python benchmarks/bench.py [--repeats 7] [--dtype float32 float64] [--only net,conv,nms,coco_map]
                               [--out bench-results.md] [--coco-images 5000] [--conv-algorithm im2col]
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

import networks
import refimpl
from refcheck.tolerances import DEFAULT as TOLERANCES
from refimpl import _threads

# ratio targets per group, the same for both dtypes unless a dict gives one per dtype; None: no target
TARGETS = {"net": {"float32": 1.5, "float64": 1.2}, "conv": {"float32": 1.5, "float64": 1.0}, "max_pool": 1.0,
           "batchnorm": 1.2, "softmax": 1.2, "nms": 2.0, "distances": 1.2}


def target(group, dtype, label=""):
    t = TARGETS[group]
    if group == "conv" and "3x3" not in label:
        return None  # the conv targets are for 3x3 kernels
    return t.get(dtype) if isinstance(t, dict) else t


def verdict(ratio, goal):
    return "-" if goal is None else f"<= {goal}{'' if ratio <= goal else ' (missed)'}"


def one_repeat(fn, min_time=0.05):
    """Seconds per call, over as many calls as fill ``min_time`` (at most 50)."""
    start, n = time.perf_counter(), 0
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or n >= 50:
            return elapsed / n


def paired_medians(fns, repeats, pause=0.15):
    """Median seconds per call of each function, their repeats interleaved so that whatever else
    the machine does in the meantime weighs on all of them alike. Between sides it pauses: after
    a call, OpenBLAS's and OpenMP's worker threads spin for a while, and without the pause one
    library's spinning threads would take the cores from the other's (measured: torch's stride-2
    conv took 85 ms instead of 7 when interleaved with NumPy back to back)."""
    for fn in fns:
        fn()  # warm-up
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            time.sleep(pause)
            t.append(one_repeat(fn))
    return [statistics.median(t) for t in times]


def gemm_peak(dtype, n=1024):
    a, b = np.ones((n, n), dtype), np.ones((n, n), dtype)
    return 2 * n**3 / paired_medians([lambda: a @ b], 5)[0] / 1e9


def conv_case(n, c, h, f, k, stride, pad, dtype):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((n, c, h, h)).astype(dtype), rng.standard_normal((f, c, k, k)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    param = {"stride": stride, "pad": pad}
    out_size = 1 + (h + 2 * pad - k) // stride
    dout = rng.standard_normal((n, f, out_size, out_size)).astype(dtype)

    def ours():
        _, cache = refimpl.conv_forward_fast(x, w, b, param)
        refimpl.conv_backward_fast(dout, cache)
        return cache[0]  # refimpl's own cache: the algorithm it chose

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)

    def theirs():
        F.conv2d(xt, wt, bt, stride=stride, padding=pad).backward(dt)

    flops = 3 * 2 * n * f * c * k * k * out_size * out_size  # forward, dx and dw
    return ours, theirs, flops


def pool_case(n, c, h, k, stride, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(dtype)
    param = {"pool_height": k, "pool_width": k, "stride": stride}
    out_size = 1 + (h - k) // stride
    dout = rng.standard_normal((n, c, out_size, out_size)).astype(dtype)

    def ours():
        _, cache = refimpl.max_pool_forward_fast(x, param)
        refimpl.max_pool_backward_fast(dout, cache)

    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    return ours, lambda: F.max_pool2d(xt, k, stride).backward(dt), None


def batchnorm_case(n, d, dtype):
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((n, d)).astype(dtype), rng.standard_normal((n, d)).astype(dtype)
    gamma, beta = np.ones(d, dtype), np.zeros(d, dtype)

    def ours():
        _, cache = refimpl.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        refimpl.batchnorm_backward_alt(dout, cache)

    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    dt = torch.tensor(dout)
    return ours, lambda: F.batch_norm(xt, None, None, gt, bt, training=True).backward(dt), None


def softmax_case(n, c, dtype):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, c)).astype(dtype), rng.integers(0, c, n)
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y)
    return lambda: refimpl.softmax_loss(x, y), lambda: F.cross_entropy(xt, yt).backward(), None


def nms_case(n, dtype):
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 800, (n // 20, 2))
    xy = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 8, (n, 2))
    wh = rng.uniform(20, 80, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(dtype)
    scores = rng.random(n).astype(dtype)
    bt, st = torch.tensor(boxes), torch.tensor(scores)
    return (lambda: refimpl.nms(boxes, scores, 0.5), lambda: torchvision.ops.nms(bt, st, 0.5), None)


def distances_case(n, m, d, dtype):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, d)).astype(dtype), rng.standard_normal((m, d)).astype(dtype)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    return lambda: refimpl.compute_distances(X, Y), lambda: torch.cdist(Xt, Yt), 2 * n * m * d


CASES = [
    ("conv", "conv fast fwd+bwd N=50 C=3 32x32 F=32 7x7 pad 3", lambda dt: conv_case(50, 3, 32, 32, 7, 1, 3, dt)),
    ("conv", "conv fast fwd+bwd N=50 C=3 32x32 F=32 3x3 pad 1", lambda dt: conv_case(50, 3, 32, 32, 3, 1, 1, dt)),
    ("conv", "conv fast fwd+bwd N=50 C=32 32x32 F=32 3x3 pad 1", lambda dt: conv_case(50, 32, 32, 32, 3, 1, 1, dt)),
    ("conv", "conv fast fwd+bwd N=64 C=64 16x16 F=64 3x3 pad 1", lambda dt: conv_case(64, 64, 16, 64, 3, 1, 1, dt)),
    ("conv", "conv fast fwd+bwd N=64 C=64 16x16 F=64 3x3 stride 2", lambda dt: conv_case(64, 64, 16, 64, 3, 2, 1, dt)),
    ("max_pool", "max-pool fast fwd+bwd N=50 C=32 32x32 2x2 stride 2", lambda dt: pool_case(50, 32, 32, 2, 2, dt)),
    ("max_pool", "max-pool fast fwd+bwd N=50 C=32 32x32 3x3 stride 2", lambda dt: pool_case(50, 32, 32, 3, 2, dt)),
    ("batchnorm", "batchnorm fwd+bwd 1024x4096", lambda dt: batchnorm_case(1024, 4096, dt)),
    ("softmax", "softmax loss + grad 4096x1000", lambda dt: softmax_case(4096, 1000, dt)),
    ("nms", "nms 2,000 boxes vs torchvision", lambda dt: nms_case(2000, dt)),
    ("nms", "nms 10,000 boxes vs torchvision", lambda dt: nms_case(10000, dt)),
    ("distances", "compute_distances 5000x3072 vs 500x3072 vs cdist", lambda dt: distances_case(5000, 500, 3072, dt)),
]


# ---- coco_map over a dataset beside torchmetrics (pycocotools backend) --------------------------
# A block of its own: the scene, the timing (refimpl: median of 3; torchmetrics: one run, as it
# takes a minute or two) and one table row per dtype.

COCO_TARGET = 0.1  # refimpl at least ten times faster than torchmetrics on the same scene


def coco_scene(n_images, dtype, per_image=100, classes=80, seed=0):
    """COCO-like images: 1-14 ground-truth boxes of every size (5% crowds), and per_image
    detections, half of them jittered copies of the ground truth and half random boxes."""
    rng = np.random.default_rng(seed)
    preds, targets = [], []
    for _ in range(n_images):
        g = int(rng.integers(1, 15))
        xy = rng.uniform(0, 500, (g, 2))
        gt = np.concatenate([xy, xy + np.exp(rng.uniform(np.log(4), np.log(300), (g, 2)))], axis=1)
        labels = rng.integers(0, classes, g)
        picked = rng.integers(0, g, per_image // 2)
        size = np.repeat(gt[picked, 2:] - gt[picked, :2], 2, axis=1)
        hits = gt[picked] + rng.normal(0, 0.1, (len(picked), 4)) * size
        hits[:, 2:] = np.maximum(hits[:, 2:], hits[:, :2])  # a jitter past the other corner: a zero-width box
        fxy = rng.uniform(0, 500, (per_image - len(picked), 2))
        false = np.concatenate([fxy, fxy + np.exp(rng.uniform(np.log(4), np.log(300), fxy.shape))], axis=1)
        preds.append(dict(boxes=np.concatenate([hits, false]).astype(dtype), scores=rng.random(per_image).astype(dtype),
                          labels=np.concatenate([labels[picked], rng.integers(0, classes, len(false))])))
        targets.append(dict(boxes=gt.astype(dtype), labels=labels, iscrowd=(rng.random(g) < 0.05).astype(np.int64)))
    return preds, targets


def coco_map_rows(n_images, dtypes, repeats=3):
    import contextlib
    import io
    import warnings
    from torchmetrics.detection import MeanAveragePrecision
    rows = []
    for dt in dtypes:
        preds, targets = coco_scene(n_images, np.dtype(dt))
        t_ours = statistics.median(_seconds(lambda: refimpl.coco_map(preds, targets)) for _ in range(repeats))
        tm_preds = [{k: torch.as_tensor(v) for k, v in p.items()} for p in preds]
        tm_targets = [{k: torch.as_tensor(v) for k, v in t.items()} for t in targets]

        def theirs():
            metric = MeanAveragePrecision(backend="pycocotools", iou_thresholds=np.linspace(0.5, 0.95, 10).tolist(),
                                          rec_thresholds=np.linspace(0.0, 1.0, 101).tolist())
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                metric.update(tm_preds, tm_targets)
                metric.compute()
        t_theirs = _seconds(theirs)
        ratio = t_ours / t_theirs
        rows.append(f"| coco_map {n_images:,} images x 100 detections vs torchmetrics (pycocotools) | {dt} | "
                    f"{1e3 * t_ours:.0f} | {1e3 * t_theirs:.0f} | {ratio:.3f} | <= {COCO_TARGET}"
                    f"{'' if ratio <= COCO_TARGET else ' (missed)'} | - |")
        print(rows[-1], flush=True)
    return rows


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---- one training step of a convnet, refimpl's fast layers against the same network in torch ----

def network_rows(dtypes, repeats):
    """Agreement first (a network that disagrees with torch is not timed), then the timing."""
    rows, agreed = [], True
    first = next(iter(networks.NETWORKS))
    runs = [(label, layers, True) for label, layers in networks.NETWORKS.items()]
    runs.append((first + ", torch skipping the input's gradient (no target: not the same work)",
                 networks.NETWORKS[first], False))
    for label, layers, input_grad in runs:
        for dt in dtypes:
            worst, where = networks.agreement(layers, np.dtype(dt), input_grad)
            bound = TOLERANCES[dt]["grad"].rtol
            check = f"{worst:.1e} ({where}) <= {bound:g}"
            if not worst <= bound:
                agreed = False
                rows.append(f"| {label} | {dt} | - | - | - | - | DISAGREES: {worst:.3g} in {where} > {bound:g} |")
                print(rows[-1], flush=True)
                continue
            t_ours, t_theirs = paired_medians(list(networks.steps(layers, np.dtype(dt), input_grad)), repeats)
            ratio = t_ours / t_theirs
            goal = target("net", dt) if input_grad else None
            rows.append(f"| {label} | {dt} | {1e3 * t_ours:.1f} | {1e3 * t_theirs:.1f} | {ratio:.2f} | "
                        f"{verdict(ratio, goal)} | {check} |")
            print(rows[-1], flush=True)
    return rows, agreed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    p.add_argument("--only", help="comma-separated groups: " + ", ".join(TARGETS) + ", coco_map")
    p.add_argument("--out", default="bench-results.md", help="also write the table here")
    p.add_argument("--coco-images", type=int, default=5000, help="images in the coco_map scene (group coco_map)")
    p.add_argument("--conv-algorithm", choices=["im2col", "winograd"],
                   help="fast_layers' algorithm wherever both apply (3x3, stride 1, pad <= 2, finite inputs) "
                        "whatever the channel counts, to compare the two on the same rows")
    args = p.parse_args(argv)
    if args.conv_algorithm:  # Winograd from 1 channel on, or never
        from refimpl import fast_layers
        fast_layers.WINOGRAD_MIN_CHANNELS = 1 if args.conv_algorithm == "winograd" else sys.maxsize
    threads = torch.get_num_threads()
    groups = set(args.only.split(",")) if args.only else set(TARGETS)
    peaks = {dt: gemm_peak(np.dtype(dt)) for dt in args.dtype}
    lines = [f"refimpl vs torch {torch.__version__} (CPU, {threads} threads; numpy {np.__version__}, "
             f"refimpl's fast layers {_threads.count()} threads), {platform.machine()}, {os.cpu_count()} cores; "
             f"median of {args.repeats}; load average at the start "
             + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
             "GEMM peak here: " + ", ".join(f"{dt} {g:.1f} GFLOP/s" for dt, g in peaks.items()), ""]
    print("\n".join(lines), flush=True)
    agreed = True
    if "net" in groups:
        head = [f"One training step (forward, backward, SGD update), N = {networks.INPUT[0]} images "
                f"{'x'.join(map(str, networks.INPUT[1:]))}; torch computes the input's gradient too, as "
                "CS231n's conv_backward_fast returns it; last column: the worst relative difference "
                "||refimpl - torch|| / ||torch|| over the loss and the gradients, within the tolerance "
                "table's gradient rtol", "",
                "| network | dtype | refimpl ms | torch ms | ratio | target | loss and gradients vs torch |",
                "|---|---|---|---|---|---|---|"]
        print("\n".join(head), flush=True)
        rows, agreed = network_rows(args.dtype, args.repeats)
        lines += head + rows + [""]
    if groups & {group for group, _, _ in CASES}:
        table = ["| case | dtype | refimpl ms | torch ms | ratio | target | refimpl GFLOP/s (% of GEMM peak) |",
                 "|---|---|---|---|---|---|---|"]
        print("\n".join(table), flush=True)
        lines += table
    for group, label, make in CASES:
        if group not in groups:
            continue
        for dt in args.dtype:
            ours, theirs, flops = make(np.dtype(dt))
            algorithm = ours() if group == "conv" else None
            t_ours, t_theirs = paired_medians([ours, theirs], args.repeats)
            ratio = t_ours / t_theirs
            rate = f"{flops / t_ours / 1e9:.1f} ({100 * flops / t_ours / 1e9 / peaks[dt]:.0f}%)" if flops else "-"
            if algorithm:
                rate += f", {algorithm}"
            line = (f"| {label} | {dt} | {1e3 * t_ours:.2f} | {1e3 * t_theirs:.2f} | {ratio:.2f} | "
                    f"{verdict(ratio, target(group, dt, label))} | {rate} |")
            lines.append(line)
            print(line, flush=True)
    if not args.only or "coco_map" in groups:
        lines += coco_map_rows(args.coco_images, args.dtype)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
