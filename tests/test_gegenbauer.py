"""spherekern.gegenbauer against mpmath (high precision), scipy and identities."""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from spherekern import gegenbauer, sphere

DIMS = [2, 3, 4, 5, 10, 50, 200]
# points including the ends, points near the ends and generic interior points
T_PTS = np.array([-1.0, -1 + 1e-12, -0.999999, -0.97, -0.5, -0.123456789, 0.0, 1e-9, 0.3, 0.71, 0.99,
                  1 - 1e-7, 1 - 1e-13, 1.0])


def _mp_table(t, kmax, d, dps=40):
    """Reference P_k(t), k <= kmax, by the recurrence carried out in mpmath at `dps` digits.
    (Exact real arithmetic up to 1e-40: an oracle for the double-precision code.)"""
    with mpmath.workdps(dps):
        out = np.empty((kmax + 1, len(t)))
        for i, ti in enumerate(t):
            x = mpmath.mpf(float(ti))
            p0, p1 = mpmath.mpf(1), x
            out[0, i] = 1.0
            if kmax >= 1:
                out[1, i] = float(x)
            for k in range(1, kmax):
                p0, p1 = p1, ((2 * k + d - 2) * x * p1 - k * p0) / (k + d - 2)
                out[k + 1, i] = float(p1)
    return out


@pytest.mark.parametrize("d", DIMS)
def test_table_vs_mpmath_all_k_to_2000(d):
    kmax = 2000
    ref = _mp_table(T_PTS, kmax, d)
    got = gegenbauer.table(T_PTS, kmax, d)
    assert got.shape == (kmax + 1, len(T_PTS))
    assert np.abs(got - ref).max() <= 1e-12


@pytest.mark.parametrize("d, k, t", [(2, 2000, 0.999), (2, 1500, -0.31), (3, 2000, 0.7), (3, 1999, -0.9999),
                                     (4, 1000, 0.2), (10, 800, 0.95), (50, 300, -0.6), (200, 150, 0.4)])
def test_table_vs_mpmath_closed_forms(d, k, t):
    """Independent formulas: Chebyshev T_k (d = 2), mpmath.legendre (d = 3), mpmath.gegenbauer (hypergeometric)."""
    with mpmath.workdps(60):
        x = mpmath.mpf(t)
        if d == 2:
            ref = mpmath.chebyt(k, x)
        elif d == 3:
            ref = mpmath.legendre(k, x)
        else:
            a = mpmath.mpf(d - 2) / 2
            ref = mpmath.gegenbauer(k, a, x) / mpmath.gegenbauer(k, a, 1)
    got = gegenbauer.table(np.array([t]), k, d)[k, 0]
    assert abs(got - float(ref)) <= 1e-12


def test_table_scipy_and_endpoints():
    from scipy.special import eval_gegenbauer
    t = np.linspace(-1, 1, 101)
    for d in (3, 5, 8):
        lam = (d - 2) / 2
        ref = np.array([eval_gegenbauer(k, lam, t) / eval_gegenbauer(k, lam, 1.0) for k in range(30)])
        np.testing.assert_allclose(gegenbauer.table(t, 29, d), ref, atol=1e-13)
    for d in DIMS:
        T = gegenbauer.table(np.array([1.0, -1.0]), 50, d)
        np.testing.assert_allclose(T[:, 0], 1.0, atol=1e-13)
        np.testing.assert_allclose(T[:, 1], (-1.0) ** np.arange(51), atol=1e-13)


def test_table_out_and_clipping():
    t = np.array([-1 - 1e-13, 0.5, 1 + 5e-13])
    out = np.empty((6, 3))
    res = gegenbauer.table(t, 5, 3, out=out)
    assert res is out
    np.testing.assert_allclose(out[:, 0], (-1.0) ** np.arange(6), atol=1e-14)
    np.testing.assert_allclose(out[:, 2], 1.0, atol=1e-14)
    assert gegenbauer.table(np.array([]), 3, 3).shape == (4, 0)


@pytest.mark.parametrize("d", [2, 3, 5, 50])
def test_series_vs_mpmath(d):
    rng = np.random.default_rng(d)
    coef = rng.standard_normal(120) / (1 + np.arange(120)) ** 1.5
    ref_tab = _mp_table(T_PTS, 119, d)
    ref = coef @ ref_tab
    got = gegenbauer.series(coef, T_PTS, d)
    assert np.abs(got - ref).max() <= 1e-13 * np.abs(coef).sum() * (1 + 119 * (d == 2))


