"""Command line: ``spherekern predict --d 5 --nu-t 2.5 [--power 1] [--plot FILE]``.

Prints the predicted learning-curve exponent ``beta`` (``eps(n) ~ n^-beta``) of each regime and
the crossover smoothness; ``--plot`` draws the spectral-bias-ansatz curves for model power-law
spectra (``c_k = k^(-2 nu_t-(d-1))``, ``mu_k(phi)^2 = k^(-alpha)``) with matplotlib's Agg backend.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

from . import curves, exponents

REGIMES = ("lazy", "rf", "feature")
_LABELS = {"lazy": "lazy (NTK)", "rf": "random features", "feature": "feature (relu^a atoms)"}


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} (use e.g. 2.5 or inf)") from None


class _OneLineParser(argparse.ArgumentParser):
    """argparse with usage errors on one line (``prog: error: argument --x: rule``), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message.splitlines()[0] if message else 'bad arguments'} (see --help)\n")


def _finite(text: str) -> float:
    v = _float(text)
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


#: largest degree the plot's model spectra may need (the arrays hold ~4x the degree reaching n_max)
MAX_PLOT_DEGREE = 10**6


def _parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog="spherekern", description="spherekern command-line tools")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    q = sub.add_parser("predict", help="predicted learning-curve exponents (spectral-bias ansatz)",
                       description="Predicted exponents beta of eps(n) ~ n^-beta for regression of a Gaussian "
                                   "random field of smoothness nu_t on S^(d-1), in the lazy (NTK), random-features "
                                   "and feature (sparse atoms) regimes; see theory/README.md.")
    q.add_argument("--d", type=int, required=True, help="ambient dimension (points on S^(d-1)), >= 2")
    q.add_argument("--nu-t", type=_float, required=True, help="target smoothness > 0 ('inf' for a constant target)")
    q.add_argument("--power", type=_float, default=1.0, help="activation relu(t)^power (default 1)")
    q.add_argument("--plot", metavar="FILE", help="draw the predicted curves into FILE (png, pdf, svg)")
    q.add_argument("--n-min", type=_finite, default=8.0, help="smallest n on the plot (default 8)")
    q.add_argument("--n-max", type=_finite, default=1e4, help="largest n on the plot (finite; default 1e4)")
    return p


def predict(d, nu_t, power=1.0):
    """Rows (regime, alpha, beta) and the crossovers, validated."""
    rows = [(r, exponents.alpha(d, r, power), exponents.beta(d, nu_t, r, power)) for r in REGIMES]
    cross = {r: exponents.crossover(d, power, regime=r) for r in ("lazy", "rf")}
    return rows, cross


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.6g}"


def _model_spectra(d, nu_t, alpha_, n_max):
    """Power-law model spectra long enough for n_max centres (degree cut well inside the array)."""
    if not math.isfinite(n_max):
        raise ValueError(f"n_max must be finite, got {n_max}")
    # sum_{k <= K} N(k, d) = N(K, d + 1): refuse before looping if the degree needed exceeds MAX_PLOT_DEGREE
    if curves.harmonic_dim(MAX_PLOT_DEGREE, d + 1) < n_max:
        raise ValueError(f"n_max = {n_max:g} needs degrees beyond {MAX_PLOT_DEGREE} in d = {d} (arrays of "
                         f"> {4 * MAX_PLOT_DEGREE} degrees); use a smaller --n-max")
    K0, total, k = 0, 0, 0
    while total < n_max:
        total += curves.harmonic_dim(k, d)
        K0, k = k, k + 1
    K = max(4 * K0, K0 + 50)
    k = np.arange(K + 1, dtype=float)
    kk = np.maximum(k, 1.0)
    phi = kk ** (-alpha_ / 2)
    if math.isinf(nu_t):
        c = np.zeros(K + 1)
        c[0] = 1.0
    else:
        c = kk ** (-2 * nu_t - (d - 1))
    return c, phi


def plot(file, d, nu_t, power=1.0, n_min=8.0, n_max=1e4):
    """Draw the ansatz curves of the three regimes (model spectra) with their n^-beta slopes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not (1 <= n_min < n_max) or not math.isfinite(n_max):
        raise ValueError(f"need 1 <= n_min < n_max < inf, got n_min={n_min}, n_max={n_max}")
    _model_spectra(d, nu_t, 1.0, n_max)   # the size guard, before any drawing
    ns = np.geomspace(n_min, n_max, 60)
    fig = Figure(figsize=(6, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for regime, color in zip(REGIMES, ("C0", "C2", "C3")):
        a = exponents.alpha(d, regime, power)
        b = exponents.beta(d, nu_t, regime, power)
        c, phi = _model_spectra(d, nu_t, a, n_max)
        eps = curves.spectral_bias_curve(ns, d, c, phi)
        ax.loglog(ns, eps, color=color, label=f"{_LABELS[regime]}: beta = {b:.3g}")
        ax.loglog(ns, eps[-1] * (ns / ns[-1]) ** (-b), color=color, ls=":", lw=1)
    ax.set_xlabel("n (training points)")
    ax.set_ylabel("predicted test error eps(n)")
    ax.set_title(f"spectral-bias ansatz, d = {d}, nu_t = {_fmt(nu_t)}, power = {_fmt(power)}\n"
                 "(model power-law spectra; dotted: n^-beta)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(file)
    return file


def _plot_file(file: str) -> str:
    """The file ``--plot`` will write: a folder or an empty name is an error; without an extension,
    matplotlib writes PNG to ``FILE.png``, so that is the name used (and reported)."""
    if not file or not file.strip():
        raise ValueError("--plot: must be a file name, got an empty string")
    p = Path(file)
    if p.is_dir():
        raise ValueError(f"--plot: must be a file name, but {file!r} is a folder (e.g. {os.path.join(file, 'curves.png')})")
    if not p.suffix:
        return file + ".png"
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fmts = FigureCanvasAgg(Figure()).get_supported_filetypes()
    if p.suffix[1:].lower() not in fmts:
        raise ValueError(f"--plot: unknown image format {p.suffix!r}; use one of {', '.join(sorted(fmts))}")
    return file


def main(argv=None) -> int:
    """Entry point of the ``spherekern`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.plot is not None:
            args.plot = _plot_file(args.plot)
        rows, cross = predict(args.d, args.nu_t, args.power)
        if args.plot is not None:   # the plot's size guard before anything is printed or drawn
            if not (1 <= args.n_min < args.n_max):
                raise ValueError(f"need 1 <= n_min < n_max, got n_min={args.n_min}, n_max={args.n_max}")
            _model_spectra(args.d, args.nu_t, 1.0, args.n_max)
    except (ValueError, TypeError) as exc:
        print(f"spherekern predict: error: {exc}", file=sys.stderr)
        return 2
    print(f"spectral-bias ansatz: d = {args.d} (S^{args.d - 1}), nu_t = {_fmt(args.nu_t)}, "
          f"activation relu^{_fmt(args.power)}")
    print(f"{'regime':<10}{'alpha':>10}{'beta':>10}   eps(n) ~ n^-beta")
    for regime, a, b in rows:
        print(f"{regime:<10}{_fmt(a):>10}{_fmt(b):>10}   {_LABELS[regime]}")
    for regime, nu in cross.items():
        print(f"crossover {regime:<5} beats feature for nu_t > {_fmt(nu)}")
    if args.plot:
        try:
            plot(args.plot, args.d, args.nu_t, args.power, args.n_min, args.n_max)
        except (ValueError, OSError) as exc:
            print(f"spherekern predict: error: {exc}", file=sys.stderr)
            return 2
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
