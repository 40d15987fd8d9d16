"""Eigenvalue decay of the three dot-product functions behind the two regimes.

For each d in {2, 3, 5, 10} and each of relu(t) (the atom of the feature regime), the ReLU NTK (lazy regime)
and the arc-cosine kernel kappa_1 (random features), the Funk–Hecke eigenvalues mu_k from
`spherekern.spectrum` (closed forms) are fitted by `theory.decay_exponent` (log-log least squares over
k in [200, 2000] in quick mode, [1000, 20000] in full mode, parity zeros skipped) and compared with
`theory.asymptotic_exponent`. Two independent paths back the closed forms up:

* quadrature: `spherekern.spectrum.eigenvalues` applied to the functions themselves (`max(t, 0)`,
  `kernels.NTK()`, `kernels.ArcCos(1)`) for k <= 64, compared where |mu_k| > 1e-9 max|mu| (below that the
  float64 quadrature cannot give relative accuracy); required: max relative deviation <= 1e-6;
* Monte Carlo (d = 3): the eigenvalues of the Gram matrix K(X, X)/n of n uniform points, grouped by degree
  (sorted, each mu_k repeated N(k, d) times), against mu_k for the degrees filling the first n/40 modes;
  required: max relative deviation <= 5% (mean over seeds; bootstrap over seeds for the uncertainty).
"""
from __future__ import annotations

import numpy as np

name = "spectra"
claim = ("The ReLU, NTK and random-features spectra decay as k^-(d+2)/2, k^-d and k^-(d+2), as the theory "
         "uses (d = 2, 3, 5, 10).")
version = "1"

DIMS = (2, 3, 5, 10)
SPECTRA = ("relu", "ntk", "arccos")          # names of theory.asymptotic_exponent
LABEL = {"relu": "ReLU atom", "ntk": "NTK", "arccos": "random features κ₁"}
RANGE = {"quick": (200, 2000), "full": (1000, 20000)}
QUAD_KMAX = 64
QUAD_RTOL = 1e-6
GRAM = {"quick": dict(n=1500, seeds=2), "full": dict(n=3000, seeds=4)}
GRAM_RTOL = 0.05
EXP_TOL = 0.02


def runs(mode):
    kmin, kmax = RANGE[mode]
    out = [{"kind": "decay", "d": d, "spectrum": s, "kmin": kmin, "kmax": kmax} for d in DIMS for s in SPECTRA]
    g = GRAM[mode]
    out += [{"kind": "gram", "d": 3, "spectrum": s, "n": g["n"], "seed": i}
            for s in ("ntk", "arccos") for i in range(g["seeds"])]
    return out


def cost(p):
    return (p["n"] / 1500.0) ** 3 * 0.3 if p["kind"] == "gram" else 0.02  # seconds, roughly (measured 2026-11-23)


def _closed(name_, d, kmax):
    from spherekern import spectrum
    if name_ == "relu":
        return spectrum.relu(d, kmax)
    if name_ == "ntk":
        return spectrum.ntk(d, kmax)
    return spectrum.arccos(d, kmax, 1)


def _function(name_):
    from spherekern.kernels import NTK, ArcCos
    if name_ == "relu":
        return lambda t: np.maximum(t, 0.0)
    if name_ == "ntk":
        return NTK()
    return ArcCos(1)


def compute(p):
    import theory
    from spherekern import spectrum
    d, s = p["d"], p["spectrum"]
    if p["kind"] == "decay":
        mu = _closed(s, d, p["kmax"])
        measured = theory.decay_exponent(mu, p["kmin"], p["kmax"])
        muq = spectrum.eigenvalues(_function(s), d, QUAD_KMAX, breakpoints=(0.0,) if s == "relu" else ())
        ref = mu[: QUAD_KMAX + 1]
        ok = np.abs(ref) > 1e-9 * np.abs(ref).max()
        rel = np.abs(muq[ok] - ref[ok]) / np.abs(ref[ok])
        # closed-form zeros must be quadrature zeros too (to the quadrature's absolute accuracy)
        zero_dev = float(np.abs(muq[ref == 0]).max(initial=0.0)) / np.abs(ref).max()
        return {"measured": measured, "quad_max_rel": float(rel.max()), "quad_k": int(np.flatnonzero(ok).max()),
                "quad_zero_dev": zero_dev}
    # Gram Monte Carlo
    from paper_checks.api import task_rng
    from spherekern import sphere
    n = p["n"]
    X = sphere.uniform(n, d, task_rng(p))
    ev = np.linalg.eigvalsh(_function(s).gram(X))[::-1] / n
    kmax = 80
    mu = _closed(s, d, kmax)
    from theory import harmonic_dim
    N = np.asarray(harmonic_dim(np.arange(kmax + 1), d)).astype(int)
    lst = np.repeat(mu, N)
    degs = np.repeat(np.arange(kmax + 1), N)
    order = np.argsort(-lst, kind="stable")
    lst, degs = lst[order], degs[order]
    M = n // 40
    ks, ratios = [], []
    for k in np.unique(degs[:M]):
        sel = degs[:M] == k
        if mu[k] <= 1e-12 * mu.max() or sel.sum() < N[k]:
            continue  # parity zeros; a degree only partly inside the first M modes
        ks.append(int(k))
        ratios.append(float(ev[:M][sel].mean() / mu[k]))
    return {"k": ks, "ratio": ratios}


