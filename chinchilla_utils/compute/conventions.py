"""Counting conventions: what N and C count, named, and applied to any table of runs.

Introduced in the counting-conventions chapter. Scaling studies disagree on what the model size
``N`` and the compute ``C`` count, and the fitted exponents move with the choice:

* ``N``: every parameter (``"all"``, as Appendix F's text asks and the book's laptop sweep counts);
  the non-embedding parameters, without the token and position tables and without the output head
  (``"non_embedding"``, Kaplan et al. 2020); the non-embedding parameters plus the output head
  (``"non_embedding_with_head"``: for the paper's untied models the count that reproduces the
  printed Table A9 sizes; for the sweep's tied models every parameter but the position table);
  or DeepSeek's model scale ``M`` divided by 6 (``"deepseek_m"``, so that ``6 N D = M D``).
* ``C``: ``6 N D`` with that ``N`` (``"6nd"``); Appendix F counted exactly for the run's shape
  (``"appendix_f"``: attention, embeddings and logits included, training = 3 x forward); or
  ``M D`` (``"deepseek_m"``), where ``M`` is DeepSeek's non-embedding FLOPs per token including
  attention, ``M = 72 n_layer d_model^2 + 12 n_layer d_model l_seq`` (Bi et al. 2024, *DeepSeek
  LLM*, Section 3), here 3 x the per-layer matrix products of Appendix F's forward pass, which is
  that formula when ``ffw_size = 4 d_model`` and ``n_heads * kv_size = d_model``.

:data:`CONVENTIONS` names five pairs; :func:`apply_convention` rewrites a runs or curves frame's
``n_params`` and ``flops`` (and its IsoFLOP budget column) under one of them. The counts come
from the shapes, never from a second parameter counter: :func:`shape_counts` reads
``chinchilla_utils.sweep.model_shapes`` for the sweep's byte models and
:mod:`chinchilla_utils.compute.flops` for the paper's shapes. :func:`sweep_counts` adds them to
the sweep's runs; :func:`match_table_a9` gives Epoch AI's points (which carry only ``N``) the
Table A9 shape they were trained with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import as_positive, check_choice, check_frame
from ..sweep import model_shapes as sweep_shapes
from . import flops as paper_flops

__all__ = [
    "CONVENTIONS",
    "COUNT_COLUMNS",
    "DEEPSEEK_TERMS",
    "FLOPS_COUNTS",
    "N_COUNTS",
    "CountingConvention",
    "apply_convention",
    "get_convention",
    "match_table_a9",
    "shape_counts",
    "sweep_counts",
]

#: What ``N`` can count (see the module docstring).
N_COUNTS: tuple[str, ...] = ("all", "non_embedding", "non_embedding_with_head", "deepseek_m")
#: How ``C`` can be counted.
FLOPS_COUNTS: tuple[str, ...] = ("6nd", "appendix_f", "deepseek_m")

#: Columns :func:`shape_counts` fills: three parameter counts (parameters) and two per-token
#: training costs (FLOPs per token).
COUNT_COLUMNS: tuple[str, ...] = (
    "n_params_all",
    "n_params_non_embedding",
    "n_params_non_embedding_with_head",
    "flops_per_token_appendix_f",
    "flops_per_token_deepseek_m",
)
_N_COLUMN = {
    "all": "n_params_all",
    "non_embedding": "n_params_non_embedding",
    "non_embedding_with_head": "n_params_non_embedding_with_head",
    "deepseek_m": "flops_per_token_deepseek_m",
}
_PER_TOKEN_COLUMN = {
    "appendix_f": "flops_per_token_appendix_f",
    "deepseek_m": "flops_per_token_deepseek_m",
}

#: Appendix F forward terms that DeepSeek's M counts: the layers' matrix products, attention's
#: two sequence-length products included; not the embedding, the logits or the softmax.
DEEPSEEK_TERMS: tuple[str, ...] = (
    "attention_qkv",
    "attention_logits",
    "attention_reduction",
    "attention_project",
    "dense",
)


@dataclass(frozen=True)
class CountingConvention:
    """A named way of counting model size and training compute.

    Attributes
    ----------
    name : short name (a key of :data:`CONVENTIONS` for the named ones).
    n_params : what ``N`` counts, one of :data:`N_COUNTS`.
    flops : how ``C`` is counted, one of :data:`FLOPS_COUNTS`; ``"6nd"`` uses this ``N``.
    description : one line on who counts this way.
    """

    name: str
    n_params: str
    flops: str
    description: str = ""

    def __post_init__(self) -> None:
        check_choice("n_params", self.n_params, N_COUNTS)
        check_choice("flops", self.flops, FLOPS_COUNTS)
        if (self.n_params == "deepseek_m") != (self.flops == "deepseek_m"):
            raise ValueError(
                f"convention {self.name!r}: n_params 'deepseek_m' (M / 6) and flops 'deepseek_m' "
                f"(M D) go together, got n_params={self.n_params!r}, flops={self.flops!r}"
            )

    @property
    def n_column(self) -> str:
        """The :data:`COUNT_COLUMNS` entry that holds this convention's ``N``."""
        return _N_COLUMN[self.n_params]

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns a frame needs for :func:`apply_convention` under this convention."""
        extra = (_PER_TOKEN_COLUMN[self.flops],) if self.flops in _PER_TOKEN_COLUMN else ()
        return tuple(dict.fromkeys(("n_params", "n_tokens", self.n_column, *extra)))

    @property
    def closed_form_frontier(self) -> bool:
        """Whether ``C`` is proportional to ``N D``, so a fitted ``L(N, D)`` has the paper's
        closed-form frontier (Eq. 4) in these counts; not so for ``"appendix_f"``."""
        return self.flops != "appendix_f"


#: The five named conventions, by name: ``paper``, ``kaplan``, ``non_embedding_with_head``,
#: ``appendix_f`` and ``deepseek``.
CONVENTIONS: dict[str, CountingConvention] = {
    c.name: c
    for c in (
        CountingConvention(
            "paper", "all", "6nd", "every parameter, embeddings included (Appendix F); C = 6ND"
        ),
        CountingConvention(
            "kaplan",
            "non_embedding",
            "6nd",
            "Kaplan et al. (2020): no embedding tables, no output head; C = 6ND with that N",
        ),
        CountingConvention(
            "non_embedding_with_head",
            "non_embedding_with_head",
            "6nd",
            "non-embedding plus the output head (the paper's printed Table A9 sizes); C = 6ND",
        ),
        CountingConvention(
            "appendix_f",
            "all",
            "appendix_f",
            "every parameter; C counted term by term for the shape (Appendix F)",
        ),
        CountingConvention(
            "deepseek",
            "deepseek_m",
            "deepseek_m",
            "DeepSeek LLM (2024): scale M = non-embedding FLOPs/token with attention; C = M D",
        ),
    )
}


def get_convention(convention: str | CountingConvention) -> CountingConvention:
    """A :class:`CountingConvention`, given one or the name of one in :data:`CONVENTIONS`."""
    if isinstance(convention, CountingConvention):
        return convention
    check_choice("convention", convention, CONVENTIONS)
    return CONVENTIONS[convention]


def _deepseek_m(forward_terms: dict[str, float], seq_len: int) -> float:
    # Training = 3 x forward (Appendix F); per token = per sequence / seq_len.
    return 3.0 * sum(forward_terms[t] for t in DEEPSEEK_TERMS) / seq_len


def shape_counts(shape: Any) -> dict[str, float]:
    """The :data:`COUNT_COLUMNS` of one shape: parameters and training FLOPs per token.

    ``shape`` is a ``chinchilla_utils.sweep.model_shapes.SweepShape`` (the laptop sweep's
    byte models: vocabulary 256, context 128, output head tied to the token table) or a
    :class:`~chinchilla_utils.compute.flops.TransformerShape` (the paper's models: untied output
    projection; attention projections ``n_heads * kv_size`` wide, which reproduces all 50 Table
    A9 sizes within 0.7%).
    """
    if isinstance(shape, sweep_shapes.SweepShape):
        non_embedding = sweep_shapes.count_params(shape, include_embeddings=False)
        terms = sweep_shapes.forward_flops_per_sequence(shape)
        return {
            "n_params_all": float(sweep_shapes.count_params(shape)),
            "n_params_non_embedding": float(non_embedding),
            # The head is the token table (tied): the count leaves out only the positions.
            "n_params_non_embedding_with_head": float(
                non_embedding + sweep_shapes.VOCAB_SIZE * shape.d_model
            ),
            "flops_per_token_appendix_f": float(sweep_shapes.training_flops_per_token(shape)),
            "flops_per_token_deepseek_m": _deepseek_m(terms, sweep_shapes.SEQ_LEN),
        }
    if isinstance(shape, paper_flops.TransformerShape):
        parts = paper_flops.param_breakdown(shape, attention_width="heads_x_kv")
        total = sum(parts.values())
        non_embedding = total - parts["output_projection"] - parts["input_embedding"]
        return {
            "n_params_all": float(total),
            "n_params_non_embedding": float(non_embedding),
            "n_params_non_embedding_with_head": float(non_embedding + parts["output_projection"]),
            "flops_per_token_appendix_f": paper_flops.training_flops_per_token(shape),
            "flops_per_token_deepseek_m": _deepseek_m(
                paper_flops.forward_flops_terms(shape), shape.seq_len
            ),
        }
    raise TypeError(
        f"shape must be a SweepShape or a TransformerShape, got {type(shape).__name__}: {shape!r}"
    )


_SWEEP_SHAPE_COLUMNS = ("n_layers", "d_model", "n_heads")


def sweep_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the sweep's runs, or anything with their shape columns) with the
    :data:`COUNT_COLUMNS` added from each row's ``n_layers``, ``d_model`` and ``n_heads``."""
    check_frame("frame", frame, _SWEEP_SHAPE_COLUMNS)
    counts = {
        key: shape_counts(sweep_shapes.SweepShape(*map(int, key)))
        for key in frame[list(_SWEEP_SHAPE_COLUMNS)].drop_duplicates().itertuples(index=False)
    }
    keys = list(frame[list(_SWEEP_SHAPE_COLUMNS)].itertuples(index=False))
    out = frame.copy()
    for column in COUNT_COLUMNS:
        out[column] = [counts[tuple(k)][column] for k in keys]
    return out


