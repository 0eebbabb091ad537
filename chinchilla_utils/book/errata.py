"""The arithmetic of the errata page: where the paper disagrees with itself or with the data.

Introduced on the errata page (``book/errata.ipynb``). Each function computes one erratum from
the shipped tables (through :mod:`chinchilla_utils.datasets.paper`) and returns a frozen result
whose fields the page glues; errata that need only one number read it from the results of
:mod:`chinchilla_utils.book.compute_audit` or :mod:`chinchilla_utils.book.evaluations` instead.
Units: FLOPs, parameters, tokens; ``*_pct`` in percent; ``*_b`` in billions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chinchilla_utils._validation import check_frame
from chinchilla_utils.book.projections import projection_table, section34_comparison
from chinchilla_utils.compute.flops import flops_6nd
from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets import paper as data
from chinchilla_utils.laws import ParametricLoss

__all__ = [
    "Approach3Consistency",
    "EpochTokenRange",
    "IsoflopBudgets",
    "KaplanRestatement",
    "LanguageModellingCount",
    "RoundedTokens",
    "Section34Claims",
    "StudyRanges",
    "TableA3Typo",
    "approach3_consistency",
    "epoch_token_range",
    "isoflop_budgets",
    "kaplan_restatement",
    "language_modelling_count",
    "rounded_tokens",
    "section34_claims",
    "study_ranges",
    "table_a3_typo",
]


@dataclass(frozen=True)
class TableA3Typo:
    """Table A3's Approach 3 row for 175B parameters.

    ``printed_flops`` is the printed value, ``implied_flops`` 6ND of the row's parameters and
    tokens, ``ratio`` their quotient; ``previous_flops`` and ``next_flops`` are the printed
    FLOPs of the neighbouring rows (the column otherwise increases).
    """

    params: float
    tokens: float
    printed_flops: float
    implied_flops: float
    ratio: float
    previous_flops: float
    next_flops: float


def table_a3_typo() -> TableA3Typo:
    """The row of Table A3 that the data file flags as a typo, against 6ND and its neighbours."""
    flagged = data.table_a3().query("typo")
    if len(flagged) != 1:
        raise ValueError(f"Table A3 must flag exactly one typo row, found {len(flagged)}")
    column = data.projection_rows(str(flagged["approach"].iloc[0]))
    where = int(np.flatnonzero(column["typo"].to_numpy(bool))[0])
    row = column.loc[where]
    implied = float(flops_6nd(row["params"], row["tokens"]))
    return TableA3Typo(
        params=float(row["params"]),
        tokens=float(row["tokens"]),
        printed_flops=float(row["flops"]),
        implied_flops=implied,
        ratio=implied / float(row["flops"]),
        previous_flops=float(column.loc[where - 1, "flops"]),
        next_flops=float(column.loc[where + 1, "flops"]),
    )


@dataclass(frozen=True)
class Section34Claims:
    """Section 3.4's projections beside Table 3's rows for the same sizes.

    ``table`` has one row per size (index ``params``): ``flops_text``, ``flops_table``,
    ``tokens_text``, ``tokens_table``. For the 1T
    model the text gives about 1e26 FLOPs, "over 250" Gopher budgets (``text_gopher_units_1t``);
    Table 3 prints ``table_gopher_units_1t``; ``text_flops_in_gopher_units_1t`` is the text's
    own 1e26 divided by the Gopher budget.
    """

    table: pd.DataFrame
    text_gopher_units_1t: float
    table_gopher_units_1t: float
    text_flops_in_gopher_units_1t: float


def section34_claims() -> Section34Claims:
    """The Section 3.4 text's FLOPs and tokens against Table 3 (via ``section34_comparison``)."""
    compared = section34_comparison(
        data.load_table("section34_text_claims"), data.table3_approach1()
    ).set_index("params")
    columns = ["flops_text", "flops_table", "tokens_text", "tokens_table"]
    one_t = compared.loc[1.0e12]
    return Section34Claims(
        table=compared[columns],
        text_gopher_units_1t=float(one_t["gopher_units_text"]),
        table_gopher_units_1t=float(one_t["gopher_units_table"]),
        text_flops_in_gopher_units_1t=float(one_t["gopher_units_of_text_flops"]),
    )


@dataclass(frozen=True)
class Approach3Consistency:
    """The Eq. 10 constants against the paper's other Approach 3 results.

    ``a_rounded`` and ``a_unrounded`` are beta / (alpha + beta) of each constant set, against
    Table 2's interval (``a_p10``, ``a_p90``). ``n_opt_*_b`` are the loss-optimal sizes at the
    Gopher budget (billions), against the Figure 4 caption's ``n_opt_paper_b``.
    ``a3_ratio_*_min`` and ``_max`` bound the FLOPs that each set's Eq. 4 frontier needs for
    Table A3's Approach 3 sizes, over the printed FLOPs (the 175B typo row left out).
    """

    a_rounded: float
    a_unrounded: float
    a_p10: float
    a_p90: float
    n_opt_rounded_b: float
    n_opt_unrounded_b: float
    n_opt_paper_b: float
    a3_ratio_rounded_min: float
    a3_ratio_rounded_max: float
    a3_ratio_unrounded_min: float
    a3_ratio_unrounded_max: float


