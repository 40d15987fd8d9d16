"""spherekern.harmonics against independent references.

References used (none shares code with spherekern.harmonics):
* addition theorem with P_k from mpmath (Gegenbauer / Legendre / Chebyshev at 30 digits), with x.y
  computed in mpmath from the normalised float rows;
* the normalised associated Gegenbauer functions from mpmath's closed-form norms (Gamma functions);
* orthonormality by Monte-Carlo and by a product rule built here from scipy.special.roots_jacobi in
  *other* coordinates (polar axis x_1), randomly rotated;
* scipy.special.sph_harm_y for d = 3 (real combinations, with the Condon–Shortley phase removed);
* closed forms: degree-1 harmonics, monomial moments of the sphere, Funk–Hecke powers of (a.x)^p
  (mpmath quadrature), synthetic errors built from P_k(a.x) (scipy.special Gegenbauer).
"""
import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special
from scipy.stats import special_ortho_group

from spherekern import harmonics as H
from spherekern import sphere


# ----------------------------------------------------------------------------------------------
# references
# ----------------------------------------------------------------------------------------------
def _mp_P(k, d, t):
    """P_k(t) of dimension d (P_k(1) = 1) in mpmath: Chebyshev (d = 2), Legendre (d = 3), else the
    three-term recurrence (k + d - 2) P_{k+1} = (2k + d - 2) t P_k - k P_{k-1} at the working precision
    (mpmath.gegenbauer fails to converge at its exact zeros, e.g. t = 0)."""
    if d == 2:
        return mpmath.chebyt(k, t)
    if d == 3:
        return mpmath.legendre(k, t)
    t = mpmath.mpf(t)
    p0, p1 = mpmath.mpf(1), t
    if k == 0:
        return p0
    for j in range(1, k):
        p0, p1 = p1, ((2 * j + d - 2) * t * p1 - j * p0) / (j + d - 2)
    return p1


def _mp_dot(x, y):
    xs = [mpmath.mpf(float(v)) for v in x]
    ys = [mpmath.mpf(float(v)) for v in y]
    num = mpmath.fsum(a * b for a, b in zip(xs, ys))
    return num / mpmath.sqrt(mpmath.fsum(a * a for a in xs) * mpmath.fsum(b * b for b in ys))


def _P_np(k, d, t):
    """P_k(t) with scipy (for synthetic functions)."""
    t = np.asarray(t, dtype=np.float64)
    if d == 2:
        return special.eval_chebyt(k, t)
    if d == 3:
        return special.eval_legendre(k, t)
    lam = (d - 2) / 2
    return special.eval_gegenbauer(k, lam, t) / special.eval_gegenbauer(k, lam, 1.0)


def _special_points(d, rng):
    """Random points plus degenerate ones (poles, zero azimuth radius, coordinate axes)."""
    pts = [sphere.uniform(3, d, rng)]
    e = np.eye(d)
    pts.append(e[[d - 1, 0, 1]])
    pts.append(-e[[d - 1]])
    if d >= 3:
        v = np.zeros(d)
        v[d - 1], v[d - 2] = 0.6, -0.8           # r_2 = 0: azimuth undefined
        pts.append(v[None])
        w = np.zeros(d)
        w[d - 1], w[0] = 1 - 1e-9, math.sqrt(1 - (1 - 1e-9) ** 2)   # near the pole
        pts.append(w[None])
    return np.vstack(pts)


def _check_addition(d, k, X, tol=1e-12):
    Y = H.real_basis(X, k)
    N = sphere.harmonic_dim(k, d)
    assert Y.shape == (len(X), N)
    G = Y @ Y.T / N
    with mpmath.workdps(30):
        for i in range(len(X)):
            for j in range(i, len(X)):
                ref = float(_mp_P(k, d, _mp_dot(X[i], X[j])))
                assert abs(G[i, j] - ref) <= tol, (d, k, i, j, G[i, j], ref)


