"""deform on 1000 MNIST-size images: spherekern vs numpy fields + scipy.ndimage.map_coordinates (same result)."""
import numpy as np
from scipy.ndimage import map_coordinates

from spherekern import diffeo

N, H, W, CUT = 1000, 28, 28, 3


def _scipy_deform(images, coef):
    # the same fields from the sine series (numpy), then bilinear resampling with edge replication
    # (order=1, mode="nearest" equals bilinear interpolation of the clamped sample point)
    dx, dy = diffeo.displacement_field(coef, images.shape[2:])
    yy, xx = np.meshgrid(np.arange(H, dtype=float), np.arange(W, dtype=float), indexing="ij")
    out = np.empty_like(images)
    for b in range(images.shape[0]):
        coords = np.stack([yy - dy[b], xx - dx[b]])
        for c in range(images.shape[1]):
            out[b, c] = map_coordinates(images[b, c], coords, order=1, mode="nearest")
    return out


def _setup(rng):
    images = rng.uniform(size=(N, 1, H, W))
    coef = diffeo.sample_coefficients(N, diffeo.temperature(H, 1.0, CUT), CUT, rng=1)
    return images, coef


def test_deform__project(benchmark, rng):
    images, coef = _setup(rng)
    out = np.empty_like(images)
    diffeo.apply_coefficients(images[:2], coef[:2])  # JIT warm-up
    ref = _scipy_deform(images[:20], coef[:20])
    assert np.allclose(diffeo.apply_coefficients(images[:20], coef[:20]), ref, rtol=0, atol=1e-12)
    benchmark.group = "deform"
    benchmark.extra_info["entries"] = N * H * W
    benchmark.pedantic(diffeo.apply_coefficients, args=(images, coef), kwargs=dict(out=out),
                       rounds=7, warmup_rounds=1)


def test_deform__scipy(benchmark, rng):
    images, coef = _setup(rng)
    benchmark.group = "deform"
    benchmark.extra_info["entries"] = N * H * W
    benchmark.pedantic(_scipy_deform, args=(images, coef), rounds=3, warmup_rounds=1)
