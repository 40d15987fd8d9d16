"""Tests for theory/ (closed forms pinned by hand, fitted vs exact exponents, the spectral-bias curve); the KRR
learning curve and its simulations are in tests/test_theory_krr.py.

Independent references used here (none shares code with theory/; tests/theory_refs.py):
* hand-written closed forms of the exponents (derivation in theory/README.md);
* exact Funk–Hecke spectra of relu, the step, kappa_1 and the NTK from the Rodrigues formula
  (checked below against mpmath quadrature), and spherekern.spectrum;
* N(k, d) from math.comb.
"""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy.special import betaln

import theory
from theory_refs import abs_teacher_c, ref_arccos1, ref_dim, ref_dims, ref_ntk, ref_relu, ref_step

INF = math.inf

# ----------------------------------------------------------------------------------------------
# the references themselves, against mpmath quadrature
# ----------------------------------------------------------------------------------------------
def _mp_mu(f, d, k):
    mp.mp.dps = 25
    lam = mp.mpf(d - 2) / 2
    B = mp.beta(mp.mpf(1) / 2, mp.mpf(d - 1) / 2)

    def P(t):
        return mp.chebyt(k, t) if d == 2 else mp.gegenbauer(k, lam, t) / mp.gegenbauer(k, lam, 1)

    # t = cos(theta): smooth integrand on each side of the kink theta = pi/2
    g = lambda th: f(mp.cos(th)) * P(mp.cos(th)) * mp.sin(th) ** (d - 2)  # noqa: E731
    return float(mp.quad(g, [0, mp.pi / 2, mp.pi]) / B)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_reference_spectra_match_mpmath(d):
    K = 5
    relu, step = ref_relu(d, K), ref_step(d, K)
    ntk = ref_ntk(d, K)
    f_ntk = lambda t: (mp.sqrt(1 - t * t) + 2 * (mp.pi - mp.acos(t)) * t) / (2 * mp.pi)  # noqa: E731
    for k in range(K + 1):
        assert relu[k] == pytest.approx(_mp_mu(lambda t: max(t, 0), d, k), abs=1e-14)
        assert step[k] == pytest.approx(_mp_mu(lambda t: 1 if t > 0 else 0, d, k), abs=1e-14)
        assert ntk[k] == pytest.approx(_mp_mu(f_ntk, d, k), abs=1e-14)
    assert ntk[3] == 0.0 and ntk[5] == 0.0                       # parity zeros of the bias-free NTK
    # Theta(1) = 1 = sum_k N mu_k ; kappa_1(1) = 1/2 (Parseval-type identities)
    KK = 4000
    assert (ref_dims(KK, d) * ref_ntk(d, KK)).sum() == pytest.approx(1.0, abs=2e-3 if d == 2 else 1e-3)
    assert (ref_dims(KK, d) * ref_arccos1(d, KK)).sum() == pytest.approx(0.5, abs=1e-6)


# ----------------------------------------------------------------------------------------------
# N(k, d)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4, 7, 10, 30])
def test_harmonic_dim_exact(d):
    ks = np.arange(0, 60)
    assert [theory.harmonic_dim(int(k), d) for k in ks] == [ref_dim(int(k), d) for k in ks]
    np.testing.assert_array_equal(theory.harmonic_dim(ks, d), ref_dims(59, d))
    # sum_{k<=K} N(k, d) = N(K, d+1)
    assert sum(theory.harmonic_dim(k, d) for k in range(41)) == ref_dim(40, d + 1)
    assert theory.harmonic_dim(3000, 30) == ref_dim(3000, 30)  # big exact int


def test_harmonic_dim_bad_input():
    with pytest.raises(ValueError, match="d must be >= 2"):
        theory.harmonic_dim(3, 1)
    with pytest.raises(ValueError, match="k must be >= 0"):
        theory.harmonic_dim(np.array([1, -1]), 3)
    with pytest.raises(TypeError, match="k must be an integer"):
        theory.harmonic_dim(1.5, 3)


# ----------------------------------------------------------------------------------------------
# closed forms (hand-derived, theory/README.md sections 3-4)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4, 5, 10, 50])
def test_beta_constant_target(d):
    assert theory.beta(d, INF, "lazy") == pytest.approx(2 * d / (d - 1), rel=1e-15)
    assert theory.beta(d, INF, "lazy") == pytest.approx(1 + (d + 1) / (d - 1), rel=1e-15)
    assert theory.beta(d, INF, "feature") == pytest.approx((d + 2) / (d - 1), rel=1e-15)
    assert theory.beta(d, INF, "feature") == pytest.approx(1 + 3 / (d - 1), rel=1e-15)
    assert theory.beta(d, INF, "rf") == pytest.approx(2 * (d + 2) / (d - 1), rel=1e-15)


