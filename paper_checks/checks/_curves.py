"""Shared learning-curve task: train one predictor on n points, measure its test error.

Used by the constant, grf, sparsity and ansatz checks. A task is
``{d, n, seed, regime, target, [nu_t | a], n_max, n_test}`` and computes

* training points ``X_n``: the first n of ``n_max`` uniform points on S^{d-1} (nested across n for a seed,
  so the learning curve of one seed is smooth), test points: ``n_test`` further uniform points;
* the target, one function per (d, seed, target) sampled jointly at the n_max pool points and the test
  points: ``constant`` (1), ``grf`` (a Gaussian random field with ``c_k = k^(-2 nu_t - (d-1))`` on the degrees
  the bias-free ReLU predictors can represent, see :func:`grf_spectrum`), or ``teacher`` (a wide |t|^a
  teacher of width 10^5);
* the predictor: ``lazy`` = ``solvers.min_norm(NTK(), X, y)`` (ridgeless), ``rf`` = min_norm with
  ``ArcCos(1)``, ``feature`` = ``solvers.atomic(X, y, lam=0)``;
* the test error ``mean over test points of (f - f*)^2``, plus n_atoms, certificate, timings.

All randomness derives from ``task_rng`` keyed on (d, seed, target spec) — never on n or the regime — so
the lazy and feature runs of one (d, n, seed) see the same data (common random numbers), and the curves of a
seed are nested in n. The data of a seed are memoised per process (a pure function of its parameters).
"""
from __future__ import annotations

import functools
import json
import time

import numpy as np

TEACHER_WIDTH = 100_000


def grf_spectrum(d: int, nu_t: float, kmax: int) -> np.ndarray:
    """c_k = k^(-2 nu_t - (d-1)) for k = 1 and even k >= 2, zero at k = 0 and at odd k >= 3.

    The bias-free predictors (NTK / random features / ReLU atoms) have exactly zero Funk–Hecke coefficients at
    odd k >= 3 (docs/CONVENTIONS.md), so target power there is never learned and would put an n-independent
    floor under every learning curve (theory/README.md, section 5). The wide |t|^a teacher of the paper has
    only even degrees for the same reason. The smoothness exponent nu_t is unchanged.
    """
    k = np.arange(kmax + 1, dtype=float)
    c = np.zeros(kmax + 1)
    c[1:] = k[1:] ** (-2.0 * nu_t - (d - 1))
    c[3::2] = 0.0
    return c


def grf_kmax(d: int, nu_t: float, tol: float = 1e-14, cap: int = 400) -> int:
    """Smallest K with relative neglected variance sum_{k>K} N c_k / sum N c_k below tol (capped)."""
    from theory import harmonic_dim
    big = 4000 if d <= 3 else 1500
    c = grf_spectrum(d, nu_t, big)
    p = c * np.asarray(harmonic_dim(np.arange(big + 1), d), float)
    tail = p[::-1].cumsum()[::-1]  # tail[K] = sum_{k >= K}
    ok = np.flatnonzero(tail <= tol * p.sum())
    K = int(ok[0]) if ok.size else big
    return int(min(max(K, 4), cap))


def _target_values(p, Xall, rng):
    from spherekern import targets
    kind = p["target"]
    if kind == "constant":
        return np.ones(Xall.shape[0]), {}
    if kind == "grf":
        K = grf_kmax(p["d"], p["nu_t"])
        f = targets.GaussianRandomField(p["d"], c=grf_spectrum(p["d"], p["nu_t"], K))
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            vals = f.sample(Xall, rng)
        return vals, {"grf_kmax": K, "jitter": float(f.last_jitter), "warnings": len(w)}
    if kind == "teacher":
        seed = int(rng.integers(0, 2**63))
        t = targets.Teacher(p["d"], "abs", power=p["a"], width=TEACHER_WIDTH, seed=seed)
        return t(Xall), {}
    raise ValueError(f"unknown target {kind!r}")


DATA_KEYS = ("check", "base_seed", "d", "seed", "target", "nu_t", "a", "n_max", "n_test")


@functools.lru_cache(maxsize=256)
def _pool(key: str):
    """Training pool (n_max points), test points and the target at all of them, for one (d, seed, target).

    A pure function of ``key`` (the data parameters); memoised so that the tasks of one seed (all n, both
    regimes) run in the same process sample the target once.
    """
    from paper_checks.api import task_rng
    from spherekern import sphere
    p = json.loads(key)
    rng = task_rng(p, [k for k in DATA_KEYS if k in p and k not in ("check", "base_seed")])
    Xpool = sphere.uniform(p["n_max"], p["d"], rng)
    Xt = sphere.uniform(p["n_test"], p["d"], rng)
    yall, info = _target_values(p, np.concatenate([Xpool, Xt]), rng)
    for a in (Xpool, Xt, yall):
        a.setflags(write=False)
    return Xpool, Xt, yall, info


