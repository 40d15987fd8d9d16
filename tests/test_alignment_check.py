"""The alignment check: its threshold rule on built tables, a baseline task against scikit-learn, a tiny grid."""
import importlib

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from paper_checks.api import Context, Run
from paper_checks.checks import alignment as chk

needs_cd = pytest.mark.skipif(not hasattr(importlib.import_module("spherekern.solvers.atomic"), "critical_directions"),
                              reason="spherekern.solvers.atomic.critical_directions not committed yet")


def test_threshold_rule_on_built_tables():
    s = 0.5
    ns = [8, 12, 16, 32, 64]
    ols = {n: np.full(2, s ** 2 / 2 * (n - chk.D - 1) / n) for n in ns}
    # interpolates at 8 and 12, dips below NOISE_FRAC x the OLS train loss at 16, near noise from 32 on
    assert chk.NOISE_FRAC == 0.9
    tr = {8: np.zeros(2), 12: np.full(2, 1e-4), 16: 0.3 * ols[16], 32: 0.95 * ols[32], 64: ols[64]}
    assert chk.threshold(tr, ols, s) == (32, [8, 12])
    assert chk.threshold({**tr, 32: 0.85 * ols[32]}, ols, s) == (64, [8, 12])
    tr[64] = 0.1 * ols[64]
    assert chk.threshold(tr, ols, s)[0] is None


@pytest.mark.slow  # one atomic solve in R^6: 5 s idle, 140 s under this session's load
def test_baseline_task_ols_against_sklearn():
    p = dict(d=chk.D, n=12, sigma=0.5, seed=0, steps=0, regime="baselines", m=0, lam=0.0, check="alignment",
             base_seed=0, teacher="linear", l1=True)
    res = chk.compute(p)
    X, y, Xt, ft = chk.data(p)
    ref = LinearRegression().fit(X, y)
    assert res["ols_train"] == pytest.approx(np.mean((ref.predict(X) - y) ** 2) / 2, rel=1e-9)
    assert res["ols_test"] == pytest.approx(np.mean((ref.predict(Xt) - ft) ** 2), rel=1e-9)
    assert res["l1_converged"] and np.isfinite(res["l1_test"]) and np.isfinite(res["ntk_test"])
    # common random numbers: another regime of the same (d, n, sigma, seed) sees the same data
    X2, *_ = chk.data(dict(p, regime="small", m=chk.M_SMALL, lam=chk.LAM_SMALL))
    np.testing.assert_array_equal(X, X2)


def test_runs_and_costs():
    q, f = chk.runs("quick"), chk.runs("full")
    assert len(q) < len(f)
    assert {p["regime"] for p in q} == {"baselines", "small", "large", "circle", "population"}
    assert {p["teacher"] for p in q} == {"linear", "relu"}
    assert all(chk.cost(p) > 0 for p in q)
    # the min-L1 solve (the expensive baseline) only where claim (d) needs it in quick mode
    assert {p["n"] for p in q if p.get("l1")} == set(chk.GRID["quick"]["l1_n"])


def test_data_centred_and_teachers():
    p = dict(d=chk.D, n=50, sigma=0.0, seed=1, teacher="linear", check="alignment", base_seed=0)
    X, y, Xt, ft = chk.data(p)
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    # noise-free: y is the teacher at the raw inputs X + mu (mu the training mean), so x1 = A (y - C0) - mu_1
    raw_x1 = (y - chk.C0) * chk.A
    np.testing.assert_allclose(X[:, 0], raw_x1 - raw_x1.mean(), atol=1e-12)
    assert np.all(np.abs(raw_x1) <= chk.A)
    # the test points get the same shift: the test targets are the teacher at Xt + mu
    np.testing.assert_allclose(ft, chk.C0 + (Xt[:, 0] + raw_x1.mean() - X[:, 0].mean()) / chk.A, atol=1e-12)
    Z = np.array([[-1.0] + [0] * 4, [0.5] + [0] * 4])
    np.testing.assert_allclose(chk.teacher(Z, "relu"), chk.C0 + np.array([0.0, 0.5]) - chk.A / 4)
    with pytest.raises(ValueError, match="teacher"):
        chk.teacher(Z, "tanh")


@pytest.mark.slow
@needs_cd
def test_tiny_grid_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setitem(chk.GRID, "quick", dict(ns=(12, 32), sigmas=(0.5,), seeds=2, steps=400, sigma_bigm=0.5,
                                                bigm_seeds=1, l1_n=(32,), large_n=(32,), nl_sigma=0.5, nl_ns=(32,),
                                                nl_seeds=1))
    runs = []
    for p in chk.runs("quick"):
        if p["regime"] == "population":
            p = dict(p, n=400)
        p = dict(p, check="alignment", base_seed=0)
        runs.append(Run(p, chk.compute(p)))
    ev = chk.evaluate(runs, Context("quick", 0, tmp_path))
    labels = [m.label for m in ev.measurements]
    assert any(lab.startswith("(a)") for lab in labels) and any(lab.startswith("(b)") for lab in labels)
    assert all(np.isfinite(r.result.get("train", 0.0)) for r in runs)
    files = chk.plot(runs, ev, Context("quick", 0, tmp_path))
    assert all(f.exists() for f in files) and len(files) == 2
