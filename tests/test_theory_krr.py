"""Tests for theory.krr_learning_curve: the fixed point by substitution, exact limits, slopes, and the curve against
simulated kernel regression (numpy: closed-form NTK Gram, Gaussian-field labels, min-norm interpolation, averaged
over seeds; the same with spherekern's solvers/kernels/targets; a Gaussian design of the same spectra).

Independent references: tests/theory_refs.py (exact spectra from the Rodrigues formula, N(k, d) from math.comb).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import theory
from theory_refs import abs_teacher_c, abs_teacher_cov, ntk_closed, ref_dim, ref_dims, ref_ntk

INF = math.inf


# ----------------------------------------------------------------------------------------------
# krr_learning_curve
# ----------------------------------------------------------------------------------------------
def test_krr_fixed_point_by_substitution():
    d, K = 3, 3000
    mu, c = ref_ntk(d, K), abs_teacher_c(d, K)
    N = ref_dims(K, d)
    M = N[mu > 0].sum()
    n = np.array([1.0, 7.5, 32, 1000, 0.5 * M, M - 1.0])
    for ridge in (0.0, 1e-3, 1.0):
        r = theory.krr_learning_curve(n, d, mu, c, ridge, full=True)
        lhs = (N * mu / (mu + r.kappa[:, None])).sum(axis=1) + ridge / r.kappa
        np.testing.assert_allclose(lhs, n, rtol=1e-10)
        L = mu / (mu + r.kappa[:, None])
        e0 = n / (n - (N * L * L).sum(axis=1))
        # (rtol 1e-8: e0 = n/(n - sum N L^2) cancels near n = M)
        np.testing.assert_allclose(r.eps, e0 * (N * c * (1 - L) ** 2).sum(axis=1), rtol=1e-8)
        np.testing.assert_allclose(r.per_degree.sum(axis=1), r.eps, rtol=1e-12)
        assert np.all(np.diff(r.eps) < 0)                  # more data, less error (noiseless)
    # huge ridge: nothing is learned, eps -> total power
    assert theory.krr_learning_curve(10, d, mu, c, 1e12) == pytest.approx((N * c).sum(), rel=1e-6)


def test_krr_single_degree_exact():
    # one positive degree of multiplicity N: kappa solves N mu/(mu+kappa) = n  ->  kappa = mu (N - n)/n
    d, N2 = 3, 5.0
    mu = np.array([0.0, 0.0, 0.3])
    c = np.array([0.0, 0.0, 2.0])
    n = 2.0
    kappa = 0.3 * (N2 - n) / n
    L = 0.3 / (0.3 + kappa)
    expected = n / (n - N2 * L * L) * N2 * 2.0 * (1 - L) ** 2
    assert theory.krr_learning_curve(n, d, mu, c) == pytest.approx(expected, rel=1e-12)


def test_krr_slope_matches_lazy_beta():
    d, K = 3, 20000
    k = np.maximum(np.arange(K + 1, dtype=float), 1.0)
    for nu in (1.0, 2.0, INF):
        mu = k ** -float(d)                                 # NTK-like eigenvalues, alpha = 2d
        c = np.zeros(K + 1)
        if nu == INF:
            c[0] = 1.0
        else:
            c[:] = k ** (-2 * nu - (d - 1))
        n = np.geomspace(1e3, 2e4, 8)
        eps = theory.krr_learning_curve(n, d, mu, c)
        slope = -np.polyfit(np.log(n), np.log(eps), 1)[0]
        assert slope == pytest.approx(theory.beta(d, nu, "lazy"), abs=0.05), (nu, slope)


def test_krr_bad_input():
    mu, c = np.ones(10), np.ones(10)
    with pytest.raises(ValueError, match="mu must be non-negative"):
        theory.krr_learning_curve(2, 3, -mu, c)
    with pytest.raises(ValueError, match="c must be non-negative"):
        theory.krr_learning_curve(2, 3, mu, -c)
    with pytest.raises(ValueError, match="n must be >= 1"):
        theory.krr_learning_curve(0, 3, mu, c)
    with pytest.raises(ValueError, match="ridge must be >= 0"):
        theory.krr_learning_curve(2, 3, mu, c, ridge=-1.0)
    with pytest.raises(ValueError, match="n must be below the number of modes"):
        theory.krr_learning_curve(100, 3, mu, c)
    with pytest.raises(ValueError, match="same length"):
        theory.krr_learning_curve(2, 3, mu, c[:4])
    with pytest.raises(ValueError, match="mu must be 1-D"):
        theory.krr_learning_curve(2, 3, np.ones((2, 2)), c)
    with pytest.raises(ValueError, match="d must be >= 2"):
        theory.krr_learning_curve(2, 1, mu, c)
    with pytest.raises(ValueError, match="n contains NaN"):
        theory.krr_learning_curve(np.nan, 3, mu, c)
    # a ridge makes n beyond the mode count legitimate
    assert np.isfinite(theory.krr_learning_curve(100, 3, mu, c, ridge=0.1))


def _legendre_series(coef, T, d):
    """sum_k coef[k] P_k(T) by the three-term recurrence (P_k(1) = 1)."""
    P0, P1 = np.ones_like(T), T.copy()
    S = coef[0] * P0 + coef[1] * P1
    for k in range(1, len(coef) - 1):
        P0, P1 = P1, ((2 * k + d - 2) * T * P1 - k * P0) / (k + d - 2)
        S += coef[k + 1] * P1
    return S


def _simulate_numpy_exact(ns, d, seeds, kser=200):
    """Min-norm NTK interpolation of the |t| teacher field, error averaged exactly over the field.

    For fixed X, f = k(x)^T K^-1 y with y ~ N(0, C_XX), so
    E_f* E_x (f - f*)^2 = C(1) - 2 tr(K^-1 A) + tr(K^-1 C_XX K^-1 B) with
    A_ij = E_x Theta(x.x_i) C(x.x_j) = sum_k mu_k c_k N P_k(x_i.x_j) and B_ij = sum_k mu_k^2 N P_k(x_i.x_j)
    (Funk-Hecke + addition theorem); only the training set is random. Gram and C_XX are the closed forms.
    """
    N = ref_dims(kser, d)
    mu, c = ref_ntk(d, kser), abs_teacher_c(d, kser)
    out = np.empty((len(seeds), len(ns)))
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        for j, n in enumerate(ns):
            X = rng.standard_normal((n, d))
            X /= np.linalg.norm(X, axis=1, keepdims=True)
            T = np.clip(X @ X.T, -1.0, 1.0)
            Kinv = np.linalg.inv(ntk_closed(T))
            A = _legendre_series(mu * c * N, T, d)
            B = _legendre_series(mu * mu * N, T, d)
            out[i, j] = 1.0 - 2 * np.sum(Kinv * A.T) + np.sum((Kinv @ abs_teacher_cov(T) @ Kinv) * B.T)
    return out


def _canatar_per_mode(p, eta, w2, lam):
    """Canatar, Bordelon & Pehlevan (Nat. Commun. 12, 2914, 2021) written per eigenmode rho, no degree grouping:
    kappa = lam + kappa sum_rho eta/(p eta + kappa), gamma = sum_rho p eta^2/(p eta + kappa)^2,
    E_g = (1 - gamma)^-1 sum_rho w2_rho kappa^2/(p eta + kappa)^2, w2_rho the target power in mode rho."""
    from scipy.optimize import brentq

    def f(logk):
        k = math.exp(logk)
        return lam / k + np.sum(eta / (p * eta + k)) - 1.0

    kap = math.exp(brentq(f, -300.0, 50.0, xtol=1e-14, rtol=1e-15, maxiter=1000))
    gamma = np.sum(p * eta ** 2 / (p * eta + kap) ** 2)
    return np.sum(w2 * kap ** 2 / (p * eta + kap) ** 2) / (1.0 - gamma), kap, gamma


def test_krr_matches_per_mode_root_find():
    # Independent implementation: every harmonic listed separately (multiplicities expanded), Canatar's
    # normalisation (kappa_C = n kappa), scipy's brentq instead of the module's Newton, zero modes included.
    d, K = 3, 40
    mu, c = ref_ntk(d, K), abs_teacher_c(d, K)
    c[3] = 1e-3                                   # power on an unlearnable degree (mu_3 = 0): a floor
    deg = np.repeat(np.arange(K + 1), [ref_dim(k, d) for k in range(K + 1)])
    for ridge in (0.0, 1e-4, 0.3):
        for n in (3, 50, 400, 800):
            ref, kap, gamma = _canatar_per_mode(n, mu[deg], c[deg], ridge)
            th = theory.krr_learning_curve(n, d, mu, c, ridge, full=True)
            assert th.eps[0] == pytest.approx(ref, rel=1e-9), (ridge, n)
            assert n * th.kappa[0] == pytest.approx(kap, rel=1e-9)
            assert th.e0[0] == pytest.approx(1.0 / (1.0 - gamma), rel=1e-9)


# ----------------------------------------------------------------------------------------------
# krr_learning_curve vs simulations
# ----------------------------------------------------------------------------------------------
def _field_c(d, K, kind):
    """Per-harmonic target variances: the |t| teacher (nu_t = 3/2), even power-law fields, a constant."""
    if kind == "abs":
        return abs_teacher_c(d, K)
    c = np.zeros(K + 1)
    if kind == "const":
        c[0] = 1.0
        return c
    nu = float(kind)                              # even degrees k >= 2, c_k = k^(-2 nu - (d-1))
    k = np.arange(2, K + 1, 2, dtype=float)
    c[2::2] = k ** (-2 * nu - (d - 1))
    return c


def _sphere_transfer(n, d, seed, ridges, kser):
    """Exact per-degree error of NTK ridge(less) regression for one uniform training set.

    For a unit-variance field on degree k only (variance 1 per harmonic) the test error, averaged exactly over
    the field, is N(k,d) E_k with E_k = 1 - 2 mu_k <G^-1, P_k(T)> + <P_k(T), G^-1 B G^-1>, G = Theta(T) + ridge I
    (closed-form NTK Gram), B = sum_k mu_k^2 N P_k(T) (Funk-Hecke + addition theorem). For k -> inf, P_k(T) -> I:
    E_inf = 1 + tr(G^-1 B G^-1). Returns E (len(ridges), kser+1) and E_inf (len(ridges),).
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    T = np.clip(X @ X.T, -1.0, 1.0)
    mu, N = ref_ntk(d, kser), ref_dims(kser, d)
    B = _legendre_series(mu * mu * N, T, d)
    G = ntk_closed(T)
    Ginv = [np.linalg.inv(G + r * np.eye(n)) for r in ridges]
    W = [Gi @ B @ Gi for Gi in Ginv]
    # every matrix is symmetric: <A, P> = sum over the upper triangle with off-diagonal weight 2
    iu = np.triu_indices(n)
    wt = np.where(iu[0] == iu[1], 1.0, 2.0)
    t = T[iu]
    M = np.stack([Gi[iu] * wt for Gi in Ginv] + [w[iu] * wt for w in W])   # (2 len(ridges), n(n+1)/2)
    V = np.zeros((M.shape[0], kser + 1))                                    # <G_i^-1, P_k>, then <W_i, P_k>
    for j in range(0, t.size, 16384):                                       # P_k(t) in column blocks
        tb = t[j:j + 16384]
        Pk = np.empty((kser + 1, tb.size))                                  # rows k = 0..kser
        Pk[0] = 1.0
        if kser >= 1:
            Pk[1] = tb
        for k in range(2, kser + 1):
            Pk[k] = ((2 * k + d - 4) * tb * Pk[k - 1] - (k - 1) * Pk[k - 2]) / (k + d - 3)
        V += M[:, j:j + 16384] @ Pk.T
    m = len(ridges)
    E = 1.0 - 2.0 * mu[None, :] * V[:m] + V[m:]
    return E, np.array([1.0 + np.trace(w) for w in W])


