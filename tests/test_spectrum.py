"""Tests for spherekern.spectrum (Funk–Hecke eigenvalues).

Chain of references, none sharing code with the float64 implementation:
  * exact rational P_k coefficients (fractions) x Beta-function moments  -> checks `reference` (mpmath quad)
  * Bessel closed form of E[exp(t) P_k(t)] (mpmath / scipy)              -> checks `reference` and `eigenvalues`
  * `reference` (mpmath.quad with mpmath's own Gegenbauer polynomials)   -> checks the closed forms up to k = 500
  * the Cho–Saul J_n formulas written here, Monte-Carlo over Gaussian first layers -> ties arccos/ntk to the
    kernel definitions in docs/CONVENTIONS.md
  * naive P_k recurrence and exact N(k, d) written here                  -> reconstruction identities
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import iv

from spherekern import spectrum as S

DIMS = [2, 3, 4, 5, 10, 50, 200]


# ----------------------------------------------------------------------------------------------
# naive references (independent of spherekern)
# ----------------------------------------------------------------------------------------------
def naive_P(kmax, d, t):
    """P_0..P_kmax at t by the textbook three-term recurrence (rows = degree)."""
    t = np.asarray(t, dtype=np.float64)
    out = np.empty((kmax + 1,) + t.shape)
    out[0] = 1.0
    if kmax >= 1:
        out[1] = t
    for k in range(1, kmax):
        out[k + 1] = ((2 * k + d - 2) * t * out[k] - k * out[k - 1]) / (k + d - 2)
    return out


def naive_N(k, d):
    """N(k, d) = (2k + d - 2)/(k + d - 2) binom(k + d - 2, k), exact."""
    if k == 0:
        return 1
    return Fraction(2 * k + d - 2, k + d - 2) * math.comb(k + d - 2, k)


def exact_P_coeffs(k, d):
    """Monomial coefficients of P_k (P_k(1) = 1) as exact fractions, by polynomial recurrence."""
    p0, p1 = [Fraction(1)], [Fraction(0), Fraction(1)]
    if k == 0:
        return p0
    for j in range(1, k):
        tp1 = [Fraction(0)] + p1
        nxt = [Fraction(2 * j + d - 2) * c for c in tp1]
        for i, c in enumerate(p0):
            nxt[i] -= j * c
        p0, p1 = p1, [c / (j + d - 2) for c in nxt]
    return p1


def mp_half_moment(s, d):
    """E[t^s 1{t > 0}] for t = x.y on S^{d-1}: B((s+1)/2, (d-1)/2) / (2 B(1/2, (d-1)/2))."""
    h = mp.mpf(d - 1) / 2
    return mp.beta((mp.mpf(s) + 1) / 2, h) / (2 * mp.beta(mp.mpf(1) / 2, h))


def moments_mu(a, d, k, parity=False):
    """mu_k of max(t,0)^a (or |t|^a if parity) from exact P_k coefficients and Beta moments."""
    c = exact_P_coeffs(k, d)
    tot = mp.mpf(0)
    for j, cj in enumerate(c):
        if cj:
            m = mp_half_moment(mp.mpf(a) + j, d)
            if parity:
                m = m * (1 + (-1) ** j)
            tot += mp.mpf(cj.numerator) / cj.denominator * m
    return tot


def bessel_exp_mu_mp(d, k):
    """E[exp(t) P_k(t)] = Gamma(d/2) 2^{d/2-1} I_{k+d/2-1}(1) (Gegenbauer expansion of exp)."""
    return mp.gamma(mp.mpf(d) / 2) * mp.mpf(2) ** (mp.mpf(d) / 2 - 1) * mp.besseli(k + mp.mpf(d) / 2 - 1, 1)


def J_mp(n, t):
    """Cho & Saul (2009) J_n(theta), theta = arccos t, for n = 0, 1, 2 (mpmath)."""
    th = mp.acos(t)
    if n == 0:
        return mp.pi - th
    if n == 1:
        return mp.sin(th) + (mp.pi - th) * mp.cos(th)
    if n == 2:
        return 3 * mp.sin(th) * mp.cos(th) + (mp.pi - th) * (1 + 2 * mp.cos(th) ** 2)
    raise ValueError(n)


def J_np(n, t):
    th = np.arccos(np.clip(t, -1.0, 1.0))
    if n == 0:
        return np.pi - th
    if n == 1:
        return np.sin(th) + (np.pi - th) * np.cos(th)
    if n == 2:
        return 3 * np.sin(th) * np.cos(th) + (np.pi - th) * (1 + 2 * np.cos(th) ** 2)
    raise ValueError(n)


def relu_mp(a):
    a = mp.mpf(a)
    return lambda t: t ** a if t > 0 else mp.mpf(0)


def abs_mp(a):
    a = mp.mpf(a)
    return lambda t: abs(t) ** a if t != 0 else (mp.mpf(1) if a == 0 else mp.mpf(0))


def kappa_mp(n):
    return lambda t: J_mp(n, t) / (2 * mp.pi)


def ntk_mp(t):
    return J_mp(1, t) / (2 * mp.pi) + t * J_mp(0, t) / (2 * mp.pi)


def rel_err(x, ref):
    with mp.workdps(80):
        ref = mp.mpf(ref)
        return float(abs(mp.mpf(x) - ref) / abs(ref))


# ----------------------------------------------------------------------------------------------
# 1. the oracle `reference` is itself right
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_reference_matches_exact_monomial_moments(d):
    for a, k in ((1.0, 0), (1.0, 2), (1.0, 5), (0.3, 1), (0.3, 4), (0.0, 3), (0.0, 4)):
        got = S.reference(relu_mp(a), d, k, dps=25, breakpoints=[0.0])
        with mp.workdps(40):
            ref = moments_mu(a, d, k)
        if abs(ref) < mp.mpf(10) ** -30:     # parity zero (relu k = 5, step k = 4)
            assert abs(got) < 1e-25
        else:
            assert rel_err(got, ref) < 1e-20, (a, d, k)


@pytest.mark.parametrize("d", [3, 50])
def test_reference_matches_bessel_closed_form(d):
    for k in (0, 13):
        got = S.reference(mp.exp, d, k, dps=30)
        with mp.workdps(40):
            ref = bessel_exp_mu_mp(d, k)
        assert rel_err(got, ref) < 1e-25, (d, k)


# ----------------------------------------------------------------------------------------------
# 2. closed forms against the oracle
# ----------------------------------------------------------------------------------------------
def _check_closed(mu, phi_mp, d, ks, bps, dps=25, rtol=1e-10):
    scale = np.max(np.abs(mu))
    for k in ks:
        ref = S.reference(phi_mp, d, k, dps=dps, breakpoints=bps)
        if mu[k] == 0.0:
            # parity zero: the oracle must agree that it vanishes
            assert abs(ref) < 10.0 ** (-dps + 5) * scale, (d, k, ref)
        else:
            assert rel_err(mu[k], ref) < rtol, (d, k, mu[k], ref)


CLOSED_FORMS = {   # name: (closed form (d, kmax) -> mu, mpmath phi, breakpoints)
    "relu": (lambda d, K: S.relu(d, K), relu_mp(1), [0.0]),
    "relu^0.3": (lambda d, K: S.relu(d, K, power=0.3), relu_mp(0.3), [0.0]),
    "step": (lambda d, K: S.relu(d, K, power=0.0), relu_mp(0), [0.0]),
    "abs^1.5": (lambda d, K: S.abs_power(d, K, 1.5), abs_mp(1.5), [0.0]),
    "arccos1": (lambda d, K: S.arccos(d, K, 1), kappa_mp(1), []),
    "arccos2": (lambda d, K: S.arccos(d, K, 2), kappa_mp(2), []),
    "ntk": (lambda d, K: S.ntk(d, K), ntk_mp, []),
}
# fast: every dimension twice, every closed form at least twice, parity zeros included (relu k=5, step k=4)
FAST_CASES = [(2, "relu", [1, 5, 12]), (2, "ntk", [0, 4]), (3, "step", [1, 4]), (3, "arccos2", [3, 5]),
              (4, "relu^0.3", [0, 7]), (4, "abs^1.5", [2, 3]), (5, "arccos1", [1, 6]), (5, "relu", [2, 5]),
              (10, "ntk", [1, 3, 6]), (10, "step", [0, 9]), (50, "abs^1.5", [4]), (50, "arccos1", [2]),
              (200, "relu^0.3", [3]), (200, "ntk", [2])]


@pytest.mark.parametrize("d,name,ks", FAST_CASES)
def test_closed_forms_vs_reference(d, name, ks):
    closed, phi, bps = CLOSED_FORMS[name]
    _check_closed(closed(d, max(ks)), phi, d, ks, bps, dps=20)


@pytest.mark.slow
@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_closed_forms_vs_reference_sweep(d, name):
    closed, phi, bps = CLOSED_FORMS[name]
    ks = [0, 1, 2, 3, 7, 16, 63, 128, 500]
    _check_closed(closed(d, 500), phi, d, ks, bps, dps=30)


def test_closed_form_special_values():
    # E[1{t>0}] = 1/2 and E[|t|^0] = 1 for every d; E[relu(t) t] = E[t^2]/2 = 1/(2d)
    for d in DIMS:
        assert S.relu(d, 0, power=0.0)[0] == pytest.approx(0.5, rel=1e-15)
        assert S.abs_power(d, 0, 0.0)[0] == pytest.approx(1.0, rel=1e-15)
        assert S.relu(d, 1)[1] == pytest.approx(1 / (2 * d), rel=1e-14)
        assert S.abs_power(d, 2, 2.0)[0] == pytest.approx(1 / d, rel=1e-14)
    # |t|^2 = t^2 is a polynomial: nothing beyond degree 2
    mu = S.abs_power(7, 20, 2.0)
    assert np.all(mu[3:] == 0.0)


def test_parity_zeros_are_exact():
    for d in DIMS:
        r = S.relu(d, 200)
        assert np.all(r[3::2] == 0.0) and np.all(r[0::2] != 0.0) and r[1] != 0.0
        s = S.relu(d, 200, power=0.0)
        assert np.all(s[2::2] == 0.0) and np.all(s[1::2] != 0.0) and s[0] != 0.0
        assert np.all(S.abs_power(d, 200, 0.7)[1::2] == 0.0)
        assert np.all(S.arccos(d, 200, 1)[3::2] == 0.0)
        assert np.all(S.arccos(d, 200, 2)[4::2] == 0.0) and S.arccos(d, 200, 2)[3] != 0.0
        n = S.ntk(d, 200)
        assert np.all(n[3::2] == 0.0) and np.all(n[0::2] > 0.0) and n[1] > 0.0
        # non-integer powers have no parity zeros
        assert np.all(S.relu(d, 200, power=0.5) != 0.0)


def test_closed_forms_do_not_overflow():
    for d in (2, 200, 5000):
        for mu in (S.relu(d, 3000, 1.0), S.relu(d, 3000, 7.5), S.arccos(d, 3000, 3), S.ntk(d, 3000)):
            assert mu.dtype == np.float64 and mu.shape == (3001,)
            assert np.all(np.isfinite(mu))


# ----------------------------------------------------------------------------------------------
# 3. generic eigenvalues
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", DIMS)
def test_eigenvalues_vs_closed_forms(d):
    kmax = 300
    cases = [
        (lambda t: np.maximum(t, 0.0), [0.0], S.relu(d, kmax), 1.0),                       # kink
        (lambda t: (t > 0).astype(float), [0.0], S.relu(d, kmax, power=0.0), 1.0),        # jump
        (lambda t: np.abs(t) ** 0.3, [0.0], S.abs_power(d, kmax, 0.3), 1.0),              # cusp
        (lambda t: np.maximum(t, 0.0) ** 2.5, [0.0], S.relu(d, kmax, power=2.5), 1.0),
        (lambda t: J_np(1, t) / (2 * np.pi), [], S.arccos(d, kmax, 1), 0.5),              # sqrt(1-t^2) at +-1
        (lambda t: J_np(0, t) / (2 * np.pi), [], S.arccos(d, kmax, 0), 0.5),
        (lambda t: (J_np(1, t) + t * J_np(0, t)) / (2 * np.pi), [], S.ntk(d, kmax), 1.0),
    ]
    for phi, bps, mu, maxphi in cases:
        got = S.eigenvalues(phi, d, kmax, breakpoints=bps)
        assert got.shape == (kmax + 1,) and got.dtype == np.float64
        err = np.max(np.abs(got - mu))
        assert err <= 1e-14 * maxphi, err


@pytest.mark.parametrize("d", [2, 3, 10, 200])
def test_eigenvalues_smooth_vs_bessel(d):
    kmax = 60
    got = S.eigenvalues(np.exp, d, kmax)
    with mp.workdps(30):
        ref = np.array([float(bessel_exp_mu_mp(d, k)) for k in range(kmax + 1)])
    # scipy's iv as a second, float64 reference
    ref2 = math.gamma(d / 2) * 2 ** (d / 2 - 1) * iv(np.arange(kmax + 1) + d / 2 - 1, 1.0)
    assert np.max(np.abs(got - ref)) <= 1e-14 * math.e
    assert np.max(np.abs(ref2 - ref)) <= 1e-14 * math.e


@pytest.mark.parametrize("d,beta,tol", [(3, "0.3", 1e-14), (10, "0.3", 1e-14), (2, "0.7", 1e-14), (2, "0.3", 5e-14)])
def test_eigenvalues_endpoint_singularity_vs_reference(d, beta, tol):
    """(1 - t)^beta at t = 1. For d = 2 the weight (1-t^2)^(-1/2) puts mass ~sqrt(s) within s of t = 1, where
    float64 t has spacing 1.1e-16: when beta < 1/2 the integrand (1-t)^(beta - 1/2) is itself singular and
    sampling phi at float64 t limits the absolute accuracy to a few 1e-14 (documented in eigenvalues)."""
    mu = S.eigenvalues(lambda t: (1.0 - t) ** float(beta), d, 25)
    maxphi = 2 ** float(beta)
    for k in (0, 1, 7, 25):
        ref = S.reference(lambda t: (1 - t) ** mp.mpf(beta), d, k, dps=20)
        assert abs(mu[k] - float(ref)) <= tol * maxphi, (k, mu[k], ref)


def test_eigenvalues_interior_breakpoints_vs_reference():
    # jump at 0.5, kink at -0.7, singular |t + 0.2|^0.5 at -0.2
    def phi(t):
        return np.where(t > 0.5, 1.0, 0.0) + np.maximum(-0.7 - t, 0.0) + np.sqrt(np.abs(t + 0.2))

    def phi_mp(t):
        return (1 if t > 0.5 else 0) + max(-0.7 - t, 0) + mp.sqrt(abs(t + mp.mpf("0.2")))

    bps = [0.5, -0.7, -0.2]
    for d in (3, 6):
        mu = S.eigenvalues(phi, d, 30, breakpoints=bps)
        for k in (0, 3, 30) if d == 3 else (2, 11):
            ref = S.reference(phi_mp, d, k, dps=20, breakpoints=bps)
            assert abs(mu[k] - float(ref)) <= 1e-14 * 2.2, (d, k)


@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 3, 5, 10, 50, 200])
def test_eigenvalues_vs_closed_forms_kmax_2000(d):
    kmax = 2000
    for phi, bps, mu in [
        (lambda t: np.maximum(t, 0.0), [0.0], S.relu(d, kmax)),
        (lambda t: (t > 0).astype(float), [0.0], S.relu(d, kmax, power=0.0)),
        (lambda t: (J_np(1, t) + t * J_np(0, t)) / (2 * np.pi), [], S.ntk(d, kmax)),
    ]:
        got = S.eigenvalues(phi, d, kmax, breakpoints=bps)
        assert np.max(np.abs(got - mu)) <= 1e-14


# ----------------------------------------------------------------------------------------------
# 4. identities
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4, 7])
def test_polynomial_reconstruction(d):
    rng = np.random.default_rng(d)
    coef = rng.standard_normal(7)                 # phi(t) = sum_j coef_j t^j, degree 6
    phi = lambda t: np.polyval(coef[::-1], t)    # noqa: E731
    scale = np.sum(np.abs(coef))                  # >= max|phi|
    mu = S.eigenvalues(phi, d, 10)
    assert np.all(np.abs(mu[7:]) <= 1e-14 * scale)
    t = np.linspace(-1, 1, 101)
    N = np.array([float(naive_N(k, d)) for k in range(7)])
    recon = (mu[:7] * N) @ naive_P(6, d, t)
    # each mu_k is good to 1e-14 max|phi| absolutely, and |P_k| <= 1
    assert np.max(np.abs(recon - phi(t))) <= 1e-14 * scale * N.sum()


@settings(max_examples=15, deadline=None)
@given(d=st.integers(2, 12), deg=st.integers(0, 8), seed=st.integers(0, 2 ** 31))
def test_roundtrip_legendre_series(d, deg, seed):
    """phi = sum_k c_k N(k,d) P_k  =>  eigenvalues(phi) = c (and (-1)^k c for phi(-t))."""
    c = np.random.default_rng(seed).standard_normal(deg + 1)
    N = np.array([float(naive_N(k, d)) for k in range(deg + 1)])

    def phi(t):
        return (c * N) @ naive_P(deg, d, t)

    mu = S.eigenvalues(phi, d, deg + 3)
    scale = np.sum(np.abs(c * N))
    assert np.allclose(mu[: deg + 1], c, rtol=0, atol=1e-14 * scale)
    assert np.all(np.abs(mu[deg + 1:]) <= 1e-14 * scale)
    mu_neg = S.eigenvalues(lambda t: phi(-t), d, deg)
    assert np.allclose(mu_neg, c * (-1.0) ** np.arange(deg + 1), rtol=0, atol=1e-14 * scale)


@pytest.mark.parametrize("d", [2, 3, 6])
def test_series_sums_to_kernel_at_one(d):
    """kappa_1(1) = J_1(0)/(2 pi) = 1/2 = sum_k N(k,d) mu_k (tail ~ k^-4) and sum_k N mu_k P_k(t) = kappa_1(t)."""
    kmax = 3000
    mu = S.arccos(d, kmax, 1)
    N = np.array([float(naive_N(k, d)) for k in range(kmax + 1)])
    assert abs(np.sum(N * mu) - 0.5) < 1e-8
    t = np.array([-0.9, -0.3, 0.0, 0.4, 0.8])
    recon = (mu * N) @ naive_P(kmax, d, t)
    assert np.max(np.abs(recon - J_np(1, t) / (2 * np.pi))) < 1e-9


def test_funk_hecke_monte_carlo():
    """int phi(x.y) P_k(y.z) dsigma(y) = mu_k P_k(x.z): the eigenvalue acts on a degree-k zonal harmonic."""
    d, k, n = 4, 2, 400_000
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((n, d))
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    x = np.array([1.0, 0, 0, 0])
    z = np.array([0.6, 0.8, 0, 0])
    vals = np.maximum(Y @ x, 0.0) * naive_P(k, d, Y @ z)[k]
    mu = S.relu(d, k)[k]
    expected = mu * naive_P(k, d, x @ z)[k]
    assert abs(vals.mean() - expected) < 5 * vals.std() / math.sqrt(n)


def test_arccos_and_ntk_kernel_formulas_monte_carlo():
    """kappa_n(t) = E_theta[relu(theta.x)^n relu(theta.y)^n], Theta = E[relu relu] + t E[1 1] with theta ~ N(0, I_d),
    against the J_n formulas used above for the spectra (ties normalisation to the kernel definitions)."""
    d, n = 5, 400_000
    rng = np.random.default_rng(7)
    th = rng.standard_normal((n, d))
    for t in (-0.6, 0.1, 0.85):
        x = np.zeros(d)
        x[0] = 1.0
        y = np.zeros(d)
        y[0], y[1] = t, math.sqrt(1 - t * t)
        u, v = th @ x, th @ y
        for deg in (0, 1, 2):
            s = np.where(u > 0, u ** deg, 0.0) * np.where(v > 0, v ** deg, 0.0)
            assert abs(s.mean() - J_np(deg, t) / (2 * np.pi)) < 5 * s.std() / math.sqrt(n)
        ntk = np.maximum(u, 0) * np.maximum(v, 0) + t * ((u > 0) & (v > 0))
        assert abs(ntk.mean() - (J_np(1, t) + t * J_np(0, t)) / (2 * np.pi)) < 5 * ntk.std() / math.sqrt(n)


# ----------------------------------------------------------------------------------------------
# 5. asymptotic decay exponents
# ----------------------------------------------------------------------------------------------
def fitted_exponent(mu, kmin=200, kmax=2000):
    """Least-squares slope s of log|mu_k| = c_parity + s log k + b / k over k in [kmin, kmax], skipping exact
    zeros; even and odd k get separate intercepts (non-integer powers have parity-dependent constants)."""
    k = np.arange(kmin, kmax + 1)
    m = mu[kmin:kmax + 1]
    nz = m != 0
    k, m = k[nz], m[nz]
    even = (k % 2 == 0).astype(float)
    cols = [even, 1 - even] if 0 < even.sum() < len(k) else [np.ones(len(k))]
    A = np.column_stack(cols + [np.log(k), 1.0 / k])
    sol = np.linalg.lstsq(A, np.log(np.abs(m)), rcond=None)[0]
    return sol[len(cols)]


@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_decay_exponents(d):
    K = 2000
    # relu^a ~ |t|^a/2 + (odd part t^a sign(t)/2) near t = 0: both have the singularity of |t|^a at 0, whose
    # coefficients decay like k^{-(d + 2a)/2} (the closed form: Gamma((k-a)/2)/Gamma((k+a+d)/2)).
    expected = {
        "ntk": (S.ntk(d, K), -d),
        "arccos1": (S.arccos(d, K, 1), -(d + 2)),
        "arccos0": (S.arccos(d, K, 0), -d),
        "relu": (S.relu(d, K), -(d + 2) / 2),
        "step": (S.relu(d, K, power=0.0), -d / 2),
        "relu^0.5": (S.relu(d, K, power=0.5), -(d + 1) / 2),
        "relu^2.5": (S.relu(d, K, power=2.5), -(d + 5) / 2),
        "abs^0.3": (S.abs_power(d, K, 0.3), -(d + 0.6) / 2),
    }
    for name, (mu, e) in expected.items():
        s = fitted_exponent(mu)
        assert abs(s - e) < 0.02, (name, d, s, e)


# ----------------------------------------------------------------------------------------------
# 6. bad input
# ----------------------------------------------------------------------------------------------
CLOSED = [
    lambda d=3, kmax=5: S.relu(d, kmax),
    lambda d=3, kmax=5: S.abs_power(d, kmax, 1.0),
    lambda d=3, kmax=5: S.arccos(d, kmax, 1),
    lambda d=3, kmax=5: S.ntk(d, kmax),
    lambda d=3, kmax=5: S.eigenvalues(np.cos, d, kmax),
]


@pytest.mark.parametrize("f", CLOSED)
def test_bad_d_and_kmax(f):
    with pytest.raises(ValueError, match="d must be >= 2"):
        f(d=1)
    with pytest.raises(TypeError, match="d must be an integer"):
        f(d=2.5)
    with pytest.raises(ValueError, match="kmax must be >= 0"):
        f(kmax=-1)
    with pytest.raises(TypeError, match="kmax must be an integer"):
        f(kmax=3.0)


def test_bad_powers():
    with pytest.raises(ValueError, match="power must be >= 0"):
        S.relu(3, 5, power=-0.5)
    with pytest.raises(ValueError, match="power must be a real number >= 0, got NaN"):
        S.relu(3, 5, power=float("nan"))
    with pytest.raises(ValueError, match="power must be finite"):
        S.relu(3, 5, power=float("inf"))
    with pytest.raises(TypeError, match="power must be a real number"):
        S.relu(3, 5, power="1")
    with pytest.raises(ValueError, match="a must be >= 0"):
        S.abs_power(3, 5, -1.0)
    with pytest.raises(ValueError, match="a must be a real number >= 0, got NaN"):
        S.abs_power(3, 5, np.nan)
    with pytest.raises(TypeError, match="a must be a real number"):
        S.abs_power(3, 5, None)


def test_bad_degree():
    with pytest.raises(TypeError, match="degree must be a non-negative int"):
        S.arccos(3, 5, 1.5)
    with pytest.raises(TypeError, match="degree must be a non-negative int .*pass int"):
        S.arccos(3, 5, 1.0)
    with pytest.raises(ValueError, match="degree must be >= 0"):
        S.arccos(3, 5, -1)
    with pytest.raises(TypeError, match="degree must be a non-negative int"):
        S.arccos(3, 5, True)


def test_bad_phi():
    with pytest.raises(TypeError, match="phi must be a callable"):
        S.eigenvalues(3.0, 3, 5)
    with pytest.raises(ValueError, match="phi must be vectorised"):
        S.eigenvalues(lambda t: 1.0, 3, 5)
    with pytest.raises(ValueError, match="phi must be vectorised"):
        S.eigenvalues(lambda t: np.ones((len(t), 2)), 3, 5)
    with pytest.raises(ValueError, match=r"phi\(t\) must be finite"):
        S.eigenvalues(lambda t: np.where(t > 0.5, np.nan, t), 3, 5)
    with pytest.raises(ValueError, match=r"phi\(t\) must be finite"):
        with np.errstate(divide="ignore"):
            S.eigenvalues(lambda t: np.log1p(-t), 3, 5)      # -inf at t = 1
    with pytest.raises(TypeError, match=r"phi\(t\) must return real numbers"):
        S.eigenvalues(lambda t: t + 1j, 3, 5)
    with pytest.raises(TypeError, match=r"phi\(t\) must return real numbers"):
        S.eigenvalues(lambda t: np.array(["x"] * len(t)), 3, 5)


def test_bad_breakpoints():
    for bad in ([1.0], [-1.0], [0.2, 1.5], -2.0):
        with pytest.raises(ValueError, match=r"breakpoints must lie strictly inside \(-1, 1\)"):
            S.eigenvalues(np.cos, 3, 5, breakpoints=bad)
    with pytest.raises(ValueError, match="breakpoints contains NaN or inf"):
        S.eigenvalues(np.cos, 3, 5, breakpoints=[np.nan])
    with pytest.raises(TypeError, match="breakpoints must be a sequence of real numbers"):
        S.eigenvalues(np.cos, 3, 5, breakpoints=["a"])
    with pytest.raises(ValueError, match="breakpoints must be 1-D"):
        S.eigenvalues(np.cos, 3, 5, breakpoints=[[0.1, 0.2]])
    # accepted forms: scalar, unsorted, duplicates, None
    ref = S.eigenvalues(lambda t: np.maximum(t, 0.0), 3, 6, breakpoints=[0.0])
    for ok in (0.0, [0.0, 0.0], (0.5, 0.0, -0.5)):
        got = S.eigenvalues(lambda t: np.maximum(t, 0.0), 3, 6, breakpoints=ok)
        assert np.max(np.abs(got - ref)) < 1e-15
    assert np.max(np.abs(S.eigenvalues(np.exp, 3, 4, breakpoints=None) - S.eigenvalues(np.exp, 3, 4))) < 1e-16


def test_bad_reference_input():
    with pytest.raises(TypeError, match="phi must be a callable"):
        S.reference(None, 3, 2)
    with pytest.raises(ValueError, match="d must be >= 2"):
        S.reference(mp.exp, 1, 2)
    with pytest.raises(ValueError, match="k must be >= 0"):
        S.reference(mp.exp, 3, -1)
    with pytest.raises(TypeError, match="k must be an integer"):
        S.reference(mp.exp, 3, 1.5)
    with pytest.raises(ValueError, match="dps must be >= 15"):
        S.reference(mp.exp, 3, 2, dps=5)
    with pytest.raises(ValueError, match=r"breakpoints must lie strictly inside \(-1, 1\)"):
        S.reference(mp.exp, 3, 2, breakpoints=[1.0])


def test_eigenvalues_kmax_zero_and_outputs_fresh():
    mu = S.eigenvalues(lambda t: np.ones_like(t), 5, 0)
    assert mu.shape == (1,) and abs(mu[0] - 1.0) < 1e-15
    # phi may modify its argument in place without corrupting the cached rule; outputs are fresh arrays
    def rude(t):
        t *= 0.0
        return np.ones_like(t)
    S.eigenvalues(rude, 3, 4)
    a = S.eigenvalues(lambda t: np.maximum(t, 0.0), 3, 4, [0.0])
    a[0] = 99.0
    assert S.eigenvalues(lambda t: np.maximum(t, 0.0), 3, 4, [0.0])[0] == pytest.approx(0.25, rel=1e-14)
    assert S.relu(3, 4)[0] == pytest.approx(0.25, rel=1e-15)
