"""CUDA twins of the network passes of :mod:`spherekern.network` (``device="cuda"``).

Same mathematics as the CPU kernels (see :mod:`spherekern.network` for the parametrisation):

* forward: ``out[j] = alpha sum_h w_h relu(theta_h . x_j)``.  Grid ``(GX, GY)``: block ``(bx, by)``
  handles the points ``j = by, by + GY, ...``; its threads stride over the neurons
  ``h = bx * TPB + tid, ... (step GX * TPB)``, reduce their partial sums in shared memory (a
  power-of-two tree) and add the block's sum to ``out[j]`` with one atomic add.  ``theta`` is stored
  transposed on the device, ``(d, H)``, so that consecutive threads read consecutive addresses.
* backward: one thread per neuron, looping over the points (the threads of a warp read the same
  ``x_j``: a broadcast); ``g_w[h] = alpha sum_j r_j relu(z_hj)`` and
  ``g_theta[h] = alpha w_h sum_j r_j 1{z_hj > 0} x_j``, accumulated in registers 8 coordinates at a
  time (for d > 8 the dot products are recomputed per group of 8 coordinates).
* update: one thread per neuron, the heavy-ball / projected / proximal / conic step of
  :func:`spherekern.network._update_kernel`.

numba.cuda is imported only through :func:`spherekern._cuda.require_cuda` (RuntimeError without a GPU
or the simulator, ``NUMBA_ENABLE_CUDASIM=1``).  ``config.THREADS_PER_BLOCK`` (rounded down to a power
of two, at most 1024) sets the block size; tests patch it small so that several blocks run.
"""
from __future__ import annotations

import math

import numpy as np

from . import _cuda, config

__all__ = ["forward", "backward"]

#: coordinates of g_theta accumulated in registers per pass over the points
_KC = 8
#: shared-memory reduction buffer (the largest block size)
_MAXTPB = 1024

_KERNELS = None
cuda = None  # numba.cuda once loaded (module global so the simulator can patch it inside kernels)


def _tpb():
    t = int(config.THREADS_PER_BLOCK)
    t = max(1, min(t, _MAXTPB))
    return 1 << (t.bit_length() - 1)