def _sphere_eps(E, E_inf, c, d):
    """Test error of a field with variances c from the per-degree errors (degrees beyond kser: E_inf)."""
    kser = E.shape[-1] - 1
    N = ref_dims(c.size - 1, d)
    return E @ (N * c)[:kser + 1] + E_inf * (N * c)[kser + 1:].sum()


def _gaussian_design_eps(n, d, mu, c, kg, seed, ridge=0.0):
    """The same regression with every harmonic replaced by an iid N(0,1) feature (Gaussian design).

    Degrees <= kg are explicit features (multiplicity N(k,d)); the degrees above act, in that design, as
    (sum N mu) I in the Gram matrix and as white label noise; error averaged exactly over the target.
    """
    rng = np.random.default_rng(seed)
    N = ref_dims(mu.size - 1, d)
    deg = np.repeat(np.arange(kg + 1), N[:kg + 1].astype(int))
    m, cc = mu[deg], c[deg]
    F = rng.standard_normal((n, deg.size))
    tail = lambda v: (N[kg + 1:] * v[kg + 1:]).sum()  # noqa: E731
    eye = np.eye(n)
    Ginv = np.linalg.inv((F * m) @ F.T + (tail(mu) + ridge) * eye)
    B = (F * m ** 2) @ F.T + tail(mu ** 2) * eye
    A = (F * (m * cc)) @ F.T + tail(mu * c) * eye
    C = (F * cc) @ F.T + tail(c) * eye
    return (N * c).sum() - 2.0 * np.vdot(Ginv, A) + np.vdot(Ginv @ C @ Ginv, B)


