"""ps03: max pooling and average pooling, forward."""

from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps03_pooling"

CELLS = [
    md(
        "intro",
        """
        # Problem set 3: pooling

        In this assignment you write the forward pass of the two pooling layers:

        | function | what it computes | points |
        | --- | --- | --- |
        | `maxpool2d_forward` | the largest value of every window | 5 |
        | `avgpool2d_forward` | the mean of every window | 4 |

        Read the chapter *Pooling* (`chapters/04_pooling`) first; the output size
        is the one of *Padding and stride* (`chapters/03_padding_stride`), with no
        padding.

        **How to work.** Write each function in its answer cell, replacing the
        line `raise NotImplementedError()`, then run the test cell under it. A
        passing test prints nothing; a failing one names the call that failed,
        the expected and received shapes, or the first wrong entry with both
        values. The autograder runs more tests (other shapes, window sizes and
        strides) when you submit.

        **Rules.** Keep the function names and signatures. Use NumPy; loops are
        fine. Do not import `cnnbook.layers` (it holds the reference solutions).
        Nothing may be written to stderr: a test cell that does so gets no points.

        **Conventions.** `x` is `(N, C, H, W)`. A pooling window of `size x size`
        moves `stride` positions at a time along height and width, inside each
        image and each channel separately. The output is `(N, C, H', W')`;
        windows that would stick out past the edge are dropped. When
        `stride < size` windows overlap.
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
        "max_intro",
        """
        ## 1. Max pooling (5 points)

        Write `maxpool2d_forward(x, size=2, stride=2)`:
        `out[n, c, i, j]` is the largest entry of channel `c` of image `n` in the
        window whose top-left corner is at row `i * stride`, column `j * stride`.

        Two test cells: the usual 2x2 windows with stride 2 (2 points); other window
        sizes and strides, including overlapping windows and strides that do not
        divide the input (3 points).
        """,
    ),
    answer(
        "maxpool2d_forward",
        '''
        def maxpool2d_forward(x, size=2, stride=2):
            """Max pooling.

            Args:
                x: input, shape (N, C, H, W).
                size: window height and width.
                stride: step between windows.

            Returns:
                out, shape (N, C, H', W').
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            Ho = (H - size) // stride + 1
            Wo = (W - size) // stride + 1
            out = np.zeros((N, C, Ho, Wo))
            for n in range(N):
                for c in range(C):
                    for i in range(Ho):
                        for j in range(Wo):
                            top, left = i * stride, j * stride
                            out[n, c, i, j] = np.max(x[n, c, top:top + size, left:left + size])
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_maxpool_forward_basic",
        2,
        """
        # Visible test: one 4x4 image, 2x2 windows, stride 2.
        x = np.array([[[[1.0, 3.0, 2.0, 0.0],
                        [4.0, 2.0, 1.0, 1.0],
                        [0.0, -1.0, 5.0, 6.0],
                        [-2.0, -3.0, 7.0, 1.0]]]])
        expected = np.array([[[[4.0, 2.0],
                               [0.0, 7.0]]]])
        check_output(maxpool2d_forward, (x,), {"size": 2, "stride": 2}, expected, "out",
                     hint("04", "max pooling"))
        # Visible test: 2 images with 2 channels of 4x6, 2x2 windows, stride 2.
        x = np.random.default_rng(35).integers(-5, 6, (2, 2, 4, 6)).astype(float)
        expected = np.array([[[[5.0, 4.0, 5.0], [4.0, 4.0, 5.0]],
                              [[5.0, 3.0, 3.0], [2.0, -1.0, 2.0]]],
                             [[[5.0, 3.0, 5.0], [4.0, 3.0, 3.0]],
                              [[4.0, 2.0, 4.0], [5.0, 1.0, 1.0]]]])     # (2, 2, 2, 3)
        check_output(maxpool2d_forward, (x,), {"size": 2, "stride": 2}, expected, "out",
                     hint("04", "max pooling, each image and channel on its own"))
        check_unchanged("x", x, maxpool2d_forward, x, size=2, stride=2)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(31)
        for shape in [(2, 3, 6, 8), (3, 2, 4, 10), (1, 4, 8, 2)]:
            x = rng.standard_normal(shape)
            check_output(maxpool2d_forward, (x,), {"size": 2, "stride": 2},
                         reference.maxpool2d_forward(x, 2, 2), "out", hint("04", "max pooling"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_maxpool_forward_overlap",
        3,
        """
        # Visible test: overlapping 2x2 windows (stride 1) on a 3x3 image.
        x = np.array([[[[1.0, 5.0, 2.0],
                        [0.0, 3.0, 4.0],
                        [6.0, 1.0, 0.0]]]])
        expected = np.array([[[[5.0, 5.0],
                               [6.0, 4.0]]]])
        check_output(maxpool2d_forward, (x,), {"size": 2, "stride": 1}, expected, "out",
                     hint("04", "window size and stride"))
        # Visible test: 3x3 windows, stride 2, on 2 images with 2 channels of 5x6
        # (the stride does not divide the width: the last column is left out).
        x = np.random.default_rng(36).integers(-50, 51, (2, 2, 5, 6)).astype(float)
        expected = np.array([[[[44.0, 43.0], [40.0, 44.0]],
                              [[21.0, 33.0], [45.0, 10.0]]],
                             [[[40.0, 50.0], [41.0, 43.0]],
                              [[45.0, 45.0], [45.0, 45.0]]]])   # (2, 2, 2, 2)
        check_output(maxpool2d_forward, (x,), {"size": 3, "stride": 2}, expected, "out",
                     hint("04", "window size and stride"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(32)
        for shape, size, stride in [((2, 3, 7, 9), 3, 2), ((2, 2, 5, 6), 3, 1),
                                    ((1, 3, 7, 8), 2, 3), ((2, 1, 9, 5), 4, 2),
                                    ((3, 2, 5, 4), 1, 1)]:
            x = rng.standard_normal(shape)
            check_output(maxpool2d_forward, (x,), {"size": size, "stride": stride},
                         reference.maxpool2d_forward(x, size, stride), "out",
                         hint("04", "window size and stride"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "avg_intro",
        """
        ## 2. Average pooling (4 points)

        Write `avgpool2d_forward(x, size=2, stride=2)`: the same windows as max
        pooling, but `out[n, c, i, j]` is the *mean* of the window's entries.

        Two test cells: 2x2 windows with stride 2 (2 points); other sizes and
        strides (2 points).
        """,
    ),
    answer(
        "avgpool2d_forward",
        '''
        def avgpool2d_forward(x, size=2, stride=2):
            """Average pooling.

            Args:
                x: input, shape (N, C, H, W).
                size: window height and width.
                stride: step between windows.

            Returns:
                out, shape (N, C, H', W').
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            Ho = (H - size) // stride + 1
            Wo = (W - size) // stride + 1
            out = np.zeros((N, C, Ho, Wo))
            for n in range(N):
                for c in range(C):
                    for i in range(Ho):
                        for j in range(Wo):
                            top, left = i * stride, j * stride
                            out[n, c, i, j] = np.sum(x[n, c, top:top + size, left:left + size])
            return out / (size * size)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_avgpool_forward_basic",
        2,
        """
        # Visible test: one 4x4 image, 2x2 windows, stride 2.
        x = np.array([[[[1.0, 3.0, 2.0, 0.0],
                        [4.0, 2.0, 1.0, 1.0],
                        [0.0, -1.0, 5.0, 6.0],
                        [-2.0, -3.0, 7.0, 2.0]]]])
        expected = np.array([[[[2.5, 1.0],
                               [-1.5, 5.0]]]])
        check_output(avgpool2d_forward, (x,), {"size": 2, "stride": 2}, expected, "out",
                     hint("04", "average pooling"))
        # Visible test: 2 images with 2 channels of 4x6, 2x2 windows, stride 2.
        x = np.random.default_rng(35).integers(-5, 6, (2, 2, 4, 6)).astype(float)
        expected = np.array([[[[-1.0, -1.25, 1.25], [0.5, 1.75, 0.25]],
                              [[1.0, -1.0, 0.25], [-0.5, -2.0, -2.5]]],
                             [[[1.5, 0.0, -0.75], [0.5, -0.5, 1.0]],
                              [[-0.75, 0.5, -1.75], [0.5, -0.75, -1.75]]]])   # (2, 2, 2, 3)
        check_output(avgpool2d_forward, (x,), {"size": 2, "stride": 2}, expected, "out",
                     hint("04", "average pooling, each image and channel on its own"))
        check_unchanged("x", x, avgpool2d_forward, x, size=2, stride=2)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(33)
        for shape in [(2, 3, 6, 8), (3, 2, 4, 10), (1, 4, 8, 2)]:
            x = rng.standard_normal(shape)
            check_output(avgpool2d_forward, (x,), {"size": 2, "stride": 2},
                         reference.avgpool2d_forward(x, 2, 2), "out", hint("04", "average pooling"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_avgpool_forward_overlap",
        2,
        """
        # Visible test: 3x3 windows, stride 1, on a 3x4 image.
        x = np.arange(12.0).reshape(1, 1, 3, 4)
        expected = np.array([[[[5.0, 6.0]]]])
        check_output(avgpool2d_forward, (x,), {"size": 3, "stride": 1}, expected, "out",
                     hint("04", "window size and stride"))
        # Visible test: overlapping 2x2 windows (stride 1) on 2 images with 2 channels of 3x4.
        x = np.random.default_rng(37).integers(-5, 6, (2, 2, 3, 4)).astype(float)
        expected = np.array([[[[-2.5, 0.75, 2.5], [-3.0, 0.25, 2.25]],
                              [[0.5, 0.0, -2.75], [0.0, 1.0, 0.25]]],
                             [[[1.25, 0.75, -0.75], [0.75, 0.5, 0.25]],
                              [[-2.0, -3.0, -2.0], [-1.75, -1.75, 0.0]]]])   # (2, 2, 2, 3)
        check_output(avgpool2d_forward, (x,), {"size": 2, "stride": 1}, expected, "out",
                     hint("04", "window size and stride"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(34)
        for shape, size, stride in [((2, 3, 7, 9), 3, 2), ((2, 2, 5, 6), 3, 1),
                                    ((1, 3, 7, 8), 2, 3), ((2, 1, 9, 5), 4, 2)]:
            x = rng.standard_normal(shape)
            check_output(avgpool2d_forward, (x,), {"size": size, "stride": stride},
                         reference.avgpool2d_forward(x, size, stride), "out",
                         hint("04", "window size and stride"))
        ### END HIDDEN TESTS
        """,
    ),
]
