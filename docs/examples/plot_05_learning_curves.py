"""
Learning curves: lazy versus feature
====================================

Test error of the two predictors against n for a constant target on S^2 (a small version of the check
``constant`` of the validation suite). The theory (``theory.beta``) predicts ``eps ~ n^{-beta}`` with
``beta = alpha / (d - 1)``: ``alpha = 2d`` (NTK) and ``d + 2`` (ReLU atoms), so the lazy predictor learns the
smooth target faster.
"""
import matplotlib.pyplot as plt
import numpy as np

import theory
from spherekern import kernels, solvers, sphere

d = 3
ns = [8, 16, 32, 64, 128]
Xt = sphere.uniform(2000, d, rng=99)
err = {"lazy": [], "feature": []}
for n in ns:
    e = {"lazy": [], "feature": []}
    for seed in range(3):
        X = sphere.uniform(n, d, rng=seed)
        y = np.ones(n)
        e["lazy"].append(np.mean((solvers.min_norm(kernels.NTK(), X, y).predict(Xt) - 1) ** 2))
        e["feature"].append(np.mean((solvers.atomic(X, y, rng=seed).predict(Xt) - 1) ** 2))
    for k in err:
        err[k].append(np.mean(e[k]))

fig, ax = plt.subplots(figsize=(6, 4))
for k, c in (("lazy", "C0"), ("feature", "C3")):
    b = theory.beta(d, np.inf, k)
    ax.loglog(ns, err[k], "o-", color=c, label=f"{k} (theory beta = {b:g})")
    ax.loglog(ns, err[k][-1] * (np.array(ns) / ns[-1]) ** (-b), ":", color=c)
ax.set_xlabel("n")
ax.set_ylabel("test MSE")
ax.set_title(f"constant target, d = {d} (dotted: n^-beta)")
ax.legend()
fig.tight_layout()
plt.show()
