"""Dask distributed executor (issue 8): the same tasks, sent to a ``dask.distributed`` scheduler.

``python -m paper_checks --scheduler tcp://host:8786`` submits every task of the grid to a running scheduler
(``--scheduler /path/scheduler.json`` reads a scheduler file, as written by ``dask scheduler
--scheduler-file``); ``--scheduler local-cluster`` starts a :class:`distributed.LocalCluster` on this machine
(``--jobs`` worker processes, default all cores, each running one task at a time with
:data:`~paper_checks.executor.TASK_THREADS` numba threads, like :class:`~paper_checks.executor.LocalPoolExecutor`,
so the numbers do not depend on the executor; start remote workers with ``NUMBA_NUM_THREADS=1
OMP_NUM_THREADS=1`` for the same guarantee). Needs the optional extra
``pip install 'spherekern[distributed]'``; the workers need ``spherekern`` (with ``paper_checks``) installed
and the check modules importable.

What this executor guarantees (the runner does the rest):

* **Same numbers.** A task is a pure function of its :class:`~paper_checks.executor.Task` (seeds derive from
  its params), run by the same :func:`~paper_checks.executor.execute` as the local executors.
* **Fault tolerance.** Results come back to this client, which yields them to the runner, which writes each
  to the cache as it arrives; nothing is written on the workers. A worker that dies mid-task (killed, out of
  memory) is detected by the scheduler, which reschedules its tasks on other workers; a task that takes
  down more than ``distributed.scheduler.allowed-failures`` (default 3) workers is reported as failed
  (not cached; a rerun retries it). Each task is yielded at most once, even if the scheduler were to report
  a completion twice. Interrupting the client (Ctrl-C) cancels the submitted tasks; the rerun resumes from
  the cache, as with the local executors.
* **Balance.** Tasks are submitted largest first and carry a Dask ``priority`` ranked by the check's
  ``cost(params)`` (the larger, the sooner). Each task declares its memory as the worker resource ``MEM``
  (bytes) from the check's optional ``memory(params)`` hook (default :data:`DEFAULT_TASK_MEMORY`), so a
  worker started with ``--resources MEM=<bytes>`` never runs more tasks at once than fit in its memory. The
  requirement is declared only if the workers advertise ``MEM`` (otherwise no task could ever run); if none
  does, a warning says so and the tasks are submitted without it.
"""
from __future__ import annotations

import hashlib
import logging
import os
import traceback
import uuid
import warnings
from pathlib import Path

from .api import canonical_json
from .executor import TASK_THREADS, Executor, ExecutorError, Outcome, Task, execute

#: ``--scheduler`` value that starts a LocalCluster on this machine.
LOCAL_CLUSTER = "local-cluster"
#: Worker resource that carries the memory (bytes) a task needs.
RESOURCE = "MEM"
#: Memory declared by a task whose check has no ``memory(params)`` hook (bytes).
DEFAULT_TASK_MEMORY = 256 * 2**20
#: Seconds to wait for the scheduler to answer (env ``PAPER_CHECKS_DASK_TIMEOUT``).
CONNECT_TIMEOUT = 10.0
#: Seconds to wait for a first worker to join the scheduler (env ``PAPER_CHECKS_DASK_WAIT``).
WAIT_WORKERS = 120.0

_INSTALL_HINT = "pip install 'spherekern[distributed]' (dask and distributed)"


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


def check_scheduler_arg(scheduler: str) -> None:
    """Validate ``--scheduler`` before any work: distributed importable, the value a usable address.

    Raises :class:`~paper_checks.executor.ExecutorError` with the rule that is broken.
    """
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ExecutorError("--scheduler must be a scheduler address (tcp://host:8786), a scheduler file "
                            f"(*.json) or {LOCAL_CLUSTER!r}")
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ExecutorError(f"--scheduler needs dask.distributed, which is not installed ({exc}); "
                            f"{_INSTALL_HINT}") from None
    s = scheduler.strip()
    if s == LOCAL_CLUSTER:
        return
    if s.endswith(".json"):
        if not Path(s).is_file():
            raise ExecutorError(f"--scheduler: scheduler file {s!r} does not exist")
        return
    if " " in s or ("://" not in s and ":" not in s):
        raise ExecutorError(f"--scheduler: {s!r} is not an address like tcp://host:8786 (or host:8786), "
                            f"a scheduler file (*.json) or {LOCAL_CLUSTER!r}")


def task_memory(mod, params: dict) -> float:
    """Bytes declared by the check's optional ``memory(params)`` hook, else :data:`DEFAULT_TASK_MEMORY`."""
    f = getattr(mod, "memory", None)
    if f is None:
        return float(DEFAULT_TASK_MEMORY)
    try:
        m = float(f(params))
    except Exception:  # noqa: BLE001 - a broken hook must not stop the run
        return float(DEFAULT_TASK_MEMORY)
    return m if m > 0 and m == m and m != float("inf") else float(DEFAULT_TASK_MEMORY)


