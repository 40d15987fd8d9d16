"""Tests of spherekern.solvers.min_norm against dense numpy solves and the eigen-decomposition closed form."""
import numpy as np
import pytest

from spherekern.solvers.min_norm import KernelPredictor, min_norm
import sys
import spherekern.solvers.min_norm  # noqa: F401
mn_module = sys.modules["spherekern.solvers.min_norm"]   # the module (the package re-exports the function)
from spherekern.sphere import uniform


class ExpKernel:
    """Tiny numpy kernel K(x, y) = exp(x.y) (all Funk–Hecke eigenvalues > 0: strictly PD on the sphere)."""

    def __call__(self, t):
        return np.exp(t)

    def gram(self, X, Y=None, out=None):
        Y = X if Y is None else Y
        G = np.exp(np.clip(X @ Y.T, -1, 1))
        if out is None:
            return G
        out[...] = G
        return out


def ntk_numpy(t):
    """NTK of the one-hidden-layer ReLU network, docs/CONVENTIONS.md, in plain numpy."""
    t = np.clip(t, -1, 1)
    return (np.sqrt(1 - t * t) + 2 * (np.pi - np.arccos(t)) * t) / (2 * np.pi)


def _kernels():
    ks = [("exp", ExpKernel(), lambda t: np.exp(t))]
    try:
        from spherekern.kernels import NTK
        ks.append(("ntk", NTK(), ntk_numpy))
    except ImportError:  # pragma: no cover - kernels module is part of the project
        pass
    return ks


KERNELS = _kernels()


@pytest.mark.parametrize("name,kernel,phi", KERNELS, ids=[k[0] for k in KERNELS])
@pytest.mark.parametrize("ridge", [0.0, 1e-3, 0.5])
def test_min_norm_equals_dense_solve(name, kernel, phi, ridge):
    rng = np.random.default_rng(0)
    d, n = 4, 120
    X = uniform(n, d, rng)
    y = rng.standard_normal(n)
    K = phi(X @ X.T)
    ref = np.linalg.solve(K + ridge * np.eye(n), y)
    pred = min_norm(kernel, X, y, ridge=ridge)
    assert isinstance(pred, KernelPredictor)
    # both solves are backward stable: forward error <= cond * (relative Gram difference + O(eps)). The Gram
    # entries agree to eps for exp; the NTK has a sqrt cusp at t = 1, so a rounding of 1e-16 in x.x moves
    # K_ii by ~1e-8 (intrinsic, not a solver error): allow that, and check the solve itself on kernel.gram.
    cond = np.linalg.cond(K + ridge * np.eye(n))
    dK = 1e-15 if name == "exp" else 1e-8
    assert np.linalg.norm(pred.coef - ref) <= 10 * cond * dK * np.linalg.norm(ref)
    ref2 = np.linalg.solve(kernel.gram(X) + ridge * np.eye(n), y)
    assert np.linalg.norm(pred.coef - ref2) <= 100 * cond * 2.2e-16 * np.linalg.norm(ref2)
    Xt = uniform(50, d, rng)
    direct = phi(Xt @ X.T) @ pred.coef          # numpy kernel at distinct test points
    np.testing.assert_allclose(pred.predict(Xt), direct, rtol=0, atol=1e-11 * np.abs(pred.coef).sum())
    assert pred.ridge == ridge and pred.kernel is kernel
    np.testing.assert_array_equal(pred.X, X)


@pytest.mark.parametrize("name,kernel,phi", KERNELS, ids=[k[0] for k in KERNELS])
def test_ridgeless_interpolates(name, kernel, phi):
    rng = np.random.default_rng(1)
    X = uniform(200 if name == "ntk" else 30, 3, rng)   # exp(t) has a fast-decaying spectrum
    y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]
    pred = min_norm(kernel, X, y)
    np.testing.assert_allclose(pred.predict(X), y, rtol=0, atol=1e-7)


def test_ridge_matches_eigen_closed_form_and_optimality():
    """coef = V diag(1/(lambda + ridge)) V^T y (eigen-decomposition), and the objective
    sum (f(x_j) - y_j)^2 + ridge g^T K g is stationary there (its gradient 2 K ((K + ridge I) g - y) = 0)."""
    rng = np.random.default_rng(2)
    X = uniform(80, 5, rng)
    y = rng.standard_normal(80)
    ridge = 0.07
    K = np.exp(X @ X.T)
    lam, V = np.linalg.eigh(K)
    ref = V @ ((V.T @ y) / (lam + ridge))
    g = min_norm(ExpKernel(), X, y, ridge=ridge).coef
    np.testing.assert_allclose(g, ref, rtol=0, atol=1e-11 * np.abs(ref).max())
    grad = 2 * K @ (K @ g + ridge * g - y)
    assert np.abs(grad).max() < 1e-9 * np.abs(K).max() * np.abs(y).max()

    def objective(c):
        r = K @ c - y
        return r @ r + ridge * c @ K @ c
    for _ in range(5):   # no perturbation decreases it
        assert objective(g + 1e-3 * rng.standard_normal(80)) > objective(g)


