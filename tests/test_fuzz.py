"""Property-based fuzz test of the public API (issue #21): random shapes, dtypes, NaN/inf, scales and
overlapping ``out`` arrays; every call either returns finite values that match an independent reference
or raises ValueError/TypeError with a message (never another exception, never a silent wrong value).
Fast suite: small max_examples, no deadline."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spherekern import gegenbauer, harmonics, kernels, sphere

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OK_ERRORS = (ValueError, TypeError)


def _points(rng, n, d, scale, bad):
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    X = X * scale
    if bad == "nan" and X.size:
        X.flat[0] = np.nan
    elif bad == "inf" and X.size:
        X.flat[0] = np.inf
    return X


@FAST
@given(n=st.integers(0, 6), m=st.integers(0, 5), d=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1.0, 1.0 + 1e-9, 1.5, 1e-300]), bad=st.sampled_from(["", "", "nan", "inf"]),
       dtype=st.sampled_from([np.float64, np.float32, np.int64, np.complex128]),
       kern=st.sampled_from([kernels.NTK(), kernels.ArcCos(0), kernels.ArcCos(3)]))
def test_gram_fuzz(n, m, d, seed, scale, bad, dtype, kern):
    rng = np.random.default_rng(seed)
    X = _points(rng, n, d, scale, bad)
    Y = _points(rng, m, d, 1.0, "")
    try:
        with np.errstate(invalid="ignore", over="ignore"):     # NaN/inf cast to int64: garbage, rejected below
            Xc = X.astype(dtype)
    except (ValueError, OverflowError):
        return
    try:
        G = kern.gram(Xc, Y)
    except OK_ERRORS as exc:
        assert str(exc)
        return
    assert G.shape == (n, m) and np.all(np.isfinite(G))
    # independent reference: phi of the numpy dot products, away from the |t| ~ 1 band
    T = np.clip(np.asarray(Xc, float) @ Y.T, -1, 1)
    far = np.abs(T) < 0.99
    np.testing.assert_allclose(G[far], kern(T[far]), rtol=1e-12, atol=1e-14)


@FAST
@given(n=st.integers(1, 8), k=st.integers(0, 3), d=st.integers(2, 5), seed=st.integers(0, 2**32 - 1),
       offset=st.integers(0, 3))
def test_overlapping_out_is_rejected_everywhere(n, k, d, seed, offset):
    """An out that overlaps the input, at any offset, is a ValueError; a separate out gives the same values
    as the allocating call."""
    X = sphere.uniform(n, d, rng=seed)
    N = harmonics.basis_size(k, d)
    ref = harmonics.real_basis(X, k)
    big = np.zeros(X.size + n * N + offset)
    big[offset:offset + X.size] = X.ravel()
    Xv = big[offset:offset + X.size].reshape(X.shape)
    lo = offset + X.size // 2
    if lo + n * N <= big.size:
        with pytest.raises(ValueError, match="share memory"):
            harmonics.real_basis(Xv, k, out=big[lo:lo + n * N].reshape(n, N))
    np.testing.assert_array_equal(Xv, X)
    out = np.empty((n, N))
    np.testing.assert_array_equal(harmonics.real_basis(X, k, out=out), ref)
    buf = np.zeros(X.size + n * n)                # Gram out overlapping the last entry of X
    buf[:X.size] = X.ravel()
    Xb = buf[:X.size].reshape(X.shape)
    with pytest.raises(ValueError, match="share memory"):
        kernels.NTK().gram(Xb, out=buf[X.size - 1:X.size - 1 + n * n].reshape(n, n))
    np.testing.assert_array_equal(Xb, X)


@FAST
@given(t=st.lists(st.one_of(st.floats(-1.5, 1.5), st.just(np.nan), st.just(np.inf)), min_size=0, max_size=8),
       kmax=st.integers(0, 6), d=st.integers(2, 6))
def test_table_fuzz(t, kmax, d):
    t = np.array(t, dtype=float)
    try:
        P = gegenbauer.table(t, kmax, d)
    except OK_ERRORS as exc:
        assert str(exc)
        assert not (np.all(np.isfinite(t)) and np.all(np.abs(t) <= 1))
        return
    assert P.shape == (kmax + 1, t.size) and np.all(np.isfinite(P))
    np.testing.assert_allclose(P[0], 1.0)
    if kmax >= 1:
        np.testing.assert_allclose(P[1], t, atol=1e-15)   # P_1(t) = t in every d (P_k(1) = 1)
