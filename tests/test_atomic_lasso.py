"""spherekern.solvers.atomic with lam > 0 (the restricted lasso by the active-set method of atomic/lasso.py) against
independent references:

* a brute-force lasso over 20,000 fixed random directions by scikit-learn's exact LARS homotopy (``LassoLars``, the
  same objective ``(1/2n)|y - A w|^2 + lam |w|_1`` with ``fit_intercept=False``; its coordinate-descent ``Lasso``
  stalls at twice the optimum for lam = 1e-6): its objective is an upper bound of the continuous optimum;
* the proven lower bound of :meth:`AtomicSolution.verify` (branch and bound over the sphere, independent of the
  solver's pricing): the dual objective of ``p / max(1, B)``, written out here;
* the KKT conditions recomputed with numpy (``p = (y - f(X)) / (n lam)``, ``eta(theta_i) = sign(w_i)``).
"""
import warnings

import numpy as np
import pytest

from spherekern.solvers import atomic
from spherekern.solvers.atomic.lasso import _nn_lasso


def _unit(rng, n, d):
    Z = rng.standard_normal((n, d))
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def _obj(A, y, lam, w):
    r = A @ w - y
    return 0.5 * (r @ r) / len(y) + lam * np.abs(w).sum()


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = _unit(rng, 24, 3)
    T = _unit(rng, 100, 3)
    y = np.abs(X @ T.T) @ rng.choice([-1.0, 1.0], 100) / 10.0
    D = _unit(rng, 20_000, 3)
    return X, y, D


@pytest.mark.parametrize("lam", [pytest.param(1e-6, marks=pytest.mark.slow), 1e-5,
                                 pytest.param(1e-4, marks=pytest.mark.slow), pytest.param(1e-3, marks=pytest.mark.slow)])
def test_lasso_against_brute_force_and_proof(problem, lam):
    """Measured (shared 2-core machine, load ~8): the 20,000-direction optimum is 0.27%, 0.26%, 0.16%, 0.06% above
    the continuous one at lam = 1e-6 .. 1e-3; ~4 s per case (the LARS path on 20,000 columns), so one is fast."""
    from sklearn.linear_model import LassoLars

    X, y, D = problem
    n = len(y)
    sol = atomic(X, y, lam=lam)
    assert sol.converged and sol.certificate <= 1 + 1e-7 and sol.n_atoms <= n
    A_atoms = np.maximum(X @ sol.directions.T, 0.0)
    f = A_atoms @ sol.weights
    assert sol.objective == pytest.approx(_obj(A_atoms, y, lam, sol.weights), rel=1e-12)
    # KKT recomputed: the dual is the scaled residual, eta = sign(w) at the atoms
    assert np.allclose(n * lam * sol.dual, y - f, rtol=0, atol=1e-10 * np.abs(y).max())
    assert np.allclose(A_atoms.T @ sol.dual, np.sign(sol.weights), atol=1e-6)
    # proven lower bound: dual objective of u = (y - f) / max(1, B), B >= max |eta| over the sphere (proof)
    r = sol.verify(tol=1e-6)
    assert r.proved
    u = (y - f) / max(1.0, r.bound)
    lower = (y @ u - 0.5 * u @ u) / n
    assert lower <= sol.objective and sol.objective - lower <= 1e-6 * sol.objective
    # brute force over 20,000 fixed directions: an upper bound of the continuous optimum, and close to it
    A = np.maximum(X @ D.T, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LARS's "regressors are collinear" notes on 20,000 correlated columns
        ref = LassoLars(alpha=lam, fit_intercept=False, max_iter=5000, eps=1e-16).fit(A, y)
    upper = _obj(A, y, lam, ref.coef_)
    assert sol.objective <= upper * (1 + 1e-9)
    assert lower <= upper
    assert upper <= sol.objective * (1 + 0.01)


def test_lasso_small_lam_constant_target_and_scale():
    """lam from 1e-8 to 1 on a constant target (HiGHS's QP reported "Solve error" here for lam <= 1e-4 before),
    certified; y x 1e-200 with lam x 1e-200 gives the same atoms (the lasso is 2-homogeneous in (y, lam))."""
    rng = np.random.default_rng(1)
    X = _unit(rng, 32, 3)
    y = np.ones(32)
    prev = None
    for lam in (1e-8, 1e-6, 1e-4, 1e-2, 1.0):
        sol = atomic(X, y, lam=lam)
        assert sol.converged and sol.certificate <= 1 + 1e-7 and sol.n_atoms <= 32
        assert sol.gap <= 1e-7 * sol.objective
        if prev is not None:  # the optimal value increases with lam
            assert sol.objective >= prev
        prev = sol.objective
    a = atomic(X, y, lam=1e-3)
    b = atomic(X, 1e-200 * y, lam=1e-203)
    assert b.converged and b.n_atoms == a.n_atoms
    assert np.allclose(b.directions, a.directions, atol=1e-12)
    assert np.allclose(b.weights / 1e-200, a.weights, rtol=1e-6, atol=0)


def test_nn_lasso_kkt_and_duplicates():
    """The restricted solver alone, on duplicated and collinear columns: exact KKT (g_k <= tol nlam, = 0 on the
    support), an independent support (rank = size, at most n), from a cold and from a warm start."""
    rng = np.random.default_rng(2)
    n = 20
    X = _unit(rng, n, 3)
    T = _unit(rng, 150, 3)
    A = np.maximum(X @ T.T, 0.0)
    At = np.concatenate([A.T, -A.T, A.T[:10], 2.0 * A.T[10:15]])
    y = rng.standard_normal(n)
    for lam in (1e-1, 1e-3, 1e-6):
        nlam = n * lam
        z, ok = _nn_lasso(At, y, nlam, tol=1e-10)
        assert ok and np.all(z >= 0)
        S = np.flatnonzero(z)
        assert S.size <= n and np.linalg.matrix_rank(At[S].T) == S.size
        g = At @ (y - At.T @ z) - nlam
        assert g.max() <= 1e-9 * nlam and np.max(np.abs(g[S])) <= 1e-9 * nlam
        z2, ok2 = _nn_lasso(At, y, nlam, z0=z + 0.1 * rng.random(z.size), tol=1e-10)
        obj = lambda w: 0.5 * np.sum((y - At.T @ w) ** 2) + nlam * w.sum()  # noqa: E731
        assert ok2 and obj(z2) == pytest.approx(obj(z), rel=1e-10)
