"""The restricted lasso of the atomic solver, ``min (1/2n)|y - A w|^2 + lam |w|_1`` over a finite set of columns:
coordinate descent (numba), then an active-set polish to the exact KKT conditions on the support, and the
Caratheodory-type support reduction that keeps at most n independent columns."""
from __future__ import annotations

import numba as nb
import numpy as np
from scipy.linalg import qr as sla_qr, solve_triangular


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
    if AS.shape[1] > AS.shape[0]:
        return None
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


def _nn_lasso(At, y, nlam, z0=None, tol=1e-9, max_steps=None):
    """Exact restricted lasso over signed columns: ``min_{z >= 0} (1/2)|y - A z|^2 + nlam 1.z`` (``At = A^T``, the
    rows are the columns ``a_k``), by a Lawson-Hanson active-set method with a linear term.

    The passive set ``P`` (columns with ``z_k > 0``) is kept linearly independent, so ``|P| <= n`` (a basic
    solution). On ``P`` the stationary point solves ``A_P^T (y - A_P u) = nlam 1`` (by a QR of ``A_P``,
    :func:`_kkt_solve`); if a ``u_k <= 0`` the step goes only to the first zero and that column leaves. A column
    with the largest ``g_k = a_k . (y - A z) - nlam > tol nlam`` enters; if it lies in the span of ``A_P``
    (``a_k = A_P beta``; then ``g_k > 0`` means ``1.beta > 1``), the step along ``e_k - beta`` keeps the fit and lowers
    ``1.z`` until a passive weight reaches zero (a Caratheodory exchange). Starts from ``z0`` (the last round's
    weights, new columns at 0) after dropping passive columns until independent. Returns ``(z, ok)``: ``ok`` when
    the KKT conditions hold (``g_k <= t`` everywhere, ``|g_k| <= t`` on ``P``, ``t = max(tol nlam, 4 n eps
    max|a| max|y|)``, the rounding floor)."""
    K, n = At.shape
    max_steps = 4 * n + 50 if max_steps is None else max_steps
    z = np.zeros(K)
    if z0 is not None:
        z[:z0.shape[0]] = np.maximum(z0, 0.0)
    # the gradient a_k . (y - A z) - nlam is rounded by about n eps max|a| max|y| (small lam: it is a difference
    # of nearly equal terms), the floor of the KKT tolerance
    thr = max(tol * nlam, 4.0 * n * np.finfo(np.float64).eps * float(np.abs(At).max(initial=0.0)) *
              float(np.abs(y).max(initial=0.0)))
    P = [int(k) for k in np.argsort(-z, kind="stable") if z[k] > 0]
    # an independent start: a pivoted QR keeps at most rank(A_P) columns, the heaviest first
    if P:
        _, R, piv = sla_qr(At[P].T * z[P], mode="economic", pivoting=True)
        dg = np.abs(np.diag(R))
        rank = int(np.sum(dg > dg[0] * 1e-12)) if dg.size and dg[0] > 0 else 0
        keep = sorted(piv[:rank].tolist())
        drop = [P[i] for i in range(len(P)) if i not in set(keep)]
        z[drop] = 0.0
        P = [P[i] for i in keep]
    ok = False
    banned = set()  # entering columns in the span of A_P that cannot improve (cleared when P changes)
    for _ in range(max_steps):
        # inner loop: the stationary point on P, stepping back to feasibility
        while P:
            u = _kkt_solve(At[P].T, y, np.full(len(P), nlam))
            if u is None:
                # the last entering column is (numerically) in the span of the others: a_j = A_Q beta
                j = P.pop()
                z[j] = 0.0
                beta = np.linalg.lstsq(At[P].T, At[j], rcond=None)[0] if P else np.zeros(0)
                pos = beta > 0
                if P and beta.sum() > 1 and np.any(pos):
                    # move along e_j - beta: the same fit, 1.z lower by (1.beta - 1) t, to the first passive zero
                    zp = z[P]
                    tt = np.where(pos, zp / np.where(pos, beta, 1.0), np.inf)
                    i = int(np.argmin(tt))
                    t = float(tt[i])
                    zp = np.maximum(zp - t * beta, 0.0)
                    zp[i] = 0.0
                    z[P] = zp
                    z[j] = t
                    P = [k for k in P if z[k] > 0] + [j]
                    banned.clear()
                else:
                    banned.add(j)
                continue
            if np.all(u > 0):
                z[P] = u
                break
            old = z[P]
            with np.errstate(divide="ignore", invalid="ignore"):
                tt = np.where(u <= 0, old / (old - u), np.inf)
            i = int(np.argmin(tt))
            t = float(np.clip(tt[i], 0.0, 1.0))
            zn = old + t * (u - old)
            zn[i] = 0.0
            zn[zn <= 0] = 0.0
            z[P] = zn
            P = [k for k, v in zip(P, zn) if v > 0]
            banned.clear()
        r = y - At[P].T @ z[P] if P else y.copy()
        g = At @ r - nlam
        gp = g[P].copy() if P else np.zeros(0)
        g[P] = -np.inf
        if banned:
            g[list(banned)] = -np.inf
        j = int(np.argmax(g))
        if g[j] <= thr:
            ok = not banned and (gp.size == 0 or bool(np.max(np.abs(gp)) <= thr))
            break
        P.append(j)
    return z, ok


def _in_span(AP, a):
    """Whether ``a`` is (numerically) in the column span of ``AP``: relative residual of the least squares."""
    res = a - AP @ np.linalg.lstsq(AP, a, rcond=None)[0]
    return float(np.linalg.norm(res)) <= 1e-10 * float(np.linalg.norm(a))
