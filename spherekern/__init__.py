"""spherekern: exact, fast special functions, kernels and solvers on the sphere S^{d-1}.

Conventions (written once, in docs/CONVENTIONS.md):

* ``d`` is always the ambient dimension: points live on S^{d-1} in R^d, d >= 2.
* P_k(t) = C_k^{(d-2)/2}(t) / C_k^{(d-2)/2}(1) is the Legendre polynomial of dimension d,
  P_k(1) = 1 (Chebyshev T_k for d = 2).
* Averages over the sphere use the uniform *probability* measure.
* Funk–Hecke eigenvalues: phi(t) = sum_k mu_k N(k, d) P_k(t), mu_k = E[phi(x.y) P_k(x.y)].
"""
__version__ = "0.1.0"
