"""Geometry of the unit sphere S^{d-1} in R^d (``d`` is always the ambient dimension).

Functions
---------
uniform(n, d, rng)      i.i.d. points from the uniform probability measure sigma on S^{d-1}
fibonacci(n, d)         deterministic, near-uniform (low-discrepancy) point sets
area(d)                 surface area ``|S^{d-1}| = 2 pi^{d/2} / Gamma(d/2)``
harmonic_dim(k, d)      N(k, d), the dimension of the degree-k spherical harmonics

See docs/CONVENTIONS.md.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import ndtri

from ._validate import as_ndarray, as_rng, check_d, check_int


def uniform(n, d, rng=None) -> np.ndarray:
    """``n`` i.i.d. uniform points on S^{d-1}, as the rows of an (n, d) float64 array.

    Gaussian vectors normalised to unit length (Muller 1959), so the law is exactly the
    rotation-invariant probability measure.

    Parameters
    ----------
    n : int >= 0
    d : int >= 2, ambient dimension.
    rng : None, int seed or numpy.random.Generator
    """
    n = check_int(n, "n", 0)
    d = check_d(d)
    g = as_rng(rng).standard_normal((n, d))
    norms = np.sqrt(np.einsum("ij,ij->i", g, g))
    # a zero Gaussian vector has probability 0; guard anyway
    norms[norms == 0] = 1.0
    g /= norms[:, None]
    return g


def area(d) -> float:
    """Surface area of S^{d-1} ⊂ R^d: ``2 pi^{d/2} / Gamma(d/2)`` (e.g. area(2) = 2 pi, area(3) = 4 pi)."""
    d = check_d(d)
    return float(2.0 * math.pi ** (d / 2) / math.gamma(d / 2)) if d < 340 else \
        float(math.exp(math.log(2.0) + (d / 2) * math.log(math.pi) - math.lgamma(d / 2)))


def _ndim_scalar(k: int, d: int) -> int:
    if k == 0:
        return 1
    # N(k, d) = C(k+d-1, d-1) - C(k+d-3, d-1): harmonic polynomials = homogeneous of degree k minus |x|^2 * degree k-2
    return math.comb(k + d - 1, d - 1) - (math.comb(k + d - 3, d - 1) if k >= 2 else 0)


def harmonic_dim(k, d):
    """Dimension N(k, d) of the space of degree-k spherical harmonics on S^{d-1}.

    ``N(k, d) = (2k + d - 2)/(k + d - 2) * binom(k + d - 2, k)`` (N(0, d) = 1; N(k, 2) = 2 for k >= 1;
    N(k, 3) = 2k + 1), computed exactly in integer arithmetic as ``binom(k+d-1, d-1) - binom(k+d-3, d-1)``.

    Parameters
    ----------
    k : int or array of ints >= 0
    d : int >= 2

    Returns
    -------
    int for scalar ``k``; otherwise an int64 array of the shape of ``k``, or an object array of Python
    ints when a value does not fit in int64 (e.g. large k in high d).
    """
    d = check_d(d)
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        return _ndim_scalar(check_int(k, "k", 0), d)
    karr = as_ndarray(k, "k")
    if karr.dtype.kind not in "iu":
        raise TypeError(f"k must be an integer or an array of integers, got dtype {karr.dtype}")
    if karr.size and karr.min() < 0:
        raise ValueError(f"k must be >= 0, got min(k) = {karr.min()}")
    vals = [_ndim_scalar(int(kk), d) for kk in karr.ravel()]
    if not vals or max(vals) < 2**63:
        return np.array(vals, dtype=np.int64).reshape(karr.shape)
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out.reshape(karr.shape)


def _kronecker_alphas(dim: int) -> np.ndarray:
    """Generalised golden ratio R_dim sequence increments (Roberts 2018): phi_dim^-j, phi_dim the
    positive root of x^{dim+1} = x + 1."""
    x = 2.0
    for _ in range(100):
        x = (1.0 + x) ** (1.0 / (dim + 1))
    return (1.0 / x) ** np.arange(1, dim + 1)


def fibonacci(n, d) -> np.ndarray:
    """Deterministic near-uniform points on S^{d-1}, as rows of an (n, d) float64 array.

    * d = 2: the n equally spaced angles (2 pi (i + 1/2) / n).
    * d = 3: the Fibonacci (golden-angle) spiral, z_i = 1 - (2i + 1)/n, longitude i * 2 pi / phi^2.
    * d >= 4: the R_d low-discrepancy Kronecker sequence in [0, 1)^d (Roberts' generalised golden
      ratio) mapped through the Gaussian inverse CDF and normalised, which transports a
      low-discrepancy uniform sample to a near-uniform one on the sphere.

    The same (n, d) always gives the same points.
    """
    n = check_int(n, "n", 0)
    d = check_d(d)
    i = np.arange(n, dtype=np.float64)
    if d == 2:
        a = 2 * np.pi * (i + 0.5) / max(n, 1)
        return np.column_stack([np.cos(a), np.sin(a)])
    if d == 3:
        z = 1.0 - (2 * i + 1) / max(n, 1)
        r = np.sqrt(np.maximum(0.0, 1 - z * z))
        lon = i * (np.pi * (3.0 - np.sqrt(5.0)))
        return np.column_stack([r * np.cos(lon), r * np.sin(lon), z])
    u = (0.5 + np.outer(i + 1, _kronecker_alphas(d))) % 1.0
    g = ndtri(np.clip(u, 1e-16, 1 - 1e-16))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return g
