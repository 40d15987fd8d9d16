"""Gradient descent on actual two-layer ReLU networks reproduces the two regimes (small problems, d = 3).

`spherekern.network.train` (full-batch GD with backtracking) on `TwoLayerNet(d, H, xi, sphere)`:

* feature regime: xi = 0 (mean-field scaling), first-layer weights on the sphere, conic (Chizat) steps and a
  small L1 penalty lam = 1e-3 on the output weights (the setting whose minimisers are atomic), constant
  target (Fig. 4), then `network.refit_output`: the output layer replaced by an exact minimiser of the same
  L1 objective over the learnt features, at a vertex (linearly independent active features). GD alone does
  not reach a sparse minimiser (conic masses decay but never vanish, and same-cell neurons leave a face of
  minimisers: n_A up to ~1.7 n at n = 16); the refit never raises the objective (reported: its relative
  decrease and duality gap) and leaves the first layer as GD learnt it. Measured: the final network ends
  sparse (n_A = `network.count_atoms` <= n for every run; GD-only n_A reported beside it), and the exponent
  of its learning curve matches that of the atomic (lam = 0) solutions of the `constant` check in the same d over the same n values (shared runs; both fitted over the upper half of
  those n on the log scale; |diff| <= the mode's slope tolerance; theory.beta(d, inf, "feature") for
  reference). (The lam > 0 atomic solver is too slow for the quick budget, hence the lam = 0 reference.)
* lazy regime: xi = 1 (NTK scaling, initial function subtracted), standard Gaussian initialisation, trained to
  loss <= 1e-10 (relative) or the step budget, on the wide |t| teacher (a rough target: there the error of the
  kernel limit dominates the O(H^-1/2) finite-width corrections, which on the constant target are larger
  than the tiny kernel error itself). The reference is `solvers.min_norm(net.kernel(), X, y)` (the network's
  tangent kernel, here the NTK). Measured: the largest |err_GD / err_min_norm - 1| over n (means over seeds)
  must be <= 0.25.

Slopes over the upper half of the n range on the log scale; bootstrap over seeds.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np

from . import _curves

name = "gd"
claim = ("Networks trained by gradient descent reproduce both regimes: with xi = 0 (+ small L1, exact output "
         "layer at the end) they end sparse (n_A <= n) with the atomic solution's learning-curve exponent; "
         "with xi = 1 they track min_norm.")
version = "2"

D = 3
LAM = 1e-3
GRID = {
    "quick": dict(feature_ns=(16, 32, 64, 128), lazy_ns=(16, 32, 64), seeds=4, H_feature=256, H_lazy=512,
                  steps_feature=4000, steps_lazy=6000, n_test=1500),
    "full": dict(feature_ns=(16, 32, 64, 128, 256, 512), lazy_ns=(16, 32, 64, 128, 256), seeds=8,
                 H_feature=1024, H_lazy=4096, steps_feature=20000, steps_lazy=40000, n_test=4000),
}
LAZY_TOL = 0.25


def runs(mode):
    g = GRID[mode]
    out = []
    for n in g["feature_ns"]:
        for s in range(g["seeds"]):
            out.append({"d": D, "n": n, "seed": s, "regime": "gd-feature", "target": "constant", "lam": LAM,
                        "H": g["H_feature"], "steps": g["steps_feature"], "n_max": max(g["feature_ns"]),
                        "n_test": g["n_test"]})
    for n in g["lazy_ns"]:
        for s in range(g["seeds"]):
            out.append({"d": D, "n": n, "seed": s, "regime": "gd-lazy", "target": "teacher", "a": 1.0,
                        "H": g["H_lazy"], "steps": g["steps_lazy"], "n_max": max(g["lazy_ns"]),
                        "n_test": g["n_test"]})
    from . import constant
    out += [dict(p, check="constant") for p in constant.runs(mode)
            if p["d"] == D and p["regime"] == "feature" and p["n"] in g["feature_ns"]]
    return out


def cost(p):
    c = p["H"] * p["n"] * p["steps"] / 1.3e8  # seconds, roughly
    if p["regime"] == "gd-feature":
        c += 0.1 + 0.4 * p["n"] / 128  # refit_output (measured 0.15-0.45 s at H = 256, n = 16..128)
    return c


def compute(p):
    from paper_checks.api import task_rng
    from spherekern import network
    from spherekern.solvers import min_norm
    X, Xt, y, yt, info = _curves.data(p)
    net_seed = int(task_rng(p, ("d", "n", "seed", "regime")).integers(0, 2**63))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if p["regime"] == "gd-feature":
            net = network.TwoLayerNet(p["d"], p["H"], xi=0.0, sphere=True, seed=net_seed)
            h = network.train(net, X, y, steps=p["steps"], tol=0.0, rtol=0.0, lam=p["lam"], conic=True,
                              progress=False)
            gd = {"n_atoms_gd": int(network.count_atoms(net, X)), "objective_gd": float(h.objective[-1]),
                  "err_gd": float(np.mean((net.predict(Xt) - yt) ** 2))}
            rf = network.refit_output(net, X, y, p["lam"])
            gd.update(refit_gap=rf.gap, refit_kkt=rf.kkt, refit_support=rf.n_support, t_refit=rf.seconds)
            t1 = time.perf_counter()
            ref = None
        else:
            net = network.TwoLayerNet(p["d"], p["H"], xi=1.0, sphere=False, seed=net_seed)
            h = network.train(net, X, y, steps=p["steps"], tol=1e-10, progress=False)
            t1 = time.perf_counter()
            ref = min_norm(net.kernel(), X, y)
            gd = {}
    fg = net.predict(Xt)
    fr = ref.predict(Xt) if ref is not None else np.full_like(fg, np.nan)
    obj, loss = float(h.objective[-1]), float(h.loss[-1])
    if p["regime"] == "gd-feature":
        res = net.predict(X) - y
        loss = 0.5 * float(np.mean(res ** 2))
        obj = loss + p["lam"] * float(np.abs(net.weights).sum()) / net.width
    return {"err": float(np.mean((fg - yt) ** 2)), "err_ref": float(np.mean((fr - yt) ** 2)),
            "dist_ref": float(np.mean((fg - fr) ** 2)), "n_atoms": int(network.count_atoms(net, X)),
            "objective": obj, "loss": loss, "steps": int(h.steps),
            "converged": bool(h.converged), "t_train": t1 - t0, **gd}


def evaluate(runs, ctx):
    import theory
    from paper_checks.api import Evaluation, Measurement
    from paper_checks.fitting import bootstrap, fit_exponent
    ms, extra = [], {}
    feat = [r for r in runs if r["regime"] == "gd-feature"]
    atom = [r for r in runs if r["check"] == "constant"]
    worst = max(r.result["n_atoms"] / r["n"] for r in feat)
    worst_gd = max(r.result["n_atoms_gd"] / r["n"] for r in feat)
    drop = [1.0 - r.result["objective"] / r.result["objective_gd"] for r in feat]
    ms.append(Measurement(f"feature GD (xi=0, conic, L1 λ={LAM:g}) + exact output layer (refit_output): "
                          f"max n_A / n over {len(feat)} runs", "≤ 1", worst,
                          None, "n_A ≤ n for every run", all(r.result["n_atoms"] <= r["n"] for r in feat),
                          note="mean n_A (final / GD before the refit / atomic λ=0) by n: " + ", ".join(
                              f"{n}: {np.mean([r.result['n_atoms'] for r in feat if r['n'] == n]):.1f} / "
                              f"{np.mean([r.result['n_atoms_gd'] for r in feat if r['n'] == n]):.1f} / "
                              f"{np.mean([r.result['n_atoms'] for r in atom if r['n'] == n]):.1f}"
                              for n in sorted({r['n'] for r in feat}))
                          + f"; GD alone: max n_A / n = {worst_gd:.2f}; the refit lowered the objective by "
                            f"{100 * np.median(drop):.2f}% (median), {100 * max(drop):.2f}% (max), relative duality "
                            f"gap ≤ {max(r.result['refit_gap'] for r in feat):.1e}"))
    ns, _, E = _curves.field(feat, "err", "gd-feature")
    na, _, R = _curves.field(atom, "err", "feature")
    fg = fit_exponent(ns, E, n_boot=ctx.n_boot, rng=ctx.rng("gd"))
    fa = fit_exponent(na, R, n_boot=ctx.n_boot, rng=ctx.rng("atomic"))
    dbeta = fg.beta - fa.beta
    dstd = math.hypot(fg.std, fa.std)  # independent data: the two bootstraps combine in quadrature
    extra["feature"] = {"n": ns.tolist(), "err_gd": E.mean(0).tolist(), "err_atomic": R.mean(0).tolist(),
                        "fit_gd": fg.as_dict(), "fit_atomic": fa.as_dict()}
    ms.append(Measurement(f"β feature GD − β atomic (λ=0), constant target, d={D} (fit n ≥ {int(fg.n_min_fit)})",
                          0.0, dbeta, dstd, f"|Δβ| ≤ {ctx.slope_tol}", abs(dbeta) <= ctx.slope_tol,
                          note=f"β GD = {fg.beta:.2f} ± {fg.std:.2f}, β atomic = {fa.beta:.2f} ± {fa.std:.2f}, "
                               f"theory β_feature = {theory.beta(D, math.inf, 'feature'):.2f}"))
    lazy = [r for r in runs if r["regime"] == "gd-lazy"]
    nl, _, EL = _curves.field(lazy, "err", "gd-lazy")
    _, _, RL = _curves.field(lazy, "err_ref", "gd-lazy")
    b = bootstrap(np.stack([EL, RL], -1), lambda a: np.abs(a[..., 0].mean(0) / a[..., 1].mean(0) - 1).max(),
                  n_boot=ctx.n_boot, rng=ctx.rng("lazy"))
    ratio = EL.mean(0) / RL.mean(0)
    extra["lazy"] = {"n": nl.tolist(), "err_gd": EL.mean(0).tolist(), "err_min_norm": RL.mean(0).tolist()}
    ms.append(Measurement(f"lazy GD (xi=1, H={lazy[0]['H']}) vs min_norm, |t| teacher, d={D}: max |err ratio − 1|",
                          0.0, b.value, b.std, f"≤ {LAZY_TOL}", b.value <= LAZY_TOL,
                          note="err_GD/err_min_norm by n: " + ", ".join(f"{int(n)}: {v:.3f}" for n, v in zip(nl, ratio))
                               + "; unconverged runs: " + str(sum(not r.result["converged"] for r in lazy))))
    return Evaluation(ms, extra=extra)


def plot(runs, ev, ctx):
    import theory
    from paper_checks.plotting import learning_curve, plt, save
    fig, (a1, a2) = plt().subplots(1, 2, figsize=(10, 4))
    feat = [r for r in runs if r["regime"] == "gd-feature"]
    ns, _, E = _curves.field(feat, "err", "gd-feature")
    na, _, R = _curves.field([r for r in runs if r["check"] == "constant"], "err", "feature")
    # the table's fits
    learning_curve(a1, ns, E, "feature GD", color="C3", fit=_curves.fit_of(ev, "feature", "fit_gd"),
                   predicted=theory.beta(D, math.inf, "feature"))
    learning_curve(a1, na, R, "atomic (λ=0)", color="k", marker="x", fit=_curves.fit_of(ev, "feature", "fit_atomic"))
    a1.set_title(f"feature regime, constant target, d={D}")
    a1.legend(fontsize=7)
    lazy = [r for r in runs if r["regime"] == "gd-lazy"]
    nl, _, EL = _curves.field(lazy, "err", "gd-lazy")
    _, _, RL = _curves.field(lazy, "err_ref", "gd-lazy")
    learning_curve(a2, nl, EL, "lazy GD", color="C0")
    learning_curve(a2, nl, RL, "min_norm (NTK)", color="k", marker="x")
    a2.set_title(f"lazy regime, |t| teacher, d={D}")
    a2.legend(fontsize=7)
    for a in (a1, a2):
        a.set_xlabel("n")
        a.set_ylabel("test error")
    return [save(fig, ctx.figure_path("gd.png"))]
