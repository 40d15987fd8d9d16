"""The learning-curve theories against the measured curves, prefactors included.

Reads the lazy (min_norm, NTK) and feature (atomic) runs of the `constant` and `grf` checks (shared tasks).
For each target and d it evaluates

* `theory.krr_learning_curve(n, d, mu, c)`: the eigenvalue theory of ridgeless kernel regression, with
  mu = `spectrum.ntk(d, kmax)` and c the target's spectrum per harmonic (constant: c_0 = 1; GRF:
  `_curves.grf_spectrum`; |t| teacher: c_k = mu_k(|t|)^2, `spectrum.abs_power(d, kmax, 1)^2`). Verdict: the
  largest relative deviation |theory/measured - 1| over the n >= 32 of the grid is at most 25% (measured =
  mean over seeds; bootstrap over seeds for the uncertainty);
* `theory.spectral_bias_curve(n, d, c, phi)`: the spectral-bias ansatz, overlaid on the figure for both
  regimes (phi = NTK eigenvalues with n centres for the lazy regime; phi = ReLU coefficients
  `spectrum.relu(d, kmax)` with the measured mean number of atoms n_A as centres for the feature regime).
  Its ratio to the measurement at the largest n is reported (it is an order-of-magnitude ansatz; no verdict).

Expected outcome (theory/README.md section 6). The KRR theory is exact for Gaussian features; spherical
harmonics at iid uniform points are not, and in low dimension the *ridgeless* interpolant learns its
well-learned degrees as if kappa were ~1.3 kappa (d = 3): measured/theory 1.1-1.35 for rough targets, 1.5-2.4
for smooth and constant ones in d = 3, 2-9 in d = 2, within ~15-30% in d = 5. This is the known low-dimension
failure of the replica / eigenlearning prediction without ridge (Tomasini, Sclocchi & Wyart, ICML 2022); with
a ridge >= 10 n kappa_0 it agrees within 5%. The verdict is kept as the issue states it (25% on the ridgeless
curves), so the rows for smooth and constant targets in d <= 3 are expected to fail.
"""
from __future__ import annotations

import numpy as np

from . import _curves, constant, grf

name = "ansatz"
claim = ("The eigenvalue learning-curve theory of kernel regression predicts the measured lazy learning "
         "curves, prefactor included, within 25%; the spectral-bias ansatz tracks both regimes.")
version = "2"  # 2: feature runs use atomic(method="ipm", tol=1e-4)

KRR_TOL = 0.25
N_MIN = 32


def groups():
    out = [(f"constant, d={d}", "constant", {"d": d, "target": "constant"}) for d in constant.DIMS]
    for d in grf.DIMS:
        for label, tp in grf.targets(d):
            out.append((f"{label}, d={d}", "grf", {"d": d, **tp}))
    return out


def runs(mode):
    out = [dict(p, check="constant") for p in constant.runs(mode)]
    out += [dict(p, check="grf") for p in grf.runs(mode)]
    return out


def compute(p):  # never called: every run belongs to another check
    raise RuntimeError("ansatz has no tasks of its own")


def predictions(match, ns, n_atoms=None):
    """Theory curves at the measured n: KRR theory and lazy ansatz at n, feature ansatz at the mean n_A.

    The spectra run to ``_curves.theory_kmax(d)`` (20 000 in d = 3, 200 000 in d = 2): the KRR equation
    needs kmax far above the learned degree (with kmax = 400 in d = 3 the theory came out 10-28% low at
    n = 512-4096; theory/README.md section 6).
    """
    import theory
    d = match["d"]
    mu, relu = _curves._spectra(d)
    c = _curves.target_spectrum(match, mu.size - 1)
    out = {"krr": _curves.theory_curve("lazy", match, ns),
           "sb_lazy": theory.spectral_bias_curve(ns, d, c, mu)}
    if n_atoms is not None:
        out["sb_feature"] = theory.spectral_bias_curve(n_atoms, d, c, relu)
    return out


def evaluate(runs, ctx):
    from paper_checks.api import Evaluation, Measurement
    from paper_checks.fitting import bootstrap
    ms, extra = [], {}
    for label, owner, match in groups():
        sel = [r for r in runs if r.params["check"] == owner]
        try:
            ns, _, E = _curves.curves(sel, "lazy", **match)
            nf, _, EF = _curves.curves(sel, "feature", **match)
            _, _, A = _curves.field(sel, "n_atoms", "feature", **match)
        except ValueError as exc:
            ms.append(_curves.incomplete(f"KRR theory vs lazy curve, {label}", 0.0, exc))
            continue
        pr = predictions(match, ns, A.mean(0))
        use = ns >= N_MIN
        krr = pr["krr"][use]
        b = bootstrap(E[:, use], lambda e: np.abs(krr / e.mean(0) - 1).max(), n_boot=ctx.n_boot, rng=ctx.rng(label))
        dev = krr / E[:, use].mean(0) - 1
        sbl = pr["sb_lazy"][-1] / E[:, -1].mean()
        sbf = pr["sb_feature"][-1] / EF[:, -1].mean()
        nfl = int(nf[-1])
        extra[label] = {"n": ns.tolist(), "measured_lazy": E.mean(0).tolist(), "krr": pr["krr"].tolist(),
                        "spectral_bias_lazy": pr["sb_lazy"].tolist(), "measured_feature": EF.mean(0).tolist(),
                        "spectral_bias_feature": pr["sb_feature"].tolist()}
        ms.append(Measurement(f"KRR theory vs lazy curve, {label}: max |theory/measured − 1| (n ≥ {N_MIN})", 0.0,
                              b.value, b.std, f"≤ {KRR_TOL}", b.value <= KRR_TOL,
                              note="theory/measured − 1 by n: " + ", ".join(
                                  f"{int(n)}: {v:+.2f}" for n, v in zip(ns[use], dev))
                              + f"; spectral-bias ansatz / measured at the largest n: lazy {sbl:.2f} "
                                f"(n={int(ns[-1])}), feature {sbf:.2f} (n={nfl})"))
    return Evaluation(ms, extra=extra)


def plot(runs, ev, ctx):
    from paper_checks.plotting import learning_curve, plt, save
    gs = groups()
    cols = 3
    rows = (len(gs) + cols - 1) // cols
    fig, axes = plt().subplots(rows, cols, figsize=(4.5 * cols, 3.8 * rows))
    for ax, (label, owner, match) in zip(axes.ravel(), gs):
        sel = [r for r in runs if r.params["check"] == owner]
        try:
            ns, _, E = _curves.curves(sel, "lazy", **match)
            nf, _, EF = _curves.curves(sel, "feature", **match)
            _, _, A = _curves.field(sel, "n_atoms", "feature", **match)
        except ValueError:
            ax.set_title(label + " (incomplete)")
            continue
        pr = predictions(match, ns, A.mean(0))
        learning_curve(ax, ns, E, "lazy (measured)", color="C0")
        learning_curve(ax, nf, EF, "feature (measured)", color="C3", marker="s")
        ax.plot(ns, pr["krr"], "-", color="C0", lw=1.2, label="KRR eigenvalue theory")
        ax.plot(ns, pr["sb_lazy"], ":", color="C0", lw=1.2, label="spectral-bias ansatz (lazy)")
        ax.plot(nf, pr["sb_feature"], ":", color="C3", lw=1.2, label="spectral-bias ansatz (feature, n_A)")
        ax.set_title(label)
        ax.set_xlabel("n")
        ax.legend(fontsize=6)
    for ax in axes.ravel()[len(gs):]:
        ax.axis("off")
    return [save(fig, ctx.figure_path("ansatz.png"))]
