"""Early alignment and the optimisation threshold (Boursier & Flammarion 2024; issue #18).

Network ``h(x) = sum_j a_j relu(w_j . x + b_j)`` (``spherekern.network.TwoLayerNet(bias=True, init=...)``),
balanced small initialisation ``(w_j, b_j) ~ N(0, lam^2/m)``, ``a_j = +-||(w_j, b_j)||``, full-batch GD on
``(1/2n) sum (h - y)^2``. Claims:

(a) at the end of the early phase (time ``t_1 = theory.alignment.early_phase_end``, from the largest
    ``|G_n|`` of the data's extremal vectors) at least 90% of the neuron mass ``|a_j| ||(w_j, b_j)||`` lies within
    ``ANGLE`` rad of an extremal vector of the right kind (``spherekern.alignment.extremal_vectors``);
(b) the number of distinct neuron directions at the end does not grow with m (m = M_SMALL vs M_BIG);
(c) the train loss vs n has an optimisation threshold n*: below it the network interpolates (train loss
    < 10% of the least-squares train loss), from it on the train loss stays >= half of the least-squares one;
(d) above n* the small-initialisation test error is within RATIO_TOL of least squares and below the
    minimum-L1 interpolant (``solvers.atomic`` on the bias-augmented points), the min-norm NTK interpolant
    and the same network from lam = 1.

Data (why not Gaussian inputs): ``x ~ U[-1, 1]^d``, ``y = C + beta . x + sigma eps``, ``beta = e_1``, ``C = 2``. The
targets are positive, so ``G_n`` has an all-active maximum ``u ∝ (E[y x], E[y])`` and no minimum with ``G_n < 0``:
the aligned network is linear on the data and its later phase is least squares; this is the regime where
the papers' simplicity bias (network ~ OLS) applies. With Gaussian inputs and ``C = 0`` (population extremal
vectors ``theory.alignment.population_extremal_vectors``, checked against the data's in a row below) the
aligned neurons are kinked inside the data and, at the budgets affordable here, the late phase slowly
overfits (measured d = 5, m = 100, lam = 1e-6, n = 160: train loss 0.075 -> 0.039 from 3e4 to 1e5 steps).

Measured before the first commit (seed 0, sigma = 0.5, quick settings, d = 5, m = 128, 2e4 steps of lr 0.05;
the extremal vectors from a stand-in ascent, since ``critical_directions`` was not yet committed):
(a) 100% of the mass within 0.1 rad at t_1 in every run (one all-active extremal vector per data set);
(b) 4.0 vs 4.5 distinct directions (m = 128 vs 512, n = 32, 128); (c) NOT reproduced: the network equals
least squares at the end of the early phase for every n (a single extremal vector), so it never interpolates
with n > d + 1; later some neurons escape and overfit (n = 32: train 0.11 vs OLS 0.13); (d) test error / OLS
= 4.4 +- 0.5 at n = 32, 128 (fails the factor 3), but below min-L1 (ratio 0.25), NTK (0.60) and the lam = 1
network (0.29). A design in which small n has several extremal vectors (so that the network interpolates
below n*) remains to be found; the rows report what this one gives.

First full quick run with the real ``critical_directions`` (working tree of 07:11 UTC, 66 runs, 352 s wall with
--jobs 2 on the shared machine at load ~8, over the ~2 min target): (a) 1.000 (28 runs), (b) +0.25 +- 0.25
directions, (c) FAIL for sigma = 0.25 (n* = 8, nothing interpolates above d + 1) and 0.5 (n* = 32, no
interpolating n below), (d) test/OLS 1.000 (sigma 0.25, n = 64, 128) and 2.6 +- 0.9 (sigma 0.5, n = 128), below
every interpolator (ratios 0.20, 0.28); population row 0.037 rad.
"""
from __future__ import annotations

import math

import numpy as np

name = "alignment"
claim = ("From a small balanced initialisation, neurons align with the extremal vectors of G_n; above an "
         "optimisation threshold n* the network stops interpolating and generalises close to least squares, "
         "better than interpolating methods.")
version = "1"

