"""Oracles for gradient clipping and learning-rate schedules: torch.nn.utils and torch.optim.lr_scheduler.

- clip_grad_norm: ``clip_grad_norm_`` scales parameters' ``.grad`` in place; the adapter gives
  each gradient to its own parameter (float64 copies) and reads them back;
- lr_schedule: the scheduler built on an SGD optimizer (momentum 0.9, so that OneCycleLR can
  cycle it) with lr = base_lr, and stepped once per step after an (empty) optimizer step, as a
  training loop does; the learning rate is read from the optimizer's param group after each.
"""
import warnings

import numpy as np
import torch

from ._autograd import numpy, tensor
from ._eager import eager, step as eager_step


def clip_grad_norm(grads, max_norm):
    """``torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2)``: total_norm is its return
    value, grads[i] the i-th parameter's .grad after it."""
    params = [torch.nn.Parameter(torch.zeros(np.shape(g), dtype=torch.float64)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = tensor(g)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2)
    expected = {f"grads[{i}]": numpy(p.grad) for i, p in enumerate(params)}
    expected["total_norm"] = np.float64(total.item())
    return expected


def lr_schedule(name, steps, base_lr, kw):
    """``torch.optim.lr_scheduler.<name>(SGD([w], lr=base_lr, momentum=0.9), **kw)``: the learning
    rate before the first step and after each of ``steps`` scheduler steps, as ``lr``."""
    w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    with eager(), warnings.catch_warnings():
        opt = torch.optim.SGD([w], lr=base_lr, momentum=0.9)
        scheduler = getattr(torch.optim.lr_scheduler, name)(opt, **kw)
        lrs = [opt.param_groups[0]["lr"]]
        warnings.simplefilter("ignore")
        for _ in range(steps):
            eager_step(opt)
            scheduler.step()
            lrs.append(opt.param_groups[0]["lr"])
    return {"lr": np.array(lrs, dtype=np.float64)}
