"""The simplex master of the atomic solver: the restricted LP (``lam = 0``) kept in one HiGHS model across
column-generation rounds, or the restricted lasso (``lam > 0``, an exact active-set solve warm-started each round,
:func:`spherekern.solvers.atomic.lasso._nn_lasso`), and the column-generation loop that drives them."""
from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ._config import _DENSE_DUAL_TOL, _LP_TOL, _POOL_ENTRIES, _STAGE_EXCESS, _STAGE_MIN_SIMPLEX
from ._kernels import _features, _weighted_sum
from .dense_simplex import DenseSimplex
from .lasso import _nn_lasso, _reduce_support, _solve_lasso
from .pricing import _d2_cell_dirs, _distinct, _price, _sampled_starts
from .purify import _merge_same_cell
from .solution import AtomicSolution

try:  # scipy's bundled HiGHS object (the one linprog drives), used to warm-start the master LP
    from scipy.optimize._highspy import _core as _hcore
except Exception:  # pragma: no cover - depends on the scipy build
    _hcore = None


class _Master:
    """Restricted master problem over signed atom columns a_k = sigma_k relu(X theta_k)^a (weights z_k >= 0,
    atom weight sigma_k z_k).

    * ``lam = 0``: the LP  min 1.z [+ big_m 1.(s+ + s-)]  s.t.  sum_k z_k a_k [+ s+ - s-] = y.
    * ``lam > 0``: the restricted lasso  min (1/2n)|y - sum_k z_k a_k|^2 + lam 1.z  over z >= 0, by the
      Lawson-Hanson-type active-set method :func:`_nn_lasso` from the last round's weights (exact KKT; the
      HiGHS QP solver it replaces reported "Solve error" for lam <= 1e-4 at n = 32).

    With scipy's bundled HiGHS object the LP persists between rounds: new columns are appended and the dual
    simplex restarts from the previous optimal basis, which is column generation proper. Without it
    (``warm=False`` or a scipy build without the object) the LP is re-solved each round by
    ``scipy.optimize.linprog(method="highs-ds")``. Both solutions are basic (at most n non-zero columns).
    """

    def __init__(self, y, big_m, lam=0.0, warm=True, lp_tol=_LP_TOL):
        self.y = y
        self.lp_tol = lp_tol  # HiGHS's primal and dual feasibility tolerances
        self.n = y.shape[0]
        self.big_m = big_m
        self.lam = lam
        self.cols = np.empty((0, self.n))
        self.elastic = False
        self.warm = warm and _hcore is not None and lam == 0  # lam > 0: the active-set lasso, no HiGHS model
        self.dense = None  # the dense primal simplex after a crossover (set_basis)
        if self.warm:
            self._build()

    def _build(self):
        H = _hcore._Highs()
        t = self.lp_tol
        # threads=1: HiGHS's worker threads spin-wait, which stalls badly on a busy 2-core machine
        for k, v in (("output_flag", False), ("presolve", "off"), ("simplex_strategy", 1), ("threads", 1),
                     ("primal_feasibility_tolerance", t), ("dual_feasibility_tolerance", t)):
            H.setOptionValue(k, v)
        n = self.n
        H.addRows(n, self.y, self.y, 0, np.zeros(n + 1, np.int32), np.zeros(0, np.int32), np.zeros(0))
        self.H = H
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
        return 2 * self.n if self.elastic else 0

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
        if self.dense is not None:
            self.dense.add(cols)
        elif self.warm:
            self._add_to_highs(cols, self._cost)
        self.cols = np.concatenate([self.cols, cols])

    def delete(self, keep):
        """Drop the atom columns where ``keep`` is False."""
        if keep.all():
            return
        if self.dense is not None:
            self.dense.delete(keep)
        elif self.warm:
            idx = (np.flatnonzero(~keep) + self._offset).astype(np.int32)
            self.H.deleteCols(int(idx.size), idx)
        self.cols = self.cols[keep]

    @property
    def basic(self):
        """Mask of the atom columns in the dense simplex's basis (none without it): they must not be deleted."""
        if self.dense is None:
            return np.zeros(self.cols.shape[0], bool)
        return self.dense.is_basic.copy()

    def set_basis(self, basic):
        """Crossover start: the atom columns ``basic`` (indices into the atom columns, linearly independent, fitting
        y with non-negative weights) are basic, every other column at 0. The rounds then run the dense primal
        simplex (:class:`~spherekern.solvers.atomic.dense_simplex.DenseSimplex`, the basis completed by further
        columns), or, if that basis is singular or infeasible, HiGHS's primal simplex (HiGHS completes the
        basis with row logicals, an "alien" basis)."""
        if not self.warm:
            return
        try:
            self.dense = DenseSimplex(self.cols, self.y, basic, primal_tol=1e-9, dual_tol=_DENSE_DUAL_TOL,
                                      max_iter=10 * self.n + 1000)  # per round
            return
        except np.linalg.LinAlgError:
            self.dense = None
        self._highs_basis(basic)

    def _highs_basis(self, basic):
        B = _hcore.HighsBasisStatus
        st = [B.kLower] * self.n_cols
        for k in basic:
            st[int(k) + self._offset] = B.kBasic
        b = _hcore.HighsBasis()
        b.col_status = st
        b.row_status = [B.kLower] * self.n
        b.alien = True
        b.valid = False
        self.H.setBasis(b)
        self.H.setOptionValue("simplex_strategy", 4)
        self._primal_once = True

    def solve(self, z0=None, tol=1e-7):
        """Returns (z (atom columns), p (dual: LP row duals, or residual/(n lam)), slack (n,))."""
        if self.lam > 0:
            # the restricted lasso: an exact active-set solve warm-started from the last round's weights
            z, _ = _nn_lasso(self.cols, self.y, self.n * self.lam, z0, tol=min(1e-9, 1e-2 * tol))
            self.z = z
            r = self.y - self.cols.T @ z
            return z, r / (self.n * self.lam), None
        status, msg = self._run()
        if status == "infeasible" and not self.elastic:
            self.elastic = True
            if self.warm:
                self._build()
            status, msg = self._run()
        if status == "fail" and self.warm:
            # a warm restart can end without a status ("Not Set", measured: y = |theta . x|, n = 256, 6168
            # columns, a degenerate LP): solve the same LP again from scratch (a fresh HiGHS model)
            self._build()
            status, msg = self._run()
        if status != "optimal":
            raise RuntimeError(f"HiGHS failed on the master LP of atomic(): {msg} "
                               f"({self.cols.shape[0]} atom columns, {self.n} rows)")
        return self.z, self.p, self.slack

    def _run(self):
        n = self.n
        K = self.cols.shape[0]
        if self.dense is not None:
            if self.dense.solve():
                self.z, self.p, self.slack = self.dense.z, self.dense.pi.copy(), np.zeros(n)
                return "optimal", ""
            # out of pivots (cycling): HiGHS's primal simplex from the dense simplex's basis
            basis = self.dense.basis.copy()
            self.dense = None
            self._build()
            self._highs_basis(basis)
        if self.warm:
            self.H.run()
            if getattr(self, "_primal_once", False):
                self.H.setOptionValue("simplex_strategy", 1)
                self._primal_once = False
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
                      options=dict(primal_feasibility_tolerance=self.lp_tol, dual_feasibility_tolerance=self.lp_tol))
        if res.status == 2:
            return "infeasible", f"status 2: {res.message}"
        if res.status != 0:
            return "fail", f"status {res.status}: {res.message}"
        self.z = res.x[:K]
        self.slack = res.x[K:K + n] - res.x[K + n:] if self.elastic else np.zeros(n)
        self.p = np.asarray(res.eqlin.marginals, dtype=np.float64)
        return "optimal", ""


