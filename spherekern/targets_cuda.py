r"""CUDA twin of the wide-teacher evaluation (:class:`spherekern.targets.Teacher` with ``device="cuda"``).

Same teacher as the CPU kernel: neuron h is regenerated on the device from the counter-based SplitMix64
stream keyed by the teacher's seed (see :class:`~spherekern.targets.Teacher`, *Reproducibility*), so CPU
and GPU evaluate the same function, equal up to the rounding of ``log``/``cos``/``sin``/``sqrt`` (CUDA's
libdevice vs the host libm: ~1e-15 relative on the directions).

Scheme: for each block of :data:`NEURON_BLOCK` neurons, one kernel writes the directions and signs into a
device buffer (one thread per neuron), and a second kernel adds ``sum_b s_b phi(theta_b . x_i)`` over a
slice of the block's neurons to ``partial[s, i]`` (grid: point blocks x S neuron slices, so that 10^4
points still fill the GPU; one thread per point and slice; the threads of a warp read the same neuron, a
broadcast). The S rows are summed at the end in a fixed order, so the result is deterministic. numba.cuda is
imported only when this module's functions are called (:func:`spherekern._cuda.require_cuda`); without
CUDA they raise ``RuntimeError``. Under
``NUMBA_ENABLE_CUDASIM=1`` the same code runs on the CPU simulator (used by the tests).
"""
from __future__ import annotations

import math

import numpy as np

from . import _cuda, config
from .targets import _GAMMA, _M1, _M2, _S11, _S27, _S30, _S31, _TWO_M53, _TWO_PI, _phi, _power_mode

__all__ = ["teacher_eval", "NEURON_BLOCK"]

#: neurons per device block (directions buffer NEURON_BLOCK x d float64 = 40 MiB at d = 5)
NEURON_BLOCK = 1 << 20
#: the evaluation grid is (point blocks) x (neuron slices), with about TARGET_BLOCKS thread blocks in all
#: (a few per multiprocessor), at most MAX_SLICES slices: partial sums are an (S, n) buffer
TARGET_BLOCKS = 2048
MAX_SLICES = 256

_KERNELS = None


cuda = None  # numba.cuda once loaded (a module global, so the simulator can swap it inside kernels)


def _build(cuda_module):
    """Compile (once) the device functions and kernels."""
    global _KERNELS, cuda
    if _KERNELS is not None:
        return _KERNELS
    cuda = cuda_module

    @cuda.jit(device=True, inline=True)
    def mix64(z):
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)

    @cuda.jit(device=True, inline=True)
    def u01(key, i):
        z = mix64(key + (np.uint64(i) + np.uint64(1)) * _GAMMA)
        return float(z >> _S11) * _TWO_M53

    @cuda.jit
    def gen_kernel(key, h0, B, theta, signs):
        b = cuda.grid(1)
        if b >= B:
            return
        d = theta.shape[1]
        h = h0 + b
        P = (d + 1) // 2
        S = 2 * P + 1
        base = h * S
        nrm2 = 0.0
        for p in range(P):
            u1 = 1.0 - u01(key, base + 2 * p)
            u2 = u01(key, base + 2 * p + 1)
            r = math.sqrt(-2.0 * math.log(u1))
            g0 = r * math.cos(_TWO_PI * u2)
            theta[b, 2 * p] = g0
            nrm2 += g0 * g0
            if 2 * p + 1 < d:
                g1 = r * math.sin(_TWO_PI * u2)
                theta[b, 2 * p + 1] = g1
                nrm2 += g1 * g1
        if nrm2 > 0.0:
            inv = 1.0 / math.sqrt(nrm2)
            for j in range(d):
                theta[b, j] *= inv
        else:
            theta[b, 0] = 1.0
            for j in range(1, d):
                theta[b, j] = 0.0
        signs[b] = 1.0 if u01(key, base + 2 * P) < 0.5 else -1.0

    # the same scalar activation as the CPU kernel, compiled for the device (written once, in targets.py)
    phi = cuda.jit(device=True, inline=True)(_phi.py_func)

    @cuda.jit
    def eval_kernel(X, theta, signs, B, relu, pmode, ia, a, partial):
        # grid (point blocks, S slices): slice s takes neurons [s B / S, (s + 1) B / S) of the block and adds
        # its sum to its own row partial[s, i] (no two threads write the same address: no atomics, and the
        # result does not depend on the scheduling)
        i = cuda.grid(1)
        if i >= X.shape[0]:
            return
        s = cuda.blockIdx.y
        S = cuda.gridDim.y
        lo = s * B // S
        hi = (s + 1) * B // S
        d = X.shape[1]
        acc = 0.0
        for b in range(lo, hi):
            z = 0.0
            for j in range(d):
                z += theta[b, j] * X[i, j]
            acc += signs[b] * phi(z, relu, pmode, ia, a)
        partial[s, i] += acc

    _KERNELS = (gen_kernel, eval_kernel)
    return _KERNELS


def teacher_eval(teacher, X):
    """Evaluate ``teacher`` (a :class:`~spherekern.targets.Teacher`) at validated points X (n, d) on the GPU.

    Returns a host float64 array (n,). Raises RuntimeError without CUDA."""
    cu = _cuda.require_cuda()
    gen_kernel, eval_kernel = _build(cu)
    X = np.ascontiguousarray(X, dtype=np.float64)
    n, d = X.shape
    if n == 0:
        return np.zeros(0)
    H = teacher.width
    tpb = int(config.THREADS_PER_BLOCK)
    nb_ = int(NEURON_BLOCK)
    pmode, ia = _power_mode(teacher.power)
    relu = teacher.activation == "relu"
    key = np.uint64(teacher._key)
    dX = cu.to_device(X)
    Bmax = min(nb_, H)
    bx = (n + tpb - 1) // tpb
    S = max(1, min(MAX_SLICES, Bmax, -(-TARGET_BLOCKS // bx)))     # enough blocks to fill the GPU
    dpartial = cu.to_device(np.zeros((S, n)))
    dtheta = cu.device_array((Bmax, d), dtype=np.float64)
    dsigns = cu.device_array(Bmax, dtype=np.float64)
    for h0 in range(0, H, nb_):
        B = min(nb_, H - h0)
        gen_kernel[(B + tpb - 1) // tpb, tpb](key, h0, B, dtheta, dsigns)
        eval_kernel[(bx, S), tpb](dX, dtheta, dsigns, B, relu, pmode, ia, float(teacher.power), dpartial)
    cu.synchronize()
    res = dpartial.copy_to_host().sum(axis=0)          # fixed-order reduction of the S slices
    res *= 1.0 / math.sqrt(H)
    return res