D = 5
C0 = 2.0
ANGLE = 0.1          # rad: "within a small angle" of an extremal vector
ALIGN_TOL = 0.9      # claim (a)
RATIO_TOL = 3.0      # claim (d): test error <= RATIO_TOL x OLS
LAM_SMALL, LAM_BIG = 1e-6, 1.0
LR = 0.05
M_SMALL, M_BIG = 128, 512
N_TEST = 4000
GRID = {
    "quick": dict(ns=(8, 12, 16, 32, 64, 128), sigmas=(0.25, 0.5), seeds=2, steps=20000, big_m_n=(32, 128)),
    "full": dict(ns=(8, 12, 16, 32, 64, 128, 256, 512, 1024), sigmas=(0.1, 0.25, 0.5), seeds=5, steps=200000,
                 big_m_n=(64, 256, 1024)),
}


def runs(mode):
    g = GRID[mode]
    out = []
    for sigma in g["sigmas"]:
        for n in g["ns"]:
            for seed in range(g["seeds"]):
                base = dict(d=D, n=n, sigma=sigma, seed=seed, steps=g["steps"])
                out.append(dict(base, regime="baselines", m=0, lam=0.0))
                out.append(dict(base, regime="small", m=M_SMALL, lam=LAM_SMALL))
                if sigma == max(g["sigmas"]):
                    out.append(dict(base, regime="large", m=M_SMALL, lam=LAM_BIG))
                    if n in g["big_m_n"]:
                        out.append(dict(base, regime="small", m=M_BIG, lam=LAM_SMALL))
    out.append(dict(d=1, n=24, sigma=0.1, seed=0, steps=g["steps"], regime="circle", m=64, lam=LAM_SMALL))
    out.append(dict(d=2, n=1000, sigma=0.5, seed=0, steps=0, regime="population", m=0, lam=0.0))
    return out


def cost(p):
    if p["regime"] in ("small", "large", "circle"):
        return p["steps"] * p["m"] * (p["n"] + 16) * 1e-7
    return 1e-3 * p["n"] + 0.5


def data(p, n_test=N_TEST):
    """Training and test sets of a task (common random numbers across regimes)."""
    from paper_checks.api import task_rng
    rng = task_rng(p, ("d", "n", "sigma", "seed"))
    d = p["d"]
    beta = np.eye(d)[0]
    X = rng.uniform(-1, 1, (p["n"], d))
    y = C0 + X @ beta + p["sigma"] * rng.standard_normal(p["n"])
    Xt = rng.uniform(-1, 1, (n_test, d))
    return X, y, Xt, C0 + Xt @ beta


def _sphere(X, y=None):
    """Bias-augmented points normalised to the sphere, with the targets divided by the norms."""
    from spherekern.alignment import augment
    Z = augment(X)
    r = np.linalg.norm(Z, axis=1)
    return (Z / r[:, None], r) if y is None else (Z / r[:, None], r, y / r)


def _baselines(p):
    from spherekern.alignment import least_squares, predict_linear
    from spherekern.kernels import NTK
    from spherekern.solvers.atomic import atomic
    from spherekern.solvers.min_norm import min_norm
    X, y, Xt, ft = data(p)
    c, b = least_squares(X, y)
    out = {"ols_train": float(np.mean((predict_linear(X, c, b) - y) ** 2) / 2),
           "ols_test": float(np.mean((predict_linear(Xt, c, b) - ft) ** 2))}
    Z, _, yz = _sphere(X, y)
    Zt, rt = _sphere(Xt)
    ntk = min_norm(NTK(), Z, yz)
    out["ntk_test"] = float(np.mean((rt * ntk.predict(Zt) - ft) ** 2))
    sol = atomic(Z, yz, method="ipm", tol=1e-4)
    out["l1_test"] = float(np.mean((rt * sol.predict(Zt) - ft) ** 2))
    out["l1_converged"] = bool(sol.converged)
    return out


def _population(p):
    """Gaussian inputs, C = 0: the data's largest extremal vectors against the closed form (no network)."""
    from paper_checks.api import task_rng
    from spherekern.alignment import extremal_vectors
    from theory.alignment import population_extremal_vectors
    rng = task_rng(p)
    beta = np.eye(p["d"])[0]
    X = rng.standard_normal((p["n"], p["d"]))
    y = X @ beta + p["sigma"] * rng.standard_normal(p["n"])
    ev = extremal_vectors(X, y)
    V, kinds, g = population_extremal_vectors(beta)
    out = {}
    for v, kind, gv in zip(V, kinds, g):
        T, vals = ev.of_kind(kind), ev.values[ev.kinds == kind]
        best = T[np.argmax(np.abs(vals))]
        out[f"angle_{kind}"] = float(np.arccos(np.clip(best @ v, -1, 1)))
        out[f"g_{kind}"], out[f"g_pop_{kind}"] = float(vals[np.argmax(np.abs(vals))]), float(gv)
    return out


