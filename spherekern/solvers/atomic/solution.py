"""The result object of :func:`spherekern.solvers.atomic`: the atomic predictor and its optimality certificate."""
from __future__ import annotations

import numpy as np

from ..._validate import as_points
from ._kernels import _weighted_sum


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
        local maxima otherwise -- and then proven when ``proof.proved`` (``proof.bound`` is the proven upper
        bound; the default in d = 3, 4 and in d = 5 up to n = 128, see ``atomic``'s ``verify``). Unproven it can be
        false: in d = 5 it missed sharp maxima of ``|eta|`` up to ``1 + 1.8e-3`` in 5 of 16 measured solves (see
        ``atomic``'s ``verify``).
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
    tol : float
        The certificate tolerance of the solve (``certificate <= 1 + tol`` when converged).
    proof : ProofResult or None
        The proof of global optimality of this dual: the result of the last :meth:`verify`, or of the proof that
        ``atomic(..., verify=...)`` ran as its last pricing step (``None`` if none ran).
    proven_gap : float or None
        The duality gap with the proven bound of the last :meth:`verify` in place of ``certificate``:
        ``objective - D(p / max(1, proof.bound))``, a proven bound on the suboptimality over all measures.
    """

    def __init__(self, directions, weights, objective, lam, power, dual, certificate, gap, converged,
                 history, X_train, y_train=None, tol=None):
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
        self._y = y_train
        self.tol = None if tol is None else float(tol)
        self.proof = None
        self.proven_gap = None

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
        from ..._validate import check_out

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
        out = AtomicSolution(self.directions, self.weights * s, self.objective * f, lam, self.power, self.dual,
                             self.certificate, self.gap * f, self.converged, hist, self._X,
                             None if self._y is None else self._y * s, self.tol)
        out.proof = self.proof  # a bound on max|eta| of the same dual (the duals do not scale)
        return out

    def dual_objective(self, bound) -> float:
        """The dual objective of ``p / max(1, bound)`` (feasible when ``bound >= max|eta|``).

        ``lam = 0``: ``y . p / c``; ``lam > 0``: ``(y . u - |u|^2 / 2) / n`` with ``u = n lam p / c`` (the residual
        ``y - f(X)`` scaled), ``c = max(1, bound)``."""
        if self._y is None:
            raise ValueError("this AtomicSolution was built without its targets (y_train): no dual objective")
        c = max(1.0, float(bound))
        y = self._y
        if self.lam == 0.0:
            return float(y @ self.dual) / c
        u = (y.shape[0] * self.lam) * self.dual / c
        return float(y @ u - 0.5 * (u @ u)) / y.shape[0]

    def verify(self, tol=None, *, time_limit=None, max_caps=50_000_000):
        """Prove an upper bound of ``max |eta|`` over the whole sphere, hence a proven duality gap.

        Runs :func:`spherekern.solvers.atomic.proof.prove_bound` on this solution's dual (branch and bound over
        spherical caps), stores the result in ``proof`` and the proven gap ``objective - D(p / max(1, bound))``
        in ``proven_gap``.

        Parameters
        ----------
        tol : float, optional
            The proof target ``max |eta| <= 1 + tol`` (default: the solve's ``tol``, else 1e-7). A ``ValueError``
            when it is below what float64 can certify for this data (the bound's rounding margin).
        time_limit : float, optional
            Seconds; stopped early, the bound stays valid but is usually above ``1 + tol``.
        max_caps : int, default 50,000,000
            Stop after bounding this many caps.

        Returns
        -------
        ProofResult
            ``bound`` (proven), ``proved`` (``bound <= 1 + tol``), ``best``, ``n_caps``, ``seconds``, ...
        """
        from .proof import prove_bound

        if tol is None:
            tol = self.tol if self.tol is not None else 1e-7
        r = prove_bound(self._X, self.dual, self.power, tol=tol, max_caps=max_caps, time_limit=time_limit)
        self.proof = r
        if self._y is not None:
            self.proven_gap = max(self.objective - self.dual_objective(r.bound), 0.0)
        return r

    def eta(self, theta) -> np.ndarray:
        """The dual certificate eta(theta) = sum_j p_j relu(theta . x_j)^power at the rows of theta."""
        theta = as_points(theta, "theta", d=self.d)
        out = np.empty(theta.shape[0])
        if theta.shape[0]:
            _weighted_sum(theta, self._X, self.dual, self.power, out)
        return out

    def __repr__(self):
        # the certificate is a proof only with a proved bound (d = 2's sweep is exact); say which
        if self.proof is not None:
            proof = f"{'proved' if self.proof.proved else 'not proved'} (bound {self.proof.bound:.9f})"
        else:
            proof = "exact sweep" if self.d == 2 and self.power == 1.0 else "none: best local maximum"
        return (f"AtomicSolution(d={self.d}, n_atoms={self.n_atoms}, lam={self.lam:g}, power={self.power:g}, "
                f"objective={self.objective:.12g}, certificate={self.certificate:.9f}, converged={self.converged}, "
                f"proof={proof})")
