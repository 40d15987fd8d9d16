"""Gegenbauer tables: spherekern vs scipy.special.eval_gegenbauer vs the memory floor."""
import numba as nb
import numpy as np
from scipy.special import eval_gegenbauer

from spherekern import gegenbauer

KMAX, N, N_SCIPY, D = 1000, 100_000, 10_000, 3


@nb.njit(parallel=True, cache=True)
def _floor_kernel(t, kmax, out):
    # same blocking and write pattern as the table, one multiply per entry instead of the recurrence
    n = t.shape[0]
    for b in nb.prange((n + 255) // 256):
        lo = b * 256
        hi = min(n, lo + 256)
        for k in range(kmax + 1):
            for i in range(lo, hi):
                out[k, i] = t[i]


def _scipy_table(t, kmax, d):
    lam = (d - 2) / 2
    out = np.empty((kmax + 1, len(t)))
    for k in range(kmax + 1):
        out[k] = eval_gegenbauer(k, lam, t) / eval_gegenbauer(k, lam, 1.0)
    return out


def test_gegenbauer_table__project(benchmark, rng):
    t = rng.uniform(-1, 1, N)
    out = np.empty((KMAX + 1, N))
    gegenbauer.table(t[:10], 5, D)  # JIT warm-up
    benchmark.group = "gegenbauer_table"
    benchmark.extra_info["entries"] = (KMAX + 1) * N
    benchmark.pedantic(gegenbauer.table, args=(t, KMAX, D), kwargs=dict(out=out), rounds=7, warmup_rounds=1)


def test_gegenbauer_table__floor(benchmark, rng):
    t = rng.uniform(-1, 1, N)
    out = np.empty((KMAX + 1, N))
    _floor_kernel(t[:10], 2, out[:3, :10].copy())
    benchmark.group = "gegenbauer_table"
    benchmark.extra_info["entries"] = (KMAX + 1) * N
    benchmark.pedantic(_floor_kernel, args=(t, KMAX, out), rounds=7, warmup_rounds=1)


def test_gegenbauer_table__scipy(benchmark, rng):
    # scipy evaluates each degree independently (O(k) per value): run on 10x fewer points, compare per entry
    t = rng.uniform(-1, 1, N_SCIPY)
    benchmark.group = "gegenbauer_table"
    benchmark.extra_info["entries"] = (KMAX + 1) * N_SCIPY
    benchmark.pedantic(_scipy_table, args=(t, KMAX, D), rounds=1, warmup_rounds=0)


def test_gegenbauer_series__project(benchmark, rng):
    t = rng.uniform(-1, 1, N)
    coef = rng.standard_normal(KMAX + 1)
    gegenbauer.series(coef[:3], t[:3], D)
    benchmark.group = "gegenbauer_series"
    benchmark.extra_info["entries"] = N
    benchmark.pedantic(gegenbauer.series, args=(coef, t, D), rounds=7, warmup_rounds=1)


def test_gegenbauer_series__numpy(benchmark, rng):
    # what a user would write: numpy's Legendre series (d = 3 only)
    t = rng.uniform(-1, 1, N)
    coef = rng.standard_normal(KMAX + 1)
    benchmark.group = "gegenbauer_series"
    benchmark.extra_info["entries"] = N
    benchmark.pedantic(np.polynomial.legendre.legval, args=(t, coef), rounds=7, warmup_rounds=1)
