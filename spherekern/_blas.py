"""BLAS thread limits for solvers whose BLAS calls are many and mid-sized (see ``config.ATOMIC_BLAS_THREADS``)."""
from __future__ import annotations

import contextlib
import functools


@contextlib.contextmanager
def blas_threads(n):
    """Within the block, BLAS (OpenBLAS, MKL, BLIS) uses at most ``n`` threads; ``None``: unchanged.

    Uses threadpoolctl (a dependency); the previous limits are restored on exit, also after an exception."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=int(n), user_api="blas"):
        yield


def limited(setting: str):
    """Decorator: run the function under ``blas_threads(getattr(config, setting))`` (read at call time)."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            from . import config
            with blas_threads(getattr(config, setting)):
                return fn(*args, **kwargs)
        return wrapper
    return deco
