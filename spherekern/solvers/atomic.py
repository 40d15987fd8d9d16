"""Atomic (feature-regime) predictor: minimum total-variation ReLU networks with continuous atoms.

The feature-regime predictor of a one-hidden-layer ReLU network on the sphere is the measure
``mu`` on S^{d-1} of minimal total variation that fits the data. Its minimisers are atomic,

    f(x) = sum_{i=1}^{n_A} w_i relu(theta_i . x)^power,     theta_i in S^{d-1},

with at most ``n`` atoms (a basic solution of the moment problem). :func:`atomic` solves

* ``lam = 0``:  min  sum_i |w_i|   subject to  f(x_j) = y_j  (j = 1..n),
* ``lam > 0``:  min  (1/2n) sum_j (f(x_j) - y_j)^2 + lam sum_i |w_i|,

over the positions *and* the weights (positions are continuous, not a grid), by column
generation (exchange method):

1. restricted master problem on a finite set of directions: the LP
   ``min 1.(w+ + w-)  s.t.  A (w+ - w-) = y, w+- >= 0`` with HiGHS dual simplex through
   :func:`scipy.optimize.linprog` (a basic solution, so ``n_A <= n``), or for ``lam > 0`` the
   restricted lasso, solved by coordinate descent and polished by an exact KKT solve on its support;
2. pricing: maximise ``|eta(theta)|`` over the sphere, where
   ``eta(theta) = sum_j p_j relu(theta . x_j)^power`` is the dual certificate (``p`` the LP duals of
   the interpolation constraints; ``p = residual / (n lam)`` for the lasso). A direction with
   ``|eta| > 1`` has negative reduced cost and enters the master problem;
3. stop when ``max |eta| <= 1 + tol``: then ``p / max|eta|`` is dual feasible and the duality gap
   certifies optimality over *all* measures, not only over the directions tried.

Pricing. For ``power = 1``, inside an activation cell ``C`` (fixed sign pattern of ``theta . x_j``)
``eta(theta) = theta . v_C`` with ``v_C = sum_{j active} p_j x_j``, and the exact maximiser over the
closed cell is ``Pi_C(v_C) / |Pi_C(v_C)|`` (``Pi_C`` the Euclidean projection on the polyhedral cone,
computed by a primal active-set method); a local search then walks to an adjacent cell while that
increases ``eta`` (this finds maxima *on* cell boundaries, where atoms of the optimum typically sit:
hyperplanes ``theta . x = 0`` through data points). An adjacent cell is first tested on the cone of
the boundary hyperplanes through ``theta`` alone (it contains the cell, and the superlevel sets of
``theta . v / |theta|`` on a cone are convex, so the cell improves iff that bound does: O(d^2), no pass over
the points); before that, each step jumps to the best point of the arc towards ``v_C / |v_C|`` (an
exact line search over the arc's breakpoints), crossing many small cells and the valleys between local
maxima. It is started after cheap fixed-point hops ``theta <- v(theta) / |v(theta)|`` from the training
points, the current atoms and random points, and runs once per distinct hop end point. In
``d = 2`` the pricing is exact and global: the cells are the arcs between the angles where
``theta . x_j = 0`` and ``eta`` is ``|v| cos(a - a_v)`` on each arc, whose maximum has a closed form.
For ``power != 1`` (``power >= 1`` real) the pricing is multi-start Riemannian gradient ascent
with Armijo steps. In ``d >= 3`` the global maximum of ``|eta|`` is not certified (the
problem is a non-concave maximisation); it is the best of many local maxima and the
``certificate`` is that value.

See docs/CONVENTIONS.md for conventions (points are rows of X on the unit sphere S^{d-1}, d the
ambient dimension).

References
----------
F. Bach, "Breaking the curse of dimensionality with convex neural networks", JMLR 18 (2017).
L. Chizat, "Sparse optimization on measures with over-parameterized gradient descent", Math. Prog. (2021).
L. Petrini, F. Cagnetta, E. Vanden-Eijnden, M. Wyart, "Learning sparse features can lead to
overfitting in neural networks", NeurIPS 2022 (the atomic predictor of the feature regime).
R. Hettich, K. Kortanek, "Semi-infinite programming: theory, methods and applications", SIAM Rev. (1993).
"""
from __future__ import annotations

import time
import warnings

import numba as nb
import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_solve, qr as sla_qr, solve_triangular
from scipy.optimize import linprog

from .._blas import limited
from .._validate import as_array, as_points, as_rng, check_int, check_real

__all__ = ["atomic", "AtomicSolution"]

#: HiGHS tolerances of the master LP (primal: interpolation residual, polished afterwards by a solve on the
#: support; dual: |eta| at LP columns). Tighter values make HiGHS stall on the ill-conditioned LPs of
#: interpolation with n ~ 10^2..10^3 points.
_LP_TOL = 1e-7
#: HiGHS tolerances of the restricted lasso QP (its support and signs are then polished to exact KKT).
_QP_TOL = 1e-9
#: Directions closer than this (Euclidean) are treated as the same column.
_DUP_TOL = 1e-10
#: |theta . x_j| below this puts theta on the hyperplane of x_j (cell boundary) in the cell walk.
_BOUNDARY_TOL = 1e-12
#: Smallest certificate tolerance of method="ipm": the normal equations of the interior-point master lose
#: primal feasibility near relative gaps of 1e-7 on these LPs (measured: n = 256, d = 3).
_IPM_MIN_TOL = 1e-5
#: method="ipm": the column pool is kept below this many columns per training point (weightless columns with the
#: largest reduced costs go first).
_POOL_CAP = 6
#: method="ipm": largest relative primal residual of the master LP in the rounds whose master gap delta is above
#: tol / 10 (they need 0.1 delta; the others 1e-7): the first rounds need 8 instead of 15 interior-point iterations.
_IPM_LOOSE_PRIMAL = 1e-3
#: method="ipm", d >= 3: the pricing starts from the training points and random points only when the ascents from
#: the current atoms and the last maxima find fewer than this many violated maxima per training point.
_STAGE_MIN = 0.25
#: method="ipm": each master LP keeps its first iterate with relative gap below this as the warm start of the next
#: round's (:func:`_ipm_warm_start`). n = 1024, d = 5: 165 -> 105 s (smooth field), 136 -> 115 s (|t| teacher).
_WARM_GAP = 3e-3
#: d >= 3, both masters: the (full) pricing also starts from the _SAMPLE_TOP best of max(_SAMPLE_MIN, 50 n) random
#: directions by |eta| (:func:`_sampled_starts`).
_SAMPLE_MIN = 20000
_SAMPLE_TOP = 64
#: Rows of the predict/eta kernel processed per parallel task.
_BLOCK = 256


# ----------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------
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


@nb.njit(cache=True)
def _cell_of(X, q, theta, s, v):
    """Sign pattern s of theta (+1 active, -1 inactive), v = sum_active q_j x_j; returns eta."""
    n, d = X.shape
    for a in range(d):
        v[a] = 0.0
    for j in range(n):
        if _row_dot(X, j, theta) > 0.0:
            s[j] = 1
            for a in range(d):
                v[a] += q[j] * X[j, a]
        else:
            s[j] = -1
    return _dot(theta, v)