# ----------------------------------------------------------------------------------------------
# 1. basis
# ----------------------------------------------------------------------------------------------
FAST_ADDITION = [(2, k) for k in (0, 1, 2, 7, 60)] + [(3, k) for k in (0, 1, 2, 13, 60, 137, 200)] + \
                [(4, k) for k in (0, 1, 3, 17, 60)] + [(5, k) for k in (0, 1, 2, 11, 60)] + \
                [(8, k) for k in (0, 1, 2, 5, 20)]


@pytest.mark.parametrize("d,k", FAST_ADDITION)
def test_addition_theorem_vs_mpmath(d, k):
    _check_addition(d, k, _special_points(d, np.random.default_rng(100 * d + k)))


@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_addition_theorem_all_k_to_60_slow(d):
    rng = np.random.default_rng(d)
    for k in range(61):
        _check_addition(d, k, sphere.uniform(4, d, rng))


@pytest.mark.slow
def test_addition_theorem_d3_to_200_slow():
    rng = np.random.default_rng(3)
    for k in range(60, 201, 7):
        _check_addition(3, k, _special_points(3, rng))


@pytest.mark.slow
@pytest.mark.parametrize("k", [30, 40])
def test_addition_theorem_d8_large_k_slow(k):
    # N(40, 8) = 1.7e7 harmonics per point (N(60, 8) = 1.7e8 would need 1.4 GB per point)
    _check_addition(8, k, sphere.uniform(2, 8, np.random.default_rng(k)))


@pytest.mark.parametrize("d", [2, 3, 4, 5, 8])
def test_degree_one_is_sqrt_d_times_coordinates(d):
    # Y_{1,.} = sqrt(d) (x_d, x_{d-1}, ..., x_3, x_1, x_2) in the documented order
    X = sphere.uniform(7, d, np.random.default_rng(d))
    order = list(range(d - 1, 1, -1)) + [0, 1]
    np.testing.assert_allclose(H.real_basis(X, 1), math.sqrt(d) * X[:, order], rtol=0, atol=1e-14)
    np.testing.assert_array_equal(H.real_basis(X, 0), np.ones((7, 1)))


def _mp_abar(k, m, D, t):
    """Normalised associated Gegenbauer function Abar^{(D)}_{k,m}(t) from closed-form norms."""
    mu = mpmath.mpf(m) + mpmath.mpf(D - 2) / 2
    n = k - m
    t = mpmath.mpf(t)
    C = mpmath.gegenbauer(n, mu, t)
    norm2 = (mpmath.beta(0.5, mu + 0.5) / mpmath.beta(0.5, mpmath.mpf(D - 1) / 2)) * \
        (mpmath.pi * 2 ** (1 - 2 * mu) * mpmath.gamma(n + 2 * mu)
         / (mpmath.factorial(n) * (n + mu) * mpmath.gamma(mu) ** 2)) / mpmath.beta(0.5, mu + 0.5)
    return (1 - t * t) ** (mpmath.mpf(m) / 2) * C / mpmath.sqrt(norm2)


@pytest.mark.parametrize("d,k", [(3, 9), (3, 60), (4, 7), (5, 30), (8, 6)])
def test_recursive_structure_and_associated_functions_vs_mpmath(d, k):
    """Degree-k block on S^{d-1}, sub-block m_1 = j, equals Abar^{(d)}_{k,j}(x_d) * Y^{(d-1)}_j(x'/|x'|)."""
    rng = np.random.default_rng(k)
    X = sphere.uniform(3, d, rng)
    Y = H.real_basis(X, k)
    off = 0
    with mpmath.workdps(30):
        for j in range(k + 1):
            xp = X[:, :-1] / np.linalg.norm(X[:, :-1], axis=1, keepdims=True)
            Yj = H.real_basis(xp, j)
            a = np.array([float(_mp_abar(k, j, d, x[-1])) for x in X])
            blk = Y[:, off:off + Yj.shape[1]]
            scale = max(1.0, np.abs(a).max() * np.abs(Yj).max())
            assert np.abs(blk - a[:, None] * Yj).max() <= 1e-12 * scale, (j, np.abs(blk - a[:, None] * Yj).max())
            off += Yj.shape[1]
    assert off == Y.shape[1]


