"""ps08: batch normalization, spatial batch normalization, dropout and Adam."""

import numpy as np

from cnnbook import layers as _ref
from exercise_sources import answer, code, md, tests

ASSIGNMENT = "ps08_normalization"


def _lit(name: str, value) -> str:
    """``name = np.array([...])``: the reference's value on a visible input, as a literal.

    The visible tests' expected values are computed here, when the notebook is built,
    from ``cnnbook.layers`` (12 significant digits, far inside the checks' tolerance)."""
    value = np.asarray(value)
    head = f"{name} = np.array("
    if value.dtype == np.bool_:
        body = np.array2string(value, separator=", ", prefix=head, max_line_width=92)
    else:
        body = np.array2string(value, separator=", ", prefix=head, max_line_width=92,
                               precision=12, floatmode="maxprec", suppress_small=False)
    return f"{head}{body})"


def _fill(template: str, **values) -> str:
    """``template`` (already without indentation) with ``@name@`` lines replaced by literals."""
    lines = []
    for line in template.strip("\n").splitlines():
        key = line.strip()
        if key.startswith("@") and key.endswith("@"):
            var = key.strip("@")
            lines.append(_lit(var, values[var]))
        else:
            lines.append(line)
    return "\n".join(lines)


# ----------------------------------------------------------------- visible inputs
# Batch norm of features: 4 samples, 3 features (N != D); the second feature varies
# much less than eps, so where eps goes matters; running statistics far from the batch's.
X = np.array([[1.0, 0.002, -3.0], [3.0, 0.001, 5.0], [-2.0, 0.004, 2.0], [6.0, 0.003, 0.0]])
GAMMA, BETA = np.array([2.0, 0.5, -1.0]), np.array([0.5, -1.0, 3.0])
RM, RV = np.array([1.0, 0.0, -1.0]), np.array([4.0, 1.0, 0.5])
BN_TRAIN = _ref.batchnorm_forward(X, GAMMA, BETA, RM, RV, "train", 0.8, 1e-5)
BN_EVAL = _ref.batchnorm_forward(X, GAMMA, BETA, RM, RV, "eval", 0.8, 1e-5)
_g = np.random.default_rng(801)
DOUT = np.round(_g.standard_normal((4, 3)), 2)
BN_BACK = _ref.batchnorm_backward(DOUT, X, GAMMA, 1e-5)
# Spatial: 2 images, 3 channels of 2x3 (H != W, C differs from both).
X4 = np.round(_g.standard_normal((2, 3, 2, 3)) * 2 + 1, 1)
G4, B4 = np.array([1.5, -0.5, 2.0]), np.array([0.0, 1.0, -2.0])
RM4, RV4 = np.array([0.5, -0.5, 1.0]), np.array([2.0, 0.5, 1.5])
SP_TRAIN = _ref.spatial_batchnorm_forward(X4, G4, B4, RM4, RV4, "train", 0.9, 1e-5)
SP_EVAL = _ref.spatial_batchnorm_forward(X4, G4, B4, RM4, RV4, "eval", 0.9, 1e-5)
DOUT4 = np.round(_g.standard_normal((2, 3, 2, 3)), 2)
SP_BACK = _ref.spatial_batchnorm_backward(DOUT4, X4, G4, 1e-5)
# Dropout: drop probability 0.25, a fixed mask.
XD = np.round(_g.standard_normal((3, 4)) * 2, 1)
MASK = _ref.dropout_mask(XD.shape, 0.25, np.random.default_rng(802))
DROP = _ref.dropout_forward(XD, 0.25, MASK)
DOUTD = np.round(_g.standard_normal((3, 4)), 1)
DROP_BACK = _ref.dropout_backward(DOUTD, 0.25, MASK)
# Adam: step 3 from non-zero moments; the second row's gradients are tiny (1e-5), so
# that eps (1e-8) matters next to sqrt(v) where it is added.
W = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
DW = np.array([[0.2, -0.4, 1.0], [3e-5, -2e-5, 1e-5]])
M0 = np.array([[0.1, -0.2, 0.3], [1e-5, 0.0, -1e-5]])
V0 = np.array([[0.01, 0.04, 0.5], [4e-10, 1e-10, 2e-10]])
ADAM = _ref.adam_step(W, DW, M0, V0, 3, lr=0.01, beta1=0.8, beta2=0.9, eps=1e-8)
ADAM1 = _ref.adam_step(W, DW, np.zeros_like(W), np.zeros_like(W), 1)