def approach3_consistency() -> Approach3Consistency:
    """Eq. 10's constants (rounded and unrounded) against Table 2, Figure 4 and Table A3."""
    interval = data.table2_exponents().set_index("approach").loc["approach_3"]
    laws = {
        "rounded": ParametricLoss.paper_rounded(),
        "unrounded": ParametricLoss.paper_unrounded(),
    }
    regenerated = projection_table(laws, "approach_3")
    usable = regenerated[~regenerated["typo"].astype(bool)]
    ratio = (1.0 + usable["flops_rel_diff"]).groupby(usable["law"])
    low, high = ratio.min(), ratio.max()
    return Approach3Consistency(
        a_rounded=laws["rounded"].a,
        a_unrounded=laws["unrounded"].a,
        a_p10=float(interval["a_p10"]),
        a_p90=float(interval["a_p90"]),
        n_opt_rounded_b=float(laws["rounded"].n_opt(GOPHER_FLOPS)) / 1e9,
        n_opt_unrounded_b=float(laws["unrounded"].n_opt(GOPHER_FLOPS)) / 1e9,
        n_opt_paper_b=data.experiment_value("approach3_n_opt_at_gopher_budget") / 1e9,
        a3_ratio_rounded_min=float(low["rounded"]),
        a3_ratio_rounded_max=float(high["rounded"]),
        a3_ratio_unrounded_min=float(low["unrounded"]),
        a3_ratio_unrounded_max=float(high["unrounded"]),
    )


@dataclass(frozen=True)
class RoundedTokens:
    """How far 6ND of the printed (rounded) tokens is from the printed FLOPs, Tables 3 and A3.

    ``table`` has one row per printed row (``table``, ``approach``, ``params``, ``tokens``,
    ``flops``, ``6ND / printed - 1 (%)``), the Table A3 typo row left out;
    ``max_deviation_pct`` is the largest absolute deviation and ``n_over_3pct`` the rows beyond
    3 %.
    """

    table: pd.DataFrame
    max_deviation_pct: float
    n_over_3pct: int


def rounded_tokens() -> RoundedTokens:
    """6ND of every Table 3 and Table A3 row against its printed FLOPs (the typo row left out)."""
    rows = pd.concat(
        [data.projection_rows(a) for a in data.PROJECTION_APPROACHES], ignore_index=True
    )
    rows = rows[~rows["typo"].astype(bool)].reset_index(drop=True)
    rows.insert(0, "table", np.where(rows["approach"] == "approach_1", "Table 3", "Table A3"))
    rows = rows[["table", "approach", "params", "tokens", "flops"]]
    implied = flops_6nd(rows["params"].to_numpy(float), rows["tokens"].to_numpy(float))
    rows["6ND / printed - 1 (%)"] = 100 * (implied / rows["flops"].to_numpy(float) - 1)
    deviation = rows["6ND / printed - 1 (%)"].abs()
    return RoundedTokens(
        table=rows,
        max_deviation_pct=float(deviation.max()),
        n_over_3pct=int((deviation > 3).sum()),
    )


@dataclass(frozen=True)
class StudyRanges:
    """The ranges of the study as the abstract states them, against the paper's own tables.

    ``tokens_min`` and ``tokens_max`` (the abstract's 5B and 500B), ``params_min`` (the
    abstract's 70M) against ``smallest_a9_params`` (Table A9's smallest configuration), and
    ``approach1_params_max`` (Figure 2 caption's 10B, which Section 3.1 calls "over 10B").
    """

    tokens_min: float
    tokens_max: float
    params_min: float
    smallest_a9_params: float
    approach1_params_max: float


def study_ranges() -> StudyRanges:
    """The abstract's token and size ranges, and Table A9's smallest model."""
    return StudyRanges(
        tokens_min=data.experiment_value("tokens_min"),
        tokens_max=data.experiment_value("tokens_max"),
        params_min=data.experiment_value("params_min"),
        smallest_a9_params=float(data.table_a9()["params_millions"].min() * 1e6),
        approach1_params_max=data.experiment_value("approach1_params_max"),
    )


@dataclass(frozen=True)
class LanguageModellingCount:
    """Table 5's count of language-modelling tasks against the tasks the paper reports.

    ``table5_count`` (Table 5), ``n_pile_subsets`` (rows of Table A5) and
    ``n_with_wikitext`` (those plus WikiText-103, the only other language-modelling result).
    """

    table5_count: int
    n_pile_subsets: int
    n_with_wikitext: int


def language_modelling_count() -> LanguageModellingCount:
    """Table 5's 20 language-modelling tasks against Table A5 and Section 4.2.1."""
    suite = data.load_table("table5_eval_suite").set_index("category")
    n_pile = len(data.load_table("tablea5_pile_bpb"))
    n_wikitext = len(data.load_table("wikitext103").query("model == 'Chinchilla'"))
    return LanguageModellingCount(
        table5_count=int(suite.loc["Language Modelling", "n_tasks"]),
        n_pile_subsets=n_pile,
        n_with_wikitext=n_pile + n_wikitext,
    )


@dataclass(frozen=True)
class IsoflopBudgets:
    """The nine IsoFLOP budgets read from the Figure 4 legend, against Section 3.2's text.

    ``n_budgets``, ``min_flops`` and ``max_flops`` from the legend; ``text_*`` from the text.
    """

    n_budgets: int
    min_flops: float
    max_flops: float
    text_n_budgets: int
    text_min_flops: float
    text_max_flops: float


def isoflop_budgets() -> IsoflopBudgets:
    """The legend's budgets and the text's count and range."""
    budgets = data.isoflop_budgets()
    return IsoflopBudgets(
        n_budgets=int(budgets.size),
        min_flops=float(budgets.min()),
        max_flops=float(budgets.max()),
        text_n_budgets=int(data.experiment_value("approach2_n_budgets")),
        text_min_flops=data.experiment_value("approach2_budget_min_flops"),
        text_max_flops=data.experiment_value("approach2_budget_max_flops"),
    )


@dataclass(frozen=True)
class EpochTokenRange:
    """Epoch AI's points against the abstract's "5 to 500 billion tokens".

    Tokens are ``D = C / (6N)`` of each point (the figure gives no token counts).
    ``n_below_min`` points lie below the abstract's ``abstract_min`` and ``n_above_max`` above
    its ``abstract_max``; ``min_tokens`` and ``max_tokens`` bound the points.
    """

    n_points: int
    n_below_min: int
    n_above_max: int
    min_tokens: float
    max_tokens: float
    abstract_min: float
    abstract_max: float

    @property
    def share_below_min_pct(self) -> float:
        """Share of the points below the abstract's minimum (%)."""
        return 100.0 * self.n_below_min / self.n_points


def epoch_token_range(points: pd.DataFrame) -> EpochTokenRange:
    """Count Epoch AI's points outside the abstract's token range.

    ``points`` is :func:`chinchilla_utils.datasets.epoch_ai.load_epoch_points`'s frame (or any
    frame with ``n_params`` and ``flops``); tokens are recomputed as ``C / (6N)``.
    """
    check_frame("points", points, ["n_params", "flops"])
    tokens = points["flops"].to_numpy(float) / (6.0 * points["n_params"].to_numpy(float))
    ranges = study_ranges()
    return EpochTokenRange(
        n_points=len(points),
        n_below_min=int((tokens < ranges.tokens_min).sum()),
        n_above_max=int((tokens > ranges.tokens_max).sum()),
        min_tokens=float(tokens.min()),
        max_tokens=float(tokens.max()),
        abstract_min=ranges.tokens_min,
        abstract_max=ranges.tokens_max,
    )


@dataclass(frozen=True)
class KaplanRestatement:
    """Hoffmann et al.'s restatement of Kaplan et al. (2020) against Kaplan's own exponents.

    With N_opt proportional to C^p_N and D_opt to C^p_D, ten times the compute multiplies the
    size by ``implied_param_growth`` = 10^p_N and the tokens by ``implied_token_growth``; the
    paper prints ``printed_param_growth`` and ``printed_token_growth``. ``b_star`` is Kaplan's
    critical-batch scale from their Table 5 (tokens).
    """

    p_n: float
    p_d: float
    implied_param_growth: float
    printed_param_growth: float
    implied_token_growth: float
    printed_token_growth: float
    b_star: float


def kaplan_restatement() -> KaplanRestatement:
    """Kaplan's 0.73/0.27 exponents against "10x compute: 5.5x parameters, 1.8x tokens"."""
    p_n, p_d = data.kaplan_constant("p_n"), data.kaplan_constant("p_d")
    return KaplanRestatement(
        p_n=p_n,
        p_d=p_d,
        implied_param_growth=10.0**p_n,
        printed_param_growth=data.kaplan_constant("restated_param_growth_per_10x_compute"),
        implied_token_growth=10.0**p_d,
        printed_token_growth=data.kaplan_constant("restated_token_growth_per_10x_compute"),
        b_star=data.kaplan_constant("b_star"),
    )