def test_sphere_transfer_matches_closed_form_simulation():
    # the per-degree simulation used below agrees with the closed-form |t|-teacher simulation on the same sets
    d = 3
    for seed, n in ((0, 40), (1, 90)):
        direct = _simulate_numpy_exact([n], d, [seed])[0, 0]
        E, Einf = _sphere_transfer(n, d, seed, [0.0], 200)
        assert _sphere_eps(E, Einf, abs_teacher_c(d, 20000), d)[0] == pytest.approx(direct, rel=1e-6)


def test_krr_vs_gaussian_design():
    # The theory is asymptotically exact for Gaussian features: with the d = 3 NTK spectrum and the |t| teacher,
    # a Gaussian-design simulation agrees (measured 1.00-1.03 for n = 32..512, 6-8 sets); so the implementation
    # is right and the d = 3 gap on the sphere (below) comes from the spherical harmonics not being Gaussian.
    d, K = 3, 20000
    mu = ref_ntk(d, K)
    for kind, tol in (("abs", 0.06), ("2.5", 0.12)):
        c = _field_c(d, K, kind)
        for n, kg in ((64, 30), (128, 40)):
            sim = np.mean([_gaussian_design_eps(n, d, mu, c, kg, s) for s in range(6)])
            ratio = sim / theory.krr_learning_curve(n, d, mu, c)
            assert abs(ratio - 1) < tol, (kind, n, ratio)


