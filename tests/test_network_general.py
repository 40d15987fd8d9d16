"""The generalised network (issues #17, #18) against independent references.

* the normalised softplus constant: Monte-Carlo E[phi(z)^2] and an independent trapezoid rule;
* forward: a naive numpy loop over neurons (relu / softplus, biases, alpha-trick, plain);
* gradients of every parametrisation (bias, alpha, softplus, soft hinge) against central finite differences;
* the soft-hinge gradient flow on a separable toy problem reaches the margin rule;
* the balanced initialisation |w_j| = |(theta_j, b_j)| and its conservation by small-step GD
  (d/dt (w_j^2 - |theta_j, b_j|^2) = 0 for relu);
* neuron recording and bad input.
"""
import math

import numpy as np
import pytest

from spherekern.network import TwoLayerNet, gradient_flow, softplus_constant, train


def naive_phi(z, act):
    if act == "relu":
        return np.maximum(z, 0.0)
    c = softplus_constant()
    return c * np.log1p(np.exp(5.0 * z)) / 5.0


def naive_forward(net, X, theta=None, w=None, b=None):
    """The network written out neuron by neuron from its documented formula."""
    theta = net.directions if theta is None else theta
    w = net.weights if w is None else w
    if net.bias:
        b = net.biases if b is None else b
    H = net.width
    F = np.zeros(X.shape[0])
    F0 = np.zeros(X.shape[0])
    for h in range(H):
        bh = b[h] if net.bias else 0.0
        b0 = net.biases0[h] if net.bias else 0.0
        F += w[h] * naive_phi(X @ theta[h] + bh, net.activation)
        F0 += net.weights0[h] * naive_phi(X @ net.directions0[h] + b0, net.activation)
    if net.init != "normal":
        return F
    if net.alpha is not None:
        return net.alpha * (F / H - F0 / H)
    a = H ** (-(1 - net.xi / 2))
    return a * (F - net.xi * F0)


def naive_loss(loss, F, y):
    if loss == "mse":
        return 0.5 * np.mean((F - y) ** 2)
    u = 20.0 * (1.0 - F * y)
    return np.mean(np.logaddexp(0.0, u)) / 20.0


def data(n, d, seed, unit=False):
    X = np.random.default_rng(seed).standard_normal((n, d))
    if unit:
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X


def test_softplus_constant_vs_monte_carlo_and_trapezoid():
    c = softplus_constant()
    z = np.linspace(-40, 40, 400001)
    sp = np.logaddexp(0.0, 5 * z) / 5
    m2 = np.trapezoid(sp ** 2 * np.exp(-z * z / 2), z) / math.sqrt(2 * math.pi)
    assert c == pytest.approx(1 / math.sqrt(m2), rel=1e-9)
    zz = np.random.default_rng(0).standard_normal(2_000_000)
    mc = np.mean((c * np.logaddexp(0.0, 5 * zz) / 5) ** 2)
    assert abs(mc - 1.0) < 5 * np.std((c * np.logaddexp(0.0, 5 * zz) / 5) ** 2) / math.sqrt(zz.size)


CONFIGS = [dict(activation="softplus", alpha=0.5), dict(activation="relu", alpha=30.0, bias=True),
           dict(activation="softplus", bias=True, xi=0.5), dict(init="balanced", bias=True, init_scale=0.3),
           dict(init="unbalanced", init_scale=0.5), dict(init="balanced", activation="softplus", bias=True)]


