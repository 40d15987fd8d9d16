"""Tolerances and tuning constants of :func:`spherekern.solvers.atomic` (one place for all of them)."""
import numpy as np


#: HiGHS tolerances of the master LP (primal: interpolation residual, polished afterwards by a solve on the
#: support; dual: |eta| at LP columns). Tighter values make HiGHS stall on the ill-conditioned LPs of
#: interpolation with n ~ 10^2..10^3 points.
_LP_TOL = 1e-7
#: Dual feasibility tolerance of the dense primal simplex after the crossover (:mod:`.dense_simplex`): pool columns
#: end with a_k . p <= 1 + this (costs are 1), well inside the certificate's tol = 1e-7.
_DENSE_DUAL_TOL = 1e-9
#: Directions closer than this (Euclidean) are treated as the same column.
_DUP_TOL = 1e-10
#: |theta . x_j| below this puts theta on the hyperplane of x_j (cell boundary) in the cell walk.
_BOUNDARY_TOL = 1e-12
#: Smallest certificate tolerance of method="ipm": the normal equations of the interior-point master lose
#: primal feasibility near relative gaps of 1e-7 on these LPs (measured: n = 256, d = 3).
_IPM_MIN_TOL = 1e-5
#: method="ipm": the column pool is kept below this many columns per training point (weightless columns with the
#: largest reduced costs go first).
_POOL_CAP = 6
#: The simplex rounds' column pool is trimmed only beyond this many entries (columns x n, 2^25 = 256 MB of float64)
#: or 16 n columns, whichever is more: trimming sooner let degenerate masters cycle (:mod:`.simplex`).
_POOL_ENTRIES = 2 ** 25
#: method="auto": the interior-point rounds cross over to the simplex when the excess max|eta| - 1 of the largest
#: |eta| their pricing found (staged or full) has not halved for this many rounds (measured: n = 64 .. 256,
#: y = |theta . x|: 200 cycling rounds without it, 16-23 s at n = 256, now 5.6 s; y = relu(theta . x), d = 5,
#: n = 128: 2.2 s and 1 atom, against 8.5 s and 60 "atoms" before; counting full pricings only, 5.5 s).
_IPM_STALL = 15
#: method="ipm": largest relative primal residual of the master LP in the rounds whose master gap delta is above
#: tol / 10 (they need 0.1 delta; the others 1e-7): the first rounds need 8 instead of 15 interior-point iterations.
_IPM_LOOSE_PRIMAL = 1e-3
#: method="ipm", d >= 3: the pricing starts from the training points and random points only when the ascents from
#: the current atoms and the last maxima find fewer than this many violated maxima per training point.
_STAGE_MIN = 0.25
#: method="ipm": each master LP keeps its first iterate with relative gap below this as the warm start of the next
#: round's (:func:`_ipm_warm_start`). n = 1024, d = 5: 165 -> 105 s (smooth field), 136 -> 115 s (|t| teacher).
_WARM_GAP = 3e-3
#: The simplex rounds after the crossover, when the proof ends them (d = 3, lam = 0): the ascents from the current
#: atoms and the last maxima alone give the round's new columns when they find at least _STAGE_MIN_SIMPLEX violated
#: maxima (0: always the full pricing), the largest above 1 + _STAGE_EXCESS tol (near the end every round prices in
#: full: measured, n = 256 constant target, without that rule 41 rounds, three of them proofs that found maxima of
#: 1 + 1e-4 that the staged rounds had not looked for; with it 27). n = 256 bench teacher: 12 ms instead of 35 ms per
#: round, same rounds.
_STAGE_MIN_SIMPLEX = 1
_STAGE_EXCESS = 3.0
#: d >= 3, both masters: the (full) pricing also starts from the _SAMPLE_TOP best of max(_SAMPLE_MIN, 50 n) random
#: directions by |eta| (:func:`_sampled_starts`).
_SAMPLE_MIN = 20000
_SAMPLE_TOP = 64
#: Rows of the predict/eta kernel processed per parallel task.
_BLOCK = 256
#: Smallest lam / max|y| accepted by atomic() is this / tol (float64 eps): below it the dual p = residual / (n lam)
#: is rounding noise at the level tol (lam / max|y| = 1e-8 certifies tol = 1e-7; 1e-10 stalls at 1 + 1e-5).
_LAM_MIN_REL = float(np.finfo(np.float64).eps)
