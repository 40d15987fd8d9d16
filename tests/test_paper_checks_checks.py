"""The checks' declarations and evaluation logic, on synthetic results (no simulation is run)."""
import math

import numpy as np
import pytest

from paper_checks import registry
from paper_checks.api import Context, Run
from paper_checks.runner import owner_module, task_params

CHECKS = registry.discover()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_runs_are_well_formed(name):
    mod = CHECKS[name]
    for mode in ("quick", "full"):
        ps = task_params(mod, mode, 0)  # validates: dicts, JSON values, no duplicates
        assert ps, f"{name} has no runs in {mode} mode"
        known = dict(CHECKS)
        for p in ps:
            owner = owner_module(mod, p, known)
            assert callable(owner.compute)
    assert len(task_params(mod, "quick", 0)) <= len(task_params(mod, "full", 0))


def _synthetic(mod, mode, err_fn, extra_fn=lambda p: {}):
    """Runs of ``mod`` in ``mode`` with result err = err_fn(params) (deterministic)."""
    return [Run(p, {"err": err_fn(p), **extra_fn(p)}) for p in task_params(mod, mode, 0)]


def _power_law(beta_of, noise=0.0):
    def err(p):
        rng = np.random.default_rng([p["n"], p["seed"], p["d"]])
        return 0.3 * p["n"] ** (-beta_of(p)) * math.exp(noise * rng.standard_normal())
    return err


def test_constant_passes_on_theory_curves_and_fails_on_wrong_slope(tmp_path):
    import theory
    mod = CHECKS["constant"]
    ctx = Context("quick", 0, tmp_path, n_boot=200)
    # lazy error below feature error at every n for d >= 3 (lazy decays faster from the same start)
    runs = _synthetic(mod, "quick", _power_law(lambda p: theory.beta(p["d"], math.inf, p["regime"]), noise=0.05),
                      lambda p: {"n_atoms": p["n"] // 2})
    ev = mod.evaluate(runs, ctx)
    assert ev.passed, [(m.label, m.measured) for m in ev.measurements if not m.passed]
    lab = [m.label for m in ev.measurements]
    assert sum("β" in s for s in lab) == 6 and sum("err_feature / err_lazy" in s for s in lab) == 2
    bad = _synthetic(mod, "quick", _power_law(lambda p: theory.beta(p["d"], math.inf, p["regime"])
                                              + (0.5 if p["regime"] == "feature" else 0.0)))
    ev = mod.evaluate(bad, ctx)
    failed = [m.label for m in ev.measurements if not m.passed]
    assert failed and all("feature" in s for s in failed)
    assert len(mod.plot(runs, ev, ctx)) == 1


def test_sparsity_logic(tmp_path):
    mod = CHECKS["sparsity"]
    ctx = Context("quick", 0, tmp_path, n_boot=100)
    lin = _synthetic(mod, "quick", lambda p: 1.0, lambda p: {"n_atoms": int(0.8 * p["n"]), "converged": True})
    ev = mod.evaluate(lin, ctx)
    assert ev.passed
    assert ev.measurements[0].measured == pytest.approx(0.8, abs=0.07)
    sub = _synthetic(mod, "quick", lambda p: 1.0, lambda p: {"n_atoms": int(4 * p["n"] ** 0.6), "converged": True})
    ev = mod.evaluate(sub, ctx)
    assert not ev.passed  # sublinear growth is caught
    over = _synthetic(mod, "quick", lambda p: 1.0, lambda p: {"n_atoms": p["n"] + 1, "converged": True})
    assert not mod.evaluate(over, ctx).measurements[0].passed


def test_grf_spectrum_keeps_representable_degrees():
    from paper_checks.checks._curves import grf_kmax, grf_spectrum
    c = grf_spectrum(3, 1.0, 20)
    assert c[0] == 0 and c[1] == 1.0 and c[2] == pytest.approx(2.0 ** -4)
    assert np.all(c[3::2] == 0) and np.all(c[2::2][1:] > 0)
    assert grf_kmax(3, 4.0) < grf_kmax(3, 1.0) <= 400
