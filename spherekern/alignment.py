r"""Early alignment of two-layer ReLU networks from a small initialisation (Boursier & Flammarion 2024).

Network ``h(x) = sum_j a_j relu(w_j . x~)`` on inputs ``x`` in R^d, ``x~ = (x, 1)`` (the bias coordinate last;
``bias=False``: ``x~ = x``). With the square loss ``L = (1/2n) sum_k (h(x_k) - y_k)^2`` and while the output is
still ~0 (small initialisation), gradient flow is ``dw_j/dt = a_j D_n(w_j)``, ``da_j/dt = w_j . D_n(w_j)``, with

    D_n(w) = (1/n) sum_k 1{w . x~_k > 0} y_k x~_k,      G_n(u) = u . D_n(u) = (1/n) sum_k y_k relu(u . x~_k).

The direction ``u_j = w_j/||w_j||`` moves by ``du/dt = sign(a_j) (I - u u^T) D_n(u)`` whatever the norm, so the
neurons with ``a_j > 0`` climb ``G_n`` on the sphere S^d and those with ``a_j < 0`` descend it; they concentrate on
its critical points, the *extremal vectors* (``D_n(u)`` parallel to ``u``). Derivations: ``theory/README.md``
section 8; population answers: :mod:`theory.alignment`.

``G_n`` is the dual certificate ``eta(theta) = sum_k p_k relu(theta . z_k)`` of :mod:`spherekern.solvers.atomic`
on the normalised points ``z_k = x~_k / ||x~_k||`` with ``p_k = y_k ||x~_k|| / n`` (relu is positively
homogeneous), so :func:`extremal_vectors` finds them with that module's exact pricing
(``solvers.atomic.critical_directions``), not with a second ascent.

Public API
----------
augment(X, bias=True)                      x~ rows (n, d + 1)
G_n(U, X, y, bias=True), D_n(U, X, y, bias=True)
extremal_vectors(X, y, bias=True, ...)     -> ExtremalVectors (directions, kinds, values)
early_phase_flow(X, y, U0, signs, t, ...)  the early-phase ODE of the directions and log-norms
aligned_fraction(U, mass, targets, angle, signs=None, target_kinds=None)
count_directions(U, mass, angle, min_mass=0.01)
least_squares(X, y, intercept=True)        -> (coef, intercept); predict_linear(X, coef, intercept)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_array, check_int, check_real

KINDS = ("max", "min")


def _data(X, y, bias):
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same length (one target per row), got {X.shape[0]} rows "
                         f"and {y.shape[0]} targets")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite (no NaN or inf)")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be a bool, got {bias!r}")
    return X, y


def augment(X, bias=True) -> np.ndarray:
    """Rows ``x~ = (x, 1)`` (bias coordinate last) or ``x`` itself when ``bias=False``; float64, contiguous."""
    X = as_array(X, "X", ndim=2)
    if bias:
        return np.ascontiguousarray(np.concatenate([X, np.ones((X.shape[0], 1))], axis=1))
    return np.ascontiguousarray(X)


def _as_dirs(U, D, name="U"):
    U = as_array(U, name)
    one = U.ndim == 1
    U = np.atleast_2d(U)
    if U.ndim != 2 or U.shape[1] != D:
        raise ValueError(f"{name} must have {D} coordinates per row (d + 1 with the bias), got shape {U.shape}")
    return U, one


def G_n(U, X, y, bias=True) -> np.ndarray:
    r"""``G_n(u) = (1/n) sum_k y_k relu(u·x~_k)`` for each row ``u`` of ``U`` (any norm; 1-homogeneous)."""
    X, y = _data(X, y, bias)
    Z = augment(X, bias)
    U, one = _as_dirs(U, Z.shape[1])
    out = np.maximum(U @ Z.T, 0.0) @ y / Z.shape[0]
    return out[0] if one else out


def D_n(U, X, y, bias=True) -> np.ndarray:
    r"""``D_n(u) = (1/n) sum_k 1{u·x~_k > 0} y_k x~_k`` for each row ``u`` of ``U`` (0-homogeneous in u)."""
    X, y = _data(X, y, bias)
    Z = augment(X, bias)
    U, one = _as_dirs(U, Z.shape[1])
    out = ((U @ Z.T > 0) * y) @ Z / Z.shape[0]
    return out[0] if one else out


@dataclass
class ExtremalVectors:
    """Critical directions of ``G_n`` on the unit sphere of R^{d+1} (bias coordinate last).

    Attributes
    ----------
    directions : ndarray (k, d + 1), unit rows.
    kinds : ndarray (k,) of str, ``"max"`` (local maximum, ``G_n > 0``: where neurons with ``a > 0`` go) or
        ``"min"`` (local minimum, ``G_n < 0``: neurons with ``a < 0``).
    values : ndarray (k,), ``G_n`` at each direction.
    """

    directions: np.ndarray
    kinds: np.ndarray
    values: np.ndarray

    def of_kind(self, kind):
        """The directions of one kind, rows (k', d + 1)."""
        return self.directions[self.kinds == kind]


def extremal_vectors(X, y, bias=True, *, n_starts=None, rng=0) -> ExtremalVectors:
    r"""All the local maxima (``G_n > 0``) and minima (``G_n < 0``) of ``G_n`` on the unit sphere of R^{d+1}.

    ``G_n(u) = (1/n) sum_k y_k relu(u . x~_k) = sum_k p_k relu(u . z_k)`` with ``z_k = x~_k/||x~_k||`` and
    ``p_k = y_k ||x~_k|| / n``; the critical points are found by the exact cell-walk pricing of
    :func:`spherekern.solvers.atomic.critical_directions` (local maxima of ``eta`` and of ``-eta``), started
    from the data points, ``n_starts`` random directions and ``rng``. Local maxima with ``G_n <= 0`` and minima
    with ``G_n >= 0`` are dropped (there the gradient flow shrinks the neurons). Rows with ``x~_k = 0`` (only
    possible with ``bias=False``) do not enter ``G_n`` and are dropped.

    Parameters
    ----------
    X : array (n, d), any finite rows of R^d. y : array (n,), finite targets.
    bias : bool, default True. Append the constant coordinate.
    n_starts, rng : passed to ``critical_directions``.

    Returns
    -------
    ExtremalVectors, maxima first (decreasing ``G_n``), then minima (increasing ``G_n``).
    """
    from .solvers.atomic import critical_directions
    X, y = _data(X, y, bias)
    Z = augment(X, bias)
    if Z.shape[1] < 2:
        raise ValueError("extremal_vectors needs d + 1 >= 2 coordinates (use bias=True for d = 1)")
    nrm = np.linalg.norm(Z, axis=1)
    keep = nrm > 0
    Zs = np.ascontiguousarray(Z[keep] / nrm[keep, None])
    p = np.ascontiguousarray(y[keep] * nrm[keep] / X.shape[0])
    dirs, kinds, vals = [], [], []
    for kind, sgn in (("max", 1.0), ("min", -1.0)):
        th, v = critical_directions(Zs, p, kind=kind, n_starts=n_starts, rng=rng)
        th, v = np.asarray(th, float).reshape(-1, Z.shape[1]), np.asarray(v, float).ravel()
        sel = sgn * v > 0
        order = np.argsort(-sgn * v[sel], kind="stable")
        dirs.append(th[sel][order])
        vals.append(v[sel][order])
        kinds += [kind] * int(sel.sum())
    D = np.concatenate(dirs) if dirs else np.empty((0, Z.shape[1]))
    D = D / np.linalg.norm(D, axis=1, keepdims=True) if D.size else D
    return ExtremalVectors(D, np.array(kinds, dtype="<U3"), np.concatenate(vals))


def early_phase_flow(X, y, U0, signs, t, *, dt=1e-2, bias=True, record=None):
    r"""Integrate the early-phase ODE of neuron directions and log-norms.

    ``du/dt = s (I - u u^T) D_n(u)``, ``d log||w|| / dt = s G_n(u)`` (``s = sign(a)``, balanced neurons,
    loss ``(1/2n) sum (h - y)^2``, output neglected), explicit Euler with step ``dt`` and renormalisation
    after each step (a retraction onto the sphere). ``D_n`` is piecewise constant, so each step is exact
    while no neuron crosses a data hyperplane.

    Parameters
    ----------
    X, y : data. U0 : (m, d + 1) initial directions (normalised here). signs : (m,) signs of a (non-zero).
    t : float > 0, final time. dt : float > 0. record : sequence of times at which to store the state.

    Returns
    -------
    (U, logr) at time t, and when ``record`` is given also a list of (time, U, logr) snapshots.
    """
    X, y = _data(X, y, bias)
    Z = augment(X, bias)
    U, _ = _as_dirs(U0, Z.shape[1], "U0")
    s = as_array(signs, "signs", ndim=1)
    if s.shape[0] != U.shape[0] or np.any(s == 0):
        raise ValueError(f"signs must have one non-zero entry per row of U0 ({U.shape[0]}), got shape {s.shape}")
    t = check_real(t, "t", minimum=0.0, strict=True)
    dt = check_real(dt, "dt", minimum=0.0, strict=True)
    nu = np.linalg.norm(U, axis=1)
    if np.any(nu == 0):
        raise ValueError("U0 must have non-zero rows")
    U = U / nu[:, None]
    s = np.sign(s)
    logr = np.zeros(U.shape[0])
    n = Z.shape[0]
    times = sorted(record) if record is not None else []
    snaps = []
    nsteps = int(np.ceil(t / dt - 1e-12))
    h = t / nsteps
    ti = 0
    for i in range(nsteps + 1):
        now = i * h
        while ti < len(times) and times[ti] <= now + 1e-12:
            snaps.append((now, U.copy(), logr.copy()))
            ti += 1
        if i == nsteps:
            break
        act = U @ Z.T
        D = ((act > 0) * y) @ Z / n
        g = np.einsum("ij,ij->i", U, D)
        U = U + h * s[:, None] * (D - g[:, None] * U)
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        logr += h * s * g
    return (U, logr, snaps) if record is not None else (U, logr)


def _angles(U, T):
    Un = U / np.linalg.norm(U, axis=1, keepdims=True)
    Tn = T / np.linalg.norm(T, axis=1, keepdims=True)
    return np.arccos(np.clip(Un @ Tn.T, -1.0, 1.0))


def aligned_fraction(U, mass, targets, angle, signs=None, target_kinds=None) -> float:
    r"""Fraction of ``sum_j mass_j`` carried by neurons within ``angle`` (radians) of some target direction.

    With ``signs`` (the signs of ``a_j``) and ``target_kinds`` (``"max"``/``"min"`` per target), a neuron
    with ``a_j > 0`` counts only near ``"max"`` targets and ``a_j < 0`` only near ``"min"`` ones.
    ``mass_j`` is typically ``|a_j| ||w_j||`` (the neuron's weight in the output).
    """
    U = as_array(U, "U", ndim=2)
    mass = as_array(mass, "mass", ndim=1)
    T = as_array(targets, "targets", ndim=2)
    if mass.shape[0] != U.shape[0] or np.any(mass < 0):
        raise ValueError(f"mass must be non-negative with one entry per row of U ({U.shape[0]})")
    if T.shape[1] != U.shape[1]:
        raise ValueError(f"targets must have {U.shape[1]} columns like U, got {T.shape}")
    angle = check_real(angle, "angle", minimum=0.0, strict=True)
    if T.shape[0] == 0 or mass.sum() == 0:
        return 0.0
    A = _angles(U, T)
    if signs is not None:
        if target_kinds is None:
            raise ValueError("target_kinds is needed with signs")
        s = as_array(signs, "signs", ndim=1)
        kinds = np.asarray(target_kinds)
        ok = np.where(s[:, None] > 0, kinds[None, :] == "max", kinds[None, :] == "min")
        A = np.where(ok, A, np.inf)
    near = A.min(axis=1) <= angle
    return float(mass[near].sum() / mass.sum())


def count_directions(U, mass, angle, min_mass=0.01) -> int:
    r"""Number of distinct neuron directions: greedy clustering by mass.

    Neurons are taken by decreasing ``mass``; each joins the first cluster whose centre (its heaviest neuron)
    lies within ``angle`` radians, else opens a cluster. Clusters holding at least ``min_mass`` of the
    total mass are counted.
    """
    U = as_array(U, "U", ndim=2)
    mass = as_array(mass, "mass", ndim=1)
    if mass.shape[0] != U.shape[0] or np.any(mass < 0):
        raise ValueError(f"mass must be non-negative with one entry per row of U ({U.shape[0]})")
    angle = check_real(angle, "angle", minimum=0.0, strict=True)
    min_mass = check_real(min_mass, "min_mass", minimum=0.0)
    Un = U / np.linalg.norm(U, axis=1, keepdims=True)
    order = np.argsort(-mass, kind="stable")
    cos = np.cos(angle)
    centres, cmass = [], []
    for j in order:
        if centres:
            c = np.asarray(centres) @ Un[j]
            k = int(np.argmax(c >= cos)) if np.any(c >= cos) else -1
        else:
            k = -1
        if k < 0:
            centres.append(Un[j])
            cmass.append(mass[j])
        else:
            cmass[k] += mass[j]
    tot = mass.sum()
    return int(sum(1 for c in cmass if tot > 0 and c >= min_mass * tot))


def least_squares(X, y, intercept=True):
    """Ordinary least squares ``min |X c + b - y|^2`` (minimum-norm solution if rank-deficient): (coef, b)."""
    X, y = _data(X, y, bool(intercept))
    Z = augment(X, bool(intercept))
    c, *_ = np.linalg.lstsq(Z, y, rcond=None)
    return (c[:-1], float(c[-1])) if intercept else (c, 0.0)


def predict_linear(X, coef, intercept=0.0) -> np.ndarray:
    """``X @ coef + intercept``."""
    X = as_array(X, "X", ndim=2)
    return X @ as_array(coef, "coef", ndim=1) + float(intercept)
