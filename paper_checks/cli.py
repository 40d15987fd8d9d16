"""Command line: ``python -m paper_checks [--quick|--full] [--only NAME] [--out DIR] [--seed S] [--jobs N] [--list]``."""
from __future__ import annotations

import argparse
import os
import sys

from . import registry
from .executor import ExecutorError
from .runner import default_jobs, run_suite, task_params


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m paper_checks",
        description="Validation suite reproducing the regression claims of Petrini et al. (NeurIPS 2022), "
                    "'Learning sparse features can lead to overfitting in neural networks'. Writes report.md, "
                    "results.json and figures/ under --out; exit status 1 if any check fails.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="small grid, at most ~10 minutes on 2 cores (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="larger n and more seeds (hours); all cores")
    p.set_defaults(mode="quick")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only these checks (repeatable, or a comma list)")
    p.add_argument("--out", default="paper_checks_out", metavar="DIR",
                   help="output folder: report.md, results.json, figures/, cache/ (default: paper_checks_out)")
    p.add_argument("--seed", type=int, default=0, help="base seed; every task's seed derives from it and the "
                                                        "task's parameters (default 0)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="local worker processes, each single-threaded so the numbers do not depend on N "
                        "(default: 2 in quick mode, all cores in full mode; 0 = in-process, for debugging)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the tasks on a Dask distributed scheduler (tcp://host:8786 or a scheduler .json "
                        "file; --jobs is then ignored), or 'local-cluster' to start a Dask LocalCluster with "
                        "--jobs workers (default: all cores); needs pip install '.[distributed]'")
    p.add_argument("--list", action="store_true", help="list the checks and the number of runs, then exit")
    p.add_argument("--recompute", action="store_true", help="ignore (and overwrite) cached results")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        checks = registry.select(registry.discover(), args.only)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for name, mod in checks.items():
            nq = len(task_params(mod, "quick", args.seed))
            nf = len(task_params(mod, "full", args.seed))
            print(f"{name:<14} {nq:>4} quick / {nf:>5} full runs  {mod.claim}")
        return 0
    if args.jobs is not None and args.jobs < 0:
        print("error: --jobs must be >= 0 (0: in-process, for debugging)", file=sys.stderr)
        return 2
    jobs = args.jobs if args.jobs is not None else default_jobs(args.mode)
    if args.scheduler:
        try:
            from .dask_executor import LOCAL_CLUSTER, check_scheduler_arg
            check_scheduler_arg(args.scheduler)
        except ExecutorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.scheduler.strip() == LOCAL_CLUSTER:
            jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
        elif args.jobs is not None:
            print("note: --jobs is ignored with a scheduler address (the cluster's workers set the parallelism)",
                  file=sys.stderr)
    try:
        res = run_suite(checks, mode=args.mode, base_seed=args.seed, out=args.out, jobs=jobs,
                        progress=not args.no_progress, recompute=args.recompute, scheduler=args.scheduler)
    except ExecutorError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are cached under {args.out}/cache; rerun the same command to "
              "resume", file=sys.stderr)
        return 130
    for co in res.checks:
        print(f"{co.verdict:<5} {co.name}")
    print(f"report: {res.out}/report.md  ({res.wall:.0f} s, {res.n_computed} computed, {res.n_cached} cached)")
    return 0 if res.passed else 1
