"""Full-batch gradient descent of :class:`TwoLayerNet` (:func:`train`) and its history."""
from __future__ import annotations

import collections
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_int, check_real
from ._backend import _CPUBackend, _cuda_backend, _threads
from .losses import check_loss, loss_value_and_residual
from .model import TwoLayerNet, _check_data, _check_lam
from .sparse import count_atoms

__all__ = ["TrainHistory", "train"]

#: largest n for which the automatic learning rate uses the full Gram matrix (else a subsample)
_LR_NMAX = 2048
#: after a halving, lr grows back by this factor per accepted step (up to its initial value)
_LR_GROWTH = 2.0 ** (1.0 / 256.0)
#: a step is undone when the objective exceeds the largest of the last this many accepted values
#: (non-monotone acceptance, Grippo, Lampariello & Lucidi 1986: lets GD cross the kinks of relu)
_NONMONOTONE = 10
#: ... by more than this relative amount (smaller increases are the zig-zag of neurons at a kink)
_REJECT_RTOL = 1e-2
#: lr is halved when the best objective has not improved for this many accepted steps
_NO_PROGRESS = 50

@dataclass
class TrainHistory:
    """What :func:`train` did.

    Attributes
    ----------
    step : ndarray of int
        Logged steps (0 = before the first update; the last accepted step is always logged).
    loss : ndarray
        ``(1/2n) sum_j (f(x_j) - y_j)^2`` at the logged steps.
    objective : ndarray
        ``loss + lam sum_h |w_h| / H``.
    n_atoms : ndarray of int
        :func:`count_atoms` on the training set at the logged steps.
    lr : ndarray
        Width-independent learning rate in use at the logged steps (halved by backtracking).
    converged : bool
        True when stopped by ``tol`` or ``rtol`` (not by the step budget).
    reason : str
        Why training stopped.
    steps : int
        Accepted gradient steps.
    rejected : int
        Number of ``lr`` halvings (undone plain steps, or 10 steps without progress).
    restarts : int
        Momentum resets (undone momentum steps, or objective increases).
    seconds : float
        Wall time.
    record_steps : ndarray of int (r,)
        Steps at which the neurons were recorded (``record_every`` / ``record_steps`` of :func:`train`).
    directions : ndarray (r, H, d) or (r, H, d + 1)
        ``theta_h`` at those steps (with biases: ``b_h`` in the last column).
    weights : ndarray (r, H)
        ``w_h`` at those steps.
    """

    step: np.ndarray
    loss: np.ndarray
    objective: np.ndarray
    n_atoms: np.ndarray
    lr: np.ndarray
    converged: bool
    reason: str
    steps: int
    rejected: int = 0
    restarts: int = 0
    seconds: float = 0.0
    lr0: float = field(default=float("nan"))
    record_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    directions: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def final_loss(self):
        return float(self.loss[-1])


class _Progress:
    """A one-line text progress bar with ETA on stderr (redrawn at most every 0.2 s)."""

    def __init__(self, total, enabled, width=24):
        self.total = max(int(total), 1)
        self.enabled = bool(enabled)
        self.width = width
        self.t0 = time.perf_counter()
        self.last = -1.0
        self.shown = False

    def update(self, step, loss, force=False):
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        frac = min(step / self.total, 1.0)
        el = now - self.t0
        eta = el * (1 - frac) / frac if frac > 0 else float("nan")
        fill = int(round(self.width * frac))
        eta_s = "--:--" if not np.isfinite(eta) else f"{int(eta) // 60:02d}:{int(eta) % 60:02d}"
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (self.width - fill)}] {step}/{self.total} "
                         f"loss {loss:.3e} ETA {eta_s} ")
        sys.stderr.flush()
        self.shown = True

    def close(self, step, loss):
        if self.enabled:
            self.update(step, loss, force=True)
            sys.stderr.write("\n")
            sys.stderr.flush()


