"""Critical directions of the certificate: the distinct local maxima / minima of ``eta`` on the sphere (public:
early alignment, :mod:`spherekern.alignment`)."""
from __future__ import annotations

import numpy as np

from ..._validate import as_array, as_points, as_rng, check_int
from ._kernels import _weighted_sum
from .cellwalk import _ascent_relu
from .pricing import _d2_breakpoints, _distinct, _sampled_starts, _sweep_d2


def critical_directions(X, p, *, power=1, kind="max", n_starts=None, rng=0):
    """Distinct local maxima (``kind="max"``) or minima (``kind="min"``) of the certificate on the sphere.

    ``eta(theta) = sum_j p_j relu(theta . x_j)`` over theta in S^{d-1}, found with the pricing machinery of
    :func:`atomic` (no second implementation): in d = 2 the exact sweep over the 2n arcs between the angles
    where ``theta . x_j = 0`` (on each arc ``eta`` is ``theta . v``, its maximum over the closed arc has a closed
    form), in d >= 3 the cheap fixed-point hops ``theta <- v(theta)/|v(theta)|`` (their fixed points are the directions
with ``grad eta`` parallel to theta) then the exact cell walk to adjacent cells *without* the arc line search
(which jumps over valleys: right for the global maximum, wrong for listing local ones), started from the
    training points, ``n_starts`` random directions and the best of many sampled directions. A candidate is kept
    if no point within 1e-6 rad around it is better (so arc end points that only bound a neighbouring arc are
    dropped) and if it is not within 1e-6 rad of a better one.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points on S^{d-1} (unit rows), d >= 2.
    p : array_like, shape (n,)
        Finite weights of the certificate (e.g. the duals of :func:`atomic`, or ``y / n`` for early alignment).
    power : 1
        Only ``relu`` (power 1) is supported: the exact cell walk is the power-1 pricing.
    kind : {"max", "min"}
        Local maxima of ``eta`` or local minima (maxima of ``-eta``).
    n_starts : int >= 0, optional
        Random starts in d >= 3 (default ``max(64, 4 n)``).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    theta : ndarray, shape (k, d)
        Unit directions, best first (largest ``eta`` for "max", smallest for "min").
    value : ndarray, shape (k,)
        ``eta(theta)`` (signed).
    """
    X = as_points(X, "X")
    n, d = X.shape
    p = as_array(p, "p", ndim=1)
    if p.shape[0] != n:
        raise ValueError(f"p must have one entry per row of X ({n}), got {p.shape[0]}")
    if not np.all(np.isfinite(p)):
        raise ValueError("p must be finite")
    if power != 1:
        raise ValueError(f"power must be 1 (relu; the exact cell walk is the power-1 pricing), got {power!r}")
    if kind not in ("max", "min"):
        raise ValueError(f"kind must be 'max' or 'min', got {kind!r}")
    s = 1.0 if kind == "max" else -1.0
    q = np.ascontiguousarray(s * p)
    if n == 0 or not np.any(q != 0):
        return np.empty((0, d)), np.empty(0)
    gen = as_rng(rng)

    def rand_dirs(m):
        Z = gen.standard_normal((m, d))
        return Z / np.linalg.norm(Z, axis=1, keepdims=True)

    if d == 2:
        ang, bd = _d2_breakpoints(X)
        th = np.empty((2 * ang.shape[0], 2))
        ev = np.empty(2 * ang.shape[0])
        _sweep_d2(X, q, ang, bd, th, ev)
    else:
        n_starts = max(64, 4 * n) if n_starts is None else check_int(n_starts, "n_starts", 0)
        starts = np.ascontiguousarray(np.concatenate([X, rand_dirs(n_starts), _sampled_starts(X, q, 1.0, rand_dirs)]))
        sig = np.ones(starts.shape[0])
        th = np.empty_like(starts)
        ev = np.empty(starts.shape[0])
        _ascent_relu(X, q, starts, sig, th, ev, 64, 0, True)  # cheap hops
        key = np.round(th, 10)
        _, first = np.unique(key, axis=0, return_index=True)
        S = np.ascontiguousarray(th[np.sort(first)])
        th = np.empty_like(S)
        ev = np.empty(S.shape[0])
        _ascent_relu(X, q, S, np.ones(S.shape[0]), th, ev, 0, 64 + 4 * n, False)  # local: no arc jumps
    th = th / np.linalg.norm(th, axis=1, keepdims=True)
    val = np.empty(th.shape[0])
    _weighted_sum(np.ascontiguousarray(th), X, q, 1.0, val)
    # local maximality: no better point on a small circle of tangent perturbations
    scale = np.sum(np.abs(q)) * np.max(np.abs(X)) + 1e-300
    keep = np.ones(th.shape[0], bool)
    nprobe = 4 if d == 2 else 4 * d
    for r in range(nprobe):
        T = gen.standard_normal(th.shape) if d > 2 else np.stack([-th[:, 1], th[:, 0]], 1) * (1 if r % 2 else -1)
        T -= np.sum(T * th, axis=1, keepdims=True) * th
        T /= np.linalg.norm(T, axis=1, keepdims=True)
        P = np.ascontiguousarray(th + (1e-6 * (1 + r // 2)) * T)
        P /= np.linalg.norm(P, axis=1, keepdims=True)
        vp = np.empty(P.shape[0])
        _weighted_sum(P, X, q, 1.0, vp)
        keep &= vp <= val + 1e-12 * scale
    th, val = th[keep], val[keep]
    order = np.argsort(-val, kind="stable")
    th, val = th[order], val[order]
    sel = _distinct(th, None, tol=1e-6)  # same direction to 1e-6 rad: one critical point (the better copy)
    return np.ascontiguousarray(th[sel]), s * val[sel]
