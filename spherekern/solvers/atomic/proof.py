"""A proof of global optimality for the atomic solver: a proven upper bound of max |eta| over the sphere.

The dual certificate of :func:`spherekern.solvers.atomic` is

    eta(theta) = sum_j p_j relu(theta . x_j)^q,      theta in S^{d-1},  q = power >= 1,

and the primal-dual pair is optimal over *all* measures iff ``max_theta |eta(theta)| <= 1``. The solver's
pricing finds the best of many local maxima (exact only in d = 2); :func:`prove_bound` *proves* an upper
bound ``B >= max_{S^{d-1}} |eta|`` by branch and bound over spherical caps, so ``p / max(1, B)`` is a dual
feasible point and the duality gap ``objective - y . p / max(1, B)`` is proven.

Cover. The sphere is the radial projection of the surface of the cube [-1, 1]^d: 2d faces
``{x_i = +-1}``, each a (d-1)-cube. A node of the tree is a dyadic sub-cube of a face, centre ``m`` (on the
face, ``|m| >= 1``) and half-width ``h``; it lies in the ball ``B(m, rho)``, ``rho = h sqrt(d - 1)`` (its
half-diagonal), so its projection lies in the cap of centre ``c = m / |m|`` and angular radius
``r = arcsin(rho / |m|)`` (the half-angle of the cone of rays through a ball not containing the origin).
The faces start at ``h = 2^-L0``, the least with ``rho <= 1/2`` (so ``r < pi / 6``). **Split rule**: a node
whose bound exceeds the current target is replaced by its 2^(d-1) children (centres ``m +- h/2`` in every
coordinate of the face, half-width ``h/2``). The children tile the parent exactly (dyadic numbers: the
centres and widths are exact in binary floating point down to ``h = 2^-45``, where a node stops being split
and counts as unresolved), so the leaves always tile the cube's surface and their caps cover the sphere;
a node's bound also bounds all its descendants (their regions are subsets), so a child keeps the smaller of
its own and its parent's bound.

Bound on a cap. Write ``a_j = c . x_j`` and ``b_j = |x_j - a_j c|``; on the cap
``theta = cos(phi) c + sin(phi) u`` (``u`` a unit vector orthogonal to ``c``, ``0 <= phi <= r``), and for any
vector ``w`` with ``a = c . w``, ``b = |w - a c|``

    max_{cap} theta . w = |w|                       if b cos r <= a sin r  (w / |w| inside the cap),
                        = a cos r + b sin r         otherwise,

(``a cos phi + b sin phi = |w| cos(phi - atan2(b, a))`` increases on [0, r] when atan2(b, a) > r). This
gives the range ``[lo_j, hi_j]`` of ``t_j = theta . x_j`` on the cap without any arccos (accurate for tiny
caps). A point whose hyperplane ``t_j = 0`` does not cut the cap (``lo_j >= 0``: always active;
``hi_j <= 0``: always inactive, dropped) contributes an exactly known term; for ``q = 1`` an active one is
linear, ``p_j theta . x_j``. Every term is then bounded by a linear function of ``t_j`` valid on
``[lo_j, hi_j]``, since ``f = relu^q`` is convex: from above by its chord over ``[lo_j, hi_j]`` (used for
``p_j > 0``), from below by a tangent (used for ``p_j < 0``; for a cut point either ``f >= 0`` or the
tangent at ``hi_j / 2``, i.e. ``relu(t) >= t`` for q = 1, the two variants of the bound below). For an
uncut active point and ``q = 1`` both are ``t`` itself (exact). Summing,

    eta(theta) <= theta . v + k   on the cap,   v = sum_j p_j s_j x_j,   k = sum_j p_j k_j,

whose maximum over the cap is the closed form above; the same with ``-p`` bounds ``-eta``. The cap's bound
is the smaller of the two variants, for both signs: ``U = max(U+, U-)``. With the zero lower bound for cut
points it is pointwise below the plain range bound (linear part exact plus ``sum_cut max(0, p_j) hi_j``), and
it tends to ``max_cap |eta|`` at rate O(r) as the caps shrink (exactly ``|v|`` once no hyperplane cuts the
cap and the maximiser ``v / |v|`` lies in it). The centre value ``|eta(c)|`` (free: it uses the same
``a_j``) is a lower bound of the maximum; the best one is ``best``.

Branch and bound. Caps are processed in batches of up to ``_BATCH`` (one numba task per cap, parallel over
caps, buffers preallocated once), depth first from a stack. A cap is pruned when its bound is at most the
target ``max(1 + tol, best (1 + tol))``; so on completion either ``bound <= 1 + tol`` (``proved``) or
``best <= max|eta| <= bound <= best (1 + tol)`` (a failed proof with a tight bound of the maximum). Stopped
early (``max_caps``, ``time_limit``), the bound is the largest bound of the unexplored nodes (their parents'
bounds): still a valid upper bound.

Point lists (power 1). A point whose hyperplane does not cut a node's cap does not cut any descendant's region
(a subset of the node's), where its term is exactly 0 (inactive) or ``p_j theta . x_j`` (active). So a node
hands its children only the points that cut its cap (at most ``_LIST_MAX``; more, and the children scan all
n) and ``V = sum p_j x_j`` over the active points decided by it and its ancestors; a child examines its list
and adds ``theta . V`` to every linear bound (and ``V`` to the exact cut bounds' linear part). The child's cap
may stick out of its parent's, but the bounds only need to hold on the child's region, and a linear bound valid
there is bounded by its maximum over any cap containing the region. Deep in the tree a cap is cut by a few
hyperplanes, so a node costs O(k d) for k listed points instead of O(n d): measured 5-10x faster in d = 3
(n = 256: 0.10 -> 0.02 s, n = 1024: 2.2 -> 0.22 s), 2-3x in d = 5 (n = 128: 9.7 -> 4.4 s, n = 256: 51 -> 16 s), on
the same caps (the scaling table below).

Rounding. The bound is rigorous up to rounding, and the rounding is bounded a priori: each range
``[lo_j, hi_j]`` is widened by ``delta_j = (8 d + 16) eps |x_j|`` (the errors of ``a_j``, ``b_j`` and of
``cos r``, ``sin r`` are a few ``d eps |x_j|``), so an "uncut" classification is never wrong; each radius is
inflated to ``r (1 + 1e-12) + 4 d eps`` (the rounding of ``c = m / |m|`` and of the arcsine); and the final
bound adds ``margin = 16 (m + d + 8) q eps sum_j |p_j| (|x_j| + delta_j)^q`` (Higham's ``gamma_m`` for the
sums of the n terms of the linear bounds, each at most ``q |p_j| |x_j|^q`` in size, and of the closed form). The
sums run in blocks of ``_SUM_BLOCK = 32`` points (partial sums, then the blocks added): at most 31 additions
inside a block and ``ceil(n / 32)`` to add the blocks; a term of a decided sum ``V`` then passes one more
addition per level below the node that decided it (at most 46 levels from ``h = 2^-L0`` to ``_H_MIN``) and two
into the linear bounds, so ``m = min(n, 31 + ceil(n / 32)) + _DEPTH``, ``_DEPTH = 48`` (:func:`_sum_terms`):
m = 111 at n = 1024, where one running sum (m = n) gave a margin of 3.6e-8 on the bench teacher's dual, above
tol / 4 at tol = 1e-7 (now 4.2e-9; checked against a 60-digit evaluation in the tests, for a node and a child
that gets its sum). ``tol`` must be at least ``4 margin`` (otherwise float64 cannot certify it for
this data; ValueError).

See docs/CONVENTIONS.md for conventions (points are rows of X on S^{d-1}, d the ambient dimension).

Notes
-----
Caps cut by 2 .. min(d - 1, 5) hyperplanes (power 1) whose relaxed bound is above the target get the exact
bound of :mod:`._proofcuts` (Lagrangian duality over each sign region): around an atom, where d - 1 hyperplanes
meet and ``|eta| = 1``, the relaxation is O(r) loose and forced refinement down to r ~ tol, while the exact bound
prunes a cap as soon as no other hyperplane cuts it.

Scaling (measured 2026-12-07 on a quiet 2-core Intel Xeon VM, wall seconds; the duals of ``atomic(X, y, tol=5e-8,
verify=False)`` on ``bench.bench_atomic._problem(n, d)``, proof at tol 1e-7; "full scans" = the same branch and
bound with every node scanning all n points, as before the point lists: the same caps and bounds):

=====  =====  ===========  ============  ============  =======  =======  ==========
d      n      cert - 1     bound - 1     caps          proved   s        full scans
=====  =====  ===========  ============  ============  =======  =======  ==========
3      64     4.96e-08     4.96e-08      9,616         yes      0.004    0.01
3      128    4.57e-08     4.59e-08      24,272        yes      0.01     0.02
3      256    4.96e-08     5.02e-08      61,128        yes      0.02     0.10
3      512    4.27e-08     6.77e-08      151,448       yes      0.06     0.43
3      1024   4.98e-08     7.53e-08      382,504       yes      0.22     2.23
4      64     4.71e-08     4.71e-08      166,832       yes      0.06     0.10
4      128    4.92e-08     6.33e-08      451,296       yes      0.17     0.40
4      256    4.92e-08     9.86e-08      1,305,040     yes      0.56     1.97
5      32     4.64e-08     4.65e-08      565,280       yes      0.33     0.38
5      64     4.04e-08     8.17e-08      2,807,872     yes      1.43     2.11
5      128    4.69e-08     9.60e-08      8,926,240     yes      4.38     9.73
5      256    4.64e-08     7.21e-04      27,858,000    no       15.8     51.3
=====  =====  ===========  ============  ============  =======  =======  ==========

The last row is a false local certificate found: ``max|eta| >= 1 + 7.2e-4`` (``best``) where the pricing had
certified 1 + 4.6e-8 (the default path repairs it: the proof is its last pricing step where it runs). The bound is
tight (within the rounding margin of the certificate where it proves). In d = 5 the cost is the number of caps
needed until each is cut by at most 5 hyperplanes (the arrangement's vertices are C(n, 4)-many): ~ n^1.7 caps and
~ n^1.6..1.9 time from n = 64 to 256; in d = 3 and 4 ~ n^1.3..1.5 caps.

References
----------
R. Horst, H. Tuy, "Global Optimization: Deterministic Approaches", Springer (1996), ch. 4 (branch and bound
with covers and bounding operations).
S. Wang et al., "Efficient formal safety analysis of neural networks", NeurIPS 2018, and H. Zhang et al.,
"Efficient neural network robustness certification with general activation functions" (CROWN),
NeurIPS 2018 (the chord / tangent linear relaxation of a ReLU on an interval).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numba as nb
import numpy as np

from ..._validate import as_array, as_points, check_int, check_real
from ._kernels import _act as _f  # relu(t)^q, the solver's own activation
from ._proofcuts import cap_coords as _cap_coords, cap_max as _cap_max, cut_cap_max, lin_max as _lin_max

__all__ = ["prove_bound", "ProofResult"]

_EPS = float(np.finfo(np.float64).eps)
#: Caps bounded per call of the numba kernel (one parallel task each).
_BATCH = 4096
#: Most cut hyperplanes of a cap given the exact bound of :mod:`._proofcuts` (2^k sign regions, each with
#: up to sum_{m < d} C(k + 1, m) active sets); caps cut by more keep the linear relaxation.
_KMAX = 5
#: Smallest half-width of a node (dyadic exactness of the centres): smaller nodes are not split.
_H_MIN = 2.0 ** -45
#: Points per block of the bound's sums (partial sums per block, then the sum of the blocks).
_SUM_BLOCK = 32
#: Additions a term of the decided sums V can pass after its block (one per level of the tree: the nodes start at
#: half-width 2^-L0 <= 1 and stop at _H_MIN = 2^-45, so at most 46 levels) plus two (V into the linear bounds).
_DEPTH = 48
#: Longest point list a node hands to its children (:func:`_bound_caps`): a node whose cap more hyperplanes cut
#: has its children scan all n points.
_LIST_MAX = 48


def _sum_terms(n):
    """The length m of Higham's gamma_m for the bound's sums of n terms: at most ``_SUM_BLOCK - 1`` additions inside
    a block, ``ceil(n / _SUM_BLOCK)`` to add the blocks (m = n for one block's worth of terms), and ``_DEPTH`` more
    for the sums of the decided points handed down the tree (one addition per level, :func:`_bound_caps`)."""
    return min(n, _SUM_BLOCK - 1 + -(-n // _SUM_BLOCK)) + _DEPTH


@dataclass(frozen=True)
class ProofResult:
    """Result of :func:`prove_bound`.

    Attributes
    ----------
    bound : float
        A proven upper bound of ``max_{theta in S^{d-1}} |eta(theta)|`` (rigorous up to the a priori
        rounding margin, which it includes).
    best : float
        The best lower value found: ``|eta(best_theta)|`` (``max|eta|`` lies in ``[best, bound]``).
    best_theta : ndarray, shape (d,)
        A unit vector where ``best`` is attained.
    n_caps : int
        Number of caps bounded.
    proved : bool
        ``bound <= 1 + tol``: ``p`` is dual feasible up to ``tol``.
    seconds : float
        Wall-clock time.
    complete : bool
        The branch and bound ran to the end (not stopped by ``max_caps`` / ``time_limit``, no unresolved
        node at the smallest width).
    margin : float
        The rounding margin included in ``bound``.
    tol : float
        The tolerance used.
    """

    bound: float
    best: float
    best_theta: np.ndarray = field(repr=False)
    n_caps: int
    proved: bool
    seconds: float
    complete: bool
    margin: float
    tol: float


# ----------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _halfspace_max(c, w, x, sg, d, cr, sr, cp, wp):
    """max over the cap of theta . w subject to sg theta . x >= 0 (one cut hyperplane; cp, wp scratch rows).

    If the cap's maximiser of theta . w satisfies the constraint, that is the answer; otherwise (the problem
    relaxed to the ball is convex, and exact where its value is positive) the maximum lies on the hyperplane,
    whose intersection with the cap is the cap of centre c_perp / |c_perp| and cos(r') = cos(r) / |c_perp| of the
    great subsphere x^perp; there the closed form of :func:`_cap_max` applies to w_perp. Falls back to the
    unconstrained value (an upper bound) where that is not positive or the rounding leaves a doubt."""
    a, b = _cap_coords(c, w, d)
    free = _cap_max(a, b, cr, sr)
    nx = 0.0
    for i in range(d):
        nx += x[i] * x[i]
    nx = math.sqrt(nx)
    # the maximiser theta_c: w / |w| inside the cap, else cos r c + sin r (w - a c) / b
    tx = 0.0
    if b * cr <= a * sr:
        nw = math.sqrt(a * a + b * b)
        if nw == 0.0:
            return free
        for i in range(d):
            tx += w[i] * x[i]
        tx /= nw
    else:
        for i in range(d):
            tx += (cr * c[i] + (sr * (w[i] - a * c[i]) / b if b > 0.0 else 0.0)) * x[i]
    if sg * tx >= -64.0 * d * 2.220446049250313e-16 * nx:
        return free
    cx = 0.0
    wx = 0.0
    for i in range(d):
        cx += c[i] * x[i]
        wx += w[i] * x[i]
    cx /= nx * nx
    wx /= nx * nx
    nc = 0.0
    for i in range(d):
        cp[i] = c[i] - cx * x[i]
        wp[i] = w[i] - wx * x[i]
        nc += cp[i] * cp[i]
    nc = math.sqrt(nc)
    if nc <= cr:
        return free
    for i in range(d):
        cp[i] /= nc
    cr2 = cr / nc
    sr2 = math.sqrt(max(0.0, 1.0 - cr2 * cr2))
    val = _lin_max(cp, wp, d, cr2, sr2)
    if not val > 0.0:
        return free
    return min(val, free)


@nb.njit(parallel=True, cache=True)
def _bound_caps(M, H, X, delta, p, q, kmax, target, work, work2, cuts, out_u, out_val,
                LIST, LN, V, out_list, out_n, out_v):
    """For each node k (centre M[k] on the cube's surface, half-width H[k]): out_u[k] = the bound of max |eta|
    over its cap (without the rounding margin), out_val[k] = eta(c_k). work: (K, 18, d); with power 1 and
    2..kmax cut hyperplanes, where the relaxation is above ``target`` (the pruning target less the margin), also the exact bound of :mod:`._proofcuts`
    (bounds at most ``target`` are not tightened further; scratch work2: (K, kmax + 2 d + 10, d),
    cuts: (K, kmax + d) int64).

    Point lists (power 1): node k examines only the points ``LIST[k, :LN[k]]`` (all n where ``LN[k] < 0``); the
    others were decided by an ancestor's cap (their hyperplanes do not cut it, so not this node's region): the
    inactive ones contribute 0, the active ones ``theta . V[k]``, ``V[k] = sum p_j x_j`` over them. Outputs for
    the children: ``out_list[k, :out_n[k]]`` the points whose hyperplanes cut this cap and ``out_v[k]`` the sum
    p_j x_j over all the active points decided here or above (``out_n[k] = -1`` and ``out_v[k] = 0``, the
    children scan all n points, where more than ``LIST.shape[1]`` cut it or ``q != 1``)."""
    K, d = M.shape
    n = X.shape[0]
    L = LIST.shape[1]
    sqd = math.sqrt(d - 1.0)
    for k in nb.prange(K):
        w = work[k]
        c = w[0]
        nm = 0.0
        for i in range(d):
            nm += M[k, i] * M[k, i]
        nm = math.sqrt(nm)
        for i in range(d):
            c[i] = M[k, i] / nm
        s = min(1.0, H[k] * sqd / nm)
        r = math.asin(s) * (1.0 + 1e-12) + 4.0 * d * 2.220446049250313e-16
        cr = math.cos(r)
        sr = math.sin(r)
        # rows: 1 chord part of +eta, 2 chord part of -eta, 3/4 tangent parts of +eta (A: f >= 0 on cut
        # points, B: tangent at hi/2), 5/6 the same for -eta, 8 the uncut active points' sum p_j x_j; the sums
        # over the points run in blocks of _SUM_BLOCK (rows 11-17 and the b* scalars: the block's partial sums,
        # added to the totals after each block), so the rounding grows with _sum_terms(n) ~ 2 sqrt(n), not n
        for row in range(1, 9):
            for i in range(d):
                w[row, i] = 0.0
        kc_p = kc_m = ka_p = kb_p = ka_m = kb_m = 0.0
        val = 0.0
        ncut = 0
        jcut = -1
        listed = q == 1.0 and LN[k] >= 0
        m_pts = LN[k] if listed else n
        for j0 in range(0, m_pts, _SUM_BLOCK):
            for row in range(11, 18):
                for i in range(d):
                    w[row, i] = 0.0
            bkc_p = bkc_m = bka_p = bkb_p = bka_m = bkb_m = 0.0
            for jj in range(j0, min(m_pts, j0 + _SUM_BLOCK)):
                j = LIST[k, jj] if listed else jj
                aj = 0.0
                for i in range(d):
                    aj += c[i] * X[j, i]
                b2 = 0.0
                for i in range(d):
                    e = X[j, i] - aj * c[i]
                    b2 += e * e
                bj = math.sqrt(b2)
                pj = p[j]
                val += pj * _f(aj, q)
                hi = _cap_max(aj, bj, cr, sr) + delta[j]
                if hi <= 0.0 or pj == 0.0:
                    continue
                lo = -_cap_max(-aj, bj, cr, sr) - delta[j]
                # chord of f over [lo, hi] (upper), tangents (lower)
                if lo >= 0.0:
                    if q == 1.0:
                        for i in range(d):
                            w[17, i] += pj * X[j, i]
                        sc, kc, sa, ka = 1.0, 0.0, 1.0, 0.0
                    else:
                        flo = _f(lo, q)
                        sc = (_f(hi, q) - flo) / (hi - lo)
                        kc = flo - sc * lo
                        t0 = 0.5 * (lo + hi)
                        sa = q * t0 ** (q - 1.0)
                        ka = _f(t0, q) - sa * t0
                    sb, kb = sa, ka
                else:
                    fhi = _f(hi, q)
                    sc = fhi / (hi - lo)
                    kc = -sc * lo
                    sa, ka = 0.0, 0.0
                    if ncut < kmax:
                        cuts[k, ncut] = j
                    if ncut < L:
                        out_list[k, ncut] = j
                    ncut += 1
                    jcut = j
                    if q == 1.0:
                        sb, kb = 1.0, 0.0
                    else:
                        t0 = 0.5 * hi
                        sb = q * t0 ** (q - 1.0)
                        kb = _f(t0, q) - sb * t0
                if pj > 0.0:
                    for i in range(d):
                        xi = X[j, i]
                        w[11, i] += pj * sc * xi
                        w[15, i] -= pj * sa * xi
                        w[16, i] -= pj * sb * xi
                    bkc_p += pj * kc
                    bka_m -= pj * ka
                    bkb_m -= pj * kb
                else:
                    for i in range(d):
                        xi = X[j, i]
                        w[12, i] -= pj * sc * xi
                        w[13, i] += pj * sa * xi
                        w[14, i] += pj * sb * xi
                    bkc_m -= pj * kc
                    bka_p += pj * ka
                    bkb_p += pj * kb
            for row in range(1, 7):
                for i in range(d):
                    w[row, i] += w[10 + row, i]
            for i in range(d):
                w[8, i] += w[17, i]
            kc_p += bkc_p
            kc_m += bkc_m
            ka_p += bka_p
            kb_p += bkb_p
            ka_m += bka_m
            kb_m += bkb_m
        # the active points decided by the ancestors: theta . V[k] in every linear bound (their chord and tangents
        # are t itself: +V in row 1, which both bounds of +eta use, -V in row 2, likewise for -eta), V[k] in the
        # uncut active sum w[8], c . V[k] in eta(c)
        if listed:
            for i in range(d):
                w[1, i] += V[k, i]
                w[2, i] -= V[k, i]
                w[8, i] += V[k, i]
                val += c[i] * V[k, i]
        # the children's list and decided sum (before the cut bounds below, which use w[8] as scratch)
        if q == 1.0 and 0 < L and ncut <= L:
            out_n[k] = ncut
            for i in range(d):
                out_v[k, i] = w[8, i]
        else:
            out_n[k] = -1
            for i in range(d):
                out_v[k, i] = 0.0
        tmp = w[7]
        for i in range(d):
            tmp[i] = w[1, i] + w[3, i]
        ua = _lin_max(c, tmp, d, cr, sr) + kc_p + ka_p
        for i in range(d):
            tmp[i] = w[1, i] + w[4, i]
        ub = _lin_max(c, tmp, d, cr, sr) + kc_p + kb_p
        up = min(ua, ub)
        for i in range(d):
            tmp[i] = w[2, i] + w[5, i]
        ua = _lin_max(c, tmp, d, cr, sr) + kc_m + ka_m
        for i in range(d):
            tmp[i] = w[2, i] + w[6, i]
        ub = _lin_max(c, tmp, d, cr, sr) + kc_m + kb_m
        um = min(ua, ub)
        if q == 1.0 and ncut == 1:
            # one cut hyperplane: eta is theta . v on each side of it; bound each side exactly
            xj = X[jcut]
            pj = p[jcut]
            for i in range(d):
                w[9, i] = w[8, i] + pj * xj[i]
            e_in = _halfspace_max(c, w[9], xj, 1.0, d, cr, sr, w[7], w[10])
            e_out = _halfspace_max(c, w[8], xj, -1.0, d, cr, sr, w[7], w[10])
            up = min(up, max(e_in, e_out))
            for i in range(d):
                w[9, i] = -w[9, i]
                w[8, i] = -w[8, i]
            e_in = _halfspace_max(c, w[9], xj, 1.0, d, cr, sr, w[7], w[10])
            e_out = _halfspace_max(c, w[8], xj, -1.0, d, cr, sr, w[7], w[10])
            um = min(um, max(e_in, e_out))
        elif q == 1.0 and 2 <= ncut <= kmax and max(up, um) > target:
            # a few cut hyperplanes: the exact bound over the 2^ncut sign regions (Lagrangian duality)
            w2 = work2[k]   # rows: G (kmax), Q (d), R (d), tmp (8), pc, sg
            G = w2[:kmax]
            pc = w2[kmax + 2 * d + 8]
            for a in range(ncut):
                for i in range(d):
                    G[a, i] = X[cuts[k, a], i]
                pc[a] = p[cuts[k, a]]
            bp, bm = cut_cap_max(c, cr, w[8], G, pc, ncut, d, w2[kmax:kmax + d], w2[kmax + d:kmax + 2 * d],
                                 w2[kmax + 2 * d:kmax + 2 * d + 8], cuts[k, kmax:], w2[kmax + 2 * d + 9],
                                 target)
            up = min(up, bp)
            um = min(um, bm)
        out_u[k] = max(up, um)
        out_val[k] = val


@nb.njit(cache=True)
def _split(M, H, A, U, keep, signs, LIST, LN, V, outM, outH, outA, outU, outL, outN, outV, pos):
    """Write the 2^(d-1) children of every kept node k (centres M[k] +- H[k]/2 off the face's axis A[k]) from
    row pos of the out arrays; signs[a] (2^(d-1), d) holds the +-1 patterns with 0 at the axis a; each child
    inherits the node's point list LIST[k, :LN[k]] and decided sum V[k] (:func:`_bound_caps`). Returns the next
    free row."""
    K, d = M.shape
    nch = signs.shape[1]
    for k in range(K):
        if not keep[k]:
            continue
        a = A[k]
        hh = 0.5 * H[k]
        m = LN[k]
        for s in range(nch):
            for i in range(d):
                outM[pos, i] = M[k, i] + hh * signs[a, s, i]
                outV[pos, i] = V[k, i]
            outH[pos] = hh
            outA[pos] = a
            outU[pos] = U[k]
            outN[pos] = m
            for jj in range(m):
                outL[pos, jj] = LIST[k, jj]
            pos += 1
    return pos


# ----------------------------------------------------------------------------------------------
# public function
# ----------------------------------------------------------------------------------------------
def _sign_patterns(d):
    """signs[a, s] = the s-th pattern of +-1 on the d - 1 coordinates other than a (0 at a)."""
    nch = 1 << (d - 1)
    out = np.zeros((d, nch, d))
    for a in range(d):
        others = [i for i in range(d) if i != a]
        for s in range(nch):
            for b, i in enumerate(others):
                out[a, s, i] = 1.0 if (s >> b) & 1 else -1.0
    return out


def _initial_cover(d):
    """The dyadic sub-cubes of half-width h = 2^-L0 (least L0 with h sqrt(d-1) <= 1/2) of the 2d faces."""
    L0 = max(0, math.ceil(math.log2(2.0 * math.sqrt(d - 1.0))))
    h = 2.0 ** -L0
    g = -1.0 + h * (2.0 * np.arange(2 ** L0) + 1.0)
    grid = np.stack(np.meshgrid(*([g] * (d - 1)), indexing="ij"), axis=-1).reshape(-1, d - 1)
    Ms, As = [], []
    for a in range(d):
        for sgn in (1.0, -1.0):
            m = np.empty((len(grid), d))
            m[:, a] = sgn
            m[:, [i for i in range(d) if i != a]] = grid
            Ms.append(m)
            As.append(np.full(len(grid), a, dtype=np.int64))
    M = np.concatenate(Ms)
    return M, np.full(len(M), h), np.concatenate(As)


def prove_bound(X, p, power=1, *, tol=1e-7, max_caps=50_000_000, time_limit=None) -> ProofResult:
    """Prove an upper bound of ``max_{theta in S^{d-1}} |eta(theta)|``, ``eta(theta) = sum_j p_j relu(theta . x_j)^power``.

    Branch and bound over spherical caps covering the sphere (the radially projected faces of the cube, split
    dyadically); each cap is bounded by a linear relaxation of every term (exact for the points whose
    hyperplane does not cut it, when ``power = 1``) whose maximum over the cap has a closed form. See the
    module docstring for the bound, the split rule and the rounding margin.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points x_j on S^{d-1} (unit rows, d >= 2).
    p : array_like, shape (n,)
        Coefficients p_j (the dual of :func:`spherekern.solvers.atomic`, ``AtomicSolution.dual``).
    power : real >= 1, default 1
        Exponent q of relu(t)^q.
    tol : float, default 1e-7
        The proof target is ``max |eta| <= 1 + tol``; caps whose bound is at most
        ``max(1 + tol, best (1 + tol))`` are pruned. At least 4x the rounding margin.
    max_caps : int, default 50,000,000
        Stop after bounding this many caps (the bound stays valid, usually looser).
    time_limit : float or None
        Stop after this many seconds (checked between batches of caps).

    Returns
    -------
    ProofResult
        ``bound`` (proven), ``best`` and ``best_theta`` (a lower value and where), ``n_caps``, ``proved``
        (``bound <= 1 + tol``), ``seconds``, ``complete``, ``margin``, ``tol``.

    Notes
    -----
    The cost is (caps bounded) x O(k d), k the points a cap examines (those cutting its parent's cap, at most
    ``_LIST_MAX``; n near the top of the tree). Caps concentrate around the points where ``|eta|`` is within
    O(r) of the target; at the maxima of a certified dual (atoms on vertices of the hyperplane arrangement,
    where ``|eta|`` decays linearly) the tree needs O(1) caps per level and O(log(1/tol)) levels, so the
    count grows roughly like n_atoms log(1/tol) 2^(d-1).
    """
    t_start = time.perf_counter()
    X = as_points(X, "X")
    n, d = X.shape
    p = as_array(p, "p", ndim=1)
    if p.shape[0] != n:
        raise ValueError(f"p must have one entry per row of X (shape ({n},)), got shape {p.shape}")
    q = check_real(power, "power", minimum=1.0)
    tol = check_real(tol, "tol", minimum=0.0, strict=True)
    max_caps = check_int(max_caps, "max_caps", 1)
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict=True)
    if d > 12:
        raise ValueError(f"X has d = {d} columns: prove_bound splits each cap into 2^(d-1) children and supports "
                         f"d <= 12")
    xn = np.sqrt(np.einsum("ij,ij->i", X, X))
    delta = (8.0 * d + 16.0) * _EPS * xn
    margin = 16.0 * (_sum_terms(n) + d + 8) * q * _EPS * float(np.sum(np.abs(p) * (xn + delta) ** q))
    if tol < 4.0 * margin:
        raise ValueError(f"tol = {tol:g} is below what float64 can certify for this data: the rounding margin of "
                         f"the bound is {margin:.3g} (16 (m + d + 8) power eps sum |p_j|, m = {_sum_terms(n)} for "
                         f"n = {n} points summed in blocks of {_SUM_BLOCK}); use tol >= {4 * margin:.3g}")
    target0 = 1.0 + tol

    signs = _sign_patterns(d)
    nch = signs.shape[1]
    M0, H0, A0 = _initial_cover(d)
    cap = max(4 * len(M0), 64 * _BATCH)
    SM = np.empty((cap, d))
    SH = np.empty(cap)
    SA = np.empty(cap, dtype=np.int64)
    SU = np.empty(cap)
    SL = np.empty((cap, _LIST_MAX), dtype=np.int32)  # each node's point list, length SN (-1: all points)
    SN = np.empty(cap, dtype=np.int32)
    SV = np.empty((cap, d))  # and the sum p_j x_j of the active points its ancestors decided
    top = len(M0)
    SM[:top], SH[:top], SA[:top], SU[:top], SN[:top], SV[:top] = M0, H0, A0, np.inf, -1, 0.0
    work = np.empty((_BATCH, 18, d))
    kmax = min(d - 1, _KMAX) if q == 1.0 else 0
    work2 = np.empty((_BATCH, kmax + 2 * d + 10, max(d, kmax)))
    cuts = np.zeros((_BATCH, kmax + d), dtype=np.int64)
    bu = np.empty(_BATCH)
    bval = np.empty(_BATCH)
    b_list = np.empty((_BATCH, _LIST_MAX), dtype=np.int32)
    b_n = np.empty(_BATCH, dtype=np.int32)
    b_v = np.empty((_BATCH, d))

    best, best_theta = -1.0, None
    target = target0
    pruned_max = -np.inf
    unresolved_max = -np.inf
    n_caps = 0
    stopped = False
    while top > 0:
        if n_caps >= max_caps or (time_limit is not None and time.perf_counter() - t_start > time_limit):
            stopped = True
            break
        k = min(_BATCH, top, max_caps - n_caps)
        lo = top - k
        bM = SM[lo:top].copy()
        bH = SH[lo:top].copy()
        bA = SA[lo:top].copy()
        _bound_caps(bM, bH, X, delta, p, q, kmax, target - margin, work, work2, cuts, bu, bval,
                    SL[lo:top], SN[lo:top], SV[lo:top], b_list, b_n, b_v)
        n_caps += k
        U = np.minimum(bu[:k] + margin, SU[lo:top])
        aval = np.abs(bval[:k])
        i = int(np.argmax(aval))
        if aval[i] > best:
            best = float(aval[i])
            best_theta = bM[i] / np.linalg.norm(bM[i])
        target = target0 if best <= target0 else best * (1.0 + tol)
        keep = U > target
        if not np.all(keep):
            pruned_max = max(pruned_max, float(U[~keep].max()))
        small = keep & (bH < _H_MIN)
        if np.any(small):
            unresolved_max = max(unresolved_max, float(U[small].max()))
            keep &= ~small
        need = lo + int(keep.sum()) * nch
        if need > cap:
            cap = max(2 * cap, need)
            SM = np.concatenate([SM[:lo], np.empty((cap - lo, d))])
            SH = np.concatenate([SH[:lo], np.empty(cap - lo)])
            SA = np.concatenate([SA[:lo], np.empty(cap - lo, dtype=np.int64)])
            SU = np.concatenate([SU[:lo], np.empty(cap - lo)])
            SL = np.concatenate([SL[:lo], np.empty((cap - lo, _LIST_MAX), dtype=np.int32)])
            SN = np.concatenate([SN[:lo], np.empty(cap - lo, dtype=np.int32)])
            SV = np.concatenate([SV[:lo], np.empty((cap - lo, d))])
        top = _split(bM, bH, bA, U, keep, signs, b_list, b_n, b_v, SM, SH, SA, SU, SL, SN, SV, lo)

    bound = max(pruned_max, unresolved_max, float(SU[:top].max()) if top > 0 else -np.inf, best)
    complete = not stopped and unresolved_max == -np.inf
    return ProofResult(bound=float(bound), best=float(best), best_theta=best_theta, n_caps=int(n_caps),
                       proved=bool(bound <= target0), seconds=time.perf_counter() - t_start,
                       complete=bool(complete), margin=float(margin), tol=float(tol))
