"""Tests of spherekern.kernels (and spherekern._fastmath) against independent references.

References used (none shares code with the module under test):
* mpmath acos at 30 digits (the branch-free arccos), numpy's arccos (the formulas written out below);
* J_n(theta) = 2^n n! int_{theta - pi/2}^{pi/2} cos^n(a) cos^n(a - theta) da by mpmath quadrature
  (the arc-cosine kernels of any degree, Cho & Saul 2009 eq. 4 in polar form);
* Monte-Carlo finite-width networks (empirical NTK from the gradient formulas, random features);
* plain numpy Gram matrices (X @ Y.T then the formula), scipy.special.eval_gegenbauer series;
* spherekern.spectrum.eigenvalues (generic quadrature) for the spectra, and the closed forms.
"""
import math

import mpmath as mp
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import eval_gegenbauer

from spherekern import _fastmath, spectrum
from spherekern.kernels import NTK, ArcCos, FromSpectrum, Kernel, _gram_dot


# ---------------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------------
def sphere_points(n, d, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def ntk_numpy(t):
    t = np.clip(t, -1.0, 1.0)
    return (np.sqrt((1.0 - t) * (1.0 + t)) + 2.0 * (np.pi - np.arccos(t)) * t) / (2.0 * np.pi)


def arccos_numpy(t, n):
    """Closed forms of Cho & Saul for n = 0, 1, 2 (docs/CONVENTIONS.md), with numpy's arccos; for n >= 3
    the recursion J_n = (2n-1) cos J_{n-1} + (n-1)^2 sin^2 J_{n-2} started from J_1, J_2."""
    t = np.clip(t, -1.0, 1.0)
    th = np.arccos(t)
    s = np.sqrt((1.0 - t) * (1.0 + t))
    J = [np.pi - th, s + (np.pi - th) * t, 3.0 * s * t + (np.pi - th) * (1.0 + 2.0 * t * t)]
    for q in range(3, n + 1):
        J.append((2 * q - 1) * t * J[-1] + (q - 1) ** 2 * s * s * J[-2])
    return J[n] / (2.0 * np.pi)


def arccos_mpmath(t, n):
    """kappa_n(t) = J_n(theta)/(2 pi) from the angular integral (polar coordinates of E[relu^n relu^n])."""
    th = mp.acos(mp.mpf(t))
    integral = mp.quad(lambda a: mp.cos(a) ** n * mp.cos(a - th) ** n, [th - mp.pi / 2, mp.pi / 2])
    return 2 ** n * math.factorial(n) * integral / (2 * mp.pi)


def legendre_d(k, d, t):
    """P_k(t) with P_k(1) = 1 from scipy's Gegenbauer C_k^{(d-2)/2} (Chebyshev T_k for d = 2)."""
    if d == 2:
        return np.cos(k * np.arccos(t))
    a = (d - 2) / 2.0
    return eval_gegenbauer(k, a, t) / eval_gegenbauer(k, a, 1.0)


def n_harm(k, d):
    return 1 if k == 0 else (2 * k + d - 2) * math.comb(k + d - 3, k - 1) // k


def series_numpy(mu, d, t):
    return sum(mu[k] * n_harm(k, d) * legendre_d(k, d, t) for k in range(len(mu)))


@numba.njit
def _acos_vec(t, out):
    for i in range(t.shape[0]):
        out[i] = _fastmath.acos(t[i])


def dense_t():
    near = np.logspace(-17, -1, 400)
    return np.concatenate([np.linspace(-1.0, 1.0, 20001), 1.0 - near, -1.0 + near,
                           [1.0, -1.0, 0.0, -0.0, 0.5, -0.5, np.nextafter(0.5, 1), np.nextafter(-0.5, -1),
                            np.nextafter(1.0, 0), np.nextafter(-1.0, 0), 1e-300, -1e-300]])


# ---------------------------------------------------------------------------------------------
# the branch-free arccos
# ---------------------------------------------------------------------------------------------
def test_fast_acos_vs_mpmath_and_numpy():
    t = dense_t()
    got = np.empty_like(t)
    _acos_vec(t, got)
    assert np.max(np.abs(got - np.arccos(t))) <= 1e-15
    mp.mp.dps = 30
    idx = np.concatenate([np.arange(0, 20001, 37), np.arange(20001, t.size)])
    err = max(abs(mp.mpf(float(got[i])) - mp.acos(mp.mpf(float(t[i])))) for i in idx)
    assert err <= 5e-16
    assert got[np.flatnonzero(t == 1.0)[0]] == 0.0
    assert got[np.flatnonzero(t == -1.0)[0]] == np.pi


# ---------------------------------------------------------------------------------------------
# __call__
# ---------------------------------------------------------------------------------------------
def test_ntk_call_vs_numpy_formula():
    t = dense_t()
    assert np.max(np.abs(NTK()(t) - ntk_numpy(t))) <= 1e-14
    assert NTK()(1.0) == pytest.approx(1.0, abs=1e-15)
    assert NTK()(-1.0) == pytest.approx(0.0, abs=1e-15)


def test_ntk_is_kappa1_plus_t_kappa0():
    t = np.linspace(-1, 1, 1001)
    np.testing.assert_allclose(NTK()(t), ArcCos(1)(t) + t * ArcCos(0)(t), atol=1e-15, rtol=0)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_arccos_call_vs_closed_forms(n):
    t = dense_t()
    scale = math.prod(range(1, 2 * n, 2)) if n else 1   # kappa_n(1) = (2n-1)!!/2
    assert np.max(np.abs(ArcCos(n)(t) - arccos_numpy(t, n))) <= 1e-14 * scale


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_arccos_call_vs_mpmath_integral(n):
    mp.mp.dps = 20
    t = np.array([-1.0, -0.999999, -0.7, -0.2, 0.0, 0.3, 0.8, 0.9999, 1.0])
    got = ArcCos(n)(t)
    ref = np.array([float(arccos_mpmath(x, n)) for x in t])
    scale = math.prod(range(1, 2 * n, 2)) if n else 1   # kappa_n(1) = (2n-1)!!/2
    np.testing.assert_allclose(got, ref, atol=1e-14 * scale, rtol=0)


def test_call_shapes_scalars_and_clipping():
    k = NTK()
    assert np.ndim(k(0.3)) == 0
    assert k(np.zeros((2, 3))).shape == (2, 3)
    assert k(np.array([])).shape == (0,)
    assert k(1.0 + 5e-13) == k(1.0)
    assert ArcCos(4)(-1.0 - 5e-13) == ArcCos(4)(-1.0)


# ---------------------------------------------------------------------------------------------
# Monte-Carlo finite-width networks
# ---------------------------------------------------------------------------------------------
def _mc_pairs(d, seed):
    rng = np.random.default_rng(seed + 1000)
    x = sphere_points(1, d, seed)[0]
    ys = []
    for t in [-0.95, -0.5, 0.0, 0.4, 0.9, 1.0]:
        v = rng.standard_normal(d)
        v -= (v @ x) * x
        v /= np.linalg.norm(v)
        ys.append(t * x + math.sqrt(1 - t * t) * v)
    return x, np.array(ys)


def test_ntk_vs_finite_width_network():
    # f(x) = H^-1/2 sum_h w_h relu(theta_h.x):  df/dw_h = H^-1/2 relu(theta_h.x),
    # df/dtheta_h = H^-1/2 w_h 1[theta_h.x > 0] x; empirical NTK = sum over all parameters.
    d, H = 5, 300_000
    x, ys = _mc_pairs(d, 1)
    rng = np.random.default_rng(2)
    theta = rng.standard_normal((H, d))
    w = rng.standard_normal(H)
    ux = theta @ x
    for y in ys:
        uy = theta @ y
        terms = np.maximum(ux, 0) * np.maximum(uy, 0) + w ** 2 * ((ux > 0) & (uy > 0)) * (x @ y)
        emp, se = terms.mean(), terms.std() / math.sqrt(H)
        assert abs(NTK()(np.clip(x @ y, -1, 1)) - emp) <= 5 * se + 1e-12


@pytest.mark.parametrize("n", [0, 1, 2])
def test_arccos_vs_random_features(n):
    d, H = 4, 300_000
    x, ys = _mc_pairs(d, 3 + n)
    theta = np.random.default_rng(4).standard_normal((H, d))
    def relu_n(u):                                   # relu^0 is the step 1[u > 0]
        return (u > 0).astype(float) if n == 0 else np.maximum(u, 0) ** n

    fx = relu_n(theta @ x)
    for y in ys:
        terms = fx * relu_n(theta @ y)
        emp, se = terms.mean(), terms.std() / math.sqrt(H)
        assert abs(ArcCos(n)(np.clip(x @ y, -1, 1)) - emp) <= 5 * se + 1e-12


# ---------------------------------------------------------------------------------------------
# Gram matrices
# ---------------------------------------------------------------------------------------------
# sizes not multiples of the 16 x 256 blocks, several column blocks
GRAM_SHAPES = [(37, 600, 10), (1, 1, 2), (5, 3, 3), (20, 257, 4), (17, 300, 1000)]


@pytest.mark.parametrize("n,m,d", GRAM_SHAPES)
def test_ntk_gram_vs_numpy(n, m, d):
    X, Y = sphere_points(n, d, 1), sphere_points(m, d, 2)
    G = NTK().gram(X, Y)
    assert G.shape == (n, m) and G.dtype == np.float64
    assert np.max(np.abs(G - ntk_numpy(X @ Y.T))) <= 1e-14


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_arccos_gram_vs_numpy(n):
    X, Y = sphere_points(41, 7, 3), sphere_points(300, 7, 4)
    G = ArcCos(n).gram(X, Y)
    ref = arccos_numpy(X @ Y.T, n)
    scale = math.prod(range(1, 2 * n, 2)) if n else 1
    assert np.max(np.abs(G - ref)) <= 1e-14 * scale


def test_gram_into_out_and_endpoints():
    # Theta has a square-root singularity at t = +-1, so near there a rounding error delta of the dot
    # product (~ d eps, in whichever summation order: ours and numpy's differ) moves Theta by up to
    # ~ sqrt(2 delta) / pi: the conditioning of the problem, not an error of phi.
    d = 6
    X = sphere_points(30, d, 5)
    X = np.vstack([X, X[:3], -X[:3]])                # t = +-1 up to rounding
    out = np.full((X.shape[0], X.shape[0]), np.nan)
    res = NTK().gram(X, out=out)
    assert res is out
    t = X @ X.T
    err = np.abs(out - ntk_numpy(t))
    near = np.abs(t) > 1 - 1e-8
    assert near.sum() >= 36 + 12 and np.max(err[~near]) <= 1e-14
    assert np.max(err[near]) <= 1e-14 + math.sqrt(2 * 4 * d * np.finfo(float).eps) / math.pi
    np.testing.assert_allclose(np.diag(out), 1.0, atol=math.sqrt(8 * d * np.finfo(float).eps) / math.pi, rtol=0)
    assert np.all(np.isfinite(out))


@pytest.mark.slow  # the float32 variant of every Gram kernel compiles for ~45 s on a cold numba cache: make slow
def test_gram_float32():
    X, Y = sphere_points(50, 5, 6), sphere_points(70, 5, 7)
    for k in [NTK(), ArcCos(0), ArcCos(1), ArcCos(2), ArcCos(3), FromSpectrum([0.5, 0.2, 0.1], 5)]:
        G32 = k.gram(X, Y, dtype=np.float32)
        assert G32.dtype == np.float32
        np.testing.assert_allclose(G32, k.gram(X, Y).astype(np.float32), rtol=0, atol=2e-7)
        out = np.empty((50, 70), np.float32)
        assert k.gram(X, Y, out=out, dtype=np.float32) is out
    X = sphere_points(40, 5, 30)
    Y = np.vstack([X, -X])   # exact duplicates and antipodes: the near pass writes float32 outputs too
    for kern in [NTK(), ArcCos(0), ArcCos(1), ArcCos(2), ArcCos(4)]:
        np.testing.assert_array_equal(kern.gram(X, Y, dtype=np.float32), kern.gram(X, Y).astype(np.float32))


def test_gram_floor_is_the_dot_product():
    X, Y = sphere_points(19, 9, 8), sphere_points(290, 9, 9)
    out = np.empty((19, 290))
    _gram_dot(X, np.ascontiguousarray(Y.T), out)
    np.testing.assert_allclose(out, X @ Y.T, atol=1e-15, rtol=0)


def test_gram_empty():
    X = np.empty((0, 3))
    assert NTK().gram(X, sphere_points(4, 3, 0)).shape == (0, 4)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(2, 12), seed=st.integers(0, 2**31),
       which=st.sampled_from(["ntk", "a0", "a1", "a2", "a3", "spec"]))
