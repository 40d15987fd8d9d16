"""paper_checks on Dask distributed (issue 8), with a test-only dummy check whose tasks sleep briefly.

References are independent of the Dask code path: the serial executor and the local process pool (same
tasks, same seeds) for the numbers; a wrapper counting Cache.put calls and a per-computation log written by
the task itself for "nothing computed or cached twice"; the scheduler's own view of the tasks for the
declared priorities and resources.
"""
import json
import os
import random
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from paper_checks import cache as cache_mod  # noqa: E402
from paper_checks.cli import main  # noqa: E402
from paper_checks.dask_executor import (DEFAULT_TASK_MEMORY, DaskExecutor, check_scheduler_arg,  # noqa: E402
                                        plan_resources, priorities, task_memory)
from paper_checks.executor import ExecutorError, Task  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

DUMMY = textwrap.dedent('''
    """Test-only check: tasks sleep DASK_PC_SLEEP s, log each computation to DASK_PC_LOG, return noisy n^-1.
    If DASK_PC_KILL names a missing file, the task n=16 seed=0 creates it and SIGKILLs its own Dask worker
    process (only ever inside a worker process, never the test process DASK_PC_PARENT)."""
    import os, signal, time
    import numpy as np
    from paper_checks import Evaluation, Measurement, task_rng
    from paper_checks.fitting import fit_exponent

    name = "dask_pc"
    claim = "eps(n) ~ n^-1 for the dummy task"
    version = "1"

    def runs(mode):
        return [{"n": n, "seed": s} for n in (8, 16, 32, 64) for s in range(3)]

    def cost(p):
        return p["n"]

    def memory(p):
        return 1e6 * p["n"]

    def _in_worker_process():
        try:
            from distributed import get_worker
            get_worker()
        except Exception:
            return False
        return os.getpid() != int(os.environ.get("DASK_PC_PARENT", "-1"))

    def compute(p):
        kill = os.environ.get("DASK_PC_KILL")
        if kill and p["n"] == 16 and p["seed"] == 0 and not os.path.exists(kill) and _in_worker_process():
            with open(kill, "w") as f:
                f.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(float(os.environ.get("DASK_PC_SLEEP", "0")))
        r = task_rng(p)
        out = {"err": float(p["n"] ** -1.0 * np.exp(0.05 * r.standard_normal())), "z": r.standard_normal(3)}
        log = os.environ.get("DASK_PC_LOG")
        if log:
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, f"{p['n']},{p['seed']},{os.getpid()}\\n".encode())
            os.close(fd)
        return out

    def evaluate(runs, ctx):
        ns = sorted({r["n"] for r in runs}); ss = sorted({r["seed"] for r in runs})
        E = np.array([[next(r.result["err"] for r in runs if (r["n"], r["seed"]) == (n, s)) for n in ns]
                      for s in ss])
        f = fit_exponent(ns, E, rng=ctx.rng("dummy"))
        return Evaluation([Measurement("beta", 1.0, f.beta, f.std, f"|diff| <= {ctx.slope_tol}",
                                       abs(f.beta - 1.0) <= ctx.slope_tol)])
''')

NOMEM = textwrap.dedent('''
    name = "dask_nomem_pc"
    claim = "no memory hook"
    def runs(mode):
        return [{"k": 1}]
    def compute(p):
        return {"v": 1.0}
''')


@pytest.fixture
def dask_env(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "pc_dask_check.py").write_text(DUMMY)
    (mods / "pc_dask_nomem.py").write_text(NOMEM)
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setenv("PAPER_CHECKS_EXTRA", "pc_dask_check")
    # spawned workers (local pool, Dask nannies) import the dummy check through PYTHONPATH
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("DASK_PC_LOG", str(tmp_path / "log.txt"))
    monkeypatch.setenv("DASK_PC_PARENT", str(os.getpid()))
    monkeypatch.setenv("DASK_PC_SLEEP", "0")
    monkeypatch.delenv("DASK_PC_KILL", raising=False)
    return tmp_path


def _results(out):
    data = json.loads((Path(out) / "results.json").read_text())
    c = data["checks"]["dask_pc"]
    runs = sorted((json.dumps(r["params"], sort_keys=True), json.dumps(r["result"], sort_keys=True))
                  for r in c["runs"])
    return runs, json.dumps(c.get("measurements"), sort_keys=True), data


def _log(tmp):
    p = tmp / "log.txt"
    return [ln.rsplit(",", 1)[0] for ln in p.read_text().splitlines()] if p.exists() else []


