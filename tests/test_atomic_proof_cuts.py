"""Tests of the exact bound of a cap cut by a few hyperplanes (spherekern/solvers/atomic/_proofcuts.py) and of
the branch and bound that uses it in d >= 3 (prove_bound).

References (none shares code with the module): dense sampling of the cap region with numpy (a lower bound of
the maximum: the bound must be above it), scipy's SLSQP maximising w . theta on the sphere under the cap and
half-space constraints from many starts (the bound must match it where the maximum is positive: the bound is
exact there), and dense sampling of the whole sphere for prove_bound.
"""
import math

import numpy as np
import pytest
from scipy.optimize import minimize

from spherekern.solvers.atomic._proofcuts import region_max
from spherekern.solvers.atomic.proof import prove_bound


def _unit(rng, n, d):
    Z = rng.standard_normal((n, d))
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def _cap_points(c, r, m, rng):
    """m points of the cap (centre c, angular radius r): random tangent directions, angles up to r."""
    u = rng.standard_normal((m, c.size))
    u -= np.outer(u @ c, c)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    phi = r * rng.random(m) ** (1.0 / (c.size - 1))
    return np.cos(phi)[:, None] * c + np.sin(phi)[:, None] * u


def _problem(rng):
    """A cap, k <= d - 1 hyperplanes through points inside it, signs, a linear function."""
    d = int(rng.integers(3, 6))
    k = int(rng.integers(1, d))
    c = _unit(rng, 1, d)[0]
    r = 10 ** rng.uniform(-3, -0.5)
    T = _cap_points(c, 0.7 * r, k, rng)
    G = rng.standard_normal((k, d))
    G -= np.einsum("ij,ij->i", G, T)[:, None] * T
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    return d, k, c, r, G, rng.choice([-1.0, 1.0], k), rng.standard_normal(d)


def _bound(c, r, w, G, sg, target=-np.inf):
    d, k = c.size, G.shape[0]
    return region_max(c, math.cos(r), w, G, sg, k, d, np.empty((d, d)), np.empty((d, d)), np.empty((8, d)),
                      np.empty(d, np.int64), target)


def _slsqp_max(c, r, w, G, sg, rng, starts=20):
    """max of w . theta on the sphere, c . theta >= cos r, sg_j G_j . theta >= 0 (SLSQP, many starts); -inf if
    no start converges to a feasible point."""
    cons = [{"type": "eq", "fun": lambda t: t @ t - 1.0},
            {"type": "ineq", "fun": lambda t: t @ c - math.cos(r)}]
    cons += [{"type": "ineq", "fun": (lambda t, g=g: g @ t)} for g in sg[:, None] * G]
    best = -np.inf
    for t0 in _cap_points(c, r, starts, rng):
        res = minimize(lambda t: -(w @ t), t0, jac=lambda t: -w, constraints=cons, method="SLSQP",
                       options=dict(ftol=1e-15, maxiter=500))
        t = res.x
        if abs(t @ t - 1) < 1e-9 and t @ c >= math.cos(r) - 1e-9 and np.all(sg * (G @ t) >= -1e-9):
            best = max(best, float(w @ t))
    return best


def test_region_bound_is_above_dense_samples():
    rng = np.random.default_rng(1)
    for _ in range(30):
        d, k, c, r, G, sg, w = _problem(rng)
        b = _bound(c, r, w, G, sg)
        P = _cap_points(c, r, 20_000, rng)
        ok = np.all(P @ G.T * sg >= 0, axis=1)
        if ok.any():
            assert (P[ok] @ w).max() <= b, (d, k, r)


def test_region_bound_is_exact_where_positive():
    # where the region's maximum is positive the bound equals it (strong duality): compare with SLSQP
    rng = np.random.default_rng(2)
    n_checked = 0
    for _ in range(16):
        d, k, c, r, G, sg, w = _problem(rng)
        w += 3.0 * np.linalg.norm(w) * c      # make the maximum positive
        ref = _slsqp_max(c, r, w, G, sg, rng, starts=8)
        if not np.isfinite(ref):
            continue
        b = _bound(c, r, w, G, sg)
        scale = np.linalg.norm(w)
        assert abs(b - ref) <= 1e-8 * scale, (d, k, r, b - ref)   # SLSQP's points are feasible to 1e-9
        n_checked += 1
    assert n_checked >= 12


def test_region_bound_stops_at_target():
    rng = np.random.default_rng(3)
    d, k, c, r, G, sg, w = _problem(rng)
    exact = _bound(c, r, w, G, sg)
    loose = _bound(c, r, w, G, sg, target=exact + 10.0)
    assert exact <= loose <= exact + 10.0


@pytest.mark.parametrize("d, n", [(4, 24), (5, 16)])
def test_prove_bound_sound_and_tight_against_sampling(d, n):
    # max |eta| scaled to 1.05 by a dense sample: the proof must fail, with a bound above every sample and close
    # to the maximum (tol 1e-3); scaled to 0.95 it must succeed
    rng = np.random.default_rng(d)
    X = _unit(rng, n, d)
    p = rng.standard_normal(n)
    Z = _unit(rng, 400_000, d)
    p *= 1.05 / np.abs(np.maximum(Z @ X.T, 0.0) @ p).max()
    r = prove_bound(X, p, tol=1e-3)
    ref = np.abs(np.maximum(_unit(np.random.default_rng(9), 400_000, d) @ X.T, 0.0) @ p).max()
    assert r.complete and not r.proved
    assert r.bound >= max(ref, 1.05)
    assert r.bound <= r.best * (1 + 1e-3) + r.margin
    assert r.best <= r.bound
    r2 = prove_bound(X, 0.95 / r.bound * p, tol=1e-3)
    assert r2.complete and r2.proved


@pytest.mark.slow
def test_proves_certified_d5_solution():
    # a certified atomic() solution in d = 5: the proof succeeds at the solve's tolerance and reaches its
    # certificate (a lower value of the maximum)
    from spherekern.solvers import atomic
    rng = np.random.default_rng(0)
    X = _unit(rng, 24, 5)
    T = _unit(rng, 200, 5)
    y = np.abs(X @ T.T) @ rng.choice([-1.0, 1.0], 200) / np.sqrt(200)
    sol = atomic(X, y, rng=0)
    r = sol.verify(tol=1e-7)
    assert r.proved and r.complete
    assert r.bound >= sol.certificate - 1e-12
