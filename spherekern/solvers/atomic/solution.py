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
