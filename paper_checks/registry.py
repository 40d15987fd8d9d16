"""Discovery of checks: every public module of ``paper_checks.checks``, plus extra modules named in
the environment variable ``PAPER_CHECKS_EXTRA`` (comma-separated importable module names; used by the
tests for dummy checks, and usable for private checks)."""
from __future__ import annotations

import importlib
import os
import pkgutil

REQUIRED = ("name", "claim", "runs", "compute", "evaluate")


def _validate(mod):
    missing = [a for a in REQUIRED if not hasattr(mod, a)]
    if missing:
        raise TypeError(f"check module {mod.__name__} lacks {', '.join(missing)} (see paper_checks/README.md)")
    return mod


def discover() -> dict:
    """``{name: module}`` of all checks, in a stable order (package checks sorted by ORDER then name)."""
    from . import checks as pkg
    found = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = _validate(importlib.import_module(f"{pkg.__name__}.{info.name}"))
        found[mod.name] = mod
    for modname in filter(None, (s.strip() for s in os.environ.get("PAPER_CHECKS_EXTRA", "").split(","))):
        try:
            mod = importlib.import_module(modname)
        except Exception as exc:  # noqa: BLE001 - one line for the CLI instead of a traceback
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ValueError(f"PAPER_CHECKS_EXTRA: cannot import the check module {modname!r} "
                             f"({type(exc).__name__}{': ' + msg if msg else ''})") from exc
        try:
            mod = _validate(mod)
        except TypeError as exc:
            raise ValueError(f"PAPER_CHECKS_EXTRA: {exc}") from exc
        found[mod.name] = mod
    order = {n: i for i, n in enumerate(getattr(pkg, "ORDER", ()))}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def select(all_checks: dict, only) -> dict:
    """Filter by ``--only`` values (repeatable, each possibly a comma list); unknown names are an error."""
    if not only:
        return all_checks
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in all_checks]
    if unknown:
        raise ValueError(f"--only: unknown check(s) {', '.join(unknown)}; available: {', '.join(all_checks)}")
    return {n: all_checks[n] for n in all_checks if n in names}
