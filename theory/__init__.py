"""theory: predictions of the spectral-bias theory for regression on the sphere S^{d-1}.

Plain Python / numpy / scipy (no compiler, never imports ``spherekern`` at import time).
Derivation, assumptions and corrections to the issue's summary: ``theory/README.md``.
Conventions: docs/CONVENTIONS.md (``d`` = ambient dimension, P_k(1) = 1, probability measure,
``mu_k = E[phi(x.y) P_k(x.y)]``).

Exponents (:mod:`theory.exponents`)
    ``alpha(d, regime, power=1)``, ``beta(d, nu_t, regime, power=1)``,
    ``crossover(d, power=1, regime="lazy")``, ``nu_from_teacher(activation, a)``,
    ``asymptotic_exponent(name, d, power=1)``, ``decay_exponent(mu, kmin, kmax)``
Curves (:mod:`theory.curves`)
    ``spectral_bias_curve(n, d, c, phi)``, ``krr_learning_curve(n, d, mu, c, ridge=0, full=False)``,
    ``harmonic_dim(k, d)``

Command line: ``spherekern predict --d 5 --nu-t 2.5 [--power 1] [--plot FILE]`` (:mod:`theory.cli`).
"""
from .curves import KRRCurve, harmonic_dim, krr_learning_curve, spectral_bias_curve
from .exponents import alpha, asymptotic_exponent, beta, crossover, decay_exponent, nu_from_teacher

REGIMES = ("lazy", "rf", "feature")

__all__ = ["alpha", "beta", "crossover", "nu_from_teacher", "asymptotic_exponent", "decay_exponent",
           "spectral_bias_curve", "krr_learning_curve", "KRRCurve", "harmonic_dim", "REGIMES"]
