"""Compiled CPU loops of the closed-form kernels (NTK, ArcCos): ``phi`` as a function of the angle.

``_gram_closed`` (Gram matrix) and ``_map_closed`` (``kernel(t)``) apply the NTK / arc-cosine closed forms,
the J_n recursion in the degree and, below ``_t_quad``, the cancellation-free integral ``_kappa_pi``; entries
of the Gram matrix with ``|t| > _T_NEAR`` take their angle from the coordinates (``_fix_near``).  The scalar
recursions ``_jn_angle`` and ``_kappa_pi_angle`` are plain Python, compiled here for the CPU and in
:mod:`spherekern.kernels_cuda` for the GPU.  Accuracy and the choice of the thresholds: the package docstring
of :mod:`spherekern.kernels` and :class:`spherekern.kernels.ArcCos`.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from .. import _fastmath as fm
from .base import _BC, _BR, _FM, _INV_2PI, _dot_block

@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _jn_block(acc, w, degree, s2, ja, jb):
    """acc[j] <- J_degree(arccos t_j) / (2 pi) for t_j = clip(acc[j]), degree >= 2 (buffers s2, ja, jb).

    The recursion is linear in (J_{n-1}, J_{n-2}), so J_0 / (2 pi) and J_1 / (2 pi) start it; the last
    step writes straight into acc.
    """
    for j in range(w):
        t = fm.clip1(acc[j])
        acc[j] = t
        s2[j] = (1.0 - t) * (1.0 + t)
        p = fm.acos(-t) * _INV_2PI                        # J_0 / (2 pi), pi - theta = arccos(-t)
        ja[j] = p
        jb[j] = math.sqrt(s2[j]) * _INV_2PI + p * t       # J_1 / (2 pi)
    for q in range(2, degree):
        c1 = 2.0 * q - 1.0
        c2 = (q - 1.0) * (q - 1.0)
        for j in range(w):
            jn = c1 * acc[j] * jb[j] + c2 * s2[j] * ja[j]
            ja[j] = jb[j]
            jb[j] = jn
    c1 = 2.0 * degree - 1.0
    c2 = (degree - 1.0) * (degree - 1.0)
    for j in range(w):
        acc[j] = c1 * acc[j] * jb[j] + c2 * s2[j] * ja[j]


#: what _gram_closed / _map_closed compute per entry
_DOT, _NTK, _ARCCOS0, _ARCCOS1, _ARCCOS2, _ARCCOSN = 0, 1, 2, 3, 4, 5

#: Gram entries with ``|x . y| > 1 - _S_NEAR`` are recomputed from the coordinates (``_fix_near``); see
#: the :mod:`spherekern.kernels` docstring ("Nearly coincident or antipodal points") for the choice of the threshold.
_S_NEAR = 2.0 ** -12
_T_NEAR = 1.0 - _S_NEAR          # exact in binary
_PI_HI = 3.141592653589793
_PI_LO = 1.2246467991473532e-16


def _jn_angle(c, sn, a, degree):
    """J_degree(theta) (Cho & Saul) from c = cos theta, sn = sin theta and a = pi - theta, by the recursion
    in the degree (J_0 = a, J_1 = sn + a c).  Plain Python, compiled for the CPU here (``_jn_cpu``) and as a
    CUDA device function in :mod:`spherekern.kernels_cuda`, so both targets run the same recursion."""
    if degree == 0:
        return a
    s2 = sn * sn
    ja = a
    jb = sn + a * c
    for q in range(2, degree + 1):
        jn = (2.0 * q - 1.0) * c * jb + (q - 1.0) * (q - 1.0) * s2 * ja
        ja = jb
        jb = jn
    return jb


_jn_cpu = nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)(_jn_angle)


@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _phi_angle(kind, degree, c, sn, a):
    """phi as a function of the angle theta, given c = cos theta, sn = sin theta and a = pi - theta."""
    if kind == _NTK:
        return (sn + 2.0 * a * c) * _INV_2PI
    if kind == _ARCCOS0:
        return a * _INV_2PI
    if kind == _ARCCOS1:
        return (sn + a * c) * _INV_2PI
    if kind == _ARCCOS2:
        return (3.0 * sn * c + a * (1.0 + 2.0 * c * c)) * _INV_2PI
    return _jn_cpu(c, sn, a, degree) * _INV_2PI         # _ARCCOSN


def _max_degree() -> int:
    """Largest n for which the recursion's values stay finite: every J_q(theta), q <= n, and each of its two
    terms is at most J_q(0) = pi (2q - 1)!!, so 2 pi (2n - 1)!! < DBL_MAX suffices (derived, not tabulated)."""
    lim = math.log(np.finfo(np.float64).max)
    n = 0
    while math.log(2 * math.pi) + math.lgamma(2 * n + 3) - (n + 1) * math.log(2) - math.lgamma(n + 2) < lim:
        n += 1
    return n


#: the largest degree ArcCos accepts (kappa_n(1) = (2n - 1)!! / 2 overflows float64 soon after)
MAX_DEGREE = _max_degree()


@nb.njit(cache=True, nogil=True)
def _gauss_legendre(m):
    """Gauss--Legendre nodes and weights on [-1, 1] (Newton on P_m from the Tricomi initial guesses)."""
    x = np.empty(m)
    w = np.empty(m)
    for i in range(m):
        z = math.cos(math.pi * (i + 0.75) / (m + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, z
            for k in range(2, m + 1):
                p0, p1 = p1, ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k
            dp = m * (z * p1 - p0) / (z * z - 1.0) if m > 1 else 1.0
            if m == 1:
                p1, dp = z, 1.0
            dz = p1 / dp
            z -= dz
            if abs(dz) <= 1e-17:
                break
        p0, p1 = 1.0, z
        for k in range(2, m + 1):
            p0, p1 = p1, ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k
        dp = m * (z * p1 - p0) / (z * z - 1.0) if m > 1 else 1.0
        x[i] = z
        w[i] = 2.0 / ((1.0 - z * z) * dp * dp)
    return x, w


def _t_quad(kind):
    """Below this t, ArcCos of this kind is evaluated by :func:`_kappa_pi` (the closed forms / the recursion
    cancel there: relative error of the closed form measured against 600-digit values: n = 1 3.5e-14 at
    t = -0.99, n = 2 1e-14 at t = -0.9, n = 3 4.6e-13 at t = -0.9; all < 5e-16 above the thresholds)."""
    if kind == _ARCCOS1:
        return -0.9
    if kind == _ARCCOS2:
        return -0.5
    if kind == _ARCCOSN:
        return 0.0
    return -2.0   # never


_t_quad_nb = nb.njit(cache=True)(_t_quad)


def _kappa_pi_angle(degree, phi, xg, wg):
    """kappa_n at the angle theta = pi - phi (0 <= phi <= pi / 2), without cancellation.

    With x = pi/2 - u in Cho & Saul's integral and the product formula for the sines,
    ``kappa_n = n! / (2 pi) int_0^phi (cos v - cos phi)^n dv``, a non-negative integrand.  Written as
    ``(1 - cos phi)^n g(v)^n`` with ``1 - cos phi = 2 sin^2(phi / 2)`` and
    ``g = sin((phi + v) / 2) sin((phi - v) / 2) / sin^2(phi / 2)`` in [0, 1] (no difference of nearby
    numbers anywhere), the prefactor ``n! (1 - cos phi)^n`` as a product of n factors ``k (1 - cos phi)``, and
    the integral by Gauss--Legendre (nodes xg, weights wg on [-1, 1]).  Relative error ~ (n + m) u.
    ``g^n`` by binary powering (what numba compiles ``g ** n`` to for an integer n).  Plain Python, compiled
    for the CPU here (``_kappa_pi``) and as a CUDA device function in :mod:`spherekern.kernels_cuda`.
    """
    if phi <= 0.0:
        return 0.0
    sh = math.sin(0.5 * phi)
    s2 = sh * sh
    acc = 0.0
    for i in range(xg.shape[0]):
        v = 0.5 * phi * (1.0 + xg[i])
        g = math.sin(0.5 * (phi + v)) * math.sin(0.5 * (phi - v)) / s2
        gn = 1.0
        e = degree
        while e > 0:
            if e & 1:
                gn *= g
            g *= g
            e >>= 1
        acc += wg[i] * gn
    pre = 1.0
    for k in range(1, degree + 1):    # n! (2 sin^2(phi/2))^n: factors <= k, at most ~n u; no intermediate
        pre *= k * (2.0 * s2)          # under/overflow (the running product is smallest near k = 1 / (2 s2))
    return pre * _INV_2PI * 0.5 * phi * acc


_kappa_pi = nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)(_kappa_pi_angle)


def _quad_nodes(degree):
    """Number of Gauss--Legendre nodes for :func:`_kappa_pi_angle` at this degree (shared by CPU and CUDA)."""
    return degree // 2 + 10


_quad_nodes_nb = nb.njit(cache=True)(_quad_nodes)


#: chunk of a row segment that _fix_near recomputes at once (vectorised) when it holds a near entry
_CH = 16


@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _fix_near(X, YT, i, j0, w, tb, kind, degree, o, sb, cb, nb_, ab, xg, wg):
    """o[j] <- phi(theta_j) for the entries of the block with |tb[j]| > _T_NEAR (tb: the dot products).

    theta_j from s = 1 - |t| recomputed as |x -+ y|^2 / 2 (a sum of squared differences over the d
    coordinates: relative error ~ (d + 2) u at any angle, where 1 - t has absolute error ~ d u); then
    h = 2 asin(sqrt(s / 2)) is the angle to the nearer of +-x, cos theta = +-(1 - s),
    sin theta = sqrt(s (2 - s)), pi - theta = pi - h (near t = 1) or h (near t = -1).
    The block is taken in chunks of _CH entries: a vectorised count first, and only a chunk holding a
    near entry is recomputed, all of it, by vectorised loops with selects; its far entries keep their
    value.  Buffers: sb, cb, nb_, ab (length >= _CH).
    """
    d = X.shape[1]
    for c0 in range(0, w, _CH):
        c1 = min(c0 + _CH, w)
        q = c1 - c0
        cnt = 0
        for j in range(c0, c1):
            cnt += abs(tb[j]) > _T_NEAR
        if cnt == 0:
            continue
        tc = tb[c0:c1]
        for j in range(q):
            cb[j] = 1.0 if tc[j] > 0.0 else -1.0       # sign of t: x - y near t = 1, x + y near t = -1
            sb[j] = 0.0
        for k in range(d):
            xk = X[i, k]
            yk = YT[k, j0 + c0:j0 + c1]
            for j in range(q):
                e = xk - cb[j] * yk[j]
                sb[j] += e * e
        for j in range(q):
            s = min(0.5 * sb[j], 0.5)                    # <= _S_NEAR + O(norm tolerance) for near entries
            h = 2.0 * fm.asin_small(math.sqrt(0.5 * s))
            pos = cb[j] > 0.0
            nb_[j] = math.sqrt(s * (2.0 - s))
            ab[j] = ((_PI_HI - h) + _PI_LO) if pos else h
            cb[j] = (1.0 - s) if pos else (s - 1.0)
        oc = o[c0:c1]
        if kind == _NTK:
            for j in range(q):
                v = (nb_[j] + 2.0 * ab[j] * cb[j]) * _INV_2PI
                oc[j] = v if abs(tc[j]) > _T_NEAR else oc[j]
        elif kind == _ARCCOS0:
            for j in range(q):
                v = ab[j] * _INV_2PI
                oc[j] = v if abs(tc[j]) > _T_NEAR else oc[j]
        elif kind == _ARCCOS1:
            for j in range(q):
                v = (nb_[j] + ab[j] * cb[j]) * _INV_2PI
                oc[j] = v if abs(tc[j]) > _T_NEAR else oc[j]
        elif kind == _ARCCOS2:
            for j in range(q):
                c = cb[j]
                v = (3.0 * nb_[j] * c + ab[j] * (1.0 + 2.0 * c * c)) * _INV_2PI
                oc[j] = v if abs(tc[j]) > _T_NEAR else oc[j]
        else:
            for j in range(q):
                if abs(tc[j]) > _T_NEAR:
                    oc[j] = _phi_angle(kind, degree, cb[j], nb_[j], ab[j])
        if kind == _ARCCOS1 or kind == _ARCCOS2 or kind == _ARCCOSN:
            for j in range(q):      # near t = -1: the cancellation-free integral in phi = pi - theta = h
                if abs(tc[j]) > _T_NEAR and tc[j] < 0.0:
                    oc[j] = _kappa_pi(degree, ab[j], xg, wg)


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _gram_closed(X, YT, kind, degree, out):
    """out[i, j] = phi(X[i] . Y[j]) for the closed-form kernels (YT = Y transposed).

    ``kind``: _DOT (the floor: no phi, no clip), _NTK, _ARCCOS0/1/2 (closed forms), _ARCCOSN (``degree``
    >= 3, by the recursion in the degree).
    One compiled function for all of them (the branch is taken once per 256-entry row segment);
    the floor therefore runs exactly the loops of the kernels.  phi is applied to the clipped dot
    product in a vectorised loop that also counts the entries with |t| > _T_NEAR; a row segment with
    any such entry is scanned a second time and those entries are recomputed by ``_fix_near``.
    """
    n = X.shape[0]
    m = YT.shape[1]
    tq = _t_quad_nb(kind)
    xg, wg = _gauss_legendre(_quad_nodes_nb(degree) if tq > -2.0 else 1)
    for b in nb.prange((n + _BR - 1) // _BR):
        acc = np.empty(_BC)
        s2 = np.empty(_BC)
        ja = np.empty(_BC)
        jb = np.empty(_BC)
        tb = np.empty(_BC)
        sb = np.empty(_CH)
        cb = np.empty(_CH)
        nb_ = np.empty(_CH)
        ab = np.empty(_CH)
        for j0 in range(0, m, _BC):
            w = min(_BC, m - j0)
            for i in range(b * _BR, min(n, (b + 1) * _BR)):
                _dot_block(X, YT, i, j0, w, acc)
                o = out[i, j0:j0 + w]
                nnear = 0
                if kind == _NTK:
                    for j in range(w):
                        t = acc[j]
                        o[j] = fm.ntk(fm.clip1(t))
                        nnear += abs(t) > _T_NEAR
                elif kind == _ARCCOS1:
                    for j in range(w):
                        t = acc[j]
                        o[j] = fm.arccos1(fm.clip1(t))
                        nnear += abs(t) > _T_NEAR
                elif kind == _ARCCOS0:
                    for j in range(w):
                        t = acc[j]
                        o[j] = fm.arccos0(fm.clip1(t))
                        nnear += abs(t) > _T_NEAR
                elif kind == _ARCCOS2:
                    for j in range(w):
                        t = acc[j]
                        o[j] = fm.arccos2(fm.clip1(t))
                        nnear += abs(t) > _T_NEAR
                elif kind == _ARCCOSN:
                    for j in range(w):
                        t = acc[j]
                        tb[j] = t
                        nnear += abs(t) > _T_NEAR
                    _jn_block(acc, w, degree, s2, ja, jb)
                    for j in range(w):
                        o[j] = acc[j]
                else:
                    for j in range(w):
                        o[j] = acc[j]
                tsrc = tb if kind == _ARCCOSN else acc
                nneg = 0
                for j in range(w):
                    nneg += tsrc[j] < tq
                if nneg > 0:    # the cancellation-free form below t_quad (phi = arccos(-t) from t)
                    for j in range(w):
                        t = tsrc[j]
                        if t < tq and t >= -_T_NEAR:
                            o[j] = _kappa_pi(degree, math.acos(-t), xg, wg)
                if nnear > 0:
                    _fix_near(X, YT, i, j0, w, tsrc, kind, degree, o, sb, cb, nb_, ab, xg, wg)


def _gram_dot(X, YT, out):
    """The floor: out = X @ YT with exactly the loops (and compiled function) of the Gram kernels."""
    _gram_closed(X, YT, _DOT, 0, out)


@nb.njit(parallel=True, cache=True, nogil=True)
def _map_closed(t, kind, degree, out):
    """out[i] = phi(t[i]) (t validated and clipped), phi as in _gram_closed."""
    n = t.shape[0]
    tq = _t_quad_nb(kind)
    xg, wg = _gauss_legendre(_quad_nodes_nb(degree) if tq > -2.0 else 1)
    for b in nb.prange((n + _BC - 1) // _BC):
        s2 = np.empty(_BC)
        ja = np.empty(_BC)
        jb = np.empty(_BC)
        acc = np.empty(_BC)
        lo = b * _BC
        w = min(_BC, n - lo)
        for j in range(w):
            acc[j] = t[lo + j]
        if kind == _NTK:
            for j in range(w):
                out[lo + j] = fm.ntk(acc[j])
        elif kind == _ARCCOS0:
            for j in range(w):
                out[lo + j] = fm.arccos0(acc[j])
        elif kind == _ARCCOS1:
            for j in range(w):
                out[lo + j] = fm.arccos1(acc[j])
        elif kind == _ARCCOS2:
            for j in range(w):
                out[lo + j] = fm.arccos2(acc[j])
        else:
            _jn_block(acc, w, degree, s2, ja, jb)
            for j in range(w):
                out[lo + j] = acc[j]
        for j in range(w):
            tj = fm.clip1(t[lo + j])
            if tj < tq:
                out[lo + j] = _kappa_pi(degree, math.acos(-tj), xg, wg)
