"""refimpl is strict: bad input raises ValueError naming the argument and the shapes involved."""
import numpy as np
import pytest

import refimpl as r

f = np.zeros
x23, y2 = f((2, 3)), np.array([0, 1])
img = f((1, 2, 4, 4))

BAD = [
    ("affine_forward w rows", lambda: r.affine_forward(f((2, 3, 2)), f((5, 4)), f(4)), r"w .*\(6, 4\).*\(5, 4\)"),
    ("affine_forward b", lambda: r.affine_forward(x23, f((3, 4)), f(3)), r"b .*\(4,\).*\(3,\)"),
    ("affine_forward x scalar", lambda: r.affine_forward(f(()), f((1, 1)), f(1)), r"x .*\(\)"),
    ("affine_backward dout", lambda: r.affine_backward(f((2, 5)), r.affine_forward(x23, f((3, 4)), f(4))[1]),
     r"dout .*\(2, 4\).*\(2, 5\)"),
    ("relu_backward dout", lambda: r.relu_backward(f((3, 2)), r.relu_forward(x23)[1]), r"dout .*\(2, 3\).*\(3, 2\)"),
    ("softmax_loss y range", lambda: r.softmax_loss(x23, np.array([0, 3])), r"y must lie in \[0, 3\)"),
    ("softmax_loss y float", lambda: r.softmax_loss(x23, np.array([0.0, 1.0])), r"y .*integer"),
    ("softmax_loss x rank", lambda: r.softmax_loss(f(3), y2), r"x must be 2-D.*\(3,\)"),
    ("svm_loss y length", lambda: r.svm_loss(x23, np.array([0, 1, 2])), r"y .*\(2,\).*\(3,\)"),
    ("svm_loss negative label", lambda: r.svm_loss(x23, np.array([-1, 0])), r"y must lie"),
    ("batchnorm mode", lambda: r.batchnorm_forward(x23, f(3), f(3), {}), r"bn_param\['mode'\]"),
    ("batchnorm mode unknown", lambda: r.batchnorm_forward(x23, f(3), f(3), {"mode": "eval"}), r"'eval'"),
    ("batchnorm gamma", lambda: r.batchnorm_forward(x23, f(2), f(3), {"mode": "train"}), r"gamma .*\(3,\).*\(2,\)"),
    ("batchnorm running_var", lambda: r.batchnorm_forward(x23, f(3), f(3), {"mode": "test", "running_var": f(4)}),
     r"running_var.*\(3,\).*\(4,\)"),
    ("batchnorm x rank", lambda: r.batchnorm_forward(img, f(3), f(3), {"mode": "train"}), r"x must be 2-D"),
    ("dropout p zero", lambda: r.dropout_forward(x23, {"p": 0, "mode": "train"}), r"dropout_param\['p'\]"),
    ("dropout p above one", lambda: r.dropout_forward(x23, {"p": 1.5, "mode": "train"}), r"\(0, 1\]"),
    ("dropout mode", lambda: r.dropout_forward(x23, {"p": 0.5, "mode": "eval"}), r"dropout_param\['mode'\]"),
    ("conv kernel too large", lambda: r.conv_forward_naive(img, f((3, 2, 7, 3)), f(3), {"stride": 1, "pad": 1}),
     r"window 7 .*larger than .* 6"),
    ("conv channels", lambda: r.conv_forward_naive(img, f((3, 1, 3, 3)), f(3), {"stride": 1, "pad": 1}),
     r"w .*2 channels.*\(3, 1, 3, 3\)"),
    ("conv bias", lambda: r.conv_forward_naive(img, f((3, 2, 3, 3)), f(2), {"stride": 1, "pad": 1}), r"b .*\(3,\)"),
    ("conv stride", lambda: r.conv_forward_naive(img, f((3, 2, 3, 3)), f(3), {"stride": 0, "pad": 1}),
     r"conv_param\['stride'\]"),
    ("conv pad", lambda: r.conv_forward_naive(img, f((3, 2, 3, 3)), f(3), {"stride": 1, "pad": -1}),
     r"conv_param\['pad'\]"),
    ("pool too large", lambda: r.max_pool_forward_naive(img, {"pool_height": 5, "pool_width": 2, "stride": 1}),
     r"window 5 .*larger than .* 4"),
    ("pool stride missing", lambda: r.max_pool_forward_naive(img, {"pool_height": 2, "pool_width": 2}),
     r"pool_param\['stride'\]"),
    ("classifier shapes", lambda: r.softmax_loss_naive(f((4, 3)), f((2, 5)), y2, 0.1), r"X .*\(2, 5\).*W .*\(4, 3\)"),
    ("classifier labels", lambda: r.svm_loss_vectorized(f((4, 3)), f((2, 4)), np.array([0, 3]), 0.1), r"y must lie"),
    ("distances columns", lambda: r.compute_distances(f((2, 3)), f((4, 2))), r"X \(2, 3\).*Y \(4, 2\)"),
]


@pytest.mark.parametrize("call,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
