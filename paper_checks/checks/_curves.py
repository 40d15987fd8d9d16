"""Shared learning-curve task: train one predictor on n points, measure its test error.

Used by the constant, grf, sparsity and ansatz checks. A task is
``{d, n, seed, regime, target, [nu_t | a], n_max, n_test}`` and computes

* training points ``X_n``: the first n of ``n_max`` uniform points on S^{d-1} (nested across n for a seed,
  so the learning curve of one seed is smooth), test points: ``n_test`` further uniform points;
* the target, one function per (d, seed, target) sampled jointly at the n_max pool points and the test
  points: ``constant`` (1), ``grf`` (a Gaussian random field with ``c_k = k^(-2 nu_t - (d-1))`` on the degrees
  the bias-free ReLU predictors can represent, see :func:`grf_spectrum`), or ``teacher`` (a wide |t|^a
  teacher of width 10^5);
* the predictor: ``lazy`` = ``solvers.min_norm(NTK(), X, y)`` (ridgeless), ``ridge`` = the same with the
  ridge ``r n kappa_0(n)`` (:func:`kappa0`, r = :func:`ridge_ratio`: 10, 30 in d = 2), ``rf`` = min_norm with
  ``ArcCos(1)``, ``feature`` = ``solvers.atomic(X, y, lam=0)``;
* the test error ``mean over test points of (f - f*)^2``, plus (feature) n_atoms, n_patterns, the certificate,
  the masters run (:func:`atomic_method`), and timings.

All randomness derives from ``task_rng`` keyed on (d, seed, target spec) — never on n or the regime — so
the lazy and feature runs of one (d, n, seed) see the same data (common random numbers), and the curves of a
seed are nested in n. The data of a seed are memoised per process (a pure function of its parameters).
"""
from __future__ import annotations

import functools
import json
import math
import time
import warnings

import numpy as np

TEACHER_WIDTH = 100_000


def grf_spectrum(d: int, nu_t: float, kmax: int) -> np.ndarray:
    """c_k = k^(-2 nu_t - (d-1)) for even k >= 2, zero at k = 0, k = 1 and odd k >= 3 (an even field).

    * Odd k >= 3: the bias-free predictors (NTK / random features / ReLU atoms) have exactly zero Funk–Hecke
      coefficients there (docs/CONVENTIONS.md), so target power at those degrees is never learned and would
      put an n-independent floor under every learning curve (theory/README.md, section 5).
    * k = 1: both predictors learn the linear part, but ReLU atoms represent it *exactly* with two atoms
      (relu(w.x) - relu(-w.x) = w.x), while the kernel interpolant pays for it in high-frequency error. With
      k^(-2 nu_t - (d-1)) the linear part holds almost all the variance of a smooth field (99.99% for
      nu_t = 6, d = 5), so at the n reachable here the comparison would be about that special degree, not
      about smoothness (measured with it, d = 5, nu_t = 6, n = 128: err_feature / err_lazy = 0.02).
    The wide |t|^a teacher of the paper is even for the same reasons. The smoothness exponent nu_t, and so
    every predicted exponent, is unchanged.
    """
    k = np.arange(kmax + 1, dtype=float)
    c = np.zeros(kmax + 1)
    c[2::2] = k[2::2] ** (-2.0 * nu_t - (d - 1))
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


def count_patterns(directions, X):
    """Distinct activation patterns ``(1{theta_i . x_j > 0})_j`` of the rows of ``directions`` on the rows of X,
    over the atoms active on at least one row (atoms sharing a pattern act on the training set as one atom)."""
    P = np.asarray(directions, float) @ np.asarray(X, float).T > 0
    P = P[P.any(axis=1)]
    return int(np.unique(P, axis=0).shape[0]) if P.size else 0


def atomic_method(history):
    """Which masters an ``atomic`` solve ran, from its rounds: ``"ipm+simplex"`` (the default: interior-point
    rounds, whose history entries carry ``ipm_iterations``, then the simplex crossover), ``"simplex"``, ``"ipm"``
    or ``"none"`` (no round: y = 0)."""
    ipm = sum("ipm_iterations" in h for h in history)
    parts = (["ipm"] if ipm else []) + (["simplex"] if len(history) > ipm else [])
    return "+".join(parts) or "none"


