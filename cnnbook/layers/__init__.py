"""Reference layers of a convolutional network, in NumPy, NCHW layout.

Every function here is the single source of truth for the course: the
chapters draw figures with them, the network in :mod:`cnnbook.nn` trains
with them, and the hidden tests of the exercises grade students against
them. The names and signatures are the course's contract (issue #2);
students implement functions of the same names.

Conventions
-----------
* Images are ``(N, C, H, W)``: batch, channels, height, width.
* Convolution weights are ``(F, C, HH, WW)``: filters, input channels,
  kernel height, kernel width; biases are ``(F,)``.
* "Convolution" is cross-correlation, as in every CNN library: the kernel
  is *not* flipped.
* Output size along one axis: ``floor((n + 2*pad - f) / stride) + 1``.
* Floating dtypes are preserved (float32 in, float32 out); integer inputs
  are computed in float64.
* Everything is vectorized: the only Python loops run over kernel or
  pooling-window offsets (at most ``HH * WW`` iterations), never over
  N, C, H or W.
* This package is the readable reference. The speed machinery of the
  convolution (threads, reused work buffers) lives apart in
  :mod:`cnnbook.fast_layers`, which computes the same results; the layer
  objects of :mod:`cnnbook.nn` use it. Neither imports the other.

Bad input raises ``ValueError`` (or ``TypeError`` for a wrong type) whose
message names the problem.

Modules (one topic each; every public name is re-exported here, so
``cnnbook.layers.conv2d_forward`` and ``from cnnbook.layers import ...`` work)
-------
convolution   zero_pad, conv_single_step, conv2d_forward/backward, conv_output_size
pooling       maxpool2d_forward/backward, avgpool2d_forward/backward
dense         relu_forward/backward, affine_forward/backward
losses        softmax, softmax_cross_entropy
normalization batchnorm, spatial_batchnorm (forward/backward), dropout_mask,
              dropout_forward/backward (chapter 10)
optimizers    sgd_momentum_step, rmsprop_step, adam_step (chapter 10)

The argument checks the modules share are in :mod:`cnnbook.conv_shapes`. This
file only re-exports, with star imports of each module's ``__all__``: the
grader's sandbox copy of a module drops the functions an assignment grades
from it and from its ``__all__``, and so from here
(:mod:`cnnbook.grader.isolation.overlay`).
"""

from __future__ import annotations

from cnnbook.layers.convolution import *
from cnnbook.layers.dense import *
from cnnbook.layers.losses import *
from cnnbook.layers.normalization import *
from cnnbook.layers.normalization import BN_MODES  # noqa: F401  (used by cnnbook.nn)
from cnnbook.layers.optimizers import *
from cnnbook.layers.pooling import *

# every module's __all__, in the order of the chapters (a test checks it is their union)
__all__ = [
    "conv_output_size",
    "zero_pad",
    "conv_single_step",
    "conv2d_forward",
    "conv2d_backward",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
    "relu_forward",
    "relu_backward",
    "affine_forward",
    "affine_backward",
    "softmax",
    "softmax_cross_entropy",
    "batchnorm_forward",
    "batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "dropout_mask",
    "dropout_forward",
    "dropout_backward",
    "sgd_momentum_step",
    "rmsprop_step",
    "adam_step",
]
