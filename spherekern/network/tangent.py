"""The tangent kernels of the one-hidden-layer ReLU network (what the lazy network tracks)."""
from __future__ import annotations

import numpy as np

from .._validate import check_d, check_int, check_real
from ..kernels import ArcCos, Kernel
from ._kernels import _gram_tangent, _map_tangent

__all__ = ["TangentKernel"]


class TangentKernel(Kernel):
    """``Theta(t) = c1 kappa_1(t) + c0 t kappa_0(t)``: tangent kernels of the one-hidden-layer ReLU net.

    ``kappa_n`` are the arc-cosine kernels of :class:`spherekern.kernels.ArcCos` (Gaussian first
    layer, ``kappa_n(t) = E[relu(w.x)^n relu(w.y)^n]``).  ``c1 = c0 = 1`` is
    :class:`spherekern.kernels.NTK`; ``c1 = 0, c0 = 1`` is the tangent kernel of the network with
    first-layer weights on the sphere (:meth:`TwoLayerNet.kernel` with ``sphere=True``).

    Parameters
    ----------
    c1, c0 : float >= 0
        Weights of the output-layer (``kappa_1``) and first-layer (``t kappa_0``) contributions.

    Notes
    -----
    ``t kappa_0`` is positive semi-definite (Schur product of ``t`` and ``kappa_0``).  Its
    Funk--Hecke eigenvalues follow from those of ``kappa_0`` by the three-term recurrence
    ``t P_k = [(k + d - 2) P_{k+1} + k P_{k-1}] / (2k + d - 2)`` (docs/CONVENTIONS.md).
    """

    def __init__(self, c1=1.0, c0=1.0):
        self.c1 = check_real(c1, "c1", minimum=0.0)
        self.c0 = check_real(c0, "c0", minimum=0.0)

    def __repr__(self):
        return f"TangentKernel(c1={self.c1!r}, c0={self.c0!r})"

    def _eval(self, t, out):
        _map_tangent(t, self.c1, self.c0, out)

    def _gram_cpu(self, X, YT, out):
        _gram_tangent(X, YT, self.c1, self.c0, out)

    def spectrum(self, d, kmax):
        """Funk--Hecke eigenvalues mu_k, k = 0..kmax (``Theta(t) = sum_k mu_k N(k, d) P_k(t)``,
        ``mu_k = E[Theta(x.y) P_k(x.y)]``, probability measure, ``P_k(1) = 1``)."""
        from ..sphere import harmonic_dim
        d = check_d(d)
        kmax = check_int(kmax, "kmax", 0)
        mu = self.c1 * ArcCos(1).spectrum(d, kmax) if self.c1 else np.zeros(kmax + 1)
        if self.c0:
            a = ArcCos(0).spectrum(d, kmax + 1)           # kappa_0 = sum_k a_k N_k P_k
            N = np.asarray(harmonic_dim(np.arange(kmax + 2), d), dtype=np.float64)
            c = a * N                                     # coefficients of P_k in kappa_0
            k = np.arange(kmax + 2, dtype=np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                up = c * (k + d - 2.0) / (2.0 * k + d - 2.0)  # t c_k P_k -> P_{k+1}
                dn = c * k / (2.0 * k + d - 2.0)              #            -> P_{k-1}
            if d == 2:                                    # k = 0: t P_0 = P_1 (0/0 above)
                up[0], dn[0] = c[0], 0.0
            coef = np.zeros(kmax + 1)
            coef[1:] += up[:kmax]
            coef += dn[1:kmax + 2]
            mu = mu + self.c0 * coef / N[:kmax + 1]
        return mu
