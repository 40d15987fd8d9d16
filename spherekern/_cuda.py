"""CUDA availability, in one place.

The CUDA twins (``*_cuda.py`` beside each CPU module) import numba.cuda only through
:func:`require_cuda`, so ``import spherekern`` never needs a GPU or a CUDA toolkit. Setting
``NUMBA_ENABLE_CUDASIM=1`` before numba is imported runs the twins on numba's CUDA simulator
(how the test suite exercises them on machines without a GPU).
"""
from __future__ import annotations

import os

import numpy as np


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


def is_device_array(a) -> bool:
    """True for an array in GPU memory: anything exposing ``__cuda_array_interface__`` (numba, CuPy,
    PyTorch) or, under the simulator, numba's simulated device array."""
    if isinstance(a, np.ndarray):
        return False
    if hasattr(a, "__cuda_array_interface__"):
        return True
    return simulated() and type(a).__name__ == "FakeCUDAArray"


def check_device_out(out, shape, dtype, name: str = "out"):
    """Validate a GPU output array for ``device="cuda"`` and return it as a numba device array.

    Rules as for host arrays (:func:`spherekern._validate.check_out`): exact shape, dtype, C-contiguous.
    Results written into such an array stay on the GPU (no copy back to the host)."""
    cu = require_cuda()
    if not simulated():
        out = cu.as_cuda_array(out)            # zero-copy view of a CuPy / PyTorch array
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(out.shape)}")
    if np.dtype(out.dtype) != np.dtype(dtype):
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {np.dtype(out.dtype)}")
    if not out.is_c_contiguous():
        raise ValueError(f"{name} must be C-contiguous")
    return out