#: The ridge of the ``ridge`` regime, in units of n kappa_0(n): ``lam = ridge_ratio(d) * n * kappa0(d, n)``.
#: The KRR theory is accurate once the ridge dominates the effective regularisation of the *sample*, kappa_eff,
#: which exceeds the theory's kappa_0 in low d (per-degree measurement, theory/README.md section 6: kappa_eff /
#: kappa_0 ~ 1.3 in d = 3, 1.08 in d = 5, 2.7 in d = 2). r = 10 puts lam / (n kappa_eff) at ~8-9 in d >= 3 (measured
#: ratio simulation/theory 0.95-1.05, constant 0.95-1.14); in d = 2 the same margin needs r ~ 10 x 2.7, hence 30
#: (measured there: r = 10 gives 1.11-1.15, r = 30 gives 1.02-1.05; theory/README.md section 6).
RIDGE_R = {2: 30.0}
RIDGE_R_DEFAULT = 10.0


def ridge_ratio(d):
    """r of the ridge regime's ``lam = r n kappa_0(n)`` in dimension d (see :data:`RIDGE_R`)."""
    return RIDGE_R.get(int(d), RIDGE_R_DEFAULT)


def kappa0(d, n):
    """kappa_0(n): the ridgeless effective regularisation of the KRR eigenvalue theory for the NTK in d.

    The root of ``sum_k N(k,d) mu_k / (mu_k + kappa) = n`` (``theory.krr_learning_curve(..., full=True).kappa``,
    NTK spectrum to :func:`theory_kmax`); it does not depend on the target. A ridge ``lam = r n kappa_0``
    (Gram-matrix convention ``(K + lam I)^-1``) dominates the effective regularisation once r >> 1
    (theory/README.md section 6).
    """
    return float(_kappa0(int(d), float(n)))


@functools.lru_cache(maxsize=1024)
def _kappa0(d, n):
    import theory
    mu, _ = _spectra(d)
    return theory.krr_learning_curve(n, d, mu, np.zeros_like(mu), full=True).kappa[0]


def fit(regime, X, y, solver_seed=0, prove=False):
    from spherekern.kernels import NTK, ArcCos
    from spherekern.solvers import atomic, min_norm
    if regime == "lazy":
        return min_norm(NTK(), X, y), {}
    if regime == "rf":
        return min_norm(ArcCos(1), X, y), {}
    if regime == "ridge":
        n, d = X.shape
        k0 = kappa0(d, n)
        lam = ridge_ratio(d) * n * k0
        return min_norm(NTK(), X, y, ridge=lam), {"ridge": lam, "kappa0": k0, "ridge_ratio": ridge_ratio(d)}
    if regime == "feature":
        # the default exact solver: interior-point rounds build the column pool, then a crossover to the simplex
        # certifies max|eta| <= 1 + 1e-7 and returns a basic optimal solution (n_A <= n); a run that ends
        # uncertified says so (converged, certificate) and is reported by the checks that read it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            s = atomic(X, y, lam=0.0, rng=solver_seed,
                       verify=PROOF_TIME_LIMIT if prove else False)
        return s, {"atomic_method": atomic_method(s.history), "n_atoms": int(np.count_nonzero(s.weights)),
                   "n_patterns": count_patterns(s.directions[s.weights != 0], X), "certificate": s.certificate,
                   "converged": s.converged, "objective": s.objective, "gap": s.gap, "tol": s.tol,
                   "rounds": len(s.history), **(_proof(s) if prove else {})}
    raise ValueError(f"unknown regime {regime!r}")


