"""paper_checks: the validation suite of spherekern (``python -m paper_checks``, ``make check``).

It reproduces Petrini, Cagnetta, Vanden-Eijnden & Wyart (NeurIPS 2022), "Learning sparse features can
lead to overfitting in neural networks" (regression on the sphere: checks constant, grf, sparsity, ansatz,
per_degree, spectra, gd; images: check images), and Boursier & Flammarion (2024), "Simplicity bias and
optimization threshold in two-layer ReLU networks" (check alignment): for each claim, the theory's
prediction (``theory``), the measurement from simulations with ``spherekern`` (bootstrap over seeds),
a documented tolerance and a verdict. See ``paper_checks/README.md`` for the check interface, the
runner, the cache and the executors.
"""
from .api import Context, Evaluation, Measurement, Run, task_rng

__all__ = ["Context", "Evaluation", "Measurement", "Run", "task_rng"]