CELLS = [
    md(
        "intro",
        """
        # Problem set 8: batch normalization, dropout and Adam

        In this assignment you write the layers and the update rule that chapter
        10 adds to the network of chapter 8:

        | function | returns | points |
        | --- | --- | --- |
        | `batchnorm_forward` | `(out, running_mean, running_var)` | 5 |
        | `batchnorm_backward` | `(dx, dgamma, dbeta)` | 4 |
        | `spatial_batchnorm_forward`, `spatial_batchnorm_backward` | the same, `(N, C, H, W)` | 4 |
        | `dropout_forward`, `dropout_backward` | `out`, `dx` | 3 |
        | `adam_step` | `(w, m, v)` | 3 |

        Read the chapter *Batch normalization, dropout, residual blocks and Adam*
        (`chapters/10_normalization`) first.

        **Conventions.** Every function returns **new arrays** and leaves its
        arguments unchanged (the running statistics too: return the updated
        ones). The batch-norm backward passes receive the forward *inputs* (as in
        problem set 6) and recompute what they need. `momentum` is the weight of
        the **old** running value; the variance divides by N. `p` is the
        probability of **dropping** a unit, and the keep-mask (True = kept) is an
        argument, so that the results do not depend on random draws.

        **How to work.** Write each function in its answer cell, replacing
        `raise NotImplementedError()`, then run the test cell under it. A failing
        test names the call, the returned value that is wrong, and its first wrong
        entry with both values. The autograder runs more tests when you submit,
        on other shapes and settings. Write nothing to stderr.
        """,
    ),
    code(
        "imports",
        """
        import numpy as np

        from cnnbook.grading import check_output, check_unchanged, graded_with_reference, hint
        """,
    ),
    md(
        "bn_forward_intro",
        """
        ## 1. Batch normalization, forward (5 points)

        `batchnorm_forward(x, gamma, beta, running_mean, running_var,
        mode="train", momentum=0.9, eps=1e-5)` for `x` of shape `(N, D)`:
        each of the `D` features is normalized over the `N` samples of the batch,
        then scaled by `gamma` and shifted by `beta` (both `(D,)`).

        * `mode="train"`: use the batch's mean and (biased) variance, and return
          the running statistics moved towards them with `momentum`.
        * `mode="eval"`: use the running statistics, and return them unchanged.

        Two test cells: train mode (3 points); eval mode (2 points).
        """,
    ),
    answer(
        "batchnorm_forward",
        '''
        def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train",
                              momentum=0.9, eps=1e-5):
            """Batch normalization of (N, D) features.

            Args:
                x: input, shape (N, D).
                gamma, beta: scale and shift, shape (D,).
                running_mean, running_var: running statistics, shape (D,).
                mode: "train" or "eval".
                momentum: weight of the old running value.
                eps: added to the variance.

            Returns:
                (out, running_mean, running_var) with shapes (N, D), (D,), (D,).
            """
            ### BEGIN SOLUTION
            if mode == "train":
                mu = x.mean(axis=0)
                var = x.var(axis=0)
                new_mean = momentum * running_mean + (1 - momentum) * mu
                new_var = momentum * running_var + (1 - momentum) * var
            else:
                mu, var = running_mean, running_var
                new_mean, new_var = running_mean.copy(), running_var.copy()
            xhat = (x - mu) / np.sqrt(var + eps)
            return gamma * xhat + beta, new_mean, new_var
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_batchnorm_forward_train",
        3,
        _fill(
            """
# Visible test: 4 samples, 3 features; the second feature varies very little.
x = np.array([[1.0, 0.002, -3.0], [3.0, 0.001, 5.0], [-2.0, 0.004, 2.0], [6.0, 0.003, 0.0]])
gamma, beta = np.array([2.0, 0.5, -1.0]), np.array([0.5, -1.0, 3.0])
running_mean, running_var = np.array([1.0, 0.0, -1.0]), np.array([4.0, 1.0, 0.5])
@out@
@new_mean@
@new_var@
check_output(batchnorm_forward, (x, gamma, beta, running_mean, running_var),
             {"mode": "train", "momentum": 0.8, "eps": 1e-5}, (out, new_mean, new_var),
             ("out", "running_mean", "running_var"),
             hint("10", "batch normalization in train mode"))
check_unchanged("x", x, batchnorm_forward, x, gamma, beta, running_mean, running_var)
check_unchanged("running_mean", running_mean, batchnorm_forward, x, gamma, beta,
                running_mean, running_var)
check_unchanged("running_var", running_var, batchnorm_forward, x, gamma, beta,
                running_mean, running_var)
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(81)
for (N, D), momentum, eps in [((6, 5), 0.9, 1e-5), ((2, 7), 0.5, 1e-3), ((9, 1), 0.0, 1e-5)]:
    x = hidden.standard_normal((N, D)) * hidden.uniform(0.01, 3, D) + hidden.uniform(-2, 2, D)
    gamma, beta, running_mean = hidden.standard_normal((3, D))
    running_var = hidden.uniform(0.5, 2, D)
    args = (x, gamma, beta, running_mean, running_var)
    kwargs = {"mode": "train", "momentum": momentum, "eps": eps}
    check_output(batchnorm_forward, args, kwargs, reference.batchnorm_forward(*args, **kwargs),
                 ("out", "running_mean", "running_var"),
                 hint("10", "batch normalization in train mode"))
### END HIDDEN TESTS
""",
            out=BN_TRAIN[0], new_mean=BN_TRAIN[1], new_var=BN_TRAIN[2],
        ),
    ),
    tests(
        "test_batchnorm_forward_eval",
        2,
        _fill(
            """
# Visible test: the same batch in eval mode.
x = np.array([[1.0, 0.002, -3.0], [3.0, 0.001, 5.0], [-2.0, 0.004, 2.0], [6.0, 0.003, 0.0]])
gamma, beta = np.array([2.0, 0.5, -1.0]), np.array([0.5, -1.0, 3.0])
running_mean, running_var = np.array([1.0, 0.0, -1.0]), np.array([4.0, 1.0, 0.5])
@out@
check_output(batchnorm_forward, (x, gamma, beta, running_mean, running_var),
             {"mode": "eval", "momentum": 0.8, "eps": 1e-5},
             (out, running_mean.copy(), running_var.copy()),
             ("out", "running_mean", "running_var"),
             hint("10", "eval mode and the running statistics"))
check_unchanged("running_mean", running_mean, batchnorm_forward, x, gamma, beta,
                running_mean, running_var, mode="eval")
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(82)
for N, D in [(5, 4), (1, 3), (8, 6)]:
    x = hidden.standard_normal((N, D)) * 2
    gamma, beta, running_mean = hidden.standard_normal((3, D))
    running_var = hidden.uniform(0.1, 2, D)
    args = (x, gamma, beta, running_mean, running_var)
    kwargs = {"mode": "eval", "momentum": 0.7, "eps": 1e-5}
    check_output(batchnorm_forward, args, kwargs, reference.batchnorm_forward(*args, **kwargs),
                 ("out", "running_mean", "running_var"),
                 hint("10", "eval mode and the running statistics"))
### END HIDDEN TESTS
""",
            out=BN_EVAL[0],
        ),
    ),
    md(
        "bn_backward_intro",
        """
        ## 2. Batch normalization, backward (4 points)

        `batchnorm_backward(dout, x, gamma, eps=1e-5)`: the gradients of the
        train-mode forward pass with respect to `x`, `gamma` and `beta`. The mean
        and the variance are functions of every sample of the batch: the
        gradient flows through them too. Any correct form is accepted: the
        chain rule through every intermediate, or the simplified formula of the
        chapter.

        Two test cells: `dgamma` and `dbeta` (1 point); `dx` (3 points).
        """,
    ),
    answer(
        "batchnorm_backward",
        '''
        def batchnorm_backward(dout, x, gamma, eps=1e-5):
            """Backward pass of batch normalization in train mode.

            Args:
                dout: upstream gradient, shape (N, D).
                x: the forward input, shape (N, D).
                gamma: the forward scale, shape (D,).
                eps: as in the forward pass.

            Returns:
                (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,).
            """
            ### BEGIN SOLUTION
            mu = x.mean(axis=0)
            std = np.sqrt(x.var(axis=0) + eps)
            xhat = (x - mu) / std
            dbeta = dout.sum(axis=0)
            dgamma = (dout * xhat).sum(axis=0)
            dxhat = dout * gamma
            dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
            return dx, dgamma, dbeta
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_batchnorm_backward_dgamma_dbeta",
        1,
        _fill(
            """
# Visible test: the batch of section 1 and an upstream gradient.
x = np.array([[1.0, 0.002, -3.0], [3.0, 0.001, 5.0], [-2.0, 0.004, 2.0], [6.0, 0.003, 0.0]])
gamma = np.array([2.0, 0.5, -1.0])
@dout@
@dgamma@
@dbeta@
check_output(batchnorm_backward, (dout, x, gamma), {"eps": 1e-5}, (None, dgamma, dbeta),
             ("dx", "dgamma", "dbeta"), hint("10", "the gradients of gamma and beta"))
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(83)
for N, D in [(6, 5), (2, 3), (10, 1)]:
    x, dout = hidden.standard_normal((2, N, D)) * 2
    gamma = hidden.standard_normal(D)
    want = reference.batchnorm_backward(dout, x, gamma, 1e-5)
    check_output(batchnorm_backward, (dout, x, gamma), {"eps": 1e-5}, (None, *want[1:]),
                 ("dx", "dgamma", "dbeta"), hint("10", "the gradients of gamma and beta"))
### END HIDDEN TESTS
""",
            dout=DOUT, dgamma=BN_BACK[1], dbeta=BN_BACK[2],
        ),
    ),
    tests(
        "test_batchnorm_backward_dx",
        3,
        _fill(
            """
# Visible test: the same batch; dx flows through the batch's mean and variance too.
x = np.array([[1.0, 0.002, -3.0], [3.0, 0.001, 5.0], [-2.0, 0.004, 2.0], [6.0, 0.003, 0.0]])
gamma = np.array([2.0, 0.5, -1.0])
@dout@
@dx@
check_output(batchnorm_backward, (dout, x, gamma), {"eps": 1e-5}, (dx, None, None),
             ("dx", "dgamma", "dbeta"), hint("10", "the batch-norm backward pass"))
check_unchanged("dout", dout, batchnorm_backward, dout, x, gamma)
check_unchanged("x", x, batchnorm_backward, dout, x, gamma)
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(84)
for (N, D), eps in [((6, 5), 1e-5), ((2, 3), 1e-3), ((12, 4), 1e-5)]:
    x = hidden.standard_normal((N, D)) * hidden.uniform(0.01, 3, D) + 1
    dout = hidden.standard_normal((N, D))
    gamma = hidden.standard_normal(D)
    want = reference.batchnorm_backward(dout, x, gamma, eps)
    check_output(batchnorm_backward, (dout, x, gamma), {"eps": eps}, (want[0], None, None),
                 ("dx", "dgamma", "dbeta"), hint("10", "the batch-norm backward pass"))
### END HIDDEN TESTS
""",
            dout=DOUT, dx=BN_BACK[0],
        ),
    ),
    md(
        "spatial_intro",
        """
        ## 3. Spatial batch normalization (4 points)

        For the feature maps of a convolution, `x` of shape `(N, C, H, W)`, each
        **channel** is one feature, seen at every position of every image:
        `spatial_batchnorm_forward` takes its statistics over `N`, `H` and `W`,
        with `gamma`, `beta` and the running statistics of shape `(C,)`, and
        `spatial_batchnorm_backward(dout, x, gamma, eps)` is its backward pass in
        train mode. You may write them directly, or by rearranging the maps into
        rows of `C` values (the channel axis moved last) and calling your
        functions of sections 1 and 2: the autograder then grades these two on
        what your own functions of sections 1 and 2 returned, so that a mistake
        there is not charged twice.

        Two test cells: forward (2 points); backward (2 points).
        """,
    ),
    answer(
        "spatial_batchnorm_forward",
        '''
        def spatial_batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train",
                                      momentum=0.9, eps=1e-5):
            """Batch normalization of (N, C, H, W) feature maps, per channel.

            Args:
                x: input, shape (N, C, H, W).
                gamma, beta, running_mean, running_var: shape (C,).
                mode, momentum, eps: as in batchnorm_forward.

            Returns:
                (out, running_mean, running_var) with shapes (N, C, H, W), (C,), (C,).
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            rows = x.transpose(0, 2, 3, 1).reshape(-1, C)  # one row per position, C columns
            out, new_mean, new_var = batchnorm_forward(rows, gamma, beta, running_mean,
                                                       running_var, mode, momentum, eps)
            return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), new_mean, new_var
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_spatial_batchnorm_forward",
        2,
        _fill(
            """
graded_with_reference("batchnorm_forward")
# Visible test: 2 images, 3 channels of 2x3, in train mode, then in eval mode.
@x@
gamma, beta = np.array([1.5, -0.5, 2.0]), np.array([0.0, 1.0, -2.0])
running_mean, running_var = np.array([0.5, -0.5, 1.0]), np.array([2.0, 0.5, 1.5])
@out@
@new_mean@
@new_var@
check_output(spatial_batchnorm_forward, (x, gamma, beta, running_mean, running_var),
             {"mode": "train", "momentum": 0.9, "eps": 1e-5}, (out, new_mean, new_var),
             ("out", "running_mean", "running_var"),
             hint("10", "spatial batch normalization: one channel, one feature"))
@out_eval@
check_output(spatial_batchnorm_forward, (x, gamma, beta, running_mean, running_var),
             {"mode": "eval", "momentum": 0.9, "eps": 1e-5},
             (out_eval, running_mean.copy(), running_var.copy()),
             ("out", "running_mean", "running_var"),
             hint("10", "spatial batch normalization in eval mode"))
check_unchanged("x", x, spatial_batchnorm_forward, x, gamma, beta, running_mean, running_var)
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(85)
for shape, mode in [((3, 4, 5, 2), "train"), ((1, 2, 3, 3), "train"), ((2, 5, 1, 4), "eval"),
                    ((4, 1, 2, 2), "train")]:
    x = hidden.standard_normal(shape) * 2 + 1
    C = shape[1]
    gamma, beta, running_mean = hidden.standard_normal((3, C))
    running_var = hidden.uniform(0.5, 2, C)
    args = (x, gamma, beta, running_mean, running_var)
    kwargs = {"mode": mode, "momentum": 0.8, "eps": 1e-5}
    check_output(spatial_batchnorm_forward, args, kwargs,
                 reference.spatial_batchnorm_forward(*args, **kwargs),
                 ("out", "running_mean", "running_var"),
                 hint("10", "spatial batch normalization: one channel, one feature"))
### END HIDDEN TESTS
""",
            x=X4, out=SP_TRAIN[0], new_mean=SP_TRAIN[1], new_var=SP_TRAIN[2],
            out_eval=SP_EVAL[0],
        ),
    ),
    answer(
        "spatial_batchnorm_backward",
        '''
        def spatial_batchnorm_backward(dout, x, gamma, eps=1e-5):
            """Backward pass of spatial batch normalization in train mode.

            Args:
                dout: upstream gradient, shape (N, C, H, W).
                x: the forward input, shape (N, C, H, W).
                gamma: shape (C,).
                eps: as in the forward pass.

            Returns:
                (dx, dgamma, dbeta) with shapes (N, C, H, W), (C,), (C,).
            """
            ### BEGIN SOLUTION
            N, C, H, W = x.shape
            drows = dout.transpose(0, 2, 3, 1).reshape(-1, C)
            rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
            dx, dgamma, dbeta = batchnorm_backward(drows, rows, gamma, eps)
            return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_spatial_batchnorm_backward",
        2,
        _fill(
            """
graded_with_reference("batchnorm_backward")
# Visible test: the maps of the forward test and an upstream gradient.
@x@
gamma = np.array([1.5, -0.5, 2.0])
@dout@
@dx@
@dgamma@
@dbeta@
check_output(spatial_batchnorm_backward, (dout, x, gamma), {"eps": 1e-5}, (dx, dgamma, dbeta),
             ("dx", "dgamma", "dbeta"), hint("10", "spatial batch normalization, backward"))
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(86)
for shape in [(3, 4, 5, 2), (1, 2, 3, 3), (4, 1, 2, 2)]:
    x = hidden.standard_normal(shape) * 2 + 1
    dout = hidden.standard_normal(shape)
    gamma = hidden.standard_normal(shape[1])
    check_output(spatial_batchnorm_backward, (dout, x, gamma), {"eps": 1e-5},
                 reference.spatial_batchnorm_backward(dout, x, gamma, 1e-5),
                 ("dx", "dgamma", "dbeta"), hint("10", "spatial batch normalization, backward"))
### END HIDDEN TESTS
""",
            x=X4, dout=DOUT4, dx=SP_BACK[0], dgamma=SP_BACK[1], dbeta=SP_BACK[2],
        ),
    ),
    md(
        "dropout_intro",
        """
        ## 4. Inverted dropout (3 points)

        `dropout_forward(x, p, mask, mode="train")`: in train mode, keep the
        units where `mask` is True and scale them so that every unit's expected
        value is unchanged; drop the others. In eval mode the layer changes
        nothing. `dropout_backward(dout, p, mask)` is the train-mode backward
        pass. In a network the mask is drawn anew at every forward pass, e.g.
        `mask = rng.random(x.shape) >= p`; here it is given.

        Two test cells: forward (2 points); backward (1 point).
        """,
    ),
    answer(
        "dropout_forward",
        '''
        def dropout_forward(x, p, mask, mode="train"):
            """Inverted dropout.

            Args:
                x: activations, any shape.
                p: probability of dropping a unit, in [0, 1).
                mask: bool array of the shape of x, True where the unit is kept.
                mode: "train" or "eval".

            Returns:
                out, the shape of x.
            """
            ### BEGIN SOLUTION
            if mode == "eval":
                return x.copy()
            return x * mask / (1 - p)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_dropout_forward",
        2,
        _fill(
            """
# Visible test: drop probability 0.25, a given mask; train mode, then eval mode.
@x@
@mask@
@out@
check_output(dropout_forward, (x, 0.25, mask), {"mode": "train"}, out, "out",
             hint("10", "inverted dropout in train mode"))
check_output(dropout_forward, (x, 0.25, mask), {"mode": "eval"}, x.copy(), "out",
             hint("10", "dropout in eval mode"))
check_unchanged("x", x, dropout_forward, x, 0.25, mask)
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(87)
for shape, p in [((4, 5), 0.5), ((2, 3, 4, 4), 0.1), ((6,), 0.8), ((3, 2), 0.0)]:
    x = hidden.standard_normal(shape)
    mask = reference.dropout_mask(shape, p, hidden)
    for mode in ("train", "eval"):
        check_output(dropout_forward, (x, p, mask), {"mode": mode},
                     reference.dropout_forward(x, p, mask, mode), "out",
                     hint("10", f"inverted dropout in {mode} mode"))
### END HIDDEN TESTS
""",
            x=XD, mask=MASK, out=DROP,
        ),
    ),
    answer(
        "dropout_backward",
        '''
        def dropout_backward(dout, p, mask):
            """Backward pass of inverted dropout in train mode.

            Args:
                dout: upstream gradient, any shape.
                p: the forward drop probability.
                mask: the forward keep-mask, bool, the shape of dout.

            Returns:
                dx, the shape of dout.
            """
            ### BEGIN SOLUTION
            return dout * mask / (1 - p)
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_dropout_backward",
        1,
        _fill(
            """
# Visible test: the mask of the forward test and an upstream gradient.
@mask@
@dout@
@dx@
check_output(dropout_backward, (dout, 0.25, mask), {}, dx, "dx",
             hint("10", "the gradient of dropout"))
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(88)
for shape, p in [((4, 5), 0.5), ((2, 3, 4, 4), 0.1), ((6,), 0.8)]:
    dout = hidden.standard_normal(shape)
    mask = reference.dropout_mask(shape, p, hidden)
    check_output(dropout_backward, (dout, p, mask), {},
                 reference.dropout_backward(dout, p, mask), "dx",
                 hint("10", "the gradient of dropout"))
### END HIDDEN TESTS
""",
            mask=MASK, dout=DOUTD, dx=DROP_BACK,
        ),
    ),
    md(
        "adam_intro",
        """
        ## 5. Adam (3 points)

        `adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)`:
        one Adam update of the parameter `w` with gradient `dw`. `m` and `v` are
        the moving averages of the gradient and of its square, both started at
        zero; `t` is the number of this step, 1 for the first update. Return the
        new `(w, m, v)`, with `m` and `v` as stored for the next step.

        Two test cells: a later step (2 points); the first step (1 point).
        """,
    ),
    answer(
        "adam_step",
        '''
        def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            """One Adam update.

            Args:
                w, dw, m, v: parameter, gradient, first and second moments, one shape.
                t: the number of this step (1 for the first).
                lr, beta1, beta2, eps: learning rate, decay rates, eps.

            Returns:
                (w, m, v), new arrays of the shape of w.
            """
            ### BEGIN SOLUTION
            m = beta1 * m + (1 - beta1) * dw
            v = beta2 * v + (1 - beta2) * dw**2
            mhat = m / (1 - beta1**t)
            vhat = v / (1 - beta2**t)
            return w - lr * mhat / (np.sqrt(vhat) + eps), m, v
            ### END SOLUTION
        ''',
    ),
    tests(
        "test_adam_step",
        2,
        _fill(
            """
# Visible test: step 3; the gradients of the second row are tiny.
w = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
dw = np.array([[0.2, -0.4, 1.0], [3e-5, -2e-5, 1e-5]])
m = np.array([[0.1, -0.2, 0.3], [1e-5, 0.0, -1e-5]])
v = np.array([[0.01, 0.04, 0.5], [4e-10, 1e-10, 2e-10]])
@new_w@
@new_m@
@new_v@
check_output(adam_step, (w, dw, m, v, 3), {"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "eps": 1e-8},
             (new_w, new_m, new_v), ("w", "m", "v"), hint("10", "the Adam update"))
check_unchanged("w", w, adam_step, w, dw, m, v, 3)
check_unchanged("m", m, adam_step, w, dw, m, v, 3)
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(89)
for shape, t, lr, beta1, beta2 in [((4, 3), 2, 0.1, 0.9, 0.999), ((5,), 10, 1e-3, 0.5, 0.99),
                                   ((2, 3, 2), 100, 0.01, 0.9, 0.999)]:
    w, dw, m = hidden.standard_normal((3, *shape))
    v = hidden.uniform(0, 1, shape) * 10.0 ** hidden.integers(-10, 0, shape)
    dw *= 10.0 ** hidden.integers(-6, 1, shape)
    kwargs = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": 1e-8}
    check_output(adam_step, (w, dw, m, v, t), kwargs,
                 reference.adam_step(w, dw, m, v, t, **kwargs), ("w", "m", "v"),
                 hint("10", "the Adam update"))
### END HIDDEN TESTS
""",
            new_w=ADAM[0], new_m=ADAM[1], new_v=ADAM[2],
        ),
    ),
    tests(
        "test_adam_first_step",
        1,
        _fill(
            """
# Visible test: the first step (t = 1) from zero moments, default settings.
w = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
dw = np.array([[0.2, -0.4, 1.0], [3e-5, -2e-5, 1e-5]])
@new_w@
check_output(adam_step, (w, dw, np.zeros((2, 3)), np.zeros((2, 3)), 1), {},
             (new_w, None, None), ("w", "m", "v"), hint("10", "Adam's bias correction"))
### BEGIN HIDDEN TESTS
from cnnbook.grading import hidden_rng
from cnnbook import layers as reference

hidden = hidden_rng(90)
for shape, t in [((3, 4), 1), ((6,), 2)]:
    w, dw = hidden.standard_normal((2, *shape))
    zeros = np.zeros(shape)
    m, v = (zeros, zeros) if t == 1 else reference.adam_step(w, dw, zeros, zeros, 1)[1:]
    check_output(adam_step, (w, dw, m, v, t), {"lr": 0.05},
                 reference.adam_step(w, dw, m, v, t, lr=0.05), ("w", "m", "v"),
                 hint("10", "Adam's bias correction"))
### END HIDDEN TESTS
""",
            new_w=ADAM1[0],
        ),
    ),
]
