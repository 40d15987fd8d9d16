"""Dense primal-dual interior-point method for the restricted master LP of :func:`spherekern.solvers.atomic`.

Solves the standard-form LP with all costs equal to one (the total-variation master problem, columns
already multiplied by their sign)

    min  1.z   s.t.  A z = y,  z >= 0           (primal, A = At.T of shape (n, K))
    max  y.p   s.t.  A^T p <= 1                  (dual, slack s = 1 - A^T p >= 0)

by Mehrotra's predictor-corrector method on the normal equations ``A diag(z/s) A^T dp = rhs``. The
matrix ``A diag(z/s) A^T`` is formed with one BLAS ``syrk``-like product and factorised by Cholesky
(LAPACK), so one iteration costs ``n^2 K + n^3/3`` flops with no Python loop over columns; for the
dense, ill-conditioned LPs of interpolation this is one to two orders of magnitude faster per solve
than a sparse simplex code, and it needs 15-30 iterations whatever the number of columns.

The point returned is interior (not a vertex): its duals ``p`` lie near the analytic centre of the
optimal dual face, which is what the pricing step of column generation wants (well-centred duals give
stable new columns, Gondzio et al. 2013, "New developments in the primal-dual column generation
technique", EJOR 224). The vertex solution (at most n atoms) is produced afterwards by the simplex.

Reference: S. Mehrotra, "On the implementation of a primal-dual interior point method", SIAM J. Optim. 2
(1992); J. Nocedal, S. Wright, *Numerical Optimization*, 2nd ed., Algorithm 14.3.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = ["lp_ipm", "IPMResult"]


class IPMResult:
    """Primal ``z`` (K,), dual ``p`` (n,), reduced costs ``s = 1 - A^T p`` (K,), primal objective ``1.z``,
    dual objective ``y.p``, relative residuals and gap, iterations, and ``status`` ("optimal" when the
    requested relative gap and feasibility were reached, "stalled" otherwise)."""

    __slots__ = ("z", "p", "s", "primal", "dual", "gap", "res_primal", "res_dual", "iterations", "status", "saved")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


#: _normal_matrix splits At into two row blocks when it has at least this many rows (and the second block's product
#: runs on a helper thread when numba may use two threads or more).
_SPLIT_MIN_ROWS = 512
_helper = (None, None)  # (pid, ThreadPoolExecutor): one helper thread per process (a forked child makes its own)


def _helper_pool():
    global _helper
    import os
    from concurrent.futures import ThreadPoolExecutor
    if _helper[0] != os.getpid():
        _helper = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="spherekern-ipm"))
    return _helper[1]


def _gram_block(At, dvec, out=None):
    B = At * np.sqrt(dvec)[:, None]
    return np.matmul(B.T, B, out=out)  # numpy calls BLAS syrk for B^T B (and releases the GIL)


def _normal_matrix(At, dvec, out):
    """out = A diag(dvec) A^T = At^T diag(dvec) At (n, n) by BLAS ``syrk``.

    With ``K >= _SPLIT_MIN_ROWS`` columns the sum is split into two row blocks of At, summed in a fixed order (the
    same bits whatever the thread count); the second block runs on a helper thread when numba may use two threads
    or more (``numba.get_num_threads()``, 1 in paper_checks' workers). The atomic solver keeps BLAS itself to one
    thread (``config.ATOMIC_BLAS_THREADS``: OpenBLAS's own threads contend with numba's), so this is what puts the
    second core to work: measured, K = 1700, n = 256 on a 2-core VM, 2.07 -> 1.22 ms.
    """
    K = At.shape[0]
    if K < _SPLIT_MIN_ROWS:
        return _gram_block(At, dvec, out)
    import numba
    h = K // 2
    if numba.get_num_threads() > 1:
        fut = _helper_pool().submit(_gram_block, At[h:], dvec[h:])
        M0 = _gram_block(At[:h], dvec[:h])
        M1 = fut.result()
    else:
        M0, M1 = _gram_block(At[:h], dvec[:h]), _gram_block(At[h:], dvec[h:])
    return np.add(M0, M1, out=out)


def _chol_factor(M, reg, max_reg):
    """Cholesky factor (``cho_factor`` form, lower) of ``M + reg * mean(diag M) * I``, with ``reg`` raised
    100-fold until the factorisation succeeds; LinAlgError beyond ``max_reg``."""
    n = M.shape[0]
    scale = float(np.mean(np.diag(M))) or 1.0
    while True:
        try:
            return sla.cho_factor(M + (reg * scale) * np.eye(n), lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            reg = max(reg * 100.0, 1e-14)
            if reg > max_reg:
                raise np.linalg.LinAlgError(
                    "normal equations of the interior-point master LP are not positive definite") from None


def lp_ipm(At, y, *, gap_tol=1e-8, feas_tol=1e-7, primal_tol=None, max_iter=60, start=None,
           save_gap=None) -> IPMResult:
    """Solve ``min 1.z s.t. At.T z = y, z >= 0`` (At: (K, n) signed columns as rows) by Mehrotra's method.

    Stops when the relative primal residual ``|A z - y| / (1 + |y|)`` is below ``primal_tol`` (default
    ``feas_tol``), the dual residual below ``feas_tol`` and the relative gap ``(1.z - y.p) / (1 + |1.z|)`` below
    ``gap_tol``. A loose ``primal_tol`` suits column generation's intermediate rounds, which use only the
    (dual-feasible, well-centred) ``p``.

    ``start = (z, p, s)`` (``z, s > 0``) replaces Mehrotra's starting point (a warm start; the method is an
    infeasible one, so the start need not satisfy the constraints). With ``save_gap`` the result's ``saved`` holds a
    copy ``(z, p, s)`` of the first iterate whose relative gap is at most ``save_gap`` (``None`` if none was).
    """
    primal_tol = feas_tol if primal_tol is None else primal_tol
    At = np.ascontiguousarray(At, dtype=np.float64)
    K, n = At.shape
    y = np.asarray(y, dtype=np.float64)
    ny = 1.0 + float(np.linalg.norm(y))
    M = np.empty((n, n))
    if start is None:
        # Mehrotra's starting point: least-norm primal, least-squares dual, shifted positive
        _normal_matrix(At, np.ones(K), M)
        F = _chol_factor(M, 1e-12, 1e10)
        z_ls, p = (sla.cho_solve(F, r, check_finite=False) for r in (y, At.sum(0)))
        z = At @ z_ls
        s = 1.0 - At @ p
        dz = max(-1.5 * z.min(), 0.0)
        ds = max(-1.5 * s.min(), 0.0)
        z = z + dz
        s = s + ds
        zs = z @ s
        z = z + 0.5 * zs / s.sum()
        s = s + 0.5 * zs / z.sum()
    else:
        z, p, s = (np.array(v, dtype=np.float64) for v in start)
        if z.shape != (K,) or s.shape != (K,) or p.shape != (n,) or not (z.min() > 0 and s.min() > 0):
            raise ValueError("lp_ipm: start must be (z, p, s) with z, s > 0 of length K and p of length n")
    saved = None
    status = "stalled"
    it = 0
    for it in range(1, max_iter + 1):
        rp = y - At.T @ z
        rd = 1.0 - At @ p - s
        mu = (z @ s) / K
        pobj, dobj = float(z.sum()), float(y @ p)
        gap = (pobj - dobj) / (1.0 + abs(pobj))
        res_p = float(np.linalg.norm(rp)) / ny
        res_d = float(np.linalg.norm(rd)) / np.sqrt(K)
        if saved is None and save_gap is not None and abs(gap) <= save_gap:
            saved = (z.copy(), p.copy(), s.copy())
        if res_p <= primal_tol and res_d <= feas_tol and abs(gap) <= gap_tol:
            status = "optimal"
            break
        if mu <= 1e-15 * (1.0 + abs(pobj)) / K:  # converged as far as the normal equations allow
            break
        D = z / s
        _normal_matrix(At, D, M)

        def direction(rc, sol_fn):
            # A D A^T dp = rp + A (D rd - rc / s);  ds = rd - A^T dp;  dz = (rc - z ds) / s
            rhs = rp + At.T @ (D * rd - rc / s)
            dp = sol_fn(rhs)
            ds_ = rd - At @ dp
            dz_ = (rc - z * ds_) / s
            return dz_, dp, ds_

        F = _chol_factor(M, 1e-13, 1e-2)
        solve = lambda r: sla.cho_solve(F, r, check_finite=False)  # noqa: E731

        # predictor (affine scaling)
        dz_a, dp_a, ds_a = direction(-z * s, solve)
        ap = _max_step(z, dz_a)
        ad = _max_step(s, ds_a)
        mu_aff = ((z + ap * dz_a) @ (s + ad * ds_a)) / K
        sigma = (mu_aff / mu) ** 3
        # corrector
        rc = -z * s - dz_a * ds_a + sigma * mu
        dz_, dp_, ds_ = direction(rc, solve)
        ap = min(1.0, 0.995 * _max_step(z, dz_))
        ad = min(1.0, 0.995 * _max_step(s, ds_))
        z = z + ap * dz_
        p = p + ad * dp_
        s = s + ad * ds_
        if not (np.all(np.isfinite(z)) and np.all(np.isfinite(p))):
            raise np.linalg.LinAlgError("interior-point master LP diverged (non-finite iterate)")
    rp = y - At.T @ z
    s_true = 1.0 - At @ p
    pobj, dobj = float(z.sum()), float(y @ p)
    return IPMResult(z=z, p=p, s=s_true, primal=pobj, dual=dobj, gap=(pobj - dobj) / (1.0 + abs(pobj)),
                     res_primal=float(np.linalg.norm(rp)) / ny, res_dual=float(np.maximum(-s_true, 0).max()),
                     iterations=it, status=status, saved=saved)


def _max_step(v, dv):
    neg = dv < 0
    if not neg.any():
        return np.inf
    return float(np.min(-v[neg] / dv[neg]))
