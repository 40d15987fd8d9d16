"""Predictors of the two regimes.

* :func:`min_norm` — kernel (ridge or ridgeless) regression, the lazy-regime predictor
  ``f(x) = sum_j g_j K(x . x_j)`` (minimum-RKHS-norm interpolant when ``ridge = 0``).
* :func:`atomic` — the feature-regime predictor ``f(x) = sum_i w_i relu(theta_i . x)^power`` minimising the
  total-variation (L1) norm of the output weights, with continuous atom positions.
"""
from .min_norm import KernelPredictor, min_norm  # noqa: F401
from .atomic import AtomicSolution, atomic  # noqa: F401

__all__ = ["min_norm", "KernelPredictor", "atomic", "AtomicSolution"]
