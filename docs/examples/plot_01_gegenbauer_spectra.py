"""
Legendre polynomials of dimension d and Funk–Hecke spectra
==========================================================

``gegenbauer.table`` evaluates ``P_k(t) = C_k^{(d-2)/2}(t) / C_k^{(d-2)/2}(1)`` (so ``P_k(1) = 1``) by the
three-term recurrence; ``spectrum`` gives the Funk–Hecke eigenvalues ``mu_k = E[phi(x.y) P_k(x.y)]`` of
dot-product functions in closed form. The ReLU eigenvalues decay as ``k^{-(d+2)/2}`` (squared: ``alpha = d + 2``,
the feature regime's atoms) and the NTK's as ``k^{-d}`` (``alpha = 2d``, the lazy regime).
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import gegenbauer, spectrum

d = 3
t = np.linspace(-1, 1, 401)
P = gegenbauer.table(t, kmax=6, d=d)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for k in range(7):
    ax1.plot(t, P[k], label=f"k = {k}")
ax1.set_xlabel("t")
ax1.set_title(f"P_k(t), d = {d}")
ax1.legend(fontsize=7)

k = np.arange(1, 401)
for name, mu, s in [("ReLU", spectrum.relu(d, 400), (d + 2) / 2), ("NTK", spectrum.ntk(d, 400), d)]:
    mu = np.abs(mu[1:])
    keep = mu > 0  # ReLU: odd degrees >= 3 vanish
    ax2.loglog(k[keep], mu[keep], ".", ms=3, label=f"{name}")
    ax2.loglog(k[keep], mu[keep][-1] * (k[keep] / k[keep][-1]) ** (-s), "k:", lw=0.8)
ax2.set_xlabel("degree k")
ax2.set_title("|mu_k| (dotted: k^-(d+2)/2 and k^-d)")
ax2.legend()
fig.tight_layout()
plt.show()
