"""A dense revised primal simplex for the master LP of the atomic solver after the crossover.

The LP is ``min 1.z  s.t.  A z = y, z >= 0`` with a *dense* n x K matrix (K ~ 20 n columns a_k, every entry
relu(theta_k . x_j) non-zero), warm-started from a primal feasible basis (the purified vertex of the interior
point) and kept across column-generation rounds: appended columns enter nonbasic at 0, so the basis stays primal
feasible and the primal simplex simply continues. HiGHS treats these matrices as sparse and spends ~2.2 ms per
iteration at n = 256, K = 5,400; here one iteration is two dense mat-vecs over the columns (~0.5 ms) plus O(n^2).

Per iteration (B the basis matrix, kept as an explicit inverse ``Binv``, refactorised every ``REFACTOR``
pivots and before any optimality claim):

* reduced costs ``d_j = c_j - a_j . pi`` with ``pi = B^-T c_B``; entering column ``q = argmax d_j^2 / gamma_j``
  over ``d_j < -dual_tol`` (steepest edge: ``gamma_j = 1 + |B^-1 a_j|^2``, updated exactly by Goldfarb-Reid);
* ``alpha = B^-1 a_q``; leaving row by Harris' two-pass ratio test (primal tolerance ``primal_tol``; among the
  rows within the relaxed step, the largest pivot ``|alpha_r|``), so degenerate vertices pivot on large elements;
* updates: ``x_B``, ``d`` (row ``r`` of the tableau, ``alpha_r = A^T B^-T e_r``), ``gamma``, and ``Binv`` (rank one).

Optimality: ``d_j >= -dual_tol`` for every column after a fresh refactorisation, i.e. ``a_j . pi <= 1 + dual_tol``
(the dual ``pi`` certifies the pool; the column generation certifies the sphere). The objective is bounded
below by 0 (unit costs, ``z >= 0``), so the LP is never unbounded.
"""
from __future__ import annotations

import numba as nb
import numpy as np
from scipy.linalg import lu_factor, lu_solve

#: Pivots between refactorisations of the basis inverse (numerical drift of the rank-one updates).
REFACTOR = 64
#: Nonbasic columns with reduced cost above this are parked (left out of the per-pivot updates; with a constant
#: target about half the pool, the columns of the wrong sign, have d ~ 2). Before optimality is claimed every parked
#: column's reduced cost is recomputed and those below it return.
PARK = 1.0


@nb.njit(parallel=True, fastmath=True, cache=True)
def _pivot_update(At, act, rho, tau_src, d, gamma, dq, gq):
    """One pass over the active columns ``At[act]``: ``a = a_j . rho`` (tableau row r over the pivot), ``b =
    a_j . tau_src``; ``d_j -= dq a`` and the Goldfarb-Reid steepest-edge update ``gamma_j = max(gamma_j - 2 a b +
    a^2 gq, 1 + a^2)``. Reading each column once halves the memory traffic of two mat-vecs."""
    n = At.shape[1]
    for t in nb.prange(act.shape[0]):
        j = act[t]
        a = 0.0
        b = 0.0
        for i in range(n):
            a += At[j, i] * rho[i]
            b += At[j, i] * tau_src[i]
        d[j] -= dq * a
        g = gamma[j] - 2.0 * a * b + a * a * gq
        h = 1.0 + a * a
        gamma[j] = g if g > h else h


@nb.njit(parallel=True, fastmath=True, cache=True)
def _reduced_costs(At, idx, pi, d):
    """``d_j = 1 - a_j . pi`` for the columns ``idx`` (unit costs), without copying ``At[idx]``."""
    n = At.shape[1]
    for t in nb.prange(idx.shape[0]):
        j = idx[t]
        s = 0.0
        for i in range(n):
            s += At[j, i] * pi[i]
        d[j] = 1.0 - s


@nb.njit(parallel=True, fastmath=True, cache=True)
def _binv_update(Binv, alpha, rho, r, tau):
    """One pass over the old inverse: ``tau = Binv^T alpha`` (the steepest-edge reference vector) and the rank-one
    update ``Binv <- Binv - alpha rho^T`` with row ``r`` set to ``rho = Binv[r] / alpha_r`` (column blocks in
    parallel, rows contiguous within a block)."""
    n = Binv.shape[0]
    nblk = (n + 63) // 64
    for b in nb.prange(nblk):
        j0 = b * 64
        j1 = min(n, j0 + 64)
        for j in range(j0, j1):
            tau[j] = 0.0
        for i in range(n):
            ai = alpha[i]
            for j in range(j0, j1):
                v = Binv[i, j]
                tau[j] += v * ai
                Binv[i, j] = v - ai * rho[j]
        for j in range(j0, j1):
            Binv[r, j] = rho[j]


