"""
A Gram matrix and its eigenvalues against mu_k
==============================================

For n points uniform on S^{d-1}, the eigenvalues of ``K / n`` (K the NTK Gram matrix) approach the Mercer
eigenvalues ``mu_k`` of the kernel, each with its multiplicity ``N(k, d)``: plotted in decreasing order against
their rank, the empirical spectrum follows the staircase of the non-zero ``mu_k`` (the NTK's odd degrees
``k >= 3`` vanish), until the finite sample can no longer resolve the degree.
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import kernels, sphere, spectrum

d, n = 3, 800
X = sphere.uniform(n, d, rng=0)
K = kernels.NTK().gram(X)
ev = np.sort(np.linalg.eigvalsh(K / n))[::-1]

mu = spectrum.ntk(d, 60)
staircase = np.repeat(mu, [sphere.harmonic_dim(k, d) for k in range(mu.size)])
staircase = np.sort(staircase[staircase > 1e-14 * mu[0]])[::-1][:n]  # odd degrees >= 3 of the NTK vanish

fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(np.arange(1, n + 1), ev, ".", ms=3, label="eigenvalues of K/n")
ax.loglog(np.arange(1, staircase.size + 1), staircase, "-", label="mu_k repeated N(k, d) times")
ax.set_xlabel("rank")
ax.set_title(f"NTK, d = {d}, n = {n}")
ax.legend()
fig.tight_layout()
plt.show()
