"""The neural tangent kernel of the image paper's one-hidden-layer network (softplus or ReLU).

Network and conventions (issue #17; :mod:`spherekern.network`).  For inputs ``u`` on the unit sphere
S^{D-1} (an image ``x`` of norm ``sqrt(D)`` is ``u = x / sqrt(D)``, :func:`spherekern.datasets.to_sphere`),

    f(u) = (1/h) sum_j beta_j phi(omega_j . u),   omega_j ~ N(0, I_D),  beta_j ~ N(0, 1),

with the alpha-trick output ``F = alpha (f - f_0)``.  Both layers are trained.  The empirical tangent kernel is

    sum_p dF/dp(u) dF/dp(u') = (alpha^2 / h) * (1/h) sum_j [phi(a_j) phi(b_j) + beta_j^2 t phi'(a_j) phi'(b_j)],

``a_j = omega_j . u``, ``b_j = omega_j . u'``, ``t = u . u'``; the bracket's average tends, as h -> inf, to

    Theta(t) = E[phi(a) phi(b)] + t E[phi'(a) phi'(b)],   (a, b) standard bivariate Gaussian, corr(a, b) = t,

(``(omega . u, omega . u')`` is such a pair for unit ``u, u'``; ``E[beta^2] = 1``).  :class:`ImageNTK` is this
``Theta`` (the factor ``alpha^2 / h`` is dropped: neither the hard-margin SVM nor ridgeless regression depends on
the kernel's scale).  ``layers="output"`` keeps only the first term (only ``beta`` trained: the random-features
kernel), ``layers="hidden"`` only the second (only ``omega`` trained).

Activations.

* ``"relu"`` (``phi(z) = max(z, 0)``, unnormalised as in :class:`spherekern.network.TwoLayerNet`): closed form
  ``Theta = kappa_1(t) + t kappa_0(t)`` with the arc-cosine kernels of :mod:`spherekern.kernels`, i.e.
  :class:`spherekern.kernels.NTK`.
* ``"softplus"``: ``phi(z) = c softplus(beta z) / beta`` (``beta = 5``), ``c`` such that ``E[phi(z)^2] = 1``.
  By Mehler's formula, with the normalised Hermite coefficients ``b_k = E[phi(z) He_k(z)] / sqrt(k!)`` and
  ``E[phi'(z) He_k(z)] / sqrt(k!) = sqrt(k + 1) b_{k+1}`` (Gaussian integration by parts),

      Theta(t) = sum_k (k + 1) b_k^2 t^k,      E[phi phi](t) = sum_k b_k^2 t^k,

  a power series with **non-negative** coefficients (so ``Theta`` is a positive semi-definite dot-product
  kernel on every sphere, and ``|Theta(t) - Theta_K(t)| <= sum_{k > K} (k + 1) b_k^2`` for every
  ``|t| <= 1``).  The ``b_k`` are computed by the trapezoidal rule on the exact binary grid ``z = i / 64``,
  ``|z| <= 40`` (the integrands are analytic in the strip ``|Im z| < pi / beta`` and Gaussian-decaying, so the
  rule converges geometrically; on this grid it matches 30-digit mpmath integrals to ~1e-16), with the
  normalised Hermite functions ``He_k(z) rho(z) / sqrt(k!)`` by their stable three-term recurrence, for
  ``k <= 4000``; ``c`` comes from ``sum_k b_k^2 = E[phi^2]``.  The series is truncated at the smallest ``K``
  whose tail ``sum_{k > K} (k + 1) b_k^2`` is below ``1e-16 Theta(1)`` (``K`` ~ 10^3 for ``beta = 5``: the
  ``b_k`` decay like ``exp(-c sqrt k)`` because of the poles at ``z = i pi / beta``) and summed by Horner's
  rule.  Accuracy (tests/test_dual_activation.py): within ``~1e-13`` of 2-D mpmath quadrature of the
  definition at ``t`` in [-1, 1] (absolute, ``Theta(1) ~ 1.84``), and within Monte-Carlo error of wide random
  networks.  The kernel is smooth at ``t = +-1`` (no square-root singularity, unlike ReLU), so ``gram`` maps
  the plain dot products.
"""
from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np

from .kernels import NTK, ArcCos, Kernel

__all__ = ["ImageNTK", "hermite_coefficients", "ACTIVATIONS", "LAYERS"]

ACTIVATIONS = ("softplus", "relu")
LAYERS = ("both", "output", "hidden")
_GRID_STEP = 2.0 ** -6
_GRID_HALF = 40.0
_KMAX = 4000
_TAIL_RTOL = 1e-16


@functools.lru_cache(maxsize=8)
def _hermite(beta: float):
    """(c, b) with b_k = E[c softplus(beta z)/beta He_k(z)] / sqrt(k!), k = 0.._KMAX (module docstring)."""
    m = int(round(_GRID_HALF / _GRID_STEP))
    z = np.arange(-m, m + 1) * _GRID_STEP
    rho = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    sp = np.logaddexp(0.0, beta * z) / beta
    b = np.empty(_KMAX + 1)
    g0, g1 = rho, z * rho
    b[0], b[1] = _GRID_STEP * (sp @ g0), _GRID_STEP * (sp @ g1)
    for k in range(1, _KMAX):
        g0, g1 = g1, (z * g1 - math.sqrt(k) * g0) / math.sqrt(k + 1.0)
        b[k + 1] = _GRID_STEP * (sp @ g1)
    c = 1.0 / math.sqrt(math.fsum(b * b))
    return c, c * b


