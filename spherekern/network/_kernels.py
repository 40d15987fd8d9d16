"""Compiled passes of the two-layer network (private; :mod:`spherekern.network` validates first).

Every pass handles the general network ``F(x_j) = scale * sum_h w_h phi(theta_h . x_j + b_h)``:

* ``act = 0``: ``phi = relu`` (``relu'(0) = 0``);
* ``act = 1``: ``phi(z) = c softplus(beta z) / beta`` (``c = cact``, ``beta = bact``), ``phi' = c sigmoid(beta z)``;
* ``b`` has length H (hidden biases) or 0 (none).

Forward: task c owns a contiguous range of neurons and accumulates into ``part[c]``; the dot
products of one neuron with all points are vectorised over points (``XT`` is X transposed).
Backward: blocks of ``B`` neurons, ``theta^T`` of the block (row ``d`` holds the biases) and the
accumulators in the task's buffers, every inner loop over the block (vectorised, no reductions).
No ``H x n`` temporaries: the dot products are recomputed in the backward pass.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from .. import _fastmath as fm
from ..kernels import _dot_block

#: neurons per block in the backward kernel
_BLOCK = 128
#: parallel tasks per thread (load balance when pruned neurons are skipped)
_TASKS_PER_THREAD = 4
#: FMA contraction only: never less accurate, no reassociation
_FM = {"contract"}


@nb.njit(inline="always", cache=True)
def _phi(z, act, cact, bact):
    if act == 0:
        return z if z > 0.0 else 0.0
    u = bact * z
    return cact * (max(u, 0.0) + math.log1p(math.exp(-abs(u)))) / bact


@nb.njit(inline="always", cache=True)
def _dphi(z, act, cact, bact):
    if act == 0:
        return 1.0 if z > 0.0 else 0.0
    u = bact * z
    if u >= 0.0:
        return cact / (1.0 + math.exp(-u))
    e = math.exp(u)
    return cact * e / (1.0 + e)


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _forward_kernel(theta, b, w, XT, scale, act, cact, bact, part, zbuf, out):
    """out[j] = scale * sum_h w_h phi(theta_h . x_j + b_h); neurons with w_h == 0 are skipped."""
    H, d = theta.shape
    n = XT.shape[1]
    T = part.shape[0]
    hasb = b.shape[0] > 0
    for c in nb.prange(T):
        acc = part[c]
        z = zbuf[c]
        for j in range(n):
            acc[j] = 0.0
        for h in range((c * H) // T, ((c + 1) * H) // T):
            wh = w[h]
            if wh == 0.0:
                continue
            bh = b[h] if hasb else 0.0
            t = theta[h, 0]
            for j in range(n):
                z[j] = bh + t * XT[0, j]
            for k in range(1, d):
                t = theta[h, k]
                for j in range(n):
                    z[j] += t * XT[k, j]
            if act == 0:
                for j in range(n):
                    acc[j] += wh * max(z[j], 0.0)
            else:
                for j in range(n):
                    acc[j] += wh * _phi(z[j], act, cact, bact)
    for j in nb.prange(n):
        s = 0.0
        for c in range(T):
            s += part[c, j]
        out[j] = scale * s


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _backward_kernel(theta, b, w, X, r, scale, act, cact, bact, tT, gT, zb, gwb, g_theta, g_b, g_w):
    """Gradients of sum_j r_j F(x_j):

    g_w[h] = scale sum_j r_j phi(z_hj),  g_theta[h] = scale w_h sum_j r_j phi'(z_hj) x_j,
    g_b[h] = scale w_h sum_j r_j phi'(z_hj)  (only when b has length H),  z_hj = theta_h . x_j + b_h.

    ``gT[c]`` has d + 1 rows: row d accumulates the bias gradient.  Points are taken in tiles of
    P = zb.shape[1]: the block's theta^T and gradient rows are swept once per tile, not per point
    (the same sums in the same order as point by point).
    """
    H, d = theta.shape
    n = X.shape[0]
    T = tT.shape[0]
    B = tT.shape[2]
    P = zb.shape[1]
    hasb = b.shape[0] > 0
    nblk = (H + B - 1) // B
    for c in nb.prange(T):
        t = tT[c]
        g = gT[c]
        z = zb[c]
        gw = gwb[c]
        for blk in range(c, nblk, T):
            h0 = blk * B
            m = min(B, H - h0)
            for bb in range(m):
                gw[bb] = 0.0
                g[d, bb] = 0.0
                t[d, bb] = b[h0 + bb] if hasb else 0.0
            for k in range(d):
                for bb in range(m):
                    t[k, bb] = theta[h0 + bb, k]
                    g[k, bb] = 0.0
            for j0 in range(0, n, P):
                pp = min(P, n - j0)
                for p in range(pp):
                    for bb in range(m):
                        z[p, bb] = t[d, bb]
                for k in range(d):
                    for p in range(pp):
                        xk = X[j0 + p, k]
                        for bb in range(m):
                            z[p, bb] += t[k, bb] * xk
                for p in range(pp):
                    rj = r[j0 + p]
                    if act == 0:
                        for bb in range(m):
                            zz = z[p, bb]
                            s = rj if zz > 0.0 else 0.0
                            gw[bb] += s * zz
                            z[p, bb] = s
                    else:
                        for bb in range(m):
                            zz = z[p, bb]
                            gw[bb] += rj * _phi(zz, act, cact, bact)
                            z[p, bb] = rj * _dphi(zz, act, cact, bact)
                    if hasb:
                        for bb in range(m):
                            g[d, bb] += z[p, bb]
                for k in range(d):
                    for p in range(pp):
                        xk = X[j0 + p, k]
                        for bb in range(m):
                            g[k, bb] += z[p, bb] * xk
            for bb in range(m):
                h = h0 + bb
                g_w[h] = scale * gw[bb]
                a = scale * w[h]
                for k in range(d):
                    g_theta[h, k] = a * g[k, bb]
                if hasb:
                    g_b[h] = a * g[d, bb]


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _floor_kernel(theta, XT, X, part, zbuf, tT, zb, out):
    """The floor of one forward + backward: the same loops computing only theta_h . x_j.

    Pass 1 (forward layout) sums the dot products per point into part/out; pass 2 (backward
    layout, the same tiles of P = zb.shape[1] points) recomputes them per block of neurons and sums
    them per neuron into tT's spare row.
    """
    H, d = theta.shape
    n = XT.shape[1]
    T = part.shape[0]
    for c in nb.prange(T):
        acc = part[c]
        z = zbuf[c]
        for j in range(n):
            acc[j] = 0.0
        for h in range((c * H) // T, ((c + 1) * H) // T):
            t = theta[h, 0]
            for j in range(n):
                z[j] = t * XT[0, j]
            for k in range(1, d):
                t = theta[h, k]
                for j in range(n):
                    z[j] += t * XT[k, j]
            for j in range(n):
                acc[j] += z[j]
    for j in nb.prange(n):
        s = 0.0
        for c in range(T):
            s += part[c, j]
        out[j] = s
    B = tT.shape[2]
    P = zb.shape[1]
    nblk = (H + B - 1) // B
    for c in nb.prange(T):
        t = tT[c]
        z = zb[c]
        for blk in range(c, nblk, T):
            h0 = blk * B
            m = min(B, H - h0)
            for k in range(d):
                for bb in range(m):
                    t[k, bb] = theta[h0 + bb, k]
            for bb in range(m):
                t[d, bb] = 0.0
            for j0 in range(0, n, P):
                pp = min(P, n - j0)
                for p in range(pp):
                    for bb in range(m):
                        z[p, bb] = 0.0
                for k in range(d):
                    for p in range(pp):
                        xk = X[j0 + p, k]
                        for bb in range(m):
                            z[p, bb] += t[k, bb] * xk
                for p in range(pp):
                    for bb in range(m):
                        t[d, bb] += z[p, bb]
@nb.njit(parallel=True, cache=True, nogil=True)
def _update_kernel(theta, w, theta_p, w_p, g_theta, g_w, b, b_p, g_b, lr, pen, mode, beta):
    """One heavy-ball step from x = (theta, w) with previous iterate x_p = (theta_p, w_p); then
    x_p <- x and x <- the new iterate.  ``beta = 0`` (or x_p == x) is a plain gradient step.

    mode 0 (plain):  x <- x + beta (x - x_p) - lr g (also the biases b when b has length H).
    mode 1 (sphere): w <- soft_threshold(w + beta (w - w_p) - lr g_w, lr pen);
                     theta <- normalise(theta + beta (theta - theta_p) - lr P_theta g_theta).
    mode 2 (conic):  m = |w| <- m (m / m_p)^beta exp(-lr (sign(w) g_w + pen));
                     theta <- normalise(theta + beta (theta - theta_p) - (lr / m) P_theta g_theta).
    P_theta g = g - (theta . g) theta is the projection on the tangent space of the sphere.
    """
    H, d = theta.shape
    hasb = b.shape[0] > 0
    for h in nb.prange(H):
        wh = w[h]
        wp = w_p[h]
        w_p[h] = wh
        if mode == 0:
            w[h] = wh + beta * (wh - wp) - lr * g_w[h]
            if hasb:
                bh = b[h]
                b[h] = bh + beta * (bh - b_p[h]) - lr * g_b[h]
                b_p[h] = bh
            for k in range(d):
                th = theta[h, k]
                theta[h, k] = th + beta * (th - theta_p[h, k]) - lr * g_theta[h, k]
                theta_p[h, k] = th
            continue
        if mode == 1:
            v = wh + beta * (wh - wp) - lr * g_w[h]
            thr = lr * pen
            if v > thr:
                w[h] = v - thr
            elif v < -thr:
                w[h] = v + thr
            else:
                w[h] = 0.0
            scale = lr
        else:
            m = abs(wh)
            if m == 0.0:
                for k in range(d):
                    theta_p[h, k] = theta[h, k]
                continue
            s = 1.0 if wh > 0.0 else -1.0
            ratio = wh / wp if wp != 0.0 else 1.0
            mom = math.exp(beta * math.log(ratio)) if (beta != 0.0 and ratio > 0.0) else 1.0
            w[h] = wh * mom * math.exp(-lr * (s * g_w[h] + pen))
            scale = lr / m
        dot = 0.0
        for k in range(d):
            dot += theta[h, k] * g_theta[h, k]
        nrm2 = 0.0
        for k in range(d):
            th = theta[h, k]
            u = th + beta * (th - theta_p[h, k]) - scale * (g_theta[h, k] - dot * th)
            theta_p[h, k] = th
            theta[h, k] = u
            nrm2 += u * u
        if nrm2 > 0.0:
            inv = 1.0 / math.sqrt(nrm2)
            for k in range(d):
                theta[h, k] *= inv


@nb.njit(parallel=True, cache=True, nogil=True)
def _pattern_kernel(theta, b, keep, X, bits):
    """bits[i] = activation pattern {theta_keep[i] . x_j + b_keep[i] > 0}_j packed in 64-bit words."""
    n, d = X.shape
    nw = bits.shape[1]
    hasb = b.shape[0] > 0
    for i in nb.prange(keep.shape[0]):
        h = keep[i]
        for q in range(nw):
            bits[i, q] = 0
        for j in range(n):
            z = b[h] if hasb else 0.0
            for k in range(d):
                z += theta[h, k] * X[j, k]
            if z > 0.0:
                bits[i, j >> 6] |= np.uint64(1) << np.uint64(j & 63)


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _gram_tangent(X, YT, c1, c0, out):
    """out[i, j] = c1 kappa_1(t) + c0 t kappa_0(t), t = X[i] . Y[j] (same tiling as kernels.py)."""
    n = X.shape[0]
    m = YT.shape[1]
    BR = 16
    BC = 512
    for b in nb.prange((n + BR - 1) // BR):
        acc = np.empty(BC)
        for j0 in range(0, m, BC):
            wd = min(BC, m - j0)
            for i in range(b * BR, min(n, (b + 1) * BR)):
                _dot_block(X, YT, i, j0, wd, acc)
                for j in range(wd):
                    t = fm.clip1(acc[j])
                    out[i, j0 + j] = c1 * fm.arccos1(t) + c0 * t * fm.arccos0(t)


@nb.njit(parallel=True, cache=True, nogil=True, fastmath=_FM)
def _map_tangent(t, c1, c0, out):
    for i in nb.prange(t.shape[0]):
        out[i] = c1 * fm.arccos1(t[i]) + c0 * t[i] * fm.arccos0(t[i])


def _n_tasks(H):
    return max(1, min(H, _TASKS_PER_THREAD * nb.get_num_threads()))

