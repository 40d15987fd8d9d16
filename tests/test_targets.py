"""Tests of spherekern.targets (and its CUDA twin) against independent references.

References used (none shares code with the module under test):
* a pure-Python-integer SplitMix64 + numpy evaluation of the teacher (naive, below);
* mpmath sums / quadratures for the GRF covariance, its exact tail and the Funk–Hecke eigenvalues;
* the closed-form arc-cosine kernel (Cho & Saul 2009) for the teacher covariance;
* exact product quadrature on S^2 with scipy's spherical harmonics for per-degree power of samples;
* Monte-Carlo statistics (empirical covariances, z-scores against the MC error).
"""
import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy.special import roots_legendre, sph_harm_y

from spherekern import _cuda, config
from spherekern import targets
from spherekern.sphere import uniform
from spherekern.targets import Constant, GaussianRandomField, JitterWarning, Teacher

# ----------------------------------------------------------------------------------------------
# naive references
# ----------------------------------------------------------------------------------------------
_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15


def _naive_mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _naive_u01(key, i):
    return (_naive_mix64((key + (i + 1) * _GAMMA) & _MASK) >> 11) * 2.0 ** -53


def naive_neurons(seed, H, d):
    """The documented stream, in Python integers: theta (H, d), signs (H,)."""
    key = _naive_mix64(seed)
    P = (d + 1) // 2
    S = 2 * P + 1
    theta = np.zeros((H, d))
    signs = np.zeros(H)
    for h in range(H):
        g = []
        for p in range(P):
            u1 = 1.0 - _naive_u01(key, h * S + 2 * p)
            u2 = _naive_u01(key, h * S + 2 * p + 1)
            r = math.sqrt(-2.0 * math.log(u1))
            g += [r * math.cos(2 * math.pi * u2), r * math.sin(2 * math.pi * u2)]
        g = np.array(g[:d])
        theta[h] = g / np.linalg.norm(g)
        signs[h] = 1.0 if _naive_u01(key, h * S + 2 * P) < 0.5 else -1.0
    return theta, signs


def naive_teacher(X, seed, H, activation, a):
    theta, s = naive_neurons(seed, H, X.shape[1])
    z = X @ theta.T
    v = np.abs(z) if activation == "abs" else np.maximum(z, 0.0)
    if a == 0:
        p = np.ones_like(v) if activation == "abs" else (z > 0).astype(float)
    else:
        p = v ** a
    return p @ s / np.sqrt(H)


def mp_legendre_d(k, d, t):
    """P_k(t) of dimension d in mpmath arithmetic (three-term recurrence of docs/CONVENTIONS.md)."""
    p0, p1 = mp.mpf(1), mp.mpf(t)
    if k == 0:
        return p0
    for j in range(1, k):
        p0, p1 = p1, ((2 * j + d - 2) * t * p1 - j * p0) / (j + d - 2)
    return p1


def mp_mu(phi, d, k, dps=30):
    """Funk–Hecke eigenvalue E[phi(t) P_k(t)] by mpmath quadrature (breakpoint at 0)."""
    with mp.workdps(dps):
        norm = mp.beta(mp.mpf(1) / 2, mp.mpf(d - 1) / 2)
        f = lambda t: phi(t) * mp_legendre_d(k, d, t) * (1 - t * t) ** (mp.mpf(d - 3) / 2) / norm  # noqa: E731
        return float(mp.quad(f, [-1, 0, 1]))


def mp_ndim(k, d):
    if k == 0:
        return mp.mpf(1)
    return (2 * k + d - 2) * mp.binomial(k + d - 3, k) / mp.mpf(d - 2) if d > 2 else mp.mpf(2)