#: Dimensions whose feature solutions are also proved globally optimal (``atomic(..., verify=...)``: branch and bound
#: over spherical caps, an upper bound of max|eta| over the whole sphere, run as the solver's last pricing step, so
#: that a maximum the local pricing missed becomes a column; d = 2's certificate is already an exact sweep over the
#: arcs), up to ``PROOF_MAX_N[d]`` points (``atomic``'s own ``verify="auto"`` proves the same: d = 3, and d = 5 up to
#: n = 128). Measured at n = 256, d = 3: 0.02 s and 32k-60k caps per proof at tol 1e-7 (bench, 2 threads). d = 5: the local pricing alone certified duals whose max|eta| (2 10^6 sampled directions and ascents) was
#: 1 + 1e-4 .. 1 + 1.8e-3 (constant target n = 128: 2 of 6 seeds; n = 256, teacher and smooth field: 3 of 10 seeds;
#: sharp maxima 4-32 degrees from every atom, below 0.95 a few degrees away); the proof costs 1.4-4.4 s at n = 64 .. 128
#: on 2 threads (the whole solve 3.3-6.3 s instead of 1.2-1.9 s at n = 128) and ~17 s at n = 256. So in d = 5 the
#: runs that the sparsity check reads are proved (the constant target, n <= 128); grf's d = 5 curves (to n = 256;
#: proving those to n = 128 cost +185 s, 9 min 05 s in all, with the proof of 668d8e6, 2-4x slower than today's)
#: carry the local certificate, which for a test error is immaterial (a dual off by 1e-4 .. 1e-3 at a sharp maximum).
PROOF_DIMS = (3, 5)
PROOF_MAX_N = {5: 128}
PROOF_TARGETS = {5: ("constant",)}


def proved_here(d, n, target):
    """Whether the feature solution of a run (d, n, target) is proved: :data:`PROOF_DIMS`, up to
    :data:`PROOF_MAX_N` points and for the :data:`PROOF_TARGETS` of its d (all targets where none are listed)."""
    return d in PROOF_DIMS and n <= PROOF_MAX_N.get(d, math.inf) and target in PROOF_TARGETS.get(d, (target,))


#: The proof's target ``max|eta| <= 1 + PROOF_TOL`` (atomic's own tol) and its time limit per solution (s).
PROOF_TOL, PROOF_TIME_LIMIT = 1e-7, 60.0


def _proof(sol):
    """``proof_bound`` (proven upper bound of max|eta| over the sphere), ``proof_proved`` (bound <= 1 + PROOF_TOL),
    ``proof_caps`` and ``proof_seconds`` for a feature solution solved with the proof (:func:`proved_here`)."""
    if sol.n_atoms == 0:
        return {}
    r = sol.proof
    if r is None:  # PROOF_TOL below float64's rounding margin for these data (atomic warned)
        return {"proof_bound": None, "proof_proved": False, "proof_caps": 0, "proof_seconds": 0.0,
                "proof_error": "no proof: tol below the bound's rounding margin"}
    proofs = [h for h in sol.history if "t_proof" in h]  # the proofs run as pricing steps, the last one is r
    return {"proof_bound": float(r.bound), "proof_proved": bool(r.proved and r.tol <= PROOF_TOL),
            "proof_caps": int(r.n_caps), "proof_seconds": float(sum(h["t_proof"] for h in proofs) or r.seconds),
            # proofs that found |eta| > 1 + tol where the local pricing had certified 1 + tol / 2
            "proof_repairs": sum(1 for h in proofs if h["proof_bound"] > 1 + PROOF_TOL)}


#: Regimes whose runs also report ``err_avg`` (:func:`target_average_error`) for random targets.
AVERAGED_REGIMES = ("lazy", "ridge")


