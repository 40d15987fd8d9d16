"""Test-session setup.

Without an NVIDIA GPU, the CUDA twins run on numba's CUDA simulator: NUMBA_ENABLE_CUDASIM must be set
before numba is first imported, which is why it is done here, at conftest import. It changes only
numba.cuda; CPU ``njit`` kernels are compiled and run normally. On a machine with a GPU nothing is set
and the same CUDA tests run on the device.
"""
import os

if "NUMBA_ENABLE_CUDASIM" not in os.environ and not os.path.exists("/dev/nvidiactl"):
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