def test_local_cluster_survives_a_killed_worker(dask_env, monkeypatch):
    """Two workers; one is SIGKILLed by its own task mid-run. The run completes, every task is computed and
    cached exactly once, and the numbers equal those of the serial and local-pool executors."""
    puts = []
    real_put = cache_mod.Cache.put

    def counting_put(self, params, salt, result, elapsed):
        puts.append(json.dumps(params, sort_keys=True))
        return real_put(self, params, salt, result, elapsed)

    monkeypatch.setattr(cache_mod.Cache, "put", counting_put)
    marker = dask_env / "killed.pid"
    monkeypatch.setenv("DASK_PC_KILL", str(marker))
    monkeypatch.setenv("DASK_PC_SLEEP", "0.3")
    out = dask_env / "dask"
    code = main(["--only", "dask_pc", "--out", str(out), "--scheduler", "local-cluster", "--jobs", "2",
                 "--no-progress"])
    assert code == 0
    assert marker.exists(), "the worker was not killed: the test did not test anything"
    assert int(marker.read_text()) != os.getpid()
    # every task was cached exactly once; the killed attempt died before logging. A task may be computed
    # twice only if its first result was still held by the killed worker (not yet gathered by the client):
    # then its first log line carries the killed worker's pid.
    log = _log(dask_env)
    assert sorted(set(log)) == sorted(f"{n},{s}" for n in (8, 16, 32, 64) for s in range(3))
    killed = marker.read_text()
    pids = {}
    for ln in (dask_env / "log.txt").read_text().splitlines():
        key, pid = ln.rsplit(",", 1)
        pids.setdefault(key, []).append(pid)
    for key, ps in pids.items():
        assert len(ps) == 1 or (len(ps) == 2 and ps[0] == killed), (key, ps, killed)
    assert len(puts) == 12 and len(set(puts)) == 12
    assert len(list((out / "cache" / "dask_pc").glob("*.json"))) == 12
    runs_dask, meas_dask, data = _results(out)
    assert data["meta"]["computed"] == 12 and "dask" in data["meta"]["executor"]

    monkeypatch.delenv("DASK_PC_KILL")
    monkeypatch.setenv("DASK_PC_SLEEP", "0")
    for name, extra in [("serial", ["--jobs", "1"]), ("pool", ["--jobs", "2"])]:
        ref = dask_env / name
        assert main(["--only", "dask_pc", "--out", str(ref), "--no-progress"] + extra) == 0
        runs_ref, meas_ref, _ = _results(ref)
        assert runs_ref == runs_dask, name
        assert meas_ref == meas_dask, name

    # rerunning on the cluster serves everything from the cache (no cluster is even started)
    n_log = len(_log(dask_env))
    assert main(["--only", "dask_pc", "--out", str(out), "--scheduler", "local-cluster", "--no-progress"]) == 0
    assert len(_log(dask_env)) == n_log and len(puts) == 3 * 12  # dask, serial, pool: 12 each


def test_priorities_and_memory_reach_the_scheduler(dask_env):
    """Tasks given smallest-first run largest-first on a single one-thread worker, with priority ranked by
    cost and MEM = memory(params) as the scheduler sees them."""
    from distributed import Client, LocalCluster
    import pc_dask_check as mod

    params = [dict(p, check="dask_pc", base_seed=0) for p in mod.runs("quick")]
    random.Random(1).shuffle(params)
    tasks = [Task("pc_dask_check", p) for p in params]
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Record(SchedulerPlugin):
        # what the scheduler holds for each task when it first becomes runnable (before it can finish and be
        # forgotten, whatever the machine's speed)
        def __init__(self, scheduler):
            self.scheduler = scheduler
            self.seen = {}

        def transition(self, key, start, finish, *args, **kwargs):
            ts = self.scheduler.tasks.get(key)
            if ts is not None and str(key).startswith("paper_checks-") and key not in self.seen:
                self.seen[key] = (ts.priority, dict(ts.resource_restrictions or {}))

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      resources={"MEM": 1e9}) as cluster:
        rec = Record(cluster.scheduler)
        cluster.scheduler.add_plugin(rec)
        ex = DaskExecutor(cluster.scheduler_address, connect_timeout=10, wait_workers=10)
        order = []
        for i, out in ex.run(tasks):
            assert out.ok, out.error
            order.append(tasks[i].params["n"])
        seen_by_scheduler = dict(rec.seen)
    assert order == sorted(order, reverse=True), order   # largest first
    assert ex.warnings == []
    by_key = {k: (p, r, tasks[i].params["n"]) for k, p, r, i in ex.submitted}
    assert len(by_key) == 12
    for k, p, r, i in ex.submitted:  # priority = rank by cost (ties: earlier task first), MEM = memory()
        n = tasks[i].params["n"]
        assert r == {"MEM": 1e6 * n}
        assert p == 1 + sum((t.params["n"], -j) < (n, -i) for j, t in enumerate(tasks))
    # every task reached the scheduler with the MEM and priority that were submitted
    assert set(seen_by_scheduler) == set(by_key)
    for k, (ts_prio, ts_res) in seen_by_scheduler.items():
        prio, res, _ = by_key[k]
        assert ts_res == res
        assert ts_prio[0] == -prio  # distributed orders by (-user priority, ...)


