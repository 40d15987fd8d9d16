"""Gram matrix of the softplus image NTK (spherekern.dual_activation.ImageNTK) vs the dot-product floor and numpy.

Hot path ``imagentk_gram``: ImageNTK("softplus").gram on n = m = 2000 points of S^63 (D = 64, the digits), into a
preallocated float64 ``out`` (a BLAS dot product, then the ~790-term non-negative power series by blocked Horner).
Baselines: ``__floor`` is the plain dot-product Gram (np.dot into out); ``__numpy`` is numpy.polynomial's
polyval of the same coefficients on X @ X.T (what a user would write), on 500 points and compared per entry.
"""
import numpy as np
import pytest

from bench._data import sphere_points
from spherekern.dual_activation import ImageNTK

N, D, N_NUMPY = 2000, 64, 500


@pytest.fixture(scope="module")
def setup():
    X = sphere_points(N, D)
    k = ImageNTK("softplus")
    out = np.zeros((N, N))
    k.gram(X[:4])  # compile outside the timings
    return X, k, out


def test_imagentk_gram__project(benchmark, setup):
    X, k, out = setup
    benchmark.group = "imagentk_gram"
    benchmark.extra_info["entries"] = N * N
    benchmark(k.gram, X, out=out)


def test_imagentk_gram__floor(benchmark, setup):
    X, k, out = setup
    benchmark.group = "imagentk_gram"
    benchmark.extra_info["entries"] = N * N
    XT = np.ascontiguousarray(X.T)
    benchmark(np.dot, X, XT, out=out)


def test_imagentk_gram__numpy(benchmark, setup):
    X, k, _ = setup
    benchmark.group = "imagentk_gram"
    Xs = X[:N_NUMPY]
    benchmark.extra_info["entries"] = N_NUMPY * N_NUMPY
    benchmark(lambda: np.polynomial.polynomial.polyval(np.clip(Xs @ Xs.T, -1, 1), k.coef))
