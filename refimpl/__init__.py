"""refimpl: NumPy reference implementations of classic neural-network ops, each verified against
PyTorch by the ``refcheck`` engine. NumPy only: importing refimpl never imports torch.

Every public function follows the contract in docs/API.md (CS231n names and signatures).
"""
from .classifiers import (compute_distances, softmax_loss_naive, softmax_loss_vectorized,
                          svm_loss_naive, svm_loss_vectorized)
from .conv import (conv_backward_naive, conv_forward_naive, max_pool_backward_naive,
                   max_pool_forward_naive)
from .detection import average_precision, box_iou, mean_average_precision, nms, py_cpu_nms
from .fast_layers import conv_backward_fast, conv_forward_fast, max_pool_backward_fast, max_pool_forward_fast
from .layers import (affine_backward, affine_forward, dropout_backward, dropout_forward,
                     relu_backward, relu_forward, softmax_loss, svm_loss)
from .layer_utils import (affine_bn_relu_backward, affine_bn_relu_forward, affine_relu_backward,
                          affine_relu_forward, conv_bn_relu_backward, conv_bn_relu_forward,
                          conv_bn_relu_pool_backward, conv_bn_relu_pool_forward, conv_relu_backward,
                          conv_relu_forward, conv_relu_pool_backward, conv_relu_pool_forward)
from .norm import (batchnorm_backward, batchnorm_backward_alt, batchnorm_forward, layernorm_backward,
                   layernorm_forward, spatial_batchnorm_backward, spatial_batchnorm_forward,
                   spatial_groupnorm_backward, spatial_groupnorm_forward)
from .optim import adagrad, adam, adamw, rmsprop, sgd, sgd_momentum, sgd_nesterov
from .rnn_layers import (lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward,
                         rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward,
                         temporal_affine_backward, temporal_affine_forward, temporal_softmax_loss,
                         word_embedding_backward, word_embedding_forward)

__all__ = [
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "svm_loss",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "layernorm_forward", "layernorm_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward",
    "dropout_forward", "dropout_backward",
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
    "conv_forward_fast", "conv_backward_fast", "max_pool_forward_fast", "max_pool_backward_fast",
    "softmax_loss_naive", "softmax_loss_vectorized", "svm_loss_naive", "svm_loss_vectorized",
    "compute_distances",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
    "temporal_affine_backward", "temporal_softmax_loss",
    "sgd", "sgd_momentum", "sgd_nesterov", "rmsprop", "adagrad", "adam", "adamw",
    "box_iou", "nms", "py_cpu_nms", "average_precision", "mean_average_precision",
    "affine_relu_forward", "affine_relu_backward", "affine_bn_relu_forward", "affine_bn_relu_backward",
    "conv_relu_forward", "conv_relu_backward", "conv_relu_pool_forward", "conv_relu_pool_backward",
    "conv_bn_relu_forward", "conv_bn_relu_backward", "conv_bn_relu_pool_forward", "conv_bn_relu_pool_backward",
]
