"""spherekern.diffeo against a pure-Python reference loop, the sine series, Monte-Carlo and exact answers."""
import math

import numpy as np
import pytest

from spherekern import diffeo


# ---------------------------------------------------------------- slow, obviously-correct references
def _series(c, h, w):
    """dx, dy of the module docstring by explicit loops over pixels and modes."""
    n, _, k, _ = c.shape
    dx = np.zeros((n, h, w))
    dy = np.zeros((n, h, w))
    for b in range(n):
        for y in range(h):
            for x in range(w):
                s, t = x / (w - 1), y / (h - 1)
                for i in range(1, k + 1):
                    for j in range(1, k + 1):
                        m = math.sin(i * math.pi * s) * math.sin(j * math.pi * t)
                        dx[b, y, x] += w * c[b, 0, i - 1, j - 1] * m
                        dy[b, y, x] += h * c[b, 1, i - 1, j - 1] * m
    return dx, dy


def _reference_deform(img, dx, dy):
    """out[y, x] = img(y - dy, x - dx), clamped, bilinear with floor/ceil neighbours."""
    n, nc, h, w = img.shape
    out = np.zeros_like(img)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                px = min(max(x - dx[b, y, x], 0.0), w - 1)
                py = min(max(y - dy[b, y, x], 0.0), h - 1)
                xf, xc = math.floor(px), math.ceil(px)
                yf, yc = math.floor(py), math.ceil(py)
                ax, ay = px - xf, py - yf
                for c in range(nc):
                    out[b, c, y, x] = ((1 - ay) * (1 - ax) * img[b, c, yf, xf] + (1 - ay) * ax * img[b, c, yf, xc]
                                       + ay * (1 - ax) * img[b, c, yc, xf] + ay * ax * img[b, c, yc, xc])
    return out


def _lattice_sum(cut):
    return sum(1.0 / (i * i + j * j) for i in range(1, cut + 2) for j in range(1, cut + 2)
               if math.sqrt(i * i + j * j) < cut + 0.5)


# ---------------------------------------------------------------- the field and the deformation
@pytest.mark.parametrize("shape,cut", [((9, 9), 3), ((7, 12), 2), ((5, 6), 4)])
def test_field_matches_series(shape, cut):
    c = diffeo.sample_coefficients(3, 0.01, cut, rng=1)
    dx, dy = diffeo.displacement_field(c, shape)
    rx, ry = _series(c, *shape)
    scale = np.abs(rx).max()
    np.testing.assert_allclose(dx, rx, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(dy, ry, rtol=0, atol=1e-13 * scale)
    # modes outside the disc are zero: (cut, cut) has i^2 + j^2 = 2 cut^2 >= (cut + 1/2)^2 for cut >= 2
    if cut >= 2:
        assert np.all(c[:, :, cut - 1, cut - 1] == 0)


@pytest.mark.parametrize("shape,nc,T", [((9, 9), 1, 0.02), ((7, 12), 3, 0.05), ((6, 5), 2, 1.0)])
def test_deform_matches_reference_loop(shape, nc, T):
    rng = np.random.default_rng(2)
    img = rng.uniform(-1, 2, size=(4, nc) + shape)
    out = diffeo.deform(img, T, cut=3, rng=7)
    c = diffeo.sample_coefficients(4, T, 3, rng=7)
    ref = _reference_deform(img, *_series(c, *shape))
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12 * np.abs(img).max())
    if T == 1.0:                      # large fields: clamping at the border is exercised
        dx, dy = _series(c, *shape)
        xs = np.arange(shape[1])[None, None, :] - dx
        assert np.any((xs < 0) | (xs > shape[1] - 1))


def test_deform_moves_a_ramp_by_the_field():
    # a linear image is interpolated exactly: out - img = -dx wherever the sample point is not clamped
    h, w = 20, 24
    img = np.broadcast_to(np.arange(w, dtype=float), (h, w))[None, None].repeat(5, axis=0)
    T = diffeo.temperature((h, w), 0.8)
    out = diffeo.deform(img, T, rng=3)
    dx, _ = diffeo.displacement_field(diffeo.sample_coefficients(5, T, rng=3), (h, w))
    inside = (np.arange(w) - dx >= 0) & (np.arange(w) - dx <= w - 1)
    assert inside.mean() > 0.95
    np.testing.assert_allclose((out[:, 0] - img[:, 0])[inside], -dx[inside], rtol=0, atol=1e-12 * w)


def test_T_zero_identity_and_border():
    img = np.random.default_rng(0).standard_normal((3, 2, 8, 10))
    np.testing.assert_array_equal(diffeo.deform(img, 0.0, rng=1), img)
    out = diffeo.deform(img, 0.05, rng=1)
    np.testing.assert_array_equal(out[..., 0], img[..., 0])      # s = 0: the field vanishes exactly
    np.testing.assert_array_equal(out[..., 0, :], img[..., 0, :])  # t = 0 likewise
    assert not np.allclose(out, img)


