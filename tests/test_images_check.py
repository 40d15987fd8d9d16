"""The images check: its grid, data pipeline, tiny tasks, verdict logic on constructed results, figures."""
import numpy as np
import pytest

from paper_checks.api import Context, Run
from paper_checks.checks import images as chk
from spherekern import datasets
from spherekern.diffeo import rms_displacement, temperature, temperature_range


def _p(**kw):
    base = dict(dataset="digits", n=32, seed=0, n_test=100, h=16, n_stab=20, regime="kernel", alpha=0.0, max_steps=0,
                check="images", base_seed=0)
    base.update(kw)
    return base


def _write_mnist(folder, n=6):
    """Tiny MNIST files in the IDX format, written from its definition (magic 0 0 8 ndim, big-endian sizes)."""
    import struct
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for part in ("train", "t10k"):
        for kind, arr in (("images-idx3", rng.integers(0, 256, (n, 28, 28))), ("labels-idx1", np.arange(n) % 10)):
            arr = np.asarray(arr, np.uint8)
            head = bytes([0, 0, 8, arr.ndim]) + b"".join(struct.pack(">I", v) for v in arr.shape)
            (folder / f"{part}-{kind}-ubyte").write_bytes(head + arr.tobytes())


def test_quick_grid_is_digits_with_both_regimes_and_kernels():
    q = chk.runs("quick")
    assert {p["dataset"] for p in q} == {"digits"}
    assert {p["regime"] for p in q} == {"feature", "lazy", "kernel"}
    assert all(chk.cost(p) > 0 for p in q)
    g = chk.GRID["quick"]
    assert len(q) == len(g["data"]["digits"]["ns"]) * g["seeds"] * (1 + len(g["alphas"]))


def test_full_grid_uses_data_dir_files(tmp_path, monkeypatch):
    monkeypatch.delenv(chk.DATA_DIR_ENV, raising=False)
    assert {p["dataset"] for p in chk.runs("full")} == {"digits"}
    # a folder with (tiny) MNIST files in the standard IDX format: mnist joins the full grid, the others do not
    _write_mnist(tmp_path / "MNIST" / "raw")
    monkeypatch.setenv(chk.DATA_DIR_ENV, str(tmp_path))
    assert chk.datasets_for("full") == ["digits", "mnist"]
    full = chk.runs("full")
    assert {p["dataset"] for p in full} == {"digits", "mnist"}
    assert all(p["data_dir"] == str(tmp_path) for p in full if p["dataset"] == "mnist")
    assert chk.datasets_for("quick") == ["digits"]


def test_data_is_balanced_disjoint_and_shared_across_regimes():
    p = _p(n=40, n_test=200)
    X, y, Xt, yt, shape, seed = chk.data(p)
    X2, y2, Xt2, yt2, _, seed2 = chk.data(dict(p, regime="feature", alpha=1e-2, max_steps=10))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Xt, Xt2)
    assert seed == seed2                      # same initial weights for both regimes
    assert shape == (1, 8, 8) and X.shape == (40, 64) and Xt.shape == (200, 64)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-12)
    # disjoint: no training image among the test images
    assert not (set(map(bytes, X.round(12))) & set(map(bytes, Xt.round(12))))
    # parity labels, balanced over the 10 classes: 4 per class -> 20 even and 20 odd
    assert set(np.unique(y)) == {-1.0, 1.0} and y.sum() == 0
    # another seed draws another split
    assert not np.array_equal(chk.data(dict(p, seed=1))[0], X)


def test_chosen_temperature():
    lo, hi = temperature_range(8)
    assert temperature(8, 1.0) > hi and chk.chosen_temperature(8) == hi     # digits: 1 px is above the range
    T = chk.chosen_temperature(28)
    assert temperature_range(28)[0] < T < temperature_range(28)[1]
    assert rms_displacement(T, 28) == pytest.approx(1.0, rel=1e-12)          # MNIST: the paper's 1 pixel


