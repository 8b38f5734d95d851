"""Error models of refcheck.registry.detection_more: GIoU, DIoU and CIoU (the IoU's terms as
refcheck.error_models' box_iou, and those of the penalties), the GIoU loss and its gradient, and
the focal loss. batched_nms returns indices (exact) and coco_map's numbers have their overrides."""
import numpy as np

from ..tolerances import model

EPS = 1e-7  # torchvision's, in the DIoU / CIoU diagonal, CIoU's alpha and the GIoU loss


def _terms(b1, b2, paired=False):
    """The pieces of the IoU family for boxes1 (N, 4) against boxes2 (M, 4) (or row by row when
    ``paired``), as (N, M) arrays: the areas, the intersection, the union and the enclosing box.
    Corners are exact inputs: a width rounds once (relative), an area three times."""
    b1, b2 = (np.asarray(b, dtype=np.float64).reshape(-1, 4) for b in (b1, b2))
    a, b = (b1, b2) if paired else (b1[:, None, :], b2[None, :, :])
    area = lambda z: (z[..., 2] - z[..., 0]) * (z[..., 3] - z[..., 1])  # noqa: E731
    wh = np.clip(np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2]), 0, None)
    cwh = np.maximum(a[..., 2:], b[..., 2:]) - np.minimum(a[..., :2], b[..., :2])
    t = dict(a=a, b=b, area_a=area(a), area_b=area(b), inter=wh[..., 0] * wh[..., 1], wh=wh, cwh=cwh)
    t["union"] = t["area_a"] + t["area_b"] - t["inter"]
    t["enclosing"] = cwh[..., 0] * cwh[..., 1]
    t["computed"] = t["area_a"] + t["area_b"] + t["inter"]   # what the union's sum rounds
    return t


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _iou(t):
    """(IoU, its magnitude): I / U with U = A + B - I cancelling by at most (A + B + I) / U."""
    iou = _ratio(t["inter"], t["union"])
    return iou, iou * (4 + _ratio(t["computed"], t["union"]))


def _centre_term(t):
    """(d^2 / (c^2 + eps), its magnitude): the centres (x1 + x2) / 2 round at their own size, so
    their difference d carries that of both boxes' coordinates (far from the origin, d is small
    and its error is not); c^2 = w^2 + h^2 of the enclosing box rounds relatively."""
    a, b = t["a"], t["b"]
    d = (a[..., :2] + a[..., 2:]) / 2 - (b[..., :2] + b[..., 2:]) / 2
    carried = np.abs(a[..., :2]) + np.abs(a[..., 2:]) + np.abs(b[..., :2]) + np.abs(b[..., 2:]) + np.abs(d)
    d2 = (d * d).sum(axis=-1)
    c2 = (t["cwh"] ** 2).sum(axis=-1) + EPS
    term = d2 / c2
    return term, (2 * (np.abs(d) * carried).sum(axis=-1) + d2) / c2 + 3 * term


@model("generalized_box_iou", keys=("giou",),
       reason="IoU as box_iou's, minus (C - U) / C: the enclosing area C rounds relatively, and C - U "
              "cancels at the size of C and of the union's terms")
def _giou(a, e, u):
    t = _terms(a["boxes1"], a["boxes2"])
    _, m_iou = _iou(t)
    c = t["enclosing"]
    return {"giou": m_iou + _ratio(2 * c + t["computed"] + np.abs(c - t["union"]), c)}


@model("distance_box_iou", keys=("diou",),
       reason="IoU as box_iou's, minus d^2 / (c^2 + eps): the centres' difference carries the rounding "
              "of the coordinates' size (boxes far from the origin), c^2 rounds relatively")
def _diou(a, e, u):
    t = _terms(a["boxes1"], a["boxes2"])
    return {"diou": _iou(t)[1] + _centre_term(t)[1]}


@model("complete_box_iou", keys=("ciou",),
       reason="DIoU's, and alpha v with v = 4 / pi^2 (atan(w1 / h1) - atan(w2 / h2))^2: each aspect "
              "ratio rounds relatively (moving its atan by at most r / (1 + r^2) of it), the difference "
              "of the two angles at their size, and alpha = v / (1 - IoU + v + eps) at its terms'")