# Measured on the sphere (theory/README.md section 6), simulation / theory, NTK, d = 3, n = 32..1024, 6-16 sets:
# ridgeless: |t| teacher 1.19-1.32, nu_t = 1 field 1.12-1.19, nu_t = 2.5 1.33-1.68, nu_t = 4 1.46-2.0, constant
# 1.7-2.4 (per-set errors of smooth targets are heavy-tailed: close pairs); ridge lambda = n kappa_0(n): 1.06-1.30;
# lambda = 10 n kappa_0(n): 0.95-1.05, the constant up to 1.14 at n <= 64 (heavy tails again). d = 2 needs
# lambda = 30 n kappa_0. The bands below are those measurements, not targets.
KRR_BAND_D3 = {"abs": (1.05, 1.45), "1": (1.03, 1.3), "const": (1.2, 3.0), "4": (1.2, 3.0)}
KRR_RTOL_RIDGE = 0.15
KRR_RTOL_D5 = 0.15


def _ridge_scale(n, d, mu):
    """lambda = n * kappa_0(n): a ridge comparable to the effective one of the ridgeless problem."""
    c0 = np.zeros(mu.size)
    c0[0] = 1.0
    return n * theory.krr_learning_curve(n, d, mu, c0, full=True).kappa[0]


def _check_sphere(d, ns, seeds, kser, kinds, ridge_rel=10.0, K=20000):
    mu = ref_ntk(d, K)
    out = {}
    for n in ns:
        lam = ridge_rel * _ridge_scale(n, d, mu)
        runs = [_sphere_transfer(n, d, s, [0.0, lam], kser) for s in seeds]
        for kind in kinds:
            c = _field_c(d, K, kind)
            sim = np.mean([_sphere_eps(E, Ei, c, d) for E, Ei in runs], axis=0)
            th = np.array([theory.krr_learning_curve(n, d, mu, c, r) for r in (0.0, lam)])
            out[kind, n] = sim / th                # (ridgeless ratio, ridge ratio)
    return out


