"""cnnbook: the Python package behind *Convolutional Neural Networks from the ground up*.

Modules (docs/layout.md has the map and where to change what)
-------
layers      reference layers in NumPy, NCHW (the course's single source of truth)
fast_layers the same convolution with threads, reused buffers and a forward/backward cache
gradcheck   numerical gradients and gradient checking
data        offline data: handwritten digits, MNIST IDX files, sample photos
tensors     ps01's image-to-tensor helpers (reference answers)
nn          a small network API built on the layers, with SGD + momentum
train       ``python -m cnnbook.train``: train a small CNN on the digits
plotting    the book's figures
widgets     the book's interactive widgets (ipywidgets)
cli         the ``cnnbook`` command: parses, prints, maps errors to exit codes
grading     STUDENT SIDE: the checks every test cell calls (runs in the sandbox too)
grader      INSTRUCTOR SIDE: release, autograde (sandboxed), judge, feedback, report
coursedata  the course's data as TOML: chapters, assignments, known mistakes
"""

__version__ = "0.1.0"