@pytest.mark.parametrize("k", [0, 1, 2, 5, 17, 40, 100])
def test_d3_vs_scipy_sph_harm_y(k):
    """Ours (order m = 0, +1, -1, +2, -2, ...; no Condon–Shortley phase; probability measure) vs
    scipy's complex orthonormal (area measure, with CS phase):
    Y_{k,0} = sqrt(4pi) Y_k^0; m > 0: sqrt(8pi) (-1)^m Re Y_k^m (cos); m < 0: sqrt(8pi) (-1)^|m| Im Y_k^|m| (sin)."""
    X = sphere.uniform(20, 3, np.random.default_rng(k))
    theta = np.arccos(np.clip(X[:, 2], -1, 1))
    phi = np.mod(np.arctan2(X[:, 1], X[:, 0]), 2 * np.pi)
    ref = np.empty((20, 2 * k + 1))
    ref[:, 0] = math.sqrt(4 * math.pi) * special.sph_harm_y(k, 0, theta, phi).real
    for m in range(1, k + 1):
        z = special.sph_harm_y(k, m, theta, phi)
        ref[:, 2 * m - 1] = math.sqrt(8 * math.pi) * (-1) ** m * z.real
        ref[:, 2 * m] = math.sqrt(8 * math.pi) * (-1) ** m * z.imag
    got = H.real_basis(X, k)
    assert np.abs(got - ref).max() <= 1e-12 * max(1.0, np.abs(ref).max())


def _jacobi_sphere_rule(d, m):
    """Product rule on S^{d-1} built independently: polar axis x_1, recursive, weights sum to 1."""
    if d == 2:
        M = 2 * m
        a = 2 * np.pi * (np.arange(M) + 0.25) / M
        return np.column_stack([np.cos(a), np.sin(a)]), np.full(M, 1.0 / M)
    t, w = special.roots_jacobi(m, (d - 3) / 2, (d - 3) / 2)
    w = w / w.sum()
    Xs, ws = _jacobi_sphere_rule(d - 1, m)
    s = np.sqrt(1 - t * t)
    X = np.concatenate([np.column_stack([np.full(len(Xs), ti), si * Xs]) for ti, si in zip(t, s)])
    W = np.concatenate([wi * ws for wi in w])
    return X, W


@pytest.mark.parametrize("d,K", [(2, 30), (3, 20), (4, 8), (5, 6), (8, 3)])
def test_orthonormal_independent_rotated_rule(d, K):
    X, w = _jacobi_sphere_rule(d, K + 1)   # exact to degree 2K + 1
    Q = special_ortho_group.rvs(d, random_state=d) if d > 2 else np.array([[0.6, -0.8], [0.8, 0.6]])
    X = X @ Q.T
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Y = np.hstack([H.real_basis(X, k) for k in range(K + 1)])
    Gm = (Y * w[:, None]).T @ Y
    assert np.abs(Gm - np.eye(Y.shape[1])).max() <= 1e-12


@pytest.mark.parametrize("d,K", [(3, 5), (4, 3), (8, 2)])
def test_orthonormal_monte_carlo(d, K):
    n = 20000
    X = sphere.uniform(n, d, np.random.default_rng(7))
    Y = np.hstack([H.real_basis(X, k) for k in range(K + 1)])
    Gm = Y.T @ Y / n
    sd = np.sqrt(np.maximum((Y ** 2).T @ (Y ** 2) / n - Gm ** 2, 1e-30) / n)
    assert np.all(np.abs(Gm - np.eye(Y.shape[1])) <= 6 * sd)


def test_orthonormal_own_product_rule_high_degree_d3():
    X, w = H.product_rule(3, 2 * 90)
    Y = np.hstack([H.real_basis(X, k) for k in (0, 1, 57, 89, 90)])
    assert np.abs((Y * w[:, None]).T @ Y - np.eye(Y.shape[1])).max() <= 1e-12


