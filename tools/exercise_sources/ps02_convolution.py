"""ps02: output size, zero padding and the convolution forward pass."""

from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps02_convolution"

CELLS = [
    md(
        "intro",
        """
        # Problem set 2: convolution

        In this assignment you write the forward pass of a convolution layer,
        one piece at a time:

        | function | what it computes | points |
        | --- | --- | --- |
        | `conv_output_size` | the output size along one axis | 3 |
        | `zero_pad` | a batch of images with a border of zeros | 2 |
        | `conv_single_step` | one output value: a window times a filter, plus bias | 2 |
        | `conv2d_forward` | the whole layer on a batch, with stride and padding | 8 |

        Read the chapters *Convolution* (`chapters/02_convolution`) and *Padding
        and stride* (`chapters/03_padding_stride`) first.

        **How to work.** Write each function in its answer cell, replacing the
        line `raise NotImplementedError()`. Then run the test cell under it. A test
        that passes prints nothing; a failing one tells you which call failed,
        what shape or value was expected and what your function returned. When
        you submit, your instructor's autograder runs more tests on the same
        functions: other shapes, strides and paddings. Passing the visible tests
        is a good sign, not a guarantee.

        **Rules.** Keep the function names and signatures. Use NumPy; Python loops
        are fine (the tests use small inputs). Do not import `cnnbook.layers`: it
        holds the reference solutions. Do not print warnings or to stderr: a test
        cell that writes to stderr gets no points.

        **Conventions** (as in the whole course): images are `(N, C, H, W)`,
        filters `(F, C, HH, WW)`, biases `(F,)`; convolution does *not* flip the
        kernel (it is a cross-correlation).
        """,
    ),
    code(
        "imports",
        """
        import numpy as np

        from cnnbook.grading import (
            call,
            check_float,
            check_int,
            check_output,
            check_unchanged,
            describe_call,
            graded_with_reference,
            hint,
        )
        """,
    ),
    md(
        "size_intro",
        """
        ## 1. Output size (3 points)

        A window of size `f` slides over an axis of `n` inputs that has `pad`
        zeros added on *each* side, moving `stride` steps at a time. Write
        `conv_output_size(n, f, pad=0, stride=1)`, the number of positions at which
        the window fits *entirely* inside the padded axis. A window that would
        stick out past the end is dropped.

        Return a Python `int` (it will be used in shapes and in `range`). You may
        assume valid input: `n, f, stride >= 1`, `pad >= 0`, `f <= n + 2*pad`.
        """,
    ),
    answer(
        "conv_output_size",
        '''
        def conv_output_size(n, f, pad=0, stride=1):
            """Number of window positions along one axis.

            Args:
                n: input size (height or width).
                f: window (kernel) size.
                pad: zeros added on each side.
                stride: step between windows.

            Returns:
                The output size, an int.
            """
            ### BEGIN SOLUTION
            return (n + 2 * pad - f) // stride + 1
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_conv_output_size_values",
        2,
        """
        # Visible tests: a few sizes you can count by hand.
        h = hint("03", "the output size with padding and stride")
        for n, f, pad, stride, expected in [(5, 3, 0, 1, 3), (5, 3, 1, 1, 5), (6, 2, 0, 2, 3),
                                            (7, 3, 0, 2, 3), (8, 3, 0, 2, 3), (4, 4, 0, 1, 1),
                                            (7, 2, 0, 3, 2)]:
            context = describe_call(conv_output_size, n, f, pad=pad, stride=stride)
            check_int("the output size", call(conv_output_size, n, f, pad=pad, stride=stride),
                      expected, context, h)
        ### BEGIN HIDDEN TESTS
        from cnnbook import layers as reference

        for n in range(1, 13):
            for f in range(1, 6):
                for pad in range(0, 4):
                    for stride in range(1, 5):
                        if f > n + 2 * pad:
                            continue
                        want = reference.conv_output_size(n, f, pad, stride)
                        got = call(conv_output_size, n, f, pad=pad, stride=stride)
                        context = describe_call(conv_output_size, n, f, pad=pad, stride=stride)
                        check_int("the output size", got, want, context, h)
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_conv_output_size_type",
        1,
        """
        # Visible test: the size is an int even when every number divides evenly.
        got = call(conv_output_size, 6, 2, pad=0, stride=2)
        check_int("the output size", got, 3, describe_call(conv_output_size, 6, 2, pad=0, stride=2),
                  hint("03", "the output size with padding and stride"))
        got = call(conv_output_size, 7, 3, pad=1, stride=2)
        check_int("the output size", got, 4, describe_call(conv_output_size, 7, 3, pad=1, stride=2),
                  hint("03", "the output size with padding and stride"))
        ### BEGIN HIDDEN TESTS
        for args in [(9, 3, 0, 3), (10, 4, 1, 2), (1, 1, 0, 1), (32, 5, 2, 1)]:
            got = call(conv_output_size, *args)
            check_int("the output size", got, (args[0] + 2 * args[2] - args[1]) // args[3] + 1,
                      describe_call(conv_output_size, *args))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "pad_intro",
        """
        ## 2. Zero padding (2 points)

        Write `zero_pad(x, pad)`: given a batch `x` of shape `(N, C, H, W)`, return
        a new array of shape `(N, C, H + 2*pad, W + 2*pad)` with `x` in the middle
        and `pad` rows or columns of zeros on every side of each image. The batch
        and channel axes are not padded. Keep the dtype of `x`.
        """,
    ),
    answer(
        "zero_pad",
        '''
        def zero_pad(x, pad):
            """Pad the height and width of every image with zeros.

            Args:
                x: images, shape (N, C, H, W).
                pad: zeros added on each side, >= 0.

            Returns:
                Padded images, shape (N, C, H + 2*pad, W + 2*pad), dtype of x.
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            out = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
            out[:, :, pad:pad + H, pad:pad + W] = x
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_zero_pad",
        2,
        """
        # Visible test: one 2x3 image padded by 1.
        x = np.array([[[[1.0, 2.0, 3.0],
                        [4.0, 5.0, 6.0]]]])                     # (1, 1, 2, 3)
        expected = np.array([[[[0.0, 0.0, 0.0, 0.0, 0.0],
                               [0.0, 1.0, 2.0, 3.0, 0.0],
                               [0.0, 4.0, 5.0, 6.0, 0.0],
                               [0.0, 0.0, 0.0, 0.0, 0.0]]]])    # (1, 1, 4, 5)
        check_output(zero_pad, (x, 1), {}, expected, "the padded x", hint("03", "zero padding"))
        # Visible test: a batch of 2 images with 2 channels, each 1x2, padded by 1.
        x = np.array([[[[3.0, 8.0]], [[4.0, 6.0]]],
                      [[[5.0, 7.0]], [[4.0, 1.0]]]])            # (2, 2, 1, 2)
        expected = np.array([[[[0.0, 0.0, 0.0, 0.0],
                               [0.0, 3.0, 8.0, 0.0],
                               [0.0, 0.0, 0.0, 0.0]],
                              [[0.0, 0.0, 0.0, 0.0],
                               [0.0, 4.0, 6.0, 0.0],
                               [0.0, 0.0, 0.0, 0.0]]],
                             [[[0.0, 0.0, 0.0, 0.0],
                               [0.0, 5.0, 7.0, 0.0],
                               [0.0, 0.0, 0.0, 0.0]],
                              [[0.0, 0.0, 0.0, 0.0],
                               [0.0, 4.0, 1.0, 0.0],
                               [0.0, 0.0, 0.0, 0.0]]]])       # (2, 2, 3, 4)
        check_output(zero_pad, (x, 1), {}, expected, "the padded x", hint("03", "zero padding"))
        check_unchanged("x", x, zero_pad, x, 1)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(2)
        for shape, pad in [((2, 3, 4, 5), 2), ((3, 2, 5, 3), 1),
                           ((1, 4, 3, 6), 0), ((2, 1, 1, 2), 3)]:
            x = rng.standard_normal(shape)
            check_output(zero_pad, (x, pad), {}, reference.zero_pad(x, pad), "the padded x",
                         hint("03", "zero padding"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "single_intro",
        """
        ## 3. One step of a convolution (2 points)

        Write `conv_single_step(x_slice, w, b)`: the value of one output position,
        for one window `x_slice` of the input and one filter `w` (both of shape
        `(C, HH, WW)`) and that filter's bias `b` (a number). Return a Python
        `float`.
        """,
    ),
    answer(
        "conv_single_step",
        '''
        def conv_single_step(x_slice, w, b):
            """One output value of a convolution.

            Args:
                x_slice: one window of the input, shape (C, HH, WW).
                w: one filter, shape (C, HH, WW).
                b: the filter's bias, a number.

            Returns:
                A float.
            """
            ### BEGIN SOLUTION
            total = 0.0
            C, HH, WW = w.shape
            for c in range(C):
                for i in range(HH):
                    for j in range(WW):
                        total += x_slice[c, i, j] * w[c, i, j]
            return float(total + b)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_conv_single_step",
        2,
        """
        # Visible test: a 2-channel 2x2 window.
        x_slice = np.array([[[1.0, 2.0], [3.0, 4.0]],
                            [[0.5, 0.0], [0.0, -1.0]]])          # (2, 2, 2)
        w = np.array([[[1.0, 0.0], [0.0, 1.0]],
                      [[2.0, 0.0], [0.0, 3.0]]])                 # (2, 2, 2)
        context = describe_call(conv_single_step, x_slice, w, 0.5)
        check_float("the value", call(conv_single_step, x_slice, w, 0.5), 3.5, context,
                    hint("02", "the value at one output position"))
        # Visible test: a 2-channel 3x4 window (not square) and a negative bias.
        x_slice = np.random.default_rng(22).integers(-2, 3, (2, 3, 4)).astype(float)
        w = np.random.default_rng(23).integers(-1, 2, (2, 3, 4)).astype(float)
        context = describe_call(conv_single_step, x_slice, w, -1.5)
        check_float("the value", call(conv_single_step, x_slice, w, -1.5), -6.5, context,
                    hint("02", "the value at one output position"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(3)
        for shape in [(3, 4, 2), (1, 3, 3), (5, 2, 1)]:
            x_slice, w = rng.standard_normal(shape), rng.standard_normal(shape)
            b = float(rng.standard_normal())
            check_float("the value", call(conv_single_step, x_slice, w, b),
                        reference.conv_single_step(x_slice, w, b),
                        describe_call(conv_single_step, x_slice, w, b),
                        hint("02", "the value at one output position"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "conv_intro",
        """
        ## 4. The convolution layer (8 points)

        Write `conv2d_forward(x, w, b, stride=1, pad=0)` for a batch `x` of shape
        `(N, C, H, W)`, `F` filters `w` of shape `(F, C, HH, WW)` and biases `b` of
        shape `(F,)`. Pad `x` with `pad` zeros on each side, then slide every filter
        over every image, moving `stride` positions at a time along both height
        and width. Output `out[n, f, i, j]` is the value of filter `f` on the
        window of image `n` at output position `(i, j)`. The output has shape
        `(N, F, H', W')` with `H'` and `W'` given by your `conv_output_size`.

        You may (and should) call your `zero_pad`, `conv_single_step` and
        `conv_output_size`. Loops over `n`, `f`, `i`, `j` are fine. When your work
        is graded, a mistake in one of those three costs its own points only, not
        these 8 as well (the first line of each test cell asks for this): if your
        `conv2d_forward` returns what it should given what your own helpers
        returned, it earns its points. Your helpers must still run and return
        results of the right kind (a helper that raises or never returns stops
        `conv2d_forward` too). In this notebook the tests compare with the right
        answers, so fix the earlier functions first.

        Three test cells: no padding and stride 1 (3 points), padding (2 points),
        stride with and without padding (3 points).
        """,
    ),
    answer(
        "conv2d_forward",
        '''
        def conv2d_forward(x, w, b, stride=1, pad=0):
            """Forward pass of a convolution layer.

            Args:
                x: input, shape (N, C, H, W).
                w: filters, shape (F, C, HH, WW).
                b: biases, shape (F,).
                stride: step between windows, along height and width.
                pad: zeros added on each side of height and width.

            Returns:
                out, shape (N, F, H', W').
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            F, _, HH, WW = w.shape
            Ho = conv_output_size(H, HH, pad, stride)
            Wo = conv_output_size(W, WW, pad, stride)
            xp = zero_pad(x, pad)
            out = np.zeros((N, F, Ho, Wo))
            for n in range(N):
                for f in range(F):
                    for i in range(Ho):
                        for j in range(Wo):
                            top, left = i * stride, j * stride
                            window = xp[n, :, top:top + HH, left:left + WW]
                            out[n, f, i, j] = conv_single_step(window, w[f], b[f])
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_conv2d_forward_basic",
        3,
        """
        graded_with_reference("conv_output_size", "zero_pad", "conv_single_step")
        # Visible test: one 3x3 image, one 2x2 filter, bias 0.5, no padding, stride 1.
        x = np.arange(9.0).reshape(1, 1, 3, 3)
        w = np.array([[[[1.0, 2.0],
                        [0.0, -1.0]]]])                          # (1, 1, 2, 2)
        b = np.array([0.5])
        expected = np.array([[[[-1.5, 0.5],
                               [4.5, 6.5]]]])
        check_output(conv2d_forward, (x, w, b), {}, expected, "out",
                     hint("02", "sliding a filter over an image"))
        # Visible test: 2 images with 2 channels of 3x4, 3 filters of 2x3, three biases.
        x = np.random.default_rng(24).integers(-2, 3, (2, 2, 3, 4)).astype(float)
        w = np.random.default_rng(25).integers(-1, 2, (3, 2, 2, 3)).astype(float)
        b = np.array([0.5, -1.0, 2.0])
        expected = np.array([[[[3.5, 0.5], [-1.5, -0.5]],
                              [[1.0, 3.0], [-5.0, -6.0]],
                              [[6.0, 7.0], [6.0, 4.0]]],
                             [[[-0.5, -0.5], [-5.5, 5.5]],
                              [[4.0, 1.0], [3.0, -6.0]],
                              [[2.0, 0.0], [5.0, 0.0]]]])       # (2, 3, 2, 2)
        check_output(conv2d_forward, (x, w, b), {}, expected, "out",
                     hint("02", "sliding F filters over a batch of images"))
        check_unchanged("x", x, conv2d_forward, x, w, b)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(4)
        for (N, C, H, W), (F, HH, WW) in [((2, 3, 5, 7), (4, 3, 2)), ((3, 2, 6, 4), (2, 2, 3)),
                                          ((1, 1, 4, 4), (1, 4, 4))]:
            x = rng.standard_normal((N, C, H, W))
            w = rng.standard_normal((F, C, HH, WW))
            b = rng.standard_normal(F)
            check_output(conv2d_forward, (x, w, b), {}, reference.conv2d_forward(x, w, b), "out",
                         hint("02", "sliding a filter over a batch of images with F filters"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_conv2d_forward_pad",
        2,
        """
        graded_with_reference("conv_output_size", "zero_pad", "conv_single_step")
        # Visible test: a 2x2 image of ones, a 2x2 filter of ones, pad 1.
        x = np.ones((1, 1, 2, 2))
        w = np.ones((1, 1, 2, 2))
        b = np.zeros(1)
        expected = np.array([[[[1.0, 2.0, 1.0],
                               [2.0, 4.0, 2.0],
                               [1.0, 2.0, 1.0]]]])
        check_output(conv2d_forward, (x, w, b), {"pad": 1}, expected, "out",
                     hint("03", "padding"))
        # Visible test: 2 images with 2 channels of 2x3, 2 filters of 2x2, pad 1.
        x = np.random.default_rng(26).integers(-2, 3, (2, 2, 2, 3)).astype(float)
        w = np.random.default_rng(27).integers(-1, 2, (2, 2, 2, 2)).astype(float)
        b = np.array([1.0, -1.0])
        expected = np.array([[[[0.0, -2.0, 0.0, 1.0],
                               [3.0, -1.0, 4.0, 4.0],
                               [-2.0, 3.0, 0.0, 3.0]],
                              [[2.0, -5.0, -1.0, 0.0],
                               [-1.0, -1.0, -2.0, 2.0],
                               [-4.0, 0.0, -3.0, -1.0]]],
                             [[[1.0, 0.0, -3.0, 0.0],
                               [7.0, -1.0, -4.0, 2.0],
                               [-1.0, 4.0, 1.0, 0.0]],
                              [[3.0, -2.0, -5.0, 0.0],
                               [1.0, 3.0, -4.0, 0.0],
                               [-3.0, 0.0, 1.0, -2.0]]]])     # (2, 2, 3, 4)
        check_output(conv2d_forward, (x, w, b), {"pad": 1}, expected, "out",
                     hint("03", "padding"))
        check_unchanged("x", x, conv2d_forward, x, w, b, pad=1)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(5)
        for (N, C, H, W), (F, HH, WW), pad in [((2, 3, 4, 6), (2, 3, 3), 1),
                                               ((1, 2, 5, 3), (3, 2, 4), 2),
                                               ((2, 1, 3, 4), (2, 3, 3), 3)]:
            x = rng.standard_normal((N, C, H, W))
            w = rng.standard_normal((F, C, HH, WW))
            b = rng.standard_normal(F)
            check_output(conv2d_forward, (x, w, b), {"pad": pad},
                         reference.conv2d_forward(x, w, b, pad=pad), "out", hint("03", "padding"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_conv2d_forward_stride",
        3,
        """
        graded_with_reference("conv_output_size", "zero_pad", "conv_single_step")
        # Visible test: a 5x5 image, a 3x3 filter of ones, stride 2.
        x = np.arange(25.0).reshape(1, 1, 5, 5)
        w = np.ones((1, 1, 3, 3))
        b = np.zeros(1)
        expected = np.array([[[[54.0, 72.0],
                               [144.0, 162.0]]]])
        check_output(conv2d_forward, (x, w, b), {"stride": 2}, expected, "out",
                     hint("03", "stride"))
        # Visible test: 2 images with 2 channels of 4x5, 2 filters of 3x3, stride 2 and pad 1.
        x = np.random.default_rng(28).integers(-2, 3, (2, 2, 4, 5)).astype(float)
        w = np.random.default_rng(29).integers(-1, 2, (2, 2, 3, 3)).astype(float)
        b = np.array([0.5, -0.5])
        expected = np.array([[[[1.5, 2.5, 0.5], [-1.5, 5.5, 3.5]],
                              [[1.5, -4.5, -4.5], [0.5, 0.5, 8.5]]],
                             [[[-4.5, -3.5, 2.5], [0.5, -8.5, -4.5]],
                              [[-4.5, -5.5, -8.5], [2.5, -0.5, 4.5]]]])   # (2, 2, 2, 3)
        check_output(conv2d_forward, (x, w, b), {"stride": 2, "pad": 1}, expected, "out",
                     hint("03", "stride and padding together"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(6)
        for (N, C, H, W), (F, HH, WW), stride, pad in [((2, 3, 7, 9), (4, 3, 2), 2, 0),
                                                       ((2, 2, 8, 6), (3, 3, 3), 3, 1),
                                                       ((1, 3, 6, 7), (2, 2, 4), 2, 2),
                                                       ((3, 1, 9, 5), (2, 4, 2), 4, 1)]:
            x = rng.standard_normal((N, C, H, W))
            w = rng.standard_normal((F, C, HH, WW))
            b = rng.standard_normal(F)
            check_output(conv2d_forward, (x, w, b), {"stride": stride, "pad": pad},
                         reference.conv2d_forward(x, w, b, stride=stride, pad=pad), "out",
                         hint("03", "stride and padding together"))
        ### END HIDDEN TESTS
        """,
    ),
]