def test_gram_symmetric_and_psd(n, d, seed, which):
    k = {"ntk": NTK(), "a0": ArcCos(0), "a1": ArcCos(1), "a2": ArcCos(2), "a3": ArcCos(3),
         "spec": FromSpectrum(np.array([0.3, 0.2, 0.05, 0.01]), d)}[which]
    X = sphere_points(n, d, seed)
    G = k.gram(X)
    # symmetric up to rounding: (i, j) and (j, i) may sit in the vector body and the scalar remainder
    # of the inner loop, which may contract multiply-adds into FMAs differently
    assert np.max(np.abs(G - G.T)) <= 4 * np.finfo(float).eps * np.max(np.abs(G))
    ev = np.linalg.eigvalsh(G)
    assert ev.min() >= -1e-13 * max(1.0, ev.max()) * n


# ---------------------------------------------------------------------------------------------
# FromSpectrum
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4, 10])
def test_fromspectrum_call_and_gram_vs_scipy_series(d):
    mu = np.array([0.3, 0.1, 0.02, 0.004, 0.001, 1e-4]) / np.array([n_harm(k, d) for k in range(6)]) ** 0.5
    k = FromSpectrum(mu, d)
    t = np.concatenate([np.linspace(-1, 1, 501), [1.0, -1.0]])
    np.testing.assert_allclose(k(t), series_numpy(mu, d, t), atol=1e-14, rtol=0)
    X, Y = sphere_points(23, d, 10), sphere_points(270, d, 11)
    ref = series_numpy(mu, d, np.clip(X @ Y.T, -1, 1))
    np.testing.assert_allclose(k.gram(X, Y), ref, atol=1e-14, rtol=0)


