"""Dot-product kernels on the sphere: the ReLU NTK, arc-cosine kernels, kernels from a spectrum.

A kernel here is a function ``phi`` of the dot product ``t = x . y`` of two points of the unit
sphere S^{d-1} (``d`` is the ambient dimension, docs/CONVENTIONS.md).  Every kernel object has

* ``kernel(t)``: ``phi(t)`` elementwise (``t`` in [-1, 1]; within ``T_TOL = 1e-12`` outside it is
  clipped, further out is a ``ValueError``);
* ``kernel.gram(X, Y=None, out=None, dtype=np.float64, device="cpu")``: the matrix
  ``K[i, j] = phi(X[i] . Y[j])``, computed by a compiled, cache-tiled, vectorised loop that
  writes straight into ``out`` (no n x m temporaries);
* ``kernel.spectrum(d, kmax)``: the Funk--Hecke eigenvalues ``mu_k``, k = 0..kmax, defined by
  ``phi(t) = sum_k mu_k N(k, d) P_k(t)``, equivalently ``mu_k = E[phi(x.y) P_k(x.y)]`` for x, y
  independent and uniform on S^{d-1} (probability measure, ``P_k(1) = 1``); the integral operator
  of ``phi(x.y)`` multiplies every degree-k spherical harmonic by ``mu_k``.

Normalisation (docs/CONVENTIONS.md).  With ``theta = arccos t``, the arc-cosine kernels of
Cho & Saul (2009) are

    kappa_n(t) = E_{w ~ N(0, I_d)}[relu(w.x)^n relu(w.y)^n] = J_n(theta) / (2 pi),
    J_0 = pi - theta,   J_1 = sin theta + (pi - theta) cos theta,
    J_n = (2n - 1) cos(theta) J_{n-1} + (n - 1)^2 sin^2(theta) J_{n-2}   (n >= 2),

(the recursion follows from ``J_n = 2^n n! int_{theta - pi/2}^{pi/2} cos^n(a) cos^n(a - theta) da``)
and the neural tangent kernel of ``f(x) = H^{-1/2} sum_h w_h relu(theta_h . x)``,
``theta_h ~ N(0, I_d)``, ``w_h ~ N(0, 1)``, both layers trained, in the infinite-width limit is

    Theta(t) = kappa_1(t) + t kappa_0(t) = (sqrt(1 - t^2) + 2 (pi - arccos t) t) / (2 pi),

so ``Theta(1) = 1`` (Jacot, Gabriel & Hongler 2018; neural-tangents ``Dense(W_std=1) >> Relu >>
Dense(W_std=1)`` without bias gives the same kernel up to their ``1/d`` input scaling).

Nearly coincident or antipodal points (``gram`` only).  The closed-form kernels are functions of the
angle ``theta = arccos t`` with square-root singularities at ``t = +-1`` (``kappa_0`` and the NTK have
``dphi/dt ~ 1 / (2 pi sin theta)``).  A computed dot product carries an absolute rounding error
``|dt| <= gamma ~ (d/4 + 3) u`` (u = 2^-53), so ``phi(fl(x . y))`` is off by ``~ gamma / (2 pi sin theta)``:
up to ~1e-8 for points 1e-8 apart, more than ``phi(1) - phi(t) ~ theta / (2 pi)``, the eigenvalue that such
a pair contributes to the Gram matrix (which then becomes indefinite in float64).  ``kernel(t)`` on a
bare ``t`` cannot do better (the digits are gone from ``t``), but ``gram`` can: for entries with
``|t| > 1 - s*``, ``s* = 2^-12``, it recomputes ``s = 1 - |t|`` from the coordinates as
``|x - y|^2 / 2`` (or ``|x + y|^2 / 2`` near ``t = -1``), a sum of squared differences with relative
error ~ (d + 2) u at any angle, and evaluates ``phi`` through ``h = 2 asin(sqrt(s / 2))`` (the angle to
the nearer of ``+-x``), ``cos theta = +-(1 - s)``, ``sin theta = sqrt(s (2 - s))``, ``pi - theta = pi - h``
or ``h``.  Every Gram entry of NTK and ArcCos(n) is then within a few ulp of ``phi`` at the exact angle
between the two (double-precision) points, down to exact duplicates (``phi(1)``), so ``phi(1) - phi(t)``
keeps its relative accuracy wherever ``phi(t)`` itself can represent it.  Choice of ``s*``: outside the
band (``sin theta >= sqrt(2 s*) ~ 0.022``) the first-order error of the dot-product route is at most
``gamma / (2 pi 0.022) ~ 7 gamma``, below 1e-14 for d <= 39 by the worst-case bound (and for far larger d
with the typical, random-walk, rounding), and the relative error of ``phi(1) - phi(t)`` is at most
``gamma / (2 s*) ~ 2e3 gamma``; the band holds a fraction ``~ 2 sqrt(2 s*) / pi ~ 1.4%`` of the pairs
of uniform points for d = 2 and ``~ (2 s*)^((d-1)/2)`` in general, so the second pass is rare except
for d = 2.  For unit x, y, ``|x - y|^2 / 2 = 1 - x . y`` exactly; for rows of norm ``1 + eps`` (allowed up
to 1e-6) the two routes differ by ``O(eps)`` in ``s``, which the dot-product route suffers everywhere
anyway.  ``FromSpectrum`` is a polynomial in ``t`` (no singularity) and uses ``t`` throughout.

Speed.  The Gram kernels compute a block of dot products into a thread-local buffer and map it
through a branch-free polynomial ``arccos`` (:mod:`spherekern._fastmath`, < 2 ulp), so LLVM
vectorises the whole inner loop, which also counts the entries in the band above; only row segments
holding one get a second (vectorised, chunked) pass.  The cost is within a small factor of the "floor",
the same loops writing the plain dot-product Gram (bench/bench_kernels.py).

References
----------
Y. Cho and L. K. Saul, "Kernel methods for deep learning", NeurIPS 2009.
A. Jacot, F. Gabriel and C. Hongler, "Neural tangent kernel", NeurIPS 2018.
A. Bietti and J. Mairal, "On the inductive bias of neural tangent kernels", NeurIPS 2019.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import _cuda
from . import _fastmath as fm
from ._validate import _float_dtype, as_array, as_points, as_t, check_d, check_device, check_int, check_kmax, check_out

__all__ = ["Kernel", "NTK", "ArcCos", "FromSpectrum", "MAX_DEGREE"]

#: rows of X per parallel task and columns of Y per inner block (the YT block, d x _BC, and the
#: row buffers stay in L1/L2)
_BR = 16
_BC = 256
#: FMA contraction only (no reassociation, no finite-math assumptions): more accurate, never less.
_FM = {"contract"}
_INV_2PI = 0.15915494309189535


# ----------------------------------------------------------------------------------------------
# numba kernels (private; the wrappers validate everything first)
# ----------------------------------------------------------------------------------------------
@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _dot_block(X, YT, i, j0, w, acc):
    """acc[j] = X[i] . Y[j0 + j] for j < w (YT is Y transposed, shape (d, m)).

    The sum over the d coordinates is taken four (then two, then one) at a time per pass over
    ``acc`` so that the buffer is loaded and stored d/4 times, not d times; the same fixed order for
    every (i, j).  Contiguous slices indexed from 0 let LLVM
    vectorise without gathers.
    """
    d = X.shape[1]
    k = 0
    if d >= 4:
        x0 = X[i, 0]
        x1 = X[i, 1]
        x2 = X[i, 2]
        x3 = X[i, 3]
        y0 = YT[0, j0:j0 + w]
        y1 = YT[1, j0:j0 + w]
        y2 = YT[2, j0:j0 + w]
        y3 = YT[3, j0:j0 + w]
        for j in range(w):
            acc[j] = (x0 * y0[j] + x1 * y1[j]) + (x2 * y2[j] + x3 * y3[j])
        k = 4
    else:
        x0 = X[i, 0]
        y0 = YT[0, j0:j0 + w]
        for j in range(w):
            acc[j] = x0 * y0[j]
        k = 1
    while k + 4 <= d:
        x0 = X[i, k]
        x1 = X[i, k + 1]
        x2 = X[i, k + 2]
        x3 = X[i, k + 3]
        y0 = YT[k, j0:j0 + w]
        y1 = YT[k + 1, j0:j0 + w]
        y2 = YT[k + 2, j0:j0 + w]
        y3 = YT[k + 3, j0:j0 + w]
        for j in range(w):
            acc[j] += (x0 * y0[j] + x1 * y1[j]) + (x2 * y2[j] + x3 * y3[j])
        k += 4
    if k + 2 <= d:
        x0 = X[i, k]
        x1 = X[i, k + 1]
        y0 = YT[k, j0:j0 + w]
        y1 = YT[k + 1, j0:j0 + w]
        for j in range(w):
            acc[j] += x0 * y0[j] + x1 * y1[j]
        k += 2
    if k < d:
        x0 = X[i, k]
        y0 = YT[k, j0:j0 + w]
        for j in range(w):
            acc[j] += x0 * y0[j]


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
#: the module docstring ("Nearly coincident or antipodal points") for the choice of the threshold.
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


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
class Kernel:
    """A dot-product kernel ``K(x, y) = phi(x . y)`` on the unit sphere S^{d-1}.

    Subclasses define ``_eval(t)`` (``t`` validated, clipped, 1-D float64), ``_gram_cpu(X, YT, out)``
    and ``spectrum(d, kmax)``.  See the module docstring for the conventions.
    """

    #: ambient dimension the kernel is tied to (``None``: any d)
    d = None

    def __call__(self, t):
        """phi(t), elementwise.

        Parameters
        ----------
        t : array_like
            Dot products in [-1, 1] (values within 1e-12 outside are clipped).

        Returns
        -------
        ndarray of float64, the shape of ``t`` (a numpy scalar for a scalar ``t``).

        Notes
        -----
        ``phi`` is evaluated to a few ulp at the given ``t``.  Near ``t = +-1`` a ``t`` obtained as a
        rounded dot product has already lost the digits of ``1 -+ t`` that the square-root singularity
        amplifies; :meth:`gram` recomputes them from the points (module docstring).
        """
        t = as_t(t, "t")
        flat = np.ascontiguousarray(t.reshape(-1))
        res = np.empty_like(flat)
        if flat.size:
            self._eval(flat, res)
        res = res.reshape(t.shape)
        return res[()] if res.ndim == 0 else res

    def gram(self, X, Y=None, out=None, dtype=np.float64, device="cpu"):
        """Gram matrix ``K[i, j] = phi(X[i] . Y[j])``.

        Parameters
        ----------
        X : array_like, shape (n, d)
            Points of S^{d-1} (rows of unit norm to within 1e-6; not renormalised).
        Y : array_like, shape (m, d), optional
            Second point set (default: ``X``, giving the symmetric n x n Gram matrix).
        out : ndarray, shape (n, m), optional
            Preallocated C-contiguous output of dtype ``dtype``; written in place and returned.  With
            ``device="cuda"`` it may also be a GPU array (numba device array, CuPy, PyTorch): the Gram
            matrix is then left on the GPU, with no copy to the host.
        dtype : {np.float64, np.float32}
            Output precision (the arithmetic is float64 in both cases).
        device : {"cpu", "cuda"}
            ``"cuda"`` runs the numba.cuda twin (:mod:`spherekern.kernels_cuda`); it raises
            ``RuntimeError`` when no CUDA device (or simulator) is available.

        Returns
        -------
        out : ndarray, shape (n, m)

        Notes
        -----
        Dot products are clipped to [-1, 1] before ``phi`` is applied.  The CPU kernel computes
        the entries of a block of 16 rows x 256 columns as dot products in a buffer, then maps
        them through ``phi`` with a vectorised, branch-free arccos.  When ``Y`` is ``X`` the result is
        symmetric up to rounding (an entry and its mirror may be computed by the vector body and the
        scalar remainder of the inner loop, which can differ in the last bit); symmetrise with
        ``(K + K.T) / 2`` if exact symmetry matters.  Near ``t = +-1`` the closed-form kernels
        (NTK, ArcCos) have square-root singularities, where ``phi`` of a rounded dot product would be
        off by up to ``~ sqrt(2 d u) / pi``; entries with ``|t| > 1 - 2^-12`` are therefore evaluated from
        the angle recomputed from the coordinates (``|x -+ y|^2 / 2``), accurate to a few ulp at any angle
        (module docstring), on the CPU and on the GPU.  ``kernel(t)`` cannot do this for a bare ``t``.
        """
        device = check_device(device)
        dt = _float_dtype(dtype, "dtype")
        X = as_points(X, "X", d=self.d)
        Y = X if Y is None else as_points(Y, "Y", d=X.shape[1])
        shape = (X.shape[0], Y.shape[0])
        if device == "cuda" and _cuda.is_device_array(out):
            out = _cuda.check_device_out(out, shape, dt, "out")
        elif out is None:
            out = np.empty(shape, dtype=dt)
        else:
            check_out(out, shape, dt, "out")
            if np.shares_memory(out, X) or np.shares_memory(out, Y):
                raise ValueError("out must not share memory with X or Y")
        if device == "cuda":
            _cuda.require_cuda()
            from . import kernels_cuda
            return kernels_cuda.gram(self, X, Y, out)
        if out.size:
            YT = np.ascontiguousarray(Y.T)
            self._gram_cpu(X, YT, out)
        return out

    def spectrum(self, d, kmax):  # pragma: no cover - abstract
        raise NotImplementedError

    def _eval(self, t, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def _gram_cpu(self, X, YT, out):  # pragma: no cover - abstract
        raise NotImplementedError


class NTK(Kernel):
    """Neural tangent kernel of the one-hidden-layer ReLU network (both layers trained).

    ``Theta(t) = kappa_1(t) + t kappa_0(t) = (sqrt(1 - t^2) + 2 (pi - arccos t) t) / (2 pi)``,
    the infinite-width limit of ``sum_p df/dp(x) df/dp(y)`` for
    ``f(x) = H^{-1/2} sum_h w_h relu(theta_h . x)``, ``theta_h ~ N(0, I_d)``, ``w_h ~ N(0, 1)``,
    x, y on the unit sphere; ``Theta(1) = 1``.  Eigenvalues decay as ``mu_k ~ k^{-d}``.

    References
    ----------
    Jacot, Gabriel & Hongler, NeurIPS 2018; Bietti & Mairal, NeurIPS 2019 (eq. for the ReLU NTK).
    """

    def __repr__(self):
        return "NTK()"

    def _eval(self, t, out):
        _map_closed(t, _NTK, 0, out)

    def _gram_cpu(self, X, YT, out):
        _gram_closed(X, YT, _NTK, 0, out)

    def spectrum(self, d, kmax):
        """Funk--Hecke eigenvalues mu_k, k = 0..kmax (closed form, :func:`spherekern.spectrum.ntk`).

        ``Theta(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[Theta(x.y) P_k(x.y)]`` (probability
        measure on S^{d-1}, ``P_k(1) = 1``).
        """
        from . import spectrum as _spectrum
        return _spectrum.ntk(check_d(d), check_kmax(kmax))


class ArcCos(Kernel):
    """Arc-cosine kernel of degree n (Cho & Saul 2009), normalised as an expectation.

    ``kappa_n(t) = E_{w ~ N(0, I_d)}[relu(w.x)^n relu(w.y)^n] = J_n(arccos t) / (2 pi)`` for unit
    x, y with ``t = x . y``: the random-features kernel of a ReLU^n network with Gaussian first
    layer.  ``J_0 = pi - theta``, ``J_1 = sin theta + (pi - theta) cos theta`` and, for n >= 2,
    ``J_n = (2n - 1) cos(theta) J_{n-1} + (n - 1)^2 sin^2(theta) J_{n-2}``.
    ``kappa_n(1) = (2n - 1)!! / 2``; eigenvalues decay as ``mu_k ~ k^{-(d + 2n)}``.

    Parameters
    ----------
    degree : int, 0 <= degree <= MAX_DEGREE
        ``MAX_DEGREE`` (150, derived in :func:`_max_degree`) is the largest n whose values stay finite in
        float64 (``kappa_n(1)`` is about ``1.9e306`` there); a larger degree is a ``ValueError``.

    Notes
    -----
    For ``t >= 0`` the recursion adds non-negative terms (relative error ~ n u).  For ``t < 0`` its terms
    have opposite signs and cancel catastrophically near ``t = -1`` (``kappa_n ~ phi^(2n+1)`` with
    ``phi = pi - theta``), as do the closed forms of n = 1, 2; there (``t < 0`` for n >= 3, ``t < -0.5`` for
    n = 2, ``t < -0.9`` for n = 1) ``kappa_n = n! / (2 pi) int_0^phi (cos v - cos phi)^n dv``, a
    non-negative integrand, is summed by Gauss--Legendre (``n // 2 + 10`` nodes, enough to < 1e-15 for
    n <= 150 and phi <= pi / 2; ``_kappa_pi``).  Measured
    against 600-digit values of the recursion (tests/test_kernels.py), t = +-(1 - 10^-k), k = 1..12, and a
    grid of t: relative error < 5e-15 for n <= 20 and < 3e-14 for n <= MAX_DEGREE, wherever ``kappa_n``
    is a normal float64.  ``gram`` takes ``phi`` near ``t = -1`` from the coordinates (module docstring).  The
    CUDA twin runs the same algorithm (the recursion above the threshold, the same integral code below it).
    """

    def __init__(self, degree):
        self.degree = check_int(degree, "degree", 0)
        if self.degree > MAX_DEGREE:
            raise ValueError(f"degree must be <= {MAX_DEGREE} (MAX_DEGREE: kappa_n(1) = (2n - 1)!! / 2 overflows "
                             f"float64 beyond it), got {self.degree}")

    def __repr__(self):
        return f"ArcCos({self.degree})"

    def _kind(self):
        return {0: _ARCCOS0, 1: _ARCCOS1, 2: _ARCCOS2}.get(self.degree, _ARCCOSN)

    def _eval(self, t, out):
        _map_closed(t, self._kind(), self.degree, out)

    def _gram_cpu(self, X, YT, out):
        _gram_closed(X, YT, self._kind(), self.degree, out)

    def spectrum(self, d, kmax):
        """Funk--Hecke eigenvalues mu_k, k = 0..kmax (closed form, :func:`spherekern.spectrum.arccos`).

        ``kappa_n(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[kappa_n(x.y) P_k(x.y)]`` (probability
        measure on S^{d-1}, ``P_k(1) = 1``).
        """
        from . import spectrum as _spectrum
        return _spectrum.arccos(check_d(d), check_kmax(kmax), self.degree)


class FromSpectrum(Kernel):
    """The dot-product kernel with given Funk--Hecke eigenvalues on S^{d-1}.

    ``phi(t) = sum_{k=0}^{K} mu_k N(k, d) P_k(t)`` with the Legendre polynomials of dimension d
    (``P_k(1) = 1``); then ``mu_k = E[phi(x.y) P_k(x.y)]``.
    It is positive semi-definite iff every ``mu_k >= 0`` (not required here).  The kernel lives
    on S^{d-1} for this ``d`` only: ``gram`` rejects points of another dimension.

    Parameters
    ----------
    mu : array_like, shape (K + 1,)
        Eigenvalues mu_0..mu_K (finite reals).
    d : int >= 2
        Ambient dimension.

    Notes
    -----
    ``kernel(t)`` evaluates the series by Clenshaw's recurrence for the P_k (3 flops per term).  For
    ``gram`` the constructor converts it once to the Chebyshev basis, ``phi = sum_m a_m T_m(t)``, with
    exact rational connection coefficients (error of the converted series <= 3.5 u sum_k |mu_k N(k, d)|
    uniformly on [-1, 1], u = 2^-53; see ``_legendre_to_chebyshev``), and splits it by parity:
    ``phi(t) = sum_k a_2k T_k(u) + t sum_k a_{2k+1} V_k(u)``, ``u = 2 t^2 - 1`` (``T_2k(t) = T_k(u)``,
    ``T_{2k+1}(t) = t V_k(u)``, V: Chebyshev polynomials of the third kind), each part with its
    trailing zeros trimmed: the NTK / ReLU spectra vanish at odd k >= 3, so their odd part is the single
    term ``a_1 t``.  Each part (K/2 terms) is summed vectorised across a block of entries, by Horner in
    ``u`` (1 FMA per term) when its monomial coefficients (exactly rounded from the Chebyshev ones) have
    an l1 norm at most twice that of the Chebyshev coefficients -- Horner's error bound
    ``~ K/2 u sum_i |m_i|`` is then within a factor 2 of Clenshaw's -- and otherwise by Chebyshev
    Clenshaw (2 flops per term; e.g. d = 2 with slowly decaying mu_k, where the monomial form of T_k
    grows like (1 + sqrt 2)^k).  Measured error against the series evaluated at 50 digits, K = 20,
    d = 2..30: < 4e-16 for the NTK and a dense decaying spectrum (phi(1) ~ 1-2), < 7e-16 sum_k |mu_k N(k, d)|
    for the flat mu_k N(k, d) = 1 (tests/test_kernels.py); see bench/bench_kernels.py
    for the factor over the dot-product floor.  The CUDA twin sums the Legendre series by Clenshaw.
    """

    def __init__(self, mu, d):
        self.d = check_d(d)
        mu = as_array(mu, "mu", ndim=1)
        if mu.size == 0:
            raise ValueError("mu must contain at least one eigenvalue (mu_0), got an empty array")
        self.mu = np.array(mu, copy=True)      # the kernel's own copy: the caller's mu stays writable and
        self.mu.setflags(write=False)          # later changes to it do not change the kernel
        mu = self.mu
        from .sphere import harmonic_dim
        try:
            N = np.asarray(harmonic_dim(np.arange(mu.size), self.d), dtype=np.float64)
        except OverflowError:
            raise ValueError(f"N(k, d) overflows float64 for k <= {mu.size - 1}, d = {self.d}: mu has too many "
                             "eigenvalues for this d") from None
        with np.errstate(over="ignore", invalid="ignore"):
            self.coef = np.ascontiguousarray(mu * N)
        if not np.all(np.isfinite(self.coef)):
            raise ValueError("mu_k N(k, d) overflows float64 for some k: mu has too many (or too large) "
                             "eigenvalues for this d")
        self._A, self._B = _rec_coeffs(mu.size - 1, self.d)
        ce, co = _parity_parts(_legendre_to_chebyshev(self.coef, self.d))
        self._horner = False
        if max(ce.size, co.size) <= _HORNER_MAX_LEN:
            me, mo = _monomials_u(ce, False), _monomials_u(co, True)
            if (np.sum(np.abs(me)) <= _HORNER_COND * np.sum(np.abs(ce))
                    and np.sum(np.abs(mo)) <= _HORNER_COND * np.sum(np.abs(co))):
                self._horner = True
                ce, co = me, mo
        if co.size > 1:                    # both parts summed in one fused pass: pad the shorter with zeros on top
            L = max(ce.size, co.size)
            ce, co = np.concatenate([ce, np.zeros(L - ce.size)]), np.concatenate([co, np.zeros(L - co.size)])
        self._ce, self._co = ce, co

    def __repr__(self):
        return f"FromSpectrum(mu=<{self.mu.size} values>, d={self.d})"

    def _eval(self, t, out):
        from .gegenbauer import _series_kernel
        _series_kernel(self.coef, t, float(self.d), out)

    def _gram_cpu(self, X, YT, out):
        _gram_cheb(X, YT, self._ce, self._co, self._horner, out)

    def spectrum(self, d, kmax):
        """mu_0..mu_kmax: the given eigenvalues, zero-padded or truncated to length kmax + 1.

        ``d`` must equal the kernel's dimension (the same phi has other eigenvalues in other d).
        """
        d = check_d(d)
        kmax = check_kmax(kmax)
        if d != self.d:
            raise ValueError(f"d = {d} but this FromSpectrum kernel is defined on S^(d-1) with d = {self.d}")
        res = np.zeros(kmax + 1)
        k = min(kmax + 1, self.mu.size)
        res[:k] = self.mu[:k]
        return res
