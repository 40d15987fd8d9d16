"""Wide teacher evaluation: spherekern vs blocked numpy vs the dot-product floor.

Hot path ``teacher``: ``Teacher(5, "abs", 1.0, width=H)(X)`` with H = 10^7 neurons on n = 10^4 points of
S^4 (10^11 neuron-point pairs; override H with SPHEREKERN_BENCH_TEACHER_H).

* ``__project``  the parallel numba kernel (neurons regenerated in blocks from the counter-based stream).
* ``__floor``    exactly the same loops and neuron generation, with act(z) replaced by z: only the dot
                 products theta.x (and the weighted sum), i.e. the cost of reading the data.
* ``__numpy``    what a user would write: blocks of 2^15 neurons drawn with numpy, Z = X @ Theta^T (BLAS),
                 np.abs, Z @ s. Run on H/10 neurons; compare per pair via extra_info["entries"].
"""
import os

import numpy as np
import pytest

from bench._data import sphere_points
from spherekern.targets import Teacher

N, D = 10_000, 5
H = int(os.environ.get("SPHEREKERN_BENCH_TEACHER_H", 10**7))
H_NUMPY = max(1, H // 10)


@pytest.fixture(scope="module")
def points():
    return sphere_points(N, D)


def _numpy_teacher(X, width, seed=0, block=1 << 15):
    rng = np.random.default_rng(seed)
    out = np.zeros(X.shape[0])
    for h0 in range(0, width, block):
        b = min(block, width - h0)
        th = rng.standard_normal((b, X.shape[1]))
        th /= np.linalg.norm(th, axis=1, keepdims=True)
        s = rng.choice([-1.0, 1.0], size=b)
        Z = X @ th.T
        np.abs(Z, out=Z)
        out += Z @ s
    return out / np.sqrt(width)


def test_teacher__project(benchmark, points):
    T = Teacher(D, "abs", 1.0, width=H, seed=1)
    Teacher(D, "abs", 1.0, width=100, seed=1)(points[:300])        # JIT warm-up
    benchmark.group = "teacher"
    benchmark.extra_info["entries"] = N * H
    benchmark.pedantic(T, args=(points,), rounds=2, warmup_rounds=0)


def test_teacher__floor(benchmark, points):
    T = Teacher(D, "abs", 1.0, width=H, seed=1)
    Teacher(D, "abs", 1.0, width=100, seed=1)._eval(points[:300], floor=True)
    benchmark.group = "teacher"
    benchmark.extra_info["entries"] = N * H
    benchmark.pedantic(T._eval, args=(points,), kwargs=dict(floor=True), rounds=2, warmup_rounds=0)


def test_teacher__numpy(benchmark, points):
    benchmark.group = "teacher"
    benchmark.extra_info["entries"] = N * H_NUMPY
    benchmark.pedantic(_numpy_teacher, args=(points, H_NUMPY), rounds=2, warmup_rounds=0)
