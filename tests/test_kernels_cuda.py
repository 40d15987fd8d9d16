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


# ---------------------------------------------------------------------------------------------
# issue #21: the CUDA ArcCos runs the CPU twin's cancellation-free algorithm near t = -1 and for large n
# ---------------------------------------------------------------------------------------------
def arccos_mp_recursion(t, n, dps=700):
    """kappa_n(t) by Cho & Saul's recursion at 700 digits (its cancellation near t = -1, up to ~10^300 for
    n = 150, is harmless there), t an mpmath number or a float."""
    import mpmath as mp
    with mp.workdps(dps):
        t = t if isinstance(t, mp.mpf) else mp.mpf(float(t))
        ja = mp.pi - mp.acos(t)
        if n == 0:
            return ja / (2 * mp.pi)
        jb = mp.sqrt(1 - t * t) + ja * t
        for q in range(2, n + 1):
            ja, jb = jb, (2 * q - 1) * t * jb + (q - 1) ** 2 * (1 - t * t) * ja
        return jb / (2 * mp.pi)


def _pairs_at_angles(x, angles, seed):
    """Unit vectors at the given angles from x, each in its own random plane through x."""
    rng = np.random.default_rng(seed)
    ys = []
    for th in angles:
        v = rng.standard_normal(x.size)
        v -= (v @ x) * x
        v /= np.linalg.norm(v)
        y = np.cos(th) * x + np.sin(th) * v
        ys.append(y / np.linalg.norm(y))
    return np.array(ys)


@needs_cuda
@pytest.mark.parametrize("n", [1, 2, 3, 6, 20, 150])
def test_gram_cuda_arccos_near_pm1_and_large_n_vs_mpmath(n, small_tile):
    """Every entry of the CUDA Gram of ArcCos(n), for angles 1e-9..pi - 1e-9 from x, against kappa_n by the
    700-digit recursion (where the old recursion on the GPU went negative or lost every digit near t = -1 for
    n >= 2), as the CPU twin.

    Reference angle, in mpmath from the double-precision coordinates: in the band ``|t| > 1 - 2^-12`` the chord
    ``s = |x -+ y|^2 / 2`` (for unit vectors exactly ``1 -+ t``; the kernels take rows as unit, and the rows'
    norms, 1 +- 1e-16, would move the normalised ``1 + t = 5e-19`` at pi - 1e-9 by a relative 1e-14),
    elsewhere ``t = x.y / |x||y|``.  Tolerance (first order, u = 2^-53): the integral's ``(n + m) u``
    (``m = n // 2 + 10`` nodes) plus the chord's relative error ``(d + 2) u`` halved in the angle and raised to
    the power ``2n + 1`` (``kappa_n ~ phi^(2n+1)`` near t = -1), i.e. ``rel = ((2n + 1)(d + 2)/2 + n + m) u``;
    outside the band, plus the dot product's rounding ``(d + 2) u`` times the slope
    ``d kappa_n / dt = n^2 kappa_(n-1)`` (the Gram takes t from the computed dot product there, on both twins)."""
    import mpmath as mp
    d, u = 4, 2.0 ** -53
    rel = ((2 * n + 1) * (d + 2) / 2 + n + n // 2 + 10) * u
    x = sphere_points(1, d, 21)[0]
    ang = [1e-9, 1e-6, 1e-3, 0.02, 0.03, 0.3, 1.0, 1.4, 1.6, 2.0, 2.5, 2.9, np.pi - 0.03, np.pi - 0.02,
           np.pi - 1e-3, np.pi - 1e-6, np.pi - 1e-9]
    Y = _pairs_at_angles(x, ang, 22)
    X = np.vstack([x, sphere_points(2, d, 23)])
    gpu = ArcCos(n).gram(X, Y, device="cuda")
    cpu = ArcCos(n).gram(X, Y)
    assert np.all(gpu >= 0)
    from spherekern.kernels._closed import _T_NEAR
    with mp.workdps(700):
        xs = [mp.mpf(float(v)) for v in x]
        for j, y in enumerate(Y):
            ys = [mp.mpf(float(v)) for v in y]
            tn = mp.fsum(a * b for a, b in zip(xs, ys)) / mp.sqrt(mp.fsum(a * a for a in xs) * mp.fsum(b * b for b in ys))
            near = abs(float(x @ y)) > _T_NEAR
            if near:
                sg = 1 if tn > 0 else -1
                s = mp.fsum((a - sg * b) ** 2 for a, b in zip(xs, ys)) / 2
                tn = sg * (1 - s)
            ref = arccos_mp_recursion(tn, n)
            if abs(ref) < 1e-290:        # below the normal float64 range (n = 150 near pi): only sign and size
                assert gpu[0, j] <= 1e-280
                continue
            tol = rel * ref + (0 if near else n * n * arccos_mp_recursion(tn, n - 1) * (d + 2) * u)
            assert abs(gpu[0, j] - ref) <= tol, (n, ang[j], gpu[0, j], float(ref))
            assert abs(cpu[0, j] - ref) <= tol, (n, ang[j], cpu[0, j], float(ref))
    # the other rows (random angles): the twins agree up to their dot products' rounding times the slope
    far = np.abs(X[1:] @ Y.T) <= _T_NEAR
    slope = n * n * ArcCos(n - 1).gram(X[1:], Y)
    err = np.abs(gpu[1:] - cpu[1:])
    assert np.all(err <= 2 * rel * cpu[1:] + np.where(far, 2 * slope * (d + 2) * u, 0.0))
