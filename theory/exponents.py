"""Closed-form exponents of the spectral-bias theory (derivation in ``theory/README.md``).

Conventions (docs/CONVENTIONS.md): points on S^{d-1} in R^d (``d`` is the ambient dimension),
P_k(1) = 1, uniform probability measure, and for a dot-product function
``phi(t) = sum_k mu_k N(k, d) P_k(t)`` with ``mu_k = E[phi(x.y) P_k(x.y)]``.

* Target: a Gaussian random field with variance ``c_k ~ k^(-2 nu_t - (d-1))`` per harmonic
  (power ``N(k, d) c_k ~ k^(-2 nu_t - 1)`` per degree).
* Predictor: ``f(x) = sum_j g_j phi(x.y_j)`` with O(n) centres and ``mu_k(phi)^2 ~ k^(-alpha)``.
* Spectral-bias ansatz: ``eps(n) ~ n^(-beta)`` with ``beta = min(2 nu_t, alpha) / (d - 1)``.

The network is ``f(x) = sum_h w_h relu(theta_h . x)^a`` (no bias) with ``a = power``:

=========  ==============================  =====================
regime     phi                             alpha
=========  ==============================  =====================
lazy       NTK of the network              2 (d + 2a - 2)
rf         random-features kernel kappa_a  2 (d + 2a)
feature    the atom relu(t)^a itself       d + 2a
=========  ==============================  =====================

References
----------
L. Petrini, F. Cagnetta, E. Vanden-Eijnden, M. Wyart, "Learning sparse features can lead to
overfitting in neural networks", NeurIPS 2022 (arXiv:2206.12314).
S. Spigler, M. Geiger, M. Wyart, "Asymptotic learning curves of kernel methods: empirical data
versus teacher-student paradigm", J. Stat. Mech. (2020) 124001.
A. Bietti, J. Mairal, "On the inductive bias of neural tangent kernels", NeurIPS 2019.
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import check_d, check_nu, check_power, check_real, check_regime

__all__ = ["alpha", "beta", "crossover", "nu_from_teacher", "asymptotic_exponent", "decay_exponent"]

#: Kernels / activations with a known asymptotic eigenvalue exponent.
NAMED_SPECTRA = ("relu", "abs", "arccos", "rf", "ntk")
#: Teacher activations understood by :func:`nu_from_teacher`.
TEACHER_ACTIVATIONS = ("abs", "relu")


def _is_even_integer(a: float) -> bool:
    return float(a).is_integer() and int(a) % 2 == 0


def asymptotic_exponent(name, d, power=1):
    """Exact asymptotic decay exponent ``s`` of a Funk–Hecke spectrum, ``|mu_k| ~ C k^(-s)``.

    The statement is for ``k -> inf`` along the degrees where ``mu_k != 0`` (parity zeros excluded).

    Parameters
    ----------
    name : {"relu", "abs", "arccos", "rf", "ntk"}
        ``"relu"``: phi(t) = max(t, 0)^a, s = (d + 2a)/2 (a >= 0; nonzero for every k if a is not
        an integer, else for k > a of parity opposite to a).
        ``"abs"``: ``phi(t) = |t|^a``, s = (d + 2a)/2 on even k; ``inf`` when a is an even integer
        (a polynomial has finitely many nonzero mu_k).
        ``"arccos"`` (alias ``"rf"``): the arc-cosine kernel kappa_a (random-features kernel of a
        relu^a network with Gaussian first layer), whose eigenvalues are
        ``E|theta|^(2a) mu_k(relu^a)^2`` (composition rule), so s = d + 2a (a >= 0).
        ``"ntk"``: NTK of the two-layer relu^a network, Theta = kappa_a + a^2 t kappa_{a-1};
        the second term dominates, s = d + 2a - 2 (a > 1/2; s = d for the ReLU NTK).
    d : int
        Ambient dimension, >= 2.
    power : float
        The exponent ``a`` (or the arc-cosine degree).

    Returns
    -------
    float
        ``s`` (positive: the spectrum decays like k^(-s)); ``inf`` for polynomials.

    Notes
    -----
    The relu^a value follows from the Rodrigues formula: the coefficient integral of t_+^a
    against P_k(t) (1-t^2)^((d-3)/2) reduces, after k integrations by parts, to a derivative of
    (1 - t^2)^(k + (d-3)/2) at the kink t = 0, which is a ratio of Gamma functions behaving like
    k^(-(d + 2a)/2); see theory/README.md. Composition (CONVENTIONS.md) squares the spectrum.
    """
    d = check_d(d)
    if not isinstance(name, str) or name not in NAMED_SPECTRA:
        raise ValueError(f"name must be one of {NAMED_SPECTRA}, got {name!r}")
    if name == "ntk":
        a = check_real(power, "power", minimum=0.5, strict=True)
        return float(d + 2 * a - 2)
    a = check_power(power, strict=False)
    if name == "relu":
        return (d + 2 * a) / 2
    if name == "abs":
        return math.inf if _is_even_integer(a) else (d + 2 * a) / 2
    return float(d + 2 * a)  # arccos / rf


def alpha(d, regime, power=1):
    """Exponent ``alpha`` with ``mu_k(phi)^2 ~ k^(-alpha)`` for the predictor's building block.

    Parameters
    ----------
    d : int
        Ambient dimension of S^{d-1}, >= 2.
    regime : {"lazy", "rf", "feature"}
        ``"lazy"``: phi is the NTK of the relu^power network, alpha = 2 (d + 2 power - 2)
        (2d for ReLU); needs power > 1/2 (else the NTK is not trace class).
        ``"rf"``: phi is the random-features kernel kappa_power, alpha = 2 (d + 2 power)
        (2(d + 2) for ReLU).
        ``"feature"``: phi is the atom relu(t)^power, alpha = d + 2 power (d + 2 for ReLU).
    power : float
        Exponent ``a`` of the activation relu(t)^a (default 1, the ReLU).

    Returns
    -------
    float

    Examples
    --------
    >>> alpha(5, "lazy"), alpha(5, "rf"), alpha(5, "feature")
    (10.0, 14.0, 7.0)
    """
    d = check_d(d)
    regime = check_regime(regime)
    if regime == "lazy":
        return 2.0 * asymptotic_exponent("ntk", d, power)
    if regime == "rf":
        return 2.0 * asymptotic_exponent("arccos", d, power)
    return 2.0 * asymptotic_exponent("relu", d, power)


def beta(d, nu_t, regime, power=1):
    """Predicted learning-curve exponent: ``eps(n) ~ n^(-beta)``, ``beta = min(2 nu_t, alpha)/(d-1)``.

    Parameters
    ----------
    d : int
        Ambient dimension of S^{d-1}, >= 2.
    nu_t : float
        Target smoothness, > 0: per-harmonic variance ``c_k ~ k^(-2 nu_t - (d-1))``. ``inf`` for a
        constant, band-limited or analytic target (then ``beta = alpha/(d-1)``).
    regime : {"lazy", "rf", "feature"}
        See :func:`alpha`.
    power : float
        Exponent of the activation relu(t)^power.

    Returns
    -------
    float

    Notes
    -----
    Constant target with ReLU: ``beta_lazy = 2d/(d-1) = 1 + (d+1)/(d-1)``,
    ``beta_rf = 2(d+2)/(d-1)``, ``beta_feature = (d+2)/(d-1) = 1 + 3/(d-1)``.
    At ``2 nu_t = alpha`` the error carries an extra ``log n`` factor. Components of the target of
    odd degree k >= 3 are invisible to all three bias-free predictors (mu_k = 0) and give an
    n-independent floor that this exponent does not describe (theory/README.md, section 5).

    Examples
    --------
    >>> beta(3, float("inf"), "lazy"), beta(3, float("inf"), "feature")
    (3.0, 2.5)
    """
    d = check_d(d)
    nu = check_nu(nu_t)
    regime = check_regime(regime)
    a = alpha(d, regime, power)
    return min(2.0 * nu, a) / (d - 1)


def crossover(d, power=1, regime="lazy"):
    """Target smoothness above which the kernel regime beats the feature regime.

    ``beta_kernel > beta_feature`` iff ``2 nu_t > alpha_feature`` and ``alpha_kernel > alpha_feature``,
    so the crossover is ``nu_t* = (d + 2 power)/2`` when ``alpha_kernel > alpha_feature`` and ``inf``
    (the kernel never wins) otherwise. For the NTK (``regime="lazy"``) the condition is
    ``d + 2 power > 4``: with ReLU, ``nu_t* = (d+2)/2`` for d >= 3 and ``inf`` for d = 2 (both
    exponents saturate at 4). For random features (``regime="rf"``) it always holds.

    Parameters
    ----------
    d : int
        Ambient dimension, >= 2.
    power : float
        Exponent of the activation relu(t)^power.
    regime : {"lazy", "rf"}
        The kernel regime compared with the feature regime.

    Returns
    -------
    float
        ``nu_t*`` (``inf`` if the kernel regime never has the larger exponent).
    """
    d = check_d(d)
    if regime not in ("lazy", "rf"):
        raise ValueError(f"regime must be 'lazy' or 'rf' (the kernel regime compared with 'feature'), got {regime!r}")
    a_kernel = alpha(d, regime, power)
    a_feature = alpha(d, "feature", power)
    return a_feature / 2.0 if a_kernel > a_feature else math.inf


def nu_from_teacher(activation, a):
    """Smoothness ``nu_t`` of the Gaussian field of an infinitely wide teacher network.

    The teacher ``f*(x) = H^(-1/2) sum_h w_h sigma(theta_h . x)`` with Gaussian ``theta_h, w_h`` tends
    as ``H -> inf`` to a Gaussian field with covariance ``E_theta[sigma(theta.x) sigma(theta.y)]``,
    whose per-harmonic variances are ``prop. to mu_k(sigma)^2 ~ k^(-(d + 2a))``. Matching
    ``k^(-2 nu_t - (d-1))`` gives ``nu_t = a + 1/2`` whatever d.

    Parameters
    ----------
    activation : {"abs", "relu"}
        ``"abs"``: ``sigma(t) = |t|^a`` (even field; polynomial, hence ``nu_t = inf``, when a is an even
        integer, including a = 0); ``"relu"``: sigma(t) = max(t, 0)^a (never a polynomial).
    a : float
        Exponent, >= 0.

    Returns
    -------
    float
    """
    if not isinstance(activation, str) or activation not in TEACHER_ACTIVATIONS:
        raise ValueError(f"activation must be one of {TEACHER_ACTIVATIONS}, got {activation!r}")
    a = check_power(a, "a", strict=False)
    if activation == "abs" and _is_even_integer(a):
        return math.inf
    return a + 0.5


def decay_exponent(mu, kmin, kmax, *, parity_tol=1e-6, correction=True):
    """Fit the decay exponent ``s`` of a computed spectrum, ``|mu_k| ~ C k^(-s)`` for kmin <= k <= kmax.

    Least squares of ``log|mu_k|`` on ``log k`` (plus ``1/k`` when ``correction``: spectra of the
    named kernels are Gamma-function ratios, ``C k^(-s) (1 + b/k + O(k^-2))``, and the ``b/k`` term
    otherwise biases a plain log-log slope by ~ b/k, e.g. 0.07 for the d = 10 NTK on [200, 2000]). Degrees where the spectrum vanishes by parity are
    skipped: a whole parity class is dropped when its median ``|mu_k|`` is below ``parity_tol``
    times the other class's median (exact or round-off zeros), and individual exact zeros are
    dropped. When both parity classes remain, they share the slope but get their own intercept
    (e.g. different constants on even and odd k), so the alternation does not bias the slope.

    Parameters
    ----------
    mu : array_like, shape (K,)
        Spectrum indexed by degree, ``mu[k] = mu_k`` (signs are ignored).
    kmin, kmax : int
        Fit range, ``1 <= kmin < kmax <= K - 1``.
    parity_tol : float
        Relative size below which a parity class counts as zero.
    correction : bool
        Fit the ``1/k`` correction too (default); ``False`` gives the plain log-log slope.

    Returns
    -------
    float
        ``s`` (positive for a decaying spectrum). Compare with :func:`asymptotic_exponent`.
    """
    arr = np.asarray(mu)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"mu must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"mu must be 1-D (one value per degree), got shape {arr.shape}")
    arr = np.abs(arr.astype(np.float64))
    for name, v in (("kmin", kmin), ("kmax", kmax)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {v!r}")
    if not 1 <= kmin < kmax <= arr.size - 1:
        raise ValueError(f"need 1 <= kmin < kmax <= len(mu) - 1 = {arr.size - 1}, got kmin={kmin}, kmax={kmax}")
    tol = check_real(parity_tol, "parity_tol", minimum=0.0)
    k = np.arange(kmin, kmax + 1)
    m = arr[kmin:kmax + 1]
    if not np.all(np.isfinite(m)):
        raise ValueError("mu contains NaN or inf in [kmin, kmax]")
    even = k % 2 == 0
    med_e = np.median(m[even]) if even.any() else 0.0
    med_o = np.median(m[~even]) if (~even).any() else 0.0
    keep = m > 0
    if med_o <= tol * med_e:
        keep &= even
    elif med_e <= tol * med_o:
        keep &= ~even
    if keep.sum() < 2:
        raise ValueError(f"mu has fewer than 2 nonzero values in [{kmin}, {kmax}] to fit")
    k, m, even = k[keep], m[keep], even[keep]
    cols = [np.log(k)]
    if correction:
        if k.size < 4:
            raise ValueError("the fit with correction=True needs at least 4 nonzero values in [kmin, kmax]")
        cols.append(1.0 / k)
    if even.all() or (~even).all():
        cols.append(np.ones(k.size))
    else:
        cols += [even.astype(float), (~even).astype(float)]
    A = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(A, np.log(m), rcond=None)
    return float(-coef[0])
