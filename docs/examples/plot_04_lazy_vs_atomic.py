"""
Lazy and feature predictors on S^2, with the atoms
==================================================

The lazy regime of a wide two-layer ReLU network is the minimum-norm interpolant of its NTK
(``solvers.min_norm``); the feature regime is the minimum total-variation interpolant, an atomic measure with at
most n ReLU atoms (``solvers.atomic``, certified: ``max |eta| <= 1 + tol``). Both fit a constant target from
n = 32 points; the atomic predictor is built from a few ReLU ridges and is much less smooth.
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import kernels, solvers, sphere

d, n = 3, 32
X = sphere.uniform(n, d, rng=0)
y = np.ones(n)
lazy = solvers.min_norm(kernels.NTK(), X, y)
feat = solvers.atomic(X, y)

lon, lat = np.meshgrid(np.linspace(-np.pi, np.pi, 120), np.linspace(-np.pi / 2, np.pi / 2, 60))
G = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1).reshape(-1, 3)


def ll(P):
    return np.degrees(np.arctan2(P[:, 1], P[:, 0])), np.degrees(np.arcsin(np.clip(P[:, 2], -1, 1)))


fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, pred, title in [(axes[0], lazy, "lazy: min-norm NTK interpolant"),
                        (axes[1], feat, f"feature: {feat.n_atoms} atoms (n = {n})")]:
    im = ax.pcolormesh(np.degrees(lon), np.degrees(lat), pred.predict(G).reshape(lon.shape), shading="auto",
                       vmin=0, vmax=2, cmap="viridis")
    ax.plot(*ll(X), "w.", ms=5, label="training points")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax)
ax = axes[1]
ax.scatter(*ll(feat.directions), s=30 * np.abs(feat.weights) / np.abs(feat.weights).max(), c="r",
           marker="x", label="atoms theta_i")
ax.legend(fontsize=7, loc="lower left")
fig.tight_layout()
plt.show()
