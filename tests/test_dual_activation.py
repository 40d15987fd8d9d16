"""spherekern.dual_activation: the image network's NTK vs mpmath quadrature, scipy, Monte-Carlo networks, arc-cosine."""
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit

from spherekern.dual_activation import ImageNTK, hermite_coefficients
from spherekern.kernels import ArcCos


def _sp(z, beta=5.0):
    return np.logaddexp(0.0, beta * z) / beta


def _gauss(f):
    """E[f(z)], z ~ N(0, 1), by scipy quad on the two half-lines."""
    g = lambda z: f(z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    return sum(integrate.quad(g, a, b, epsabs=0, epsrel=1e-13, limit=200)[0] for a, b in ((-np.inf, 0), (0, np.inf)))


def test_softplus_constant_and_theta1_vs_scipy():
    k = ImageNTK("softplus")
    c = 1.0 / math.sqrt(_gauss(lambda z: _sp(z) ** 2))
    assert abs(k.c - c) < 1e-14 * c
    e2 = _gauss(lambda z: (c * float(expit(5 * z))) ** 2)          # E[phi'^2]
    assert abs(k(1.0) - (1.0 + e2)) < 1e-13
    assert abs(ImageNTK("softplus", layers="output")(1.0) - 1.0) < 1e-13
    assert np.all(k.coef >= 0) and k.tail < 1e-15 * k(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("t", [-0.95, 0.4, 0.97])
def test_softplus_vs_mpmath_2d(t):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 15
    k = ImageNTK("softplus")
    c = mp.mpf(k.c)
    s = mp.sqrt(1 - mp.mpf(t) ** 2)
    phi = lambda z: c * mp.log1p(mp.exp(5 * z)) / 5 if z < 30 else c * (z + mp.log1p(mp.exp(-5 * z)) / 5)  # noqa: E731
    dphi = lambda z: c / (1 + mp.exp(-5 * z))  # noqa: E731
    rho = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731

    def inner(a):  # E[phi(a) phi(b) + t phi'(a) phi'(b) | a], b = t a + s w
        f = lambda w: (phi(a) * phi(t * a + s * w) + t * dphi(a) * dphi(t * a + s * w)) * rho(w)  # noqa: E731
        w0 = -t * a / s                                                 # the kink of phi(b) at b = 0
        return mp.quad(f, [-mp.inf, w0 - 1, w0, w0 + 1, mp.inf])
    ref = mp.quad(lambda a: inner(a) * rho(a), [-mp.inf, -1, 0, 1, mp.inf])
    assert abs(float(k(t)) - float(ref)) < 1e-12


@pytest.mark.parametrize("t", [-0.95, -0.3, 0.4, 0.97])
def test_softplus_vs_scipy_2d(t):
    """Fast twin of the mpmath test: nested scipy quad of the definition, b = t a + s w (kink of phi(b) split)."""
    k = ImageNTK("softplus")
    c, s = k.c, np.sqrt(1 - t * t)
    phi = lambda z: c * _sp(z)  # noqa: E731
    dphi = lambda z: c * expit(5 * z)  # noqa: E731
    rho = lambda z: np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)  # noqa: E731

    def inner(a):
        f = lambda w: (phi(a) * phi(t * a + s * w) + t * dphi(a) * dphi(t * a + s * w)) * rho(w)  # noqa: E731
        w0 = -t * a / s
        return sum(integrate.quad(f, lo, hi, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
                   for lo, hi in ((-np.inf, w0), (w0, np.inf)))
    ref = sum(integrate.quad(lambda a: inner(a) * rho(a), lo, hi, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
              for lo, hi in ((-np.inf, 0), (0, np.inf)))
    assert abs(float(k(t)) - ref) < 1e-11


@pytest.mark.slow  # tens of seconds on 2 cores: make slow
def test_relu_is_arccos():
    t = np.linspace(-1, 1, 201)
    k0, k1 = ArcCos(0)(t), ArcCos(1)(t)
    np.testing.assert_allclose(ImageNTK("relu")(t), k1 + t * k0, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(ImageNTK("relu", layers="output")(t), k1, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(ImageNTK("relu", layers="hidden")(t), t * k0, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("act", ["softplus", pytest.param("relu", marks=pytest.mark.slow)])
def test_vs_monte_carlo_network(act):
    """Empirical tangent kernel of a wide random net (1/h) sum_j [phi(a_j) phi(b_j) + beta_j^2 t phi'(a_j) phi'(b_j)]."""
    rng = np.random.default_rng(3)
    D, H = 10, 200_000
    U = rng.normal(size=(5, D))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    W = rng.normal(size=(H, D))
    beta = rng.normal(size=H)
    c = hermite_coefficients()[0] if act == "softplus" else 1.0
    Z = W @ U.T
    if act == "softplus":
        P, dP = c * _sp(Z), c / (1 + np.exp(-5 * Z))
    else:
        P, dP = np.maximum(Z, 0), (Z > 0).astype(float)
    k = ImageNTK(act)
    G = k.gram(U)
    for i in range(5):
        for j in range(i, 5):
            t = float(U[i] @ U[j])
            terms = P[:, i] * P[:, j] + beta ** 2 * t * dP[:, i] * dP[:, j]
            se = terms.std() / math.sqrt(H)
            assert abs(terms.mean() - G[i, j]) < 5 * se, (i, j)


@pytest.mark.slow  # tens of seconds on 2 cores: make slow
def test_gram_matches_eval_and_is_psd():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    for k in (ImageNTK("softplus"), ImageNTK("relu"), ImageNTK("softplus", layers="hidden")):
        G = k.gram(X)
        T = np.clip(X @ X.T, -1, 1)
        far = np.abs(T) < 1 - 2.0 ** -12     # ReLU: gram recomputes the angle near t = +-1 (kernels docstring)
        np.testing.assert_allclose(G[far], k(T[far]), rtol=1e-12, atol=1e-14)
        if k.activation == "softplus":       # smooth at t = 1: the plain dot product is used everywhere
            np.testing.assert_allclose(np.diag(G), k(np.diag(T)), rtol=1e-13)
        assert np.linalg.eigvalsh(0.5 * (G + G.T)).min() > -1e-12 * G.max()
        G32 = k.gram(X[:7], X[7:20], dtype=np.float32)
        np.testing.assert_allclose(G32, G[:7, 7:20], rtol=1e-6)


def test_spectrum_nonnegative_and_sums_to_theta1():
    from spherekern.sphere import harmonic_dim
    k = ImageNTK("softplus")
    d = 4
    mu = k.spectrum(d, 60)
    N = np.asarray(harmonic_dim(np.arange(61), d), float)
    assert np.all(mu > -1e-14)
    assert abs((mu * N).sum() - k(1.0)) < 1e-9      # Theta(1) = sum_k mu_k N(k, d); tail beyond k = 60 ~ 1e-12


def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        ImageNTK("tanh")
    with pytest.raises(ValueError, match="layers"):
        ImageNTK("relu", layers="first")
    with pytest.raises(ValueError, match="beta"):
        ImageNTK("softplus", beta=-1.0)
    with pytest.raises(TypeError, match="beta"):
        ImageNTK("softplus", beta="5")
    with pytest.raises(ValueError):
        ImageNTK("softplus")(1.5)
