"""The KRR eigenvalue theory against the measured lazy learning curves: where its assumptions hold, its
prefactor; elsewhere, what it claims (the local slope).

Reads the lazy runs of the `constant` and `grf` checks (shared tasks): the ridgeless interpolant
``min_norm(NTK(), X, y)`` (regime ``lazy``) and kernel ridge regression with ``lam = r n kappa_0(n)``
(regime ``ridge``, r = `_curves.ridge_ratio`: 10 in d >= 3, 30 in d = 2; ``_curves.kappa0``: kappa_0 is the
theory's *ridgeless* effective regularisation at n, the root of ``sum_k N(k,d) mu_k/(mu_k + kappa) = n`` for the NTK spectrum, target-independent). The theory is
`theory.krr_learning_curve(n, d, mu, c, ridge)` with mu = `spectrum.ntk(d, kmax)` and c the target's
spectrum (`_curves.target_spectrum`). For each target and d, with the prefactor
``P = exp(mean over the fit window of log(measured(n) / theory(n)))`` -- the fit window is the upper half of
the n range on the log scale, n in [256, 2048], the window of every slope in these checks: the theory is a
large-n one, and at n = 32-64 single training sets scatter by a factor 2 (constant target, d = 3, ridge:
measured/theory 0.74-1.9 over 8 seeds at n = 32, 0.94-1.23 at n >= 128) -- measured = the mean over seeds of
the test error averaged exactly over the random target's draws (``err_avg``, `_curves.target_average_error`;
the plain test error for the constant target); the uncertainty is the bootstrap over seeds. One field draw per
seed is not enough for a 10% criterion: for the smooth d = 3 field with ridge, one draw per seed gave
P = 1.21 +- 0.21 (seeds 0.82, 1.67, 1.06), the exact average over draws 1.05 (0.98, 1.08, 1.07):

(a) ridgeless, rough targets (nu_t below the crossover (d+2)/2: the rough field nu_t = 1 and the |t|
    teacher, nu_t = `theory.nu_from_teacher("abs", 1)` = 3/2 < 5/2 in d = 3, 7/2 in d = 5): ``|P - 1| <= 0.25``.
    The |t| teacher is rough by this definition, but the rougher the target the larger the share of its error in
    the unlearned tail, which the theory predicts to 3-5%, while the learned-mode residual is predicted low by
    (kappa_eff / kappa_0)^2 ~ 1.7 in d = 3 (theory/README.md section 6): the d = 3 teacher's ratio rises from 1.19
    at n = 32 to 1.32 at n = 512-1024 there, and this row fails (measured: 1.36 over n in [256, 2048]). It stays
    under (a), the issue's definition, and is declared a *known failure* (`KNOWN_FAILURES`: verdict KNOWN FAIL,
    the suite still passes; if it ever passes, UNEXPECTED PASS fails the suite and the declaration must go): the
    failure is the theory's, established by measurements that share no code with this check (tests/
    test_theory_krr.py: closed-form Gram matrices and Funk-Hecke per degree; the Gaussian-feature twin of the same
    spectra agrees with the theory to 1-2%, so the implementation is right), not the suite's;
(b) every target, ridge ``lam = r n kappa_0``: ``|P - 1| <= 0.10``. The theory's assumption here is that the
    ridge dominates the effective regularisation of the *sample*, kappa_eff, which the low-d sphere inflates above
    the theory's kappa_0 (per-degree measurement, theory/README.md section 6: kappa_eff / kappa_0 ~ 1.3 in d = 3,
    1.08 in d = 5, 2.7 in d = 2). r = 10 makes lam / (n kappa_eff) ~ 8-9 in d >= 3; in d = 2 that margin needs
    r ~ 27, hence r = 30 (with r = 10 the d = 2 ratio is 1.11-1.15, theory/README.md; measured here 1.14 +- 0.03,
    outside 10% because the assumption fails, not the theory; with r = 30: 1.02-1.05);
(c) ridgeless smooth and constant targets: the theory's local slope over the fit window (upper half of
    the n range on the log scale, `_curves.window_slope`) within the mode's slope tolerance of the
    measured slope; the factor measured/theory is reported (P, and its range over n) with no verdict on
    it. In low d it is the known failure of the ridgeless Gaussian-feature theory on the sphere
    (theory/README.md section 6: 1.5-2.4 in d = 3, 2-9 in d = 2, 1.15-1.7 in d = 5; Tomasini, Sclocchi
    & Wyart, ICML 2022).

The spectral-bias ansatz (`theory.spectral_bias_curve`: NTK eigenvalues with n centres for the lazy
regime, ReLU coefficients with the measured mean n_A as centres for the feature regime) is overlaid on the
figure and its ratio to the measurement at the largest n reported (an order-of-magnitude ansatz; no verdict).
"""
from __future__ import annotations

