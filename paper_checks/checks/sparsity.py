"""Sparsity of the feature-regime predictor: n_A <= n atoms, and n_A proportional to n.

Reads the atomic (feature-regime, lam = 0) runs of the `constant` and `grf` checks (the same tasks, cached
once: the runs name their owner check). For every solution it checks n_A <= n (a basic solution of the
interpolation LP has at most n atoms) and that the column generation converged (certificate max|eta| <= 1
+ tol). For each (target, d) it fits the exponent gamma of mean_seeds(n_A) ~ n^gamma over the upper half
of the n range on the log scale (bootstrap over seeds); linear growth means gamma = 1 (tolerance 0.15).

What n_A measures here: the runs solve to a certificate tolerance of 1e-4 (`_curves.FEATURE_TOL`), and in
d >= 3 by the interior-point master, whose purified basic solution has exactly n atoms in every run
(gamma = 1 with zero spread). The optimum itself is sparser: near it, one atom of the exact solution is
split over several nearby columns that the tolerance cannot tell apart. Measured at n = 128, d = 3, seed 0:
constant target n_A = 128 (ipm, tol 1e-4), 119 (simplex, 1e-4), 105 (simplex, 1e-7); even nu_t = 1 field
128, 127, 119; the test errors agree to 1%. So n_A here is an upper bound on the optimum's atom count,
and the n_A <= n claim is the binding one. d = 2 runs use the simplex master (exact cells): n_A/n = 0.84-0.87
at n = 1024.
"""
from __future__ import annotations

import numpy as np

from . import _curves, constant, grf

name = "sparsity"
claim = ("The feature-regime (minimum total variation) predictor is sparse: n_A <= n atoms, with n_A "
         "growing linearly in n.")
version = "2"  # 2: feature runs use atomic(method="ipm", tol=1e-4)

GAMMA_TOL = 0.15


def groups(mode):
    """(label, owner check, match dict) of the learning curves whose atom counts are examined."""
    out = [(f"constant, d={d}", "constant", {"d": d, "target": "constant"}) for d in constant.DIMS]
    for d in grf.DIMS:
        for label, tp in grf.targets(d):
            out.append((f"{label}, d={d}", "grf", {"d": d, **tp}))
    return out


def runs(mode):
    out = [dict(p, check="constant") for p in constant.runs(mode) if p["regime"] == "feature"]
    out += [dict(p, check="grf") for p in grf.runs(mode) if p["regime"] == "feature"]
    return out


def compute(p):  # never called: every run belongs to another check
    raise RuntimeError("sparsity has no tasks of its own")


def evaluate(runs, ctx):
    from paper_checks.api import Evaluation, Measurement
    from paper_checks.fitting import fit_exponent
    ms, extra = [], {}
    ratios = [r.result["n_atoms"] / r.params["n"] for r in runs]
    worst = max(runs, key=lambda r: r.result["n_atoms"] / r.params["n"])
    bad = [r for r in runs if r.result["n_atoms"] > r.params["n"]]
    unconv = [r for r in runs if not r.result.get("converged", True)]
    ms.append(Measurement(f"max n_A / n over all {len(runs)} atomic solutions", "≤ 1", max(ratios), None,
                          "n_A ≤ n for every solution", not bad,
                          note=f"worst: d={worst['d']}, n={worst['n']}, {worst.params.get('target')}; "
                               f"{len(unconv)} solution(s) not certified converged"))
    for label, owner, match in groups(ctx.mode):
        sel = [r for r in runs if r.params["check"] == owner]
        try:
            ns, _, A = _curves.field(sel, "n_atoms", "feature", **match)
        except ValueError as exc:
            ms.append(_curves.incomplete(f"n_A ~ n^γ, {label}", 1.0, exc))
            continue
        f = fit_exponent(ns, A, n_boot=ctx.n_boot, rng=ctx.rng(label))
        gamma = -f.beta
        extra[label] = {"n": ns.tolist(), "mean_n_atoms": A.mean(0).tolist(), "gamma": gamma, "std": f.std}
        ms.append(Measurement(f"n_A ~ n^γ, {label} (fit n ≥ {int(f.n_min_fit)})", 1.0, gamma, f.std,
                              f"|γ − 1| ≤ {GAMMA_TOL}", abs(gamma - 1) <= GAMMA_TOL,
                              note=f"n_A/n at n={int(ns[-1])}: {A.mean(0)[-1] / ns[-1]:.3f}"))
    return Evaluation(ms, extra=extra)


def plot(runs, ev, ctx):
    from paper_checks.plotting import plt, save
    fig, ax = plt().subplots(figsize=(6, 4.5))
    for label, owner, match in groups(ctx.mode):
        sel = [r for r in runs if r.params["check"] == owner]
        try:
            ns, _, A = _curves.field(sel, "n_atoms", "feature", **match)
        except ValueError:
            continue
        ax.loglog(ns, A.mean(0), "o-", ms=3, lw=1, label=label)
    lim = np.array([min(r.params["n"] for r in runs), max(r.params["n"] for r in runs)], float)
    ax.loglog(lim, lim, "k--", lw=1, label="n_A = n")
    ax.set_xlabel("n")
    ax.set_ylabel("atoms n_A (mean over seeds)")
    ax.set_title("feature regime: number of atoms")
    ax.legend(fontsize=6)
    return [save(fig, ctx.figure_path("sparsity.png"))]
