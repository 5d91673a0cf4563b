"""Chapter 10's reference layers (batch norm, spatial batch norm, dropout, the optimizers'
steps) against independent oracles: plain loops in float64 written here, the chain rule
through every intermediate, PyTorch where it is installed, hypothesis over shapes, and
numerical gradients."""

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import layers, nn
from cnnbook.gradcheck import check_gradient, numerical_gradient

RNG = np.random.default_rng(20261206)


@pytest.fixture(autouse=True)
def _inputs_of_this_test(request):
    """Each test draws its inputs from its own generator, seeded by its name."""
    global RNG
    RNG = np.random.default_rng([20261206, zlib.crc32(request.node.nodeid.encode())])


def randn(*shape):
    return RNG.standard_normal(shape)


# --------------------------------------------------------------------------
# Oracles: plain loops, float64
# --------------------------------------------------------------------------


def bn_loops(x, gamma, beta, rm, rv, mode, momentum, eps):
    N, D = x.shape
    out = np.empty((N, D))
    rm2, rv2 = np.array(rm, float), np.array(rv, float)
    for d in range(D):
        if mode == "train":
            mu = sum(x[n, d] for n in range(N)) / N
            var = sum((x[n, d] - mu) ** 2 for n in range(N)) / N
            rm2[d] = momentum * rm[d] + (1 - momentum) * mu
            rv2[d] = momentum * rv[d] + (1 - momentum) * var
        else:
            mu, var = rm[d], rv[d]
        for n in range(N):
            out[n, d] = gamma[d] * (x[n, d] - mu) / np.sqrt(var + eps) + beta[d]
    return out, rm2, rv2


def bn_backward_chain(dout, x, gamma, eps):
    """The backward pass step by step through the computational graph (CS231n's staged
    form), with the mean's gradient through the variance kept in."""
    N = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc**2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dstd = -(dxhat * xc).sum(axis=0) / std**2
    dvar = dstd / (2 * std)
    dxc = dxhat / std + 2 * xc * dvar / N
    dmu = -dxc.sum(axis=0)
    return dxc + dmu / N, dgamma, dbeta


def spatial_loops(x, gamma, beta, rm, rv, mode, momentum, eps):
    N, C, H, W = x.shape
    out = np.empty(x.shape)
    rm2, rv2 = np.array(rm, float), np.array(rv, float)
    for c in range(C):
        values = [x[n, c, i, j] for n in range(N) for i in range(H) for j in range(W)]
        if mode == "train":
            mu = sum(values) / len(values)
            var = sum((v - mu) ** 2 for v in values) / len(values)
            rm2[c] = momentum * rm[c] + (1 - momentum) * mu
            rv2[c] = momentum * rv[c] + (1 - momentum) * var
        else:
            mu, var = rm[c], rv[c]
        out[:, c] = gamma[c] * (x[:, c] - mu) / np.sqrt(var + eps) + beta[c]
    return out, rm2, rv2


def bn_inputs(N, D):
    x = randn(N, D) * RNG.uniform(0.5, 3, D) + RNG.uniform(-2, 2, D)
    return x, randn(D), randn(D), randn(D), RNG.uniform(0.5, 2, D)


# --------------------------------------------------------------------------
# Batch normalization
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_batchnorm_forward_matches_loops(mode):
    x, gamma, beta, rm, rv = bn_inputs(7, 4)
    got = layers.batchnorm_forward(x, gamma, beta, rm, rv, mode, 0.8, 1e-3)
    want = bn_loops(x, gamma, beta, rm, rv, mode, 0.8, 1e-3)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_batchnorm_train_normalizes_each_feature_and_leaves_inputs_alone():
    x, _, _, rm, rv = bn_inputs(50, 6)
    copies = [a.copy() for a in (x, rm, rv)]
    out, rm2, rv2 = layers.batchnorm_forward(x, np.ones(6), np.zeros(6), rm, rv)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5))
    for a, c in zip((x, rm, rv), copies, strict=True):
        np.testing.assert_array_equal(a, c)
    assert rm2 is not rm and rv2 is not rv


