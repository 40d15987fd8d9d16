r"""Funk–Hecke eigenvalues (spectra) of dot-product functions on the sphere S^{d-1}.

Convention (docs/CONVENTIONS.md), used by every function here: for a function phi on [-1, 1],

    phi(t) = sum_k mu_k N(k, d) P_k(t),      mu_k = E[phi(x.y) P_k(x.y)],

with x, y independent and uniform on S^{d-1}, ``P_k(t) = C_k^{(d-2)/2}(t) / C_k^{(d-2)/2}(1)`` (so
P_k(1) = 1) and N(k, d) the dimension of the degree-k spherical harmonics. ``t = x.y`` has density
``w_d(t) = (1 - t^2)^{(d-3)/2} / B(1/2, (d-1)/2)`` on [-1, 1]. By the Funk–Hecke formula (with the uniform
*probability* measure sigma), ``int phi(x.y) Y_k(y) dsigma(y) = mu_k Y_k(x)`` for every degree-k spherical
harmonic Y_k, so mu_k is the Mercer eigenvalue of the kernel phi(x.y), with multiplicity N(k, d).

Public functions
----------------
eigenvalues(phi, d, kmax, breakpoints=())   any vectorised callable, by graded Gauss quadrature
relu(d, kmax, power=1.0)                    max(t, 0)^a, closed form (a = 0: the step function)
abs_power(d, kmax, a)                       ``|t|^a``, closed form
arccos(d, kmax, degree)                     arc-cosine kernels kappa_n (ReLU^n random features), closed form
ntk(d, kmax)                                one-hidden-layer ReLU NTK Theta = kappa_1 + t kappa_0, closed form
reference(phi, d, k, dps=50, breakpoints=())  one mu_k with mpmath (the oracle of the tests)

The closed forms rest on (Gradshteyn & Ryzhik 7.311.3 / DLMF 18.17, written for P_k(1) = 1)

    E[max(t, 0)^a P_k(t)] = Gamma(d/2) Gamma(a+1) / (2^{a+1} Gamma((a+k+d)/2) Gamma((a+2-k)/2)),

evaluated in log-gamma space with the reflection formula for the last factor, so nothing overflows for
any d >= 2 and k, and coefficients that vanish by parity (1/Gamma at a non-positive integer) are exact
zeros. They live in ``spherekern/_spectrum_closed.py``; this module holds the generic quadrature and the
mpmath oracle and re-exports them.
"""
from __future__ import annotations

import functools
import math

import mpmath
import numba as nb
import numpy as np
from scipy.special import roots_jacobi

from ._spectrum_closed import MAX_POWER, abs_power, arccos, ntk, relu  # noqa: F401 (public here)
from ._validate import as_array, as_ndarray, check_d, check_int, check_kmax
from .gegenbauer import _table_kernel, quadrature

__all__ = ["eigenvalues", "relu", "abs_power", "arccos", "ntk", "reference"]

# ----------------------------------------------------------------------------------------------
# generic eigenvalues by graded Gauss quadrature
# ----------------------------------------------------------------------------------------------
_SIGMA = 0.1     # geometric grading ratio towards every piece end (Schwab's hp rule uses 0.1 to 0.2)
_LEVELS = 17     # sigma^17 = 1e-17: the last interval is below the resolution of float64 t
_NLAST = 24      # nodes on the innermost interval (its mass is at most ~(1e-17 L)^{min(1, (d-1)/2)})
#: most memory eigenvalues' table block may take (1 GiB)
_MAX_TABLE_BYTES = 2**30
_CHUNK = 2048    # nodes per table block in the projection (bounded memory: (kmax + 1) * _CHUNK floats)
_REF_PER_SEGMENT = 8  # reference(): about k / this many segments on [0, pi] (each ~this/2 oscillations of P_k)


def _check_breakpoints(breakpoints) -> tuple:
    if breakpoints is None:
        return ()
    arr = as_ndarray(breakpoints, "breakpoints")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"breakpoints must be a sequence of real numbers in (-1, 1), got dtype {arr.dtype}")
    arr = as_array(arr, "breakpoints", ndim=1)
    bad = (arr <= -1.0) | (arr >= 1.0)
    if np.any(bad):
        raise ValueError("breakpoints must lie strictly inside (-1, 1) (the ends +-1 are always treated as "
                         f"possible singularities), got {arr[bad][0]!r}")
    return tuple(float(b) for b in np.unique(arr))


