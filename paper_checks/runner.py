"""Build the task grid, serve it from the cache or an executor, evaluate the checks, write the report."""
from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .api import Context, Evaluation, Run, canonical_json, jsonable
from .cache import FORMAT, Cache
from .executor import Task, make_executor
from .progress import Progress

class SuiteTerminated(KeyboardInterrupt):
    """Raised in the main thread by the CLI's SIGTERM handler: the run stops and cleans up like on Ctrl-C."""


#: Bump to invalidate every cache entry (framework-level change of what a task means).
FRAMEWORK_VERSION = "1"


def salt_for(mod) -> str:
    try:
        import spherekern
        skv = getattr(spherekern, "__version__", "?")
    except Exception:  # noqa: BLE001
        skv = "?"
    return f"pc{FRAMEWORK_VERSION}.f{FORMAT}|{mod.name}:{getattr(mod, 'version', '0')}|spherekern {skv}"


def task_params(mod, mode: str, base_seed: int) -> list[dict]:
    """The check's runs for ``mode``, completed with ``check`` and ``base_seed``; validated and unique.

    A run dict may name another check in ``check``: the task is then *that* check's task (computed by
    its ``compute``, cached under its key), which lets a check evaluate runs it shares with another one
    (e.g. sparsity reads the atom counts of the constant and grf feature runs) without computing them twice.
    """
    out, seen = [], set()
    for p in mod.runs(mode):
        if not isinstance(p, dict):
            raise TypeError(f"{mod.name}.runs must return dicts, got {type(p).__name__}")
        q = dict(jsonable(p))
        q.setdefault("check", mod.name)
        q["base_seed"] = int(base_seed)
        key = canonical_json(q)
        if key in seen:
            raise ValueError(f"{mod.name}.runs returned a duplicate task {q}")
        seen.add(key)
        out.append(q)
    return out


def owner_module(mod, params: dict, registry_cache: dict):
    """The module whose ``compute`` runs this task (``mod`` itself unless params name another check)."""
    owner = params["check"]
    if owner == mod.name:
        return mod
    if owner not in registry_cache:
        from . import registry
        registry_cache.update(registry.discover())
    if owner not in registry_cache:
        raise ValueError(f"{mod.name}: a run names the unknown check {owner!r}")
    return registry_cache[owner]


def task_cost(mod, params: dict) -> float:
    f = getattr(mod, "cost", None)
    try:
        return float(f(params)) if f else 1.0
    except Exception:  # noqa: BLE001
        return 1.0


def task_label(params: dict) -> str:
    skip = {"check", "base_seed"}
    return params["check"] + " " + " ".join(f"{k}={v}" for k, v in params.items() if k not in skip)


@dataclass
class CheckOutcome:
    name: str
    module: object
    runs: list[Run]
    failures: list[tuple[dict, str]] = field(default_factory=list)
    evaluation: Evaluation | None = None
    error: str = ""
    figures: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.error or self.failures or self.evaluation is None:
            return "ERROR"
        return "PASS" if self.evaluation.passed else "FAIL"


@dataclass
class SuiteResult:
    checks: list[CheckOutcome]
    mode: str
    base_seed: int
    out: Path
    wall: float
    n_computed: int
    n_cached: int
    jobs: int
    executor: str
    n_failed: int = 0
    worker_retries: int = 0

    @property
    def passed(self) -> bool:
        return all(c.verdict == "PASS" for c in self.checks)


