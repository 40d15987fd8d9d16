"""Product Gauss rules on S^{d-1} and the separated spherical-harmonic transform (project / synthesize).

Conventions: the package docstring of :mod:`spherekern.harmonics` (basis, ordering) and docs/CONVENTIONS.md.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import gegenbauer
from .._validate import as_ndarray, as_points, check_d, check_int, check_kmax
from ..sphere import harmonic_dim
from .basis import _SQRT2, _acoef, _assoc_table_kernel, real_basis

__all__ = ["product_rule", "project", "synthesize", "degree_power", "MAX_NODES"]

#: Default cap on the number of nodes of the product rule used by ``project``/``degree_error``
#: (the rule has (degree//2 + 1)^(d-2) * (degree + 1) nodes; f is evaluated at every node).
MAX_NODES = 4_000_000
#: Nodes evaluated per call of the user's function (bounds the memory of the node coordinates).
_CHUNK = 1 << 16


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
        c = as_ndarray(c, f"{name}[{k}]")
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
