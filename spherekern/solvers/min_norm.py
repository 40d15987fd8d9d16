r"""Kernel (ridge or ridgeless) regression: the lazy-regime, minimum-RKHS-norm predictor.

``min_norm(kernel, X, y, ridge)`` solves

    min_f  sum_j (f(x_j) - y_j)^2 + ridge * ||f||_K^2      (f in the RKHS of K(x, y) = phi(x.y))

whose solution (representer theorem) is ``f(x) = sum_j g_j K(x, x_j)`` with

    g = (K_XX + ridge I)^{-1} y.

With ``ridge = 0`` this is the minimum-RKHS-norm interpolant (``f(x_j) = y_j``). Convention: the loss is
the *sum* (not the mean) of squared residuals, as in scikit-learn's ``KernelRidge(alpha=ridge)`` (same
``K + alpha I``); a mean-normalised loss ``(1/n) sum_j (...)^2 + lam ||f||^2`` corresponds to
``ridge = n * lam``.

Implementation: the Gram matrix is written by ``kernel.gram(X, out=G)`` into one preallocated n x n array,
the ridge is added to its diagonal and LAPACK ``potrf`` factors it in place (scipy.linalg.cho_factor with
``overwrite_a``), so the peak memory is one n x n float64 matrix (512 MiB at n = 8192). ``predict`` works in
blocks of test points (at most :data:`PREDICT_BLOCK_BYTES` of kernel values at a time).

Reference: B. Schölkopf, R. Herbrich, A. J. Smola, "A generalized representer theorem", COLT 2001.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from .._validate import as_array, as_points, check_real

__all__ = ["min_norm", "KernelPredictor"]

#: bytes of kernel values (test block x n) held at once by KernelPredictor.predict
PREDICT_BLOCK_BYTES = 1 << 25
#: a Cholesky pivot ``L_ii^2`` below ``PIVOT_RTOL * max_i K_ii`` means the system is numerically singular
PIVOT_RTOL = 1e-13


def _check_kernel(kernel):
    if isinstance(kernel, type):
        raise TypeError(f"kernel must be a kernel instance, got the class {kernel.__name__}: pass an instance, "
                        f"e.g. {kernel.__name__}()")
    if not (callable(getattr(kernel, "gram", None))):
        raise TypeError(f"kernel must have a gram(X, Y=None, out=None) method (e.g. spherekern.kernels.NTK()), "
                        f"got {type(kernel).__name__}")


def _duplicate_rows(X):
    """Indices (i, j), i != j, of one pair of identical rows of X, or None."""
    n = X.shape[0]
    if n < 2:
        return None
    order = np.lexsort(X.T[::-1])
    S = X[order]
    same = np.all(S[1:] == S[:-1], axis=1)
    if not same.any():
        return None
    k = int(np.argmax(same))
    return int(order[k]), int(order[k + 1])


class KernelPredictor:
    r"""The predictor ``f(x) = sum_j coef[j] K(x, X[j])`` returned by :func:`min_norm`.

    Attributes
    ----------
    kernel : the kernel object (with ``gram``)
    X : ndarray (n, d), training points
    coef : ndarray (n,) or (n, p), ``(K_XX + ridge I)^{-1} y``
    ridge : float
    """

    def __init__(self, kernel, X, coef, ridge):
        self.kernel = kernel
        self.X = X
        self.coef = coef
        self.ridge = ridge

    def __repr__(self):
        return f"KernelPredictor(kernel={self.kernel!r}, n={self.X.shape[0]}, ridge={self.ridge!r})"

    def predict(self, X):
        """Values ``f(x)`` at the rows of X (m, d): shape (m,) (or (m, p) for 2-D y).

        Kernel values are computed block by block (``kernel.gram(Xb, self.X, out=buf)``), so memory stays
        at most :data:`PREDICT_BLOCK_BYTES` plus the output."""
        X = as_points(X, "X", d=self.X.shape[1])
        m, n = X.shape[0], self.X.shape[0]
        out = np.empty((m,) + self.coef.shape[1:])
        if m == 0:
            return out
        bs = max(1, min(m, PREDICT_BLOCK_BYTES // (8 * max(n, 1))))
        buf = np.empty((bs, n))
        for i0 in range(0, m, bs):
            i1 = min(m, i0 + bs)
            Kb = buf[: i1 - i0]
            self.kernel.gram(np.ascontiguousarray(X[i0:i1]), self.X, out=Kb)
            np.dot(Kb, self.coef, out=out[i0:i1])
        return out

    __call__ = predict


def min_norm(kernel, X, y, ridge=0.0):
    r"""Kernel ridge(less) regression by Cholesky: ``coef = (K_XX + ridge I)^{-1} y``.

    Minimises ``sum_j (f(x_j) - y_j)^2 + ridge * ||f||_K^2`` over the RKHS of ``K``; with ``ridge = 0``
    the minimum-RKHS-norm interpolant (the lazy / NTK-regime predictor of Petrini et al. 2022).

    Parameters
    ----------
    kernel : object with ``gram(X, Y=None, out=None)`` (e.g. ``spherekern.kernels.NTK()``), symmetric PD.
    X : array (n, d), training points on S^{d-1}.
    y : array (n,) or (n, p), finite targets.
    ridge : float >= 0.

    Returns
    -------
    KernelPredictor with ``.predict(X)``, ``.coef``, ``.X``, ``.kernel``, ``.ridge``.

    Raises
    ------
    ValueError
        bad shapes / values, or a singular system: duplicate training points with ``ridge = 0``, or a
        Cholesky pivot ``L_ii^2 < 1e-13 * max K_ii`` (the Gram matrix is numerically singular); the
        message suggests a positive ridge.
    """
    _check_kernel(kernel)
    X = as_points(X, "X").copy()
    y = as_array(y, "y")
    n = X.shape[0]
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D (n,) or 2-D (n, p), got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"y has length {y.shape[0]} but X has {n} rows: need one target per training point")
    ridge = check_real(ridge, "ridge", minimum=0.0)
    if n == 0:
        raise ValueError("X must have at least one row (training point)")
    if ridge == 0.0:
        dup = _duplicate_rows(X)
        if dup is not None:
            raise ValueError(
                f"singular system: X rows {dup[0]} and {dup[1]} are identical, so the ridgeless Gram matrix "
                f"is singular; remove duplicate points or use a ridge > 0 (e.g. ridge=1e-10 * n)")
    G = np.empty((n, n))
    kernel.gram(X, out=G)
    if not np.all(np.isfinite(np.diagonal(G))):
        raise ValueError("kernel.gram returned non-finite values on the diagonal")
    dmax = float(np.max(np.diagonal(G)))
    if ridge:
        G.flat[:: n + 1] += ridge
    # G is C-ordered and symmetric: G.T is the same matrix in Fortran order, so potrf works in place.
    try:
        c, lower = scipy.linalg.cho_factor(G.T, lower=False, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            f"singular system: the Gram matrix K_XX + ridge I (n = {n}, ridge = {ridge:g}) is not numerically "
            f"positive definite ({exc}); this happens with (near-)duplicate points or a kernel of finite rank. "
            f"Use a ridge > 0 (e.g. ridge = 1e-10 * n * max K_ii).") from None
    piv = np.diagonal(c) ** 2
    pmin = float(piv.min())
    if not pmin > PIVOT_RTOL * max(dmax + ridge, np.finfo(float).tiny):
        i = int(np.argmin(piv))
        raise ValueError(
            f"singular system: Cholesky pivot {i} of K_XX + ridge I is {pmin:.3g}, below {PIVOT_RTOL:g} * max K_ii "
            f"= {PIVOT_RTOL * (dmax + ridge):.3g} (near-duplicate points or a finite-rank kernel); use a ridge > 0 "
            f"(e.g. ridge = 1e-10 * n * max K_ii).")
    coef = scipy.linalg.cho_solve((c, lower), y, check_finite=False)
    return KernelPredictor(kernel, X, coef, ridge)
