"""ps06: the backward passes of every layer."""

from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps06_backprop"
# The set-up cell imports the forward passes (graded in ps02 to ps04); the sandbox gives
# them, without the backward passes this assignment grades.
SANDBOX_MODULES = ("cnnbook.layers",)

CELLS = [
    md(
        "intro",
        """
        # Problem set 6: backpropagation

        In this assignment you write the backward pass of every layer. Each one
        receives `dout`, the gradient of the loss with respect to the layer's
        output, and the layer's forward inputs, and returns the gradient with
        respect to each input.

        | function | returns | points |
        | --- | --- | --- |
        | `relu_backward(dout, x)` | `dx` | 2 |
        | `affine_backward(dout, x, w)` | `(dx, dw, db)` | 3 |
        | `conv2d_backward(dout, x, w, stride=1, pad=0)` | `(dx, dw, db)` | 7 |
        | `maxpool2d_backward(dout, x, size=2, stride=2)` | `dx` | 4 |
        | `avgpool2d_backward(dout, x, size=2, stride=2)` | `dx` | 2 |

        Read the chapter *Backpropagation through a CNN*
        (`chapters/07_backpropagation`) first.

        **How to check yourself.** The visible tests compare your gradients with
        *numerical* gradients (centered differences, see `cnnbook.gradcheck`) of
        the forward passes you wrote in problem sets 2 to 4. Those forward passes
        are imported here from `cnnbook.layers`, so that a mistake in an earlier
        assignment cannot spoil this one. Do not import the backward passes: they
        are what you write.

        **How to work.** Write each function in its answer cell, replacing
        `raise NotImplementedError()`, then run the test cell under it. A failing
        test names the call, the gradient (`dx`, `dw` or `db`), expected against
        received shape, or the first wrong entry with both values. The
        autograder runs more tests when you submit: other shapes, strides,
        paddings, overlapping pooling windows. Loops are fine; write nothing to
        stderr.
        """,
    ),
    code(
        "imports",
        """
        import numpy as np

        from cnnbook.gradcheck import numerical_gradient
        from cnnbook.grading import check_output, check_unchanged, hint
        from cnnbook.layers import (  # forward passes, graded in problem sets 2 to 4
            affine_forward,
            avgpool2d_forward,
            conv2d_forward,
            maxpool2d_forward,
            relu_forward,
        )
        """,
    ),
    md(
        "relu_intro",
        """
        ## 1. ReLU (2 points)

        `relu_backward(dout, x)`: the gradient flows through where the input was
        positive and is 0 elsewhere. At exactly `x == 0` take the derivative as 0.
        """,
    ),
    answer(
        "relu_backward",
        '''
        def relu_backward(dout, x):
            """Backward pass of ReLU.

            Args:
                dout: upstream gradient, the shape of x.
                x: the forward input, any shape.

            Returns:
                dx, the shape of x.
            """
            ### BEGIN SOLUTION
            return dout * (x > 0)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_relu_backward",
        2,
        """
        # Visible test: by hand, then against a numerical gradient.
        rng = np.random.default_rng(601)  # this test's own inputs
        x = np.array([[-1.0, 2.0, 0.0], [3.0, -0.5, 1.0]])
        dout = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
        check_output(relu_backward, (dout, x), {}, np.array([[0.0, 20.0, 0.0], [40.0, 0.0, 60.0]]),
                     "dx", hint("07", "the gradient of ReLU"))
        x = rng.standard_normal((2, 3, 4, 5))
        dout = rng.standard_normal(x.shape)
        check_output(relu_backward, (dout, x), {}, numerical_gradient(relu_forward, x, dout), "dx",
                     hint("07", "the gradient of ReLU"), rtol=1e-5, atol=1e-7)
        # each check on its own: a call that overwrites x must not hide it from the next one
        check_unchanged("dout", dout, relu_backward, dout, x.copy())
        check_unchanged("x", x, relu_backward, dout.copy(), x)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(61)
        for shape in [(3, 4, 2, 5), (6,), (2, 7)]:
            x = np.round(hidden.standard_normal(shape), 1)   # exact zeros included
            x.flat[0] = 0.0
            dout = hidden.standard_normal(shape)
            check_output(relu_backward, (dout, x), {}, reference.relu_backward(dout, x), "dx",
                         hint("07", "the gradient of ReLU"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "affine_intro",
        """
        ## 2. Fully connected layer (3 points)

        `affine_backward(dout, x, w)` for the layer `out = X @ w + b`, where
        `X = x.reshape(N, D)` flattens every sample. `dout` has shape `(N, M)`.
        Return `(dx, dw, db)` with the shapes of `x` (its original shape, not
        the flattened one), `w` and `b`.

        Two test cells: 2-D input (2 points); images `(N, C, H, W)` (1 point).
        """,
    ),
    answer(
        "affine_backward",
        '''
        def affine_backward(dout, x, w):
            """Backward pass of the fully connected layer.

            Args:
                dout: upstream gradient, shape (N, M).
                x: the forward input, shape (N, d1, ..., dk).
                w: weights, shape (D, M).

            Returns:
                (dx, dw, db) with shapes x.shape, (D, M), (M,).
            """
            ### BEGIN SOLUTION
            N = x.shape[0]
            X = x.reshape(N, -1)
            dx = (dout @ w.T).reshape(x.shape)
            dw = X.T @ dout
            db = dout.sum(axis=0)
            return dx, dw, db
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_affine_backward",
        2,
        """
        # Visible test: against numerical gradients, 4 samples, 5 features, 3 outputs.
        rng = np.random.default_rng(602)  # this test's own inputs
        x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
        dout = rng.standard_normal((4, 3))
        expected = (numerical_gradient(lambda x: affine_forward(x, w, b), x, dout),
                    numerical_gradient(lambda w: affine_forward(x, w, b), w, dout),
                    numerical_gradient(lambda b: affine_forward(x, w, b), b, dout))
        check_output(affine_backward, (dout, x, w), {}, expected, ("dx", "dw", "db"),
                     hint("07", "the gradients of a fully connected layer"), rtol=1e-5, atol=1e-7)
        check_unchanged("dout", dout, affine_backward, dout, x.copy(), w.copy())
        check_unchanged("x", x, affine_backward, dout.copy(), x, w.copy())
        check_unchanged("w", w, affine_backward, dout.copy(), x.copy(), w)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(62)
        for N, D, M in [(6, 4, 7), (1, 3, 2), (9, 8, 1)]:
            x, w = hidden.standard_normal((N, D)), hidden.standard_normal((D, M))
            dout = hidden.standard_normal((N, M))
            check_output(affine_backward, (dout, x, w), {}, reference.affine_backward(dout, x, w),
                         ("dx", "dw", "db"), hint("07", "the gradients of a fully connected layer"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_affine_backward_images",
        1,
        """
        # Visible test: a batch of 2 images of shape (3, 2, 4), 5 outputs.
        rng = np.random.default_rng(603)  # this test's own inputs
        x, w = rng.standard_normal((2, 3, 2, 4)), rng.standard_normal((24, 5))
        b = rng.standard_normal(5)
        dout = rng.standard_normal((2, 5))
        expected = (numerical_gradient(lambda x: affine_forward(x, w, b), x, dout),
                    numerical_gradient(lambda w: affine_forward(x, w, b), w, dout),
                    numerical_gradient(lambda b: affine_forward(x, w, b), b, dout))
        check_output(affine_backward, (dout, x, w), {}, expected, ("dx", "dw", "db"),
                     hint("07", "the gradient of the flattening"), rtol=1e-5, atol=1e-7)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(63)
        for shape, M in [((3, 2, 5, 4), 6), ((4, 3, 2), 3)]:
            x = hidden.standard_normal(shape)
            w = hidden.standard_normal((int(np.prod(shape[1:])), M))
            dout = hidden.standard_normal((shape[0], M))
            check_output(affine_backward, (dout, x, w), {}, reference.affine_backward(dout, x, w),
                         ("dx", "dw", "db"), hint("07", "the gradient of the flattening"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "conv_intro",
        """
        ## 3. Convolution (7 points)

        `conv2d_backward(dout, x, w, stride=1, pad=0)` for the layer of problem
        set 2: `x` is `(N, C, H, W)`, `w` is `(F, C, HH, WW)`, `dout` is
        `(N, F, H', W')`. Return `(dx, dw, db)` with the shapes of `x`, `w` and
        `(F,)`. The bias is not an argument: its gradient does not depend on it.

        Four test cells: `db` (1 point), `dw` (2 points), `dx` (2 points), all three
        with strides and paddings (2 points).
        """,
    ),
    answer(
        "conv2d_backward",
        '''
        def conv2d_backward(dout, x, w, stride=1, pad=0):
            """Backward pass of the convolution layer.

            Args:
                dout: upstream gradient, shape (N, F, H', W').
                x: the forward input, shape (N, C, H, W).
                w: filters, shape (F, C, HH, WW).
                stride, pad: as in the forward pass.

            Returns:
                (dx, dw, db) with shapes (N, C, H, W), (F, C, HH, WW), (F,).
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            F, _, HH, WW = w.shape
            _, _, Ho, Wo = dout.shape
            xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
            dxp = np.zeros(xp.shape)
            dw = np.zeros(w.shape)
            db = dout.sum(axis=(0, 2, 3))
            for n in range(N):
                for f in range(F):
                    for i in range(Ho):
                        for j in range(Wo):
                            top, left = i * stride, j * stride
                            g = dout[n, f, i, j]
                            dw[f] += g * xp[n, :, top:top + HH, left:left + WW]
                            dxp[n, :, top:top + HH, left:left + WW] += g * w[f]
            dx = dxp[:, :, pad:pad + H, pad:pad + W]
            return dx, dw, db
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_conv_backward_db",
        1,
        """
        # Visible test: db against a numerical gradient (stride 1, no padding).
        rng = np.random.default_rng(604)  # this test's own inputs
        x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 3, 2))
        b = rng.standard_normal(2)
        dout = rng.standard_normal((2, 2, 3, 3))
        expected_db = numerical_gradient(lambda b: conv2d_forward(x, w, b), b, dout)
        check_output(conv2d_backward, (dout, x, w), {}, (None, None, expected_db),
                     ("dx", "dw", "db"), hint("07", "the gradient of the bias"),
                     rtol=1e-5, atol=1e-7)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(64)
        x, w = hidden.standard_normal((3, 2, 6, 5)), hidden.standard_normal((4, 2, 2, 3))
        dout = hidden.standard_normal((3, 4, 5, 3))
        check_output(conv2d_backward, (dout, x, w), {},
                     (None, None, reference.conv2d_backward(dout, x, w)[2]), ("dx", "dw", "db"),
                     hint("07", "the gradient of the bias"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_conv_backward_dw",
        2,
        """
        # Visible test: dw against a numerical gradient (stride 1, no padding).
        rng = np.random.default_rng(605)  # this test's own inputs
        x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 3, 2))
        b = rng.standard_normal(2)
        dout = rng.standard_normal((2, 2, 3, 3))
        expected_dw = numerical_gradient(lambda w: conv2d_forward(x, w, b), w, dout)
        check_output(conv2d_backward, (dout, x, w), {}, (None, expected_dw, None),
                     ("dx", "dw", "db"), hint("07", "the gradient of the filters"),
                     rtol=1e-5, atol=1e-7)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(65)
        x, w = hidden.standard_normal((3, 2, 6, 5)), hidden.standard_normal((4, 2, 2, 3))
        dout = hidden.standard_normal((3, 4, 5, 3))
        check_output(conv2d_backward, (dout, x, w), {},
                     (None, reference.conv2d_backward(dout, x, w)[1], None), ("dx", "dw", "db"),
                     hint("07", "the gradient of the filters"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_conv_backward_dx",
        2,
        """
        # Visible test: dx against a numerical gradient (stride 1, no padding).
        rng = np.random.default_rng(606)  # this test's own inputs
        x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 3, 2))
        b = rng.standard_normal(2)
        dout = rng.standard_normal((2, 2, 3, 3))
        expected_dx = numerical_gradient(lambda x: conv2d_forward(x, w, b), x, dout)
        check_output(conv2d_backward, (dout, x, w), {}, (expected_dx, None, None),
                     ("dx", "dw", "db"), hint("07", "the gradient of the input"),
                     rtol=1e-5, atol=1e-7)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(66)
        x, w = hidden.standard_normal((3, 2, 6, 5)), hidden.standard_normal((4, 2, 2, 3))
        dout = hidden.standard_normal((3, 4, 5, 3))
        check_output(conv2d_backward, (dout, x, w), {},
                     (reference.conv2d_backward(dout, x, w)[0], None, None), ("dx", "dw", "db"),
                     hint("07", "the gradient of the input"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_conv_backward_stride_pad",
        2,
        """
        # Visible test: stride 2 and pad 1, all three gradients against numerical ones.
        rng = np.random.default_rng(607)  # this test's own inputs
        x, w = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3))
        b = rng.standard_normal(3)
        dout = rng.standard_normal((2, 3, 3, 3))
        forward = {"stride": 2, "pad": 1}
        expected = (numerical_gradient(lambda x: conv2d_forward(x, w, b, **forward), x, dout),
                    numerical_gradient(lambda w: conv2d_forward(x, w, b, **forward), w, dout),
                    numerical_gradient(lambda b: conv2d_forward(x, w, b, **forward), b, dout))
        check_output(conv2d_backward, (dout, x, w), forward, expected, ("dx", "dw", "db"),
                     hint("07", "backpropagation with stride and padding"), rtol=1e-5, atol=1e-7)
        check_unchanged("dout", dout, conv2d_backward, dout, x.copy(), w, **forward)
        check_unchanged("x", x, conv2d_backward, dout.copy(), x, w, **forward)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(67)
        for (N, C, H, W), (F, HH, WW), stride, pad in [((2, 3, 7, 9), (4, 3, 2), 2, 0),
                                                       ((2, 2, 8, 6), (3, 3, 3), 3, 1),
                                                       ((1, 3, 6, 7), (2, 2, 4), 2, 2),
                                                       ((3, 1, 5, 5), (2, 3, 3), 1, 2)]:
            x, w = hidden.standard_normal((N, C, H, W)), hidden.standard_normal((F, C, HH, WW))
            Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
            dout = hidden.standard_normal((N, F, Ho, Wo))
            check_output(conv2d_backward, (dout, x, w), {"stride": stride, "pad": pad},
                         reference.conv2d_backward(dout, x, w, stride=stride, pad=pad),
                         ("dx", "dw", "db"), hint("07", "backpropagation with stride and padding"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "maxpool_intro",
        """
        ## 4. Max pooling (4 points)

        `maxpool2d_backward(dout, x, size=2, stride=2)`: each window passes its
        gradient `dout[n, c, i, j]` to the position of its maximum in `x`, and
        nothing to the other positions. If the maximum occurs several times in a
        window, the gradient goes to the **first** one in row-major order (the one
        `np.argmax` finds). Where windows overlap, one input can receive gradients
        from several windows: they add up.

        Two test cells: 2x2 windows with stride 2 (2 points); overlapping windows
        and ties (2 points).
        """,
    ),
    answer(
        "maxpool2d_backward",
        '''
        def maxpool2d_backward(dout, x, size=2, stride=2):
            """Backward pass of max pooling.

            Args:
                dout: upstream gradient, shape (N, C, H', W').
                x: the forward input, shape (N, C, H, W).
                size, stride: as in the forward pass.

            Returns:
                dx, shape (N, C, H, W).
            """
            ### BEGIN SOLUTION
            N, C, Ho, Wo = dout.shape
            dx = np.zeros(x.shape)
            for n in range(N):
                for c in range(C):
                    for i in range(Ho):
                        for j in range(Wo):
                            top, left = i * stride, j * stride
                            window = x[n, c, top:top + size, left:left + size]
                            di, dj = divmod(int(np.argmax(window)), size)
                            dx[n, c, top + di, left + dj] += dout[n, c, i, j]
            return dx
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_maxpool_backward",
        2,
        """
        # Visible test: 2x2 windows, stride 2, against a numerical gradient.
        rng = np.random.default_rng(608)  # this test's own inputs
        x = rng.standard_normal((2, 3, 4, 6))
        dout = rng.standard_normal((2, 3, 2, 3))
        expected = numerical_gradient(lambda x: maxpool2d_forward(x, 2, 2), x, dout)
        check_output(maxpool2d_backward, (dout, x), {"size": 2, "stride": 2}, expected, "dx",
                     hint("07", "the gradient of max pooling"), rtol=1e-5, atol=1e-7)
        check_unchanged("dout", dout, maxpool2d_backward, dout, x.copy(), size=2, stride=2)
        check_unchanged("x", x, maxpool2d_backward, dout.copy(), x, size=2, stride=2)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(68)
        for shape in [(3, 2, 6, 8), (1, 4, 5, 7)]:
            x = hidden.standard_normal(shape)
            dout = hidden.standard_normal(reference.maxpool2d_forward(x, 2, 2).shape)
            check_output(maxpool2d_backward, (dout, x), {"size": 2, "stride": 2},
                         reference.maxpool2d_backward(dout, x, 2, 2), "dx",
                         hint("07", "the gradient of max pooling"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_maxpool_backward_overlap_ties",
        2,
        """
        # Visible test 1: overlapping 2x2 windows (stride 1); the 9 is the maximum of all four.
        x = np.array([[[[1.0, 2.0, 0.0],
                        [3.0, 9.0, 4.0],
                        [0.0, 5.0, 1.0]]]])
        dout = np.array([[[[1.0, 2.0],
                           [3.0, 4.0]]]])
        expected = np.array([[[[0.0, 0.0, 0.0],
                               [0.0, 10.0, 0.0],
                               [0.0, 0.0, 0.0]]]])
        check_output(maxpool2d_backward, (dout, x), {"size": 2, "stride": 1}, expected, "dx",
                     hint("07", "overlapping windows and ties in max pooling"))
        # Visible test 2: a tie; the gradient goes to the first maximum in row-major order.
        x = np.array([[[[5.0, 1.0], [5.0, 5.0]]]])
        dout = np.array([[[[7.0]]]])
        expected = np.array([[[[7.0, 0.0], [0.0, 0.0]]]])
        check_output(maxpool2d_backward, (dout, x), {"size": 2, "stride": 2}, expected, "dx",
                     hint("07", "ties in max pooling"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(69)
        for shape, size, stride in [((2, 3, 7, 9), 3, 2), ((2, 2, 5, 6), 3, 1),
                                    ((1, 3, 7, 8), 2, 3), ((2, 2, 6, 5), 2, 1)]:
            x = hidden.integers(0, 3, shape).astype(float)    # many ties
            dout = hidden.standard_normal(reference.maxpool2d_forward(x, size, stride).shape)
            check_output(maxpool2d_backward, (dout, x), {"size": size, "stride": stride},
                         reference.maxpool2d_backward(dout, x, size, stride), "dx",
                         hint("07", "overlapping windows and ties in max pooling"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "avgpool_intro",
        """
        ## 5. Average pooling (2 points)

        `avgpool2d_backward(dout, x, size=2, stride=2)`: every input of a window
        gets its share of the window's gradient; where windows overlap the shares
        add up.
        """,
    ),
    answer(
        "avgpool2d_backward",
        '''
        def avgpool2d_backward(dout, x, size=2, stride=2):
            """Backward pass of average pooling.

            Args:
                dout: upstream gradient, shape (N, C, H', W').
                x: the forward input, shape (N, C, H, W).
                size, stride: as in the forward pass.

            Returns:
                dx, shape (N, C, H, W).
            """
            ### BEGIN SOLUTION
            N, C, Ho, Wo = dout.shape
            dx = np.zeros(x.shape)
            for n in range(N):
                for c in range(C):
                    for i in range(Ho):
                        for j in range(Wo):
                            top, left = i * stride, j * stride
                            share = dout[n, c, i, j] / (size * size)
                            dx[n, c, top:top + size, left:left + size] += share
            return dx
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_avgpool_backward",
        2,
        """
        # Visible test: 2x2 windows with stride 2, then 3x3 windows with stride 1 (overlapping).
        rng = np.random.default_rng(609)  # this test's own inputs
        x = rng.standard_normal((2, 3, 4, 6))
        dout = rng.standard_normal((2, 3, 2, 3))
        expected = numerical_gradient(lambda x: avgpool2d_forward(x, 2, 2), x, dout)
        check_output(avgpool2d_backward, (dout, x), {"size": 2, "stride": 2}, expected, "dx",
                     hint("07", "the gradient of average pooling"), rtol=1e-5, atol=1e-7)
        x = rng.standard_normal((1, 2, 5, 4))
        dout = rng.standard_normal((1, 2, 3, 2))
        expected = numerical_gradient(lambda x: avgpool2d_forward(x, 3, 1), x, dout)
        check_output(avgpool2d_backward, (dout, x), {"size": 3, "stride": 1}, expected, "dx",
                     hint("07", "overlapping windows in average pooling"), rtol=1e-5, atol=1e-7)
        check_unchanged("dout", dout, avgpool2d_backward, dout, x.copy(), size=3, stride=1)
        check_unchanged("x", x, avgpool2d_backward, dout.copy(), x, size=3, stride=1)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        hidden = hidden_rng(70)
        for shape, size, stride in [((2, 3, 7, 9), 3, 2), ((2, 2, 5, 6), 3, 1),
                                    ((1, 3, 7, 8), 2, 3), ((3, 2, 6, 4), 2, 2)]:
            x = hidden.standard_normal(shape)
            dout = hidden.standard_normal(reference.avgpool2d_forward(x, size, stride).shape)
            check_output(avgpool2d_backward, (dout, x), {"size": size, "stride": stride},
                         reference.avgpool2d_backward(dout, x, size, stride), "dx",
                         hint("07", "the gradient of average pooling"))
        ### END HIDDEN TESTS
        """,
    ),
]
