"""The dense primal simplex of the atomic solver's crossover (spherekern.solvers.atomic.dense_simplex) against
HiGHS (scipy.optimize.linprog, an independent LP solver) on dense LPs of the atomic master's form."""
import numpy as np
import pytest
from scipy.optimize import linprog

from spherekern.solvers.atomic._kernels import _features
from spherekern.solvers.atomic.dense_simplex import DenseSimplex


def _unit(rng, m, d):
    Z = rng.standard_normal((m, d))
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def _problem(rng, n, d, K, target="constant"):
    """Signed ReLU columns (the training points of both signs, then K random signed directions) and a feasible
    start: the support of HiGHS's optimal vertex over the first half of the columns (a degenerate vertex has
    fewer than n columns: the simplex completes the basis)."""
    X = _unit(rng, n, d)
    T = _unit(rng, K, d)
    F = _features(X, X, 1.0)
    At = np.concatenate([F, -F, _features(T, X, 1.0) * rng.choice([-1.0, 1.0], K)[:, None]])
    y = np.ones(n) if target == "constant" else np.sign(X[:, 0]) * np.abs(X[:, 0]) ** 0.5 + X[:, 1]
    half = At.shape[0] // 2
    res = linprog(np.ones(half), A_eq=At[:half].T, b_eq=y, bounds=(0, None), method="highs-ds")
    assert res.status == 0
    return At, y, np.flatnonzero(res.x > 1e-12)


def _highs(At, y):
    res = linprog(np.ones(At.shape[0]), A_eq=At.T, b_eq=y, bounds=(0, None), method="highs-ds",
                  options=dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10))
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize("n,d,K,target", [(16, 2, 300, "constant"), (40, 3, 800, "constant"),
                                          (40, 3, 800, "rough"), (24, 5, 600, "rough")])
def test_optimum_matches_highs(n, d, K, target):
    rng = np.random.default_rng(n + d)
    At, y, basic = _problem(rng, n, d, K, target)
    ds = DenseSimplex(At, y, basic)
    assert ds.solve()
    z = ds.z
    ref = _highs(At, y)
    scale = np.abs(y).max()
    assert abs(z.sum() - ref) <= 1e-11 * ref
    assert np.abs(At.T @ z - y).max() <= 1e-11 * scale  # feasible
    assert z.min() >= 0 and np.count_nonzero(z) <= n     # a vertex
    # the dual certifies the pool (a_k . pi <= 1) and closes the gap (y . pi = 1.z)
    assert (At @ ds.pi).max() <= 1 + 1e-9
    assert abs(y @ ds.pi - z.sum()) <= 1e-10 * ref


def test_columns_added_and_deleted_between_solves_as_in_column_generation():
    rng = np.random.default_rng(7)
    At, y, basic = _problem(rng, 30, 3, 600)
    half = At.shape[0] // 2              # the start is optimal over the first half
    ds = DenseSimplex(At[:half], y, basic)
    assert ds.solve()
    ds.add(At[half:])                      # the next round's columns: the basis stays feasible
    assert ds.solve()
    assert abs(ds.z.sum() - _highs(At, y)) <= 1e-11 * _highs(At, y)
    keep = ds.is_basic | (np.arange(At.shape[0]) % 3 != 0)   # drop a third of the nonbasic columns
    ds.delete(keep)
    assert ds.solve()
    assert abs(ds.z.sum() - _highs(At[keep], y)) <= 1e-11 * _highs(At[keep], y)
    with pytest.raises(ValueError, match="basic column"):
        ds.delete(np.zeros(ds.At.shape[0], bool))


def test_a_start_with_fewer_columns_than_rows_is_completed():
    # y = the first two columns' sum: a feasible start of two columns; the rest of the basis comes at value 0
    rng = np.random.default_rng(3)
    At, _, _ = _problem(rng, 20, 3, 400)
    y = At[0] + 0.5 * At[5]
    ds = DenseSimplex(At, y, np.array([0, 5]))
    assert ds.basis.size == 20 and {0, 5} <= set(ds.basis.tolist())
    assert ds.solve()
    assert abs(ds.z.sum() - _highs(At, y)) <= 1e-11 * _highs(At, y)


def test_bad_starts_raise():
    rng = np.random.default_rng(4)
    At, y, basic = _problem(rng, 12, 3, 100)
    with pytest.raises(np.linalg.LinAlgError, match="not primal feasible"):
        DenseSimplex(At, -y, basic)  # the same columns fit -y with negative weights
    with pytest.raises(np.linalg.LinAlgError, match="do not span"):
        DenseSimplex(np.repeat(At[:1], 50, axis=0), At[0], np.array([0]))  # rank one