def _ciou(a, e, u):
    t = _terms(a["boxes1"], a["boxes2"])
    iou, m_iou = _iou(t)
    _, m_centre = _centre_term(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ra = (t["a"][..., 2] - t["a"][..., 0]) / (t["a"][..., 3] - t["a"][..., 1])
        rb = (t["b"][..., 2] - t["b"][..., 0]) / (t["b"][..., 3] - t["b"][..., 1])
    ta, tb = np.arctan(ra), np.arctan(rb)
    delta = ta - tb
    m_delta = 3 * (np.abs(ra) / (1 + ra * ra) + np.abs(rb) / (1 + rb * rb)) + np.abs(ta) + np.abs(tb) + np.abs(delta)
    k = 4 / np.pi ** 2
    v = k * delta ** 2
    m_v = 2 * k * np.abs(delta) * m_delta + 2 * v
    den = 1 - iou + v + EPS
    m_den = 1 + iou + m_iou + v + m_v
    m_alpha_v = 2 * v * m_v / den + v * v * m_den / den ** 2 + v * v / den
    return {"ciou": m_iou + m_centre + m_alpha_v}


def _mean(magnitudes, terms):
    """The magnitude of a mean of terms that carry ``magnitudes``: independent roundings add in
    quadrature (as refcheck.error_models.Run carries them), and the sum rounds at its terms' size."""
    return (np.sqrt((np.asarray(magnitudes) ** 2).sum()) + np.abs(terms).sum()) / max(np.size(terms), 1)


def _power(base, m, k, u):
    """How far base^k moves, in units of u, when base (>= 0) is off by u * m: to first order
    k base^(k-1) u m, but never more than (u m)^k where base is near 0 (1 - p_t = 0 exactly where
    the oracle's p rounds to 1, while the true power is tiny, not 0)."""
    if k == 0:
        return np.zeros(np.shape(base))
    d = u * m
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(base > 0, k * np.where(base > 0, base, 1.0) ** (k - 1) * m, np.inf if k < 1 else 0.0)
    nonlinear = d ** k / u
    return np.minimum(first, nonlinear) if k < 1 else first + k * nonlinear


def _selected(a, b):
    """1 where a takes part in max(a, b) (half of it at a tie: bounded by 1), else 0."""
    return (a >= b).astype(np.float64)


@model("generalized_box_iou_loss", keys=("loss", "dpred"),
       reason="the mean of 1 - GIoU (IoU = I / (U + eps), penalty (C - U) / (C + eps)) at its terms' "
              "size (the pairs' errors adding in quadrature), and its gradient: dI / U - I dU / U^2 and "
              "(dC - dU) / C - (C - U) dC / C^2, each term rounding at its size, the union's cancellation "
              "amplifying the first two")
def _giou_loss(a, e, u):
    t = _terms(a["pred"], a["target"], paired=True)
    p, g = t["a"], t["b"]
    n = len(p)
    overlap = (t["wh"] > 0).all(axis=-1)
    iw, ih = t["wh"][:, 0] * overlap, t["wh"][:, 1] * overlap
    inter = iw * ih
    union, c = t["area_a"] + t["area_b"] - inter + EPS, t["enclosing"] + EPS
    computed = t["area_a"] + t["area_b"] + inter
    iou, penalty = inter / union, (c - union) / c
    loss = 1 - iou + penalty
    m_iou = iou * (4 + computed / union)
    m_loss = m_iou + (2 * c + computed + np.abs(c - union)) / c + np.abs(loss)
    # |d/d(x1, y1, x2, y2)| of the intersection, the enclosing area and the predicted area
    cw, ch = t["cwh"][:, 0], t["cwh"][:, 1]
    pw, ph = p[:, 2] - p[:, 0], p[:, 3] - p[:, 1]
    d_inter = np.stack([ih * _selected(p[:, 0], g[:, 0]), iw * _selected(p[:, 1], g[:, 1]),
                        ih * _selected(-p[:, 2], -g[:, 2]), iw * _selected(-p[:, 3], -g[:, 3])], axis=1)
    d_encl = np.stack([ch * _selected(-p[:, 0], -g[:, 0]), cw * _selected(-p[:, 1], -g[:, 1]),
                       ch * _selected(p[:, 2], g[:, 2]), cw * _selected(p[:, 3], g[:, 3])], axis=1)
    d_area = np.abs(np.stack([ph, pw, ph, pw], axis=1))
    col = lambda z: z[:, None]  # noqa: E731
    m_d_iou = (d_inter / col(union) + col(inter) * (d_area + d_inter) / col(union) ** 2) * (2 + col(computed / union))
    m_d_pen = 2 * (d_encl + d_area + d_inter) / col(c) + d_encl * col(c + computed) / col(c) ** 2
    return {"loss": _mean(m_loss, loss), "dpred": (m_d_iou + m_d_pen) / n}


@model("sigmoid_focal_loss", keys=("loss", "dx"),
       reason="alpha_t (1 - p_t)^gamma BCE(x, t): the cross-entropy rounds at |x| (torch's (1 - t) x - "
              "log_sigmoid(x) cancels there), 1 - p_t is computed from p_t ~ 1 (an absolute error of u, which the "
              "power amplifies by gamma (1 - p_t)^(gamma - 1)), and p = sigmoid(x) carries u |x| of exp(-x); "
              "the elements' errors add in quadrature in the mean")
def _focal(a, e, u):
    x, t = np.asarray(a["x"], dtype=np.float64), np.asarray(a["targets"], dtype=np.float64)
    alpha, gamma = float(a.get("alpha", 0.25)), float(a.get("gamma", 2.0))
    n = max(x.size, 1)
    p, q = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))    # sigmoid(x) and 1 - it, each accurate
    hard = (t == 0) | (t == 1)      # then p_t is p or 1 - p
    soft = np.log1p(np.exp(-np.abs(x)))
    ce = np.maximum(x, 0) - x * t + soft
    # torch's BCE-with-logits is (1 - t) x - log_sigmoid(x): both terms and their difference round at
    # |x| (even for hard targets, where it cancels to the tail log1p(exp(-|x|)))
    m_ce = np.abs(x) * (1 + np.abs(t)) + soft * (1 + np.abs(x)) + np.abs(ce)
    m_p = p * q * np.abs(x) + p                                 # what p carries
    p_t = p * t + q * (1 - t)
    omp = q * t + p * (1 - t)                          # the true 1 - p_t (the oracle's may be 0)
    m_omp = np.abs(2 * t - 1) * m_p + q + np.abs(omp) + np.where(hard, 0.0, 2 + 2 * np.abs(p_t))
    modulating = omp ** gamma
    m_mod = _power(omp, m_omp, gamma, u) + modulating
    w = np.abs(alpha * t + (1 - alpha) * (1 - t)) if alpha >= 0 else np.ones_like(x)
    loss_el = w * ce * modulating
    m_el = w * (m_ce * modulating + ce * m_mod) + 2 * np.abs(loss_el)
    # dx = w ((p - t) M + ce dM) / n with dM = -gamma (1 - p_t)^(gamma - 1) p q (2 t - 1)
    pq, sign = p * q, np.abs(2 * t - 1)
    m_pq = pq * (2 + np.abs(x)) + p
    dM = gamma * omp ** (gamma - 1) * pq * sign if gamma else np.zeros_like(x)
    m_dM = (gamma * (_power(omp, m_omp, gamma - 1, u) * pq + omp ** (gamma - 1) * m_pq) * sign
            if gamma else np.zeros_like(x)) + dM
    m_pt = m_p + np.abs(t) + np.abs(p - t)
    term1, term2 = np.abs(p - t) * modulating, ce * dM
    m_dx = w * (m_pt * modulating + np.abs(p - t) * m_mod + m_ce * dM + ce * m_dM + term1 + term2) / n
    return {"loss": _mean(m_el, loss_el), "dx": m_dx}
