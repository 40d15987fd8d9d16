r"""Legendre polynomials of dimension d (normalised Gegenbauer polynomials) and their Gauss rule.

Convention (docs/CONVENTIONS.md): ``P_k(t) = C_k^{(d-2)/2}(t) / C_k^{(d-2)/2}(1)``, so ``P_k(1) = 1``;
for d = 2, ``P_k(t) = T_k(t) = cos(k arccos t)``; for d = 3 the Legendre polynomials. They are
orthogonal for the law of ``t = x.y`` (x, y independent uniform on S^{d-1}), whose density is
``w_d(t) = (1 - t^2)^{(d-3)/2} / B(1/2, (d-1)/2)``, with ``E[P_k P_l] = delta_kl / N(k, d)``.

Recurrence (DLMF 18.9.1 with the normalisation P_k(1) = 1), for d >= 2, k >= 1:

    (k + d - 2) P_{k+1}(t) = (2k + d - 2) t P_k(t) - k P_{k-1}(t),   P_0 = 1, P_1 = t.

Near t = +-1 the plain recurrence cancels (error 1.6e-12 at k = 2000 for d = 3, 2.4e-12 for d = 2), so
``table`` runs it in Reinsch's difference form on ``|t|`` (d >= 3) and uses cos(k arccos t) for d = 2.

Public functions
----------------
table(t, kmax, d, out=None)   P_0..P_kmax at the points t, shape (kmax + 1, len(t))
series(coef, t, d)            sum_k coef[k] P_k(t) by Clenshaw's algorithm
quadrature(m, d)              m-point Gauss rule for w_d (weights sum to 1), stable to m = 10^4+

Numba building blocks (for other kernels): ``_clenshaw(coef, t, d)`` (scalar) and
``_table_kernel(t, kmax, d, out)``.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np
from scipy.linalg import eigvalsh_tridiagonal

from . import _cuda
from ._validate import as_array, as_ndarray, as_t, check_d, check_device, check_int, check_kmax, check_out

_BLOCK = 256  # points per block in the table kernel (rows k-1, k-2 of a block stay in L1)


# ----------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------
@nb.njit(parallel=True, cache=True, nogil=True)
def _table_kernel(t, kmax, d, out):
    """Fill out[k, i] = P_k(t[i]) for k = 0..kmax (out has shape (kmax + 1, len(t)))."""
    n = t.shape[0]
    nblocks = (n + _BLOCK - 1) // _BLOCK
    if d == 2:
        for b in nb.prange(nblocks):
            lo = b * _BLOCK
            hi = min(n, lo + _BLOCK)
            for i in range(lo, hi):
                th = math.acos(t[i])
                for k in range(kmax + 1):
                    out[k, i] = math.cos(k * th)
        return
    # Reinsch's difference form on x = |t| (P_k(-x) = (-1)^k P_k(x)), with u = 1 - x exact for x >= 1/2:
    #   D_{k+1} = (k D_k - (2k+d-2) u P_k) / (k+d-2),  P_{k+1} = P_k + D_{k+1},  D_1 = -u.
    # Near t = +-1 the plain recurrence cancels (~1.6e-12 error at k = 2000, d = 3); this form does not.
    D = np.empty(n)
    U = np.empty(n)
    for b in nb.prange(nblocks):
        lo = b * _BLOCK
        hi = min(n, lo + _BLOCK)
        for i in range(lo, hi):
            x = abs(t[i])
            U[i] = 1.0 - x
            D[i] = -U[i]
            out[0, i] = 1.0
        if kmax >= 1:
            for i in range(lo, hi):
                out[1, i] = abs(t[i])
        for k in range(1, kmax):
            c1 = k / (k + d - 2.0)
            c2 = (2.0 * k + d - 2.0) / (k + d - 2.0)
            for i in range(lo, hi):
                dn = c1 * D[i] - c2 * U[i] * out[k, i]
                out[k + 1, i] = out[k, i] + dn
                D[i] = dn
        for k in range(1, kmax + 1, 2):
            for i in range(lo, hi):
                if t[i] < 0.0:
                    out[k, i] = -out[k, i]


@nb.njit(cache=True, nogil=True)
def _clenshaw(coef, t, d):
    """sum_k coef[k] P_k(t) for one t in [-1, 1] (Clenshaw, Numerical Recipes 5.4)."""
    K = coef.shape[0] - 1
    if K < 0:
        return 0.0
    b1 = 0.0
    b2 = 0.0
    for k in range(K, 0, -1):
        # b_k = c_k + A_k t b_{k+1} - B_{k+1} b_{k+2}
        ak = (2.0 * k + d - 2.0) / (k + d - 2.0)
        bk1 = (k + 1.0) / (k + d - 1.0)
        b0 = coef[k] + ak * t * b1 - bk1 * b2
        b2 = b1
        b1 = b0
    # S = c_0 P_0 + b_1 P_1 - B_1 P_0 b_2, with P_1 = t, B_1 = 1 / (d - 1)
    return coef[0] + t * b1 - b2 / (d - 1.0)


@nb.njit(parallel=True, cache=True, nogil=True)
def _series_kernel(coef, t, d, out):
    """Clenshaw over blocks of points: the inner loop runs over the points of a block (vectorised),
    with the recurrence coefficients computed once per degree."""
    n = t.shape[0]
    K = coef.shape[0] - 1
    nblocks = (n + _BLOCK - 1) // _BLOCK
    for b in nb.prange(nblocks):
        lo = b * _BLOCK
        hi = min(n, lo + _BLOCK)
        m = hi - lo
        b1 = np.zeros(m)
        b2 = np.zeros(m)
        for k in range(K, 0, -1):
            ak = (2.0 * k + d - 2.0) / (k + d - 2.0)
            bk1 = (k + 1.0) / (k + d - 1.0)
            ck = coef[k]
            for j in range(m):
                b0 = ck + ak * t[lo + j] * b1[j] - bk1 * b2[j]
                b2[j] = b1[j]
                b1[j] = b0
        for j in range(m):
            out[lo + j] = coef[0] + t[lo + j] * b1[j] - b2[j] / (d - 1.0)


@nb.njit(parallel=True, cache=True, nogil=True)
def _christoffel(x, offd, m, newton, w):
    """For each node x[i]: one Newton step on p_m (optionally) and the Christoffel weight
    w_i = 1 / sum_{k<m} p_k(x_i)^2 of the orthonormal polynomials p_k (p_0 = 1), with rescaling so
    nothing overflows in high dimension. offd[k-1] = a_k: t p_k = a_{k+1} p_{k+1} + a_k p_{k-1}."""
    for i in nb.prange(x.shape[0]):
        t = x[i]
        for it in range(newton + 1):
            pm1 = 0.0
            p = 1.0
            dpm1 = 0.0
            dp = 0.0
            s = 1.0          # sum of p_k^2, k = 0..current
            logscale = 0.0   # s_true = s * exp(logscale)
            for k in range(0, m):
                # p_{k+1} = (t p_k - a_k p_{k-1}) / a_{k+1}
                ak = offd[k - 1] if k >= 1 else 0.0
                ak1 = offd[k]
                pn = (t * p - ak * pm1) / ak1
                dpn = (p + t * dp - ak * dpm1) / ak1
                pm1 = p
                p = pn
                dpm1 = dp
                dp = dpn
                if k + 1 < m:
                    s += p * p
                if abs(p) > 1e100:
                    p *= 1e-100
                    pm1 *= 1e-100
                    dp *= 1e-100
                    dpm1 *= 1e-100
                    s *= 1e-200
                    logscale += 200.0 * math.log(10.0)
            if it < newton:
                t = t - p / dp          # p is now p_m (scaled), dp its derivative (same scale)
            else:
                w[i] = math.exp(-(math.log(s) + logscale))
        x[i] = t


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def table(t, kmax, d, out=None, device="cpu") -> np.ndarray:
    r"""Table of the Legendre polynomials of dimension d: ``out[k, i] = P_k(t[i])``, k = 0..kmax.

    ``P_k(t) = C_k^{(d-2)/2}(t) / C_k^{(d-2)/2}(1)`` (P_k(1) = 1; Chebyshev T_k for d = 2), computed by
    the three-term recurrence ``(k+d-2) P_{k+1} = (2k+d-2) t P_k - k P_{k-1}`` (d >= 3) or as
    ``cos(k arccos t)`` (d = 2), in a parallel numba kernel. Absolute error <= 1e-12 against mpmath
    for k <= 2000 (tests/test_gegenbauer.py).

    Parameters
    ----------
    t : array_like, 1-D, values in [-1, 1] (within 1e-12 outside is clipped)
    kmax : int >= 0
    d : int >= 2, ambient dimension of S^{d-1}
    out : optional float64 C-contiguous array of shape (kmax + 1, len(t)) to write into; with
        device="cuda" also a GPU array (numba device array, CuPy, PyTorch), which is then left on the GPU
    device : "cpu" (parallel numba) or "cuda" (the numba.cuda twin in gegenbauer_cuda; RuntimeError when no
        CUDA GPU is available)

    Returns
    -------
    ndarray of shape (kmax + 1, len(t))
    """
    d = check_d(d)
    kmax = check_kmax(kmax)
    device = check_device(device)
    t = as_ndarray(t, "t")
    if t.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {t.shape} (use t.ravel() and reshape the result)")
    t0 = t
    t = as_t(t)
    shape = (kmax + 1, t.shape[0])
    if device == "cuda" and _cuda.is_device_array(out):
        out = _cuda.check_device_out(out, shape, np.float64)
    elif out is None:
        out = np.empty(shape)
    else:
        check_out(out, shape, np.float64)
        from ._validate import check_no_overlap
        check_no_overlap(out, "out", t=t0)
    if device == "cuda":
        _cuda.require_cuda()
        from . import gegenbauer_cuda
        return gegenbauer_cuda.table(t, kmax, d, out)
    if t.shape[0]:
        _table_kernel(t, kmax, d, out)
    return out


def series(coef, t, d) -> np.ndarray:
    r"""Evaluate ``sum_{k=0}^{K} coef[k] P_k(t)`` by Clenshaw's recurrence.

    Parameters
    ----------
    coef : array_like, 1-D, finite (K + 1 coefficients; empty means the zero function)
    t : array_like of any shape, values in [-1, 1]
    d : int >= 2

    Returns
    -------
    ndarray of the shape of ``t``.

    Notes
    -----
    Backward-stable: the error is at most a small multiple of ``eps * sum_k |coef[k]|`` for d >= 3;
    for d = 2 (Chebyshev) it can grow like ``K * eps * sum |coef|`` near t = +-1.
    """
    d = check_d(d)
    coef = as_array(coef, "coef", ndim=1)
    tt = as_t(t)
    flat = np.ascontiguousarray(tt.ravel())
    out = np.zeros_like(flat)
    if flat.size and coef.size:
        _series_kernel(coef, flat, float(d), out)
    return out.reshape(tt.shape)


def _offdiag(m, d):
    """Off-diagonal of the Jacobi matrix of the orthonormal Gegenbauer polynomials, a_1..a_{m}.
    With lambda = (d-2)/2: a_k^2 = k (k + 2 lambda - 1) / (4 (k + lambda)(k + lambda - 1))."""
    lam = (d - 2) / 2.0
    k = np.arange(1, m + 1, dtype=np.float64)
    a2 = k * (k + 2 * lam - 1) / (4 * (k + lam) * (k + lam - 1)) if d != 2 else np.full(m, 0.25)
    if d == 2:
        a2[0] = 0.5
    return np.sqrt(a2)


#: largest m of :func:`quadrature` (m^2 = 1e10 recurrence steps, seconds)
MAX_QUADRATURE_NODES = 10**5


def quadrature(m, d):
    r"""Gauss rule for the law of ``t = x.y`` on S^{d-1}: nodes t_i and weights w_i, i = 1..m.

    ``sum_i w_i f(t_i) = E[f(x.y)] = int_{-1}^{1} f(t) (1-t^2)^{(d-3)/2} dt / B(1/2, (d-1)/2)``,
    exact for polynomials of degree <= 2m - 1; the weights sum to 1 (probability normalisation).

    d = 2 uses the closed-form Chebyshev–Gauss rule. Otherwise (Golub & Welsch 1969): nodes are the
    eigenvalues of the symmetric Jacobi matrix of the orthonormal polynomials (O(m^2) LAPACK ``sterf``),
    polished by one Newton step on p_m, and weights are Christoffel numbers ``1 / sum_{k<m} p_k(t_i)^2``
    evaluated with rescaling, so the rule stays accurate and positive for m up to 10^4 and d up to
    hundreds (where scipy.special.roots_jacobi returns NaN).

    Returns
    -------
    nodes : ndarray (m,), increasing, in (-1, 1)
    weights : ndarray (m,), positive, sum 1
    """
    m = check_int(m, "m", 1)
    d = check_d(d)
    if m > MAX_QUADRATURE_NODES:
        raise ValueError(f"m must be <= {MAX_QUADRATURE_NODES}: the Christoffel weights cost ~m^2 = {float(m) ** 2:.2g} "
                         f"recurrence steps (and the rule is validated up to m = 10^4), got m = {m}")
    if d == 2:
        i = np.arange(m, 0, -1, dtype=np.float64)
        return np.cos((2 * i - 1) * np.pi / (2 * m)), np.full(m, 1.0 / m)
    offd = _offdiag(m, d)
    if m == 1:
        x = np.zeros(1)
    else:
        x = eigvalsh_tridiagonal(np.zeros(m), offd[: m - 1])
    x = np.ascontiguousarray(x)
    x = 0.5 * (x - x[::-1])  # exact symmetry of the rule
    w = np.empty(m)
    _christoffel(x, offd, m, 1, w)
    x = 0.5 * (x - x[::-1])
    w = 0.5 * (w + w[::-1])
    w /= w.sum()
    return x, w