def test_krr_vs_sphere_simulation_fast():
    out = _check_sphere(3, [64, 128], range(30), 150, ("abs", "1", "const", "4"))
    for (kind, n), (r0, r1) in out.items():
        lo, hi = KRR_BAND_D3[kind]
        assert lo < r0 < hi, (kind, n, r0)           # ridgeless: the theory is LOW in d = 3 (known, see README)
        assert abs(r1 - 1) < KRR_RTOL_RIDGE, (kind, n, r1)   # a ridge 10 n kappa_0 dominates: accurate
    for (kind, n), (r0, r1) in _check_sphere(5, [64, 128], range(6), 100, ("abs",)).items():
        assert abs(r0 - 1) < KRR_RTOL_D5 and abs(r1 - 1) < KRR_RTOL_RIDGE, (kind, n, r0, r1)   # d = 5: accurate


@pytest.mark.slow
def test_krr_vs_sphere_simulation_full():
    out = _check_sphere(3, [32, 64, 128, 256, 512, 1024], range(16), 300, ("abs", "1", "const", "4"))
    for (kind, n), (r0, r1) in sorted(out.items()):
        print(kind, n, "ridgeless", round(r0, 3), "ridge", round(r1, 3))
        lo, hi = KRR_BAND_D3[kind]
        assert lo < r0 < hi, (kind, n, r0)
        assert abs(r1 - 1) < KRR_RTOL_RIDGE, (kind, n, r1)


@pytest.mark.slow
def test_krr_vs_sphere_simulation_other_d():
    # d = 5: ridgeless within 15 % for the rough |t| teacher (measured 1.04-1.13); d = 2: the theory fails
    # ridgeless (measured 2.2-4.4 for the |t| teacher, 3-9 for a constant target) and still with lambda = n kappa_0
    # (1.4-2.2) and 10 n kappa_0 (1.10-1.15), but not with 30 n kappa_0 (1.02-1.05).
    for (kind, n), (r0, r1) in _check_sphere(5, [64, 256], range(8), 120, ("abs",)).items():
        assert abs(r0 - 1) < KRR_RTOL_D5 and abs(r1 - 1) < KRR_RTOL_RIDGE, (kind, n, r0, r1)
    for (kind, n), (r0, r1) in _check_sphere(2, [64, 128], range(8), 1200, ("abs", "const"), ridge_rel=1.0).items():
        assert r0 > 1.8 and r1 > 1.2, (kind, n, r0, r1)
    for (kind, n), (r0, r1) in _check_sphere(2, [64, 128], range(8), 1200, ("abs", "const"), ridge_rel=30.0).items():
        assert abs(r1 - 1) < KRR_RTOL_RIDGE, (kind, n, r0, r1)