@pytest.mark.parametrize("nu", [0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, INF])
def test_beta_d2_saturates_at_4(nu):
    assert theory.beta(2, nu, "lazy") == min(2 * nu, 4.0)
    assert theory.beta(2, nu, "feature") == min(2 * nu, 4.0)
    assert theory.beta(2, nu, "rf") == min(2 * nu, 8.0)
    assert theory.beta(2, nu, "lazy") == theory.beta(2, nu, "feature")


@pytest.mark.parametrize("d", [3, 5, 10])
def test_beta_rough_and_smooth(d):
    # rough target: all regimes share 2 nu_t / (d - 1)
    for nu in (0.25, 1.0, (d + 2) / 2 - 0.01):
        for r in ("lazy", "rf", "feature"):
            assert theory.beta(d, nu, r) == pytest.approx(2 * nu / (d - 1), rel=1e-14)
    # smooth target: feature saturates first
    nu = (d + 2) / 2 + 0.5
    assert theory.beta(d, nu, "feature") == pytest.approx((d + 2) / (d - 1))
    assert theory.beta(d, nu, "lazy") == pytest.approx(min(2 * nu, 2 * d) / (d - 1))
    assert theory.beta(d, nu, "lazy") > theory.beta(d, nu, "feature")


def test_alpha_and_power():
    for d in (2, 3, 7):
        for a in (0.75, 1.0, 1.5, 2.0, 3.0):
            assert theory.alpha(d, "lazy", a) == pytest.approx(2 * (d + 2 * a - 2))
            assert theory.alpha(d, "rf", a) == pytest.approx(2 * (d + 2 * a))
            assert theory.alpha(d, "feature", a) == pytest.approx(d + 2 * a)
            assert theory.beta(d, INF, "feature", a) == pytest.approx((d + 2 * a) / (d - 1))
    assert (theory.alpha(5, "lazy"), theory.alpha(5, "rf"), theory.alpha(5, "feature")) == (10.0, 14.0, 7.0)
    assert theory.alpha(4, "rf", 0) == 8.0 and theory.alpha(4, "feature", 0) == 4.0   # step atoms


def test_crossover():
    for d in range(3, 12):
        assert theory.crossover(d) == (d + 2) / 2
        assert theory.crossover(d, regime="rf") == (d + 2) / 2
        # just above / below the crossover
        nu = theory.crossover(d)
        assert theory.beta(d, nu + 1e-6, "lazy") > theory.beta(d, nu + 1e-6, "feature")
        assert theory.beta(d, nu - 1e-6, "lazy") == theory.beta(d, nu - 1e-6, "feature")
    assert theory.crossover(2) == INF                  # d = 2: NTK and atoms both saturate at 4
    assert theory.crossover(2, regime="rf") == 2.0     # random features do beat atoms in d = 2
    # relu^a: crossover (d + 2a)/2 iff d + 2a > 4
    assert theory.crossover(2, power=2) == 3.0
    assert theory.crossover(2, power=0.75) == INF      # d + 2a = 3.5 <= 4
    assert theory.crossover(3, power=0.75) == 2.25     # d + 2a = 4.5 > 4
    assert theory.crossover(4, power=3) == 5.0


def test_nu_from_teacher():
    assert theory.nu_from_teacher("abs", 1) == 1.5
    assert theory.nu_from_teacher("abs", 0.5) == 1.0
    assert theory.nu_from_teacher("abs", 3) == 3.5
    assert theory.nu_from_teacher("abs", 2) == INF     # |t|^2 = t^2 polynomial
    assert theory.nu_from_teacher("abs", 0) == INF     # constant
    assert theory.nu_from_teacher("relu", 1) == 1.5
    assert theory.nu_from_teacher("relu", 2) == 2.5    # t_+^2 is not a polynomial
    assert theory.nu_from_teacher("relu", 0) == 0.5    # step


def test_nu_from_teacher_matches_field_spectrum():
    # the |t| teacher's per-harmonic variance 4 d mu(relu)^2 decays like k^(-2 nu_t - (d-1)), nu_t = 3/2
    for d in (3, 5):
        c = abs_teacher_c(d, 2001)
        s = theory.decay_exponent(c, 200, 2000)
        assert s == pytest.approx(2 * theory.nu_from_teacher("abs", 1) + d - 1, abs=0.01)


