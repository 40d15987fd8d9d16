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


# ------------------------------------------------------------------------------ effective_atoms, direction_groups
from spherekern.network import direction_groups, effective_atoms  # noqa: E402
from spherekern.network.model import SOFTPLUS_BETA  # noqa: E402
from spherekern.network import softplus_constant  # noqa: E402


def _angle(a, b):
    c = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return math.acos(max(-1.0, min(1.0, c)))


def _planted(d=6, sizes=(5, 3, 7, 1), jitter=0.01, seed=3):
    """A softplus net whose directions form len(sizes) tight groups (pairwise < 4 jitter) around centres >= 1 rad
    apart (orthogonal basis vectors), in a shuffled order; returns the net and the planted labels."""
    rng = np.random.default_rng(seed)
    H = sum(sizes)
    net = TwoLayerNet(d, H, seed=seed, activation="softplus", alpha=0.7)
    lab = np.repeat(np.arange(len(sizes)), sizes)
    perm = rng.permutation(H)
    lab = lab[perm]
    for h in range(H):
        v = np.eye(d)[lab[h]] + jitter * rng.standard_normal(d)
        net.directions[h] = rng.uniform(0.5, 3.0) * v / np.linalg.norm(v)
    net.weights[:] = rng.standard_normal(H)
    return net, lab


def _same_partition(a, b):
    return all((a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a)))


def test_direction_groups_recover_planted_groups_and_are_complete_linkage():
    net, lab = _planted()
    g = direction_groups(net, 0.1)
    assert _same_partition(g, lab)
    assert sorted(set(g.tolist())) == list(range(4))
    # every pair of one group within the angle (brute force), for random directions and several angles
    rnet = TwoLayerNet(3, 40, seed=5, activation="softplus", alpha=1.0)
    th = rnet.directions
    for ang in (0.2, 0.5, 1.0):
        g = direction_groups(rnet, ang)
        for i in range(40):
            for j in range(40):
                if g[i] == g[j]:
                    assert _angle(th[i], th[j]) <= ang + 1e-9
    # no chaining: three directions 0.08 rad apart along a great circle, angle 0.1: the ends are 0.16 apart
    cnet = TwoLayerNet(3, 3, seed=0, activation="softplus", alpha=1.0)
    for h, t in enumerate((0.0, 0.08, 0.16)):
        cnet.directions[h] = [math.cos(t), math.sin(t), 0.0]
    g = direction_groups(cnet, 0.1)
    assert g[0] != g[2] and len(set(g.tolist())) == 2
    # angle 0: only identical directions (here, a copy of neuron 0 at another length) merge
    cnet.directions[2] = 2.5 * cnet.directions[0]
    assert direction_groups(cnet, 0.0).tolist().count(direction_groups(cnet, 0.0)[0]) == 2


def test_effective_atoms_against_a_naive_loop_with_cancelling_neurons():
    net, lab = _planted(sizes=(4, 4, 2), jitter=0.02)
    rng = np.random.default_rng(8)
    X = rng.standard_normal((11, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    # neuron 1 cancels neuron 0: same direction and initial state, opposite output weights
    i0, i1 = np.flatnonzero(lab == 0)[:2]
    net.directions[i1] = net.directions[i0]
    d0, w0 = net.directions0.copy(), net.weights0.copy()   # the frozen initial state, rebuilt for the test
    d0[i1], w0[i1] = d0[i0], -w0[i0]
    net.directions0, net.weights0 = d0, w0
    net.weights[i1] = -net.weights[i0]
    c, beta = softplus_constant(), SOFTPLUS_BETA

    def phi(z):
        return c * (max(beta * z, 0.0) + math.log1p(math.exp(-abs(beta * z)))) / beta

    def term(h, x):
        z = sum(a * b for a, b in zip(net.directions[h], x))
        z0 = sum(a * b for a, b in zip(net.directions0[h], x))
        return net.weights[h] * phi(z) - net.weights0[h] * phi(z0)
    sizes = []
    for k in range(3):
        members = [h for h in range(net.width) if lab[h] == k]
        ms = sum(sum(term(h, x) for h in members) ** 2 for x in X) / len(X)
        sizes.append(abs(net.scale) * math.sqrt(ms))
    assert effective_atoms(net, X, 0.1) == pytest.approx(naive_pr(sizes), rel=1e-10)
    # the group sizes themselves, and angle 0 = the plain neuron count when every direction differs but the copy
    from spherekern.network import neuron_contributions
    g = direction_groups(net, 0.1)
    got = neuron_contributions(net, X, groups=g)
    assert [got[g[np.flatnonzero(lab == k)[0]]] for k in range(3)] == pytest.approx(sizes, rel=1e-10)
    per = neuron_contributions(net, X)
    merged = np.delete(per, [i0, i1])
    assert effective_atoms(net, X, 0.0) == pytest.approx(naive_pr(list(merged)), rel=1e-10)


def test_effective_atoms_of_random_directions_is_the_neuron_count():
    net = TwoLayerNet(20, 64, seed=2, activation="softplus", alpha=1.0)
    X = np.random.default_rng(1).standard_normal((30, 20))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    net.weights[:] += 0.5
    assert effective_atoms(net, X, 0.1) == pytest.approx(effective_neurons(net, X), rel=1e-12)


def test_effective_atoms_bad_input():
    net = TwoLayerNet(3, 4, seed=0, activation="softplus", alpha=1.0)
    X = np.eye(3)
    with pytest.raises(ValueError, match="angle must"):
        effective_atoms(net, X, -0.1)
    with pytest.raises(ValueError, match="angle must"):
        direction_groups(net, 4.0)
    with pytest.raises(TypeError, match="angle must"):
        direction_groups(net, "0.1")
    from spherekern.network import neuron_contributions
    with pytest.raises(ValueError, match="groups must"):
        neuron_contributions(net, X, groups=np.zeros(3, int))
    with pytest.raises(ValueError, match="groups must"):
        neuron_contributions(net, X, groups=np.full(4, -1))
    with pytest.raises(TypeError, match="net must"):
        direction_groups("net", 0.1)
