"""Power-law fits of learning curves and the bootstrap over seeds.

Conventions
-----------
* A learning curve is an array ``err`` of shape ``(n_seeds, len(n))``: the test error of seed ``s``
  (an independent draw of the training set, test set and target) at training-set size ``n[j]``.
* The decay exponent ``beta`` of ``eps(n) ~ A n^(-beta)`` is minus the least-squares slope of
  ``log(mean_s err[s, j])`` against ``log n[j]`` (the mean over seeds is the estimator of the expected
  test error, which the theory predicts), fitted over the **upper half of the n range on the log
  scale**: the n with ``log n >= (log n_min + log n_max) / 2`` (``frac=0.5``). The small-n points are
  pre-asymptotic; the choice is fixed a priori, not per check.
* The uncertainty is the standard deviation of ``beta`` over bootstrap resamples of the seeds (rows
  drawn with replacement, the same rows for every n, so correlations between the n of one seed are
  kept), with the 2.5/97.5 percentile interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Bootstrap:
    """Point estimate, bootstrap standard deviation and 95% percentile interval."""

    value: float
    std: float
    low: float
    high: float
    draws: np.ndarray

    def as_dict(self) -> dict:
        return {"value": self.value, "std": self.std, "low": self.low, "high": self.high}


@dataclass
class PowerLawFit:
    """``eps(n) ~ A n^(-beta)`` fitted over ``n_fit``; ``beta`` carries the bootstrap over seeds."""

    beta: float
    std: float
    low: float
    high: float
    log_amplitude: float
    n_fit: np.ndarray
    n_min_fit: float

    def predict(self, n):
        return np.exp(self.log_amplitude) * np.asarray(n, float) ** (-self.beta)

    def as_dict(self) -> dict:
        return {"beta": self.beta, "std": self.std, "low": self.low, "high": self.high,
                "log_amplitude": self.log_amplitude, "n_fit": [float(v) for v in self.n_fit]}

    @classmethod
    def from_dict(cls, d: dict) -> "PowerLawFit":
        """The fit back from :meth:`as_dict` (e.g. an evaluation's ``extra``, for its figure)."""
        n_fit = np.asarray(d["n_fit"], float)
        return cls(beta=d["beta"], std=d["std"], low=d["low"], high=d["high"], log_amplitude=d["log_amplitude"],
                   n_fit=n_fit, n_min_fit=float(n_fit.min()))


def upper_range(n, frac: float = 0.5) -> np.ndarray:
    """Boolean mask of the ``n`` in the top ``frac`` of the range of ``log n``."""
    n = np.asarray(n, float)
    if n.ndim != 1 or n.size < 2:
        raise ValueError(f"n must be a 1-D array of at least 2 sizes, got shape {n.shape}")
    if np.any(n <= 0):
        raise ValueError("n must be positive")
    if not 0 < frac <= 1:
        raise ValueError(f"frac must be in (0, 1], got {frac}")
    lo, hi = np.log(n.min()), np.log(n.max())
    return np.log(n) >= hi - frac * (hi - lo) - 1e-12


def loglog_slope(x, y) -> tuple[float, float]:
    """Least-squares ``log y = a + s log x``; returns ``(s, a)``. Needs positive x, y and >= 2 distinct x."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of the same length, got {x.shape} and {y.shape}")
    if np.unique(x).size < 2:
        raise ValueError("need at least 2 distinct x values to fit a slope")
    if np.any(x <= 0) or np.any(y <= 0) or not np.all(np.isfinite(y)):
        raise ValueError("x and y must be positive and finite for a log-log fit")
    lx, ly = np.log(x), np.log(y)
    lxm = lx.mean()
    s = float(np.sum((lx - lxm) * (ly - ly.mean())) / np.sum((lx - lxm) ** 2))
    return s, float(ly.mean() - s * lxm)


def bootstrap(samples, statistic, n_boot: int = 2000, rng=None) -> Bootstrap:
    """Bootstrap of ``statistic(samples[idx])`` over the rows (axis 0) of ``samples``.

    ``statistic`` maps an array with the same trailing shape as ``samples`` to a float. Resamples
    on which it raises ``ValueError`` or returns a non-finite number are dropped (counted in nothing:
    with positive data they do not occur). With one row the spread is reported as NaN.
    """
    samples = np.asarray(samples, float)
    if samples.ndim < 1 or samples.shape[0] < 1:
        raise ValueError("samples must have at least one row")
    rng = np.random.default_rng(rng)
    value = float(statistic(samples))
    m = samples.shape[0]
    if m == 1:
        return Bootstrap(value, float("nan"), float("nan"), float("nan"), np.array([value]))
    draws = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, m, size=m)
        try:
            v = float(statistic(samples[idx]))
        except ValueError:
            continue
        if np.isfinite(v):
            draws.append(v)
    draws = np.asarray(draws)
    if draws.size < 2:
        return Bootstrap(value, float("nan"), float("nan"), float("nan"), draws)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return Bootstrap(value, float(draws.std(ddof=1)), float(lo), float(hi), draws)


def fit_exponent(n, err, frac: float = 0.5, n_boot: int = 2000, rng=None) -> PowerLawFit:
    """Decay exponent ``beta`` of the mean learning curve over the upper ``frac`` of log n, bootstrapped over seeds.

    Parameters
    ----------
    n : (m,) training-set sizes.
    err : (n_seeds, m) positive test errors (one row per seed).
    frac : fraction of the log n range (from the top) used for the fit; 0.5 = upper half.
    """
    n = np.asarray(n, float)
    err = np.atleast_2d(np.asarray(err, float))
    if err.shape[1] != n.size:
        raise ValueError(f"err must have shape (n_seeds, {n.size}), got {err.shape}")
    mask = upper_range(n, frac)
    if mask.sum() < 2:
        raise ValueError("the fit range holds fewer than 2 sizes; add sizes or increase frac")
    nf = n[mask]

    def stat(e):
        return -loglog_slope(nf, e[:, mask].mean(axis=0))[0]

    b = bootstrap(err, stat, n_boot=n_boot, rng=rng)
    s, a = loglog_slope(nf, err[:, mask].mean(axis=0))
    return PowerLawFit(beta=-s, std=b.std, low=b.low, high=b.high, log_amplitude=a, n_fit=nf,
                       n_min_fit=float(nf.min()))


def ratio_bootstrap(num, den, n_boot: int = 2000, rng=None) -> Bootstrap:
    """Bootstrap over seeds of ``mean(num) / mean(den)`` with paired rows (common random numbers)."""
    num = np.asarray(num, float).ravel()
    den = np.asarray(den, float).ravel()
    if num.shape != den.shape:
        raise ValueError("num and den must have the same number of seeds")
    both = np.stack([num, den], axis=1)
    return bootstrap(both, lambda s: s[:, 0].mean() / s[:, 1].mean(), n_boot=n_boot, rng=rng)
