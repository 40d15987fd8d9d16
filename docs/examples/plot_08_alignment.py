"""
Early alignment of neurons on the circle (d = 1 with bias)
==========================================================

A two-layer ReLU network ``h(x) = sum_j a_j relu(w_j x + b_j)`` on 40 points of [-1, 1], from a *small*
balanced initialisation (``init_scale = 1e-6``), trained by plain gradient descent. Each neuron is a point
``(w_j, b_j)`` of the plane; its angle is drawn on the circle and its radius is its share of the output mass
``|a_j| |(w_j, b_j)|``. While the output is still ~0 the directions climb (``a_j > 0``, red) or descend
(``a_j < 0``, blue) ``G_n(u) = (1/n) sum_k y_k relu(u . (x_k, 1))``, whatever their norm, and gather at its
extremal vectors (``spherekern.alignment.extremal_vectors``: solid red lines for the maxima, dashed blue for
the minima) before the norms grow: the network ends with a few distinct neurons, not one per data point.
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import alignment, network

rng = np.random.default_rng(0)
n, m, lr, steps = 40, 200, 0.01, 12_000
x = np.sort(rng.uniform(-1, 1, n))
y = 1.5 * np.maximum(x - 0.2, 0) - np.maximum(-x - 0.4, 0) + 0.3 * np.sin(3 * x)
X = x[:, None]

ev = alignment.extremal_vectors(X, y)
net = network.TwoLayerNet(1, m, seed=1, bias=True, init="balanced", init_scale=1e-6)
record = [0, 400, 1200, 2400, 4000, steps]
hist = network.train(net, X, y, lr=lr, steps=steps, loss="mse", momentum=0.0, backtrack=False, tol=0.0,
                     rtol=0.0, record_steps=record, progress=False)

fig = plt.figure(figsize=(13, 5.5))
for i, s in enumerate(hist.record_steps):
    ax = fig.add_subplot(2, 4, i + 1 + (i >= 3), projection="polar")
    th, w = hist.directions[i], hist.weights[i]
    mass = np.abs(w) * np.linalg.norm(th, axis=1)
    ang = np.arctan2(th[:, 1], th[:, 0])           # angle of (w, b)
    ax.scatter(ang, mass / mass.max(), s=8, c=np.where(w > 0, "C3", "C0"))
    for u, kind in zip(ev.directions, ev.kinds):
        a = np.arctan2(u[1], u[0])
        ax.plot([a, a], [0, 1], "C3-" if kind == "max" else "C0--", lw=1)
    ax.set_yticklabels([])
    ax.set_title(f"step {s} (t = {s * lr:g})", fontsize=9)
ax = fig.add_subplot(2, 4, 4)
ax.semilogy(hist.step, hist.loss)
ax.set_xlabel("step")
ax.set_title("train loss", fontsize=9)
ax = fig.add_subplot(2, 4, 8)
grid = np.linspace(-1, 1, 400)[:, None]
ax.plot(x, y, "k.", ms=4, label="data")
ax.plot(grid[:, 0], net.predict(grid), "C2", label="network")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
