"""effective_neurons(measure="first_layer_move") and mass_count against naive loops and constructed sizes."""
import math

import numpy as np
import pytest

from spherekern.network import TwoLayerNet, effective_neurons
from spherekern.network.sparse import mass_count


def naive_pr(a):
    s = sum(a)
    return s * s / sum(v * v for v in a) if s else 0.0


def test_first_layer_move_against_a_loop_with_and_without_biases():
    for bias in (False, True):
        net = TwoLayerNet(5, 9, seed=1, activation="softplus", alpha=0.5, bias=bias)
        rng = np.random.default_rng(2)
        net.weights[:] += rng.standard_normal(9)
        net.directions[:] += 0.3 * rng.standard_normal(net.directions.shape)
        if bias:
            net.biases[:] += 0.2 * rng.standard_normal(9)
        ref = []
        for h in range(9):
            d2 = sum((net.directions[h, i] - net.directions0[h, i]) ** 2 for i in range(5))
            if bias:
                d2 += (net.biases[h] - net.biases0[h]) ** 2
            ref.append(abs(net.weights[h]) * math.sqrt(d2))
        assert effective_neurons(net, measure="first_layer_move") == pytest.approx(naive_pr(ref), rel=1e-12)


def test_first_layer_move_counts_k_moved_neurons_and_ignores_output_moves():
    net = TwoLayerNet(6, 40, seed=4, activation="softplus", alpha=1.0)
    net.weights[:] = 1.0                       # equal output weights: k equal first-layer moves give exactly k
    net.directions[:5] += 0.5
    assert effective_neurons(net, measure="first_layer_move") == pytest.approx(5, rel=1e-12)
    net.weights[5:] += 3.0                     # output moves of unmoved first layers do not count
    assert effective_neurons(net, measure="first_layer_move") == pytest.approx(5, rel=1e-12)


def test_mass_count_constructed_and_half_normal():
    assert mass_count(np.r_[np.ones(10), np.zeros(5)]) == 9       # ceil(0.9 * 10)
    assert mass_count(np.ones(10), q=1.0) == 10
    assert mass_count(np.zeros(4)) == 0
    assert mass_count(np.r_[100.0, np.full(99, 1e-3)]) == 1
    # i.i.d. half-normal sizes: the fraction k / H solves int_t^inf x phi = q int_0^inf x phi, i.e. exp(-t^2/2) = q,
    # and k / H = P(|z| > t) = erfc(t / sqrt 2)
    t = math.sqrt(-2 * math.log(0.9))
    a = np.abs(np.random.default_rng(0).standard_normal(100_000))
    assert mass_count(a) / a.size == pytest.approx(math.erfc(t / math.sqrt(2)), abs=0.005)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="q must"):
        mass_count(np.ones(3), q=0.0)
    with pytest.raises(ValueError, match="a must"):
        mass_count(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="measure must"):
        effective_neurons(TwoLayerNet(3, 4, seed=0, activation="softplus", alpha=1.0), measure="moves")
