"""Independent references for tests/test_theory*.py (none shares code with theory/).

* N(k, d) from math.comb;
* exact Funk-Hecke spectra of relu, the step, kappa_1 and the NTK from the Rodrigues formula (derived here; checked
  against mpmath quadrature in tests/test_theory.py), the closed-form NTK and the |t| teacher's covariance.

Not a test module (pytest collects ``test_*.py``); imported by the theory tests from the tests directory.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from scipy.special import betaln, gammaln


def ref_dim(k, d):
    """N(k, d) straight from the definition (math.comb), exact int."""
    if k == 0:
        return 1
    return (2 * k + d - 2) * math.comb(k + d - 2, k) // (k + d - 2)


@functools.lru_cache(maxsize=None)
def ref_dims(K, d):
    """N(0..K, d) as floats (cached: the simulations of test_theory_krr.py ask for K = 20000 hundreds of times; read-only)."""
    N = np.array([float(ref_dim(k, d)) for k in range(K + 1)])
    N.setflags(write=False)
    return N


def _log_rodrigues(k, d):
    # |(-1)^k / (2^k ((d-1)/2)_k)|
    h = (d - 1) / 2
    return -k * np.log(2.0) - (gammaln(k + h) - gammaln(h))


def _log_binom(m, j):
    return gammaln(m + 1) - gammaln(j + 1) - gammaln(m - j + 1)


def ref_relu(d, K):
    """mu_k of max(t, 0): Rodrigues + two integrations by parts -> D^{k-2}(1-t^2)^m at t = 0 (even k >= 2)."""
    k = np.arange(K + 1)
    mu = np.zeros(K + 1)
    lB = betaln(0.5, (d - 1) / 2)
    mu[0] = np.exp(-lB) / (d - 1)          # E[t_+]
    if K >= 1:
        mu[1] = 1.0 / (2 * d)              # E[t_+ t] = E[t^2]/2
    ke = k[(k >= 2) & (k % 2 == 0)]
    j = (ke - 2) // 2
    m = ke + (d - 3) / 2
    logv = -lB + _log_rodrigues(ke, d) + gammaln(ke - 1) + _log_binom(m, j)
    mu[ke] = (-1.0) ** ke * (-1.0) ** j * np.exp(logv)
    return mu


def ref_step(d, K):
    """mu_k of 1[t > 0]: one integration by parts -> -D^{k-1}(1-t^2)^m at t = 0 (odd k)."""
    k = np.arange(K + 1)
    mu = np.zeros(K + 1)
    lB = betaln(0.5, (d - 1) / 2)
    mu[0] = 0.5
    ko = k[(k >= 1) & (k % 2 == 1)]
    j = (ko - 1) // 2
    m = ko + (d - 3) / 2
    logv = -lB + _log_rodrigues(ko, d) + gammaln(ko) + _log_binom(m, j)
    mu[ko] = -((-1.0) ** ko) * (-1.0) ** j * np.exp(logv)
    return mu


def ref_times_t(mu, d):
    """mu_j of t*phi(t) from mu of phi, via t P_k = (k P_{k-1} + (k+d-2) P_{k+1})/(2k+d-2)."""
    K = mu.size - 1
    N = ref_dims(K, d)
    a = mu * N
    out = np.zeros(K + 1)
    for j in range(K + 1):
        s = 0.0
        if j + 1 <= K:
            s += a[j + 1] * (j + 1) / (2 * j + d)
        if j == 1:
            s += a[0]
        elif j >= 2:
            s += a[j - 1] * (j + d - 3) / (2 * j + d - 4)
        out[j] = s / N[j]
    return out


def ref_arccos1(d, K):
    """kappa_1 = E_theta relu relu, theta ~ N(0, I_d): E|theta|^2 mu(relu)^2 = d mu(relu)^2."""
    return d * ref_relu(d, K) ** 2


def ref_ntk(d, K):
    """Theta = kappa_1 + t kappa_0 with kappa_0 eigenvalues mu(step)^2."""
    return ref_arccos1(d, K) + ref_times_t(ref_step(d, K + 1) ** 2, d)[:K + 1]


def ntk_closed(T):
    T = np.clip(T, -1.0, 1.0)
    return (np.sqrt(1 - T * T) + 2 * (np.pi - np.arccos(T)) * T) / (2 * np.pi)


def abs_teacher_cov(T):
    """E[|u||v|] for standard Gaussians with correlation T: covariance of the wide |t| teacher."""
    T = np.clip(T, -1.0, 1.0)
    return (2 / np.pi) * (np.sqrt(1 - T * T) + T * np.arcsin(T))


def abs_teacher_c(d, K):
    """Per-harmonic variances of that field: d * mu_k(|t|)^2 = 4 d mu_k(relu)^2 on even k, 0 on odd k."""
    c = 4 * d * ref_relu(d, K) ** 2
    c[1::2] = 0.0
    return c
