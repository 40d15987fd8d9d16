"""Sparsity of the feature-regime predictor, measured on certified optimal solutions: n_A <= n, n_A ∝ n.

Own tasks: the minimum-total-variation interpolant ``solvers.atomic(X, y, lam=0)`` solved by the simplex master
(HiGHS dual simplex, a basic optimal solution of the interpolation LP) and certified to
``max|eta| <= 1 + CERT_TOL`` with ``CERT_TOL = 1e-7`` (the learning-curve runs of `constant` and `grf` solve to
1e-4 by the interior-point master, whose purified vertex has exactly n atoms by construction: their atom
count measures the solver, not the optimum). Atoms are counted as in Petrini et al. (2022), in two ways:

* ``n_atoms``: distinct atoms (directions) with non-zero weight;
* ``n_patterns``: distinct activation patterns ``(1{theta_i . x_j > 0})_j`` on the training set among the
  atoms with non-zero weight active on at least one point (atoms sharing a pattern act on the training set as
  one atom; relu is linear on the cone of a pattern).

Verdicts: every solution certified (certificate <= 1 + 1e-7) with ``n_A <= n`` (a basic solution of the
interpolation LP has at most n atoms); for each (target, d) the exponent gamma of ``mean_seeds(n_A) ~ n^gamma``
over the upper half of the n range on the log scale (bootstrap over seeds) within 0.15 of 1 (linear growth).
n_A/n per curve is reported and drawn.

Cost (simplex master at tol 1e-7, one thread, the shared 2-core machine, constant target, seed 0): d = 3:
1.2 / 2.0 / 18.6 s at n = 64 / 128 / 256 (52 / 104 / 222 atoms); d = 5: 0.9 / 5.3 / 117 s (49 / 101 / 225 atoms);
rough field (nu_t = 1) d = 3, n = 128: 1.8 s (116 atoms). So quick mode stops at n = 128 in d >= 3 and at
n = 256 in d = 2 (d = 2, n = 512 at 1e-7: 50 s per solve on the loaded machine, where d = 5, n = 128 took 30 s).
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from . import _curves

name = "sparsity"
claim = ("The feature-regime (minimum total variation) predictor is sparse: its certified optimal solutions have "
         "n_A <= n atoms (distinct atoms and activation patterns), with n_A growing linearly in n.")
version = "3"  # 2: feature runs use atomic(method="ipm", tol=1e-4); 3: own certified (simplex, 1e-7) solutions

GAMMA_TOL = 0.15
#: Certificate tolerance of the sparsity solves: max|eta| <= 1 + CERT_TOL.
CERT_TOL = 1e-7

GROUPS = (  # (label, d, target params)
    ("constant, d=2", 2, {"target": "constant"}),
    ("constant, d=3", 3, {"target": "constant"}),
    ("constant, d=5", 5, {"target": "constant"}),
    ("grf-rough (ν_t=1), d=3", 3, {"target": "grf", "nu_t": 1.0}),
    ("grf-smooth (ν_t=4), d=3", 3, {"target": "grf", "nu_t": 4.0}),
    ("teacher |t|, d=3", 3, {"target": "teacher", "a": 1.0}),
)
GRID = {
    "quick": dict(ns={2: (16, 32, 64, 128, 256), 3: (16, 32, 64, 128), 5: (16, 32, 64, 128)},
                  groups=GROUPS[:4], seeds=3, n_test=500),
    "full": dict(ns={2: (16, 32, 64, 128, 256, 512, 1024, 2048), 3: (16, 32, 64, 128, 256, 512, 1024),
                     5: (16, 32, 64, 128, 256, 512)}, groups=GROUPS, seeds=8, n_test=2000),
}


def runs(mode):
    g = GRID[mode]
    out = []
    for _, d, tp in g["groups"]:
        ns = g["ns"][d]
        for n in ns:
            for s in range(g["seeds"]):
                out.append({"d": d, "n": n, "seed": s, "regime": "feature-certified", **tp, "n_max": max(ns),
                            "n_test": g["n_test"]})
    return out


def count_patterns(directions, X):
    """Distinct activation patterns ``(1{theta_i . x_j > 0})_j`` of the rows of ``directions`` on the rows of X,
    over the atoms active on at least one row."""
    P = np.asarray(directions, float) @ np.asarray(X, float).T > 0
    P = P[P.any(axis=1)]
    return int(np.unique(P, axis=0).shape[0]) if P.size else 0


def compute(p):
    from paper_checks.api import task_rng
    from spherekern.solvers import atomic
    X, Xt, y, yt, info = _curves.data(p)
    seed = int(task_rng(p, ("d", "n", "seed")).integers(0, 2**31))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an uncertified result is reported as such
        s = atomic(X, y, lam=0.0, rng=seed, method="simplex", tol=CERT_TOL)
    t1 = time.perf_counter()
    w = np.asarray(s.weights)
    nz = w != 0
    return {"n_atoms": int(np.count_nonzero(nz)), "n_patterns": count_patterns(np.asarray(s.directions)[nz], X),
            "certificate": float(s.certificate), "converged": bool(s.converged), "gap": float(s.gap),
            "objective": float(s.objective), "rounds": len(s.history),
            "err": float(np.mean((s.predict(Xt) - yt) ** 2)), "t_fit": t1 - t0, **info}


def cost(p):
    """Seconds, roughly (see the module docstring)."""
    s = {2: 0.003, 3: 0.02, 5: 0.03}.get(p["d"], 0.05)
    return 0.01 + s * (p["n"] / 16.0) ** {2: 2.5, 3: 2.4, 5: 2.8}.get(p["d"], 3.0)


def _match(d, tp):
    return {"d": d, **tp}


def evaluate(runs, ctx):
    from paper_checks.api import Evaluation, Measurement
    from paper_checks.fitting import fit_exponent
    ms, extra = [], {}
    worst = max(runs, key=lambda r: max(r.result["n_atoms"], r.result["n_patterns"]) / r["n"])
    wr = max(worst.result["n_atoms"], worst.result["n_patterns"]) / worst["n"]
    bad = [r for r in runs if max(r.result["n_atoms"], r.result["n_patterns"]) > r["n"]]
    unconv = [r for r in runs if not r.result["converged"] or r.result["certificate"] > 1 + CERT_TOL]
    ms.append(Measurement(f"max n_A / n over all {len(runs)} certified optimal solutions (atoms and patterns)", "≤ 1",
                          wr, None, f"n_A ≤ n and certificate ≤ 1 + {CERT_TOL:g} for every solution",
                          not bad and not unconv,
                          note=f"worst: d={worst['d']}, n={worst['n']}, {worst['target']}; {len(unconv)} solution(s) "
                               f"not certified to {CERT_TOL:g} (largest certificate − 1 = "
                               f"{max(r.result['certificate'] for r in runs) - 1:.1e}); solutions with fewer patterns "
                               f"than atoms: {sum(r.result['n_patterns'] < r.result['n_atoms'] for r in runs)}"))
    for label, d, tp in GRID[ctx.mode]["groups"]:
        try:
            ns, _, A = _curves.field(runs, "n_atoms", "feature-certified", **_match(d, tp))
            _, _, Pt = _curves.field(runs, "n_patterns", "feature-certified", **_match(d, tp))
        except ValueError as exc:
            ms.append(_curves.incomplete(f"n_A ~ n^γ, {label}", 1.0, exc))
            continue
        f = fit_exponent(ns, A, n_boot=ctx.n_boot, rng=ctx.rng(label))
        gamma = -f.beta
        ratio = A.mean(0) / ns
        extra[label] = {"n": ns.tolist(), "mean_n_atoms": A.mean(0).tolist(), "mean_n_patterns": Pt.mean(0).tolist(),
                        "n_atoms_over_n": ratio.tolist(), "gamma": gamma, "std": f.std, "fit": f.as_dict()}
        ms.append(Measurement(f"n_A ~ n^γ, {label} (fit n ∈ [{int(f.n_fit.min())}, {int(f.n_fit.max())}])", 1.0,
                              gamma, f.std, f"|γ − 1| ≤ {GAMMA_TOL}", abs(gamma - 1) <= GAMMA_TOL,
                              note="n_A/n (atoms / patterns) by n: " + ", ".join(
                                  f"{int(n)}: {a:.2f} / {p:.2f}" for n, a, p in zip(ns, ratio, Pt.mean(0) / ns))))
    return Evaluation(ms, extra=extra)


def plot(runs, ev, ctx):
    from paper_checks.plotting import plt, save
    fig, ax = plt().subplots(figsize=(6, 4.5))
    for i, (label, d, tp) in enumerate(GRID[ctx.mode]["groups"]):
        try:
            ns, _, A = _curves.field(runs, "n_atoms", "feature-certified", **_match(d, tp))
            _, _, Pt = _curves.field(runs, "n_patterns", "feature-certified", **_match(d, tp))
        except ValueError:
            continue
        se = A.std(0, ddof=1) / np.sqrt(A.shape[0]) / ns
        ax.errorbar(ns, A.mean(0) / ns, yerr=se, fmt="o-", ms=3, lw=1, capsize=2, color=f"C{i}", label=label)
        ax.plot(ns, Pt.mean(0) / ns, "x:", ms=4, lw=0.8, color=f"C{i}")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="n_A = n")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("n")
    ax.set_ylabel("n_A / n (mean over seeds; x: activation patterns)")
    ax.set_title(f"feature regime: atoms of certified optima (tol {CERT_TOL:g})")
    ax.legend(fontsize=6)
    return [save(fig, ctx.figure_path("sparsity.png"))]
