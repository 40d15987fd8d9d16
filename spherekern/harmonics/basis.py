"""Real spherical harmonics on S^{d-1}: the basis ``Y_{k,l}`` at points (compiled, any d >= 2).

Construction, ordering and accuracy: the package docstring of :mod:`spherekern.harmonics`.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._validate import as_points, check_d, check_int
from ..sphere import harmonic_dim

__all__ = ["basis_size", "real_basis"]

_BLK = 16  # points per block in the basis kernel (one set of scratch tables per block)
_SQRT2 = math.sqrt(2.0)


# ----------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------
#: most entries real_basis allocates by itself (8 bytes each: 2 GiB)
_MAX_BASIS_ENTRIES = 2**28


def _acoef(kmax: int, d: int) -> np.ndarray:
    """a[mu2, n] = a_n^{(mu)} with mu2 = 2 mu, for mu2 = 0..2 kmax + d - 1 and n = 0..kmax + 1
    (entries that are never used, n = 0 or mu2 = 0, are set to 1)."""
    mu2 = np.arange(2 * kmax + d, dtype=np.float64)[:, None]
    n = np.arange(kmax + 2, dtype=np.float64)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.sqrt(n * (n + mu2 - 1.0) / ((2.0 * n + mu2) * (2.0 * n + mu2 - 2.0)))
    a[:, 0] = 1.0
    a[0, :] = 1.0
    return np.ascontiguousarray(a)


@nb.njit(cache=True, nogil=True)
def _assoc(t, s, kmax, lo, D, acoef, out):
    """out[k - lo, m] = Abar^{(D)}_{k,m}(t) for lo <= k <= kmax and 0 <= m <= k (D >= 3, s = sqrt(1 - t^2);
    entries m > k untouched): the whole table with lo = 0, the single row k = kmax with lo = kmax.

    Per order m, the diagonal Abar_{m,m} = prod_{j=1}^{m} sqrt((2j - 2 + D) / (2j - 3 + D)) s, then the
    three-term recurrence in the degree, Abar_{m+n+1,m} = (t Abar_{m+n,m} - a_n Abar_{m+n-1,m}) / a_{n+1}
    (a = acoef[2m + D - 2], Abar_{m-1,m} = 0); an underflowed diagonal zeroes that order and all higher ones.
    """
    diag = 1.0
    for m in range(kmax + 1):
        if m > 0:
            diag *= math.sqrt((2.0 * m - 2.0 + D) / (2.0 * m - 3.0 + D)) * s
        if diag == 0.0:
            for mm in range(m, kmax + 1):
                for kk in range(max(mm, lo), kmax + 1):
                    out[kk - lo, mm] = 0.0
            return
        if m >= lo:
            out[m - lo, m] = diag
        a = acoef[2 * m + D - 2]
        qm1 = 0.0
        q = diag
        for n in range(kmax - m):
            qn = (t * q - a[n] * qm1) / a[n + 1]
            qm1 = q
            q = qn
            if m + n + 1 >= lo:
                out[m + n + 1 - lo, m] = q


@nb.njit(cache=True, nogil=True)
def _azimuth(c, s, k, az):
    """az[0] = 1, az[2p-1] = sqrt2 cos(p phi), az[2p] = sqrt2 sin(p phi), p = 1..k (c, s = cos, sin phi)."""
    az[0] = 1.0
    cp = 1.0
    sp = 0.0
    for p in range(1, k + 1):
        cn = cp * c - sp * s
        sp = sp * c + cp * s
        cp = cn
        az[2 * p - 1] = _SQRT2 * cp
        az[2 * p] = _SQRT2 * sp


@nb.njit(cache=True, nogil=True)
def _coords(x, rr, tt, ss):
    """Hyperspherical coordinates of x (length d): tt[j], ss[j] for the polar levels j = 0..d-3,
    and (cos phi, sin phi) returned. Degenerate radii (0) give t = 1, s = 0, phi = 0."""
    d = x.shape[0]
    L = d - 2
    acc = x[0] * x[0]
    for c in range(1, d):
        acc += x[c] * x[c]
        rr[d - 1 - c] = math.sqrt(acc)  # r_j = |x[0 .. d-1-j]|, j = d-1-c
    for j in range(L):
        if rr[j] > 0.0:
            t = x[d - 1 - j] / rr[j]
            s = rr[j + 1] / rr[j]
            tt[j] = min(1.0, max(-1.0, t))
            ss[j] = min(1.0, s)
        else:
            tt[j] = 1.0
            ss[j] = 0.0
    if rr[L] > 0.0:
        return x[0] / rr[L], x[1] / rr[L]
    return 1.0, 0.0


@nb.njit(parallel=True, cache=True, nogil=True)
def _basis_kernel(X, k, acoef, out):
    """out[i, l] = Y_{k,l}(X[i] / |X[i]|) in the documented order (d >= 2)."""
    n, d = X.shape
    N = out.shape[1]
    L = d - 2
    nblk = (n + _BLK - 1) // _BLK
    for b in nb.prange(nblk):
        lo = b * _BLK
        hi = min(n, lo + _BLK)
        rr = np.empty(L + 1)
        tt = np.empty(max(L, 1))
        ss = np.empty(max(L, 1))
        az = np.empty(2 * k + 1)
        row0 = np.empty((1, k + 1))             # Abar_{k,m} at the first polar level, m = 0..k
        tri = np.empty((max(L - 1, 0), k + 1, k + 1))
        idx = np.zeros(max(L, 1), dtype=np.int64)
        for i in range(lo, hi):
            x = X[i]
            if L == 0:  # the circle
                r = math.sqrt(x[0] * x[0] + x[1] * x[1])
                c = 1.0
                s = 0.0
                if r > 0.0:
                    c = x[0] / r
                    s = x[1] / r
                _azimuth(c, s, k, az)
                if k == 0:
                    out[i, 0] = 1.0
                else:
                    out[i, 0] = az[2 * k - 1]
                    out[i, 1] = az[2 * k]
                continue
            c, s = _coords(x, rr, tt, ss)
            _assoc(tt[0], ss[0], k, k, d, acoef, row0)
            for j in range(1, L):
                _assoc(tt[j], ss[j], k, 0, d - j, acoef, tri[j - 1])
            _azimuth(c, s, k, az)
            # odometer over the chains k = idx[0] >= idx[1] >= ... >= idx[L-1] >= |m_L|, with the
            # signed last index as a counter cnt = 0, 1, 2, ... <-> m = 0, +1, -1, +2, -2, ...
            idx[0] = k
            for j in range(1, L):
                idx[j] = 0
            cnt = 0
            for l in range(N):
                mL = (cnt + 1) // 2
                if L == 1:
                    v = row0[0, mL]
                else:
                    v = row0[0, idx[1]]
                    for j in range(1, L - 1):
                        v *= tri[j - 1, idx[j], idx[j + 1]]
                    v *= tri[L - 2, idx[L - 1], mL]
                out[i, l] = v * az[cnt]
                if cnt < 2 * idx[L - 1]:
                    cnt += 1
                else:
                    p = L - 1
                    while p >= 1 and idx[p] == idx[p - 1]:
                        p -= 1
                    if p == 0:
                        break
                    idx[p] += 1
                    for j in range(p + 1, L):
                        idx[j] = 0
                    cnt = 0


@nb.njit(parallel=True, cache=True, nogil=True)
def _assoc_table_kernel(t, kmax, D, acoef, out):
    """out[i, k, m] = Abar^{(D)}_{k,m}(t[i]) for m <= k <= kmax (zeros above the diagonal)."""
    for i in nb.prange(t.shape[0]):
        ti = t[i]
        si = math.sqrt((1.0 - ti) * (1.0 + ti))
        out[i, :, :] = 0.0
        _assoc(ti, si, kmax, 0, D, acoef, out[i])


# ----------------------------------------------------------------------------------------------
# basis
# ----------------------------------------------------------------------------------------------
def basis_size(k, d) -> int:
    """N(k, d), the number of degree-k real spherical harmonics on S^{d-1} (``sphere.harmonic_dim``)."""
    d = check_d(d)
    k = check_int(k, "k", 0)
    return int(harmonic_dim(k, d))


def real_basis(X, k, out=None) -> np.ndarray:
    r"""Values of the real orthonormal degree-k spherical harmonics Y_{k,l} at the rows of X.

    ``E_x[Y_{k,l}(x) Y_{k',l'}(x)] = delta_{kk'} delta_{ll'}`` for the uniform probability measure on
    S^{d-1}, and ``sum_l Y_{k,l}(x) Y_{k,l}(y) = N(k, d) P_k(x.y)`` (addition theorem, P_k(1) = 1).
    Construction, coordinates and ordering of l: see the module docstring (hyperspherical
    coordinates with polar angles measured from x_d, x_{d-1}, ..., azimuth in the (x_1, x_2) plane;
    for d = 3, l = 0, 1, 2, ... is m = 0, +1, -1, +2, -2, ... with cos for m > 0, sin for m < 0,
    no Condon–Shortley phase).

    Parameters
    ----------
    X : array (n, d), rows on S^{d-1} (unit norm to ``config.SPHERE_TOL``). The harmonics are
        evaluated at ``X[i] / |X[i]|`` (the computation uses ratios of partial norms).
    k : int >= 0, the degree.
    out : optional float64 C-contiguous array (n, N(k, d)) to fill.

    Returns
    -------
    ndarray (n, N(k, d)), float64.

    Notes
    -----
    Cost per point: O((d - 2) k^2) for the associated-function tables plus O(d N(k, d)) for the
    products; N(k, d) grows like 2 k^{d-2} / (d-2)!, e.g. N(60, 8) = 1.7e8 (1.4 GB per point).

    Examples
    --------
    >>> Y = real_basis(np.array([[0.0, 0.0, 1.0]]), 1)   # d = 3: [sqrt3 z, sqrt3 x, sqrt3 y]
    """
    X0 = X
    X = as_points(X, "X")
    k = check_int(k, "k", 0)
    n, d = X.shape
    N = int(harmonic_dim(k, d))
    if out is None:
        if n * N > _MAX_BASIS_ENTRIES:
            raise ValueError(f"real_basis(X, k={k}): the output would have n N(k, d) = {n} * {N} = {n * N:.3g} "
                             f"entries ({8 * n * N / 2**30:.3g} GiB), more than {_MAX_BASIS_ENTRIES:.0e}")
        out = np.empty((n, N))
    else:
        from .._validate import check_no_overlap, check_out
        out = check_out(out, (n, N), np.float64)
        check_no_overlap(out, "out", X=X0)
    if n == 0:
        return out
    _basis_kernel(X, k, _acoef(k, d), out)
    return out