class DenseSimplex:
    """Primal simplex state over the columns ``At`` (rows of ``At`` are the columns a_k of A).

    Parameters
    ----------
    At : ndarray (K, n)
        The columns, one per row (contiguous float64); the object keeps a reference and grows its own copy.
    y : ndarray (n,)
        Right-hand side.
    basic : ndarray of int
        Indices of linearly independent columns whose basic solution is feasible (``B^-1 y >= -primal_tol``);
        fewer than n are completed with further columns (pivoted QR of the rest, at value 0).
    """

    def __init__(self, At, y, basic, primal_tol=1e-9, dual_tol=1e-9, max_iter=None):
        self.At = np.ascontiguousarray(At, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.n = self.y.shape[0]
        self.primal_tol, self.dual_tol = float(primal_tol), float(dual_tol)
        self.max_iter = max_iter
        self.iterations = 0
        basic = np.asarray(basic, dtype=np.int64)
        if basic.size < self.n:
            basic = self._complete(basic)
        if basic.size != self.n:
            raise np.linalg.LinAlgError("the start basis has more columns than rows")
        self.basis = basic
        self.is_basic = np.zeros(self.At.shape[0], bool)
        self.is_basic[basic] = True
        self.parked = np.zeros(self.At.shape[0], bool)
        self._refactor()
        if self.x.min() < -1e3 * self.primal_tol * max(1.0, np.abs(self.y).max()):
            raise np.linalg.LinAlgError(f"the start basis is not primal feasible (min x_B = {self.x.min():.3g})")
        self.gamma = np.ones(self.At.shape[0])
        self._park(np.arange(self.At.shape[0]))

    def _park(self, idx):
        """Park the nonbasic columns ``idx`` with ``d > PARK``; fresh steepest-edge weights for the others."""
        far = (self.d[idx] > PARK) & ~self.is_basic[idx]
        self.parked[idx] = far
        near = idx[~far]
        if near.size:
            G = self.Binv @ self.At[near].T
            self.gamma[near] = 1.0 + np.einsum("ij,ij->j", G, G)
        self.act = np.flatnonzero(~self.parked)

    # -- basis bookkeeping -------------------------------------------------------------------------------------
    def _complete(self, basic):
        """Complete independent columns ``basic`` to a basis with more columns (pivoted QR of the remainder after
        projecting out span(basic)); the added columns are basic at value 0."""
        from scipy.linalg import qr
        n = self.n
        Bc = self.At[basic].T
        Q = np.linalg.qr(Bc)[0] if basic.size else np.zeros((n, 0))
        rest = np.setdiff1d(np.arange(self.At.shape[0]), basic)
        R = self.At[rest].T
        R = R - Q @ (Q.T @ R)
        _, rr, piv = qr(R, mode="economic", pivoting=True)
        need = n - basic.size
        diag = np.abs(np.diag(rr))[:need]
        if diag.size < need or diag[-1] <= 1e-10 * max(diag[0], 1e-300):
            raise np.linalg.LinAlgError("the columns do not span R^n: no basis to start from")
        return np.concatenate([basic, rest[piv[:need]]])

    def _refactor(self):
        """Fresh LU of the basis: ``x`` and ``pi`` by triangular solves (backward stable: ``|B^T pi - 1| ~ 1e-14``
        where ``inv(B) @ 1`` leaves ~1e-8 at condition numbers ~1e11), ``Binv`` for the rank-one updates, the
        active reduced costs, and the parked ones (a column parked long ago may have become attractive)."""
        B = self.At[self.basis].T
        lu = lu_factor(B, check_finite=False)
        self.Binv = lu_solve(lu, np.eye(self.n), check_finite=False)
        self.x = lu_solve(lu, self.y, check_finite=False)
        self.pi = lu_solve(lu, np.ones(self.n), trans=1, check_finite=False)  # c_B = 1
        if not hasattr(self, "act"):
            self.d = np.empty(self.At.shape[0])
            _reduced_costs(self.At, np.arange(self.At.shape[0]), self.pi, self.d)
        else:
            _reduced_costs(self.At, self.act, self.pi, self.d)
        self.d[self.is_basic] = 0.0
        self._since = 0
        if hasattr(self, "act"):
            self._unpark()

    def _unpark(self):
        """Recompute the parked columns' reduced costs and bring back those below ``PARK``; True if one of them
        is attractive (``d < -dual_tol``)."""
        idx = np.flatnonzero(self.parked)
        if idx.size == 0:
            return False
        _reduced_costs(self.At, idx, self.pi, self.d)
        self._park(idx)
        return bool(np.any(self.d[idx] < -self.dual_tol))

    def add(self, cols):
        """Append columns (nonbasic at 0: the basis stays feasible)."""
        cols = np.ascontiguousarray(cols, dtype=np.float64)
        if cols.shape[0] == 0:
            return
        K = self.At.shape[0]
        k = cols.shape[0]
        self.At = np.concatenate([self.At, cols])
        self.is_basic = np.concatenate([self.is_basic, np.zeros(k, bool)])
        self.parked = np.concatenate([self.parked, np.zeros(k, bool)])
        self.d = np.concatenate([self.d, 1.0 - cols @ self.pi])
        self.gamma = np.concatenate([self.gamma, np.ones(k)])
        self._park(np.arange(K, K + k))

    def delete(self, keep):
        """Drop the nonbasic columns where ``keep`` is False (basic ones must be kept: ValueError)."""
        keep = np.asarray(keep, bool)
        if np.any(self.is_basic & ~keep):
            raise ValueError("a basic column cannot be deleted")
        new_index = np.cumsum(keep) - 1
        self.basis = new_index[self.basis]
        self.At, self.is_basic, self.d, self.gamma = self.At[keep], self.is_basic[keep], self.d[keep], self.gamma[keep]
        self.parked = self.parked[keep]
        self.act = np.flatnonzero(~self.parked)

    @property
    def z(self):
        """The basic solution over all columns (basic values clipped at 0)."""
        z = np.zeros(self.At.shape[0])
        z[self.basis] = np.maximum(self.x, 0.0)
        return z

    # -- the simplex ---------------------------------------------------------------------------------------------
    def solve(self):
        """Pivot until optimal. Returns True when optimal, False when ``max_iter`` pivots (of this call) ran out."""
        At, n = self.At, self.n
        stop = None if self.max_iter is None else self.iterations + self.max_iter
        ptol, dtol = self.primal_tol, self.dual_tol
        while True:
            act = self.act
            da = self.d[act]
            cand = (da < -dtol) & ~self.is_basic[act]
            if not cand.any():
                if self._since == 0:  # fresh reduced costs of every column (the parked ones rechecked)
                    return True
                self._refactor()
                continue
            if stop is not None and self.iterations >= stop:
                return False
            score = np.where(cand, da * da / self.gamma[act], -1.0)
            q = int(act[np.argmax(score)])
            alpha = self.Binv @ At[q]
            # Harris two-pass ratio test over alpha_i > piv_tol
            piv_tol = 1e-9 * max(1.0, np.abs(alpha).max())
            pos = np.flatnonzero(alpha > piv_tol)
            if pos.size == 0:  # cannot happen with positive costs; numerical trouble: refactor and drop q
                if self._since:
                    self._refactor()
                    continue
                self.d[q] = 0.0
                continue
            xp = self.x[pos]
            ap = alpha[pos]
            t_max = np.min((xp + ptol) / ap)
            ok = np.flatnonzero(xp / ap <= t_max)
            r = int(pos[ok[np.argmax(ap[ok])]])
            t = max(self.x[r], 0.0) / alpha[r]
            # updates (with the old Binv): tableau row r, steepest-edge reference vector
            rho = self.Binv[r] / alpha[r]
            tau_src = np.empty(n)
            _binv_update(self.Binv, alpha, rho, r, tau_src)  # Binv <- E Binv, tau_src = old Binv^T alpha
            dq = self.d[q]
            gq = 1.0 + float(alpha @ alpha)
            _pivot_update(At, act, rho, tau_src, self.d, self.gamma, dq, gq)
            self.x -= t * alpha
            self.x[r] = t
            leaving = self.basis[r]
            self.gamma[leaving] = max(gq / alpha[r] ** 2, 1.0)
            self.d[leaving] = -dq / alpha[r]
            self.is_basic[leaving] = False
            self.is_basic[q] = True
            self.basis[r] = q
            self.d[q] = 0.0
            self.pi += dq * rho
            self.iterations += 1
            self._since += 1
            if self._since >= REFACTOR:
                self._refactor()
