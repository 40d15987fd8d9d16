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


def _box(rng, n, d, a, c, sigma):
    X = rng.uniform(-a, a, (n, d))
    y = c + X[:, 0] / a + sigma * rng.standard_normal(n)
    X = X - X.mean(0)
    return (y[:, None] * X).mean(0), y.mean()


def test_box_moment_sd_monte_carlo():
    rng = np.random.default_rng(5)
    n, d, a, c, sigma, R = 200, 3, 2.0, 2.0, 0.7, 3000
    V = np.array([_box(rng, n, d, a, c, sigma)[0] for _ in range(R)])
    sd1, sd = A.box_moment_sd(sigma, n, a)
    np.testing.assert_allclose(V.mean(0), [a / 3, 0, 0], atol=4 * sd / np.sqrt(R))
    # sd of a sample sd from R draws: ~ sd / sqrt(2 R) = 1.3%; first-order-in-1/n formula
    assert V[:, 0].std() == pytest.approx(sd1, rel=0.05)
    np.testing.assert_allclose(V[:, 1:].std(0), sd, rtol=0.05)


def test_all_active_threshold_against_the_exact_box_condition():
    # the exact event "D_n/|D_n| is active on the whole box" is ybar > a |v|_1; the mean-field n_OLS should sit
    # near its 50% point (measured 0.55 at n_OLS for sigma = 0.5 and 1), rare well below, likely well above
    rng = np.random.default_rng(6)
    d, a, c, sigma, R = 5, 2.0, 2.0, 0.5, 400
    n0 = A.all_active_threshold(sigma, d, a, c)
    assert n0 == pytest.approx(a * a * (sigma ** 2 / 3 + 1 / 9) * ((d - 1) * np.sqrt(2 / np.pi)
                                                                     / (c / a - a / 3)) ** 2, rel=1e-12)

    def frac(n):
        hits = 0
        for _ in range(R):
            v, yb = _box(rng, n, d, a, c, sigma)
            hits += yb > a * np.abs(v).sum()
        return hits / R
    assert 0.35 < frac(int(round(n0))) < 0.75
    assert frac(int(round(4 * n0))) > 0.85
    assert frac(int(round(n0 / 4))) < 0.4
    # grows with sigma; no all-active maximum when c <= a^2/3
    assert A.all_active_threshold(1.0, d, a, c) > n0
    assert A.all_active_threshold(0.5, d, 2.0, 4 / 3) == np.inf
    with pytest.raises(ValueError, match="d must be"):
        A.all_active_threshold(0.5, 1, a, c)
