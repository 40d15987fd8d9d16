r"""The Gaussian random field target of :mod:`spherekern.targets` (import it from there): a centred Gaussian
function on S^{d-1} with covariance ``C(x.y) = sum_k c_k N(k, d) P_k(x.y)``, sampled by a Cholesky factor of
the covariance at the points, and the exact power-law tails (Hurwitz zeta) of ``c_k = k^{-2 nu_t - (d-1)}``.

Conventions (docs/CONVENTIONS.md): ``d`` is the ambient dimension, ``P_k(1) = 1``, ``N(k, d)`` the dimension of
the degree-k spherical harmonics, the uniform probability measure on the sphere.
"""
from __future__ import annotations

import math
import warnings

import numba as nb
import numpy as np
import scipy.linalg
from scipy.special import zeta

from . import gegenbauer
from ._validate import as_array, as_ndarray, as_points, as_rng, check_d, check_int, check_real
from .gegenbauer import _clenshaw
from .sphere import harmonic_dim

__all__ = ["GaussianRandomField", "JitterWarning"]

#: default largest degree summed explicitly by GaussianRandomField(nu_t=...) (see its Notes).
GRF_KMAX = 512
#: default relative tolerance on the neglected variance of GaussianRandomField(nu_t=...).
GRF_TOL = 1e-10
#: largest d of GaussianRandomField(nu_t=...): the O(d^3) exact expansion of N(k, d) in powers of k
#: (_harmonic_dim_poly) measured 1.17 s at d = 1000 (0.15 s at 500) on the 2-core machine; 1500 is ~4 s
GRF_MAX_D = 1500
_GRF_POLY_S_PER_D3 = 1.17e-9


class JitterWarning(UserWarning):
    """A covariance matrix needed a diagonal jitter before its Cholesky factorisation succeeded."""


def _harmonic_dim_poly(d):
    """Coefficients a_j (j = 0..d-2) with N(k, d) = sum_j a_j k^j for all k >= 1."""
    if d == 2:
        return np.array([2.0])
    poly = [d - 2, 2]                                   # 2k + d - 2, ascending powers (exact ints)
    for i in range(1, d - 2):                           # times (k + i), i = 1..d-3
        new = [0] * (len(poly) + 1)
        for j, cj in enumerate(poly):
            new[j] += i * cj
            new[j + 1] += cj
        poly = new
    fact = math.factorial(d - 2)
    return np.array([cj / fact for cj in poly])


def _power_law_tail(s, d, K):
    """sum_{k > K} k^{-s} N(k, d), exactly, as sum_j a_j zeta(s - j, K + 1) (Hurwitz zeta)."""
    a = _harmonic_dim_poly(d)
    return float(sum(aj * zeta(s - j, K + 1) for j, aj in enumerate(a) if aj != 0.0))


