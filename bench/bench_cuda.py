"""CUDA twins (numba.cuda) against the CPU kernels of the same machine and what a GPU user would write.

Every test here skips without a real NVIDIA GPU (``numba.cuda.is_available()``; never under the simulator).
On a GPU machine: ``python -m pytest bench -o python_files="bench_*.py" --benchmark-only -k cuda_
--benchmark-json=bench/gpu.json``; ``python -m bench.report`` renders that file as its own section of RESULTS.md.

Hot paths (sizes as in the CPU benchmarks):

* ``cuda_ntk_gram``        NTK Gram n = m = 8000, d = 10, written into a *device* array (stays on the GPU).
  Baselines: ``__floor`` the same launch computing only the dot products; ``__cpu`` the parallel numba CPU
  kernel of this machine into a host array; ``__cupy`` what a CuPy user writes (``X @ X.T`` by cuBLAS,
  clip, the closed form with ``cp.arccos``), also into a preallocated device array.
* ``cuda_ntk_gram_host``   the same Gram returned in a host array: the 512 MB copy over PCIe dominates.
  Baselines: ``__floor`` (dot products, same copy) and ``__cpu``.
* ``cuda_gegenbauer_table`` kmax = 1000 on 10^5 points, d = 3, into a device array. Baselines: ``__floor``
  a kernel with the same grid and writes storing ``t[i]`` (no recurrence); ``__cpu``.
* ``cuda_teacher``         wide teacher H = 10^7 neurons on 10^4 points, d = 5 (``__cpu`` on H/10 neurons,
  per neuron-point pair).
* ``cuda_network_pass``    forward + backward, H = 2^16, n = 1024, d = 5 (device-resident parameters as in
  training; f comes back, r goes out). Baseline ``__cpu``: the CPU backend of the same machine.
"""
import numpy as np
import pytest

from bench._data import network_problem, sphere_points
from spherekern import _cuda, gegenbauer
from spherekern import network as nw
from spherekern.kernels import NTK
from spherekern.targets import Teacher


def _real_gpu():
    if _cuda.simulated():
        return False
    try:
        from numba import cuda
        return bool(cuda.is_available())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _real_gpu(), reason="needs a real CUDA GPU")

N, D = 8000, 10
KMAX, NT, DT = 1000, 100_000, 3
NTEACH, DTEACH, HTEACH = 10_000, 5, 10**7
HNET, NNET, DNET = 1 << 16, 1024, 5


@pytest.fixture(scope="module")
def cu():
    from numba import cuda
    return cuda


@pytest.fixture(scope="module")
def points():
    return sphere_points(N, D)


@pytest.fixture(scope="module")
def d_out(cu):
    return cu.device_array((N, N))


@pytest.fixture(scope="module")
def h_out():
    o = np.empty((N, N))
    o.fill(0.0)
    return o


def _group(benchmark, name, entries):
    benchmark.group = name
    benchmark.extra_info["entries"] = entries


# --- NTK Gram, device-resident output ---------------------------------------------------------------------
def test_cuda_ntk_gram__project(benchmark, points, d_out, h_out):
    NTK().gram(points[:20], out=np.empty((20, 20)), device="cuda")        # compile
    _group(benchmark, "cuda_ntk_gram", N * N)
    res = benchmark.pedantic(NTK().gram, args=(points,), kwargs=dict(out=d_out, device="cuda"), rounds=20,
                             warmup_rounds=2)
    ref = NTK().gram(points[:500], points)                                  # the timed work is right
    np.testing.assert_allclose(res.copy_to_host()[:500], ref, rtol=0, atol=2e-7)


def test_cuda_ntk_gram__floor(benchmark, points, d_out):
    from spherekern import kernels_cuda
    kernels_cuda.gram_dot(points[:20], points[:20], np.empty((20, 20)))
    _group(benchmark, "cuda_ntk_gram", N * N)
    benchmark.pedantic(kernels_cuda.gram_dot, args=(points, points, d_out), rounds=20, warmup_rounds=2)


def _ntk_cpu(benchmark, group, points, h_out):
    """The numba CPU kernel of this machine into a host array (the baseline of both Gram groups)."""
    NTK().gram(points[:20], out=np.empty((20, 20)))
    _group(benchmark, group, N * N)
    benchmark.pedantic(NTK().gram, args=(points,), kwargs=dict(out=h_out), rounds=5, warmup_rounds=1)


def test_cuda_ntk_gram__cpu(benchmark, points, h_out):
    _ntk_cpu(benchmark, "cuda_ntk_gram", points, h_out)


def test_cuda_ntk_gram__cupy(benchmark, points):
    cp = pytest.importorskip("cupy")
    dX = cp.asarray(points)
    out = cp.empty((N, N))

    def ntk_cupy():
        cp.matmul(dX, dX.T, out=out)
        cp.clip(out, -1.0, 1.0, out=out)
        res = (cp.sqrt(1.0 - out * out) + 2.0 * (np.pi - cp.arccos(out)) * out) / (2.0 * np.pi)
        cp.cuda.Device().synchronize()
        return res

    ntk_cupy()
    _group(benchmark, "cuda_ntk_gram", N * N)
    benchmark.pedantic(ntk_cupy, rounds=20, warmup_rounds=2)


