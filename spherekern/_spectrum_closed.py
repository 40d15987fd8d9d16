r"""Closed-form Funk–Hecke eigenvalues: ``relu`` (max(t, 0)^a), ``abs_power`` (``|t|^a``), ``arccos`` (the
arc-cosine kernels) and ``ntk``, re-exported by :mod:`spherekern.spectrum` (import them from there).

Convention (docs/CONVENTIONS.md): ``phi(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[phi(x.y) P_k(x.y)]`` with
x, y uniform on S^{d-1} and P_k(1) = 1. Every form rests on (Gradshteyn & Ryzhik 7.311.3 / DLMF 18.17)

    E[max(t, 0)^a P_k(t)] = Gamma(d/2) Gamma(a+1) / (2^{a+1} Gamma((a+k+d)/2) Gamma((a+2-k)/2)),

evaluated in log-gamma space (the reflection formula for the last factor), so nothing overflows for any
d >= 2 and k, and the coefficients that vanish by parity are exact zeros.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import gammaln

from ._validate import check_d, check_int, check_kmax, check_real

__all__ = ["relu", "abs_power", "arccos", "ntk"]

_LN2 = math.log(2.0)
_LNPI = math.log(math.pi)


def _sinpi_half(m, f):
    """sin(pi (m + f) / 2) for integer array m and 0 <= f < 1, accurate to a few ulps in the
    relative sense (exactly 0 when f == 0 and m even, exactly +-1 when f == 0 and m odd)."""
    m = np.asarray(m, dtype=np.int64)
    odd = (m % 2) != 0
    q = np.where(odd, (m - 1) // 2, m // 2)
    sgn = np.where(q % 2 == 0, 1.0, -1.0)
    # m even: (-1)^(m/2) sin(pi f / 2);  m = 2q + 1: (-1)^q cos(pi f / 2) = (-1)^q sin(pi (1 - f) / 2)
    val = np.where(odd, math.sin(0.5 * math.pi * (1.0 - f)), math.sin(0.5 * math.pi * f))
    return sgn * val


def _stirling_corr(x):
    """log Gamma(x) - ((x - 1/2) log x - x + log(2 pi)/2) for x >= 20 (truncation error < 1e-17)."""
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))))


def _lgamma_ratio(x, h):
    """log(Gamma(x + h) / Gamma(x)) for x > 0, h >= 0, with absolute error ~eps * (|result| + h) rather than
    eps * log Gamma(x + h) (gammaln(x + h) - gammaln(x) loses 1e-13 at x ~ 500): Stirling's series in the
    form (y - 1/2) log1p(h/x) + h (log x - 1) + corr(y) - corr(x) after shifting x above 20."""
    x, h = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(h, dtype=np.float64))
    m = np.maximum(0.0, np.ceil(20.0 - x))
    acc = np.zeros(x.shape)
    for i in range(int(m.max()) if m.size else 0):
        use = i < m
        acc += np.where(use, np.log((x + i) / (x + h + i)), 0.0)
    xs = x + m
    ys = xs + h
    acc += (ys - 0.5) * np.log1p(h / xs) + h * (np.log(xs) - 1.0) + _stirling_corr(ys) - _stirling_corr(xs)
    return acc


def _relu_log(d: int, kmax: int, a: float):
    """log|mu_k| and sign(mu_k) (0 for an exact zero) of max(t, 0)^a, k = 0..kmax.

    mu_k = Gamma(d/2) Gamma(a+1) / (2^{a+1} Gamma((a+k+d)/2) Gamma(z)),  z = (a + 2 - k)/2.
    For z >= 1/2 directly; otherwise with 1/Gamma(z) = Gamma(1 - z) sin(pi z) / pi and p = 1 - z = (k - a)/2,
    q = d/2 + a (p + q = (a + k + d)/2):
        mu_k = [Gamma(d/2) / Gamma(d/2 + a)] Gamma(a+1) B(p, q) sin(pi z) / (pi 2^{a+1}).
    Gamma ratios go through _lgamma_ratio so that O(1) coefficients keep ~1e-15 relative accuracy."""
    kk = np.arange(kmax + 1)
    k = kk.astype(np.float64)
    h = 0.5 * d
    z = (a + 2.0 - k) / 2.0
    direct = z >= 0.5
    base = gammaln(a + 1.0) - (a + 1.0) * _LN2
    # direct branch: Gamma(d/2) / Gamma(d/2 + (a+k)/2) / Gamma(z)
    zd = np.where(direct, z, 1.0)
    log_direct = base - _lgamma_ratio(h, 0.5 * (a + k)) - gammaln(zd)
    # reflection branch
    n = math.floor(a)
    f = a - n                                # exact in floating point
    m = (n + 2) - kk                         # 2 z = m + f with m an exact integer
    sn = _sinpi_half(m, f)
    p = np.where(direct, 1.0, (k - a) / 2.0)
    q = h + a
    small, large = np.minimum(p, q), np.maximum(p, q)
    log_beta = gammaln(small) - _lgamma_ratio(large, small)
    with np.errstate(divide="ignore"):
        log_refl = (base - float(_lgamma_ratio(h, a)) - _LNPI + log_beta
                    + np.log(np.where(direct, 1.0, np.abs(sn))))
    logabs = np.where(direct, log_direct, log_refl)
    sign = np.where(direct, 1.0, np.sign(sn))
    return logabs, sign


def _from_log(logabs, sign):
    out = np.zeros(logabs.shape)
    nz = sign != 0
    out[nz] = sign[nz] * np.exp(logabs[nz])
    return out


#: largest power of relu / abs_power (2^52, float64's integer resolution)
MAX_POWER = 2.0**52


def _check_power(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {value!r}")
    if math.isnan(float(value)):
        raise ValueError(f"{name} must be a real number >= 0, got NaN")
    v = check_real(value, name, minimum=0.0)
    if v > MAX_POWER:
        raise ValueError(f"{name} must be <= {MAX_POWER:.0f} (2^52: beyond it float64 cannot tell integer from "
                         f"half-integer powers, which decide the parity zeros), got {value!r}")
    return v


def relu(d, kmax, power=1.0) -> np.ndarray:
    r"""Funk–Hecke eigenvalues of ``phi(t) = max(t, 0)^a`` (a = ``power`` >= 0; a = 0 is the step 1[t > 0]).

    Convention: ``phi(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[phi(x.y) P_k(x.y)]`` for x, y independent
    uniform on S^{d-1}, P_k(1) = 1 (docs/CONVENTIONS.md). Closed form (Gradshteyn & Ryzhik 7.311.3)

        mu_k = Gamma(d/2) Gamma(a+1) / (2^{a+1} Gamma((a+k+d)/2) Gamma((a+2-k)/2)),

    computed in log-gamma space (reflection formula for the last Gamma), valid for every d >= 2 and k.
    For integer a, mu_k = 0 exactly when k > a + 1 and k - a is even (e.g. relu: only k = 0, 1 and even
    k survive; step: k = 0 and odd k). For large k, ``|mu_k| ~ k^{-(d + 2a)/2}``. Relative error <= 1e-10
    (measured ~1e-13) for k <= 500 against mpmath quadrature (tests/test_spectrum.py). Values below
    ~1e-308 underflow to 0.

    Parameters
    ----------
    d : int >= 2, ambient dimension
    kmax : int >= 0, largest degree
    power : float >= 0, the exponent a

    Returns
    -------
    mu : float64 ndarray of shape (kmax + 1,)
    """
    d = check_d(d)
    kmax = check_kmax(kmax)
    a = _check_power(power, "power")
    return _from_log(*_relu_log(d, kmax, a))


def abs_power(d, kmax, a) -> np.ndarray:
    r"""Funk–Hecke eigenvalues of ``phi(t) = |t|^a`` (a >= 0; a = 0 is the constant 1).

    Convention: ``phi(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[phi(x.y) P_k(x.y)]`` for x, y independent
    uniform on S^{d-1}, P_k(1) = 1. Since ``|t|^a = max(t,0)^a + max(-t,0)^a`` and P_k(-t) = (-1)^k P_k(t),
    ``mu_k = (1 + (-1)^k) mu_k(max(t,0)^a)`` (see :func:`relu`): exact zeros at odd k, and at even
    k >= a + 2 too when a is an even integer (then ``|t|^a`` is a polynomial). ``|mu_k| ~ k^{-(d+2a)/2}``.

    Parameters
    ----------
    d : int >= 2
    kmax : int >= 0
    a : float >= 0

    Returns
    -------
    mu : float64 ndarray of shape (kmax + 1,)
    """
    d = check_d(d)
    kmax = check_kmax(kmax)
    a = _check_power(a, "a")
    mu = 2.0 * _from_log(*_relu_log(d, kmax, a))
    mu[1::2] = 0.0
    return mu


def _check_degree(degree):
    if isinstance(degree, bool) or not isinstance(degree, numbers.Integral):
        if isinstance(degree, numbers.Real) and float(degree).is_integer() and degree >= 0:
            raise TypeError(f"degree must be a non-negative int (got the float {degree!r}; pass int({degree!r}))")
        raise TypeError(f"degree must be a non-negative int, got {degree!r}")
    return check_int(degree, "degree", 0)


def _arccos_log(d, kmax, n):
    logabs, sign = _relu_log(d, kmax, float(n))
    # E[r^(2n)] for r = |theta|, theta ~ N(0, I_d): 2^n Gamma(d/2 + n) / Gamma(d/2)
    log_moment = n * _LN2 + gammaln(d / 2.0 + n) - gammaln(d / 2.0)
    return log_moment + 2.0 * logabs, np.abs(sign)


def arccos(d, kmax, degree) -> np.ndarray:
    r"""Funk–Hecke eigenvalues of the arc-cosine kernel of degree n (random features of ReLU^n).

    ``kappa_n(t) = E_{theta ~ N(0, I_d)}[relu(theta.x)^n relu(theta.y)^n] = J_n(arccos t) / (2 pi)`` for unit
    x, y with t = x.y (Cho & Saul 2009; ``J_0 = pi - phi``, ``J_1 = sin phi + (pi - phi) cos phi``), i.e.
    ``kernels.ArcCos(n)``. Convention: ``kappa_n(t) = sum_k mu_k N(k, d) P_k(t)``,
    ``mu_k = E[kappa_n(x.y) P_k(x.y)]`` (x, y uniform on S^{d-1}, P_k(1) = 1).

    Writing theta = r u (u uniform on the sphere, E[r^{2n}] = 2^n Gamma(d/2 + n) / Gamma(d/2)) and using the
    Funk–Hecke composition rule, ``mu_k(kappa_n) = E[r^{2n}] mu_k(max(t,0)^n)^2`` (see :func:`relu`).
    All mu_k >= 0; exact zeros for k > n + 1 with k - n even; mu_k ~ k^{-(d + 2n)} (degree 1: k^{-(d+2)}).

    Parameters
    ----------
    d : int >= 2
    kmax : int >= 0
    degree : int >= 0

    Returns
    -------
    mu : float64 ndarray of shape (kmax + 1,)
    """
    d = check_d(d)
    kmax = check_kmax(kmax)
    n = _check_degree(degree)
    return _from_log(*_arccos_log(d, kmax, n))


def ntk(d, kmax) -> np.ndarray:
    r"""Funk–Hecke eigenvalues of the one-hidden-layer ReLU NTK, both layers trained.

    ``Theta(t) = kappa_1(t) + t kappa_0(t) = (sqrt(1 - t^2) + 2 (pi - arccos t) t) / (2 pi)``, Theta(1) = 1: the
    NTK of ``f(x) = H^{-1/2} sum_h w_h relu(theta_h.x)``, theta_h ~ N(0, I_d), w_h ~ N(0, 1) (Jacot et al. 2018;
    docs/CONVENTIONS.md). Convention: ``Theta(t) = sum_k mu_k N(k, d) P_k(t)``,
    ``mu_k = E[Theta(x.y) P_k(x.y)]`` (x, y uniform on S^{d-1}, P_k(1) = 1).

    Uses :func:`arccos` and ``t P_k = ((k + d - 2) P_{k+1} + k P_{k-1}) / (2k + d - 2)``, so
    ``mu_k(t g) = ((k + d - 2) mu_{k+1}(g) + k mu_{k-1}(g)) / (2k + d - 2)`` (and mu_0(t g) = mu_1(g)).
    All terms are >= 0 (no cancellation); exact zeros at odd k >= 3; mu_k ~ k^{-d}.

    Parameters
    ----------
    d : int >= 2
    kmax : int >= 0

    Returns
    -------
    mu : float64 ndarray of shape (kmax + 1,)
    """
    d = check_d(d)
    kmax = check_kmax(kmax)
    k1 = _from_log(*_arccos_log(d, kmax, 1))
    k0 = _from_log(*_arccos_log(d, kmax + 1, 0))
    tk0 = np.empty(kmax + 1)
    tk0[0] = k0[1]
    k = np.arange(1, kmax + 1, dtype=np.float64)
    tk0[1:] = ((k + d - 2.0) * k0[2:] + k * k0[:-2]) / (2.0 * k + d - 2.0)
    return k1 + tk0
