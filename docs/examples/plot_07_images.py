"""
Images: diffeomorphisms, and feature vs lazy networks on digits
===============================================================

The image half of Petrini et al. (2022). First, scikit-learn's 8x8 digits deformed by random max-entropy
diffeomorphisms (``diffeo.deform``) at the two ends of the natural temperature range and at the temperature the
``images`` check uses (1 pixel r.m.s. clipped to the range: on 8x8 images that is the top of the range).

Second, a small version of the check: the parity of the digit learnt by the image network
``F = alpha (f - f0)`` (normalised softplus, soft hinge, adaptive gradient flow) in the feature regime
(alpha = 1e-3) and the lazy regime (alpha = 1e2), and the NTK SVM. The right panel shows how the trained
function is shared among atoms: neurons whose directions lie within 0.1 rad of each other are merged
(``network.direction_groups``) and each group's r.m.s. summed term in ``F`` on the training set
(``network.neuron_contributions(..., groups=...)``) is plotted, sorted; ``N_atoms`` is its participation ratio
(``network.effective_atoms``), ``N_eff`` that of the unmerged neurons (``network.effective_neurons``).
"""
import matplotlib.pyplot as plt
import numpy as np

from spherekern import datasets, diffeo, network
from spherekern.dual_activation import ImageNTK
from spherekern.solvers.svm import svm

images, labels = datasets.load("digits")
side = images.shape[-1]
t_min, t_max = diffeo.temperature_range(side)
t_chosen = min(diffeo.temperature(side, 1.0), t_max)
pick = images[[0, 1, 2, 3, 4]]
cols = [("original", pick)] + [(f"T = {T:.3g}", diffeo.deform(pick, T, rng=i))
                               for i, T in enumerate((t_min, t_chosen, t_max))]
fig, axes = plt.subplots(len(pick), len(cols), figsize=(1.5 * len(cols), 1.5 * len(pick)))
for j, (title, imgs) in enumerate(cols):
    axes[0, j].set_title(title, fontsize=8)
    for i in range(len(pick)):
        axes[i, j].imshow(imgs[i, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[i, j].axis("off")
fig.tight_layout()

# %%
# Feature vs lazy on n = 64 training digits (h = 128 neurons, 500 test digits, one seed).
X, _ = datasets.to_sphere(images)
y = datasets.parity_labels(labels)
train, test = datasets.balanced_split(labels, 64, 500, rng=0)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
errors = {}
for alpha, color, name in ((1e-3, "C3", "feature"), (1e2, "C0", "lazy")):
    net = network.TwoLayerNet(X.shape[1], 128, seed=0, activation="softplus", alpha=alpha)
    hist = network.gradient_flow(net, X[train], y[train], max_steps=5000, progress=False)
    errors[f"{name} (alpha = {alpha:g})"] = np.mean(net.predict(X[test]) * y[test] <= 0)
    groups = network.direction_groups(net, 0.1)
    a = np.sort(network.neuron_contributions(net, X[train], groups=groups))[::-1]
    n_eff, n_atoms = network.effective_neurons(net, X[train]), network.effective_atoms(net, X[train], 0.1)
    ax2.semilogy(np.arange(1, a.size + 1), a / a[0], color=color,
                 label=f"{name}: N_atoms = {n_atoms:.0f}, N_eff = {n_eff:.0f} of 128")
    ax1.semilogy(hist.time / hist.time[-1], hist.loss, color=color, label=f"{name} ({hist.steps} steps)")
errors["NTK SVM"] = np.mean(svm(ImageNTK("softplus"), X[train], y[train]).predict(X[test]) * y[test] <= 0)
ax1.set(xlabel="flow time / final time", ylabel="soft-hinge loss", title="training")
ax1.legend(fontsize=8)
ax2.set(xlabel="atom (sorted)", ylabel="r.m.s. term in F / largest", title="atom contributions (neurons merged within 0.1 rad)")
ax2.legend(fontsize=8)
fig.suptitle("test errors: " + ", ".join(f"{k} {v:.3f}" for k, v in errors.items()), fontsize=9)
fig.tight_layout()
plt.show()
