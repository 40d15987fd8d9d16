"""
Gradient descent in the lazy and feature regimes
================================================

``network.TwoLayerNet(d, H, xi)`` is the xi-parametrised two-layer ReLU network: ``xi = 1`` lazy (the NTK
regime: parameters move by O(H^{-1/2})), ``xi = 0`` feature / mean-field (parameters move by O(1)). The loss
falls in both; the first-layer weights only move visibly in the feature regime.
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import network, sphere, targets

d, n, H = 3, 32, 512
X = sphere.uniform(n, d, rng=0)
y = targets.Teacher(d, "abs", width=20_000, seed=1)(X)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for xi, c, name in ((1.0, "C0", "lazy (xi = 1)"), (0.0, "C3", "feature (xi = 0)")):
    net = network.TwoLayerNet(d, H, xi=xi, seed=0)
    hist = network.train(net, X, y, steps=1500, progress=False)
    ax1.semilogy(hist.step, hist.loss, color=c, label=name)
    move = np.linalg.norm(net.directions - net.directions0, axis=1) / np.linalg.norm(net.directions0, axis=1)
    ax2.hist(move, bins=np.geomspace(1e-5, 10, 50), color=c, alpha=0.6, label=name)
ax1.set_xlabel("step")
ax1.set_ylabel("train loss")
ax1.legend()
ax2.set_xscale("log")
ax2.set_xlabel("|theta_h - theta_h(0)| / |theta_h(0)|")
ax2.set_title("first-layer movement per neuron")
ax2.legend()
fig.tight_layout()
plt.show()