def _network(p):
    from spherekern import alignment as al
    from spherekern.network import TwoLayerNet, train
    from theory.alignment import early_phase_end
    X, y, Xt, ft = data(p)
    d, m, lam, steps = p["d"], p["m"], p["lam"], p["steps"]
    ev = al.extremal_vectors(X, y)
    g = float(np.abs(ev.values).max())
    t1 = early_phase_end(g, lam, y_scale=float(np.mean(np.abs(y))), mass=d + 1.0)
    s1 = int(min(steps - 1, max(1, round(t1 / LR))))
    rec = sorted({0, s1, steps} | ({int(v) for v in np.geomspace(1, steps, 12)} if p["regime"] == "circle"
                                   else set()))
    net = TwoLayerNet(d, m, seed=int(p["seed"]) * 1000 + 7, bias=True, init="balanced", init_scale=lam)
    h = train(net, X, y, lr=LR, steps=steps, loss="mse", momentum=0.0, backtrack=False, tol=0.0, rtol=0.0,
              record_steps=rec, progress=False)
    th = np.asarray(h.directions)         # (r, m, d + 1), bias last
    W = np.asarray(h.weights)             # (r, m)
    steps_rec = list(np.asarray(h.record_steps).astype(int))

    def state(i):
        U = th[i]
        mass = np.abs(W[i]) * np.linalg.norm(U, axis=1)
        return U, mass, np.sign(W[i])
    i1 = steps_rec.index(s1)
    U1, mass1, sg1 = state(i1)
    Ue, masse, _ = state(len(steps_rec) - 1)
    pred = net.predict(X)
    out = {"t1": t1, "s1": s1, "g_max": g, "n_extremal": int(len(ev.values)),
           "aligned_t1": al.aligned_fraction(U1, mass1, ev.directions, ANGLE, signs=sg1, target_kinds=ev.kinds),
           "n_dirs_t1": al.count_directions(U1, mass1, ANGLE),
           "n_dirs_end": al.count_directions(Ue, masse, ANGLE),
           "train": float(np.mean((pred - y) ** 2) / 2),
           "test": float(np.mean((net.predict(Xt) - ft) ** 2))}
    if not np.isfinite(out["train"]):
        raise FloatingPointError(f"GD diverged (train loss {out['train']}) at lr = {LR}")
    if p["regime"] == "circle":
        out["record_steps"] = steps_rec
        out["angles"] = np.arctan2(th[:, :, 0], th[:, :, 1]).tolist()
        out["mass"] = (np.abs(W) * np.linalg.norm(th, axis=2)).tolist()
        out["extremal_angles"] = np.arctan2(ev.directions[:, 0], ev.directions[:, 1]).tolist()
        out["extremal_kinds"] = ev.kinds.tolist()
    return out


def compute(p):
    if p["regime"] == "baselines":
        return _baselines(p)
    if p["regime"] == "population":
        return _population(p)
    return _network(p)


INTERP_FRAC = 0.1    # (c): "interpolates" = train loss < INTERP_FRAC * sigma^2 / 2
NOISE_FRAC = 0.5     # (c): "stays near the noise level" = train loss >= NOISE_FRAC * OLS train loss


def _table(runs, regime, key, sigma, m=None):
    """{n: array over seeds} of result[key] for one regime and sigma (and m)."""
    out = {}
    for r in runs:
        p = r.params
        if p["regime"] == regime and p["sigma"] == sigma and (m is None or p["m"] == m) and p["d"] == D:
            out.setdefault(p["n"], []).append(r.result[key])
    return {n: np.asarray(v, float) for n, v in sorted(out.items())}