def _build(cuda_module):
    global _KERNELS, cuda
    if _KERNELS is not None:
        return _KERNELS
    cuda = cuda_module

    @cuda.jit
    def forward_kernel(thetaT, w, X, alpha, out):
        d = thetaT.shape[0]
        H = thetaT.shape[1]
        n = X.shape[0]
        tid = cuda.threadIdx.x
        bdim = cuda.blockDim.x
        sm = cuda.shared.array(_MAXTPB, dtype=np.float64)
        stride = cuda.gridDim.x * bdim
        for j in range(cuda.blockIdx.y, n, cuda.gridDim.y):
            acc = 0.0
            for h in range(cuda.blockIdx.x * bdim + tid, H, stride):
                wh = w[h]
                if wh != 0.0:
                    z = 0.0
                    for k in range(d):
                        z += thetaT[k, h] * X[j, k]
                    if z > 0.0:
                        acc += wh * z
            sm[tid] = acc
            cuda.syncthreads()
            s = bdim // 2
            while s > 0:
                if tid < s:
                    sm[tid] += sm[tid + s]
                cuda.syncthreads()
                s //= 2
            if tid == 0:
                cuda.atomic.add(out, j, alpha * sm[0])
            cuda.syncthreads()

    @cuda.jit
    def backward_kernel(thetaT, w, X, r, alpha, gthetaT, g_w):
        d = thetaT.shape[0]
        H = thetaT.shape[1]
        n = X.shape[0]
        acc = cuda.local.array(_KC, dtype=np.float64)
        start, stride = cuda.grid(1), cuda.gridsize(1)
        for h in range(start, H, stride):
            gw = 0.0
            a = alpha * w[h]
            for k0 in range(0, d, _KC):
                kc = min(_KC, d - k0)
                for q in range(kc):
                    acc[q] = 0.0
                for j in range(n):
                    rj = r[j]
                    if rj == 0.0:
                        continue
                    z = 0.0
                    for k in range(d):
                        z += thetaT[k, h] * X[j, k]
                    if z > 0.0:
                        if k0 == 0:
                            gw += rj * z
                        for q in range(kc):
                            acc[q] += rj * X[j, k0 + q]
                for q in range(kc):
                    gthetaT[k0 + q, h] = a * acc[q]
            g_w[h] = alpha * gw

    @cuda.jit
    def update_kernel(thetaT, w, thetaT_p, w_p, gthetaT, g_w, lr, pen, mode, beta):
        d = thetaT.shape[0]
        H = thetaT.shape[1]
        start, stride = cuda.grid(1), cuda.gridsize(1)
        for h in range(start, H, stride):
            wh = w[h]
            wp = w_p[h]
            w_p[h] = wh
            if mode == 0:
                w[h] = wh + beta * (wh - wp) - lr * g_w[h]
                for k in range(d):
                    th = thetaT[k, h]
                    thetaT[k, h] = th + beta * (th - thetaT_p[k, h]) - lr * gthetaT[k, h]
                    thetaT_p[k, h] = th
                continue
            scale = lr
            if mode == 1:
                v = wh + beta * (wh - wp) - lr * g_w[h]
                thr = lr * pen
                if v > thr:
                    w[h] = v - thr
                elif v < -thr:
                    w[h] = v + thr
                else:
                    w[h] = 0.0
            else:
                m = abs(wh)
                if m == 0.0:
                    for k in range(d):
                        thetaT_p[k, h] = thetaT[k, h]
                    continue
                s = 1.0 if wh > 0.0 else -1.0
                ratio = wh / wp if wp != 0.0 else 1.0
                mom = 1.0
                if beta != 0.0 and ratio > 0.0:
                    mom = math.exp(beta * math.log(ratio))
                w[h] = wh * mom * math.exp(-lr * (s * g_w[h] + pen))
                scale = lr / m
            dot = 0.0
            for k in range(d):
                dot += thetaT[k, h] * gthetaT[k, h]
            nrm2 = 0.0
            for k in range(d):
                th = thetaT[k, h]
                u = th + beta * (th - thetaT_p[k, h]) - scale * (gthetaT[k, h] - dot * th)
                thetaT_p[k, h] = th
                thetaT[k, h] = u
                nrm2 += u * u
            if nrm2 > 0.0:
                inv = 1.0 / math.sqrt(nrm2)
                for k in range(d):
                    thetaT[k, h] *= inv

    _KERNELS = (forward_kernel, backward_kernel, update_kernel)
    return _KERNELS


