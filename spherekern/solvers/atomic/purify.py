"""Purification: from an interior-point solution of the master LP to a basic (vertex) solution with at most n
atoms: exact same-cell merge, Caratheodory reduction (fit kept, L1 not increased), exact refit, and the
complementary dual of the vertex."""
from __future__ import annotations

import numba as nb
import numpy as np
from scipy.linalg import cho_solve, qr as sla_qr, solve_triangular

from ._config import _BOUNDARY_TOL
from ._kernels import _features


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
    from .._ipm import _chol_factor
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