def test_asymptotic_exponent_values():
    for d in (2, 3, 10):
        assert theory.asymptotic_exponent("relu", d) == (d + 2) / 2
        assert theory.asymptotic_exponent("relu", d, 0) == d / 2
        assert theory.asymptotic_exponent("abs", d, 1) == (d + 2) / 2
        assert theory.asymptotic_exponent("abs", d, 2) == INF
        assert theory.asymptotic_exponent("arccos", d, 1) == d + 2
        assert theory.asymptotic_exponent("rf", d, 0) == d
        assert theory.asymptotic_exponent("ntk", d) == d
        assert theory.asymptotic_exponent("ntk", d, 2) == d + 2


def test_exponent_bad_input():
    with pytest.raises(ValueError, match="d must be >= 2"):
        theory.beta(1, 1.0, "lazy")
    with pytest.raises(TypeError, match="d must be an integer"):
        theory.beta(3.0, 1.0, "lazy")
    with pytest.raises(ValueError, match="nu_t must be > 0"):
        theory.beta(3, 0.0, "lazy")
    with pytest.raises(ValueError, match="nu_t must be > 0"):
        theory.beta(3, -1.0, "feature")
    with pytest.raises(ValueError, match="nu_t must not be NaN"):
        theory.beta(3, float("nan"), "lazy")
    with pytest.raises(ValueError, match="nu_t must be finite or \\+inf"):
        theory.beta(3, -INF, "lazy")
    with pytest.raises(ValueError, match="regime must be one of"):
        theory.beta(3, 1.0, "ntk")
    with pytest.raises(ValueError, match="regime must be one of"):
        theory.alpha(3, "Lazy")
    with pytest.raises(ValueError, match="power must be > 0.5"):
        theory.alpha(3, "lazy", 0.5)
    with pytest.raises(ValueError, match="power must be >= 0"):
        theory.alpha(3, "feature", -1)
    with pytest.raises(ValueError, match="regime must be 'lazy' or 'rf'"):
        theory.crossover(3, regime="feature")
    with pytest.raises(ValueError, match="activation must be one of"):
        theory.nu_from_teacher("tanh", 1)
    with pytest.raises(ValueError, match="a must be >= 0"):
        theory.nu_from_teacher("abs", -1)
    with pytest.raises(ValueError, match="name must be one of"):
        theory.asymptotic_exponent("laplace", 3)


# ----------------------------------------------------------------------------------------------
# decay_exponent vs exact spectra
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_decay_exponent_reference_spectra(d):
    K = 2000
    for name, mu in (("relu", ref_relu(d, K)), ("arccos", ref_arccos1(d, K)), ("ntk", ref_ntk(d, K))):
        s = theory.decay_exponent(mu, 200, 2000)
        assert abs(s - theory.asymptotic_exponent(name, d)) < 0.02, (name, d, s)


@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_decay_exponent_spherekern_spectra(d):
    spectrum = pytest.importorskip("spherekern.spectrum")
    K = 2000
    cases = (("relu", spectrum.relu(d, K), 1), ("relu", spectrum.relu(d, K, 1.5), 1.5),
             ("abs", spectrum.abs_power(d, K, 1.0), 1), ("arccos", spectrum.arccos(d, K, 1), 1),
             ("arccos", spectrum.arccos(d, K, 2), 2), ("ntk", spectrum.ntk(d, K), 1))
    for name, mu, a in cases:
        s = theory.decay_exponent(mu, 200, 2000)
        assert abs(s - theory.asymptotic_exponent(name, d, a)) < 0.02, (name, d, a, s)


def test_decay_exponent_parity_and_plain_fit():
    k = np.arange(3001, dtype=float)
    mu = np.zeros_like(k)
    mu[1:] = 3.0 * k[1:] ** -2.5
    mu[1::2] *= 1e-13                                     # near-zero odd class (round-off)
    assert theory.decay_exponent(mu, 100, 3000) == pytest.approx(2.5, abs=1e-12)
    mu2 = np.where(k % 2 == 0, 2.0, 5.0) * np.maximum(k, 1) ** -4.0   # two classes, two constants
    assert theory.decay_exponent(mu2, 10, 3000) == pytest.approx(4.0, abs=1e-12)
    assert theory.decay_exponent(-mu2, 10, 3000, correction=False) == pytest.approx(4.0, abs=1e-12)
    mu3 = np.maximum(k, 1) ** -3.0 * (1 + 7.0 / np.maximum(k, 1))  # 1/k correction is fitted out
    assert theory.decay_exponent(mu3, 200, 2000) == pytest.approx(3.0, abs=1e-3)
    assert abs(theory.decay_exponent(mu3, 50, 500, correction=False) - 3.0) > 0.005