def test_matches_sklearn_kernel_ridge_convention():
    sk = pytest.importorskip("sklearn.kernel_ridge")
    rng = np.random.default_rng(3)
    X = uniform(60, 3, rng)
    y = rng.standard_normal(60)
    K = np.exp(X @ X.T)
    kr = sk.KernelRidge(alpha=0.3, kernel="precomputed").fit(K, y)
    np.testing.assert_allclose(min_norm(ExpKernel(), X, y, ridge=0.3).coef, kr.dual_coef_, rtol=1e-10, atol=1e-12)


def test_two_dimensional_targets():
    rng = np.random.default_rng(4)
    X = uniform(40, 3, rng)
    Y = rng.standard_normal((40, 3))
    pred = min_norm(ExpKernel(), X, Y, ridge=1e-2)
    assert pred.coef.shape == (40, 3)
    for j in range(3):
        np.testing.assert_allclose(pred.coef[:, j], min_norm(ExpKernel(), X, Y[:, j], ridge=1e-2).coef, rtol=1e-12)
    assert pred.predict(uniform(7, 3, 5)).shape == (7, 3)


def test_predict_is_blocked(monkeypatch):
    rng = np.random.default_rng(5)
    X = uniform(30, 3, rng)
    y = rng.standard_normal(30)
    pred = min_norm(ExpKernel(), X, y, ridge=1e-3)
    Xt = uniform(101, 3, rng)
    full = np.exp(Xt @ X.T) @ pred.coef
    calls = []
    k = pred.kernel
    orig = k.gram

    def spy(A, B=None, out=None):
        calls.append(A.shape[0])
        return orig(A, B, out=out)
    monkeypatch.setattr(k, "gram", spy)
    monkeypatch.setattr(mn_module, "PREDICT_BLOCK_BYTES", 8 * 30 * 16)   # 16 test points per block
    np.testing.assert_allclose(pred.predict(Xt), full, rtol=1e-13, atol=1e-13)
    assert calls == [16] * 6 + [5]
    assert pred.predict(np.empty((0, 3))).shape == (0,)


def test_duplicate_points_are_an_error_that_suggests_a_ridge():
    X = uniform(10, 3, 0)
    X[7] = X[2]
    y = np.arange(10.0)
    with pytest.raises(ValueError, match=r"singular system: X rows 2 and 7 are identical.*ridge > 0"):
        min_norm(ExpKernel(), X, y)
    pred = min_norm(ExpKernel(), X, y, ridge=1e-6)          # fine with a ridge
    K = np.exp(np.clip(X @ X.T, -1, 1))
    np.testing.assert_allclose(pred.coef, np.linalg.solve(K + 1e-6 * np.eye(10), y), rtol=1e-7)


def test_near_duplicate_points_are_an_error():
    X = uniform(10, 3, 0)
    X[7] = X[2] + 1e-12 * np.array([1.0, -1.0, 0.5])
    X[7] /= np.linalg.norm(X[7])
    with pytest.raises(ValueError, match="singular system.*ridge > 0"):
        min_norm(ExpKernel(), X, np.arange(10.0))


def test_finite_rank_kernel_is_an_error():
    class Linear(ExpKernel):     # K = x.y has rank d: singular for n > d points
        def gram(self, X, Y=None, out=None):
            Y = X if Y is None else Y
            out[...] = X @ Y.T
            return out
    with pytest.raises(ValueError, match="singular system"):
        min_norm(Linear(), uniform(10, 3, 0), np.ones(10))


@pytest.mark.parametrize("args,kwargs,exc,match", [
    ((uniform(5, 3, 0), np.ones(4)), {}, ValueError, "y has length 4 but X has 5 rows"),
    ((uniform(5, 3, 0), np.ones(5)), dict(ridge=-1.0), ValueError, "ridge must be >= 0"),
    ((uniform(5, 3, 0), np.ones(5)), dict(ridge=np.nan), ValueError, "ridge must be finite"),
    ((uniform(5, 3, 0), np.ones(5)), dict(ridge="a"), TypeError, "ridge must be a real number"),
    ((2 * uniform(5, 3, 0), np.ones(5)), {}, ValueError, "on the unit sphere"),
    ((uniform(5, 3, 0), np.array([1, 2, np.inf, 4, 5.0])), {}, ValueError, "y contains NaN or inf"),
    ((uniform(5, 3, 0), np.ones((5, 1, 1))), {}, ValueError, "y must be 1-D"),
    ((uniform(5, 3, 0)[0], np.ones(5)), {}, ValueError, "X must be 2-D"),
    ((np.empty((0, 3)), np.ones(0)), {}, ValueError, "at least one row"),
])
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        min_norm(ExpKernel(), *args, **kwargs)


def test_bad_kernel_and_predict_points():
    with pytest.raises(TypeError, match="kernel must have a gram"):
        min_norm(np.exp, uniform(5, 3, 0), np.ones(5))
    pred = min_norm(ExpKernel(), uniform(5, 3, 0), np.ones(5))
    with pytest.raises(ValueError, match="but d = 3"):
        pred.predict(uniform(2, 4, 0))
    with pytest.raises(ValueError, match="on the unit sphere"):
        pred.predict(np.ones((2, 3)))