def test_batchnorm_eval_is_independent_of_the_batch_and_keeps_running_stats():
    x, gamma, beta, rm, rv = bn_inputs(6, 3)
    out, rm2, rv2 = layers.batchnorm_forward(x, gamma, beta, rm, rv, "eval")
    alone, _, _ = layers.batchnorm_forward(x[2:3], gamma, beta, rm, rv, "eval")
    np.testing.assert_allclose(out[2:3], alone)
    np.testing.assert_array_equal(rm2, rm)
    np.testing.assert_array_equal(rv2, rv)


def test_running_statistics_converge_to_the_data_statistics():
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(200):
        x = RNG.normal([1.0, -2.0, 0.0], [0.5, 2.0, 1.0], size=(256, 3))
        _, rm, rv = layers.batchnorm_forward(x, np.ones(3), np.zeros(3), rm, rv, momentum=0.9)
    np.testing.assert_allclose(rm, [1.0, -2.0, 0.0], atol=0.1)
    np.testing.assert_allclose(rv, [0.25, 4.0, 1.0], rtol=0.1)


@pytest.mark.parametrize("shape", [(5, 3), (2, 1), (16, 7)])
def test_batchnorm_backward_matches_chain_rule_and_numerical_gradient(shape):
    x, gamma, beta, rm, rv = bn_inputs(*shape)
    dout = randn(*shape)
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, x, gamma, eps=1e-4)
    for g, w in zip((dx, dgamma, dbeta), bn_backward_chain(dout, x, gamma, 1e-4), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)

    def forward(x=x, gamma=gamma, beta=beta):
        return layers.batchnorm_forward(x, gamma, beta, rm, rv, "train", 0.9, 1e-4)[0]

    check_gradient(lambda a: forward(x=a), x, dx, dout=dout, name="x", tolerance=1e-5)
    check_gradient(lambda a: forward(gamma=a), gamma, dgamma, dout=dout, name="gamma")
    check_gradient(lambda a: forward(beta=a), beta, dbeta, dout=dout, name="beta")


def test_batchnorm_dx_sums_to_zero_per_feature():
    """Shifting every sample of a feature by the same amount changes nothing in train mode,
    so the gradient with respect to such a shift (the sum of dx over the batch) is zero."""
    x, gamma, _, _, _ = bn_inputs(9, 4)
    dx, _, _ = layers.batchnorm_backward(randn(9, 4), x, gamma)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(2, 9), D=st.integers(1, 6), eps=st.sampled_from([1e-5, 1e-2]),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), seed=st.integers(0, 2**31))
def test_batchnorm_over_shapes(N, D, eps, momentum, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * 2 + 1
    gamma, beta, rm = rng.standard_normal((3, D))
    rv = rng.uniform(0.5, 2, D)
    for mode in ("train", "eval"):
        got = layers.batchnorm_forward(x, gamma, beta, rm, rv, mode, momentum, eps)
        for g, w in zip(got, bn_loops(x, gamma, beta, rm, rv, mode, momentum, eps),
                        strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal((N, D))
    for g, w in zip(layers.batchnorm_backward(dout, x, gamma, eps),
                    bn_backward_chain(dout, x, gamma, eps), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)


def test_batchnorm_keeps_float32():
    x = randn(4, 3).astype(np.float32)
    out, _, _ = layers.batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32),
                                         np.zeros(3), np.ones(3))
    assert out.dtype == np.float32
    dx, _, _ = layers.batchnorm_backward(x, x, np.ones(3, np.float32))
    assert dx.dtype == np.float32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: layers.batchnorm_forward(np.ones((3, 2, 2)), np.ones(2), np.zeros(2),
                                          np.zeros(2), np.ones(2)), "(N, D)"),
        (lambda: layers.batchnorm_forward(np.ones((3, 2)), np.ones(3), np.zeros(2),
                                          np.zeros(2), np.ones(2)), "gamma must have shape"),
        (lambda: layers.batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2),
                                          np.zeros(2), np.ones(2), "test"), "mode"),
        (lambda: layers.batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2),
                                          np.zeros(2), np.ones(2), momentum=1.0), "momentum"),
        (lambda: layers.batchnorm_backward(np.ones((3, 3)), np.ones((3, 2)), np.ones(2)),
         "dout must have"),
        (lambda: layers.spatial_batchnorm_forward(np.ones((3, 2)), np.ones(2), np.zeros(2),
                                                  np.zeros(2), np.ones(2)), "(N, C, H, W)"),
        (lambda: layers.dropout_forward(np.ones(3), 1.0, np.ones(3, bool)), "[0, 1)"),
        (lambda: layers.dropout_forward(np.ones(3), 0.5, np.ones(4, bool)), "mask must have"),
        (lambda: layers.adam_step(np.ones(2), np.ones(2), np.ones(2), np.ones(2), 0), "t must"),
        (lambda: layers.adam_step(np.ones(2), np.ones(3), np.ones(2), np.ones(2), 1), "dw"),
    ],
)
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        call()