@nb.njit(parallel=True, cache=True, nogil=True)
def _cos_table_kernel(theta, kmax, out):
    """out[k, i] = cos(k theta[i]) = T_k(cos theta[i]), the d = 2 Legendre polynomials."""
    for i in nb.prange(theta.shape[0]):
        th = theta[i]
        for k in range(kmax + 1):
            out[k, i] = math.cos(k * th)


@functools.lru_cache(maxsize=None)
def _gauss_legendre(n: int):
    """Gauss–Legendre rule on [-1, 1] (weights sum to 2) from gegenbauer.quadrature(n, 3), accurate to
    ~1e-16 (scipy's roots_legendre weights are off by ~1e-14 already at n = 60)."""
    x, w = quadrature(n, 3)
    return x, 2.0 * w


_ELLIPSE = np.exp(1j * np.linspace(0.0, 2.0 * np.pi, 96, endpoint=False))
_RHOS = 1.0 + np.geomspace(0.02, 0.85, 24)     # candidate Bernstein-ellipse parameters (< rho_g = 1.925)


def _nodes_for(kmax: int, nu: float, logB: float, anchor: float, sgn: float, sc, r):
    """Gauss–Legendre points needed on the intervals t = anchor + sgn (sc +- r) for an absolute error
    ~1e-17 * max|phi| on P_k(t) (1 - t^2)^nu / B phi(t), k <= kmax, with phi analytic inside the interval's
    Bernstein ellipse E_rho, rho < rho_g = 1.925 (the grading keeps the piece end at that distance).

    P_k is bounded by 1 on [-1, 1], hence by R^k on the ellipse E_R of [-1, 1] through a point w (sum of
    distances to +-1 = R + 1/R); the weight is bounded by G = max |1 - w^2|^nu / B on E_rho; so the error of
    the degree-N Chebyshev truncation on the interval is <~ r R^k G rho^-N, and a Gauss rule with
    (N + 1)/2 points is that accurate. Minimise N over rho (plus a safety margin)."""
    sc = np.asarray(sc, dtype=np.float64)[:, None, None]
    r = np.asarray(r, dtype=np.float64)[:, None, None]
    rho = _RHOS[None, :, None]
    zeta = 0.5 * (rho * _ELLIPSE[None, None, :] + 1.0 / (rho * _ELLIPSE[None, None, :]))
    off = sgn * (sc + r * zeta)                      # w - anchor, without cancellation near +-1
    omw = np.abs((1.0 - anchor) - off)               # |1 - w|
    opw = np.abs((1.0 + anchor) + off)               # |1 + w|
    A = 0.5 * (omw + opw)
    logR = np.arccosh(np.maximum(A, 1.0)).max(axis=2)
    with np.errstate(divide="ignore"):
        logG = (nu * (np.log(omw) + np.log(opw))).max(axis=2) - logB
    logE = kmax * logR + logG + np.log(r[:, :, 0]) + 17.0 * math.log(10.0)
    N = np.maximum(logE, 0.0) / np.log(_RHOS)[None, :]
    N = N.min(axis=1) + 16.0                         # safety margin
    return np.ceil(0.5 * (N + 1.0)).astype(np.int64)


@functools.lru_cache(maxsize=None)
def _log_beta(d: int) -> float:
    """log B(1/2, (d-1)/2), the normaliser of w_d (mpmath: scipy's betaln loses ~1e-13 at d = 1000)."""
    with mpmath.workdps(30):
        return float(mpmath.log(mpmath.beta(mpmath.mpf(1) / 2, mpmath.mpf(d - 1) / 2)))


def _log1mt2(anchor, sgn, s):
    """log(1 - t^2) at t = anchor + sgn s, to a few ulps *absolute* error even where it is tiny (the weight
    is exp(nu log(1 - t^2)) with nu up to hundreds): log1p(-t^2) for |t| < 1/2, else (1 - t)(1 + t) from
    the exactly known distance s to the anchor."""
    t = anchor + sgn * s
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.log(((1.0 - anchor) - sgn * s) * ((1.0 + anchor) + sgn * s))
        near = np.log1p(-t * t)
    return np.where(np.abs(t) < 0.5, near, far)


