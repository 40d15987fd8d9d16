"""Input validation for ``theory`` (plain Python, no compiler, no ``spherekern`` import).

The rules mirror ``spherekern/_validate.py`` (which ``theory`` must not import at import time,
because importing ``spherekern`` may pull in numba): ``ValueError`` for domain problems,
``TypeError`` for kind problems, and the message names the argument and the rule.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

REGIMES = ("lazy", "rf", "feature")


def check_d(d, name: str = "d") -> int:
    """Ambient dimension of S^{d-1}: an integer >= 2."""
    if isinstance(d, bool) or not isinstance(d, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 2 (the ambient dimension of S^(d-1)), got {d!r}")
    if d < 2:
        raise ValueError(f"{name} must be >= 2 (the ambient dimension of S^(d-1)), got {d}")
    return int(d)


def check_real(value, name: str, *, minimum=None, strict=False, allow_inf=False) -> float:
    """A real scalar, not NaN; finite unless ``allow_inf`` (then +inf only)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite{' or +inf' if allow_inf else ''}, got {value!r}")
    if minimum is not None:
        if strict and not v > minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value!r}")
        if not strict and not v >= minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return v


def check_nu(nu_t, name: str = "nu_t") -> float:
    """Target smoothness: a real > 0, +inf allowed (constant or band-limited target)."""
    return check_real(nu_t, name, minimum=0.0, strict=True, allow_inf=True)


def check_power(power, name: str = "power", *, minimum=0.0, strict=True) -> float:
    """Exponent a of the activation relu(t)^a."""
    return check_real(power, name, minimum=minimum, strict=strict)


def check_regime(regime, name: str = "regime") -> str:
    if not isinstance(regime, str) or regime not in REGIMES:
        raise ValueError(f"{name} must be one of {REGIMES} ('lazy' = NTK, 'rf' = random-features kernel, "
                         f"'feature' = relu^power atoms), got {regime!r}")
    return regime


def as_spectrum(a, name: str) -> np.ndarray:
    """A 1-D float64 array of non-negative, finite numbers indexed by degree k = 0..kmax."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per degree k = 0..kmax), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one degree (k = 0), got an empty array")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(arr < 0):
        k = int(np.argmax(arr < 0))
        raise ValueError(f"{name} must be non-negative (a spectrum), but {name}[{k}] = {arr[k]!r}")
    return arr


def as_n(n, name: str = "n"):
    """Training-set sizes: a real scalar or array, each >= 1. Returns (float64 array, was_scalar)."""
    arr = np.asarray(n)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number or an array of them, got dtype {arr.dtype}")
    scalar = arr.ndim == 0
    arr = np.atleast_1d(np.asarray(arr, dtype=np.float64))
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if arr.size and np.any(arr < 1):
        raise ValueError(f"{name} must be >= 1 (number of training points), got min {arr.min()!r}")
    return arr, scalar
