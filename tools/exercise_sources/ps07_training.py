"""ps07: assemble a small CNN from layer functions and train it on the digits."""

from exercise_sources import answer, code, driver, md, tests

ASSIGNMENT = "ps07_training"
# The first answer cell may import the course's layers (graded in ps02 to ps06).
SANDBOX_MODULES = ("cnnbook.layers",)

CELLS = [
    md(
        "intro",
        """
        # Problem set 7: training a CNN

        You now assemble the layers of problem sets 2 to 6 into a network and
        train it on the handwritten digits (8x8 pixels, 10 classes) with
        mini-batch stochastic gradient descent. The network is fixed:

        | layer | output shape for a batch of N |
        | --- | --- |
        | input `x` | `(N, 1, 8, 8)` |
        | convolution, 8 filters of 3x3, stride 1, pad 1 (`w1`, `b1`) | `(N, 8, 8, 8)` |
        | ReLU | `(N, 8, 8, 8)` |
        | max pooling, 2x2 windows, stride 2 | `(N, 8, 4, 4)` |
        | fully connected, 128 -> 10 (`w2`, `b2`) | `(N, 10)`: the logits |

        | function | points |
        | --- | --- |
        | `init_params` | 1 |
        | `model_forward` | 2 |
        | `model_backward` | 3 |
        | `sgd_step` | 1 |
        | `train`: the loss goes down | 2 |
        | `train`: at least **90 %** accuracy on the 360 held-out test digits | 3 |

        Read the chapter *Training a CNN from scratch* (`chapters/08_training`)
        first.

        **Time budget.** The training cell should finish within about a minute.
        Plain-loop layers are too slow for that; the first answer cell therefore
        lets you import the course's layer functions (see below).

        **How to work.** Write each function in its answer cell, replacing
        `raise NotImplementedError()`, then run the cells below it. The
        autograder reruns the whole notebook, including the training, and
        checks the model on the test digits with its own copy of the layers.
        Write nothing to stderr.
        """,
    ),
    code(
        "imports",
        """
        import time

        import numpy as np

        from cnnbook.data import load_digits
        from cnnbook.grading import call, check_array, hint

        # x_train (1437, 1, 8, 8), y_train (1437,), x_test (360, 1, 8, 8), y_test (360,)
        digits = load_digits(dtype=np.float64)
        """,
    ),
    md(
        "layers_intro",
        """
        ## 0. The layers

        Make these nine functions available in the next cell, with the
        signatures of the course (`cnnbook.layers`): `conv2d_forward`,
        `conv2d_backward`, `relu_forward`, `relu_backward`, `maxpool2d_forward`,
        `maxpool2d_backward`, `affine_forward`, `affine_backward`,
        `softmax_cross_entropy`. Either

        * paste your own functions from problem sets 2 to 6 (they are graded
          there already; vectorize them if training gets too slow), or
        * import them: `from cnnbook.layers import conv2d_forward, ...`. This is
          **explicitly allowed** here, and it is what we recommend: this
          assignment grades the assembly and the training, not the layers again.
        """,
    ),
    answer(
        "layers",
        """
        ### BEGIN SOLUTION
        from cnnbook.layers import (affine_backward, affine_forward, conv2d_backward,
                                    conv2d_forward, maxpool2d_backward, maxpool2d_forward,
                                    relu_backward, relu_forward, softmax_cross_entropy)
        ### END SOLUTION
        """,
    ),
    md(
        "init_intro",
        """
        ## 1. Parameters (1 point)

        `init_params(seed=0)` returns a dict with four float arrays:
        `"w1"` of shape `(8, 1, 3, 3)`, `"b1"` `(8,)`, `"w2"` `(128, 10)`, `"b2"`
        `(10,)`. Draw the weights at random with a small spread (the chapter
        discusses how small) from `np.random.default_rng(seed)`; biases may
        start at 0. Weights that are all equal (or all 0) cannot learn.
        """,
    ),
    answer(
        "init_params",
        '''
        def init_params(seed=0):
            """Random initial parameters of the network.

            Returns:
                {"w1": (8, 1, 3, 3), "b1": (8,), "w2": (128, 10), "b2": (10,)}
            """
            ### BEGIN SOLUTION
            rng = np.random.default_rng(seed)
            return {
                "w1": rng.standard_normal((8, 1, 3, 3)) * np.sqrt(2 / 9),
                "b1": np.zeros(8),
                "w2": rng.standard_normal((128, 10)) * np.sqrt(2 / 128),
                "b2": np.zeros(10),
            }
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_init_params",
        1,
        """
        # Visible test: names, shapes, a random start.
        params = call(init_params, 0)
        assert isinstance(params, dict), f"init_params(0) returned a {type(params).__name__}"
        shapes = {"w1": (8, 1, 3, 3), "b1": (8,), "w2": (128, 10), "b2": (10,)}
        assert set(params) == set(shapes), f"expected the keys {sorted(shapes)}: {sorted(params)}"
        for key, shape in shapes.items():
            assert isinstance(params[key], np.ndarray) and params[key].shape == shape, (
                f"params[{key!r}]: expected an array of shape {shape}, got "
                f"{getattr(params[key], 'shape', type(params[key]).__name__)}")
            assert np.all(np.isfinite(params[key])), f"params[{key!r}] is not finite"
        for key in ("w1", "w2"):
            assert np.std(params[key]) > 0, f"params[{key!r}] has all entries equal"
            assert np.max(np.abs(params[key])) < 10, f"params[{key!r}] is far too large"
        ### BEGIN HIDDEN TESTS
        other = call(init_params, 1)
        assert not np.array_equal(other["w1"], params["w1"]), "init_params ignores its seed"
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "forward_intro",
        """
        ## 2. Forward pass (2 points)

        `model_forward(params, x)` runs a batch `x` of shape `(N, 1, 8, 8)`
        through the network of the table above and returns a pair
        `(logits, cache)`: the logits of shape `(N, 10)`, and whatever your
        backward pass will need (the intermediate results), in any form you like.
        """,
    ),
    answer(
        "model_forward",
        '''
        def model_forward(params, x):
            """Logits of the network for a batch x of shape (N, 1, 8, 8).

            Returns:
                (logits, cache): logits of shape (N, 10); cache for model_backward.
            """
            ### BEGIN SOLUTION
            a1 = conv2d_forward(x, params["w1"], params["b1"], stride=1, pad=1)
            r1 = relu_forward(a1)
            p1 = maxpool2d_forward(r1, size=2, stride=2)
            logits = affine_forward(p1, params["w2"], params["b2"])
            return logits, (x, a1, r1, p1)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_model_forward",
        2,
        """
        # Visible test: shapes on a batch of 5 digits.
        params = call(init_params, 0)
        result = call(model_forward, params, digits.x_train[:5])
        assert isinstance(result, tuple) and len(result) == 2, "return a pair (logits, cache)"
        logits = result[0]
        assert isinstance(logits, np.ndarray) and logits.shape == (5, 10), (
            f"logits: expected shape (5, 10), got {getattr(logits, 'shape', type(logits))}")
        assert np.all(np.isfinite(logits)), "logits are not all finite"
        # Visible test: 8 filters that copy the image (a 1 in the centre), and weights w2 that
        # read only the pooled value of channel 0 at row 1, column 1 into logit 0 (the pixels
        # are >= 0, so the ReLU keeps them): logit 0 is the largest pixel of rows 2-3,
        # columns 2-3 of each digit, plus b2[0]; the other logits are b2.
        x = digits.x_train[:5]
        w1 = np.zeros((8, 1, 3, 3))
        w1[:, 0, 1, 1] = 1.0
        w2 = np.zeros((128, 10))
        w2[1 * 4 + 1, 0] = 1.0
        b2 = np.arange(10.0)
        params = {"w1": w1, "b1": np.zeros(8), "w2": w2, "b2": b2}
        expected = np.tile(b2, (5, 1))
        expected[:, 0] += x[:, 0, 2:4, 2:4].max(axis=(1, 2))
        check_array("logits", call(model_forward, params, x)[0], expected,
                    "model_forward(params, x=<array (5, 1, 8, 8)>) with copying filters",
                    hint("08", "the network, layer by layer"))
        # Visible test: filters and biases that make every convolution output negative: the
        # ReLU turns them all to 0, so the logits are b2 whatever w2 is.
        params = {"w1": -np.ones((8, 1, 3, 3)), "b1": np.full(8, -0.5),
                  "w2": np.linspace(-1.0, 1.0, 1280).reshape(128, 10), "b2": b2}
        check_array("logits", call(model_forward, params, x)[0], np.tile(b2, (5, 1)),
                    "model_forward(params, x=<array (5, 1, 8, 8)>) with negative filters",
                    hint("08", "the network, layer by layer"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        def reference_logits(params, x):
            a = reference.conv2d_forward(x, params["w1"], params["b1"], stride=1, pad=1)
            a = reference.maxpool2d_forward(reference.relu_forward(a), 2, 2)
            return reference.affine_forward(a, params["w2"], params["b2"])

        rng = hidden_rng(71)
        params = {"w1": rng.standard_normal((8, 1, 3, 3)), "b1": rng.standard_normal(8),
                  "w2": rng.standard_normal((128, 10)) * 0.1, "b2": rng.standard_normal(10)}
        x = digits.x_test[:7]
        check_array("logits", call(model_forward, params, x)[0], reference_logits(params, x),
                    "model_forward(params, x=<array (7, 1, 8, 8)>)",
                    hint("08", "the network, layer by layer"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "backward_intro",
        """
        ## 3. Backward pass (3 points)

        `model_backward(dlogits, cache, params)` takes the gradient of the loss
        with respect to the logits (as returned by `softmax_cross_entropy`) and
        the cache of `model_forward`, and returns a dict of gradients with the
        keys and shapes of `params`: `{"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}`.
        The visible test compares it with numerical gradients of the loss.
        """,
    ),
    answer(
        "model_backward",
        '''
        def model_backward(dlogits, cache, params):
            """Gradients of the loss with respect to every parameter.

            Returns:
                {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}, shapes as in params.
            """
            ### BEGIN SOLUTION
            x, a1, r1, p1 = cache
            dp1, dw2, db2 = affine_backward(dlogits, p1, params["w2"])
            dr1 = maxpool2d_backward(dp1, r1, size=2, stride=2)
            da1 = relu_backward(dr1, a1)
            _, dw1, db1 = conv2d_backward(da1, x, params["w1"], stride=1, pad=1)
            return {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_model_backward",
        3,
        """
        # Visible test: every gradient against a numerical gradient of the loss, 4 digits.
        rng = np.random.default_rng(703)   # this test's own parameters (not init_params')
        params = {"w1": rng.standard_normal((8, 1, 3, 3)) * 0.5,
                  "b1": np.linspace(-0.2, 0.2, 8),     # avoid exact zeros at the ReLU
                  "w2": rng.standard_normal((128, 10)) * 0.1, "b2": rng.standard_normal(10)}
        x, y = digits.x_train[:4], digits.y_train[:4]

        def loss_of(params):
            return softmax_cross_entropy(model_forward(params, x)[0], y)[0]

        before = {key: value.copy() for key, value in params.items()}
        logits, cache = call(model_forward, params, x)
        dlogits = softmax_cross_entropy(logits, y)[1]
        grads = call(model_backward, dlogits, cache, params)
        assert isinstance(grads, dict) and set(grads) == set(params), (
            f"model_backward must return a dict with the keys {sorted(params)}")
        for key, value in before.items():  # the gradients below are of these parameters
            assert isinstance(params.get(key), np.ndarray) and np.array_equal(params[key], value), (
                f"model_forward or model_backward changed params[{key!r}]: leave params as it is")
        picks = np.random.default_rng(5)     # a few entries of each parameter, spot-checked
        for key in params:
            flat = params[key].reshape(-1)    # a view: writing flat[i] changes params[key]
            entries = np.sort(picks.choice(flat.size, size=min(6, flat.size), replace=False))
            numeric = np.zeros(len(entries))
            for k, i in enumerate(entries):
                old = flat[i]
                flat[i] = old + 1e-5
                plus = loss_of(params)
                flat[i] = old - 1e-5
                minus = loss_of(params)
                flat[i] = old
                numeric[k] = (plus - minus) / 2e-5
            got = grads[key]
            if isinstance(got, np.ndarray) and got.shape == params[key].shape:
                got = got.reshape(-1)[entries]
            check_array(f"grads[{key!r}] at the flattened entries {entries.tolist()}", got,
                        numeric, "model_backward(dlogits, cache, params)",
                        hint("08", "the backward pass through the whole network"),
                        rtol=1e-4, atol=1e-7)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import layers as reference

        def reference_grads(params, x, y):
            a = reference.conv2d_forward(x, params["w1"], params["b1"], stride=1, pad=1)
            r = reference.relu_forward(a)
            p = reference.maxpool2d_forward(r, 2, 2)
            logits = reference.affine_forward(p, params["w2"], params["b2"])
            dlogits = reference.softmax_cross_entropy(logits, y)[1]
            dp, dw2, db2 = reference.affine_backward(dlogits, p, params["w2"])
            da = reference.relu_backward(reference.maxpool2d_backward(dp, r, 2, 2), a)
            _, dw1, db1 = reference.conv2d_backward(da, x, params["w1"], stride=1, pad=1)
            return dlogits, {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}

        rng = hidden_rng(72)
        params = {"w1": rng.standard_normal((8, 1, 3, 3)), "b1": rng.standard_normal(8),
                  "w2": rng.standard_normal((128, 10)) * 0.1, "b2": rng.standard_normal(10)}
        x, y = digits.x_test[:16], digits.y_test[:16]
        dlogits, expected = reference_grads(params, x, y)
        _, cache = call(model_forward, params, x)
        grads = call(model_backward, dlogits, cache, params)
        for key in params:
            check_array(f"grads[{key!r}]", grads[key], expected[key],
                        "model_backward(dlogits, cache, params) on 16 test digits",
                        hint("08", "the backward pass through the whole network"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "sgd_intro",
        """
        ## 4. One step of gradient descent (1 point)

        `sgd_step(params, grads, lr)` moves every parameter a step of size `lr`
        against its gradient. Update the arrays of `params` **in place** (the
        dict and its arrays stay the same objects); return nothing.
        """,
    ),
    answer(
        "sgd_step",
        '''
        def sgd_step(params, grads, lr):
            """Update params in place by one step of gradient descent."""
            ### BEGIN SOLUTION
            for key in params:
                params[key] -= lr * grads[key]
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_sgd_step",
        1,
        """
        # Visible test: one step with lr = 0.5.
        p = {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
        g = {"w": np.array([2.0, -2.0]), "b": np.array([1.0])}
        w_before = p["w"]
        call(sgd_step, p, g, 0.5)
        check_array('params["w"]', p["w"], np.array([0.0, 3.0]), "sgd_step(params, grads, lr=0.5)",
                    hint("08", "gradient descent"))
        check_array('params["b"]', p["b"], np.array([0.0]), "sgd_step(params, grads, lr=0.5)",
                    hint("08", "gradient descent"))
        assert p["w"] is w_before, "sgd_step must update the arrays in place, not replace them"
        ### BEGIN HIDDEN TESTS
        p = {"a": np.ones((2, 3)), "b": np.zeros(4)}
        g = {"a": np.full((2, 3), 4.0), "b": np.arange(4.0)}
        call(sgd_step, p, g, 0.25)
        check_array('params["a"]', p["a"], np.zeros((2, 3)), "sgd_step(params, grads, lr=0.25)")
        check_array('params["b"]', p["b"], -0.25 * np.arange(4.0),
                    "sgd_step(params, grads, lr=0.25)")
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "train_intro",
        """
        ## 5. Training (5 points)

        `train(x, y, ...)` trains the network from `init_params(seed)` with
        mini-batch SGD and returns `(params, losses)`: the trained parameters
        and the list of the loss of every mini-batch, in order. Each epoch should
        visit every training digit once, in a new random order. The cell after
        it calls `train(x_train, y_train)` with the defaults of the signature:
        they suit a correct network, and you may change them.

        The trained network must reach at least 90 % accuracy on the 360 test
        digits, which it never sees during training, and the loss must go down
        (the mean loss of the last tenth of the mini-batches must be below half
        the mean of the first tenth). Stay within about 60 seconds.
        """,
    ),
    answer(
        "train",
        '''
        def train(x, y, epochs=15, lr=0.2, batch_size=32, seed=0):
            """Train the network with mini-batch SGD.

            Args:
                x: images, shape (N, 1, 8, 8).
                y: labels, shape (N,).

            Returns:
                (params, losses): the trained parameters and the loss of every mini-batch.
            """
            ### BEGIN SOLUTION
            params = init_params(seed)
            rng = np.random.default_rng(seed)
            losses = []
            N = x.shape[0]
            for _epoch in range(epochs):
                order = rng.permutation(N)
                for start in range(0, N, batch_size):
                    batch = order[start:start + batch_size]
                    logits, cache = model_forward(params, x[batch])
                    loss, dlogits = softmax_cross_entropy(logits, y[batch])
                    grads = model_backward(dlogits, cache, params)
                    sgd_step(params, grads, lr)
                    losses.append(loss)
            return params, losses
            ### END SOLUTION
        ''',
    ),
    driver(
        "training_run",
        """
        # The training run that the next two test cells grade.
        trained = None
        start = time.perf_counter()
        trained = call(train, digits.x_train, digits.y_train)
        seconds = time.perf_counter() - start
        print(f"trained in {seconds:.1f} s")
        """,
    ),
    tests(
        "test_training_loss",
        2,
        """
        # Visible test: the loss of the training run goes down.
        assert trained is not None, "the training cell above did not finish: fix the error it shows"
        assert isinstance(trained, tuple) and len(trained) == 2, "return (params, losses)"
        losses = np.asarray(trained[1], dtype=float)
        assert losses.ndim == 1 and len(losses) >= 20, (
            f"expected the loss of every mini-batch (at least 20), got {len(losses)} values")
        assert np.all(np.isfinite(losses)), "the loss became nan or inf: is lr too large?"
        tenth = len(losses) // 10
        first, last = losses[:tenth].mean(), losses[-tenth:].mean()
        assert last < 0.5 * first, (
            f"the loss did not go down enough: mean {first:.3f} over the first tenth of the "
            f"mini-batches, {last:.3f} over the last tenth (needs < {0.5 * first:.3f}). "
            + hint("08", "choosing the learning rate"))
        # Visible test: the losses are those of the training run: the trained parameters'
        # loss on training digits (the first 300: the call's cache crosses the sandbox's
        # boundary as data, and all 1,437 make it too big) is close to the last tenth of
        # the mini-batch losses.
        logits = call(model_forward, trained[0], digits.x_train[:300])[0]
        real = float(softmax_cross_entropy(logits, digits.y_train[:300])[0])
        assert real < 0.5 * first and last <= 2 * real + 0.1 and real <= 2 * last + 0.1, (
            f"the trained parameters have a loss of {real:.3f} on the training digits, but "
            f"the last losses returned average {last:.3f}: return the loss of every mini-batch "
            "as it was computed")
        """,
    ),
    tests(
        "test_training_accuracy",
        3,
        """
        # Visible test: accuracy on the held-out test digits.
        assert trained is not None, "the training cell above did not finish: fix the error it shows"
        params = trained[0]
        predictions = np.argmax(call(model_forward, params, digits.x_test)[0], axis=1)
        accuracy = float(np.mean(predictions == digits.y_test))
        print(f"test accuracy: {accuracy:.1%}")
        assert accuracy >= 0.90, (
            f"test accuracy {accuracy:.1%} is below 90 %. " + hint("08", "training the network"))
        ### BEGIN HIDDEN TESTS
        from cnnbook import layers as reference

        a = reference.conv2d_forward(digits.x_test, params["w1"], params["b1"], stride=1, pad=1)
        a = reference.maxpool2d_forward(reference.relu_forward(a), 2, 2)
        logits = reference.affine_forward(a, params["w2"], params["b2"])
        accuracy = float(np.mean(np.argmax(logits, axis=1) == digits.y_test))
        assert accuracy >= 0.90, (
            f"test accuracy {accuracy:.1%} (with the course's layers) is below 90 %")
        ### END HIDDEN TESTS
        """,
    ),
]