def _simulate_spherekern(ns, d, c, seeds, m_test, draws, ridge=0.0):
    sphere = pytest.importorskip("spherekern.sphere")
    kernels = pytest.importorskip("spherekern.kernels")
    targets = pytest.importorskip("spherekern.targets")
    solvers = pytest.importorskip("spherekern.solvers")
    field = targets.GaussianRandomField(d, c=c)
    out = np.empty((len(seeds), len(ns)))
    nmax = max(ns)
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        Z = sphere.uniform(nmax + m_test, d, rng=rng)
        Y = field.sample(Z, rng=rng, size=draws).T          # (points, draws)
        for j, n in enumerate(ns):
            pred = solvers.min_norm(kernels.NTK(), Z[:n], Y[:n], ridge=ridge)
            out[i, j] = np.mean((pred.predict(Z[nmax:]) - Y[nmax:]) ** 2)
    return out


def test_krr_vs_spherekern_simulation_fast():
    d, K, kc = 3, 20000, 80
    ns = [32, 64, 128]
    c = abs_teacher_c(d, kc)                                 # tail beyond k = 80: ~1e-5 of the variance
    sim = _simulate_spherekern(ns, d, c, range(5), 300, 16).mean(axis=0)
    cc = np.zeros(K + 1)
    cc[:kc + 1] = c
    th = theory.krr_learning_curve(ns, d, ref_ntk(d, K), cc)
    ratio = sim / th
    assert np.all((ratio > KRR_BAND_D3["abs"][0]) & (ratio < KRR_BAND_D3["abs"][1])), ratio


@pytest.mark.slow
def test_krr_vs_spherekern_simulation_full():
    d, K, kc = 3, 20000, 200
    ns = [32, 64, 128, 256, 512, 1024]
    c = abs_teacher_c(d, kc)
    sim = _simulate_spherekern(ns, d, c, range(12), 1500, 16)
    cc = np.zeros(K + 1)
    cc[:kc + 1] = c
    th = theory.krr_learning_curve(ns, d, ref_ntk(d, K), cc)
    ratio = sim.mean(axis=0) / th
    print("n", ns, "sim/theory", np.round(ratio, 3))
    assert np.all((ratio > KRR_BAND_D3["abs"][0]) & (ratio < KRR_BAND_D3["abs"][1])), ratio


# The issue's acceptance criterion, through spherekern's own pipeline: GaussianRandomField (an even nu_t = 1
# field, the rough target of paper_checks' grf check), solvers.min_norm with kernels.NTK, a Monte-Carlo test
# set; mean test error over seeds vs krr_learning_curve, d = 3, n = 32..1024, within 25 %. (Measured: 1.12-1.19
# by the exact per-degree method above; smooth fields and the constant miss it, see KRR_BAND_D3 and the README.)
def _issue_criterion(ns, seeds, m_test):
    d, K, kc = 3, 20000, 200
    c = _field_c(d, kc, "1")
    sim = _simulate_spherekern(ns, d, c, seeds, m_test, 16).mean(axis=0)
    cc = np.zeros(K + 1)
    cc[:kc + 1] = c
    return sim / theory.krr_learning_curve(ns, d, ref_ntk(d, K), cc)


def test_krr_vs_spherekern_rough_field_within_25_percent_fast():
    ratio = _issue_criterion([32, 64, 128, 256], range(6), 400)
    assert np.all(np.abs(ratio - 1) <= 0.25), ratio


@pytest.mark.slow
def test_krr_vs_spherekern_rough_field_within_25_percent_full():
    ratio = _issue_criterion([32, 64, 128, 256, 512, 1024], range(12), 1500)
    print("n = 32..1024, sim/theory", np.round(ratio, 3))
    assert np.all(np.abs(ratio - 1) <= 0.25), ratio