def test_basis_size_matches_shapes():
    for d in (2, 3, 4, 7):
        for k in (0, 1, 2, 6):
            assert H.basis_size(k, d) == H.real_basis(sphere.uniform(1, d, 0), k).shape[1] \
                == sphere.harmonic_dim(k, d)


def test_out_argument():
    X = sphere.uniform(5, 4, 0)
    out = np.empty((5, H.basis_size(3, 4)))
    r = H.real_basis(X, 3, out=out)
    assert r is out
    np.testing.assert_array_equal(out, H.real_basis(X, 3))
    assert H.real_basis(np.empty((0, 3)), 4).shape == (0, 9)


# ----------------------------------------------------------------------------------------------
# 2. product rule and projection
# ----------------------------------------------------------------------------------------------
def _monomial_moment(alpha, d):
    """E[prod x_i^alpha_i] on S^{d-1} (probability measure): 0 if some alpha_i is odd, else
    Gamma(d/2) prod Gamma((alpha_i + 1)/2) / (Gamma(1/2)^d Gamma((|alpha| + d)/2))."""
    if any(a % 2 for a in alpha):
        return 0.0
    lg = math.lgamma(d / 2) + sum(math.lgamma((a + 1) / 2) for a in alpha) - d * math.lgamma(0.5) \
        - math.lgamma((sum(alpha) + d) / 2)
    return math.exp(lg)


@pytest.mark.parametrize("d,q", [(2, 9), (3, 8), (4, 7), (5, 6), (8, 4)])
def test_product_rule_exact_for_monomials(d, q):
    X, w = H.product_rule(d, q)
    assert abs(w.sum() - 1) < 1e-14 and np.all(w > 0)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-15)
    rng = np.random.default_rng(d)
    for p in range(q + 1):
        for alpha in itertools.islice(
                (a for a in itertools.product(range(p + 1), repeat=d) if sum(a) == p), 40):
            val = w @ np.prod(X ** np.array(alpha), axis=1)
            assert abs(val - _monomial_moment(alpha, d)) < 1e-14, (alpha, val)
        # a rotated monomial (a.x)^p has the moment of x_1^p (rotation invariance)
        a = sphere.uniform(1, d, rng)[0]
        assert abs(w @ (X @ a) ** p - _monomial_moment((p,) + (0,) * (d - 1), d)) < 1e-14


def _random_poly(d, p, rng, terms=4):
    A = sphere.uniform(terms, d, rng)
    c = rng.standard_normal(terms)
    return (lambda X: ((X @ A.T) ** p) @ c), A, c


@pytest.mark.parametrize("d,p,kmax", [(2, 9, 9), (3, 7, 9), (3, 40, 40), (4, 6, 8), (5, 5, 6), (8, 3, 4)])
def test_project_random_polynomials_exact(d, p, kmax):
    rng = np.random.default_rng(10 * d + p)
    f, A, c = _random_poly(d, p, rng)
    co = H.project(f, d, kmax)
    assert [len(ck) for ck in co] == [sphere.harmonic_dim(k, d) for k in range(kmax + 1)]
    Xt = sphere.uniform(40, d, rng)
    scale = np.abs(c).sum()
    assert np.abs(H.synthesize(co, Xt) - f(Xt)).max() <= 1e-12 * scale
    pw = H.degree_power(co)
    # degree support: (a.x)^p lives in degrees p, p-2, ...
    for k in range(kmax + 1):
        if k > p or (p - k) % 2:
            assert pw[k] <= 1e-26 * scale ** 2


