"""refimpl: NumPy reference implementations of classic neural-network ops, each verified against
PyTorch by the ``refcheck`` engine. NumPy only: importing refimpl never imports torch.

Every public function follows the contract in API.md (CS231n names and signatures).
"""
from .classifiers import (compute_distances, softmax_loss_naive, softmax_loss_vectorized,
                          svm_loss_naive, svm_loss_vectorized)
from .conv import (conv_backward_naive, conv_forward_naive, max_pool_backward_naive,
                   max_pool_forward_naive)
from .detection import average_precision, box_iou, mean_average_precision, nms, py_cpu_nms
from .layers import (affine_backward, affine_forward, dropout_backward, dropout_forward,
                     relu_backward, relu_forward, softmax_loss, svm_loss)
from .norm import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from .optim import adagrad, adam, adamw, rmsprop, sgd, sgd_momentum, sgd_nesterov

__all__ = [
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "svm_loss",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "dropout_forward", "dropout_backward",
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
    "softmax_loss_naive", "softmax_loss_vectorized", "svm_loss_naive", "svm_loss_vectorized",
    "compute_distances",
    "sgd", "sgd_momentum", "sgd_nesterov", "rmsprop", "adagrad", "adam", "adamw",
    "box_iou", "nms", "py_cpu_nms", "average_precision", "mean_average_precision",
]
