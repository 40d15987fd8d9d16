"""paper_checks end to end on test-only dummy checks: CLI (--list, --only, exit codes), the report, and the
resume path (SIGKILL part way, rerun: same results, finished tasks not recomputed)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from paper_checks.cli import main

ROOT = Path(__file__).resolve().parents[1]

DUMMY = textwrap.dedent('''
    """A test-only check: tasks sleep DUMMY_SLEEP seconds, log themselves to DUMMY_LOG, return n^-1 with noise."""
    import os, time
    import numpy as np
    from paper_checks import Evaluation, Measurement, task_rng
    from paper_checks.fitting import fit_exponent

    name = "dummy_pc"
    claim = "eps(n) ~ n^-1 for the dummy task"
    version = "1"

    def runs(mode):
        return [{"n": n, "seed": s} for n in (8, 16, 32, 64) for s in range(3)]

    def cost(p):
        return p["n"]

    def compute(p):
        time.sleep(float(os.environ.get("DUMMY_SLEEP", "0")))
        if os.environ.get("DUMMY_FAIL") == "compute" and p["n"] == 16 and p["seed"] == 1:
            raise RuntimeError("dummy task failure")
        r = task_rng(p)
        out = {"err": float(p["n"] ** -1.0 * np.exp(0.05 * r.standard_normal()))}
        log = os.environ.get("DUMMY_LOG")
        if log:
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, f"{p['n']},{p['seed']}\\n".encode())
            os.close(fd)
        return out

    def evaluate(runs, ctx):
        ns = sorted({r["n"] for r in runs}); ss = sorted({r["seed"] for r in runs})
        E = np.array([[next(r.result["err"] for r in runs if (r["n"], r["seed"]) == (n, s)) for n in ns] for s in ss])
        f = fit_exponent(ns, E, rng=ctx.rng("dummy"))
        pred = 2.0 if os.environ.get("DUMMY_FAIL") == "verdict" else 1.0
        return Evaluation([Measurement("beta", pred, f.beta, f.std, f"|diff| <= {ctx.slope_tol}",
                                       abs(f.beta - pred) <= ctx.slope_tol)])

    def plot(runs, ev, ctx):
        from paper_checks.plotting import plt, save
        fig, ax = plt().subplots()
        ax.plot([1, 2], [1, 2])
        return [save(fig, ctx.figure_path("dummy.png"))]
''')

OTHER = textwrap.dedent('''
    from paper_checks import Evaluation, Measurement
    name = "other_pc"
    claim = "always true"
    def runs(mode):
        return [{"k": 1}]
    def compute(p):
        return {"v": 1.0}
    def evaluate(runs, ctx):
        import os
        rows = [Measurement("v", 1.0, runs[0].result["v"], None, "equal", True)]
        known = os.environ.get("OTHER_KNOWN")  # a declared known failure that fails ("fail") or passes ("pass")
        if known:
            rows.append(Measurement("w", 1.0, 1.4, None, "within 25%", known == "pass", known_failure="documented"))
        return Evaluation(rows)
''')


SHARED = textwrap.dedent('''
    from paper_checks import Evaluation, Measurement
    import pc_dummy_check
    name = "shared_pc"
    claim = "reads the dummy check's runs"
    def runs(mode):
        return [dict(p, check="dummy_pc") for p in pc_dummy_check.runs(mode) if p["n"] >= 32]
    def compute(p):
        raise RuntimeError("never called")
    def evaluate(runs, ctx):
        return Evaluation([Measurement("count", 6, len(runs), None, "equal", len(runs) == 6)])
''')


@pytest.fixture
def dummy_env(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "pc_dummy_check.py").write_text(DUMMY)
    (mods / "pc_other_check.py").write_text(OTHER)
    (mods / "pc_shared_check.py").write_text(SHARED)
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setenv("PAPER_CHECKS_EXTRA", "pc_dummy_check,pc_other_check,pc_shared_check")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("DUMMY_LOG", str(tmp_path / "log.txt"))
    monkeypatch.delenv("DUMMY_FAIL", raising=False)
    monkeypatch.delenv("OTHER_KNOWN", raising=False)
    monkeypatch.setenv("DUMMY_SLEEP", "0")
    return tmp_path


def _runs(out):
    data = json.loads((Path(out) / "results.json").read_text())
    return {c: sorted((json.dumps(r["params"], sort_keys=True), json.dumps(r["result"], sort_keys=True))
                      for r in v["runs"]) for c, v in data["checks"].items()}, data


def _log(tmp):
    p = tmp / "log.txt"
    return p.read_text().splitlines() if p.exists() else []


def test_list_and_only(dummy_env, capsys):
    assert main(["--list", "--only", "dummy_pc,other_pc"]) == 0
    out = capsys.readouterr().out
    assert "dummy_pc" in out and "12 quick" in out and "other_pc" in out
    assert main(["--list", "--only", "nope"]) == 2
    assert "unknown check" in capsys.readouterr().err
    out_dir = dummy_env / "o1"
    assert main(["--only", "other_pc", "--out", str(out_dir), "--no-progress"]) == 0
    runs, data = _runs(out_dir)
    assert list(runs) == ["other_pc"]  # --only ran just that one
    assert main(["--only", "dummy_pc", "--only", "other_pc", "--out", str(out_dir), "--no-progress"]) == 0
    assert set(_runs(out_dir)[0]) == {"dummy_pc", "other_pc"}


def test_report_and_exit_codes(dummy_env, monkeypatch, capsys):
    out = dummy_env / "o"
    args = ["--only", "dummy_pc,other_pc", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    rep = (out / "report.md").read_text()
    assert "| **dummy_pc** (PASS)" in rep and "![dummy_pc](figures/dummy.png)" in rep
    assert "| dummy_pc | 12 | 12 |" in rep and "| all (distinct runs) | 13 | 13 |" in rep   # time per check
    assert (out / "figures" / "dummy.png").stat().st_size > 0
    runs, data = _runs(out)
    assert len(runs["dummy_pc"]) == 12 and data["meta"]["computed"] == 13
    # a failing verdict -> exit 1, the report says FAIL; nothing recomputed (evaluation only)
    monkeypatch.setenv("DUMMY_FAIL", "verdict")
    n_log = len(_log(dummy_env))
    assert main(args) == 1
    assert len(_log(dummy_env)) == n_log
    assert "| **dummy_pc** (FAIL)" in (out / "report.md").read_text()
    # a task that raises -> ERROR, exit 1, the other check is still evaluated, the failure is not cached
    monkeypatch.setenv("DUMMY_FAIL", "compute")
    out = dummy_env / "o2"
    args = ["--only", "dummy_pc,other_pc", "--out", str(out), "--no-progress"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "dummy task failure" in err
    _, data = _runs(out)
    assert data["checks"]["dummy_pc"]["verdict"] == "ERROR"
    assert data["checks"]["other_pc"]["verdict"] == "PASS"
    monkeypatch.delenv("DUMMY_FAIL")
    assert main(args) == 0  # only the failed task is recomputed
    assert _runs(out)[1]["meta"]["computed"] == 1


def _valid_entries(out):
    from paper_checks.cache import checksum
    keys = set()
    for p in (Path(out) / "cache" / "dummy_pc").glob("*.json"):
        e = json.loads(p.read_text())  # every visible entry must be complete (atomic writes)
        assert e["sha256"] == checksum(e)
        keys.add(f"{e['params']['n']},{e['params']['seed']}")
    return keys


@pytest.mark.parametrize("jobs", [1, 2])
def test_resume_after_sigkill(dummy_env, jobs):
    out = dummy_env / f"killed{jobs}"
    cmd = [sys.executable, "-m", "paper_checks", "--only", "dummy_pc", "--out", str(out), "--jobs", str(jobs)]
    env = dict(os.environ, DUMMY_SLEEP="0.25")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    cache_dir = out / "cache" / "dummy_pc"
    while time.monotonic() < deadline:
        if cache_dir.exists() and len(list(cache_dir.glob("*.json"))) >= 4:
            break
        assert proc.poll() is None, "the run finished before it could be killed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, no chance to clean up
    proc.wait()
    done_at_kill = _valid_entries(out)
    assert 4 <= len(done_at_kill) < 12
    assert not (out / "results.json").exists()

    rerun = subprocess.run(cmd + ["--no-progress"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    log = _log(dummy_env)
    for key in done_at_kill:  # finished before the kill -> never recomputed
        assert log.count(key) == 1, (key, log)
    assert len(set(log)) == 12
    resumed, data = _runs(out)
    assert data["meta"]["cached"] == len(done_at_kill)

    # same numbers as an uninterrupted run of the same command
    fresh = dummy_env / "fresh"
    assert main(["--only", "dummy_pc", "--out", str(fresh), "--no-progress"]) == 0
    assert _runs(fresh)[0] == resumed


def test_tasks_shared_between_checks_are_computed_once(dummy_env):
    out = dummy_env / "sh"
    # alone, the sharing check computes the other check's tasks (under that check's cache keys) ...
    assert main(["--only", "shared_pc", "--out", str(out), "--no-progress"]) == 0
    assert len(_log(dummy_env)) == 6 and len(list((out / "cache" / "dummy_pc").glob("*.json"))) == 6
    # ... which the owner then reads from the cache; together, nothing is computed twice
    assert main(["--only", "dummy_pc,shared_pc", "--out", str(out), "--no-progress"]) == 0
    assert len(_log(dummy_env)) == 12 and len(set(_log(dummy_env))) == 12
    _, data = _runs(out)
    assert data["meta"]["cached"] == 6 and data["meta"]["computed"] == 6
