"""The dot-product kernel with given Funk--Hecke eigenvalues (a Legendre series of dimension d)."""
from __future__ import annotations

import numpy as np

from .._validate import as_array, check_d, check_kmax
from ._series import (_HORNER_COND, _HORNER_MAX_LEN, _gram_cheb, _legendre_to_chebyshev, _monomials_u,
                      _parity_parts, _rec_coeffs)
from .base import Kernel

__all__ = ["FromSpectrum"]


class FromSpectrum(Kernel):
    """The dot-product kernel with given Funk--Hecke eigenvalues on S^{d-1}.

    ``phi(t) = sum_{k=0}^{K} mu_k N(k, d) P_k(t)`` with the Legendre polynomials of dimension d
    (``P_k(1) = 1``); then ``mu_k = E[phi(x.y) P_k(x.y)]``.
    It is positive semi-definite iff every ``mu_k >= 0`` (not required here).  The kernel lives
    on S^{d-1} for this ``d`` only: ``gram`` rejects points of another dimension.

    Parameters
    ----------
    mu : array_like, shape (K + 1,)
        Eigenvalues mu_0..mu_K (finite reals).
    d : int >= 2
        Ambient dimension.

    Notes
    -----
    ``kernel(t)`` evaluates the series by Clenshaw's recurrence for the P_k (3 flops per term).  For
    ``gram`` the constructor converts it once to the Chebyshev basis, ``phi = sum_m a_m T_m(t)``, with
    exact rational connection coefficients (error of the converted series ``<= 3.5 u sum_k |mu_k N(k, d)|``
    uniformly on [-1, 1], u = 2^-53; see ``_legendre_to_chebyshev``), and splits it by parity:
    ``phi(t) = sum_k a_2k T_k(u) + t sum_k a_{2k+1} V_k(u)``, ``u = 2 t^2 - 1`` (``T_2k(t) = T_k(u)``,
    ``T_{2k+1}(t) = t V_k(u)``, V: Chebyshev polynomials of the third kind), each part with its
    trailing zeros trimmed: the NTK / ReLU spectra vanish at odd k >= 3, so their odd part is the single
    term ``a_1 t``.  Each part (K/2 terms) is summed vectorised across a block of entries, by Horner in
    ``u`` (1 FMA per term) when its monomial coefficients (exactly rounded from the Chebyshev ones) have
    an l1 norm at most twice that of the Chebyshev coefficients -- Horner's error bound
    ``~ K/2 u sum_i |m_i|`` is then within a factor 2 of Clenshaw's -- and otherwise by Chebyshev
    Clenshaw (2 flops per term; e.g. d = 2 with slowly decaying mu_k, where the monomial form of T_k
    grows like (1 + sqrt 2)^k).  Measured error against the series evaluated at 50 digits, K = 20,
    d = 2..30: < 4e-16 for the NTK and a dense decaying spectrum (phi(1) ~ 1-2), ``< 7e-16 sum_k |mu_k N(k, d)|``
    for the flat mu_k N(k, d) = 1 (tests/test_kernels.py); see bench/bench_kernels.py
    for the factor over the dot-product floor.  The CUDA twin sums the Legendre series by Clenshaw.
    """

    def __init__(self, mu, d):
        self.d = check_d(d)
        mu = as_array(mu, "mu", ndim=1)
        if mu.size == 0:
            raise ValueError("mu must contain at least one eigenvalue (mu_0), got an empty array")
        self.mu = np.array(mu, copy=True)      # the kernel's own copy: the caller's mu stays writable and
        self.mu.setflags(write=False)          # later changes to it do not change the kernel
        mu = self.mu
        from ..sphere import harmonic_dim
        try:
            N = np.asarray(harmonic_dim(np.arange(mu.size), self.d), dtype=np.float64)
        except OverflowError:
            raise ValueError(f"N(k, d) overflows float64 for k <= {mu.size - 1}, d = {self.d}: mu has too many "
                             "eigenvalues for this d") from None
        with np.errstate(over="ignore", invalid="ignore"):
            self.coef = np.ascontiguousarray(mu * N)
        if not np.all(np.isfinite(self.coef)):
            raise ValueError("mu_k N(k, d) overflows float64 for some k: mu has too many (or too large) "
                             "eigenvalues for this d")
        self._A, self._B = _rec_coeffs(mu.size - 1, self.d)
        ce, co = _parity_parts(_legendre_to_chebyshev(self.coef, self.d))
        self._horner = False
        if max(ce.size, co.size) <= _HORNER_MAX_LEN:
            me, mo = _monomials_u(ce, False), _monomials_u(co, True)
            if (np.sum(np.abs(me)) <= _HORNER_COND * np.sum(np.abs(ce))
                    and np.sum(np.abs(mo)) <= _HORNER_COND * np.sum(np.abs(co))):
                self._horner = True
                ce, co = me, mo
        if co.size > 1:                    # both parts summed in one fused pass: pad the shorter with zeros on top
            L = max(ce.size, co.size)
            ce, co = np.concatenate([ce, np.zeros(L - ce.size)]), np.concatenate([co, np.zeros(L - co.size)])
        self._ce, self._co = ce, co

    def __repr__(self):
        return f"FromSpectrum(mu=<{self.mu.size} values>, d={self.d})"

    def _eval(self, t, out):
        from ..gegenbauer import _series_kernel
        _series_kernel(self.coef, t, float(self.d), out)

    def _gram_cpu(self, X, YT, out):
        _gram_cheb(X, YT, self._ce, self._co, self._horner, out)

    def spectrum(self, d, kmax):
        """mu_0..mu_kmax: the given eigenvalues, zero-padded or truncated to length kmax + 1.

        ``d`` must equal the kernel's dimension (the same phi has other eigenvalues in other d).
        """
        d = check_d(d)
        kmax = check_kmax(kmax)
        if d != self.d:
            raise ValueError(f"d = {d} but this FromSpectrum kernel is defined on S^(d-1) with d = {self.d}")
        res = np.zeros(kmax + 1)
        k = min(kmax + 1, self.mu.size)
        res[:k] = self.mu[:k]
        return res
