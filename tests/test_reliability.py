"""Issue #21, the suite runner: killing ``python -m paper_checks`` by SIGINT, SIGTERM or SIGKILL leaves no
process behind and loses nothing already cached; a worker that dies costs only its own task (retried in a
fresh worker, at most twice); the report counts computed, cached and failed tasks truthfully; usage errors of
the CLI are one line, exit 2, before any computation. Test names follow the rows of the issue."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from paper_checks.cli import main

ROOT = Path(__file__).resolve().parents[1]

CRASHY = textwrap.dedent('''
    """Test-only check: tasks sleep CRASHY_SLEEP s and log themselves; the task n=CRASHY_ONCE exits its worker
    process once (os._exit(1), as a segfault or the OOM killer would end it); n=CRASHY_ALWAYS every time."""
    import os, time
    from paper_checks import Evaluation, Measurement

    name = "crashy_pc"
    claim = "every task returns 1/n"
    version = "1"

    def runs(mode):
        return [{"n": n} for n in range(1, 13)]

    def compute(p):
        time.sleep(float(os.environ.get("CRASHY_SLEEP", "0")))
        mark = os.environ["CRASHY_DIR"] + f"/died{p['n']}"
        if p["n"] == int(os.environ.get("CRASHY_ONCE", "0")) and not os.path.exists(mark):
            open(mark, "w").close()
            os._exit(1)
        if p["n"] == int(os.environ.get("CRASHY_ALWAYS", "0")):
            os._exit(7)
        fd = os.open(os.environ["CRASHY_DIR"] + "/log.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{p['n']}\\n".encode())
        os.close(fd)
        return {"inv": 1.0 / p["n"]}

    def evaluate(runs, ctx):
        ok = all(abs(r.result["inv"] * r["n"] - 1) < 1e-15 for r in runs)
        return Evaluation([Measurement("n * inv", 1.0, 1.0 if ok else 0.0, None, "equal", ok)])
''')

BROKEN = "raise RuntimeError('broken check module')\n"


@pytest.fixture
def crashy_env(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "pc_crashy_check.py").write_text(CRASHY)
    (mods / "pc_broken_check.py").write_text(BROKEN)
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setenv("PAPER_CHECKS_EXTRA", "pc_crashy_check")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("CRASHY_DIR", str(tmp_path))
    monkeypatch.setenv("CRASHY_SLEEP", "0")
    # a unique tag in the environment every process of the run inherits: how the test finds leftovers
    monkeypatch.setenv("RELIABILITY_TAG", uuid.uuid4().hex)
    for k in ("CRASHY_ONCE", "CRASHY_ALWAYS"):
        monkeypatch.delenv(k, raising=False)
    return tmp_path


def _tagged_processes(tag: str) -> list[int]:
    """Pids of live processes whose environment holds RELIABILITY_TAG=tag (read from /proc, independent
    of the code under test; zombies do not count: they hold no memory and run nothing)."""
    found = []
    needle = f"RELIABILITY_TAG={tag}".encode()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if needle not in (d / "environ").read_bytes().split(b"\0"):
                continue
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(d.name))
    return found


def _wait_gone(tag: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = _tagged_processes(tag)
        if not left:
            return []
        time.sleep(0.1)
    return _tagged_processes(tag)


def _cached(out) -> set[int]:
    from paper_checks.cache import checksum
    keys = set()
    for p in (Path(out) / "cache" / "crashy_pc").glob("*.json"):
        e = json.loads(p.read_text())
        assert e["sha256"] == checksum(e)  # every visible entry is complete
        keys.add(e["params"]["n"])
    return keys


def _log(tmp) -> list[str]:
    p = tmp / "log.txt"
    return p.read_text().splitlines() if p.exists() else []


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_sigterm_or_sigkill_of_the_suite_orphans_no_worker(crashy_env, how):
    """Row 1: the suite's parent alone is signalled (not its process group); its workers must go too."""
    out = crashy_env / f"o_{how}"
    cmd = [sys.executable, "-m", "paper_checks", "--only", "crashy_pc", "--out", str(out), "--jobs", "2",
           "--no-progress"]
    env = dict(os.environ, CRASHY_SLEEP="0.4")
    # SIGINT back to its default in the child: a shell's background job (pytest started with &) inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler, so the signal would be lost
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, preexec_fn=_default_sigint,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        cache_dir = out / "cache" / "crashy_pc"
        while time.monotonic() < deadline:
            if cache_dir.exists() and len(list(cache_dir.glob("*.json"))) >= 2:
                break
            assert proc.poll() is None, "the run finished before it could be killed"
            time.sleep(0.02)
        # the parent, 2 workers (and multiprocessing's resource tracker)
        assert len(_tagged_processes(os.environ["RELIABILITY_TAG"])) >= 3
        proc.send_signal(getattr(signal, how))
        rc = proc.wait(timeout=30)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    expected = {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -signal.SIGKILL}[how]
    assert rc == expected, err
    if how != "SIGKILL":
        assert "rerun the same command to resume" in err and "Traceback" not in err
    assert _wait_gone(os.environ["RELIABILITY_TAG"], 5.0) == []  # workers poll their parent every 0.5 s
    done = _cached(out)
    assert 2 <= len(done) < 12
    # resumable: the rerun computes only what was not cached
    n_log = len(_log(crashy_env))
    assert main(["--only", "crashy_pc", "--out", str(out), "--no-progress"]) == 0
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert meta["cached"] == len(done) and meta["computed"] == 12 - len(done) and meta["failed"] == 0
    new = _log(crashy_env)[n_log:]
    assert not set(map(int, new)) & done