#: Columns :func:`match_table_a9` copies from the matched Table A9 row.
_A9_SHAPE_COLUMNS = ("n_layers", "d_model", "ffw_size", "n_heads", "kv_size")
#: Default tolerance of :func:`match_table_a9`: Epoch's sizes sit within 0.03% of a Table A9
#: shape's count, and the two closest shapes (1,424M and 1,429M) are 0.34% apart.
MATCH_REL_TOL = 1e-3


def match_table_a9(
    points: pd.DataFrame, table: pd.DataFrame | None = None, rel_tol: float = MATCH_REL_TOL
) -> pd.DataFrame:
    """Give each point the Table A9 shape whose parameter count its ``n_params`` matches.

    The paper's figures (and so Epoch AI's points) give only ``N``; this finds, for each point,
    the shape whose count of non-embedding parameters plus the output head (the count that
    reproduces the printed sizes) is nearest in ratio, and accepts it within ``rel_tol`` when no
    other shape is also that close. Nothing is dropped: unmatched points keep NaN counts and say
    why in ``shape_reason``.

    Parameters
    ----------
    points : a frame with ``n_params`` (parameters), e.g. ``load_epoch_points()``.
    table : Table A9 (default :func:`chinchilla_utils.datasets.paper.table_a9`).
    rel_tol : largest ``|n_params / count - 1|`` accepted (default 0.1%).

    Returns
    -------
    ``points`` with ``shape_params_millions`` (the printed size), the five shape columns,
    ``shape_rel_diff`` (signed ``n_params / count - 1`` to the nearest shape), ``shape_matched``
    (bool), ``shape_reason`` (``""`` when matched) and the :data:`COUNT_COLUMNS`.
    """
    check_frame("points", points, ("n_params",))
    tol = float(as_positive("rel_tol", rel_tol))
    if table is None:
        from ..datasets.paper import table_a9

        table = table_a9()
    check_frame("table", table, ("params_millions", *_A9_SHAPE_COLUMNS))
    shapes = [paper_flops.TransformerShape.from_table_row(row) for _, row in table.iterrows()]
    counts = [shape_counts(s) for s in shapes]
    reference = np.array([c["n_params_non_embedding_with_head"] for c in counts])
    n_params = as_positive("n_params", points["n_params"].to_numpy(dtype=float))
    rel = n_params[:, None] / reference[None, :] - 1.0
    nearest = np.abs(rel).argmin(axis=1)
    rel_nearest = rel[np.arange(len(n_params)), nearest]
    n_close = (np.abs(rel) <= tol).sum(axis=1)
    matched = n_close == 1
    out = points.copy()
    out["shape_params_millions"] = table["params_millions"].to_numpy()[nearest]
    for column in _A9_SHAPE_COLUMNS:
        out[column] = table[column].to_numpy()[nearest]
    out["shape_rel_diff"] = rel_nearest
    out["shape_matched"] = matched
    out["shape_reason"] = [
        ""
        if ok
        else (
            f"within {tol:.2%} of {k} Table A9 shapes (ambiguous)"
            if k > 1
            else f"nearest Table A9 shape ({m:,.0f}M) is {abs(r):.2%} away (> {tol:.2%})"
        )
        for ok, k, m, r in zip(
            matched, n_close, out["shape_params_millions"], rel_nearest, strict=True
        )
    ]
    for column in COUNT_COLUMNS:
        values = np.array([counts[i][column] for i in nearest])
        out[column] = np.where(matched, values, np.nan)
    for column in _A9_SHAPE_COLUMNS:
        out[column] = out[column].where(matched)
    return out


