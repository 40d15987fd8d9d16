"""Pricing kernels for ``power = 1``, ``d >= 3``: local maxima of ``eta(theta) = sum_j q_j relu(theta . x_j)``.

Inside an activation cell ``eta`` is linear, ``theta . v_C``; :func:`_cell_project` projects ``v_C`` on the
closed polyhedral cone of the cell (primal active set), :func:`_arc_search` is the exact line search along the
arc towards ``v_C / |v_C|``, :func:`_ascent_relu_one` chains fixed-point hops, cell projections and moves to
adjacent cells; :func:`_ascent_relu` runs it in parallel over many starts. See :mod:`spherekern.solvers.atomic`
for the method."""
from __future__ import annotations

import numba as nb
import numpy as np

from ._config import _BOUNDARY_TOL
from ._kernels import _dot, _gs_step, _matvec_t


@nb.njit(cache=True)
def _cell_of(XT, q, theta, s, v, t):
    """Sign pattern s of theta (+1 active, -1 inactive), v = sum_active q_j x_j; returns eta.

    From the transposed points XT (d, n): t = X theta by :func:`_matvec_t` (the values of the row-by-row dot
    products), then branch-free sums over j of x_j q_j (0 for the inactive points: adding zeros leaves the sums
    bit-identical to the sums over the active points alone). t: scratch of length n (overwritten by q_j or 0)."""
    d, n = XT.shape
    _matvec_t(XT, theta, t, n)
    for j in range(n):
        act = t[j] > 0.0
        s[j] = 1 if act else -1
        t[j] = q[j] if act else 0.0
    for a in range(d):
        acc = 0.0
        for j in range(n):
            acc += t[j] * XT[a, j]
        v[a] = acc
    return _dot(theta, v)


@nb.njit(cache=True)
def _cell_project(X, XT, s, v, x, W, inW, Q, R, lam, t, dirn, nW0, gx, gdv, g0, use_g0):
    """Project v on the closed cone {z : s_j x_j . z >= 0 for all j}, starting from x in it.

    Primal active-set method for min |z - v|^2 / 2; x is overwritten with the projection. The working set
    starts as W[:nW0] (constraints active at x, flagged in inW; ``nW0 = 0``: empty). The constraint values
    gx_j = s_j x_j . x are kept up to date along each step (gx += alpha gd), so each ratio test costs one pass
    of dot products; on return gx holds them at the projection (0 on the working set). They start from
    ``g0_j = x_j . x`` if ``use_g0`` (no pass over the points), else from one pass. gx, gdv: scratch arrays
    of length n. XT: the transposed points (d, >= n; its first n columns are read), for the passes of dot products.
    Returns the number of active constraints (indices in W[:nW]).
    """
    n, d = X.shape
    nW = nW0
    if not use_g0:
        _matvec_t(XT, x, gx, n)
    for j in range(n):
        if inW[j]:
            gx[j] = 0.0
        elif use_g0:
            gx[j] = s[j] * g0[j]
        else:
            gx[j] = s[j] * gx[j]
    scale = np.sqrt(_dot(v, v)) + np.sqrt(_dot(x, x)) + 1e-300
    for _ in range(6 * d + 30):
        # orthonormal basis Q[:k] of span{s_j x_j : j in W} (modified Gram-Schmidt), R upper triangular
        k = 0
        m = 0
        while m < nW:
            j = W[m]
            for a in range(d):
                Q[k, a] = s[j] * X[j, a]
            nrm = _gs_step(Q, R, k, d)
            if nrm < 1e-10:  # linearly dependent on the others: not needed in the working set
                inW[j] = False
                W[m] = W[nW - 1]
                nW -= 1
                continue
            R[k, k] = nrm
            for a in range(d):
                Q[k, a] /= nrm
            k += 1
            m += 1
        # target: v projected on the subspace where the working constraints hold with equality
        for a in range(d):
            t[a] = v[a]
        for i in range(k):
            c = 0.0
            for a in range(d):
                c += Q[i, a] * v[a]
            for a in range(d):
                t[a] -= c * Q[i, a]
        dn = 0.0
        for a in range(d):
            dirn[a] = t[a] - x[a]
            dn += dirn[a] * dirn[a]
        if np.sqrt(dn) <= 1e-13 * scale:
            # multipliers of x - v = sum_W lam_j s_j x_j; optimal iff all >= 0
            for i in range(k):
                c = 0.0
                for a in range(d):
                    c += Q[i, a] * (x[a] - v[a])
                lam[i] = c
            for i in range(k - 1, -1, -1):
                c = lam[i]
                for l in range(i + 1, k):
                    c -= R[i, l] * lam[l]
                lam[i] = c / R[i, i]
            worst = -1
            wval = -1e-13 * scale
            for i in range(k):
                if lam[i] < wval:
                    wval = lam[i]
                    worst = i
            if worst < 0:
                break
            inW[W[worst]] = False
            W[worst] = W[nW - 1]
            nW -= 1
            continue
        # ratio test along dirn over the constraints not in the working set
        alpha = 1.0
        block = -1
        _matvec_t(XT, dirn, gdv, n)
        for j in range(n):
            if inW[j]:
                continue
            gd = s[j] * gdv[j]
            gdv[j] = gd
            if gd < 0.0:
                g0 = gx[j]
                if g0 < 0.0:
                    g0 = 0.0
                al = g0 / (-gd)
                if al < alpha:
                    alpha = al
                    block = j
        for a in range(d):
            x[a] += alpha * dirn[a]
        for j in range(n):
            if not inW[j]:
                gx[j] += alpha * gdv[j]
        if block >= 0:
            gx[block] = 0.0
            if nW >= d:  # no room: the cone's projection is the apex (value <= 0)
                for a in range(d):
                    x[a] = 0.0
                break
            W[nW] = block
            inW[block] = True
            nW += 1
    for i in range(nW):
        inW[W[i]] = False
    return nW