# ---------------------------------------------------------------- temperature
def test_grid_factor_and_lattice_sum():
    # the docstring's S_3 = 1.225 and the grid mean of sin^2 = (n-1)/(2n)
    assert _lattice_sum(3) == pytest.approx(1.225, rel=1e-15)
    for n in (8, 28, 32):
        s = np.arange(n) / (n - 1)
        for i in (1, 2, 3):
            assert np.mean(np.sin(i * np.pi * s) ** 2) == pytest.approx((n - 1) / (2 * n), rel=1e-13)
        # exact formula, square: delta^2 = T S (n-1)^2 / 2
        T = diffeo.temperature(n, 1.0)
        assert T * _lattice_sum(3) * (n - 1) ** 2 / 2 == pytest.approx(1.0, rel=1e-12)
    assert diffeo.temperature(28, 1.0, formula="paper") == pytest.approx(4 / (math.pi * 28 ** 2 * math.log(3)))


@pytest.mark.parametrize("n,cut,formula", [(28, 3, "exact"), (8, 3, "exact"), ((12, 20), 2, "exact"),
                                           (28, 3, "paper")])
def test_mean_displacement_vs_T(n, cut, formula):
    # Monte-Carlo over sampled fields: the r.m.s. displacement is the one the temperature was chosen for
    delta = 1.3
    T = diffeo.temperature(n, delta, cut, formula=formula)
    h, w = (n, n) if isinstance(n, int) else n
    dx, dy = diffeo.displacement_field(diffeo.sample_coefficients(4000, T, cut, rng=11), (h, w))
    per = np.mean(dx ** 2 + dy ** 2, axis=(1, 2))                  # one value per field
    est, err = per.mean(), per.std(ddof=1) / math.sqrt(per.size)
    if formula == "exact":
        expect = delta ** 2
    else:   # the paper's asymptotic formula under-shoots at c = 3 (module docstring)
        expect = delta ** 2 * 2 * _lattice_sum(cut) / (math.pi * math.log(cut)) * ((n - 1) / n) ** 2
        assert math.sqrt(expect) / delta == pytest.approx(0.843 * 27 / 28, abs=1e-3)
    assert abs(est - expect) < 4 * err, (est, expect, err)
    assert diffeo.rms_displacement(T, n, cut) == pytest.approx(math.sqrt(expect), rel=1e-12)


def test_temperature_range():
    lo, hi = diffeo.temperature_range(28, 3)
    assert lo == pytest.approx(diffeo.temperature(28, 0.5, 3, formula="paper"), rel=1e-14)
    assert hi == pytest.approx(4 / (math.pi ** 3 * 9 * math.log(3)), rel=1e-14)
    assert lo < diffeo.temperature(28, 1.0) < hi
    with pytest.raises(ValueError, match="cut"):
        diffeo.temperature_range(28, 1)


# ---------------------------------------------------------------- noise and stability
def test_noise_like_norms():
    rng = np.random.default_rng(4)
    img = rng.standard_normal((6, 3, 8, 8))
    tx = diffeo.deform(img, 0.02, rng=5)
    nx = diffeo.noise_like(img, tx, rng=6)
    np.testing.assert_allclose(np.linalg.norm((nx - img).reshape(6, -1), axis=1),
                               np.linalg.norm((tx - img).reshape(6, -1), axis=1), rtol=1e-12)
    np.testing.assert_array_equal(diffeo.noise_like(img, img, rng=0), img)


def test_stability_identity_predictor():
    # f = identity: |f(x + eta) - f(x)| = |eta| = |tau x - x| image by image, so G = D and R = 1 exactly;
    # D itself against a brute-force double loop over the inputs the predictor saw
    img = np.random.default_rng(8).uniform(size=(12, 1, 10, 10))
    seen = []

    def predict(z):
        seen.append(z.copy())
        return z.reshape(z.shape[0], -1)

    res = diffeo.relative_stability(predict, img, T=0.02, n_diffeo=2, rng=9, n_boot=50)
    assert res.R == pytest.approx(1.0, rel=1e-12)
    x0 = seen[0].reshape(12, -1)
    deformed = [seen[1], seen[3]]                    # order: images, deformed, noisy, deformed, noisy
    num = np.mean([np.sum((d.reshape(12, -1) - x0) ** 2) / 12 for d in deformed])
    den = np.mean([np.sum((x0[i] - x0[j]) ** 2) for i in range(12) for j in range(12) if i != j])
    assert res.D == pytest.approx(num / den, rel=1e-12)
    assert res.G == pytest.approx(num / den, rel=1e-12)
    assert res.R_err == pytest.approx(0.0, abs=1e-12) and res.D_err > 0


