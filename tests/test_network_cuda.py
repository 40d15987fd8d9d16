"""CUDA twins of the network passes (spherekern.network_cuda) against the CPU kernels and naive numpy.

Without a GPU they run on numba's CUDA simulator (tests/conftest.py sets NUMBA_ENABLE_CUDASIM=1 before
numba is imported; CPU njit kernels are unaffected), with config.THREADS_PER_BLOCK patched to 8 so that
several thread blocks (and a partial last block) run; sizes are tiny because the simulator runs every
thread in Python. On a machine with an NVIDIA GPU the same tests run on the device, larger.
"""
import numpy as np
import pytest

from spherekern import _cuda, config
from spherekern.network import TwoLayerNet, train

pytestmark = pytest.mark.cuda
needs_cuda = pytest.mark.skipif(not _cuda.available(), reason="no CUDA GPU and simulator disabled")


def sphere_points(n, d, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(config, "THREADS_PER_BLOCK", 8)


def _size(sim, real):
    return sim if _cuda.simulated() else real


@needs_cuda
@pytest.mark.parametrize("d", [3, 10])       # d = 10 > 8: g_theta accumulated in two register passes
def test_passes_match_cpu_and_naive(d, small_blocks):
    H = _size(19, 5000)
    n = _size(4, 300)
    X = sphere_points(n, d, 1)
    y = np.random.default_rng(2).standard_normal(n)
    net = TwoLayerNet(d, H, xi=0.5, sphere=False, seed=3)
    rng = np.random.default_rng(4)
    net.weights[:] = rng.standard_normal(H)
    net.weights[::5] = 0.0
    net.directions[:] += 0.2 * rng.standard_normal((H, d))
    f_cpu = net.predict(X)
    f_gpu = net.predict(X, device="cuda")
    a = net.scale
    f_naive = a * (np.maximum(X @ net.directions.T, 0) @ net.weights
                   - 0.5 * np.maximum(X @ net.directions0.T, 0) @ net.weights0)
    np.testing.assert_allclose(f_gpu, f_naive, rtol=0, atol=1e-13)
    np.testing.assert_allclose(f_gpu, f_cpu, rtol=0, atol=1e-13)
    obj_c, gw_c, gt_c = net.loss_and_grad(X, y)
    obj_g, gw_g, gt_g = net.loss_and_grad(X, y, device="cuda")
    assert obj_g == pytest.approx(obj_c, rel=1e-13)
    np.testing.assert_allclose(gw_g, gw_c, rtol=0, atol=1e-15)
    np.testing.assert_allclose(gt_g, gt_c, rtol=0, atol=1e-15)


@needs_cuda
@pytest.mark.parametrize("xi,sphere,lam,conic,beta", [(1.0, False, 0.0, False, 0.5),
                                                      (0.0, True, 0.02, False, 0.0),
                                                      (0.0, True, 0.02, True, 0.5)])
def test_training_matches_cpu(xi, sphere, lam, conic, beta, small_blocks):
    H = _size(17, 3000)
    n = _size(4, 200)
    steps = _size(2, 50)
    d = 3
    X = sphere_points(n, d, 5)
    y = np.abs(X[:, 0]) - 0.3
    cpu = TwoLayerNet(d, H, xi=xi, sphere=sphere, seed=6)
    gpu = cpu.copy()
    kw = dict(lr=0.7, steps=steps, tol=0, rtol=0, lam=lam, conic=conic, momentum=beta, progress=False)
    hc = train(cpu, X, y, **kw)
    hg = train(gpu, X, y, device="cuda", **kw)
    np.testing.assert_allclose(gpu.weights, cpu.weights, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gpu.directions, cpu.directions, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(hg.loss, hc.loss, rtol=1e-11, atol=1e-15)
    assert list(hg.n_atoms) == list(hc.n_atoms)