def test_krr_generic_field_parity_floor():
    # spherekern's GaussianRandomField(nu_t) has power at odd k >= 3, which the bias-free NTK cannot learn:
    # the theory must predict the floor sum_{odd k >= 3} N c_k that the simulation shows.
    d, K, kc = 3, 20000, 60
    k = np.maximum(np.arange(kc + 1), 1)
    c = k ** -4.0
    c[0] = 0.0
    ns = [64, 200]
    sim = _simulate_spherekern(ns, d, c, range(2), 300, 8).mean(axis=0)
    cc = np.zeros(K + 1)
    cc[:kc + 1] = c
    th = theory.krr_learning_curve(ns, d, ref_ntk(d, K), cc)
    floor = (ref_dims(kc, d) * c)[3::2].sum()
    assert np.all(th > floor) and np.all(sim > floor)
    ratio = sim / th                                         # measured 1.16-1.18: the d = 3 gap again (nu_t = 1)
    assert np.all((ratio > KRR_BAND_D3["1"][0]) & (ratio < KRR_BAND_D3["1"][1])), ratio


def test_krr_tail_extrapolation_vs_long_spectrum():
    # Reference: the same theory on an explicitly long spectrum (no extrapolation); tail=True on a short one.
    d = 3
    ns = np.array([32.0, 256.0, 1024.0, 4096.0])
    # (a) exact NTK spectrum (parity zeros on odd k >= 3), even target confined to k <= 400
    c = _field_c(d, 400, "4")
    long_mu, long_c = ref_ntk(d, 100000), np.zeros(100001)
    long_c[:401] = c
    ref = theory.krr_learning_curve(ns, d, long_mu, long_c)
    trunc = theory.krr_learning_curve(ns, d, ref_ntk(d, 400), c)
    ext = theory.krr_learning_curve(ns, d, ref_ntk(d, 400), c, tail=True)
    assert np.all(trunc / ref < 0.9 ** (ns >= 1024))             # truncation at 400: 14-28 % low for n >= 1024
    np.testing.assert_allclose(ext, ref, rtol=3e-3)              # measured <= 1.3e-3
    # (b) a smooth pure power law on every degree, d = 4
    d, K = 4, 200
    k = np.arange(300001, dtype=float)
    mu = np.where(k > 0, (k + 1.0) ** -4.5, 1.0)
    cc = np.zeros(300001)
    cc[1:K + 1] = k[1:K + 1] ** -5.0
    ref = theory.krr_learning_curve(ns, d, mu, cc)
    ext = theory.krr_learning_curve(ns, d, mu[:K + 1], cc[:K + 1], tail=True, full=True)
    np.testing.assert_allclose(ext.eps, ref, rtol=1e-3)
    np.testing.assert_allclose(ext.kappa, theory.krr_learning_curve(ns, d, mu, cc, full=True).kappa, rtol=1e-3)


def test_krr_tail_bad_input():
    d = 3
    mu, c = ref_ntk(d, 400), _field_c(d, 400, "abs")
    with pytest.raises(TypeError, match="tail must be True or False"):
        theory.krr_learning_curve(10, d, mu, c, tail="yes")
    with pytest.raises(ValueError, match="tail=True needs at least 8 nonzero"):
        theory.krr_learning_curve(10, d, mu[:13], c[:13], tail=True)
    with pytest.raises(ValueError, match="tail expansion is not accurate"):
        theory.krr_learning_curve(850, d, mu[:41], c[:41], tail=True)
    k = np.arange(1, 201, dtype=float)
    slow_mu = np.concatenate(([1.0], k ** -1.5))                    # sum N mu diverges in d = 3
    with pytest.raises(ValueError, match="not summable"):
        theory.krr_learning_curve(10, d, slow_mu, np.ones(201), tail=True)