def s2_quadrature(m):
    """Product rule on S^2 (probability weights), exact for polynomials of degree <= 2m - 1."""
    z, wz = roots_legendre(m)
    ph = 2 * np.pi * (np.arange(2 * m) + 0.5) / (2 * m)
    Z, PH = np.meshgrid(z, ph, indexing="ij")
    W = np.outer(wz / 2, np.full(2 * m, 1.0 / (2 * m)))
    r = np.sqrt(1 - Z ** 2)
    X = np.column_stack([(r * np.cos(PH)).ravel(), (r * np.sin(PH)).ravel(), Z.ravel()])
    return X, W.ravel(), np.arccos(Z).ravel(), PH.ravel()


def degree_power(F, X, w, theta, phi, kmax):
    """Per-degree power ||f_k||^2 (L^2 of the probability measure) of each row of F, shape (R, kmax+1)."""
    out = np.zeros((F.shape[0], kmax + 1))
    for k in range(kmax + 1):
        for m in range(-k, k + 1):
            Y = np.sqrt(4 * np.pi) * sph_harm_y(k, m, theta, phi)   # orthonormal for the probability measure
            coef = F @ (w * np.conj(Y))
            out[:, k] += np.abs(coef) ** 2
    return out


def kappa1(t):
    """Arc-cosine kernel of degree 1 (Cho & Saul 2009): E_{g ~ N(0, I)}[relu(g.x) relu(g.y)]."""
    t = np.clip(t, -1, 1)
    ph = np.arccos(t)
    return (np.sin(ph) + (np.pi - ph) * np.cos(ph)) / (2 * np.pi)


# ----------------------------------------------------------------------------------------------
# Teacher
# ----------------------------------------------------------------------------------------------
CASES = [("abs", 1.0), ("relu", 1.0), ("abs", 2.0), ("relu", 2.0), ("relu", 0.0), ("abs", 0.0),
         ("relu", 1.5), ("abs", 0.5), ("abs", 3.0), ("relu", 0.7)]


@pytest.mark.parametrize("activation,a", CASES)
def test_teacher_matches_naive(activation, a, monkeypatch):
    d, H, seed = 5, 157, 12345
    X = uniform(300, d, 1)           # several point tiles
    ref = naive_teacher(X, seed, H, activation, a)
    T = Teacher(d, activation, a, width=H, seed=seed)
    np.testing.assert_allclose(T(X), ref, rtol=0, atol=1e-13)
    monkeypatch.setattr(targets, "TEACHER_BLOCK", 16)   # several neuron blocks, a partial last one
    np.testing.assert_allclose(T(X), ref, rtol=0, atol=1e-13)
    Xs = X[:7]                                          # one tile: the neuron-chunk split runs
    np.testing.assert_allclose(T(Xs), ref[:7], rtol=0, atol=1e-13)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_teacher_neurons_match_naive_stream(d):
    th, s = Teacher(d, width=50, seed=2**64 - 1).neurons()
    th0, s0 = naive_neurons(2**64 - 1, 50, d)
    np.testing.assert_allclose(th, th0, atol=1e-15, rtol=0)
    np.testing.assert_array_equal(s, s0)
    th2, s2 = Teacher(d, width=50, seed=2**64 - 1).neurons(20, 30)    # random access, nested widths
    np.testing.assert_array_equal(th2, th[20:30])
    np.testing.assert_array_equal(s2, s[20:30])


@pytest.mark.parametrize("d", [3, 6])
def test_teacher_neurons_are_uniform(d):
    """Directions uniform on the sphere: E theta = 0, E theta theta^T = I/d, E|theta_1|^4 = 3/(d(d+2));
    signs balanced (z-scores against the exact MC standard deviations)."""
    H = 200_000
    th, s = Teacher(d, width=H, seed=7).neurons()
    assert np.allclose(np.linalg.norm(th, axis=1), 1.0, atol=1e-14)
    assert np.max(np.abs(th.mean(0))) < 5 / math.sqrt(d * H)
    M2 = th.T @ th / H
    sd2 = math.sqrt(2.0 / (d * (d + 2)) / H)   # sd of mean of theta_i theta_j, i != j (~)
    assert np.max(np.abs(M2 - np.eye(d) / d)) < 6 * max(sd2, math.sqrt((3 / (d * (d + 2)) - 1 / d**2) / H))
    m4 = np.mean(th[:, 0] ** 4)
    assert abs(m4 - 3 / (d * (d + 2))) < 6 * math.sqrt(105 / (d * (d + 2) * (d + 4) * (d + 6)) / H)
    assert abs(s.mean()) < 5 / math.sqrt(H)
    assert set(np.unique(s)) == {-1.0, 1.0}


