"""Dot-product kernels on the sphere: the ReLU NTK, arc-cosine kernels, kernels from a spectrum.

A kernel here is a function ``phi`` of the dot product ``t = x . y`` of two points of the unit
sphere S^{d-1} (``d`` is the ambient dimension, docs/CONVENTIONS.md).  Every kernel object has

* ``kernel(t)``: ``phi(t)`` elementwise (``t`` in [-1, 1]; within ``T_TOL = 1e-12`` outside it is
  clipped, further out is a ``ValueError``);
* ``kernel.gram(X, Y=None, out=None, dtype=np.float64, device="cpu")``: the matrix
  ``K[i, j] = phi(X[i] . Y[j])``, computed by a compiled, cache-tiled, vectorised loop that
  writes straight into ``out`` (no n x m temporaries);
* ``kernel.spectrum(d, kmax)``: the Funk--Hecke eigenvalues ``mu_k``, k = 0..kmax, defined by
  ``phi(t) = sum_k mu_k N(k, d) P_k(t)``, equivalently ``mu_k = E[phi(x.y) P_k(x.y)]`` for x, y
  independent and uniform on S^{d-1} (probability measure, ``P_k(1) = 1``); the integral operator
  of ``phi(x.y)`` multiplies every degree-k spherical harmonic by ``mu_k``.

Normalisation (docs/CONVENTIONS.md).  With ``theta = arccos t``, the arc-cosine kernels of
Cho & Saul (2009) are

    kappa_n(t) = E_{w ~ N(0, I_d)}[relu(w.x)^n relu(w.y)^n] = J_n(theta) / (2 pi),
    J_0 = pi - theta,   J_1 = sin theta + (pi - theta) cos theta,
    J_n = (2n - 1) cos(theta) J_{n-1} + (n - 1)^2 sin^2(theta) J_{n-2}   (n >= 2),

(the recursion follows from ``J_n = 2^n n! int_{theta - pi/2}^{pi/2} cos^n(a) cos^n(a - theta) da``)
and the neural tangent kernel of ``f(x) = H^{-1/2} sum_h w_h relu(theta_h . x)``,
``theta_h ~ N(0, I_d)``, ``w_h ~ N(0, 1)``, both layers trained, in the infinite-width limit is

    Theta(t) = kappa_1(t) + t kappa_0(t) = (sqrt(1 - t^2) + 2 (pi - arccos t) t) / (2 pi),

so ``Theta(1) = 1`` (Jacot, Gabriel & Hongler 2018; neural-tangents ``Dense(W_std=1) >> Relu >>
Dense(W_std=1)`` without bias gives the same kernel up to their ``1/d`` input scaling).

Nearly coincident or antipodal points (``gram`` only).  The closed-form kernels are functions of the
angle ``theta = arccos t`` with square-root singularities at ``t = +-1`` (``kappa_0`` and the NTK have
``dphi/dt ~ 1 / (2 pi sin theta)``).  A computed dot product carries an absolute rounding error
``|dt| <= gamma ~ (d/4 + 3) u`` (u = 2^-53), so ``phi(fl(x . y))`` is off by ``~ gamma / (2 pi sin theta)``:
up to ~1e-8 for points 1e-8 apart, more than ``phi(1) - phi(t) ~ theta / (2 pi)``, the eigenvalue that such
a pair contributes to the Gram matrix (which then becomes indefinite in float64).  ``kernel(t)`` on a
bare ``t`` cannot do better (the digits are gone from ``t``), but ``gram`` can: for entries with
``|t| > 1 - s*``, ``s* = 2^-12``, it recomputes ``s = 1 - |t|`` from the coordinates as
``|x - y|^2 / 2`` (or ``|x + y|^2 / 2`` near ``t = -1``), a sum of squared differences with relative
error ~ (d + 2) u at any angle, and evaluates ``phi`` through ``h = 2 asin(sqrt(s / 2))`` (the angle to
the nearer of ``+-x``), ``cos theta = +-(1 - s)``, ``sin theta = sqrt(s (2 - s))``, ``pi - theta = pi - h``
or ``h``.  Every Gram entry of NTK and ArcCos(n) is then within a few ulp of ``phi`` at the exact angle
between the two (double-precision) points, down to exact duplicates (``phi(1)``), so ``phi(1) - phi(t)``
keeps its relative accuracy wherever ``phi(t)`` itself can represent it.  Choice of ``s*``: outside the
band (``sin theta >= sqrt(2 s*) ~ 0.022``) the first-order error of the dot-product route is at most
``gamma / (2 pi 0.022) ~ 7 gamma``, below 1e-14 for d <= 39 by the worst-case bound (and for far larger d
with the typical, random-walk, rounding), and the relative error of ``phi(1) - phi(t)`` is at most
``gamma / (2 s*) ~ 2e3 gamma``; the band holds a fraction ``~ 2 sqrt(2 s*) / pi ~ 1.4%`` of the pairs
of uniform points for d = 2 and ``~ (2 s*)^((d-1)/2)`` in general, so the second pass is rare except
for d = 2.  For unit x, y, ``|x - y|^2 / 2 = 1 - x . y`` exactly; for rows of norm ``1 + eps`` (allowed up
to 1e-6) the two routes differ by ``O(eps)`` in ``s``, which the dot-product route suffers everywhere
anyway.  ``FromSpectrum`` is a polynomial in ``t`` (no singularity) and uses ``t`` throughout.

Speed.  The Gram kernels compute a block of dot products into a thread-local buffer and map it
through a branch-free polynomial ``arccos`` (:mod:`spherekern._fastmath`, < 2 ulp), so LLVM
vectorises the whole inner loop, which also counts the entries in the band above; only row segments
holding one get a second (vectorised, chunked) pass.  The cost is within a small factor of the "floor",
the same loops writing the plain dot-product Gram (bench/bench_kernels.py).

Layout.  :mod:`~spherekern.kernels.base` (the :class:`Kernel` base class: validation, ``out``, dispatch to
the CPU loop or the CUDA twin :mod:`spherekern.kernels_cuda`; the shared dot-product tile),
:mod:`~spherekern.kernels.dot_product` (:class:`NTK`, :class:`ArcCos`; their compiled loops in
``_closed``), :mod:`~spherekern.kernels.from_spectrum` (:class:`FromSpectrum`; its Chebyshev / Horner loop and
basis conversion in ``_series``).  Everything public is imported here: ``from spherekern.kernels import NTK``.

References
----------
Y. Cho and L. K. Saul, "Kernel methods for deep learning", NeurIPS 2009.
A. Jacot, F. Gabriel and C. Hongler, "Neural tangent kernel", NeurIPS 2018.
A. Bietti and J. Mairal, "On the inductive bias of neural tangent kernels", NeurIPS 2019.
"""
from __future__ import annotations

# private helpers re-exported for the network passes, the benchmarks and the tests (kept where they were
# before the module became a package)
from ._closed import _gram_dot  # noqa: F401
from ._series import _legendre_to_chebyshev  # noqa: F401
from .base import Kernel, _dot_block  # noqa: F401
from .dot_product import MAX_DEGREE, NTK, ArcCos
from .from_spectrum import FromSpectrum

__all__ = ["Kernel", "NTK", "ArcCos", "FromSpectrum", "MAX_DEGREE"]
