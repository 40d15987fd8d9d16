"""Early alignment of two-layer ReLU networks from a small initialisation (Boursier & Flammarion 2024).

Predictions used by ``spherekern.alignment`` and the ``alignment`` check; derivations in
``theory/README.md`` section 8 (derived here, not taken from the papers' theorems, which were not used).

Setting: ``h(x) = sum_j a_j relu(w_j . x~)`` with ``x~ = (x, 1)`` (bias coordinate last), square loss
``L = (1/2n) sum_k (h(x_k) - y_k)^2``, gradient flow, balanced init ``|a_j| = ||w_j||``, ``||w_j|| ~ lambda``.
While the output is ~0, ``dw_j/dt = a_j D_n(w_j)`` with ``D_n(w) = (1/n) sum_k 1{w . x~_k > 0} y_k x~_k``,
and the direction ``u_j = w_j/||w_j||`` moves by ``du/dt = sign(a_j) (I - u u^T) D_n(u)`` whatever the norm:
projected ascent (a > 0) or descent (a < 0) of ``G_n(u) = u . D_n(u) = (1/n) sum_k y_k relu(u . x~_k)``.

Functions
---------
bias_ratio()                                 s* > 0 root of (1 + s^2) phi(s) = s Phi(s)
population_extremal_vectors(beta)            the critical directions of G for y = beta.x + noise, x ~ N(0, I)
population_G(u, beta)                        G(u) = E[y relu(u . x~)] in closed form (linear teacher)
early_phase_end(g, lam, y_scale=1, mass=1)   time at which the aligned neurons' output reaches y_scale
ols_excess_risk(sigma, n, d, intercept=True) E[(f_OLS(x) - beta.x)^2] for Gaussian inputs
box_moment_sd(sigma, n, a)                   sd of the empirical correlation D_n's slope part (box design)
all_active_threshold(sigma, d, a, c)         n above which the top extremal vector is all-active (box design)
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from ._checks import check_real


def _Phi(s):
    return 0.5 * math.erfc(-s / math.sqrt(2.0))


def _phi(s):
    return math.exp(-0.5 * s * s) / math.sqrt(2.0 * math.pi)


def bias_ratio() -> float:
    r"""The bias-to-weight ratio ``s* = b/|u|`` of the population extremal vectors of a linear teacher.

    ``s*`` maximises ``Phi(s)/sqrt(1 + s^2)`` over ``s`` (README section 8.2); it is the root in (0, 1) of
    ``(1 + s^2) phi(s) = s Phi(s)`` (phi, Phi: standard normal density and distribution function),
    found by bisection to machine precision (about 0.6). Not from the papers: derived.
    """
    def f(s):
        return (1.0 + s * s) * _phi(s) - s * _Phi(s)
    lo, hi = 0.0, 1.0  # f(0) = phi(0) > 0, f(1) = 2 phi(1) - Phi(1) < 0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-16:
            break
    return 0.5 * (lo + hi)


def _as_beta(beta):
    b = np.asarray(beta, dtype=np.float64)
    if b.ndim != 1 or b.size < 1 or not np.all(np.isfinite(b)) or not np.any(b != 0):
        raise ValueError(f"beta must be a finite non-zero 1-D vector (the teacher's weights), got {beta!r}")
    return b


def population_G(u, beta) -> np.ndarray:
    r"""``G(u) = E[y relu(u·x~)]`` for ``y = beta·x + sigma eps``, ``x ~ N(0, I_d)``, ``x~ = (x, 1)``.

    By Stein's lemma ``E[(beta.x) g(v.x + b)] = (beta.v) E[g'(v.x + b)]``, so with ``u = (v, b)``:
    ``G(u) = (beta . v) Phi(b / |v|)`` (the noise has mean 0 and drops out). ``u``: (..., d + 1).
    """
    b = _as_beta(beta)
    U = np.asarray(u, dtype=np.float64)
    if U.shape[-1] != b.size + 1:
        raise ValueError(f"u must have d + 1 = {b.size + 1} coordinates (bias last), got shape {U.shape}")
    v, c = U[..., :-1], U[..., -1]
    nv = np.linalg.norm(v, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(nv > 0, c / np.where(nv > 0, nv, 1.0), np.sign(c) * np.inf)
    Phi = ndtr(s)
    return (v @ b) * Phi


def population_extremal_vectors(beta):
    r"""Critical directions of the population ``G`` on S^d with ``G != 0``, linear teacher.

    With ``u = (rho e, b)``, ``|e| = 1``, ``rho^2 + b^2 = 1``: ``G = (beta.e) Phi(s) / sqrt(1 + s^2)``,
    ``s = b / rho``. Over ``e`` the extremes are ``e = +-beta/|beta|``; over ``s`` the maximum of
    ``Phi(s)/sqrt(1+s^2)`` is at ``s* = bias_ratio()`` (README 8.2). Hence

    * max: ``u+ = (beta/|beta|, s*) / sqrt(1 + s*^2)``, ``G(u+) = |beta| Phi(s*) / sqrt(1 + s*^2)``;
    * min: ``u- = (-beta/|beta|, s*) / sqrt(1 + s*^2)``, ``G(u-) = -G(u+)``.

    The bias coordinate is *not* 0: ``u = (+-beta/|beta|, 0)`` is not critical (``D(u)`` has bias component
    ``|beta| phi(0) != 0``). Returns ``(directions (2, d + 1), kinds ("max", "min"), values (2,))``.
    """
    b = _as_beta(beta)
    s = bias_ratio()
    e = b / np.linalg.norm(b)
    r = math.sqrt(1.0 + s * s)
    V = np.array([np.append(e, s) / r, np.append(-e, s) / r])
    g = float(np.linalg.norm(b)) * _Phi(s) / r
    return V, ("max", "min"), np.array([g, -g])


def early_phase_end(g, lam, y_scale=1.0, mass=1.0) -> float:
    r"""Gradient-flow time at which the early phase ends (README 8.3).

    A neuron aligned with an extremal vector ``u`` of value ``g = |G_n(u)|`` grows as ``|a| = ||w|| = a_0 e^{g t}``
    (balanced init), so the aligned neurons' output is ``~ M_0 e^{2 g t} relu(u . x~)`` with ``M_0 = sum a_0^2``
    (``= mass * lam^2``). It reaches the scale ``y_scale`` of the targets at
    ``t_1 = [log(1/lam) + (1/2) log(y_scale / mass)] / g``. Divide by the learning rate for GD steps.
    """
    g = check_real(g, "g", minimum=0.0, strict=True)
    lam = check_real(lam, "lam", minimum=0.0, strict=True)
    y_scale = check_real(y_scale, "y_scale", minimum=0.0, strict=True)
    mass = check_real(mass, "mass", minimum=0.0, strict=True)
    return (math.log(1.0 / lam) + 0.5 * math.log(y_scale / mass)) / g


def ols_excess_risk(sigma, n, d, intercept=True) -> float:
    r"""Expected excess test risk ``E[(f_hat(x) - beta.x)^2]`` of least squares, ``x ~ N(0, I_d)``.

    Without intercept (``n > d + 1``): ``sigma^2 d / (n - d - 1)`` (the inverse-Wishart mean
    ``E[(X^T X)^{-1}] = I / (n - d - 1)``). With an intercept (``n > d + 2``):
    ``sigma^2 [1/n + (1 + 1/n) d / (n - d - 2)]`` (centred design ``~ Wishart(n - 1, I)``, independent of the
    sample mean). The test MSE against noisy labels adds ``sigma^2``. Derivation: README 8.4.
    """
    sigma = check_real(sigma, "sigma", minimum=0.0)
    if isinstance(n, bool) or int(n) != n or isinstance(d, bool) or int(d) != d or d < 1:
        raise ValueError(f"n and d must be integers with d >= 1, got n={n!r}, d={d!r}")
    n, d = int(n), int(d)
    if intercept:
        if n <= d + 2:
            raise ValueError(f"n must be > d + 2 = {d + 2} for a finite OLS risk with intercept, got n={n}")
        return sigma ** 2 * (1.0 / n + (1.0 + 1.0 / n) * d / (n - d - 2))
    if n <= d + 1:
        raise ValueError(f"n must be > d + 1 = {d + 1} for a finite OLS risk, got n={n}")
    return sigma ** 2 * d / (n - d - 1)


def box_moment_sd(sigma, n, a) -> tuple:
    r"""Standard deviations of ``v = (1/n) sum_k y_k x_k`` around ``(a/3) e_1`` in the box design (README 8.5).

    Design: ``x ~ U[-a, a]^d`` centred on the training mean, ``y = c + x_1/a + sigma eps``. Then
    ``v = S beta + sigma (1/n) sum eps_k x_k`` with ``S`` the empirical covariance, ``beta = e_1/a``; to first order
    in ``1/n`` the coordinates are uncorrelated with variances ``(a^2/n)(sigma^2/3 + 4/45)`` (coordinate 1) and
    ``(a^2/n)(sigma^2/3 + 1/9)`` (the others). Returns ``(sd_1, sd_other)``.
    """
    sigma = check_real(sigma, "sigma", minimum=0.0)
    n = check_real(n, "n", minimum=0.0, strict=True)
    a = check_real(a, "a", minimum=0.0, strict=True)
    return (a * math.sqrt((sigma ** 2 / 3 + 4 / 45) / n), a * math.sqrt((sigma ** 2 / 3 + 1 / 9) / n))


def all_active_threshold(sigma, d, a, c) -> float:
    r"""Sample size above which the top extremal vector of ``G_n`` is all-active on the box (README 8.5).

    Box design of :func:`box_moment_sd`. ``D_n = (v, ybar)``; the direction ``u0 = D_n/|D_n|`` is critical and
    active on every point of ``[-a, a]^d`` iff ``ybar > a |v|_1``. With ``ybar ~ c``, ``|v_1| ~ a/3`` and
    ``E sum_{i >= 2} |v_i| = (d - 1) s sqrt(2/pi)`` (``s`` the second output of :func:`box_moment_sd`) this holds
    once ``s < s* = (c/a - a/3) / ((d - 1) sqrt(2/pi))``, i.e. for
    ``n > n_OLS = a^2 (sigma^2/3 + 1/9) / s*^2``. A mean-field estimate (means of ``|v_i|``, the whole box
    instead of the n data points), not a theorem; it needs ``c > a^2/3`` (else no all-active maximum even at
    ``n = inf``: returns inf) and ``d >= 2``.
    """
    sigma = check_real(sigma, "sigma", minimum=0.0)
    a = check_real(a, "a", minimum=0.0, strict=True)
    c = check_real(c, "c")
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    margin = c / a - a / 3.0
    if margin <= 0:
        return math.inf
    s_star = margin / ((int(d) - 1) * math.sqrt(2.0 / math.pi))
    return a * a * (sigma ** 2 / 3.0 + 1.0 / 9.0) / s_star ** 2