def test_teacher_seed_reproducible_and_sample_uses_rng():
    X = uniform(20, 4, 0)
    a = Teacher(4, width=300, seed=5)(X)
    b = Teacher(4, width=300, seed=5)(X)
    np.testing.assert_array_equal(a, b)
    T = Teacher(4, width=300)
    s1 = T.sample(X, np.random.default_rng(3))
    s2 = T.sample(X, np.random.default_rng(3))
    s3 = T.sample(X, np.random.default_rng(4))
    np.testing.assert_array_equal(s1, s2)
    assert not np.allclose(s1, s3)


@pytest.mark.parametrize("activation", ["relu", "abs"])
def test_teacher_covariance_matches_arccos_closed_form(activation):
    """E[f(x) f(y)] = E_theta[act(theta.x) act(theta.y)] for any width; with theta uniform on S^{d-1} that is
    kappa_1(t)/d for relu and 2 (kappa_1(t) + kappa_1(-t))/d for abs (Gaussian theta = |g| u, E|g|^2 = d)."""
    d, R = 5, 1500
    rng = np.random.default_rng(0)
    e = np.eye(d)
    X = np.array([e[0], e[1], (e[0] + e[1]) / math.sqrt(2), -0.8 * e[0] + 0.6 * e[2]])
    T = Teacher(d, activation, 1.0, width=4)
    F = np.array([T.sample(X, rng) for _ in range(R)])
    t = X @ X.T
    C = kappa1(t) / d if activation == "relu" else 2 * (kappa1(t) + kappa1(-t)) / d
    prods = F[:, :, None] * F[:, None, :]
    est = prods.mean(0)
    se = prods.std(0) / math.sqrt(R)
    assert np.max(np.abs(est - C) / se) < 4.5


@pytest.mark.parametrize("activation,a", [("abs", 1.0), ("relu", 1.5), ("relu", 1.0)])
def test_teacher_sampled_spectrum(activation, a):
    """Per-degree power of teacher draws, projected with an exact product rule on S^2 and scipy's spherical
    harmonics, has mean mu_k(act^a)^2 N(k, 3) with mu_k from mpmath quadrature (composition rule)."""
    d, kmax, R, H = 3, 6, 200, 16
    X, w, th, ph = s2_quadrature(24)
    rng = np.random.default_rng(1)
    T = Teacher(d, activation, a, width=H)
    F = np.array([T.sample(X, rng) for _ in range(R)])
    pw = degree_power(F, X, w, th, ph, kmax)
    act = (lambda t: abs(t) ** a) if activation == "abs" else (lambda t: max(t, 0) ** a)
    for k in range(kmax + 1):
        expected = mp_mu(act, d, k) ** 2 * (2 * k + 1)
        mean, se = pw[:, k].mean(), pw[:, k].std() / math.sqrt(R)
        if expected < 1e-20:       # parity zeros: abs^a is even, relu^1 has no odd degree >= 3
            assert mean < 1e-12
        else:
            assert abs(mean - expected) < 4.5 * se + 1e-3 * expected, (k, mean, expected, se)


def test_teacher_spectrum_method_matches_mpmath():
    pytest.importorskip("spherekern.spectrum")
    for activation, a in [("abs", 1.0), ("relu", 1.5)]:
        c = Teacher(4, activation, a, width=1).spectrum(8)
        act = (lambda t: abs(t) ** a) if activation == "abs" else (lambda t: max(t, 0) ** a)
        ref = np.array([mp_mu(act, 4, k) ** 2 for k in range(9)])
        np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-14 * ref.max())


