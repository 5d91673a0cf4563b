"""ps04: ReLU and the fully connected (affine) layer, forward."""

from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps04_activations_dense"

CELLS = [
    md(
        "intro",
        """
        # Problem set 4: activations and fully connected layers

        | function | what it computes | points |
        | --- | --- | --- |
        | `relu_forward` | the rectified linear unit, elementwise | 3 |
        | `affine_forward` | a fully connected layer on a batch | 4 |

        Read the chapter *Activations and fully connected layers*
        (`chapters/05_activations_dense`) first.

        **How to work.** Write each function in its answer cell, replacing the line
        `raise NotImplementedError()`, then run the test cell under it. A passing
        test prints nothing; a failing one names the failing call, the expected
        and received shapes, or the first wrong entry with both values. The
        autograder runs more tests when you submit.

        **Rules.** Keep the function names and signatures; use NumPy; do not
        import `cnnbook.layers` (it holds the reference solutions); write nothing
        to stderr (a test cell that does gets no points).
        """,
    ),
    code(
        "imports",
        """
        import numpy as np

        from cnnbook.grading import check_output, check_unchanged, hint
        """,
    ),
    md(
        "relu_intro",
        """
        ## 1. ReLU (3 points)

        Write `relu_forward(x)` for an array `x` of *any* shape: every negative
        entry becomes 0, every other entry stays. Return a new array and leave
        `x` unchanged: the backward pass will need the original input.

        Two test cells: values (2 points); the input is left unchanged (1 point).
        """,
    ),
    answer(
        "relu_forward",
        '''
        def relu_forward(x):
            """Rectified linear unit, elementwise.

            Args:
                x: any shape.

            Returns:
                out, the shape of x.
            """
            ### BEGIN SOLUTION
            out = x.copy()
            out[out < 0] = 0
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_relu_forward",
        2,
        """
        # Visible test: a 2x3 array.
        x = np.array([[-2.0, -0.5, 0.0],
                      [0.5, 3.0, -1e-9]])
        expected = np.array([[0.0, 0.0, 0.0],
                             [0.5, 3.0, 0.0]])
        check_output(relu_forward, (x,), {}, expected, "out", hint("05", "ReLU"))
        # Visible test: a batch of shape (2, 2, 1, 3).
        x = np.random.default_rng(45).integers(-3, 4, (2, 2, 1, 3)).astype(float)
        expected = np.array([[[[3.0, 1.0, 2.0]], [[0.0, 0.0, 2.0]]],
                             [[[1.0, 2.0, 0.0]], [[0.0, 0.0, 2.0]]]])
        check_output(relu_forward, (x,), {}, expected, "out", hint("05", "ReLU"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(41)
        for shape in [(2, 3, 4, 5), (7,), (3, 6), (2, 1, 3)]:
            x = rng.standard_normal(shape) * 3
            check_output(relu_forward, (x,), {}, reference.relu_forward(x), "out",
                         hint("05", "ReLU"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_relu_forward_input_unchanged",
        1,
        """
        # Visible test: relu_forward must not modify its argument (and still be right).
        x = np.array([[-1.0, 2.0], [3.0, -4.0]])
        check_unchanged("x", x, relu_forward, x)
        check_output(relu_forward, (x,), {}, np.array([[0.0, 2.0], [3.0, 0.0]]), "out",
                     hint("05", "ReLU"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        x = hidden_rng(42).standard_normal((2, 3, 4, 5))
        check_unchanged("x", x, relu_forward, x)
        check_output(relu_forward, (x,), {}, np.maximum(x, 0.0), "out", hint("05", "ReLU"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "affine_intro",
        """
        ## 2. Fully connected layer (4 points)

        Write `affine_forward(x, w, b)`. The input `x` has shape
        `(N, d1, ..., dk)`: a batch of `N` samples, each of any shape. Each
        sample is first flattened, in row-major (C) order, to a vector of
        `D = d1 * ... * dk` numbers; then every sample's vector is multiplied by
        the weights `w` of shape `(D, M)` and the bias `b` of shape `(M,)` is added.
        The output has shape `(N, M)`.

        Two test cells: 2-D input `(N, D)` (2 points); images `(N, C, H, W)`
        that must be flattened (2 points).
        """,
    ),
    answer(
        "affine_forward",
        '''
        def affine_forward(x, w, b):
            """Fully connected layer.

            Args:
                x: input, shape (N, d1, ..., dk).
                w: weights, shape (D, M) with D = d1 * ... * dk.
                b: biases, shape (M,).

            Returns:
                out, shape (N, M).
            """
            ### BEGIN SOLUTION
            N = x.shape[0]
            X = x.reshape(N, -1)
            return X @ w + b
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_affine_forward_2d",
        2,
        """
        # Visible test: two samples with 3 features, 2 outputs.
        x = np.array([[1.0, 2.0, 3.0],
                      [0.0, -1.0, 1.0]])
        w = np.array([[1.0, 0.0],
                      [0.0, 1.0],
                      [1.0, -1.0]])
        b = np.array([0.5, -0.5])
        expected = np.array([[4.5, -1.5],
                             [1.5, -2.5]])
        check_output(affine_forward, (x, w, b), {}, expected, "out",
                     hint("05", "the fully connected layer"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(43)
        for N, D, M in [(4, 6, 3), (1, 5, 7), (8, 2, 2)]:
            x, w = rng.standard_normal((N, D)), rng.standard_normal((D, M))
            b = rng.standard_normal(M)
            check_output(affine_forward, (x, w, b), {}, reference.affine_forward(x, w, b), "out",
                         hint("05", "the fully connected layer"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_affine_forward_images",
        2,
        """
        # Visible test: two 1x2x2 images flattened to 4 features, 1 output.
        x = np.array([[[[1.0, 2.0], [3.0, 4.0]]],
                      [[[0.0, 1.0], [0.0, 1.0]]]])              # (2, 1, 2, 2)
        w = np.array([[1.0], [10.0], [100.0], [1000.0]])          # (4, 1)
        b = np.array([0.0])
        expected = np.array([[4321.0], [1010.0]])
        check_output(affine_forward, (x, w, b), {}, expected, "out",
                     hint("05", "flattening a batch of images"))
        # Visible test: two 2x1x3 images (2 channels) flattened to 6 features, 2 outputs.
        # Output 0 reads the first 3 features as digits (last first), output 1 the next 3.
        x = np.array([[[[5.0, 9.0, 2.0]], [[0.0, 5.0, 2.0]]],
                      [[[2.0, 6.0, 1.0]], [[9.0, 8.0, 0.0]]]])   # (2, 2, 1, 3)
        w = np.array([[1.0, 0.0], [10.0, 0.0], [100.0, 0.0],
                      [0.0, 1.0], [0.0, 10.0], [0.0, 100.0]])    # (6, 2)
        b = np.array([0.5, -0.5])
        expected = np.array([[295.5, 249.5],
                             [162.5, 88.5]])
        check_output(affine_forward, (x, w, b), {}, expected, "out",
                     hint("05", "flattening a batch of images, channel by channel"))
        check_unchanged("x", x, affine_forward, x, w, b)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(44)
        for shape, M in [((3, 2, 4, 5), 6), ((2, 3, 2, 7), 4), ((4, 5, 3), 2)]:
            x = rng.standard_normal(shape)
            D = int(np.prod(shape[1:]))
            w, b = rng.standard_normal((D, M)), rng.standard_normal(M)
            check_output(affine_forward, (x, w, b), {}, reference.affine_forward(x, w, b), "out",
                         hint("05", "flattening a batch of images"))
        ### END HIDDEN TESTS
        """,
    ),
]
