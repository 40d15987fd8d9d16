"""The gd check's evaluation logic on synthetic results, and its convergence bracket against scikit-learn."""
import math

import numpy as np
import pytest

from paper_checks import registry
from paper_checks.api import Context, Run
from paper_checks.runner import task_params

CHECKS = registry.discover()


def _gd_result(p, n_atoms_fn):
    """Synthetic results of the gd check's runs: power laws with beta = 2.5 for both feature curves, lazy GD
    within 5% of min_norm; the sparsity fields of the feature runs from n_atoms_fn(p)."""
    err = 0.3 * p["n"] ** -2.5 * math.exp(0.05 * np.random.default_rng([p["n"], p["seed"]]).standard_normal())
    if p["regime"] == "gd-feature":
        return {"err": err, "n_atoms": n_atoms_fn(p), "n_atoms_gd": 3 * p["n"] // 2, "n_neurons_gd": p["H"],
                "objective": 0.99e-2, "objective_gd": 1e-2, "refit_gap": 1e-8}
    if p["regime"] == "gd-lazy":
        return {"err": 1.05 * err, "err_ref": err, "converged": True}
    return {"err": err, "n_atoms": p["n"]}


def test_gd_sparsity_uses_the_final_network_and_fails_on_one_dense_run(tmp_path):
    mod = CHECKS["gd"]
    ctx = Context("quick", 0, tmp_path, n_boot=200)
    ps = task_params(mod, "quick", 0)
    runs = [Run(p, _gd_result(p, lambda q: q["n"] // 2)) for p in ps]
    ev = mod.evaluate(runs, ctx)
    assert ev.passed, [(m.label, m.measured) for m in ev.measurements if not m.passed]
    sparse = ev.measurements[0]
    assert sparse.measured == pytest.approx(0.5)      # the final (refitted) network, not GD's 1.5 n
    assert "GD alone: max n_A / n = 1.50" in sparse.note and "1.00% (max)" in sparse.note
    dense = next(p for p in ps if p["regime"] == "gd-feature" and p["n"] == 32 and p["seed"] == 1)
    runs = [Run(p, _gd_result(p, lambda q: q["n"] + 1 if q is dense else q["n"] // 2)) for p in ps]
    ev = mod.evaluate(runs, ctx)
    failed = [m for m in ev.measurements if not m.passed]
    assert len(failed) == 1 and failed[0] is ev.measurements[0]
    assert failed[0].measured == pytest.approx(33 / 32)


def test_gd_slope_difference_is_paired_over_seeds(tmp_path):
    # GD error = atomic error x n^-0.1 on the same training sets, with a large per-seed factor common to both: the
    # paired difference of slopes is 0.1 with a tiny spread, while each slope alone is noisy
    mod = CHECKS["gd"]
    ctx = Context("quick", 0, tmp_path, n_boot=200)

    def res(p):
        r = _gd_result(p, lambda q: q["n"] // 2)
        if p["regime"] in ("gd-feature", "gd-atomic"):
            common = math.exp(0.8 * np.random.default_rng([p["n"], p["seed"], 7]).standard_normal())
            r["err"] = 0.3 * p["n"] ** -2.5 * common * (p["n"] ** -0.1 if p["regime"] == "gd-feature" else 1.0)
        return r
    ev = mod.evaluate([Run(p, res(p)) for p in task_params(mod, "quick", 0)], ctx)
    row = next(m for m in ev.measurements if m.label.startswith("β feature GD"))
    assert row.measured == pytest.approx(0.1, abs=1e-9) and row.uncertainty < 1e-9 and row.passed
    assert ev.extra["feature_d3"]["fit_gd"]["std"] > 0.1   # unpaired, the same data would be noisy


def test_lasso_bracket_contains_a_dense_dictionary_lasso_optimum():
    # gd.lasso_bracket from the exact d = 2 atomic (lam = 0) solution against sklearn's Lasso over fixed
    # directions on the circle (1500; same objective (1/2n)|f(X) - y|^2 + lam sum|w|): an upper bound of the continuous
    # optimum that tends to it; lo <= it (weak duality) and it <= hi (the interpolant is feasible)
    from sklearn.linear_model import Lasso

    from paper_checks.checks import gd
    from spherekern import sphere
    from spherekern.solvers import atomic
    rng = np.random.default_rng(3)
    n = 10
    X = sphere.uniform(n, 2, rng)
    y = 1.0 + 0.3 * X[:, 0]
    s = atomic(X, y)
    p = np.asarray(s.dual, float)
    phi = np.linspace(0, 2 * np.pi, 1500, endpoint=False)
    A = np.maximum(X @ np.stack([np.cos(phi), np.sin(phi)]), 0.0)
    for lam in (1e-2, 1e-3):
        lo, hi = gd.lasso_bracket(lam, n, float(np.abs(s.weights).sum()), float(p @ y), float(p @ p), s.certificate)
        w = Lasso(alpha=lam, fit_intercept=False, tol=1e-10, max_iter=50_000).fit(A, y).coef_
        obj = 0.5 * np.mean((A @ w - y) ** 2) + lam * np.abs(w).sum()
        assert lo <= obj * (1 + 1e-6) and obj <= hi * (1 + 1e-3), (lam, lo, obj, hi)
        assert hi - lo < 0.2 * hi   # the bracket is informative at these lam


def test_gd_full_mode_alpha_rows_and_convergence_bracket(tmp_path):
    # full-mode grid on synthetic results: the alpha-trick rows appear (one per d), and GD's objective 1% above
    # lam * TV of the interpolant gives a certified excess bracket starting at 1.00%
    mod = CHECKS["gd"]
    ctx = Context("full", 0, tmp_path, n_boot=50)

    def res(p):
        r = _gd_result(p, lambda q: q["n"] // 2)
        if p["regime"] == "gd-feature":
            r.update(objective=1.01 * 4.0 * p["lam"], obj_drop_last10=1e-4)
        elif p["regime"] == "gd-atomic":
            r.update(tv=4.0, dual_y=4.0, dual_sq=1.0, certificate=1.0)
        elif p["regime"] == "gd-alpha":
            r.update(converged=True)
        return r
    ev = mod.evaluate([Run(p, res(p)) for p in task_params(mod, "full", 0)], ctx)
    alpha = [m for m in ev.measurements if m.label.startswith("β α-trick GD")]
    assert len(alpha) == 3 and all(m.passed for m in alpha)
    row = next(m for m in ev.measurements if m.label.startswith("β feature GD") and "d=3" in m.label)
    assert "16: 1.00%–" in row.note
    lo, hi = ev.extra["feature_d3"]["convergence"]["median_excess_bracket"]["16"]
    assert lo == pytest.approx(0.01) and hi == pytest.approx(1.01 * 4 / (4 - 0.5 * 16 * 1e-5) - 1)
