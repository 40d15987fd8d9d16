"""The public entry point :func:`atomic`: validation, scale normalisation and dispatch to the masters."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._blas import limited
from ..._validate import as_array, as_points, as_rng, check_int, check_real
from ._config import _IPM_MIN_TOL, _LAM_MIN_REL
from .ipm import _atomic_ipm
from .pricing import _d2_breakpoints
from .simplex import _atomic_simplex
from .solution import AtomicSolution


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


@limited("ATOMIC_BLAS_THREADS")
def atomic(X, y, lam=0.0, power=1, *, tol=1e-7, max_iter=200, n_starts=None, rng=0, big_m=1e7,
           warm=True, method="auto", verbose=False, verify="auto") -> AtomicSolution:
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
        L1 (total-variation) penalty; ``0`` means exact interpolation. ``lam > 0`` needs
        ``lam / max|y| >= eps / tol`` (below, the dual ``p = (y - f(X)) / (n lam)`` is rounding noise at the level
        ``tol``; use ``lam = 0``). The restricted lasso of each round is solved exactly by an active-set method.
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
    method : {"auto", "simplex", "ipm"}, default "auto"
        Master problem of the interpolation problem (``lam = 0``; the penalised problem always uses
        the simplex path's restricted lasso). ``"auto"``: interior-point rounds (as ``"ipm"``) until
        ``max|eta| <= 1 + max(10 tol, 1e-5)`` -- or until the excess ``max|eta| - 1`` of the largest ``|eta|``
        their pricing finds has not halved for 15 rounds (``_IPM_STALL``: on targets that few atoms represent
        exactly, e.g.
        ``|theta . x|``, the interior-point rounds cycle on the wide optimal dual face) -- then a crossover to
        the simplex: the purified basic solution of
        the last interior point is the starting basis of a dense revised primal simplex
        (:mod:`~spherekern.solvers.atomic.dense_simplex`: steepest edge, Harris ratio test, LU refactorised
        every 64 pivots) on the final column pool plus that vertex's atoms, kept across the remaining
        column-generation rounds until they certify ``tol`` (each phase gets up to ``max_iter`` rounds; the
        HiGHS primal simplex takes over if that basis is singular or a round runs out of pivots); with the proof
        (d = 3) those rounds price in stages (the atoms' and last maxima's ascents first, all starts in every round
        that may stop). Measured at n = 256, d = 3 (bench/RESULTS.md, a 2-core Intel Xeon VM): the simplex path's
        certificate and optimal objective in 1.12 s instead of 14.7 s. ``"simplex"``: warm-started HiGHS dual
        simplex from the training points alone; certifies to any ``tol``.
        ``"ipm"``: a dense primal-dual interior-point master (:mod:`spherekern.solvers._ipm`) with loose-then-tightened
        gaps (well-centred duals), then purification of the final interior point to a basic solution
        (same-cell merge, Carathéodory, exact refit: ``n_A <= n``). About 9x faster at n = 512, d = 3,
        but it needs ``tol >= 1e-5``: the normal equations stall near relative gaps of 1e-7.
        The returned ``dual`` is the interior-point one (``eta(theta_i) = sign(w_i)`` only to about
        ``tol``) when it certifies the basic solution within ``2 tol``; otherwise that or the vertex's
        complementary one, whichever certifies the better bound.
    verbose : bool
        Print one line per round.
    verify : "auto", bool or float, default "auto"
        Prove the certificate over the whole sphere (:func:`~spherekern.solvers.atomic.proof.prove_bound` at
        this ``tol``: branch and bound over spherical caps, an upper bound of ``max|eta|``). ``True`` without a
        time limit, a positive number as the time limit in seconds, ``False`` not at all; ``"auto"``: with
        ``power = 1`` in d = 3 and 4, and in d = 5 up to n = 128 (``AUTO_PROOF_MAX_N``: where a proof costs at most
        ~3x the local solve; measured on a 2-core Intel Xeon VM: d = 3, n = 256 0.02 s of a 1.1 s solve, n = 1024
        0.2 s; d = 4, n = 256 0.6 s; d = 5, n = 128 3.3-6.3 s per proved solve instead of 1.2-1.9 s), with a limit
        of ``AUTO_PROOF_SECONDS`` = 60 s, else not (d = 2 needs none: its pricing is an exact sweep), and only where
        float64 can prove ``tol`` (at least 4x the bound's rounding margin ``16 (m + d + 8) eps sum|p_j|``,
        m ~ 2 sqrt(n) + 48: the sums run in blocks; measured, n = 1024 teacher: margin 4.2e-9, proved at tol = 1e-7;
        below that, no proof and no warning with "auto", a ``RuntimeWarning`` saying so with ``True`` or a
        number). In the simplex
        rounds (``method`` "auto" or "simplex", d >= 3) the proof is the last pricing step: the local pricing
        certifies ``1 + tol / 2``, then the proof at ``tol`` either proves it or finds a maximum that the local
        pricing missed, which becomes a column, and the rounds go on -- so the certificate is not only the best of
        the local maxima found (measured without it, quick ``make check``, d = 3: 3 of 102 certified duals had
        ``max|eta|`` = 1 + 7e-7 .. 1 + 2.8e-5 at a point no local ascent reached). With ``method="ipm"`` the proof
        runs once on the result. The result is in ``proof`` and ``proven_gap``; a ``RuntimeWarning`` if not proved.
        Without the proof (by default d = 5 with n > 128, and d >= 6) the certificate is the largest local maximum
        the pricing found, and it can be false. Measured with the local certificate alone (2-core Intel Xeon VM,
        2026-12-07; the true ``max|eta|`` from 2 x 10^6 sampled directions and ascents from the best 5000), d = 5:
        constant target, n = 128, 2 of 6 seeds certified at 1 + 1e-7 with ``max|eta|`` = 1 + 1.1e-4 and
        1 + 2.5e-4; n = 256 (the bench teacher, seeds 5-10, and ``cos(3 x_1) + x_2 x_3``, 4 seeds) 3 of 10, up to
        1 + 1.8e-3 -- sharp maxima 4-32 degrees from every atom, whose ``|eta|`` is below 0.95 a few degrees away,
        which no local ascent from the starts reached (n = 64: 0 of 6; d = 4, n = 128: 0 of 3). The proof repairs
        them (the missed maxima become columns); ``verify=True`` at d = 5, n = 256: 19-37 s per solve instead of
        2.5-3 s (a proof there takes ~17 s; 37 s with one repair, two proofs).

    Returns
    -------
    AtomicSolution

    Raises
    ------
    ValueError
        Bad X / y / lam / power / tol / method / verify (shapes, non-finite values, off-sphere rows, lam < 0,
        lam absurdly small for the data's scale, power < 1, tol below ``16 (n + d) eps``, what float64 can
        certify, an unknown method name).
    RuntimeError
        Infeasible interpolation (e.g. repeated points with different targets), or a HiGHS failure
        (its status and message are reported).

    Notes
    -----
    ``n_A <= n`` always: the master LP returns a basic (vertex) solution, and the lasso support is
    reduced (without changing the fit or increasing the L1 norm) until its columns are independent.
    For ``power = 1`` atoms with the same activation pattern and weight sign are merged exactly.

    Known limitation: targets that a few atoms represent *exactly* (``|theta . x|``, a teacher network of 1-5 relu
    neurons) have a wide optimal dual face, on which the simplex rounds' vertex duals converge slowly. Measured on a
    quiet 2-core Intel Xeon VM, n = 256, Gaussian points and directions (seed 3; the result exact: certified, the
    teacher's atoms and total variation, proved in d = 3): d = 3 ``|theta . x|`` 8.7 s (56 rounds), ``relu(theta .
    x)`` 3.9 s, five relu atoms 6.6 s; d = 5 48 s, 84 s (19 atoms, all but one at weights ~1e-9: a degenerate vertex
    of the same total variation) and 18 s -- a generic target takes 1.1 s (d = 3) and 3.2 s (d = 5). On such a
    degenerate master a column dropped from the pool can be priced back, and the rounds can cycle: ``|x_1|`` on 24
    Gaussian points in d = 3 (``default_rng(0)``) stopped unconverged after 218 rounds at ``max|eta| = 1.0018`` while
    the pool was trimmed beyond 2048 columns; it is now trimmed only beyond 2^25 entries (``_POOL_ENTRIES``, 256 MB),
    and that problem converges, proved, in 131 rounds (0.5 s). Timing hazard:
    on a machine where another process keeps a core busy, the dense simplex's many small parallel kernels wait
    for a scheduler slice each (measured: 8 ms instead of 0.1 ms per pivot, the whole solve 2-3x slower); use
    ``numba.set_num_threads(1)`` there, as paper_checks' executor does.

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
    if not isinstance(warm, (bool, np.bool_)):
        raise TypeError(f"warm must be True or False (keep one HiGHS model across simplex rounds), got {warm!r}")

    if not isinstance(method, str) or method not in ("auto", "ipm", "simplex"):
        raise ValueError(f"method must be 'auto', 'ipm' or 'simplex', got {method!r}")
    if method == "ipm" and lam == 0.0 and tol < _IPM_MIN_TOL:
        raise ValueError(f"tol must be >= {_IPM_MIN_TOL:g} with method='ipm' (the interior-point master stalls on "
                         f"the ill-conditioned interpolation LPs below that), got {tol!r}; use method='simplex' "
                         "for a tighter certificate")

    tol_min = 16.0 * (n + d) * np.finfo(np.float64).eps
    if tol < tol_min:
        raise ValueError(f"tol = {tol!r} is below what float64 can certify for n = {n} points in d = {d}: the duals are "
                         "scaled to max|eta| = 1, and eta(theta) = sum_j p_j relu(theta . x_j)^power, a sum of n terms, "
                         f"is rounded by about (n + d) eps; use tol >= 16 (n + d) eps = {tol_min:.3g}")
    y_max = float(np.max(np.abs(y)))
    if lam > 0 and y_max > 0:
        rel = lam / y_max
        lam_min = _LAM_MIN_REL / tol
        if not rel >= lam_min:
            raise ValueError(f"lam = {lam!r} is absurdly small for the data's scale and tol: lam / max|y| = {rel:.3g} is "
                             f"below eps / tol = {lam_min:.3g}; there the dual p = (y - f(X)) / (n lam) is the residual "
                             "of a near-interpolation divided by n lam, and its rounding exceeds tol (measured: "
                             "lam / max|y| = 1e-10 stalls at max|eta| = 1 + 1e-5); use lam = 0 (interpolation) or a "
                             "larger tol")
        if not np.isfinite(rel):
            raise ValueError(f"lam / max|y| = {lam!r} / {y_max!r} overflows float64: rescale y or lam")
    time_limit = _check_verify(verify)

    # normalise the rows exactly (they are unit to SPHERE_TOL): the kernels assume unit vectors
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    auto = time_limit == "auto"
    if auto:
        time_limit = AUTO_PROOF_SECONDS if (power == 1.0 and n <= AUTO_PROOF_MAX_N.get(d, 0)) else None
    sol = _solve(X, y, lam, power, tol, max_iter, n_starts, rng, big_m, warm, method, verbose, time_limit)
    sol._y, sol.tol = y, tol
    if time_limit is not None and sol.n_atoms:
        if sol.proof is None:  # method="ipm", d = 2, or a final refit that changed the dual
            try:
                sol.verify(tol, time_limit=None if time_limit == np.inf else time_limit)
            except ValueError as exc:  # tol below the proof's rounding margin for these data
                if not auto:  # asked for: say why there is none ("auto" proves only where float64 can)
                    warnings.warn(f"atomic: no proof of global optimality: {exc}", RuntimeWarning, stacklevel=3)
                return sol
        else:
            sol.proven_gap = max(sol.objective - sol.dual_objective(sol.proof.bound), 0.0)
        r = sol.proof
        if not r.proved:
            warnings.warn(f"atomic: the proof of global optimality did not reach max|eta| <= 1 + tol = {1 + tol:.9g}: "
                          f"proven bound {r.bound:.12g} after {r.n_caps} caps in {r.seconds:.1f} s "
                          f"({'complete' if r.complete else 'stopped early'}); the certificate {sol.certificate:.12g} "
                          "is the best local maximum found", RuntimeWarning, stacklevel=3)
    return sol


#: Time limit (s) of the proof that ``atomic(..., verify="auto")`` runs, and the dimensions and largest n where it
#: runs it (power 1): where a proof costs at most ~3x the local solve (measured, 2-core Intel Xeon VM: d = 3 n = 256
#: 0.02 s of 1.1 s, n = 1024 0.2 s of 37 s; d = 4 n = 256 0.6 s; d = 5 n = 128 3.3-6.3 s per proved solve against
#: 1.2-1.9 s unproven, n = 256 ~20 s against 2.7 s).
AUTO_PROOF_SECONDS = 60.0
AUTO_PROOF_MAX_N = {3: math.inf, 4: math.inf, 5: 128}


def _check_verify(verify):
    """``verify`` of :func:`atomic`: False/None -> None (no proof), True -> inf (no time limit), a positive number
    -> that time limit in seconds, "auto" -> "auto" (decided from d and power)."""
    if verify is None or verify is False:
        return None
    if isinstance(verify, str):
        if verify != "auto":
            raise TypeError(f"verify must be 'auto', a bool or a time limit in seconds (a positive number), "
                            f"got {verify!r}")
        return "auto"
    if verify is True:
        return np.inf
    if isinstance(verify, (bool, np.bool_)) or not isinstance(verify, (int, float, np.integer, np.floating)):
        raise TypeError(f"verify must be a bool or a time limit in seconds (a positive number), got {verify!r}")
    v = float(verify)
    if not (v > 0 and np.isfinite(v)):
        raise ValueError(f"verify must be True, False or a finite positive time limit in seconds, got {verify!r}")
    return v


def _solve(X, y, lam, power, tol, max_iter, n_starts, rng, big_m, warm, method, verbose, prove=None):
    """The validated problem (unit rows X): scale normalisation, then the master of ``method``."""
    n, d = X.shape

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
        sol = _solve(X, y / y_scale, lam1, power, tol, max_iter, n_starts, rng, big_m, warm, method, verbose, prove)
        return sol._rescaled(y_scale, lam)
    d2data = _d2_breakpoints(X) if (d == 2 and power == 1.0) else None

    if lam == 0.0 and method == "auto":
        _check_consistent(X, y)
        tx = max(10.0 * tol, _IPM_MIN_TOL)
        # the interior-point rounds only build the column pool: they see y (max|y| = 1 here) rounded to multiples
        # of 2^-30, so that y and s y (equal up to the last bit after the normalisation) give the same pool and the
        # same vertex (the interior point is sensitive to last-bit changes); the simplex rounds solve the exact y
        y_pool = np.round(y * 2.0 ** 30) / 2.0 ** 30
        (theta, sg, dirs, wts), hist = _atomic_ipm(X, y_pool, power, tx, max_iter, n_starts, rng, d2data, verbose,
                                                   pool_only=True, y_vertex=y)
        init = (np.concatenate([theta, dirs]), np.concatenate([sg, np.sign(wts)]), wts.size)
        return _atomic_simplex(X, y, lam, power, tol, max_iter, n_starts, rng, big_m, warm, d2data, verbose,
                               init=init, history=hist, prove=prove)
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
                          "gap). Raise max_iter or n_starts, or use method='simplex'.", RuntimeWarning, stacklevel=4)
        return AtomicSolution(np.ascontiguousarray(dirs), np.ascontiguousarray(wts), obj, lam, power, p, cert, gap,
                              converged, history, X)
    return _atomic_simplex(X, y, lam, power, tol, max_iter, n_starts, rng, big_m, warm, d2data, verbose,
                           prove=prove)
