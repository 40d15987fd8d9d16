"""Buffers and compiled passes on a fixed training set: what the training loops talk to (private)."""
from __future__ import annotations

import numba as nb
import numpy as np

from ._kernels import _BLOCK, _TASKS_PER_THREAD, _backward_kernel, _forward_kernel, _update_kernel

#: below this many (neuron, point) pairs per pass the kernels run on one thread (a pass then takes
#: well under a millisecond; a parallel launch per pass gains little there and loses a lot when the
#: cores are shared with other processes)
_PAR_MIN_PAIRS = 1 << 19


#: bytes of the backward kernel's per-task block buffers (theta^T and gradient, 2 (d + 1) B doubles)
#: kept below this (2 MiB: B = 128 up to d = 1023; measured at d = 784 under load, B = 64..128 equal, 16 slower), by halving the block B from _BLOCK (at least 8 neurons)
_BLOCK_BYTES = 1 << 21


#: points per tile in the backward kernel (the block's rows are swept once per tile)
_TILE = 16


def _block_size(d):
    """Neurons per backward block: _BLOCK for small d (d = 5: 128), fewer when the block's buffers
    grow past 2 MiB (d = 3072: 32); the tiles of points keep the sweeps cache-friendly."""
    B = _BLOCK
    while B > 8 and 2 * (d + 1) * B * 8 > _BLOCK_BYTES:
        B //= 2
    return B


def _n_tasks(H):
    return max(1, min(H, _TASKS_PER_THREAD * nb.get_num_threads()))


def _writeable(*arrays):
    """The arrays, read-only ones copied (O(H d), against the O(H n d) pass): numba types a read-only array apart
    from a writeable one, and the frozen initial parameters (read-only) would compile the kernels a second and a
    third time."""
    return tuple(a if a.flags.writeable else a.copy() for a in arrays)


def _forward(theta, b, w, X, scale, act=0, cact=1.0, bact=1.0, out=None):
    """``scale * sum_h w_h phi(theta_h . x_j + b_h)`` at the rows of X (temporary buffers)."""
    theta, b, w = _writeable(theta, b, w)
    n = X.shape[0]
    T = _n_tasks(theta.shape[0])
    if out is None:
        out = np.empty(n)
    if n == 0:
        return out
    XT = np.ascontiguousarray(X.T)
    _forward_kernel(theta, b, w, XT, scale, act, cact, bact, np.empty((T, n)), np.empty((T, n)), out)
    return out


class _threads:
    """Run numba kernels on one thread when the work (H n pairs) is too small to amortise a
    parallel launch; restore the thread count afterwards."""

    def __init__(self, work):
        self.serial = work < _PAR_MIN_PAIRS

    def __enter__(self):
        if self.serial:
            self.old = nb.get_num_threads()
            nb.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.serial:
            nb.set_num_threads(self.old)
        return False


class _CPUBackend:
    """Buffers for the CPU passes on a fixed training set (allocated once).

    ``forward()`` returns ``F`` on the training set (frozen term subtracted), ``backward(r)`` the
    gradients of ``sum_j r_j F_j`` into ``g_w``, ``g_theta``, ``g_b``; ``update`` is one step of
    :func:`spherekern.network._kernels._update_kernel`; ``restore`` undoes the last one;
    ``save_grad`` / ``load_grad`` keep a second copy of the gradients (for rejected steps).
    """

    def __init__(self, net, X):
        self.net = net
        H, d = net.width, net.d
        n = X.shape[0]
        self.X = X
        self.XT = np.ascontiguousarray(X.T)
        self.act = (net.act_code, net.act_c, net.act_beta)
        T = _n_tasks(H)
        self.part = np.empty((T, n))
        self.zbuf = np.empty((T, n))
        B = _block_size(d)
        Tb = max(1, min(_TASKS_PER_THREAD * nb.get_num_threads(), (H + B - 1) // B))
        self.tT = np.empty((Tb, d + 1, B))
        self.gT = np.empty((Tb, d + 1, B))
        self.zb = np.empty((Tb, _TILE, B))
        self.gwb = np.empty((Tb, B))
        self.f = np.empty(n)
        self.g_theta = np.empty((H, d))
        self.g_w = np.empty(H)
        self.g_b = np.empty(H if net.bias else 0)
        self._theta_p = None
        self._saved = None
        self.velocity_zero = True
        self.f0 = None
        if net.f0_coef:
            self.f0 = np.empty(n)
            theta0, b0, w0 = _writeable(net.directions0, net._b0(), net.weights0)
            _forward_kernel(theta0, b0, w0, self.XT, net.f0_coef * net.scale, *self.act, self.part, self.zbuf, self.f0)

    def forward(self):
        net = self.net
        _forward_kernel(net.directions, net._b(), net.weights, self.XT, net.scale, *self.act, self.part, self.zbuf,
                        self.f)
        if self.f0 is not None:
            self.f -= self.f0
        return self.f

    def backward(self, r):
        net = self.net
        _backward_kernel(net.directions, net._b(), net.weights, self.X, r, net.scale, *self.act, self.tT, self.gT,
                         self.zb, self.gwb, self.g_theta, self.g_b, self.g_w)

    def gradients(self):
        return self.g_w.copy(), self.g_theta.copy()

    def grad_arrays(self):
        return (self.g_w, self.g_theta, self.g_b)

    def save_grad(self):
        if self._saved is None:
            self._saved = tuple(np.empty_like(a) for a in self.grad_arrays())
        for s, a in zip(self._saved, self.grad_arrays()):
            s[...] = a
        return self._saved

    def load_grad(self):
        for s, a in zip(self._saved, self.grad_arrays()):
            a[...] = s

    def update(self, lr, pen, mode, beta):
        net = self.net
        if self._theta_p is None:
            self._theta_p = net.directions.copy()
            self._w_p = net.weights.copy()
            self._b_p = net._b().copy()
        _update_kernel(net.directions, net.weights, self._theta_p, self._w_p, self.g_theta, self.g_w, net._b(),
                       self._b_p, self.g_b, lr, pen, mode, 0.0 if self.velocity_zero else beta)
        self.velocity_zero = False

    def reset_velocity(self):
        """x_p <- x: the next update is a plain gradient step."""
        self.velocity_zero = True

    def restore(self):
        """Back to the iterate before the last update, with zero velocity (x <- x_p)."""
        self.net.directions[...] = self._theta_p
        self.net.weights[...] = self._w_p
        if self.net.bias:
            self.net.biases[...] = self._b_p
        self.velocity_zero = True

    def l1(self):
        return float(np.abs(self.net.weights).sum())

    def sync(self):
        pass


def _cuda_backend(net, X):
    from .. import network_cuda
    return network_cuda._CUDABackend(net, X)