def threshold(train, ols_train, sigma):
    """n* from mean train losses: the smallest n from which on every n has train >= NOISE_FRAC * OLS train.

    Returns (n_star or None, list of interpolating n below it)."""
    ns = sorted(train)
    near = [train[n].mean() >= NOISE_FRAC * ols_train[n].mean() for n in ns]
    n_star = None
    for i in range(len(ns)):
        if all(near[i:]):
            n_star = ns[i]
            break
    interp = [n for n in ns if n > D + 1 and (n_star is None or n < n_star)
              and train[n].mean() < INTERP_FRAC * sigma ** 2 / 2]
    return n_star, interp


def _boot_ratio(a, b, rng, n_boot):
    """Bootstrap std of mean(a)/mean(b) over paired seeds."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    k = len(a)
    if k < 2:
        return float("nan")
    idx = rng.integers(0, k, (n_boot, k))
    return float(np.std(a[idx].mean(1) / b[idx].mean(1)))


def evaluate(runs, ctx):
    from paper_checks.api import Evaluation, Measurement
    ms, extra = [], {}
    sigmas = sorted({r.params["sigma"] for r in runs if r.params["regime"] == "baselines"})
    small = [r for r in runs if r.params["regime"] == "small" and r.params["m"] == M_SMALL]
    # (a)
    al = np.array([r.result["aligned_t1"] for r in small + [r for r in runs if r.params["regime"] == "small"
                                                            and r.params["m"] == M_BIG]])
    if al.size:
        se = float(al.std(ddof=1) / np.sqrt(al.size)) if al.size > 1 else float("nan")
        ms.append(Measurement(f"(a) mass within {ANGLE} rad of an extremal vector at t_1 (mean of {al.size} runs)",
                              f"≥ {ALIGN_TOL}", float(al.mean()), se, f"mean ≥ {ALIGN_TOL}, se < {1 - ALIGN_TOL:.2f}",
                              bool(al.mean() >= ALIGN_TOL and se < 1 - ALIGN_TOL),
                              note=f"worst run {al.min():.3f}; t_1 = log(1/λ)/g_max, λ = {LAM_SMALL}"))
    # (b)
    sig = max(sigmas) if sigmas else None
    if sig is not None:
        a, b = _table(runs, "small", "n_dirs_end", sig, M_SMALL), _table(runs, "small", "n_dirs_end", sig, M_BIG)
        common = [n for n in b if n in a]
        if common:
            diff = np.concatenate([b[n] - a[n] for n in common])
            se = float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else float("nan")
            ms.append(Measurement(f"(b) distinct directions, m={M_BIG} minus m={M_SMALL} (σ={sig}, n={common})",
                                  "≤ 1", float(diff.mean()), se, "mean ≤ 1 (se < 1)",
                                  bool(diff.mean() <= 1 and se < 1),
                                  note=f"m={M_SMALL}: {np.mean([a[n].mean() for n in common]):.1f}, "
                                       f"m={M_BIG}: {np.mean([b[n].mean() for n in common]):.1f} directions"))
    # (c), (d)
    for s in sigmas:
        tr, otr = _table(runs, "small", "train", s, M_SMALL), _table(runs, "baselines", "ols_train", s)
        if not tr or set(tr) != set(otr):
            continue
        n_star, interp = threshold(tr, otr, s)
        extra[f"sigma={s}"] = {"n_star": n_star, "interpolating_n": interp,
                               "train": {n: v.mean() for n, v in tr.items()}}
        ms.append(Measurement(f"(c) optimisation threshold n*, σ={s}, m={M_SMALL}", "exists", n_star, None,
                              f"interpolation (train < {INTERP_FRAC} σ²/2) at some d+1 < n < n*, train ≥ "
                              f"{NOISE_FRAC}·OLS train for all n ≥ n*", bool(n_star is not None and interp),
                              note=f"interpolating n: {interp}"))
        if n_star is None:
            continue
        te, ols = _table(runs, "small", "test", s, M_SMALL), _table(runs, "baselines", "ols_test", s)
        above = [n for n in te if n >= 4 * n_star][-2:] or [max(te)]
        a = np.concatenate([te[n] / ols[n].mean() for n in above])
        num = np.concatenate([te[n] for n in above])
        den = np.concatenate([ols[n] for n in above])
        ratio = float(num.mean() / den.mean())
        sd = _boot_ratio(num, den, ctx.rng("ratio", s), ctx.n_boot)
        ms.append(Measurement(f"(d) test error / OLS, σ={s}, n={above}", f"≤ {RATIO_TOL}", ratio, sd,
                              f"≤ {RATIO_TOL} (std < {RATIO_TOL / 3:.1f})",
                              bool(ratio <= RATIO_TOL and sd < RATIO_TOL / 3),
                              note=f"per-run ratios {np.round(a, 2).tolist()}"))
        worst = []
        for key, regime in (("l1_test", "baselines"), ("ntk_test", "baselines"), ("test", "large")):
            other = _table(runs, regime, key, s, M_SMALL if regime == "large" else None)
            if all(n in other for n in above):
                worst.append((key if regime == "baselines" else "large-init net",
                              float(np.mean([te[n].mean() / other[n].mean() for n in above]))))
        if worst:
            r_max = max(v for _, v in worst)
            ms.append(Measurement(f"(d) test error / interpolators', σ={s}, n={above}", "< 1", r_max, None,
                                  "small-init below every other method", bool(r_max < 1),
                                  note=", ".join(f"{k}: {v:.3f}" for k, v in worst)))
    pop = [r for r in runs if r.params["regime"] == "population"]
    for r in pop:
        ang = max(r.result["angle_max"], r.result["angle_min"])
        ms.append(Measurement(f"Gaussian x, n={r.params['n']}: data's extremal vectors vs population u±", "0 rad",
                              ang, None, f"≤ {ANGLE} rad", bool(ang <= ANGLE),
                              note=f"G_n(max) {r.result['g_max']:.3f} vs population {r.result['g_pop_max']:.3f}"))
    return Evaluation(ms, extra=extra)


def plot(runs, ev, ctx):
    from paper_checks.plotting import plt, save
    files = []
    sigmas = sorted({r.params["sigma"] for r in runs if r.params["regime"] == "baselines"})
    fig, axes = plt().subplots(1, 2 * max(1, len(sigmas)), figsize=(5 * max(1, len(sigmas)) * 2, 4))
    axes = np.atleast_1d(axes)
    for i, s in enumerate(sigmas):
        curves = [("small init (train)", "small", "train", M_SMALL, 0), ("OLS (train)", "baselines", "ols_train",
                                                                         None, 0),
                  ("small init", "small", "test", M_SMALL, 1), ("large init", "large", "test", M_SMALL, 1),
                  ("OLS", "baselines", "ols_test", None, 1), ("min-L1", "baselines", "l1_test", None, 1),
                  ("NTK", "baselines", "ntk_test", None, 1)]
        for label, regime, key, m, col in curves:
            t = _table(runs, regime, key, s, m)
            if t:
                ns = np.array(list(t))
                axes[2 * i + col].loglog(ns, [max(v.mean(), 1e-12) for v in t.values()], "o-", ms=3, label=label)
        n_star = ev.extra.get(f"sigma={s}", {}).get("n_star")
        for col, what in ((0, "train loss"), (1, "test error vs f*")):
            ax = axes[2 * i + col]
            if n_star:
                ax.axvline(n_star, color="k", ls="--", lw=1, label=f"n* = {n_star}")
            ax.set_xlabel("n")
            ax.set_title(f"σ = {s}: {what}")
            ax.legend(fontsize=6)
    files.append(save(fig, ctx.figure_path("alignment_loss.png")))
    circ = [r for r in runs if r.params["regime"] == "circle"]
    if circ:
        res = circ[0].result
        steps, ang, mass = res["record_steps"], np.asarray(res["angles"]), np.asarray(res["mass"])
        pick = np.unique(np.linspace(0, len(steps) - 1, 6).round().astype(int))
        fig, axes = plt().subplots(1, len(pick), figsize=(3 * len(pick), 3), subplot_kw={"projection": "polar"})
        for ax, k in zip(np.atleast_1d(axes), pick):
            rr = mass[k] / max(mass[k].max(), 1e-300)
            ax.scatter(ang[k], rr, s=6)
            for a, kind in zip(res["extremal_angles"], res["extremal_kinds"]):
                ax.plot([a, a], [0, 1], "r-" if kind == "max" else "b-", lw=1)
            ax.set_title(f"step {steps[k]}", fontsize=8)
            ax.set_yticklabels([])
        fig.suptitle("d = 1 with bias: neuron directions (angle of (w, b)), radius = relative mass; "
                     "red/blue = max/min extremal vectors", fontsize=8)
        files.append(save(fig, ctx.figure_path("alignment_directions.png")))
    return files
