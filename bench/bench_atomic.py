"""Atomic (minimum total-variation) solver: the default path vs the brute-force HiGHS LP and the simplex path.

Groups (naming read by bench/report.py), targets the wide |.| teacher of ``_problem`` (1000 neurons):

* ``atomic_n256_d3``, ``atomic_n256_d5``: ``__project`` is the default ``atomic(X, y)`` (method="auto": interior-point
  rounds, crossover to the dense primal simplex, certified to tol 1e-7), ``__simplex`` the simplex path from scratch
  (method="simplex", the old default, same tol), ``__highs`` the brute force a user would write: the LP restricted
  to 40 n random directions, ``scipy.optimize.linprog`` with its default ``method="highs"`` (HiGHS chooses the
  solver; one round; its objective is above the continuous optimum; to 2026-12-04 this row forced the dual simplex,
  ``"highs-ds"``, slower than the default a user gets). ``extra_info`` holds the objectives, atom counts and
  certificates.
* ``atomic_n1024_d3``, ``atomic_n1024_d5``: the same at n = 1024 (``__project`` and ``__highs``; the simplex path
  from scratch takes many minutes there), skipped unless SPHEREKERN_BENCH_BIG=1.
* ``atomic_lasso_n256_d3``: lam = 1e-5 (the paper's range) by the default path, ``__project`` only (its reference
  is ``atomic_n256_d3__project``'s size; no brute-force lasso baseline is timed).

The proof rows are in bench/bench_atomic_proof.py. The scaling of time with n (d = 3, n = 2^6..2^10, fitted
exponent) is measured once by ``python -m bench.bench_atomic scaling`` (not part of ``make bench``).
"""
import os
import sys
import time

import numpy as np
import pytest
from scipy.optimize import linprog

from spherekern.solvers import atomic


def _problem(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    T = rng.standard_normal((1000, d))
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    y = np.abs(X @ T.T) @ rng.choice([-1.0, 1.0], 1000) / np.sqrt(1000)
    return X, y, rng


def _brute_force(X, y, directions):
    A = np.maximum(X @ directions.T, 0.0)
    res = linprog(np.ones(2 * len(directions)), A_eq=np.hstack([A, -A]), b_eq=y, bounds=(0, None),
                  method="highs")  # scipy's default
    assert res.status == 0, res.message
    return res


def _timed_brute_force(benchmark, group, n, d):
    """One timed brute-force HiGHS LP over 40 n random directions on ``_problem(n, d)``."""
    X, y, rng = _problem(n, d)
    D = rng.standard_normal((40 * n, d))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    benchmark.group = group
    res = benchmark.pedantic(_brute_force, args=(X, y, D), rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(objective=float(res.fun), directions=len(D))


def _warm_up(**kw):
    X, y, _ = _problem(24, 3)
    atomic(X, y, **kw)


def _timed_atomic(benchmark, group, X, y, **kw):
    """One timed ``atomic(X, y, **kw)`` after a JIT warm-up with the same options; the solution goes to extra_info."""
    _warm_up(**kw)
    benchmark.group = group
    sol = benchmark.pedantic(atomic, args=(X, y), kwargs=kw, rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(objective=sol.objective, n_atoms=sol.n_atoms, certificate=sol.certificate,
                                rounds=len(sol.history), converged=sol.converged,
                                # the proof of global optimality that the solve ran (verify="auto": d = 3 where
                                # float64 can prove tol), None where none ran
                                proved=None if sol.proof is None else sol.proof.proved,
                                proof_bound=None if sol.proof is None else sol.proof.bound,
                                proof_caps=None if sol.proof is None else sol.proof.n_caps,
                                proof_seconds=sum(h.get("t_proof", 0.0) for h in sol.history) or None)
    return sol


_BIG = pytest.mark.skipif(os.environ.get("SPHEREKERN_BENCH_BIG") != "1",
                          reason="n = 1024: minutes per row on 2 cores; set SPHEREKERN_BENCH_BIG=1 to run them")


@pytest.mark.parametrize("n, d", [(256, 3), (256, 5), pytest.param(1024, 3, marks=_BIG),
                                  pytest.param(1024, 5, marks=_BIG)])
def test_atomic__project(benchmark, n, d):
    X, y, _ = _problem(n, d)
    sol = _timed_atomic(benchmark, f"atomic_n{n}_d{d}", X, y)
    assert sol.converged and sol.n_atoms <= n


@pytest.mark.parametrize("n, d", [(256, 3), (256, 5)])
def test_atomic__simplex(benchmark, n, d):
    X, y, _ = _problem(n, d)
    _timed_atomic(benchmark, f"atomic_n{n}_d{d}", X, y, method="simplex")


@pytest.mark.parametrize("n, d", [(256, 3), (256, 5), pytest.param(1024, 3, marks=_BIG),
                                  pytest.param(1024, 5, marks=_BIG)])
def test_atomic__highs(benchmark, n, d):
    _timed_brute_force(benchmark, f"atomic_n{n}_d{d}", n, d)


def test_atomic_lasso_n256_d3__project(benchmark):
    X, y, _ = _problem(256, 3)
    sol = _timed_atomic(benchmark, "atomic_lasso_n256_d3", X, y, lam=1e-5)
    assert sol.converged and sol.n_atoms <= 256


def _target_1024(target, X):
    """y for the n = 1024, d = 5 runs: the |t| teacher of ``_problem``, the constant 1, or the smooth even Gaussian
    random field of paper_checks' grf-smooth (nu_t = d + 1 = 6; one draw, seed 1)."""
    if target == "teacher":
        return _problem(1024, 5)[1]
    if target == "constant":
        return np.ones(X.shape[0])
    from paper_checks.checks._curves import grf_kmax, grf_spectrum
    from spherekern.targets import GaussianRandomField
    field = GaussianRandomField(5, c=grf_spectrum(5, 6.0, grf_kmax(5, 6.0)))
    return field.sample(X, np.random.default_rng(1))


def _scaling(d=3, ns=(64, 128, 256, 512, 1024)):
    _warm_up()
    times = []
    for n in ns:
        X, y, _ = _problem(n, d)
        t = time.perf_counter()
        sol = atomic(X, y)
        times.append(time.perf_counter() - t)
        print(f"n={n:5d} d={d}  {times[-1]:8.2f} s  rounds={len(sol.history):3d}  n_atoms={sol.n_atoms:5d}  "
              f"certificate={sol.certificate:.9f}", flush=True)
    slope = np.polyfit(np.log(ns), np.log(times), 1)[0]
    print(f"fitted exponent: time ~ n^{slope:.2f}")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "scaling":
    _scaling()
