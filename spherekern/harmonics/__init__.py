r"""Real spherical harmonics on S^{d-1} for any d >= 2, projections and the per-degree test error.

Convention (docs/CONVENTIONS.md): ``d`` is the ambient dimension, averages use the uniform
*probability* measure sigma on S^{d-1}, ``P_k(1) = 1``, and ``N(k, d) = sphere.harmonic_dim(k, d)``.

Basis
-----
Hyperspherical coordinates. For x in S^{d-1} let ``r_j = |(x_1, ..., x_{d-j})|`` (so ``r_0 = |x| = 1``) and,
for the polar levels j = 0..d-3, ``t_j = x_{d-j} / r_j`` and ``s_j = r_{j+1} / r_j = sqrt(1 - t_j^2)``;
the azimuth phi is the angle of ``(x_1, x_2) / r_{d-2}``. The basis functions are indexed by a chain::

    k = m_0 >= m_1 >= ... >= m_{d-3} >= |m_{d-2}|,   m_{d-2} signed,

and are the products (Vilenkin 1968, ch. IX; Avery 1989; Higuchi 1987)::

    Y_{k,l}(x) = prod_{j=0}^{d-3} Abar^{(d-j)}_{m_j, |m_{j+1}|}(t_j) * e_{m_{d-2}}(phi),

with ``e_0 = 1``, ``e_m = sqrt(2) cos(m phi)`` (m > 0), ``e_m = sqrt(2) sin(|m| phi)`` (m < 0), and the
normalised associated Gegenbauer functions of dimension D (Gegenbauer parameter mu = m + (D-2)/2)::

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
chains are in lexicographic order of ``(m_1, ..., m_{d-3}, |m_{d-2}|)``, cosine (m_{d-2} > 0) before sine.
For d = 3: l = 0, 1, 2, 3, 4, ... is m = 0, +1, -1, +2, -2, ...

Stability: no factorials; ``c_m (1 - t^2)^{m/2}`` is built by a product of factors <= sqrt(2) * s and
``q_n`` by the three-term recurrence of orthonormal polynomials
``t q_n = a_{n+1} q_{n+1} + a_n q_{n-1}``, ``a_n^2 = n (n + 2 mu - 1) / (4 (n + mu)(n + mu - 1))``,
which is forward-stable on [-1, 1]. Measured (vs mpmath): addition theorem ``|sum_l Y Y / N - P_k| <= 2e-13`` at
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

Layout: :mod:`~spherekern.harmonics.basis` (the compiled basis: ``real_basis``, ``basis_size``),
:mod:`~spherekern.harmonics.projection` (product Gauss rules and the transform: ``product_rule``, ``project``,
``synthesize``, ``degree_power``), :mod:`~spherekern.harmonics.per_degree` (``degree_error``, ``estimate_kc``,
``ansatz_kc``); everything public is imported here (``from spherekern.harmonics import real_basis``).

References
----------
N. Ja. Vilenkin, *Special Functions and the Theory of Group Representations*, AMS (1968), ch. IX.
J. Avery, *Hyperspherical Harmonics*, Kluwer (1989).
A. Higuchi, J. Math. Phys. 28, 1553 (1987).
K. Atkinson & W. Han, *Spherical Harmonics and Approximations on the Unit Sphere*, LNM 2044 (2012),
sec. 2.11 (bases) and 5.1 (product Gauss rules).
"""
from __future__ import annotations

from .basis import basis_size, real_basis
from .per_degree import DegreeError, KcEstimate, ansatz_kc, degree_error, estimate_kc
from .projection import MAX_NODES, degree_power, product_rule, project, synthesize

__all__ = ["basis_size", "real_basis", "product_rule", "project", "synthesize", "degree_power",
           "degree_error", "DegreeError", "estimate_kc", "KcEstimate", "ansatz_kc", "MAX_NODES"]