import numpy as np

from . import _curves, constant, grf

name = "ansatz"
claim = ("The KRR eigenvalue theory (kappa_0 = its ridgeless effective ridge) predicts the lazy learning curves' "
         "prefactor (test error averaged over the target's draws, n in the upper half of the range) "
         "within 25% for rough targets without ridge (a declared known failure for the |t| teacher in d = 3, "
         "where it is 1.3-1.4x low) and within 10% for every target with a ridge "
         "lam = r n kappa_0 that dominates the sample's effective regularisation (r = 10; r = 30 in d = 2); "
         "without ridge, for smooth and constant targets, it predicts the local slope within "
         "the slope tolerance, and the factor it misses in low d is reported, not judged.")
version = "5"  # 2: feature runs use atomic(method="ipm", tol=1e-4); 3: criteria (a)/(b)/(c) of issue 19, ridge runs;
# 4: (a)/(b) judged on err_avg (exact average over the target's draws) over the upper half of the n range;
# 5: (b) with r = 30 in d = 2 (_curves.ridge_ratio); shared feature runs by atomic's default path

ROUGH_TOL = 0.25
RIDGE_TOL = 0.10
N_MIN = 32
#: Rows of (a) that fail as documented, by (target, d): the reason and its independent evidence (api.Measurement's
#: ``known_failure``). Declared 2026-12-07 after four fresh make check runs on two machines (1.362 +- 0.022).
KNOWN_FAILURES = {
    ("teacher", 3): (
        "the ridgeless eigenvalue theory underestimates the error of iid points on the low-dimensional sphere in its "
        "learned modes: per degree, the residual of the well-learned degrees is 1.6-1.75x the theory's at d = 3 "
        "(kappa_eff / kappa_0 ~ 1.3) while the unlearned tail is within 3-5%, so measured/theory grows with nu_t "
        "(nu_t = 1: 1.12-1.20, within 25%; the |t| teacher, nu_t = 3/2: 1.19 at n = 32 rising to 1.32-1.34 at "
        "n = 512-1024) -- measured by simulations that share no code with this check (tests/test_theory_krr.py, "
        "theory/README.md section 6; the Gaussian-feature twin of the same spectra agrees with the theory to 1-2%). "
        "The ridgeless low-d failure of the replica / spectral-bias prediction: Tomasini, Sclocchi & Wyart, "
        "ICML 2022"),
}


def groups():
    out = [(f"constant, d={d}", "constant", {"d": d, "target": "constant"}) for d in constant.DIMS]
    for d in grf.DIMS:
        for label, tp in grf.targets(d):
            out.append((f"{label}, d={d}", "grf", {"d": d, **tp}))
    return out


def is_rough(match):
    """nu_t below the crossover (d+2)/2 (`theory.crossover`)."""
    import theory
    return _curves.target_nu(match) < theory.crossover(match["d"])


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


def prefactor(E, theory_curve):
    """P = exp(mean_n log(mean_seeds E / theory)): the constant factor between the measured and the theory curve
    (least squares in log space)."""
    return float(np.exp(np.mean(np.log(np.asarray(E, float).mean(0) / theory_curve))))


