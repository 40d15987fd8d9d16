"""The exact bound of eta over a cap cut by a few hyperplanes (power 1), for :mod:`.proof`.

On a cap ``{theta in S^{d-1}: c . theta >= cos r}`` cut by the hyperplanes of k points ``x_j`` (their sign of
``theta . x_j`` changes inside the cap) and with every other point's sign fixed, the certificate with power 1 is
linear on each of the 2^k sign regions: ``eta(theta) = theta . w_S`` on
``R_S = {s_j x_j . theta >= 0}``, ``w_S = v + sum_{j: s_j = +1} p_j x_j`` (``v`` the always-active part). So

    max_cap eta = max_S  max { w_S . theta : theta in cap, s_j x_j . theta >= 0 },

and each inner problem is bounded by Lagrangian (weak) duality over the ball, which contains the cap:
for every ``nu >= 0`` and ``lam >= 0``

    max { w . theta : |theta| <= 1, c . theta >= cos r, g_j . theta >= 0 }
        <= F(nu, lam) = |w + nu c + sum_j lam_j g_j| - nu cos r,          g_j = s_j x_j,

because the bracket is at least ``w . theta`` on the feasible set and ``max_{|theta| <= 1} u . theta = |u|``.
*Any* non-negative multipliers give a valid bound, so no optimisation needs to be exact: candidates come from
the KKT conditions of each active set A (a subset of the hyperplanes, with or without the rim
``c . theta = cos r``, at most d - 1 in all): with P the projector onto ``span{g_j: j in A}^perp``,

* without the rim: ``theta = P w / |P w|``, ``nu = 0``, ``F = |P w|``;
* with the rim: ``theta = alpha c_h + s w_perp / |w_perp|`` (``c_h = P c / |P c|``, ``alpha = cos r / |P c|``,
  ``s = sqrt(1 - alpha^2)``, ``w_perp`` the part of ``P w`` orthogonal to ``c_h``), ``mu = |w_perp| / s``,
  ``nu = (mu alpha - c_h . w) / |P c|``;

and ``lam`` solves ``G_A lam = -(I - P)(w + nu c)`` (Gram–Schmidt of the ``g_j``, back substitution); negative
multipliers are clipped to 0 (still a valid bound, then not the tight one). The least F over the candidates
is the bound of the region; when the region's maximum is positive it is attained on the sphere (the feasible set
is a cone cut by a half-space not containing 0, so ``theta / |theta|`` is feasible with a larger value), so by
strong duality (Slater) the bound is *exact*: the cap's bound equals ``max_cap |eta|`` and caps around an atom
(where d - 1 hyperplanes meet and ``|eta| = 1``) are pruned as soon as no other hyperplane cuts them, instead of
being refined at O(r) looseness down to the tolerance.

Rounding: each candidate's F is computed in float64 and inflated by ``8 (d + k + 2) eps`` times the sum of the
magnitudes it adds (``|w| + nu (1 + cos r) + sum lam_j |x_j| + |u|``), so that a large rim multiplier (tiny
caps) cannot cancel catastrophically below the true value.
"""
from __future__ import annotations

import math

import numba as nb

from ._kernels import _gs_step

_EPS = 2.220446049250313e-16


@nb.njit(cache=True)
def _candidate(c, cr, w, G, sg, sel, nsel, lid, d, Q, R, tmp):
    """The bound F(nu, lam) (with its rounding term) for the KKT multipliers of the active set: rows sel[:nsel]
    of G signed by sg, and the rim when lid. Returns inf for a degenerate set (dependent normals, rim not met)."""
    inf = math.inf
    for a in range(nsel):
        j = sel[a]
        gn = 0.0
        for i in range(d):
            Q[a, i] = sg[j] * G[j, i]
            gn += G[j, i] * G[j, i]
        nrm = _gs_step(Q, R, a, d)
        if not nrm > 1e-9 * math.sqrt(gn):
            return inf
        R[a, a] = nrm
        for i in range(d):
            Q[a, i] /= nrm
    wP = tmp[0]
    cP = tmp[1]
    qw = tmp[2]
    qc = tmp[3]
    lam = tmp[4]
    u = tmp[5]
    for i in range(d):
        wP[i] = w[i]
        cP[i] = c[i]
    for b in range(nsel):
        sw = 0.0
        sc = 0.0
        for i in range(d):
            sw += Q[b, i] * w[i]
            sc += Q[b, i] * c[i]
        qw[b] = sw
        qc[b] = sc
        for i in range(d):
            wP[i] -= sw * Q[b, i]
            cP[i] -= sc * Q[b, i]
    nu = 0.0
    if lid:
        ncp = 0.0
        for i in range(d):
            ncp += cP[i] * cP[i]
        ncp = math.sqrt(ncp)
        if not ncp > cr:
            return inf
        a = 0.0
        for i in range(d):
            a += wP[i] * cP[i]
        a /= ncp
        nwp = 0.0
        for i in range(d):
            e = wP[i] - a * cP[i] / ncp
            nwp += e * e
        nwp = math.sqrt(nwp)
        alpha = cr / ncp
        s = math.sqrt(max(0.0, 1.0 - alpha * alpha))
        if not (s > 0.0 and nwp > 0.0):
            return inf
        mu = nwp / s
        nu = max(0.0, (mu * alpha - a) / ncp)
    # R lam = -(qw + nu qc), upper triangular
    for b in range(nsel - 1, -1, -1):
        r = -(qw[b] + nu * qc[b])
        for a2 in range(b + 1, nsel):
            r -= R[b, a2] * lam[a2]
        lam[b] = r / R[b, b]
    mag = 0.0
    for i in range(d):
        u[i] = w[i] + nu * c[i]
        mag += w[i] * w[i]
    mag = math.sqrt(mag) + nu * (1.0 + cr)
    for a in range(nsel):
        la = max(0.0, lam[a])
        lam[a] = la
        j = sel[a]
        gn = 0.0
        for i in range(d):
            u[i] += la * sg[j] * G[j, i]
            gn += G[j, i] * G[j, i]
        mag += la * math.sqrt(gn)
    nu2 = 0.0
    for i in range(d):
        nu2 += u[i] * u[i]
    nu2 = math.sqrt(nu2)
    F = nu2 - nu * cr
    return F + 8.0 * (d + nsel + 2) * _EPS * (mag + nu2)


