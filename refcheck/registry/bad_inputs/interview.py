"""Bad and unusual inputs of average pooling, transposed convolution, AUROC, gradient clipping and
learning-rate schedules."""
BAD_INPUTS = {}
