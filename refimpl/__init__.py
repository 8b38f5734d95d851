"""refimpl: NumPy reference implementations of classic neural-network ops, each verified against
PyTorch by the ``refcheck`` engine. NumPy only: importing refimpl never imports torch.

Every public function follows the contract in docs/API.md (CS231n names and signatures).
"""
from .activations import (cross_entropy_loss, gelu_backward, gelu_forward, log_softmax_backward,
                          log_softmax_forward, rms_norm_backward, rms_norm_forward, silu_backward,
                          silu_forward, softmax_backward, softmax_forward, swiglu_backward, swiglu_forward)
from .attention import (kv_cache_attention_step, multi_head_attention_backward, multi_head_attention_forward,
                        positional_encoding, rope_backward, rope_forward,
                        scaled_dot_product_attention_backward, scaled_dot_product_attention_forward)
from .classifiers import (compute_distances, softmax_loss_naive, softmax_loss_vectorized,
                          svm_loss_naive, svm_loss_vectorized)
from .conv import (conv_backward_naive, conv_forward_naive, max_pool_backward_naive,
                   max_pool_forward_naive)
from .detection import average_precision, box_iou, mean_average_precision, nms, py_cpu_nms
from .boxes import (batched_nms, complete_box_iou, distance_box_iou, generalized_box_iou,
                    generalized_box_iou_loss, sigmoid_focal_loss)
from .coco import coco_map
from .contrastive import compute_sim_matrix, sim, sim_positive_pairs, simclr_loss_naive, simclr_loss_vectorized
from .pooling import avg_pool_backward, avg_pool_forward, conv_transpose_backward, conv_transpose_forward
from .metrics import auroc
from .training import clip_grad_norm, lr_schedule
from .transformer_layers import (feed_forward_backward, feed_forward_forward, patch_embedding_backward,
                                 patch_embedding_forward, transformer_decoder_layer_backward,
                                 transformer_decoder_layer_forward, transformer_encoder_layer_backward,
                                 transformer_encoder_layer_forward)
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
    "softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
    "gelu_forward", "gelu_backward", "silu_forward", "silu_backward", "rms_norm_forward", "rms_norm_backward",
    "swiglu_forward", "swiglu_backward", "cross_entropy_loss",
    "scaled_dot_product_attention_forward", "scaled_dot_product_attention_backward",
    "multi_head_attention_forward", "multi_head_attention_backward", "positional_encoding",
    "rope_forward", "rope_backward", "kv_cache_attention_step",
    "generalized_box_iou", "distance_box_iou", "complete_box_iou", "generalized_box_iou_loss",
    "sigmoid_focal_loss", "batched_nms", "coco_map",
    "avg_pool_forward", "avg_pool_backward", "conv_transpose_forward", "conv_transpose_backward",
    "auroc", "clip_grad_norm", "lr_schedule",
    "affine_relu_forward", "affine_relu_backward", "affine_bn_relu_forward", "affine_bn_relu_backward",
    "conv_relu_forward", "conv_relu_backward", "conv_relu_pool_forward", "conv_relu_pool_backward",
    "conv_bn_relu_forward", "conv_bn_relu_backward", "conv_bn_relu_pool_forward", "conv_bn_relu_pool_backward",
    "sim", "sim_positive_pairs", "compute_sim_matrix", "simclr_loss_naive", "simclr_loss_vectorized",
    "feed_forward_forward", "feed_forward_backward", "patch_embedding_forward", "patch_embedding_backward",
    "transformer_encoder_layer_forward", "transformer_encoder_layer_backward",
    "transformer_decoder_layer_forward", "transformer_decoder_layer_backward",
]