def test_dropout_mask_must_be_bool():
    with pytest.raises(TypeError, match="bool"):
        layers.dropout_forward(np.ones(3), 0.5, np.ones(3))


# --------------------------------------------------------------------------
# Spatial batch normalization
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_spatial_batchnorm_matches_loops(mode):
    x = randn(3, 4, 5, 2) * 2 + 1
    gamma, beta, rm = randn(3, 4)
    rv = RNG.uniform(0.5, 2, 4)
    got = layers.spatial_batchnorm_forward(x, gamma, beta, rm, rv, mode, 0.7, 1e-3)
    for g, w in zip(got, spatial_loops(x, gamma, beta, rm, rv, mode, 0.7, 1e-3), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-11)


def test_spatial_batchnorm_backward_numerical():
    x = randn(2, 3, 4, 3) + 0.5
    gamma, beta = randn(3), randn(3)
    dout = randn(*x.shape)
    dx, dgamma, dbeta = layers.spatial_batchnorm_backward(dout, x, gamma)

    def forward(x=x, gamma=gamma, beta=beta):
        return layers.spatial_batchnorm_forward(x, gamma, beta, np.zeros(3), np.ones(3))[0]

    check_gradient(lambda a: forward(x=a), x, dx, dout=dout, name="x", tolerance=1e-5)
    check_gradient(lambda a: forward(gamma=a), gamma, dgamma, dout=dout, name="gamma")
    check_gradient(lambda a: forward(beta=a), beta, dbeta, dout=dout, name="beta")


@settings(max_examples=20, deadline=None)
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
                       st.integers(1, 4)), seed=st.integers(0, 2**31))
