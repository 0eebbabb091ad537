"""Scaling laws as objects: the parametric loss and power-law compute-optimal frontiers.

Introduced in Chapter 4 (Approaches 1 and 2: power-law frontiers ``N_opt = k * C^a``, and
Kaplan et al. 2020 for comparison) and Chapter 5 (Approach 3: the parametric loss
``L(N, D) = E + A / N^alpha + B / D^beta`` and its closed-form frontier, Hoffmann et al. 2022,
Eq. 2-4 and Appendix D.2).

Units throughout: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``flops`` in
training FLOPs under the paper's approximation ``C = 6 * N * D``, losses in nats per token.
Every method takes a float or an array and returns a float for scalar input, an array
otherwise; non-finite or non-positive sizes and budgets raise :class:`ValueError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chinchilla_utils._validation import (
    as_finite,
    as_positive,
    as_scalar,
    as_scalar_or_array,
    check_choice,
)

__all__ = [
    "KAPLAN_CALIBRATIONS",
    "PAPER_CONSTANTS",
    "PAPER_FRONTIERS",
    "PAPER_FRONTIER_VARIANTS",
    "ParametricLoss",
    "PowerLawFrontier",
]

#: Names accepted by :meth:`PowerLawFrontier.kaplan2020`.
KAPLAN_CALIBRATIONS = ("kaplan_table6", "hoffmann_1e21")
#: Variants accepted by :meth:`ParametricLoss.paper`.
PAPER_CONSTANTS = ("unrounded", "rounded")
#: Approaches accepted by :meth:`PowerLawFrontier.paper` (Approach 3 is ParametricLoss.paper).
PAPER_FRONTIERS = ("approach_1", "approach_2")
#: Constructions accepted by :meth:`PowerLawFrontier.paper`; the first is the book's.
PAPER_FRONTIER_VARIANTS = ("anchored", "table_fit")


def _exp10_checked(name: str, log10_value: np.ndarray, what: str) -> float | np.ndarray:
    """``10**log10_value``, refusing results beyond float range instead of returning inf or 0.

    The frontiers' quantities are products of large powers (``N_opt**2`` overflows long
    before ``D_opt / N_opt`` does), so they are computed as logarithms and exponentiated once.
    """
    with np.errstate(over="ignore", under="ignore"):
        value = np.power(10.0, log10_value)
    bad = ~np.isfinite(value) | (value == 0)
    if np.any(bad):
        worst = float(np.ravel(log10_value)[np.argmax(np.ravel(bad))])
        raise ValueError(
            f"{what} overflows a float at this {name} (the result would be 10^{worst:.4g}, "
            "outside 1e-308 to 1.8e308); pass a smaller or larger value within range"
        )
    return as_scalar_or_array(value)


def _broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError as exc:
        listed = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(
            f"arguments must have the same (or broadcastable) shape, got {listed}"
        ) from exc


@dataclass(frozen=True)
class ParametricLoss:
    """The Approach 3 loss model ``L(N, D) = E + A / N**alpha + B / D**beta`` (nats).

    Hoffmann et al. (2022), Eq. 2. ``E`` is the irreducible loss of natural text (nats),
    ``A / N**alpha`` the penalty for a finite model of ``N`` parameters, ``B / D**beta`` the
    penalty for training on ``D`` tokens. Minimising it along ``C = 6 N D`` gives the
    closed-form frontier of Eq. 4:

    ``N_opt(C) = G * (C/6)**a``, ``D_opt(C) = (C/6)**b / G``, with
    ``G = (alpha*A / (beta*B))**(1/(alpha+beta))``, ``a = beta/(alpha+beta)``,
    ``b = alpha/(alpha+beta)``.

    Parameters
    ----------
    E:
        Irreducible loss, nats (finite, >= 0).
    A, B:
        Scales of the parameter and data terms (> 0; units nats * params**alpha and
        nats * tokens**beta).
    alpha, beta:
        Exponents of the parameter and data terms (> 0, dimensionless).
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        e = as_scalar("E", self.E)
        if e < 0:
            raise ValueError(f"E must be >= 0 (an irreducible loss in nats), got {self.E!r}")
        # frozen: write the validated floats through object.__setattr__
        object.__setattr__(self, "E", e)
        for name in ("A", "B", "alpha", "beta"):
            object.__setattr__(self, name, as_scalar(name, getattr(self, name), positive=True))

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def _from_constants(cls, variant: str) -> ParametricLoss:
        from chinchilla_utils.datasets.paper import approach3_constants

        df = approach3_constants()
        row = df.loc[df["variant"] == variant]
        if len(row) != 1:
            raise ValueError(
                f"data/approach3_constants.csv should have one {variant!r} row, got {len(row)}"
            )
        r = row.iloc[0]
        return cls(E=r["E"], A=r["A"], B=r["B"], alpha=r["alpha"], beta=r["beta"])

    @classmethod
    def paper(cls, variant: str = "unrounded") -> ParametricLoss:
        """The paper's Approach 3 law (Eq. 10): ``"unrounded"`` (default) or ``"rounded"``.

        The unrounded constants (:meth:`paper_unrounded`) are the ones that reproduce the
        paper's own numbers (the Figure 4 caption's 40B at Gopher's budget); the printed,
        rounded ones (:meth:`paper_rounded`) give about 32B there. Beside
        :meth:`PowerLawFrontier.paper` for Approaches 1 and 2.
        """
        check_choice("variant", variant, PAPER_CONSTANTS)
        return cls.paper_unrounded() if variant == "unrounded" else cls.paper_rounded()

    @classmethod
    def paper_rounded(cls) -> ParametricLoss:
        """The constants as printed (Eq. 10): E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28.

        Read from ``data/approach3_constants.csv`` (variant ``published_rounded``). At the
        Gopher budget (5.76e23 FLOPs) they give N_opt of about 32B parameters, noticeably
        below the "40B" of the paper's Figure 4 caption (data/README.md, item 9).
        """
        return cls._from_constants("published_rounded")

    @classmethod
    def paper_unrounded(cls) -> ParametricLoss:
        """The unrounded constants from the paper's TeX source (via Epoch AI's repository).

        Read from ``data/approach3_constants.csv`` (variant ``tex_unrounded``):
        E=1.6933737, A=406.40102, B=410.72283, alpha=0.33917084, beta=0.2849083. They give
        N_opt of about 40B parameters at 5.76e23 FLOPs, matching the Figure 4 caption.
        """
        return cls._from_constants("tex_unrounded")

    @classmethod
    def from_theta(cls, theta: Any) -> ParametricLoss:
        """Build from Approach 3's fit vector ``theta = (a, b, e, alpha, beta)``.

        ``a = log A``, ``b = log B``, ``e = log E`` (natural logs; Eq. 11 of the paper).
        """
        t = as_finite("theta", theta)
        if t.shape != (5,):
            raise ValueError(f"theta must have shape (5,) = (a, b, e, alpha, beta), got {t.shape}")
        a, b, e, alpha, beta = t
        return cls(E=np.exp(e), A=np.exp(a), B=np.exp(b), alpha=alpha, beta=beta)

    @property
    def theta(self) -> np.ndarray:
        """``(log A, log B, log E, alpha, beta)``, the Approach 3 fit vector (``log E`` needs E > 0)."""
        if self.E == 0:
            raise ValueError("theta needs E > 0 (it holds log E); this law has E = 0")
        return np.array([np.log(self.A), np.log(self.B), np.log(self.E), self.alpha, self.beta])

    # -- the loss -----------------------------------------------------------------------
    def loss(self, n_params: Any, n_tokens: Any) -> float | np.ndarray:
        """Predicted final training loss in nats for ``n_params`` trained on ``n_tokens``.

        Arrays broadcast against each other (a contour grid can pass a meshgrid).
        """
        n, d = _broadcast(
            n_params=as_positive("n_params", n_params), n_tokens=as_positive("n_tokens", n_tokens)
        )
        return as_scalar_or_array(self.E + self.A / n**self.alpha + self.B / d**self.beta)

    # -- the compute-optimal frontier ---------------------------------------------------
    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C**a``: ``beta / (alpha + beta)``."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C**b``: ``alpha / (alpha + beta)``; ``a + b = 1``."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:  # noqa: N802 - the paper's symbol
        """``G = (alpha*A / (beta*B))**(1/(alpha+beta))`` (params per (FLOPs/6)**a)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def n_opt(self, flops: Any) -> float | np.ndarray:
        """Compute-optimal parameter count ``G * (C/6)**a`` for a budget of ``flops`` FLOPs."""
        c = as_positive("flops", flops)
        return as_scalar_or_array(self.G * (c / 6.0) ** self.a)

    def d_opt(self, flops: Any) -> float | np.ndarray:
        """Compute-optimal training tokens ``(C/6)**b / G`` for ``flops`` FLOPs."""
        c = as_positive("flops", flops)
        return as_scalar_or_array((c / 6.0) ** self.b / self.G)

    def tokens_per_param(self, flops: Any) -> float | np.ndarray:
        """``D_opt / N_opt`` at ``flops`` FLOPs (tokens per parameter; about 20 for Chinchilla)."""
        c = as_positive("flops", flops)
        return as_scalar_or_array((c / 6.0) ** (self.b - self.a) / self.G**2)

    def loss_opt(self, flops: Any) -> float | np.ndarray:
        """Loss in nats at the compute-optimal ``(N_opt, D_opt)`` for ``flops`` FLOPs."""
        return self.loss(self.n_opt(flops), self.d_opt(flops))

    def flops_for_n_opt(self, n_params: Any) -> float | np.ndarray:
        """Budget in FLOPs at which ``n_params`` is compute-optimal: ``6 * (N/G)**(1/a)``.

        The inverse of :meth:`n_opt`; Tables 3 and A3 list it for 400M ... 10T parameters.
        """
        log_n = np.log10(as_positive("n_params", n_params))
        log_c = np.log10(6.0) + (log_n - np.log10(self.G)) / self.a
        return _exp10_checked("n_params", log_c, "flops_for_n_opt")

    def flops_for_d_opt(self, n_tokens: Any) -> float | np.ndarray:
        """Budget in FLOPs at which ``n_tokens`` is the optimal data size: ``6 * (D*G)**(1/b)``."""
        log_d = np.log10(as_positive("n_tokens", n_tokens))
        log_c = np.log10(6.0) + (log_d + np.log10(self.G)) / self.b
        return _exp10_checked("n_tokens", log_c, "flops_for_d_opt")

    def params(self) -> dict[str, float]:
        """``E, A, B, alpha, beta`` and the frontier exponents ``a, b`` as plain floats."""
        return {
            "E": self.E,
            "A": self.A,
            "B": self.B,
            "alpha": self.alpha,
            "beta": self.beta,
            "a": self.a,
            "b": self.b,
        }

    def as_frontier(self, name: str = "") -> PowerLawFrontier:
        """The same frontier as a :class:`PowerLawFrontier` (``k = G / 6**a``, exponent ``a``)."""
        return PowerLawFrontier(coefficient=self.G / 6.0**self.a, exponent=self.a, name=name)


@dataclass(frozen=True)
class PowerLawFrontier:
    """A compute-optimal frontier ``N_opt = coefficient * C**exponent`` with ``C = 6 N D``.

    The form in which Approaches 1 and 2 and Kaplan et al. (2020) state their result.
    ``D_opt = C / (6 N_opt)``, so ``D_opt ∝ C**(1 - exponent)``.

    Parameters
    ----------
    coefficient:
        ``k`` in params per FLOPs**exponent (> 0).
    exponent:
        ``a``, in (0, 1) (dimensionless; the values in the paper are 0.46-0.73). At ``a >= 1``
        the optimal token count would not grow with compute, so it is refused.
    name:
        A label for legends and tables.
    """

    coefficient: float
    exponent: float
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("coefficient", "exponent"):
            object.__setattr__(self, field, as_scalar(field, getattr(self, field), positive=True))
        if self.exponent >= 1:
            raise ValueError(
                f"exponent must lie in (0, 1), got {self.exponent!r}: with N_opt ∝ C^a and "
                "a >= 1, D_opt = C / (6 N_opt) would not grow with compute; check that the fit "
                "was of N_opt against training FLOPs"
            )
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")

    @classmethod
    def from_anchor(
        cls, n_params: float, flops: float, exponent: float, name: str = ""
    ) -> PowerLawFrontier:
        """The frontier with slope ``exponent`` that passes through ``(flops, n_params)``.

        E.g. Approach 1 anchored on Table 3's Gopher row,
        ``PowerLawFrontier.from_anchor(6.7e10, 5.76e23, 0.50, "Approach 1")``, which is what
        :meth:`paper` builds from the shipped tables.
        """
        n = float(as_positive("n_params", n_params))
        c = float(as_positive("flops", flops))
        a = float(as_positive("exponent", exponent))
        return cls(coefficient=n / c**a, exponent=a, name=name)

    @classmethod
    def paper(cls, approach: str, variant: str = "anchored") -> PowerLawFrontier:
        """The paper's Approach 1 or 2 frontier, built from its printed numbers.

        The paper prints each approach's exponent (Table 2) and its projections for nine model
        sizes (Table 3 for Approach 1, Table A3 for Approach 2; read by
        :func:`chinchilla_utils.datasets.paper.projection_rows`), not the coefficient of its
        line. Two constructions recover one:

        ``"anchored"`` (default, the book's)
            Table 2's exponent through the 67B row: Table 3's Gopher-budget row (67B
            parameters at 5.76e23 FLOPs) for Approach 1, Table A3's 67B row (6.88e23 FLOPs) for
            Approach 2. It reproduces the two numbers the paper states in its text and Table 2
            exactly (the exponent, and 67B at Gopher's budget, the size Section 3.4 compares
            Gopher with); the other printed rows, rounded to two or three digits, it meets to
            within 7% (Approach 1) and 8% (Approach 2).
        ``"table_fit"`` (a variant)
            A least-squares power law through the nine printed (FLOPs, params) rows. It meets
            the rows more closely (2.4% and 6.3% at worst) but reproduces neither printed
            number: its exponents are 0.498 and 0.490, and at Gopher's budget it gives 67.8B.
            The book uses it only to read the exponent the tables imply.

        Parameters
        ----------
        approach : ``"approach_1"`` or ``"approach_2"`` (Approach 3 is
            :meth:`ParametricLoss.paper`).
        variant : ``"anchored"`` or ``"table_fit"``.

        Returns
        -------
        PowerLawFrontier named ``"Approach 1 (paper)"`` or ``"Approach 2 (paper)"`` (with
        ``", table fit"`` for the variant).
        """
        from chinchilla_utils.datasets.paper import projection_rows, table2_exponents

        check_choice("approach", approach, PAPER_FRONTIERS)
        check_choice("variant", variant, PAPER_FRONTIER_VARIANTS)
        number = approach.rsplit("_", 1)[1]
        rows = projection_rows(approach)
        if variant == "table_fit":
            from chinchilla_utils.fitting.powerlaw import fit_power_law

            fit = fit_power_law(rows["flops"].to_numpy(float), rows["params"].to_numpy(float))
            return fit.to_frontier(name=f"Approach {number} (paper, table fit)")
        gopher_row = projection_rows("approach_1").query("flops_gopher_units == 1")
        anchor = rows[rows["params"].isin(gopher_row["params"])]
        if len(gopher_row) != 1 or len(anchor) != 1:
            raise ValueError(
                f"the shipped tables should have one Gopher-budget row in Table 3 and one row of "
                f"its size for {approach}; found {len(gopher_row)} and {len(anchor)}"
            )
        exponent = float(table2_exponents().set_index("approach").loc[approach, "a"])
        return cls.from_anchor(
            float(anchor["params"].iloc[0]),
            float(anchor["flops"].iloc[0]),
            exponent,
            name=f"Approach {number} (paper)",
        )

    @classmethod
    def kaplan2020(cls, calibration: str = "kaplan_table6") -> PowerLawFrontier:
        """Kaplan et al. (2020)'s frontier ``N_opt ∝ C**0.73``, with C converted to FLOPs.

        Constants from ``data/kaplan2020_constants.csv``: exponent ``p_n`` = 0.73 (Kaplan
        Table 6) and 1 PF-day = ``pf_day_flops`` = 8.64e19 FLOPs. Two calibrations of the scale:

        ``"kaplan_table6"`` (default)
            Kaplan's own prefactor ``n_e`` = 1.3e9 parameters with C in PF-days:
            ``N_opt = 1.3e9 * (C / 8.64e19)**0.73``, i.e. ``k = 1.3e9 / 8.64e19**0.73``.
            Kaplan's N excludes embeddings and his C is ``C_min`` (compute at the critical
            batch size); this gives about 7.8B parameters at 1e21 FLOPs.
        ``"hoffmann_1e21"``
            Anchored on the number Hoffmann et al. (2022) use in their head-to-head at 1e21
            FLOPs (``experiment_design.csv``: Kaplan's law predicts 4.68B parameters), the
            scale the paper's own comparison implies. It is about 0.6x the Table 6 scale; the
            paper does not say how it was obtained.

        ``D_opt`` follows from ``C = 6 N D`` in both cases, not from Kaplan's separate
        ``D_opt = 2e10 * C**0.27`` fit (which is not consistent with ``6 N D`` at his N).
        """
        from chinchilla_utils.datasets.paper import experiment_value, kaplan_constant

        check_choice("calibration", calibration, KAPLAN_CALIBRATIONS)
        exponent = kaplan_constant("p_n")
        if calibration == "kaplan_table6":
            pf_day = kaplan_constant("pf_day_flops")
            coefficient = kaplan_constant("n_e") / pf_day**exponent
            return cls(coefficient, exponent, name="Kaplan et al. (2020)")
        return cls.from_anchor(
            experiment_value("kaplan_comparison_kaplan_predicted_params"),
            experiment_value("kaplan_comparison_flops"),
            exponent,
            name="Kaplan et al. (2020), as applied by Hoffmann et al. (2022)",
        )

    @property
    def a(self) -> float:
        """Alias of ``exponent`` (the paper's symbol)."""
        return self.exponent

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C**b``: ``1 - exponent``."""
        return 1.0 - self.exponent

    def n_opt(self, flops: Any) -> float | np.ndarray:
        """Compute-optimal parameter count ``coefficient * C**exponent`` at ``flops`` FLOPs."""
        log_c = np.log10(as_positive("flops", flops))
        return _exp10_checked("flops", np.log10(self.coefficient) + self.exponent * log_c, "n_opt")

    def d_opt(self, flops: Any) -> float | np.ndarray:
        """Compute-optimal training tokens ``C / (6 N_opt)`` at ``flops`` FLOPs."""
        log_c = np.log10(as_positive("flops", flops))
        log_n = np.log10(self.coefficient) + self.exponent * log_c
        return _exp10_checked("flops", log_c - np.log10(6.0) - log_n, "d_opt")

    def tokens_per_param(self, flops: Any) -> float | np.ndarray:
        """``D_opt / N_opt = C / (6 N_opt**2)`` at ``flops`` FLOPs (tokens per parameter).

        Computed in log space: ``N_opt**2`` overflows a float near ``C = 1e300`` even where the
        ratio itself is an ordinary number.
        """
        log_c = np.log10(as_positive("flops", flops))
        log_n = np.log10(self.coefficient) + self.exponent * log_c
        return _exp10_checked("flops", log_c - np.log10(6.0) - 2 * log_n, "tokens_per_param")

    def flops_for_n_opt(self, n_params: Any) -> float | np.ndarray:
        """Budget in FLOPs at which ``n_params`` is optimal: ``(N / coefficient)**(1/exponent)``."""
        log_n = np.log10(as_positive("n_params", n_params))
        return _exp10_checked(
            "n_params", (log_n - np.log10(self.coefficient)) / self.exponent, "flops_for_n_opt"
        )

    def flops_for_d_opt(self, n_tokens: Any) -> float | np.ndarray:
        """Budget in FLOPs at which ``n_tokens`` is optimal: ``(6 k D)**(1/(1-exponent))``."""
        log_d = np.log10(as_positive("n_tokens", n_tokens))
        log_c = (np.log10(6.0 * self.coefficient) + log_d) / (1.0 - self.exponent)
        return _exp10_checked("n_tokens", log_c, "flops_for_d_opt")


# ---------------------------------------------------------------------------------------
# Gadre et al. (2024): the loss in compute and over-training multiplier
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OvertrainingLoss:
    """Gadre et al. (2024)'s law ``L(C, M) = E + (a * M**eta + b * M**-eta) * C**-eta`` (nats).

    S. Y. Gadre et al., *Language models scale reliably with over-training and on downstream
    tasks*, arXiv:2403.08540. ``C = 6 N D`` is the training compute (FLOPs) and ``M = D / N``
    the token multiplier (tokens per parameter; 20 is the "Chinchilla-optimal" rule). It is the
    paper's parametric loss with equal exponents, rewritten: with ``N = sqrt(C / (6 M))`` and
    ``D = sqrt(C M / 6)``, ``E + A / N**(2 eta) + B / D**(2 eta)`` becomes the form above with
    ``a = A * 6**eta`` and ``b = B * 6**eta`` (:meth:`as_parametric` goes back). At fixed ``M``
    the reducible loss is a power law in ``C`` with the same exponent ``eta`` for every ``M``,
    which is what lets a fit on small runs extrapolate in both compute and over-training.

    Parameters
    ----------
    E:
        Irreducible loss, nats (finite, >= 0).
    a, b:
        Scales of the two terms (> 0; nats * FLOPs**eta).
    eta:
        The compute exponent (> 0, dimensionless; Gadre et al. fit about 0.05-0.15 on C4 eval).
    """

    E: float
    a: float
    b: float
    eta: float

    def __post_init__(self) -> None:
        e = float(as_finite("E", self.E))
        if e < 0:
            raise ValueError(f"E must be >= 0 (an irreducible loss in nats), got {self.E!r}")
        object.__setattr__(self, "E", e)
        for name in ("a", "b", "eta"):
            value = as_positive(name, getattr(self, name))
            if value.ndim != 0:
                raise ValueError(f"{name} must be a scalar, got {getattr(self, name)!r}")
            object.__setattr__(self, name, float(value))

    @classmethod
    def from_theta(cls, theta: Any) -> OvertrainingLoss:
        """Build from the fit vector ``theta = (log a, log b, log E, eta)`` (natural logs)."""
        t = as_finite("theta", theta)
        if t.shape != (4,):
            raise ValueError(
                f"theta must have shape (4,) = (log a, log b, log E, eta), got {t.shape}"
            )
        log_a, log_b, log_e, eta = t
        return cls(E=np.exp(log_e), a=np.exp(log_a), b=np.exp(log_b), eta=eta)

    @property
    def theta(self) -> np.ndarray:
        """``(log a, log b, log E, eta)``, the fit vector (``log E`` needs E > 0)."""
        if self.E == 0:
            raise ValueError("theta needs E > 0 (it holds log E); this law has E = 0")
        return np.array([np.log(self.a), np.log(self.b), np.log(self.E), self.eta])

    def loss_cm(self, flops: Any, multiplier: Any) -> float | np.ndarray:
        """Predicted loss in nats at ``flops`` FLOPs and ``multiplier`` tokens per parameter."""
        c, m = _broadcast(
            flops=as_positive("flops", flops), multiplier=as_positive("multiplier", multiplier)
        )
        reducible = (self.a * m**self.eta + self.b * m**-self.eta) * c**-self.eta
        return as_scalar_or_array(self.E + reducible)

    def loss(self, n_params: Any, n_tokens: Any) -> float | np.ndarray:
        """Predicted loss in nats for ``n_params`` trained on ``n_tokens`` (``C = 6ND``, ``M = D/N``)."""
        n, d = _broadcast(
            n_params=as_positive("n_params", n_params), n_tokens=as_positive("n_tokens", n_tokens)
        )
        return self.loss_cm(6.0 * n * d, d / n)

    @property
    def optimal_multiplier(self) -> float:
        """The ``M`` that minimises the loss at every fixed compute: ``(b / a)**(1 / (2 eta))``."""
        return (self.b / self.a) ** (0.5 / self.eta)

    def as_parametric(self) -> ParametricLoss:
        """The same law as ``E + A / N**(2 eta) + B / D**(2 eta)`` (``A = a / 6**eta``)."""
        scale = 6.0**-self.eta
        return ParametricLoss(
            E=self.E, A=self.a * scale, B=self.b * scale, alpha=2 * self.eta, beta=2 * self.eta
        )

    def n_opt(self, flops: Any) -> float | np.ndarray:
        """Compute-optimal parameter count at ``flops`` FLOPs: ``sqrt(C / (6 M_opt))``."""
        c = as_positive("flops", flops)
        return as_scalar_or_array(np.sqrt(c / (6.0 * self.optimal_multiplier)))

    def d_opt(self, flops: Any) -> float | np.ndarray:
        """Compute-optimal training tokens at ``flops`` FLOPs: ``sqrt(C M_opt / 6)``."""
        c = as_positive("flops", flops)
        return as_scalar_or_array(np.sqrt(c * self.optimal_multiplier / 6.0))

    def loss_opt(self, flops: Any) -> float | np.ndarray:
        """Loss in nats at the compute-optimal multiplier for ``flops`` FLOPs."""
        return self.loss_cm(flops, self.optimal_multiplier)

    def params(self) -> dict[str, float]:
        """``E, a, b, eta`` and the compute-optimal multiplier ``M_opt`` as plain floats."""
        return {
            "E": self.E,
            "a": self.a,
            "b": self.b,
            "eta": self.eta,
            "M_opt": self.optimal_multiplier,
        }


__all__ += ["OvertrainingLoss"]