def target_covariance(p, info):
    """The covariance of the random target a run samples, or None for the (deterministic) constant target.

    Returns ``(gram, c1, jitter)``: ``gram(X, Y)`` the matrix ``E f*(x_i) f*(y_j)`` for distinct points, ``c1``
    the variance ``E f*(x)^2`` and ``jitter`` the white noise the sampler added at each point (the GRF Cholesky's
    jitter, ``info["jitter"]``). grf: ``sum_{k <= K} c_k N(k,d) P_k(x.y)`` with the sampled spectrum
    (:func:`grf_spectrum` up to :func:`grf_kmax`; ``kernels.FromSpectrum``); teacher (|t|, a = 1): for every
    width H, ``E[f*(x) f*(y)] = E_theta |theta.x| |theta.y|`` with theta uniform on S^(d-1), i.e.
    ``(2 / (pi d)) (sqrt(1 - t^2) + t arcsin t)``, t = x.y (the Gaussian-theta closed form divided by
    ``E|g|^2 = d``), and ``c1 = 1/d``.
    """
    kind, d = p["target"], p["d"]
    if kind == "constant":
        return None
    if kind == "grf":
        from spherekern.kernels import FromSpectrum
        from theory import harmonic_dim
        c = grf_spectrum(d, p["nu_t"], info.get("grf_kmax") or grf_kmax(d, p["nu_t"]))
        k = FromSpectrum(c, d)
        c1 = float(np.sum(c * np.asarray(harmonic_dim(np.arange(c.size), d), float)))
        return (lambda A, B: k.gram(A, B)), c1, float(info.get("jitter", 0.0))
    if kind == "teacher":
        if p["a"] != 1:
            raise ValueError(f"no closed-form teacher covariance for a = {p['a']!r} (only a = 1)")

        def gram(A, B):
            t = np.clip(A @ B.T, -1.0, 1.0)
            return (2.0 / (math.pi * d)) * (np.sqrt(1.0 - t * t) + t * np.arcsin(t))
        return gram, 1.0 / d, 0.0
    raise ValueError(f"unknown target {kind!r}")


def target_average_error(X, Xt, ridge, cov):
    """``mean over the test points x of E_{f*}[(f(x) - f*(x))^2]`` for the NTK predictor
    ``f = K(x, X) (K_XX + ridge I)^-1 y``, y = f*(X), averaged exactly over the target's distribution.

    f is linear in y, so with ``B = (K_XX + ridge I)^-1 K(X, Xt)`` (column x: the weights of test point x) the
    average is ``c1 + jitter - 2 B_x . C(X, x) + B_x . (C_XX + jitter I) B_x`` for each x (cov from
    :func:`target_covariance`): a Rao-Blackwellised test error, whose only randomness left is the training and
    test points. B comes from ``solvers.min_norm`` itself (same Cholesky, same ridge convention).
    """
    from spherekern.kernels import NTK
    from spherekern.solvers import min_norm
    gram, c1, jit = cov
    B = min_norm(NTK(), X, NTK().gram(X, Xt), ridge=ridge).coef  # (n, m)
    CXX = gram(X, X)
    CXX = 0.5 * (CXX + CXX.T)
    CXX.flat[:: X.shape[0] + 1] = c1 + jit
    per = (c1 + jit) - 2.0 * np.einsum("ij,ij->j", B, gram(X, Xt)) + np.einsum("ij,ij->j", B, CXX @ B)
    return float(per.mean())


def compute(p):
    """Test error of one (d, n, seed, regime, target) run; see the module docstring."""
    from paper_checks.api import task_rng
    t0 = time.perf_counter()
    X, Xt, y, yt, info = data(p)
    t1 = time.perf_counter()
    solver_seed = int(task_rng(p, ("d", "n", "seed")).integers(0, 2**31))
    model, extra = fit(p["regime"], X, y, solver_seed, prove=proved_here(p["d"], p["n"], p["target"]))
    t2 = time.perf_counter()
    pred = model.predict(Xt)
    err = float(np.mean((pred - yt) ** 2))
    train_res = float(np.max(np.abs(model.predict(X) - y))) if p["n"] else 0.0
    cov = target_covariance(p, info) if p["regime"] in AVERAGED_REGIMES else None
    if cov is not None:
        t3 = time.perf_counter()
        extra = dict(extra, err_avg=target_average_error(X, Xt, extra.get("ridge", 0.0), cov),
                     t_avg=time.perf_counter() - t3)
    return {"err": err, "target_var": float(np.mean(yt ** 2)), "train_max_res": train_res,
            "t_data": t1 - t0, "t_fit": t2 - t1, **extra, **info}