def _grid_1d(H, tpb):
    return max(1, min((H + tpb - 1) // tpb, 65535))


def _grid_fwd(H, n, tpb):
    return (max(1, min((H + tpb - 1) // tpb, 64)), max(1, min(n, 65535)))


def _launch_forward(cu, k_fwd, dthetaT, dw, dX, alpha, dout, H, n):
    tpb = _tpb()
    dout.copy_to_device(np.zeros(n))
    if n and H:
        k_fwd[_grid_fwd(H, n, tpb), tpb](dthetaT, dw, dX, float(alpha), dout)


def forward(theta, w, X, alpha):
    """``alpha * sum_h w_h relu(theta_h . x_j)`` for host arrays theta (H, d), w (H,), X (n, d),
    validated by the caller (:meth:`spherekern.network.TwoLayerNet.predict`); returns a host (n,) array."""
    cu = _cuda.require_cuda()
    k_fwd, _, _ = _build(cu)
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    H = theta.shape[0]
    dout = cu.device_array(n, dtype=np.float64)
    if n == 0:
        return np.zeros(0)
    _launch_forward(cu, k_fwd, cu.to_device(np.ascontiguousarray(theta.T)), cu.to_device(np.ascontiguousarray(w)),
                    cu.to_device(X), alpha, dout, H, n)
    cu.synchronize()
    return dout.copy_to_host()


def backward(theta, w, X, r, alpha):
    """Gradients of ``sum_j r_j f(x_j)`` with ``f = alpha sum_h w_h relu(theta_h . x)``:
    returns host ``(g_w (H,), g_theta (H, d))`` (see :func:`spherekern.network._backward_kernel`)."""
    cu = _cuda.require_cuda()
    _, k_bwd, _ = _build(cu)
    H, d = theta.shape
    tpb = _tpb()
    dgT = cu.device_array((d, H), dtype=np.float64)
    dgw = cu.device_array(H, dtype=np.float64)
    k_bwd[_grid_1d(H, tpb), tpb](cu.to_device(np.ascontiguousarray(theta.T)), cu.to_device(np.ascontiguousarray(w)),
                                 cu.to_device(np.ascontiguousarray(X, dtype=np.float64)),
                                 cu.to_device(np.ascontiguousarray(r, dtype=np.float64)), float(alpha), dgT, dgw)
    cu.synchronize()
    return dgw.copy_to_host(), np.ascontiguousarray(dgT.copy_to_host().T)


class _CUDABackend:
    """Device-resident parameters and buffers for :func:`spherekern.network.train` (same methods as
    ``network._CPUBackend``).  Per step only ``f`` (n values) comes back and ``r`` goes out; with
    ``lam > 0`` also ``w`` (H values) for the penalty.  ``sync()`` copies the parameters to ``net``."""

    def __init__(self, net, X):
        cu = _cuda.require_cuda()
        self.cu = cu
        self.k_fwd, self.k_bwd, self.k_upd = _build(cu)
        self.net = net
        H, d = net.width, net.d
        self.n = X.shape[0]
        self.H = H
        self.dX = cu.to_device(np.ascontiguousarray(X))
        self.dthetaT = cu.to_device(np.ascontiguousarray(net.directions.T))
        self.dw = cu.to_device(net.weights)
        self.dthetaT_p = None
        self.dw_p = None
        self.dgT = cu.device_array((d, H), dtype=np.float64)
        self.dgw = cu.device_array(H, dtype=np.float64)
        self.df = cu.device_array(self.n, dtype=np.float64)
        self.dr = cu.device_array(self.n, dtype=np.float64)
        self.velocity_zero = True
        self.f0 = None
        if net.f0_coef:
            _launch_forward(cu, self.k_fwd, cu.to_device(np.ascontiguousarray(net.directions0.T)),
                            cu.to_device(np.ascontiguousarray(net.weights0)), self.dX, net.f0_coef * net.scale, self.df,
                            H, self.n)
            cu.synchronize()
            self.f0 = self.df.copy_to_host()

    def forward(self):
        _launch_forward(self.cu, self.k_fwd, self.dthetaT, self.dw, self.dX, self.net.scale, self.df, self.H, self.n)
        f = self.df.copy_to_host()
        if self.f0 is not None:
            f -= self.f0
        return f

    def backward(self, r):
        self.dr.copy_to_device(np.ascontiguousarray(r, dtype=np.float64))
        tpb = _tpb()
        self.k_bwd[_grid_1d(self.H, tpb), tpb](self.dthetaT, self.dw, self.dX, self.dr, float(self.net.scale),
                                                self.dgT, self.dgw)

    def gradients(self):
        self.cu.synchronize()
        return self.dgw.copy_to_host(), np.ascontiguousarray(self.dgT.copy_to_host().T)

    def update(self, lr, pen, mode, beta):
        cu = self.cu
        if self.dthetaT_p is None:
            self.dthetaT_p = cu.device_array_like(self.dthetaT)
            self.dw_p = cu.device_array_like(self.dw)
            self.dthetaT_p.copy_to_device(self.dthetaT)
            self.dw_p.copy_to_device(self.dw)
        tpb = _tpb()
        self.k_upd[_grid_1d(self.H, tpb), tpb](self.dthetaT, self.dw, self.dthetaT_p, self.dw_p, self.dgT, self.dgw,
                                                float(lr), float(pen), int(mode),
                                                0.0 if self.velocity_zero else float(beta))
        self.velocity_zero = False

    def reset_velocity(self):
        self.velocity_zero = True

    def restore(self):
        self.dthetaT.copy_to_device(self.dthetaT_p)
        self.dw.copy_to_device(self.dw_p)
        self.velocity_zero = True

    def l1(self):
        return float(np.abs(self.dw.copy_to_host()).sum())

    def sync(self):
        self.cu.synchronize()
        self.net.directions[...] = self.dthetaT.copy_to_host().T
        self.net.weights[...] = self.dw.copy_to_host()
