"""Input validation shared by every public function.

All checks run in plain Python *before* any compiled code, and raise
``ValueError`` (shape / domain) or ``TypeError`` (dtype / kind) with a message that
names the argument and the rule.
"""
from __future__ import annotations

import numbers

import numpy as np

from .config import SPHERE_TOL, T_TOL


#: largest ambient dimension accepted: compiled code indexes in int64 and forms d-dependent sums such as
#: 2k + d - 2 in it, and lgamma(d / 2) stays far from overflow (``gegenbauer.table(t, 5, 2**63)`` raised a
#: numba OverflowError, ``sphere.area(10**400)`` a math OverflowError).
MAX_D = 2**31 - 1
#: largest degree (kmax, k) accepted anywhere, for the same int64 reasons; the functions that allocate or
#: loop in kmax add their own, tighter, size guards that state the estimate.
MAX_K = 2**31 - 1


def check_d(d, name: str = "d") -> int:
    """Ambient dimension of S^{d-1}: an integer, 2 <= d <= MAX_D."""
    if isinstance(d, bool) or not isinstance(d, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 2 (the ambient dimension of S^(d-1)), got {d!r}")
    if d < 2:
        raise ValueError(f"{name} must be >= 2 (the ambient dimension of S^(d-1)), got {d}")
    if d > MAX_D:
        raise ValueError(f"{name} must be <= {MAX_D} (int64 arithmetic in the compiled code), got {d}")
    return int(d)


def check_int(value, name: str, minimum: int = 0) -> int:
    """A Python/numpy integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_kmax(kmax, name: str = "kmax") -> int:
    """Largest degree: an integer, 0 <= kmax <= MAX_K."""
    k = check_int(kmax, name, 0)
    if k > MAX_K:
        raise ValueError(f"{name} must be <= {MAX_K} (int64 arithmetic in the compiled code), got {k}")
    return k


def check_no_overlap(out, name: str = "out", **inputs) -> None:
    """``out`` must not share memory with any of ``inputs`` (name=array): the compiled kernels read the inputs
    while they write ``out``, so an overlap returns wrong values silently (np.shares_memory, exact up to a
    work bound beyond which an overlap is assumed)."""
    for iname, arr in inputs.items():
        if not isinstance(arr, np.ndarray):
            continue
        try:
            hit = np.shares_memory(out, arr, max_work=10**6)
        except np.exceptions.TooHardError:
            hit = True
        if hit:
            raise ValueError(f"{name} must not share memory with {iname} (it would be overwritten while being "
                             f"read); pass a separate array")


def check_real(value, name: str, *, minimum=None, strict: bool = False, allow_inf: bool = False) -> float:
    """A finite real scalar (optionally ``> minimum`` if strict, else ``>= minimum``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if np.isnan(v) or (np.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None:
        if strict and not v > minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value!r}")
        if not strict and not v >= minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return v


def _float_dtype(dtype, name: str):
    dt = np.dtype(dtype)
    if dt not in (np.float64, np.float32):
        raise TypeError(f"{name} must be float64 or float32, got {dt}")
    return dt


def as_ndarray(a, name: str) -> np.ndarray:
    """``np.asarray(a)``, with numpy's error for a ragged nested sequence re-raised naming the argument."""
    try:
        return np.asarray(a)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular array (nested sequences of equal lengths), got a ragged "
                         f"sequence ({exc})") from None


def as_array(a, name: str, *, ndim=None, dtype=np.float64) -> np.ndarray:
    """Convert to a C-contiguous, writeable float array, checking dimension and finiteness.

    A read-only input (a cached or memory-mapped array) is copied: numba types read-only arrays apart from
    writeable ones, so passing one would compile a second copy of every kernel it reaches (measured: ~26 s for
    the closed-form Gram kernel on a cold cache), and the copy costs O(size), less than any kernel that reads it."""
    arr = as_ndarray(a, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not arr.flags.writeable:
        arr = arr.copy()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def as_points(X, name: str = "X", d=None, dtype=np.float64) -> np.ndarray:
    """Points on the unit sphere as rows of a 2-D array of shape (n, d).

    Rows must have unit Euclidean norm to within ``config.SPHERE_TOL``; they are
    returned as given (not renormalised), C-contiguous, in ``dtype``.
    """
    X = as_array(X, name, ndim=2, dtype=dtype)
    if X.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 columns (points of S^(d-1), d >= 2), got shape {X.shape}")
    if d is not None and X.shape[1] != d:
        raise ValueError(f"{name} has {X.shape[1]} columns but d = {d}: rows must be points of R^d")
    if X.shape[0]:
        norms = np.sqrt(np.einsum("ij,ij->i", X.astype(np.float64), X.astype(np.float64)))
        bad = np.abs(norms - 1.0) > max(SPHERE_TOL, 10 * np.finfo(dtype).eps)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"{name} row {i} has norm {norms[i]:.9g}: rows must lie on the unit sphere to within "
                f"{SPHERE_TOL:g} (normalise with X / np.linalg.norm(X, axis=1, keepdims=True))")
    return X


def as_t(t, name: str = "t") -> np.ndarray:
    """Dot products in [-1, 1]: float64 array, values within ``T_TOL`` outside are clipped."""
    arr = as_ndarray(t, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if arr.size and (arr.min() < -1 - T_TOL or arr.max() > 1 + T_TOL):
        raise ValueError(f"{name} must lie in [-1, 1] (dot products of unit vectors), "
                         f"got values in [{arr.min():.17g}, {arr.max():.17g}]")
    np.clip(arr, -1.0, 1.0, out=arr)
    return arr


def check_out(out, shape, dtype, name: str = "out") -> np.ndarray:
    """A preallocated output: exact shape, dtype and C-contiguous layout, writable."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if out.dtype != np.dtype(dtype):
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {out.dtype}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.empty(shape) or np.ascontiguousarray)")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return out


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """An int seed, None, or a numpy Generator -> a Generator (``name``: the argument's name in messages)."""
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng < 0:
        raise ValueError(f"{name} must be None, a non-negative int seed or a numpy.random.Generator, got {rng}")
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"{name} must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def check_device(device) -> str:
    """``device`` is "cpu" or "cuda"."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    return device
