"""Shared fixtures for the benchmark suite (`make bench`).

Naming convention read by bench/report.py: ``benchmark.group = "<hot path>"`` and test names
``test_<hotpath>__project`` / ``test_<hotpath>__<baseline>`` (numpy, scipy, floor, sklearn, highs, ...).
``benchmark.extra_info["entries"]`` (outputs computed per call) lets the report compare per entry when
a baseline is run on a smaller size than the project.
"""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20221122)