def _atomic_simplex(X, y, lam, power, tol, max_iter, n_starts, rng, big_m, warm, d2data, verbose,
                    init=None, history=None, prove=None):
    """Column generation with the simplex master (:class:`_Master`): ``lam = 0`` or ``lam > 0``; returns an
    :class:`AtomicSolution` (a ``RuntimeWarning`` when not converged within ``max_iter`` rounds).

    ``prove`` (a time limit in seconds, ``inf`` for none; d >= 3 only): the proof of :mod:`.proof` is the last
    pricing step. The rounds stop at ``max|eta| <= 1 + tol / 2`` by the local pricing, then the branch and bound
    over the sphere is run at ``tol``: a point where it finds ``|eta| > 1 + tol`` (a maximum that the local
    pricing missed) becomes a column and a pricing start, and the rounds go on; otherwise the proof (proved, or
    stopped by the time limit) is the solution's ``proof``. The factor 2 leaves the proof a margin of ``tol / 2``
    everywhere: a dual certified at ``1 + 0.999 tol`` needs caps down to the width ``0.001 tol`` around its
    maxima (measured: 25-50 million caps, 60 s at n = 64 .. 256, d = 3, instead of 0.1-0.4 s).

    After the crossover of ``method="auto"`` (``init``), with the proof and ``lam = 0``, the pricing is staged: a
    round first walks from the current atoms and the last round's maxima (with their own sign) and takes the
    violated maxima they find as its new columns, when the largest is above ``1 + _STAGE_EXCESS tol``; otherwise --
    and in every round that may stop -- it prices from all the starts. Without the proof (``verify=False``, or
    by default d = 5 with n > 128 and d >= 6) every round prices from all the starts, which is what the certificate rests on there."""
    n, d = X.shape
    if d2data is not None:
        prove = None  # the d = 2 sweep is exact
    tol_cg = tol if prove is None else max(0.5 * tol, 16.0 * (n + d) * np.finfo(np.float64).eps)
    proof = None
    proof_p = None
    n_add_max = max(2 * n, 32)  # new columns per round

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
    if init is not None:  # a column pool to start from (the interior-point rounds of the default method)
        theta, sg = np.concatenate([theta, init[0]]), np.concatenate([sg, init[1]])
    At = _features(theta, X, power) * sg[:, None]
    # proving: the LP's duals feasible to 0.1 tol_cg at its own columns (HiGHS's 1e-7 would leave eta = 1 + 1e-7 there)
    master = _Master(y, big_m, lam=lam, warm=warm, lp_tol=_LP_TOL if prove is None else min(_LP_TOL, 0.1 * tol_cg))
    master.add(At)
    if init is not None and len(init) > 2 and init[2] is not None:  # crossover: the last init[2] columns are basic
        master.set_basis(np.arange(theta.shape[0] - init[2], theta.shape[0]))
    w = np.zeros(theta.shape[0])  # signed weights of the columns
    history = [] if history is None else list(history)
    it0 = len(history)
    converged = False
    cert = np.inf
    p = np.zeros(n)
    slack = None
    last_found, last_sign = np.empty((0, d)), np.empty(0)
    stage = bool(_STAGE_MIN_SIMPLEX) and prove is not None and lam == 0.0 and init is not None and d2data is None
    age = np.zeros(theta.shape[0], np.int64)  # rounds since a column was last in the support
    obj_prev, stall = np.inf, 0  # the last round's objective, rounds without a decrease

    def add_columns(th, ev, sel):
        """Add the priced directions ``th[sel]`` (values ``ev``), largest |eta| first, that are distinct among
        themselves and from the existing columns of the same sign (at most ``n_add_max``); returns how many."""
        nonlocal theta, sg, At, w, age
        cand = np.flatnonzero(sel)
        if not cand.size:
            return 0
        cand = cand[np.argsort(-np.abs(ev[cand]), kind="stable")]
        newt = th[cand] / np.linalg.norm(th[cand], axis=1, keepdims=True)
        news = np.sign(ev[cand])
        keep = np.ones(cand.size, bool)
        for sgn in (1.0, -1.0):
            m_new, m_old = news == sgn, sg == sgn
            if m_new.any():
                keep[m_new] = _distinct(newt[m_new], theta[m_old])
        newt, news = newt[keep][:n_add_max], news[keep][:n_add_max]
        if newt.shape[0]:
            newA = _features(newt, X, power) * news[:, None]
            theta = np.concatenate([theta, newt])
            sg = np.concatenate([sg, news])
            At = np.concatenate([At, newA])
            w = np.concatenate([w, np.zeros(newt.shape[0])])
            age = np.concatenate([age, np.zeros(newt.shape[0], np.int64)])
            master.add(newA)
        return int(newt.shape[0])

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
        # a master that no longer moves: the objective has not decreased for two rounds (the new columns enter at
        # improvements below the master's own tolerance; measured: lam = 1e-8, constant target, n = 32, d = 3 on an
        # AVX-512 Xeon: 200 rounds at max|eta| = 1 + 7.3e-8, above tol / 2 only by the rounding of p = r / (n lam))
        stall = stall + 1 if obj >= obj_prev - 1e-12 * abs(obj_prev) else 0
        obj_prev = obj
        col_eta = At @ p  # sigma_k eta(theta_k) for the current columns
        staged = False
        if stage and stall < 2:
            # staged pricing: the ascents from the current atoms and the last round's maxima, with their own sign
            # (short walks: the dual moved little), first; when they find enough violated maxima those are the
            # round's new columns and the full pricing waits -- a round that may stop always prices in full, and
            # then proves. Only with the proof: in d = 5 (no proof) the staged rounds ended at a dual that the full
            # pricing certified at 1 + 8e-8 and 10^5 ascents put at 1.0068 (n = 256, the bench teacher). Only after
            # the crossover (the dense simplex, cheap rounds): the lasso's exact restricted solves move the dual more
            # (n = 256, lam = 1e-5: 41 staged rounds, 3.4 s, against 17 rounds, 2.1 s), and so does HiGHS's dual
            # simplex from the training points (method="simplex": 49 rounds, 19.3 s, against 25, 15.0 s)
            th, ev = _price(X, p, power, np.empty((0, d)), None, 60,
                            (np.concatenate([theta[supp], last_found]), np.concatenate([sg[supp], last_sign])),
                            arc=d >= 4)
            a_ev = np.abs(ev)
            staged = int(np.sum(a_ev > 1 + tol_cg)) >= _STAGE_MIN_SIMPLEX and a_ev.max() > 1 + _STAGE_EXCESS * tol
        if staged:
            cert = max(float(a_ev.max()), float(np.abs(col_eta).max()) if K else 0.0)
        else:
            starts = None
            if d2data is None:  # pricing starts: current atoms, training points, last maxima, random points, and
                # the sampled starts of narrow maxima (the certificate is decided on these)
                starts = np.ascontiguousarray(np.concatenate([theta[supp], X, last_found, rand_dirs(n_starts),
                                                              _sampled_starts(X, p, power, rand_dirs)]))
            # in d = 3 the walks without the arc line search find the columns faster (measured: n = 256 teacher,
            # 24 vs 32 rounds) but can stop at local maxima below a violated one: a round that would stop prices
            # again with it, and only that decides the certificate (power != 1 has no arc search: one pricing)
            th, ev = _price(X, p, power, starts, d2data, 60, arc=d >= 4)
            a_ev = np.abs(ev)
            cert = max(float(a_ev.max()) if a_ev.size else 0.0, float(np.abs(col_eta).max()) if K else 0.0)
            if d == 3 and power == 1.0 and cert <= 1 + tol_cg:
                th, ev = _price(X, p, power, starts, d2data, 60)
                a_ev = np.abs(ev)
                cert = max(cert, float(a_ev.max()) if a_ev.size else 0.0)
        t2 = time.perf_counter()
        n_added = add_columns(th, ev, a_ev > 1 + tol_cg)
        opp = np.flatnonzero(-col_eta > 1 + tol_cg)
        if n_added == 0 and opp.size:  # nothing new, but |eta| > 1 at a column's own direction, of the other sign
            # (the certificate counts it; the ascents need not end there): those columns, rather than stopping
            # unconverged (measured with a pricing blinded to a cap that held such a column: 66 rounds, stopped at
            # max|eta| = 1.40 from col_eta)
            n_added = add_columns(theta[opp], sg[opp] * col_eta[opp], np.ones(opp.size, bool))
        t_proof = 0.0
        # the proof: when the local pricing certifies 1 + tol / 2, or 1 + tol with nothing new left to add or a
        # master that has stalled there
        if prove is not None and not staged and np.any(p) and (
                cert <= 1 + tol_cg or (cert <= 1 + tol and (n_added == 0 or stall >= 2))):
            proof, proof_p = _prove(X, p, power, tol, prove), p
            t_proof = proof.seconds if proof is not None else 0.0
            if proof is not None and proof.best > 1 + tol:  # a maximum the local pricing missed: a new column
                t_best = np.ascontiguousarray(proof.best_theta[None, :])
                e_best = np.empty(1)  # eta there, signed (the proof keeps |eta|)
                _weighted_sum(t_best, X, np.ascontiguousarray(p), power, e_best)
                th = np.concatenate([th, t_best])
                ev = np.concatenate([ev, e_best])
                a_ev = np.abs(ev)
                cert = max(cert, float(a_ev[-1]))
                n_added += add_columns(th[-1:], ev[-1:], a_ev[-1:] > 1 + tol)
        if d2data is None:  # the proof's point first: the next round's ascent refines it
            found = np.flatnonzero(a_ev > 1 - 1e-3)
            found = found[np.argsort(-a_ev[found], kind="stable")][:n]
            last_found, last_sign = th[found], np.sign(ev[found])
        history.append(dict(iteration=it0 + it, n_columns=K, lp_rows=n, lp_cols=master.n_cols - n_added,
                            objective=obj, max_eta=cert,
                            n_added=n_added, t_master=t1 - t0, t_pricing=t2 - t1, staged_pricing=staged,
                            **({"t_proof": t_proof, "proof_bound": proof.bound} if t_proof else {})))
        if verbose:
            print(f"[atomic] it {it:3d}  cols {K:6d}  obj {obj:.12g}  max|eta| {cert:.10f}  +{n_added}  "
                  f"master {t1 - t0:.3f}s  pricing {t2 - t1:.3f}s"
                  + (f"  proof {t_proof:.3f}s bound {proof.bound:.10f}" if t_proof else ""))
        if cert <= 1 + tol_cg or (proof is not None and proof_p is p and cert <= 1 + tol):
            converged = True
            break
        if n_added == 0:
            break
        # keep the master problem within memory: beyond max(16 n columns, _POOL_ENTRIES column entries K n), drop
        # columns unused for many rounds and far from entering. Not sooner: a dropped column can be priced back, and on a degenerate
        # (stalled) master that cycles -- |x_1| on 24 Gaussian points in d = 3 stopped unconverged after 218 rounds
        # at max|eta| = 1.0018 with a cap of 2048 columns, and converges (proved) in 131 rounds, 0.5 s, with 2771;
        # the pools of the bench problems (n = 256 .. 1024, d = 3, 5) stay below 16 n, where nothing changes
        age[:K] = np.where(w[:K] != 0, 0, age[:K] + 1)
        K = theta.shape[0]
        cap = max(16 * n, _POOL_ENTRIES // n)
        if K > cap:
            old = np.arange(K - n_added)
            drop = old[(age[old] >= 10) & (col_eta[old] < 0.5) & ~master.basic[old]]
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
    # a degenerate vertex (a target that few atoms represent exactly, e.g. |theta . x|) keeps basic columns at
    # rounding-level weights (1e-12): they are zeros, not atoms. Dropped: the atoms whose removal moves the fit by at
    # most 1e-3 tol (max|y| = 1 here) -- and the objective by less -- (the weights are polished again below)
    supp = supp[np.abs(w[supp]) * np.abs(At[supp]).max(axis=1, initial=0.0) > 1e-3 * tol]
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
                      "(duality gap). Raise max_iter or n_starts.", RuntimeWarning, stacklevel=4)
    sol = AtomicSolution(np.ascontiguousarray(dirs), np.ascontiguousarray(wts), obj, lam, power, p, cert, gap,
                         converged, history, X)
    if proof is not None and proof_p is p:  # the proof is of the returned dual
        sol.proof = proof
    return sol


def _prove(X, p, power, tol, time_limit):
    """:func:`.proof.prove_bound` of the dual ``p`` at ``tol`` (``None`` if ``tol`` is below its rounding margin)."""
    from .proof import prove_bound
    try:
        return prove_bound(X, p, power, tol=tol, time_limit=None if time_limit == np.inf else time_limit)
    except ValueError:  # tol below the bound's rounding margin for these data: no proof (atomic() says so)
        return None
