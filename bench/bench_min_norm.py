"""Kernel ridge(less) regression: spherekern.solvers.min_norm vs scikit-learn KernelRidge.

Hot path ``min_norm``: n = 4096 points of S^4 (d = 5), NTK, ridge = 0 (the full pipeline: Gram into one
preallocated array, in-place Cholesky, solve).

* ``__project``  ``min_norm(NTK(), X, y)``.
* ``__sklearn``  the same Gram (``NTK().gram(X, out=G)``, same code) then
                 ``KernelRidge(alpha=1e-12, kernel="precomputed").fit(G, y)``: the user's alternative solver.

Scaling (not part of ``make bench``): ``python -m bench.bench_min_norm`` times min_norm for n = 2^8..2^13
once and prints the fitted exponent of time vs n.
"""
import time

import numpy as np
import pytest

from spherekern.kernels import NTK
from spherekern.solvers.min_norm import min_norm

N, D = 4096, 5


def _data(n, seed=20221122):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, D))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, rng.standard_normal(n)


@pytest.fixture(scope="module")
def data():
    return _data(N)


def test_min_norm__project(benchmark, data):
    X, y = data
    min_norm(NTK(), X[:50], y[:50])        # JIT warm-up
    benchmark.group = "min_norm"
    benchmark.extra_info["n"] = N
    benchmark.pedantic(min_norm, args=(NTK(), X, y), rounds=3, warmup_rounds=1)


def test_min_norm__sklearn(benchmark, data):
    KernelRidge = pytest.importorskip("sklearn.kernel_ridge").KernelRidge
    X, y = data
    G = np.empty((N, N))
    NTK().gram(X[:50], out=G[:50, :50].copy())

    def sk():
        NTK().gram(X, out=G)
        return KernelRidge(alpha=1e-12, kernel="precomputed").fit(G, y)

    benchmark.group = "min_norm"
    benchmark.extra_info["n"] = N
    benchmark.pedantic(sk, rounds=3, warmup_rounds=1)


def scaling(ns=tuple(2 ** k for k in range(8, 14)), repeats=3):
    """Best-of-`repeats` wall time of min_norm(NTK(), X, y) for each n, and the least-squares exponent over the
    largest four sizes (the small ones are dominated by overheads)."""
    min_norm(NTK(), *_data(64))
    times = []
    for n in ns:
        X, y = _data(n)
        ts, cs = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            min_norm(NTK(), X, y)
            ts.append(time.perf_counter() - t0)
            cs.append(time.process_time() - c0)
        times.append(float(np.min(ts)))
        print(f"n = {n:5d}: wall {times[-1]:.4f} s, cpu {min(cs):.4f} s", flush=True)
    ln, lt = np.log(ns), np.log(times)
    p_all = np.polyfit(ln, lt, 1)[0]
    p_big = np.polyfit(ln[-4:], lt[-4:], 1)[0]
    print(f"fitted exponent: {p_all:.2f} (all n), {p_big:.2f} (n >= {ns[-4]})")
    return ns, times, p_big


if __name__ == "__main__":
    scaling()
