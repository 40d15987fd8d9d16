"""effective_neurons / neuron_contributions / participation_ratio against naive loops on constructed weights."""
import math

import numpy as np
import pytest

from spherekern.network import TwoLayerNet, effective_neurons, neuron_contributions
from spherekern.network.sparse import participation_ratio


def naive_phi(net, z):
    if net.activation == "relu":
        return max(z, 0.0)
    u = net.act_beta * z
    return net.act_c * (max(u, 0.0) + math.log1p(math.exp(-abs(u)))) / net.act_beta


def naive_terms(net, X):
    """c[h, j] = w_h phi(theta_h . x_j + b_h) - f0_coef w0_h phi(theta0_h . x_j + b0_h), by loops."""
    H, n = net.width, X.shape[0]
    c = np.zeros((H, n))
    for h in range(H):
        for j in range(n):
            z = sum(net.directions[h, k] * X[j, k] for k in range(net.d)) + (net.biases[h] if net.bias else 0.0)
            z0 = sum(net.directions0[h, k] * X[j, k] for k in range(net.d)) + (net.biases0[h] if net.bias else 0.0)
            c[h, j] = net.weights[h] * naive_phi(net, z) - net.f0_coef * net.weights0[h] * naive_phi(net, z0)
    return c


def naive_pr(a):
    return sum(a) ** 2 / sum(v * v for v in a)


def moved_net(activation, bias, alpha, seed=0, H=12, d=5):
    net = TwoLayerNet(d, H, seed=seed, activation=activation, alpha=alpha, bias=bias)
    rng = np.random.default_rng(seed + 1)
    net.directions += 0.3 * rng.standard_normal(net.directions.shape)
    net.weights += 0.5 * rng.standard_normal(H)
    if bias:
        net.biases += 0.2 * rng.standard_normal(H)
    return net


@pytest.mark.parametrize("activation,bias,alpha", [("softplus", False, 1e-2), ("softplus", True, 10.0),
                                                   ("relu", False, 3.0)])
def test_contributions_vs_naive_loop_and_predict(activation, bias, alpha):
    net = moved_net(activation, bias, alpha)
    X = np.random.default_rng(5).standard_normal((9, net.d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    c = naive_terms(net, X)
    # the terms add up to the network's output: F = scale * sum_h c_h
    np.testing.assert_allclose(net.scale * c.sum(0), net.predict(X), rtol=1e-10, atol=1e-12)
    ref = net.scale * np.sqrt((c ** 2).mean(1))
    np.testing.assert_allclose(neuron_contributions(net, X), ref, rtol=1e-11, atol=1e-14)
    assert effective_neurons(net, X) == pytest.approx(naive_pr(list(ref)), rel=1e-12)


def test_contributions_blocked_rows(monkeypatch):
    import spherekern.network.sparse as sp
    net = moved_net("softplus", False, 1.0, H=7)
    X = np.random.default_rng(2).standard_normal((23, net.d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    full = neuron_contributions(net, X)
    monkeypatch.setattr(sp, "_CONTRIB_BLOCK", 4)
    np.testing.assert_allclose(neuron_contributions(net, X), full, rtol=1e-13)


def test_constructed_sparse_and_dense_networks():
    H, d, k = 40, 6, 5
    X = np.random.default_rng(3).standard_normal((30, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    net = TwoLayerNet(d, H, seed=4, activation="softplus", alpha=1.0)
    assert effective_neurons(net, X) == 0.0               # untrained: F = 0, nothing learnt
    # k neurons moved by the same amount (first layer and output weight): exactly k for the displacement,
    # and only those k carry a contribution
    net.weights[:k] += 2.0
    net.directions[:k] += 0.5
    assert effective_neurons(net, measure="displacement") == pytest.approx(k, rel=1e-12)
    a = neuron_contributions(net, X)
    assert np.all(a[k:] == 0.0) and np.all(a[:k] > 0)
    assert 1.0 <= effective_neurons(net, X) <= k
    # weights measure: path-norm summands of the current weights, naive formula
    ref = [abs(net.weights[h]) * math.sqrt(sum(v * v for v in net.directions[h])) for h in range(H)]
    assert effective_neurons(net, measure="weights") == pytest.approx(naive_pr(ref), rel=1e-12)
    # every neuron moved: a dense representation, a large fraction of H
    net.weights[:] = net.weights0 + np.random.default_rng(6).standard_normal(H)
    assert effective_neurons(net, X) > 0.4 * H


def test_participation_ratio_identities():
    assert participation_ratio(np.array([0.0, 3.0, 3.0, 0.0, 3.0])) == pytest.approx(3.0, rel=1e-15)
    assert participation_ratio(np.zeros(4)) == 0.0
    a = np.random.default_rng(0).random(50)
    assert participation_ratio(a) == pytest.approx(naive_pr(list(a)), rel=1e-12)
    assert participation_ratio(1e200 * a) == pytest.approx(participation_ratio(a), rel=1e-12)   # no overflow
    assert participation_ratio(1e-200 * a) == pytest.approx(participation_ratio(a), rel=1e-12)  # no underflow
    # i.i.d. |N(0,1)| sizes: H * 2/pi (the dense value quoted in the docstring), Monte-Carlo within 3%
    g = np.abs(np.random.default_rng(1).standard_normal(200000))
    assert participation_ratio(g) / g.size == pytest.approx(2 / math.pi, rel=0.03)


def test_bad_input():
    net = TwoLayerNet(3, 4, seed=0, activation="softplus", alpha=1.0)
    with pytest.raises(ValueError, match="measure"):
        effective_neurons(net, measure="mass")
    with pytest.raises(ValueError, match="needs X"):
        effective_neurons(net)
    with pytest.raises(TypeError, match="net must be a TwoLayerNet"):
        effective_neurons("net", measure="weights")
    with pytest.raises(TypeError, match="net must be a TwoLayerNet"):
        neuron_contributions(None, np.ones((2, 3)))
    with pytest.raises(ValueError, match="columns"):
        neuron_contributions(net, np.ones((2, 4)))
    with pytest.raises(ValueError, match="at least one row"):
        neuron_contributions(net, np.ones((0, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        participation_ratio(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="1-D"):
        participation_ratio(np.ones((2, 2)))
