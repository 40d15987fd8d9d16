"""Matplotlib (Agg) helpers: log-log learning curves with the fitted and the predicted slopes."""
from __future__ import annotations

import numpy as np


def plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as pyplot
    return pyplot


def learning_curve(ax, n, err, label, color=None, fit=None, predicted=None, marker="o", theory=None):
    """Mean over seeds (markers, with the seeds' standard error as bars), the fit over its range (solid),
    a line of the predicted asymptotic slope through the middle of the fit range (dashed) and, if
    ``theory = (n_t, eps_t)`` is given, the finite-n theory curve's shape (dotted; scaled to meet the
    fit in the middle of its range, so only its local slopes are compared)."""
    n = np.asarray(n, float)
    err = np.atleast_2d(np.asarray(err, float))
    mean = err.mean(axis=0)
    se = err.std(axis=0, ddof=1) / np.sqrt(err.shape[0]) if err.shape[0] > 1 else np.zeros_like(mean)
    lo = np.clip(mean - se, mean * 1e-3, None)
    h = ax.errorbar(n, mean, yerr=[mean - lo, se], fmt=marker, ms=4, color=color, capsize=2,
                    label=label + (f"  (fit β={fit.beta:.2f}±{fit.std:.2f})" if fit is not None else ""))
    color = h[0].get_color()
    if fit is not None:
        nf = np.geomspace(fit.n_fit.min(), fit.n_fit.max(), 20)
        ax.plot(nf, fit.predict(nf), "-", color=color, lw=1)
        if predicted is not None and np.isfinite(predicted):
            nm = np.sqrt(fit.n_fit.min() * fit.n_fit.max())
            em = fit.predict(nm)
            nn = np.geomspace(n.min(), n.max(), 20)
            ax.plot(nn, em * (nn / nm) ** (-predicted), "--", color=color, lw=1, alpha=0.7,
                    label=f"predicted slope β={predicted:.2f}")
        if theory is not None:
            nt, et = (np.asarray(a, float) for a in theory)
            nm = np.sqrt(fit.n_fit.min() * fit.n_fit.max())
            scale = fit.predict(nm) / np.exp(np.interp(np.log(nm), np.log(nt), np.log(et)))
            ax.plot(nt, scale * et, ":", color=color, lw=1.3, label="finite-n theory (shape)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return color


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt().close(fig)
    return path
