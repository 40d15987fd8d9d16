"""Benchmark inputs shared by the CPU benchmarks and their CUDA twins (bench_cuda.py), so both time the same data."""
import numpy as np

SEED = 20221122


def sphere_points(n, d, seed=SEED):
    """n points on S^{d-1} (normalised Gaussians)."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def network_problem(H, n, d):
    """(TwoLayerNet(d, H, xi=0, seed=1), X, y) for one forward + backward pass on n points, y smooth in x."""
    from spherekern import network
    X = sphere_points(n, d)
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return network.TwoLayerNet(d, H, xi=0.0, seed=1), X, y
