r"""Regression targets on the sphere S^{d-1}: Gaussian random fields, wide random teachers, constants.

Every target has ``sample(X, rng=None) -> (n,)``: a fresh random target evaluated at the rows of ``X``
(train and test points together). Conventions (docs/CONVENTIONS.md): ``d`` is the ambient dimension,
``P_k`` is the Legendre polynomial of dimension d with ``P_k(1) = 1``, ``N(k, d)`` the dimension of the
degree-k spherical harmonics, averages use the uniform probability measure on the sphere, and the
Funk–Hecke eigenvalues of a dot-product function are ``mu_k = E[phi(x.y) P_k(x.y)]``.

Classes
-------
GaussianRandomField(d, nu_t=None, c=None)
    centred Gaussian field with covariance ``C(x.y) = sum_k c_k N(k, d) P_k(x.y)``.
Teacher(d, activation="abs", power=1.0, width=..., seed=None)
    ``f*(x) = H^{-1/2} sum_h s_h act(theta_h . x)^a``, evaluated by a parallel numba kernel
    (CUDA twin in :mod:`spherekern.targets_cuda`).
Constant(value=1.0)
    the constant target ``f(x) = value`` (a pure degree-0 function).

GaussianRandomField, JitterWarning and the GRF_* defaults live in ``spherekern/_random_field.py`` and are
re-exported here.

References
----------
A. Petrini, F. Cagnetta, E. Vanden-Eijnden, M. Wyart, "Learning sparse features can lead to overfitting
in neural networks", NeurIPS 2022 (targets of controlled smoothness nu_t).
G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators" (SplitMix64),
OOPSLA 2014.
"""
from __future__ import annotations

import math
import numbers

import numba as nb
import numpy as np

# the Gaussian random field lives in its own module; public here (GRF_*: its defaults and size limit)
from ._random_field import GRF_KMAX, GRF_MAX_D, GRF_TOL, GaussianRandomField, JitterWarning  # noqa: F401
from ._validate import as_points, as_rng, check_d, check_device, check_int, check_real

__all__ = ["GaussianRandomField", "Teacher", "Constant", "JitterWarning"]

#: neurons generated and evaluated per block by the teacher kernel (the block of directions,
#: ``block x d`` float64, is the only storage proportional to the width).
TEACHER_BLOCK = 1 << 16
#: points per tile in the teacher kernel (a tile of x-components, z and the accumulators stay in L1).
_POINT_TILE = 128


#: largest Teacher power: log2(DBL_MAX), beyond which ``|z|^a`` overflows for every ``|z| >= 2`` (derived)
TEACHER_MAX_POWER = float(math.floor(math.log2(np.finfo(np.float64).max)))


# ----------------------------------------------------------------------------------------------
# Counter-based random stream for the teacher's neurons (SplitMix64; identical on CPU and CUDA)
# ----------------------------------------------------------------------------------------------
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 2.0 ** -53
_TWO_PI = 2.0 * math.pi


