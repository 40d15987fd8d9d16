"""solvers.atomic.critical_directions: the local maxima / minima of eta(theta) = sum_j p_j relu(theta . x_j),
against brute force on dense point sets (a fine grid of the circle, a Fibonacci set of S^2 with its nearest
neighbours)."""
import numpy as np
import pytest
from scipy.spatial import cKDTree

from spherekern import sphere
from spherekern.solvers.atomic import critical_directions


def _eta(T, X, p):
    return np.maximum(T @ X.T, 0.0) @ p


def _grid_local_max(T, E, k, sep):
    _, nn = cKDTree(T).query(T, k=k)
    loc = np.flatnonzero(np.all(E[:, None] >= E[nn], axis=1))
    loc = loc[np.argsort(-E[loc])]
    keep = []
    for i in loc:
        if all(T[i] @ T[j] < np.cos(sep) for j in keep):
            keep.append(i)
    return T[keep], E[keep]


@pytest.mark.parametrize("kind", ["max", "min"])
def test_circle_against_fine_grid(kind):
    X = sphere.uniform(12, 2, rng=3)
    p = np.random.default_rng(4).standard_normal(12) / 12
    th, v = critical_directions(X, p, kind=kind)
    s = 1 if kind == "max" else -1
    a = np.linspace(0, 2 * np.pi, 400_000, endpoint=False)
    T = np.stack([np.cos(a), np.sin(a)], 1)
    E = s * _eta(T, X, p)
    loc = np.flatnonzero((E >= np.roll(E, 1)) & (E >= np.roll(E, -1)) & ~np.isclose(E, np.roll(E, 1), rtol=0, atol=1e-15))
    scale = np.abs(p).sum()
    # every grid local maximum is found, at the same place and value; none is invented
    assert len(th) == len(loc)
    for i in loc:
        j = np.argmax(th @ T[i])
        assert np.arccos(min(1.0, th[j] @ T[i])) < 1e-4
        # the grid (spacing 1.6e-5 rad) can only miss the peak of a kink by about spacing x slope
        assert E[i] - 1e-14 <= s * v[j] <= E[i] + 2e-5 * scale
    assert np.allclose(np.linalg.norm(th, axis=1), 1)
    assert np.all(np.diff(s * v) <= 1e-15)  # best first
    assert np.allclose(v, _eta(th, X, p), rtol=0, atol=1e-14 * scale)


def test_sphere_s2_against_fibonacci_grid():
    X = sphere.uniform(30, 3, rng=2)
    p = np.random.default_rng(0).standard_normal(30) / 30
    th, v = critical_directions(X, p, kind="max")
    T = sphere.fibonacci(200_000, 3)
    E = _eta(T, X, p)
    G, EG = _grid_local_max(T, E, 16, 0.02)
    # eta is Lipschitz with constant sum|p|, and every point of S^2 is within ~h of the grid
    tol = np.abs(p).sum() * 2 * np.sqrt(4 * np.pi / T.shape[0])
    assert E.max() - 1e-12 <= v[0] <= E.max() + tol  # the global maximum
    # the clear local maxima of the grid, each refined by a naive random-search climb, are all found
    # (a grid point can be a spurious local maximum on a sloping ridge: the climb moves it to the true one)
    rng = np.random.default_rng(7)
    for g in G[EG > 0.3 * EG[0]]:
        x, r = g, 0.02
        for it in range(160):
            P = x + r * rng.standard_normal((64, 3))
            P /= np.linalg.norm(P, axis=1, keepdims=True)
            e = _eta(P, X, p)
            if e.max() > _eta(x[None], X, p)[0]:
                x = P[np.argmax(e)]
            if it % 10 == 9:
                r *= 0.5
        j = np.argmax(th @ x)
        assert np.arccos(min(1.0, th[j] @ x)) < 1e-3
        assert _eta(x[None], X, p)[0] - 1e-12 <= v[j]
    # each returned direction is a local maximum: no better point around it
    rng = np.random.default_rng(1)
    for t, e in zip(th, v):
        P = t + 1e-3 * rng.standard_normal((200, 3))
        P /= np.linalg.norm(P, axis=1, keepdims=True)
        assert np.all(_eta(P, X, p) <= e + 1e-12)


def test_bad_input():
    X = sphere.uniform(5, 3, rng=0)
    with pytest.raises(ValueError, match="kind"):
        critical_directions(X, np.ones(5), kind="saddle")
    with pytest.raises(ValueError, match="one entry per row"):
        critical_directions(X, np.ones(4))
    with pytest.raises(ValueError, match="NaN or inf"):
        critical_directions(X, np.array([1, np.nan, 0, 0, 0.0]))
    with pytest.raises(ValueError, match="power"):
        critical_directions(X, np.ones(5), power=2)
    th, v = critical_directions(X, np.zeros(5))
    assert th.shape == (0, 3) and v.shape == (0,)