def task_cost(mod, params: dict) -> float:
    """The check's optional ``cost(params)`` (default 1), as the runner uses it."""
    f = getattr(mod, "cost", None)
    try:
        c = float(f(params)) if f else 1.0
    except Exception:  # noqa: BLE001
        return 1.0
    return c if c == c else 1.0


def priorities(costs) -> list[int]:
    """Dask priorities (higher runs sooner) ranking ``costs``: the largest gets ``len(costs)``, the smallest 1;
    ties keep their order (the earlier, the higher)."""
    order = sorted(range(len(costs)), key=lambda i: (-costs[i], i))
    prio = [0] * len(costs)
    for r, i in enumerate(order):
        prio[i] = len(costs) - r
    return prio


def plan_resources(worker_resources, memories):
    """Resource requirements per task from what the workers advertise.

    ``worker_resources``: one dict per connected worker (``scheduler_info()["workers"][w]["resources"]``);
    ``memories``: bytes per task. Returns ``(requirements, warnings)``: ``requirements[i]`` is
    ``{"MEM": bytes}`` or ``None`` (no restriction). Requirements are declared only if some worker advertises
    ``MEM``; a task that asks more than the largest worker has is capped to it (so it runs alone there
    instead of never).
    """
    worker_resources = list(worker_resources)
    n = len(memories)
    have = [float(r[RESOURCE]) for r in worker_resources if r and RESOURCE in r]
    if not have:
        msg = (f"none of the {len(worker_resources)} Dask worker(s) advertises the {RESOURCE} resource: the "
               f"memory of each task is not declared to the scheduler (start the workers with "
               f"`--resources {RESOURCE}=<bytes>` to keep large tasks from overloading a worker)")
        return [None] * n, [msg]
    msgs = []
    if len(have) < len(worker_resources):
        msgs.append(f"only {len(have)} of {len(worker_resources)} Dask workers advertise the {RESOURCE} "
                    f"resource; the tasks will run on those only")
    cap = max(have)
    req, capped = [], 0
    for m in memories:
        if m > cap:
            capped += 1
            m = cap
        req.append({RESOURCE: float(m)})
    if capped:
        msgs.append(f"{capped} task(s) declare more memory than the largest worker's {RESOURCE}={cap:.3g} "
                    "bytes; they are limited to it (each then runs alone on such a worker)")
    return req, msgs


