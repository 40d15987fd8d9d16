"""The result cache: one JSON file per task, written atomically, verified on every read.

Layout: ``<out>/cache/<check>/<key>.json`` where ``key = sha256(salt + canonical_json(params))[:32]``
and ``salt`` combines the cache format, the check's ``version`` and ``spherekern.__version__``.
Each entry stores the params, the result, the compute time and a SHA-256 checksum of the canonical
JSON of those. An entry is trusted only if it parses, its checksum matches, its salt matches and its
params equal the requested ones; otherwise it is reported, moved aside to ``<key>.json.corrupt`` and the
task is recomputed. Writes go to a temporary file in the same folder, are flushed and fsync'ed, then
``os.replace``'d onto the final name, so a reader (or a rerun after a kill) sees either the whole
entry or none.

The cache is the only place results land: executors return results to the runner, which writes them
here as soon as each arrives, before doing anything else.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

from .api import canonical_json, jsonable

FORMAT = 1


class CorruptEntry(Exception):
    """A cache entry that exists but cannot be trusted."""


def checksum(entry: dict) -> str:
    body = {k: entry.get(k) for k in ("key", "salt", "params", "result", "elapsed")}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


class Cache:
    """Directory-backed, atomically written, checksummed task cache."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.corrupt_found = 0

    @staticmethod
    def key(params: dict, salt: str) -> str:
        return hashlib.sha256((str(salt) + "|" + canonical_json(params)).encode()).hexdigest()[:32]

    def path(self, params: dict, salt: str) -> Path:
        check = str(params.get("check", "_"))
        return self.root / check / f"{self.key(params, salt)}.json"

    def _read(self, path: Path, params: dict, salt: str) -> dict:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise CorruptEntry(f"unreadable: {exc}") from exc
        try:
            entry = json.loads(data.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptEntry(f"not valid JSON ({exc})") from exc
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise CorruptEntry("wrong format")
        if entry.get("sha256") != checksum(entry):
            raise CorruptEntry("checksum mismatch")
        if entry.get("salt") != salt:
            raise CorruptEntry("salt mismatch")
        if canonical_json(entry.get("params")) != canonical_json(params):
            raise CorruptEntry("params mismatch")
        if not isinstance(entry.get("result"), dict):
            raise CorruptEntry("result is not a dict")
        return entry

    def get(self, params: dict, salt: str):
        """The cached entry dict for ``params`` or ``None`` (missing or corrupt; corrupt ones are moved aside)."""
        path = self.path(params, salt)
        try:
            return self._read(path, params, salt)
        except FileNotFoundError:
            return None
        except CorruptEntry as exc:
            self.corrupt_found += 1
            warnings.warn(f"paper_checks cache: ignoring corrupt entry {path} ({exc}); it will be recomputed",
                          RuntimeWarning, stacklevel=2)
            try:
                os.replace(path, path.with_name(path.name + ".corrupt"))
            except OSError:
                pass
            return None

    def put(self, params: dict, salt: str, result: dict, elapsed: float) -> Path:
        """Write the entry atomically (temp file + fsync + os.replace). Returns its path."""
        path = self.path(params, salt)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"format": FORMAT, "key": self.key(params, salt), "salt": salt,
                 "params": jsonable(params), "result": jsonable(result), "elapsed": float(elapsed)}
        entry["sha256"] = checksum(entry)
        text = json.dumps(entry, sort_keys=True, allow_nan=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        try:  # make the rename itself durable
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
        return path

    def entries(self, check: str | None = None):
        """Paths of all entries (optionally of one check); for tests and tooling."""
        base = self.root / check if check else self.root
        return sorted(base.rglob("*.json"))
