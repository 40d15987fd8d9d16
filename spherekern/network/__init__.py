"""Full-batch gradient descent of a one-hidden-layer network, lazy to feature regime.

Public API (the package ``spherekern.network``; one concept per submodule)
-----------------------------------------------------------------------------
* :class:`TwoLayerNet` ``(d, width, xi=1.0, sphere=False, seed=None, *, activation="relu", alpha=None,
  bias=False, init="normal", init_scale=1.0)`` (:mod:`~spherekern.network.model`): attributes ``weights``,
  ``directions``, ``biases`` (None without biases) and their frozen copies ``weights0``, ``directions0``,
  ``biases0``; ``scale``, ``f0_coef``, ``lr_scale``, ``unit_inputs``; methods ``predict(X)``,
  ``loss_and_grad(X, y, lam=0, device="cpu", loss="mse")``, ``kernel()``, ``copy()``, ``parameters()``,
  ``path_norm()``.
* :func:`train` ``(net, X, y, lr=None, steps=10000, tol=1e-6, lam=0.0, conic=False, progress=True, *,
  momentum=None, rtol=1e-9, log_every=None, backtrack=True, device="cpu", loss="mse", record_every=None,
  record_steps=None)`` -> :class:`TrainHistory` (``record_steps``, ``directions`` (r, H, d[+1]),
  ``weights`` (r, H)) (:mod:`~spherekern.network.training`).
* :func:`gradient_flow` ``(net, X, y, *, loss="soft_hinge", dt=1.0, max_steps=100000, max_time=None,
  margin_frac=0.99, progress=True, tol=0.0, grad_tol=1e-4, out_tol=0.1, log_every=None, record_every=None,
  record_steps=None)`` -> :class:`FlowHistory` (``step``, ``time``, ``loss``, ``margin_frac``, ``dt``,
  recorded neurons) (:mod:`~spherekern.network.flow`).
* :func:`count_atoms`, :func:`effective_neurons`, :func:`neuron_contributions`, :func:`effective_atoms`,
  :func:`direction_groups`, :func:`refit_output`,
  :class:`RefitResult` (:mod:`~spherekern.network.sparse`);
  :class:`TangentKernel` (:mod:`~spherekern.network.tangent`); :func:`softplus_constant`;
  the losses ``"mse"`` and ``"soft_hinge"`` (:mod:`~spherekern.network.losses`).
* ``device="cuda"`` (:mod:`spherekern.network_cuda`) covers relu without biases; softplus, biases and
  :func:`gradient_flow` are CPU only (ValueError).

Generalised network
-------------------
``F(x) = scale * sum_h w_h phi(theta_h . x + b_h) - f0_coef * scale * sum_h w0_h phi(theta0_h . x + b0_h)``:

* activation ``phi``: ``relu`` or the normalised softplus ``phi(z) = c softplus(5 z)/5``, ``c`` such that
  ``E[phi(z)^2] = 1`` for ``z ~ N(0, 1)`` (:func:`softplus_constant`, Gauss-Hermite quadrature);
* ``xi`` parametrisation (below): ``scale = H^{-(1 - xi/2)}``, ``f0_coef = xi``;
* alpha-trick (``alpha`` given): ``F = alpha [(1/H) sum_h w_h phi(.) - f0]``: ``scale = alpha / H``,
  ``f0_coef = 1``.  ``xi = 1`` is exactly ``alpha = sqrt(H)``; ``xi = 0`` has the scale of ``alpha = 1``
  but no ``f0`` subtracted.  The image paper's network (``f = (1/h) sum beta_j phi(omega_j . x / sqrt(D))``,
  ``|x| = sqrt(D)``, ``omega ~ N(0, I)``) is this one with unit-norm inputs ``x / sqrt(D)`` and
  ``theta = omega``;
* plain (``init="balanced"`` / ``"unbalanced"``, small ``init_scale``): ``scale = 1``, ``f0_coef = 0``,
  the network of Boursier & Flammarion; its ``lr_scale`` is 1 (``lr`` is the parameter step).  Their
  loss ``(1/n) sum (h - y)^2`` is twice ``"mse"``, so their step ``eta`` is ``lr = 2 eta`` here.
  Balanced means ``w_h^2 = |theta_h|^2 + b_h^2``; for relu gradient flow conserves
  ``w_h^2 - |theta_h|^2 - b_h^2`` (homogeneity).
* the parameter step of :func:`train` is ``lr * lr_scale``, ``lr_scale = 1 / (scale^2 H)`` (the
  ``H^{1 - xi}`` below), so that ``dF = -lr Theta_H dC/dF`` with a width-independent ``Theta_H``.

Original (xi) parametrisation
-----------------------------

The network (width ``H``, inputs ``x`` on S^{d-1}, ``d`` the ambient dimension, docs/CONVENTIONS.md) is

    f(x) = H^{-(1 - xi/2)} sum_h ( w_h relu(theta_h . x) - xi w0_h relu(theta0_h . x) ),

``xi`` in [0, 1]; ``w0, theta0`` are frozen copies of the initial values, so ``f = 0`` at
initialisation whatever ``xi``.  ``xi = 1`` is the lazy (NTK) regime (``H^{-1/2}`` scaling, the
initial function subtracted: the "alpha-trick" of Chizat, Oyallon & Bach 2019 with alpha = sqrt(H));
``xi = 0`` the feature / mean-field regime (``1/H`` scaling; Mei, Montanari & Nguyen 2018,
Rotskoff & Vanden-Eijnden 2018, Chizat & Bach 2018), the setting of Petrini, Cagnetta,
Vanden-Eijnden & Wyart (NeurIPS 2022).  Write ``alpha = H^{-(1 - xi/2)}``.

Parametrisations
----------------
* ``sphere=False`` (standard): ``theta_h ~ N(0, I_d)``, ``w_h ~ N(0, 1)``, both layers trained by
  plain gradient descent on the loss ``L = (1/2n) sum_j (f(x_j) - y_j)^2``.
* ``sphere=True``: ``theta_h`` uniform on S^{d-1} and kept there (the Euclidean gradient is
  projected on the tangent space, ``g - (theta . g) theta``, then the point is retracted by
  normalisation); an L1 penalty ``lam * sum_h |w_h| / H`` is allowed, handled exactly by a proximal
  (soft-threshold) step on ``w``, so pruned neurons have ``w_h == 0``.  For ``xi = 0`` the objective::

      (1/2n) sum_j (f(x_j) - y_j)^2 + lam * (1/H) sum_h |w_h|,   f = (1/H) sum_h w_h relu(theta_h . x)

  is the objective of :func:`spherekern.solvers.atomic` for the atomic measure with atoms
  ``theta_h`` and weights ``w_h / H``; its minimisers are atomic with at most n atoms.
* ``conic=True`` (with ``sphere=True``): the conic / Wasserstein-Fisher-Rao particle method of
  Chizat (2022) in the homogeneous parametrisation ``w_h = s_h m_h`` (sign ``s_h`` fixed, mass
  ``m_h = |w_h| > 0``): ``m_h <- m_h exp(-eta (s_h dL/dw_h + lam/H))`` (mirror / Fisher-Rao step on
  the mass) and ``theta_h <- Retr(theta_h - eta P_theta (dL/dtheta_h) / m_h)`` (the direction moves
  with the gradient of the first variation, not scaled by its mass).

Learning-rate scaling
---------------------
Let ``eta`` be the step on the parameters.  One step changes the output by
``df(x) = -eta sum_p (df/dp)(x) dL/dp = -eta alpha^2 H * Theta_H(x, .) r`` to first order, with
``r_j = (f(x_j) - y_j)/n`` and the empirical tangent kernel
``Theta_H(x, x') = (1/H) sum_h [relu(theta_h.x) relu(theta_h.x') + w_h^2 (x.x') 1{theta_h.x > 0} 1{theta_h.x' > 0}]``,
which has a finite limit as ``H -> inf`` (a law of large numbers over neurons).  Since
``alpha^2 H = H^{xi - 1}``, the function-space dynamics has a limit iff
``eta = lr * H^{1 - xi}`` with ``lr`` fixed: the ``lr`` argument of :func:`train` is this
width-independent rate, and the parameter step is ``lr * width**(1 - xi)``
(``TwoLayerNet.lr_scale``).  In these units the dynamics of ``f`` is
``df = -lr Theta_H (f - y)/n`` (to first order) for every ``xi``; for ``xi = 1`` the parameters
move by ``O(H^{-1/2})`` each and ``Theta_H`` stays at its initial value (lazy), for ``xi = 0`` the
parameters move by ``O(1)`` (features are learnt).

Tangent kernel
--------------
At initialisation ``Theta_H -> Theta`` (both layers trained, equal rates) with

* ``sphere=False``: ``Theta(t) = kappa_1(t) + t kappa_0(t)``, exactly :class:`spherekern.kernels.NTK`
  (``E|theta|^2 = d`` cancels the ``1/d`` of the uniform measure);
* ``sphere=True`` (projected gradient, with or without the conic metric, ``E w^2 = 1``):
  ``Theta(t) = kappa_1(t)/d + [t kappa_0(t) - kappa_1(t)/d] = t kappa_0(t)`` -- the ``w`` layer
  contributes ``E_theta[relu relu] = kappa_1/d`` for ``theta`` uniform on the sphere and the tangent
  projection removes exactly the same amount from the ``theta`` layer.

:meth:`TwoLayerNet.kernel` returns this kernel; for ``xi = 1`` and ``H -> inf`` the trained network
(lam = 0) converges to the minimum-norm interpolant ``spherekern.solvers.min_norm(net.kernel(), X, y)``.

Training
--------
:func:`train` runs full-batch gradient steps in these units, with heavy-ball momentum (default 0.9
when ``lam = 0``; same limit in the lazy regime, about 10x fewer steps) and safeguards that only
act when a step misbehaves (undo + restart / halve ``lr``); ``momentum=0, backtrack=False`` is
textbook fixed-step gradient descent.  For the L1 problem (``xi = 0``, ``sphere=True``, ``lam > 0``)
``conic=True`` converges best (measured: objective within 0.1-0.5% of the brute-force optimum in
4000 steps for n = 16, d = 2, H = 256).

Sparse output layer
-------------------
Minimisers of the L1 problem are atomic with at most n atoms, but gradient descent does not reach
one in practice: conic masses decay like ``exp(-lr t (lam - |q_h|))`` with a dual gap
``lam - |q_h|`` that vanishes near the optimal atoms (they never become exactly 0), and neurons
sharing an activation cell have linearly dependent features, so the minimisers form a face on
which the flow can stop anywhere.  Measured (d = 3, constant target, lam = 1e-3, H = 256, 4000
conic steps): ``count_atoms`` up to 1.7 n at n = 16, objective 0.1-1.2% above the optimum over the
same features.  :func:`refit_output` is the last step of the feature-regime method: with the
learnt first layer fixed it replaces ``w`` by an exact minimiser of the same objective (a convex
lasso) at a vertex, i.e. with linearly independent active features, hence ``count_atoms <= n``
(never a larger objective; certified by a duality gap).

Computation
-----------
Forward and backward passes are analytic, in numba ``parallel=True`` kernels over neurons, writing
into buffers allocated once per :func:`train` call (no ``H x n`` temporaries: the dot products
``theta_h . x_j`` are recomputed in the backward pass).  ``device="cuda"`` runs the numba.cuda twins
of :mod:`spherekern.network_cuda`.

References
----------
A. Jacot, F. Gabriel, C. Hongler, "Neural tangent kernel", NeurIPS 2018.
L. Chizat, E. Oyallon, F. Bach, "On lazy training in differentiable programming", NeurIPS 2019.
S. Mei, A. Montanari, P.-M. Nguyen, "A mean field view of the landscape of two-layer neural
networks", PNAS 2018.
L. Chizat, "Sparse optimization on measures with over-parameterized gradient descent",
Math. Programming 194 (2022).
L. Petrini, F. Cagnetta, E. Vanden-Eijnden, M. Wyart, "Learning sparse features can lead to
overfitting in neural networks", NeurIPS 2022.
"""
from . import losses
from ._backend import _CPUBackend, _PAR_MIN_PAIRS, _forward, _threads
from ._kernels import _backward_kernel, _floor_kernel, _forward_kernel, _update_kernel
from .flow import FlowHistory, gradient_flow
from .losses import LOSSES
from .model import ACTIVATIONS, INITS, TwoLayerNet, softplus_constant
from .sparse import (RefitResult, count_atoms, direction_groups, effective_atoms, effective_neurons,
                     neuron_contributions, refit_output)
from .tangent import TangentKernel
from .training import TrainHistory, train

__all__ = ["TwoLayerNet", "TangentKernel", "TrainHistory", "train", "count_atoms", "effective_neurons",
           "effective_atoms", "direction_groups",
           "neuron_contributions", "refit_output", "RefitResult",
           "FlowHistory", "gradient_flow", "softplus_constant", "ACTIVATIONS", "INITS", "LOSSES"]
