"""Training losses of the network: value and derivative with respect to the outputs.

* ``"mse"``: ``C(F) = (1/2n) sum_j (F_j - y_j)^2``, ``dC/dF_j = (F_j - y_j)/n``;
* ``"soft_hinge"``: ``C(F) = (1/n) sum_j softplus_beta(1 - F_j y_j)``, ``softplus_beta(u) = log(1 + e^{beta u})/beta``,
  ``beta = 20`` (the image paper's loss), ``dC/dF_j = -y_j sigmoid(beta (1 - F_j y_j)) / n``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["LOSSES", "HINGE_BETA", "loss_value_and_residual", "check_loss"]

LOSSES = ("mse", "soft_hinge")
#: sharpness of the soft hinge
HINGE_BETA = 20.0


def check_loss(loss):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def loss_value_and_residual(loss, f, y, beta=HINGE_BETA, out=None):
    """``(C(f), dC/df)`` for the loss named ``loss`` (module docstring); ``out`` receives dC/df."""
    n = f.shape[0]
    if out is None:
        out = np.empty(n)
    if loss == "mse":
        np.subtract(f, y, out=out)
        val = 0.5 * float(np.dot(out, out)) / n
        out /= n
        return val, out
    u = 1.0 - f * y
    val = float(np.logaddexp(0.0, beta * u).sum()) / (beta * n)
    np.multiply(expit(beta * u), -y / n, out=out)
    return val, out