def _errors(sel, regime, match):
    """(ns, E, key): the error curves judged for one target: ``err_avg`` (the test error averaged exactly over
    the random target, `_curves.target_average_error`) for the GRF and teacher targets, ``err`` for the constant."""
    key = "err" if match["target"] == "constant" else "err_avg"
    ns, _, E = _curves.field(sel, key, regime, **match)
    return ns, E, key


def _prefactor_row(label, what, sel, regime, match, th_of, tol, ctx, known_failure=""):
    from paper_checks.api import Measurement
    from paper_checks.fitting import bootstrap, upper_range
    ns, E, key = _errors(sel, regime, match)
    th = th_of(ns)
    use = upper_range(ns)
    b = bootstrap(E[:, use], lambda e: prefactor(e, th[use]), n_boot=ctx.n_boot, rng=ctx.rng(label, what))
    ratio = E.mean(0) / th
    note = ("measured/theory by n (fit window marked *): "
            + ", ".join(f"{int(n)}{'*' if u else ''}: {v:.2f}" for n, v, u in zip(ns, ratio, use))
            + f"; max |measured/theory − 1| in the window = {np.abs(ratio[use] - 1).max():.2f}")
    out = {"n": ns.tolist(), "measured": E.mean(0).tolist(), "theory": th.tolist(), "prefactor": b.as_dict(),
           "key": key}
    if key == "err_avg":  # the single-draw test error, for comparison (its spread is the target's draw)
        _, _, S = _curves.curves(sel, regime, **match)
        Ps = bootstrap(S[:, use], lambda e: prefactor(e, th[use]), n_boot=ctx.n_boot, rng=ctx.rng(label, what, 1))
        note += (f"; measured = the test error averaged exactly over the target's draws (err_avg); with the "
                 f"single draw per seed instead (err): P = {Ps.value:.3f} ± {Ps.std:.3f}")
        out["prefactor_single_draw"] = Ps.as_dict()
    m = Measurement(f"KRR theory, {what}, {label}: prefactor P = measured/theory (n ∈ [{int(ns[use].min())}, "
                    f"{int(ns[use].max())}], {E.shape[0]} seeds)", 1.0, b.value, b.std, f"|P − 1| ≤ {tol}",
                    abs(b.value - 1) <= tol, note=note, known_failure=known_failure)
    return m, out