def hermite_coefficients(beta=5.0):
    """Normalisation ``c`` and Hermite coefficients of the normalised softplus.

    Parameters
    ----------
    beta : float > 0
        Slope of ``phi(z) = c softplus(beta z) / beta``.

    Returns
    -------
    c : float
        ``(E[(softplus(beta z)/beta)^2])^{-1/2}``, ``z ~ N(0, 1)``.
    b : ndarray, shape (4001,)
        ``b_k = E[phi(z) He_k(z)] / sqrt(k!)`` (probabilists' Hermite polynomials), ``sum_k b_k^2 = 1``.
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
        raise TypeError(f"beta must be a real number, got {type(beta).__name__}")
    beta = float(beta)
    if not (math.isfinite(beta) and 0.5 <= beta <= 50.0):
        raise ValueError(f"beta must be in [0.5, 50] (the quadrature grid is tuned for that range), got {beta!r}")
    c, b = _hermite(beta)
    return c, b.copy()


@nb.njit(parallel=True, cache=True)
def _horner_map(coef, t, out):
    """out[i, j] = sum_k coef[k] t[i, j]^k, t clipped to [-1, 1] (``out`` may be ``t``).

    Rows in parallel; within a row, Horner's rule runs on blocks of 128 entries at once (the k loop outside,
    the entries inside), so the dependent multiply-add chains of different entries interleave and vectorise.
    """
    n, m = t.shape
    K = coef.shape[0] - 1
    B = 128
    for i in nb.prange(n):
        x = np.empty(B)
        acc = np.empty(B)
        for j0 in range(0, m, B):
            nb_ = min(B, m - j0)
            for j in range(nb_):
                x[j] = min(max(t[i, j0 + j], -1.0), 1.0)
                acc[j] = coef[K]
            for k in range(K - 1, -1, -1):
                ck = coef[k]
                for j in range(nb_):
                    acc[j] = acc[j] * x[j] + ck
            for j in range(nb_):
                out[i, j0 + j] = acc[j]


class ImageNTK(Kernel):
    """Infinite-width tangent kernel ``Theta(t)`` of the image network (module docstring).

    Parameters
    ----------
    activation : {"softplus", "relu"}
    beta : float, default 5
        Softplus slope (ignored for ReLU).
    layers : {"both", "output", "hidden"}
        Trained layers: ``Theta = E[phi phi] + t E[phi' phi']`` (both), ``E[phi phi]`` (output layer only),
        ``t E[phi' phi']`` (hidden layer only).

    Attributes
    ----------
    coef : ndarray or None
        Power-series coefficients ``Theta(t) = sum_k coef[k] t^k`` (softplus; all >= 0).
    tail : float
        Bound on the truncation error, ``sum_{k > K} a_k`` (0 for ReLU, closed form).
    c : float
        Activation normalisation (1 for ReLU).
    """

    def __init__(self, activation="softplus", beta=5.0, layers="both"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if layers not in LAYERS:
            raise ValueError(f"layers must be one of {LAYERS}, got {layers!r}")
        self.activation, self.layers = activation, layers
        if activation == "relu":
            self.beta, self.c, self.coef, self.tail = None, 1.0, None, 0.0
            return
        self.c, b = hermite_coefficients(beta)
        self.beta = float(beta)
        k = np.arange(b.size, dtype=np.float64)
        b2 = b * b
        a = {"both": (k + 1.0) * b2, "output": b2, "hidden": k * b2}[layers]
        rev = np.cumsum(a[::-1])[::-1]                     # rev[K] = sum_{k >= K} a_k
        total = float(rev[0])
        K = int(np.argmax(rev < _TAIL_RTOL * total)) - 1   # first K whose tail sum_{k > K} is below the target
        if K < 0:
            raise RuntimeError("Hermite series did not converge within 4000 terms")  # pragma: no cover
        self.coef = np.ascontiguousarray(a[:K + 1])
        self.coef.setflags(write=False)
        self.tail = float(rev[K + 1])

    def __repr__(self):
        b = f", beta={self.beta!r}" if self.activation == "softplus" else ""
        return f"ImageNTK({self.activation!r}{b}, layers={self.layers!r})"

    def _eval(self, t, out):
        if self.activation == "relu":
            o1, o0 = ArcCos(1)(t), ArcCos(0)(t)
            out[:] = {"both": o1 + t * o0, "output": o1, "hidden": t * o0}[self.layers]
            return
        _horner_map(self.coef, t.reshape(1, -1), out.reshape(1, -1))

    def _gram_cpu(self, X, YT, out):
        if self.activation == "relu":
            if self.layers == "both":
                NTK()._gram_cpu(X, YT, out)
            elif self.layers == "output":
                ArcCos(1)._gram_cpu(X, YT, out)
            else:
                ArcCos(0)._gram_cpu(X, YT, out)
                out *= X @ YT
            return
        if out.dtype == np.float64:
            np.dot(X, YT, out=out)
            _horner_map(self.coef, out, out)
        else:
            t = X @ YT
            _horner_map(self.coef, t, t)
            out[...] = t

    def spectrum(self, d, kmax):
        """Funk--Hecke eigenvalues ``mu_k = E[Theta(x.y) P_k(x.y)]`` on S^{d-1}, k = 0..kmax.

        ReLU: closed forms of :mod:`spherekern.spectrum`; softplus: :func:`spherekern.spectrum.eigenvalues` of
        the (polynomial) series.
        """
        from . import spectrum as _spectrum
        if self.activation == "relu" and self.layers == "both":
            return NTK().spectrum(d, kmax)
        if self.activation == "relu" and self.layers == "output":
            return ArcCos(1).spectrum(d, kmax)
        return _spectrum.eigenvalues(self, d, kmax)
