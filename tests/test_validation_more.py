"""What the bad-input table (refcheck/registry/bad_inputs/, run by tests/test_validation.py)
cannot express for the functions of "Detection, more" and "Pooling, upsampling, metrics and
schedules": the registry's lr_schedule call only ever passes whole steps, and a comparison with
the oracle sees neither the dtype of an empty index array nor whether a result shares memory
with an argument."""
import numpy as np
import pytest

import refimpl as r


@pytest.mark.parametrize("step", [1.5, -1, True, "1", float("nan")])
def test_schedule_step_must_be_a_whole_number(step):
    with pytest.raises(ValueError, match=rf"step must be a whole number >= 0, got {step!r}"):
        r.lr_schedule("StepLR", step, 0.1, step_size=2)


def test_schedule_step_as_a_whole_float():
    assert r.lr_schedule("StepLR", 4.0, 0.1, step_size=2) == r.lr_schedule("StepLR", 4, 0.1, step_size=2)


def test_batched_nms_of_no_boxes_gives_int64_indices():
    assert r.batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int), 0.5).dtype == np.int64
    assert r.batched_nms([], [], [], 0.5).dtype == np.int64


def test_clipped_gradients_are_new_arrays():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    for max_norm in (0.1, np.inf):  # clipping, and a factor of 1
        clipped, _ = r.clip_grad_norm(grads, max_norm)
        assert not any(np.shares_memory(c, g) for c, g in zip(clipped, grads))
