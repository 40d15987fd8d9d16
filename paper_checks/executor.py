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


#: How often a task whose worker process died is retried in a fresh worker before it is reported as failed.
MAX_RETRIES = 2
#: Seconds between a worker's checks that the process that started it is still alive.
PARENT_POLL_S = 0.5


def _set_threads(threads: int):
    for k in _THREAD_VARS:
        os.environ[k] = str(threads)
    import sys
    if "numba" in sys.modules:  # already imported by the spawn bootstrap: set it directly
        sys.modules["numba"].set_num_threads(threads)


def _watch_parent(parent_pid: int):
    """Exit this worker (without cleanup) as soon as its parent is gone: a killed suite leaves no orphan."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(3)
        time.sleep(PARENT_POLL_S)


def _worker_main(conn, threads: int, parent_pid: int):
    """A worker: receives tasks on ``conn``, sends back their outcomes; ``None`` or a closed pipe ends it.

    Ctrl-C goes to the parent, which terminates the workers; a daemon thread polls ``os.getppid()`` and ends
    the worker within :data:`PARENT_POLL_S` seconds if the parent dies without that (SIGKILL, OOM killer).
    """
    import threading
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_threads(threads)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        conn.send(execute(task))
    conn.close()


def _death_cause(exitcode) -> str:
    if exitcode is None:
        return "worker process vanished"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process killed by {name}"
    return f"worker process exited with status {exitcode}"


class _Worker:
    def __init__(self, ctx, threads: int):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, threads, os.getpid()), daemon=True)
        self.proc.start()
        child.close()
        self.task = None     # index of the task it runs, or None when idle
        self.t0 = 0.0

    def stop(self, kill: bool):
        try:
            if not kill and self.proc.is_alive():
                self.conn.send(None)
        except OSError:
            kill = True
        if kill and self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()


class LocalPoolExecutor(Executor):
    """``jobs`` spawned worker processes, each with ``threads`` numba/BLAS threads (default :data:`TASK_THREADS`;
    the variables are set in the environment the workers are spawned with, so numpy's BLAS is single-threaded
    from its first import in the worker). Each worker has its own pipe and gets one task at a time.

    A worker that dies (killed, segfault, ``os._exit``) costs only the task it was running: that task is retried
    in a fresh worker, at most :data:`MAX_RETRIES` times, then reported as failed with the cause (the signal or
    exit status); the other tasks are unaffected. Workers exit by themselves within :data:`PARENT_POLL_S`
    seconds when the parent process dies.
    """

    name = "local-pool"

    def __init__(self, jobs: int, threads: int | None = None):
        self.jobs = max(1, int(jobs))
        self.threads = threads or TASK_THREADS
        self._workers: list[_Worker] = []
        self._saved_env = None
        self.retries = 0  # worker deaths survived by a retry, over the run

    def run(self, tasks):
        from collections import deque
        from multiprocessing.connection import wait as mp_wait
        ctx = mp.get_context("spawn")
        self._saved_env = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: str(self.threads) for k in _THREAD_VARS})  # inherited by the spawned workers
        queue = deque(range(len(tasks)))
        deaths = [0] * len(tasks)
        for _ in range(min(self.jobs, len(tasks))):
            self._workers.append(_Worker(ctx, self.threads))
        while True:
            for w in self._workers:
                if w.task is None and queue:
                    i = queue.popleft()
                    w.task, w.t0 = i, time.perf_counter()
                    try:
                        w.conn.send(tasks[i])
                    except OSError:
                        pass  # died meanwhile: its sentinel fires below
            busy = [w for w in self._workers if w.task is not None]
            if not busy:
                break
            mp_wait([w.conn for w in busy] + [w.proc.sentinel for w in busy])
            for k, w in enumerate(self._workers):
                if w.task is None:
                    continue
                i = w.task
                out = None
                try:
                    if w.conn.poll():
                        out = w.conn.recv()
                except (EOFError, OSError):
                    out = None
                if out is not None:
                    w.task = None
                    yield i, out
                    continue
                if w.proc.is_alive():
                    continue
                w.proc.join()
                cause = _death_cause(w.proc.exitcode)
                elapsed = time.perf_counter() - w.t0
                w.task = None
                w.stop(kill=True)
                deaths[i] += 1
                if deaths[i] <= MAX_RETRIES:
                    self.retries += 1
                    queue.appendleft(i)
                    self._workers[k] = _Worker(ctx, self.threads)
                else:
                    self._workers[k] = _Worker(ctx, self.threads) if queue else None
                    yield i, Outcome(False, None, elapsed,
                                     f"{cause} while running this task, {deaths[i]} times "
                                     f"(retried {MAX_RETRIES} times in a fresh worker)")
            self._workers = [w for w in self._workers if w is not None]
        self.close()

    def close(self, cancel: bool = False):
        workers, self._workers = self._workers, []
        saved, self._saved_env = self._saved_env, None
        if saved is not None:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        for w in workers:
            w.stop(kill=cancel)


def make_executor(jobs: int, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` and ``--scheduler`` (a Dask scheduler address or "local-cluster"; issue 8,
    see :mod:`paper_checks.dask_executor`: ``jobs`` is then the number of local-cluster workers)."""
    if scheduler:
        from .dask_executor import DaskExecutor
        return DaskExecutor(scheduler, jobs=jobs)
    return SerialExecutor() if jobs <= 0 else LocalPoolExecutor(jobs)
