"""cnnbook: the Python package behind *Convolutional Neural Networks from the ground up*.

Modules (docs/layout.md has the map and where to change what)
-------
layers      reference layers in NumPy, NCHW (the course's single source of truth),
            a package with one module per topic (its docstring maps them)
fast_layers the same convolution with threads, reused buffers and a forward/backward cache
gradcheck   numerical gradients and gradient checking
conv_shapes the argument checks and output sizes both layer modules share
data        offline data: MNIST (28x28), handwritten digits (8x8), IDX files, sample photos
tensors     ps01's image-to-tensor helpers (reference answers)
nn          a small network API built on the layers (re-exports optim's optimizers)
optim       the optimizers: SGD with momentum, RMSProp, Adam
costs       parameters, multiply-adds and activations of a network, layer by layer
diagnostics looking inside a network: activations, gradients, saliency, receptive fields
baselines   logistic regression and an MLP (scikit-learn) to compare the CNN with
train       ``python -m cnnbook.train``: train a CNN on MNIST (default) or the digits
plotting    the book's figures
widgets     the book's interactive widgets (ipywidgets)
cli         the ``cnnbook`` command: parses, prints, maps errors to exit codes
grading     STUDENT SIDE: the checks every test cell calls (runs in the sandbox too)
grader      INSTRUCTOR SIDE: release, autograde (sandboxed), judge, feedback, report
coursedata  the course's data as TOML: chapters, assignments, known mistakes
"""

__version__ = "0.1.0"