def test_teacher_nu_t():
    assert Teacher(3, "abs", 1.0, width=1).nu_t == 1.5
    assert Teacher(3, "relu", 2.0, width=1).nu_t == 2.5
    assert Teacher(3, "abs", 2.0, width=1).nu_t == math.inf   # |t|^2 = t^2: finitely many modes


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(d=1), ValueError, "d must be >= 2"),
    (dict(d=3, activation="tanh"), ValueError, "activation must be 'abs' or 'relu'"),
    (dict(d=3, power=-0.5), ValueError, "power must be >= 0"),
    (dict(d=3, power=float("nan")), ValueError, "power must be finite"),
    (dict(d=3, width=0), ValueError, "width must be >= 1"),
    (dict(d=3, width=2.5), TypeError, "width must be an integer"),
    (dict(d=3, seed=-1), ValueError, "seed must be in"),
    (dict(d=3, seed=1.5), TypeError, "seed must be None or an integer"),
])
def test_teacher_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Teacher(**kwargs)


def test_teacher_bad_points_and_device():
    T = Teacher(3, width=10, seed=0)
    with pytest.raises(ValueError, match="on the unit sphere"):
        T(np.ones((4, 3)))
    with pytest.raises(ValueError, match="but d = 3"):
        T(uniform(4, 4, 0))
    with pytest.raises(ValueError, match="NaN or inf"):
        T(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="2-D"):
        T(np.array([1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        T(uniform(4, 3, 0), device="gpu")
    with pytest.raises(ValueError, match="start <= stop <= width"):
        T.neurons(5, 11)


# ----------------------------------------------------------------------------------------------
# CUDA twin (simulator without a GPU, see conftest.py)
# ----------------------------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.skipif(not _cuda.available(), reason="no CUDA GPU and simulator disabled")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # simulator: uint64 hash wraps
def test_teacher_cuda_matches_cpu(monkeypatch):
    from spherekern import targets_cuda
    monkeypatch.setattr(config, "THREADS_PER_BLOCK", 8)
    monkeypatch.setattr(targets_cuda, "NEURON_BLOCK", 7 if _cuda.simulated() else 1000)
    n, H = (19, 23) if _cuda.simulated() else (3000, 10_007)
    X = uniform(n, 4, 0)
    for activation, a in [("abs", 1.0), ("relu", 1.5), ("relu", 0.0), ("abs", 0.7), ("relu", 2.0)]:
        T = Teacher(4, activation, a, width=H, seed=11)
        np.testing.assert_allclose(T(X, device="cuda"), T(X), rtol=0, atol=1e-12)


@pytest.mark.cuda
def test_teacher_cuda_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_cuda, "available", lambda: False)
    with pytest.raises(RuntimeError, match="needs an NVIDIA GPU"):
        Teacher(3, width=4, seed=0)(uniform(3, 3, 0), device="cuda")


# ----------------------------------------------------------------------------------------------
# Gaussian random field
# ----------------------------------------------------------------------------------------------
def test_grf_covariance_given_c_matches_mpmath():
    d = 4
    c = np.random.default_rng(0).uniform(0, 1, 25) / (1 + np.arange(25)) ** 3
    g = GaussianRandomField(d, c=c)
    ts = [-1.0, -0.7, 0.0, 0.3, 0.99, 1.0]
    with mp.workdps(30):
        ref = [float(mp.fsum(mp.mpf(c[k]) * mp_ndim(k, d) * mp_legendre_d(k, d, mp.mpf(t)) for k in range(25)))
               for t in ts]
    np.testing.assert_allclose(g.covariance(np.array(ts)), ref, rtol=0, atol=1e-14 * g.variance)
    assert g.nugget == 0.0 and g.kmax == 24
    np.testing.assert_array_equal(g.c, c)


@pytest.mark.parametrize("d,nu_t", [(3, 0.5), (5, 1.25)])
def test_grf_nu_t_covariance_tail_and_variance_match_mpmath(d, nu_t):
    g = GaussianRandomField(d, nu_t=nu_t, kmax=64)
    s = 2 * nu_t + d - 1
    assert g.kmax == 64
    with mp.workdps(25):
        # N(k, d) = (2k + d - 2) Gamma(k + d - 2) / (Gamma(k + 1) (d - 2)!), analytic in k (Euler–Maclaurin)
        term = lambda k: (k ** (-s) * (2 * k + d - 2) * mp.gamma(k + d - 2)  # noqa: E731
                          / (mp.gamma(k + 1) * mp.factorial(d - 2)))
        tail = mp.nsum(term, [65, mp.inf], method='e')
        total = mp.fsum(term(mp.mpf(k)) for k in range(1, 65)) + tail
        ts = [-0.9, -0.2, 0.4, 0.95]
        trunc = [float(mp.fsum(term(k) * mp_legendre_d(k, d, mp.mpf(t)) for k in range(1, 65))) for t in ts]
    assert g.nugget == pytest.approx(float(tail), rel=1e-9)
    assert g.variance == pytest.approx(float(total), rel=1e-11)
    assert g.covariance(1.0) == pytest.approx(float(total), rel=1e-11)
    np.testing.assert_allclose(g.covariance(np.array(ts)), trunc, rtol=0, atol=1e-13 * g.variance)
    np.testing.assert_allclose(g.c[1:], np.arange(1, 65) ** (-s), rtol=1e-14)
    assert g.c[0] == 0.0


def test_grf_kmax_is_smallest_degree_meeting_tol():
    d, nu_t, tol = 3, 2.0, 1e-3
    g = GaussianRandomField(d, nu_t=nu_t, tol=tol)
    K = g.kmax
    s = 2 * nu_t + d - 1
    with mp.workdps(20):
        term = lambda k: mp.mpf(k) ** (-s) * (2 * k + 1)  # noqa: E731
        tail = mp.nsum(term, [K + 1, mp.inf], method='e')
        total = mp.fsum(term(mp.mpf(k)) for k in range(1, K + 1)) + tail
        assert tail <= tol * total < tail + term(mp.mpf(K))
    assert g.tail_fraction <= tol


def test_grf_empirical_covariance():
    d, R = 4, 20000
    rng = np.random.default_rng(2)
    X = uniform(5, d, 3)
    X[1] = X[0] + 0.05 * uniform(1, d, 4)[0]
    X[1] /= np.linalg.norm(X[1])
    g = GaussianRandomField(d, nu_t=0.75, kmax=128)
    F = g.sample(X, rng, size=R)
    assert F.shape == (R, 5)
    t = np.clip(X @ X.T, -1, 1)
    C = g.covariance(t)
    np.fill_diagonal(C, g.variance)
    est = F.T @ F / R
    se = np.sqrt((C ** 2 + np.outer(np.diag(C), np.diag(C))) / R)
    assert np.max(np.abs(est - C) / se) < 4.5
    assert abs(F.mean()) < 5 * math.sqrt(g.variance / R)


def test_grf_sampled_spectrum_finite_modes():
    """c with finitely many modes: exact projection (product rule) of each sample gives c_k chi^2_{N_k}:
    mean c_k N_k, variance 2 c_k^2 N_k. More points than modes -> a reported jitter."""
    c = np.array([0.3, 1.0, 0.5, 0.25, 0.1])
    X, w, th, ph = s2_quadrature(12)
    g = GaussianRandomField(3, c=c)
    R = 400
    with pytest.warns(JitterWarning, match="jitter"):
        F = g.sample(X, np.random.default_rng(5), size=R)
    assert 0 < g.last_jitter <= 1e-6 * g.variance
    pw = degree_power(F, X, w, th, ph, 6)
    for k in range(7):
        ck = c[k] if k < len(c) else 0.0
        mean = pw[:, k].mean()
        if ck == 0:
            assert mean < 1e-6
        else:
            se = math.sqrt(2 * ck ** 2 * (2 * k + 1) / R)
            assert abs(mean - ck * (2 * k + 1)) < 4.5 * se


def test_grf_sampled_spectrum_nu_t():
    d, nu_t = 3, 2.0
    X, w, th, ph = s2_quadrature(20)
    g = GaussianRandomField(d, nu_t=nu_t, kmax=60)
    R = 300
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitterWarning)      # the nugget makes it PD: no jitter
        F = g.sample(X, np.random.default_rng(6), size=R)
    assert g.last_jitter == 0.0
    pw = degree_power(F, X, w, th, ph, 6)
    assert pw[:, 0].mean() < 1e-6                            # c_0 = 0
    for k in range(1, 7):
        exp = k ** (-2 * nu_t - (d - 1)) * (2 * k + 1)
        se = pw[:, k].std() / math.sqrt(R)
        assert abs(pw[:, k].mean() - exp) < 4.5 * se + 1e-3 * exp, k


def test_grf_duplicates_and_reproducibility():
    X = uniform(6, 3, 0)
    X2 = np.vstack([X, X[2:3], X[0:1]])
    g = GaussianRandomField(3, nu_t=1.0, kmax=32)
    f = g.sample(X2, 9)
    assert f[6] == f[2] and f[7] == f[0]
    np.testing.assert_array_equal(g.sample(X2, 9), f)
    assert g.sample(np.empty((0, 3)), 1).shape == (0,)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(d=3), ValueError, "exactly one of nu_t"),
    (dict(d=3, nu_t=1.0, c=[1.0]), ValueError, "exactly one of nu_t"),
    (dict(d=3, nu_t=0.0), ValueError, "nu_t must be > 0"),
    (dict(d=3, nu_t=-1.0), ValueError, "nu_t must be > 0"),
    (dict(d=3, nu_t=float("inf")), ValueError, "nu_t must be finite"),
    (dict(d=3, c=[1.0, -0.1]), ValueError, "c must be >= 0"),
    (dict(d=3, c=[1.0, np.nan]), ValueError, "c contains NaN or inf"),
    (dict(d=3, c=[[1.0]]), ValueError, "c must be 1-D"),
    (dict(d=3, c=[]), ValueError, "at least one entry"),
    (dict(d=3, c=[0.0, 0.0]), ValueError, "positive entry"),
    (dict(d=3, nu_t=1.0, kmax=0), ValueError, "kmax must be >= 1"),
    (dict(d=3, nu_t=1.0, tol=0.0), ValueError, "tol must be > 0"),
    (dict(d=3, nu_t=1.0, tol=2.0), ValueError, "tol must be < 1"),
    (dict(d=2.5, nu_t=1.0), TypeError, "d must be an integer"),
])
def test_grf_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        GaussianRandomField(**kwargs)


def test_grf_bad_points():
    g = GaussianRandomField(3, nu_t=1.0, kmax=8)
    with pytest.raises(ValueError, match="on the unit sphere"):
        g.sample(2 * uniform(3, 3, 0))
    with pytest.raises(ValueError, match="but d = 3"):
        g.sample(uniform(3, 5, 0))
    with pytest.raises(TypeError, match="rng must be"):
        g.sample(uniform(3, 3, 0), rng="x")
    with pytest.raises(ValueError, match="size must be >= 1"):
        g.sample(uniform(3, 3, 0), size=0)


# ----------------------------------------------------------------------------------------------
# Constant
# ----------------------------------------------------------------------------------------------
def test_constant():
    X = uniform(5, 3, 0)
    np.testing.assert_array_equal(Constant(2.5).sample(X, 1), np.full(5, 2.5))
    np.testing.assert_array_equal(Constant()(X), np.ones(5))
    with pytest.raises(ValueError, match="value must be finite"):
        Constant(np.inf)
    with pytest.raises(ValueError, match="on the unit sphere"):
        Constant().sample(np.ones((2, 3)))