def legendre_d_mpmath(k, d, t):
    """P_k(t) at mpmath precision from the definitions: cos(k acos t) for d = 2; otherwise
    C_k^lam(t) / C_k^lam(1), lam = (d - 2)/2, with the explicit Gegenbauer sum
    C_k^lam(t) = sum_j (-1)^j Gamma(k - j + lam) / (Gamma(lam) j! (k - 2j)!) (2t)^(k - 2j)."""
    if d == 2:
        return mp.cos(k * mp.acos(t))
    lam = mp.mpf(d - 2) / 2

    def C(x):
        return mp.fsum((-1) ** j * mp.gamma(k - j + lam) / (mp.gamma(lam) * mp.factorial(j) * mp.factorial(k - 2 * j))
                       * (2 * x) ** (k - 2 * j) for j in range(k // 2 + 1))
    return C(t) / C(mp.mpf(1))


def _spectra(d, kmax=20):
    k = np.arange(kmax + 1)
    dense = (1.0 + k) ** -(d + 1.0) * (1.3 + np.sin(k))        # every mu_k > 0, no parity structure
    flat = 1.0 / np.array([n_harm(q, d) for q in k])           # mu_k N(k, d) = 1: no decay at all
    return {"ntk": NTK().spectrum(d, kmax), "dense": dense, "flat": flat}


@pytest.mark.parametrize("d", [2, 3, 5, 10, 30])
@pytest.mark.parametrize("which", ["ntk", "dense", "flat"])
def test_fromspectrum_gram_vs_mpmath_series(which, d):
    # the Gram kernel (Chebyshev form, parity split) at exactly representable dot products: X = e_1,
    # Y[j] = (t_j, sqrt(1 - t_j^2), 0, ...), so x . y = t_j exactly, against the series at 50 digits
    mp.mp.dps = 50
    mu = _spectra(d)[which]
    kern = FromSpectrum(mu, d)
    t = np.concatenate([np.linspace(-1, 1, 33), [np.nextafter(1, 0), np.nextafter(-1, 0), 0.7071067811865476]])
    X = np.zeros((1, d))
    X[0, 0] = 1.0
    Y = np.zeros((t.size, d))
    Y[:, 0] = t
    Y[:, 1] = np.sqrt((1 - t) * (1 + t))
    G = kern.gram(X, Y)[0]
    N = [n_harm(k, d) for k in range(mu.size)]
    for tj, g in zip(t, G):
        ref = mp.fsum(mp.mpf(float(mu[k])) * N[k] * legendre_d_mpmath(k, d, mp.mpf(float(tj))) for k in range(mu.size))
        # 1e-14 absolute for phi(1) = sum_k mu_k N(k, d) ~ 1; the flat series has phi(1) = 21
        assert abs(mp.mpf(float(g)) - ref) <= 1e-14 * max(1.0, np.sum(np.abs(kern.coef))), (tj, float(g - ref))
    if which == "ntk":                                # mu_k = 0 at odd k >= 3: the odd part is the term a_1 t
        assert kern._co.size == 1


def test_fromspectrum_gram_summation_choice():
    # Horner in u only where the monomial form is at most 2x worse conditioned (l1 norms) than the Chebyshev
    # form; both branches are covered by test_fromspectrum_gram_vs_mpmath_series
    sp2, sp10 = _spectra(2), _spectra(10)
    assert FromSpectrum(sp10["dense"], 10)._horner and FromSpectrum(sp10["ntk"], 10)._horner
    assert not FromSpectrum(sp2["flat"], 2)._horner          # sum_k T_k(t): monomials grow like (1 + sqrt 2)^k
    assert not FromSpectrum(np.ones(200) / np.array([n_harm(q, 10) for q in range(200)]), 10)._horner


def test_fromspectrum_chebyshev_conversion_vs_mpmath():
    # the converted coefficients themselves: a_m = (2 / pi) int_0^pi phi(cos th) cos(m th) dth (1/pi for m = 0),
    # by mpmath quadrature of the series at 25 digits; d = 7, one spectrum with mixed signs
    from spherekern.kernels import _legendre_to_chebyshev
    mp.mp.dps = 25
    d = 7
    mu = np.array([0.5, -0.2, 0.1, 0.03, -0.01, 0.004, 0.0, 0.001]) / np.array([n_harm(k, d) for k in range(8)])
    coef = mu * np.array([n_harm(k, d) for k in range(8)])
    a = _legendre_to_chebyshev(coef, d)

    def phi(th):
        return mp.fsum(mp.mpf(float(coef[k])) * legendre_d_mpmath(k, d, mp.cos(th)) for k in range(8))
    for m in range(8):
        ref = mp.quad(lambda th: phi(th) * mp.cos(m * th), [0, mp.pi]) * (1 if m == 0 else 2) / mp.pi
        assert abs(a[m] - ref) <= 4 * np.finfo(float).eps * np.sum(np.abs(coef))


@pytest.mark.parametrize("mu", [[0.0, 1.0], [0.3, 0.0, 0.0, 0.2], [0.0, 0.0, 0.0, 0.0, 0.5], [1.0, 0.25]])
def test_fromspectrum_gram_short_and_one_parity_series(mu):
    for d in (2, 4):
        X, Y = sphere_points(9, d, 40), sphere_points(300, d, 41)
        ref = series_numpy(np.array(mu), d, np.clip(X @ Y.T, -1, 1))
        # numpy's and our dot products differ by ~ d u, moved by the slope <= K^2 sum |c_k| (Markov)
        c = sum(abs(m) * n_harm(k, d) for k, m in enumerate(mu))
        tol = 1e-14 * max(1.0, c) + c * (len(mu) - 1) ** 2 * 4 * d * np.finfo(float).eps
        np.testing.assert_allclose(FromSpectrum(mu, d).gram(X, Y), ref, atol=tol, rtol=0)


def test_fromspectrum_constant_kernel():
    X = sphere_points(7, 4, 12)
    np.testing.assert_array_equal(FromSpectrum([0.25], 4).gram(X), np.full((7, 7), 0.25))
    np.testing.assert_array_equal(FromSpectrum([0.25], 4)(np.array([-1.0, 0.3])), [0.25, 0.25])


def test_fromspectrum_of_ntk_spectrum_approximates_ntk():
    d, kmax = 3, 400
    mu = NTK().spectrum(d, kmax)
    t = np.linspace(-0.9, 0.9, 101)
    # the truncated tail sum_{k>kmax} mu_k N(k,d) ~ kmax^{-1}; far from +-1 the error is much smaller
    np.testing.assert_allclose(FromSpectrum(mu, d)(t), NTK()(t), atol=1e-4, rtol=0)


@settings(max_examples=10, deadline=None)
@given(d=st.integers(2, 8), mu=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8))
def test_fromspectrum_roundtrip(d, mu):
    mu = np.array(mu)
    k = FromSpectrum(mu, d)
    kmax = len(mu) + 2
    got = spectrum.eigenvalues(k, d, kmax)
    np.testing.assert_allclose(got[:len(mu)], mu, atol=1e-13 * max(1.0, mu.max() * n_harm(len(mu) - 1, d)),
                               rtol=0)
    assert np.all(np.abs(got[len(mu):]) <= 1e-13 * max(1.0, mu.max() * n_harm(len(mu) - 1, d)))
    np.testing.assert_array_equal(k.spectrum(d, kmax), np.concatenate([mu, [0, 0, 0]]))
    np.testing.assert_array_equal(k.spectrum(d, 0), mu[:1])


# ---------------------------------------------------------------------------------------------
# spectra
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kern", [NTK(), ArcCos(0), ArcCos(1), ArcCos(2)], ids=repr)
@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_spectrum_vs_generic_quadrature(kern, d):
    kmax = 30
    mu = kern.spectrum(d, kmax)
    ref = spectrum.eigenvalues(kern, d, kmax)
    assert mu.shape == (kmax + 1,)
    np.testing.assert_allclose(mu, ref, atol=1e-14 * float(kern(1.0)), rtol=0)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
GOOD = sphere_points(4, 3, 0)


@pytest.mark.parametrize("kern", [NTK(), ArcCos(2), FromSpectrum([1.0, 0.5], 3)], ids=repr)
def test_gram_bad_input(kern):
    with pytest.raises(ValueError, match="X must be 2-D"):
        kern.gram(GOOD[0])
    with pytest.raises(ValueError, match="Y has 4 columns"):
        kern.gram(GOOD, np.hstack([GOOD, np.zeros((4, 1))]))
    bad = GOOD.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        kern.gram(bad)
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="Y contains NaN or inf"):
        kern.gram(GOOD, bad)
    with pytest.raises(ValueError, match="X row 2 has norm"):
        kern.gram(np.vstack([GOOD[:2], 1.001 * GOOD[2:]]))
    with pytest.raises(TypeError, match="X must be a real numeric array"):
        kern.gram(GOOD.astype(complex))
    with pytest.raises(ValueError, match=r"out must have shape \(4, 4\)"):
        kern.gram(GOOD, out=np.empty((4, 5)))
    with pytest.raises(TypeError, match="out must have dtype float64"):
        kern.gram(GOOD, out=np.empty((4, 4), np.float32))
    with pytest.raises(TypeError, match="out must have dtype float32"):
        kern.gram(GOOD, out=np.empty((4, 4)), dtype=np.float32)
    with pytest.raises(ValueError, match="out must be C-contiguous"):
        kern.gram(GOOD, out=np.empty((4, 4), order="F")[:, :4].T.copy(order="F"))
    ro = np.empty((4, 4))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="out must be writeable"):
        kern.gram(GOOD, out=ro)
    with pytest.raises(TypeError, match="out must be a numpy array"):
        kern.gram(GOOD, out=[[0.0] * 4] * 4)
    with pytest.raises(TypeError, match="dtype must be float64 or float32"):
        kern.gram(GOOD, dtype=np.int64)
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        kern.gram(GOOD, device="gpu")
    with pytest.raises(ValueError, match="X must have at least 2 columns"):
        kern.gram(np.ones((3, 1)))


def test_gram_out_aliasing_input():
    X = np.zeros((3, 3))
    X[np.arange(3), np.arange(3)] = 1.0
    with pytest.raises(ValueError, match="out must not share memory with X or Y"):
        NTK().gram(X, out=X)


def test_fromspectrum_dimension_mismatch():
    k = FromSpectrum([1.0, 0.5], 4)
    with pytest.raises(ValueError, match="X has 3 columns but d = 4"):
        k.gram(GOOD)
    with pytest.raises(ValueError, match="d = 3 but this FromSpectrum kernel is defined on S\\^\\(d-1\\) with d = 4"):
        k.spectrum(3, 5)


def test_call_bad_input():
    with pytest.raises(ValueError, match=r"t must lie in \[-1, 1\]"):
        NTK()(1.0 + 1e-9)
    with pytest.raises(ValueError, match=r"t must lie in \[-1, 1\]"):
        ArcCos(1)(np.array([0.0, -1.1]))
    with pytest.raises(ValueError, match="t contains NaN or inf"):
        NTK()(np.array([0.0, np.nan]))
    with pytest.raises(TypeError, match="t must be a real numeric array"):
        NTK()(np.array(["a"]))


def test_constructor_and_spectrum_bad_input():
    with pytest.raises(ValueError, match="degree must be >= 0"):
        ArcCos(-1)
    with pytest.raises(TypeError, match="degree must be an integer"):
        ArcCos(1.5)
    with pytest.raises(ValueError, match="d must be >= 2"):
        FromSpectrum([1.0], 1)
    with pytest.raises(ValueError, match="mu must be 1-D"):
        FromSpectrum(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="mu contains NaN or inf"):
        FromSpectrum([1.0, np.nan], 3)
    with pytest.raises(ValueError, match="mu must contain at least one eigenvalue"):
        FromSpectrum([], 3)
    with pytest.raises(ValueError, match="overflows float64"):
        FromSpectrum(np.full(400, 1e300), 50)
    with pytest.raises(ValueError, match="kmax must be >= 0"):
        NTK().spectrum(3, -1)
    with pytest.raises(ValueError, match="d must be >= 2"):
        ArcCos(1).spectrum(1, 3)
    with pytest.raises(TypeError, match="d must be an integer"):
        NTK().spectrum(3.0, 3)


