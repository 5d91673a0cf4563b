"""ps05: softmax and the softmax cross-entropy loss with its gradient."""

from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps05_softmax_cross_entropy"

CELLS = [
    md(
        "intro",
        """
        # Problem set 5: softmax and cross-entropy

        | function | what it computes | points |
        | --- | --- | --- |
        | `softmax` | class probabilities from scores, row by row | 4 |
        | `softmax_cross_entropy` | the mean loss of a batch and its gradient | 5 |

        Read the chapter *Softmax and cross-entropy*
        (`chapters/06_softmax_cross_entropy`) first, in particular how to keep
        `exp` from overflowing.

        **How to work.** Write each function in its answer cell, replacing the line
        `raise NotImplementedError()`, then run the test cell under it. A passing
        test prints nothing; a failing one names the failing call and shows the
        first wrong entry with both values. The autograder runs more tests when
        you submit, including scores (logits) in the thousands.

        **Rules.** Keep the names and signatures; use NumPy; do not import
        `cnnbook.layers`; nothing may be written to stderr: a NumPy warning such
        as "overflow encountered in exp" in a test cell costs that cell's points.
        """,
    ),
    code(
        "imports",
        """
        import numbers

        import numpy as np

        from cnnbook.grading import (
            call,
            check_array,
            check_float,
            check_output,
            check_tuple,
            check_unchanged,
            describe_call,
            hint,
        )

        PAIR = (numbers.Real, np.ndarray)  # softmax_cross_entropy returns (loss, dlogits)
        """,
    ),
    md(
        "softmax_intro",
        """
        ## 1. Softmax (4 points)

        Write `softmax(z)` for scores `z` of shape `(N, K)`: row `n` holds the
        scores of sample `n` for the `K` classes. Return probabilities of the same
        shape: in each row, the exponential of each score divided by the sum of
        the row's exponentials. The result must be correct (no `nan`, no `inf`)
        for scores as large as 1e4, positive or negative.

        Two test cells: ordinary scores (2 points); very large scores (2 points).
        """,
    ),
    answer(
        "softmax",
        '''
        def softmax(z):
            """Row-wise softmax.

            Args:
                z: scores, shape (N, K).

            Returns:
                probs, shape (N, K); each row sums to 1.
            """
            ### BEGIN SOLUTION
            shifted = z - np.max(z, axis=1, keepdims=True)
            e = np.exp(shifted)
            return e / np.sum(e, axis=1, keepdims=True)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_softmax_basic",
        2,
        """
        # Visible test: two rows of scores.
        z = np.array([[0.0, np.log(3.0)],
                      [1.0, 1.0]])
        expected = np.array([[0.25, 0.75],
                             [0.5, 0.5]])
        check_output(softmax, (z,), {}, expected, "probs", hint("06", "softmax"))
        # Visible test: 2 samples, 3 classes; adding a number to a whole row changes nothing.
        z = np.log(np.array([[1.0, 3.0, 4.0],
                             [2.0, 2.0, 4.0]])) + np.array([[2.0], [-1.0]])
        expected = np.array([[0.125, 0.375, 0.5],
                             [0.25, 0.25, 0.5]])
        check_output(softmax, (z,), {}, expected, "probs", hint("06", "softmax"))
        check_unchanged("z", z, softmax, z)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(51)
        for N, K in [(5, 7), (1, 3), (6, 2), (3, 10)]:
            z = rng.standard_normal((N, K)) * 3
            check_output(softmax, (z,), {}, reference.softmax(z), "probs", hint("06", "softmax"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_softmax_large",
        2,
        """
        # Visible test: large scores; only their differences matter.
        z = np.array([[1000.0, 1000.0 + np.log(3.0)]])
        expected = np.array([[0.25, 0.75]])
        check_output(softmax, (z,), {}, expected, "probs",
                     hint("06", "keeping the exponential from overflowing"))
        # Visible test: rows of very different sizes (around 1000, -1000 and 0).
        z = np.log(np.array([[1.0, 3.0, 4.0],
                             [2.0, 2.0, 4.0],
                             [1.0, 1.0, 2.0]])) + np.array([[1000.0], [-1000.0], [0.0]])
        expected = np.array([[0.125, 0.375, 0.5],
                             [0.25, 0.25, 0.5],
                             [0.25, 0.25, 0.5]])
        check_output(softmax, (z,), {}, expected, "probs",
                     hint("06", "keeping the exponential from overflowing"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(52)
        z = rng.standard_normal((6, 5)) * 5
        z[0] += 1e4
        z[1] -= 1e4
        z[2] += 700
        z[3] *= 300
        check_output(softmax, (z,), {}, reference.softmax(z), "probs",
                     hint("06", "keeping the exponential from overflowing"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "sce_intro",
        """
        ## 2. Softmax cross-entropy loss and its gradient (5 points)

        Write `softmax_cross_entropy(logits, y)` for scores `logits` of shape
        `(N, K)` and integer labels `y` of shape `(N,)` (each in `0 .. K-1`).
        Return a pair `(loss, dlogits)`:

        * `loss`: the cross-entropy of the softmax probabilities with the labels,
          **averaged over the batch**, as a Python `float`. It must be finite for
          any finite scores, however large.
        * `dlogits`: the gradient of `loss` with respect to `logits`, shape `(N, K)`.

        Three test cells: the loss (2 points); the gradient (2 points); very large
        scores (1 point).
        """,
    ),
    answer(
        "softmax_cross_entropy",
        '''
        def softmax_cross_entropy(logits, y):
            """Mean softmax cross-entropy loss and its gradient.

            Args:
                logits: scores, shape (N, K).
                y: integer labels, shape (N,).

            Returns:
                (loss, dlogits): a float and an array of shape (N, K).
            """
            ### BEGIN SOLUTION
            N = logits.shape[0]
            shifted = logits - np.max(logits, axis=1, keepdims=True)
            log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
            rows = np.arange(N)
            loss = -np.mean(log_probs[rows, y])
            dlogits = np.exp(log_probs)
            dlogits[rows, y] -= 1
            dlogits /= N
            return float(loss), dlogits
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_sce_loss",
        2,
        """
        # Visible test: two samples, two classes; probabilities 0.25/0.75 and 0.5/0.5.
        logits = np.array([[0.0, np.log(3.0)],
                           [1.0, 1.0]])
        y = np.array([1, 0])
        context = describe_call(softmax_cross_entropy, logits, y)
        result = call(softmax_cross_entropy, logits, y)
        check_tuple("the result", result, ("loss", "dlogits"), context, kinds=PAIR)
        expected_loss = -(np.log(0.75) + np.log(0.5)) / 2
        check_float("loss", result[0], expected_loss, context, hint("06", "the cross-entropy loss"))
        # Visible test: 4 samples, 3 classes; the probabilities of the labels are 1/2, 1/4,
        # 1/4 and 3/8.
        logits = np.log(np.array([[1.0, 3.0, 4.0],
                                  [2.0, 2.0, 4.0],
                                  [1.0, 1.0, 2.0],
                                  [3.0, 1.0, 4.0]])) + np.array([[1.0], [-2.0], [0.0], [3.0]])
        y = np.array([2, 0, 1, 0])
        context = describe_call(softmax_cross_entropy, logits, y)
        result = call(softmax_cross_entropy, logits, y)
        check_tuple("the result", result, ("loss", "dlogits"), context, kinds=PAIR)
        expected_loss = -(np.log(1 / 2) + np.log(1 / 4) + np.log(1 / 4) + np.log(3 / 8)) / 4
        check_float("loss", result[0], expected_loss, context,
                    hint("06", "the cross-entropy loss, averaged over the batch"))
        check_unchanged("logits", logits, softmax_cross_entropy, logits, y)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(53)
        for N, K in [(6, 5), (1, 3), (10, 4)]:
            logits = rng.standard_normal((N, K)) * 2
            y = rng.integers(0, K, N)
            loss = call(softmax_cross_entropy, logits, y)[0]
            check_float("loss", loss, reference.softmax_cross_entropy(logits, y)[0],
                        describe_call(softmax_cross_entropy, logits, y),
                        hint("06", "the cross-entropy loss, averaged over the batch"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_sce_gradient",
        2,
        """
        # Visible test: the same two samples.
        logits = np.array([[0.0, np.log(3.0)],
                           [1.0, 1.0]])
        y = np.array([1, 0])
        context = describe_call(softmax_cross_entropy, logits, y)
        result = call(softmax_cross_entropy, logits, y)
        check_tuple("the result", result, ("loss", "dlogits"), context, kinds=PAIR)
        expected = np.array([[0.125, -0.125],
                             [-0.25, 0.25]])
        check_array("dlogits", result[1], expected, context,
                    hint("06", "the gradient of the loss"))
        # Visible test: 4 samples, 3 classes (the probabilities are multiples of 1/8).
        logits = np.log(np.array([[1.0, 3.0, 4.0],
                                  [2.0, 2.0, 4.0],
                                  [1.0, 1.0, 2.0],
                                  [3.0, 1.0, 4.0]])) + np.array([[1.0], [-2.0], [0.0], [3.0]])
        y = np.array([2, 0, 1, 0])
        context = describe_call(softmax_cross_entropy, logits, y)
        result = call(softmax_cross_entropy, logits, y)
        check_tuple("the result", result, ("loss", "dlogits"), context, kinds=PAIR)
        expected = np.array([[0.03125, 0.09375, -0.125],
                             [-0.1875, 0.0625, 0.125],
                             [0.0625, -0.1875, 0.125],
                             [-0.15625, 0.03125, 0.125]])
        check_array("dlogits", result[1], expected, context,
                    hint("06", "the gradient of the loss, averaged over the batch"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(54)
        for N, K in [(6, 5), (1, 3), (10, 4)]:
            logits = rng.standard_normal((N, K)) * 2
            y = rng.integers(0, K, N)
            dlogits = call(softmax_cross_entropy, logits, y)[1]
            check_array("dlogits", dlogits, reference.softmax_cross_entropy(logits, y)[1],
                        describe_call(softmax_cross_entropy, logits, y),
                        hint("06", "the gradient of the loss, averaged over the batch"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_sce_large",
        1,
        """
        # Visible test: large scores; the loss must stay finite.
        logits = np.array([[1000.0, 0.0, -1000.0],
                           [0.0, 2000.0, 0.0]])
        y = np.array([2, 1])
        context = describe_call(softmax_cross_entropy, logits, y)
        result = call(softmax_cross_entropy, logits, y)
        check_tuple("the result", result, ("loss", "dlogits"), context, kinds=PAIR)
        loss, dlogits = result
        check_float("loss", loss, 1000.0, context,
                    hint("06", "computing the loss with log-sum-exp"))
        check_array("dlogits", dlogits, np.array([[0.5, 0.0, -0.5],
                                                  [0.0, 0.0, 0.0]]), context,
                    hint("06", "computing the loss with log-sum-exp"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        rng = hidden_rng(55)
        logits = rng.standard_normal((5, 4)) * 800
        logits[0] += 1e4
        y = rng.integers(0, 4, 5)
        want_loss, want_grad = reference.softmax_cross_entropy(logits, y)
        loss, dlogits = call(softmax_cross_entropy, logits, y)
        context = describe_call(softmax_cross_entropy, logits, y)
        h = hint("06", "computing the loss with log-sum-exp")
        check_float("loss", loss, want_loss, context, h)
        check_array("dlogits", dlogits, want_grad, context, h)
        ### END HIDDEN TESTS
        """,
    ),
]