@nb.njit(cache=True)
def _cell_project(X, XT, s, v, x, W, inW, Q, R, lam, t, dirn, nW0, gx, gdv, g0, use_g0):
    """Project v on the closed cone {z : s_j x_j . z >= 0 for all j}, starting from x in it.

    Primal active-set method for min |z - v|^2 / 2; x is overwritten with the projection. The working set
    starts as W[:nW0] (constraints active at x, flagged in inW; ``nW0 = 0``: empty). The constraint values
    gx_j = s_j x_j . x are kept up to date along each step (gx += alpha gd), so each ratio test costs one pass
    of dot products; on return gx holds them at the projection (0 on the working set). They start from
    ``g0_j = x_j . x`` if ``use_g0`` (no pass over the points), else from one pass. gx, gdv: scratch arrays
    of length n. XT: the transposed points (d, n), for the passes of dot products.
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
            nrm = np.sqrt(nrm)
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
    val = _cell_of(X, q, theta, s, v)
    # phase 1: fixed-point hops theta <- v(theta)/|v(theta)| while eta increases (fast, crosses many cells)
    for _ in range(max_hops):
        nv = np.sqrt(_dot(v, v))
        if nv == 0.0:
            break
        for a in range(d):
            cand[a] = v[a] / nv
        cval = _cell_of(X, q, cand, s2, v2)
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
    for _ in range(max_walk):
        if not fresh:
            _cell_project(X, XT, s, v, x, W, inW, Q, R, lam, t, dirn, 0, gx, gdv, gd, False)
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
                val2 = _cell_of(X, q, x2, s2, v2)
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
            nWs = _cell_project(XB[:nbb], XBT[:, :nbb], sB[:nbb], v2, x2, W, inWB[:nbb], Q, R, lam, t, dirn, 0, gxs,
                                gdvs, gxs, False)
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
            _cell_project(X, XT, s2, v2, x2, W, inW, Q, R, lam, t, dirn, nWs, gx, gdv, gd, True)
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
    for j in range(n):
        tj = _row_dot(X, j, theta)
        if tj > 0.0:
            e += q[j] * tj
    return e


@nb.njit(parallel=True, cache=True)
def _ascent_relu(X, p, starts, sig, out_theta, out_val, max_hops, max_walk, arc=True):
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


@nb.njit(cache=True)
def _eta_grad(X, q, power, theta, g):
    n, d = X.shape
    for a in range(d):
        g[a] = 0.0
    e = 0.0
    for j in range(n):
        tj = _row_dot(X, j, theta)
        if tj > 0.0:
            e += q[j] * _act(tj, power)
            c = q[j] * power * _act(tj, power - 1.0) if power != 1.0 else q[j]
            for a in range(d):
                g[a] += c * X[j, a]
    return e


@nb.njit(parallel=True, cache=True)
def _ascent_smooth(X, p, power, starts, out_theta, out_val, max_iter):
    """Riemannian gradient ascent (Armijo, retraction by normalisation) of sigma*eta, power > 1."""
    m = starts.shape[0]
    n, d = X.shape
    scale = 0.0
    for j in range(n):
        scale += abs(p[j])
    for i in nb.prange(2 * m):
        sigma = 1.0 if i < m else -1.0
        q = np.empty(n)
        for j in range(n):
            q[j] = sigma * p[j]
        th = np.empty(d)
        g = np.empty(d)
        cand = np.empty(d)
        gc = np.empty(d)
        st = starts[i % m]
        nrm = np.sqrt(_dot(st, st))
        for a in range(d):
            th[a] = st[a] / nrm
        e = _eta_grad(X, q, power, th, g)
        step = 0.5
        for _ in range(max_iter):
            gt = _dot(g, th)
            gn2 = 0.0
            for a in range(d):
                g[a] -= gt * th[a]
                gn2 += g[a] * g[a]
            gn = np.sqrt(gn2)
            if gn <= 1e-13 * (scale + 1e-300):
                break
            if step * gn > 0.5:  # at most ~0.5 rad per step
                step = 0.5 / gn
            accepted = False
            while step * gn > 1e-16:
                nc = 0.0
                for a in range(d):
                    cand[a] = th[a] + step * g[a]
                    nc += cand[a] * cand[a]
                nc = np.sqrt(nc)
                for a in range(d):
                    cand[a] /= nc
                ec = _eta_grad(X, q, power, cand, gc)
                if ec >= e + 1e-4 * step * gn2:
                    accepted = True
                    break
                step *= 0.5
            if not accepted:
                break
            for a in range(d):
                th[a] = cand[a]
                g[a] = gc[a]
            e = ec
            step *= 2.0
        for a in range(d):
            out_theta[i, a] = th[a]
        out_val[i] = sigma * e


@nb.njit(parallel=True, cache=True)
def _sweep_d2(X, p, ang, bdir, out_theta, out_val):
    """Exact pricing on the circle (d = 2, power = 1).

    ``ang`` (sorted) and ``bdir`` are the 2n angles / unit directions where theta . x_j = 0. On the arc
    between consecutive breakpoints eta(theta) = theta . v with v fixed; its maximum (and that of -eta)
    over the closed arc is at the stationary angle of v (if inside) or at an endpoint.
    """
    nb2 = ang.shape[0]
    n = X.shape[0]
    twopi = 2.0 * np.pi
    for k in nb.prange(nb2):
        a0 = ang[k]
        if k + 1 < nb2:
            a1 = ang[k + 1]
            e1 = bdir[k + 1]
        else:
            a1 = ang[0] + twopi
            e1 = bdir[0]
        e0 = bdir[k]
        mid = 0.5 * (a0 + a1)
        c = np.cos(mid)
        s_ = np.sin(mid)
        v0 = 0.0
        v1 = 0.0
        for j in range(n):
            if c * X[j, 0] + s_ * X[j, 1] > 0.0:
                v0 += p[j] * X[j, 0]
                v1 += p[j] * X[j, 1]
        for sg in range(2):
            sigma = 1.0 if sg == 0 else -1.0
            w0 = sigma * v0
            w1 = sigma * v1
            best = -np.inf
            bx = 0.0
            by = 0.0
            a_s = np.arctan2(w1, w0)
            while a_s < a0:
                a_s += twopi
            while a_s >= a0 + twopi:
                a_s -= twopi
            if a_s <= a1 and (w0 != 0.0 or w1 != 0.0):
                best = np.sqrt(w0 * w0 + w1 * w1)
                bx = np.cos(a_s)
                by = np.sin(a_s)
            else:
                f0 = e0[0] * w0 + e0[1] * w1
                f1 = e1[0] * w0 + e1[1] * w1
                if f0 >= f1:
                    best = f0
                    bx = e0[0]
                    by = e0[1]
                else:
                    best = f1
                    bx = e1[0]
                    by = e1[1]
            out_theta[2 * k + sg, 0] = bx
            out_theta[2 * k + sg, 1] = by
            out_val[2 * k + sg] = sigma * best


@nb.njit(inline="always", cache=True)
def _cd_step(At, r, w, colsq, k, nlam):
    """One exact coordinate minimisation of column k (soft threshold); updates w[k] and r = y - A w.
    Returns (g, old w[k], change of w[k]) with g = a_k . r before the update."""
    g = 0.0
    for j in range(At.shape[1]):
        g += At[k, j] * r[j]
    z = w[k] + g / colsq[k]
    thr = nlam / colsq[k]
    nw = z - thr if z > thr else (z + thr if z < -thr else 0.0)
    wk = w[k]
    dw = nw - wk
    if dw != 0.0:
        for j in range(At.shape[1]):
            r[j] -= dw * At[k, j]
        w[k] = nw
    return g, wk, dw


@nb.njit(cache=True)
def _cd_lasso(At, y, nlam, w, r, colsq, max_sweeps, tol):
    """Coordinate descent for min 1/2 |y - A w|^2 + nlam |w|_1 (At = A^T, rows are columns of A).

    ``r = y - A w`` is kept up to date. Full sweeps alternate with sweeps over the support.
    Returns the number of sweeps; stops when the largest KKT violation is below ``tol * nlam``.
    """
    K = At.shape[0]
    sweeps = 0
    while sweeps < max_sweeps:
        # full sweep
        viol = 0.0
        for k in range(K):
            if colsq[k] == 0.0:
                continue
            g, wk, _ = _cd_step(At, r, w, colsq, k, nlam)
            vk = abs(g - nlam * np.sign(wk)) if wk != 0.0 else max(abs(g) - nlam, 0.0)
            if vk > viol:
                viol = vk
        sweeps += 1
        if viol <= tol * nlam:
            break
        # support sweeps
        for _ in range(50):
            viol_s = 0.0
            for k in range(K):
                if w[k] == 0.0:
                    continue
                _, _, dw = _cd_step(At, r, w, colsq, k, nlam)
                if abs(dw) * np.sqrt(colsq[k]) > viol_s:
                    viol_s = abs(dw) * np.sqrt(colsq[k])
            sweeps += 1
            if viol_s <= tol * nlam:
                break
    return sweeps


# ----------------------------------------------------------------------------------------------
# the solution object
# ----------------------------------------------------------------------------------------------
class AtomicSolution:
    """Result of :func:`atomic`: the atomic predictor and its optimality certificate.

    Attributes
    ----------
    directions : ndarray, shape (n_A, d)
        Atom positions theta_i on S^{d-1} (unit rows).
    weights : ndarray, shape (n_A,)
        Output weights w_i (all non-zero).
    n_atoms : int
        n_A (at most n, the number of training points).
    objective : float
        ``sum |w_i|`` (lam = 0) or ``(1/2n) |f(X) - y|^2 + lam sum |w_i|`` (lam > 0).
    lam, power : float
        The problem solved.
    dual : ndarray, shape (n,)
        Dual variables p: LP duals of the interpolation constraints (lam = 0), or
        ``(y - f(X)) / (n lam)`` (lam > 0). The certificate is ``eta(theta) = sum_j p_j relu(theta . x_j)^power``.
    certificate : float
        The largest ``|eta(theta)|`` found over the sphere: ``1`` (to ``tol``) at the optimum
        (``<= 1`` when the optimum is ``w = 0``). Exact in d = 2 with power = 1, the best of many
        local maxima otherwise.
    gap : float
        Duality gap ``objective - D(p / max(1, certificate))`` (an upper bound on the suboptimality,
        valid to the extent that ``certificate`` is the global maximum of ``|eta|``).
    converged : bool
        Whether ``certificate <= 1 + tol`` was reached within ``max_iter`` rounds.
    history : list of dict
        One entry per column-generation round: ``iteration``, ``n_columns`` (master problem columns),
        ``lp_rows``, ``lp_cols``, ``objective``, ``max_eta``, ``n_added`` (not in the last round of
        method="ipm", which adds none), ``t_master``, ``t_pricing``; method="ipm" rounds also ``lower_bound``,
        ``ipm_iterations``, ``ipm_warm`` (the master LP was warm-started), ``master_gap``, ``full_pricing`` and
        the vertex fields of the rounds that purify.
    """

    def __init__(self, directions, weights, objective, lam, power, dual, certificate, gap, converged,
                 history, X_train):
        self.directions = directions
        self.weights = weights
        self.objective = float(objective)
        self.lam = float(lam)
        self.power = float(power)
        self.dual = dual
        self.certificate = float(certificate)
        self.gap = float(gap)
        self.converged = bool(converged)
        self.history = history
        self._X = X_train

    @property
    def n_atoms(self) -> int:
        return int(self.weights.shape[0])

    @property
    def d(self) -> int:
        return int(self.directions.shape[1])

    def predict(self, X, out=None) -> np.ndarray:
        """f(x) = sum_i w_i relu(theta_i . x)^power at the rows of X (parallel numba, blocked).

        Parameters
        ----------
        X : array_like, shape (m, d)
            Points on S^{d-1}.
        out : ndarray, shape (m,), optional
            Preallocated float64 output.
        """
        from .._validate import check_out

        X = as_points(X, "X", d=self.d)
        if out is None:
            out = np.empty(X.shape[0])
        else:
            check_out(out, (X.shape[0],), np.float64)
            for name, a in (("X", X), ("directions", self.directions), ("weights", self.weights)):
                if np.shares_memory(out, a):
                    raise ValueError(f"out must not overlap {name} (the sum would read values it has overwritten)")
        if X.shape[0]:
            _weighted_sum(X, self.directions, self.weights, self.power, out)
        return out

    def _rescaled(self, s, lam):
        """The solution of the problem with data ``s y`` and penalty ``lam`` (this one solved ``y``, ``lam / s``)."""
        f = s if self.lam == 0.0 else s * s  # the objective is 1-homogeneous (lam = 0) or 2-homogeneous in (y, lam)
        hist = [{k: (v * f if k in ("objective", "lower_bound") else v) for k, v in h.items()} for h in self.history]
        return AtomicSolution(self.directions, self.weights * s, self.objective * f, lam, self.power, self.dual,
                              self.certificate, self.gap * f, self.converged, hist, self._X)

    def eta(self, theta) -> np.ndarray:
        """The dual certificate eta(theta) = sum_j p_j relu(theta . x_j)^power at the rows of theta."""
        theta = as_points(theta, "theta", d=self.d)
        out = np.empty(theta.shape[0])
        if theta.shape[0]:
            _weighted_sum(theta, self._X, self.dual, self.power, out)
        return out

    def __repr__(self):
        return (f"AtomicSolution(d={self.d}, n_atoms={self.n_atoms}, lam={self.lam:g}, power={self.power:g}, "
                f"objective={self.objective:.12g}, certificate={self.certificate:.9f}, converged={self.converged})")


# ----------------------------------------------------------------------------------------------
# master problems
# ----------------------------------------------------------------------------------------------
def _features(theta, X, power):
    out = np.empty((theta.shape[0], X.shape[0]))
    if theta.shape[0]:
        _features_t(theta, X, float(power), out)
    return out


try:  # scipy's bundled HiGHS object (the one linprog drives), used to warm-start the master LP
    from scipy.optimize._highspy import _core as _hcore
except Exception:  # pragma: no cover - depends on the scipy build
    _hcore = None


class _Master:
    """Restricted master problem over signed atom columns a_k = sigma_k relu(X theta_k)^a (weights z_k >= 0,
    atom weight sigma_k z_k).

    * ``lam = 0``: the LP  min 1.z [+ big_m 1.(s+ + s-)]  s.t.  sum_k z_k a_k [+ s+ - s-] = y.
    * ``lam > 0``: the QP  min (1/2n)|r|^2 + lam 1.z  s.t.  sum_k z_k a_k + r = y  (r free), i.e. the
      restricted lasso with a diagonal Hessian on the residual variables.

    With scipy's bundled HiGHS object the model persists between rounds: new columns are appended and
    the simplex (dual simplex for the LP, HiGHS's active-set QP solver for the lasso) restarts from the
    previous optimal basis, which is column generation proper. Without it (``warm=False`` or a scipy
    build without the object) the LP is re-solved each round by ``scipy.optimize.linprog(method=
    "highs-ds")`` and the lasso by coordinate descent (``_solve_lasso``). The LP solution is basic
    (a vertex), so at most n columns are non-zero.
    """

    def __init__(self, y, big_m, lam=0.0, warm=True):
        self.y = y
        self.n = y.shape[0]
        self.big_m = big_m
        self.lam = lam
        self.cols = np.empty((0, self.n))
        self.elastic = False
        self.warm = warm and _hcore is not None
        if self.warm:
            self._build()

    def _build(self):
        H = _hcore._Highs()
        t = _LP_TOL if self.lam == 0 else _QP_TOL
        # threads=1: HiGHS's worker threads spin-wait, which stalls badly on a busy 2-core machine
        for k, v in (("output_flag", False), ("presolve", "off"), ("simplex_strategy", 1), ("threads", 1),
                     ("primal_feasibility_tolerance", t), ("dual_feasibility_tolerance", t)):
            H.setOptionValue(k, v)
        n = self.n
        H.addRows(n, self.y, self.y, 0, np.zeros(n + 1, np.int32), np.zeros(0, np.int32), np.zeros(0))
        self.H = H
        if self.lam > 0:  # residual columns r_j (free, cost 0, Hessian 1/n)
            idx = np.arange(n, dtype=np.int32)
            H.addCols(n, np.zeros(n), np.full(n, -np.inf), np.full(n, np.inf), n, idx, idx, np.ones(n))
            hs = _hcore.HighsHessian()
            hs.dim_ = n
            hs.format_ = _hcore.HessianFormat.kTriangular
            hs.start_ = np.arange(n + 1, dtype=np.int32)
            hs.index_ = idx
            hs.value_ = np.full(n, 1.0 / n)
            H.passHessian(hs)
        if self.elastic:
            eye = np.eye(n)
            self._add_to_highs(np.concatenate([eye, -eye]), self.big_m)
        if self.cols.shape[0]:
            self._add_to_highs(self.cols, self._cost)

    @property
    def _cost(self):
        return self.lam if self.lam > 0 else 1.0

    @property
    def _offset(self):
        return (self.n if self.lam > 0 else 0) + (2 * self.n if self.elastic else 0)

    @property
    def n_cols(self):
        return self.cols.shape[0] + self._offset

    def _add_to_highs(self, cols, cost):
        k = cols.shape[0]
        nzm = cols != 0
        cnt = nzm.sum(1)
        starts = np.zeros(k, np.int32)
        starts[1:] = np.cumsum(cnt)[:-1]
        r, c = np.nonzero(nzm)
        self.H.addCols(k, np.full(k, float(cost)), np.zeros(k), np.full(k, np.inf), int(cnt.sum()), starts,
                       c.astype(np.int32), np.ascontiguousarray(cols[r, c]))

    def add(self, cols):
        """Append columns (rows of ``cols``, already multiplied by their sign)."""
        if cols.shape[0] == 0:
            return
        if self.warm:
            self._add_to_highs(cols, self._cost)
        self.cols = np.concatenate([self.cols, cols])

    def delete(self, keep):
        """Drop the atom columns where ``keep`` is False."""
        if keep.all():
            return
        if self.warm:
            idx = (np.flatnonzero(~keep) + self._offset).astype(np.int32)
            self.H.deleteCols(int(idx.size), idx)
        self.cols = self.cols[keep]

    def solve(self, z0=None, tol=1e-7):
        """Returns (z (atom columns), p (dual: LP row duals, or residual/(n lam)), slack (n,))."""
        if self.lam > 0:
            if self.warm:
                status, msg = self._run()
                if status != "optimal":
                    raise RuntimeError(f"HiGHS failed on the restricted lasso QP of atomic(): {msg} "
                                       f"({self.cols.shape[0]} atom columns, {self.n} rows)")
                z, r = _solve_lasso(self.cols, self.y, self.lam, np.maximum(self.z, 0), tol, descent=False)
            else:
                z, r = _solve_lasso(self.cols, self.y, self.lam, z0, tol, descent=True)
            self.z = z
            return z, r / (self.n * self.lam), None
        status, msg = self._run()
        if status == "infeasible" and not self.elastic:
            self.elastic = True
            if self.warm:
                self._build()
            status, msg = self._run()
        if status != "optimal":
            raise RuntimeError(f"HiGHS failed on the master LP of atomic(): {msg} "
                               f"({self.cols.shape[0]} atom columns, {self.n} rows)")
        return self.z, self.p, self.slack

    def _run(self):
        n = self.n
        K = self.cols.shape[0]
        if self.warm:
            self.H.run()
            ms = self.H.getModelStatus()
            if ms == _hcore.HighsModelStatus.kInfeasible:
                return "infeasible", self.H.modelStatusToString(ms)
            if ms != _hcore.HighsModelStatus.kOptimal:
                return "fail", f"model status {self.H.modelStatusToString(ms)}"
            sol = self.H.getSolution()
            x = np.asarray(sol.col_value, dtype=np.float64)
            self.p = np.asarray(sol.row_dual, dtype=np.float64).copy()
            off = self._offset
            self.slack = x[off - 2 * n:off] if self.elastic else np.zeros(n)
            if self.elastic:
                self.slack = self.slack[:n] - self.slack[n:]
            self.z = x[off:].copy()
            return "optimal", ""
        blocks = [sp.csc_array(self.cols.T)]
        c = np.ones(K)
        if self.elastic:
            eye = sp.identity(n, format="csc")
            blocks += [eye, -eye]
            c = np.concatenate([c, np.full(2 * n, self.big_m)])
        res = linprog(c, A_eq=sp.hstack(blocks, format="csc"), b_eq=self.y, bounds=(0, None), method="highs-ds",
                      options=dict(primal_feasibility_tolerance=_LP_TOL, dual_feasibility_tolerance=_LP_TOL))
        if res.status == 2:
            return "infeasible", f"status 2: {res.message}"
        if res.status != 0:
            return "fail", f"status {res.status}: {res.message}"
        self.z = res.x[:K]
        self.slack = res.x[K:K + n] - res.x[K + n:] if self.elastic else np.zeros(n)
        self.p = np.asarray(res.eqlin.marginals, dtype=np.float64)
        return "optimal", ""


def _reduce_support(A_S, w_S):
    """Carathéodory reduction: make the support columns linearly independent (so at most n of them)
    without changing A_S w_S and without increasing sum |w| (moves along null vectors of A_S).
    Only called when the support has more columns than rows. Returns a boolean keep-mask and the
    new weights; the input is returned unchanged if a step would change the fit."""
    w = w_S.copy()
    keep = w != 0
    fit = A_S @ w
    scale = np.abs(A_S).max() * np.abs(w).sum() + 1e-300
    while keep.sum() > A_S.shape[0]:
        idx = np.flatnonzero(keep)
        _, _, Vt = np.linalg.svd(A_S[:, idx], full_matrices=True)
        z = Vt[-1]  # an exact null vector: more columns than rows
        if np.sign(w[idx]) @ z > 0:
            z = -z
        mask = w[idx] * z < 0
        if not np.any(mask):
            z = -z
            mask = w[idx] * z < 0
        tt = -w[idx][mask] / z[mask]
        i = int(np.argmin(tt))
        w[idx] += tt[i] * z
        w[idx[np.flatnonzero(mask)[i]]] = 0.0
        keep = w != 0
    w[~keep] = 0.0
    if np.max(np.abs(A_S @ w - fit), initial=0.0) > 1e-12 * scale:
        return w_S != 0, w_S.copy()
    return keep, w


def _kkt_solve(AS, y, c):
    """w with A_S^T (y - A_S w) = c, by a QR of A_S (full column rank required; None otherwise)."""
    Q, R = np.linalg.qr(AS)
    dg = np.abs(np.diag(R))
    if dg.size == 0 or dg.min() <= 1e-13 * dg.max():
        return None
    # R^T R w = A^T y - c  ->  R w = Q^T y - R^{-T} c
    u = solve_triangular(R, c, trans="T")
    return solve_triangular(R, Q.T @ y - u)


def _polish_lasso(At, y, nlam, w, tol, max_steps=200):
    """Active-set method on the lasso KKT system from w (modified in place when it succeeds).

    On the support S with signs s solve A_S^T (y - A_S w_S) = nlam s; if a weight would change sign,
    step only to the first zero and drop it; when the signs hold, add the column violating
    |a_k . r| <= nlam (1 + tol/2) the most, with the sign of a_k . r. Returns True on success (every
    column within the bound, eta = sign(w) exactly on the support)."""
    K, n = At.shape
    cur = w.copy()
    if np.any(cur):
        cur[np.abs(cur) <= 1e-12 * np.abs(cur).max()] = 0.0
    S0 = np.flatnonzero(cur)
    if S0.size > n:  # at most n support columns first (same fit, L1 not increased)
        keep, cur[S0] = _reduce_support(At[S0].T, cur[S0])
    S = list(np.flatnonzero(cur))
    sgn = {k: np.sign(cur[k]) for k in S}
    for _ in range(max_steps):
        if S:
            Sa = np.array(S)
            AS = At[Sa].T
            s_vec = np.array([sgn[k] for k in S])
            if len(S) > n:
                return False
            target = _kkt_solve(AS, y, nlam * s_vec)  # QR, not normal equations: nearly collinear atoms
            if target is None:
                return False
            old = cur[Sa]
            bad = np.sign(target) != s_vec
            if np.any(bad):
                # largest step t in [0, 1] keeping the signs; the first coordinate to reach 0 leaves S
                dlt = target - old
                with np.errstate(divide="ignore", invalid="ignore"):
                    tt = np.where(bad, -old / dlt, np.inf)
                i = int(np.argmin(tt))
                t = float(np.clip(tt[i], 0.0, 1.0))
                cur[Sa] = old + t * dlt
                cur[Sa[i]] = 0.0
                del sgn[S[i]]
                S.pop(i)
                continue
            cur[:] = 0.0
            cur[Sa] = target
        else:
            cur[:] = 0.0
        r = y - At.T @ cur
        g = At @ r
        g_out = np.abs(g)
        if S:
            g_out[np.array(S)] = 0.0
        j = int(np.argmax(g_out))
        if g_out[j] <= nlam * (1 + 0.5 * tol):
            w[:] = cur
            return True
        S.append(j)
        sgn[j] = np.sign(g[j])
    return False


def _solve_lasso(At, y, lam, w0, tol, descent=True):
    """Exact restricted lasso  min (1/2n)|y - A w|^2 + lam |w|_1  (At = A^T): coordinate descent from w0
    (skipped if ``descent`` is False, e.g. when w0 comes from the HiGHS QP), then a KKT polish on the
    support, A_S^T (y - A_S w_S) = n lam sign(w_S), accepted when the signs agree and every column has
    |eta| <= 1 + tol/2; otherwise more coordinate descent."""
    K, n = At.shape
    nlam = n * lam
    w = np.zeros(K)
    w[:w0.shape[0]] = w0
    r = y - At.T @ w
    colsq = np.einsum("kj,kj->k", At, At)
    if descent:
        _cd_lasso(At, y, nlam, w, r, colsq, 20000, 1e-11)
    # KKT polish: on the support S with signs s, A_S^T (y - A_S w_S) = nlam s
    # active-set polish (primal-dual, with a sign-preserving line search): exact KKT on the support
    for _ in range(3):
        if _polish_lasso(At, y, nlam, w, tol):
            break
        _cd_lasso(At, y, nlam, w, y - At.T @ w, colsq, 2000, 1e-13)
    return w, y - At.T @ w


# ----------------------------------------------------------------------------------------------
# pricing
# ----------------------------------------------------------------------------------------------
def _d2_breakpoints(X):
    # unit directions orthogonal to each x_j, built exactly: (-x1, x0) and (x1, -x0)
    bd = np.concatenate([np.stack([-X[:, 1], X[:, 0]], 1), np.stack([X[:, 1], -X[:, 0]], 1)])
    bd /= np.linalg.norm(bd, axis=1, keepdims=True)
    ang = np.mod(np.arctan2(bd[:, 1], bd[:, 0]), 2 * np.pi)
    order = np.argsort(ang, kind="stable")
    return np.ascontiguousarray(ang[order]), np.ascontiguousarray(bd[order])


def _d2_cell_dirs(d2data):
    """d = 2: two directions in every activation cell, its middle and its first breakpoint (2 x 2n rows).

    Within a cell relu(theta . x_j) is linear in theta, so two independent directions per cell span all the
    features the cell can give: with these columns the interpolation LP is always feasible (the columns of
    random directions can miss the narrow cells between close points and have rank < n)."""
    ang, bd = d2data
    mid = ang + 0.5 * np.diff(np.append(ang, ang[0] + 2 * np.pi))
    return np.concatenate([np.stack([np.cos(mid), np.sin(mid)], 1), bd])


def _price(X, p, power, starts, d2data, max_hops, signed=None, arc=True):
    """Candidate local maxima of |eta|: returns (theta (m, d), eta (m,)).

    d >= 3: ascents of ``+eta`` and ``-eta`` from every row of ``starts``, and of ``sign * eta`` only from the rows
    of ``signed = (directions, signs)`` (e.g. the current atoms, whose own sign is the one where |eta| is near 1).
    For power = 1 the cheap fixed-point hops run first from every start; the cell walk then runs once per
    distinct hop end point (many starts hop to the same cell maximiser), which gives the same maxima. ``arc``: the
    walk's steps include the exact arc line search (:func:`_arc_search`; power 1, d >= 3)."""
    n, d = X.shape
    if d2data is not None:
        ang, bd = d2data
        th = np.empty((2 * ang.shape[0], 2))
        ev = np.empty(2 * ang.shape[0])
        _sweep_d2(X, p, ang, bd, th, ev)
        return th, ev
    m = starts.shape[0]
    if power != 1.0:
        if signed is not None:
            starts = np.ascontiguousarray(np.concatenate([starts, signed[0]]))
            m = starts.shape[0]
        th = np.empty((2 * m, d))
        ev = np.empty(2 * m)
        _ascent_smooth(X, p, float(power), starts, th, ev, 500)
        return th, ev
    S = [starts, starts]
    sig = [np.ones(m), -np.ones(m)]
    if signed is not None:
        S.append(signed[0])
        sig.append(np.asarray(signed[1], dtype=np.float64))
    S = np.ascontiguousarray(np.concatenate(S))
    sig = np.concatenate(sig)
    th = np.empty_like(S)
    ev = np.empty(S.shape[0])
    _ascent_relu(X, p, S, sig, th, ev, max_hops, 0)
    key = np.concatenate([np.round(th, 10), sig[:, None]], 1)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    S, sig = np.ascontiguousarray(th[first]), sig[first]
    th = np.empty_like(S)
    ev = np.empty(S.shape[0])
    _ascent_relu(X, p, S, sig, th, ev, 0, 64 + 4 * n, arc)
    return th, ev


def _distinct(theta, existing, tol=_DUP_TOL):
    """Boolean mask of rows of theta that are not within tol of a row of existing nor of an earlier row."""
    m = theta.shape[0]
    keep = np.ones(m, bool)
    if existing is not None and existing.shape[0]:
        # |a - b|^2 = 2 - 2 a.b for unit vectors
        G = theta @ existing.T
        keep &= ~(np.max(G, axis=1) > 1 - 0.5 * tol * tol)
    G = theta @ theta.T
    close = G > 1 - 0.5 * tol * tol
    for i in range(m):
        if keep[i]:
            dup = np.flatnonzero(close[i, i + 1:]) + i + 1
            keep[dup] = False
    return keep


def _merge_same_cell(theta, w, X):
    """power = 1: atoms with the same activation pattern on X and the same weight sign are one atom:
    sum_i w_i relu(X theta_i) = s relu(X u) with u = sum_i |w_i| theta_i (the cell is a convex cone),
    s the common sign, and |u| <= sum |w_i|. Exact for the fit, never increases the objective."""
    if theta.shape[0] < 2:
        return theta, w
    T = X @ theta.T  # (n, n_A)
    pat = np.where(T > _BOUNDARY_TOL, 1, np.where(T < -_BOUNDARY_TOL, -1, 0)).astype(np.int8)
    keys = {}
    for i in range(theta.shape[0]):
        key = (bool(w[i] > 0), pat[:, i].tobytes())
        keys.setdefault(key, []).append(i)
    if all(len(v) == 1 for v in keys.values()):
        return theta, w
    new_t, new_w = [], []
    for (pos, _), idx in keys.items():
        u = (np.abs(w[idx])[:, None] * theta[idx]).sum(0)
        nu = np.linalg.norm(u)
        if nu == 0:
            continue
        new_t.append(u / nu)
        new_w.append(nu if pos else -nu)
    return np.array(new_t).reshape(-1, theta.shape[1]), np.array(new_w)


@nb.njit(cache=True)
def _caratheodory_loop(CT, wb, wr, bidx, ridx):
    """In-place core of :func:`_caratheodory`: CT (M, r) the coordinates of the non-basic columns in the basis,
    one column per row (a pivot then updates contiguous rows), wb / wr the basic / non-basic weights, bidx the
    basis's column indices. A basis exchange is a simplex pivot on CT (O(r M)); the entering column's weight
    moves to wb."""
    M, r = CT.shape
    for k in range(M):
        if wr[k] == 0.0:
            continue
        ck = CT[k]
        g = np.sign(wr[k])
        for i in range(r):
            g -= np.sign(wb[i]) * ck[i]
        if g != 0.0:
            tdir = -np.sign(g)
        else:
            tdir = -np.sign(wr[k])
        t_best = -wr[k]
        i_best = -1
        if np.sign(t_best) != tdir and t_best != 0.0:
            t_best = np.inf * tdir
        for i in range(r):
            c = ck[i]
            if c != 0.0:
                t = wb[i] / c
                if (np.sign(t) == tdir or t == 0.0) and abs(t) < abs(t_best):
                    t_best = t
                    i_best = i
        t = t_best
        for i in range(r):
            wb[i] -= t * ck[i]
        if i_best < 0:
            wr[k] = 0.0
            continue
        # exchange: basic i_best leaves (weight 0), column k enters with weight wr[k] + t
        piv = ck[i_best]
        newval = wr[k] + t
        wr[k] = 0.0
        for j in range(k + 1, M):
            cj = CT[j]
            f = cj[i_best] / piv
            if f != 0.0:
                for i in range(r):
                    cj[i] -= f * ck[i]
                cj[i_best] = f
        wb[i_best] = newval
        bidx[i_best] = ridx[k]


def _caratheodory(A_S, w):
    """Carathéodory purification: reduce the support of ``w`` until its columns of ``A_S`` (n, m) are
    linearly independent (so at most n), keeping ``A_S w`` and never increasing ``sum |w|``.

    A basis B of the column space is chosen by a column-pivoted QR of ``A_S diag(|w|)`` (the heaviest
    columns first). Each other column k, lightest first, is written ``a_k = B c``; the weights move along
    the null vector (``+1`` on k, ``-c`` on B) in the direction that does not increase the L1 objective
    (linear while no sign changes) up to the first weight that reaches zero. If that is ``w_k`` the
    column is gone; if it is a basic column, k takes its place in the basis. The other columns go through in
    blocks of ``max(r, 64)``, the basis refactorised per block: cost ``O(n r m)`` for the coordinates plus
    ``O(r b)`` per exchange (r = rank, b the block). Returns (keep mask, new weights)."""
    n, m = A_S.shape
    w = w.copy()
    keep = w != 0
    if m == 0:
        return keep, w
    # the basis from the heaviest 2n columns first (a pivoted QR of n x 2n, not of n x m: n = 1024, m ~ 20,000
    # took 2 s); all m columns only if those do not span the column space
    heavy = np.argsort(-np.abs(w), kind="stable")
    for cols in ((heavy[:2 * n], heavy) if m > 2 * n else (heavy,)):
        _, R, piv = sla_qr(A_S[:, cols] * np.abs(w[cols]), mode="economic", pivoting=True)
        dg = np.abs(np.diag(R))
        rank = int(np.sum(dg > dg[0] * max(n, m) * np.finfo(float).eps)) if dg.size and dg[0] > 0 else 0
        if rank == min(n, m):
            break
    basis = cols[piv[:rank]]
    rest = np.setdiff1d(np.arange(m), basis)
    rest = rest[np.argsort(np.abs(w[rest]), kind="stable")]

    # the non-basic columns go through in blocks of max(rank, 64), each against the current basis (refactorised
    # per block): a pivot updates only the block's coordinates, O(r b) instead of O(r m), so a pool of m columns
    # costs O(m r^2) instead of up to O(r m^2) (n = 1024, d = 5 constant target: ~22,000 interior columns)
    bidx = basis.astype(np.int64).copy()
    block = max(rank, 64)
    for start in range(0, rest.size, block):
        idx = rest[start:start + block].astype(np.int64)
        Q, Rb = np.linalg.qr(A_S[:, bidx])
        CT = np.ascontiguousarray(solve_triangular(Rb, Q.T @ A_S[:, idx]).T)
        wb = np.ascontiguousarray(w[bidx])
        wr = np.ascontiguousarray(w[idx])
        w[bidx] = 0.0  # columns that leave the basis end with weight 0
        _caratheodory_loop(CT, wb, wr, bidx, idx)
        w[idx] = wr  # every block column is now eliminated (0) or basic (its weight in wb)
        w[bidx] = wb
    keep = w != 0
    w[~keep] = 0.0
    return keep, w


def _exact_fit(At, z, y, sweeps=2):
    """Remove the primal residual e = y - A z of a positive z by z-weighted least changes,
    dz = Z A^T (A Z A^T)^{-1} e (relative changes ~ |e|, so z stays positive), twice (iterative refinement)."""
    from ._ipm import _chol_factor
    for _ in range(sweeps):
        e = y - At.T @ z
        try:
            F = _chol_factor((At.T * z) @ At, 1e-14, 1e-8)
        except np.linalg.LinAlgError:
            break
        z = np.maximum(z + z * (At @ cho_solve(F, e, check_finite=False)), 0.0)
    return z


def _vertex_from_interior(theta, sg, At, z, X, y, power):
    """A basic solution next to an interior-point solution ``z`` of the master LP.

    The columns with ``z > thr max z`` are first made to fit y exactly (:func:`_exact_fit`: the interior
    point's residual and the dropped columns' part, ~1e-7..1e-5), merged exactly by activation cell (power 1),
    and reduced to linearly independent columns by :func:`_caratheodory` (fit kept, L1 not increased). Only if
    that fit is still above 1e-10 are the weights refitted on the basis (a refit on an ill-conditioned basis can
    turn a small residual into a large change of the L1 norm; a weight may change sign). ``thr`` goes from 1e-6 to 0
    until the refit interpolates to 1e-10. Returns (directions, signed weights, A_S (n, n_A))."""
    ytol = 1e-10 * max(1.0, float(np.abs(y).max()))
    for thr in (1e-6, 1e-9, 0.0):  # fewer columns first (faster); more if the basis cannot fit exactly
        keep = z > thr * z.max()
        dirs, wts = theta[keep], _exact_fit(At[keep], z[keep], y) * sg[keep]
        if power == 1.0:
            dirs, wts = _merge_same_cell(dirs, wts, X)
        A_S = _features(dirs, X, power).T
        kmask, wts = _caratheodory(A_S, wts)
        dirs, wts, A_S = dirs[kmask], wts[kmask], A_S[:, kmask]
        if wts.size and np.max(np.abs(A_S @ wts - y)) > ytol:
            # exact refit on the independent columns (a sign may flip: objective sum |w|)
            wl = np.linalg.lstsq(A_S, y, rcond=None)[0]
            if np.max(np.abs(A_S @ wl - y)) <= np.max(np.abs(A_S @ wts - y)):
                wts = wl
            nz = wts != 0
            dirs, wts, A_S = dirs[nz], wts[nz], A_S[:, nz]
        if wts.size and np.max(np.abs(A_S @ wts - y)) <= ytol:
            break
    return dirs, wts, A_S


def _vertex_dual(A_S, s, p0):
    """The dual of a basic solution closest to ``p0``: p with ``A_S^T p = s`` (complementary slackness:
    ``eta(theta_i) = sign(w_i)`` exactly), ``p = p0 + A_S (A_S^T A_S)^{-1} (s - A_S^T p0)``, by QR."""
    if A_S.shape[1] == 0:
        return p0.copy()
    Q, R = np.linalg.qr(A_S)
    return p0 + Q @ solve_triangular(R, s - A_S.T @ p0, trans="T")


def _check_consistent(X, y):
    """Interpolation needs equal targets at repeated points: a RuntimeError naming the first conflict."""
    _, first, inv = np.unique(X, axis=0, return_index=True, return_inverse=True)
    inv = inv.ravel()
    bad = np.flatnonzero(y != y[first[inv]])
    if bad.size:
        j = int(bad[0])
        i = int(first[inv[j]])
        raise RuntimeError(
            f"the interpolation problem is infeasible: rows {i} and {j} of X are the same point with different "
            f"targets (y[{i}] = {y[i]!r}, y[{j}] = {y[j]!r}). Use lam > 0 for a penalised fit.")


def _sampled_starts(X, p, power, rand_dirs):
    """The ``_SAMPLE_TOP`` of ``max(_SAMPLE_MIN, 50 n)`` random directions with the largest |eta| (one parallel
    pass): pricing starts in the basins of narrow maxima that the ascents from the training points and the
    random starts miss (measured: d = 4, n = 40, 5 of 12 seeds of the ipm path and d = 3, n = 48, 3 of 24
    seeds of the simplex path ended 1e-3..2e-3 below the sampled max|eta| without them)."""
    T = rand_dirs(max(_SAMPLE_MIN, 50 * X.shape[0]))
    e = np.empty(T.shape[0])
    _weighted_sum(T, X, p, float(power), e)
    return T[np.argpartition(-np.abs(e), _SAMPLE_TOP)[:_SAMPLE_TOP]]


def _atomic_ipm(X, y, power, tol, max_iter, n_starts, rng, d2data, verbose):
    """lam = 0 by column generation with an interior-point master (see :mod:`._ipm`).

    The pool starts with 4n random directions, the n training points and the two directions +-w/|w| of the
    least-squares linear part of y, of both signs (in d = 2 also two directions per activation cell; in d >= 3
    more random directions if the first master LP is infeasible). Each round solves the master LP to a
    relative gap ``delta`` (loose while the column-generation gap is large, tightened as it closes:
    well-centred duals), prices with its duals, adds the new local maxima of |eta| and drops columns
    that carry no weight and have reduced cost above 0.3 (and, above ``_POOL_CAP * n`` columns, weightless ones
    with reduced cost above 0.05, largest first). Pricing in d >= 3 is staged: ascents from the heaviest columns
    and the last round's maxima, then from the training points and random points when those find fewer than
    ``_STAGE_MIN * n`` violated maxima (always before the run can stop). Once ``max|eta| <= 1 + tol`` (full
    pricing) with a master gap below ``tol / 10``, the interior point is purified to a basic solution
    (:func:`_vertex_from_interior`); the interior dual is kept if it certifies the vertex within ``2 tol``, else
    the better-certifying of it and the vertex's complementary dual; the run ends when the certificate is
    ``<= 1 + tol``, otherwise the rounds go on. From the second round each master LP starts from a saved iterate of
    the last one (:func:`_ipm_warm_start`; Mehrotra's cold start when there is none or the warm one diverges or
    stalls). A round that purifies an uncertified vertex and changes nothing
    (no column added or dropped, the same master gap) would repeat itself exactly: the run then stops
    unconverged, returning the basic solution with the smallest duality gap so far (a warning gives it)."""
    from ._ipm import lp_ipm

    n, d = X.shape
    n_add_max = max(2 * n, 32)

    def rand_dirs(m):
        Z = rng.standard_normal((m, d))
        return Z / np.linalg.norm(Z, axis=1, keepdims=True)

    def full_starts(p):
        # the training points, n_starts random points and the sampled starts of narrow maxima (drawn first)
        top = _sampled_starts(X, p, power, rand_dirs)
        return np.ascontiguousarray(np.concatenate([X, rand_dirs(n_starts), top]))

    def pool(extra):
        # the starting columns, both signs: random directions, the training points and, in d = 2, two directions
        # in every activation cell (its middle and its boundary breakpoint), so that the columns span R^n
        parts = [rand_dirs(4 * n + extra), X, lin_dirs]
        if d2data is not None:
            parts.append(_d2_cell_dirs(d2data))
        P = np.concatenate(parts)
        th = np.concatenate([P, P])
        sgn = np.concatenate([np.ones(P.shape[0]), -np.ones(P.shape[0])])
        return th, sgn, _features(th, X, power) * sgn[:, None]

    # the least-squares linear part w.x of y is exactly relu(w.x) - relu(-w.x): +-w/|w| start in the pool (a smooth
    # target with a large degree-1 part otherwise takes tens of rounds to find these two atoms)
    w_lin = np.linalg.lstsq(X, y, rcond=None)[0]
    nw = float(np.linalg.norm(w_lin))
    lin_dirs = np.stack([w_lin, -w_lin]) / nw if nw > 0 else np.empty((0, d))

    def primal_tol(gap):
        # a round that cannot stop (master gap above tol / 10) uses only the master's dual (dual feasible, so y.p
        # stays a lower bound): its primal residual need only be a tenth of the gap, at most _IPM_LOOSE_PRIMAL
        return 1e-7 if gap <= 0.1 * tol * (1 + 1e-9) else float(np.clip(0.1 * gap, 1e-7, _IPM_LOOSE_PRIMAL))

    delta = 1e-2
    theta, sg, At = pool(0)
    r_first = lp_ipm(At, y, gap_tol=delta, primal_tol=1e-5)
    for extra in (8 * n, 32 * n):          # random pools can miss the small cells of close points (rank < n)
        if r_first.res_primal <= 1e-5:
            break
        theta, sg, At = pool(extra)
        r_first = lp_ipm(At, y, gap_tol=delta, primal_tol=1e-5)
    born = np.zeros(theta.shape[0], np.int64)
    warm_start = None
    last_found = (np.empty((0, d)), np.empty(0))
    history = []
    best, best_gap = None, np.inf
    converged = False
    lower = -np.inf
    for it in range(1, max_iter + 1):
        t0 = time.perf_counter()
        ptol = max(primal_tol(delta), 1e-5) if it > 1 else 1e-5
        r = r_first if it == 1 else None
        warm_used = r is None and warm_start is not None
        if warm_used:
            try:
                r = lp_ipm(At, y, gap_tol=delta, primal_tol=primal_tol(delta), start=warm_start, save_gap=_WARM_GAP)
            except np.linalg.LinAlgError:
                r = None
            if r is None or r.res_primal > ptol:  # diverged or stalled: solve again from Mehrotra's starting point
                r, warm_used = None, False
        if r is None:
            r = lp_ipm(At, y, gap_tol=delta, primal_tol=primal_tol(delta), save_gap=_WARM_GAP)
        for loose in (1e-4, 1e-2):  # tight gaps can stall on degenerate LPs (constant targets in d = 2)
            if r.res_primal <= ptol or delta >= loose:
                break
            r = lp_ipm(At, y, gap_tol=loose)
        if r.res_primal > ptol:
            raise RuntimeError(
                "the interpolation problem is infeasible or numerically singular: the interior-point master LP "
                f"ends with relative residual |A z - y| / (1 + |y|) = {r.res_primal:.3g} "
                "(typical cause: repeated points with different targets). Use lam > 0 for a penalised fit.")
        t1 = time.perf_counter()
        zmax = r.z.max() if r.z.size else 0.0
        starts = signed = None
        if d2data is None:
            # the heaviest columns of the interior point (at most n; with their own sign) and the last round's
            # maxima (their sign), the training points and random points (both signs). Measured: the training
            # points alone find the round's maximum; thousands of interior support columns only cost time.
            supp = np.flatnonzero(r.z > 1e-3 * zmax)
            supp = supp[np.argsort(-r.z[supp], kind="stable")[:n]]
            signed = (np.concatenate([theta[supp], last_found[0]]), np.concatenate([sg[supp], last_found[1]]))
            # staged: the ascents from these (short walks: they start near maxima) first; the training points and
            # random points (long walks) only when those find fewer than _STAGE_MIN * n violated maxima, and
            # always before the run may stop (the certificate is the best over all the starts)
            th, ev = _price(X, r.p, power, np.empty((0, d)), None, 60, signed)
            a_ev = np.abs(ev)
            full = int(np.sum(a_ev > 1 + tol)) < _STAGE_MIN * n or it == max_iter
            if full:
                th2, ev2 = _price(X, r.p, power, full_starts(r.p),
                                  None, 60)
                th, ev = np.concatenate([th, th2]), np.concatenate([ev, ev2])
        else:
            th, ev = _price(X, r.p, power, starts, d2data, 60, signed)
            full = True
        a_ev = np.abs(ev)
        cert = max(float(a_ev.max()) if a_ev.size else 0.0, float((At @ r.p).max()))
        if full:  # a lower bound only with the certificate of the full pricing
            lower = max(lower, float(y @ r.p) / max(1.0, cert))
        t2 = time.perf_counter()
        entry = dict(iteration=it, n_columns=theta.shape[0], lp_rows=n, lp_cols=theta.shape[0], objective=r.primal,
                     lower_bound=lower, max_eta=cert, ipm_iterations=r.iterations, ipm_warm=warm_used,
                     master_gap=r.gap, t_master=t1 - t0, t_pricing=t2 - t1, full_pricing=full, vertex=False)
        done = False
        if (full and cert <= 1 + tol and r.gap <= 0.1 * tol) or it == max_iter:
            # the basic solution from a primal solve to 1e-7 (a round with a loose primal residual solves again)
            zv = r.z if r.res_primal <= 1e-7 else lp_ipm(At, y, gap_tol=min(delta, 0.1 * tol)).z
            dirs, wts, A_S = _vertex_from_interior(theta, sg, At, zv, X, y, power)
            obj = float(np.abs(wts).sum())
            fit = float(np.max(np.abs(A_S @ wts - y))) if wts.size else float(np.abs(y).max())
            # the dual: the interior-point one if it already certifies the vertex (max|eta| <= 1 + tol and the
            # vertex within 2 tol of its bound: no second pricing), else the vertex's complementary one if it
            # certifies better
            if cert <= 1 + tol and obj - float(y @ r.p) / max(1.0, cert) <= 2 * tol * obj:
                p_out, c_out, cv = r.p, cert, cert
            else:
                pv = _vertex_dual(A_S, np.sign(wts), r.p)
                st = None if d2data is not None else full_starts(pv)
                thv, evv = _price(X, pv, power, st, d2data, 60, None if d2data is not None else (dirs, np.sign(wts)))
                cv = max(float(np.abs(evv).max()) if evv.size else 0.0, float(np.abs(At @ pv).max()))
                if float(y @ pv) / max(1.0, cv) > lower:
                    p_out, c_out = pv, cv
                else:
                    p_out, c_out = r.p, cert
            entry.update(vertex=True, vertex_objective=obj, vertex_atoms=int(wts.size), vertex_max_eta=cv)
            t2 = time.perf_counter()
            entry["t_pricing"] = t2 - t1
            # certified: max|eta| <= 1 + tol and the vertex within the duality gap the certificate allows
            gap_v = obj - float(y @ p_out) / max(1.0, c_out)
            entry["vertex_gap"] = gap_v
            done = c_out <= 1 + tol and fit <= 1e-8 * max(1.0, float(np.abs(y).max())) and gap_v <= 2 * tol * obj
            # keep the best basic solution so far (an unconverged run returns the one nearest the optimum)
            if best is None or done or gap_v < best_gap:
                best, best_gap = (c_out, dirs, wts, p_out, obj, fit), gap_v
        history.append(entry)
        if verbose:
            vx = f"  vertex obj {entry['vertex_objective']:.12g} max|eta| {entry['vertex_max_eta']:.10f}" \
                if entry["vertex"] else ""
            print(f"[atomic/ipm] it {it:3d}  cols {theta.shape[0]:6d}  obj {r.primal:.12g}  lower {lower:.12g}  "
                  f"max|eta| {cert:.10f}  ipm {r.iterations} it {t1 - t0:.3f}s  pricing {t2 - t1:.3f}s{vx}")
        if done:
            converged = True
            break
        # new columns: violated maxima (distinct, same sign), best first
        cand = np.flatnonzero(a_ev > 1 + 1e-12)
        cand = cand[np.argsort(-a_ev[cand], kind="stable")]
        newt = th[cand]
        news = np.sign(ev[cand])
        if newt.shape[0]:
            newt = newt / np.linalg.norm(newt, axis=1, keepdims=True)
            keep = np.ones(newt.shape[0], bool)
            for sgn in (1.0, -1.0):
                m_new, m_old = news == sgn, sg == sgn
                if m_new.any():
                    keep[m_new] = _distinct(newt[m_new], theta[m_old])
            newt, news = newt[keep][:n_add_max], news[keep][:n_add_max]
        entry["n_added"] = int(newt.shape[0])
        if d2data is None:
            near = np.flatnonzero(a_ev > 1 - 1e-3)
            near = near[np.argsort(-a_ev[near], kind="stable")[:n]]
            last_found = (th[near], np.sign(ev[near]))
        # drop columns without weight and far from entering (not the ones added last round)
        drop = (r.z < 1e-6 * zmax) & (r.s > 0.3) & (born < it)
        excess = theta.shape[0] - int(drop.sum()) - _POOL_CAP * n
        if excess > 0:
            # pool cap: also drop the weightless columns farthest from entering (the master's cost is linear in
            # the number of columns; without a cap it grows by up to 2n columns a round)
            cand_d = np.flatnonzero(~drop & (r.z < 1e-3 * zmax) & (r.s > 0.05) & (born < it))
            cand_d = cand_d[np.argsort(-r.s[cand_d], kind="stable")[:excess]]
            drop[cand_d] = True
        if drop.any():
            theta, sg, At, born = theta[~drop], sg[~drop], At[~drop], born[~drop]
        if newt.shape[0]:
            theta = np.concatenate([theta, newt])
            sg = np.concatenate([sg, news])
            At = np.concatenate([At, _features(newt, X, power) * news[:, None]])
            born = np.concatenate([born, np.full(newt.shape[0], it)])
        warm_start = _ipm_warm_start(r.saved, ~drop, At)
        gap_cg = max((r.primal - lower) / max(abs(r.primal), 1e-300), 0.0)
        new_delta = float(np.clip(0.1 * gap_cg, max(0.1 * tol, 1e-8), 1e-2))
        if entry["vertex"] and not newt.shape[0] and not drop.any() and new_delta == delta:
            # nothing changed: the next round would solve the same master LP to the same gap and purify the same
            # vertex (seen in d = 2 with two points 1e-6 rad apart: a vertex 2e-4 above the optimum, 195 identical
            # rounds; a tighter master gap made the purified vertex worse there, objective x20)
            entry["stalled"] = True
            break
        delta = new_delta
    cv, dirs, wts, pv, obj, fit = best
    if fit > 1e-7 * max(1.0, float(np.abs(y).max())):
        raise RuntimeError(f"atomic: the purified solution fits the data only to {fit:.3g} (ill-conditioned problem)")
    return dirs, wts, pv, cv, obj, converged, history


def _ipm_warm_start(saved, keep, At):
    """Starting point ``(z, p, s)`` of the next master LP from an iterate ``saved = (z, p, s)`` of the last one.

    ``keep`` marks the last pool's columns still in ``At`` (first, in order; the new columns follow). The saved
    iterate is one with a moderate gap (``_WARM_GAP``), still well centred, not the end point: warm starts from
    near-optimal points block at the boundary (J. Gondzio, A. Grothey, "Reoptimization with the primal-dual
    interior point method", SIAM J. Optim. 13 (2002): keep an earlier, well-centred iterate). All costs are one,
    so dividing the dual by ``c = max(1, max_j a_j.p)`` makes it feasible for every column, the new ones
    included; then ``s = max(1 - A^T p, sqrt(mu))`` with ``mu`` the saved complementarity, the kept columns keep
    their ``z`` and the new ones start at ``z = mu / s``. ``None`` (no saved iterate) means a cold start.
    """
    if saved is None:
        return None
    z, p, s = saved
    mu = float(z @ s) / z.size
    z = z[keep]
    p = p / max(1.0, float((At @ p).max()))
    # a second product rather than (1 - A^T p) / c: the rounding of the benchmarked runs (their round count is
    # sensitive to it: n = 512 teacher 26 vs 31 rounds); one K x n product per round
    s = np.maximum(1.0 - At @ p, np.sqrt(mu))
    return np.concatenate([z, mu / s[z.size:]]), p, s


# ----------------------------------------------------------------------------------------------
# public function
# ----------------------------------------------------------------------------------------------
@limited("ATOMIC_BLAS_THREADS")
def atomic(X, y, lam=0.0, power=1, *, tol=1e-7, max_iter=200, n_starts=None, rng=0, big_m=1e7,
           warm=True, method="simplex", verbose=False) -> AtomicSolution:
    r"""Minimum total-variation ReLU network on the sphere (feature-regime predictor), continuous atoms.

    Solves, over finite measures on S^{d-1} (which are atomic at the optimum),

    * ``lam = 0``:  :math:`\min \sum_i |w_i|` s.t. :math:`\sum_i w_i\,\mathrm{relu}(\theta_i\cdot x_j)^{a} = y_j`,
    * ``lam > 0``:  :math:`\min \frac{1}{2n}\sum_j (f(x_j)-y_j)^2 + \lambda \sum_i |w_i|`,

    with :math:`f(x) = \sum_i w_i\,\mathrm{relu}(\theta_i\cdot x)^{a}`, ``a = power``, by column
    generation (HiGHS dual simplex master LP / exact restricted lasso, pricing by maximising the dual
    certificate ``|eta(theta)| = |sum_j p_j relu(theta . x_j)^a|`` over the sphere); see the module
    docstring for the method. At the optimum ``max |eta| = 1`` and ``eta(theta_i) = sign(w_i)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Training points on S^{d-1} (unit rows, docs/CONVENTIONS.md), d >= 2.
    y : array_like, shape (n,)
        Targets (finite).
    lam : float, default 0
        L1 (total-variation) penalty; ``0`` means exact interpolation.
    power : float, default 1
        Exponent ``a >= 1`` of the activation ``relu(t)^a``. ``a = 1`` uses the exact cell-walk pricing
        (global and exact in d = 2); other values use Riemannian gradient ascent.
    tol : float, default 1e-7
        Stop when ``max |eta| <= 1 + tol``.
    max_iter : int, default 200
        Maximum number of column-generation rounds (a ``RuntimeWarning`` if not converged).
    n_starts : int, optional
        Random starting points of the pricing ascent per round in d >= 3 (default ``max(64, n)``),
        in addition to the training points and the current atoms.
    rng : int, Generator or None, default 0
        Seed of the random starts and initial directions (the result is deterministic by default).
    big_m : float, default 1e7
        Penalty of the elastic slack used only when the restricted LP is infeasible; a slack left at
        the end means the interpolation problem is infeasible (``RuntimeError``).
    warm : bool, default True
        ``method="simplex"`` only: keep one HiGHS model across rounds and warm-start its dual simplex
        (scipy's bundled HiGHS object); ``False`` re-solves every round with
        ``scipy.optimize.linprog(method="highs-ds")``.
    method : {"simplex", "ipm"}, default "simplex"
        Master problem of the interpolation problem (``lam = 0``; the penalised problem always uses
        HiGHS's QP solver). ``"simplex"``: warm-started HiGHS dual simplex; certifies to any ``tol``.
        ``"ipm"``: a dense primal-dual interior-point master (:mod:`._ipm`) with loose-then-tightened
        gaps (well-centred duals), then purification of the final interior point to a basic solution
        (same-cell merge, Carathéodory, exact refit: ``n_A <= n``). About 9x faster at n = 512, d = 3,
        but it needs ``tol >= 1e-5``: the normal equations stall near relative gaps of 1e-7.
        The returned ``dual`` is the interior-point one (``eta(theta_i) = sign(w_i)`` only to about
        ``tol``) when it certifies the basic solution within ``2 tol``; otherwise that or the vertex's
        complementary one, whichever certifies the better bound.
    verbose : bool
        Print one line per round.

    Returns
    -------
    AtomicSolution

    Raises
    ------
    ValueError
        Bad X / y / lam / power / tol (shapes, non-finite values, off-sphere rows, lam < 0, power < 1).
    RuntimeError
        Infeasible interpolation (e.g. repeated points with different targets), or a HiGHS failure
        (its status and message are reported).

    Notes
    -----
    ``n_A <= n`` always: the master LP returns a basic (vertex) solution, and the lasso support is
    reduced (without changing the fit or increasing the L1 norm) until its columns are independent.
    For ``power = 1`` atoms with the same activation pattern and weight sign are merged exactly.

    References
    ----------
    Bach (2017), JMLR 18; Petrini, Cagnetta, Vanden-Eijnden, Wyart (NeurIPS 2022).
    """
    X = as_points(X, "X")
    n, d = X.shape
    if n < 1:
        raise ValueError("X must have at least one row (training point)")
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y must have one value per row of X: len(y) = {y.shape[0]} but X has {n} rows")
    lam = check_real(lam, "lam", minimum=0.0)
    power = check_real(power, "power")
    if power < 0:
        raise ValueError(f"power must be >= 0 (exponent of relu(t)^power), got {power!r}")
    if power < 1:
        raise ValueError(f"power = {power!r} is not supported: atomic() needs power >= 1 "
                         "(relu^power with power < 1 is not Lipschitz; power = 0 is the discontinuous step)")
    tol = check_real(tol, "tol", minimum=0.0, strict=True)
    max_iter = check_int(max_iter, "max_iter", 1)
    n_starts = max(64, n) if n_starts is None else check_int(n_starts, "n_starts", 0)
    big_m = check_real(big_m, "big_m", minimum=0.0, strict=True)
    rng = as_rng(rng)
    n_add_max = max(2 * n, 32)  # new columns per round

    if method not in ("ipm", "simplex"):
        raise ValueError(f"method must be 'ipm' or 'simplex', got {method!r}")
    if method == "ipm" and lam == 0.0 and tol < _IPM_MIN_TOL:
        raise ValueError(f"tol must be >= {_IPM_MIN_TOL:g} with method='ipm' (the interior-point master stalls on "
                         f"the ill-conditioned interpolation LPs below that), got {tol!r}; use method='simplex' "
                         "for a tighter certificate")

    # normalise the rows exactly (they are unit to SPHERE_TOL): the kernels assume unit vectors
    X = X / np.linalg.norm(X, axis=1, keepdims=True)

    # scale invariance: every tolerance below is relative to max|y| = 1. With y = s y' and lam = s lam', the
    # minimisers are w = s w' (the objective scales by s for lam = 0, by s^2 for lam > 0) and the duals p are
    # the same, so solve the problem of scale 1 and scale back (exactly, by a power of two when s is one)
    y_scale = float(np.max(np.abs(y)))
    if y_scale == 0.0:  # the optimum is the empty measure
        return AtomicSolution(np.empty((0, d)), np.empty(0), 0.0, lam, power, np.zeros(n), 0.0, 0.0, True, [], X)
    if y_scale != 1.0:
        lam1 = lam / y_scale
        if lam > 0 and not (0.0 < lam1 < np.inf):
            raise ValueError(f"lam / max|y| = {lam!r} / {y_scale!r} is not a representable positive float64: "
                             "rescale y or lam")
        sol = atomic(X, y / y_scale, lam1, power, tol=tol, max_iter=max_iter, n_starts=n_starts, rng=rng,
                     big_m=big_m, warm=warm, method=method, verbose=verbose)
        return sol._rescaled(y_scale, lam)
    d2data = _d2_breakpoints(X) if (d == 2 and power == 1.0) else None

    if lam == 0.0 and method == "ipm":
        _check_consistent(X, y)
        if not np.any(y):  # the optimum is w = 0 (the interior-point start would divide by 1.z = 0)
            return AtomicSolution(np.empty((0, d)), np.empty(0), 0.0, lam, power, np.zeros(n), 0.0, 0.0, True, [], X)
        dirs, wts, p, cert, obj, converged, history = _atomic_ipm(X, y, power, tol, max_iter, n_starts, rng,
                                                                    d2data, verbose)
        gap = max(obj - float(y @ p) / max(1.0, cert), 0.0)
        if not converged:
            why = (f"max|eta| = {cert:.9f} > 1 + tol" if cert > 1 + tol else
                   f"max|eta| = {cert:.9f} <= 1 + tol, but the basic solution's duality gap {gap:.3g} is above "
                   f"2 tol objective = {2 * tol * obj:.3g}")
            if history and history[-1].get("stalled"):
                why += ("; it stopped early: the last round added no column and changed nothing, so every further "
                        "round would repeat it")
            warnings.warn(f"atomic: column generation stopped after {len(history)} rounds without a certified "
                          f"solution ({why}); objective {obj:.12g} is within {gap:.3g} of the optimum (duality "
                          "gap). Raise max_iter or n_starts, or use method='simplex'.", RuntimeWarning, stacklevel=3)
        return AtomicSolution(np.ascontiguousarray(dirs), np.ascontiguousarray(wts), obj, lam, power, p, cert, gap,
                              converged, history, X)

    def rand_dirs(m):
        Z = rng.standard_normal((m, d))
        return Z / np.linalg.norm(Z, axis=1, keepdims=True)

    # columns: directions theta (K, d), signs sg (K,), rows At = sg * relu(theta . x)^a (K, n);
    # initially theta = the training points, both signs (random extra directions only slow the first LPs)
    theta0 = X[_distinct(X, None)]
    if d2data is not None:
        theta0 = np.concatenate([theta0, _d2_cell_dirs(d2data)])
    theta = np.concatenate([theta0, theta0])
    sg = np.concatenate([np.ones(theta0.shape[0]), -np.ones(theta0.shape[0])])
    At = _features(theta, X, power) * sg[:, None]
    master = _Master(y, big_m, lam=lam, warm=warm)
    master.add(At)
    w = np.zeros(theta.shape[0])  # signed weights of the columns
    history = []
    converged = False
    cert = np.inf
    p = np.zeros(n)
    slack = None
    last_found = np.empty((0, d))
    age = np.zeros(theta.shape[0], np.int64)  # rounds since a column was last in the support
    for it in range(1, max_iter + 1):
        t0 = time.perf_counter()
        K = theta.shape[0]
        z, p, slack = master.solve(np.abs(w), tol)
        w = sg * z
        if lam == 0.0:
            obj = float(np.abs(w).sum())
        else:
            r = p * (n * lam)
            obj = float(0.5 * (r @ r) / n + lam * np.abs(w).sum())
        t1 = time.perf_counter()
        supp = np.flatnonzero(w)
        starts = None
        if d2data is None:  # pricing starts: current atoms, training points, last maxima, random points, and the
            # sampled starts of narrow maxima (the certificate is decided on these every round)
            starts = np.ascontiguousarray(np.concatenate([theta[supp], X, last_found, rand_dirs(n_starts),
                                                          _sampled_starts(X, p, power, rand_dirs)]))
        col_eta = At @ p  # sigma_k eta(theta_k) for the current columns
        # in d = 3 the walks without the arc line search find the columns faster (measured: n = 256 teacher,
        # 24 vs 32 rounds) but can stop at local maxima below a violated one: a round that would stop prices again
        # with it, and only that decides the certificate (power != 1 has no arc search: one pricing)
        th, ev = _price(X, p, power, starts, d2data, 60, arc=d >= 4)
        a_ev = np.abs(ev)
        cert = max(float(a_ev.max()) if a_ev.size else 0.0, float(np.abs(col_eta).max()) if K else 0.0)
        if d == 3 and power == 1.0 and cert <= 1 + tol:
            th, ev = _price(X, p, power, starts, d2data, 60)
            a_ev = np.abs(ev)
            cert = max(cert, float(a_ev.max()) if a_ev.size else 0.0)
        t2 = time.perf_counter()
        cand = np.flatnonzero(a_ev > 1 + tol)
        cand = cand[np.argsort(-a_ev[cand], kind="stable")]
        n_added = 0
        if cand.size:
            newt = th[cand] / np.linalg.norm(th[cand], axis=1, keepdims=True)
            news = np.sign(ev[cand])
            keep = np.ones(cand.size, bool)
            for sgn in (1.0, -1.0):  # distinct among themselves and from existing columns of the same sign
                m_new, m_old = news == sgn, sg == sgn
                if m_new.any():
                    keep[m_new] = _distinct(newt[m_new], theta[m_old])
            newt, news = newt[keep][:n_add_max], news[keep][:n_add_max]
            n_added = newt.shape[0]
            if n_added:
                newA = _features(newt, X, power) * news[:, None]
                theta = np.concatenate([theta, newt])
                sg = np.concatenate([sg, news])
                At = np.concatenate([At, newA])
                w = np.concatenate([w, np.zeros(n_added)])
                age = np.concatenate([age, np.zeros(n_added, np.int64)])
                master.add(newA)
        last_found = th[a_ev > 1 - 1e-3][:n] if d2data is None else last_found
        history.append(dict(iteration=it, n_columns=K, lp_rows=n, lp_cols=master.n_cols - n_added,
                            objective=obj, max_eta=cert,
                            n_added=n_added, t_master=t1 - t0, t_pricing=t2 - t1))
        if verbose:
            print(f"[atomic] it {it:3d}  cols {K:6d}  obj {obj:.12g}  max|eta| {cert:.10f}  +{n_added}  "
                  f"master {t1 - t0:.3f}s  pricing {t2 - t1:.3f}s")
        if cert <= 1 + tol:
            converged = True
            break
        if n_added == 0:
            break
        # keep the master problem small: drop columns unused for many rounds and far from entering
        age[:K] = np.where(w[:K] != 0, 0, age[:K] + 1)
        K = theta.shape[0]
        cap = max(16 * n, 2048)
        if K > cap:
            old = np.arange(K - n_added)
            drop = old[(age[old] >= 10) & (col_eta[old] < 0.5)]
            drop = drop[np.argsort(col_eta[drop], kind="stable")][:K - cap // 2]
            if drop.size:
                keep = np.ones(K, bool)
                keep[drop] = False
                theta, sg, At, w, age = theta[keep], sg[keep], At[keep], w[keep], age[keep]
                master.delete(keep)

    if lam == 0.0 and master.elastic and np.max(np.abs(slack)) > 1e-8 * max(1.0, np.abs(y).max()):
        raise RuntimeError(
            "the interpolation problem is infeasible: HiGHS reported the master LP infeasible, and with an elastic "
            f"slack of penalty big_m={big_m:g} the constraints stay violated by {np.max(np.abs(slack)):.3g} at the "
            "optimum (typical cause: repeated points with different targets). Use lam > 0 for a penalised fit.")

    # final atoms: support, exact merge of same-cell atoms (power 1), independent support, polished weights
    supp = np.flatnonzero(w)
    dirs, wts = theta[supp], w[supp]
    n_before = dirs.shape[0]
    if power == 1.0:
        dirs, wts = _merge_same_cell(dirs, wts, X)
    merged = dirs.shape[0] < n_before
    A_S = _features(dirs, X, power).T
    keep, wts = _reduce_support(A_S, wts) if dirs.shape[0] > n else (np.ones(dirs.shape[0], bool), wts)
    dirs, wts, A_S = dirs[keep], wts[keep], A_S[:, keep]
    if lam == 0.0:
        if dirs.shape[0]:
            wl = np.linalg.lstsq(A_S, y, rcond=None)[0]
            if np.all(np.sign(wl) == np.sign(wts)) and \
                    np.max(np.abs(A_S @ wl - y)) <= np.max(np.abs(A_S @ wts - y)):
                wts = wl
        obj = float(np.abs(wts).sum())
        dual_obj = float(y @ p) / max(1.0, cert)
    else:
        if merged and dirs.shape[0]:
            # merged atoms: exact lasso weights on the final atoms and the certificate of the new duals;
            # kept only if still certified (else the unmerged, certified solution is returned)
            w2, r2 = _solve_lasso(np.ascontiguousarray(A_S.T), y, lam, wts, tol, descent=False)
            nz = w2 != 0
            p2 = r2 / (n * lam)
            starts = None if d2data is not None else np.ascontiguousarray(
                np.concatenate([dirs[nz], X, rand_dirs(n_starts)]))
            th, ev = _price(X, p2, power, starts, d2data, 60)
            cert2 = max(float(np.abs(ev).max()), float(np.abs(A_S[:, nz].T @ p2).max(initial=0.0)))
            if cert2 <= max(1 + tol, cert):
                dirs, wts, A_S, p, cert = dirs[nz], w2[nz], A_S[:, nz], p2, cert2
            else:
                dirs, wts = theta[supp], w[supp]
                A_S = _features(dirs, X, power).T
        r = y - (A_S @ wts if dirs.shape[0] else 0.0)
        obj = float(0.5 * (r @ r) / n + lam * np.abs(wts).sum())
        u = r / max(1.0, cert)
        dual_obj = float((y @ u - 0.5 * (u @ u)) / n)
    gap = max(obj - dual_obj, 0.0)
    if not converged:
        warnings.warn(f"atomic: column generation stopped after {len(history)} rounds with max|eta| = {cert:.9f} "
                      f"> 1 + tol ({1 + tol:.9f}); objective {obj:.12g} is within {gap:.3g} of the optimum "
                      "(duality gap). Raise max_iter or n_starts.", RuntimeWarning, stacklevel=3)
    return AtomicSolution(np.ascontiguousarray(dirs), np.ascontiguousarray(wts), obj, lam, power, p, cert, gap,
                          converged, history, X)


# ----------------------------------------------------------------------------------------------
# critical directions of the certificate (public: early alignment, spherekern.alignment)
# ----------------------------------------------------------------------------------------------
def critical_directions(X, p, *, power=1, kind="max", n_starts=None, rng=0):
    """Distinct local maxima (``kind="max"``) or minima (``kind="min"``) of the certificate on the sphere.

    ``eta(theta) = sum_j p_j relu(theta . x_j)`` over theta in S^{d-1}, found with the pricing machinery of
    :func:`atomic` (no second implementation): in d = 2 the exact sweep over the 2n arcs between the angles
    where ``theta . x_j = 0`` (on each arc ``eta`` is ``theta . v``, its maximum over the closed arc has a closed
    form), in d >= 3 the cheap fixed-point hops ``theta <- v(theta)/|v(theta)|`` (their fixed points are the directions
with ``grad eta`` parallel to theta) then the exact cell walk to adjacent cells *without* the arc line search
(which jumps over valleys: right for the global maximum, wrong for listing local ones), started from the
    training points, ``n_starts`` random directions and the best of many sampled directions. A candidate is kept
    if no point within 1e-6 rad around it is better (so arc end points that only bound a neighbouring arc are
    dropped) and if it is not within 1e-6 rad of a better one.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points on S^{d-1} (unit rows), d >= 2.
    p : array_like, shape (n,)
        Finite weights of the certificate (e.g. the duals of :func:`atomic`, or ``y / n`` for early alignment).
    power : 1
        Only ``relu`` (power 1) is supported: the exact cell walk is the power-1 pricing.
    kind : {"max", "min"}
        Local maxima of ``eta`` or local minima (maxima of ``-eta``).
    n_starts : int >= 0, optional
        Random starts in d >= 3 (default ``max(64, 4 n)``).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    theta : ndarray, shape (k, d)
        Unit directions, best first (largest ``eta`` for "max", smallest for "min").
    value : ndarray, shape (k,)
        ``eta(theta)`` (signed).
    """
    X = as_points(X, "X")
    n, d = X.shape
    p = as_array(p, "p", ndim=1)
    if p.shape[0] != n:
        raise ValueError(f"p must have one entry per row of X ({n}), got {p.shape[0]}")
    if not np.all(np.isfinite(p)):
        raise ValueError("p must be finite")
    if power != 1:
        raise ValueError(f"power must be 1 (relu; the exact cell walk is the power-1 pricing), got {power!r}")
    if kind not in ("max", "min"):
        raise ValueError(f"kind must be 'max' or 'min', got {kind!r}")
    s = 1.0 if kind == "max" else -1.0
    q = np.ascontiguousarray(s * p)
    if n == 0 or not np.any(q != 0):
        return np.empty((0, d)), np.empty(0)
    gen = as_rng(rng)

    def rand_dirs(m):
        Z = gen.standard_normal((m, d))
        return Z / np.linalg.norm(Z, axis=1, keepdims=True)

    if d == 2:
        ang, bd = _d2_breakpoints(X)
        th = np.empty((2 * ang.shape[0], 2))
        ev = np.empty(2 * ang.shape[0])
        _sweep_d2(X, q, ang, bd, th, ev)
    else:
        n_starts = max(64, 4 * n) if n_starts is None else check_int(n_starts, "n_starts", 0)
        starts = np.ascontiguousarray(np.concatenate([X, rand_dirs(n_starts), _sampled_starts(X, q, 1.0, rand_dirs)]))
        sig = np.ones(starts.shape[0])
        th = np.empty_like(starts)
        ev = np.empty(starts.shape[0])
        _ascent_relu(X, q, starts, sig, th, ev, 64, 0)  # cheap hops
        key = np.round(th, 10)
        _, first = np.unique(key, axis=0, return_index=True)
        S = np.ascontiguousarray(th[np.sort(first)])
        th = np.empty_like(S)
        ev = np.empty(S.shape[0])
        _ascent_relu(X, q, S, np.ones(S.shape[0]), th, ev, 0, 64 + 4 * n, False)  # local: no arc jumps
    th = th / np.linalg.norm(th, axis=1, keepdims=True)
    val = np.empty(th.shape[0])
    _weighted_sum(np.ascontiguousarray(th), X, q, 1.0, val)
    # local maximality: no better point on a small circle of tangent perturbations
    scale = np.sum(np.abs(q)) * np.max(np.abs(X)) + 1e-300
    keep = np.ones(th.shape[0], bool)
    nprobe = 4 if d == 2 else 4 * d
    for r in range(nprobe):
        T = gen.standard_normal(th.shape) if d > 2 else np.stack([-th[:, 1], th[:, 0]], 1) * (1 if r % 2 else -1)
        T -= np.sum(T * th, axis=1, keepdims=True) * th
        T /= np.linalg.norm(T, axis=1, keepdims=True)
        P = np.ascontiguousarray(th + (1e-6 * (1 + r // 2)) * T)
        P /= np.linalg.norm(P, axis=1, keepdims=True)
        vp = np.empty(P.shape[0])
        _weighted_sum(P, X, q, 1.0, vp)
        keep &= vp <= val + 1e-12 * scale
    th, val = th[keep], val[keep]
    order = np.argsort(-val, kind="stable")
    th, val = th[order], val[order]
    sel = _distinct(th, None, tol=1e-6)  # same direction to 1e-6 rad: one critical point (the better copy)
    return np.ascontiguousarray(th[sel]), s * val[sel]
