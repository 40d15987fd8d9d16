"""CUDA twins of the Gram kernels, against the CPU kernels and a numpy reference.

Without a GPU they run on numba's CUDA simulator (tests/conftest.py sets NUMBA_ENABLE_CUDASIM=1 before
numba is imported; CPU njit kernels are unaffected), with config.TILE patched to 4 so that several thread
blocks and partial edge blocks run. On a machine with an NVIDIA GPU the same tests run on the device
with larger sizes.
"""
import numpy as np
import pytest

from spherekern import _cuda, config
from spherekern.kernels import NTK, ArcCos, FromSpectrum

pytestmark = pytest.mark.cuda
needs_cuda = pytest.mark.skipif(not _cuda.available(), reason="no CUDA GPU and simulator disabled")


def sphere_points(n, d, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.fixture
def small_tile(monkeypatch):
    monkeypatch.setattr(config, "TILE", 4)


def _sizes():
    return (9, 11) if _cuda.simulated() else (700, 1300)


KERNELS = [NTK(), ArcCos(0), ArcCos(1), ArcCos(3), FromSpectrum([0.4, 0.2, 0.05, 0.01, 0.002], 5)]


@needs_cuda
@pytest.mark.parametrize("kern", KERNELS, ids=repr)
def test_gram_cuda_matches_cpu(kern, small_tile):
    n, m = _sizes()
    X = sphere_points(n, 5, 1)
    X[-1] = -X[0]                                   # an entry with t = -1 up to rounding
    Y = np.vstack([sphere_points(m - 1, 5, 2), X[:1]])   # and one with t = +1
    cpu = kern.gram(X, Y)
    gpu = kern.gram(X, Y, device="cuda")
    t = np.abs(X @ Y.T)
    far = t < 1 - 1e-8
    scale = max(1.0, float(kern(1.0)))
    np.testing.assert_allclose(gpu[far], cpu[far], atol=1e-14 * scale, rtol=0)
    # near +-1 both evaluate the closed forms at the angle recomputed from the coordinates (not from t);
    # FromSpectrum is a polynomial in the rounded t, whose error it merely scales by a bounded slope
    tol = 1e-14 if isinstance(kern, FromSpectrum) else 4 * np.finfo(float).eps
    np.testing.assert_allclose(gpu[~far], cpu[~far], atol=tol * scale, rtol=0)


@needs_cuda
@pytest.mark.parametrize("kern", [NTK(), ArcCos(0), ArcCos(1), ArcCos(2), ArcCos(4)], ids=repr)
def test_gram_cuda_near_pairs_match_cpu(kern, small_tile):
    # pairs at angles 1e-12..0.03 from x and from -x (both sides of the band |t| > 1 - 2^-12, theta < 0.0221),
    # exact duplicates and antipodes: CPU (vectorised chunk pass) and GPU (per-thread branch) agree to a few ulp
    rng = np.random.default_rng(11)
    d = 3
    X = sphere_points(4, d, 12)
    ys = []
    for th in [0.0, 1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 0.02, 0.03]:
        v = rng.standard_normal(d)
        v -= (v @ X[0]) * X[0]
        v /= np.linalg.norm(v)
        y = np.cos(th) * X[0] + np.sin(th) * v
        ys += [y / np.linalg.norm(y), -y / np.linalg.norm(y)]
    Y = np.vstack([np.array(ys), sphere_points(5, d, 13)])
    cpu = kern.gram(X, Y)
    gpu = kern.gram(X, Y, device="cuda")
    scale = max(1.0, float(kern(1.0)))
    np.testing.assert_allclose(gpu, cpu, atol=4 * np.finfo(float).eps * scale, rtol=0)
    assert cpu[0, 0] == pytest.approx(float(kern(1.0)), rel=2 * np.finfo(float).eps, abs=0)


@needs_cuda
def test_gram_cuda_symmetric_float32_and_out(small_tile):
    n, _ = _sizes()
    X = sphere_points(n, 3, 3)
    out = np.empty((n, n), np.float32)
    res = NTK().gram(X, out=out, dtype=np.float32, device="cuda")
    assert res is out
    np.testing.assert_allclose(out, NTK().gram(X).astype(np.float32), atol=2e-7, rtol=0)
    G = ArcCos(2).gram(X, device="cuda")
    np.testing.assert_allclose(G, G.T, atol=1e-14, rtol=0)


@needs_cuda
def test_gram_cuda_floor(small_tile):
    from spherekern import kernels_cuda
    X, Y = sphere_points(6, 4, 4), sphere_points(10, 4, 5)
    out = np.empty((6, 10))
    kernels_cuda.gram_dot(X, Y, out)
    np.testing.assert_allclose(out, X @ Y.T, atol=1e-15, rtol=0)


def test_cuda_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_cuda, "available", lambda: False)
    with pytest.raises(RuntimeError, match="needs an NVIDIA GPU"):
        NTK().gram(sphere_points(3, 3, 0), device="cuda")


def test_cuda_validates_before_launch():
    with pytest.raises(ValueError, match="X row 0 has norm"):
        NTK().gram(2 * sphere_points(3, 3, 0), device="cuda")
    with pytest.raises(ValueError, match="X has 3 columns but d = 4"):
        FromSpectrum([1.0], 4).gram(sphere_points(3, 3, 0), device="cuda")


@needs_cuda
def test_gram_cuda_device_out_stays_on_gpu(small_tile):
    from numba import cuda
    n, m = _sizes()
    X, Y = sphere_points(n, 4, 6), sphere_points(m, 4, 7)
    d_out = cuda.device_array((n, m))
    res = NTK().gram(X, Y, out=d_out, device="cuda")
    assert not isinstance(res, np.ndarray)
    np.testing.assert_allclose(res.copy_to_host(), NTK().gram(X, Y), atol=1e-14, rtol=0)


@needs_cuda
def test_gram_cuda_device_out_checked():
    from numba import cuda
    X = sphere_points(5, 4, 8)
    with pytest.raises(ValueError, match=r"out must have shape \(5, 5\)"):
        NTK().gram(X, out=cuda.device_array((5, 4)), device="cuda")
    with pytest.raises(TypeError, match="out must have dtype float64"):
        NTK().gram(X, out=cuda.device_array((5, 5), dtype=np.float32), device="cuda")
