"""CUDA twin of :func:`spherekern.gegenbauer.table` (selected with ``device="cuda"``).

One thread per point runs the same Reinsch difference-form recurrence as the CPU kernel (cos(k arccos t)
for d = 2) and writes column i of the (kmax + 1, n) table, so consecutive threads write consecutive
addresses (coalesced). Inputs are validated by the CPU wrapper before this module is reached; the wrapper
imports this module only after :func:`spherekern._cuda.require_cuda` succeeded.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from . import config


@cuda.jit
def _table_cuda(t, kmax, d, out):
    i = cuda.grid(1)
    if i >= t.shape[0]:
        return
    ti = t[i]
    if d == 2.0:
        th = math.acos(ti)
        for k in range(kmax + 1):
            out[k, i] = math.cos(k * th)
        return
    x = abs(ti)
    u = 1.0 - x
    sgn = -1.0 if ti < 0.0 else 1.0
    out[0, i] = 1.0
    if kmax >= 1:
        out[1, i] = ti
    p = x
    dk = -u
    s = sgn
    for k in range(1, kmax):
        dn = (k * dk - (2.0 * k + d - 2.0) * u * p) / (k + d - 2.0)
        p = p + dn
        dk = dn
        s = s * sgn
        out[k + 1, i] = p * s


def table(t: np.ndarray, kmax: int, d: int, out) -> np.ndarray:
    """Fill ``out[k, i] = P_k(t[i])`` on the GPU (t validated, clipped, float64; ``out`` a host array or a
    device array of shape (kmax + 1, n)). Returns ``out``."""
    n = t.shape[0]
    if n == 0:
        return out
    tpb = config.THREADS_PER_BLOCK
    blocks = (n + tpb - 1) // tpb
    d_t = cuda.to_device(t)
    host_out = isinstance(out, np.ndarray)
    d_out = cuda.device_array(out.shape, dtype=np.float64) if host_out else out
    _table_cuda[blocks, tpb](d_t, kmax, float(d), d_out)
    if host_out:
        d_out.copy_to_host(out)
    cuda.synchronize()
    return out