# --- NTK Gram, host output (includes the device -> host copy) ----------------------------------------------
def test_cuda_ntk_gram_host__project(benchmark, points, h_out):
    NTK().gram(points[:20], out=np.empty((20, 20)), device="cuda")
    _group(benchmark, "cuda_ntk_gram_host", N * N)
    benchmark.pedantic(NTK().gram, args=(points,), kwargs=dict(out=h_out, device="cuda"), rounds=5,
                       warmup_rounds=1)


def test_cuda_ntk_gram_host__floor(benchmark, points, h_out):
    from spherekern import kernels_cuda
    _group(benchmark, "cuda_ntk_gram_host", N * N)
    benchmark.pedantic(kernels_cuda.gram_dot, args=(points, points, h_out), rounds=5, warmup_rounds=1)


def test_cuda_ntk_gram_host__cpu(benchmark, points, h_out):
    _ntk_cpu(benchmark, "cuda_ntk_gram_host", points, h_out)


# --- Gegenbauer table, device-resident output ---------------------------------------------------------------
@pytest.fixture(scope="module")
def tvals():
    return np.random.default_rng(3).uniform(-1, 1, NT)


def test_cuda_gegenbauer_table__project(benchmark, cu, tvals):
    out = cu.device_array((KMAX + 1, NT))
    gegenbauer.table(tvals[:10], 5, DT, device="cuda")
    _group(benchmark, "cuda_gegenbauer_table", (KMAX + 1) * NT)
    res = benchmark.pedantic(gegenbauer.table, args=(tvals, KMAX, DT), kwargs=dict(out=out, device="cuda"),
                             rounds=20, warmup_rounds=2)
    np.testing.assert_allclose(res.copy_to_host()[:, :1000], gegenbauer.table(tvals[:1000], KMAX, DT),
                               rtol=0, atol=1e-12)


def test_cuda_gegenbauer_table__floor(benchmark, cu, tvals):
    @cu.jit
    def write_floor(t, kmax, out):
        i = cu.grid(1)
        if i < t.shape[0]:
            ti = t[i]
            for k in range(kmax + 1):
                out[k, i] = ti

    from spherekern import config
    tpb = config.THREADS_PER_BLOCK
    out = cu.device_array((KMAX + 1, NT))

    def run():
        d_t = cu.to_device(tvals)                       # as the project: t is copied per call
        write_floor[(NT + tpb - 1) // tpb, tpb](d_t, KMAX, out)
        cu.synchronize()

    run()
    _group(benchmark, "cuda_gegenbauer_table", (KMAX + 1) * NT)
    benchmark.pedantic(run, rounds=20, warmup_rounds=2)


def test_cuda_gegenbauer_table__cpu(benchmark, tvals):
    out = np.empty((KMAX + 1, NT))
    gegenbauer.table(tvals[:10], 5, DT)
    _group(benchmark, "cuda_gegenbauer_table", (KMAX + 1) * NT)
    benchmark.pedantic(gegenbauer.table, args=(tvals, KMAX, DT), kwargs=dict(out=out), rounds=5,
                       warmup_rounds=1)


# --- wide teacher ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tpoints():
    return sphere_points(NTEACH, DTEACH)


def test_cuda_teacher__project(benchmark, tpoints):
    T = Teacher(DTEACH, "abs", 1.0, width=HTEACH, seed=1)
    Teacher(DTEACH, "abs", 1.0, width=100, seed=1)(tpoints[:300], device="cuda")
    _group(benchmark, "cuda_teacher", NTEACH * HTEACH)
    res = benchmark.pedantic(T, args=(tpoints,), kwargs=dict(device="cuda"), rounds=5, warmup_rounds=1)
    np.testing.assert_allclose(res[:200], T(tpoints[:200]), rtol=0, atol=1e-10)


def test_cuda_teacher__cpu(benchmark, tpoints):
    T = Teacher(DTEACH, "abs", 1.0, width=HTEACH // 10, seed=1)
    Teacher(DTEACH, "abs", 1.0, width=100, seed=1)(tpoints[:300])
    _group(benchmark, "cuda_teacher", NTEACH * (HTEACH // 10))
    benchmark.pedantic(T, args=(tpoints,), rounds=3, warmup_rounds=0)


# --- network forward + backward ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def net_problem():
    return network_problem(HNET, NNET, DNET)


def test_cuda_network_pass__project(benchmark, net_problem):
    from spherekern import network_cuda
    net, X, y = net_problem
    be = network_cuda._CUDABackend(net, X)

    def run():
        f = be.forward()                      # copies f (n values) to the host: synchronises
        be.backward((f - y) / NNET)
        be.cu.synchronize()

    run()
    _group(benchmark, "cuda_network_pass", HNET * NNET)
    benchmark.pedantic(run, rounds=20, warmup_rounds=2)
    g_w, g_theta = be.gradients()
    cpu = nw._CPUBackend(net, X)
    f = cpu.forward()
    cpu.backward((f - y) / NNET)
    np.testing.assert_allclose(g_w, cpu.g_w, rtol=0, atol=1e-12 * np.abs(cpu.g_w).max())


def test_cuda_network_pass__cpu(benchmark, net_problem):
    net, X, y = net_problem
    be = nw._CPUBackend(net, X)

    def run():
        f = be.forward()
        be.backward((f - y) / NNET)

    run()
    _group(benchmark, "cuda_network_pass", HNET * NNET)
    benchmark.pedantic(run, rounds=7, warmup_rounds=1)
