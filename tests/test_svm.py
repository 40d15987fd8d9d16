"""spherekern.solvers.svm: hard-margin SVM vs scikit-learn's linear SVC, an independent dual QP and the KKT conditions."""
import numpy as np
import pytest
from scipy.optimize import minimize

from spherekern.dual_activation import ImageNTK
from spherekern.solvers.svm import svm, svm_gram


def _separable(n, d, rng):
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = np.sign(X @ w)
    X += 0.3 * y[:, None] * w / np.linalg.norm(w)     # a margin
    return X, y


def _kkt(m, K, y, tol=1e-5):
    f = K @ m.dual_coef + m.intercept
    alpha = m.dual_coef * y
    assert np.all(alpha >= -1e-12)
    assert abs(m.dual_coef.sum()) < 1e-8 * max(1.0, np.abs(m.dual_coef).sum())
    assert np.all(y * f >= 1 - tol)                          # primal feasibility (hard margin)
    sv = alpha > 1e-8 * alpha.max()
    np.testing.assert_allclose(y[sv] * f[sv], 1.0, atol=tol)  # complementary slackness
    assert m.max_alpha < m.C


def test_linear_gram_vs_sklearn_linear_and_dual_qp():
    from sklearn.svm import SVC
    rng = np.random.default_rng(1)
    X, y = _separable(16, 3, rng)
    K = X @ X.T
    m = svm_gram(K, y)
    _kkt(m, K, y)
    ref = SVC(kernel="linear", C=1e10, tol=1e-8).fit(X, y)      # sklearn's own linear kernel on the raw features
    Xt = rng.normal(size=(50, 3))
    np.testing.assert_allclose(m.decision_gram(Xt @ X.T), ref.decision_function(Xt), rtol=1e-4, atol=1e-4)
    # independent dual QP (SLSQP): max sum a - 1/2 a^T Q a, a >= 0, a.y = 0
    Q = (y[:, None] * y[None, :]) * K
    res = minimize(lambda a: 0.5 * a @ Q @ a - a.sum(), np.zeros(16), jac=lambda a: Q @ a - 1,
                   bounds=[(0, None)] * 16, constraints=[{"type": "eq", "fun": lambda a: a @ y, "jac": lambda a: y}],
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000})
    w_qp = (res.x * y) @ X
    w_svm = m.dual_coef @ X
    np.testing.assert_allclose(w_svm, w_qp, rtol=1e-4, atol=1e-4 * np.abs(w_qp).max())


def test_ntk_svm_kkt_and_predict():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 12))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(rng.random(80) < 0.5, -1.0, 1.0)              # random labels: separable by the PD kernel
    k = ImageNTK("softplus")
    m = svm(k, X, y)
    _kkt(m, k.gram(X), y)
    Xt = rng.normal(size=(30, 12))
    Xt /= np.linalg.norm(Xt, axis=1, keepdims=True)
    np.testing.assert_allclose(m.predict(Xt), m.decision_gram(k.gram(Xt, X)), rtol=1e-10, atol=1e-10)


def test_bad_input():
    K = np.eye(4)
    with pytest.raises(ValueError, match="labels"):
        svm_gram(K, np.array([1.0, 0.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="both classes"):
        svm_gram(K, np.ones(4))
    with pytest.raises(ValueError, match="square"):
        svm_gram(np.ones((4, 3)), np.array([1.0, -1, 1, -1]))
    with pytest.raises(ValueError, match="length"):
        svm_gram(K, np.array([1.0, -1]))
    with pytest.raises(ValueError, match="C"):
        svm_gram(K, np.array([1.0, -1, 1, -1]), C=-1.0)
    with pytest.raises(TypeError, match="kernel"):
        svm("ntk", np.eye(2), np.array([1.0, -1]))
