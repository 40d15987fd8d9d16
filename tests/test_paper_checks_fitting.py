"""paper_checks.fitting and the seeding helpers: recovered exponents on synthetic power laws, the bootstrap."""
import numpy as np
import pytest

from paper_checks.api import canonical_json, seed_sequence, task_rng
from paper_checks.fitting import (bootstrap, fit_exponent, loglog_slope, ratio_bootstrap, upper_range)


def test_loglog_slope_exact_power_law():
    x = np.array([8, 16, 32, 64, 128.0])
    s, a = loglog_slope(x, 3.0 * x ** -1.7)
    assert s == pytest.approx(-1.7, abs=1e-12)
    assert np.exp(a) == pytest.approx(3.0, rel=1e-12)


def test_loglog_slope_matches_polyfit():
    # independent reference: numpy's least-squares polynomial fit in log-log
    rng = np.random.default_rng(1)
    x = np.geomspace(10, 1e4, 9)
    y = np.exp(rng.normal(size=9))
    s, a = loglog_slope(x, y)
    ref = np.polyfit(np.log(x), np.log(y), 1)
    assert s == pytest.approx(ref[0], rel=1e-12)
    assert a == pytest.approx(ref[1], rel=1e-12)


def test_upper_range_is_upper_half_in_log_scale():
    n = np.array([8, 16, 32, 64, 128, 256, 512])
    # log2 range [3, 9], midpoint 6 -> n >= 64
    assert upper_range(n).tolist() == [False, False, False, True, True, True, True]
    assert upper_range(n, frac=1.0).all()
    with pytest.raises(ValueError, match="frac"):
        upper_range(n, frac=0)
    with pytest.raises(ValueError, match="positive"):
        upper_range([0, 1])


@pytest.mark.parametrize("beta", [0.5, 1.5, 3.0])
def test_fit_exponent_recovers_noisy_power_law(beta):
    rng = np.random.default_rng(int(beta * 10))
    n = np.geomspace(8, 4096, 10)
    seeds = 20
    noise = np.exp(0.2 * rng.standard_normal((seeds, n.size)))  # 20% multiplicative noise per seed
    err = 2.0 * n ** -beta * noise
    fit = fit_exponent(n, err, n_boot=500, rng=0)
    assert abs(fit.beta - beta) < 0.1
    assert 0 < fit.std < 0.2
    assert fit.low <= fit.beta <= fit.high
    # the reported uncertainty is honest: the error is within ~3 sigma
    assert abs(fit.beta - beta) < 3.5 * fit.std + 0.02


def test_fit_exponent_uses_only_the_upper_range():
    # a curve with a pre-asymptotic knee: slope 0.2 below n=64, slope 2 above; upper half of log range = n >= 64
    n = np.array([8, 16, 32, 64, 128, 256, 512.0])
    err = np.where(n < 64, (n / 64) ** -0.2, (n / 64) ** -2.0)[None, :] * np.ones((3, 1))
    fit = fit_exponent(n, err, n_boot=50, rng=0)
    assert fit.beta == pytest.approx(2.0, abs=1e-12)
    assert fit.n_min_fit == 64


def test_power_law_fit_round_trips_through_results_json_and_evaluation_extra():
    """Figures draw the evaluation's stored fit (as_dict in extra / results.json): from_dict gives the same line and
    numbers; _curves.fit_of finds it by key and returns None where the evaluation has none."""
    import json
    from types import SimpleNamespace

    from paper_checks.checks._curves import fit_of
    from paper_checks.fitting import PowerLawFit
    n = np.array([8, 16, 32, 64, 128, 256.0])
    err = 2.0 * n[None, :] ** -1.5 * np.exp(np.random.default_rng(3).normal(0, 0.1, (4, n.size)))
    fit = fit_exponent(n, err, n_boot=200, rng=1)
    back = PowerLawFit.from_dict(json.loads(json.dumps(fit.as_dict())))
    assert (back.beta, back.std, back.low, back.high, back.n_min_fit) == (fit.beta, fit.std, fit.low, fit.high,
                                                                        fit.n_min_fit)
    assert np.array_equal(back.n_fit, fit.n_fit) and np.array_equal(back.predict(n), fit.predict(n))
    ev = SimpleNamespace(extra={"d3_lazy": {"fit": fit.as_dict()}})
    assert fit_of(ev, "d3_lazy", "fit").beta == fit.beta
    assert fit_of(ev, "d5_lazy", "fit") is None and fit_of(None, "d3_lazy", "fit") is None


def test_fit_exponent_bootstrap_spread_matches_seed_scatter():
    # Monte-Carlo reference: the spread of fitted exponents over independent experiments should match
    # the bootstrap standard deviation estimated from one experiment (within a generous factor).
    rng = np.random.default_rng(5)
    n = np.geomspace(16, 1024, 7)
    betas, stds = [], []
    for _ in range(60):
        err = n ** -1.0 * np.exp(0.3 * rng.standard_normal((8, n.size)))
        f = fit_exponent(n, err, n_boot=300, rng=rng)
        betas.append(f.beta)
        stds.append(f.std)
    true_sd = np.std(betas, ddof=1)
    assert 0.6 < np.median(stds) / true_sd < 1.6


def test_bootstrap_of_mean_matches_standard_error():
    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    b = bootstrap(x, np.mean, n_boot=4000, rng=3)
    assert b.value == pytest.approx(x.mean())
    assert b.std == pytest.approx(x.std(ddof=1) / np.sqrt(x.size), rel=0.1)
    assert b.low < b.value < b.high


def test_bootstrap_single_row_has_nan_spread_and_is_reproducible():
    b = bootstrap(np.array([[1.0, 2.0]]), lambda s: s.mean())
    assert b.value == 1.5 and np.isnan(b.std)
    x = np.arange(10.0)
    assert bootstrap(x, np.mean, rng=7).std == bootstrap(x, np.mean, rng=7).std


def test_ratio_bootstrap_paired():
    a = np.array([2.0, 4.0, 6.0])
    r = ratio_bootstrap(a, a / 2, n_boot=200, rng=0)
    assert r.value == pytest.approx(2.0) and r.std == pytest.approx(0.0, abs=1e-12)  # paired: exact ratio
    with pytest.raises(ValueError, match="same number"):
        ratio_bootstrap([1.0], [1.0, 2.0])


def test_fit_exponent_bad_input():
    with pytest.raises(ValueError, match="shape"):
        fit_exponent([1, 2, 3], np.ones((2, 2)))
    with pytest.raises(ValueError, match="positive"):
        fit_exponent([8, 16, 32], np.array([[1.0, -1.0, 1.0]]))


def test_seeds_depend_on_content_not_order():
    p = {"check": "c", "base_seed": 0, "d": 3, "n": 64, "seed": 1, "regime": "lazy"}
    q = dict(reversed(list(p.items())))
    assert canonical_json(p) == canonical_json(q)
    assert task_rng(p).integers(1 << 62) == task_rng(q).integers(1 << 62)
    # common random numbers: same data seed for the two regimes when keyed on (d, n, seed)
    p2 = dict(p, regime="feature")
    assert task_rng(p, ("d", "n", "seed")).random() == task_rng(p2, ("d", "n", "seed")).random()
    assert task_rng(p).random() != task_rng(p2).random()
    assert task_rng(p).random() != task_rng(dict(p, base_seed=1)).random()
    assert seed_sequence(0, {"a": 1}).entropy == 0
