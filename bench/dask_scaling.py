"""Wall time of a small fixed CPU-bound grid through ``python -m paper_checks``: serial, then a Dask
LocalCluster with 1, 2, ... workers (issue 8: the grid's wall time scales with the number of workers).

    python -m bench.dask_scaling [--tasks 8] [--iters 10000000] [--workers 1,2] [--repeat 1]

The grid is a test-only check (written to a temporary folder) of ``--tasks`` identical pure-Python tasks of
``--iters`` loop iterations each (about 0.1 us each on an idle core; no numba, no BLAS: one core per task). Each configuration
runs the whole command with ``--recompute`` (cluster start-up included) and reports its wall time, the
CPU time and wall time the tasks took (from results.json), the cores the run actually obtained (task CPU
time / run wall time: on a shared machine, fewer than the workers), the mean number of tasks in flight
(task wall time / run wall time) and the speed-up over 1 worker. Needs dask.distributed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = textwrap.dedent('''
    """CPU-bound dummy grid for bench/dask_scaling.py."""
    import os
    from paper_checks import Evaluation, Measurement

    name = "cpu_pc"
    claim = "CPU-bound dummy tasks"
    version = "1"

    def runs(mode):
        return [{"i": i} for i in range(int(os.environ["CPU_PC_TASKS"]))]

    def compute(p):
        import time
        c = time.process_time()
        n = int(os.environ["CPU_PC_ITERS"])
        s = 0
        for k in range(n):
            s += (k * k) % 7
        return {"s": s, "cpu": time.process_time() - c}

    def evaluate(runs, ctx):
        return Evaluation([Measurement("tasks", len(runs), len(runs), None, "equal", True)])
''')


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--iters", type=int, default=10_000_000, help="loop iterations per task")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    iters = a.iters
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pc_cpu_check.py").write_text(CHECK)
        env = dict(os.environ, PAPER_CHECKS_EXTRA="pc_cpu_check", CPU_PC_TASKS=str(a.tasks),
                   CPU_PC_ITERS=str(iters),
                   PYTHONPATH=os.pathsep.join([tmp, str(ROOT), os.environ.get("PYTHONPATH", "")]))
        configs = [("serial", ["--jobs", "1"])] + [
            (f"local-cluster {w} worker(s)", ["--scheduler", "local-cluster", "--jobs", str(w)])
            for w in map(int, a.workers.split(","))]
        rows = []
        for label, extra in configs:
            for r in range(a.repeat):
                out = Path(tmp) / "out"
                cmd = [sys.executable, "-m", "paper_checks", "--only", "cpu_pc", "--out", str(out),
                       "--recompute", "--no-progress"] + extra
                t = time.perf_counter()
                subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
                wall = time.perf_counter() - t
                data = json.loads((out / "results.json").read_text())
                runs = data["checks"]["cpu_pc"]["runs"]
                cpu = sum(r["result"]["cpu"] for r in runs)
                busy = sum(r["elapsed"] for r in runs)
                rows.append((label, wall, cpu))
                print(f"{label:<28} wall {wall:6.2f} s   tasks: CPU {cpu:6.2f} s, wall {busy:6.2f} s, "
                      f"CPU obtained {cpu / data['meta']['wall_s']:4.2f} cores, tasks in flight "
                      f"{busy / data['meta']['wall_s']:4.2f}", flush=True)
        base = {lbl: min(w for l2, w, _ in rows if l2 == lbl) for lbl, _, _ in rows}
        one = base.get("local-cluster 1 worker(s)")
        print(f"\n{a.tasks} tasks x {iters} iterations, os.cpu_count() = {os.cpu_count()}, "
              f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
        for lbl, w in base.items():
            sp = f"  speed-up vs 1 worker: {one / w:4.2f}x" if one else ""
            print(f"{lbl:<28} best wall {w:6.2f} s{sp}")


if __name__ == "__main__":
    main()