@nb.njit(cache=True, inline="always")
def cap_max(a, b, cr, sr):
    """max over the cap (cos r = cr, sin r = sr) of theta . w, from a = c . w and b = |w - a c| >= 0."""
    if b * cr <= a * sr:
        return math.sqrt(a * a + b * b)
    return a * cr + b * sr


@nb.njit(cache=True, inline="always")
def cap_coords(c, v, d):
    """(a, b) = (c . v, |v - a c|): v's components along the cap's centre c and orthogonal to it."""
    a = 0.0
    for i in range(d):
        a += c[i] * v[i]
    b2 = 0.0
    for i in range(d):
        e = v[i] - a * c[i]
        b2 += e * e
    return a, math.sqrt(b2)


@nb.njit(cache=True, inline="always")
def lin_max(c, v, d, cr, sr):
    """max over the cap (centre c) of theta . v: :func:`cap_max` of :func:`cap_coords`."""
    a, b = cap_coords(c, v, d)
    return cap_max(a, b, cr, sr)


@nb.njit(cache=True)
def _cap_linear_max(c, cr, w, d):
    """:func:`lin_max` (max over the whole cap of theta . w) plus its rounding term."""
    nw = 0.0
    for i in range(d):
        nw += w[i] * w[i]
    sr = math.sqrt(max(0.0, 1.0 - cr * cr))
    return lin_max(c, w, d, cr, sr) + 8.0 * (d + 2) * _EPS * math.sqrt(nw)


@nb.njit(cache=True)
def region_max(c, cr, w, G, sg, k, d, Q, R, tmp, sel, target):
    """A proven upper bound (exact when positive, up to rounding) of ``max w . theta`` over the cap
    (centre c, cos r = cr) intersected with ``sg_j G_j . theta >= 0`` for j < k: the least F over the KKT
    candidates of every active set of at most d - 1 constraints (the rim counts as one). Stops at the first
    candidate at most ``target`` (the caller only needs to know that the region is below it)."""
    best = _cap_linear_max(c, cr, w, d)
    if best <= target:
        return best
    for mask in range(1 << k):
        nsel = 0
        for j in range(k):
            if (mask >> j) & 1:
                sel[nsel] = j
                nsel += 1
        for lid in range(2):
            if nsel + lid > d - 1:
                continue
            v = _candidate(c, cr, w, G, sg, sel, nsel, lid == 1, d, Q, R, tmp)
            if v < best:
                best = v
                if best <= target:
                    return best
    return best


@nb.njit(cache=True)
def cut_cap_max(c, cr, v, G, pc, k, d, Q, R, tmp, sel, sg, target):
    """Upper bounds (of +eta, of -eta) over the cap: eta = theta . v + sum_{j < k} pc_j relu(theta . G_j),
    each the largest :func:`region_max` over the 2^k sign patterns of the cut points G (tmp rows 6, 7 hold
    +-w_S). A region is bounded only as far as needed: below ``max(target, the largest bound so far)``."""
    up = -math.inf
    um = -math.inf
    wS = tmp[6]
    wm = tmp[7]
    for S in range(1 << k):
        for i in range(d):
            wS[i] = v[i]
        for j in range(k):
            if (S >> j) & 1:
                sg[j] = 1.0
                for i in range(d):
                    wS[i] += pc[j] * G[j, i]
            else:
                sg[j] = -1.0
        for i in range(d):
            wm[i] = -wS[i]
        b = region_max(c, cr, wS, G, sg, k, d, Q, R, tmp, sel, max(target, up))
        if b > up:
            up = b
        b = region_max(c, cr, wm, G, sg, k, d, Q, R, tmp, sel, max(target, um))
        if b > um:
            um = b
    return up, um