def evaluate(runs, ctx):
    import theory
    from paper_checks.api import Evaluation, Measurement
    from paper_checks.fitting import bootstrap
    ms = []
    for r in runs:
        p, res = r.params, r.result
        if p["kind"] != "decay":
            continue
        pred = theory.asymptotic_exponent(p["spectrum"], p["d"])
        ok_exp = abs(res["measured"] - pred) <= EXP_TOL
        ok_q = res["quad_max_rel"] <= QUAD_RTOL and res["quad_zero_dev"] <= 1e-12
        ms.append(Measurement(
            f"decay exponent s, {LABEL[p['spectrum']]}, d={p['d']} (k∈[{p['kmin']},{p['kmax']}])", pred,
            res["measured"], None, f"|Δs| ≤ {EXP_TOL}; quadrature ≤ {QUAD_RTOL:g} rel.", ok_exp and ok_q,
            note=f"quadrature of the function vs closed form: max rel. dev. {res['quad_max_rel']:.1e} for "
                 f"k ≤ {res['quad_k']}, parity zeros ≤ {res['quad_zero_dev']:.0e}"))
    extra = {}
    for s in ("ntk", "arccos"):
        grs = [r for r in runs if r.params["kind"] == "gram" and r.params["spectrum"] == s]
        if not grs:
            continue
        ks = grs[0].result["k"]
        R = np.array([r.result["ratio"] for r in grs])  # (seeds, degrees)
        b = bootstrap(R, lambda a: np.abs(a.mean(axis=0) - 1).max(), n_boot=ctx.n_boot, rng=ctx.rng(s))
        extra[f"gram_{s}"] = {"k": ks, "ratio_mean": R.mean(axis=0).tolist()}
        ms.append(Measurement(
            f"Gram eigenvalues / μ_k, {LABEL[s]}, d=3, n={grs[0].params['n']}, k ≤ {max(ks)}", "0 (ratio 1)", b.value, b.std,
            f"max |ratio − 1| ≤ {GRAM_RTOL}", b.value <= GRAM_RTOL,
            note="per-degree ratios " + ", ".join(f"k={k}: {v:.3f}" for k, v in zip(ks, R.mean(axis=0)))))
    return Evaluation(ms, extra=extra)


def plot(runs, ev, ctx):
    import theory
    from paper_checks.plotting import plt, save
    pyplot = plt()
    fig, axes = pyplot.subplots(1, 3, figsize=(13, 4))
    for ax, s in zip(axes, SPECTRA):
        for d in DIMS:
            kmax = 4000
            mu = np.abs(_closed(s, d, kmax))
            k = np.arange(kmax + 1)
            nz = mu > 0
            h = ax.loglog(k[nz][1:], mu[nz][1:] / mu[nz][1], ".", ms=1.5, label=f"d={d}")
            e = theory.asymptotic_exponent(s, d)
            kk = np.array([100.0, kmax])
            ref = mu[nz][np.searchsorted(k[nz], 100)] / mu[nz][1]
            ax.loglog(kk, ref * (kk / 100.0) ** (-e), "--", color=h[0].get_color(), lw=0.8)
        ax.set_title(f"{LABEL[s]}: |μ_k| (dashed: k^-s, s from theory)")
        ax.set_xlabel("degree k")
        ax.legend(fontsize=7)
    return [save(fig, ctx.figure_path("spectra.png"))]
