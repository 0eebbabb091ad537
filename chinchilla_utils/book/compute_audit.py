"""The FLOPs budgeting chapter's audit of the paper's compute figures, as tables and numbers.

Introduced in the FLOPs budgeting chapter (``notebooks/01_flops_budgeting``). The science is in
:mod:`chinchilla_utils.compute.flops` and :mod:`chinchilla_utils.compute.cost`; this module
turns it into what the page shows, each function returning a frozen result object (numbers as
fields, tables as tidy frames):

* :func:`appendix_f_terms`: Appendix F's forward-pass terms of one shape and their shares;
* :func:`param_count`: what N counts for one shape, and its exact count against ``6N``;
* :func:`omitted_costs`: the layer norms, nonlinearities and optimiser update that ``6ND``
  and Appendix F leave out, as shares of the counted FLOPs (order-of-magnitude estimates);
* :func:`table_a4_check` and :func:`table_a9_check`: the recounts of Tables A4 and A9
  (:mod:`chinchilla_utils.book.flops_tables`, shared with the intro's status table) and the
  numbers the chapter quotes from them, under both FLOP conventions (``appendix_f``,
  ``table_a4``);
* :func:`gopher_budget`: Gopher and Chinchilla counted three ways against the paper's figures;
* :func:`budget_plan`: a FLOP budget in PF-days, accelerator-days, wall-clock days and dollars;
* :func:`context_ratios`, :func:`embedding_effect`, :func:`sizing_for_budget`: the exercises;
* :func:`plot_term_shares`, :func:`plot_a9_ratios`: the chapter's two figures.

Percentages (fields ending ``_pct``) are in percent; FLOPs are FLOPs; parameters are counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_positive, check_choice
from chinchilla_utils.book.flops_tables import table_a4_recount, table_a9_recount
from chinchilla_utils.compute.cost import (
    ACCELERATORS,
    accelerator_days,
    flops_to_pf_days,
    training_cost_usd,
)
from chinchilla_utils.compute.flops import (
    CHINCHILLA_70B,
    FLOP_CONVENTIONS,
    GOPHER_280B,
    TransformerShape,
    count_params,
    flops_6nd,
    flops_ratio_to_6nd,
    forward_flops_terms,
    param_breakdown,
    training_flops,
    training_flops_per_token,
)
from chinchilla_utils.constants import (
    CHINCHILLA_PARAMS,
    CHINCHILLA_TOKENS,
    GOPHER_FLOPS,
    GOPHER_FLOPS_APPENDIX_F,
    GOPHER_PARAMS,
    GOPHER_TOKENS,
)
from chinchilla_utils.datasets import paper as data

__all__ = [
    "AppendixFTerms",
    "BudgetPlan",
    "GopherBudget",
    "OmittedCosts",
    "ParamCount",
    "TableA4Check",
    "TableA9Check",
    "appendix_f_terms",
    "budget_plan",
    "context_ratios",
    "embedding_effect",
    "gopher_budget",
    "omitted_costs",
    "param_count",
    "plot_a9_ratios",
    "plot_term_shares",
    "sizing_for_budget",
    "table_a4_check",
    "table_a9_check",
]

#: The attention terms that grow with the context (``s^2`` per sequence), not with the weights.
CONTEXT_TERMS = ("attention_logits", "attention_softmax", "attention_reduction")
#: The two terms the ``table_a4`` convention leaves out.
EMBEDDING_TERMS = ("embeddings", "final_logits")


def _pct(fraction: float) -> float:
    return float(100.0 * fraction)


@dataclass(frozen=True)
class AppendixFTerms:
    """Appendix F's forward-pass terms of one shape.

    ``table`` has one row per term (index: term name) with ``forward FLOPs per sequence`` and
    ``share of forward total`` (a fraction), plus a ``total`` row. The ``*_share_pct`` fields
    sum groups of terms, in percent of the forward total.
    """

    table: pd.DataFrame
    dense_share_pct: float
    attention_share_pct: float
    context_share_pct: float
    embed_logits_share_pct: float

    @property
    def shares(self) -> pd.Series:
        """Share of each term (fractions summing to 1), without the total row."""
        return self.table["share of forward total"].drop("total")


def appendix_f_terms(shape: TransformerShape = CHINCHILLA_70B) -> AppendixFTerms:
    """Every Appendix F forward term of ``shape`` (FLOPs per sequence) and its share."""
    terms = pd.Series(forward_flops_terms(shape))
    shares = terms / terms.sum()
    table = pd.DataFrame({"forward FLOPs per sequence": terms, "share of forward total": shares})
    table.loc["total"] = [terms.sum(), 1.0]
    attention = [name for name in terms.index if name.startswith("attention")]
    return AppendixFTerms(
        table=table,
        dense_share_pct=_pct(shares["dense"]),
        attention_share_pct=_pct(shares[attention].sum()),
        context_share_pct=_pct(shares[list(CONTEXT_TERMS)].sum()),
        embed_logits_share_pct=_pct(shares[list(EMBEDDING_TERMS)].sum()),
    )


@dataclass(frozen=True)
class ParamCount:
    """What N counts for one shape, and the exact count per token against ``6N``.

    ``params_counted`` is the count that reproduces Tables A4 and A9 (no input embedding);
    ``params_with_embeddings`` adds the input embedding as Appendix F's text asks;
    ``embedding_share_pct`` is how much that adds, ``relpos_share_pct`` the share of N in
    relative-position weights (which no Appendix F FLOP term charges for) and
    ``params_vs_printed_pct`` the difference from the printed size. ``ratio_appendix_f`` and
    ``ratio_table_a4`` are the exact training FLOPs over ``6ND`` under each convention;
    ``per_token`` tabulates both (index: convention).
    """

    params_counted: int
    params_with_embeddings: int
    embedding_share_pct: float
    relpos_share_pct: float
    params_vs_printed_pct: float
    ratio_appendix_f: float
    ratio_table_a4: float
    per_token: pd.DataFrame


def param_count(
    shape: TransformerShape = CHINCHILLA_70B, printed_params: float = CHINCHILLA_PARAMS
) -> ParamCount:
    """Parameter counts of ``shape`` and its training FLOPs per token under both conventions.

    ``printed_params`` (parameters, > 0) is the size the paper prints for the shape (Table 1's
    70B for Chinchilla by default).
    """
    printed = float(as_positive("printed_params", printed_params))
    counted = count_params(shape)
    with_embeddings = count_params(shape, include_embeddings=True)
    ratios = {c: flops_ratio_to_6nd(shape, c) for c in FLOP_CONVENTIONS}
    per_token = pd.DataFrame(
        {
            "training FLOPs per token": {
                c: training_flops_per_token(shape, c) for c in FLOP_CONVENTIONS
            },
            "ratio to 6N": ratios,
        }
    )
    per_token.index.name = "convention"
    return ParamCount(
        params_counted=counted,
        params_with_embeddings=with_embeddings,
        embedding_share_pct=_pct(with_embeddings / counted - 1.0),
        relpos_share_pct=_pct(param_breakdown(shape)["relative_position"] / counted),
        params_vs_printed_pct=_pct(counted / printed - 1.0),
        ratio_appendix_f=float(ratios["appendix_f"]),
        ratio_table_a4=float(ratios["table_a4"]),
        per_token=per_token,
    )


@dataclass(frozen=True)
class OmittedCosts:
    """Costs that neither ``6ND`` nor Appendix F counts, as shares of the counted FLOPs.

    ``elementwise_share_pct``: layer norms, nonlinearities and residual additions, which touch
    each activation element a few times, O(d_model) FLOPs per token per layer, against the
    O(d_model^2) of the weight-matrix products. ``optimizer_share_pct``: the optimiser update,
    a few FLOPs per parameter once per *step*, spread over the step's ``batch_size_tokens``
    tokens. Both are order-of-magnitude estimates under the stated FLOPs per element and per
    parameter.
    """

    elementwise_share_pct: float
    optimizer_share_pct: float
    flops_per_element: float
    flops_per_param_update: float
    batch_size_tokens: float


def omitted_costs(
    shape: TransformerShape,
    batch_size_tokens: float,
    flops_per_element: float = 20.0,
    flops_per_param_update: float = 12.0,
) -> OmittedCosts:
    """Estimate the costs that the FLOP counts leave out, against the ``table_a4`` count.

    Parameters
    ----------
    shape : TransformerShape
    batch_size_tokens : float
        Tokens per optimiser step (> 0); Chinchilla's batch was 1.5M tokens, then 3M (Table 4).
    flops_per_element : float
        FLOPs per activation element of each elementwise operation (> 0). The default, 20, is
        generous: a layer norm is about 5-8 per element and a GELU about 10-20.
    flops_per_param_update : float
        FLOPs per parameter of one optimiser update (> 0); Adam with weight decay is about 12.

    Returns
    -------
    OmittedCosts
        Per token of training, with the backward pass taken as twice the forward for the
        elementwise work (as Appendix F does for everything else).
    """
    batch = float(as_positive("batch_size_tokens", batch_size_tokens))
    per_element = float(as_positive("flops_per_element", flops_per_element))
    per_param = float(as_positive("flops_per_param_update", flops_per_param_update))
    counted_per_token = training_flops_per_token(shape, "table_a4")
    # Per layer and token: two layer norms and two residual additions over d_model elements,
    # one nonlinearity over ffw_size elements.
    elements = shape.n_layers * (4 * shape.d_model + shape.ffw_size)
    elementwise_per_token = 3 * per_element * elements
    optimizer_per_token = per_param * count_params(shape) / batch
    return OmittedCosts(
        elementwise_share_pct=_pct(elementwise_per_token / counted_per_token),
        optimizer_share_pct=_pct(optimizer_per_token / counted_per_token),
        flops_per_element=per_element,
        flops_per_param_update=per_param,
        batch_size_tokens=batch,
    )


@dataclass(frozen=True)
class TableA4Check:
    """Table A4 recounted (:func:`~chinchilla_utils.book.flops_tables.table_a4_recount`), summarised.

    ``table`` is the recount (printed size and ratio, the parameters counted, the ratio under
    both conventions and each one's error). ``max_abs_error`` is the largest
    ``|book - printed|`` under ``table_a4`` (the convention that reproduces the table),
    ``max_abs_error_appendix_f`` the same under ``appendix_f`` (Appendix F's text).
    ``smallest_vocab_x_d`` is ``V d`` (vocabulary times width) of the smallest row and
    ``smallest_dropped_vs_6n`` what the two left-out terms add to its ratio.
    """

    table: pd.DataFrame
    max_abs_error: float
    max_abs_error_appendix_f: float
    smallest_vocab_x_d: float
    smallest_dropped_vs_6n: float


def table_a4_check() -> TableA4Check:
    """Table A4's six ratios recomputed (sequence length 2048, vocabulary 32,000)."""
    table = table_a4_recount()
    smallest = TransformerShape.from_table_row(data.table_a4().iloc[0])
    dropped = forward_flops_terms(smallest)
    # Training counts the two terms three times (forward + backward); per token, over 6N.
    dropped_per_token = 3 * sum(dropped[t] for t in EMBEDDING_TERMS) / smallest.seq_len
    return TableA4Check(
        table=table,
        max_abs_error=float(table["error_table_a4"].abs().max()),
        max_abs_error_appendix_f=float(table["error_appendix_f"].abs().max()),
        smallest_vocab_x_d=float(smallest.vocab_size * smallest.d_model),
        smallest_dropped_vs_6n=float(dropped_per_token / (6 * count_params(smallest))),
    )


@dataclass(frozen=True)
class TableA9Check:
    """The 50 Table A9 shapes (:func:`~chinchilla_utils.book.flops_tables.table_a9_recount`).

    ``table`` is the recount: parameter counts with the attention projections ``d_model`` wide
    (the usual formula) and ``n_heads x kv_size`` wide, their relative errors (fractions), and
    the ratio to ``6ND`` under both conventions (with the ``n_heads x kv_size`` count, as the
    FLOP terms use). The ``*_pct`` fields are in percent. ``smallest_6nd_share_pct`` is the
    share of the ``appendix_f`` FLOPs that ``6ND`` captures for the smallest shape
    (``100 / ratio``) and ``smallest_undercount_pct`` its complement; ``largest_*`` describe
    the largest shape.
    """

    table: pd.DataFrame
    n_rows: int
    n_mismatched_rows: int
    max_error_matched_pct: float
    min_error_mismatched_pct: float
    max_error_mismatched_pct: float
    max_error_heads_x_kv_pct: float
    ratio_table_a4_min: float
    ratio_table_a4_max: float
    ratio_appendix_f_min: float
    ratio_appendix_f_max: float
    smallest_params: float
    smallest_ratio_appendix_f: float
    smallest_6nd_share_pct: float
    smallest_undercount_pct: float
    largest_params: float
    largest_ratio_appendix_f: float

    @property
    def mismatched(self) -> pd.DataFrame:
        """The rows with ``n_heads x kv_size != d_model``."""
        return self.table[~self.table["consistent"]]


def table_a9_check() -> TableA9Check:
    """Table A9's parameter counts and ``6ND`` ratios (sequence length 2048, vocabulary 32,000)."""
    table = table_a9_recount()
    consistent = table["consistent"].to_numpy(bool)
    error_d = 100 * table["error_d_model_wide"].abs()
    size = table["params_printed"].to_numpy(float)
    smallest, largest = int(np.argmin(size)), int(np.argmax(size))
    smallest_ratio = float(table["ratio_appendix_f"].iloc[smallest])
    return TableA9Check(
        table=table,
        n_rows=len(table),
        n_mismatched_rows=int((~consistent).sum()),
        max_error_matched_pct=float(error_d[consistent].max()),
        min_error_mismatched_pct=float(error_d[~consistent].min()),
        max_error_mismatched_pct=float(error_d[~consistent].max()),
        max_error_heads_x_kv_pct=float(100 * table["error_heads_x_kv"].abs().max()),
        ratio_table_a4_min=float(table["ratio_table_a4"].min()),
        ratio_table_a4_max=float(table["ratio_table_a4"].max()),
        ratio_appendix_f_min=float(table["ratio_appendix_f"].min()),
        ratio_appendix_f_max=float(table["ratio_appendix_f"].max()),
        smallest_params=float(size[smallest]),
        smallest_ratio_appendix_f=smallest_ratio,
        smallest_6nd_share_pct=_pct(1.0 / smallest_ratio),
        smallest_undercount_pct=_pct(1.0 - 1.0 / smallest_ratio),
        largest_params=float(size[largest]),
        largest_ratio_appendix_f=float(table["ratio_appendix_f"].iloc[largest]),
    )


@dataclass(frozen=True)
class GopherBudget:
    """Gopher and Chinchilla counted three ways, against the figures the paper prints.

    FLOPs fields: ``gopher_flops_6nd`` and ``chinchilla_flops_6nd`` (Table 1 sizes),
    ``gopher_appendix_f`` and ``chinchilla_appendix_f`` (the book's Appendix F count of each
    Table 4 shape, all terms), ``paper_gopher_budget`` (5.76e23, the "Gopher unit") and
    ``paper_gopher_appendix_f`` (6.3e23, the figure Appendix F quotes), ``gopher_four_forward`` (the
    book's Gopher count with four forward passes per step instead of three: a conjecture, not
    the paper's). ``gopher_params_counted`` is the Table 4 shape's parameter count. The
    ``*_pct`` fields compare them, in percent; ``table`` shows everything per model.
    """

    table: pd.DataFrame
    gopher_flops_6nd: float
    chinchilla_flops_6nd: float
    paper_gopher_budget: float
    paper_gopher_appendix_f: float
    gopher_params_counted: int
    gopher_appendix_f: float
    chinchilla_appendix_f: float
    gopher_four_forward: float
    gopher_budget_vs_6nd_pct: float
    paper_appendix_f_vs_budget_pct: float
    gopher_appendix_f_below_paper_pct: float
    gopher_appendix_f_below_6nd_pct: float
    chinchilla_6nd_vs_budget_pct: float
    chinchilla_appendix_f_below_budget_pct: float
    chinchilla_6nd_vs_gopher_6nd_pct: float
    chinchilla_tokens_per_param: float


def gopher_budget() -> GopherBudget:
    """Gopher's and Chinchilla's training compute by ``6ND``, by Appendix F and as printed."""
    gopher_6nd = float(flops_6nd(GOPHER_PARAMS, GOPHER_TOKENS))
    chinchilla_6nd = float(flops_6nd(CHINCHILLA_PARAMS, CHINCHILLA_TOKENS))
    tokens = {"Gopher": GOPHER_TOKENS, "Chinchilla": CHINCHILLA_TOKENS}
    shapes = {"Gopher": GOPHER_280B, "Chinchilla": CHINCHILLA_70B}
    table = pd.DataFrame(
        {
            "N counted (Table 4 shape)": {m: count_params(s) for m, s in shapes.items()},
            "N (Table 1)": {"Gopher": GOPHER_PARAMS, "Chinchilla": CHINCHILLA_PARAMS},
            "tokens D (Table 1)": tokens,
            "6ND (Table 1)": {"Gopher": gopher_6nd, "Chinchilla": chinchilla_6nd},
            **{
                f"Appendix F count, {c}": {
                    m: float(training_flops(s, tokens[m], c)) for m, s in shapes.items()
                }
                for c in FLOP_CONVENTIONS
            },
            "paper's budget": {"Gopher": GOPHER_FLOPS, "Chinchilla": GOPHER_FLOPS},
            "paper's Appendix F figure": {"Gopher": GOPHER_FLOPS_APPENDIX_F},
        }
    )
    gopher_f = float(table.loc["Gopher", "Appendix F count, appendix_f"])
    chinchilla_f = float(table.loc["Chinchilla", "Appendix F count, appendix_f"])
    return GopherBudget(
        table=table,
        gopher_flops_6nd=gopher_6nd,
        chinchilla_flops_6nd=chinchilla_6nd,
        paper_gopher_budget=GOPHER_FLOPS,
        paper_gopher_appendix_f=GOPHER_FLOPS_APPENDIX_F,
        gopher_params_counted=count_params(GOPHER_280B),
        gopher_appendix_f=gopher_f,
        chinchilla_appendix_f=chinchilla_f,
        gopher_four_forward=4 / 3 * gopher_f,
        gopher_budget_vs_6nd_pct=_pct(GOPHER_FLOPS / gopher_6nd - 1),
        paper_appendix_f_vs_budget_pct=_pct(GOPHER_FLOPS_APPENDIX_F / GOPHER_FLOPS - 1),
        gopher_appendix_f_below_paper_pct=_pct(1 - gopher_f / GOPHER_FLOPS_APPENDIX_F),
        gopher_appendix_f_below_6nd_pct=_pct(1 - gopher_f / gopher_6nd),
        chinchilla_6nd_vs_budget_pct=_pct(chinchilla_6nd / GOPHER_FLOPS - 1),
        chinchilla_appendix_f_below_budget_pct=_pct(1 - chinchilla_f / GOPHER_FLOPS),
        chinchilla_6nd_vs_gopher_6nd_pct=_pct(chinchilla_6nd / gopher_6nd - 1),
        chinchilla_tokens_per_param=CHINCHILLA_TOKENS / CHINCHILLA_PARAMS,
    )


@dataclass(frozen=True)
class BudgetPlan:
    """A FLOP budget in the units people plan with, for one accelerator.

    ``flops`` (FLOPs), ``pf_days``, ``accelerator_days`` and ``wallclock_days`` (on
    ``n_accelerators`` chips), ``cost_usd`` (US dollars), ``mfu_pct`` and ``usd_per_hour`` as
    given; ``table`` has the same for every accelerator of
    :data:`~chinchilla_utils.compute.cost.ACCELERATORS` (index: accelerator key).
    """

    flops: float
    pf_days: float
    accelerator_days: float
    wallclock_days: float
    cost_usd: float
    n_accelerators: int
    mfu_pct: float
    usd_per_hour: float
    table: pd.DataFrame


def budget_plan(
    flops: float, accelerator: str, mfu: float, usd_per_hour: float, n_accelerators: int
) -> BudgetPlan:
    """Turn ``flops`` into PF-days, accelerator-days, wall-clock days and dollars.

    ``accelerator`` is a name of ``ACCELERATORS`` (in any case) or an
    :class:`~chinchilla_utils.compute.cost.Accelerator`; ``mfu`` the model FLOPs utilisation in
    (0, 1]; ``usd_per_hour`` the price of one chip-hour (> 0); ``n_accelerators`` the chips
    training in parallel (a positive integer).
    """
    if isinstance(n_accelerators, bool) or not isinstance(n_accelerators, int | np.integer):
        raise TypeError(f"n_accelerators must be an int, got {n_accelerators!r}")
    if n_accelerators < 1:
        raise ValueError(f"n_accelerators must be >= 1, got {n_accelerators}")
    rows = {}
    for key, chip in ACCELERATORS.items():
        days = float(accelerator_days(flops, key, mfu))
        rows[key] = {
            "peak TFLOP/s (dense bf16)": chip.peak_flops_per_s / 1e12,
            "accelerator-days": days,
            f"wall-clock days on {n_accelerators} chips": days / n_accelerators,
            f"cost at ${usd_per_hour:g}/hour (USD)": float(
                training_cost_usd(flops, key, mfu, usd_per_hour)
            ),
        }
    table = pd.DataFrame(rows).T
    table.index.name = "accelerator"
    days = float(accelerator_days(flops, accelerator, mfu))
    return BudgetPlan(
        flops=float(flops),
        pf_days=float(flops_to_pf_days(flops)),
        accelerator_days=days,
        wallclock_days=days / n_accelerators,
        cost_usd=float(training_cost_usd(flops, accelerator, mfu, usd_per_hour)),
        n_accelerators=int(n_accelerators),
        mfu_pct=_pct(mfu),
        usd_per_hour=float(usd_per_hour),
        table=table,
    )


def context_ratios(
    shapes: Mapping[str, TransformerShape], seq_lens: Sequence[int], convention: str = "table_a4"
) -> pd.DataFrame:
    """Exact training FLOPs over ``6ND`` for each shape at each sequence length.

    Returns a frame with one row per sequence length (index ``seq_len``) and one column per
    shape name.
    """
    check_choice("convention", convention, FLOP_CONVENTIONS)
    frame = pd.DataFrame(
        {
            name: {
                int(s): flops_ratio_to_6nd(dataclasses.replace(shape, seq_len=int(s)), convention)
                for s in seq_lens
            }
            for name, shape in shapes.items()
        }
    )
    frame.index.name = "seq_len"
    return frame


def embedding_effect(shapes: Mapping[str, TransformerShape]) -> pd.DataFrame:
    """N without and with the input embedding for each shape, and the change in ``6ND`` (%)."""
    rows = {}
    for name, shape in shapes.items():
        without, with_embeddings = count_params(shape), count_params(shape, include_embeddings=True)
        rows[name] = {
            "N without input embedding": without,
            "N with input embedding": with_embeddings,
            "change in 6ND (%)": 100 * (with_embeddings / without - 1),
        }
    return pd.DataFrame(rows).T


def sizing_for_budget(flops: float, laws: Mapping[str, Any]) -> pd.DataFrame:
    """Compute-optimal size, tokens and tokens per parameter at ``flops`` under each law.

    ``laws`` maps a name to anything with ``n_opt``, ``d_opt`` and ``tokens_per_param``
    (a :class:`~chinchilla_utils.laws.ParametricLoss` or a
    :class:`~chinchilla_utils.laws.PowerLawFrontier`). One column per law.
    """
    budget = float(as_positive("flops", flops))
    return pd.DataFrame(
        {
            name: {
                "params N": float(law.n_opt(budget)),
                "tokens D": float(law.d_opt(budget)),
                "tokens per param": float(law.tokens_per_param(budget)),
            }
            for name, law in laws.items()
        }
    )


def plot_term_shares(ax: Any, terms: AppendixFTerms) -> Any:
    """Horizontal bars: each Appendix F term's share of the forward pass (%). Returns ``ax``."""
    shares = terms.shares
    ax.barh(shares.index[::-1], 100 * shares.to_numpy()[::-1], color="C0")
    ax.set_xlabel("share of the forward-pass FLOPs (%)")
    return ax


def plot_a9_ratios(ax: Any, a9: TableA9Check, a4: TableA4Check) -> Any:
    """Exact FLOPs over ``6ND`` against size for the Table A9 shapes, with Table A4's stars."""
    for convention, marker in (("appendix_f", "o"), ("table_a4", "s")):
        ax.plot(
            a9.table["params_printed"],
            a9.table[f"ratio_{convention}"],
            marker,
            label=f"book, {convention} convention",
            alpha=0.8,
        )
    ax.plot(
        a4.table["params_printed"],
        a4.table["ratio_printed"],
        "k*",
        markersize=10,
        label="Table A4, printed",
    )
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("parameters N (Table A9, printed)")
    ax.set_ylabel("Appendix F FLOPs / 6ND")
    ax.legend()
    return ax