@pytest.mark.parametrize("kw", CONFIGS)
def test_forward_vs_naive_loop(kw):
    d, H, n = 7, 37, 23
    net = TwoLayerNet(d, H, seed=3, **kw)
    X = 2.5 * data(n, d, 1)                           # not on the sphere
    net.weights[...] += 0.1                           # move away from initialisation (f0 != f)
    net.directions[...] *= 1.1
    F = net.predict(X)
    ref = naive_forward(net, X)
    np.testing.assert_allclose(F, ref, rtol=0, atol=1e-12 * max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize("loss", ["mse", "soft_hinge"])
@pytest.mark.parametrize("kw", CONFIGS)
def test_gradients_vs_finite_differences(kw, loss):
    d, H, n = 4, 9, 15
    net = TwoLayerNet(d, H, seed=5, **kw)
    net.weights[...] += 0.3 * np.random.default_rng(2).standard_normal(H)
    X = 1.7 * data(n, d, 4)
    y = np.sign(data(n, 1, 6)[:, 0]) * (0.5 if loss == "soft_hinge" else 1.3)
    obj, g_w, g_t = net.loss_and_grad(X, y, loss=loss)
    th0, w0 = net.parameters()
    assert obj == pytest.approx(naive_loss(loss, naive_forward(net, X), y), rel=1e-12)

    def J(th, w):
        b = th[:, d] if net.bias else None
        return naive_loss(loss, naive_forward(net, X, th[:, :d], w, b), y)

    eps = 1e-6
    num_w = np.array([(J(th0, w0 + eps * e) - J(th0, w0 - eps * e)) / (2 * eps) for e in np.eye(H)])
    num_t = np.zeros_like(th0)
    for idx in np.ndindex(th0.shape):
        E = np.zeros_like(th0)
        E[idx] = eps
        num_t[idx] = (J(th0 + E, w0) - J(th0 - E, w0)) / (2 * eps)
    scale = max(np.abs(num_w).max(), np.abs(num_t).max())
    np.testing.assert_allclose(g_w, num_w, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(g_t, num_t, rtol=0, atol=1e-6 * scale)


def test_hinge_gradient_flow_separable_toy_reaches_margins():
    rng = np.random.default_rng(0)
    n, d = 60, 5
    X = data(n, d, 8, unit=True)
    y = np.sign(X @ rng.standard_normal(d))
    net = TwoLayerNet(d, 200, seed=1, activation="softplus", alpha=1.0)
    hist = gradient_flow(net, X, y, max_steps=20000, progress=False)
    assert hist.converged, hist.reason
    F = net.predict(X)
    assert np.mean(F * y >= 1.0) >= 0.99
    assert hist.margin_frac[-1] == pytest.approx(np.mean(F * y >= 1.0))
    assert np.all(np.diff(hist.time) > 0) and hist.time[-1] > 0
    assert hist.loss[-1] < hist.loss[0]


def test_balanced_init_and_conservation_under_small_step_gd():
    d, H, n = 3, 50, 40
    net = TwoLayerNet(d, H, seed=2, bias=True, init="balanced", init_scale=0.5)
    nrm = np.sqrt((net.directions ** 2).sum(1) + net.biases ** 2)
    np.testing.assert_allclose(np.abs(net.weights), nrm, rtol=1e-14)
    assert np.std(net.directions) == pytest.approx(0.5 / math.sqrt(H), rel=0.15)
    X = data(n, d, 3)
    y = X[:, 0] - 0.5 * X[:, 1] ** 2
    before = net.weights ** 2 - nrm ** 2                        # = 0
    hist = train(net, X, y, lr=1e-3, steps=3000, momentum=0.0, backtrack=False, progress=False, tol=0)
    nrm2 = (net.directions ** 2).sum(1) + net.biases ** 2
    moved = np.abs(net.weights ** 2 - net.weights0 ** 2).max()
    assert moved > 1e-2                                         # the neurons did move
    # Euler steps conserve the invariant to O(lr^2) per step: drift << the change of w^2
    assert np.abs(net.weights ** 2 - nrm2 - before).max() < 1e-2 * moved
    assert hist.loss[-1] < hist.loss[0]


def test_unbalanced_init_scale():
    d, H = 10, 4000
    net = TwoLayerNet(d, H, seed=4, bias=True, init="unbalanced", init_scale=1e-2)
    assert np.std(net.weights) == pytest.approx(1e-2 * math.sqrt((d + 1) / H), rel=0.05)
    assert np.std(net.biases) == pytest.approx(1e-2 / math.sqrt(H), rel=0.05)
    assert not np.allclose(np.abs(net.weights), np.sqrt((net.directions ** 2).sum(1) + net.biases ** 2))


def test_recording_matches_separate_runs():
    d, H, n = 3, 20, 30
    X = data(n, d, 1)
    y = X[:, 0]
    kw = dict(bias=True, init="balanced", init_scale=0.1)
    net = TwoLayerNet(d, H, seed=1, **kw)
    hist = train(net, X, y, lr=0.05, steps=40, momentum=0.0, backtrack=False, progress=False, record_every=20)
    assert list(hist.record_steps) == [0, 20, 40]
    assert hist.directions.shape == (3, H, d + 1) and hist.weights.shape == (3, H)
    ref = TwoLayerNet(d, H, seed=1, **kw)
    train(ref, X, y, lr=0.05, steps=20, momentum=0.0, backtrack=False, progress=False)
    np.testing.assert_array_equal(hist.directions[1, :, :d], ref.directions)
    np.testing.assert_array_equal(hist.directions[1, :, d], ref.biases)
    np.testing.assert_array_equal(hist.weights[1], ref.weights)
    np.testing.assert_array_equal(hist.weights[0], net.weights0)
    h2 = train(net.copy(), X, y, lr=0.05, steps=10, progress=False, record_steps=[3, 7])
    assert list(h2.record_steps) == [3, 7]


def test_bad_input():
    with pytest.raises(ValueError, match="init_scale"):
        TwoLayerNet(3, 10, init="balanced", init_scale=0.0)
    with pytest.raises(ValueError, match="init_scale"):
        TwoLayerNet(3, 10, init_scale=-1.0)
    with pytest.raises(ValueError, match="width"):
        TwoLayerNet(3, 0)
    with pytest.raises(ValueError, match="init"):
        TwoLayerNet(3, 10, init="xavier")
    with pytest.raises(ValueError, match="activation"):
        TwoLayerNet(3, 10, activation="tanh")
    with pytest.raises(ValueError, match="alpha"):
        TwoLayerNet(3, 10, alpha=0.0)
    with pytest.raises(ValueError, match="xi"):
        TwoLayerNet(3, 10, alpha=2.0, xi=0.5)
    with pytest.raises(ValueError, match="sphere"):
        TwoLayerNet(3, 10, sphere=True, bias=True)
    net = TwoLayerNet(3, 10, bias=True, init="balanced", init_scale=0.1)
    X = data(5, 3, 0)
    with pytest.raises(ValueError, match="y"):
        train(net, X, np.ones(4), lr=0.1, progress=False)
    Xn = X.copy()
    Xn[1, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        train(net, Xn, np.ones(5), lr=0.1, progress=False)
    with pytest.raises(ValueError, match="y"):
        gradient_flow(net, X, np.array([1, np.inf, 1, 1, 1.0]), progress=False)
    with pytest.raises(ValueError, match="loss"):
        train(net, X, np.ones(5), lr=0.1, progress=False, loss="hinge")
    with pytest.raises(ValueError, match="loss"):
        gradient_flow(net, X, np.ones(5), loss="l1", progress=False)
    with pytest.raises(ValueError, match="cuda"):
        net.predict(X, device="cuda")
    with pytest.raises(ValueError, match="cuda"):
        gradient_flow(net, X, np.ones(5), device="cuda", progress=False)
    with pytest.raises(ValueError, match="lr"):
        train(net, X, np.ones(5), progress=False)                 # no closed-form kernel for the auto lr
    big = TwoLayerNet(3, 10, seed=0, bias=True, init="balanced", init_scale=1.0)
    with pytest.raises(FloatingPointError, match="lr = 1e"), np.errstate(over="ignore", invalid="ignore"):
        train(big, 10 * X, 100 * np.ones(5), lr=1e6, steps=50, momentum=0.0, backtrack=False, progress=False)