#: Task cost model (seconds, for scheduling (largest first) and the ETA only): the default atomic path (certified
#: to 1e-7) ~ S128[d] * (n / 128)^GAMMA[d], from the single-thread run times of a fresh quick make check
#: (2026-12-04, commit c83bb80, medians over seeds, n = 128 / 256): d = 2 constant 0.105 / 0.66 s; d = 3 constant
#: 0.48 / 3.2 s, grf 0.58 / 2.6 s; d = 5 constant 1.5 s (n = 128), grf 1.5 / 7.6 s; the exponent 2.6 also
#: between n = 256 and 1024 in bench/RESULTS.md (d = 3: 1.46 -> 54.9 s, d = 5: 4.3 -> 155 s, 2 threads; d = 4
#: interpolated). min_norm ~ 0.6 s * (n / 4096)^3 (0.55-0.75 s at n = 4096, 0.1 s at 2048), plus the sampling of a
#: Gaussian random field (~5 s at 3548 points, paid once per seed: spread over its tasks). The quick grid's
#: estimate is 997 s of runs against 682 s measured (warm numba cache), the full grid's 2.0e6 s (README).
_ATOMIC_S128 = {2: 0.115, 3: 0.50, 4: 0.8, 5: 1.25}
_ATOMIC_GAMMA = {2: 2.6, 3: 2.6, 4: 2.6, 5: 2.6}
#: The proof's seconds at n = 128, d = 5 on a worker's one thread (constant target: 19.4 / 20.2 / 3.8 s for 3.2 / 3.1 /
#: 2.7 million caps in the fresh quick make check of 7a2375c -- the spread is the other worker's load --, 10.0 / 20.8 /
#: 25.5 s in that of 668d8e6); ~ n^1.8 (bench, 2 threads: 1.4 / 4.4 / 16.7 s at n = 64 / 128 / 256).
_PROOF_S128_D5 = 20.0


def cost(p):
    """Estimated seconds of the task (largest first; cost-weighted ETA); see _ATOMIC_S128."""
    n, d = p["n"], p["d"]
    if p["regime"] == "feature":
        c = 0.01 + _ATOMIC_S128.get(d, 2.0) * (n / 128.0) ** _ATOMIC_GAMMA.get(d, 3.0)
        if d >= 4 and proved_here(d, n, p.get("target")):
            c += _PROOF_S128_D5 * (n / 128.0) ** 1.8  # the proof and its repair rounds (d = 3's are ~0.02 s)
    else:
        c = 0.005 + 0.6 * (n / 4096.0) ** 3
    if p.get("target") == "grf":
        c += 0.3  # the field's sample, shared by the tasks of a seed
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


#: kmax of the spectra behind the finite-n theory curves. The KRR equation needs kmax far above the
#: learned degree k_c (the neglected sum_{k > kmax} N mu_k / kappa is a fraction ~ k_c / kmax of the
#: effective ridge in d = 2, where k_c ~ n); 200 000 keeps that below 2% at n = 8192 (0.5 s to build).
THEORY_KMAX = {2: 200_000, 3: 20_000}


def theory_kmax(d):
    return THEORY_KMAX.get(d, 2000)


def target_spectrum(match, kmax):
    """c_k (k = 0..kmax) of the target described by a run's params, as sampled by :func:`_target_values`.

    constant: c_0 = 1; GRF: :func:`grf_spectrum` truncated at :func:`grf_kmax` (the degrees actually
    sampled); |t|^a teacher: c_k = mu_k(|t|^a)^2 (the infinite-width field; ``spectrum.abs_power``).
    """
    from spherekern import spectrum
    d = match["d"]
    c = np.zeros(kmax + 1)
    if match["target"] == "constant":
        c[0] = 1.0
    elif match["target"] == "grf":
        K = grf_kmax(d, match["nu_t"])
        c[: min(K, kmax) + 1] = grf_spectrum(d, match["nu_t"], K)[: kmax + 1]
    elif match["target"] == "teacher":
        c[:] = spectrum.abs_power(d, kmax, match["a"]) ** 2
    else:
        raise ValueError(f"unknown target {match['target']!r}")
    return c


@functools.lru_cache(maxsize=64)
def _spectra(d):
    from spherekern import spectrum
    K = theory_kmax(d)
    return spectrum.ntk(d, K), spectrum.relu(d, K)


