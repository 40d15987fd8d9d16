"""Adaptive-step full-batch gradient flow with a margin stopping rule (the image paper's protocol).

The flow is ``dp/dt = -lr_scale * grad_p C`` over the trained parameters ``p = (w, theta, b)``
(``lr_scale = H / alpha^2`` for the alpha-trick network), so that to first order the outputs follow
``dF/dt = -Theta_H dC/dF`` with a width- and alpha-independent tangent kernel ``Theta_H``.  With the
soft hinge this is the paper's flow on the loss ``softplus_20(1 - F y) / alpha`` up to the change of
time ``t_paper = (H / alpha) t``.

Each step is an explicit Euler step ``p' = p - dt lr_scale g``; with ``g'`` the gradient at ``p'`` it is
rejected and ``dt`` divided by 10 when ``|g - g'|^2 / (|g| |g'|) >= grad_tol`` or some output moves by
``max_j |F'_j - F_j| >= out_tol`` (the paper's ``0.1 / alpha`` on ``f = F / alpha``); accepted steps
multiply ``dt`` by 1.1 when both ratios are below half their limits.  Every accepted step costs one
forward and one backward pass (``g'`` is the next step's ``g``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_real, check_int
from ._backend import _CPUBackend, _threads
from .losses import HINGE_BETA, check_loss, loss_value_and_residual
from .model import TwoLayerNet, _check_data
from .training import _Progress, _record_set, _Recorder

__all__ = ["FlowHistory", "gradient_flow"]

#: dt is never taken below this fraction of its initial value (else FloatingPointError)
_DT_MIN_FRAC = 1e-30


@dataclass
class FlowHistory:
    """What :func:`gradient_flow` did (logged every ``log_every`` accepted steps and at the end).

    Attributes
    ----------
    step, time, loss, margin_frac, dt : ndarray
        Accepted step index, flow time ``t``, loss ``C``, fraction of training margins ``F y >= 1``,
        step size in use.
    converged : bool
        True when stopped by the margin rule (or ``tol``).
    reason : str
    steps, rejected : int
        Accepted and rejected steps.
    seconds : float
    record_steps, directions, weights : ndarray
        Neurons at the recorded steps, as in :class:`spherekern.network.TrainHistory`.
    """

    step: np.ndarray
    time: np.ndarray
    loss: np.ndarray
    margin_frac: np.ndarray
    dt: np.ndarray
    converged: bool
    reason: str
    steps: int
    rejected: int
    seconds: float
    record_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    directions: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def final_loss(self):
        return float(self.loss[-1])


def gradient_flow(net, X, y, *, loss="soft_hinge", dt=1.0, max_steps=100000, max_time=None, margin_frac=0.99,
                  progress=True, tol=0.0, grad_tol=1e-4, out_tol=0.1, log_every=None, record_every=None,
                  record_steps=None, device="cpu"):
    """Adaptive-step full-batch gradient flow of ``net`` on (X, y), in place (module docstring).

    Parameters
    ----------
    net : TwoLayerNet
    X : array_like (n, d)
    y : array_like (n,)
        Labels (+-1 for the margin rule).
    loss : {"soft_hinge", "mse"}
        ``C`` (:mod:`spherekern.network.losses`; soft hinge with beta = 20).
    dt : float > 0
        Initial step (flow time per step).
    max_steps : int >= 0
        Budget of accepted steps.
    max_time : float > 0 or None
        Budget of flow time ``t``.
    margin_frac : float in (0, 1] or None
        Stop when at least this fraction of the training margins ``F_j y_j`` is >= 1 (None: off).
    progress : bool
        Text progress bar on stderr.
    tol : float >= 0
        Also stop when ``C <= tol * C(0)`` (0: off).
    grad_tol, out_tol : float > 0
        The rejection thresholds (module docstring).
    log_every : int >= 1 or None
        History every this many accepted steps (default ``max(1, max_steps // 200)``).
    record_every, record_steps :
        Neuron recording, as in :func:`spherekern.network.train`.
    device : {"cpu"}
        ``"cuda"``: ValueError (CPU only for now).

    Returns
    -------
    FlowHistory
    """
    if not isinstance(net, TwoLayerNet):
        raise TypeError(f"net must be a TwoLayerNet, got {type(net).__name__}")
    if device != "cpu":
        raise ValueError(f"gradient_flow runs on device='cpu' only, got device={device!r}")
    lossname = check_loss(loss)
    X, y = _check_data(net, X, y)
    dt = check_real(dt, "dt", minimum=0.0, strict=True)
    max_steps = check_int(max_steps, "max_steps", 0)
    if max_time is not None:
        max_time = check_real(max_time, "max_time", minimum=0.0, strict=True, allow_inf=True)
    if margin_frac is not None:
        margin_frac = check_real(margin_frac, "margin_frac")
        if not 0.0 < margin_frac <= 1.0:
            raise ValueError(f"margin_frac must lie in (0, 1] or be None, got {margin_frac!r}")
    tol = check_real(tol, "tol", minimum=0.0)
    grad_tol = check_real(grad_tol, "grad_tol", minimum=0.0, strict=True)
    out_tol = check_real(out_tol, "out_tol", minimum=0.0, strict=True)
    log_every = max(1, max_steps // 200) if log_every is None else check_int(log_every, "log_every", 1)
    rec = _record_set(record_every, record_steps)
    net._check_params()

    t0 = time.perf_counter()
    n = X.shape[0]
    dt0 = dt
    target = tol * loss_value_and_residual(lossname, np.zeros(n), y, HINGE_BETA)[0]
    hist = {"step": [], "time": [], "loss": [], "margin_frac": [], "dt": []}
    recorder = _Recorder(net, rec)
    bar = _Progress(max_steps, progress)
    r = np.empty(n)
    f_prev = np.empty(n)
    step = rejected = 0
    t = 0.0
    reason, converged = "step budget reached", False
    logged = -1
    with _threads(net.width * n):
        be = _CPUBackend(net, X)
        f = be.forward()
        C, _ = loss_value_and_residual(lossname, f, y, HINGE_BETA, out=r)
        if not math.isfinite(C):
            raise FloatingPointError(f"the loss at initialisation is not finite ({C}); check the data scale")
        be.backward(r)
        g = be.grad_arrays()
        gn = math.sqrt(sum(float(np.vdot(a, a)) for a in g))
        frac = float(np.mean(f * y >= 1.0))

        def log():
            hist["step"].append(step)
            hist["time"].append(t)
            hist["loss"].append(C)
            hist["margin_frac"].append(frac)
            hist["dt"].append(dt)

        try:
            while True:
                if recorder.wants(step):
                    recorder.add(step)
                if step % log_every == 0 and logged != step:
                    log()
                    logged = step
                bar.update(step, C)
                if margin_frac is not None and frac >= margin_frac:
                    reason, converged = f"a fraction {frac:.4g} >= margin_frac = {margin_frac:g} of margins F y >= 1", True
                    break
                if tol and C <= target:
                    reason, converged = f"loss <= tol * C(0) (tol = {tol:g})", True
                    break
                if gn == 0.0:
                    reason, converged = "the gradient vanished", True
                    break
                if step >= max_steps:
                    break
                if max_time is not None and t >= max_time:
                    reason = f"flow time budget reached (t >= max_time = {max_time:g})"
                    break
                h = dt if max_time is None else min(dt, max_time - t)
                saved = be.save_grad()
                f_prev[...] = f
                be.update(h * net.lr_scale, 0.0, 0, 0.0)
                f = be.forward()
                C_new, _ = loss_value_and_residual(lossname, f, y, HINGE_BETA, out=r)
                ok = math.isfinite(C_new) and np.all(np.isfinite(f))
                if ok:
                    be.backward(r)
                    g = be.grad_arrays()
                    gn_new = math.sqrt(sum(float(np.vdot(a, a)) for a in g))
                    diff = sum(float(np.vdot(a - s, a - s)) for a, s in zip(g, saved))
                    crit_g = diff / (gn * gn_new) if gn_new > 0.0 else 0.0
                    crit_f = float(np.max(np.abs(f - f_prev)))
                    ok = math.isfinite(crit_g) and crit_g < grad_tol and crit_f < out_tol
                if not ok:
                    be.restore()
                    be.load_grad()
                    f[...] = f_prev
                    dt = h / 10.0
                    rejected += 1
                    if dt < dt0 * _DT_MIN_FRAC:
                        raise FloatingPointError(
                            f"gradient_flow: step size dt = {dt:g} underflowed at step {step} (t = {t:g}); the flow "
                            "diverges or the outputs are not finite")
                    continue
                step += 1
                t += h
                C, gn = C_new, gn_new
                frac = float(np.mean(f * y >= 1.0))
                if crit_g < 0.5 * grad_tol and crit_f < 0.5 * out_tol:
                    dt = h * 1.1
        finally:
            bar.close(step, C)
    if logged != step:
        log()
    return FlowHistory(step=np.asarray(hist["step"], dtype=np.int64), time=np.asarray(hist["time"]),
                       loss=np.asarray(hist["loss"]), margin_frac=np.asarray(hist["margin_frac"]),
                       dt=np.asarray(hist["dt"]), converged=converged, reason=reason, steps=step, rejected=rejected,
                       seconds=time.perf_counter() - t0, **recorder.result())
