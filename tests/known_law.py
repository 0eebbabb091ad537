"""A test oracle shared by the Approach 1 and 2 tests: the paper's law in closed form.

Kept in the tests (not imported from chinchilla_utils.laws) so the fitting code is checked
against an independent implementation: N_opt = G (C/6)^a with a = beta / (alpha + beta).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KnownLaw:
    """L(N, D) = E + A / N^alpha + B / D^beta; defaults are the paper's rounded Eq. 10 constants.

    With them a = beta / (alpha + beta) = 0.4516.
    """

    E: float = 1.69
    A: float = 406.4
    B: float = 410.7
    alpha: float = 0.34
    beta: float = 0.28

    @property
    def a(self) -> float:
        return self.beta / (self.alpha + self.beta)

    def loss(self, n_params, n_tokens):
        n = np.asarray(n_params, dtype=float)
        d = np.asarray(n_tokens, dtype=float)
        return self.E + self.A / n**self.alpha + self.B / d**self.beta

    def n_opt(self, flops):
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))
        return g * (np.asarray(flops, dtype=float) / 6) ** self.a
