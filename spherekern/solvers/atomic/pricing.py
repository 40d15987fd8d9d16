"""Pricing: candidate maxima of ``|eta(theta)|`` over the sphere for the column generation of the atomic solver.

``d = 2``, ``power = 1``: the exact sweep of the 2n arcs between breakpoints (:func:`_sweep_d2`). ``d >= 3``,
``power = 1``: the cell walk of :mod:`.cellwalk`. ``power != 1``: multi-start Riemannian gradient ascent
(:func:`_ascent_smooth`). Also the helpers that pick starts and distinct new columns."""
from __future__ import annotations

import numba as nb
import numpy as np

from ._config import _DUP_TOL, _SAMPLE_MIN, _SAMPLE_TOP
from ._kernels import _act, _dot, _row_dot, _weighted_sum
from .cellwalk import _ascent_relu


@nb.njit(cache=True)
def _eta_grad(X, q, power, theta, g):
    n, d = X.shape
    for a in range(d):
        g[a] = 0.0
    e = 0.0
    for j in range(n):
        tj = _row_dot(X, j, theta)
        if tj > 0.0:
            e += q[j] * _act(tj, power)
            c = q[j] * power * _act(tj, power - 1.0) if power != 1.0 else q[j]
            for a in range(d):
                g[a] += c * X[j, a]
    return e


@nb.njit(parallel=True, cache=True)
def _ascent_smooth(X, p, power, starts, out_theta, out_val, max_iter):
    """Riemannian gradient ascent (Armijo, retraction by normalisation) of sigma*eta, power > 1."""
    m = starts.shape[0]
    n, d = X.shape
    scale = 0.0
    for j in range(n):
        scale += abs(p[j])
    for i in nb.prange(2 * m):
        sigma = 1.0 if i < m else -1.0
        q = np.empty(n)
        for j in range(n):
            q[j] = sigma * p[j]
        th = np.empty(d)
        g = np.empty(d)
        cand = np.empty(d)
        gc = np.empty(d)
        st = starts[i % m]
        nrm = np.sqrt(_dot(st, st))
        for a in range(d):
            th[a] = st[a] / nrm
        e = _eta_grad(X, q, power, th, g)
        step = 0.5
        for _ in range(max_iter):
            gt = _dot(g, th)
            gn2 = 0.0
            for a in range(d):
                g[a] -= gt * th[a]
                gn2 += g[a] * g[a]
            gn = np.sqrt(gn2)
            if gn <= 1e-13 * (scale + 1e-300):
                break
            if step * gn > 0.5:  # at most ~0.5 rad per step
                step = 0.5 / gn
            accepted = False
            while step * gn > 1e-16:
                nc = 0.0
                for a in range(d):
                    cand[a] = th[a] + step * g[a]
                    nc += cand[a] * cand[a]
                nc = np.sqrt(nc)
                for a in range(d):
                    cand[a] /= nc
                ec = _eta_grad(X, q, power, cand, gc)
                if ec >= e + 1e-4 * step * gn2:
                    accepted = True
                    break
                step *= 0.5
            if not accepted:
                break
            for a in range(d):
                th[a] = cand[a]
                g[a] = gc[a]
            e = ec
            step *= 2.0
        for a in range(d):
            out_theta[i, a] = th[a]
        out_val[i] = sigma * e


@nb.njit(parallel=True, cache=True)
def _sweep_d2(X, p, ang, bdir, out_theta, out_val):
    """Exact pricing on the circle (d = 2, power = 1).

    ``ang`` (sorted) and ``bdir`` are the 2n angles / unit directions where theta . x_j = 0. On the arc
    between consecutive breakpoints eta(theta) = theta . v with v fixed; its maximum (and that of -eta)
    over the closed arc is at the stationary angle of v (if inside) or at an endpoint.
    """
    nb2 = ang.shape[0]
    n = X.shape[0]
    twopi = 2.0 * np.pi
    for k in nb.prange(nb2):
        a0 = ang[k]
        if k + 1 < nb2:
            a1 = ang[k + 1]
            e1 = bdir[k + 1]
        else:
            a1 = ang[0] + twopi
            e1 = bdir[0]
        e0 = bdir[k]
        mid = 0.5 * (a0 + a1)
        c = np.cos(mid)
        s_ = np.sin(mid)
        v0 = 0.0
        v1 = 0.0
        for j in range(n):
            if c * X[j, 0] + s_ * X[j, 1] > 0.0:
                v0 += p[j] * X[j, 0]
                v1 += p[j] * X[j, 1]
        for sg in range(2):
            sigma = 1.0 if sg == 0 else -1.0
            w0 = sigma * v0
            w1 = sigma * v1
            best = -np.inf
            bx = 0.0
            by = 0.0
            a_s = np.arctan2(w1, w0)
            while a_s < a0:
                a_s += twopi
            while a_s >= a0 + twopi:
                a_s -= twopi
            if a_s <= a1 and (w0 != 0.0 or w1 != 0.0):
                best = np.sqrt(w0 * w0 + w1 * w1)
                bx = np.cos(a_s)
                by = np.sin(a_s)
            else:
                f0 = e0[0] * w0 + e0[1] * w1
                f1 = e1[0] * w0 + e1[1] * w1
                if f0 >= f1:
                    best = f0
                    bx = e0[0]
                    by = e0[1]
                else:
                    best = f1
                    bx = e1[0]
                    by = e1[1]
            out_theta[2 * k + sg, 0] = bx
            out_theta[2 * k + sg, 1] = by
            out_val[2 * k + sg] = sigma * best


