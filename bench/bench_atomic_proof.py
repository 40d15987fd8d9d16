"""Proof of global optimality of the atomic solver (spherekern/solvers/atomic/proof.py).

Group ``atomic_proof_n256_d3`` (naming read by bench/report.py): the certified dual ``p`` of
``atomic(X, y)`` on ``bench.bench_atomic._problem(256, 3)`` (solved once, outside the timings);
``__project`` is ``prove_bound(X, p, tol=1e-7)`` (a proven upper bound of max |eta| over S^2) after a JIT
warm-up, ``__numpy`` the check a user would write without it: |eta| at 10^6 random directions with numpy (a
lower bound only, no proof). ``extra_info`` holds the proven bound, the caps bounded and whether it proved.
"""
import numpy as np
import pytest

from bench.bench_atomic import _BIG, _problem
from spherekern.solvers import atomic
from spherekern.solvers.atomic.proof import prove_bound

#: time limit of one proof row (seconds); stopped, the bound stays valid and ``proved`` says whether it got there
_LIMIT = 90.0
_SOLVED = {}


def _solved(n, d):
    if (n, d) not in _SOLVED:
        X, y, _ = _problem(n, d)
        _SOLVED[n, d] = atomic(X, y)
    return _SOLVED[n, d]


@pytest.fixture(scope="module")
def solved():
    return _solved(256, 3)


@pytest.mark.parametrize("n, d", [(64, 3), (128, 3), pytest.param(1024, 3, marks=_BIG), (32, 5), (64, 5), (128, 5),
                                  (256, 5)])
def test_atomic_proof_sizes__project(benchmark, n, d):
    """prove_bound at tol 1e-7 on the default solution of ``_problem(n, d)`` (time limit _LIMIT); one row each (the
    default solve proves d = 3 and d = 5 up to n = 128 itself: the row proves its dual again; n = 1024 with
    SPHEREKERN_BENCH_BIG=1, its solve takes ~40 s)."""
    sol = _solved(n, d)
    prove_bound(sol._X[:16], sol.dual[:16], tol=1e-3)  # JIT warm-up
    benchmark.group = f"atomic_proof_n{n}_d{d}"
    r = benchmark.pedantic(sol.verify, kwargs=dict(tol=1e-7, time_limit=_LIMIT), rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(bound=r.bound, best=r.best, n_caps=r.n_caps, proved=r.proved, complete=r.complete,
                                certificate=sol.certificate)


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
    r = benchmark.pedantic(prove_bound, args=(solved._X, solved.dual), kwargs=dict(tol=1e-7, time_limit=_LIMIT),
                           rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(bound=r.bound, best=r.best, n_caps=r.n_caps, proved=r.proved,
                                certificate=solved.certificate)


def test_atomic_proof_n256_d3__numpy(benchmark, solved):
    benchmark.group = "atomic_proof_n256_d3"
    val = benchmark.pedantic(_sampled, args=(solved._X, solved.dual, 1_000_000, np.random.default_rng(0)),
                             rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(sampled_max=val, directions=1_000_000)
