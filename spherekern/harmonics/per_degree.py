"""The per-degree split of a predictor's test error and the crossover degree ``k_c`` of the spectral-bias ansatz.

Conventions: the package docstring of :mod:`spherekern.harmonics` and docs/CONVENTIONS.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._validate import as_rng, check_d, check_int, check_kmax, check_real
from ..sphere import harmonic_dim, uniform
from .projection import (MAX_NODES, _analysis, _as_function, _check_exact_degree, _evaluate, _sample_on_rule,
                         _split)

__all__ = ["degree_error", "DegreeError", "estimate_kc", "KcEstimate", "ansatz_kc"]

#: Degrees whose target power is below this fraction of the total are treated as empty (no relative error).
_ZERO_RTOL = 1e-12
#: most steps of the degree loop in ansatz_kc
_MAX_KC_STEPS = 10**7


# ----------------------------------------------------------------------------------------------
# per-degree error and the crossover degree
# ----------------------------------------------------------------------------------------------
@dataclass
class DegreeError:
    r"""Per-degree split of the test error ``E[(f - f*)^2]`` of a predictor f against a target f*.

    Attributes
    ----------
    d, kmax, exact_degree : the sphere S^{d-1}, largest degree resolved, exactness of the rule.
    error_power : (kmax+1,) ``sum_l (f - f*)_{k,l}^2`` per degree.
    target_power, predictor_power : (kmax+1,) the same for f* and for f.
    total : ``E[(f - f*)^2]`` by the product rule.
    residual : ``total - sum(error_power)``: the error carried by degrees > kmax (exact when f - f* is a
        polynomial of degree <= exact_degree / 2; otherwise up to aliasing).
    total_mc, total_mc_stderr, residual_mc : Monte-Carlo estimate of the total error with its standard
        error and the corresponding residual (None unless ``n_mc > 0``).
    """
    d: int
    kmax: int
    exact_degree: int
    error_power: np.ndarray
    target_power: np.ndarray
    predictor_power: np.ndarray
    total: float
    residual: float
    total_mc: float | None = None
    total_mc_stderr: float | None = None
    residual_mc: float | None = None

    @property
    def relative(self) -> np.ndarray:
        """``error_power / target_power`` per degree; nan where the target has no power
        (``target_power[k] <= 1e-12 * sum(target_power)``, e.g. parity zeros: rounding noise only)."""
        return _relative(self, _ZERO_RTOL)


def _relative(err, rtol):
    tp = err.target_power
    ok = tp > rtol * tp.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, err.error_power / np.where(ok, tp, 1.0), np.nan)


def degree_error(predictor, target, d, kmax, exact_degree=None, max_nodes=MAX_NODES, n_mc=0, rng=None):
    r"""Test error of a predictor split by spherical-harmonic degree: which modes are learned.

    With g = f - f* (f the predictor, f* the target), returns ``sum_l g_{k,l}^2`` for k = 0..kmax
    (projections as in ``project``) and ``residual = E[g^2] - sum_{k<=kmax} sum_l g_{k,l}^2``, the error
    above kmax. Under the spectral-bias ansatz the relative error per degree is ~0 below the crossover
    degree k_c and ~1 (or more: the predictor adds its own high-frequency part) above it; see
    ``estimate_kc``.

    Parameters
    ----------
    predictor, target : callables on (n, d) arrays or objects with ``.predict(X)``. (For
        ``spherekern.targets`` objects pass ``lambda X: tgt.sample(X)`` or ``tgt`` if callable.)
    d : int >= 2; kmax : int >= 0.
    exact_degree : int >= 2 * kmax, default ``3 * kmax`` (so the degree-k coefficients are alias-free
        for components of g up to degree 3 kmax - k >= 2 kmax).
    max_nodes : cap on the product-rule size (see ``project``).
    n_mc : int >= 0; if > 0 the total error is also estimated by Monte-Carlo on n_mc uniform points.
    rng : seed or Generator for the Monte-Carlo points.

    Returns
    -------
    DegreeError
    """
    fun = _as_function(predictor, "predictor")
    tgt = _as_function(target, "target")
    d = check_d(d)
    kmax = check_kmax(kmax)
    q = _check_exact_degree(exact_degree, kmax, 3 * kmax)
    max_nodes = check_int(max_nodes, "max_nodes", 1)
    n_mc = check_int(n_mc, "n_mc", 0)
    rng = as_rng(rng)
    V, W, rules, M = _sample_on_rule([fun, tgt], ["predictor", "target"], d, q, max_nodes, "degree_error")
    G = V[0] - V[1]
    F3 = np.stack([G, V[1], V[0]])
    C = _analysis(F3, d, kmax, rules, M)
    pw = np.array([np.einsum("ij,ij->i", c, c) for c in _split(C, d, kmax)])  # (kmax+1, 3)
    total = float(np.dot(W, G * G))
    res = DegreeError(d=d, kmax=kmax, exact_degree=q, error_power=pw[:, 0].copy(),
                      target_power=pw[:, 1].copy(), predictor_power=pw[:, 2].copy(),
                      total=total, residual=total - float(pw[:, 0].sum()))
    if n_mc > 0:
        Xmc = uniform(n_mc, d, rng)
        g2 = (_evaluate(fun, "predictor", Xmc) - _evaluate(tgt, "target", Xmc)) ** 2
        res.total_mc = float(g2.mean())
        res.total_mc_stderr = float(g2.std(ddof=1) / math.sqrt(n_mc)) if n_mc > 1 else float("inf")
        res.residual_mc = res.total_mc - float(pw[:, 0].sum())
    return res


class KcEstimate(NamedTuple):
    """Crossover degree: ``kc`` measured from a ``DegreeError``, ``kc_ansatz`` from the count of modes."""
    kc: int
    kc_ansatz: int | None
    threshold: float


def ansatz_kc(n, d) -> int:
    r"""The spectral-bias ansatz's crossover degree for n training points: the smallest integer k_c
    with ``sum_{k < k_c} N(k, d) >= n`` (the number of modes of degree < k_c reaches n).

    The loop runs k_c steps; k_c ~ n / 2 for d = 2 (the worst case, N(k, 2) = 2), so n is limited to
    ``2 * _MAX_KC_STEPS`` there; in general the steps are bounded through ``sum_{k < K} N(k, d) = N(K - 1, d + 1)``
    before looping."""
    n = check_int(n, "n", 1)
    d = check_d(d)
    if int(harmonic_dim(_MAX_KC_STEPS, d + 1)) < n:
        raise ValueError(f"ansatz_kc(n={n}, d={d}): k_c > {_MAX_KC_STEPS} (the modes of degree <= "
                         f"{_MAX_KC_STEPS} number N({_MAX_KC_STEPS}, {d + 1}) < n), more loop steps than allowed")
    kc, cum = 0, 0
    while cum < n:
        cum += int(harmonic_dim(kc, d))
        kc += 1
    return kc


def estimate_kc(err, n=None, threshold=0.5, rtol=1e-12) -> KcEstimate:
    r"""Crossover degree k_c from a per-degree error split.

    Definition: ``kc`` is the lowest degree k <= kmax whose relative error
    ``error_power[k] / target_power[k]`` exceeds ``threshold`` (default 1/2: the error in that mode
    carries more than half of the target's power there), skipping degrees where the target has no power
    (``target_power[k] <= rtol * sum(target_power)``, e.g. parity zeros). If no degree qualifies,
    ``kc = kmax + 1`` (the crossover lies beyond the resolved degrees).
    ``kc_ansatz = ansatz_kc(n, d)`` if n is given (else None), for comparison.

    Parameters
    ----------
    err : DegreeError (from ``degree_error``).
    n : int >= 1, optional, number of training points.
    threshold : float > 0; rtol : float >= 0.
    """
    if not isinstance(err, DegreeError):
        raise TypeError(f"err must be a DegreeError (from degree_error), got {type(err).__name__}")
    threshold = check_real(threshold, "threshold", minimum=0.0, strict=True)
    rtol = check_real(rtol, "rtol", minimum=0.0)
    rel = _relative(err, rtol)
    bad = np.nonzero(~np.isnan(rel) & (rel > threshold))[0]
    kc = int(bad[0]) if bad.size else err.kmax + 1
    kca = ansatz_kc(n, err.d) if n is not None else None
    return KcEstimate(kc=kc, kc_ansatz=kca, threshold=threshold)
