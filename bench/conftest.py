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


def pytest_benchmark_update_machine_info(config, machine_info):
    """Record the machine in the JSON (bench/report.py prints it), with the GPU when numba.cuda sees one."""
    from bench.report import machine_description
    desc = machine_description()
    try:
        from spherekern import _cuda
        if not _cuda.simulated():
            from numba import cuda
            if cuda.is_available():
                dev = cuda.get_current_device()
                desc += f"; GPU {dev.name.decode() if isinstance(dev.name, bytes) else dev.name}"
    except Exception:
        pass
    machine_info["spherekern"] = desc