def evaluate(runs, ctx):
    import theory
    from paper_checks.api import Evaluation, Measurement
    from paper_checks.fitting import fit_exponent
    ms, extra = [], {}
    for label, owner, match in groups():
        sel = [r for r in runs if r.params["check"] == owner]
        ex = extra[label] = {}
        rough = is_rough(match)
        try:
            ns, _, E = _curves.curves(sel, "lazy", **match)
        except ValueError as exc:
            ms.append(_curves.incomplete(f"KRR theory, ridgeless, {label}", 1.0, exc))
        else:
            pr = predictions(match, ns)
            ex["spectral_bias_lazy_ratio"] = float(pr["sb_lazy"][-1] / E[:, -1].mean())
            if rough:  # (a)
                m, ex["ridgeless"] = _prefactor_row(label, "ridgeless", sel, "lazy", match,
                                                    lambda n: _curves.theory_curve("lazy", match, n), ROUGH_TOL, ctx,
                                                    KNOWN_FAILURES.get((match["target"], match["d"]), ""))
                ms.append(m)
            else:  # (c)
                f = fit_exponent(ns, E, n_boot=ctx.n_boot, rng=ctx.rng(label, "slope"))
                pred = _curves.window_slope("lazy", match, f.n_fit)
                use = ns >= N_MIN
                ratio = E[:, use].mean(0) / pr["krr"][use]
                P = prefactor(E[:, use], pr["krr"][use])
                ex["ridgeless_slope"] = {"fit": f.as_dict(), "predicted": pred, "prefactor": P,
                                         "ratio": ratio.tolist(), "n": ns.tolist()}
                ms.append(Measurement(
                    f"KRR theory, ridgeless, {label}: local slope over n ∈ [{int(f.n_fit.min())}, "
                    f"{int(f.n_fit.max())}] (β∞ = {theory.beta(match['d'], _curves.target_nu(match), 'lazy'):.3g})",
                    pred, f.beta, f.std, f"|Δβ| ≤ {ctx.slope_tol}", abs(f.beta - pred) <= ctx.slope_tol,
                    note=f"factor measured/theory (no verdict): P = {P:.2f}, {ratio.min():.2f}–{ratio.max():.2f} over "
                         f"n ∈ [{int(ns[use].min())}, {int(ns[use].max())}] (by n: "
                         + ", ".join(f"{int(n)}: {v:.2f}" for n, v in zip(ns[use], ratio))
                         + "); the known low-d failure of the ridgeless theory on the sphere, theory/README.md §6"))
        try:  # (b)
            r = _curves.ridge_ratio(match["d"])
            m, ex["ridge"] = _prefactor_row(label, f"ridge λ = {r:g} n κ₀", sel, "ridge", match,
                                            lambda n: _curves.theory_curve("ridge", match, n), RIDGE_TOL, ctx)
        except ValueError as exc:
            ms.append(_curves.incomplete(f"KRR theory, ridge {r:g}nκ₀, {label}", 1.0, exc))
        else:
            ms.append(m)
        try:  # the spectral-bias ansatz: notes only
            nf, _, EF = _curves.curves(sel, "feature", **match)
            _, _, A = _curves.field(sel, "n_atoms", "feature", **match)
            sbf = theory.spectral_bias_curve(A.mean(0), match["d"], _curves.target_spectrum(
                match, _curves.theory_kmax(match["d"])), _curves._spectra(match["d"])[1])
            ex["spectral_bias_feature_ratio"] = float(sbf[-1] / EF[:, -1].mean())
        except ValueError:
            pass
    kappa = {d: {int(n): _curves.kappa0(d, n) for n in (32, 256, 2048)} for d in constant.DIMS}
    notes = ("κ₀(n) = the theory's ridgeless effective regularisation (NTK, Gram convention (K + λI)⁻¹): "
             + "; ".join(f"d={d}: " + ", ".join(f"κ₀({n}) = {v:.3g}" for n, v in kd.items()) for d, kd in kappa.items())
             + ". Spectral-bias ansatz / measured at the largest n (no verdict): "
             + ", ".join(f"{lab}: lazy {e.get('spectral_bias_lazy_ratio', float('nan')):.2f}, feature "
                         f"{e.get('spectral_bias_feature_ratio', float('nan')):.2f}" for lab, e in extra.items()))
    return Evaluation(ms, notes=notes, extra=extra)


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
        except ValueError:
            ax.set_title(label + " (incomplete)")
            continue
        pr = predictions(match, ns)
        learning_curve(ax, ns, E, "lazy, ridgeless (measured)", color="C0")
        ax.plot(ns, pr["krr"], "-", color="C0", lw=1.2, label="KRR eigenvalue theory")
        ax.plot(ns, pr["sb_lazy"], ":", color="C0", lw=1.2, label="spectral-bias ansatz (lazy)")
        try:
            nr, _, ER = _curves.curves(sel, "ridge", **match)
            learning_curve(ax, nr, ER, f"ridge {_curves.ridge_ratio(match['d']):g}nκ₀ (measured)", color="C2", marker="^")
            ax.plot(nr, _curves.theory_curve("ridge", match, nr), "-", color="C2", lw=1.2, label="theory, ridge")
        except ValueError:
            pass
        try:
            nf, _, EF = _curves.curves(sel, "feature", **match)
            learning_curve(ax, nf, EF, "feature (measured)", color="C3", marker="s")
        except ValueError:
            pass
        ax.set_title(label + (" (rough)" if is_rough(match) else ""))
        ax.set_xlabel("n")
        ax.legend(fontsize=6)
    for ax in axes.ravel()[len(gs):]:
        ax.axis("off")
    return [save(fig, ctx.figure_path("ansatz.png"))]