def dask_setup(worker):  # noqa: ARG001 - Dask preload hook, run in each LocalCluster worker process
    """Local-cluster workers ignore Ctrl-C (the terminal sends it to the whole process group): the client
    handles it, cancels the tasks and closes the cluster, as the local pool does."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _task_key(task: Task, token: str) -> str:
    digest = hashlib.sha256((task.module + "|" + canonical_json(task.params)).encode()).hexdigest()[:16]
    return f"paper_checks-{task.params.get('check', 'task')}-{digest}-{token}"


class DaskExecutor(Executor):
    """Runs tasks on a Dask distributed scheduler (an address, a scheduler file, or ``"local-cluster"``).

    Parameters
    ----------
    scheduler : str
        ``tcp://host:port`` (or anything :class:`distributed.Client` accepts), a ``*.json`` scheduler file,
        or ``"local-cluster"``.
    jobs : int, optional
        Worker processes of the local cluster (default ``os.cpu_count()``); ignored for a remote scheduler,
        whose workers decide the parallelism.
    threads : int, optional
        numba/BLAS threads per local-cluster worker (default :data:`~paper_checks.executor.TASK_THREADS`,
        so results are identical to the local pool's).
    connect_timeout, wait_workers : float, optional
        Seconds to wait for the scheduler, and for a first worker (defaults :data:`CONNECT_TIMEOUT`,
        :data:`WAIT_WORKERS`, overridable by the environment variables ``PAPER_CHECKS_DASK_TIMEOUT``,
        ``PAPER_CHECKS_DASK_WAIT``).
    retries : int
        Dask ``retries`` of a task that raises on the worker. :func:`execute` turns the check's own
        exceptions into failed outcomes (deterministic, not retried); what is left is the environment
        (e.g. unpickling on a worker), retried once. Worker deaths are handled by the scheduler (its
        ``allowed-failures``), not by ``retries``.
    """

    def __init__(self, scheduler: str, jobs: int | None = None, threads: int | None = None,
                 connect_timeout: float | None = None, wait_workers: float | None = None, retries: int = 1):
        check_scheduler_arg(scheduler)
        self.scheduler = scheduler.strip()
        self.local = self.scheduler == LOCAL_CLUSTER
        ncpu = os.cpu_count() or 1
        self.jobs = max(1, int(jobs)) if jobs else ncpu
        self.threads = threads or TASK_THREADS
        self.connect_timeout = (connect_timeout if connect_timeout is not None
                                else _env_float("PAPER_CHECKS_DASK_TIMEOUT", CONNECT_TIMEOUT))
        self.wait_workers = (wait_workers if wait_workers is not None
                             else _env_float("PAPER_CHECKS_DASK_WAIT", WAIT_WORKERS))
        self.retries = int(retries)
        self.name = f"dask {LOCAL_CLUSTER} ({self.jobs} workers)" if self.local else f"dask {self.scheduler}"
        self.client = None
        self.cluster = None
        self._futures = []
        self.submitted = []   # (key, priority, resources, index) in submission order; for tests and logs
        self.warnings = []

    # -- connection ---------------------------------------------------------------------------------------
    def _start_local_cluster(self):
        from distributed import LocalCluster
        from distributed.system import MEMORY_LIMIT
        mem = int(MEMORY_LIMIT // self.jobs)
        t = str(self.threads)
        env = {"NUMBA_NUM_THREADS": t, "OMP_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t, "MKL_NUM_THREADS": t}
        # One task at a time per worker process (numba parallelises inside each task), like the local pool.
        return LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                            memory_limit=mem, resources={RESOURCE: mem}, dashboard_address=None,
                            silence_logs=logging.ERROR, env=env, preload=[__name__])

    def connect(self):
        """Start the local cluster or connect to the scheduler; wait for a first worker."""
        if self.client is not None:
            return self.client
        from distributed import Client
        if self.local:
            try:
                self.cluster = self._start_local_cluster()
            except Exception as exc:  # noqa: BLE001
                raise ExecutorError(f"could not start a Dask LocalCluster: {exc!r}") from exc
            self.client = Client(self.cluster, set_as_default=False)
        else:
            kw = ({"scheduler_file": self.scheduler} if self.scheduler.endswith(".json")
                  else {"address": self.scheduler})
            try:
                self.client = Client(timeout=self.connect_timeout, set_as_default=False, **kw)
            except Exception as exc:  # noqa: BLE001 - OSError/TimeoutError/ValueError: say what to do
                raise ExecutorError(
                    f"cannot connect to the Dask scheduler {self.scheduler!r} within {self.connect_timeout:g} s "
                    f"({type(exc).__name__}: {exc}). Start one with `dask scheduler` and workers with "
                    f"`dask worker <address>`, or try --scheduler {LOCAL_CLUSTER}") from None
        try:
            self.client.wait_for_workers(1, timeout=self.wait_workers)
        except Exception as exc:  # noqa: BLE001 - TimeoutError
            self.close()
            raise ExecutorError(f"no Dask worker joined the scheduler {self.scheduler!r} within "
                                f"{self.wait_workers:g} s ({type(exc).__name__}); start workers with "
                                f"`dask worker <address>` (or raise PAPER_CHECKS_DASK_WAIT)") from None
        return self.client

    # -- running ------------------------------------------------------------------------------------------
    def run(self, tasks):
        tasks = list(tasks)
        if not tasks:
            return
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        client = self.connect()
        import importlib
        mods = {t.module: importlib.import_module(t.module) for t in tasks}
        costs = [task_cost(mods[t.module], t.params) for t in tasks]
        mems = [task_memory(mods[t.module], t.params) for t in tasks]
        prio = priorities(costs)
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        req, msgs = plan_resources([w.get("resources") or {} for w in workers.values()], mems)
        for m in msgs:
            self.warnings.append(m)
            warnings.warn("paper_checks: " + m, RuntimeWarning, stacklevel=2)

        token = uuid.uuid4().hex[:8]
        index = {}
        for i in sorted(range(len(tasks)), key=lambda i: -prio[i]):  # largest first
            key = _task_key(tasks[i], token)
            fut = client.submit(execute, tasks[i], key=key, priority=prio[i], resources=req[i],
                                retries=self.retries, pure=False)
            index[fut.key] = i
            self._futures.append(fut)
            self.submitted.append((key, prio[i], req[i], i))

        seen = set()
        for fut in as_completed(list(self._futures), loop=client.loop):
            i = index[fut.key]
            if i in seen:  # a duplicate completion of the same key: already yielded (and cached)
                continue
            try:
                out = fut.result()
                if not isinstance(out, Outcome):
                    raise TypeError(f"the worker returned {type(out).__name__}, not an Outcome")
            except FutureCancelledError as exc:
                out = Outcome(False, None, 0.0, f"cancelled on the Dask cluster: {exc}")
            except Exception as exc:  # noqa: BLE001 - KilledWorker, unpicklable task, ...
                name = type(exc).__name__
                hint = (" (the task took down every worker that ran it: out of memory? declare memory(params))"
                        if name == "KilledWorker" else "")
                out = Outcome(False, None, 0.0, f"Dask: {name}{hint}\n" + "".join(
                    traceback.format_exception_only(type(exc), exc)))
            seen.add(i)
            fut.release()
            yield i, out
        self._futures = []
        self.close()

    def close(self, cancel: bool = False):
        client, self.client = self.client, None
        cluster, self.cluster = self.cluster, None
        futs, self._futures = self._futures, []
        if client is not None:
            if cancel and futs:
                try:
                    client.cancel(futs, force=True)
                except Exception:  # noqa: BLE001
                    pass
            try:
                client.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass
        if cluster is not None:
            try:
                cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass
