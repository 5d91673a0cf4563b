"""ps01: images as input tensors."""

from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps01_input_tensors"

CELLS = [
    md(
        "intro",
        """
        # Problem set 1: images as input tensors

        A decoded image file is an array of `uint8` pixels of shape `(H, W, C)`
        (channels last) or `(H, W)` (grayscale). A network takes a batch of
        floats of shape `(N, C, H, W)` (channels first). In this assignment you
        write the steps from one to the other:

        | function | what it computes | points |
        | --- | --- | --- |
        | `image_to_tensor` | one image as floats in [0, 1], shape `(C, H, W)` | 3 |
        | `stack_batch` | a list of `(C, H, W)` tensors as one `(N, C, H, W)` batch | 1 |
        | `channel_mean_std` | the mean and standard deviation of every channel | 2 |
        | `normalize_channels` | every channel shifted and scaled to mean 0, std 1 | 2 |
        | `to_grayscale` | a weighted sum of the channels | 2 |

        Read the chapter *Images as input tensors* (`chapters/01_input_tensors`)
        first.

        **How to work.** Write each function in its answer cell, replacing
        `raise NotImplementedError()`, then run the test cell under it. A passing
        test prints nothing; a failing one names the failing call, expected
        against received shape, or the first wrong entry with both values. The
        autograder runs more tests when you submit. Keep the names and
        signatures; use NumPy; do not import `cnnbook.tensors` (it holds the
        reference solutions); write nothing to stderr.
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
        "to_tensor_intro",
        """
        ## 1. From pixels to a tensor (3 points)

        Write `image_to_tensor(image)`. The input has dtype `uint8` (values 0 to
        255) and shape `(H, W, C)`, or `(H, W)` for a grayscale image. Return a
        float array of shape `(C, H, W)` (with `C = 1` for a grayscale image)
        whose values are in [0, 1]: 0 stays 0 and 255 becomes 1. Entry
        `[c, i, j]` must be channel `c` of the pixel in row `i`, column `j`.

        Two test cells: color images (2 points); grayscale images (1 point).
        """,
    ),
    answer(
        "image_to_tensor",
        '''
        def image_to_tensor(image):
            """One image as a float tensor, channels first.

            Args:
                image: uint8 pixels, shape (H, W, C) or (H, W).

            Returns:
                Floats in [0, 1], shape (C, H, W).
            """
            ### BEGIN SOLUTION
            if image.ndim == 2:
                image = image[:, :, np.newaxis]
            return image.transpose(2, 0, 1).astype(np.float64) / 255.0
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_image_to_tensor",
        2,
        """
        # Visible test: a 2x3 RGB image; the first pixel is pure red, the last white.
        image = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]],
                          [[0, 0, 0], [51, 102, 153], [255, 255, 255]]], dtype=np.uint8)
        expected = np.array([[[1.0, 0.0, 0.0], [0.0, 0.2, 1.0]],     # red
                             [[0.0, 1.0, 0.0], [0.0, 0.4, 1.0]],     # green
                             [[0.0, 0.0, 1.0], [0.0, 0.6, 1.0]]])    # blue
        check_output(image_to_tensor, (image,), {}, expected, "the tensor",
                     hint("01", "from an image file to a tensor"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import tensors as reference

        rng = hidden_rng(11)
        for shape in [(5, 7, 3), (4, 6, 4), (9, 2, 3)]:
            image = rng.integers(0, 256, shape).astype(np.uint8)
            check_output(image_to_tensor, (image,), {}, reference.image_to_tensor(image),
                         "the tensor", hint("01", "from an image file to a tensor"))
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_image_to_tensor_grayscale",
        1,
        """
        # Visible test: a 2x2 grayscale image becomes one channel.
        image = np.array([[0, 255], [51, 204]], dtype=np.uint8)
        expected = np.array([[[0.0, 1.0], [0.2, 0.8]]])             # (1, 2, 2)
        check_output(image_to_tensor, (image,), {}, expected, "the tensor",
                     hint("01", "grayscale images"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import tensors as reference

        image = hidden_rng(12).integers(0, 256, (6, 4)).astype(np.uint8)
        check_output(image_to_tensor, (image,), {}, reference.image_to_tensor(image), "the tensor",
                     hint("01", "grayscale images"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "stack_intro",
        """
        ## 2. A batch (1 point)

        Write `stack_batch(tensors)`: given a list of `N` arrays, all of shape
        `(C, H, W)`, return one array of shape `(N, C, H, W)` whose entry `[n]` is
        the `n`-th tensor.
        """,
    ),
    answer(
        "stack_batch",
        '''
        def stack_batch(tensors):
            """A list of (C, H, W) tensors as one (N, C, H, W) batch."""
            ### BEGIN SOLUTION
            N = len(tensors)
            C, H, W = tensors[0].shape
            batch = np.zeros((N, C, H, W))
            for n in range(N):
                batch[n] = tensors[n]
            return batch
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_stack_batch",
        1,
        """
        # Visible test: two 1x1x2 tensors.
        tensors = [np.array([[[1.0, 2.0]]]), np.array([[[3.0, 4.0]]])]
        expected = np.array([[[[1.0, 2.0]]], [[[3.0, 4.0]]]])        # (2, 1, 1, 2)
        check_output(stack_batch, (tensors,), {}, expected, "the batch",
                     hint("01", "batches of images"))
        # Visible test: three 2x1x3 tensors (2 channels, 1 row, 3 columns).
        tensors = [np.array([[[3.0, 4.0, 0.0]], [[0.0, 2.0, 2.0]]]),
                   np.array([[[3.0, 1.0, 0.0]], [[1.0, 2.0, 1.0]]]),
                   np.array([[[4.0, 2.0, 3.0]], [[3.0, 0.0, 3.0]]])]
        expected = np.array([[[[3.0, 4.0, 0.0]], [[0.0, 2.0, 2.0]]],
                             [[[3.0, 1.0, 0.0]], [[1.0, 2.0, 1.0]]],
                             [[[4.0, 2.0, 3.0]], [[3.0, 0.0, 3.0]]]])   # (3, 2, 1, 3)
        check_output(stack_batch, (tensors,), {}, expected, "the batch",
                     hint("01", "batches of images"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import tensors as reference

        rng = hidden_rng(13)
        tensors = [rng.random((3, 4, 5)) for _ in range(6)]
        check_output(stack_batch, (tensors,), {}, reference.stack_batch(tensors), "the batch",
                     hint("01", "batches of images"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "stats_intro",
        """
        ## 3. Per-channel statistics and normalization (4 points)

        Networks train better on inputs centered around 0 with a spread of about
        1, computed **per channel** over the whole batch (over all images, rows
        and columns).

        * `channel_mean_std(x)` for a batch `x` of shape `(N, C, H, W)` returns a
          pair `(mean, std)`, two arrays of shape `(C,)`: the mean and the
          (population, `ddof=0`) standard deviation of each channel.
        * `normalize_channels(x, mean, std)` returns an array of the shape of `x`
          in which channel `c` of every image has `mean[c]` subtracted and is then
          divided by `std[c]`.
        """,
    ),
    answer(
        "channel_mean_std",
        '''
        def channel_mean_std(x):
            """Mean and standard deviation of every channel.

            Args:
                x: batch, shape (N, C, H, W).

            Returns:
                (mean, std), each of shape (C,).
            """
            ### BEGIN SOLUTION
            C = x.shape[1]
            mean = np.zeros(C)
            std = np.zeros(C)
            for c in range(C):
                mean[c] = x[:, c].mean()
                std[c] = x[:, c].std()
            return mean, std
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_channel_mean_std",
        2,
        """
        # Visible test: channel 0 holds 0 and 2 (mean 1, std 1); channel 1 is all 5s.
        x = np.array([[[[0.0, 2.0]], [[5.0, 5.0]]],
                      [[[2.0, 0.0]], [[5.0, 5.0]]]])               # (2, 2, 1, 2)
        check_output(channel_mean_std, (x,), {}, (np.array([1.0, 5.0]), np.array([1.0, 0.0])),
                     ("mean", "std"), hint("01", "per-channel statistics"))
        # Visible test: 3 images with 2 channels of 2x3; the statistics cover every image.
        x = np.random.default_rng(18).integers(0, 5, (3, 2, 2, 3)).astype(float)
        expected = (np.array([2.777777778, 2.055555556]),            # mean of each channel
                    np.array([1.030402055, 1.432644106]))            # std of each channel
        check_output(channel_mean_std, (x,), {}, expected, ("mean", "std"),
                     hint("01", "per-channel statistics"))
        check_unchanged("x", x, channel_mean_std, x)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import tensors as reference

        rng = hidden_rng(14)
        for shape in [(4, 3, 5, 6), (2, 5, 3, 2), (1, 2, 4, 7)]:
            x = rng.random(shape) * rng.integers(1, 10, shape[1]).reshape(1, -1, 1, 1)
            check_output(channel_mean_std, (x,), {}, reference.channel_mean_std(x),
                         ("mean", "std"), hint("01", "per-channel statistics"))
        ### END HIDDEN TESTS
        """,
    ),
    answer(
        "normalize_channels",
        '''
        def normalize_channels(x, mean, std):
            """Subtract mean[c] from channel c, then divide it by std[c].

            Args:
                x: batch, shape (N, C, H, W).
                mean, std: shape (C,).

            Returns:
                The normalized batch, shape (N, C, H, W).
            """
            ### BEGIN SOLUTION
            out = np.zeros(x.shape)
            for c in range(x.shape[1]):
                out[:, c] = (x[:, c] - mean[c]) / std[c]
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_normalize_channels",
        2,
        """
        # Visible test: two channels with different means and spreads.
        x = np.array([[[[0.0, 2.0]], [[10.0, 30.0]]]])             # (1, 2, 1, 2)
        mean, std = np.array([1.0, 20.0]), np.array([1.0, 10.0])
        expected = np.array([[[[-1.0, 1.0]], [[-1.0, 1.0]]]])
        check_output(normalize_channels, (x, mean, std), {}, expected, "the normalized batch",
                     hint("01", "normalizing each channel"))
        # Visible test: 2 images with 3 channels of 1x2.
        x = np.random.default_rng(19).integers(-3, 4, (2, 3, 1, 2)).astype(float)
        mean, std = np.array([1.0, -2.0, 0.5]), np.array([2.0, 4.0, 0.5])
        expected = np.array([[[[0.0, -1.0]], [[0.25, 1.25]], [[-3.0, -5.0]]],
                             [[[1.0, -2.0]], [[0.5, 0.25]], [[-7.0, 3.0]]]])   # (2, 3, 1, 2)
        check_output(normalize_channels, (x, mean, std), {}, expected, "the normalized batch",
                     hint("01", "normalizing each channel"))
        check_unchanged("x", x, normalize_channels, x, mean, std)
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import tensors as reference

        rng = hidden_rng(15)
        for shape in [(4, 3, 5, 6), (2, 5, 3, 2), (3, 2, 2, 7)]:
            x = rng.random(shape)
            mean, std = rng.random(shape[1]), rng.random(shape[1]) + 0.5
            check_output(normalize_channels, (x, mean, std), {},
                         reference.normalize_channels(x, mean, std), "the normalized batch",
                         hint("01", "normalizing each channel"))
        ### END HIDDEN TESTS
        """,
    ),
    md(
        "gray_intro",
        """
        ## 4. Grayscale (2 points)

        Write `to_grayscale(x, weights=(0.299, 0.587, 0.114))`: for a batch `x` of
        shape `(N, C, H, W)` and one weight per channel, return the weighted sum
        of the channels of every pixel. The default weights are those of the
        luma of (red, green, blue). Keep the channel axis: the result has shape
        `(N, 1, H, W)`, still a batch of images.
        """,
    ),
    answer(
        "to_grayscale",
        '''
        def to_grayscale(x, weights=(0.299, 0.587, 0.114)):
            """Weighted sum of the channels.

            Args:
                x: batch, shape (N, C, H, W).
                weights: one weight per channel.

            Returns:
                Gray images, shape (N, 1, H, W).
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            out = np.zeros((N, 1, H, W))
            for c in range(C):
                out[:, 0] += weights[c] * x[:, c]
            return out
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_to_grayscale",
        2,
        """
        # Visible test: one 1x2 RGB image, a red pixel and a white pixel.
        x = np.array([[[[1.0, 1.0]], [[0.0, 1.0]], [[0.0, 1.0]]]])  # (1, 3, 1, 2)
        expected = np.array([[[[0.299, 1.0]]]])                     # (1, 1, 1, 2)
        check_output(to_grayscale, (x,), {}, expected, "the gray batch",
                     hint("01", "grayscale conversion"))
        # Visible test: 2 RGB images of 2x3, default weights.
        x = np.random.default_rng(20).integers(0, 3, (2, 3, 2, 3)).astype(float)
        expected = np.array([[[[0.598, 0.587, 0.114], [1.114, 1.413, 0.228]]],
                             [[[1.886, 0.527, 1.114], [0.527, 0.527, 0.0]]]])   # (2, 1, 2, 3)
        check_output(to_grayscale, (x,), {}, expected, "the gray batch",
                     hint("01", "grayscale conversion"))
        # Visible test: 4 channels with other weights.
        x = np.arange(8.0).reshape(1, 4, 1, 2)
        expected = np.array([[[[40.0, 50.0]]]])                      # (1, 1, 1, 2)
        check_output(to_grayscale, (x,), {"weights": (1.0, 2.0, 3.0, 4.0)}, expected,
                     "the gray batch", hint("01", "grayscale conversion"))
        ### BEGIN HIDDEN TESTS
        from cnnbook.grading import hidden_rng
        from cnnbook import tensors as reference

        rng = hidden_rng(16)
        x = rng.random((3, 3, 4, 6))
        check_output(to_grayscale, (x,), {}, reference.to_grayscale(x), "the gray batch",
                     hint("01", "grayscale conversion"))
        x = rng.random((2, 4, 5, 3))
        weights = (0.1, 0.2, 0.3, 0.4)
        check_output(to_grayscale, (x,), {"weights": weights}, reference.to_grayscale(x, weights),
                     "the gray batch", hint("01", "grayscale conversion"))
        ### END HIDDEN TESTS
        """,
    ),
]