def run_suite(checks: dict, mode: str = "quick", base_seed: int = 0, out="paper_checks_out", jobs: int = 1,
              progress: bool = True, recompute: bool = False, scheduler: str | None = None,
              stream=None) -> SuiteResult:
    """Run ``checks`` (``{name: module}``) and write report.md, results.json and figures under ``out``.

    Raises KeyboardInterrupt after cleaning up if interrupted (the CLI turns SIGTERM into
    :class:`SuiteTerminated`, a KeyboardInterrupt); everything finished is already cached. ``n_computed``
    counts the tasks computed successfully in this run, ``n_failed`` those that failed (not cached).
    """
    stream = stream or sys.stderr
    t_start = time.monotonic()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Cache(out / "cache")

    # One table of distinct tasks (a task shared by several checks is computed once).
    table: dict[str, dict] = {}
    per_check: dict[str, dict] = {}
    known = dict(checks)
    for name, mod in checks.items():
        params = task_params(mod, mode, base_seed)
        keys = []
        for p in params:
            key = canonical_json(p)
            keys.append(key)
            if key in table:
                continue
            owner = owner_module(mod, p, known)
            table[key] = {"params": p, "owner": owner, "salt": salt_for(owner), "run": None, "error": None}
        per_check[name] = {"mod": mod, "keys": keys}

    todo: list[str] = []
    total_cost = 0.0
    for key, t in table.items():
        entry = None if recompute else cache.get(t["params"], t["salt"])
        if entry is not None:
            t["run"] = Run(t["params"], entry["result"], entry.get("elapsed", 0.0), cached=True)
        else:
            t["cost"] = task_cost(t["owner"], t["params"])
            total_cost += t["cost"]
            todo.append(key)
    n_tasks = len(table)

    # Largest first; ties broken by content so the submission order is reproducible.
    todo.sort(key=lambda k: (-table[k]["cost"], k))
    n_cached = n_tasks - len(todo)
    bar = Progress(n_tasks, total_cost, done=n_cached, stream=stream, enabled=progress)
    if progress:
        bar.message(f"paper_checks: {len(checks)} check(s), {n_tasks} runs ({n_cached} cached, "
                    f"{len(todo)} to compute), mode={mode}, seed={base_seed}, jobs={jobs}")
    executor = make_executor(min(jobs, max(len(todo), 1)), scheduler)
    tasks = [Task(table[k]["owner"].__name__, table[k]["params"]) for k in todo]
    bar.draw(force=True)
    n_ok = n_failed = 0
    try:
        for i, outcome in executor.run(tasks):
            t = table[todo[i]]
            p = t["params"]
            if outcome.ok:
                cache.put(p, t["salt"], outcome.result, outcome.elapsed)  # lands in the cache first
                t["run"] = Run(p, outcome.result, outcome.elapsed)
                n_ok += 1
            else:
                n_failed += 1
                t["error"] = outcome.error
                bar.message(f"FAILED {task_label(p)}:\n" + _indent(outcome.error))
            bar.update(t["cost"], task_label(p), ok=outcome.ok)
    except BaseException:
        executor.close(cancel=True)
        bar.close()
        raise
    executor.close()
    bar.close()

    ctx = Context(mode=mode, base_seed=base_seed, out=out)
    outcomes = []
    for name, info in per_check.items():
        mod = info["mod"]
        ts = [table[k] for k in info["keys"]]
        runs = [t["run"] for t in ts if t["run"] is not None]
        fails = [(t["params"], t["error"]) for t in ts if t["run"] is None]
        co = CheckOutcome(name, mod, runs, fails)
        # Evaluate even when some runs failed (the verdict stays ERROR): the numbers of the complete part
        # are still worth reporting. evaluate may raise on an incomplete grid; that is reported too.
        try:
            co.evaluation = mod.evaluate(runs, ctx)
        except Exception:  # noqa: BLE001
            co.error = "evaluate raised:\n" + traceback.format_exc()
        if co.evaluation is not None and hasattr(mod, "plot"):
            try:
                co.figures = [str(f) for f in (mod.plot(runs, co.evaluation, ctx) or [])]
            except Exception:  # noqa: BLE001
                co.error = "plot raised:\n" + traceback.format_exc()
        if fails:
            msg = f"{len(fails)} run(s) failed (not cached; a rerun retries them): " + "; ".join(
                task_label(p) for p, _ in fails[:5]) + (" ..." if len(fails) > 5 else "")
            last = fails[0][1].strip().splitlines()[-1] if fails[0][1] else ""
            co.error = msg + (f"\nfirst error: {last}" if last else "") + ("\n" + co.error if co.error else "")
        if co.error and progress:
            bar.message(f"{name}: {co.error}")
        outcomes.append(co)

    res = SuiteResult(outcomes, mode, base_seed, out, time.monotonic() - t_start,
                      n_ok, n_cached, jobs, executor.name, n_failed, getattr(executor, "retries", 0))
    from .report import write_report
    write_report(res)
    return res


def _indent(text: str, n: int = 4, max_lines: int = 12) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > max_lines:
        lines = lines[:3] + ["..."] + lines[-(max_lines - 4):]
    return "\n".join(" " * n + ln for ln in lines)


def default_jobs(mode: str) -> int:
    """All cores in full mode; at most 2 in quick mode (measured on the 2-core machine: --jobs 1 and 2 take the
    same wall time, 6.4 vs 6.7 min under load, and 2 single-threaded workers give the same numbers as full mode)."""
    ncpu = os.cpu_count() or 1
    return ncpu if mode == "full" else min(2, ncpu)
