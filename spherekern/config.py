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
#: BLAS threads inside the atomic solver (its master LP's dense normal matrices and factorisations). Its BLAS calls
#: are many and mid-sized, between numba-parallel pricing sweeps; multi-threaded OpenBLAS made ``atomic(method=
#: "ipm")`` 2.8x slower on the 2-core development VM (n = 256, d = 3: 8.8 s with 2 threads, 2.9 s with 1; also
#: 2.5x with numba limited to one thread). ``None`` leaves the BLAS library's own setting.
ATOMIC_BLAS_THREADS = 1