@nb.njit(cache=True, inline="always")
def _mix64(z):
    """SplitMix64 finaliser (Steele, Lea & Flood 2014), uint64 -> uint64 (arithmetic mod 2^64)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(cache=True, inline="always")
def _u01(key, i):
    """The i-th uniform of the stream ``key``: ``(mix64(key + (i+1) gamma) >> 11) * 2^-53`` in [0, 1)."""
    z = _mix64(key + (np.uint64(i) + np.uint64(1)) * _GAMMA)
    return float(z >> _S11) * _TWO_M53


@nb.njit(cache=True, inline="always")
def _neuron(key, h, d, theta_row):
    """Direction theta_h (written into theta_row, unit norm) and sign s_h of neuron h; returns s_h.

    Layout of the stream: neuron h owns the uniforms h*S .. h*S + S - 1, S = 2*ceil(d/2) + 1; pair p
    gives two Gaussians by Box–Muller, g_{2p} = r cos(2 pi u2), g_{2p+1} = r sin(2 pi u2) with
    r = sqrt(-2 log(1 - u1)); the last uniform gives the sign (+1 if < 1/2)."""
    P = (d + 1) // 2
    S = 2 * P + 1
    base = h * S
    nrm2 = 0.0
    for p in range(P):
        u1 = 1.0 - _u01(key, base + 2 * p)      # in (0, 1]
        u2 = _u01(key, base + 2 * p + 1)
        r = math.sqrt(-2.0 * math.log(u1))
        g0 = r * math.cos(_TWO_PI * u2)
        theta_row[2 * p] = g0
        nrm2 += g0 * g0
        if 2 * p + 1 < d:
            g1 = r * math.sin(_TWO_PI * u2)
            theta_row[2 * p + 1] = g1
            nrm2 += g1 * g1
    if nrm2 > 0.0:
        inv = 1.0 / math.sqrt(nrm2)
        for j in range(d):
            theta_row[j] *= inv
    else:  # probability ~2^-53 per pair: fall back to e_1
        theta_row[0] = 1.0
    return 1.0 if _u01(key, base + 2 * P) < 0.5 else -1.0


@nb.njit(parallel=True, cache=True)
def _neurons_kernel(key, h0, d, theta, signs):
    for b in nb.prange(theta.shape[0]):
        signs[b] = _neuron(key, h0 + b, d, theta[b])


# activation codes: 0 = abs, 1 = relu. power modes (see _power_mode): 0 general pow, 1 integer, 2 half-integer
@nb.njit(cache=True, inline="always")
def _phi(z, relu, pmode, ia, a):
    v = max(z, 0.0) if relu else abs(z)
    if pmode == 1 or pmode == 2:
        if ia == 0:
            p = 1.0 if (v > 0.0 or not relu) else 0.0
        else:
            p = v
            for _ in range(ia - 1):
                p *= v
        if pmode == 2:
            p *= math.sqrt(v)
        return p
    if v == 0.0:
        return 0.0
    return math.pow(v, a)


@nb.njit(parallel=True, cache=True)
def _teacher_kernel(XT, key, H, block, relu, pmode, ia, a, nchunks, floor, out):
    """out[i] = H^{-1/2} sum_h s_h phi(theta_h . x_i), XT = X.T (d, n) contiguous.

    Neurons are generated ``block`` at a time (parallel over neurons), then evaluated in parallel over
    (point tile, neuron chunk) tasks; the inner loops run over a tile of points, so they vectorise.
    ``floor=True`` replaces phi by the identity (the dot-product floor used by the benchmarks)."""
    d, n = XT.shape
    PT = _POINT_TILE
    ntiles = (n + PT - 1) // PT
    partial = np.zeros((nchunks, n))
    nblk = min(block, H)
    theta = np.empty((nblk, d))
    signs = np.empty(nblk)
    ntask = ntiles * nchunks
    for h0 in range(0, H, block):
        B = min(block, H - h0)
        for b in nb.prange(B):
            signs[b] = _neuron(key, h0 + b, d, theta[b])
        csize = (B + nchunks - 1) // nchunks
        for task in nb.prange(ntask):
            tile = task // nchunks
            c = task - tile * nchunks
            i0 = tile * PT
            m = min(n, i0 + PT) - i0
            b0 = c * csize
            b1 = min(B, b0 + csize)
            z = np.empty(PT)
            acc = np.zeros(PT)
            for b in range(b0, b1):
                t0 = theta[b, 0]
                for i in range(m):
                    z[i] = t0 * XT[0, i0 + i]
                for j in range(1, d):
                    tj = theta[b, j]
                    for i in range(m):
                        z[i] += tj * XT[j, i0 + i]
                s = signs[b]
                if floor:
                    for i in range(m):
                        acc[i] += s * z[i]
                elif pmode == 1 and ia == 1 and not relu:
                    for i in range(m):
                        acc[i] += s * abs(z[i])
                elif pmode == 1 and ia == 1 and relu:
                    for i in range(m):
                        acc[i] += s * max(z[i], 0.0)
                elif pmode == 1 and ia == 2 and not relu:
                    for i in range(m):
                        acc[i] += s * (z[i] * z[i])
                elif pmode == 1 and ia == 2 and relu:
                    for i in range(m):
                        v = max(z[i], 0.0)
                        acc[i] += s * (v * v)
                else:
                    for i in range(m):
                        acc[i] += s * _phi(z[i], relu, pmode, ia, a)
            for i in range(m):
                partial[c, i0 + i] += acc[i]
    scale = 1.0 / math.sqrt(H)
    for i in nb.prange(n):
        tot = 0.0
        for c in range(nchunks):
            tot += partial[c, i]
        out[i] = tot * scale


def _power_mode(a):
    """(pmode, ia): 1 for integer a (ia = a), 2 for half-integer (ia = a - 1/2), 0 general."""
    if a == int(a):
        return 1, int(a)
    if 2 * a == int(2 * a):
        return 2, int(a - 0.5)
    return 0, 0


def _seed_to_key(seed: int) -> np.uint64:
    return np.uint64(_mix64(np.uint64(seed)))


# ----------------------------------------------------------------------------------------------
# Teacher
# ----------------------------------------------------------------------------------------------
class Teacher:
    r"""Wide random one-hidden-layer teacher ``f*(x) = H^{-1/2} sum_{h=1}^H s_h act(theta_h.x)^a``.

    ``theta_h`` are i.i.d. uniform on S^{d-1} and ``s_h`` i.i.d. random signs, ``act`` is ``|t|``
    (``"abs"``) or ``max(t, 0)`` (``"relu"``), ``a = power >= 0`` (``act^0`` is the step ``1[t > 0]`` for
    relu and the constant 1 for abs).

    Limit and spectrum
        For every H, ``E[f*(x) f*(y)] = C(x.y) = E_theta[act(theta.x)^a act(theta.y)^a]``, whose
        Funk–Hecke eigenvalues are ``c_k = mu_k(act^a)^2`` (composition rule, docs/CONVENTIONS.md), with
        ``mu_k`` from :func:`spherekern.spectrum.abs_power` / :func:`spherekern.spectrum.relu`. As H grows,
        f* converges (CLT) to the centred Gaussian random field with that covariance, i.e.
        :class:`GaussianRandomField` with ``c_k = mu_k^2``; since ``mu_k ~ k^{-(d-1)/2 - a - 1/2}`` for the
        non-polynomial cases, ``c_k ~ k^{-2 nu_t - (d-1)}`` with smoothness ``nu_t = a + 1/2``.
        **Exception**: for ``"abs"`` with an even integer ``a``, ``|t|^a = t^a`` is a polynomial of degree
        a, so only the degrees ``k <= a`` of the parity of ``a`` carry power: the field has finitely many
        modes and no smoothness exponent (it is analytic). For ``"abs"`` only even degrees are present
        (``|t|^a`` is even); for ``"relu"`` with integer a, all degrees ``k > a`` of the parity of ``a + 1`` and
        the degrees ``k <= a`` of the parity of ``a``.

    Reproducibility
        Nothing of size H is stored. Neuron h is a pure function of ``(seed, h, d)``: its direction and sign
        come from the uniforms number ``h*S .. h*S + S - 1`` (``S = 2 ceil(d/2) + 1``) of a counter-based
        SplitMix64 stream keyed by ``mix64(seed)``, turned into Gaussians by Box–Muller and normalised. So
        the teacher does not depend on the block size, the number of threads or the device (the CUDA twin
        regenerates the same neurons, equal up to libm rounding), and the width-H' teacher uses the first
        H' neurons of the width-H one (nested widths).

    Parameters
    ----------
    d : int >= 2, ambient dimension.
    activation : {"abs", "relu"}
    power : float >= 0, the exponent a. Integer and half-integer a use multiplications (and one sqrt);
        other values call ``pow`` per (point, neuron) pair and are much slower.
    width : int >= 1, H (default 10^5).
    seed : int in [0, 2^64) or None (fresh entropy).

    Notes
    -----
    Cost: ``n * H * (d + 2)`` flops, vectorised over tiles of points and parallel over (tile, neuron
    chunk) tasks; neurons are generated in blocks of :data:`TEACHER_BLOCK`. Memory: O(n + block * d).
    """

    def __init__(self, d, activation="abs", power=1.0, width=100_000, seed=None):
        self.d = check_d(d)
        if activation not in ("abs", "relu"):
            raise ValueError(f"activation must be 'abs' or 'relu', got {activation!r}")
        self.activation = activation
        self.power = check_real(power, "power", minimum=0.0)
        if self.power > TEACHER_MAX_POWER:
            raise ValueError(f"power must be <= {TEACHER_MAX_POWER:.0f} (log2 of the largest float64: beyond it "
                             f"|z|^power overflows for every |z| >= 2), got {power!r}")
        self.width = check_int(width, "width", 1)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be None or an integer in [0, 2^64), got {seed!r}")
        if not 0 <= int(seed) < 2**64:
            raise ValueError(f"seed must be in [0, 2^64), got {seed}")
        self.seed = int(seed)
        self._key = _seed_to_key(self.seed)

    def __repr__(self):
        return (f"Teacher(d={self.d}, activation={self.activation!r}, power={self.power!r}, "
                f"width={self.width}, seed={self.seed})")

    @property
    def nu_t(self):
        """Smoothness ``a + 1/2`` of the limiting field (``inf`` for abs with even integer a: a polynomial)."""
        a = self.power
        if self.activation == "abs" and a == int(a) and int(a) % 2 == 0:
            return math.inf
        return a + 0.5

    def neurons(self, start=0, stop=None):
        """Directions ``theta_h`` (rows, unit norm) and signs ``s_h`` of the neurons ``start <= h < stop``.

        Returns ``(theta, signs)`` of shapes ``(stop - start, d)`` and ``(stop - start,)``.
        """
        start = check_int(start, "start", 0)
        stop = self.width if stop is None else check_int(stop, "stop", 0)
        if not start <= stop <= self.width:
            raise ValueError(f"need 0 <= start <= stop <= width = {self.width}, got start={start}, stop={stop}")
        theta = np.zeros((stop - start, self.d))
        signs = np.empty(stop - start)
        if stop > start:
            _neurons_kernel(self._key, start, self.d, theta, signs)
        return theta, signs

    def spectrum(self, kmax):
        """Funk–Hecke eigenvalues ``c_k = mu_k(act^a)^2``, k = 0..kmax, of the covariance of f*.

        Uses :mod:`spherekern.spectrum` (``abs_power`` / ``relu``)."""
        from . import spectrum as _spec
        if self.activation == "abs":
            mu = _spec.abs_power(self.d, kmax, self.power)
        else:
            mu = _spec.relu(self.d, kmax, power=self.power)
        return np.asarray(mu, dtype=np.float64) ** 2

    def _eval(self, X, floor=False, block=None):
        XT = np.ascontiguousarray(X.T)
        n = X.shape[0]
        out = np.empty(n)
        if n == 0:
            return out
        block = TEACHER_BLOCK if block is None else block
        ntiles = -(-n // _POINT_TILE)
        nthreads = nb.get_num_threads()
        nchunks = max(1, min(-(-2 * nthreads // ntiles), -(-min(block, self.width) // 64)))
        pmode, ia = _power_mode(self.power)
        _teacher_kernel(XT, self._key, self.width, block, self.activation == "relu", pmode, ia,
                        self.power, nchunks, floor, out)
        return out

    def __call__(self, X, device="cpu"):
        """Evaluate f* at the rows of X (shape (n, d), unit norm); returns shape (n,).

        ``device="cuda"`` uses the numba.cuda twin (:func:`spherekern.targets_cuda.teacher_eval`)."""
        device = check_device(device)
        X = as_points(X, "X", d=self.d)
        if device == "cuda":
            from .targets_cuda import teacher_eval
            return teacher_eval(self, X)
        return self._eval(X)

    def sample(self, X, rng=None):
        """Draw a new teacher (same d, activation, power, width; seed drawn from ``rng``) and evaluate it."""
        rng = as_rng(rng)
        seed = int(rng.integers(0, 2**63))
        return Teacher(self.d, self.activation, self.power, self.width, seed)(X)


# ----------------------------------------------------------------------------------------------
# Constant
# ----------------------------------------------------------------------------------------------
class Constant:
    """The constant target ``f(x) = value`` (a pure degree-0 function)."""

    def __init__(self, value=1.0):
        self.value = check_real(value, "value")

    def __repr__(self):
        return f"Constant({self.value!r})"

    def __call__(self, X):
        X = as_points(X, "X")
        return np.full(X.shape[0], self.value)

    def sample(self, X, rng=None):
        """``value`` at every row of X (rng is accepted for interface uniformity and ignored)."""
        X = as_points(X, "X")
        as_rng(rng)
        return np.full(X.shape[0], self.value)