def _auto_lr(net, X):
    """1 / lambda_max(Theta Gram / n) with Theta = net.kernel() (full Gram for n <= 2048, else a
    fixed random subsample of 2048 points), by power iteration from the constant vector."""
    n = X.shape[0]
    if n > _LR_NMAX:
        idx = np.random.default_rng(0).choice(n, _LR_NMAX, replace=False)
        X = X[np.sort(idx)]
        n = _LR_NMAX
    G = net.kernel().gram(X)
    v = np.ones(n) / math.sqrt(n)
    lam = 0.0
    for _ in range(200):
        u = G @ v
        lam_new = float(np.dot(v, u))
        nu = float(np.linalg.norm(u))
        if nu == 0.0:
            break
        v = u / nu
        if abs(lam_new - lam) <= 1e-6 * lam_new:
            lam = lam_new
            break
        lam = lam_new
    lam = max(lam / n, 1e-12)
    return 1.0 / lam


def train(net, X, y, lr=None, steps=10000, tol=1e-6, lam=0.0, conic=False, progress=True, *,
          momentum=None, rtol=1e-9, log_every=None, backtrack=True, device="cpu", loss="mse", record_every=None,
          record_steps=None):
    """Full-batch gradient descent of ``net`` on (X, y), in place; returns a :class:`TrainHistory`.

    Minimises ``J = C(f) + lam sum_h |w_h| / H`` with ``C`` the loss (``"mse"``: ``(1/2n) sum_j (f(x_j) - y_j)^2``) (see the module docstring
    for the parametrisation and the update rules) by full-batch gradient steps with heavy-ball
    momentum and adaptive restart: ``x <- x + momentum (x - x_prev) - lr H^(1 - xi) grad J(x)``
    (projected/retracted on the sphere, proximal for the L1 term, multiplicative for conic masses).
    Safeguards (``backtrack=True``): a step whose objective exceeds the largest of the last 10
    accepted values is undone (non-monotone acceptance, Grippo et al. 1986, so that neurons can
    cross the kinks of relu); if it had momentum the velocity is reset, otherwise ``lr`` is halved.
    The velocity is also reset whenever ``J`` increases (function restart, O'Donoghue & Candes
    2015), and ``lr`` is halved when the best objective has not improved for 10 steps.  After a
    halving, ``lr`` grows back by ``2^(1/16)`` per step, never above its initial value.
    ``momentum=0, backtrack=False`` is plain fixed-step gradient descent.

    In the lazy regime (``xi = 1``, ``lam = 0``) momentum does not change the limit: every
    iterate stays in ``x_0 + span(gradients)``, so the linearised network still converges to the
    minimum-norm interpolant of ``net.kernel()``; it only divides the number of steps, from
    ``O(kappa)`` to ``O(kappa / (1 - momentum))`` fewer (``kappa`` the condition number of the Gram
    matrix, about ``10^3-10^4`` for n = 64 .. 128 points).

    Parameters
    ----------
    net : TwoLayerNet
        Trained in place (``net.weights``, ``net.directions``).
    X : array_like (n, d)
        Training points on S^{d-1}.
    y : array_like (n,)
        Targets.
    lr : float > 0 or None
        Width-independent learning rate; the parameters move by ``lr * H^(1 - xi)`` times the
        gradient (``net.lr_scale``), so that ``df = -lr Theta_H (f - y)/n``.  ``None``:
        ``1 / lambda_max(Theta(X, X) / n)`` for the analytic kernel ``Theta = net.kernel()`` (the
        largest stable plain-GD step of the linearised dynamics is twice that).
    steps : int >= 0
        Budget of accepted gradient steps.
    tol : float >= 0
        Stop when ``loss <= tol * mean(y^2) / 2`` (relative to the loss of the zero function).
    lam : float >= 0
        L1 penalty (requires ``net.sphere``).
    conic : bool
        Conic (Chizat) steps (requires ``net.sphere``).
    progress : bool
        Show a text progress bar with ETA on stderr.
    momentum : float in [0, 1) or None
        Heavy-ball coefficient (0: plain gradient descent).  ``None``: 0.9 when ``lam == 0``
        (about 10x fewer steps than plain GD in the lazy regime, same limit) and 0 when
        ``lam > 0`` (the L1 objective is non-smooth at the relu kinks, where momentum mostly
        restarts; plain proximal steps reach a lower objective in the same budget).
    rtol : float >= 0
        Also stop when the objective decreased by less than ``rtol`` (relative) over the last
        ``log_every`` steps (a stall); 0 disables.
    log_every : int >= 1 or None
        Record the history every this many steps (default: ``max(1, steps // 200)``).
    backtrack : bool
        Undo objective-increasing steps (restart / halve ``lr``, above).  False: fixed steps,
        and a non-finite objective is a ``FloatingPointError``.
    device : {"cpu", "cuda"}
        ``"cuda"``: numba.cuda passes (:mod:`spherekern.network_cuda`); RuntimeError without CUDA;
        ValueError for softplus or biases (CPU only).
    loss : {"mse", "soft_hinge"}
        ``C`` (:mod:`spherekern.network.losses`); ``tol`` is relative to ``C`` of the zero function.
    record_every : int >= 1 or None
        Record the neurons (``history.directions``, ``history.weights``) every this many steps.
    record_steps : sequence of int >= 0 or None
        Or record them at these step indices (steps beyond the last one are not recorded).

    Returns
    -------
    TrainHistory

    Notes
    -----
    For ``xi = 0`` with ``sphere=True, lam > 0`` the fixed points are those of the atomic
    L1 problem of :func:`spherekern.solvers.atomic` (weights ``w_h / H``); :func:`count_atoms` gives
    its number of atoms; follow with :func:`refit_output` to reach a minimiser over the learnt
    features with at most n of them (see "Sparse output layer" in the module docstring).  The
    training set is fixed for the whole call: buffers are allocated once
    and small problems (``H n < 2^19``) run the kernels on one thread (less overhead than a
    parallel launch per step).
    """
    if not isinstance(net, TwoLayerNet):
        raise TypeError(f"net must be a TwoLayerNet, got {type(net).__name__}")
    device = net._check_device(device)
    lossname = check_loss(loss)
    X, y = _check_data(net, X, y)
    rec = _record_set(record_every, record_steps)
    if not isinstance(conic, (bool, np.bool_)):
        raise TypeError(f"conic must be True or False, got {conic!r}")
    lam = _check_lam(net, lam, conic)
    if lr is not None:
        lr = check_real(lr, "lr", minimum=0.0, strict=True)
    steps = check_int(steps, "steps", 0)
    tol = check_real(tol, "tol", minimum=0.0)
    rtol = check_real(rtol, "rtol", minimum=0.0)
    if momentum is None:
        momentum = 0.9 if lam == 0 else 0.0
    beta = check_real(momentum, "momentum", minimum=0.0)
    if not beta < 1.0:
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    log_every = max(1, steps // 200) if log_every is None else check_int(log_every, "log_every", 1)
    net._check_params()
    if conic and np.any(net.weights == 0.0):
        raise ValueError("conic=True needs every output weight non-zero (the mass |w_h| moves "
                         "multiplicatively); re-initialise the network")

    t_start = time.perf_counter()
    n = X.shape[0]
    if lr is None:
        lr = _auto_lr(net, X)
    lr0 = lr
    mode = 2 if conic else (1 if net.sphere else 0)
    pen = lam / net.width
    target = tol * loss_value_and_residual(lossname, np.zeros(n), y)[0]
    rbuf = np.empty(n)
    recorder = _Recorder(net, rec)
    with _threads(net.width * n):
        be = _cuda_backend(net, X) if device == "cuda" else _CPUBackend(net, X)
        hist = {"step": [], "loss": [], "objective": [], "n_atoms": [], "lr": []}

        def log(step, loss, obj):
            be.sync()
            hist["step"].append(step)
            hist["loss"].append(loss)
            hist["objective"].append(obj)
            hist["n_atoms"].append(count_atoms(net, X))
            hist["lr"].append(lr)

        def record(step):
            if recorder.wants(step):
                be.sync()
                recorder.add(step)

        bar = _Progress(steps, progress)
        step = rejected = restarts = 0
        prev_obj = window_obj = math.inf
        stall_every = max(log_every, 4 * _NO_PROGRESS)
        best = math.inf
        since = 0
        recent = collections.deque(maxlen=_NONMONOTONE)
        reason, converged = "step budget reached", False
        logged_last = -1
        plain = True        # the last update had zero velocity
        try:
            while True:
                f = be.forward()
                loss, res = loss_value_and_residual(lossname, f, y, out=rbuf)
                obj = loss + (pen * be.l1() if lam else 0.0)
                if backtrack and step > 0 and not obj <= max(recent) * (1.0 + _REJECT_RTOL):
                    be.restore()
                    if plain:
                        lr *= 0.5
                        rejected += 1
                        if lr < lr0 * 2.0 ** -60:
                            raise FloatingPointError(
                                f"backtracking could not find a decreasing step at step {step} (lr underflow; "
                                f"objective {obj!r})")
                    else:
                        restarts += 1
                    be.update(lr * net.lr_scale, pen, mode, 0.0)
                    plain = True
                    continue
                if backtrack and beta and step > 0 and obj > prev_obj:
                    be.reset_velocity()          # function-value restart of the momentum
                    restarts += 1
                if not math.isfinite(obj):
                    raise FloatingPointError(
                        f"training diverged at step {step} (objective {obj}) with lr = {lr:g}; use a smaller lr or "
                        "backtrack=True")
                prev_obj = obj
                recent.append(obj)
                if obj < best:
                    best, since = obj, 0
                else:
                    since += 1
                    if backtrack and since >= _NO_PROGRESS:   # no new best in that many steps: lr too large
                        lr *= 0.5
                        rejected += 1
                        since = 0
                        be.reset_velocity()
                if step % log_every == 0:
                    log(step, loss, obj)
                    logged_last = step
                record(step)
                if step % stall_every == 0:
                    if rtol and step > 0 and window_obj - best <= rtol * abs(window_obj):
                        reason = f"objective stalled (best decreased by <= rtol = {rtol:g}, relative, in " \
                                 f"{stall_every} steps)"
                        converged = True
                        break
                    window_obj = best
                bar.update(step, loss)
                if loss <= target:
                    reason, converged = f"loss <= tol * mean(y^2)/2 (tol = {tol:g})", True
                    break
                if step >= steps:
                    break
                be.backward(res)
                lr = min(lr0, lr * _LR_GROWTH)
                plain = beta == 0.0 or step == 0 or be.velocity_zero
                be.update(lr * net.lr_scale, pen, mode, beta)
                step += 1
        finally:
            be.sync()
            bar.close(step, hist["loss"][-1] if hist["loss"] else float("nan"))
        if logged_last != step:
            log(step, loss, obj)
    return TrainHistory(
        step=np.asarray(hist["step"], dtype=np.int64), loss=np.asarray(hist["loss"]),
        objective=np.asarray(hist["objective"]), n_atoms=np.asarray(hist["n_atoms"], dtype=np.int64),
        lr=np.asarray(hist["lr"]), converged=converged, reason=reason, steps=step, rejected=rejected,
        restarts=restarts, seconds=time.perf_counter() - t_start, lr0=lr0, **recorder.result())


def _record_set(record_every, record_steps):
    """None (no recording), or ("every", k), or ("at", sorted set of steps)."""
    if record_every is not None and record_steps is not None:
        raise ValueError("give record_every or record_steps, not both")
    if record_every is not None:
        return ("every", check_int(record_every, "record_every", 1))
    if record_steps is not None:
        st = np.asarray(record_steps)
        if st.ndim != 1 or st.dtype.kind not in "iu" or (st.size and st.min() < 0):
            raise ValueError(f"record_steps must be a 1-D sequence of integers >= 0, got {record_steps!r}")
        return ("at", frozenset(int(s) for s in st))
    return None


class _Recorder:
    """Copies of the neurons at chosen steps (``theta | b`` as (H, d + bias), ``w`` (H,))."""

    def __init__(self, net, rec):
        self.net, self.rec = net, rec
        self.steps, self.th, self.w = [], [], []

    def wants(self, step):
        if self.rec is None or (self.steps and self.steps[-1] == step):
            return False
        kind, v = self.rec
        return step % v == 0 if kind == "every" else step in v

    def add(self, step):
        th, w = self.net.parameters()
        self.steps.append(step)
        self.th.append(th)
        self.w.append(w)

    def result(self):
        net = self.net
        k = net.d + net.bias
        return dict(record_steps=np.asarray(self.steps, dtype=np.int64),
                    directions=np.stack(self.th) if self.th else np.zeros((0, net.width, k)),
                    weights=np.stack(self.w) if self.w else np.zeros((0, net.width)))

