"""The base class of the dot-product kernels and the tile machinery their compiled Gram loops share.

:class:`Kernel` validates the inputs of ``kernel(t)`` and ``kernel.gram(X, Y)`` (allocating or checking
``out``) and dispatches to a subclass's compiled CPU loop or to the CUDA twin
(:mod:`spherekern.kernels_cuda`).  ``_dot_block`` is the vectorised dot-product block that every CPU Gram
loop (:mod:`spherekern.kernels._closed`, :mod:`spherekern.kernels._series`, the network passes) starts from.
Conventions: the package docstring of :mod:`spherekern.kernels` and docs/CONVENTIONS.md.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from .. import _cuda
from .._validate import _float_dtype, as_points, as_t, check_device, check_out

__all__ = ["Kernel"]

#: rows of X per parallel task and columns of Y per inner block (the YT block, d x _BC, and the
#: row buffers stay in L1/L2)
_BR = 16
_BC = 256
#: FMA contraction only (no reassociation, no finite-math assumptions): more accurate, never less.
_FM = {"contract"}
_INV_2PI = 0.15915494309189535


# ----------------------------------------------------------------------------------------------
# the dot-product block (private; the wrappers validate everything first)
# ----------------------------------------------------------------------------------------------
@nb.njit(inline="always", cache=True, nogil=True, fastmath=_FM)
def _dot_block(X, YT, i, j0, w, acc):
    """acc[j] = X[i] . Y[j0 + j] for j < w (YT is Y transposed, shape (d, m)).

    The sum over the d coordinates is taken four (then two, then one) at a time per pass over
    ``acc`` so that the buffer is loaded and stored d/4 times, not d times; the same fixed order for
    every (i, j).  Contiguous slices indexed from 0 let LLVM
    vectorise without gathers.
    """
    d = X.shape[1]
    k = 0
    if d >= 4:
        x0 = X[i, 0]
        x1 = X[i, 1]
        x2 = X[i, 2]
        x3 = X[i, 3]
        y0 = YT[0, j0:j0 + w]
        y1 = YT[1, j0:j0 + w]
        y2 = YT[2, j0:j0 + w]
        y3 = YT[3, j0:j0 + w]
        for j in range(w):
            acc[j] = (x0 * y0[j] + x1 * y1[j]) + (x2 * y2[j] + x3 * y3[j])
        k = 4
    else:
        x0 = X[i, 0]
        y0 = YT[0, j0:j0 + w]
        for j in range(w):
            acc[j] = x0 * y0[j]
        k = 1
    while k + 4 <= d:
        x0 = X[i, k]
        x1 = X[i, k + 1]
        x2 = X[i, k + 2]
        x3 = X[i, k + 3]
        y0 = YT[k, j0:j0 + w]
        y1 = YT[k + 1, j0:j0 + w]
        y2 = YT[k + 2, j0:j0 + w]
        y3 = YT[k + 3, j0:j0 + w]
        for j in range(w):
            acc[j] += (x0 * y0[j] + x1 * y1[j]) + (x2 * y2[j] + x3 * y3[j])
        k += 4
    if k + 2 <= d:
        x0 = X[i, k]
        x1 = X[i, k + 1]
        y0 = YT[k, j0:j0 + w]
        y1 = YT[k + 1, j0:j0 + w]
        for j in range(w):
            acc[j] += x0 * y0[j] + x1 * y1[j]
        k += 2
    if k < d:
        x0 = X[i, k]
        y0 = YT[k, j0:j0 + w]
        for j in range(w):
            acc[j] += x0 * y0[j]

class Kernel:
    """A dot-product kernel ``K(x, y) = phi(x.y)`` on the unit sphere S^{d-1}.

    Subclasses define ``_eval(t)`` (``t`` validated, clipped, 1-D float64), ``_gram_cpu(X, YT, out)``
    and ``spectrum(d, kmax)``.  See the :mod:`spherekern.kernels` docstring for the conventions.
    """

    #: ambient dimension the kernel is tied to (``None``: any d)
    d = None

    def __call__(self, t):
        """phi(t), elementwise.

        Parameters
        ----------
        t : array_like
            Dot products in [-1, 1] (values within 1e-12 outside are clipped).

        Returns
        -------
        ndarray of float64, the shape of ``t`` (a numpy scalar for a scalar ``t``).

        Notes
        -----
        ``phi`` is evaluated to a few ulp at the given ``t``.  Near ``t = +-1`` a ``t`` obtained as a
        rounded dot product has already lost the digits of ``1 -+ t`` that the square-root singularity
        amplifies; :meth:`gram` recomputes them from the points (:mod:`spherekern.kernels` docstring).
        """
        t = as_t(t, "t")
        flat = np.ascontiguousarray(t.reshape(-1))
        res = np.empty_like(flat)
        if flat.size:
            self._eval(flat, res)
        res = res.reshape(t.shape)
        return res[()] if res.ndim == 0 else res

    def gram(self, X, Y=None, out=None, dtype=np.float64, device="cpu"):
        """Gram matrix ``K[i, j] = phi(X[i] . Y[j])``.

        Parameters
        ----------
        X : array_like, shape (n, d)
            Points of S^{d-1} (rows of unit norm to within 1e-6; not renormalised).
        Y : array_like, shape (m, d), optional
            Second point set (default: ``X``, giving the symmetric n x n Gram matrix).
        out : ndarray, shape (n, m), optional
            Preallocated C-contiguous output of dtype ``dtype``; written in place and returned.  With
            ``device="cuda"`` it may also be a GPU array (numba device array, CuPy, PyTorch): the Gram
            matrix is then left on the GPU, with no copy to the host.
        dtype : {np.float64, np.float32}
            Output precision (the arithmetic is float64 in both cases).
        device : {"cpu", "cuda"}
            ``"cuda"`` runs the numba.cuda twin (:mod:`spherekern.kernels_cuda`); it raises
            ``RuntimeError`` when no CUDA device (or simulator) is available.

        Returns
        -------
        out : ndarray, shape (n, m)

        Notes
        -----
        Dot products are clipped to [-1, 1] before ``phi`` is applied.  The CPU kernel computes
        the entries of a block of 16 rows x 256 columns as dot products in a buffer, then maps
        them through ``phi`` with a vectorised, branch-free arccos.  When ``Y`` is ``X`` the result is
        symmetric up to rounding (an entry and its mirror may be computed by the vector body and the
        scalar remainder of the inner loop, which can differ in the last bit); symmetrise with
        ``(K + K.T) / 2`` if exact symmetry matters.  Near ``t = +-1`` the closed-form kernels
        (NTK, ArcCos) have square-root singularities, where ``phi`` of a rounded dot product would be
        off by up to ``~ sqrt(2 d u) / pi``; entries with ``|t| > 1 - 2^-12`` are therefore evaluated from
        the angle recomputed from the coordinates (``|x -+ y|^2 / 2``), accurate to a few ulp at any angle
        (:mod:`spherekern.kernels` docstring), on the CPU and on the GPU.  ``kernel(t)`` cannot do this for a bare ``t``.
        """
        device = check_device(device)
        dt = _float_dtype(dtype, "dtype")
        X = as_points(X, "X", d=self.d)
        Y = X if Y is None else as_points(Y, "Y", d=X.shape[1])
        shape = (X.shape[0], Y.shape[0])
        if device == "cuda" and _cuda.is_device_array(out):
            out = _cuda.check_device_out(out, shape, dt, "out")
        elif out is None:
            out = np.empty(shape, dtype=dt)
        else:
            check_out(out, shape, dt, "out")
            if np.shares_memory(out, X) or np.shares_memory(out, Y):
                raise ValueError("out must not share memory with X or Y")
        if device == "cuda":
            _cuda.require_cuda()
            from .. import kernels_cuda
            return kernels_cuda.gram(self, X, Y, out)
        if out.size:
            YT = np.ascontiguousarray(Y.T)
            self._gram_cpu(X, YT, out)
        return out

    def spectrum(self, d, kmax):  # pragma: no cover - abstract
        raise NotImplementedError

    def _eval(self, t, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def _gram_cpu(self, X, YT, out):  # pragma: no cover - abstract
        raise NotImplementedError
