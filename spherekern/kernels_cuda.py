"""CUDA twins of the Gram kernels of :mod:`spherekern.kernels` (selected with ``device="cuda"``).

Each thread computes one entry ``out[i, j] = phi(clip(X[i] . Y[j]))`` on a 2-D grid of
``config.TILE x config.TILE`` thread blocks: threads of a block row share ``X[i]`` (a broadcast
read), consecutive threads read consecutive columns of ``Y^T`` and write consecutive entries of
``out`` (coalesced).  ``phi`` uses CUDA's double-precision ``acos``/``asin``/``sqrt`` (libdevice,
<= 2 ulp), ``sqrt(1 - t^2)`` as ``sqrt((1 - t)(1 + t))``, and the same J_n recursion / Clenshaw recurrence
as the CPU kernels; the arithmetic is float64 also for a float32 ``out``.  ``ArcCos(n)`` below its
threshold ``t_quad`` (``t < 0`` for n >= 3, ``t < -0.5`` for n = 2, ``t < -0.9`` for n = 1), where the recursion's
terms cancel, runs the CPU kernels' cancellation-free integral (``kernels._closed._kappa_pi_angle``, the same Python
source compiled as a device function, with the same Gauss--Legendre nodes computed once on the host), so the
two twins agree to a few ulp for every degree up to ``MAX_DEGREE`` and at every t.  Entries with
``|t| > _T_NEAR = 1 - 2^-12`` (nearly coincident or antipodal points) are evaluated from the angle recomputed from
the coordinates, as on the CPU (module docstring of :mod:`spherekern.kernels`).

Inputs are validated by :meth:`spherekern.kernels.Kernel.gram`; this module is imported only after
:func:`spherekern._cuda.require_cuda` succeeded (a GPU, or ``NUMBA_ENABLE_CUDASIM=1``).
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from . import config
from .kernels._closed import _T_NEAR, _gauss_legendre, _jn_angle, _kappa_pi_angle, _quad_nodes, _t_quad

_PI = math.pi
_INV_2PI = 1.0 / (2.0 * math.pi)


@cuda.jit(device=True)
def _dot(X, YT, i, j):
    s = 0.0
    for k in range(X.shape[1]):
        s += X[i, k] * YT[k, j]
    return s


@cuda.jit(device=True)
def _dot_clip(X, YT, i, j):
    s = _dot(X, YT, i, j)
    if s > 1.0:
        s = 1.0
    if s < -1.0:
        s = -1.0
    return s


@cuda.jit(device=True)
def _angle(X, YT, i, j, t):
    """(cos theta, sin theta, pi - theta) of the pair (X[i], Y[j]) whose computed dot product is t.

    As on the CPU (:func:`spherekern.kernels._closed._fix_near`): for |t| > _T_NEAR, s = 1 - |t| is recomputed
    as |x -+ y|^2 / 2 from the coordinates and h = 2 asin(sqrt(s / 2)) is the angle to the nearer of +-x;
    otherwise from the clipped t with acos.
    """
    if abs(t) > _T_NEAR:
        sg = 1.0 if t > 0.0 else -1.0
        acc = 0.0
        for k in range(X.shape[1]):
            e = X[i, k] - sg * YT[k, j]
            acc += e * e
        s = min(0.5 * acc, 0.5)
        h = 2.0 * math.asin(math.sqrt(0.5 * s))
        sn = math.sqrt(s * (2.0 - s))
        if t > 0.0:
            return 1.0 - s, sn, _PI - h
        return s - 1.0, sn, h
    c = min(max(t, -1.0), 1.0)
    return c, math.sqrt((1.0 - c) * (1.0 + c)), math.acos(-c)     # pi - theta = acos(-t), as on the CPU


#: J_degree(theta) from (cos theta, sin theta, pi - theta): the CPU kernels' recursion, compiled for the device
_jn = cuda.jit(device=True)(_jn_angle)
#: kappa_n at pi - theta = phi by the cancellation-free integral: the CPU kernels' code, compiled for the device
_kappa_pi = cuda.jit(device=True)(_kappa_pi_angle)


@cuda.jit
def _gram_dot_cuda(X, YT, out):
    j, i = cuda.grid(2)
    if i < out.shape[0] and j < out.shape[1]:
        out[i, j] = _dot(X, YT, i, j)


@cuda.jit
def _gram_ntk_cuda(X, YT, out):
    j, i = cuda.grid(2)
    if i < out.shape[0] and j < out.shape[1]:
        c, sn, a = _angle(X, YT, i, j, _dot(X, YT, i, j))
        out[i, j] = (sn + 2.0 * a * c) * _INV_2PI


@cuda.jit
def _gram_arccos_cuda(X, YT, degree, tq, xg, wg, out):
    """kappa_degree: the recursion for t >= tq, the integral in phi = pi - theta below (phi from the
    coordinates near t = -1, acos(-t) otherwise), as ``kernels._closed._gram_closed`` / ``_fix_near`` on the CPU."""
    j, i = cuda.grid(2)
    if i < out.shape[0] and j < out.shape[1]:
        t = _dot(X, YT, i, j)
        c, sn, a = _angle(X, YT, i, j, t)
        if t < tq:
            out[i, j] = _kappa_pi(degree, a, xg, wg)
        else:
            out[i, j] = _jn(c, sn, a, degree) * _INV_2PI


@cuda.jit
def _gram_series_cuda(X, YT, coef, A, B, out):
    j, i = cuda.grid(2)
    if i < out.shape[0] and j < out.shape[1]:
        t = _dot_clip(X, YT, i, j)
        # Clenshaw: b_k = c_k + A_k t b_{k+1} - B_{k+1} b_{k+2};  S = c_0 + t b_1 - B_1 b_2
        b1 = 0.0
        b2 = 0.0
        for k in range(coef.shape[0] - 1, 0, -1):
            b0 = coef[k] + A[k] * t * b1 - B[k + 1] * b2
            b2 = b1
            b1 = b0
        out[i, j] = coef[0] + t * b1 - B[1] * b2


def _launch(kernel, X, Y, out, *args):
    n, m = out.shape
    if n == 0 or m == 0:
        return out
    tile = int(config.TILE)
    grid = ((m + tile - 1) // tile, (n + tile - 1) // tile)
    d_X = cuda.to_device(X)
    d_YT = cuda.to_device(np.ascontiguousarray(Y.T))
    d_args = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
    on_host = isinstance(out, np.ndarray)
    d_out = cuda.device_array(out.shape, dtype=out.dtype) if on_host else out
    kernel[grid, (tile, tile)](d_X, d_YT, *d_args, d_out)
    if on_host:
        d_out.copy_to_host(out)
    cuda.synchronize()
    return out


def gram(kernel, X, Y, out):
    """Fill ``out`` (a host array, or a validated numba device array left on the GPU) with ``kernel``'s Gram matrix of X, Y on the GPU (inputs validated)."""
    from .kernels import NTK, ArcCos, FromSpectrum

    if isinstance(kernel, NTK):
        return _launch(_gram_ntk_cuda, X, Y, out)
    if isinstance(kernel, ArcCos):
        degree = int(kernel.degree)
        tq = _t_quad(kernel._kind())
        xg, wg = _gauss_legendre(_quad_nodes(degree) if tq > -2.0 else 1)
        return _launch(_gram_arccos_cuda, X, Y, out, degree, float(tq), xg, wg)
    if isinstance(kernel, FromSpectrum):
        return _launch(_gram_series_cuda, X, Y, out, kernel.coef, kernel._A, kernel._B)
    raise TypeError(f"no CUDA Gram kernel for {type(kernel).__name__}")


def gram_dot(X, Y, out):
    """The dot-product Gram ``out = X @ Y.T`` by the same launch (the floor, for benchmarks)."""
    return _launch(_gram_dot_cuda, X, Y, out)
