"""BLAS thread limits around the atomic solver (spherekern._blas, config.ATOMIC_BLAS_THREADS)."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from spherekern import config
from spherekern._blas import blas_threads, limited


def _blas_threads_now():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_limit_applied_and_restored_even_after_an_error():
    np.ones((4, 4)) @ np.ones((4, 4))          # make sure numpy's BLAS is loaded
    before = _blas_threads_now()
    assert before
    with blas_threads(1):
        assert all(t == 1 for t in _blas_threads_now())
    assert _blas_threads_now() == before
    with pytest.raises(ZeroDivisionError):
        with blas_threads(1):
            1 / 0
    assert _blas_threads_now() == before
    with blas_threads(None):
        assert _blas_threads_now() == before


def test_decorator_reads_the_setting_at_call_time(monkeypatch):
    seen = []
    f = limited("ATOMIC_BLAS_THREADS")(lambda: seen.append(_blas_threads_now()) or 7)
    monkeypatch.setattr(config, "ATOMIC_BLAS_THREADS", 1)
    assert f() == 7 and all(t == 1 for t in seen[-1])
    monkeypatch.setattr(config, "ATOMIC_BLAS_THREADS", None)
    f()
    assert seen[-1] == _blas_threads_now()