@functools.lru_cache(maxsize=32)
def _graded_rule(d: int, kmax: int, bps: tuple):
    """Nodes t and weights W (including the density w_d) of a composite rule on [-1, 1]: every piece between
    consecutive breakpoints is split at its midpoint and each half is graded geometrically (ratio _SIGMA)
    towards its piece end; the innermost interval at t = +-1 is a Gauss–Jacobi rule carrying (1 -+ t)^nu.
    Each graded interval gets the number of points the ellipse bound of _nodes_for asks for."""
    nu = 0.5 * (d - 3)
    xl, wl = _gauss_legendre(_NLAST)
    if nu <= 20.0:
        xj, wj = roots_jacobi(_NLAST, 0.0, nu)      # weight (1 + x)^nu on [-1, 1] (mass 2^(nu+1) / (nu+1))
        wj = wj * (2.0 ** (nu + 1.0) / (nu + 1.0) / wj.sum())
    logB = _log_beta(d)
    edges = (-1.0,) + bps + (1.0,)
    lev = _SIGMA ** np.arange(_LEVELS + 1)
    T, W, TH = [], [], []
    for a, b in zip(edges[:-1], edges[1:]):
        L = 0.5 * (b - a)
        for anchor, sgn in ((a, 1.0), (b, -1.0)):
            omt0, opt0 = 1.0 - anchor, 1.0 + anchor        # 1 - t = omt0 - sgn s, 1 + t = opt0 + sgn s
            # graded intervals s in [L sigma^(j+1), L sigma^j]
            hi, lo = L * lev[:-1], L * lev[1:]
            c, r = 0.5 * (hi + lo), 0.5 * (hi - lo)
            nj = _nodes_for(kmax, nu, logB, anchor, sgn, c, r)
            ss, wss = [], []
            for cj, rj, n in zip(c, r, nj):
                xg, wg = _gauss_legendre(int(n))
                ss.append(cj + rj * xg)
                wss.append(rj * wg)
            s = np.concatenate(ss)
            ws = np.concatenate(wss)
            h = L * lev[-1]
            if (omt0 == 0.0 or opt0 == 0.0) and nu <= 20.0:
                # innermost interval at t = +-1: s = h (1 + x) / 2, int s^nu g = (h/2)^(nu+1) sum wj g
                # (for nu > 20 its mass (1e-17)^(nu+1) is zero in float64: plain Legendre below)
                s_in = 0.5 * h * (1.0 + xj)
                other = 2.0 - s_in
                with np.errstate(divide="ignore", invalid="ignore"):
                    w_in = wj * np.exp((nu + 1.0) * math.log(0.5 * h) + nu * np.log(other) - logB)
            else:
                s_in = 0.5 * h * (1.0 + xl)
                w_in = 0.5 * h * wl * np.exp(nu * _log1mt2(anchor, sgn, s_in) - logB)
            wsg = ws * np.exp(nu * _log1mt2(anchor, sgn, s) - logB)
            for sv, wv in ((s, wsg), (s_in, w_in)):
                T.append(anchor + sgn * sv)
                W.append(wv)
                # arccos t from the distance s to the anchor (no loss near t = +-1, where d = 2 needs it)
                if omt0 == 0.0:
                    TH.append(2.0 * np.arcsin(np.sqrt(0.5 * sv)))
                elif opt0 == 0.0:
                    TH.append(np.pi - 2.0 * np.arcsin(np.sqrt(0.5 * sv)))
                else:
                    TH.append(np.arccos(np.clip(anchor + sgn * sv, -1.0, 1.0)))
    t = np.clip(np.concatenate(T), -1.0, 1.0)
    w = np.concatenate(W)
    th = np.concatenate(TH)
    w[~np.isfinite(w)] = 0.0     # underflow of (1 - t^2)^nu for huge d (zero mass anyway)
    for arr in (t, w, th):
        arr.setflags(write=False)
    return t, w, th