def theory_curve(regime, match, ns):
    """The finite-n theory's learning curve eps(n) for one regime and target (no fitted parameter).

    lazy: ``theory.krr_learning_curve`` (eigenvalue theory of ridgeless kernel regression, NTK spectrum);
    ridge: the same theory with the ridge ``ridge_ratio(d) n kappa0(d, n)`` of the ``ridge`` regime;
    feature: ``theory.spectral_bias_curve`` with the ReLU atom's coefficients and n centres. Both come
    from the spectra alone and tend to n^(-beta) with ``theory.beta`` as n grows.
    """
    if regime not in ("lazy", "feature", "ridge"):
        raise ValueError(f"no theory curve for regime {regime!r}")
    key = json.dumps({k: match.get(k) for k in ("d", "target", "nu_t", "a")}, sort_keys=True)
    return _theory_curve(regime, key, tuple(float(v) for v in np.ravel(ns))).copy()


@functools.lru_cache(maxsize=256)
def _theory_curve(regime, key, ns):
    import theory
    match = json.loads(key)
    d = match["d"]
    mu, relu = _spectra(d)
    c = target_spectrum(match, mu.size - 1)
    ns = np.asarray(ns, float)
    if regime == "lazy":
        return theory.krr_learning_curve(ns, d, mu, c)
    if regime == "ridge":  # lam = r n kappa_0(n) changes with n: one solve per n
        r = ridge_ratio(d)
        return np.array([theory.krr_learning_curve(n, d, mu, c, ridge=r * n * kappa0(d, n)) for n in ns])
    return theory.spectral_bias_curve(ns, d, c, relu)


def window_slope(regime, match, n_fit):
    """Predicted slope over a fit window: minus the log-log least-squares slope of :func:`theory_curve`
    at the same n as the measured fit (so prediction and measurement see the same pre-asymptotics)."""
    from paper_checks.fitting import loglog_slope
    n_fit = np.asarray(n_fit, float)
    return -loglog_slope(n_fit, theory_curve(regime, match, n_fit))[0]


def target_nu(match):
    """The smoothness nu_t of the target of a run's params (inf for the constant; the |t|^a teacher's field)."""
    import theory
    if match["target"] == "teacher":
        return theory.nu_from_teacher("abs", match["a"])
    return match.get("nu_t", math.inf)


def fit_of(ev, *path):
    """The PowerLawFit an evaluation stored at ``ev.extra[path[0]][path[1]]...`` (as_dict), or None if absent:
    figures draw the table's own fit instead of refitting."""
    from paper_checks.fitting import PowerLawFit
    d = ev.extra if ev is not None else {}
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return PowerLawFit.from_dict(d)


def slope_measurement(regime, match, ns, E, ctx, rng_key, label):
    """Fit the measured curve, predict its slope over the same window, and return (Measurement, extra)."""
    import theory
    from paper_checks.api import Measurement
    from paper_checks.fitting import fit_exponent
    d = match["d"]
    nu = target_nu(match)
    b_inf = theory.beta(d, nu, regime)
    f = fit_exponent(ns, E, n_boot=ctx.n_boot, rng=ctx.rng(*rng_key))
    pred = window_slope(regime, match, f.n_fit)
    extra = {"n": ns.tolist(), "mean_err": E.mean(0).tolist(), "fit": f.as_dict(), "predicted": pred,
             "beta_asymptotic": b_inf, "nu_t": nu}
    m = Measurement(f"β {regime}, {label} (fit n ∈ [{int(f.n_fit.min())}, {int(f.n_fit.max())}]; β∞ = {b_inf:.3g})",
                    pred, f.beta, f.std, f"|Δβ| ≤ {ctx.slope_tol}", abs(f.beta - pred) <= ctx.slope_tol,
                    note=f"predicted = slope of the finite-n theory curve over the fit window "
                         f"({'KRR eigenvalue theory' if regime == 'lazy' else 'spectral-bias ansatz, ReLU atoms'}); "
                         f"asymptotically β = {b_inf:.3g}")
    return m, extra


def incomplete(label, predicted, exc):
    """The failing row reported in place of a measurement whose runs failed."""
    from paper_checks.api import Measurement
    return Measurement(label, predicted, "incomplete", None, "needs ≥ 2 complete seeds", False,
                       note=f"not measured: {exc} (failed runs; see the error below)")
