"""The default path of spherekern.solvers.atomic (method="auto", lam = 0): interior-point column-generation rounds,
then a crossover to the dense primal simplex on the final column pool, started from the purified vertex.

References (none shares code with the crossover): the simplex path from scratch (``method="simplex"``, an
independent column generation from the training points), the brute-force HiGHS LP over many random directions
(an upper bound of the continuous optimum), and the dual certificate recomputed here with numpy by dense sampling.
"""
import numpy as np
import pytest
from scipy.optimize import linprog

from spherekern.solvers import atomic


def _unit(rng, n, d):
    Z = rng.standard_normal((n, d))
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def _teacher(rng, X, m=200):
    T = _unit(rng, m, X.shape[1])
    return np.abs(X @ T.T) @ rng.choice([-1.0, 1.0], m) / np.sqrt(m)


def _sampled_max(X, p, m, rng):
    T = _unit(rng, m, X.shape[1])
    return float(np.abs(np.maximum(T @ X.T, 0.0) @ p).max())


@pytest.mark.parametrize("d, n, seed", [pytest.param(2, 40, 0, marks=pytest.mark.slow), (3, 32, 1), (3, 48, 2)])
def test_default_matches_simplex_path(d, n, seed):
    rng = np.random.default_rng(seed)
    X = _unit(rng, n, d)
    y = _teacher(rng, X)
    a = atomic(X, y)
    s = atomic(X, y, method="simplex")
    assert a.converged and s.converged
    assert a.certificate <= 1 + 1e-7 and a.n_atoms <= n
    # the history: interior-point rounds (they carry ipm_iterations), then simplex rounds
    kinds = ["ipm_iterations" in h for h in a.history]
    assert kinds[0] and not kinds[-1] and kinds == sorted(kinds, reverse=True)
    # exact interpolation by the atoms (naive numpy sum)
    f = np.maximum(X @ a.directions.T, 0.0) @ a.weights
    assert np.max(np.abs(f - y)) <= 1e-9 * np.abs(y).max()
    assert a.objective == pytest.approx(np.abs(a.weights).sum(), rel=1e-14)
    # each objective is above the other's proven lower bound y.p / max(1, B), B the branch-and-bound bound of
    # max|eta| over the whole sphere (a sampled max would not do: it is below the true max)
    ra, rs = a.verify(tol=2e-7), s.verify(tol=2e-7)
    assert ra.proved and rs.proved
    lb_a, lb_s = float(y @ a.dual) / max(1.0, ra.bound), float(y @ s.dual) / max(1.0, rs.bound)
    assert a.objective >= lb_s * (1 - 1e-13) and s.objective >= lb_a * (1 - 1e-13)
    assert abs(a.objective - s.objective) <= 3e-7 * s.objective
    # a sampled max|eta| is a lower value of the proven bound
    assert _sampled_max(X, a.dual, 100_000, rng) <= ra.bound
    # complementary slackness at the atoms
    eta = np.maximum(a.directions @ X.T, 0.0) @ a.dual
    assert np.allclose(eta, np.sign(a.weights), atol=1e-6)


def test_default_beats_brute_force_lp():
    """The continuous optimum is below the LP over 20,000 fixed random directions (an upper bound), and not by more
    than that LP's own suboptimality allows (the lower bound of the default's certified dual)."""
    rng = np.random.default_rng(5)
    X = _unit(rng, 40, 3)
    y = _teacher(rng, X)
    a = atomic(X, y)
    D = _unit(rng, 20_000, 3)
    A = np.maximum(X @ D.T, 0.0)
    ref = linprog(np.ones(2 * len(D)), A_eq=np.hstack([A, -A]), b_eq=y, bounds=(0, None), method="highs")
    assert ref.status == 0
    assert a.objective <= ref.fun * (1 + 1e-9)
    assert ref.fun >= float(y @ a.dual) / max(1.0, a.certificate) - 1e-12
    assert ref.fun <= a.objective * 1.05