def test_kernel_task_against_numpy_ridgeless_and_sklearn_svm():
    from sklearn.svm import SVC
    from spherekern.dual_activation import ImageNTK
    p = _p(n=40, n_test=150)
    res = chk.compute(p)
    X, y, Xt, yt, *_ = chk.data(p)
    k = ImageNTK("softplus")
    K, Kt = k.gram(X), k.gram(Xt, X)
    err_rr = np.mean((Kt @ np.linalg.solve(K, y)) * yt <= 0)
    assert res["ridgeless_err"] == pytest.approx(err_rr, abs=1e-12)
    svc = SVC(kernel="precomputed", C=1e10, tol=1e-8).fit(K, y)
    assert res["svm_err"] == pytest.approx(np.mean(svc.decision_function(Kt) * yt <= 0), abs=1.5 / 150)
    assert res["svm_hard_margin"] and res["svm_R"] > 0 and res["svm_T"] == chk.chosen_temperature(8)


def test_network_task_tiny():
    p = _p(regime="feature", alpha=1e-2, max_steps=30, h=16)
    res = chk.compute(p)
    assert 0 <= res["err"] <= 1 and res["steps"] <= 30
    assert 1 <= res["n_eff"] <= 16 and 1 <= res["n_eff_displacement"] <= 16 and 1 <= res["atoms"] <= 16
    assert 1 <= res["n_eff_first_layer_move"] <= 16 and 1 <= res["n_eff_weights"] <= 16
    # the 90%-mass count of the same contributions: a count of neurons, at least N_eff's 90%-share lower bound
    # (k neurons carry >= 90% of sum a only if k >= 0.9^2 (sum a)^2 / sum a^2 by Cauchy-Schwarz)
    assert 0.81 * res["n_eff"] <= res["mass90"] <= 16 and isinstance(res["mass90"], int)
    # the judged size: neurons merged by direction, a participation ratio over at most `direction_groups` groups
    assert 1 <= res["atoms_eff"] <= res["direction_groups"] <= 16
    assert all(1 <= res[f"atoms_eff_{a:g}"] <= 16 for a in chk.ATOM_ANGLES)
    assert res["D"] > 0 and res["G"] > 0 and res["R"] == pytest.approx(res["D"] / res["G"], rel=1e-12)
    again = chk.compute(p)
    again.pop("flow_seconds"), res.pop("flow_seconds")
    assert again == res                                            # deterministic from the params


def test_interval_verdict():
    assert chk.interval_verdict(0.1, 0.3, (">", 0.0)) == "pass"
    assert chk.interval_verdict(-0.3, -0.1, (">", 0.0)) == "fail"
    assert chk.interval_verdict(-0.1, 0.3, (">", 0.0)) == "unresolved"
    assert chk.interval_verdict(0.2, 0.9, ("<", 1.0)) == "pass"
    assert chk.interval_verdict(1.1, 2.0, ("<", 1.0)) == "fail"
    assert chk.interval_verdict(0.5, 1.5, ("<", 1.0)) == "unresolved"
    assert chk.interval_verdict(float("nan"), 1.0, ("<", 2.0)) == "unresolved"


def _constructed_runs(feature_gap, r_ratio, n_eff_feature, seeds=8, h=64, ns=(32, 64, 128)):
    """Results built with known truths: err_feature = err_lazy + feature_gap (+ seed noise), R_lazy = r_ratio *
    R_feature, the feature's effective atoms (the judged size) as given and its unmerged neuron count 0.4 h (not
    judged); the kernel errors equal the lazy ones."""
    out = []
    for n in ns:
        for s in range(seeds):
            rng = np.random.default_rng([n, s])
            e_lazy = 0.5 * n ** -0.5 * (1 + 0.05 * rng.standard_normal())
            Rf = 0.2 * (1 + 0.05 * rng.standard_normal())
            base = dict(dataset="digits", n=n, seed=s, n_test=100, h=h, n_stab=10, check="images", base_seed=0)
            common = dict(converged=True, n_eff_displacement=1.0, n_eff_weights=1.0, atoms=h, T=0.01)
            out.append(Run(dict(base, regime="kernel", alpha=0.0, max_steps=0),
                           dict(svm_err=e_lazy, ridgeless_err=e_lazy * 1.1, svm_R=r_ratio * Rf, svm_hard_margin=True)))
            out.append(Run(dict(base, regime="feature", alpha=1e-2, max_steps=10),
                           dict(common, err=e_lazy + feature_gap * (1 + 0.1 * rng.standard_normal()), R=Rf,
                                atoms_eff=n_eff_feature * h * (1 + 0.02 * rng.standard_normal()), n_eff=0.4 * h)))
            out.append(Run(dict(base, regime="lazy", alpha=1e2, max_steps=10),
                           dict(common, err=e_lazy, R=r_ratio * Rf * (1 + 0.02 * rng.standard_normal()),
                                n_eff=0.63 * h * (1 + 0.02 * rng.standard_normal()), atoms_eff=0.63 * h)))
    return out


