"""Gram matrices of dot-product kernels: spherekern vs plain numpy vs the dot-product floor.

Hot paths (n = m = 8000 points of S^9, d = 10, into a preallocated float64 ``out``):

* ``ntk_gram``          NTK().gram
* ``arccos1_gram``      ArcCos(1).gram
* ``fromspectrum_gram`` FromSpectrum(mu, 10).gram with the NTK's eigenvalues mu_0..mu_20 (the series
  in the Chebyshev basis, split into even and odd parts in u = 2 t^2 - 1; the NTK's mu_k vanish at odd
  k >= 3, so the odd part is one term and 10 Horner steps remain)
* ``fromspectrum_dense_gram`` the same with a generic dense spectrum, every mu_k > 0 for k = 0..20 (no
  parity zeros: 10 + 10 steps), so that the table shows both cases

Baselines: ``__floor`` is the dot-product Gram written by exactly the same tiled loops
(spherekern.kernels._gram_dot: reading X and Y, writing out); ``__numpy`` is what a user would write
(X @ Y.T, clip, the formula with numpy's arccos; for FromSpectrum a scipy.special.eval_gegenbauer sum,
run on fewer points and compared per entry via extra_info["entries"]).
"""
import numpy as np
import pytest
from scipy.special import eval_gegenbauer

from bench._data import sphere_points
from spherekern.kernels import NTK, ArcCos, FromSpectrum, _gram_dot

N, D = 8000, 10
KMAX_SPEC = 20
N_SCIPY = 2000


@pytest.fixture(scope="module")
def points():
    return sphere_points(N, D)


@pytest.fixture(scope="module")
def out():
    o = np.empty((N, N))
    o.fill(0.0)  # touch the pages once, outside the timings
    return o


def _project(benchmark, group, kernel, X, out, rounds=5):
    kernel.gram(X[:20], out=np.empty((20, 20)))  # JIT warm-up (cached compile)
    benchmark.group = group
    benchmark.extra_info["entries"] = X.shape[0] * X.shape[0]
    benchmark.pedantic(kernel.gram, args=(X,), kwargs=dict(out=out), rounds=rounds, warmup_rounds=1)


def _floor(benchmark, group, X, out, rounds=5):
    YT = np.ascontiguousarray(X.T)
    _gram_dot(X[:20], YT[:, :20].copy(), np.empty((20, 20)))
    benchmark.group = group
    benchmark.extra_info["entries"] = X.shape[0] * X.shape[0]
    benchmark.pedantic(_gram_dot, args=(X, YT, out), rounds=rounds, warmup_rounds=1)


def _numpy_ntk(X, out):
    t = np.matmul(X, X.T, out=out)
    np.clip(t, -1.0, 1.0, out=t)
    s = np.sqrt((1.0 - t) * (1.0 + t))
    a = np.pi - np.arccos(t)
    out[...] = (s + 2.0 * a * t) / (2.0 * np.pi)
    return out


def _numpy_arccos1(X, out):
    t = np.matmul(X, X.T, out=out)
    np.clip(t, -1.0, 1.0, out=t)
    s = np.sqrt((1.0 - t) * (1.0 + t))
    a = np.pi - np.arccos(t)
    out[...] = (s + a * t) / (2.0 * np.pi)
    return out


def _scipy_series(X, mu, d):
    t = np.clip(X @ X.T, -1.0, 1.0)
    lam = (d - 2) / 2.0
    from spherekern.sphere import harmonic_dim
    N_k = harmonic_dim(np.arange(len(mu)), d)
    res = np.zeros_like(t)
    for k, m in enumerate(mu):
        res += m * N_k[k] * eval_gegenbauer(k, lam, t) / eval_gegenbauer(k, lam, 1.0)
    return res


# --- NTK -----------------------------------------------------------------------------------------
def test_ntk_gram__project(benchmark, points, out):
    _project(benchmark, "ntk_gram", NTK(), points, out)


def test_ntk_gram__floor(benchmark, points, out):
    _floor(benchmark, "ntk_gram", points, out)


def test_ntk_gram__numpy(benchmark, points, out):
    benchmark.group = "ntk_gram"
    benchmark.extra_info["entries"] = N * N
    benchmark.pedantic(_numpy_ntk, args=(points, out), rounds=2, warmup_rounds=0)


# --- arc-cosine kernel of degree 1 -----------------------------------------------------------------
def test_arccos1_gram__project(benchmark, points, out):
    _project(benchmark, "arccos1_gram", ArcCos(1), points, out)


def test_arccos1_gram__floor(benchmark, points, out):
    _floor(benchmark, "arccos1_gram", points, out)


def test_arccos1_gram__numpy(benchmark, points, out):
    benchmark.group = "arccos1_gram"
    benchmark.extra_info["entries"] = N * N
    benchmark.pedantic(_numpy_arccos1, args=(points, out), rounds=2, warmup_rounds=0)


# --- kernel from a spectrum (Clenshaw, kmax = 20) ----------------------------------------------------
def test_fromspectrum_gram__project(benchmark, points, out):
    kern = FromSpectrum(NTK().spectrum(D, KMAX_SPEC), D)
    benchmark.extra_info["kmax"] = KMAX_SPEC
    _project(benchmark, "fromspectrum_gram", kern, points, out, rounds=3)


def test_fromspectrum_gram__floor(benchmark, points, out):
    _floor(benchmark, "fromspectrum_gram", points, out)


def test_fromspectrum_gram__scipy(benchmark, points):
    mu = NTK().spectrum(D, KMAX_SPEC)
    X = points[:N_SCIPY]
    benchmark.group = "fromspectrum_gram"
    benchmark.extra_info["entries"] = N_SCIPY * N_SCIPY
    benchmark.extra_info["kmax"] = KMAX_SPEC
    benchmark.pedantic(_scipy_series, args=(X, mu, D), rounds=1, warmup_rounds=0)


# --- kernel from a generic dense spectrum (every mu_k > 0, kmax = 20) --------------------------------
def _dense_mu():
    k = np.arange(KMAX_SPEC + 1)
    return (1.0 + k) ** -(D + 1.0) * (1.3 + np.sin(k))


def test_fromspectrum_dense_gram__project(benchmark, points, out):
    kern = FromSpectrum(_dense_mu(), D)
    benchmark.extra_info["kmax"] = KMAX_SPEC
    _project(benchmark, "fromspectrum_dense_gram", kern, points, out, rounds=3)


def test_fromspectrum_dense_gram__floor(benchmark, points, out):
    _floor(benchmark, "fromspectrum_dense_gram", points, out)


def test_fromspectrum_dense_gram__scipy(benchmark, points):
    X = points[:N_SCIPY]
    benchmark.group = "fromspectrum_dense_gram"
    benchmark.extra_info["entries"] = N_SCIPY * N_SCIPY
    benchmark.extra_info["kmax"] = KMAX_SPEC
    benchmark.pedantic(_scipy_series, args=(X, _dense_mu(), D), rounds=1, warmup_rounds=0)