@nb.njit(parallel=True, cache=True)
def _cov_lower(X, coef, d, diag_add, out):
    """out[i, j] = sum_k coef[k] P_k(x_i . x_j) for j <= i (+ diag_add on the diagonal), 0 above.

    Rows i and n-1-i are done by the same task so the triangular work is balanced."""
    n, dim = X.shape
    for r in nb.prange((n + 1) // 2):
        nrep = 1 if 2 * r + 1 == n else 2
        for rep in range(nrep):
            i = r + rep * (n - 1 - 2 * r)
            for j in range(i + 1):
                t = 0.0
                for q in range(dim):
                    t += X[i, q] * X[j, q]
                if t > 1.0:
                    t = 1.0
                elif t < -1.0:
                    t = -1.0
                out[i, j] = _clenshaw(coef, t, d)
            out[i, i] += diag_add
            for j in range(i + 1, n):
                out[i, j] = 0.0


class GaussianRandomField:
    r"""Centred Gaussian random function on S^{d-1} with covariance ``C(x.y) = sum_k c_k N(k, d) P_k(x.y)``.

    Give exactly one of

    * ``c``: the spectrum ``c_k >= 0`` by degree (k = 0..len(c)-1; the field then has finitely many
      modes and its covariance is summed exactly), or
    * ``nu_t > 0``: ``c_0 = 0`` and ``c_k = k^{-2 nu_t - (d-1)}`` for k >= 1, so that
      ``E|f(x) - f(y)|^2 ~ |x - y|^{2 nu_t}`` (Petrini et al. 2022).

    ``c_k`` is the Mercer eigenvalue of C (multiplicity N(k, d)), and ``E ||f_k||^2 = c_k N(k, d)`` is the
    expected power of the degree-k harmonic component of a sample (L^2 of the probability measure).

    Tail control (``nu_t`` given)
        The degrees ``k <= K`` are summed explicitly (Clenshaw, :mod:`spherekern.gegenbauer`) and the
        variance of the neglected degrees, ``tau_K = sum_{k > K} c_k N(k, d)``, computed **exactly** as
        ``sum_j a_j zeta(2 nu_t + d - 1 - j, K + 1)`` (``N(k, d) = sum_j a_j k^j`` is a polynomial in k,
        zeta the Hurwitz zeta function), is added on the diagonal as a nugget. So the sampled field is the
        degree-<=K field plus independent white noise of variance ``tau_K``: the pointwise variance is
        exactly ``C(1)``, and only the correlations of the unresolved degrees > K between *distinct* points
        are dropped; they are bounded by ``|R_K(t)| <= tau_K`` and are small once K exceeds the inverse
        point separation (then those degrees are also unlearnable from the sample, so for learning
        curves they act as the noise they are replaced by). K is the smallest degree with
        ``tau_K <= tol * C(1)``, capped at ``kmax``; the attributes ``kmax`` (the K used), ``nugget``
        (tau_K) and ``tail_fraction`` (tau_K / C(1)) report it. For ``nu_t = 1/2`` in d = 3 with
        ``kmax = 512``, ``tail_fraction ~ 1.2e-3``.

    Cholesky
        The covariance of the distinct rows of X is factorised by LAPACK (in place). If it is not
        numerically positive definite (finitely many modes and more points than modes), a jitter
        ``eps * C(1)``, ``eps = 1e-12, 1e-11, ..., 1e-6``, is added to the diagonal until it is; this is
        reported by a :class:`JitterWarning` and stored in ``last_jitter`` (0.0 when none was needed).
        Duplicate rows of X are sampled once and get the same value.

    Parameters
    ----------
    d : int >= 2
    nu_t : float > 0, optional
    c : array_like, 1-D, finite, >= 0, optional
    kmax : int >= 1, cap on K when ``nu_t`` is given (default :data:`GRF_KMAX` = 512).
    tol : float in (0, 1), relative tolerance on the neglected variance (default 1e-10).

    Attributes
    ----------
    c : ndarray, the spectrum summed explicitly (length K + 1).
    kmax, nugget, tail_fraction, variance (= C(1)), last_jitter.
    """

    def __init__(self, d, nu_t=None, c=None, *, kmax=GRF_KMAX, tol=GRF_TOL):
        self.d = check_d(d)
        if (nu_t is None) == (c is None):
            raise ValueError("give exactly one of nu_t (smoothness) and c (spectrum by degree)")
        self.last_jitter = 0.0
        if c is not None:
            c = as_array(c, "c", ndim=1)
            if c.size == 0:
                raise ValueError("c must have at least one entry (c_k for k = 0..K)")
            if np.any(c < 0):
                k = int(np.argmax(c < 0))
                raise ValueError(f"c must be >= 0 (a covariance spectrum), got c[{k}] = {c[k]!r}")
            if not np.any(c > 0):
                raise ValueError("c must have a positive entry (the all-zero spectrum is the zero field)")
            self.nu_t = None
            self.c = c.copy()
            self.kmax = c.size - 1
            self.nugget = 0.0
        else:
            self.nu_t = check_real(nu_t, "nu_t", minimum=0.0, strict=True)
            kcap = check_int(kmax, "kmax", 1)
            tol = check_real(tol, "tol", minimum=0.0, strict=True)
            if tol >= 1:
                raise ValueError(f"tol must be < 1 (relative neglected variance), got {tol}")
            if self.d > GRF_MAX_D:
                est = _GRF_POLY_S_PER_D3 * self.d ** 3
                raise ValueError(f"d must be <= {GRF_MAX_D} with nu_t given: the tail sums expand N(k, d) into "
                                 f"d - 1 exact big-integer coefficients, O(d^3) work, ~{est:.0f} s at d = {self.d} "
                                 "(pass the spectrum as c= instead)")
            s = 2.0 * self.nu_t + self.d - 1
            if not s - (self.d - 1) > 0.0:
                raise ValueError(f"nu_t = {nu_t!r} is too small: 2 nu_t + d - 1 rounds to d - 1 in float64, where "
                                 "the variance sum_k c_k N(k, d) ~ 1 / (2 nu_t) diverges")
            total = _power_law_tail(s, self.d, 0)
            if not (math.isfinite(total) and total > 0.0):
                raise ValueError(f"nu_t = {nu_t!r} is too small: the field's variance sum_k c_k N(k, d) "
                                 f"~ 1 / (2 nu_t) is {total!r} in float64")
            # smallest K <= kcap with tail <= tol * total (tail is decreasing in K)
            if _power_law_tail(s, self.d, kcap) > tol * total:
                K = kcap
            else:
                lo, hi = 0, kcap
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if _power_law_tail(s, self.d, mid) <= tol * total:
                        hi = mid
                    else:
                        lo = mid
                K = max(hi, 1)
            k = np.arange(K + 1, dtype=np.float64)
            c = np.zeros(K + 1)
            c[1:] = k[1:] ** (-s)
            self.c = c
            self.kmax = K
            self.nugget = _power_law_tail(s, self.d, K)
        nk = np.asarray(harmonic_dim(np.arange(self.kmax + 1), self.d), dtype=np.float64)
        self._coef = np.ascontiguousarray(self.c * nk)        # c_k N(k, d)
        self.variance = float(self._coef.sum() + self.nugget)   # C(1)
        if not (math.isfinite(self.variance) and self.variance > 0.0):
            raise ValueError(f"the field's variance C(1) = sum_k c_k N(k, d) is {self.variance!r} in float64 "
                             f"(d = {self.d}): use a smaller or faster-decaying spectrum")
        self.tail_fraction = self.nugget / self.variance

    def __repr__(self):
        spec = f"nu_t={self.nu_t!r}" if self.nu_t is not None else f"c=<{self.c.size} degrees>"
        return f"GaussianRandomField(d={self.d}, {spec}, kmax={self.kmax})"

    def covariance(self, t, nugget=True):
        """Covariance of the sampled field at dot product t: ``sum_{k<=K} c_k N(k,d) P_k(t)``, plus the
        nugget tau_K where ``t == 1`` (same point) if ``nugget`` is true. Array of the shape of t."""
        arr = as_ndarray(t, "t")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"t must be a real numeric array of dot products in [-1, 1], got dtype {arr.dtype}"
                            + (" (complex values are not truncated silently)" if arr.dtype.kind == "c" else ""))
        tt = np.asarray(arr, dtype=np.float64)
        out = gegenbauer.series(self._coef, tt, self.d)
        if nugget and self.nugget:
            out = out + np.where(tt >= 1.0, self.nugget, 0.0)
        return out

    def _factor(self, U):
        """Lower Cholesky factor L (n x n, C order, zero above the diagonal) of the covariance at U."""
        n = U.shape[0]
        G = np.empty((n, n))
        jitters = [0.0] + [10.0 ** e * self.variance for e in range(-12, -5)]
        for jit in jitters:
            _cov_lower(U, self._coef, float(self.d), self.nugget + jit, G)
            try:
                # G.T is F-ordered; its upper triangle is G's lower one: factor in place, G = L L^T
                scipy.linalg.cho_factor(G.T, lower=False, overwrite_a=True, check_finite=False)
            except np.linalg.LinAlgError:
                continue
            dg = np.diagonal(G)
            if not np.all(np.isfinite(dg)) or dg.min() <= 0.0:
                continue
            self.last_jitter = jit
            if jit:
                warnings.warn(
                    f"GaussianRandomField: covariance of {n} distinct points is not numerically positive "
                    f"definite (the field has at most sum_k N(k,d) [c_k>0] modes); added a jitter "
                    f"{jit:.3g} (= {jit / self.variance:.0e} * C(1)) to the diagonal. The sample includes "
                    f"white noise of that variance; see .last_jitter.", JitterWarning, stacklevel=3)
            return G
        raise np.linalg.LinAlgError(
            f"GaussianRandomField: Cholesky of the covariance failed even with a jitter 1e-6 * C(1) ({n} points)")

    def sample(self, X, rng=None, size=None):
        """Draw the field jointly at the rows of X (shape (n, d), unit norm).

        Returns shape (n,), or (size, n) for ``size`` independent samples (one factorisation)."""
        X = as_points(X, "X", d=self.d)
        rng = as_rng(rng)
        if size is not None:
            size = check_int(size, "size", 1)
        n = X.shape[0]
        shape = (n,) if size is None else (size, n)
        if n == 0:
            return np.empty(shape)
        U, inv = np.unique(X, axis=0, return_inverse=True)
        inv = inv.ravel()
        U = np.ascontiguousarray(U)
        L = self._factor(U)
        m = U.shape[0]
        Z = rng.standard_normal((m,) if size is None else (m, size))
        F = L @ Z
        vals = F[inv]
        return vals if size is None else np.ascontiguousarray(vals.T)
