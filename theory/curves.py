"""Learning curves eps(n) from spectra: the spectral-bias ansatz and the eigenvalue theory of KRR.

Conventions (docs/CONVENTIONS.md): points on S^{d-1} (``d`` = ambient dimension), uniform
probability measure sigma, P_k(1) = 1, ``phi(t) = sum_k mu_k N(k, d) P_k(t)`` with
``mu_k = E[phi(x.y) P_k(x.y)]``. A degree-k harmonic component of ``x -> phi(x.y)`` has power
``mu_k^2 N(k, d)``. Target: a centred Gaussian field with variance ``c_k`` per harmonic
(``E f*(x) f*(y) = sum_k c_k N(k, d) P_k(x.y)``). The test error is
``eps = E_x (f(x) - f*(x))^2`` with x ~ sigma, averaged over the target and the training set.
Arrays are indexed by degree, ``c[k]``, ``mu[k]`` for k = 0..kmax; degrees above kmax are absent
(the target has no power there and the spectrum is truncated), so pass a kmax well above the
degrees that n points resolve.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._checks import as_n, as_spectrum, check_d, check_real

__all__ = ["harmonic_dim", "spectral_bias_curve", "krr_learning_curve", "KRRCurve"]


@functools.lru_cache(maxsize=64)
def _dims_int(kmax: int, d: int) -> tuple:
    """Exact N(k, d), k = 0..kmax, as Python ints (binomial recurrence, no rounding)."""
    out = [1]
    b = 1  # binom(k + d - 2, k)
    for k in range(1, kmax + 1):
        b = b * (k + d - 2) // k
        out.append((2 * k + d - 2) * b // (k + d - 2))
    return tuple(out)


def _dims(K: int, d: int) -> np.ndarray:
    """N(k, d) for k = 0..K-1 as float64 (exact below 2**53, correctly rounded above)."""
    return np.array([float(v) for v in _dims_int(K - 1, d)], dtype=np.float64)


def harmonic_dim(k, d):
    """Dimension ``N(k, d)`` of the degree-k spherical harmonics on S^{d-1}.

    ``N(k, d) = (2k + d - 2)/(k + d - 2) * binom(k + d - 2, k)``, ``N(0, d) = 1``, ``N(k, 2) = 2``
    for k >= 1; ``sum_{k <= K} N(k, d) = N(K, d + 1)``. Same values as
    ``spherekern.sphere.harmonic_dim`` (implemented here so that ``theory`` imports without it).

    Parameters
    ----------
    k : int or array_like of int
        Degree(s), >= 0.
    d : int
        Ambient dimension, >= 2.

    Returns
    -------
    int or numpy.ndarray
        A Python int (exact) for scalar ``k``; a float64 array for array ``k`` (exact up to 2**53).
    """
    d = check_d(d)
    arr = np.asarray(k)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"k must be an integer or an integer array, got {k!r}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"k must be >= 0, got min {arr.min()}")
    if arr.ndim == 0:  # closed form, O(min(k, d)) big-integer work (the cached table was O(k) memory)
        kk = int(arr)
        if kk == 0:
            return 1
        return math.comb(kk + d - 1, d - 1) - (math.comb(kk + d - 3, d - 1) if kk >= 2 else 0)
    if arr.size == 0:
        return np.zeros(arr.shape)
    table = _dims(int(arr.max()) + 1, d)
    return table[arr]


def _pair(c, phi, names):
    if c.size != phi.size:
        raise ValueError(f"{names[0]} and {names[1]} must have the same length (degrees 0..kmax), "
                         f"got {c.size} and {phi.size}")


def spectral_bias_curve(n, d, c, phi):
    """Spectral-bias ansatz for ``f = sum_{j<=n} g_j phi(x.y_j)`` fitting a Gaussian-field target.

    The predictor reproduces the target on its first n *representable* modes (harmonics of degree
    k with ``phi_k != 0``, filled in order of degree; the last degree is filled fractionally, so
    the curve is continuous in n). Its weights are those of the low-pass deconvolved target
    ``G = sum_{learned} f*_k / phi_k`` sampled at n centres, ``g_j = G(y_j)/n``, and above the cut
    they add up incoherently (flat high-frequency spectrum of a sum of n deltas). This gives

    ``eps(n) = sum_{k not learned} N c_k  +  (1/n) [sum_{learned} N c_k / phi_k^2] [sum_{rep., not learned} N phi_k^2]``

    (first term: the target's own tail, including every degree with ``phi_k = 0``; second: the
    predictor's high-frequency part). With ``c_k ~ k^(-2 nu_t-(d-1))`` and ``phi_k^2 ~ k^(-alpha)``
    it decays as ``n^(-min(2 nu_t, alpha)/(d-1))`` (see :func:`theory.beta` and theory/README.md).
    For n iid centres and a constant target it is the exact Monte-Carlo variance.

    Parameters
    ----------
    n : float or array_like
        Number(s) of centres (training points in the lazy regime, atoms in the feature regime), >= 1,
        at most the number of representable modes up to kmax.
    d : int
        Ambient dimension, >= 2.
    c : array_like, shape (kmax+1,)
        Target variance per harmonic, ``c[k] >= 0``.
    phi : array_like, shape (kmax+1,)
        Funk–Hecke coefficients ``mu_k`` of the building block (kernel eigenvalues in the lazy
        regime, ``mu_k`` of the atom relu(t)^a in the feature regime); signs are irrelevant.

    Returns
    -------
    float or numpy.ndarray
        ``eps(n)``, same shape as ``n``.

    References
    ----------
    Petrini, Cagnetta, Vanden-Eijnden, Wyart, NeurIPS 2022 (arXiv:2206.12314), spectral-bias ansatz.
    """
    d = check_d(d)
    nn, scalar = as_n(n)
    c = as_spectrum(c, "c")
    p = np.asarray(phi)
    if p.dtype.kind not in "biuf":
        raise TypeError(f"phi must be a real numeric array, got dtype {p.dtype}")
    if p.ndim != 1:
        raise ValueError(f"phi must be 1-D (one value per degree k = 0..kmax), got shape {p.shape}")
    p = np.asarray(p, dtype=np.float64)
    if not np.all(np.isfinite(p)):
        raise ValueError("phi contains NaN or inf")
    _pair(c, p, ("c", "phi"))
    N = _dims(c.size, d)
    p2 = p * p
    rep = p2 > 0
    if not rep.any():
        raise ValueError("phi is identically zero: the predictor can represent nothing")
    Nrep = np.where(rep, N, 0.0)
    cum = np.cumsum(Nrep)
    if nn.size and nn.max() > cum[-1]:
        raise ValueError(f"n = {nn.max():g} exceeds the {cum[-1]:g} representable modes up to kmax = {c.size - 1}: "
                         "pass longer c and phi arrays")
    Nc = N * c
    dec = np.zeros_like(c)
    dec[rep] = Nc[rep] / p2[rep]
    Np2 = N * p2
    # exclusive prefix sums (sum over degrees < K)
    ex = lambda a: np.concatenate(([0.0], np.cumsum(a)[:-1]))  # noqa: E731
    cum_ex = ex(Nrep)
    K = np.searchsorted(cum, nn, side="left")          # degree being filled
    frac = (nn - cum_ex[K]) / Nrep[K]                   # fraction of degree K learned, in (0, 1]
    learned_c = ex(np.where(rep, Nc, 0.0))[K] + frac * Nc[K]
    tail = Nc.sum() - learned_c
    D = ex(dec)[K] + frac * dec[K]
    H = Np2.sum() - (ex(Np2)[K] + frac * Np2[K])
    eps = np.maximum(tail, 0.0) + D * np.maximum(H, 0.0) / nn
    return float(eps[0]) if scalar else eps.reshape(np.shape(n))


@dataclass(frozen=True)
class KRRCurve:
    """Result of :func:`krr_learning_curve` with ``full=True``.

    Attributes
    ----------
    n : numpy.ndarray, shape (m,)
    eps : numpy.ndarray, shape (m,)
        Predicted test error ``E_x (f - f*)^2``.
    kappa : numpy.ndarray, shape (m,)
        Effective regularisation solving the self-consistent equation.
    e0 : numpy.ndarray, shape (m,)
        Overfitting factor ``n / (n - sum_k N(k,d) L_k^2)``.
    learnability : numpy.ndarray, shape (m, kmax+1)
        ``L_k = mu_k / (mu_k + kappa)``: the fraction of a degree-k target component the mean predictor learns.
    per_degree : numpy.ndarray, shape (m, kmax+1)
        Error carried by each degree, ``e0 N(k,d) c_k (1 - L_k)^2`` (sums to ``eps``).
    """

    n: np.ndarray
    eps: np.ndarray
    kappa: np.ndarray
    e0: np.ndarray
    learnability: np.ndarray
    per_degree: np.ndarray


_TAIL_FIT_MIN = 8          # nonzero degrees per parity class needed to fit the tail
_TAIL_XMAX = 0.2           # largest mu_{kmax+1}/kappa for which the tail expansion is used


def _tail_sums(mu, d):
    """Power sums T_j = sum_{k > kmax} N(k,d) mu_k^j (j = 1, 2, 3) of a power-law extrapolation of mu.

    Each parity class of the last half of the spectrum, [kmax/2, kmax], is fitted by least squares with
    ``log mu_k = a - s log k + b/k`` (the form of Gamma-function-ratio spectra); a class that is zero there
    (parity zeros) stays zero. The sums run exactly up to 64 kmax and by the integral of the leading term
    ``N(k,d) ~ 2 k^(d-2)/(d-2)!`` beyond. Returns (T, mu_next) with mu_next the largest extrapolated
    ``mu_k``, k > kmax.
    """
    from scipy.special import gammaln

    K = mu.size - 1
    k = np.arange(max(K // 2, 1), K + 1)
    m = mu[k]
    k2 = np.arange(K + 1, 64 * (K + 1) + 1)
    logN2 = (np.log(2 * k2 + d - 2) - np.log(k2 + d - 2) + gammaln(k2 + d - 1) - gammaln(k2 + 1)
             - gammaln(d - 1))
    T = np.zeros(3)
    mu_next = 0.0
    scale = m.max() if m.size and m.max() > 0 else 0.0
    for par in (0, 1):
        sel = (k % 2 == par) & (m > 1e-12 * scale)
        if not sel.any():
            continue
        if sel.sum() < _TAIL_FIT_MIN:
            raise ValueError(f"tail=True needs at least {_TAIL_FIT_MIN} nonzero mu_k of each parity in "
                             f"[kmax/2, kmax] = [{k[0]}, {K}] to fit the extrapolation; pass a longer mu")
        kk = k[sel].astype(np.float64)
        A = np.stack([np.ones_like(kk), -np.log(kk), 1.0 / kk], axis=1)
        (a, s_, b), *_ = np.linalg.lstsq(A, np.log(m[sel]), rcond=None)
        if not s_ > d - 1:
            raise ValueError(f"tail=True: the fitted decay mu_k ~ k^-{s_:.3g} is not summable against "
                             f"N(k,d) ~ k^{d - 2} (needs an exponent > d - 1 = {d - 1})")
        on = k2 % 2 == par
        logmu = a - s_ * np.log(k2[on]) + b / k2[on]
        mu_next = max(mu_next, float(np.exp(logmu[0])))
        for j in (1, 2, 3):
            T[j - 1] += np.exp(logN2[on] + j * logmu).sum()
            e = j * s_ - (d - 1)                       # integral of (2/(d-2)!) k^(d-2) e^(j a) k^(-j s), halved
            T[j - 1] += 0.5 * np.exp(np.log(2.0) - gammaln(d - 1) + j * a - e * np.log(k2[-1])) / e
    return T, mu_next


def _solve_kappa(nn, N, mu, ridge, maxiter=200, tail=None):
    """Solve sum_k N_k mu_k/(mu_k + kappa) + ridge/kappa = n for kappa > 0 (vectorised in n).

    Safeguarded Newton in u = log(kappa) on the decreasing function
    g(u) = sum N mu/(mu + e^u) + ridge e^-u - n, inside a bracket that always holds.
    """
    pos = mu > 0
    Np, mp = N[pos], mu[pos]
    M = Np.sum()
    T1, T2, T3 = (0.0, 0.0, 0.0) if tail is None else tail
    trace = float(Np @ mp) + T1
    hi = np.log(2.0 * (trace + ridge) / nn)              # g(hi) < 0
    lo = np.full(nn.shape, np.inf)
    if M > 0:
        ok = nn < M
        eps_ = (M - nn[ok]) / (2.0 * nn[ok])
        lo[ok] = np.log(mp.min() * eps_)                 # g(lo) > 0 (see theory/README.md)
    if ridge > 0:
        lo = np.minimum(lo, np.log(ridge / nn))          # g(log(ridge/n)) >= 0
    lo = np.minimum(lo, hi)

    def g_and_dg(u):
        kap = np.exp(u)[:, None]
        r = mp[None, :] / (mp[None, :] + kap)
        q = np.exp(-u)                                   # tail: sum N mu/(mu + kappa) = T1 q - T2 q^2 + T3 q^3
        g = r @ Np + ridge * q - nn + T1 * q - T2 * q * q + T3 * q ** 3
        dg = -((r * (1.0 - r)) @ Np) - ridge * q - T1 * q + 2 * T2 * q * q - 3 * T3 * q ** 3
        return g, dg

    u = 0.5 * (lo + hi)
    for _ in range(maxiter):
        g, dg = g_and_dg(u)
        lo = np.where(g > 0, u, lo)
        hi = np.where(g < 0, u, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            un = u - g / dg
        bad = ~np.isfinite(un) | (un <= lo) | (un >= hi)
        un = np.where(bad, 0.5 * (lo + hi), un)
        done = (np.abs(un - u) <= 1e-13 * np.maximum(1.0, np.abs(u))) | (g == 0)
        u = un
        if np.all(done):
            break
    return np.exp(u)


def krr_learning_curve(n, d, mu, c, ridge=0.0, *, tail=False, full=False):
    """Eigenvalue learning-curve theory of kernel (ridge) regression on S^{d-1}.

    Kernel ``K(x, y) = sum_k mu_k N(k, d) P_k(x.y)`` (Mercer eigenvalues ``mu_k`` under the uniform
    probability measure, multiplicity ``N(k, d)``), n iid uniform training points, noiseless
    labels from a centred Gaussian field with variance ``c_k`` per harmonic, predictor
    ``f(x) = K(x, X) (K(X, X) + ridge I)^(-1) y`` (``ridge = 0``: the min-norm interpolant). The
    effective regularisation ``kappa > 0`` solves

    ``sum_k N(k,d) mu_k / (mu_k + kappa) + ridge / kappa = n``

    and, with learnabilities ``L_k = mu_k/(mu_k + kappa)`` and ``e0 = n / (n - sum_k N(k,d) L_k^2)``,

    ``eps(n) = E_x (f - f*)^2 = e0 * sum_k N(k,d) c_k (1 - L_k)^2``.

    Degrees with ``mu_k = 0`` are never learned (``L_k = 0``) and contribute their full power.
    Solved by safeguarded Newton iteration on ``log kappa`` inside a guaranteed bracket, for all n
    at once. At ``ridge = 0`` a solution needs n below the number of modes with ``mu_k > 0`` up to
    kmax.

    Parameters
    ----------
    n : float or array_like
        Training-set size(s), >= 1 (real values allowed: the theory is continuous in n).
    d : int
        Ambient dimension, >= 2.
    mu : array_like, shape (kmax+1,)
        Kernel eigenvalues ``mu_k >= 0`` (e.g. ``spherekern.spectrum.ntk(d, kmax)``). Truncation
        at kmax neglects ``sum_{k > kmax} N(k,d) mu_k / kappa``; keep it small.
    c : array_like, shape (kmax+1,)
        Target variance per harmonic, ``c_k >= 0`` (power per degree ``N(k,d) c_k``).
    ridge : float
        Ridge ``>= 0`` added to the Gram matrix, in the convention above.
    tail : bool
        Extrapolate the kernel spectrum beyond kmax instead of truncating it. Each parity class of
        ``mu`` on [kmax/2, kmax] is fitted by ``log mu_k = a - s log k + b/k``, and the degrees above
        kmax enter the equation for kappa and e0 through ``sum N mu^j`` (j <= 3), an expansion in
        ``mu_k/kappa``. A ``ValueError`` is raised where ``mu_{kmax+1}/kappa > 0.2``. The target
        still has no power above kmax. Use it when kmax cannot be large: for the d = 3 NTK,
        truncation at kmax = 400 makes eps 10-28 % low at n = 512..4096, and tail=True at kmax = 400
        is within 0.3 % of kmax = 10^5.
    full : bool
        Return a :class:`KRRCurve` (kappa, e0, learnabilities, per-degree errors) instead of eps.

    Returns
    -------
    float, numpy.ndarray or KRRCurve
        ``eps(n)`` with the shape of ``n``.

    Notes
    -----
    The theory is asymptotically exact for Gaussian features, and the code reproduces a Gaussian-design
    simulation of the same spectrum to a few per cent. Real spherical harmonics on n iid points are not
    Gaussian features, and in low d the *ridgeless* prediction comes out too low.

    * The shortfall is in the well-learned degrees (k far below the cut-off): the theory gives them
      too little error, as if kappa were underestimated for them (kappa_eff ~ 1.3 kappa in d = 3).
    * The error of degrees far above the cut-off, and e0, are right to a few per cent.
    * Measured NTK ratios simulation / theory, n = 32..1024:

      ===  ========================  ========================
      d    rough (nu_t <= 3/2)       smooth / constant target
      ===  ========================  ========================
      2    2 - 4.4                   3 - 9
      3    1.12 - 1.34               1.5 - 2.4
      5    1.04 - 1.13               1.15 - 1.7
      ===  ========================  ========================

    * A ridge that dominates the effective one, ``ridge >= 10 n kappa_0`` (kappa_0 the ridgeless
      kappa), makes the prediction accurate: 0.95 - 1.05 in d = 3 (the constant target up to 1.14 at
      n <= 64, where per-set errors are heavy-tailed). d = 2 needs ``30 n kappa_0``.

    No correction is applied; see theory/README.md section 6 for the measurements and the reasons
    (Tomasini, Sclocchi & Wyart, ICML 2022).

    References
    ----------
    B. Bordelon, A. Canatar, C. Pehlevan, "Spectrum dependent learning curves in kernel regression
    and wide neural networks", ICML 2020; A. Canatar, B. Bordelon, C. Pehlevan, Nat. Commun. 12,
    2914 (2021); S. Spigler, M. Geiger, M. Wyart, J. Stat. Mech. (2020) 124001; J. Simon et al.,
    "The eigenlearning framework", TMLR 2023 (same equations in the notation used here).
    U. M. Tomasini, A. Sclocchi, M. Wyart, "Failure and success of the spectral bias prediction for
    Laplace kernel ridge regression: the case of low-dimensional data", ICML 2022.
    """
    d = check_d(d)
    nn, scalar = as_n(n)
    mu = as_spectrum(mu, "mu")
    c = as_spectrum(c, "c")
    _pair(mu, c, ("mu", "c"))
    ridge = check_real(ridge, "ridge", minimum=0.0)
    if not isinstance(tail, (bool, np.bool_)):
        raise TypeError(f"tail must be True or False, got {tail!r}")
    N = _dims(mu.size, d)
    M = float(N[mu > 0].sum())
    T = None
    if tail and np.any(mu > 0):
        T, mu_next = _tail_sums(mu, d)
    if ridge == 0 and nn.size and nn.max() >= M:
        raise ValueError(f"with ridge = 0, n must be below the number of modes with mu_k > 0 up to kmax = {mu.size - 1} "
                         f"({M:g}), got n = {nn.max():g}: pass a longer mu (and c)")
    if not np.any(mu > 0):
        # nothing can be learned; only ridge > 0 reaches here
        kappa = np.full(nn.shape, np.inf)
        L = np.zeros((nn.size, mu.size))
    else:
        kappa = _solve_kappa(nn, N, mu, ridge, tail=T)
        L = mu[None, :] / (mu[None, :] + kappa[:, None])
    LL = (L * L) @ N
    if T is not None:
        x = mu_next / kappa
        if np.any(x > _TAIL_XMAX):
            raise ValueError(f"tail=True: mu_(kmax+1)/kappa = {x.max():.3g} > {_TAIL_XMAX} at n = "
                             f"{nn[np.argmax(x)]:g}, the tail expansion is not accurate there; pass a longer mu")
        LL = LL + T[1] / kappa ** 2 - 2 * T[2] / kappa ** 3
    e0 = nn / (nn - LL)
    per = e0[:, None] * (N * c)[None, :] * (1.0 - L) ** 2
    eps = per.sum(axis=1)
    if full:
        return KRRCurve(n=nn, eps=eps, kappa=kappa, e0=e0, learnability=L, per_degree=per)
    return float(eps[0]) if scalar else eps.reshape(np.shape(n))
