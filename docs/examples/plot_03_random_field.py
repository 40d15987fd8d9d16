"""
A Gaussian random field on the sphere S^2
=========================================

``targets.GaussianRandomField(d, nu_t)`` samples a centred Gaussian field with spectrum
``c_k = k^{-2 nu_t - (d-1)}``: the smaller ``nu_t``, the rougher the target. Shown on a longitude–latitude grid.
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import targets

lon, lat = np.meshgrid(np.linspace(-np.pi, np.pi, 48), np.linspace(-np.pi / 2, np.pi / 2, 24))
X = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1).reshape(-1, 3)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, nu in zip(axes, (0.5, 3.0)):
    f = targets.GaussianRandomField(3, nu_t=nu).sample(X, rng=1)
    im = ax.pcolormesh(np.degrees(lon), np.degrees(lat), f.reshape(lon.shape), shading="auto", cmap="RdBu_r")
    ax.set_title(f"nu_t = {nu}")
    ax.set_xlabel("longitude (deg)")
    fig.colorbar(im, ax=ax)
axes[0].set_ylabel("latitude (deg)")
fig.tight_layout()
plt.show()