def test_default_is_scale_invariant_and_handles_zero():
    """d = 3: the same atoms to 1e-12 (the pricing's end points differ by ~1e-13 between y and s y, which
    agree only up to the last bit after the normalisation by max|y|), the weights to 1e-6 (measured 9e-8: the
    interpolation matrix of the atoms amplifies the 1e-13; the simplex path alone: 2e-10), the objective to 1e-9."""
    rng = np.random.default_rng(6)
    X = _unit(rng, 24, 3)
    y = _teacher(rng, X)
    a = atomic(X, y)
    for s in (1e-150, 1e150):
        b = atomic(X, s * y)
        assert b.converged and b.n_atoms == a.n_atoms
        assert np.allclose(b.directions, a.directions, rtol=0, atol=1e-12)
        assert np.allclose(b.weights / s, a.weights, rtol=1e-6, atol=0)
        assert b.objective / s == pytest.approx(a.objective, rel=1e-9)
    z = atomic(X, np.zeros(24))
    assert z.n_atoms == 0 and z.objective == 0.0


def test_bad_input_lam_tol_method():
    rng = np.random.default_rng(7)
    X = _unit(rng, 10, 3)
    y = rng.standard_normal(10)
    for lam in (np.inf, np.nan):
        with pytest.raises(ValueError, match="lam must be finite"):
            atomic(X, y, lam=lam)
    with pytest.raises(ValueError, match="lam = 1e-20 is absurdly small for the data's scale"):
        atomic(X, y, lam=1e-20)
    with pytest.raises(ValueError, match="absurdly small"):
        atomic(X, y, lam=1e-10)  # lam / max|y| ~ 5e-11 < eps / tol = 2.2e-9
    # relative to max|y|: the same lam is fine for data of that scale
    sol = atomic(X, 1e-10 * y, lam=1e-12)
    assert sol.converged
    with pytest.raises(ValueError, match="overflows"):
        atomic(X, 1e-300 * y, lam=1e300)
    with pytest.raises(ValueError, match="tol = 1e-15 is below what float64 can certify for n = 10 points in d = 3"):
        atomic(X, y, tol=1e-15)
    for m in ("newton", "IPM", None, 3):
        with pytest.raises(ValueError, match="method must be 'auto', 'ipm' or 'simplex'"):
            atomic(X, y, method=m)


def test_a_target_of_two_atoms_gives_those_two_atoms():
    """y = |theta* . x| = relu(theta* . x) + relu(-theta* . x): an interpolant of total variation 2 with two atoms.
    The optimal dual face is wide (n - 2 dimensions); before the stall crossover the interior-point rounds cycled
    there (200 rounds at n = 64, max|eta| 1e2..1e3) and the degenerate vertex kept ~130 basic columns at weights
    ~1e-12 as "atoms". Reference: the identity (objective 2 is attained), the certificate, dense sampling of eta."""
    rng = np.random.default_rng(5)
    X = _unit(rng, 64, 3)
    ts = np.array([0.6, 0.8, 0.0])
    sol = atomic(X, np.abs(X @ ts), rng=0)
    assert sol.converged and sol.certificate <= 1 + 1e-7
    assert sol.n_atoms == 2 and sol.objective == pytest.approx(2.0, rel=1e-9)
    assert sorted(np.round(sol.directions @ ts, 9).tolist()) == [-1.0, 1.0]
    assert np.allclose(sol.weights, 1.0, rtol=1e-9)
    assert _sampled_max(X, sol.dual, 200_000, rng) <= 1 + 1e-7
    assert len(sol.history) < 100        # 226 rounds before (the stall rule crosses over after 15 without progress)


def test_a_degenerate_master_does_not_cycle():
    """|x_1| on 24 Gaussian points (d = 3, ``default_rng(0)``): the optimum is the two atoms +-e_1 of weight 1 on a
    wide optimal dual face. While the column pool was trimmed beyond 2048 columns, dropped columns were priced back
    and the rounds cycled (218 rounds, unconverged at max|eta| = 1.0018); the pool is now trimmed only beyond
    ``_POOL_ENTRIES`` entries. References: the identity (total variation 2 is attained by |x_1| = relu(x_1) +
    relu(-x_1)), 2 10^5 numpy-sampled directions below the proven bound."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    sol = atomic(X, np.abs(X[:, 0]))
    assert sol.converged and sol.certificate <= 1 + 1e-7
    assert sol.proof is not None and sol.proof.proved
    assert sol.n_atoms == 2 and sol.objective == pytest.approx(2.0, rel=1e-9)
    assert sorted(np.round(sol.directions[:, 0], 9).tolist()) == [-1.0, 1.0]
    assert _sampled_max(X, sol.dual, 200_000, np.random.default_rng(1)) <= sol.proof.bound