def _evaluate_phi(phi, t, name="phi"):
    if not callable(phi):
        raise TypeError(f"{name} must be a callable phi(t) on [-1, 1], got {type(phi).__name__}")
    vals = np.asarray(phi(t.copy()))
    if vals.dtype.kind not in "biuf":
        raise TypeError(f"{name}(t) must return real numbers, got dtype {vals.dtype}")
    if vals.shape != t.shape:
        raise ValueError(f"{name} must be vectorised: for a 1-D float64 array t it must return an array of the "
                         f"same shape {t.shape}, got shape {vals.shape} (wrap scalar code with np.vectorize)")
    vals = vals.astype(np.float64)
    bad = ~np.isfinite(vals)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"{name}(t) must be finite on [-1, 1], got {vals[i]!r} at t = {t[i]!r} "
                         "(eigenvalues needs a bounded phi)")
    return vals


def eigenvalues(phi, d, kmax, breakpoints=()) -> np.ndarray:
    r"""Funk–Hecke eigenvalues ``mu_k = E[phi(x.y) P_k(x.y)]``, k = 0..kmax, of any vectorised function phi.

    Convention: ``phi(t) = sum_k mu_k N(k, d) P_k(t)`` with x, y independent uniform on S^{d-1} and
    P_k(1) = 1, i.e. ``mu_k = int_{-1}^{1} phi(t) P_k(t) (1 - t^2)^{(d-3)/2} dt / B(1/2, (d-1)/2)``; the kernel
    phi(x.y) has Mercer eigenvalue mu_k with multiplicity N(k, d) (docs/CONVENTIONS.md).

    Method: [-1, 1] is split at the ``breakpoints``; each piece is halved and each half graded geometrically
    (ratio 0.1, 17 levels, down to ~1e-17 of the piece) towards its end. Every graded interval gets a
    Gauss–Legendre rule whose size comes from a Bernstein-ellipse bound for P_k (k <= kmax) times the weight
    (at most ~(kmax + 1)/2 + 40 points on the large intervals, a few dozen on the small ones near the ends);
    the innermost interval at t = +-1 is a Gauss–Jacobi rule carrying the factor (1 -+ t)^{(d-3)/2} exactly.
    This hp-graded rule converges exponentially for phi analytic on each piece, including kinks and jumps at
    the breakpoints and algebraic singularities such as ``|t - b|^0.3``, (1 - t)^0.3 or sqrt(1 - t^2) at the
    piece ends; +-1 are always treated as possible singularities. P_k comes from the stable recurrence of
    :func:`spherekern.gegenbauer.table` (``cos(k arccos t)`` with arccos t taken from the exact distance to
    +-1 when d = 2), in blocks of 2048 nodes. The rule is cached per (d, kmax, breakpoints); e.g. ~3400
    nodes and ~0.3 s for kmax = 2000 with one breakpoint.

    Accuracy: absolute error <= 1e-14 * max|phi| (tests/test_spectrum.py: relu, step, ``|t|^0.3``, relu^2.5,
    arc-cosine and NTK kernels for d = 2..200, k <= 300 (2000 in the slow tests), exp(t), (1 - t)^beta,
    several interior breakpoints). Because mu_k is a sum of terms of size ~max|phi| that cancel, *relative*
    accuracy on tiny high-degree coefficients (``|mu_k| << 1e-14 max|phi|``) is impossible in double precision;
    use the closed forms (:func:`relu`, :func:`abs_power`, :func:`arccos`, :func:`ntk`) or :func:`reference`
    (mpmath) for those. One limit of float64 input: for d = 2 the weight (1 - t^2)^{-1/2} puts mass ~sqrt(s)
    within s of +-1, where float64 t is spaced 1.1e-16, so if phi ~ (1 -+ t)^beta with beta < 1/2 there the
    error floor is a few 1e-14 * max|phi| (measured 2.3e-14 for (1 - t)^0.3).

    Parameters
    ----------
    phi : callable
        Vectorised: ``phi(t)`` for a 1-D float64 array t in [-1, 1] returns a real array of the same shape,
        finite everywhere. A kink, jump or singularity inside (-1, 1) must be listed in ``breakpoints``.
    d : int >= 2, ambient dimension
    kmax : int >= 0, largest degree
    breakpoints : sequence of floats in (-1, 1), optional
        Points where phi is not smooth (any order, duplicates ignored).

    Returns
    -------
    mu : float64 ndarray of shape (kmax + 1,)

    Examples
    --------
    >>> import numpy as np
    >>> mu = eigenvalues(lambda t: np.maximum(t, 0.0), 3, 4, breakpoints=[0.0])
    >>> np.allclose(mu, relu(3, 4), atol=1e-15)
    True
    """
    if not callable(phi):
        raise TypeError(f"phi must be a callable phi(t) on [-1, 1], got {type(phi).__name__}")
    d = check_d(d)
    kmax = check_kmax(kmax)
    bps = _check_breakpoints(breakpoints)
    if (kmax + 1) * _CHUNK * 8 > _MAX_TABLE_BYTES:
        raise ValueError(f"kmax must be <= {_MAX_TABLE_BYTES // (8 * _CHUNK) - 1}: the table block of (kmax + 1) x "
                         f"{_CHUNK} float64 would take {(kmax + 1) * _CHUNK * 8 / 2**30:.3g} GiB "
                         f"(and ~(kmax + 1)^2 / 2 = {(kmax + 1) ** 2 / 2:.2g} multiply-adds), got kmax = {kmax}")
    t, w, th = _graded_rule(d, kmax, bps)
    wf = w * _evaluate_phi(phi, t)
    mu = np.zeros(kmax + 1)
    buf = np.empty((kmax + 1, _CHUNK))
    for lo in range(0, t.shape[0], _CHUNK):
        hi = min(lo + _CHUNK, t.shape[0])
        if hi - lo == _CHUNK:
            tab = buf
        else:
            tab = np.empty((kmax + 1, hi - lo))
        if d == 2:
            # Chebyshev: cos(k theta) with theta accurate near t = +-1 (the weight is singular there)
            _cos_table_kernel(np.ascontiguousarray(th[lo:hi]), kmax, tab)
        else:
            _table_kernel(np.ascontiguousarray(t[lo:hi]), kmax, d, tab)
        mu += tab @ wf[lo:hi]
    return mu