def test_memory_not_advertised_warns_and_still_runs(dask_env):
    from distributed import LocalCluster
    tasks = [Task("pc_dask_check", {"n": n, "seed": 0, "check": "dask_pc", "base_seed": 0}) for n in (8, 64)]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        ex = DaskExecutor(cluster.scheduler_address, connect_timeout=10, wait_workers=10)
        with pytest.warns(RuntimeWarning, match="advertises the MEM resource"):
            outs = dict(ex.run(tasks))
    assert sorted(outs) == [0, 1] and all(o.ok for o in outs.values())
    assert [r for _, _, r, _ in ex.submitted] == [None, None]
    # a worker too small for a task: the task is capped to the worker's MEM (runs alone) instead of never
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      resources={"MEM": 20e6}) as cluster:
        ex = DaskExecutor(cluster.scheduler_address, connect_timeout=10, wait_workers=10)
        with pytest.warns(RuntimeWarning, match="1 task.s. declare more memory"):
            outs = dict(ex.run(tasks))
    assert all(o.ok for o in outs.values())
    assert [r for _, _, r, _ in ex.submitted] == [{"MEM": 20e6}, {"MEM": 8e6}]


def test_plan_resources_and_priorities():
    req, msgs = plan_resources([{}, {}], [1.0, 2.0])
    assert req == [None, None] and "none of the 2" in msgs[0]
    req, msgs = plan_resources([{"MEM": 10.0}, {}], [3.0, 30.0])
    assert req == [{"MEM": 3.0}, {"MEM": 10.0}] and len(msgs) == 2
    assert "only 1 of 2" in msgs[0] and "1 task(s)" in msgs[1]
    req, msgs = plan_resources([{"MEM": 10.0, "GPU": 1}], [3.0])
    assert req == [{"MEM": 3.0}] and msgs == []
    assert priorities([1.0, 5.0, 5.0, 0.5]) == [2, 4, 3, 1]
    assert priorities([]) == []

    class NoHook:
        pass

    class Broken:
        @staticmethod
        def memory(p):
            raise RuntimeError

    class Hook:
        @staticmethod
        def memory(p):
            return p["n"] * 8.0

    assert task_memory(NoHook, {}) == DEFAULT_TASK_MEMORY
    assert task_memory(Broken, {}) == DEFAULT_TASK_MEMORY
    assert task_memory(Hook, {"n": 3}) == 24.0


def test_bad_or_unreachable_scheduler(dask_env, monkeypatch, capsys):
    monkeypatch.setenv("PAPER_CHECKS_DASK_TIMEOUT", "1")
    out = dask_env / "unreach"
    code = main(["--only", "dask_pc", "--out", str(out), "--scheduler", "tcp://127.0.0.1:1", "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot connect to the Dask scheduler 'tcp://127.0.0.1:1'" in err and "dask scheduler" in err
    assert not list((out / "cache").rglob("*.json")) and not (out / "results.json").exists()
    assert _log(dask_env) == []
    for bad, match in [("not an address", "not an address"), ("nohost", "not an address"),
                       (str(dask_env / "missing.json"), "does not exist"), ("  ", "must be a scheduler")]:
        with pytest.raises(ExecutorError, match=match):
            check_scheduler_arg(bad)
        assert main(["--only", "dask_pc", "--out", str(out), "--scheduler", bad, "--no-progress"]) == 2
        assert match in capsys.readouterr().err
    monkeypatch.setenv("PAPER_CHECKS_DASK_TIMEOUT", "1")
    with pytest.raises(ExecutorError, match="cannot connect"):
        list(DaskExecutor("tcp://127.0.0.1:1").run([Task("pc_dask_nomem", {"k": 1, "check": "dask_nomem_pc"})]))


def test_missing_distributed_is_a_clear_error(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ExecutorError, match=r"spherekern\[distributed\]"):
        check_scheduler_arg("local-cluster")


def test_ctrl_c_of_the_client_resumes_from_the_cache(dask_env):
    """SIGINT to the whole process group (Ctrl-C in a terminal): the client exits 130, takes its local cluster
    down with it, and the same command resumes without recomputing what was cached."""
    import signal
    import subprocess
    import sys
    import time

    out = dask_env / "intr"
    args = ["--only", "dask_pc", "--out", str(out), "--scheduler", "local-cluster", "--jobs", "2"]
    env = dict(os.environ, DASK_PC_SLEEP="0.4")
    proc = subprocess.Popen([sys.executable, "-m", "paper_checks"] + args, env=env, cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    cache_dir = out / "cache" / "dask_pc"
    deadline = time.monotonic() + 60
    while not (cache_dir.exists() and len(list(cache_dir.glob("*.json"))) >= 3):
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-o", "stat=,pid=,args=", "-g", str(proc.pid)], capture_output=True, text=True)
    alive = [ln for ln in ps.stdout.splitlines() if ln.strip() and not ln.strip().startswith("Z")]
    assert alive == []  # no worker process of the local cluster survives the client (zombies are dead)
    done = {json.dumps(json.loads(p.read_text())["params"], sort_keys=True) for p in cache_dir.glob("*.json")}
    assert 3 <= len(done) < 12
    n_log = len(_log(dask_env))
    assert main(args + ["--no-progress"]) == 0
    log = _log(dask_env)[n_log:]
    assert len(log) == 12 - len(done) and len(set(log)) == len(log)
    assert _results(out)[2]["meta"]["cached"] == len(done)
