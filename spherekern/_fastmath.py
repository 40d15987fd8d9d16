"""Branch-free, vectorisable scalar helpers for the hot loops (numba-callable).

The Gram kernels call these once per matrix entry inside a loop over a contiguous row
segment; they contain no branches, no libm calls other than ``sqrt`` (which LLVM lowers
to the hardware instruction) and no divisions, so LLVM vectorises the loop
(``vsqrtpd``/``vfmadd`` on x86-64).

``acos``
    Range reduction as in Cody & Waite / Cephes ``asin``:

    * ``|t| <= 1/2``: ``acos t = pi/2 - asin t`` with ``asin s = s + s z P(z)``, ``z = s^2``;
    * ``|t| > 1/2``: ``asin |t| = pi/2 - 2 asin s`` with ``s = sqrt((1 - |t|)/2)`` (``1 - |t|`` is
      exact by Sterbenz's lemma), so ``acos |t| = 2 asin s`` and ``acos(-|t|) = pi - 2 asin s``.

    Both branches evaluate the *same* polynomial ``P`` on ``z in [0, 1/4]``; the branch is
    chosen by selects.  ``P`` has degree 12; its coefficients are a least-squares fit, at 80
    Chebyshev nodes of [0, 1/4] computed with mpmath at 60 digits, to
    ``P(z) = (asin(sqrt z) - sqrt z) / z^(3/2)``, rounded to double.  Measured error of ``acos``
    (tests/test_kernels.py, mpmath oracle, dense grids, the ends and near +-1): below 2 ulp of
    the result, i.e. < 5e-16 absolute on [-1, 1].

``asin_small``
    ``arcsin r`` for ``r in [0, 1/2]`` with the same polynomial (the Gram kernels' angle from a chord).

``sqrt1m2``
    ``sqrt(1 - t^2)`` computed as ``sqrt((1 - t)(1 + t))`` (relative error a few ulp for every
    ``t``, where ``1 - t*t`` would lose all digits near +-1).

References: W. J. Cody and W. Waite, *Software Manual for the Elementary Functions* (1980),
ch. 10; S. L. Moshier, Cephes ``asin.c``.
"""
from __future__ import annotations

import math

import numba

__all__ = ["acos", "asin_small", "sqrt1m2", "clip1", "ntk", "arccos0", "arccos1", "arccos2"]

_PIO2_HI = 1.5707963267948966
_PIO2_LO = 6.123233995736766e-17
_PI_HI = 3.141592653589793
_PI_LO = 1.2246467991473532e-16
_INV_2PI = 0.15915494309189535  # 1 / (2 pi)

# P(z) = (asin(sqrt z) - sqrt z) / z^(3/2) on [0, 1/4], degree 12 (see module docstring)
_C0 = 0.16666666666666669
_C1 = 0.0749999999999834
_C2 = 0.04464285714653523
_C3 = 0.03038194412500875
_C4 = 0.022372173467043486
_C5 = 0.017352380709839098
_C6 = 0.01397138708310213
_C7 = 0.011477517005507167
_C8 = 0.01033337215296726
_C9 = 0.005413184483715509
_C10 = 0.01751883397953867
_C11 = -0.015032162599250314
_C12 = 0.028878362746452394

_jit = numba.njit(inline="always", cache=True, nogil=True)


@_jit
def _poly(z):
    # Estrin-like split (shorter dependency chain than plain Horner)
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    p01 = _C0 + _C1 * z
    p23 = _C2 + _C3 * z
    p45 = _C4 + _C5 * z
    p67 = _C6 + _C7 * z
    p89 = _C8 + _C9 * z
    p1011 = _C10 + _C11 * z
    p03 = p01 + p23 * z2
    p47 = p45 + p67 * z2
    p811 = p89 + p1011 * z2
    p07 = p03 + p47 * z4
    p812 = p811 + _C12 * z4
    return p07 + p812 * z8


@_jit
def clip1(t):
    """min(max(t, -1), 1) (NaN passes through)."""
    t = t if t > -1.0 else -1.0
    return t if t < 1.0 else 1.0


@_jit
def acos(t):
    """arccos(t) for t in [-1, 1], branch-free, error < 2 ulp (see module docstring)."""
    a = abs(t)
    big = a > 0.5
    zb = 0.5 * (1.0 - a)
    z = zb if big else a * a
    r = math.sqrt(z)
    s = r if big else a
    p = s + s * z * _poly(z)            # asin(s), s in [0, 1/2]
    neg = t < 0.0
    # small: pi/2 - copysign(p, t); big & t>0: 2p; big & t<0: pi - 2p
    w = 2.0 * p if big else math.copysign(p, t)
    hi = (_PI_HI if neg else 0.0) if big else _PIO2_HI
    lo = (_PI_LO if neg else 0.0) if big else _PIO2_LO
    w = -w if (big and not neg) else w
    return hi - (w - lo)


@_jit
def asin_small(r):
    """arcsin(r) for r in [0, 1/2]: ``r + r z P(z)``, ``z = r^2`` (the polynomial of :func:`acos`, < 2 ulp)."""
    z = r * r
    return r + r * z * _poly(z)


@_jit
def sqrt1m2(t):
    """sqrt(1 - t^2) as sqrt((1 - t)(1 + t)), accurate near t = +-1."""
    return math.sqrt((1.0 - t) * (1.0 + t))


@_jit
def ntk(t):
    """(sqrt(1 - t^2) + 2 (pi - arccos t) t) / (2 pi) for t in [-1, 1]."""
    return (sqrt1m2(t) + 2.0 * acos(-t) * t) * _INV_2PI


@_jit
def arccos0(t):
    """kappa_0(t) = (pi - arccos t) / (2 pi)."""
    return acos(-t) * _INV_2PI


@_jit
def arccos1(t):
    """kappa_1(t) = (sqrt(1 - t^2) + (pi - arccos t) t) / (2 pi)."""
    return (sqrt1m2(t) + acos(-t) * t) * _INV_2PI


@_jit
def arccos2(t):
    """kappa_2(t) = (3 sqrt(1 - t^2) t + (pi - arccos t)(1 + 2 t^2)) / (2 pi)."""
    return (3.0 * sqrt1m2(t) * t + acos(-t) * (1.0 + 2.0 * t * t)) * _INV_2PI
