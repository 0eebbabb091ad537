"""The errors a fit raises when it fails at run time (as opposed to refusing bad input).

A caller's mistake (a missing column, a negative budget, a misspelled option) is a
:class:`ValueError` raised before any fitting starts. A fit that was given valid input but
cannot produce a trustworthy answer (no accepted parabola, an optimiser that never converged,
every bootstrap resample refused) raises :class:`FitError`: the caller can catch that one
narrowly and report it, without also swallowing its own mistakes.
"""

from __future__ import annotations

__all__ = ["FitError"]


class FitError(RuntimeError):
    """A fit of valid input that failed at run time.

    ``reason`` is a short, stable code (``"too few budgets"``, ``"did not converge"``,
    ``"all resamples failed"``) for tables and tests; the message gives the numbers.
    """

    def __init__(self, message: str, reason: str = "fit failed"):
        super().__init__(message)
        self.reason = reason