def test_series_shapes():
    c = np.array([1.0, 2.0, 3.0])
    t = np.linspace(-1, 1, 12).reshape(3, 4)
    got = gegenbauer.series(c, t, 3)
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got, 1 + 2 * t + 3 * (3 * t ** 2 - 1) / 2, atol=1e-14)
    np.testing.assert_array_equal(gegenbauer.series(np.array([]), t, 3), 0.0)
    assert gegenbauer.series(c, 0.5, 3).shape == ()


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.lists(st.floats(-3, 3), min_size=1, max_size=15))
def test_series_of_polynomial_coefficients_gives_back_polynomial(d, mono):
    """p(t) = sum_j a_j t^j -> Gegenbauer coefficients c_k = N(k,d) E[p P_k] (Gauss rule) -> series == p."""
    deg = len(mono) - 1
    x, w = gegenbauer.quadrature(deg + 1, d)
    p = np.polynomial.polynomial.polyval(x, mono)
    T = gegenbauer.table(x, deg, d)
    c = sphere.harmonic_dim(np.arange(deg + 1), d) * (T @ (w * p))
    t = np.linspace(-1, 1, 33)
    ref = np.polynomial.polynomial.polyval(t, mono)
    np.testing.assert_allclose(gegenbauer.series(c, t, d), ref, atol=1e-11 * (1 + np.abs(mono).sum()))


def _mp_moment(j, d):
    """E[t^{2j}] for the law of t = x.y on S^{d-1}: Gamma(j+1/2) Gamma(d/2) / (sqrt(pi) Gamma(j+d/2))."""
    with mpmath.workdps(30):
        return float(mpmath.gamma(j + mpmath.mpf(1) / 2) * mpmath.gamma(mpmath.mpf(d) / 2)
                     / (mpmath.sqrt(mpmath.pi) * mpmath.gamma(j + mpmath.mpf(d) / 2)))


@pytest.mark.parametrize("d, m", [(2, 7), (3, 50), (4, 300), (5, 2000), (10, 64), (50, 500), (200, 10000),
                                  (3, 10000)])
def test_quadrature_moments_vs_mpmath(d, m):
    x, w = gegenbauer.quadrature(m, d)
    assert x.shape == w.shape == (m,)
    assert np.all(np.diff(x) > 0) and np.all(w >= 0) and abs(w.sum() - 1) < 1e-14
    assert np.all(np.abs(x) < 1)
    for j in sorted({0, 1, 3, min(m - 1, 10), min(m - 1, 40)}):
        assert abs(np.dot(w, x ** (2 * j)) - _mp_moment(j, d)) <= 2e-15
        assert abs(np.dot(w, x ** (2 * j + 1))) <= 1e-15


@pytest.mark.parametrize("d, m", [(3, 200), (5, 1000), (200, 10000)])
def test_quadrature_orthogonality(d, m):
    """E[P_k P_l] = delta_kl / N(k, d) exactly for k + l <= 2m - 1: check E[P_k] = 0 (k >= 1) and norms."""
    x, w = gegenbauer.quadrature(m, d)
    kmax = min(2 * m - 1, 3000)
    T = gegenbauer.table(x, kmax, d)
    assert np.abs(T[1:] @ w).max() < 1e-14
    kk = np.arange(0, min(m, 40))
    norms = (T[kk] ** 2) @ w
    np.testing.assert_allclose(norms, 1.0 / sphere.harmonic_dim(kk, d).astype(float), rtol=1e-12)


def test_quadrature_vs_scipy_moderate():
    from scipy.special import roots_jacobi
    for d in (3, 4, 7):
        xr, wr = roots_jacobi(40, (d - 3) / 2, (d - 3) / 2)
        x, w = gegenbauer.quadrature(40, d)
        np.testing.assert_allclose(x, xr, atol=1e-14)
        np.testing.assert_allclose(w, wr / wr.sum(), rtol=1e-12)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: gegenbauer.table([0.1], -1, 3), ValueError, "kmax must be >= 0"),
    (lambda: gegenbauer.table([0.1], 3, 1), ValueError, "d must be >= 2"),
    (lambda: gegenbauer.table([[0.1]], 3, 3), ValueError, "t must be 1-D"),
    (lambda: gegenbauer.table([1.5], 3, 3), ValueError, r"t must lie in \[-1, 1\]"),
    (lambda: gegenbauer.table([np.nan], 3, 3), ValueError, "NaN or inf"),
    (lambda: gegenbauer.table(["a"], 3, 3), TypeError, "real numeric"),
    (lambda: gegenbauer.table([0.1], 3, 3, out=np.empty((3, 1))), ValueError, "out must have shape"),
    (lambda: gegenbauer.table([0.1], 3, 3, out=np.empty((4, 1), np.float32)), TypeError, "out must have dtype"),
    (lambda: gegenbauer.table([0.1, 0.2], 3, 3, out=np.empty((2, 4)).T), ValueError, "C-contiguous"),
    (lambda: gegenbauer.series([1.0, np.inf], [0.1], 3), ValueError, "coef contains NaN"),
    (lambda: gegenbauer.series([[1.0]], [0.1], 3), ValueError, "coef must be 1-D"),
    (lambda: gegenbauer.series([1.0], [-1.1], 3), ValueError, "t must lie"),
    (lambda: gegenbauer.quadrature(0, 3), ValueError, "m must be >= 1"),
    (lambda: gegenbauer.quadrature(5, 1), ValueError, "d must be >= 2"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
