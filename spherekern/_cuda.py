"""CUDA availability, in one place.

The CUDA twins (``*_cuda.py`` beside each CPU module) import numba.cuda only through
:func:`require_cuda`, so ``import spherekern`` never needs a GPU or a CUDA toolkit. Setting
``NUMBA_ENABLE_CUDASIM=1`` before numba is imported runs the twins on numba's CUDA simulator
(how the test suite exercises them on machines without a GPU).
"""
from __future__ import annotations

import os


def simulated() -> bool:
    """True when numba's CUDA simulator is enabled (NUMBA_ENABLE_CUDASIM=1)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"


def available() -> bool:
    """True when device="cuda" can run: a working CUDA GPU, or the simulator."""
    try:
        from numba import cuda
    except Exception:  # pragma: no cover - numba always ships numba.cuda
        return False
    try:
        return simulated() or bool(cuda.is_available())
    except Exception:
        return False


def require_cuda():
    """Return the ``numba.cuda`` module, or raise RuntimeError explaining how to get CUDA."""
    if not available():
        raise RuntimeError(
            "device='cuda' needs an NVIDIA GPU with a working CUDA driver (numba.cuda.is_available() is False). "
            "Use device='cpu', or set NUMBA_ENABLE_CUDASIM=1 before importing numba to run on the CUDA simulator.")
    from numba import cuda
    return cuda
