"""Hypotheses about the linear classifiers: the L2 term and its gradient with a coefficient other
than the contract's (reg * sum(W**2) in the loss, 2 * reg * W in dW)."""
import numpy as np

from ..mutants.classifiers import CLASSIFIERS, REG_MISTAKES
from . import Match, hypothesis


@hypothesis(*CLASSIFIERS)
def l2_coefficient(s):
    """loss = data loss + a * reg * sum(W**2) and dW = data gradient + b * reg * W, for the (a, b)
    of a known mistake: the data terms are the loss and gradient at reg = 0, so only the L2 term
    is read off the residual."""
    reg, W, n = s.args["reg"], s.args["W"].astype(np.float64), s.args["X"].shape[0]
    if not reg or not np.any(W):
        return None
    data = s.reference(reg=0.0)
    term, found = reg * np.sum(W * W), []
    for kind, (hint, loss_coef, grad_coef) in REG_MISTAKES.items():
        if "loss" in kind and loss_coef(n) != 1:
            want, key, what = data["loss"] + loss_coef(n) * term, "loss", f"{loss_coef(n):g} * reg * sum(W**2)"
        elif "gradient" in kind and grad_coef(n) != 2:
            want, key, what = data["dW"] + grad_coef(n) * reg * W, "dW", f"{grad_coef(n):g} * reg * W"
        else:
            continue
        if s.explains(key, want):
            found.append(Match(frozenset([key]), kind, hint,
                               f"residual: {key} - its data term (its value at reg = 0) = {what}"))
    return found
