"""spherekern.alignment against naive loops, a naive full-network GD, brute force, scikit-learn and theory."""
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import importlib

from spherekern import alignment as al

_atomic = importlib.import_module("spherekern.solvers.atomic")  # the module, not the function of that name

needs_cd = pytest.mark.skipif(not hasattr(_atomic, "critical_directions"),
                              reason="spherekern.solvers.atomic.critical_directions not committed yet")


def _data(n=40, d=2, seed=0, sigma=0.2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.arange(1, d + 1) / np.sqrt(np.sum(np.arange(1, d + 1) ** 2))
    return X, X @ beta + sigma * rng.standard_normal(n), beta


def test_G_and_D_against_naive_loops():
    X, y, _ = _data(13, 3)
    rng = np.random.default_rng(1)
    U = rng.standard_normal((5, 4))
    G, D = al.G_n(U, X, y), al.D_n(U, X, y)
    for i, u in enumerate(U):
        g, dd = 0.0, np.zeros(4)
        for k in range(len(y)):
            xt = np.append(X[k], 1.0)
            z = u @ xt
            if z > 0:
                g += y[k] * z / len(y)
                dd += y[k] * xt / len(y)
        assert G[i] == pytest.approx(g, rel=1e-13, abs=1e-15)
        np.testing.assert_allclose(D[i], dd, rtol=1e-13, atol=1e-15)
    # without bias: the plain inputs
    assert al.G_n(U[0, :3], X, y, bias=False) == pytest.approx(
        np.mean(y * np.maximum(X @ U[0, :3], 0)), rel=1e-13)


def _naive_gd(X, y, W, a, lr, steps):
    """Full-network GD on (1/2n) sum (h - y)^2, h = sum_j a_j relu(w_j . x~): the plain reference."""
    Z = np.c_[X, np.ones(len(X))]
    n = len(y)
    for _ in range(steps):
        pre = Z @ W.T
        act = np.maximum(pre, 0)
        r = act @ a - y
        ga = act.T @ r / n
        gW = ((pre > 0) * r[:, None] * a[None, :]).T @ Z / n
        a = a - lr * ga
        W = W - lr * gW
    return W, a


def test_early_phase_ode_matches_full_gd_for_small_lambda():
    X, y, _ = _data(30, 2, seed=3)
    rng = np.random.default_rng(4)
    m, lam, lr = 24, 1e-6, 2e-3
    W0 = rng.standard_normal((m, 3)) * lam / np.sqrt(m)
    a0 = np.where(rng.random(m) < 0.5, -1.0, 1.0) * np.linalg.norm(W0, axis=1)
    t = 4.0
    W, a = _naive_gd(X, y, W0, a0, lr, int(round(t / lr)))
    U, logr = al.early_phase_flow(X, y, W0, np.sign(a0), t, dt=lr)
    Ugd = W / np.linalg.norm(W, axis=1, keepdims=True)
    ang = np.arccos(np.clip(np.sum(U * Ugd, 1), -1, 1))
    assert ang.max() < 5e-3  # measured 9e-4: O(lr) Euler differences, the output (~lam^2) neglected
    np.testing.assert_allclose(logr, np.log(np.linalg.norm(W, axis=1) / np.linalg.norm(W0, axis=1)),
                               atol=1e-2 * max(1.0, np.abs(logr).max()))  # measured 2e-3 of 2.7
    # the directions moved by much more than that
    U0 = W0 / np.linalg.norm(W0, axis=1, keepdims=True)
    assert np.median(np.arccos(np.clip(np.sum(U * U0, 1), -1, 1))) > 0.2


def test_aligned_fraction_and_count_on_built_clusters():
    rng = np.random.default_rng(5)
    C = np.eye(4)[:3]
    U = np.concatenate([C[i] + 0.01 * rng.standard_normal((10, 4)) for i in range(3)]
                       + [rng.standard_normal((5, 4))])
    mass = np.concatenate([np.full(30, 1.0), np.full(5, 0.1)])
    far = np.arccos(np.clip((U[30:] / np.linalg.norm(U[30:], axis=1, keepdims=True)) @ C.T, -1, 1)).min(1) > 0.2
    expect = (30 + 0.1 * (~far).sum()) / 30.5
    assert al.aligned_fraction(U, mass, C, 0.2) == pytest.approx(expect, rel=1e-12)
    # signs: the first cluster is 'min' only, its neurons have a > 0, so they do not count
    signs = np.ones(35)
    f = al.aligned_fraction(U[:30], mass[:30], C, 0.2, signs=signs[:30], target_kinds=["min", "max", "max"])
    assert f == pytest.approx(20 / 30, rel=1e-12)
    assert al.count_directions(U[:30], mass[:30], 0.1) == 3
    assert al.count_directions(U, mass, 0.1, min_mass=0.05) == 3


def test_least_squares_against_sklearn():
    X, y, _ = _data(50, 4, seed=6)
    c, b = al.least_squares(X, y)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(c, ref.coef_, rtol=1e-10)
    assert b == pytest.approx(ref.intercept_, rel=1e-10)
    np.testing.assert_allclose(al.predict_linear(X, c, b), ref.predict(X), rtol=1e-10)


def test_bad_input():
    X, y, _ = _data(10, 2)
    with pytest.raises(ValueError, match="same length"):
        al.G_n(np.ones(3), X, y[:-1])
    with pytest.raises(ValueError, match="NaN or inf"):
        al.D_n(np.ones(3), np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="U must have 3"):
        al.G_n(np.ones(2), X, y)
    with pytest.raises(ValueError, match="signs"):
        al.early_phase_flow(X, y, np.ones((2, 3)), [1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="t must be"):
        al.early_phase_flow(X, y, np.ones((2, 3)), [1.0, -1.0], 0.0)
    with pytest.raises(ValueError, match="angle"):
        al.count_directions(np.ones((2, 3)), np.ones(2), -1.0)


@needs_cd
@pytest.mark.slow  # tens of seconds on 2 cores: make slow
def test_extremal_vectors_against_brute_force():
    X, y, _ = _data(25, 2, seed=7)
    ev = al.extremal_vectors(X, y)
    assert set(ev.kinds) <= {"max", "min"} and ev.directions.shape[1] == 3
    np.testing.assert_allclose(np.linalg.norm(ev.directions, axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(ev.values, al.G_n(ev.directions, X, y), rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(8)
    U = rng.standard_normal((200_000, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    G = al.G_n(U, X, y)
    scale = np.abs(G).max()
    # the global extremes found by brute force are among the extremal vectors (value and place)
    assert ev.values.max() >= G.max() - 1e-12 * scale
    assert ev.values.min() <= G.min() + 1e-12 * scale
    assert ev.values.max() - G.max() < 1e-3 * scale
    # each is a local extremum of its kind: no small random perturbation improves it
    for u, kind, v in zip(ev.directions, ev.kinds, ev.values):
        P = u + 1e-4 * rng.standard_normal((2000, 3))
        Gp = al.G_n(P / np.linalg.norm(P, axis=1, keepdims=True), X, y)
        if kind == "max":
            assert v > 0 and Gp.max() <= v + 1e-10 * scale
        else:
            assert v < 0 and Gp.min() >= v - 1e-10 * scale
    # every local maximum of the brute-force sample's best neighbourhood ascent is found: the local maxima
    # of G_n seen from a coarse grid (points better than all their 30 nearest neighbours) are near one returned
    idx = rng.choice(len(U), 4000, replace=False)
    S, GS = U[idx], G[idx]
    nb = np.argsort(-(S @ S.T), axis=1)[:, 1:31]
    for sgn, kind in ((1, "max"), (-1, "min")):
        loc = np.flatnonzero(np.all(sgn * GS[:, None] > sgn * GS[nb], axis=1) & (sgn * GS > 0.2 * scale))
        T = ev.of_kind(kind)
        for j in loc:
            assert np.arccos(np.clip(T @ S[j], -1, 1)).min() < 0.3


@needs_cd
def test_extremal_vectors_population_limit_linear_teacher():
    from theory.alignment import population_extremal_vectors
    X, y, beta = _data(500, 2, seed=9, sigma=0.5)  # measured: 0.010 / 0.023 rad, |G| within 7%
    ev = al.extremal_vectors(X, y)
    V, kinds, g = population_extremal_vectors(beta)
    for v, kind, gv in zip(V, kinds, g):
        T, vals = ev.of_kind(kind), ev.values[ev.kinds == kind]
        best = T[np.argmax(np.abs(vals))]
        assert np.arccos(np.clip(best @ v, -1, 1)) < 0.1
        assert np.abs(vals).max() == pytest.approx(abs(gv), rel=0.1)


@pytest.mark.slow  # tens of seconds on 2 cores: make slow
def test_early_phase_ode_matches_the_network_module_gd():
    """spherekern.network's own GD (plain steps, balanced init, biases) follows the early-phase ODE for small lam."""
    from spherekern.network import TwoLayerNet, train
    X, y, _ = _data(30, 2, seed=11)
    lr, t = 2e-3, 4.0
    net = TwoLayerNet(2, 24, seed=12, bias=True, init="balanced", init_scale=1e-6)
    th0, w0 = net.parameters()
    h = train(net, X, y, lr=lr, steps=int(round(t / lr)), loss="mse", momentum=0.0, backtrack=False, tol=0.0,
              rtol=0.0, progress=False)
    assert h.steps == int(round(t / lr))
    th, w = net.parameters()
    U, logr = al.early_phase_flow(X, y, th0, np.sign(w0), t, dt=lr)
    Ugd = th / np.linalg.norm(th, axis=1, keepdims=True)
    ang = np.arccos(np.clip(np.sum(U * Ugd, 1), -1, 1))
    assert ang.max() < 5e-3
    np.testing.assert_allclose(logr, np.log(np.linalg.norm(th, axis=1) / np.linalg.norm(th0, axis=1)),
                               atol=1e-2 * max(1.0, np.abs(logr).max()))
    # balanced: |w_j| = |(theta_j, b_j)| is conserved up to O(lr) (the output is still ~lam^2)
    np.testing.assert_allclose(np.abs(w), np.linalg.norm(th, axis=1), rtol=1e-2)
    U0 = th0 / np.linalg.norm(th0, axis=1, keepdims=True)
    assert np.median(np.arccos(np.clip(np.sum(U * U0, 1), -1, 1))) > 0.2