@nb.njit(cache=True)
def _arc_search(q, g, h, cu, val, bp, bj):
    """Exact line search of eta along the arc from theta to u (unit vectors, ``cu = theta . u``).

    With ``g_j = theta . x_j`` and ``h_j = u . x_j`` the chord point ``theta + t (u - theta)`` (``0 <= t <= 1``) has
    norm ``N(t) = sqrt(1 - 2 (1 - cu) t (1 - t))`` and ``E(t) = sum_j q_j relu(g_j + t (h_j - g_j))``, piecewise
    linear with a breakpoint ``t_j = g_j / (g_j - h_j)`` where ``g_j`` and ``h_j`` differ in sign. On each piece
    ``E = alpha + beta t`` and ``eta = E / N`` has one critical point,
    ``t* = (alpha a / 2 + beta) / (alpha a + beta a / 2)`` with ``a = 2 (1 - cu)``; the maximum over the arc is
    at a breakpoint, a critical point or ``t = 1``. One pass over the points and a sort of the breakpoints.
    Returns the maximising ``t``, or 0 when no point of the arc beats ``val`` (eta at theta) by 1e-12
    relative. ``bp``, ``bj``: scratch arrays of length n.
    """
    n = g.shape[0]
    aa = 2.0 - 2.0 * cu
    al = 0.0
    be = 0.0
    nbp = 0
    for j in range(n):
        gj = g[j]
        hj = h[j]
        if gj > 0.0 or (gj == 0.0 and hj > 0.0):  # active just after t = 0
            al += q[j] * gj
            be += q[j] * (hj - gj)
            if hj < 0.0 and gj > 0.0:  # leaves
                bp[nbp] = gj / (gj - hj)
                bj[nbp] = j
                nbp += 1
        elif hj > 0.0:  # enters
            bp[nbp] = gj / (gj - hj)
            bj[nbp] = j
            nbp += 1
    order = np.argsort(bp[:nbp])
    best_t = 0.0
    best = val + 1e-12 * (abs(val) + 1e-3)
    t_lo = 0.0
    for k in range(nbp + 1):
        t_hi = bp[order[k]] if k < nbp else 1.0
        if t_hi > t_lo:
            den = aa * (al + 0.5 * be)
            for c in range(2):
                tc = t_hi
                if c == 1:
                    if den == 0.0:
                        continue
                    tc = (0.5 * aa * al + be) / den
                if t_lo < tc <= t_hi:
                    nn = np.sqrt(max(1.0 - aa * tc * (1.0 - tc), 0.0))
                    if nn > 1e-12 and (al + be * tc) / nn > best:
                        best = (al + be * tc) / nn
                        best_t = tc
        if k < nbp:
            j = bj[order[k]]
            sg = 1.0 if g[j] < 0.0 else -1.0  # enters (+) or leaves (-)
            al += sg * q[j] * g[j]
            be += sg * q[j] * (h[j] - g[j])
            t_lo = t_hi
    return best_t


