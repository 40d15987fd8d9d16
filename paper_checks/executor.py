"""Executors: where tasks run. The runner only needs ``Executor.run(tasks)``.

A task is a :class:`Task` (the check's module name and the full params dict): picklable, and its result
a pure function of it, so any executor (in-process, local process pool, or a Dask cluster, issue 8)
gives the same numbers. Executors never write results anywhere: they yield ``(index, Outcome)`` pairs
as tasks finish and the runner writes each to the cache immediately.

To add an executor, subclass :class:`Executor` and implement ``run``; submit in the given order (the
runner sorts largest first) and yield outcomes as they complete.
"""
from __future__ import annotations

import importlib
import os
import signal
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
import multiprocessing as mp


class ExecutorError(RuntimeError):
    """An executor cannot run (e.g. --scheduler unreachable, dask not installed); the CLI prints it, exit 2."""


@dataclass(frozen=True)
class Task:
    module: str   # importable module of the check, e.g. "paper_checks.checks.constant"
    params: dict  # full parameters (check, base_seed, d, n, seed, regime, ...)


@dataclass
class Outcome:
    ok: bool
    result: dict | None
    elapsed: float
    error: str = ""


def execute(task: Task) -> Outcome:
    """Run one task in the current process (top-level, picklable; what every executor calls)."""
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(task.module)
        result = mod.compute(dict(task.params))
        if not isinstance(result, dict):
            raise TypeError(f"{task.module}.compute must return a dict, got {type(result).__name__}")
        from .api import jsonable
        return Outcome(True, jsonable(result), time.perf_counter() - t0)
    except Exception:  # noqa: BLE001 - reported, the run continues with the other tasks
        return Outcome(False, None, time.perf_counter() - t0, traceback.format_exc())


class Executor:
    """Base class. ``run(tasks)`` yields ``(index_in_tasks, Outcome)`` as tasks complete."""

    name = "base"

    def run(self, tasks):  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, cancel: bool = False):
        pass


#: numba / BLAS threads inside each task. Fixed (not ``cpu_count // jobs``) so that a task's floating-point
#: operations, hence its numbers, do not depend on ``--jobs`` or the machine: parallel reductions and
#: multi-threaded BLAS change the summation order with the thread count, and an iterative solver (the
#: atomic column generation) can amplify last-bit differences. Parallelism comes from the worker processes.
TASK_THREADS = 1
_THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class SerialExecutor(Executor):
    """Runs tasks one after another in this process, with the process's own thread settings (``--jobs 0``;
    for debugging: its numbers can differ in the last bits from the pool's, see :data:`TASK_THREADS`)."""

    name = "serial"

    def run(self, tasks):
        for i, t in enumerate(tasks):
            yield i, execute(t)


def _init_worker(threads: int):
    # Workers ignore Ctrl-C: the parent handles it and terminates them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for k in _THREAD_VARS:
        os.environ[k] = str(threads)
    import sys
    if "numba" in sys.modules:  # already imported by the spawn bootstrap: set it directly
        sys.modules["numba"].set_num_threads(threads)


class LocalPoolExecutor(Executor):
    """``jobs`` spawned worker processes (concurrent.futures), each with ``threads`` numba/BLAS threads
    (default :data:`TASK_THREADS`; the variables are set in the environment the workers are spawned with, so
    numpy's BLAS is single-threaded from its first import in the worker).

    A worker that dies (killed, segfault) breaks the pool: the tasks still pending are reported as
    failed (they are not cached, so a rerun computes them) and the rest of the run is evaluated.
    """

    name = "local-pool"

    def __init__(self, jobs: int, threads: int | None = None):
        self.jobs = max(1, int(jobs))
        self.threads = threads or TASK_THREADS
        self._pool = None
        self._saved_env = None

    def run(self, tasks):
        ctx = mp.get_context("spawn")
        self._saved_env = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: str(self.threads) for k in _THREAD_VARS})  # inherited by the spawned workers
        self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx,
                                         initializer=_init_worker, initargs=(self.threads,))
        futures = {}
        for i, t in enumerate(tasks):
            futures[self._pool.submit(execute, t)] = i
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = futures[fut]
                try:
                    out = fut.result()
                except BrokenProcessPool as exc:
                    out = Outcome(False, None, 0.0, f"worker process died: {exc!r}")
                except Exception:  # noqa: BLE001
                    out = Outcome(False, None, 0.0, traceback.format_exc())
                yield i, out
        self.close()

    def close(self, cancel: bool = False):
        pool, self._pool = self._pool, None
        saved, self._saved_env = self._saved_env, None
        if saved is not None:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if pool is None:
            return
        if cancel:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # running tasks are lost anyway; do not wait for them
                try:
                    p.terminate()
                except Exception:  # noqa: BLE001
                    pass
            for p in procs:
                p.join(timeout=5)
        else:
            pool.shutdown(wait=True)


def make_executor(jobs: int, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` and ``--scheduler`` (a Dask scheduler address or "local-cluster"; issue 8,
    see :mod:`paper_checks.dask_executor`: ``jobs`` is then the number of local-cluster workers)."""
    if scheduler:
        from .dask_executor import DaskExecutor
        return DaskExecutor(scheduler, jobs=jobs)
    return SerialExecutor() if jobs <= 0 else LocalPoolExecutor(jobs)
