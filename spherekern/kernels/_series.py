"""Compiled CPU loop of :class:`spherekern.kernels.FromSpectrum` and the conversions it needs.

``_gram_cheb`` sums a Legendre series of dimension d, converted once to the Chebyshev basis
(``_legendre_to_chebyshev``, exact rational connection coefficients) and split by parity
(``_parity_parts``), by vectorised Chebyshev Clenshaw or, when well conditioned, Horner in ``u = 2 t^2 - 1``
(``_monomials_u``).  ``_rec_coeffs`` gives the CUDA twin's Legendre recurrence.  Error bounds: the
docstring of :class:`spherekern.kernels.FromSpectrum`.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from .. import _fastmath as fm
from .base import _BC, _BR, _FM, _dot_block

@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _clenshaw_u_block(ub, w, c, b1, b2):
    """b1[j], b2[j] <- b_1, b_2 of Clenshaw's recurrence b_k = c_k + 2u b_{k+1} - b_{k+2} (k = K..1) for
    ``sum_k c[k] F_k(u_j)``, ``ub[j] = 2 u_j``; F = Chebyshev T (then S = c_0 + u b_1 - b_2) or V (third
    kind, S = c_0 + (2u - 1) b_1 - b_2), which share the recurrence F_{k+1} = 2u F_k - F_{k-1}.

    Two flops per term (``fma(2u, b_{k+1}, c_k - b_{k+2})``), eight (then four, then one) terms per pass
    over the buffers.
    """
    K = c.shape[0] - 1
    for j in range(w):
        b1[j] = 0.0
        b2[j] = 0.0
    k = K
    while k >= 8:
        c0, c1, c2, c3 = c[k], c[k - 1], c[k - 2], c[k - 3]
        c4, c5, c6, c7 = c[k - 4], c[k - 5], c[k - 6], c[k - 7]
        for j in range(w):
            v = ub[j]
            p1 = b1[j]
            p2 = b2[j]
            q0 = v * p1 + (c0 - p2)
            q1 = v * q0 + (c1 - p1)
            q2 = v * q1 + (c2 - q0)
            q3 = v * q2 + (c3 - q1)
            q4 = v * q3 + (c4 - q2)
            q5 = v * q4 + (c5 - q3)
            q6 = v * q5 + (c6 - q4)
            q7 = v * q6 + (c7 - q5)
            b2[j] = q6
            b1[j] = q7
        k -= 8
    while k >= 4:
        c0, c1, c2, c3 = c[k], c[k - 1], c[k - 2], c[k - 3]
        for j in range(w):
            v = ub[j]
            p1 = b1[j]
            p2 = b2[j]
            q0 = v * p1 + (c0 - p2)
            q1 = v * q0 + (c1 - p1)
            q2 = v * q1 + (c2 - q0)
            q3 = v * q2 + (c3 - q1)
            b2[j] = q2
            b1[j] = q3
        k -= 4
    while k >= 1:
        ck = c[k]
        for j in range(w):
            q = ub[j] * b1[j] + (ck - b2[j])
            b2[j] = b1[j]
            b1[j] = q
        k -= 1


@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _clenshaw_u2_block(ub, w, c, e, b1, b2, d1, d2):
    """_clenshaw_u_block for two series c, e of equal length at once (b for c, d for e): one pass over the
    buffers serves both (fewer loads of ub, two independent recurrences per entry)."""
    K = c.shape[0] - 1
    for j in range(w):
        b1[j] = 0.0
        b2[j] = 0.0
        d1[j] = 0.0
        d2[j] = 0.0
    k = K
    while k >= 4:
        c0, c1, c2, c3 = c[k], c[k - 1], c[k - 2], c[k - 3]
        e0, e1, e2, e3 = e[k], e[k - 1], e[k - 2], e[k - 3]
        for j in range(w):
            v = ub[j]
            p1 = b1[j]
            p2 = b2[j]
            r1 = d1[j]
            r2 = d2[j]
            q0 = v * p1 + (c0 - p2)
            s0 = v * r1 + (e0 - r2)
            q1 = v * q0 + (c1 - p1)
            s1 = v * s0 + (e1 - r1)
            q2 = v * q1 + (c2 - q0)
            s2 = v * s1 + (e2 - s0)
            q3 = v * q2 + (c3 - q1)
            s3 = v * s2 + (e3 - s1)
            b2[j] = q2
            b1[j] = q3
            d2[j] = s2
            d1[j] = s3
        k -= 4
    while k >= 1:
        ck = c[k]
        ek = e[k]
        for j in range(w):
            v = ub[j]
            q = v * b1[j] + (ck - b2[j])
            r = v * d1[j] + (ek - d2[j])
            b2[j] = b1[j]
            b1[j] = q
            d2[j] = d1[j]
            d1[j] = r
        k -= 1


@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _horner_u2_block(ub, w, c, e, hb, hd):
    """hb[j] <- sum_k c[k] u_j^k, hd[j] <- sum_k e[k] u_j^k (Horner, one FMA per term, four terms per pass;
    c and e of equal length; ub[j] = u_j)."""
    L = c.shape[0]
    cl = c[L - 1]
    el = e[L - 1]
    for j in range(w):
        hb[j] = cl
        hd[j] = el
    k = L - 2
    while k >= 3:
        c0, c1, c2, c3 = c[k], c[k - 1], c[k - 2], c[k - 3]
        e0, e1, e2, e3 = e[k], e[k - 1], e[k - 2], e[k - 3]
        for j in range(w):
            u = ub[j]
            x = hb[j]
            y = hd[j]
            x = x * u + c0
            y = y * u + e0
            x = x * u + c1
            y = y * u + e1
            x = x * u + c2
            y = y * u + e2
            x = x * u + c3
            y = y * u + e3
            hb[j] = x
            hd[j] = y
        k -= 4
    while k >= 0:
        c0 = c[k]
        e0 = e[k]
        for j in range(w):
            u = ub[j]
            hb[j] = hb[j] * u + c0
            hd[j] = hd[j] * u + e0
        k -= 1


@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _horner_u_block(ub, w, c, hb):
    """hb[j] <- sum_k c[k] u_j^k (Horner, one FMA per term, four terms per pass; ub[j] = u_j)."""
    L = c.shape[0]
    cl = c[L - 1]
    for j in range(w):
        hb[j] = cl
    k = L - 2
    while k >= 3:
        c0, c1, c2, c3 = c[k], c[k - 1], c[k - 2], c[k - 3]
        for j in range(w):
            u = ub[j]
            x = hb[j]
            x = x * u + c0
            x = x * u + c1
            x = x * u + c2
            x = x * u + c3
            hb[j] = x
        k -= 4
    while k >= 0:
        c0 = c[k]
        for j in range(w):
            hb[j] = hb[j] * ub[j] + c0
        k -= 1


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _gram_cheb(X, YT, ce, co, horner, out):
    """out[i, j] = E(u) + t O(u), t = clip(X[i] . Y[j]), u = 2 t^2 - 1 (FromSpectrum).

    ``horner`` False: E = sum_k ce[k] T_k(u), O = sum_k co[k] V_k(u) (the even and odd parts of a
    Chebyshev series in t) by Chebyshev Clenshaw; True: ce, co are the monomial coefficients of E and O
    in u, summed by Horner.  When co has more than one coefficient, ce and co have equal lengths.
    """
    n = X.shape[0]
    m = YT.shape[1]
    for b in nb.prange((n + _BR - 1) // _BR):
        acc = np.empty(_BC)
        ub = np.empty(_BC)
        b1 = np.empty(_BC)
        b2 = np.empty(_BC)
        d1 = np.empty(_BC)
        d2 = np.empty(_BC)
        ce0 = ce[0]
        co0 = co[0]
        for j0 in range(0, m, _BC):
            w = min(_BC, m - j0)
            for i in range(b * _BR, min(n, (b + 1) * _BR)):
                _dot_block(X, YT, i, j0, w, acc)
                o = out[i, j0:j0 + w]
                if horner:
                    for j in range(w):
                        t = fm.clip1(acc[j])
                        acc[j] = t
                        ub[j] = (2.0 * t) * t - 1.0            # one FMA: a single rounding
                    if co.shape[0] > 1:
                        _horner_u2_block(ub, w, ce, co, b1, d1)
                        for j in range(w):
                            o[j] = b1[j] + acc[j] * d1[j]
                    else:
                        _horner_u_block(ub, w, ce, b1)
                        for j in range(w):
                            o[j] = b1[j] + acc[j] * co0
                    continue
                for j in range(w):
                    t = fm.clip1(acc[j])
                    acc[j] = t
                    ub[j] = 2.0 * ((2.0 * t) * t - 1.0)        # 2u; 2 t^2 - 1 is one FMA: a single rounding
                if co.shape[0] > 1:
                    _clenshaw_u2_block(ub, w, ce, co, b1, b2, d1, d2)
                    for j in range(w):
                        v = ub[j]
                        e = ce0 + 0.5 * v * b1[j] - b2[j]
                        od = co0 + (v - 1.0) * d1[j] - d2[j]
                        o[j] = e + acc[j] * od
                else:
                    _clenshaw_u_block(ub, w, ce, b1, b2)
                    for j in range(w):
                        e = ce0 + 0.5 * ub[j] * b1[j] - b2[j]
                        o[j] = e + acc[j] * co0


def _rec_coeffs(kmax, d):
    """A[k], B[k] (k = 0..kmax+1) with P_{k+1} = A[k] t P_k - B[k] P_{k-1}, A[0] = 1, B[0] = 0 (the CUDA twin's
    Clenshaw recurrence for FromSpectrum)."""
    k = np.arange(kmax + 2, dtype=np.float64)
    A = np.ones(kmax + 2)
    B = np.zeros(kmax + 2)
    A[1:] = (2.0 * k[1:] + d - 2.0) / (k[1:] + d - 2.0)
    B[1:] = k[1:] / (k[1:] + d - 2.0)
    return A, B


def _legendre_to_chebyshev(coef, d):
    """a[0..K] with ``sum_k coef[k] P_k(t) = sum_m a[m] T_m(t)`` (P_k: Legendre of dimension d, P_k(1) = 1).

    For d = 2, P_k = T_k.  For d >= 3, with lam = (d - 2)/2 and g_j = (lam)_j / j!, the classical expansion
    ``C_k^lam(cos theta) = sum_{j=0}^{k} g_j g_{k-j} cos((k - 2j) theta)`` and ``C_k^lam(1) = (2 lam)_k / k!``
    give ``P_k = sum_{j < k/2} 2 r_kj T_{k-2j} (+ r_{k,k/2} T_0 for even k)``, ``r_kj = g_j g_{k-j} k! / (2 lam)_k``,
    all >= 0 with ``sum_m [T_m] P_k = P_k(1) = 1``.  g_j and (2 lam)_k / k! are exact rationals
    (fractions.Fraction), each rounded once to a double mantissa with a separate binary exponent (no
    overflow for large d), so every r_kj is correct to 2.5 u (u = 2^-53); each a[m] is then the exactly
    rounded (math.fsum) sum of the rounded products coef[k] r_km.  Hence, uniformly on [-1, 1],
    ``|sum_m a_m T_m(t) - sum_k coef_k P_k(t)| <= 3.5 u sum_k |coef_k|``.
    """
    K = coef.size - 1
    if d == 2 or K <= 1:
        return coef.copy()                               # P_0 = T_0, P_1 = T_1 for every d
    from fractions import Fraction
    lam = Fraction(d - 2, 2)

    def split(f):                                        # f > 0 -> (mantissa in [0.5, 2), exponent)
        e = f.numerator.bit_length() - f.denominator.bit_length()
        return float(f / 2 ** e) if e >= 0 else float(f * 2 ** (-e)), e

    g, G = [Fraction(1)], [Fraction(1)]
    for j in range(1, K + 1):
        g.append(g[-1] * (lam + j - 1) / j)
        G.append(G[-1] * (2 * lam + j - 1) / j)
    gm, ge = map(np.array, zip(*(split(f) for f in g)))
    Gm, Ge = map(np.array, zip(*(split(f) for f in G)))
    prod = np.zeros((K + 1, K + 1))                      # prod[m, k] = coef[k] [T_m] P_k  (O(K^2) memory)
    for k in range(K + 1):
        if coef[k] == 0.0:
            continue
        j = np.arange(k // 2 + 1)
        r = np.ldexp(gm[j] * gm[k - j] / Gm[k], ge[j] + ge[k - j] - Ge[k])
        mcol = k - 2 * j
        prod[mcol, k] = coef[k] * np.where(mcol > 0, 2.0 * r, r)
    return np.array([math.fsum(row) for row in prod])


def _parity_parts(a):
    """(ce, co): ``sum_m a_m T_m(t) = sum_k ce_k T_k(u) + t sum_k co_k V_k(u)``, u = 2 t^2 - 1.

    ``T_2k(t) = T_k(u)`` and ``T_{2k+1}(t) = t V_k(u)`` (V: Chebyshev polynomials of the third kind,
    ``V_k(cos phi) = cos((k + 1/2) phi) / cos(phi / 2)``).  Trailing zeros of each part are trimmed (e.g.
    the odd part of the NTK's series, mu_k = 0 for odd k >= 3, is the single term a_1 t); each keeps at
    least one coefficient.
    """
    def trim(c):
        nz = np.flatnonzero(c)
        return np.ascontiguousarray(c[:nz[-1] + 1] if nz.size else c[:1]) if c.size else np.zeros(1)

    return trim(a[0::2].copy()), trim(a[1::2].copy())


#: Horner in u is used for FromSpectrum.gram when each parity part's monomial coefficients have an l1 norm at
#: most this many times that of its Chebyshev coefficients (and the parts have at most _HORNER_MAX_LEN terms)
_HORNER_COND = 2.0
_HORNER_MAX_LEN = 40


def _monomials_u(c, third_kind):
    """m with ``sum_k c_k F_k(u) = sum_i m_i u^i``, F = T (Chebyshev, first kind) or V (third kind), each m_i
    the exactly rounded (math.fsum) sum of the products c_k [u^i] F_k, whose integer coefficients are exact
    (F_0 = 1, T_1 = u, V_1 = 2u - 1, F_{k+1} = 2u F_k - F_{k-1})."""
    L = c.size
    F = [[1], [-1, 2] if third_kind else [0, 1]][:L]
    while len(F) < L:
        a, b = F[-1], F[-2]
        F.append([(2 * a[i - 1] if i >= 1 else 0) - (b[i] if i < len(b) else 0) for i in range(len(a) + 1)])
    return np.array([math.fsum(float(c[k]) * F[k][i] for k in range(i, L) if i < len(F[k])) for i in range(L)])