def test_decay_exponent_bad_input():
    mu = np.ones(100)
    with pytest.raises(ValueError, match="1 <= kmin < kmax"):
        theory.decay_exponent(mu, 0, 50)
    with pytest.raises(ValueError, match="1 <= kmin < kmax"):
        theory.decay_exponent(mu, 10, 100)
    with pytest.raises(ValueError, match="mu must be 1-D"):
        theory.decay_exponent(np.ones((3, 3)), 1, 2)
    with pytest.raises(ValueError, match="fewer than 2 nonzero"):
        theory.decay_exponent(np.zeros(100), 10, 50)
    with pytest.raises(TypeError, match="kmin must be an integer"):
        theory.decay_exponent(mu, 1.5, 50)


# ----------------------------------------------------------------------------------------------
# spectral_bias_curve
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 6])
def test_spectral_bias_curve_monte_carlo_identity(d):
    # constant target, n = 1: only k = 0 is learned and (*) is the iid Monte-Carlo variance
    # E[(relu(t)/mu_0 - 1)^2] = E[t_+^2]/mu_0^2 - 1, with E[t_+^2] = 1/(2d), mu_0 = E[t_+] = 1/(B (d-1))
    mu0 = 1.0 / (math.exp(betaln(0.5, (d - 1) / 2)) * (d - 1))
    expected = (1.0 / (2 * d)) / mu0 ** 2 - 1.0
    K = 20000 if d == 2 else 3000
    c = np.zeros(K + 1)
    c[0] = 1.0
    got = theory.spectral_bias_curve(1, d, c, ref_relu(d, K))
    assert got == pytest.approx(expected, rel=2e-3 if d == 2 else 1e-4)


@pytest.mark.parametrize("d,nu,regime", [(3, INF, "lazy"), (3, INF, "feature"), (3, 1.0, "feature"),
                                         (4, INF, "feature"), (4, 1.0, "lazy"), (2, 1.0, "lazy")])
def test_spectral_bias_curve_slope(d, nu, regime):
    a = theory.alpha(d, regime)
    K = {2: 200000, 3: 4000, 4: 600}[d]
    k = np.maximum(np.arange(K + 1, dtype=float), 1.0)
    phi = k ** (-a / 2)
    c = np.zeros(K + 1)
    if nu == INF:
        c[0] = 1.0
    else:
        c[:] = k ** (-2 * nu - (d - 1))
    total = ref_dims(K, d).sum()
    n = np.geomspace(total / 1e3, total / 20, 40)
    eps = theory.spectral_bias_curve(n, d, c, phi)
    slope = -np.polyfit(np.log(n), np.log(eps), 1)[0]
    assert slope == pytest.approx(min(2 * nu, a) / (d - 1), abs=0.06), slope


def test_spectral_bias_curve_parity_floor_and_shape():
    d, K = 3, 400
    mu = ref_relu(d, K)                                    # zero at odd k >= 3
    k = np.maximum(np.arange(K + 1), 1)
    c = k ** -4.0
    N = ref_dims(K, d)
    floor = (N * c)[3::2].sum()
    eps = theory.spectral_bias_curve(np.array([[10.0, 100.0], [1000.0, 20000.0]]), d, c, mu)
    assert eps.shape == (2, 2)
    assert np.all(eps >= floor)
    assert eps[1, 1] == pytest.approx(floor, rel=0.05)
    assert isinstance(theory.spectral_bias_curve(10, d, c, mu), float)


def test_spectral_bias_curve_bad_input():
    c, phi = np.ones(10), np.ones(10)
    with pytest.raises(ValueError, match="n must be >= 1"):
        theory.spectral_bias_curve(0.5, 3, c, phi)
    with pytest.raises(ValueError, match="c must be non-negative"):
        theory.spectral_bias_curve(2, 3, -c, phi)
    with pytest.raises(ValueError, match="same length"):
        theory.spectral_bias_curve(2, 3, c, phi[:5])
    with pytest.raises(ValueError, match="representable modes"):
        theory.spectral_bias_curve(1e6, 3, c, phi)
    with pytest.raises(ValueError, match="phi contains NaN"):
        theory.spectral_bias_curve(2, 3, c, np.full(10, np.nan))
    with pytest.raises(ValueError, match="d must be >= 2"):
        theory.spectral_bias_curve(2, 1, c, phi)