@pytest.mark.parametrize("d,p", [(3, 6), (4, 5), (5, 4), (8, 3)])
def test_project_power_vs_funk_hecke(d, p):
    # f = (a.x)^p: degree-k component N(k,d) E[t^p P_k(t)] P_k(a.x), power N(k,d) E[t^p P_k(t)]^2
    a = sphere.uniform(1, d, np.random.default_rng(p))[0]
    pw = H.degree_power(H.project(lambda X: (X @ a) ** p, d, p))
    with mpmath.workdps(30):
        B = mpmath.beta(0.5, mpmath.mpf(d - 1) / 2)
        for k in range(p + 1):
            e = mpmath.quad(lambda t: t ** p * _mp_P(k, d, t) * (1 - t * t) ** (mpmath.mpf(d - 3) / 2), [-1, 0, 1]) / B
            ref = float(sphere.harmonic_dim(k, d) * e ** 2)
            assert abs(pw[k] - ref) <= 1e-13, (k, pw[k], ref)


@pytest.mark.parametrize("d", [3, 4, 6])
def test_project_coordinate_products(d):
    # x_1 x_2 x_3 is a harmonic of degree 3 with power E[x1^2 x2^2 x3^2]; x_1^2 = 1/d + (x_1^2 - 1/d)
    pw = H.degree_power(H.project(lambda X: X[:, 0] * X[:, 1] * X[:, 2], d, 5))
    ref = _monomial_moment((2, 2, 2) + (0,) * (d - 3), d)
    assert abs(pw[3] - ref) < 1e-15 and np.delete(pw, 3).max() < 1e-28
    pw = H.degree_power(H.project(lambda X: X[:, 0] ** 2, d, 4))
    np.testing.assert_allclose(pw, [1 / d ** 2, 0, 3 / (d * (d + 2)) - 1 / d ** 2, 0, 0], rtol=0, atol=1e-15)


@pytest.mark.parametrize("d,kmax", [(3, 6), (4, 4), (5, 3)])
def test_separated_transform_equals_direct_sum(d, kmax):
    f = lambda X: np.exp(X @ np.linspace(0.3, 1.1, d))   # not a polynomial: aliasing identical in both
    q = 2 * kmax + 3
    X, w = H.product_rule(d, q)
    co = H.project(f, d, kmax, exact_degree=q)
    fx = f(X) * w
    for k in range(kmax + 1):
        np.testing.assert_allclose(co[k], H.real_basis(X, k).T @ fx, rtol=0, atol=1e-14)


def test_project_accepts_predictor_objects():
    class Pred:
        def predict(self, X):
            return X[:, 0] * X[:, 2] + 0.5
    co = H.project(Pred(), 3, 3)
    pw = H.degree_power(co)
    np.testing.assert_allclose(pw, [0.25, 0, 1 / 15, 0], atol=1e-15)


@settings(max_examples=10, deadline=None)
@given(d=st.integers(2, 5), p=st.integers(0, 6), extra=st.integers(0, 2), seed=st.integers(0, 2**31))
def test_project_synthesize_round_trip(d, p, extra, seed):
    rng = np.random.default_rng(seed)
    f, _, c = _random_poly(d, p, rng, terms=3)
    co = H.project(f, d, p + extra)
    Xt = sphere.uniform(10, d, rng)
    assert np.abs(H.synthesize(co, Xt) - f(Xt)).max() <= 1e-12 * np.abs(c).sum()
    # and projecting the synthesis returns the coefficients
    co2 = H.project(lambda X: H.synthesize(co, X), d, p + extra)
    assert max(np.abs(a - b).max() for a, b in zip(co, co2)) <= 1e-12 * np.abs(c).sum()