def test_kernel_is_base_class():
    assert all(isinstance(k, Kernel) for k in (NTK(), ArcCos(0), FromSpectrum([1.0], 2)))


# ---------------------------------------------------------------------------------------------
# nearly coincident / antipodal points: gram evaluates phi at the exact angle
# ---------------------------------------------------------------------------------------------
NEAR_ANGLES = [0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.02, 0.03]


def _near_pairs(d, seed):
    """x (d,) and Y: points at the NEAR_ANGLES from x and from -x (rounded to double, renormalised)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(d)
    x /= np.linalg.norm(x)
    ys = []
    for th in NEAR_ANGLES:
        v = rng.standard_normal(d)
        v -= (v @ x) * x
        v /= np.linalg.norm(v)
        y = math.cos(th) * x + math.sin(th) * v
        y /= np.linalg.norm(y)
        ys += [y, -y]
    return x, np.array(ys)


def angle_mpmath(x, y):
    """The angle between the double-precision vectors x and y (normalised in mpmath), 2 asin(|x^ - y^|/2)."""
    x = [mp.mpf(float(v)) for v in x]
    y = [mp.mpf(float(v)) for v in y]
    nx = mp.sqrt(mp.fsum(v * v for v in x))
    ny = mp.sqrt(mp.fsum(v * v for v in y))
    return 2 * mp.asin(mp.sqrt(mp.fsum((a / nx - b / ny) ** 2 for a, b in zip(x, y))) / 2)


def phi_of_angle_mpmath(kern, th):
    """phi at the angle th: the NTK and kappa_0..2 closed forms (Cho & Saul) in mpmath; kappa_n, n >= 3, from
    the angular integral J_n = 2^n n! int_{th - pi/2}^{pi/2} cos^n(a) cos^n(a - th) da."""
    c, s, a = mp.cos(th), mp.sin(th), mp.pi - th
    if isinstance(kern, NTK):
        return (s + 2 * a * c) / (2 * mp.pi)
    n = kern.degree
    if n <= 2:
        J = [a, s + a * c, 3 * s * c + a * (1 + 2 * c * c)][n]
    else:
        J = 2 ** n * math.factorial(n) * mp.quad(lambda b: mp.cos(b) ** n * mp.cos(b - th) ** n,
                                                 [th - mp.pi / 2, mp.pi / 2])
    return J / (2 * mp.pi)


@pytest.mark.parametrize("d", [2, 3, 10])
@pytest.mark.parametrize("kern", [NTK(), ArcCos(0), ArcCos(1), ArcCos(2), ArcCos(3)], ids=repr)
def test_gram_near_pairs_vs_mpmath_angle(kern, d):
    mp.mp.dps = 40
    x, Ynear = _near_pairs(d, 20 + d)
    # the near pairs among far points, so that they sit in several chunks / row segments
    Y = np.vstack([sphere_points(300, d, 21), Ynear])
    perm = np.random.default_rng(22).permutation(Y.shape[0])
    Y = Y[perm]
    G = kern.gram(np.vstack([sphere_points(3, d, 23), x]), Y)[-1]
    where = np.argsort(perm)[300:]                    # columns of the near pairs
    one = float(phi_of_angle_mpmath(kern, mp.mpf(0)))
    u = np.finfo(float).eps
    for col, th_nominal in zip(where, np.repeat(NEAR_ANGLES, 2)):
        th = angle_mpmath(x, Y[col])
        ref = phi_of_angle_mpmath(kern, th)
        err = abs(mp.mpf(float(G[col])) - ref)
        # a few ulp of phi(1) inside the band |t| > 1 - 2^-12 (theta < 0.0221); the dot-product route outside
        tol = (4 * u if th_nominal < 0.022 else 1e-14) * max(1.0, one)
        assert err <= tol, (float(th), float(err))
        if th <= 1e-2 and abs(one - ref) >= 1e-9 * one:
            # hence phi(1) - phi(t) (the eigenvalue a near-duplicate pair contributes) to relative accuracy,
            # wherever float64 can hold it (the dot-product route: relative error ~ u / theta^2)
            assert err / abs(one - ref) <= 1e-6
    far = np.ones(Y.shape[0], bool)
    far[where] = False
    t = Y[far] @ x
    ref_far = arccos_numpy(t, kern.degree) if isinstance(kern, ArcCos) else ntk_numpy(t)
    assert np.max(np.abs(G[far] - ref_far)) <= 1e-14 * max(1.0, one)


def test_gram_near_pairs_beat_the_dot_product_route():
    # the reference above is discriminating: phi(fl(x . y)) misses phi at the angle by ~ u / theta
    mp.mp.dps = 40
    x, Y = _near_pairs(3, 5)
    j = 2 * NEAR_ANGLES.index(1e-8)
    ref = float(phi_of_angle_mpmath(NTK(), angle_mpmath(x, Y[j])))
    assert abs(ntk_numpy(np.array([x @ Y[j]]))[0] - ref) > 1e-10
    assert abs(NTK().gram(x[None], Y[j:j + 1])[0, 0] - ref) <= 4 * np.finfo(float).eps


def test_gram_exact_duplicates_and_antipodes():
    X = sphere_points(40, 5, 30)
    Y = np.vstack([X, -X])
    for kern in [NTK(), ArcCos(0), ArcCos(1), ArcCos(2), ArcCos(4)]:
        G = kern.gram(X, Y)
        one, minus = float(phi_of_angle_mpmath(kern, mp.mpf(0))), float(phi_of_angle_mpmath(kern, mp.pi))
        np.testing.assert_allclose(np.diag(G[:, :40]), one, rtol=2 * np.finfo(float).eps, atol=0)
        np.testing.assert_allclose(np.diag(G[:, 40:]), minus, rtol=0, atol=2 * np.finfo(float).eps * one)


def test_gram_d2_dense_circle_is_positive_definite():
    # 4096 uniform points on the circle; seed 109 has a pair 2.4e-10 rad apart (the pair's eigenvalue ~4e-11).
    # Reference: phi at the angle difference of the points' polar angles (np.arctan2: exact to ~u).
    from scipy.linalg import cholesky
    X = sphere_points(4096, 2, 109)
    G = NTK().gram(X)
    ang = np.arctan2(X[:, 1], X[:, 0])
    for r0 in range(0, 4096, 1024):
        th = np.abs(ang[r0:r0 + 1024, None] - ang[None, :])
        th = np.minimum(th, 2 * np.pi - th)
        ref = (np.sin(th) + 2 * (np.pi - th) * np.cos(th)) / (2 * np.pi)
        assert np.max(np.abs(G[r0:r0 + 1024] - ref)) <= 1e-14
    gap = np.min(np.diff(np.sort(ang)))
    assert gap < 1e-9
    cholesky(G, lower=True, overwrite_a=True, check_finite=False)   # raises LinAlgError if not positive definite


# ---------------------------------------------------------------------------------------------
# issue #21: ArcCos(n) near t = +-1 and for large n
# ---------------------------------------------------------------------------------------------
def arccos_mp_recursion(t, n, dps=700):
    """kappa_n(t) by Cho & Saul's recursion in exact-enough arithmetic: at 700 digits the cancellation of
    its terms near t = -1 (up to ~10^300 for n = 150) is harmless, unlike in float64."""
    with mp.workdps(dps):
        t = t if isinstance(t, mp.mpf) else mp.mpf(float(t))
        c, s2 = t, 1 - t * t
        ja = mp.pi - mp.acos(t)
        if n == 0:
            return ja / (2 * mp.pi)
        jb = mp.sqrt(s2) + ja * c
        for q in range(2, n + 1):
            ja, jb = jb, (2 * q - 1) * c * jb + (q - 1) ** 2 * s2 * ja
        return jb / (2 * mp.pi)


NEAR_PM1 = [s * (1 - 10.0 ** -k) for k in range(1, 13) for s in (1, -1)] + list(np.linspace(-1, 1, 17))


@pytest.mark.parametrize("n,tol", [(1, 2e-15), (2, 3e-15), (3, 3e-15), (6, 5e-15), (20, 1e-14),
                                   (150, 6e-14)])
def test_arccos_near_pm1_against_mpmath(n, tol):
    """ArcCos(n)(t) at t = +-(1 - 10^-k), k = 1..12, and a grid, within the documented relative accuracy of
    the 700-digit recursion (was: n >= 3 negative near t = -1, n = 2 off by 6e12 at angle pi - 1e-7)."""
    t = np.array(NEAR_PM1)
    got = ArcCos(n)(t)
    for ti, g in zip(t, got):
        ref = arccos_mp_recursion(ti, n)
        if abs(ref) < 1e-290:  # below the normal float64 range: only sign and size matter
            assert 0.0 <= g <= 1e-280
            continue
        assert abs(g - float(ref)) <= tol * float(ref), (n, ti, g, float(ref))


def test_arccos_large_degree_nan_inf_or_rejected():
    """ArcCos(300) gave -inf at t = -0.5 and ArcCos(153) NaN at t = 1: now MAX_DEGREE is the largest n whose
    kappa_n(1) = (2n - 1)!! / 2 is finite (derived here from lgamma independently), beyond it a ValueError."""
    from spherekern.kernels import MAX_DEGREE
    lim = math.log(np.finfo(float).max)
    dfact = lambda n: math.lgamma(2 * n + 1) - n * math.log(2) - math.lgamma(n + 1)  # ln (2n - 1)!!
    assert math.log(2 * math.pi) + dfact(MAX_DEGREE) < lim                 # the recursion's bound holds
    assert math.log(0.5) + dfact(MAX_DEGREE + 3) > lim - 10                  # ... and is not far from tight
    with pytest.raises(ValueError, match=f"degree must be <= {MAX_DEGREE}"):
        ArcCos(MAX_DEGREE + 1)
    with pytest.raises(ValueError, match="degree must be <="):
        ArcCos(300)
    v = ArcCos(MAX_DEGREE)(np.array([1.0, 0.5, 0.0, -0.5, -1.0]))
    assert np.all(np.isfinite(v)) and np.all(v >= 0)
    assert v[0] == pytest.approx(math.exp(dfact(MAX_DEGREE)) / 2, rel=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 20])
def test_arccos_gram_of_antipodal_pairs_is_accurate(n):
    """ArcCos(6).gram(x, -rotated x) had negative entries (2570 of 40,000 at n = 20): each entry against the
    700-digit kappa_n at the exact angle of the two double-precision points (t = x . y / |x| |y| in mpmath;
    the rows have norm 1 to ~1e-16, which moves 1 + t by ~1e-16: the tolerance is relative to the entry)."""
    rng = np.random.default_rng(n)
    X = sphere_points(40, 4, 1)
    # -x rotated by tiny angles 1e-9 .. 1e-2 in a random plane: pairs at pi - delta
    Y = np.empty_like(X)
    deltas = 10.0 ** rng.uniform(-9, -2, size=len(X))
    for i, x in enumerate(X):
        u = rng.standard_normal(4)
        u -= (u @ x) * x
        u /= np.linalg.norm(u)
        Y[i] = -(np.cos(deltas[i]) * x + np.sin(deltas[i]) * u)
    G = ArcCos(n).gram(X, Y)
    assert np.all(G >= 0)
    with mp.workdps(700):
        for i in range(len(X)):
            for j in (i, (i + 1) % len(X)):
                xs, ys = [mp.mpf(float(v)) for v in X[i]], [mp.mpf(float(v)) for v in Y[j]]
                nx, ny = mp.sqrt(sum(v * v for v in xs)), mp.sqrt(sum(v * v for v in ys))
                t = sum(a * b for a, b in zip(xs, ys)) / (nx * ny)   # exact to 700 digits
                ref = arccos_mp_recursion(t, n)
                if abs(ref) < 1e-290:
                    continue
                assert abs(G[i, j] - float(ref)) <= 1e-13 * float(ref), (n, i, j, G[i, j], float(ref))


def test_read_only_inputs_give_the_same_gram_and_no_second_compilation():
    # numba types a read-only array apart from a writeable one: the validation copies read-only inputs, so a cached
    # (read-only) data set neither changes the numbers nor compiles the kernels a second time (~26 s cold)
    from spherekern.kernels._closed import _gram_closed
    X, Y = sphere_points(30, 4, 40), sphere_points(20, 4, 41)
    G = NTK().gram(X, Y)
    n_sig = len(_gram_closed.signatures)
    Xr, Yr = X.copy(), Y.copy()
    Xr.setflags(write=False)
    Yr.setflags(write=False)
    np.testing.assert_array_equal(NTK().gram(Xr, Yr), G)
    assert len(_gram_closed.signatures) == n_sig
