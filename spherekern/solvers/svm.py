"""Hard-margin kernel SVM on a precomputed Gram matrix: the kernel baseline of the image experiments.

The classifier is ``f(x) = sum_i alpha_i y_i K(x, x_i) + b`` solving the hard-margin problem

    min (1/2) ||f - b||_K^2   subject to   y_i f(x_i) >= 1   (i = 1..n),

whose dual is ``max sum_i alpha_i - (1/2) sum_ij alpha_i alpha_j y_i y_j K_ij``, ``alpha_i >= 0``,
``sum_i alpha_i y_i = 0``.  It is solved by scikit-learn's ``SVC(kernel="precomputed", C=C)`` (libsvm, SMO) with a
large box ``C`` (default ``1e10``): the soft-margin solution equals the hard-margin one as soon as ``C`` exceeds
the largest hard-margin ``alpha_i``, which holds whenever the data are separable with a margin that is not
tiny (every kernel here is strictly positive definite on distinct points, so the training set is separable).
``HardMarginSVM.max_alpha`` reports the largest ``alpha_i`` so that a caller can verify ``max_alpha < C``.

The ridgeless kernel regression on the ±1 labels, the second lazy baseline, is
:func:`spherekern.solvers.min_norm` with ``ridge = 0`` (its sign is the classifier).
"""
from __future__ import annotations

import numpy as np

from .._validate import as_array, as_points, check_real
from .min_norm import _check_kernel

__all__ = ["HardMarginSVM", "svm", "svm_gram"]

#: libsvm stopping tolerance on the KKT violation (scikit-learn's ``tol``)
SVM_TOL = 1e-6


class HardMarginSVM:
    """A fitted kernel SVM: ``f(x) = sum_i dual_coef_i K(x, x_i) + intercept``, ``dual_coef_i = alpha_i y_i``.

    Attributes
    ----------
    dual_coef : ndarray (n,)
        ``alpha_i y_i`` for every training point (zero off the support).
    intercept : float
    support : ndarray of int
        Indices of the support vectors (``alpha_i > 0``).
    max_alpha, C : float
        Largest ``alpha_i`` and the box used (hard margin iff ``max_alpha < C``).
    kernel, X : the kernel and training points (``None`` when fitted by :func:`svm_gram`).
    """

    def __init__(self, dual_coef, intercept, support, C, kernel=None, X=None):
        self.dual_coef, self.intercept, self.support, self.C = dual_coef, float(intercept), support, float(C)
        self.max_alpha = float(np.abs(dual_coef).max()) if dual_coef.size else 0.0
        self.kernel, self.X = kernel, X

    def decision_gram(self, K_test):
        """``f`` at test points from the test-by-train Gram ``K_test`` (m, n)."""
        K_test = as_array(K_test, "K_test", ndim=2)
        if K_test.shape[1] != self.dual_coef.size:
            raise ValueError(f"K_test must have {self.dual_coef.size} columns (training points), got {K_test.shape}")
        s = self.support
        return K_test[:, s] @ self.dual_coef[s] + self.intercept

    def predict(self, X):
        """``f(X)`` (real-valued decision function; its sign is the class)."""
        if self.kernel is None:
            raise ValueError("this SVM was fitted on a Gram matrix: use decision_gram(K_test)")
        X = as_points(X, "X", d=self.X.shape[1])
        s = self.support
        return self.kernel.gram(X, self.X[s]) @ self.dual_coef[s] + self.intercept


def _labels(y, n):
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y has length {y.shape[0]} but the Gram matrix has {n} rows")
    if not np.all(np.abs(y) == 1.0):
        raise ValueError("y must contain only the labels -1 and +1")
    if np.all(y == y[0]):
        raise ValueError("y must contain both classes (-1 and +1)")
    return y


def svm_gram(K, y, C=1e10):
    """Hard-margin SVM (box ``C``) from a precomputed symmetric train Gram ``K`` (n, n) and labels ``y`` in {-1, +1}.

    Returns
    -------
    HardMarginSVM (use ``decision_gram``).
    """
    from sklearn.svm import SVC
    K = as_array(K, "K", ndim=2)
    n = K.shape[0]
    if K.shape != (n, n):
        raise ValueError(f"K must be square (n, n), got {K.shape}")
    if not np.allclose(K, K.T, rtol=1e-12, atol=1e-12 * max(float(np.abs(K).max()), 1e-300)):
        raise ValueError("K must be symmetric")
    y = _labels(y, n)
    C = check_real(C, "C", minimum=0.0, strict=True)
    clf = SVC(kernel="precomputed", C=C, tol=SVM_TOL, shrinking=True, cache_size=1000)
    clf.fit(0.5 * (K + K.T), y)
    dual = np.zeros(n)
    dual[clf.support_] = clf.dual_coef_[0]
    # sklearn's decision function is sum dual_coef K + intercept with its class order (-1, +1): sign kept.
    return HardMarginSVM(dual, float(clf.intercept_[0]), np.sort(clf.support_).astype(np.intp), C)


def svm(kernel, X, y, C=1e10):
    """Hard-margin kernel SVM on points ``X`` (n, d) of the sphere with labels ``y`` in {-1, +1}.

    Parameters
    ----------
    kernel : a :class:`spherekern.kernels.Kernel` (e.g. :class:`spherekern.dual_activation.ImageNTK`)
    X : array (n, d), unit rows.
    y : array (n,), labels -1 / +1 (both present).
    C : float > 0, default 1e10 (large: hard margin, see the module docstring).

    Returns
    -------
    HardMarginSVM with ``predict(X_test)``.
    """
    _check_kernel(kernel)
    X = as_points(X, "X").copy()
    K = kernel.gram(X)
    m = svm_gram(K, y, C)
    m.kernel, m.X = kernel, X
    return m