# ----------------------------------------------------------------------------------------------
# 3. per-degree error and k_c
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5])
def test_degree_error_known_synthetic(d):
    rng = np.random.default_rng(d)
    kmax = 8
    b = sphere.uniform(kmax + 4, d, rng)
    beta = rng.uniform(0.5, 1.5, kmax + 4)
    alpha = np.zeros(kmax + 4)
    alpha[[3, 5, 6, kmax + 2]] = [0.3, -0.7, 1.1, 0.9]      # error in degrees 3, 5, 6 and kmax + 2 (> kmax)
    a = sphere.uniform(kmax + 4, d, rng)
    target = lambda X: sum(beta[k] * _P_np(k, d, X @ b[k]) for k in range(kmax + 2))
    predictor = lambda X: target(X) + sum(alpha[k] * _P_np(k, d, X @ a[k]) for k in range(kmax + 4))
    err = H.degree_error(predictor, target, d, kmax, n_mc=40000, rng=1)
    N = np.array([sphere.harmonic_dim(k, d) for k in range(kmax + 4)], dtype=float)
    np.testing.assert_allclose(err.error_power, (alpha ** 2 / N)[:kmax + 1], rtol=0, atol=1e-13)
    np.testing.assert_allclose(err.target_power, (beta ** 2 / N)[:kmax + 1], rtol=0, atol=1e-13)
    # predictor power: ||beta P(b.) + alpha P(a.)||^2 = (beta^2 + alpha^2 + 2 alpha beta P_k(a.b)) / N
    cross = np.array([_P_np(k, d, a[k] @ b[k]) for k in range(kmax + 1)])
    ref_pred = (beta[:kmax + 1] ** 2 + alpha[:kmax + 1] ** 2 + 2 * alpha[:kmax + 1] * beta[:kmax + 1] * cross) / N[:kmax + 1]
    np.testing.assert_allclose(err.predictor_power, ref_pred, rtol=0, atol=1e-13)
    assert abs(err.residual - alpha[kmax + 2] ** 2 / N[kmax + 2]) < 1e-13
    assert abs(err.total - (alpha ** 2 / N).sum()) < 1e-13
    assert abs(err.total_mc - err.total) < 5 * err.total_mc_stderr
    assert abs(err.residual_mc - err.residual) < 5 * err.total_mc_stderr


def test_estimate_kc_and_ansatz():
    d, kmax, kc_true = 3, 10, 4
    rng = np.random.default_rng(0)
    b = sphere.uniform(kmax + 1, d, rng)
    parts = lambda X, ks: sum(_P_np(k, d, X @ b[k]) for k in ks)
    target = lambda X: parts(X, range(kmax + 1))
    # learned below kc_true; partially (relative error 0.36 < 1/2) at kc_true - 1; lost above
    predictor = lambda X: parts(X, range(kc_true - 1)) + 0.4 * parts(X, [kc_true - 1])
    err = H.degree_error(predictor, target, d, kmax)
    np.testing.assert_allclose(err.relative, [0] * (kc_true - 1) + [0.36] + [1] * (kmax - kc_true + 1), atol=1e-12)
    est = H.estimate_kc(err, n=10)
    assert est.kc == kc_true and est.threshold == 0.5
    assert est.kc_ansatz == math.ceil(math.sqrt(10))    # sum_{k<K} N(k,3) = K^2
    assert H.estimate_kc(err, threshold=0.3).kc == kc_true - 1
    assert H.estimate_kc(err).kc_ansatz is None
    # nothing exceeds: kc = kmax + 1
    err0 = H.degree_error(target, target, d, kmax)
    assert H.estimate_kc(err0).kc == kmax + 1


@pytest.mark.parametrize("d", [2, 3, 4, 7])
def test_ansatz_kc_vs_polynomial_dimension(d):
    # sum_{k<K} N(k, d) = dim of polynomials of degree <= K-1 on S^{d-1}
    #                   = binom(K-1+d-1, d-1) + binom(K-2+d-1, d-1)
    dimP = lambda K: (math.comb(K - 1 + d - 1, d - 1) if K >= 1 else 0) + (math.comb(K - 2 + d - 1, d - 1) if K >= 2 else 0)
    for n in [1, 2, 3, 10, 100, 1000, 12345]:
        K = H.ansatz_kc(n, d)
        assert dimP(K) >= n > dimP(K - 1)


def test_estimate_kc_skips_zero_target_degrees():
    d = 3
    target = lambda X: 1.0 + _P_np(2, d, X[:, 2])        # no power in degree 1
    predictor = lambda X: 1.0 + X[:, 0] + _P_np(2, d, X[:, 2])   # error only in degree 1
    err = H.degree_error(predictor, target, d, 3)
    assert np.isnan(err.relative[1])
    assert H.estimate_kc(err).kc == 4


