"""The small interface every check implements, and the objects it returns.

A check is a module ``paper_checks/checks/<name>.py`` (see ``paper_checks/README.md``) with

``name``
    str, unique, used by ``--only``;
``claim``
    one sentence: what the paper says and this check verifies;
``version``
    str, bumped when the check's computation changes (it salts the cache keys);
``runs(mode)``
    -> list of parameter dicts, one per task (``mode`` is "quick" or "full");
``compute(params)``
    -> dict of JSON-serialisable numbers: one task, a *pure* top-level function of ``params`` (which the
    runner completes with ``check`` and ``base_seed``);
``evaluate(runs, ctx)``
    -> :class:`Evaluation` (predictions, measurements, verdicts);
``plot(runs, ev, ctx)``
    -> list of figure file names written under ``ctx.out`` (optional);
``cost(params)``
    -> float, relative cost of a task, for scheduling and the ETA (optional, default 1).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Tolerance on fitted exponents ``|beta_measured - beta_predicted|`` per mode (issue 5).
SLOPE_TOL = {"quick": 0.2, "full": 0.1}
MODES = ("quick", "full")


@dataclass
class Run:
    """One finished task: its full parameters and the dict its ``compute`` returned."""

    params: dict
    result: dict
    elapsed: float = 0.0
    cached: bool = False

    def __getitem__(self, key):
        return self.params[key]


@dataclass
class Measurement:
    """One row of the summary table.

    ``predicted`` and ``measured`` are numbers (or a short string for a qualitative claim),
    ``uncertainty`` is one bootstrap standard deviation (or None), ``tolerance`` says in words
    what has to hold, ``passed`` is the verdict of this row.

    ``known_failure`` (empty for a normal row): the row is a *documented* failure of the claim, declared in the
    check's code with its reason and the independent evidence for it (as pytest's strict ``xfail``). Its verdict is
    "KNOWN FAIL" when it fails, as expected, and "UNEXPECTED PASS" when it passes, which counts as a failure of
    the suite: the declaration is then out of date. The row is measured and reported like any other.
    """

    label: str
    predicted: Any
    measured: Any
    uncertainty: float | None
    tolerance: str
    passed: bool
    note: str = ""
    known_failure: str = ""

    @property
    def verdict(self) -> str:
        """"PASS", "FAIL", "KNOWN FAIL" (a declared known failure that failed) or "UNEXPECTED PASS"."""
        if self.known_failure:
            return "UNEXPECTED PASS" if self.passed else "KNOWN FAIL"
        return "PASS" if self.passed else "FAIL"

    @property
    def ok(self) -> bool:
        """The expected outcome: a normal row passed, or a declared known failure failed."""
        return bool(self.passed) != bool(self.known_failure)

    def as_dict(self) -> dict:
        return jsonable({**dataclasses.asdict(self), "verdict": self.verdict})


@dataclass
class Evaluation:
    """What ``evaluate`` returns: the rows, free-text notes (markdown) and extra numbers for results.json."""

    measurements: list[Measurement]
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every row has its expected outcome (passed, or a declared known failure that failed)."""
        return bool(self.measurements) and all(m.ok for m in self.measurements)

    @property
    def known_failures(self) -> int:
        """How many rows are declared known failures that failed."""
        return sum(m.verdict == "KNOWN FAIL" for m in self.measurements)


@dataclass
class Context:
    """Run-wide settings handed to ``evaluate`` and ``plot``."""

    mode: str
    base_seed: int
    out: Path
    n_boot: int = 2000

    @property
    def slope_tol(self) -> float:
        return SLOPE_TOL[self.mode]

    def figure_path(self, name: str) -> Path:
        d = Path(self.out) / "figures"
        d.mkdir(parents=True, exist_ok=True)
        return d / name

    def rng(self, *keys) -> np.random.Generator:
        """A generator for evaluation-time randomness (bootstrap), fixed by ``base_seed`` and ``keys``."""
        return np.random.default_rng(seed_sequence(self.base_seed, {"eval": list(map(str, keys))}))


# --------------------------------------------------------------------------- seeding

def canonical_json(obj) -> str:
    """Deterministic JSON text (sorted keys, no spaces, floats by repr): the basis of keys and checksums."""
    return json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=True)


def seed_sequence(base_seed: int, key) -> np.random.SeedSequence:
    """``SeedSequence(base_seed, spawn_key=words of sha256(canonical_json(key)))``.

    Depends only on ``base_seed`` and the *content* of ``key``, never on execution order.
    """
    h = hashlib.sha256(canonical_json(key).encode()).digest()
    words = tuple(int.from_bytes(h[4 * i: 4 * i + 4], "little") for i in range(4))
    return np.random.SeedSequence(int(base_seed), spawn_key=words)


def task_rng(params: dict, keys=None) -> np.random.Generator:
    """Generator for a task, from ``params['base_seed']`` and the values of ``keys`` in ``params``.

    With ``keys=None`` every parameter enters the seed. Passing a subset (e.g. ``("d", "n", "seed")``)
    gives *common random numbers*: the lazy and feature runs of the same (d, n, seed) see the same
    training set and test set, which makes their comparison much less noisy.
    """
    if keys is None:
        keys = sorted(k for k in params if k != "base_seed")
    key = {k: params[k] for k in keys}
    key["check"] = params.get("check")
    return np.random.default_rng(seed_sequence(params["base_seed"], key))


def jsonable(obj):
    """Numpy scalars/arrays -> Python floats/ints/lists, recursively (for caching and results.json)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def fmt_num(x, digits: int = 3) -> str:
    """Short human formatting used in the report."""
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.{digits - 1}e}"
    if float(x).is_integer() and abs(x) >= 1:
        return str(int(x))
    return f"{x:.{digits}f}"
