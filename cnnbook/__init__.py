"""cnnbook: the Python package behind *Convolutional Neural Networks from the ground up*.

Modules
-------
layers      reference layers in NumPy, NCHW (the course's single source of truth)
fast_layers the same convolution with threads, reused buffers and a forward/backward cache
conv_shapes the argument checks and output sizes both layer modules share
gradcheck   numerical gradients and gradient checking
data        offline data: MNIST (28x28), handwritten digits (8x8), IDX files, sample photos
nn          a small network API built on the layers, with SGD + momentum
costs       parameters, multiply-adds and activations of a network, layer by layer
train       ``python -m cnnbook.train``: train a small CNN on MNIST or the digits
"""

__version__ = "0.1.0"
