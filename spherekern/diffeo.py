"""Random maximum-entropy diffeomorphisms of images and the relative stability R_f = D_f / G_f.

Public functions
----------------
``deform(images, T, cut=3, rng=None)``
    Each image deformed by its own random diffeomorphism (T = 0: the identity, bit for bit).
``sample_coefficients(n_images, T, cut=3, rng=None)`` / ``apply_coefficients(images, coefficients)``
    The two halves of ``deform``: ``deform(x, T, cut, rng) == apply_coefficients(x, sample_coefficients(len(x),
    T, cut, rng))``.
``displacement_field(coefficients, shape)``
    The pixel displacements (dx, dy) that ``apply_coefficients`` uses, evaluated on the pixel grid.
``temperature(n, delta=1.0, cut=3, formula="exact")``, ``rms_displacement(T, n, cut=3)``, ``temperature_range(n, cut=3)``
    T for a given r.m.s. displacement (in pixels), its inverse, and the paper's natural range.
``noise_like(images, deformed, rng=None)``
    ``images`` plus Gaussian noise rescaled per image to the norm of ``deformed - images``.
``relative_stability(predict, images, T, cut=3, n_diffeo=1, rng=None, n_boot=200)``
    D_f, G_f, R_f with bootstrap standard errors (a ``Stability`` record).

The field
---------
From Petrini, Favero, Geiger & Wyart (2021), "Relative stability toward diffeomorphisms indicates performance in
deep nets".
An image of H rows and W columns has pixel (y, x) at the point (s, t) = (x / (W-1), y / (H-1)) of [0, 1]^2. Two
independent scalar fields

    u(s, t) = sum_{i, j >= 1, i^2 + j^2 < (c + 1/2)^2} C_ij sin(i pi s) sin(j pi t),   C_ij ~ N(0, T / (i^2 + j^2)),

(and v likewise, with its own coefficients) give the displacement in pixels, dx = W u (horizontal) and dy = H v
(vertical); it vanishes on the border. The deformed image is ``out[y, x] = img(y - dy, x - dx)``: the content
moves by (+dx, +dy). ``img`` at a non-integer point is the bilinear interpolation of the four neighbouring
pixels, with the point first clamped to [0, W-1] x [0, H-1]. ``coefficients[b, 0, i-1, j-1]`` is C_ij of image b's
u field, ``coefficients[b, 1, i-1, j-1]`` that of its v field (zero outside the disc).

Temperature and displacement (derivation)
-----------------------------------------
Let a_i(W) = (1/W) sum_{x=0}^{W-1} sin^2(i pi x/(W-1)) be the grid mean of sin^2 (a_i = (W-1)/(2W) whenever 2i is
not a multiple of W-1, because then sum_{x=0}^{W-2} cos(2 pi i x/(W-1)) = 0; exactly 1/2 in the continuum).
Averaging dx^2 + dy^2 over the grid and the coefficients, the cross terms vanish (independent C_ij) and

    delta^2 := E mean_{pixels}(dx^2 + dy^2) = T (W^2 + H^2) S,    S = sum_{i,j} a_i(W) a_j(H) / (i^2 + j^2).

This is what ``temperature(n, delta)`` inverts (``formula="exact"``, default): T = delta^2 / ((W^2 + H^2) S).
For a square n x n image in the continuum (a = 1/2), delta^2 = n^2 T S_c / 2 with the lattice sum
S_c = sum_{i^2 + j^2 < (c+1/2)^2} 1/(i^2 + j^2). For large c, S_c ~ (pi/2) ln c (the quarter disc,
integral of r dr dtheta / r^2), which gives the paper's formula T = 4 delta^2 / (pi n^2 ln c)
(``formula="paper"``). At c = 3 the two disagree: S_3 = 1/2 + 2/5 + 1/8 + 2/10 = 1.225 against
(pi/2) ln 3 = 1.726, so the paper's T for delta = 1 gives an r.m.s. displacement of
sqrt(2 S_3 / (pi ln 3)) (n-1)/n = 0.843 (n-1)/n pixels (0.81 for n = 28, 0.74 for n = 8), not 1. Both are
tested against displacements measured on sampled fields (tests/test_diffeo.py).

The natural range (``temperature_range``) is the paper's, in its asymptotic form, taken from the issue's protocol
(not re-derived here): T_min = 1/(pi n^2 ln c) is the paper's formula at delta = 1/2 pixel (smaller
diffeomorphisms barely move a pixel), and T_max = 4/(pi^3 c^2 ln c), where the deformation stops being small
(the fields approach non-invertibility). What T_max means here, derived: the displacement gradient (pixel
units, continuum) has ``E mean |grad tau|_F^2 = T pi^2 N_c / 2``, N_c the number of modes in the disc (each mode
contributes (i^2 + j^2) pi^2 / 4 times its variance T/(i^2 + j^2), per field and per derivative pair); with
N_c ~ pi c^2 / 4 this is 1/(2 ln c) at T_max, and 0.386 for c = 3 (N_3 = 6): order one. Tested against finite
differences of sampled fields. The range needs c >= 2 (ln c > 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from ._validate import as_rng, check_int, check_out, check_real

__all__ = ["deform", "sample_coefficients", "apply_coefficients", "displacement_field", "temperature",
           "rms_displacement", "temperature_range", "noise_like", "relative_stability", "Stability"]


# ----------------------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------------------
def _as_images(images, name: str = "images") -> np.ndarray:
    arr = np.asarray(images)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W), got shape {arr.shape} "
                         f"(add axes with images[:, None] for one channel)")
    if arr.shape[2] < 2 or arr.shape[3] < 2:
        raise ValueError(f"{name} must have H >= 2 and W >= 2 pixels, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _check_cut(cut) -> int:
    return check_int(cut, "cut", 1)


def _check_T(T) -> float:
    return check_real(T, "T", minimum=0.0)


def _shape_hw(n, name: str = "n"):
    if isinstance(n, (tuple, list)):
        if len(n) != 2:
            raise ValueError(f"{name} must be an int (square images) or a pair (H, W), got {n!r}")
        h, w = (check_int(v, name, 2) for v in n)
        return h, w
    v = check_int(n, name, 2)
    return v, v


def _mode_mask(cut: int):
    """(cut, cut) arrays: 1/(i^2 + j^2) inside the disc i^2 + j^2 < (cut + 1/2)^2, else 0, and the mask."""
    k = np.arange(1, cut + 1, dtype=np.float64)
    r2 = k[:, None] ** 2 + k[None, :] ** 2
    inside = r2 < (cut + 0.5) ** 2
    return np.where(inside, 1.0 / r2, 0.0), inside


def _sin_table(n_pix: int, cut: int) -> np.ndarray:
    """(n_pix, cut): sin(i pi p / (n_pix - 1)) for pixel p, mode i = 1..cut."""
    s = np.arange(n_pix, dtype=np.float64) / (n_pix - 1)
    return np.sin(np.pi * s[:, None] * np.arange(1, cut + 1)[None, :])


# ----------------------------------------------------------------------------------------------------------
# temperature
# ----------------------------------------------------------------------------------------------------------
def _grid_sum(h: int, w: int, cut: int) -> float:
    inv_r2, _ = _mode_mask(cut)
    a_w = np.mean(_sin_table(w, cut) ** 2, axis=0)
    a_h = np.mean(_sin_table(h, cut) ** 2, axis=0)
    return float(np.sum(a_w[:, None] * a_h[None, :] * inv_r2))


def temperature(n, delta: float = 1.0, cut: int = 3, formula: str = "exact") -> float:
    """The temperature T at which the r.m.s. pixel displacement is ``delta``.

    Parameters
    ----------
    n : int or (H, W)
        Image size in pixels (an int for n x n).
    delta : float
        Target r.m.s. displacement sqrt(E mean_pixels(dx^2 + dy^2)), in pixels (> 0).
    cut : int
        The cut-off c >= 1 of the modes.
    formula : {"exact", "paper"}
        ``"exact"``: T = delta^2 / ((W^2 + H^2) S) with the grid lattice sum S of the module docstring, so the
        sampled fields have r.m.s. displacement ``delta``. ``"paper"``: the asymptotic T = 4 delta^2 /
        (pi n^2 ln c) (square images, c >= 2), which at c = 3 gives about 0.84 (n-1)/n of ``delta``.

    Returns
    -------
    float
    """
    h, w = _shape_hw(n)
    delta = check_real(delta, "delta", minimum=0.0, strict=True)
    cut = _check_cut(cut)
    if formula == "exact":
        return delta ** 2 / ((w ** 2 + h ** 2) * _grid_sum(h, w, cut))
    if formula == "paper":
        if h != w:
            raise ValueError(f"formula='paper' is for square images, got n = {n!r} (use formula='exact')")
        if cut < 2:
            raise ValueError("formula='paper' needs cut >= 2 (it divides by ln c); use formula='exact'")
        return 4 * delta ** 2 / (math.pi * w ** 2 * math.log(cut))
    raise ValueError(f"formula must be 'exact' or 'paper', got {formula!r}")


def rms_displacement(T: float, n, cut: int = 3) -> float:
    """The r.m.s. pixel displacement sqrt(T (W^2 + H^2) S) of fields at temperature T (inverse of ``temperature``)."""
    T = _check_T(T)
    h, w = _shape_hw(n)
    cut = _check_cut(cut)
    return math.sqrt(T * (w ** 2 + h ** 2) * _grid_sum(h, w, cut))


def temperature_range(n: int, cut: int = 3):
    """The paper's natural range of temperatures, (1/(pi n^2 ln c), 4/(pi^3 c^2 ln c)).

    The lower end is the paper's formula at a displacement of half a pixel; the upper end is where the paper's
    fields stop being invertible. Asymptotic in c, as in the paper; needs cut >= 2.

    Parameters
    ----------
    n : int
        Side of the (square) images, >= 2.
    cut : int
        The cut-off c >= 2.

    Returns
    -------
    (T_min, T_max) : tuple of float
    """
    n = check_int(n, "n", 2)
    cut = check_int(cut, "cut", 2)
    log = math.log(cut)
    return 1.0 / (math.pi * n ** 2 * log), 4.0 / (math.pi ** 3 * cut ** 2 * log)


# ----------------------------------------------------------------------------------------------------------
# fields and deformation
# ----------------------------------------------------------------------------------------------------------
def sample_coefficients(n_images: int, T: float, cut: int = 3, rng=None) -> np.ndarray:
    """Independent random coefficients C_ij ~ N(0, T/(i^2 + j^2)) of the u and v fields of ``n_images`` images.

    Drawn as ``sqrt(T / (i^2 + j^2)) * rng.standard_normal((n_images, 2, cut, cut))``, zero outside the disc
    i^2 + j^2 < (cut + 1/2)^2.

    Returns
    -------
    ndarray of float64, shape (n_images, 2, cut, cut)
    """
    n_images = check_int(n_images, "n_images", 0)
    T = _check_T(T)
    cut = _check_cut(cut)
    rng = as_rng(rng)
    inv_r2, _ = _mode_mask(cut)
    return rng.standard_normal((n_images, 2, cut, cut)) * np.sqrt(T * inv_r2)


def _as_coefficients(coefficients, n_images=None) -> np.ndarray:
    c = np.asarray(coefficients)
    if c.dtype.kind not in "biuf":
        raise TypeError(f"coefficients must be a real numeric array, got dtype {c.dtype}")
    if c.ndim != 4 or c.shape[1] != 2 or c.shape[2] != c.shape[3] or c.shape[2] < 1:
        raise ValueError(f"coefficients must have shape (N, 2, cut, cut), got {c.shape}")
    if n_images is not None and c.shape[0] != n_images:
        raise ValueError(f"coefficients has {c.shape[0]} rows but images has {n_images}: one field per image")
    c = np.ascontiguousarray(c, dtype=np.float64)
    if not np.all(np.isfinite(c)):
        raise ValueError("coefficients contains NaN or inf")
    return c


def displacement_field(coefficients, shape):
    """Pixel displacements on the grid: dx[b, y, x] = W u_b(s, t), dy[b, y, x] = H v_b(s, t).

    Parameters
    ----------
    coefficients : array_like, shape (N, 2, cut, cut)
        As returned by ``sample_coefficients``.
    shape : (H, W)
        Image size, H, W >= 2.

    Returns
    -------
    dx, dy : ndarray of float64, shape (N, H, W)
    """
    h, w = _shape_hw(tuple(shape), "shape")
    c = _as_coefficients(coefficients)
    cut = c.shape[2]
    sx, sy = _sin_table(w, cut), _sin_table(h, cut)
    field = np.einsum("bkij,xi,yj->bkyx", c, sx, sy, optimize=True)
    return w * field[:, 0], h * field[:, 1]


@nb.njit(parallel=True, cache=True, nogil=True)
def _deform_kernel(images, coef, sx, sy, out):
    # images, out: (N, C, H, W); coef: (N, 2, K, K); sx: (W, K) = sin(i pi x/(W-1)); sy: (H, K) likewise.
    # Sample point (y - H v, x - W u), clamped, bilinear; the field is summed here (no (N, H, W) temporaries).
    n, nc, h, w = images.shape
    k = coef.shape[2]
    for row in nb.prange(n * h):
        b = row // h
        y = row - b * h
        # contract the y modes once per row: u(s, t_y) = sum_i ax[i] sin(i pi s)
        ax = np.empty(k)
        ay = np.empty(k)
        for i in range(k):
            sx_ = 0.0
            sy_ = 0.0
            for j in range(k):
                sx_ += coef[b, 0, i, j] * sy[y, j]
                sy_ += coef[b, 1, i, j] * sy[y, j]
            ax[i] = sx_
            ay[i] = sy_
        for x in range(w):
            dx = 0.0
            dy = 0.0
            for i in range(k):
                dx += ax[i] * sx[x, i]
                dy += ay[i] * sx[x, i]
            px = x - w * dx
            py = y - h * dy
            px = min(max(px, 0.0), w - 1.0)
            py = min(max(py, 0.0), h - 1.0)
            x0 = min(int(px), w - 2)
            y0 = min(int(py), h - 2)
            fx = px - x0
            fy = py - y0
            for c in range(nc):
                out[b, c, y, x] = ((1.0 - fy) * ((1.0 - fx) * images[b, c, y0, x0] + fx * images[b, c, y0, x0 + 1])
                                   + fy * ((1.0 - fx) * images[b, c, y0 + 1, x0] + fx * images[b, c, y0 + 1, x0 + 1]))


def apply_coefficients(images, coefficients, out=None) -> np.ndarray:
    """Deform each image b by the field of ``coefficients[b]`` (bilinear, border clamped; module docstring).

    Parameters
    ----------
    images : array_like, shape (N, C, H, W)
    coefficients : array_like, shape (N, 2, cut, cut)
    out : ndarray, optional
        Preallocated float64 C-contiguous output of the images' shape.

    Returns
    -------
    ndarray of float64, shape (N, C, H, W)
    """
    x = _as_images(images)
    c = _as_coefficients(coefficients, x.shape[0])
    if out is None:
        out = np.empty_like(x)
    else:
        check_out(out, x.shape, np.float64)
    if x.size == 0:
        return out
    n, _, h, w = x.shape
    cut = c.shape[2]
    sx, sy = _sin_table(w, cut), _sin_table(h, cut)
    _deform_kernel(x, c, sx, sy, out)
    return out


def deform(images, T: float, cut: int = 3, rng=None, out=None) -> np.ndarray:
    """Apply an independent random max-entropy diffeomorphism to each image.

    Parameters
    ----------
    images : array_like, shape (N, C, H, W)
        Any batch size, channel count and size (H, W >= 2); all channels of an image move together.
    T : float
        Temperature >= 0 (``temperature`` converts from a displacement in pixels); T = 0 returns the images.
    cut : int
        Cut-off c >= 1: modes with i^2 + j^2 < (c + 1/2)^2.
    rng : None, int or numpy.random.Generator
        Seed of the fields (``sample_coefficients(N, T, cut, rng)``).
    out : ndarray, optional
        Preallocated output.

    Returns
    -------
    ndarray of float64, shape (N, C, H, W)
    """
    x = _as_images(images)
    T = _check_T(T)
    cut = _check_cut(cut)
    return apply_coefficients(x, sample_coefficients(x.shape[0], T, cut, rng), out=out)


# ----------------------------------------------------------------------------------------------------------
# noise and stability
# ----------------------------------------------------------------------------------------------------------
def noise_like(images, deformed, rng=None) -> np.ndarray:
    """``images + eta`` with Gaussian noise eta rescaled per image to ``|eta_b| = |deformed_b - images_b|``.

    ``eta_b = |tau x_b - x_b| g_b / |g_b|`` with ``g_b ~ N(0, I)`` of the image's shape (norms over all of an image's
    pixels and channels). Where an image is not moved (T = 0) its noise is zero.

    Parameters
    ----------
    images, deformed : array_like, shape (N, C, H, W)
    rng : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape (N, C, H, W)
    """
    x = _as_images(images)
    t = _as_images(deformed, "deformed")
    if t.shape != x.shape:
        raise ValueError(f"deformed must have the shape of images {x.shape}, got {t.shape}")
    rng = as_rng(rng)
    n = x.shape[0]
    target = np.sqrt(np.sum((t - x).reshape(n, -1) ** 2, axis=1))
    g = rng.standard_normal(x.shape)
    gn = np.sqrt(np.sum(g.reshape(n, -1) ** 2, axis=1))
    scale = np.divide(target, gn, out=np.zeros_like(target), where=gn > 0)
    return x + g * scale[:, None, None, None]


@dataclass(frozen=True)
class Stability:
    """Relative stability of a predictor (``relative_stability``); ``*_err`` are bootstrap standard errors."""
    D: float
    G: float
    R: float
    D_err: float
    G_err: float
    R_err: float
    n_images: int
    n_diffeo: int
    T: float
    cut: int


def _outputs(predict, x, name):
    out = np.asarray(predict(x))
    if out.dtype.kind not in "biuf":
        raise TypeError(f"predict({name}) must return real numbers, got dtype {out.dtype}")
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != x.shape[0]:
        raise ValueError(f"predict must map images (N, C, H, W) to outputs (N,) or (N, k); on {name} of "
                         f"{x.shape[0]} images it returned shape {out.shape}")
    out = out.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"predict({name}) returned NaN or inf")
    return out


def _pair_mean(f):
    """E over independent x, z of |f(x) - f(z)|^2, estimated by the mean over pairs i != j: 2 n/(n-1) Var."""
    n = f.shape[0]
    c = f - f.mean(axis=0)
    return 2.0 * np.sum(c * c) / (n - 1)


def relative_stability(predict, images, T: float, cut: int = 3, n_diffeo: int = 1, rng=None, n_boot: int = 200):
    """D_f, G_f and R_f = D_f / G_f of a predictor on a set of images.

    ``D_f = E_{x,tau} |f(tau x) - f(x)|^2 / E_{x,z} |f(x) - f(z)|^2`` and
    ``G_f = E_{x,eta} |f(x + eta) - f(x)|^2 / E_{x,z} |f(x) - f(z)|^2``, tau a random diffeomorphism at
    temperature T (``deform``) and eta Gaussian noise of the same norm ``|tau x - x|`` as each of its deformations
    (``noise_like``). The expectations over x are means over ``images``, over tau and eta means over
    ``n_diffeo`` draws per image; the denominator is the mean over pairs of distinct images.

    Uncertainties: the images are resampled with replacement ``n_boot`` times (with their deformations and
    noises), and D, G, R recomputed on each resample; ``*_err`` is the standard deviation over resamples.

    Parameters
    ----------
    predict : callable
        Maps images (M, C, H, W) to outputs (M,) or (M, k).
    images : array_like, shape (N, C, H, W)
        N >= 2.
    T : float
        Temperature > 0.
    cut : int
        Cut-off c >= 1.
    n_diffeo : int
        Deformations (and noises) per image, >= 1.
    rng : None, int or numpy.random.Generator
    n_boot : int
        Bootstrap resamples (>= 0; 0 gives NaN errors).

    Returns
    -------
    Stability
        D, G, R and their errors, with the sizes used.

    Raises
    ------
    ValueError
        Bad images / T / cut, fewer than two images, a predictor that is constant on the images (the
        denominator is zero) or whose outputs have the wrong shape.
    """
    if not callable(predict):
        raise TypeError(f"predict must be callable (images -> outputs), got {type(predict).__name__}")
    x = _as_images(images)
    T = check_real(T, "T", minimum=0.0, strict=True)
    cut = _check_cut(cut)
    n_diffeo = check_int(n_diffeo, "n_diffeo", 1)
    n_boot = check_int(n_boot, "n_boot", 0)
    rng = as_rng(rng)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"images must hold at least 2 images (the denominator compares pairs), got {n}")
    f0 = _outputs(predict, x, "images")
    d_num = np.zeros(n)
    g_num = np.zeros(n)
    for _ in range(n_diffeo):
        tx = deform(x, T, cut, rng)
        nx = noise_like(x, tx, rng)
        d_num += np.sum((_outputs(predict, tx, "deformed images") - f0) ** 2, axis=1)
        g_num += np.sum((_outputs(predict, nx, "noisy images") - f0) ** 2, axis=1)
    d_num /= n_diffeo
    g_num /= n_diffeo

    def estimate(idx):
        den = _pair_mean(f0[idx])
        return d_num[idx].mean() / den, g_num[idx].mean() / den, d_num[idx].mean() / g_num[idx].mean()

    den = _pair_mean(f0)
    if not den > 0:
        raise ValueError("predict is constant on images: E|f(x) - f(z)|^2 = 0, D_f and G_f are undefined")
    if not g_num.mean() > 0:
        raise ValueError("predict does not change under the noise: G_f = 0, R_f is undefined")
    D, G, R = estimate(np.arange(n))
    errs = [math.nan] * 3
    if n_boot:
        boots = np.array([estimate(rng.integers(0, n, n)) for _ in range(n_boot)])
        errs = list(np.std(boots, axis=0, ddof=1)) if n_boot > 1 else [math.nan] * 3
    return Stability(D=float(D), G=float(G), R=float(R), D_err=float(errs[0]), G_err=float(errs[1]),
                     R_err=float(errs[2]), n_images=n, n_diffeo=n_diffeo, T=T, cut=cut)
