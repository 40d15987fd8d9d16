"""Proof of global optimality of the atomic solver (spherekern/solvers/atomic/proof.py).

Group ``atomic_proof_n256_d3`` (naming read by bench/report.py): the certified dual ``p`` of
``atomic(X, y)`` on ``bench.bench_atomic._problem(256, 3)`` (solved once, outside the timings);
``__project`` is ``prove_bound(X, p, tol=1e-7)`` (a proven upper bound of max |eta| over S^2) after a JIT
warm-up, ``__numpy`` the check a user would write without it: |eta| at 10^6 random directions with numpy (a
lower bound only, no proof). ``extra_info`` holds the proven bound, the caps bounded and whether it proved.
"""
import numpy as np
import pytest

from bench.bench_atomic import _problem
from spherekern.solvers import atomic

from spherekern.solvers.atomic.proof import prove_bound


@pytest.fixture(scope="module")
def solved():
    X, y, _ = _problem(256, 3)
    sol = atomic(X, y)
    return sol


def _sampled(X, p, m, rng):
    Z = rng.standard_normal((m, X.shape[1]))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    best = 0.0
    for lo in range(0, m, 65536):
        best = max(best, float(np.abs(np.maximum(Z[lo:lo + 65536] @ X.T, 0.0) @ p).max()))
    return best


def test_atomic_proof_n256_d3__project(benchmark, solved):
    prove_bound(solved._X[:16], solved.dual[:16], tol=1e-3)  # JIT warm-up
    benchmark.group = "atomic_proof_n256_d3"
    r = benchmark.pedantic(prove_bound, args=(solved._X, solved.dual), kwargs=dict(tol=1e-7),
                           rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(bound=r.bound, best=r.best, n_caps=r.n_caps, proved=r.proved,
                                certificate=solved.certificate)


def test_atomic_proof_n256_d3__numpy(benchmark, solved):
    benchmark.group = "atomic_proof_n256_d3"
    val = benchmark.pedantic(_sampled, args=(solved._X, solved.dual, 1_000_000, np.random.default_rng(0)),
                             rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(sampled_max=val, directions=1_000_000)
