"""Network forward + backward pass: spherekern vs plain numpy vs the dot-product floor.

Hot path ``network_pass``: one forward and one backward pass of the two-layer ReLU network
(H = 2^16 neurons, n = 1024 points of S^4, d = 5), exactly what :func:`spherekern.network.train` does
per step: ``f = alpha sum_h w_h relu(theta_h . x_j)``, ``r = (f - y)/n``, then
``g_w = alpha sum_j r_j relu(.)`` and ``g_theta = alpha w_h sum_j r_j 1{.} x_j``, into buffers
allocated once (the training loop's ``_CPUBackend``).  ``xi = 0`` so there is no frozen term (its
contribution on the training set is computed once per training run, not per step).

Baselines, same run:

* ``__numpy``: the same two passes in numpy, blocked over 8192 neurons (``Z = X @ theta_b.T`` is an
  n x 8192 temporary, 64 MiB; the full n x H matrix would be 512 MiB), BLAS matmuls for the
  reductions;
* ``__floor``: the same loops of the project's kernels computing only the dot products
  ``theta_h . x_j`` (twice: forward layout and backward layout) and summing them.

``extra_info["pairs"] = extra_info["entries"] = H n`` (neuron-point pairs per pass).
"""
import numpy as np
import pytest

from bench._data import network_problem
from spherekern import network as nw

H, N, D = 1 << 16, 1024, 5
BLOCK_NP = 8192


@pytest.fixture(scope="module")
def problem():
    return network_problem(H, N, D)


def _pass_project(be, y):
    f = be.forward()
    be.backward((f - y) / y.shape[0])
    return be.g_w


def _pass_numpy(theta, w, X, y, alpha):
    n = X.shape[0]
    f = np.zeros(n)
    for h0 in range(0, theta.shape[0], BLOCK_NP):
        Z = X @ theta[h0:h0 + BLOCK_NP].T
        np.maximum(Z, 0.0, out=Z)
        f += Z @ w[h0:h0 + BLOCK_NP]
    f *= alpha
    r = (f - y) / n
    g_w = np.empty_like(w)
    g_theta = np.empty_like(theta)
    for h0 in range(0, theta.shape[0], BLOCK_NP):
        tb = theta[h0:h0 + BLOCK_NP]
        Z = X @ tb.T
        g_w[h0:h0 + BLOCK_NP] = alpha * (np.maximum(Z, 0.0).T @ r)
        S = (Z > 0.0) * r[:, None]
        g_theta[h0:h0 + BLOCK_NP] = (alpha * w[h0:h0 + BLOCK_NP])[:, None] * (S.T @ X)
    return g_w, g_theta


def test_network_pass__project(benchmark, problem):
    net, X, y = problem
    be = nw._CPUBackend(net, X)
    _pass_project(be, y)                      # JIT warm-up (cached compile)
    benchmark.group = "network_pass"
    benchmark.extra_info["pairs"] = benchmark.extra_info["entries"] = H * N
    benchmark.pedantic(_pass_project, args=(be, y), rounds=7, warmup_rounds=1)
    # the timed work is right
    ref_w, ref_t = _pass_numpy(net.directions, net.weights, X, y, net.scale)
    np.testing.assert_allclose(be.g_w, ref_w, rtol=0, atol=1e-12 * np.abs(ref_w).max())
    np.testing.assert_allclose(be.g_theta, ref_t, rtol=0, atol=1e-12 * np.abs(ref_t).max())


def test_network_pass__numpy(benchmark, problem):
    net, X, y = problem
    benchmark.group = "network_pass"
    benchmark.extra_info["pairs"] = benchmark.extra_info["entries"] = H * N
    benchmark.pedantic(_pass_numpy, args=(net.directions, net.weights, X, y, net.scale), rounds=3,
                       warmup_rounds=1)


def test_network_pass__floor(benchmark, problem):
    net, X, y = problem
    be = nw._CPUBackend(net, X)
    out = np.empty(N)
    args = (net.directions, be.XT, X, be.part, be.zbuf, be.tT, be.zb, out)
    nw._floor_kernel(*args)
    benchmark.group = "network_pass"
    benchmark.extra_info["pairs"] = benchmark.extra_info["entries"] = H * N
    benchmark.pedantic(nw._floor_kernel, args=args, rounds=7, warmup_rounds=1)


# ---------------------------------------------------------------- the generalised network (issues #17, #18)
# image_step: one full-batch step of the image paper's network (softplus, alpha-trick, soft hinge residual)
# at n = 1024, h = 1000, D = 784, vs its floor (the same loops doing only the n h D dot products).
# align_step: one step of Boursier & Flammarion's network (relu, biases, balanced small init, plain
# output) at m = 1000 neurons, n = 1000, d = 10 (+ bias): steps/second = 1 / time.
IMG_H, IMG_N, IMG_D = 1000, 1024, 784
AL_M, AL_N, AL_D = 1000, 1000, 10


def _image_problem():
    from spherekern.network import TwoLayerNet
    rng = np.random.default_rng(5)
    X = rng.standard_normal((IMG_N, IMG_D))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.sign(X[:, 0] + 1e-3)
    return TwoLayerNet(IMG_D, IMG_H, seed=1, activation="softplus", alpha=1.0), X, y


def _align_problem():
    from spherekern.network import TwoLayerNet
    rng = np.random.default_rng(6)
    X = rng.standard_normal((AL_N, AL_D))
    y = X @ np.linspace(1, -1, AL_D) + 0.1 * rng.standard_normal(AL_N)
    return TwoLayerNet(AL_D, AL_M, seed=1, bias=True, init="balanced", init_scale=1e-3), X, y


def _step(be, net, y, loss):
    from spherekern.network.losses import loss_value_and_residual
    f = be.forward()
    _, r = loss_value_and_residual(loss, f, y)
    be.backward(r)
    be.update(1e-6 * net.lr_scale, 0.0, 0, 0.0)
    return be.g_w


def _bench_step(benchmark, group, problem, loss, rounds):
    net, X, y = problem
    be = nw._CPUBackend(net, X)
    with nw._threads(net.width * X.shape[0]):
        _step(be, net, y, loss)
        benchmark.group = group
        benchmark.extra_info["pairs"] = net.width * X.shape[0]
        benchmark.pedantic(_step, args=(be, net, y, loss), rounds=rounds, warmup_rounds=1)


def _bench_floor(benchmark, group, problem, rounds):
    net, X, y = problem
    be = nw._CPUBackend(net, X)
    out = np.empty(X.shape[0])
    args = (net.directions, be.XT, X, be.part, be.zbuf, be.tT, be.zb, out)
    with nw._threads(net.width * X.shape[0]):
        nw._floor_kernel(*args)
        benchmark.group = group
        benchmark.extra_info["pairs"] = net.width * X.shape[0]
        benchmark.pedantic(nw._floor_kernel, args=args, rounds=rounds, warmup_rounds=1)


def test_image_step__project(benchmark):
    _bench_step(benchmark, "image_step", _image_problem(), "soft_hinge", 7)


def test_image_step__floor(benchmark):
    _bench_floor(benchmark, "image_step", _image_problem(), 7)


def test_align_step__project(benchmark):
    _bench_step(benchmark, "align_step", _align_problem(), "mse", 50)


def test_align_step__floor(benchmark):
    _bench_floor(benchmark, "align_step", _align_problem(), 50)