# ----------------------------------------------------------------------------------------------
# 4. validation
# ----------------------------------------------------------------------------------------------
def test_real_basis_bad_input():
    X = sphere.uniform(3, 3, 0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        H.real_basis(X[0], 2)
    with pytest.raises(ValueError, match="unit sphere"):
        H.real_basis(2 * X, 2)
    with pytest.raises(ValueError, match="at least 2 columns"):
        H.real_basis(np.ones((3, 1)), 2)
    with pytest.raises(ValueError, match="NaN"):
        H.real_basis(np.full((1, 3), np.nan), 2)
    with pytest.raises(TypeError, match="real numeric"):
        H.real_basis(X.astype(complex), 2)
    with pytest.raises(ValueError, match="k must be >= 0"):
        H.real_basis(X, -1)
    with pytest.raises(TypeError, match="k must be an integer"):
        H.real_basis(X, 2.0)
    with pytest.raises(ValueError, match="out must have shape"):
        H.real_basis(X, 2, out=np.empty((3, 4)))
    with pytest.raises(TypeError, match="out must have dtype"):
        H.real_basis(X, 2, out=np.empty((3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="d must be >= 2"):
        H.basis_size(1, 1)
    with pytest.raises(ValueError, match="k must be >= 0"):
        H.basis_size(-2, 3)


def test_project_bad_input():
    f = lambda X: X[:, 0]
    with pytest.raises(ValueError, match="d must be >= 2"):
        H.project(f, 1, 3)
    with pytest.raises(TypeError, match="d must be an integer"):
        H.project(f, 3.0, 3)
    with pytest.raises(ValueError, match="kmax must be >= 0"):
        H.project(f, 3, -1)
    with pytest.raises(ValueError, match="exact_degree must be >= 2 \\* kmax"):
        H.project(f, 3, 4, exact_degree=7)
    with pytest.raises(ValueError, match="max_nodes"):
        H.project(f, 8, 30)
    with pytest.raises(ValueError, match="max_nodes"):
        H.product_rule(3, 100, max_nodes=1000)
    with pytest.raises(TypeError, match="f must be a callable"):
        H.project(np.ones(3), 3, 2)
    with pytest.raises(ValueError, match="must return an array of shape"):
        H.project(lambda X: X, 3, 2)
    with pytest.raises(ValueError, match="NaN or inf"):
        H.project(lambda X: X[:, 0] * np.nan, 3, 2)
    with pytest.raises(TypeError, match="real numbers"):
        H.project(lambda X: X[:, 0] + 0j, 3, 2)
    with pytest.raises(TypeError, match="list of 1-D arrays"):
        H.degree_power(np.ones(3))
    with pytest.raises(ValueError, match="must be 1-D"):
        H.degree_power([np.ones((2, 2))])
    with pytest.raises(ValueError, match="coefs\\[1\\] must have N\\(1, 3\\) = 3 entries"):
        H.synthesize([np.ones(1), np.ones(2)], sphere.uniform(2, 3, 0))


def test_degree_error_and_kc_bad_input():
    f = lambda X: X[:, 0]
    with pytest.raises(TypeError, match="predictor must be a callable"):
        H.degree_error(3, f, 3, 2)
    with pytest.raises(TypeError, match="target must be a callable"):
        H.degree_error(f, None, 3, 2)
    with pytest.raises(ValueError, match="n_mc must be >= 0"):
        H.degree_error(f, f, 3, 2, n_mc=-1)
    with pytest.raises(ValueError, match="exact_degree must be >= 2 \\* kmax"):
        H.degree_error(f, f, 3, 4, exact_degree=3)
    with pytest.raises(TypeError, match="err must be a DegreeError"):
        H.estimate_kc(np.ones(3))
    err = H.degree_error(f, f, 3, 2)
    with pytest.raises(ValueError, match="threshold must be > 0"):
        H.estimate_kc(err, threshold=0.0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        H.estimate_kc(err, n=0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        H.ansatz_kc(0, 3)
