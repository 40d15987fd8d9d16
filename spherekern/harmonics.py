r"""Real spherical harmonics on S^{d-1} for any d >= 2, projections and the per-degree test error.

Convention (docs/CONVENTIONS.md): ``d`` is the ambient dimension, averages use the uniform
*probability* measure sigma on S^{d-1}, ``P_k(1) = 1``, and ``N(k, d) = sphere.harmonic_dim(k, d)``.

Basis
-----
Hyperspherical coordinates. For x in S^{d-1} let ``r_j = |(x_1, ..., x_{d-j})|`` (so r_0 = |x| = 1) and,
for the polar levels j = 0..d-3, ``t_j = x_{d-j} / r_j`` and ``s_j = r_{j+1} / r_j = sqrt(1 - t_j^2)``;
the azimuth phi is the angle of ``(x_1, x_2) / r_{d-2}``. The basis functions are indexed by a chain

    k = m_0 >= m_1 >= ... >= m_{d-3} >= |m_{d-2}|,   m_{d-2} signed,

and are the products (Vilenkin 1968, ch. IX; Avery 1989; Higuchi 1987)

    Y_{k,l}(x) = prod_{j=0}^{d-3} Abar^{(d-j)}_{m_j, |m_{j+1}|}(t_j) * e_{m_{d-2}}(phi),

with ``e_0 = 1``, ``e_m = sqrt(2) cos(m phi)`` (m > 0), ``e_m = sqrt(2) sin(|m| phi)`` (m < 0), and the
normalised associated Gegenbauer functions of dimension D (Gegenbauer parameter mu = m + (D-2)/2)

    Abar^{(D)}_{k,m}(t) = c^{(D)}_m (1 - t^2)^{m/2} q^{(mu)}_{k-m}(t),
    c^{(D)}_m = sqrt( prod_{i=0}^{m-1} (2i + D) / (2i + D - 1) ),

where q^{(mu)}_n are the orthonormal polynomials (positive leading coefficient) of the probability
density proportional to ``(1 - t^2)^{mu - 1/2}``. Then ``E[Abar_{k,m} Abar_{k',m}] = delta_kk'`` for
the law ``w_D(t)`` of a coordinate on S^{D-1}, and the Y_{k,l} are orthonormal in L^2(sigma).
For d = 3, ``Y_{k,0} = sqrt(2k+1) P_k(cos theta)``, and for m != 0 the Y are sqrt(4 pi) times the
usual real spherical harmonics *without* the Condon–Shortley phase (theta = polar angle from x_3).

**Ordering** (recursive): the degree-k block on S^{d-1} is the concatenation, for m_1 = 0, 1, ..., k,
of the degree-m_1 blocks on S^{d-2} (times ``Abar^{(d)}_{k,m_1}(x_d)``); on the circle S^1 the degree-m
block is ``[1]`` for m = 0 and ``[sqrt(2) cos(m phi), sqrt(2) sin(m phi)]`` for m >= 1. Equivalently the
chains are in lexicographic order of (m_1, ..., m_{d-3}, |m_{d-2}|), cosine (m_{d-2} > 0) before sine.
For d = 3: l = 0, 1, 2, 3, 4, ... is m = 0, +1, -1, +2, -2, ...

Stability: no factorials; ``c_m (1 - t^2)^{m/2}`` is built by a product of factors <= sqrt(2) * s and
``q_n`` by the three-term recurrence of orthonormal polynomials
``t q_n = a_{n+1} q_{n+1} + a_n q_{n-1}``, ``a_n^2 = n (n + 2 mu - 1) / (4 (n + mu)(n + mu - 1))``,
which is forward-stable on [-1, 1]. Measured (vs mpmath): addition theorem |sum_l Y Y / N - P_k| <= 2e-13 at
k = 200 and 4e-13 at k = 500 (d = 3), <= 3e-14 for d = 4, 5 at k = 60 and d = 8 at k = 30. The
diagonal underflows (to 0) only where the true value is below ~1e-300 (safe for k <~ 1500).

Public functions
----------------
basis_size(k, d)                          N(k, d)
real_basis(X, k, out=None)                (len(X), N(k, d)) values of Y_{k,l} at the rows of X
product_rule(d, degree, max_nodes)        nodes, weights of the product Gauss rule exact to ``degree``
project(f, d, kmax, exact_degree, ...)    [f_{k,l}] for k = 0..kmax (list of arrays by degree)
synthesize(coefs, X)                      sum_{k,l} f_{k,l} Y_{k,l}(x) at the rows of X
degree_power(coefs)                       sum_l f_{k,l}^2 per k
degree_error(predictor, target, d, kmax)  per-degree power of (f - f*) and the residual above kmax
estimate_kc(err, n=None, threshold=0.5)   crossover degree k_c measured from that split, and the ansatz's
ansatz_kc(n, d)                           smallest k_c with sum_{k<k_c} N(k, d) >= n

References
----------
N. Ja. Vilenkin, *Special Functions and the Theory of Group Representations*, AMS (1968), ch. IX.
J. Avery, *Hyperspherical Harmonics*, Kluwer (1989).
A. Higuchi, J. Math. Phys. 28, 1553 (1987).
K. Atkinson & W. Han, *Spherical Harmonics and Approximations on the Unit Sphere*, LNM 2044 (2012),
sec. 2.11 (bases) and 5.1 (product Gauss rules).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numba as nb
import numpy as np

from . import gegenbauer
from ._validate import as_points, as_rng, check_d, check_int, check_kmax, check_real
from .sphere import harmonic_dim, uniform

__all__ = ["basis_size", "real_basis", "product_rule", "project", "synthesize", "degree_power",
           "degree_error", "DegreeError", "estimate_kc", "KcEstimate", "ansatz_kc", "MAX_NODES"]

#: Default cap on the number of nodes of the product rule used by ``project``/``degree_error``
#: (the rule has (degree//2 + 1)^(d-2) * (degree + 1) nodes; f is evaluated at every node).
MAX_NODES = 4_000_000
#: Nodes evaluated per call of the user's function (bounds the memory of the node coordinates).
_CHUNK = 1 << 16
_BLK = 16  # points per block in the basis kernel (one set of scratch tables per block)
_SQRT2 = math.sqrt(2.0)
#: Degrees whose target power is below this fraction of the total are treated as empty (no relative error).
_ZERO_RTOL = 1e-12


# ----------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------
#: most entries real_basis allocates by itself (8 bytes each: 2 GiB)
_MAX_BASIS_ENTRIES = 2**28
#: most steps of the degree loop in ansatz_kc
_MAX_KC_STEPS = 10**7


def _acoef(kmax: int, d: int) -> np.ndarray:
    """a[mu2, n] = a_n^{(mu)} with mu2 = 2 mu, for mu2 = 0..2 kmax + d - 1 and n = 0..kmax + 1
    (entries that are never used, n = 0 or mu2 = 0, are set to 1)."""
    mu2 = np.arange(2 * kmax + d, dtype=np.float64)[:, None]
    n = np.arange(kmax + 2, dtype=np.float64)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.sqrt(n * (n + mu2 - 1.0) / ((2.0 * n + mu2) * (2.0 * n + mu2 - 2.0)))
    a[:, 0] = 1.0
    a[0, :] = 1.0
    return np.ascontiguousarray(a)


@nb.njit(cache=True, nogil=True)
def _assoc_row(t, s, k, D, acoef, row):
    """row[m] = Abar^{(D)}_{k,m}(t) for m = 0..k (D >= 3, s = sqrt(1 - t^2))."""
    diag = 1.0
    for m in range(k + 1):
        if m > 0:
            diag *= math.sqrt((2.0 * m - 2.0 + D) / (2.0 * m - 3.0 + D)) * s
        if diag == 0.0:
            for mm in range(m, k + 1):
                row[mm] = 0.0
            return
        if m == k:
            row[m] = diag
            continue
        a = acoef[2 * m + D - 2]
        qm1 = diag
        q = t * diag / a[1]
        for n in range(1, k - m):
            qn = (t * q - a[n] * qm1) / a[n + 1]
            qm1 = q
            q = qn
        row[m] = q


@nb.njit(cache=True, nogil=True)
def _assoc_tri(t, s, kmax, D, acoef, tri):
    """tri[k, m] = Abar^{(D)}_{k,m}(t) for 0 <= m <= k <= kmax (entries m > k untouched)."""
    diag = 1.0
    for m in range(kmax + 1):
        if m > 0:
            diag *= math.sqrt((2.0 * m - 2.0 + D) / (2.0 * m - 3.0 + D)) * s
        if diag == 0.0:
            for mm in range(m, kmax + 1):
                for kk in range(mm, kmax + 1):
                    tri[kk, mm] = 0.0
            return
        tri[m, m] = diag
        if m == kmax:
            continue
        a = acoef[2 * m + D - 2]
        qm1 = diag
        q = t * diag / a[1]
        tri[m + 1, m] = q
        for n in range(1, kmax - m):
            qn = (t * q - a[n] * qm1) / a[n + 1]
            qm1 = q
            q = qn
            tri[m + n + 1, m] = q


@nb.njit(cache=True, nogil=True)
def _azimuth(c, s, k, az):
    """az[0] = 1, az[2p-1] = sqrt2 cos(p phi), az[2p] = sqrt2 sin(p phi), p = 1..k (c, s = cos, sin phi)."""
    az[0] = 1.0
    cp = 1.0
    sp = 0.0
    for p in range(1, k + 1):
        cn = cp * c - sp * s
        sp = sp * c + cp * s
        cp = cn
        az[2 * p - 1] = _SQRT2 * cp
        az[2 * p] = _SQRT2 * sp


@nb.njit(cache=True, nogil=True)
def _coords(x, rr, tt, ss):
    """Hyperspherical coordinates of x (length d): tt[j], ss[j] for the polar levels j = 0..d-3,
    and (cos phi, sin phi) returned. Degenerate radii (0) give t = 1, s = 0, phi = 0."""
    d = x.shape[0]
    L = d - 2
    acc = x[0] * x[0]
    for c in range(1, d):
        acc += x[c] * x[c]
        rr[d - 1 - c] = math.sqrt(acc)  # r_j = |x[0 .. d-1-j]|, j = d-1-c
    for j in range(L):
        if rr[j] > 0.0:
            t = x[d - 1 - j] / rr[j]
            s = rr[j + 1] / rr[j]
            tt[j] = min(1.0, max(-1.0, t))
            ss[j] = min(1.0, s)
        else:
            tt[j] = 1.0
            ss[j] = 0.0
    if rr[L] > 0.0:
        return x[0] / rr[L], x[1] / rr[L]
    return 1.0, 0.0


@nb.njit(parallel=True, cache=True, nogil=True)
def _basis_kernel(X, k, acoef, out):
    """out[i, l] = Y_{k,l}(X[i] / |X[i]|) in the documented order (d >= 2)."""
    n, d = X.shape
    N = out.shape[1]
    L = d - 2
    nblk = (n + _BLK - 1) // _BLK
    for b in nb.prange(nblk):
        lo = b * _BLK
        hi = min(n, lo + _BLK)
        rr = np.empty(L + 1)
        tt = np.empty(max(L, 1))
        ss = np.empty(max(L, 1))
        az = np.empty(2 * k + 1)
        row0 = np.empty(k + 1)
        tri = np.empty((max(L - 1, 0), k + 1, k + 1))
        idx = np.zeros(max(L, 1), dtype=np.int64)
        for i in range(lo, hi):
            x = X[i]
            if L == 0:  # the circle
                r = math.sqrt(x[0] * x[0] + x[1] * x[1])
                c = 1.0
                s = 0.0
                if r > 0.0:
                    c = x[0] / r
                    s = x[1] / r
                _azimuth(c, s, k, az)
                if k == 0:
                    out[i, 0] = 1.0
                else:
                    out[i, 0] = az[2 * k - 1]
                    out[i, 1] = az[2 * k]
                continue
            c, s = _coords(x, rr, tt, ss)
            _assoc_row(tt[0], ss[0], k, d, acoef, row0)
            for j in range(1, L):
                _assoc_tri(tt[j], ss[j], k, d - j, acoef, tri[j - 1])
            _azimuth(c, s, k, az)
            # odometer over the chains k = idx[0] >= idx[1] >= ... >= idx[L-1] >= |m_L|, with the
            # signed last index as a counter cnt = 0, 1, 2, ... <-> m = 0, +1, -1, +2, -2, ...
            idx[0] = k
            for j in range(1, L):
                idx[j] = 0
            cnt = 0
            for l in range(N):
                mL = (cnt + 1) // 2
                if L == 1:
                    v = row0[mL]
                else:
                    v = row0[idx[1]]
                    for j in range(1, L - 1):
                        v *= tri[j - 1, idx[j], idx[j + 1]]
                    v *= tri[L - 2, idx[L - 1], mL]
                out[i, l] = v * az[cnt]
                if cnt < 2 * idx[L - 1]:
                    cnt += 1
                else:
                    p = L - 1
                    while p >= 1 and idx[p] == idx[p - 1]:
                        p -= 1
                    if p == 0:
                        break
                    idx[p] += 1
                    for j in range(p + 1, L):
                        idx[j] = 0
                    cnt = 0


@nb.njit(parallel=True, cache=True, nogil=True)
def _assoc_table_kernel(t, kmax, D, acoef, out):
    """out[i, k, m] = Abar^{(D)}_{k,m}(t[i]) for m <= k <= kmax (zeros above the diagonal)."""
    for i in nb.prange(t.shape[0]):
        ti = t[i]
        si = math.sqrt((1.0 - ti) * (1.0 + ti))
        out[i, :, :] = 0.0
        _assoc_tri(ti, si, kmax, D, acoef, out[i])


# ----------------------------------------------------------------------------------------------
# basis
# ----------------------------------------------------------------------------------------------
def basis_size(k, d) -> int:
    """N(k, d), the number of degree-k real spherical harmonics on S^{d-1} (``sphere.harmonic_dim``)."""
    d = check_d(d)
    k = check_int(k, "k", 0)
    return int(harmonic_dim(k, d))


def real_basis(X, k, out=None) -> np.ndarray:
    r"""Values of the real orthonormal degree-k spherical harmonics Y_{k,l} at the rows of X.

    ``E_x[Y_{k,l}(x) Y_{k',l'}(x)] = delta_{kk'} delta_{ll'}`` for the uniform probability measure on
    S^{d-1}, and ``sum_l Y_{k,l}(x) Y_{k,l}(y) = N(k, d) P_k(x.y)`` (addition theorem, P_k(1) = 1).
    Construction, coordinates and ordering of l: see the module docstring (hyperspherical
    coordinates with polar angles measured from x_d, x_{d-1}, ..., azimuth in the (x_1, x_2) plane;
    for d = 3, l = 0, 1, 2, ... is m = 0, +1, -1, +2, -2, ... with cos for m > 0, sin for m < 0,
    no Condon–Shortley phase).

    Parameters
    ----------
    X : array (n, d), rows on S^{d-1} (unit norm to ``config.SPHERE_TOL``). The harmonics are
        evaluated at ``X[i] / |X[i]|`` (the computation uses ratios of partial norms).
    k : int >= 0, the degree.
    out : optional float64 C-contiguous array (n, N(k, d)) to fill.

    Returns
    -------
    ndarray (n, N(k, d)), float64.

    Notes
    -----
    Cost per point: O((d - 2) k^2) for the associated-function tables plus O(d N(k, d)) for the
    products; N(k, d) grows like 2 k^{d-2} / (d-2)!, e.g. N(60, 8) = 1.7e8 (1.4 GB per point).

    Examples
    --------
    >>> Y = real_basis(np.array([[0.0, 0.0, 1.0]]), 1)   # d = 3: [sqrt3 z, sqrt3 x, sqrt3 y]
    """
    X0 = X
    X = as_points(X, "X")
    k = check_int(k, "k", 0)
    n, d = X.shape
    N = int(harmonic_dim(k, d))
    if out is None:
        if n * N > _MAX_BASIS_ENTRIES:
            raise ValueError(f"real_basis(X, k={k}): the output would have n N(k, d) = {n} * {N} = {n * N:.3g} "
                             f"entries ({8 * n * N / 2**30:.3g} GiB), more than {_MAX_BASIS_ENTRIES:.0e}")
        out = np.empty((n, N))
    else:
        from ._validate import check_no_overlap, check_out
        out = check_out(out, (n, N), np.float64)
        check_no_overlap(out, "out", X=X0)
    if n == 0:
        return out
    _basis_kernel(X, k, _acoef(k, d), out)
    return out


# ----------------------------------------------------------------------------------------------
# product Gauss rule and the separated transform
# ----------------------------------------------------------------------------------------------
def _rule_sizes(d: int, degree: int):
    m = degree // 2 + 1          # Gauss rule with m nodes is exact to degree 2m - 1 >= degree
    M = degree + 1               # trapezoid with M points: exact for trig. polynomials of degree < M
    return m, M, m ** (d - 2) * M


def _check_rule(d, degree, max_nodes, what):
    m, M, nodes = _rule_sizes(d, degree)
    if nodes > max_nodes:
        raise ValueError(
            f"{what}: the product rule on S^{d - 1} exact to degree {degree} has "
            f"({m})^{d - 2} x {M} = {nodes} nodes > max_nodes = {max_nodes}; lower kmax/exact_degree or raise "
            f"max_nodes (cost grows like (degree/2)^(d-2) * degree)")
    return m, M, nodes


def _polar_rules(d, m):
    """Gauss rules (t, s, w) for the polar levels, dimension D = d, d-1, ..., 3."""
    rules = []
    for D in range(d, 2, -1):
        t, w = gegenbauer.quadrature(m, D)
        rules.append((t, np.sqrt((1.0 - t) * (1.0 + t)), w))
    return rules


def _nodes_chunk(rules, M, lo, hi, d):
    """Coordinates (hi - lo, d) and weights of the product-rule nodes with flat indices lo..hi-1
    (C order over (i_0, ..., i_{d-3}, i_phi), i_0 = the x_d level)."""
    m = rules[0][0].shape[0] if rules else 1
    shape = (m,) * (d - 2) + (M,)
    flat = np.arange(lo, hi)
    ii = np.unravel_index(flat, shape)
    X = np.empty((hi - lo, d))
    w = np.full(hi - lo, 1.0 / M)
    r = np.ones(hi - lo)
    for j, (t, s, wt) in enumerate(rules):
        X[:, d - 1 - j] = r * t[ii[j]]
        r = r * s[ii[j]]
        w = w * wt[ii[j]]
    phi = (2.0 * np.pi / M) * ii[d - 2]
    X[:, 0] = r * np.cos(phi)
    X[:, 1] = r * np.sin(phi)
    return X, w


def product_rule(d, degree, max_nodes=MAX_NODES):
    r"""Product Gauss rule on S^{d-1} exact for polynomials of degree <= ``degree``.

    In the hyperspherical coordinates of the module docstring, an ``m = degree//2 + 1``-point Gauss rule
    for the law ``w_D`` of ``t_j`` at each polar level (D = d, ..., 3; ``gegenbauer.quadrature``) and
    ``M = degree + 1`` equispaced azimuths. Since a polynomial of degree p restricted to the sphere is,
    at each level, a polynomial of degree <= p in t_j times a polynomial of degree <= p on the smaller
    sphere, the rule integrates it exactly (Atkinson & Han 2012, sec. 5.1). Weights sum to 1
    (probability measure).

    Returns
    -------
    X : (n_nodes, d) nodes, n_nodes = m^(d-2) * M; w : (n_nodes,) positive weights.
    """
    d = check_d(d)
    degree = check_int(degree, "degree", 0)
    max_nodes = check_int(max_nodes, "max_nodes", 1)
    m, M, nodes = _check_rule(d, degree, max_nodes, "product_rule")
    return _nodes_chunk(_polar_rules(d, m), M, 0, nodes, d)


def _offsets(sizes):
    off = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    return off


def _analysis(F, D, K, rules, M):
    """Separated transform. F: (n_outer, G_D) *unweighted* samples on the product grid of S^{D-1}
    (C order; the weights are applied level by level);
    returns (n_outer, sum_{k<=K} N(k, D)) with the rule's inner products <F, Y_{k,l}> in the flat
    order (degree blocks k = 0..K, each in the documented order)."""
    n_outer = F.shape[0]
    if D == 2:
        phi = (2.0 * np.pi / M) * np.arange(M)
        E = np.empty((M, 2 * K + 1))
        E[:, 0] = 1.0
        p = np.arange(1, K + 1)
        E[:, 1::2] = _SQRT2 * np.cos(np.outer(phi, p))
        E[:, 2::2] = _SQRT2 * np.sin(np.outer(phi, p))
        return F @ (E / M)
    t, _, w = rules[len(rules) - (D - 2)]
    m = t.shape[0]
    H = _analysis(F.reshape(n_outer * m, -1), D - 1, K, rules, M).reshape(n_outer, m, -1)
    A = np.empty((m, K + 1, K + 1))
    _assoc_table_kernel(t, K, D, _acoef(K, D), A)
    A *= w[:, None, None]
    n_in = np.asarray(harmonic_dim(np.arange(K + 1), D - 1), dtype=np.int64)
    n_out = np.asarray(harmonic_dim(np.arange(K + 1), D), dtype=np.int64)
    off_in = _offsets(n_in)
    off_out = _offsets(n_out)
    out = np.empty((n_outer, int(off_out[-1])))
    for j in range(K + 1):
        cols = slice(int(off_in[j]), int(off_in[j + 1]))
        Aj = np.ascontiguousarray(A[:, j:, j].T)            # (K - j + 1, m): rows k = j..K
        T = np.matmul(Aj, H[:, :, cols])                     # (n_outer, K - j + 1, N(j, D-1))
        for k in range(j, K + 1):
            a = int(off_out[k] + off_in[j])
            out[:, a:a + int(n_in[j])] = T[:, k - j, :]
    return out


def _as_function(f, name):
    if hasattr(f, "predict") and callable(getattr(f, "predict")):
        return f.predict
    if callable(f):
        return f
    raise TypeError(f"{name} must be a callable f(X) -> (n,) values or an object with .predict(X), "
                    f"got {type(f).__name__}")


def _evaluate(fun, name, X):
    v = np.asarray(fun(X))
    if v.dtype.kind not in "biuf":
        raise TypeError(f"{name}(X) must return real numbers, got dtype {v.dtype}")
    if v.shape not in ((X.shape[0],), (X.shape[0], 1)):
        raise ValueError(f"{name}(X) must return an array of shape ({X.shape[0]},) for X of shape "
                         f"{X.shape}, got {v.shape}")
    v = v.reshape(-1).astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name}(X) returned NaN or inf on the quadrature nodes")
    return v


def _sample_on_rule(funs, names, d, degree, max_nodes, what):
    """Values (len(funs), n_nodes) of the functions on the product rule, and the weights."""
    m, M, nodes = _check_rule(d, degree, max_nodes, what)
    if nodes > 1_000_000:
        warnings.warn(f"{what}: evaluating the function(s) at {nodes} quadrature nodes on S^{d - 1}",
                      RuntimeWarning, stacklevel=3)
    rules = _polar_rules(d, m)
    V = np.empty((len(funs), nodes))
    W = np.empty(nodes)
    for lo in range(0, nodes, _CHUNK):
        hi = min(nodes, lo + _CHUNK)
        Xc, wc = _nodes_chunk(rules, M, lo, hi, d)
        W[lo:hi] = wc
        for i, (fun, name) in enumerate(zip(funs, names)):
            V[i, lo:hi] = _evaluate(fun, name, Xc)
    return V, W, rules, M


def _split(C, d, K):
    n_k = [int(harmonic_dim(k, d)) for k in range(K + 1)]
    off = _offsets(n_k)
    return [C[..., int(off[k]):int(off[k + 1])].copy() for k in range(K + 1)]


def project(f, d, kmax, exact_degree=None, max_nodes=MAX_NODES):
    r"""Coefficients ``f_{k,l} = E_x[f(x) Y_{k,l}(x)]`` for k = 0..kmax, by a product Gauss rule.

    The integral is taken with ``product_rule(d, exact_degree)`` (exact for polynomials of degree
    <= exact_degree, default ``2 * kmax``), so the coefficients are exact when f is a polynomial of
    degree <= exact_degree - kmax; otherwise components of f of degree j > exact_degree - k alias onto
    degree k (raise ``exact_degree`` for functions that are not smooth). The sum over the nodes is
    carried out level by level (separation of variables: FFT-free azimuthal sums, then one matrix
    product per polar level), never forming the (n_nodes x N) basis matrix.

    Parameters
    ----------
    f : callable ``f(X) -> (n,)`` on (n, d) arrays of unit vectors, or an object with ``.predict(X)``
        (e.g. ``spherekern.solvers`` predictors). It is called on chunks of at most 65536 nodes.
    d : int >= 2; kmax : int >= 0.
    exact_degree : int >= 2 * kmax, optional.
    max_nodes : int, cap on the number of nodes (default ``MAX_NODES`` = 4e6). A RuntimeWarning is
        issued above 1e6 nodes.

    Returns
    -------
    list of kmax + 1 arrays, ``coefs[k]`` of shape (N(k, d),) in the order of ``real_basis``.

    Notes
    -----
    Cost: f is evaluated at ``(q//2 + 1)^(d-2) (q + 1)`` nodes, q = exact_degree (d = 3, kmax = 100:
    2e4 nodes; d = 5, kmax = 20: 3.8e5; d = 8, kmax = 6: 1.5e5); the transform costs
    O(n_nodes * kmax * d) flops on top.
    """
    fun = _as_function(f, "f")
    d = check_d(d)
    kmax = check_kmax(kmax)
    q = _check_exact_degree(exact_degree, kmax, 2 * kmax)
    max_nodes = check_int(max_nodes, "max_nodes", 1)
    V, W, rules, M = _sample_on_rule([fun], ["f"], d, q, max_nodes, "project")
    C = _analysis(V, d, kmax, rules, M)
    return [c[0] for c in _split(C, d, kmax)]


def _check_exact_degree(exact_degree, kmax, default):
    if exact_degree is None:
        return default
    q = check_int(exact_degree, "exact_degree", 0)
    if q < 2 * kmax:
        raise ValueError(f"exact_degree must be >= 2 * kmax = {2 * kmax} (so that the rule integrates "
                         f"products of the harmonics of degree <= kmax exactly), got {q}")
    return q


def _check_coefs(coefs, name="coefs"):
    if isinstance(coefs, np.ndarray) or not hasattr(coefs, "__len__") or len(coefs) == 0:
        raise TypeError(f"{name} must be a non-empty list of 1-D arrays by degree (as returned by project)")
    out = []
    for k, c in enumerate(coefs):
        c = np.asarray(c)
        if c.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{k}] must be a real array, got dtype {c.dtype}")
        if c.ndim != 1:
            raise ValueError(f"{name}[{k}] must be 1-D (the N(k, d) coefficients of degree k), got shape {c.shape}")
        out.append(c.astype(np.float64))
    return out


def degree_power(coefs) -> np.ndarray:
    r"""``sum_l f_{k,l}^2`` for each degree k (the squared L^2(sigma) norm of the degree-k component).

    Parameters
    ----------
    coefs : list of 1-D arrays by degree (as returned by ``project``).

    Returns
    -------
    ndarray (len(coefs),)
    """
    coefs = _check_coefs(coefs)
    return np.array([float(np.dot(c, c)) for c in coefs])


def synthesize(coefs, X) -> np.ndarray:
    r"""``sum_{k,l} f_{k,l} Y_{k,l}(x)`` at the rows of X (the inverse of ``project`` on polynomials).

    Parameters
    ----------
    coefs : list of 1-D arrays by degree, ``coefs[k]`` of length N(k, d).
    X : (n, d) points on S^{d-1}.
    """
    coefs = _check_coefs(coefs)
    X = as_points(X, "X")
    d = X.shape[1]
    for k, c in enumerate(coefs):
        N = int(harmonic_dim(k, d))
        if c.shape[0] != N:
            raise ValueError(f"coefs[{k}] must have N({k}, {d}) = {N} entries, got {c.shape[0]}")
    out = np.zeros(X.shape[0])
    for k, c in enumerate(coefs):
        out += real_basis(X, k) @ c
    return out


# ----------------------------------------------------------------------------------------------
# per-degree error and the crossover degree
# ----------------------------------------------------------------------------------------------
@dataclass
class DegreeError:
    r"""Per-degree split of the test error ``E[(f - f*)^2]`` of a predictor f against a target f*.

    Attributes
    ----------
    d, kmax, exact_degree : the sphere S^{d-1}, largest degree resolved, exactness of the rule.
    error_power : (kmax+1,) ``sum_l (f - f*)_{k,l}^2`` per degree.
    target_power, predictor_power : (kmax+1,) the same for f* and for f.
    total : ``E[(f - f*)^2]`` by the product rule.
    residual : ``total - sum(error_power)``: the error carried by degrees > kmax (exact when f - f* is a
        polynomial of degree <= exact_degree / 2; otherwise up to aliasing).
    total_mc, total_mc_stderr, residual_mc : Monte-Carlo estimate of the total error with its standard
        error and the corresponding residual (None unless ``n_mc > 0``).
    """
    d: int
    kmax: int
    exact_degree: int
    error_power: np.ndarray
    target_power: np.ndarray
    predictor_power: np.ndarray
    total: float
    residual: float
    total_mc: float | None = None
    total_mc_stderr: float | None = None
    residual_mc: float | None = None

    @property
    def relative(self) -> np.ndarray:
        """``error_power / target_power`` per degree; nan where the target has no power
        (``target_power[k] <= 1e-12 * sum(target_power)``, e.g. parity zeros: rounding noise only)."""
        return _relative(self, _ZERO_RTOL)


def _relative(err, rtol):
    tp = err.target_power
    ok = tp > rtol * tp.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, err.error_power / np.where(ok, tp, 1.0), np.nan)


def degree_error(predictor, target, d, kmax, exact_degree=None, max_nodes=MAX_NODES, n_mc=0, rng=None):
    r"""Test error of a predictor split by spherical-harmonic degree: which modes are learned.

    With g = f - f* (f the predictor, f* the target), returns ``sum_l g_{k,l}^2`` for k = 0..kmax
    (projections as in ``project``) and ``residual = E[g^2] - sum_{k<=kmax} sum_l g_{k,l}^2``, the error
    above kmax. Under the spectral-bias ansatz the relative error per degree is ~0 below the crossover
    degree k_c and ~1 (or more: the predictor adds its own high-frequency part) above it; see
    ``estimate_kc``.

    Parameters
    ----------
    predictor, target : callables on (n, d) arrays or objects with ``.predict(X)``. (For
        ``spherekern.targets`` objects pass ``lambda X: tgt.sample(X)`` or ``tgt`` if callable.)
    d : int >= 2; kmax : int >= 0.
    exact_degree : int >= 2 * kmax, default ``3 * kmax`` (so the degree-k coefficients are alias-free
        for components of g up to degree 3 kmax - k >= 2 kmax).
    max_nodes : cap on the product-rule size (see ``project``).
    n_mc : int >= 0; if > 0 the total error is also estimated by Monte-Carlo on n_mc uniform points.
    rng : seed or Generator for the Monte-Carlo points.

    Returns
    -------
    DegreeError
    """
    fun = _as_function(predictor, "predictor")
    tgt = _as_function(target, "target")
    d = check_d(d)
    kmax = check_kmax(kmax)
    q = _check_exact_degree(exact_degree, kmax, 3 * kmax)
    max_nodes = check_int(max_nodes, "max_nodes", 1)
    n_mc = check_int(n_mc, "n_mc", 0)
    rng = as_rng(rng)
    V, W, rules, M = _sample_on_rule([fun, tgt], ["predictor", "target"], d, q, max_nodes, "degree_error")
    G = V[0] - V[1]
    F3 = np.stack([G, V[1], V[0]])
    C = _analysis(F3, d, kmax, rules, M)
    pw = np.array([np.einsum("ij,ij->i", c, c) for c in _split(C, d, kmax)])  # (kmax+1, 3)
    total = float(np.dot(W, G * G))
    res = DegreeError(d=d, kmax=kmax, exact_degree=q, error_power=pw[:, 0].copy(),
                      target_power=pw[:, 1].copy(), predictor_power=pw[:, 2].copy(),
                      total=total, residual=total - float(pw[:, 0].sum()))
    if n_mc > 0:
        Xmc = uniform(n_mc, d, rng)
        g2 = (_evaluate(fun, "predictor", Xmc) - _evaluate(tgt, "target", Xmc)) ** 2
        res.total_mc = float(g2.mean())
        res.total_mc_stderr = float(g2.std(ddof=1) / math.sqrt(n_mc)) if n_mc > 1 else float("inf")
        res.residual_mc = res.total_mc - float(pw[:, 0].sum())
    return res


class KcEstimate(NamedTuple):
    """Crossover degree: ``kc`` measured from a ``DegreeError``, ``kc_ansatz`` from the count of modes."""
    kc: int
    kc_ansatz: int | None
    threshold: float


def ansatz_kc(n, d) -> int:
    r"""The spectral-bias ansatz's crossover degree for n training points: the smallest integer k_c
    with ``sum_{k < k_c} N(k, d) >= n`` (the number of modes of degree < k_c reaches n).

    The loop runs k_c steps; k_c ~ n / 2 for d = 2 (the worst case, N(k, 2) = 2), so n is limited to
    ``2 * _MAX_KC_STEPS`` there; in general the steps are bounded through ``sum_{k < K} N(k, d) = N(K - 1, d + 1)``
    before looping."""
    n = check_int(n, "n", 1)
    d = check_d(d)
    if int(harmonic_dim(_MAX_KC_STEPS, d + 1)) < n:
        raise ValueError(f"ansatz_kc(n={n}, d={d}): k_c > {_MAX_KC_STEPS} (the modes of degree <= "
                         f"{_MAX_KC_STEPS} number N({_MAX_KC_STEPS}, {d + 1}) < n), more loop steps than allowed")
    kc, cum = 0, 0
    while cum < n:
        cum += int(harmonic_dim(kc, d))
        kc += 1
    return kc


def estimate_kc(err, n=None, threshold=0.5, rtol=1e-12) -> KcEstimate:
    r"""Crossover degree k_c from a per-degree error split.

    Definition: ``kc`` is the lowest degree k <= kmax whose relative error
    ``error_power[k] / target_power[k]`` exceeds ``threshold`` (default 1/2: the error in that mode
    carries more than half of the target's power there), skipping degrees where the target has no power
    (``target_power[k] <= rtol * sum(target_power)``, e.g. parity zeros). If no degree qualifies,
    ``kc = kmax + 1`` (the crossover lies beyond the resolved degrees).
    ``kc_ansatz = ansatz_kc(n, d)`` if n is given (else None), for comparison.

    Parameters
    ----------
    err : DegreeError (from ``degree_error``).
    n : int >= 1, optional, number of training points.
    threshold : float > 0; rtol : float >= 0.
    """
    if not isinstance(err, DegreeError):
        raise TypeError(f"err must be a DegreeError (from degree_error), got {type(err).__name__}")
    threshold = check_real(threshold, "threshold", minimum=0.0, strict=True)
    rtol = check_real(rtol, "rtol", minimum=0.0)
    rel = _relative(err, rtol)
    bad = np.nonzero(~np.isnan(rel) & (rel > threshold))[0]
    kc = int(bad[0]) if bad.size else err.kmax + 1
    kca = ansatz_kc(n, err.d) if n is not None else None
    return KcEstimate(kc=kc, kc_ansatz=kca, threshold=threshold)