def _verdicts(ev):
    return {m.label.split(":")[0][:3] + m.label.split(":")[1].split(",")[0][-12:]: m.passed for m in ev.measurements}


def test_evaluate_on_constructed_results(tmp_path):
    ctx = Context("quick", 0, tmp_path, n_boot=400)
    ev = chk.evaluate(_constructed_runs(feature_gap=0.02, r_ratio=0.5, n_eff_feature=0.05), ctx)
    assert len(ev.measurements) == 5 and ev.passed
    assert "digits" in ev.extra["datasets"] and set(ev.extra["digits"]["fits"]) == {
        "feature", "lazy", "NTK SVM", "ridgeless NTK"}
    # the lazy curve is built with slope 1/2: the fit finds it within its bootstrap spread
    assert ev.extra["digits"]["fits"]["lazy"]["beta"] == pytest.approx(0.5, abs=0.05)
    # every claim reversed: each row fails, with a resolved interval
    bad = chk.evaluate(_constructed_runs(feature_gap=-0.02, r_ratio=2.0, n_eff_feature=0.6), ctx)
    assert not any(m.passed for m in bad.measurements[:3] + bad.measurements[4:])
    assert all(m.note.startswith("fail") for m in bad.measurements if m.label.startswith(("(a)", "(c)")))
    assert [m.passed for m in bad.measurements if m.label.startswith("(b)")] == [False, True]
    # no effect at all: (a) and (c) unresolved, reported as such (not passed)
    none = chk.evaluate(_constructed_runs(feature_gap=0.0, r_ratio=1.0, n_eff_feature=0.05), ctx)
    for m in none.measurements:
        if m.label.startswith(("(a)", "(c)")):
            assert not m.passed and m.note.startswith("unresolved"), m


def test_plot_and_deformed_strip(tmp_path):
    strip, temps = chk.deformed_strip(n_images=3)
    assert strip.shape == (3, 4, 8, 8) and temps[0] == 0.0
    images, _ = datasets.load("digits")
    assert any(np.array_equal(strip[0, 0], im[0]) for im in images)     # column 0: the original images
    assert temps[1] < temps[2] <= temps[3] == temperature_range(8)[1]
    assert not np.allclose(strip[:, 3], strip[:, 0])
    ctx = Context("quick", 0, tmp_path, n_boot=100)
    runs = _constructed_runs(feature_gap=0.02, r_ratio=0.5, n_eff_feature=0.05, seeds=3)
    files = chk.plot(runs, chk.evaluate(runs, ctx), ctx)
    assert [f.name for f in files] == ["images_digits.png", "images_deformed_digits.png"]
    assert all(f.stat().st_size > 1000 for f in files)


@pytest.mark.slow  # the quick check end to end (~2.5 min on 2 quiet cores)
def test_quick_check_end_to_end(tmp_path):
    from paper_checks.runner import run_suite
    res = run_suite({"images": chk}, mode="quick", out=tmp_path, jobs=2, progress=False)
    co = res.checks[0]
    assert co.verdict in ("PASS", "FAIL") and not co.failures
    labels = [m.label for m in co.evaluation.measurements]
    assert sum(lab.startswith("(a)") for lab in labels) == 2 and sum(lab.startswith("(b)") for lab in labels) == 2
    assert sum(lab.startswith("(c)") for lab in labels) == 1
    assert (tmp_path / "figures" / "images_digits.png").exists()
    assert "images" in (tmp_path / "report.md").read_text()


def test_cli_data_dir(tmp_path, monkeypatch, capsys):
    from paper_checks import cli
    monkeypatch.delenv(chk.DATA_DIR_ENV, raising=False)
    assert cli.main(["--list", "--only", "images", "--data-dir", str(tmp_path / "missing")]) == 2
    assert "--data-dir: must be an existing folder" in capsys.readouterr().err
    monkeypatch.setenv(chk.DATA_DIR_ENV, "")      # restored by monkeypatch after the CLI sets it
    assert cli.main(["--list", "--only", "images", "--data-dir", str(tmp_path)]) == 0
    import os
    assert os.environ[chk.DATA_DIR_ENV] == str(tmp_path.resolve())