def data(p):
    """(X_train, X_test, y_train, y_test, info) for the task: the first n points of the seed's pool.

    Independent of the regime and nested in n: one target function per (d, seed, target), sampled jointly at
    the n_max pool points and the test points.
    """
    from paper_checks.api import canonical_json
    key = canonical_json({k: p[k] for k in DATA_KEYS if k in p})
    Xpool, Xt, yall, info = _pool(key)
    n, m = p["n"], p["n_max"]
    return (np.ascontiguousarray(Xpool[:n]), Xt, np.array(yall[:n]), np.array(yall[m:]), dict(info))


#: Certificate tolerance of the feature-regime (atomic) solves of the learning curves.
FEATURE_TOL = 1e-4


def fit(regime, X, y, solver_seed=0):
    from spherekern.kernels import NTK, ArcCos
    from spherekern.solvers import atomic, min_norm
    if regime == "lazy":
        return min_norm(NTK(), X, y), {}
    if regime == "rf":
        return min_norm(ArcCos(1), X, y), {}
    if regime == "feature":
        # interior-point master: certified to max|eta| <= 1 + 1e-4 (objective within ~1e-4 of the optimum),
        # several times faster than the simplex master for n >= 256 (bench_atomic)
        # if its master fails numerically (seen on the degenerate d = 2 constant-target LPs), the simplex
        # master is tried; both certify their result, and the run records which one it is
        try:
            s, method = atomic(X, y, lam=0.0, rng=solver_seed, method="ipm", tol=FEATURE_TOL), "ipm"
        except RuntimeError:
            s, method = atomic(X, y, lam=0.0, rng=solver_seed, tol=FEATURE_TOL), "simplex"
        return s, {"atomic_method": method, "n_atoms": s.n_atoms, "certificate": s.certificate, "converged": s.converged,
                   "objective": s.objective, "rounds": len(s.history)}
    raise ValueError(f"unknown regime {regime!r}")


def compute(p):
    """Test error of one (d, n, seed, regime, target) run; see the module docstring."""
    from paper_checks.api import task_rng
    t0 = time.perf_counter()
    X, Xt, y, yt, info = data(p)
    t1 = time.perf_counter()
    solver_seed = int(task_rng(p, ("d", "n", "seed")).integers(0, 2**31))
    model, extra = fit(p["regime"], X, y, solver_seed)
    t2 = time.perf_counter()
    pred = model.predict(Xt)
    err = float(np.mean((pred - yt) ** 2))
    train_res = float(np.max(np.abs(model.predict(X) - y))) if p["n"] else 0.0
    return {"err": err, "target_var": float(np.mean(yt ** 2)), "train_max_res": train_res,
            "t_data": t1 - t0, "t_fit": t2 - t1, **extra, **info}


#: seconds of one single-threaded atomic solve at n = 128 by d, measured on the shared 2-core machine
#: (atomic(method='ipm', tol=1e-4), constant target); the solve time grows roughly like n^2.3 up to n = 1024.
#: Used only for scheduling and the ETA.
_ATOMIC_S128 = {2: 0.3, 3: 0.5, 4: 1.0, 5: 2.0}


def cost(p):
    """Estimated seconds of the task (largest first; cost-weighted ETA)."""
    n, d = p["n"], p["d"]
    if p["regime"] == "feature":
        c = 0.3 + _ATOMIC_S128.get(d, 300.0) * (n / 128.0) ** 2.3
        if p.get("target") == "grf" and p["nu_t"] > (d + 2) / 2:
            c *= 3.0  # smooth targets need many more column-generation rounds
    else:
        c = 0.1 + 0.5 * (n / 512.0) ** 3
    if p.get("target") == "grf":
        c += 1.0  # the field's sample, shared by the tasks of a seed
    return c


def field(runs, key, regime, **match):
    """(n values, seeds, array (seeds, n)) of result ``key`` for the runs with this regime and matching params.

    Seeds with a missing point (a failed run) are dropped, so that a partial grid can still be evaluated
    (the check is then reported as ERROR anyway); fewer than 2 complete seeds is an error.
    """
    sel = [r for r in runs if r.params["regime"] == regime and all(r.params.get(k) == v for k, v in match.items())]
    ns = sorted({r.params["n"] for r in sel})
    seeds = sorted({r.params["seed"] for r in sel})
    A = np.full((len(seeds), len(ns)), np.nan)
    for r in sel:
        A[seeds.index(r.params["seed"]), ns.index(r.params["n"])] = r.result[key]
    ok = ~np.isnan(A).any(axis=1)
    if ok.sum() < 2 or len(ns) < 2:
        raise ValueError(f"fewer than 2 complete seeds for regime={regime} {match}")
    return np.array(ns, float), [s for s, o in zip(seeds, ok) if o], A[ok]


def curves(runs, regime, **match):
    """(n values, seeds, test errors (seeds, n)) for the runs with this regime and matching params."""
    return field(runs, "err", regime, **match)


def incomplete(label, predicted, exc):
    """The failing row reported in place of a measurement whose runs failed."""
    from paper_checks.api import Measurement
    return Measurement(label, predicted, "incomplete", None, "needs ≥ 2 complete seeds", False,
                       note=f"not measured: {exc} (failed runs; see the error below)")
