"""The ``spherekern`` command: one entry point for the project's tools.

::

    spherekern check [ARGS]     the validation suite (the flags of ``python -m paper_checks``, which stays)
    spherekern predict [ARGS]   predicted learning-curve exponents (``theory.cli``; ``spherekern predict --help``)
    spherekern bench [ARGS]     the pytest-benchmark suite of a source checkout (``make bench``), then its summary
    spherekern --version        the library's version

Each subcommand hands its remaining arguments to the tool's own parser, so ``spherekern check --help`` and
``spherekern predict --help`` print that tool's full help. Exit status: the tool's (0 success, 1 a failed
check or benchmark, 2 a usage error, 130 interrupted).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import __version__

_USAGE = """usage: spherekern [--version] {check,predict,bench} ...

  check     run the validation suite (python -m paper_checks; spherekern check --help)
  predict   predicted learning-curve exponents (spherekern predict --help)
  bench     run the benchmarks of a source checkout (pytest-benchmark; spherekern bench --help)
"""


def _bench(argv) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print("usage: spherekern bench [PYTEST ARGS]\n\nRuns bench/bench_*.py of the source checkout with "
              "pytest-benchmark (JIT warm-up excluded, medians), writes bench/.last.json and prints the "
              "summary of bench/report.py. Extra arguments go to pytest (e.g. -k atomic).")
        return 0
    root = Path(__file__).resolve().parents[1]
    bench = root / "bench"
    if not (bench / "conftest.py").is_file():
        print(f"spherekern bench: no benchmark suite at {bench} (the benchmarks ship with the source "
              "checkout, not with the wheel: clone the repository and run it there)", file=sys.stderr)
        return 2
    last = bench / ".last.json"
    cmd = [sys.executable, "-m", "pytest", str(bench), "-o", "python_files=bench_*.py", "-q",
           "-p", "no:cacheprovider", "--benchmark-only", "--benchmark-columns=min,median,rounds",
           f"--benchmark-json={last}", *argv]
    rc = subprocess.call(cmd, cwd=root)
    if rc == 0 and last.is_file():
        rc = subprocess.call([sys.executable, "-m", "bench.report", str(last)], cwd=root)
    return rc


def main(argv=None) -> int:
    """Dispatch ``argv`` (default ``sys.argv[1:]``) to a subcommand; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(argv)
    except SystemExit as exc:  # argparse of a subcommand: --help (0) or a usage error (2)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)


def _dispatch(argv) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd in ("-V", "--version"):
        print(f"spherekern {__version__}")
        return 0
    if cmd == "check":
        from paper_checks.cli import main as check_main
        return int(check_main(rest) or 0)
    if cmd == "predict":
        from theory.cli import main as theory_main
        return int(theory_main(["predict", *rest]) or 0)
    if cmd == "bench":
        return _bench(rest)
    print(f"spherekern: unknown command {cmd!r}; choose one of check, predict, bench, --version", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
