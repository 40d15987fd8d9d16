"""theory.alignment against independent references: scipy.stats, Monte-Carlo, brute force, scikit-learn."""
import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression

from theory import alignment as A


def test_bias_ratio_solves_its_equation_and_maximises():
    s = A.bias_ratio()
    assert (1 + s * s) * stats.norm.pdf(s) == pytest.approx(s * stats.norm.cdf(s), rel=1e-13)
    grid = np.linspace(-3, 3, 600001)
    f = stats.norm.cdf(grid) / np.sqrt(1 + grid ** 2)
    assert grid[np.argmax(f)] == pytest.approx(s, abs=2e-5)


def test_population_G_against_monte_carlo():
    rng = np.random.default_rng(1)
    beta = np.array([1.0, -2.0, 0.5])
    X = rng.standard_normal((100_000, 3))
    y = X @ beta + 0.3 * rng.standard_normal(X.shape[0])
    Xt = np.c_[X, np.ones(X.shape[0])]
    U = rng.standard_normal((5, 4))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    vals = y[:, None] * np.maximum(Xt @ U.T, 0)
    mc, se = vals.mean(0), vals.std(0) / np.sqrt(X.shape[0])
    assert np.all(np.abs(A.population_G(U, beta) - mc) <= 5 * se)


def test_population_extremal_vectors_brute_force_and_critical():
    rng = np.random.default_rng(2)
    beta = np.array([0.6, 0.8])
    V, kinds, g = A.population_extremal_vectors(beta)
    assert kinds == ("max", "min")
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1, rtol=1e-14)
    U = rng.standard_normal((100_000, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    G = A.population_G(U, beta)
    # the brute-force extremes over many random directions approach the closed form from inside
    assert g[0] >= G.max() >= g[0] * (1 - 1e-3)
    assert g[1] <= G.min() <= g[1] * (1 - 1e-3)
    assert np.arccos(U[np.argmax(G)] @ V[0]) < 0.05
    assert np.arccos(U[np.argmin(G)] @ V[1]) < 0.05
    np.testing.assert_allclose(A.population_G(V, beta), g, rtol=1e-14)
    # critical: the tangential finite-difference gradient of G vanishes at both
    for v in V:
        T = np.linalg.svd(v[None, :])[2][1:]  # tangent basis
        for t in T:
            h = 1e-5
            gp = A.population_G((v + h * t) / np.linalg.norm(v + h * t), beta)
            gm = A.population_G((v - h * t) / np.linalg.norm(v - h * t), beta)
            assert abs(gp - gm) / (2 * h) < 1e-6
    # the guess (bias coordinate 0) is not critical: the bias derivative is |beta| phi(0)
    u0 = np.append(beta / np.linalg.norm(beta), 0.0)
    h = 1e-6
    up = np.append(u0[:-1], h) / np.hypot(1, h)
    assert (A.population_G(up, beta) - A.population_G(u0, beta)) / h == pytest.approx(
        np.linalg.norm(beta) * stats.norm.pdf(0), rel=1e-4)


@pytest.mark.parametrize("intercept", [True, False])
def test_ols_excess_risk_monte_carlo(intercept):
    rng = np.random.default_rng(3)
    n, d, sigma, R = 20, 4, 0.7, 1500
    beta = rng.standard_normal(d)
    risks = np.empty(R)
    for r in range(R):
        X = rng.standard_normal((n, d))
        y = X @ beta + sigma * rng.standard_normal(n)
        m = LinearRegression(fit_intercept=intercept).fit(X, y)
        delta = m.coef_ - beta
        risks[r] = delta @ delta + (m.intercept_ if intercept else 0.0) ** 2  # E_x[(x.delta + b)^2]
    pred = A.ols_excess_risk(sigma, n, d, intercept=intercept)
    assert abs(risks.mean() - pred) <= 4 * risks.std() / np.sqrt(R)


def test_early_phase_end_formula_and_errors():
    # log-linear in lam with slope -1/g
    t1, t2 = A.early_phase_end(0.5, 1e-3), A.early_phase_end(0.5, 1e-6)
    assert t2 - t1 == pytest.approx(np.log(1e3) / 0.5, rel=1e-12)
    for bad in (dict(g=0.0, lam=1e-3), dict(g=1.0, lam=0.0), dict(g=1.0, lam=-1.0)):
        with pytest.raises(ValueError, match="g|lam"):
            A.early_phase_end(**bad)
    with pytest.raises(ValueError, match="n must be"):
        A.ols_excess_risk(1.0, 5, 3)
    with pytest.raises(ValueError, match="beta"):
        A.population_extremal_vectors([0.0, 0.0])
