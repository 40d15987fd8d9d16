"""Tuning constants and tolerances, in one place.

Everything numerical that is a *choice* rather than a formula lives here, so that
the CPU kernels, their CUDA twins and the tests agree on it.
"""

#: Rows of ``X`` whose Euclidean norm differs from 1 by more than this are rejected.
SPHERE_TOL = 1e-6
#: Arguments ``t`` of dot-product functions outside [-1 - T_TOL, 1 + T_TOL] are rejected;
#: inside that band they are clipped to [-1, 1].
T_TOL = 1e-12
#: Threads per block of the CUDA kernels (tests patch it small so multi-block paths run).
THREADS_PER_BLOCK = 256
#: 2-D thread block edge for CUDA Gram kernels.
TILE = 16
#: Use numba fastmath in hot loops only where it is proven not to cost accuracy.
FASTMATH = False