def _valid_entries(folder: Path) -> set[str]:
    """Names of the cache entries under folder whose checksum verifies (an invalid one fails the test)."""
    from paper_checks.cache import checksum
    names = set()
    for p in folder.glob("*.json"):
        e = json.loads(p.read_text())
        assert e["sha256"] == checksum(e), p
        names.add(p.name)
    return names


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_sigterm_or_sigkill_of_the_real_constant_check_orphans_no_worker(tmp_path, monkeypatch, how):
    """Row 1 with the issue's own command, ``python -m paper_checks --only constant --out D``: once a few runs
    are cached the parent alone is signalled; within 5 s no process of the run is left, and every entry
    cached before the signal is still there and verifies (by hand, at load ~12: rc 143 / 130 / -9, all
    processes gone 0.4 s after the signal, 3 of 3 entries kept)."""
    monkeypatch.setenv("RELIABILITY_TAG", uuid.uuid4().hex)
    monkeypatch.delenv("PAPER_CHECKS_EXTRA", raising=False)
    out = tmp_path / "D"
    proc = subprocess.Popen([sys.executable, "-m", "paper_checks", "--only", "constant", "--out", str(out),
                             "--jobs", "2", "--no-progress"], env=dict(os.environ), cwd=ROOT,
                            start_new_session=True, preexec_fn=_default_sigint, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    cache_dir = out / "cache" / "constant"
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and len(list(cache_dir.glob("*.json"))) < 2:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
        before = _valid_entries(cache_dir)
        assert len(before) >= 2
        proc.send_signal(getattr(signal, how))
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert rc == {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -signal.SIGKILL}[how]
    assert _wait_gone(os.environ["RELIABILITY_TAG"], 5.0) == []
    assert before <= _valid_entries(cache_dir)


def test_one_worker_killed_breaks_the_pool(crashy_env, monkeypatch, capsys):
    """Row 2: a worker that dies (os._exit(1) inside one task, once) costs only that task: it is retried in a
    fresh worker; the other 11 tasks and the verdict are unaffected and the counts are true."""
    monkeypatch.setenv("CRASHY_ONCE", "5")
    out = crashy_env / "once"
    assert main(["--only", "crashy_pc", "--out", str(out), "--jobs", "2", "--no-progress"]) == 0
    meta = json.loads((out / "results.json").read_text())["meta"]
    assert (meta["computed"], meta["cached"], meta["failed"]) == (12, 0, 0)
    assert sorted(map(int, _log(crashy_env))) == list(range(1, 13))  # each task completed exactly once
    assert (crashy_env / "died5").exists()
    assert "12 computed, 0 cached, 0 failed" in capsys.readouterr().out


def test_worker_that_always_dies_is_reported_failed_with_its_cause(crashy_env, monkeypatch, capsys):
    """Row 2: a task that kills its worker every time is tried three times (two retries), then reported as
    failed with the exit status; the other tasks are computed and cached, and the counts say so."""
    monkeypatch.setenv("CRASHY_ALWAYS", "3")
    out = crashy_env / "always"
    assert main(["--only", "crashy_pc", "--out", str(out), "--jobs", "2", "--no-progress"]) == 1
    data = json.loads((out / "results.json").read_text())
    meta = data["meta"]
    assert (meta["computed"], meta["cached"], meta["failed"]) == (11, 0, 1)
    fails = data["checks"]["crashy_pc"]["failures"]
    assert len(fails) == 1 and fails[0]["params"]["n"] == 3
    assert "exited with status 7" in fails[0]["error"] and "3 times" in fails[0]["error"]
    assert _cached(out) == set(range(1, 13)) - {3}
    assert "11 computed, 0 cached, 1 failed" in capsys.readouterr().out


def _usage_error(argv, capsys):
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse errors leave through SystemExit(2)
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_cli_usage_errors_are_one_line_exit_2_before_computing(crashy_env, capsys, monkeypatch):
    """Row 'CLI': --only "", --out a file / unwritable / "", PAPER_CHECKS_EXTRA errors, --seed -1."""
    base = ["--only", "crashy_pc", "--no-progress"]
    assert "--only" in _usage_error(["--only", "", "--out", str(crashy_env / "a")], capsys)
    assert "--only" in _usage_error(["--only", " , ", "--out", str(crashy_env / "a")], capsys)
    f = crashy_env / "afile"
    f.write_text("x")
    assert "is an existing file" in _usage_error(base + ["--out", str(f)], capsys)
    assert "cannot create" in _usage_error(base + ["--out", str(f / "sub")], capsys)
    assert "cannot create" in _usage_error(base + ["--out", "/proc/no-such-folder-here"], capsys)
    assert "empty" in _usage_error(base + ["--out", ""], capsys)
    bad_cache = crashy_env / "bc"
    bad_cache.mkdir()
    (bad_cache / "cache").write_text("not a folder")
    assert "must be a folder" in _usage_error(base + ["--out", str(bad_cache)], capsys)
    line = _usage_error(base + ["--seed", "-1", "--out", str(crashy_env / "s")], capsys)
    assert "--seed" in line and "non-negative integer" in line
    assert "--jobs" in _usage_error(base + ["--jobs", "-3", "--out", str(crashy_env / "s")], capsys)
    monkeypatch.setenv("PAPER_CHECKS_EXTRA", "pc_crashy_check,pc_broken_check")
    line = _usage_error(base + ["--out", str(crashy_env / "s")], capsys)
    assert "PAPER_CHECKS_EXTRA" in line and "pc_broken_check" in line and "broken check module" in line
    monkeypatch.setenv("PAPER_CHECKS_EXTRA", "pc_crashy_check,no_such_module_xyz")
    assert "no_such_module_xyz" in _usage_error(base + ["--out", str(crashy_env / "s")], capsys)
    assert _log(crashy_env) == []  # nothing was computed by any of these
    assert not (crashy_env / "s" / "results.json").exists()


# ---------------------------------------------------------------------------------------------
# library rows of issue #21 (each reproduces as a clear error or a correct result)
# ---------------------------------------------------------------------------------------------
import numpy as np  # noqa: E402

from spherekern import gegenbauer, harmonics, kernels, spectrum, sphere, targets  # noqa: E402


def test_real_basis_out_overlapping_input_is_rejected():
    X = sphere.uniform(40, 3, rng=4)
    ref = harmonics.real_basis(X.copy(), 1)
    with pytest.raises(ValueError, match="out must not share memory with X"):
        harmonics.real_basis(X, 1, out=X)                      # (40, 3): same shape as N(1, 3) = 3 columns
    np.testing.assert_array_equal(harmonics.real_basis(X, 1), ref)   # X untouched
    t = np.linspace(-1, 1, 6)
    buf = np.empty(12)
    buf[:6] = t
    with pytest.raises(ValueError, match="out must not share memory with t"):
        gegenbauer.table(buf[:6], 1, 3, out=buf.reshape(2, 6))


def test_grf_with_tiny_nu_t_is_rejected():
    with pytest.raises(ValueError, match="nu_t = 1e-17 is too small"):
        targets.GaussianRandomField(3, nu_t=1e-17)
    g = targets.GaussianRandomField(3, nu_t=1e-3)         # small but representable: finite attributes
    assert np.isfinite(g.variance) and np.isfinite(g.tail_fraction)


def test_spectrum_reference_of_nan_phi_is_an_error():
    import mpmath as mp
    with pytest.raises(ValueError, match="phi must return finite values"):
        spectrum.reference(lambda t: mp.nan, 3, 2)


def test_teacher_huge_power_is_rejected_up_front():
    import math
    with pytest.raises(ValueError, match="power must be <="):
        targets.Teacher(3, power=1e20)
    with pytest.raises(ValueError, match="power must be <="):
        targets.Teacher(3, power=2.0 ** 62)
    # the limit is log2 of the largest double: 2^limit is finite, 2^(limit + 1) is not
    lim = targets.TEACHER_MAX_POWER
    with np.errstate(over="ignore"):
        assert math.isfinite(2.0 ** (lim - 1) * 1.999) and np.isinf(np.float64(2.0) ** np.float64(lim + 1))


def test_from_spectrum_leaves_the_callers_mu_writable():
    mu = np.array([1.0, 0.5, 0.25])
    k = kernels.FromSpectrum(mu, 3)
    before = k(np.array([0.3]))
    mu[0] = 2.0                                              # allowed, and does not change the kernel
    np.testing.assert_array_equal(k(np.array([0.3])), before)
    base = np.array([1.0, 0.5, 0.25, 9.0])                   # a view's base written afterwards: no effect either
    kv = kernels.FromSpectrum(base[:3], 3)
    base[:3] = 7.0
    np.testing.assert_array_equal(kv(np.array([0.3])), before)
    assert not kv.mu.flags.writeable and not np.shares_memory(kv.mu, base)
    # phi(0.3) = sum mu_k N(k, 3) P_k(0.3) with Legendre P_1 = t, P_2 = (3t^2 - 1)/2 (N = 1, 3, 5)
    assert before[0] == pytest.approx(1.0 + 0.5 * 3 * 0.3 + 0.25 * 5 * (3 * 0.09 - 1) / 2, rel=1e-14)


@pytest.mark.parametrize("call,match", [
    (lambda: gegenbauer.quadrature(10 ** 6, 3), "recurrence steps"),
    (lambda: spectrum.eigenvalues(np.exp, 3, 10 ** 6), "GiB"),
    (lambda: targets.GaussianRandomField(4500, nu_t=1), "O\\(d\\^3\\)"),
    (lambda: harmonics.ansatz_kc(10 ** 30, 2), "k_c >"),
    (lambda: harmonics.ansatz_kc(10 ** 9, 2), "k_c >"),
    (lambda: gegenbauer.table(np.zeros(3), 5, 2 ** 63), "d must be <="),
    (lambda: spectrum.relu(3, 5, 1e20), "power must be <="),
    (lambda: sphere.area(10 ** 400), "d must be <="),
    (lambda: kernels.FromSpectrum(np.ones(300), 2000), "N\\(k, d\\) overflows"),
    (lambda: sphere.uniform(3, 3, rng=-1), "rng must be None, a non-negative int seed"),
    (lambda: targets.GaussianRandomField(3, nu_t=1.0).covariance("a"), "t must be a real numeric array"),
    (lambda: targets.GaussianRandomField(3, nu_t=1.0).covariance(np.array([0.5 + 1j])), "complex"),
    (lambda: targets.GaussianRandomField(3, nu_t=1.0).covariance(0.5 + 0j), "complex"),
    (lambda: kernels.NTK().gram([[1.0, 0.0], [0.0, 1.0, 0.0]]), "X must be a rectangular array"),
    (lambda: kernels.NTK().gram(np.eye(2), [[1.0, 0.0], [1.0]]), "Y must be a rectangular array"),
    (lambda: kernels.NTK()([[0.5, 0.1], [0.2]]), "t must be a rectangular array"),
    (lambda: harmonics.real_basis([[1.0, 0.0, 0.0], [0.0, 1.0]], 2), "X must be a rectangular array"),
    (lambda: targets.Teacher(3)([[1.0, 0.0, 0.0], [0.0, 1.0]]), "X must be a rectangular array"),
    (lambda: gegenbauer.table([[0.5], [0.1, 0.2]], 3, 3), "t must be a rectangular array"),
    (lambda: sphere.uniform(3, 3, rng=-5), "rng must be None, a non-negative int seed"),
    (lambda: sphere.harmonic_dim([[1, 2], [3]], 3), "k must be a rectangular array"),
    (lambda: targets.GaussianRandomField(3, nu_t=1.0).covariance([[0.5], [0.1, 0.2]]), "t must be a rectangular array"),
    (lambda: targets.GaussianRandomField(3, nu_t=1.0).sample(sphere.uniform(3, 3, rng=0), rng=-1),
     "rng must be None, a non-negative int seed"),
])
def test_size_guards_and_messages_name_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_as_rng_names_the_argument_it_validates():
    """Negative seeds: the message names the argument (helper for every public ``rng=`` / ``seed=``)."""
    from spherekern._validate import as_rng
    with pytest.raises(ValueError, match="^seed must be None, a non-negative int seed"):
        as_rng(-1, "seed")
    with pytest.raises(TypeError, match="^seed must be None, an int seed or a numpy.random.Generator, got str"):
        as_rng("x", "seed")
    assert as_rng(3, "seed").integers(1 << 30) == np.random.default_rng(3).integers(1 << 30)


def test_spectral_bias_curve_of_no_sizes_is_empty_like_krr_learning_curve():
    """spectral_bias_curve([]) raised numpy's 'zero-size array to reduction operation maximum'; now an empty
    n gives an empty curve, as krr_learning_curve([]) does."""
    from theory.curves import krr_learning_curve, spectral_bias_curve
    mu = spectrum.ntk(3, 20)
    c = np.ones(21) * 1e-2
    assert spectral_bias_curve([], 3, c, mu).shape == (0,)
    assert np.asarray(krr_learning_curve([], 3, mu, c)).shape == (0,)
    # one size still agrees with its own single-element call (the empty case changed nothing else)
    assert spectral_bias_curve([4.0], 3, c, mu)[0] == spectral_bias_curve(4.0, 3, c, mu)


def test_arccos_large_n_and_near_minus_one():
    """The issue's reproductions: ArcCos(300)(...) gave -inf at t = -0.5 and n >= 153 NaN at t = 1 (now
    degrees beyond MAX_DEGREE = 150 are refused); ArcCos(6).gram(x, -rotated x) had negative entries (now
    every entry within 1e-13 relative of kappa_6 at the exact angle (pi - 1e-8 .. pi - 3e-3), by the 150-digit recursion, where the
    cancellation near t = -1 is ~1e-40 at these angles and harmless)."""
    import mpmath as mp
    with pytest.raises(ValueError, match="degree must be <= 150"):
        kernels.ArcCos(300)
    v = kernels.ArcCos(150)(np.array([1, 0.5, 0, -0.5]))
    assert np.all(np.isfinite(v)) and np.all(v > 0) and np.all(np.diff(v) < 0)
    rng = np.random.default_rng(0)
    X = sphere.uniform(30, 3, rng=1)
    Y = np.empty_like(X)
    for i, x in enumerate(X):
        u = rng.standard_normal(3)
        u -= (u @ x) * x
        u /= np.linalg.norm(u)
        delta = 10.0 ** rng.uniform(-8, -2.5)       # in the band |t| > 1 - 2^-12 (angle < 0.0221) of the fix
        Y[i] = -(np.cos(delta) * x + np.sin(delta) * u)
    G = kernels.ArcCos(6).gram(X, Y)
    assert np.all(G >= 0)
    with mp.workdps(150):
        for i in range(len(X)):
            xs, ys = [mp.mpf(float(a)) for a in X[i]], [mp.mpf(float(b)) for b in Y[i]]
            t = mp.fsum(a * b for a, b in zip(xs, ys)) / mp.sqrt(mp.fsum(a * a for a in xs) * mp.fsum(b * b for b in ys))
            ja, jb = mp.pi - mp.acos(t), mp.sqrt(1 - t * t) + (mp.pi - mp.acos(t)) * t
            for q in range(2, 7):
                ja, jb = jb, (2 * q - 1) * t * jb + (q - 1) ** 2 * (1 - t * t) * ja
            ref = jb / (2 * mp.pi)
            assert abs(G[i, i] - ref) <= 1e-13 * ref, (i, G[i, i], float(ref))


def test_ansatz_kc_large_n_feasible_and_theory_harmonic_dim_closed_form():
    """theory.harmonic_dim(10**8, 3) took 29 s (a cached O(k) table); the closed form is instant and agrees
    with sphere.harmonic_dim (binomial difference, another formula) and with 2k + 1 for d = 3."""
    from theory.curves import harmonic_dim
    assert harmonic_dim(10 ** 8, 3) == 2 * 10 ** 8 + 1 == sphere.harmonic_dim(10 ** 8, 3)
    assert all(harmonic_dim(k, d) == sphere.harmonic_dim(k, d) for k in range(25) for d in range(2, 9))
    # ansatz_kc against the brute-force cumulative count (d = 3: sum_{k < K} (2k + 1) = K^2)
    for n in (1, 2, 4, 5, 10 ** 6):
        kc = harmonics.ansatz_kc(n, 3)
        assert (kc - 1) ** 2 < n <= kc ** 2


def test_predict_plot_rows(tmp_path, capsys):
    from theory.cli import main as tmain
    for argv, match in [(["--n-max", "inf"], "--n-max: must be a finite number"),
                        (["--n-max", "1e300"], "needs degrees beyond")]:
        try:
            rc = tmain(["predict", "--d", "3", "--nu-t", "1", "--plot", str(tmp_path / "p.png"), *argv])
        except SystemExit as exc:
            rc = exc.code
        cap = capsys.readouterr()
        assert rc == 2 and match in cap.err and cap.out == ""        # nothing printed before the check
    assert tmain(["predict", "--d", "3", "--nu-t", "1", "--plot", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert tmain(["predict", "--d", "3", "--nu-t", "1", "--plot", str(tmp_path / "curves")]) == 0
    assert f"plot written to {tmp_path / 'curves.png'}" in capsys.readouterr().out
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_two_layer_net_bad_seed_names_seed():
    from spherekern import network
    with pytest.raises(TypeError, match="^seed must be None, an int seed or a numpy.random.Generator, got str"):
        network.TwoLayerNet(3, 8, seed="x")
    with pytest.raises(ValueError, match="^seed must be None, a non-negative int seed"):
        network.TwoLayerNet(3, 8, seed=-1)


def test_min_norm_of_the_kernel_class_says_pass_an_instance():
    from spherekern import solvers
    X = sphere.uniform(5, 3, rng=1)
    with pytest.raises(TypeError, match=r"^kernel must be a kernel instance, got the class NTK: pass an instance, "
                                        r"e\.g\. NTK\(\)"):
        solvers.min_norm(kernels.NTK, X, X[:, 0])


@pytest.mark.parametrize("warm", ["no", 0, 1, None, 1.0])
def test_atomic_warm_must_be_a_bool(warm):
    from spherekern import solvers
    X = sphere.uniform(5, 3, rng=1)
    with pytest.raises(TypeError, match="^warm must be True or False"):
        solvers.atomic(X, X[:, 0], warm=warm)