def test_spatial_batchnorm_over_shapes(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    C = shape[1]
    gamma, beta = rng.standard_normal((2, C))
    got = layers.spatial_batchnorm_forward(x, gamma, beta, np.zeros(C), np.ones(C))
    want = spatial_loops(x, gamma, beta, np.zeros(C), np.ones(C), "train", 0.9, 1e-5)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9)
    dout = rng.standard_normal(shape)
    rows = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, C)  # noqa: E731
    dx, dgamma, dbeta = layers.spatial_batchnorm_backward(dout, x, gamma)
    wdx, wdgamma, wdbeta = bn_backward_chain(rows(dout), rows(x), gamma, 1e-5)
    np.testing.assert_allclose(rows(dx), wdx, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dgamma, wdgamma, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dbeta, wdbeta, rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------


def test_dropout_train_eval_and_backward():
    x = randn(4, 5)
    mask = layers.dropout_mask(x.shape, 0.3, RNG)
    out = layers.dropout_forward(x, 0.3, mask)
    for idx in np.ndindex(x.shape):
        assert out[idx] == pytest.approx(x[idx] / 0.7 if mask[idx] else 0.0)
    np.testing.assert_array_equal(layers.dropout_forward(x, 0.3, mask, "eval"), x)
    dout = randn(4, 5)
    dx = layers.dropout_backward(dout, 0.3, mask)
    check_gradient(lambda a: layers.dropout_forward(a, 0.3, mask), x, dx, dout=dout)


def test_dropout_keeps_the_expected_value():
    x = np.full((200_000,), 2.0)
    for p in (0.1, 0.5, 0.8):
        mask = layers.dropout_mask(x.shape, p, RNG)
        assert abs(mask.mean() - (1 - p)) < 0.01
        assert abs(layers.dropout_forward(x, p, mask).mean() - 2.0) < 0.05


# --------------------------------------------------------------------------
# Optimizer steps
# --------------------------------------------------------------------------


def adam_loops(w, dw, m, v, t, lr, b1, b2, eps):
    w2, m2, v2 = np.empty_like(w), np.empty_like(w), np.empty_like(w)
    for i in np.ndindex(w.shape):
        m2[i] = b1 * m[i] + (1 - b1) * dw[i]
        v2[i] = b2 * v[i] + (1 - b2) * dw[i] * dw[i]
        step = (m2[i] / (1 - b1**t)) / (np.sqrt(v2[i] / (1 - b2**t)) + eps)
        w2[i] = w[i] - lr * step
    return w2, m2, v2


def test_adam_step_matches_loops_and_leaves_inputs_alone():
    w, dw, m = randn(3, 4), randn(3, 4), randn(3, 4)
    v = RNG.uniform(0, 1, (3, 4))
    copies = [a.copy() for a in (w, dw, m, v)]
    for t in (1, 2, 10):
        got = layers.adam_step(w, dw, m, v, t, 0.01, 0.8, 0.95, 1e-6)
        for g, want in zip(got, adam_loops(w, dw, m, v, t, 0.01, 0.8, 0.95, 1e-6),
                           strict=True):
            np.testing.assert_allclose(g, want, rtol=1e-12)
    for a, c in zip((w, dw, m, v), copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_adam_first_step_moves_each_weight_by_lr():
    """With bias correction, the first step is lr * sign(dw) (up to eps), whatever |dw|."""
    w, dw = randn(50), randn(50) * 10.0 ** RNG.uniform(-3, 3, 50)
    w2, _, _ = layers.adam_step(w, dw, np.zeros(50), np.zeros(50), 1, lr=0.01)
    np.testing.assert_allclose(w - w2, 0.01 * np.sign(dw), rtol=1e-4)


def test_rmsprop_and_sgd_momentum_steps():
    w, dw, s = randn(5), randn(5), RNG.uniform(0, 1, 5)
    w2, s2 = layers.rmsprop_step(w, dw, s, 0.01, 0.9, 1e-8)
    np.testing.assert_allclose(s2, 0.9 * s + 0.1 * dw**2)
    np.testing.assert_allclose(w2, w - 0.01 * dw / (np.sqrt(s2) + 1e-8))
    vel = randn(5)
    w3, vel2 = layers.sgd_momentum_step(w, dw, vel, 0.1, 0.5)
    np.testing.assert_allclose(vel2, 0.5 * vel - 0.1 * dw)
    np.testing.assert_allclose(w3, w + vel2)


# --------------------------------------------------------------------------
# The nn layers
# --------------------------------------------------------------------------


def _params_gradcheck(model, x, dout):
    """Every parameter's gradient and the input gradient of ``model`` against numbers."""
    model.forward(x)
    dx = model.backward(dout)
    grads = [p.grad.copy() for p in model.parameters()]
    check_gradient(lambda a: model.forward(a), x, dx, dout=dout, name="x", tolerance=1e-5)
    for p, grad in zip(model.parameters(), grads, strict=True):
        # absolute tolerance too: a convolution's bias before a batch norm has gradient 0
        numeric = numerical_gradient(lambda _a: model.forward(x), p.value, dout)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8,
                                   err_msg=p.name)


@pytest.mark.parametrize("channels", [(3, 3), (2, 4)])
def test_residual_block_gradients(channels):
    block = nn.ResidualBlock(*channels, rng=RNG, dtype=np.float64)
    x = randn(2, channels[0], 4, 4)
    _params_gradcheck(block, x, randn(2, channels[1], 4, 4))


def test_residual_block_identity_passes_the_gradient_when_the_branch_is_zero():
    block = nn.ResidualBlock(3, 3, rng=RNG, dtype=np.float64, batchnorm=False)
    for p in block.parameters():
        p.value[...] = 0
    x = np.abs(randn(2, 3, 4, 4)) + 0.1  # positive: the final ReLU passes everything
    dout = randn(2, 3, 4, 4)
    np.testing.assert_allclose(block.forward(x), x)
    np.testing.assert_allclose(block.backward(dout), dout)


def test_batchnorm_and_dropout_layers_follow_set_mode():
    model = nn.Sequential([nn.Dense(6, 5, rng=RNG, dtype=np.float64), nn.BatchNorm(5),
                           nn.ReLU(), nn.Dropout(0.5, rng=RNG),
                           nn.Dense(5, 3, rng=RNG, dtype=np.float64)])
    x = randn(8, 6)
    model.forward(x)
    bn = model.layers[1]
    assert not np.allclose(bn.running_mean, 0)
    nn.set_mode(model, "eval")
    before = bn.running_mean.copy()
    a, b = model.forward(x), model.forward(x)
    np.testing.assert_array_equal(a, b)  # no dropout, running statistics
    np.testing.assert_array_equal(bn.running_mean, before)
    nn.set_mode(model, "train")
    assert bn.mode == "train" and model.layers[3].mode == "train"


def test_bn_mlp_gradients():
    model = nn.Sequential([nn.Dense(4, 5, rng=RNG, dtype=np.float64),
                           nn.BatchNorm(5, dtype=np.float64), nn.ReLU(),
                           nn.Dense(5, 2, rng=RNG, dtype=np.float64)])
    _params_gradcheck(model, randn(6, 4), randn(6, 2))


def test_adam_and_rmsprop_classes_use_the_step_functions():
    p = nn.Parameter(randn(4), "w")
    start = p.value.copy()
    opt = nn.Adam([p], lr=0.1)
    grads = [randn(4) for _ in range(3)]
    w, m, v = start, np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        p.grad = g
        opt.step()
        w, m, v = layers.adam_step(w, g, m, v, t, lr=0.1)
    np.testing.assert_allclose(p.value, w)
    q = nn.Parameter(start.copy(), "w")
    rms = nn.RMSProp([q], lr=0.1)
    w, s = start, np.zeros(4)
    for g in grads:
        q.grad = g
        rms.step()
        w, s = layers.rmsprop_step(w, g, s, lr=0.1)
    np.testing.assert_allclose(q.value, w)


# --------------------------------------------------------------------------
# PyTorch, where installed (not a requirement of the course)
# --------------------------------------------------------------------------


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    x, gamma, beta, rm, rv = bn_inputs(6, 4)
    tx = torch.tensor(x, requires_grad=True)
    tg, tb = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    # PyTorch's momentum weighs the new value; it stores the unbiased variance.
    tout = torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, training=True, momentum=0.2,
                                          eps=1e-5)
    out, rm2, _ = layers.batchnorm_forward(x, gamma, beta, rm, rv, "train", 0.8, 1e-5)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(rm2, trm.numpy(), rtol=1e-12)
    dout = randn(6, 4)
    tout.backward(torch.tensor(dout))
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, x, gamma)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dgamma, tg.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, tb.grad.numpy(), rtol=1e-10)
    # spatial: BatchNorm2d in eval mode with given running statistics
    x4 = randn(2, 4, 3, 3)
    t4 = torch.nn.functional.batch_norm(torch.tensor(x4), torch.tensor(rm), torch.tensor(rv),
                                        torch.tensor(gamma), torch.tensor(beta), training=False)
    out4, _, _ = layers.spatial_batchnorm_forward(x4, gamma, beta, rm, rv, "eval")
    np.testing.assert_allclose(out4, t4.numpy(), rtol=1e-10, atol=1e-10)
    # Adam and RMSprop over 5 steps
    w0 = randn(7)
    grads = [randn(7) for _ in range(5)]
    for name in ("adam", "rmsprop"):
        tw = torch.tensor(w0.copy(), requires_grad=True)
        opt = (torch.optim.Adam([tw], lr=0.01) if name == "adam"
               else torch.optim.RMSprop([tw], lr=0.01, alpha=0.99, eps=1e-8))
        w, m, v = w0.copy(), np.zeros(7), np.zeros(7)
        for t, g in enumerate(grads, start=1):
            tw.grad = torch.tensor(g)
            opt.step()
            if name == "adam":
                w, m, v = layers.adam_step(w, g, m, v, t, lr=0.01)
            else:
                w, v = layers.rmsprop_step(w, g, v, lr=0.01, decay=0.99)
        np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-10, err_msg=name)