def _d2_breakpoints(X):
    # unit directions orthogonal to each x_j, built exactly: (-x1, x0) and (x1, -x0)
    bd = np.concatenate([np.stack([-X[:, 1], X[:, 0]], 1), np.stack([X[:, 1], -X[:, 0]], 1)])
    bd /= np.linalg.norm(bd, axis=1, keepdims=True)
    ang = np.mod(np.arctan2(bd[:, 1], bd[:, 0]), 2 * np.pi)
    order = np.argsort(ang, kind="stable")
    return np.ascontiguousarray(ang[order]), np.ascontiguousarray(bd[order])


def _d2_cell_dirs(d2data):
    """d = 2: two directions in every activation cell, its middle and its first breakpoint (2 x 2n rows).

    Within a cell relu(theta . x_j) is linear in theta, so two independent directions per cell span all the
    features the cell can give: with these columns the interpolation LP is always feasible (the columns of
    random directions can miss the narrow cells between close points and have rank < n)."""
    ang, bd = d2data
    mid = ang + 0.5 * np.diff(np.append(ang, ang[0] + 2 * np.pi))
    return np.concatenate([np.stack([np.cos(mid), np.sin(mid)], 1), bd])


def _price(X, p, power, starts, d2data, max_hops, signed=None, arc=True):
    """Candidate local maxima of |eta|: returns (theta (m, d), eta (m,)).

    d >= 3: ascents of ``+eta`` and ``-eta`` from every row of ``starts``, and of ``sign * eta`` only from the rows
    of ``signed = (directions, signs)`` (e.g. the current atoms, whose own sign is the one where |eta| is near 1).
    For power = 1 the cheap fixed-point hops run first from every start; the cell walk then runs once per
    distinct hop end point (many starts hop to the same cell maximiser), which gives the same maxima. ``arc``: the
    walk's steps include the exact arc line search (:func:`_arc_search`; power 1, d >= 3)."""
    n, d = X.shape
    if d2data is not None:
        ang, bd = d2data
        th = np.empty((2 * ang.shape[0], 2))
        ev = np.empty(2 * ang.shape[0])
        _sweep_d2(X, p, ang, bd, th, ev)
        return th, ev
    m = starts.shape[0]
    if power != 1.0:
        if signed is not None:
            starts = np.ascontiguousarray(np.concatenate([starts, signed[0]]))
            m = starts.shape[0]
        th = np.empty((2 * m, d))
        ev = np.empty(2 * m)
        _ascent_smooth(X, p, float(power), starts, th, ev, 500)
        return th, ev
    S = [starts, starts]
    sig = [np.ones(m), -np.ones(m)]
    if signed is not None:
        S.append(signed[0])
        sig.append(np.asarray(signed[1], dtype=np.float64))
    S = np.ascontiguousarray(np.concatenate(S))
    sig = np.concatenate(sig)
    th = np.empty_like(S)
    ev = np.empty(S.shape[0])
    _ascent_relu(X, p, S, sig, th, ev, max_hops, 0, True)
    key = np.concatenate([np.round(th, 10), sig[:, None]], 1)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    S, sig = np.ascontiguousarray(th[first]), sig[first]
    th = np.empty_like(S)
    ev = np.empty(S.shape[0])
    _ascent_relu(X, p, S, sig, th, ev, 0, 64 + 4 * n, arc)
    return th, ev


def _distinct(theta, existing, tol=_DUP_TOL):
    """Boolean mask of rows of theta that are not within tol of a row of existing nor of an earlier row."""
    m = theta.shape[0]
    keep = np.ones(m, bool)
    if existing is not None and existing.shape[0]:
        # |a - b|^2 = 2 - 2 a.b for unit vectors
        G = theta @ existing.T
        keep &= ~(np.max(G, axis=1) > 1 - 0.5 * tol * tol)
    G = theta @ theta.T
    close = G > 1 - 0.5 * tol * tol
    for i in range(m):
        if keep[i]:
            dup = np.flatnonzero(close[i, i + 1:]) + i + 1
            keep[dup] = False
    return keep


def _sampled_starts(X, p, power, rand_dirs):
    """The ``_SAMPLE_TOP`` of ``max(_SAMPLE_MIN, 50 n)`` random directions with the largest |eta| (one parallel
    pass): pricing starts in the basins of narrow maxima that the ascents from the training points and the
    random starts miss (measured: d = 4, n = 40, 5 of 12 seeds of the ipm path and d = 3, n = 48, 3 of 24
    seeds of the simplex path ended 1e-3..2e-3 below the sampled max|eta| without them)."""
    T = rand_dirs(max(_SAMPLE_MIN, 50 * X.shape[0]))
    e = np.empty(T.shape[0])
    _weighted_sum(T, X, p, float(power), e)
    return T[np.argpartition(-np.abs(e), _SAMPLE_TOP)[:_SAMPLE_TOP]]