@nb.njit(cache=True)
def _ascent_relu_one(X, XT, q, theta0, out, max_hops, max_walk, arc):
    """Local maximum of eta(theta) = sum_j q_j relu(theta . x_j) on the sphere from theta0: ``max_hops``
    fixed-point hops, then at most ``max_walk`` walk steps (``0``: the hops' end point). A walk step is the cell's
    maximum (cone projection), then (if ``arc``) a jump to the best point of the arc towards v / |v|
    (:func:`_arc_search`), or if the arc gives nothing a move to a better adjacent cell through the boundary at
    theta."""
    n, d = X.shape
    s = np.empty(n, np.int8)
    s2 = np.empty(n, np.int8)
    inW = np.zeros(n, np.bool_)
    W = np.empty(d + 1, np.int64)
    Q = np.empty((d, d))
    R = np.empty((d, d))
    lam = np.empty(d)
    t = np.empty(d)
    dirn = np.empty(d)
    v = np.empty(d)
    v2 = np.empty(d)
    x = np.empty(d)
    x2 = np.empty(d)
    theta = np.empty(d)
    cand = np.empty(d)
    B = np.empty(16, np.int64)
    XB = np.empty((16, d))
    XBT = np.empty((d, 16))
    sB = np.empty(16, np.int8)
    inWB = np.zeros(16, np.bool_)
    gd = np.empty(n)
    hd = np.empty(n)
    gx = np.empty(n)
    gdv = np.empty(n)
    gxs = np.empty(16)
    gdvs = np.empty(16)
    bp = np.empty(n)
    bj = np.empty(n, np.int64)
    nrm = np.sqrt(_dot(theta0, theta0))
    for a in range(d):
        theta[a] = theta0[a] / nrm
    val = _cell_of(XT, q, theta, s, v, hd)
    # phase 1: fixed-point hops theta <- v(theta)/|v(theta)| while eta increases (fast, crosses many cells)
    for _ in range(max_hops):
        nv = np.sqrt(_dot(v, v))
        if nv == 0.0:
            break
        for a in range(d):
            cand[a] = v[a] / nv
        cval = _cell_of(XT, q, cand, s2, v2, hd)
        if cval > val + 1e-15 * (abs(val) + 1e-300):
            val = cval
            for a in range(d):
                theta[a] = cand[a]
                v[a] = v2[a]
            for j in range(n):
                s[j] = s2[j]
        else:
            break
    # phase 2: exact maximum over the closed cell (cone projection), then walk to a better adjacent cell
    for a in range(d):
        x[a] = theta[a]
    fresh = False  # x is already the projection of v on the current cell (set by an accepted cell change)
    # nW0 = 0 and use_g0 as runtime values, not literals: one compilation of _cell_project serves its three calls
    none, no, yes = np.int64(0), np.bool_(False), np.bool_(True)
    for _ in range(max_walk):
        if not fresh:
            _cell_project(X, XT, s, v, x, W, inW, Q, R, lam, t, dirn, none, gx, gdv, gd, no)
        fresh = False
        nx = np.sqrt(_dot(x, x))
        if nx <= 1e-300:
            break
        newval = _dot(x, v) / nx
        if newval < val - 1e-13 * (abs(val) + 1.0):
            break
        val = max(val, newval)
        for a in range(d):
            theta[a] = x[a] / nx
            x[a] = theta[a]
        # g_j = theta . x_j, one pass (not from gx / nx: chained over steps, that loses digits)
        _matvec_t(XT, theta, gd, n)
        # a long step: the best point of the arc from theta towards u = v / |v| (the cell's unconstrained
        # maximiser), found exactly (:func:`_arc_search`): it crosses many small cells at once, and over the valleys
        # between local maxima (d = 3, n = 384: without it the walks stopped at maxima below 1 and missed violated
        # ones, a certificate of 1.00002 where sampling gives 1.0265)
        jumped = False
        nv = np.sqrt(_dot(v, v))
        if arc and nv > 0.0:
            for a in range(d):
                cand[a] = v[a] / nv
            _matvec_t(XT, cand, hd, n)
            cu = _dot(theta, cand)
            tt = _arc_search(q, gd, hd, cu, val, bp, bj)
            if tt > 0.0:
                nc = np.sqrt(max(1.0 - 2.0 * (1.0 - cu) * tt * (1.0 - tt), 0.0))
                for a in range(d):
                    x2[a] = (theta[a] + tt * (cand[a] - theta[a])) / nc
                val2 = _cell_of(XT, q, x2, s2, v2, gx)
                if val2 > val + 1e-12 * (abs(val) + 1e-3):  # the exact eta there, not the sweep's sum
                    for a in range(d):
                        theta[a] = x2[a]
                        x[a] = x2[a]
                        v[a] = v2[a]
                    for j in range(n):
                        s[j] = s2[j]
                    val = val2
                    jumped = True
        if jumped:
            continue
        nb_ = 0
        for j in range(n):
            if abs(gd[j]) <= _BOUNDARY_TOL:
                if nb_ < 16:
                    B[nb_] = j
                nb_ += 1
        if nb_ == 0:
            break
        nbits = nb_ if nb_ <= 5 else 0
        nmask = (1 << nbits) - 1 if nbits > 0 else min(nb_, 16)
        improved = False
        nbb = min(nb_, 16)
        for bi in range(nbb):
            for a in range(d):
                XB[bi, a] = X[B[bi], a]
                XBT[a, bi] = X[B[bi], a]
        for mk in range(1, nmask + 1):
            for a in range(d):
                v2[a] = v[a]
            for bi in range(nbb):
                j = B[bi]
                sB[bi] = s[j]
                flip = ((mk >> bi) & 1) == 1 if nbits > 0 else bi == mk - 1
                if flip:
                    sB[bi] = -s[j]
                    for a in range(d):
                        v2[a] += sB[bi] * q[j] * X[j, a]
            # local test (O(d^2) per mask, no pass over the n points): near theta the adjacent cell coincides
            # with the cone of its boundary constraints through theta, which contains the cell, so the maximum of
            # theta . v2 / |theta| over that cone bounds the cell's from above; the superlevel sets of that ratio
            # are convex, so the cell improves on val iff this bound does
            for a in range(d):
                x2[a] = theta[a]
            # XBT whole (the projection reads its first nbb columns only): a C-contiguous array like XT in the other
            # calls, so _cell_project compiles once (XBT[:, :nbb], a strided view, was a second compilation)
            nWs = _cell_project(XB[:nbb], XBT, sB[:nbb], v2, x2, W, inWB[:nbb], Q, R, lam, t, dirn, none, gxs,
                                gdvs, gxs, no)
            n2 = np.sqrt(_dot(x2, x2))
            if n2 <= 1e-300 or _dot(x2, v2) / n2 <= val + 1e-12 * (abs(val) + 1e-3):
                continue
            for j in range(n):
                s2[j] = s[j]
            for bi in range(nbb):
                s2[B[bi]] = sB[bi]
            # the cell's maximiser: the projection from theta, with the working set of the local cone's maximiser
            # (those boundary constraints hold with equality at theta), so the first step heads to x2 (the local
            # cone contains the cell: if x2 lies in the cell it is the cell's maximiser and that step is the only
            # one); the constraint values at theta are g (no pass over the points)
            for a in range(d):
                x2[a] = theta[a]
            for i in range(nWs):
                W[i] = B[W[i]]
                inW[W[i]] = True
            _cell_project(X, XT, s2, v2, x2, W, inW, Q, R, lam, t, dirn, nWs, gx, gdv, gd, yes)
            n2 = np.sqrt(_dot(x2, x2))
            if n2 <= 1e-300:
                continue
            val2 = _dot(x2, v2) / n2
            if val2 > val + 1e-12 * (abs(val) + 1e-3):
                for j in range(n):
                    s[j] = s2[j]
                for a in range(d):
                    v[a] = v2[a]
                    x[a] = x2[a]
                val = val2
                improved = True
                fresh = True
                break
        if not improved:
            break
    for a in range(d):
        out[a] = theta[a]
    # the exact eta at the returned point (not the cell formula)
    e = 0.0
    _matvec_t(XT, theta, gd, n)
    for j in range(n):
        tj = gd[j]
        if tj > 0.0:
            e += q[j] * tj
    return e


@nb.njit(parallel=True, cache=True)
def _ascent_relu(X, p, starts, sig, out_theta, out_val, max_hops, max_walk, arc):
    """For each start i a local maximum of sig[i] * eta (sig = +-1); out_val holds eta (signed)."""
    m = starts.shape[0]
    n = X.shape[0]
    XT = np.ascontiguousarray(X.T)
    for i in nb.prange(m):
        sigma = sig[i]
        q = np.empty(n)
        for j in range(n):
            q[j] = sigma * p[j]
        e = _ascent_relu_one(X, XT, q, starts[i], out_theta[i], max_hops, max_walk, arc)
        out_val[i] = sigma * e
