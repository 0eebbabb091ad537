"""The Approach 3 objective and gradient of one start, compiled (numba).

The same arithmetic as :func:`~chinchilla_utils.fitting.approach3.objective.objective_rows`
(value and all five partial derivatives from one exp of each term and one log per run), with
per-run weights (the bootstrap's resample multiplicities).

Where the time goes, and why the exp and log here are our own: a fit of 4,500 starts
evaluates about 1e8 (start, run) pairs, each needing two exponentials and a logarithm. The
C library's ``exp`` and ``log`` are scalar calls that the compiler cannot vectorise; the
versions below are branch-free polynomials that it can (8 runs at a time with AVX-512),
tested against ``math`` in the test suite: ``exp`` to 1 ulp, ``log`` to 3 ulp relative
and 2.2e-16 absolute (1 ulp of the log-losses, which lie between 0.5 and 2):

* ``exp(x)``: ``x = k ln 2 + r`` with ``k`` the nearest integer to ``x / ln 2`` (Cody and
  Waite's two-constant reduction, so ``r`` is exact to a few ulp), ``exp(r)`` by its Taylor
  series to degree 13 (``|r| <= ln(2)/2``: truncation below 2e-17 relative), times ``2**k``
  built from its exponent bits.
* ``log(x)``: ``x = m 2**k`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` from the bits of ``x``;
  ``log(m) = 2 atanh(s)``, ``s = (m - 1)/(m + 1)``, by its series to ``s**21``
  (``|s| <= 0.172``: truncation below 1e-18).

They are used wherever no term can overflow (every term below 600, decided per point from
the extreme log sizes, and ``e < 600``); otherwise the point takes a shifted log-sum-exp
with the library functions.

What made it fast, measured on the benchmark's 240 runs (``benchmarks/README.md``, run 7):
multiply-adds fused (``fastmath={"contract"}``, nothing else: the reductions above depend on
the order of their operations); the polynomials by Estrin's scheme instead of Horner's (a
chain of 5 dependent operations instead of 13: the loop is bound by latency); the exponentials
in a loop of their own; and the six sums over runs vectorised (:func:`_sum`). Each sum is
taken in an order fixed by the compiled code, so the result is the same on every call on one
machine whatever the thread or the other starts evaluated alongside; another machine (other
vector units, no fused multiply-add) may differ in the last bits.

Importing this module compiles (first use on a machine, a few seconds) or loads (cached
beside the module, ``cache=True``) the machine code; only the fit imports it.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from . import objective
from ._cache import forget_if_stale
from .objective import EXP_SAFE

#: Runs are processed in groups of this many; data are padded to a multiple of it.
LANES = 8

_LOG2E = 1.4426950408889634
# ln 2 split so that k * _LN2_HI is exact for |k| < 2**20 (Cody-Waite reduction)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Adding and subtracting 1.5 * 2**52 rounds a double of magnitude < 2**51 to an integer.
_ROUND = 6755399441055744.0
# exp_small's argument floor: 2**k stays a normal double.
_EXP_FLOOR = 700.0
_SQRT2 = 1.4142135623730951
_INV_FACT = tuple(1.0 / math.factorial(k) for k in range(14))
_ATANH = tuple(2.0 / (2 * j + 1) for j in range(11))
_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
_INLINE = {"inline": "always", "error_model": "numpy", "fastmath": {"contract"}}


@intrinsic
def _bits_to_float(typingctx, bits):  # noqa: ARG001 - numba's intrinsic signature
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _float_to_bits(typingctx, value):  # noqa: ARG001
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


_C = _INV_FACT
_L = _ATANH


@njit(**_INLINE)
def exp_small(x):
    """``exp(x)`` for ``|x| <= 700``, to 1 ulp, vectorisable (no branch, no call)."""
    k = (x * _LOG2E + _ROUND) - _ROUND
    r = (x - k * _LN2_HI) - k * _LN2_LO
    # exp(r) = 1 + r + r**2 q(r), q by Estrin's scheme: independent pairs combined with r**2,
    # r**4, r**8, so the chain of dependent multiply-adds is 5 long instead of Horner's 13.
    # Adding 1 and r last keeps the result to 1 ulp.
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q = (
        ((_C[2] + _C[3] * r) + (_C[4] + _C[5] * r) * r2)
        + ((_C[6] + _C[7] * r) + (_C[8] + _C[9] * r) * r2) * r4
    ) + ((_C[10] + _C[11] * r) + (_C[12] + _C[13] * r) * r2) * r8
    p = 1.0 + (r + r2 * q)
    return p * _bits_to_float((np.int64(k) + 1023) << 52)


@njit(**_INLINE)
def log_normal(x):
    """``log(x)`` for a positive normal double (3 ulp relative, 2.2e-16 absolute), vectorisable."""
    bits = _float_to_bits(x)
    k = ((bits >> 52) & 0x7FF) - 1023
    m = _bits_to_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    high = m > _SQRT2
    m = m * 0.5 if high else m
    kf = np.float64(k + 1 if high else k)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    # log(m) = 2 s + s z q(z), q by Estrin's scheme (as in exp_small).
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    q = (
        ((_L[1] + _L[2] * z) + (_L[3] + _L[4] * z) * z2)
        + ((_L[5] + _L[6] * z) + (_L[7] + _L[8] * z) * z2) * z4
    ) + (_L[9] + _L[10] * z) * z8
    return kf * _LN2_HI + ((2.0 * s + (s * z) * q) + kf * _LN2_LO)


@njit(**{**_JIT, "fastmath": {"reassoc", "contract"}})
def _sum(v):
    """``sum(v)`` in an order of the compiler's choosing (vector partial sums).

    Its own function because reassociation may not touch the exp and log above (Cody and
    Waite's reduction and the rounding constant depend on the order of their operations).
    The order is fixed by the compiled code, so the sum is the same on every call on a
    given machine; a machine with other vector units may round differently.
    """
    total = 0.0
    for i in range(v.shape[0]):
        total += v[i]
    return total


@njit(**_JIT)
def objective_gradient(u, x_n, x_d, log_loss, weights, delta, bounds, grad, work):
    """Weighted summed objective at ``u`` (5,), its gradient written to ``grad`` (5,).

    ``x_n, x_d, log_loss, weights`` are padded to a multiple of ``LANES`` (padding
    weighs 0); ``bounds = (min x_n, max x_n, min x_d, max x_d)`` over the real runs;
    ``work`` is a ``(6, n)`` scratch array.
    """
    a, b, e, alpha, beta = u[0], u[1], u[2], u[3], u[4]
    # Largest term over the runs (each is linear in the run's log size, so its extremes sit
    # at the extreme log sizes). Terms far below it need no care: exp_small clamps them at
    # exp(-700), a change of at most 1e-300 relative in the sum.
    top_term = max(
        a - alpha * bounds[0],
        a - alpha * bounds[1],
        b - beta * bounds[2],
        b - beta * bounds[3],
    )
    # A very negative e (E -> 0, a degenerate basin some starts end in) needs no care either:
    # exp(e) is the same for every run, computed once by the library, and may underflow to 0
    # (s stays a normal number, since the other two terms are at least exp(-700)).
    fast = top_term < EXP_SAFE and e < EXP_SAFE
    n = x_n.shape[0]
    hub, q1, q2, q3, q4, q5 = work[0], work[1], work[2], work[3], work[4], work[5]
    if fast:
        e3 = math.exp(e)
        # Two loops rather than one: each body's chain of dependent arithmetic is about half
        # as long, so the processor overlaps more runs (measured: 10-20% faster).
        for j in range(n):
            q1[j] = exp_small(max(a - alpha * x_n[j], -_EXP_FLOOR))
            q2[j] = exp_small(max(b - beta * x_d[j], -_EXP_FLOOR))
        for j in range(n):
            e1 = q1[j]
            e2 = q2[j]
            s = e1 + e2 + e3
            r = log_normal(s) - log_loss[j]
            psi = min(max(r, -delta), delta)  # the Huber derivative
            w = weights[j]
            q = w * psi / s
            hub[j] = w * (psi * (r - 0.5 * psi))
            q1[j] = q * e1
            q2[j] = q * e2
            q3[j] = q * e3
            q4[j] = -(q * e1 * x_n[j])
            q5[j] = -(q * e2 * x_d[j])
    else:  # a term could overflow (or u is not finite): shift the log-sum-exp per run
        # The per-run terms below repeat the fast loop's on purpose: moved into an inlined
        # helper (array stores and all), the fast loop no longer vectorises (measured: 9.4
        # instead of 2.5 ns a run).
        for j in range(n):
            t1 = a - alpha * x_n[j]
            t2 = b - beta * x_d[j]
            top = max(t1, t2, e)
            e1 = math.exp(t1 - top)
            e2 = math.exp(t2 - top)
            e3 = math.exp(e - top)
            s = e1 + e2 + e3
            r = math.log(s) + top - log_loss[j]
            psi = min(max(r, -delta), delta)
            w = weights[j]
            q = w * psi / s
            hub[j] = w * (psi * (r - 0.5 * psi))
            q1[j] = q * e1
            q2[j] = q * e2
            q3[j] = q * e3
            q4[j] = -(q * e1 * x_n[j])
            q5[j] = -(q * e2 * x_d[j])
    grad[0] = _sum(q1)
    grad[1] = _sum(q2)
    grad[2] = _sum(q3)
    grad[3] = _sum(q4)
    grad[4] = _sum(q5)
    return _sum(hub)


# The kernel freezes objective.py's EXP_SAFE into its cached code.
forget_if_stale(objective_gradient, [objective.__file__])
