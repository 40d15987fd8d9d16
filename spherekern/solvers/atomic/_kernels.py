"""Shared numba kernels of the atomic solver: ``relu(t)^power``, the feature matrix, the weighted sums
``sum_k w_k relu(z_i . c_k)^power`` (predictions and the certificate eta), small dot-product helpers and the
modified Gram-Schmidt step of the cell walk and the proof."""
from __future__ import annotations

import numba as nb
import numpy as np

from ._config import _BLOCK


@nb.njit(cache=True, inline="always")
def _act(t, power):
    if t <= 0.0:
        return 0.0
    if power == 1.0:
        return t
    if power == 2.0:
        return t * t
    return t ** power


@nb.njit(parallel=True, cache=True)
def _features_t(theta, X, power, out):
    """out[k, j] = relu(theta_k . x_j)^power  (one row per direction: the LP column)."""
    K, d = theta.shape
    n = X.shape[0]
    for k in nb.prange(K):
        for j in range(n):
            t = 0.0
            for a in range(d):
                t += theta[k, a] * X[j, a]
            out[k, j] = _act(t, power)


@nb.njit(parallel=True, cache=True)
def _weighted_sum(Z, C, w, power, out):
    """out[i] = sum_k w_k relu(z_i . c_k)^power, blocked over the rows of Z (parallel). Each block of rows is
    transposed to (d, block) and its dot products taken by :func:`_matvec_t` (inner loops over contiguous rows:
    SIMD, summed in the order of :func:`_row_dot`, the same values): measured 10-13x the row-by-row loop
    (d = 3..10)."""
    m, d = Z.shape
    K = C.shape[0]
    nblk = (m + _BLOCK - 1) // _BLOCK
    for b in nb.prange(nblk):
        lo = b * _BLOCK
        hi = min(m, lo + _BLOCK)
        nr = hi - lo
        ZT = np.empty((d, nr))
        for i in range(nr):
            for a in range(d):
                ZT[a, i] = Z[lo + i, a]
        acc = np.zeros(nr)
        t = np.empty(nr)
        for k in range(K):
            wk = w[k]
            if wk == 0.0:
                continue
            _matvec_t(ZT, C[k], t, nr)
            if power == 1.0:
                for i in range(nr):
                    acc[i] += wk * max(t[i], 0.0)
            else:
                for i in range(nr):
                    acc[i] += wk * _act(t[i], power)
        for i in range(nr):
            out[lo + i] = acc[i]


@nb.njit(cache=True)
def _dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@nb.njit(cache=True)
def _row_dot(X, j, b):
    s = 0.0
    for a in range(b.shape[0]):
        s += X[j, a] * b[a]
    return s


@nb.njit(cache=True)
def _matvec_t(XT, b, out, n):
    """out[:n] = X[:n] b from the transposed points XT (d, n): the inner loops run over contiguous j (SIMD), with
    the same summation order as :func:`_row_dot` (the same values)."""
    d = XT.shape[0]
    b0 = b[0]
    for j in range(n):
        out[j] = XT[0, j] * b0
    for a in range(1, d):
        ba = b[a]
        for j in range(n):
            out[j] += XT[a, j] * ba


def _features(theta, X, power):
    out = np.empty((theta.shape[0], X.shape[0]))
    if theta.shape[0]:
        _features_t(theta, X, float(power), out)
    return out


@nb.njit(cache=True, inline="always")
def _gs_step(Q, R, k, d):
    """Modified Gram-Schmidt step: row Q[k] (filled by the caller) minus its projections on the orthonormal rows
    Q[:k], the coefficients into R[:k, k]; returns the norm of what is left (Q[k] is not normalised)."""
    for i in range(k):
        r = 0.0
        for a in range(d):
            r += Q[i, a] * Q[k, a]
        R[i, k] = r
        for a in range(d):
            Q[k, a] -= r * Q[i, a]
    nrm = 0.0
    for a in range(d):
        nrm += Q[k, a] * Q[k, a]
    return np.sqrt(nrm)
