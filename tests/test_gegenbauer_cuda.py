"""CUDA twin of gegenbauer.table, against the CPU kernel (simulator without a GPU, see conftest.py)."""
import numpy as np
import pytest

from spherekern import _cuda, config, gegenbauer

pytestmark = pytest.mark.cuda


@pytest.fixture
def small_blocks(monkeypatch):
    # a small block size so that several blocks (and a partial last block) run
    monkeypatch.setattr(config, "THREADS_PER_BLOCK", 8)


@pytest.mark.skipif(not _cuda.available(), reason="no CUDA GPU and simulator disabled")
@pytest.mark.parametrize("d", [2, 3, 5, 50])
def test_table_cuda_matches_cpu(d, small_blocks):
    t = np.concatenate([[-1.0, 1.0, 0.0, -0.999999, 0.9999999], np.random.default_rng(d).uniform(-1, 1, 14)])
    kmax = 40 if _cuda.simulated() else 2000
    cpu = gegenbauer.table(t, kmax, d)
    gpu = gegenbauer.table(t, kmax, d, device="cuda")
    # d = 2 is cos(k arccos t): CUDA's acos (<= 2 ulp) and the host's may differ by an ulp of theta, which
    # cos(k theta) amplifies by k (the conditioning of the table, not an error of either recurrence)
    k = np.arange(kmax + 1)[:, None]
    atol = 1e-13 + (1.5e-15 * k if d == 2 else 0.0)
    assert np.all(np.abs(gpu - cpu) <= atol)


def test_cuda_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_cuda, "available", lambda: False)
    with pytest.raises(RuntimeError, match="needs an NVIDIA GPU"):
        gegenbauer.table(np.array([0.1]), 3, 3, device="cuda")


def test_bad_device():
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        gegenbauer.table(np.array([0.1]), 3, 3, device="gpu")


@pytest.mark.skipif(not _cuda.available(), reason="no CUDA GPU and simulator disabled")
def test_table_cuda_device_out(small_blocks):
    from numba import cuda
    t = np.linspace(-1, 1, 37)
    d_out = cuda.device_array((9, 37))
    res = gegenbauer.table(t, 8, 4, out=d_out, device="cuda")
    np.testing.assert_allclose(res.copy_to_host(), gegenbauer.table(t, 8, 4), atol=1e-14, rtol=0)
    with pytest.raises(ValueError, match="out must have shape"):
        gegenbauer.table(t, 8, 4, out=cuda.device_array((8, 37)), device="cuda")
