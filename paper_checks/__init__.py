"""paper_checks: the validation suite of spherekern (``python -m paper_checks``, ``make check``).

It reproduces the regression claims of Petrini, Cagnetta, Vanden-Eijnden & Wyart (NeurIPS 2022),
"Learning sparse features can lead to overfitting in neural networks": for each claim, the theory's
prediction (``theory``), the measurement from simulations with ``spherekern`` (bootstrap over seeds),
a documented tolerance and a verdict. See ``paper_checks/README.md`` for the check interface, the
runner, the cache and the executors.
"""
from .api import Context, Evaluation, Measurement, Run, task_rng

__all__ = ["Context", "Evaluation", "Measurement", "Run", "task_rng"]
