"""The ReLU neural tangent kernel and the arc-cosine kernels (closed forms in the angle).

Normalisation and accuracy: the package docstring of :mod:`spherekern.kernels`.
"""
from __future__ import annotations

from .._validate import check_d, check_int, check_kmax
from ._closed import _ARCCOS0, _ARCCOS1, _ARCCOS2, _ARCCOSN, _NTK, MAX_DEGREE, _gram_closed, _map_closed
from .base import Kernel

__all__ = ["NTK", "ArcCos", "MAX_DEGREE"]


class NTK(Kernel):
    """Neural tangent kernel of the one-hidden-layer ReLU network (both layers trained).

    ``Theta(t) = kappa_1(t) + t kappa_0(t) = (sqrt(1 - t^2) + 2 (pi - arccos t) t) / (2 pi)``,
    the infinite-width limit of ``sum_p df/dp(x) df/dp(y)`` for
    ``f(x) = H^{-1/2} sum_h w_h relu(theta_h . x)``, ``theta_h ~ N(0, I_d)``, ``w_h ~ N(0, 1)``,
    x, y on the unit sphere; ``Theta(1) = 1``.  Eigenvalues decay as ``mu_k ~ k^{-d}``.

    References
    ----------
    Jacot, Gabriel & Hongler, NeurIPS 2018; Bietti & Mairal, NeurIPS 2019 (eq. for the ReLU NTK).
    """

    def __repr__(self):
        return "NTK()"

    def _eval(self, t, out):
        _map_closed(t, _NTK, 0, out)

    def _gram_cpu(self, X, YT, out):
        _gram_closed(X, YT, _NTK, 0, out)

    def spectrum(self, d, kmax):
        """Funk--Hecke eigenvalues mu_k, k = 0..kmax (closed form, :func:`spherekern.spectrum.ntk`).

        ``Theta(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[Theta(x.y) P_k(x.y)]`` (probability
        measure on S^{d-1}, ``P_k(1) = 1``).
        """
        from .. import spectrum as _spectrum
        return _spectrum.ntk(check_d(d), check_kmax(kmax))


class ArcCos(Kernel):
    """Arc-cosine kernel of degree n (Cho & Saul 2009), normalised as an expectation.

    ``kappa_n(t) = E_{w ~ N(0, I_d)}[relu(w.x)^n relu(w.y)^n] = J_n(arccos t) / (2 pi)`` for unit
    x, y with ``t = x . y``: the random-features kernel of a ReLU^n network with Gaussian first
    layer.  ``J_0 = pi - theta``, ``J_1 = sin theta + (pi - theta) cos theta`` and, for n >= 2,
    ``J_n = (2n - 1) cos(theta) J_{n-1} + (n - 1)^2 sin^2(theta) J_{n-2}``.
    ``kappa_n(1) = (2n - 1)!! / 2``; eigenvalues decay as ``mu_k ~ k^{-(d + 2n)}``.

    Parameters
    ----------
    degree : int, 0 <= degree <= MAX_DEGREE
        ``MAX_DEGREE`` (150, derived in :func:`_max_degree`) is the largest n whose values stay finite in
        float64 (``kappa_n(1)`` is about ``1.9e306`` there); a larger degree is a ``ValueError``.

    Notes
    -----
    For ``t >= 0`` the recursion adds non-negative terms (relative error ~ n u).  For ``t < 0`` its terms
    have opposite signs and cancel catastrophically near ``t = -1`` (``kappa_n ~ phi^(2n+1)`` with
    ``phi = pi - theta``), as do the closed forms of n = 1, 2; there (``t < 0`` for n >= 3, ``t < -0.5`` for
    n = 2, ``t < -0.9`` for n = 1) ``kappa_n = n! / (2 pi) int_0^phi (cos v - cos phi)^n dv``, a
    non-negative integrand, is summed by Gauss--Legendre (``n // 2 + 10`` nodes, enough to < 1e-15 for
    n <= 150 and phi <= pi / 2; ``_kappa_pi``).  Measured
    against 600-digit values of the recursion (tests/test_kernels.py), t = +-(1 - 10^-k), k = 1..12, and a
    grid of t: relative error < 5e-15 for n <= 20 and < 3e-14 for n <= MAX_DEGREE, wherever ``kappa_n``
    is a normal float64.  ``gram`` takes ``phi`` near ``t = -1`` from the coordinates (package docstring).  The
    CUDA twin runs the same algorithm (the recursion above the threshold, the same integral code below it).
    """

    def __init__(self, degree):
        self.degree = check_int(degree, "degree", 0)
        if self.degree > MAX_DEGREE:
            raise ValueError(f"degree must be <= {MAX_DEGREE} (MAX_DEGREE: kappa_n(1) = (2n - 1)!! / 2 overflows "
                             f"float64 beyond it), got {self.degree}")

    def __repr__(self):
        return f"ArcCos({self.degree})"

    def _kind(self):
        return {0: _ARCCOS0, 1: _ARCCOS1, 2: _ARCCOS2}.get(self.degree, _ARCCOSN)

    def _eval(self, t, out):
        _map_closed(t, self._kind(), self.degree, out)

    def _gram_cpu(self, X, YT, out):
        _gram_closed(X, YT, self._kind(), self.degree, out)

    def spectrum(self, d, kmax):
        """Funk--Hecke eigenvalues mu_k, k = 0..kmax (closed form, :func:`spherekern.spectrum.arccos`).

        ``kappa_n(t) = sum_k mu_k N(k, d) P_k(t)``, ``mu_k = E[kappa_n(x.y) P_k(x.y)]`` (probability
        measure on S^{d-1}, ``P_k(1) = 1``).
        """
        from .. import spectrum as _spectrum
        return _spectrum.arccos(check_d(d), check_kmax(kmax), self.degree)
