"""The two-layer network :class:`TwoLayerNet`: parametrisations, initialisations, forward pass, gradients.

See :mod:`spherekern.network` for the formulas.  Internally every parametrisation is

    F(x) = scale * sum_h w_h phi(theta_h . x + b_h)  -  f0_coef * scale * sum_h w0_h phi(theta0_h . x + b0_h)

with ``(scale, f0_coef)`` = ``(H^{-(1 - xi/2)}, xi)`` (xi), ``(alpha / H, 1)`` (alpha-trick) or ``(1, 0)``
(balanced / unbalanced initialisation: the plain network of Boursier & Flammarion).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .._validate import as_array, as_points, as_rng, check_device, check_int, check_real
from ..kernels import NTK
from ._backend import _CPUBackend, _cuda_backend, _forward, _threads
from .tangent import TangentKernel

__all__ = ["TwoLayerNet", "softplus_constant", "ACTIVATIONS", "INITS", "SOFTPLUS_BETA"]

#: activation names (kernel codes 0, 1)
ACTIVATIONS = ("relu", "softplus")
#: initialisation names
INITS = ("normal", "balanced", "unbalanced")
#: the slope of the image paper's softplus, phi(z) = c softplus(SOFTPLUS_BETA z) / SOFTPLUS_BETA
SOFTPLUS_BETA = 5.0


@functools.lru_cache(maxsize=None)
def softplus_constant(beta=SOFTPLUS_BETA):
    """``c`` such that ``phi(z) = c softplus(beta z) / beta`` has ``E[phi(z)^2] = 1``, ``z ~ N(0, 1)``.

    ``c = (E[(softplus(beta z)/beta)^2])^{-1/2}``, ``softplus(u) = log(1 + e^u)``, by adaptive
    quadrature (scipy ``quad`` on each half-line; Gauss--Hermite converges slowly here: the
    integrand has poles at ``z = i pi / beta``).
    """
    from scipy import integrate
    beta = check_real(beta, "beta", minimum=0.0, strict=True)

    def integrand(z):
        sp = np.logaddexp(0.0, beta * z) / beta
        return sp * sp * math.exp(-0.5 * z * z)

    m2 = sum(integrate.quad(integrand, a, b, epsabs=0.0, epsrel=1e-13, limit=200)[0]
             for a, b in ((-np.inf, 0.0), (0.0, np.inf))) / math.sqrt(2.0 * math.pi)
    return 1.0 / math.sqrt(m2)


def _check_bool(v, name):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {v!r}")
    return bool(v)


class TwoLayerNet:
    """One-hidden-layer network (ReLU or normalised softplus) in three parametrisations.

    * xi (default): ``F(x) = H^{-(1 - xi/2)} sum_h (w_h phi(theta_h . x + b_h) - xi w0_h phi(theta0_h . x + b0_h))``;
    * alpha-trick (``alpha`` given): ``F(x) = alpha [(1/H) sum_h w_h phi(theta_h . x + b_h) - f0(x)]``,
      ``f0`` the same network at initialisation (frozen); ``xi = 1`` is exactly ``alpha = sqrt(H)``;
    * plain (``init="balanced"`` or ``"unbalanced"``): ``F(x) = sum_h w_h phi(theta_h . x + b_h)``.

    Parameters
    ----------
    d : int >= 1
        Input dimension (>= 2 with ``sphere=True``).
    width : int >= 1
        Number of hidden neurons H.
    xi : float in [0, 1]
        1 = lazy (NTK) regime, 0 = feature (mean-field) regime.  Must stay 1.0 with ``alpha`` or a
        balanced / unbalanced initialisation.
    sphere : bool
        First-layer weights uniform on S^{d-1} and kept there by :func:`train` (relu, no bias, normal init).
    seed : None, int or numpy.random.Generator
    activation : {"relu", "softplus"}
        ``"softplus"``: ``phi(z) = c softplus(5 z) / 5`` with ``E[phi(z)^2] = 1`` for ``z ~ N(0, 1)``
        (:func:`softplus_constant`).
    alpha : float > 0 or None
        The alpha-trick parametrisation (small = feature regime, large = lazy regime).
    bias : bool
        Hidden biases ``b_h`` (attributes ``biases``, ``biases0``; None without).
    init : {"normal", "balanced", "unbalanced"}
        ``"normal"``: ``theta_h ~ N(0, s^2 I_d)`` (normalised if ``sphere``), ``w_h ~ N(0, s^2)``,
        ``b_h ~ N(0, s^2)``, ``s = init_scale``.  ``"balanced"``: ``(theta_h, b_h) ~ N(0, s^2 / H)`` per
        coordinate, ``w_h = +-|(theta_h, b_h)|`` with a random sign; ``"unbalanced"``: the same
        ``(theta_h, b_h)`` and ``w_h ~ N(0, s^2 (d + bias) / H)`` independently (balanced only on
        average, ``E w_h^2 = E|(theta_h, b_h)|^2``).  Both give the plain network.
    init_scale : float > 0
        ``s`` above (Boursier & Flammarion's lambda for the balanced / unbalanced initialisations).

    Attributes
    ----------
    weights, directions, biases : ndarray (H,), (H, d), (H,) or None
        Trained parameters ``w``, ``theta``, ``b``; frozen copies ``weights0``, ``directions0``, ``biases0``.
    scale : float
        The multiplier of ``sum_h w_h phi(.)`` in ``F``.
    f0_coef : float
        Coefficient of the frozen initial network (``xi``, 1 or 0).
    lr_scale : float
        ``1 / (scale^2 H)`` (xi, alpha; ``= H^{1 - xi}`` for xi), 1 for the plain network:
        :func:`train` steps the parameters by ``lr * lr_scale * gradient``.
    unit_inputs : bool
        Inputs must be points of S^{d-1}: with ``sphere=True`` and in the original setting (relu,
        no bias, normal init, no alpha), where :meth:`kernel` is the tangent kernel; otherwise any
        finite rows of R^d.
    """

    def __init__(self, d, width, xi=1.0, sphere=False, seed=None, *, activation="relu", alpha=None, bias=False,
                 init="normal", init_scale=1.0):
        self.d = check_int(d, "d", 1)
        self.width = check_int(width, "width", 1)
        xi = check_real(xi, "xi")
        if not 0.0 <= xi <= 1.0:
            raise ValueError(f"xi must lie in [0, 1] (1 = lazy/NTK, 0 = feature/mean-field), got {xi!r}")
        self.sphere = _check_bool(sphere, "sphere")
        self.bias = _check_bool(bias, "bias")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        init_scale = check_real(init_scale, "init_scale")
        if not init_scale > 0.0:
            raise ValueError(f"init_scale must be > 0, got {init_scale!r}")
        if alpha is not None:
            alpha = check_real(alpha, "alpha")
            if not alpha > 0.0:
                raise ValueError(f"alpha must be > 0 (the alpha-trick output scale), got {alpha!r}")
        if (alpha is not None or init != "normal") and xi != 1.0:
            raise ValueError("xi must stay at its default 1.0 with alpha or a balanced/unbalanced init "
                             f"(they define their own output scale), got xi = {xi!r}")
        if alpha is not None and init != "normal":
            raise ValueError(f"alpha requires init='normal' (init={init!r} gives the plain network)")
        if self.sphere and (self.bias or activation != "relu" or init != "normal" or alpha is not None):
            raise ValueError("sphere=True supports only the original network (relu, bias=False, init='normal', "
                             "alpha=None)")
        self.xi = xi
        self.activation = activation
        self.act_code = ACTIVATIONS.index(activation)
        self.act_c = softplus_constant() if activation == "softplus" else 1.0
        self.act_beta = SOFTPLUS_BETA
        self.alpha = alpha
        self.init = init
        self.init_scale = init_scale
        if self.unit_inputs and self.d < 2:
            raise ValueError(f"d must be >= 2 for this network (its inputs are points of S^(d-1); d = 1 needs "
                             f"bias=True, another activation, alpha or a balanced init), got {self.d}")
        H, dd = self.width, self.d
        rng = as_rng(seed, "seed")
        if init == "normal":
            theta = rng.standard_normal((H, dd))
            if self.sphere:
                nrm = np.sqrt(np.einsum("ij,ij->i", theta, theta))
                nrm[nrm == 0] = 1.0
                theta /= nrm[:, None]
            else:
                theta *= init_scale
            w = init_scale * rng.standard_normal(H)
            b = init_scale * rng.standard_normal(H) if self.bias else None
        else:
            sd = init_scale / math.sqrt(H)
            theta = sd * rng.standard_normal((H, dd))
            b = sd * rng.standard_normal(H) if self.bias else None
            if init == "balanced":
                nrm2 = np.einsum("ij,ij->i", theta, theta) + (b * b if self.bias else 0.0)
                w = np.sqrt(nrm2) * rng.choice(np.array([-1.0, 1.0]), H)
            else:
                w = sd * math.sqrt(dd + self.bias) * rng.standard_normal(H)
        self.directions, self.weights, self.biases = theta, w, b
        self.directions0 = theta.copy()
        self.weights0 = w.copy()
        self.biases0 = b.copy() if self.bias else None
        for a in (self.directions0, self.weights0, self.biases0):
            if a is not None:
                a.setflags(write=False)

    def __repr__(self):
        extra = "".join(f", {k}={getattr(self, k)!r}" for k, dflt in
                        (("activation", "relu"), ("alpha", None), ("bias", False), ("init", "normal"),
                         ("init_scale", 1.0)) if getattr(self, k) != dflt)
        return f"TwoLayerNet(d={self.d}, width={self.width}, xi={self.xi!r}, sphere={self.sphere}{extra})"

    # ------------------------------------------------------------------ parametrisation
    @property
    def plain(self):
        """True for the balanced / unbalanced initialisations (plain output, no frozen term)."""
        return self.init != "normal"

    @property
    def scale(self):
        if self.plain:
            return 1.0
        if self.alpha is not None:
            return self.alpha / self.width
        return float(self.width) ** (-(1.0 - self.xi / 2.0))

    @property
    def f0_coef(self):
        if self.plain:
            return 0.0
        return 1.0 if self.alpha is not None else self.xi

    @property
    def lr_scale(self):
        if self.plain:
            return 1.0
        return 1.0 / (self.scale ** 2 * self.width)

    @property
    def unit_inputs(self):
        return self.sphere or (self.activation == "relu" and not self.bias and not self.plain and self.alpha is None)

    @property
    def cuda_ok(self):
        """The numba.cuda passes implement relu without biases only."""
        return self.activation == "relu" and not self.bias

    def _b(self):
        return self.biases if self.bias else _EMPTY

    def _b0(self):
        return self.biases0 if self.bias else _EMPTY

    def copy(self):
        """An independent copy (same parameters and frozen initial values)."""
        new = object.__new__(TwoLayerNet)
        new.__dict__.update(self.__dict__)
        new.directions = self.directions.copy()
        new.weights = self.weights.copy()
        new.biases = self.biases.copy() if self.bias else None
        return new

    def parameters(self):
        """``(theta | b)`` as one (H, d + bias) array (bias last) and ``w`` (H,), copies."""
        th = np.concatenate([self.directions, self.biases[:, None]], axis=1) if self.bias else self.directions.copy()
        return th, self.weights.copy()

    def _check_params(self):
        H, d = self.width, self.d
        for name, a, shape in (("directions", self.directions, (H, d)), ("weights", self.weights, (H,)),
                               ("biases", self.biases, (H,))):
            if name == "biases" and not self.bias:
                continue
            if not (isinstance(a, np.ndarray) and a.shape == shape and a.dtype == np.float64
                    and a.flags.c_contiguous and a.flags.writeable):
                raise ValueError(f"net.{name} must be a writeable C-contiguous float64 array of shape {shape}")
            if not np.all(np.isfinite(a)):
                raise ValueError("the network parameters contain NaN or inf (diverged training? lower lr)")

    def _check_device(self, device):
        device = check_device(device)
        if device == "cuda" and not self.cuda_ok:
            raise ValueError(f"device='cuda' supports only activation='relu' without biases (this network: "
                             f"activation={self.activation!r}, bias={self.bias}); use device='cpu'")
        return device

    # ------------------------------------------------------------------ evaluation
    def predict(self, X, device="cpu"):
        """Network output ``F(x)`` at the rows of X, shape (n,).

        Parameters
        ----------
        X : array_like (n, d)
            Points of S^{d-1} if ``unit_inputs``, else any finite rows of R^d.
        device : {"cpu", "cuda"}
        """
        device = self._check_device(device)
        X = _check_X(self, X)
        self._check_params()
        s, c0 = self.scale, self.f0_coef
        if device == "cuda":
            from .. import network_cuda
            f = network_cuda.forward(self.directions, self.weights, X, s)
            if c0:
                f -= c0 * network_cuda.forward(self.directions0, self.weights0, X, s)
            return f
        a = (self.act_code, self.act_c, self.act_beta)
        with _threads(self.width * X.shape[0]):
            f = _forward(self.directions, self._b(), self.weights, X, s, *a)
            if c0:
                f -= c0 * _forward(self.directions0, self._b0(), self.weights0, X, s, *a)
        return f

    def loss_and_grad(self, X, y, lam=0.0, device="cpu", loss="mse"):
        """Objective and its gradient with respect to the trained parameters.

        ``J = C(F) + lam sum_h |w_h| / H`` with ``C`` the loss (:data:`spherekern.network.LOSSES`:
        ``"mse"``: ``(1/2n) sum_j (F_j - y_j)^2``; ``"soft_hinge"``: ``(1/n) sum_j softplus_20(1 - F_j y_j)``);
        the gradient is that of ``C`` only: with ``r_j = dC/dF_j`` and ``z_hj = theta_h . x_j + b_h``,
        ``dC/dw_h = scale sum_j r_j phi(z_hj)``, ``dC/dtheta_h = scale w_h sum_j r_j phi'(z_hj) x_j``,
        ``dC/db_h = scale w_h sum_j r_j phi'(z_hj)`` (``relu'(0) = 0``).

        Returns
        -------
        objective : float
        g_w : ndarray (H,)
        g_theta : ndarray (H, d), or (H, d + 1) with ``bias=True`` (last column ``dC/db``)
        """
        from .losses import loss_value_and_residual, check_loss
        device = self._check_device(device)
        loss = check_loss(loss)
        X, y = _check_data(self, X, y)
        lam = _check_lam(self, lam, False)
        self._check_params()
        with _threads(self.width * X.shape[0]):
            be = (_cuda_backend if device == "cuda" else _CPUBackend)(self, X)
            f = be.forward()
            obj, r = loss_value_and_residual(loss, f, y)
            obj += lam * float(np.abs(self.weights).sum()) / self.width
            be.backward(r)
            g_w, g_theta = be.gradients()
        if self.bias:
            g_theta = np.concatenate([g_theta, be.g_b[:, None]], axis=1)
        return obj, g_w, g_theta

    def kernel(self):
        """The tangent kernel ``Theta`` of this parametrisation at initialisation, as H -> inf.

        ``sphere=False``: :class:`spherekern.kernels.NTK` (``kappa_1 + t kappa_0``; xi or alpha, relu,
        no bias, ``init_scale = 1``); ``sphere=True``: ``TangentKernel(c1=0, c0=1)``.  With ``lr`` in
        the units of :func:`train`, ``dF = -lr Theta (dC/dF)``.  Other networks: ValueError (no closed form here).
        """
        if self.sphere:
            return TangentKernel(0.0, 1.0)
        if self.activation == "relu" and not self.bias and not self.plain and self.init_scale == 1.0:
            return NTK()
        raise ValueError("net.kernel() is available for relu networks without biases, init='normal', "
                         "init_scale=1 only; pass lr explicitly to train()")

    def path_norm(self):
        """``scale * sum_h |w_h| |(theta_h, b_h)|`` (the frozen term is not included); for
        ``xi = 0``, ``sphere=True``: ``sum_h |w_h| / H``, the L1 norm of :func:`spherekern.solvers.atomic`."""
        nrm2 = np.einsum("ij,ij->i", self.directions, self.directions)
        if self.bias:
            nrm2 = nrm2 + self.biases ** 2
        return self.scale * float(np.dot(np.abs(self.weights), np.sqrt(nrm2)))


#: the "no biases" array passed to the kernels (length 0; writeable so that one compiled update kernel serves both)
_EMPTY = np.empty(0)


def _check_X(net, X, name="X"):
    if net.unit_inputs:
        return as_points(X, name, d=net.d)
    X = as_array(X, name, ndim=2)
    if X.shape[1] != net.d:
        raise ValueError(f"{name} has {X.shape[1]} columns but the network has d = {net.d} inputs")
    return X


def _check_data(net, X, y):
    X = _check_X(net, X)
    n = X.shape[0]
    if n == 0:
        raise ValueError("X must contain at least one training point, got 0 rows")
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y must have one value per row of X: X has {n} rows, y has {y.shape[0]} values")
    return X, y


def _check_lam(net, lam, conic):
    lam = check_real(lam, "lam", minimum=0.0)
    if (lam > 0 or conic) and not net.sphere:
        what = "lam > 0" if lam > 0 else "conic=True"
        raise ValueError(f"{what} requires a network with sphere=True (theta on S^(d-1)): with unconstrained "
                         "theta the L1 penalty on w alone can be evaded by rescaling and the conic (mass, "
                         "direction) split is undefined")
    return lam
