"""Command line: ``python -m paper_checks [--quick|--full] [--only NAME] [--out DIR] [--seed S] [--jobs N] [--list]``."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

from . import registry
from .executor import ExecutorError
from .runner import SuiteTerminated, default_jobs, run_suite, task_params


class UsageError(ValueError):
    """A command-line argument breaks its rule; printed as one line, exit status 2, before any computation."""


class OneLineParser(argparse.ArgumentParser):
    """argparse with usage errors on one line (``prog: error: argument --x: rule``), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message.splitlines()[0] if message else 'bad arguments'}"
                     " (see --help)\n")


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {v}")
    return v


def check_out_dir(out: str) -> Path:
    """Validate ``--out`` before computing: non-empty, a folder (or creatable), and writable with its cache.

    Creates the folder (the run would anyway) and probes it, and ``cache/`` and ``figures/`` inside it when
    they exist, by writing and removing a temporary file: permission bits alone do not tell (root, read-only
    mounts). Raises :class:`UsageError` naming ``--out`` and the rule.
    """
    if not out or not out.strip():
        raise UsageError("--out: must be a folder name, got an empty string")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: must be a folder, but {out!r} is an existing file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out: cannot create the folder {out!r} ({exc.strerror or exc})") from None
    for sub in (path, path / "cache", path / "figures"):
        if sub != path and not sub.exists():
            continue
        if not sub.is_dir():
            raise UsageError(f"--out: {str(sub)!r} must be a folder (it is a file); remove it or pick another --out")
        try:
            fd, tmp = tempfile.mkstemp(prefix=".write-probe.", dir=sub)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise UsageError(f"--out: the folder {str(sub)!r} must be writable ({exc.strerror or exc})") from None
    return path


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="python -m paper_checks",
        description="Validation suite reproducing, from first principles, Petrini et al. (NeurIPS 2022), "
                    "'Learning sparse features can lead to overfitting in neural networks' (regression on the "
                    "sphere and images), and Boursier & Flammarion (2024), 'Simplicity bias and optimization "
                    "threshold in two-layer ReLU networks' (early alignment). Writes report.md, report.html, "
                    "results.json and figures/ under --out; exit status 1 if any check fails.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="small grid, ~9 minutes on 2 cores (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="larger n and more seeds (hours); all cores")
    p.set_defaults(mode="quick")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only these checks (repeatable, or a comma list)")
    p.add_argument("--out", default="paper_checks_out", metavar="DIR",
                   help="output folder: report.md, results.json, figures/, cache/ (default: paper_checks_out)")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="base seed; every task's seed derives from it and the "
                                                        "task's parameters (default 0)")
    p.add_argument("--jobs", type=_nonneg_int, default=None, metavar="N",
                   help="local worker processes, each single-threaded so the numbers do not depend on N "
                        "(default: 2 in quick mode, all cores in full mode; 0 = in-process, for debugging)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the tasks on a Dask distributed scheduler (tcp://host:8786 or a scheduler .json "
                        "file; --jobs is then ignored), or 'local-cluster' to start a Dask LocalCluster with "
                        "--jobs workers (default: all cores); needs pip install '.[distributed]'")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder with image data sets (MNIST / Fashion-MNIST IDX files, cifar-10-batches-py) for the "
                        "images check in --full mode; never downloads (default: digits only)")
    p.add_argument("--list", action="store_true", help="list the checks and the number of runs, then exit")
    p.add_argument("--recompute", action="store_true", help="ignore (and overwrite) cached results")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _on_sigterm(signum, frame):
    raise SuiteTerminated(signum)


def main(argv=None) -> int:
    """Run the suite for ``argv`` (default ``sys.argv[1:]``); returns the exit status: 0 all checks pass,
    1 a check fails or errs, 2 a usage error (one line on stderr, before any computation), 130 after Ctrl-C,
    143 after SIGTERM (both clean up the workers; a rerun of the same command resumes from the cache).
    Argparse errors and --help exit through SystemExit (2 and 0)."""
    args = build_parser().parse_args(argv)
    prog = "python -m paper_checks"
    try:
        if args.only is not None and not any(n.strip() for item in args.only for n in item.split(",")):
            raise UsageError("--only: must name at least one check, got an empty value")
        if args.data_dir is not None:
            if not os.path.isdir(args.data_dir):
                raise UsageError(f"--data-dir: must be an existing folder, got {args.data_dir!r}")
            os.environ["PAPER_CHECKS_DATA_DIR"] = os.path.abspath(args.data_dir)  # read by checks/images.py
        checks = registry.select(registry.discover(), args.only)
        if not args.list:
            check_out_dir(args.out)
    except (ValueError, TypeError) as exc:
        print(f"{prog}: error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    if args.list:
        for name, mod in checks.items():
            nq = len(task_params(mod, "quick", args.seed))
            nf = len(task_params(mod, "full", args.seed))
            print(f"{name:<14} {nq:>4} quick / {nf:>5} full runs  {mod.claim}")
        return 0
    jobs = args.jobs if args.jobs is not None else default_jobs(args.mode)
    if args.scheduler:
        try:
            from .dask_executor import LOCAL_CLUSTER, check_scheduler_arg
            check_scheduler_arg(args.scheduler)
        except ExecutorError as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 2
        if args.scheduler.strip() == LOCAL_CLUSTER:
            jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
        elif args.jobs is not None:
            print("note: --jobs is ignored with a scheduler address (the cluster's workers set the parallelism)",
                  file=sys.stderr)
    try:
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave SIGTERM alone
        old = None
    try:
        res = run_suite(checks, mode=args.mode, base_seed=args.seed, out=args.out, jobs=jobs,
                        progress=not args.no_progress, recompute=args.recompute, scheduler=args.scheduler)
    except ExecutorError as exc:
        print(f"\n{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, SuiteTerminated) else "interrupted"
        print(f"\n{what}: workers stopped; finished runs are cached under {args.out}/cache; rerun the same "
              "command to resume", file=sys.stderr)
        return 143 if isinstance(exc, SuiteTerminated) else 130
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    for co in res.checks:
        print(f"{co.verdict:<5} {co.name}")
    print(f"report: {res.out}/report.md  ({res.wall:.0f} s, {res.n_computed} computed, {res.n_cached} cached, "
          f"{res.n_failed} failed)")
    return 0 if res.passed else 1