# ----------------------------------------------------------------------------------------------
# mpmath reference
# ----------------------------------------------------------------------------------------------
def _mp_legendre_d(k, d, t):
    """P_k(t) of dimension d from mpmath's own special functions (hypergeometric series)."""
    if d == 2:
        return mpmath.chebyt(k, t)
    if d == 3:
        return mpmath.legendre(k, t)
    lam = mpmath.mpf(d - 2) / 2
    return mpmath.gegenbauer(k, lam, t) / mpmath.binomial(k + 2 * lam - 1, k)


def reference(phi, d, k, dps=50, breakpoints=()):
    r"""One Funk–Hecke eigenvalue ``mu_k = E[phi(x.y) P_k(x.y)]`` in multiple precision (mpmath): the oracle.

    Convention: ``phi(t) = sum_k mu_k N(k, d) P_k(t)`` (x, y uniform on S^{d-1}, P_k(1) = 1). Computed as

        mu_k = int_0^pi phi(cos th) P_k(cos th) sin(th)^{d-2} dth / B(1/2, (d-1)/2)

    with ``mpmath.quad`` on [0, pi] split at arccos of the breakpoints and into about k/8 + 1 equal
    sub-intervals (a few oscillations of P_k each; tanh-sinh on those touching a breakpoint or 0, pi, where
    phi may be singular, Gauss–Legendre on the others), P_k from ``mpmath.gegenbauer`` / ``legendre`` /
    ``chebyt`` (nothing shared with the float64 code), at ``dps + 10`` working digits. The quadrature error is
    absolute (~10^-work times max|integrand|), so when the integral cancels (tiny high-degree mu_k) the digits
    lost are measured and the integral is redone at ``dps + lost + 15`` digits (or, if only noise survived, at
    the floor precision below): the result has about ``dps`` correct significant digits whenever
    ``|mu_k| >= 10^-F max|integrand|`` with F = 30 + 2 log10(1 / B(d/2, (k+1)/2)) (e.g. F = 210 at d = 200,
    k = 500, enough for the arc-cosine kernels' 1e-188); smaller coefficients, in particular exact (parity)
    zeros, come out as a noise-level number below that floor. Cost grows like k and with the precision (seconds at
    k = 100, about 20 s at k = 500 with dps = 50); use it for tests, not in loops.

    Parameters
    ----------
    phi : callable
        Scalar function accepting an ``mpmath.mpf`` in [-1, 1] and returning an mpf (use mpmath functions).
    d : int >= 2
    k : int >= 0, the degree
    dps : int >= 15, decimal digits
    breakpoints : sequence of floats in (-1, 1), points where phi is not smooth

    Returns
    -------
    mpmath.mpf carrying the working precision (keep it at high precision with ``mpmath.workdps``; convert
    with ``float()`` if needed)
    """
    if not callable(phi):
        raise TypeError(f"phi must be a callable phi(t) accepting an mpmath.mpf, got {type(phi).__name__}")
    d = check_d(d)
    k = check_int(k, "k", 0)
    dps = check_int(dps, "dps", 15)
    bps = _check_breakpoints(breakpoints)
    # How small a coefficient is resolved: 30 digits plus twice the Gamma-ratio size B(d/2, (k+1)/2) that sets
    # the scale of mu_k for the kernels of interest (products of two relu^a spectra, e.g. 1e-188 for the
    # arc-cosine kernel at d = 200, k = 500); below that the result is reported at noise level (mu_k = 0).
    with mpmath.workdps(15):
        floor = 30 + 2 * float(-mpmath.log10(mpmath.beta(mpmath.mpf(d) / 2, mpmath.mpf(k + 1) / 2)))
    cap = int(dps + max(floor, 0) + 15)
    work = dps + 10
    for _ in range(6):
        with mpmath.workdps(work):
            res, scale = _reference_at(phi, d, k, bps)
            if mpmath.isnan(res) or mpmath.isnan(scale) or mpmath.isinf(res) or mpmath.isinf(scale):
                raise ValueError(f"phi must return finite values on [-1, 1]; the integral for k = {k} is {res} "
                                 "(phi returned NaN or inf somewhere)")
            if res == 0 or scale == 0:
                return mpmath.mpf(0)
            lost = float(mpmath.log10(scale / abs(res)))     # digits lost to cancellation
        if lost + dps + 5 <= work or work >= cap:
            return res          # dps significant digits, or |mu_k| below the resolved floor (noise ~ 0)
        # some digits survive: redo with just enough; only noise: jump to the floor
        work = min(cap, int(dps + lost + 15)) if lost < work - 8 else cap
    return res


def _reference_at(phi, d, k, bps):
    """(mu_k, largest sampled |integrand| / B) at the current mpmath precision."""
    ths = sorted({mpmath.mpf(0), +mpmath.pi} | {mpmath.acos(mpmath.mpf(b)) for b in bps})
    nseg = k // _REF_PER_SEGMENT + 1
    pts, ends = [], []
    for a, b in zip(ths[:-1], ths[1:]):
        m = max(1, int(mpmath.ceil(nseg * (b - a) / mpmath.pi)))
        pts += [a + (b - a) * j / m for j in range(m)]
        ends += [j == 0 or j == m - 1 for j in range(m)]
    pts.append(ths[-1])

    def f(th):
        c = mpmath.cos(th)
        return mpmath.mpf(phi(c)) * _mp_legendre_d(k, d, c) * mpmath.sin(th) ** (d - 2)

    scale = max(abs(f((a + b) / 2)) for a, b in zip(pts[:-1], pts[1:]))
    scale = max(scale, abs(f(pts[0] + (pts[1] - pts[0]) / 7)))
    norm = mpmath.beta(mpmath.mpf(1) / 2, mpmath.mpf(d - 1) / 2)
    if scale == 0:
        return mpmath.mpf(0), mpmath.mpf(0)
    g = lambda th: f(th) / scale   # noqa: E731
    # tanh-sinh on segments touching a breakpoint or +-1 (endpoint singularities of phi), Gauss–Legendre
    # on the interior ones (there the integrand is analytic: faster convergence)
    val = mpmath.fsum(mpmath.quad(g, [a, b], method="tanh-sinh" if e else "gauss-legendre")
                      for a, b, e in zip(pts[:-1], pts[1:], ends))
    return val * scale / norm, scale / norm
