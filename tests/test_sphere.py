"""spherekern.sphere against closed forms, brute-force counts and mpmath."""
import itertools
import math

import mpmath
import numpy as np
import pytest

from spherekern import sphere


@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_uniform_unit_norm_and_isotropic(d):
    X = sphere.uniform(40000, d, rng=1)
    assert X.shape == (40000, d) and X.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-14)
    # E[x] = 0, E[x x^T] = I/d; Monte-Carlo tolerance ~ 5 / sqrt(n)
    assert np.abs(X.mean(0)).max() < 5 / math.sqrt(40000)
    assert np.abs(X.T @ X / len(X) - np.eye(d) / d).max() < 5 / math.sqrt(40000)


def test_uniform_law_of_dot_product_d3():
    # for d = 3, t = x.y is uniform on [-1, 1] (Archimedes): compare CDF with KS-style bound
    X = sphere.uniform(20000, 3, rng=2)
    t = np.sort(X[:, 2])
    ecdf = np.arange(1, len(t) + 1) / len(t)
    assert np.abs(ecdf - (t + 1) / 2).max() < 1.63 / math.sqrt(len(t)) * 1.5


def test_uniform_rng_forms_reproducible():
    a = sphere.uniform(5, 4, rng=7)
    b = sphere.uniform(5, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert sphere.uniform(0, 3).shape == (0, 3)


@pytest.mark.parametrize("d", [2, 3, 4, 7, 50])
def test_area_vs_mpmath(d):
    ref = 2 * mpmath.pi ** (mpmath.mpf(d) / 2) / mpmath.gamma(mpmath.mpf(d) / 2)
    assert sphere.area(d) == pytest.approx(float(ref), rel=1e-14)


def test_area_known_values():
    assert sphere.area(2) == pytest.approx(2 * math.pi)
    assert sphere.area(3) == pytest.approx(4 * math.pi)
    assert sphere.area(4) == pytest.approx(2 * math.pi ** 2)


def _brute_harmonic_dim(k, d):
    # count monomials of degree k minus monomials of degree k-2 (multiplication by |x|^2 is injective)
    def count(deg):
        if deg < 0:
            return 0
        return sum(1 for c in itertools.combinations_with_replacement(range(d), deg))
    return count(k) - count(k - 2)


@pytest.mark.parametrize("d", [2, 3, 4, 5, 6])
def test_harmonic_dim_brute_force(d):
    for k in range(0, 9):
        assert sphere.harmonic_dim(k, d) == _brute_harmonic_dim(k, d)


def test_harmonic_dim_closed_forms_and_vectorised():
    k = np.arange(0, 50)
    np.testing.assert_array_equal(sphere.harmonic_dim(k, 3), 2 * k + 1)
    np.testing.assert_array_equal(sphere.harmonic_dim(k, 2), np.where(k == 0, 1, 2))
    # (2k+d-2)/(k+d-2) * binom(k+d-2, k), exact rational arithmetic
    for d in (4, 10, 37):
        for kk in (1, 2, 17, 300):
            ref = (2 * kk + d - 2) * math.comb(kk + d - 2, kk) // (kk + d - 2)
            assert sphere.harmonic_dim(kk, d) == ref
    big = sphere.harmonic_dim(np.array([0, 1000]), 200)
    assert big.dtype == object and big[1] == (2000 + 198) * math.comb(1198, 1000) // 1198


def test_harmonic_dim_sum_identity():
    # sum_{k<=K} N(k,d) = dim of polynomials of degree <= K restricted to the sphere
    #                   = binom(K+d-1, d-1) + binom(K+d-2, d-1)
    for d in (3, 5, 8):
        for K in (0, 3, 10):
            tot = int(np.sum(sphere.harmonic_dim(np.arange(K + 1), d)))
            assert tot == math.comb(K + d - 1, d - 1) + math.comb(K + d - 2, d - 1)


@pytest.mark.parametrize("d", [2, 3, 4, 6, 10])
def test_fibonacci_deterministic_near_uniform(d):
    n = 4096
    X = sphere.fibonacci(n, d)
    np.testing.assert_array_equal(X, sphere.fibonacci(n, d))
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-14)
    # low discrepancy: first and second moments closer than an i.i.d. sample would typically be
    assert np.abs(X.mean(0)).max() < 2 / math.sqrt(n)
    assert np.abs(X.T @ X / n - np.eye(d) / d).max() < 2 / math.sqrt(n)


@pytest.mark.parametrize("bad, exc, match", [
    (dict(n=-1, d=3), ValueError, "n must be >= 0"),
    (dict(n=3, d=1), ValueError, "d must be >= 2"),
    (dict(n=3, d=2.5), TypeError, "d must be an integer"),
    (dict(n=3, d=3, rng="x"), TypeError, "rng must be"),
])
def test_uniform_bad_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        sphere.uniform(**bad)


def test_other_bad_input():
    with pytest.raises(ValueError, match="d must be >= 2"):
        sphere.area(1)
    with pytest.raises(ValueError, match="k must be >= 0"):
        sphere.harmonic_dim(np.array([1, -1]), 3)
    with pytest.raises(TypeError, match="k must be an integer"):
        sphere.harmonic_dim(np.array([1.5]), 3)
    with pytest.raises(ValueError, match="d must be >= 2"):
        sphere.fibonacci(10, 0)