def test_stability_border_and_linear_predictors():
    rng = np.random.default_rng(10)
    img = rng.uniform(size=(200, 1, 12, 12))
    # the left column never moves (s = 0): D = 0, R = 0
    res = diffeo.relative_stability(lambda z: z[:, 0, :, 0], img, T=0.05, rng=1, n_boot=20)
    assert res.D == 0.0 and res.R == 0.0 and res.G > 0
    # a linear predictor f = w.x: E (w.eta)^2 = |w|^2 |eta|^2 / P for eta of fixed norm and uniform direction
    w = rng.standard_normal(144)
    seen = []

    def predict(z):
        seen.append(z.copy())
        return z.reshape(z.shape[0], -1) @ w

    res = diffeo.relative_stability(predict, img, T=0.05, n_diffeo=4, rng=2, n_boot=100)
    x0 = seen[0].reshape(200, -1)
    r2 = np.mean([np.sum((seen[k].reshape(200, -1) - x0) ** 2) / 200 for k in (1, 3, 5, 7)])
    f = x0 @ w
    den = 2 * np.var(f, ddof=1)
    expect = (w @ w) * r2 / 144 / den
    assert abs(res.G - expect) < 4 * res.G_err + 0.02 * expect, (res.G, expect, res.G_err)


def test_bad_input():
    img = np.zeros((2, 1, 5, 5))
    with pytest.raises(ValueError, match="images must be 4-D"):
        diffeo.deform(img[0], 0.1)
    with pytest.raises(ValueError, match="T must be >= 0"):
        diffeo.deform(img, -0.1)
    with pytest.raises(ValueError, match="T must be finite"):
        diffeo.deform(img, float("nan"))
    with pytest.raises(ValueError, match="cut must be >= 1"):
        diffeo.deform(img, 0.1, cut=0)
    bad = img.copy()
    bad[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="images contains NaN or inf"):
        diffeo.deform(bad, 0.1)
    with pytest.raises(ValueError, match="H >= 2"):
        diffeo.deform(np.zeros((2, 1, 1, 5)), 0.1)
    with pytest.raises(ValueError, match="coefficients has 3 rows"):
        diffeo.apply_coefficients(img, np.zeros((3, 2, 3, 3)))
    with pytest.raises(ValueError, match="deformed must have the shape"):
        diffeo.noise_like(img, img[:1])
    with pytest.raises(ValueError, match="formula"):
        diffeo.temperature(28, 1.0, formula="asymptotic")
    with pytest.raises(ValueError, match="delta"):
        diffeo.temperature(28, 0.0)
    with pytest.raises(ValueError, match="constant"):
        diffeo.relative_stability(lambda z: np.zeros(len(z)), np.random.rand(4, 1, 5, 5), 0.1, rng=0)
    with pytest.raises(ValueError, match="predict must map"):
        diffeo.relative_stability(lambda z: np.zeros(3), np.random.rand(4, 1, 5, 5), 0.1, rng=0)
    with pytest.raises(ValueError, match="T must be > 0"):
        diffeo.relative_stability(lambda z: z[:, 0, 0, 0], np.random.rand(4, 1, 5, 5), 0.0)
    with pytest.raises(ValueError, match="at least 2"):
        diffeo.relative_stability(lambda z: z[:, 0, 0, 0], np.random.rand(1, 1, 5, 5), 0.1)


def test_gradient_at_T_max():
    # E mean |grad tau|_F^2 = T pi^2 N_c / 2 (module docstring), against finite differences on a fine grid
    n, cut = 81, 3
    n_modes = sum(1 for i in range(1, 5) for j in range(1, 5) if math.sqrt(i * i + j * j) < cut + 0.5)
    assert n_modes == 6
    T = diffeo.temperature_range(n, cut)[1]
    dx, dy = diffeo.displacement_field(diffeo.sample_coefficients(300, T, cut, rng=12), (n, n))
    g2 = sum(np.gradient(f, axis=a)[:, 1:-1, 1:-1] ** 2 for f in (dx, dy) for a in (1, 2))
    per = g2.mean(axis=(1, 2))
    # pixel derivative = (n / (n - 1)) x unit-square derivative of the unit field
    expect = T * math.pi ** 2 * n_modes / 2 * (n / (n - 1)) ** 2
    assert abs(per.mean() - expect) < 4 * per.std(ddof=1) / math.sqrt(per.size) + 0.01 * expect
    assert T * math.pi ** 2 * n_modes / 2 == pytest.approx(0.386, abs=2e-3)   # the docstring's c = 3 value
