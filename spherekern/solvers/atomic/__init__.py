"""Atomic (feature-regime) predictor: minimum total-variation ReLU networks with continuous atoms.

The feature-regime predictor of a one-hidden-layer ReLU network on the sphere is the measure
``mu`` on S^{d-1} of minimal total variation that fits the data. Its minimisers are atomic,

    f(x) = sum_{i=1}^{n_A} w_i relu(theta_i . x)^power,     theta_i in S^{d-1},

with at most ``n`` atoms (a basic solution of the moment problem). :func:`atomic` solves

* ``lam = 0``:  min  sum_i |w_i|   subject to  f(x_j) = y_j  (j = 1..n),
* ``lam > 0``:  min  (1/2n) sum_j (f(x_j) - y_j)^2 + lam sum_i |w_i|,

over the positions *and* the weights (positions are continuous, not a grid), by column
generation (exchange method):

1. restricted master problem on a finite set of directions: the LP
   ``min 1.(w+ + w-)  s.t.  A (w+ - w-) = y, w+- >= 0``, by default first by interior-point rounds
   (:mod:`.ipm`), then by the HiGHS simplex started from the purified vertex of the last interior point
   (crossover, :mod:`.simplex`; a basic solution, so ``n_A <= n``), or for ``lam > 0`` the restricted lasso,
   solved exactly by an active-set method warm-started each round (:mod:`.lasso`);
2. pricing: maximise ``|eta(theta)|`` over the sphere, where
   ``eta(theta) = sum_j p_j relu(theta . x_j)^power`` is the dual certificate (``p`` the LP duals of
   the interpolation constraints; ``p = residual / (n lam)`` for the lasso). A direction with
   ``|eta| > 1`` has negative reduced cost and enters the master problem;
3. stop when ``max |eta| <= 1 + tol``: then ``p / max|eta|`` is dual feasible and the duality gap
   certifies optimality over *all* measures, not only over the directions tried.

Pricing. For ``power = 1``, inside an activation cell ``C`` (fixed sign pattern of ``theta . x_j``)
``eta(theta) = theta . v_C`` with ``v_C = sum_{j active} p_j x_j``, and the exact maximiser over the
closed cell is ``Pi_C(v_C) / |Pi_C(v_C)|`` (``Pi_C`` the Euclidean projection on the polyhedral cone,
computed by a primal active-set method); a local search then walks to an adjacent cell while that
increases ``eta`` (this finds maxima *on* cell boundaries, where atoms of the optimum typically sit:
hyperplanes ``theta . x = 0`` through data points). An adjacent cell is first tested on the cone of
the boundary hyperplanes through ``theta`` alone (it contains the cell, and the superlevel sets of
``theta . v / |theta|`` on a cone are convex, so the cell improves iff that bound does: O(d^2), no pass over
the points); before that, each step jumps to the best point of the arc towards ``v_C / |v_C|`` (an
exact line search over the arc's breakpoints), crossing many small cells and the valleys between local
maxima. It is started after cheap fixed-point hops ``theta <- v(theta) / |v(theta)|`` from the training
points, the current atoms and random points, and runs once per distinct hop end point. In
``d = 2`` the pricing is exact and global: the cells are the arcs between the angles where
``theta . x_j = 0`` and ``eta`` is ``|v| cos(a - a_v)`` on each arc, whose maximum has a closed form.
For ``power != 1`` (``power >= 1`` real) the pricing is multi-start Riemannian gradient ascent
with Armijo steps. In ``d >= 3`` the global maximum of ``|eta|`` found by the pricing is not certified (the
problem is a non-concave maximisation); it is the best of many local maxima and the
``certificate`` is that value. :meth:`AtomicSolution.verify` (or ``atomic(..., verify=...)``) proves an upper
bound of ``max |eta|`` over the whole sphere by branch and bound over spherical caps (:mod:`.proof`), hence a
proven duality gap. In ``atomic`` the proof is the last pricing step of the simplex rounds (by default in d = 3
and 4, and in d = 5 up to n = 128: ``verify="auto"``): the local pricing certifies ``1 + tol / 2``, the proof at ``tol`` proves it or finds a
maximum that the local pricing missed, which becomes a column, and the column generation goes on.

Modules: :mod:`.solve` (the public :func:`atomic`), :mod:`.solution`, :mod:`._kernels`, :mod:`.cellwalk` and
:mod:`.pricing` (pricing), :mod:`.simplex`, :mod:`.ipm`, :mod:`.purify`, :mod:`.lasso`, :mod:`.critical`,
:mod:`.proof`, :mod:`._config` (tolerances).

See docs/CONVENTIONS.md for conventions (points are rows of X on the unit sphere S^{d-1}, d the
ambient dimension).

References
----------
F. Bach, "Breaking the curse of dimensionality with convex neural networks", JMLR 18 (2017).
L. Chizat, "Sparse optimization on measures with over-parameterized gradient descent", Math. Prog. (2021).
L. Petrini, F. Cagnetta, E. Vanden-Eijnden, M. Wyart, "Learning sparse features can lead to
overfitting in neural networks", NeurIPS 2022 (the atomic predictor of the feature regime).
R. Hettich, K. Kortanek, "Semi-infinite programming: theory, methods and applications", SIAM Rev. (1993).
"""
from __future__ import annotations

from .critical import critical_directions
from .solution import AtomicSolution
from .solve import atomic
# private names used by other modules and tests (spherekern.network.sparse, tests/test_atomic*.py)
from .cellwalk import _arc_search  # noqa: F401
from .ipm import _ipm_warm_start  # noqa: F401
from .lasso import _cd_lasso, _polish_lasso  # noqa: F401
from .pricing import _price  # noqa: F401
from .purify import _caratheodory  # noqa: F401

__all__ = ["atomic", "AtomicSolution", "critical_directions"]
