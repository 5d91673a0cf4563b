"""cnnbook: the Python package behind *Convolutional Neural Networks from the ground up*.

Modules
-------
layers     reference layers in NumPy, NCHW (the course's single source of truth)
fast_layers the same convolution with threads, reused buffers and a forward/backward cache
gradcheck  numerical gradients and gradient checking
data       offline data: handwritten digits, MNIST IDX files, sample photos
nn         a small network API built on the layers, with SGD + momentum
train      ``python -m cnnbook.train``: train a small CNN on the digits
"""

__version__ = "0.1.0"