_BUDGET_COLUMNS = ("budget", "isoflop_budget")


def apply_convention(frame: pd.DataFrame, convention: str | CountingConvention) -> pd.DataFrame:
    """``frame`` with ``n_params`` and ``flops`` counted under ``convention``.

    ``frame`` is any table of runs or logged points with ``n_params`` (as its source counts),
    ``n_tokens``, optionally ``flops`` (FLOPs; default ``6 n_params n_tokens``) and the
    :data:`COUNT_COLUMNS` the convention needs (add them with :func:`sweep_counts` or
    :func:`match_table_a9`). The result's ``n_params`` is the convention's ``N``; its ``flops``
    is ``flops`` times the convention's FLOPs per token over ``6 n_params`` (so the tokens stay
    as logged); an IsoFLOP ``budget`` or ``isoflop_budget`` column keeps its groups and is
    rescaled by the geometric mean of that ratio over each group, because C / 6ND changes with
    size within a group. The source values stay in ``n_params_source`` and ``flops_source``;
    ``convention`` names the convention. Under ``"paper"`` on the sweep every ratio is exactly 1
    and the fits give today's numbers.

    Raises
    ------
    ValueError : a frame without the needed columns (the message names them and how to add
        them), or with missing or non-positive counts in them.
    """
    conv = get_convention(convention)
    missing = [
        c for c in conv.required_columns if not isinstance(frame, pd.DataFrame) or c not in frame
    ]
    if missing:
        raise ValueError(
            f"convention {conv.name!r} needs columns {missing} that the frame lacks; add the "
            "counts with sweep_counts(runs) (the laptop sweep) or match_table_a9(points) "
            "(the paper's shapes), merged by run for curves"
        )
    n_source = as_positive("n_params", frame["n_params"].to_numpy(dtype=float))
    n_tokens = as_positive("n_tokens", frame["n_tokens"].to_numpy(dtype=float))
    raw_n = frame[conv.n_column].to_numpy(dtype=float)
    if not np.all(np.isfinite(raw_n)):
        raise ValueError(
            f"{int((~np.isfinite(raw_n)).sum())} rows have no {conv.n_column!r} (e.g. points "
            "without a matched shape: filter on shape_matched and read shape_reason)"
        )
    n_conv = as_positive(conv.n_column, raw_n)
    if conv.flops == "6nd":
        per_token = 6.0 * n_conv
    else:
        per_token = as_positive(
            _PER_TOKEN_COLUMN[conv.flops], frame[_PER_TOKEN_COLUMN[conv.flops]].to_numpy(float)
        )
    if conv.n_params == "deepseek_m":
        n_conv = n_conv / 6.0  # M / 6, so that 6 N D = M D
    source_flops = (
        as_positive("flops", frame["flops"].to_numpy(dtype=float))
        if "flops" in frame
        else 6.0 * n_source * n_tokens
    )
    ratio = per_token / (6.0 * n_source)
    out = frame.copy()
    out["n_params_source"] = frame["n_params"]
    out["flops_source"] = source_flops
    out["n_params"] = n_conv
    out["flops"] = source_flops * ratio
    log_ratio = pd.Series(np.log(ratio), index=frame.index)
    for column in _BUDGET_COLUMNS:
        if column in frame:
            scale = np.exp(log_ratio.groupby(frame[column]).transform("mean"))
            out[column] = frame[column] * scale
    out["convention"] = conv.name
    return out
