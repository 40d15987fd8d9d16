"""paper_checks.cache: atomic writes, checksums, corruption detected and recomputed; executors agree."""
import json
import os
import warnings

import pytest

from paper_checks.cache import Cache
from paper_checks.executor import LocalPoolExecutor, SerialExecutor, Task

P = {"check": "c", "base_seed": 0, "d": 3, "n": 64, "seed": 1, "regime": "lazy"}


def test_roundtrip_exact_floats(tmp_path):
    c = Cache(tmp_path)
    res = {"err": 0.1 + 0.2, "v": [1e-300, 3.141592653589793, float("inf")], "k": 7}
    c.put(P, "s1", res, 1.5)
    e = c.get(dict(reversed(list(P.items()))), "s1")  # key independent of dict order
    assert e["result"] == res and e["elapsed"] == 1.5
    assert c.get(P, "s2") is None            # salt (code version) is part of the key
    assert c.get(dict(P, n=65), "s1") is None


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    c = Cache(tmp_path)

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        c.put(P, "s", {"x": 1.0}, 0.0)
    monkeypatch.undo()
    assert c.get(P, "s") is None
    assert list(tmp_path.rglob("*")) == [tmp_path / "c"]  # temp file cleaned up, nothing else


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "params", "empty"])
def test_corrupt_entry_is_detected_moved_aside_and_not_trusted(tmp_path, damage):
    c = Cache(tmp_path)
    path = c.put(P, "s", {"err": 0.125}, 0.0)
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "flip":  # a valid JSON whose number changed: only the checksum catches it
        path.write_text(text.replace("0.125", "0.126"))
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff" * 10)
    elif damage == "params":  # entry for other params stored under this key (and re-checksummed)
        from paper_checks.cache import checksum
        e = json.loads(text)
        e["params"]["n"] = 99
        e["sha256"] = checksum(e)
        path.write_text(json.dumps(e))
    else:
        path.write_text("")
    with pytest.warns(RuntimeWarning, match="corrupt"):
        assert c.get(P, "s") is None
    assert not path.exists() and path.with_name(path.name + ".corrupt").exists()
    assert c.corrupt_found == 1
    c.put(P, "s", {"err": 0.125}, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert c.get(P, "s")["result"] == {"err": 0.125}


def test_serial_and_pool_executors_give_the_same_results(tmp_path, monkeypatch):
    mod = tmp_path / "pc_sq.py"
    mod.write_text("def compute(p):\n    if p['x'] == 3:\n        raise RuntimeError('boom')\n"
                   "    return {'y': p['x'] ** 2 / 7}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    tasks = [Task("pc_sq", {"x": x}) for x in range(6)]
    ser = dict(SerialExecutor().run(tasks))
    pool = dict(LocalPoolExecutor(2, threads=1).run(tasks))
    assert sorted(ser) == sorted(pool) == list(range(6))
    for i in range(6):
        assert ser[i].ok == pool[i].ok == (i != 3)
        assert ser[i].result == pool[i].result
    assert "boom" in ser[3].error and "boom" in pool[3].error


def test_pool_workers_are_single_threaded_whatever_jobs(tmp_path, monkeypatch):
    # the numbers must not depend on --jobs: every task sees one numba / BLAS thread
    from paper_checks.executor import TASK_THREADS
    mod = tmp_path / "pc_threads.py"
    mod.write_text("import os\nimport numba\n"
                   "def compute(p):\n    return {'numba': numba.get_num_threads(),\n"
                   "            'blas': os.environ.get('OPENBLAS_NUM_THREADS'), 'omp': os.environ.get('OMP_NUM_THREADS')}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    for jobs in (1, 2):
        outs = dict(LocalPoolExecutor(jobs).run([Task("pc_threads", {"x": x}) for x in range(2)]))
        for o in outs.values():
            assert o.ok, o.error
            assert o.result == {"numba": TASK_THREADS, "blas": str(TASK_THREADS), "omp": str(TASK_THREADS)}
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before  # the parent's environment is restored
