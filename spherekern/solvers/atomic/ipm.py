"""The interior-point master of the atomic solver (``method="ipm"``, ``lam = 0``): column generation whose
restricted LPs are solved by :func:`spherekern.solvers._ipm.lp_ipm` (warm-started from a saved iterate),
then purified to a basic solution (:mod:`.purify`)."""
from __future__ import annotations

import time

import numpy as np

from ._config import _IPM_LOOSE_PRIMAL, _IPM_STALL, _POOL_CAP, _STAGE_MIN, _WARM_GAP
from ._kernels import _features
from .pricing import _d2_cell_dirs, _distinct, _price, _sampled_starts
from .purify import _vertex_dual, _vertex_from_interior


def _atomic_ipm(X, y, power, tol, max_iter, n_starts, rng, d2data, verbose, pool_only=False, y_vertex=None):
    """lam = 0 by column generation with an interior-point master (see :mod:`spherekern.solvers._ipm`).

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
    from .._ipm import lp_ipm

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
    best_cert, it_best = np.inf, 0
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
        if cert - 1 < 0.5 * (best_cert - 1):  # progress: the excess of the largest |eta| found (staged or full)
            best_cert, it_best = cert, it
        # pool_only: a run whose excess max|eta| - 1 has not halved for _IPM_STALL rounds crosses over too (exact:
        # the simplex finishes; normal runs halve it every 1-3 rounds). For a target that few atoms represent
        # exactly (|theta . x|) the optimal dual face is wide, its analytic centre far out, and the interior-point
        # rounds cycle at max|eta| = 1e2..1e3; the simplex finishes from their pool.
        if pool_only and ((full and cert <= 1 + tol) or it == max_iter or it - it_best >= _IPM_STALL):
            # the crossover of the default method: the column pool and the interior point go to the simplex
            zv = r.z if r.res_primal <= 1e-7 else lp_ipm(At, y, gap_tol=min(delta, 0.1 * tol)).z
            dirs, wts, A_S = _vertex_from_interior(theta, sg, At, zv, X, y, power)
            if y_vertex is not None and wts.size and not _feasible_for(A_S * np.sign(wts), y_vertex):
                # the simplex solves y_vertex, not the pool's y rounded to 2^-30: the two differ by up to 2^-31,
                # which an interpolation basis of condition 1e9..1e10 turns into weights off by 1e-2 and of either
                # sign -- a start basis that is not primal feasible, where the dense simplex cannot start (HiGHS's
                # primal simplex took 2.7 s of a 3.9 s solve; n = 256, d = 3, smooth field): the vertex of y_vertex
                # (only then: the rounded y's vertex is what makes y and s y give the same solution)
                dirs, wts, _ = _vertex_from_interior(theta, sg, At, zv, X, y_vertex, power)
            history.append(entry)
            if verbose:
                print(f"[atomic/ipm] it {it:3d}  cols {theta.shape[0]:6d}  obj {r.primal:.12g}  lower {lower:.12g}  "
                      f"max|eta| {cert:.10f}  -> crossover from a vertex of {wts.size} atoms")
            return (theta, sg, dirs, wts), history
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


def _feasible_for(B, y):
    """Whether the basic solution of the independent columns B (n, m) for y is non-negative (to 1e-9 max|y|): the
    start condition of the dense simplex (which completes B to a square basis at value 0)."""
    x = np.linalg.lstsq(B, y, rcond=None)[0]
    return bool(x.min() >= -1e-9 * max(1.0, float(np.abs(y).max())))


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
