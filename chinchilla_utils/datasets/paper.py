"""The paper's tables, each behind one function.

Introduced in Chapter 1 (the paper's claims in numbers) and used in every chapter after it.
Every CSV in the repository's ``data/`` folder (shipped inside the package as
``chinchilla_utils._data``) is a transcription of a table, a figure legend
or a sentence of Hoffmann et al. (2022), *Training Compute-Optimal Large Language Models*
(arXiv:2203.15556), plus the Kaplan et al. (2020) constants the paper compares against.
``data/README.md`` gives each file's source, columns and units, and lists the places where
the paper contradicts itself; the ``source`` and ``note`` columns of each row say the same
thing row by row.

:func:`load_table` reads any of them by name, checks its SHA-256 against ``data/MANIFEST.sha256``
(see ``chinchilla_utils.datasets._files``) and its columns against the expected ones
(``_SCHEMAS``); the named loaders below are the ones the chapters use. Text columns
(``source``, ``note``, ``value_text`` and the label columns) always come back as ``str``, with
``""`` where the paper prints nothing, so ``df.note != ""`` finds the rows with a caveat.
Numeric columns come back as floats or ints, with NaN where the paper prints no value.

Epoch AI's 245 points extracted from Figure 4 are *not* here: they carry no licence and are
found or downloaded by :mod:`chinchilla_utils.datasets.epoch_ai`.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from chinchilla_utils.datasets._files import data_dir, read_csv, verify_shipped

__all__ = [
    "available_tables",
    "load_table",
    "table1_models",
    "table2_exponents",
    "table3_approach1",
    "table_a3",
    "PROJECTION_APPROACHES",
    "projection_rows",
    "table_a4",
    "table_a9",
    "isoflop_budgets",
    "approach3_constants",
    "kaplan_constants",
    "kaplan_constant",
    "experiment_design",
    "experiment_value",
]


# Expected columns of every shipped table: a file that lost or renamed one is caught on load
# rather than as a KeyError deep inside a chapter.
_SCHEMAS: dict[str, tuple[str, ...]] = {
    "appendix_f_flops_terms": ("term", "scope", "formula", "source", "note"),
    "approach3_constants": (
        "variant", "E", "A", "B", "alpha", "beta", "log_E", "log_A", "log_B", "source", "note",
    ),
    "approach3_fit_setup": (
        "key", "value", "value_text", "start", "stop", "step", "description", "source", "note",
    ),
    "bigbench_summary": ("quantity", "value", "value_text", "unit", "source", "note"),
    "experiment_design": ("key", "value", "value_text", "unit", "description", "source", "note"),
    "isoflop_budgets": ("budget_index", "flops", "source", "note"),
    "deepseek2024_constants": (
        "quantity", "symbol", "value", "value_text", "unit", "description", "source", "note",
    ),
    "kaplan2020_constants": (
        "quantity", "symbol", "value", "value_text", "unit", "description", "source", "note",
    ),
    "mmlu_summary": ("quantity", "value", "value_text", "unit", "source", "note"),
    "muennighoff2023_constants": (
        "variant", "E", "A", "B", "alpha", "beta", "r_d_star", "r_n_star", "log_E", "log_A",
        "log_B", "source", "note",
    ),
    "section34_text_claims": (
        "params", "flops", "tokens", "gopher_units", "claim", "source", "note",
    ),
    "table10_winogender": ("group", "chinchilla_accuracy_pct", "gopher_accuracy_pct", "source", "note"),
    "table1_models": ("model", "reference", "params", "tokens", "source", "note"),
    "table2_exponents": (
        "approach", "method", "a", "a_p10", "a_p90", "b", "b_p10", "b_p90", "source", "note",
    ),
    "table3_approach1_optimal": (
        "params", "flops", "flops_gopher_units", "flops_gopher_units_printed", "tokens",
        "source", "note",
    ),
    "table4_gopher_chinchilla_setup": (
        "model", "params", "tokens", "training_flops", "training_flops_appendix_f", "n_layers",
        "n_heads", "kv_size", "d_model", "ffw_size_rule", "max_lr", "batch_size_tokens_start",
        "batch_size_tokens_end", "optimizer", "precision", "tokenizer", "vocab_size",
        "vocab_overlap_with_gopher_pct", "training_data", "source", "note",
    ),
    "table5_eval_suite": ("category", "n_tasks", "examples", "source", "note"),
    "table6_mmlu": ("entry", "n_shots", "accuracy_pct", "source", "note"),
    "table7_reading_comprehension": (
        "task", "setting", "chinchilla_accuracy_pct", "gopher_accuracy_pct",
        "gpt3_accuracy_pct", "mt_nlg_530b_accuracy_pct", "source", "note",
    ),
    "table8_common_sense": (
        "task", "setting", "chinchilla_accuracy_pct", "gopher_accuracy_pct",
        "gpt3_accuracy_pct", "mt_nlg_530b_accuracy_pct", "supervised_sota_accuracy_pct",
        "source", "note",
    ),
    "table9_closed_book_qa": (
        "dataset", "variant", "split", "n_shots", "chinchilla_accuracy_pct",
        "gopher_accuracy_pct", "gpt3_accuracy_pct", "sota_open_book_accuracy_pct",
        "source", "note",
    ),
    "tablea1_massivetext_mix": (
        "subset", "disk_size_tb", "documents", "sampling_proportion_pct",
        "gopher_sampling_proportion_pct", "epochs_in_1_4t_tokens", "source", "note",
    ),
    "tablea2_other_datasets": ("dataset", "method", "a", "b", "source", "note"),
    "tablea3_approach2_3_optimal": (
        "approach", "params", "flops", "tokens", "typo", "source", "note",
    ),
    "tablea4_flops_ratio": (
        "params", "n_layers", "d_model", "ffw_size", "n_heads", "kv_size",
        "flops_ratio_vs_6nd", "source", "note",
    ),
    "tablea5_pile_bpb": (
        "subset", "chinchilla_bits_per_byte", "gopher_bits_per_byte",
        "jurassic1_bits_per_byte", "source", "note",
    ),
    "tablea6_mmlu_tasks": ("task", "chinchilla_accuracy_pct", "gopher_accuracy_pct", "source", "note"),
    "tablea7_bigbench_tasks": ("task", "chinchilla_accuracy_pct", "gopher_accuracy_pct", "source", "note"),
    "tablea9_architectures": (
        "params_millions", "d_model", "ffw_size", "kv_size", "n_heads", "n_layers", "source", "note",
    ),
    "toxicity": (
        "statistic", "chinchilla_toxicity_score", "gopher_toxicity_score",
        "n_samples_chinchilla", "source", "note",
    ),
    "truthfulqa": ("model", "n_shots", "accuracy_pct", "source", "note"),
    "wikitext103": ("model", "perplexity", "source", "note"),
}  # fmt: skip

# Columns read as text. Everything else in a schema must parse as numbers. ``note`` would
# otherwise come back as all-NaN floats in tables where no row has a caveat, and
# ``flops_gopher_units_printed`` would lose its printed fractions ("1/29968").
_TEXT_COLUMNS: frozenset[str] = frozenset(
    {
        "source", "note", "value_text", "term", "scope", "formula", "variant", "key",
        "description", "quantity", "unit", "symbol", "group", "model", "reference", "approach",
        "method", "flops_gopher_units_printed", "ffw_size_rule", "optimizer", "precision",
        "tokenizer", "training_data", "category", "examples", "entry", "task", "setting",
        "dataset", "split", "subset", "statistic", "claim",
    }
)  # fmt: skip
#: Columns that hold flags: ``True``/``False`` in the CSV, read as booleans.
_BOOLEAN_COLUMNS: frozenset[str] = frozenset({"typo"})

# Short names the chapters may use for the long file names.
_ALIASES: dict[str, str] = {
    "table3_approach1": "table3_approach1_optimal",
    "table_a3": "tablea3_approach2_3_optimal",
    "table_a4": "tablea4_flops_ratio",
    "table_a9": "tablea9_architectures",
    "kaplan_constants": "kaplan2020_constants",
}


def _data_dir() -> Path:
    # One indirection, so that tests can point the loaders at a folder of their own.
    return data_dir()


def available_tables() -> list[str]:
    """Names of the tables in ``data/`` (file names without ``.csv``), sorted."""
    return sorted(p.stem for p in _data_dir().glob("*.csv"))


def _resolve(name: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"table name must be a string, got {name!r}")
    stem = name.removesuffix(".csv")
    stem = _ALIASES.get(stem, stem)
    available = available_tables()
    if stem not in available:
        close = difflib.get_close_matches(stem, available + list(_ALIASES), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise ValueError(
            f"unknown table {name!r}{hint}; available tables in {_data_dir()}: {', '.join(available)}"
        )
    return stem


def _check_schema(stem: str, df: pd.DataFrame, path: Path) -> None:
    expected = _SCHEMAS.get(stem, ("source", "note"))
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path} lacks the expected column(s) {missing}; found {list(df.columns)}. "
            "Restore the file from git (git checkout -- data/)"
        )
    if len(df) == 0:
        raise ValueError(f"{path} has a header but no rows")
    not_boolean = [
        c for c in expected if c in _BOOLEAN_COLUMNS and not pd.api.types.is_bool_dtype(df[c])
    ]
    if not_boolean:
        raise ValueError(
            f"{path}: column(s) {not_boolean} should hold True or False in every row but do not "
            "(an empty cell or another word?)"
        )
    not_numeric = [
        c
        for c in expected
        if c not in _TEXT_COLUMNS
        and c not in _BOOLEAN_COLUMNS
        and not pd.api.types.is_numeric_dtype(df[c].dtype)
    ]
    if not_numeric:
        raise ValueError(
            f"{path}: column(s) {not_numeric} should hold numbers but do not parse as numbers "
            "(units, '%' or thousands separators in a cell?)"
        )


def load_table(name: str) -> pd.DataFrame:
    """Read ``data/<name>.csv`` as a DataFrame, checked against its expected columns.

    Parameters
    ----------
    name:
        File name without ``.csv`` (``"table1_models"``), with it, or one of the short aliases
        ``table3_approach1``, ``table_a3``, ``table_a4``, ``table_a9``, ``kaplan_constants``.

    Returns
    -------
    A fresh DataFrame (safe to modify). Text columns (``source``, ``note``, ``value_text``,
    labels) are ``str`` with ``""`` for an empty cell; numeric columns keep NaN for an empty
    cell (the paper prints no value there). Units are in the column names (``_pct`` percent,
    ``params`` parameters, ``tokens`` tokens, ``flops`` FLOPs) or in a ``unit`` column.

    Every file is checked against ``data/MANIFEST.sha256`` before it is read (hashed once per
    process): a table changed by accident is refused, one changed on purpose needs
    ``make manifest``.

    Raises
    ------
    DataChecksumError
        The file's SHA-256 is not the one the manifest records (or it is not listed); the
        message names the file and both hashes, and the fix.
    ValueError
        For an unknown name (the message lists the tables and suggests the closest), a file
        whose columns do not match the expected schema, or one that is empty or not a
        well-formed CSV (the message names the file).
    """
    stem = _resolve(name)
    path = verify_shipped(_data_dir(), f"{stem}.csv")
    with path.open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    text_cols = {c: str for c in header if c in _TEXT_COLUMNS}
    df = read_csv(
        path, fix=f"restore it from git (git checkout -- data/{stem}.csv)", dtype=text_cols
    )
    for col in text_cols:
        df[col] = df[col].fillna("").astype(str)
    _check_schema(stem, df, path)
    return df


def table1_models() -> pd.DataFrame:
    """Table 1: large models with their size and training tokens.

    Columns ``model``, ``reference``, ``params`` (parameters), ``tokens`` (training tokens),
    ``source``, ``note``. Six rows: LaMDA, GPT-3, Jurassic, Gopher, MT-NLG 530B, Chinchilla.
    """
    return load_table("table1_models")


def table2_exponents() -> pd.DataFrame:
    """Table 2: exponents ``a`` (N_opt ∝ C^a) and ``b`` (D_opt ∝ C^b) per approach.

    Columns ``approach``, ``method``, ``a``, ``a_p10``, ``a_p90``, ``b``, ``b_p10``, ``b_p90``
    (dimensionless; p10/p90 are the bootstrap 10th/90th percentiles), ``source``, ``note``.
    Rows ``approach_1``, ``approach_2``, ``approach_3`` and Kaplan et al. (2020).
    """
    return load_table("table2_exponents")


def table3_approach1() -> pd.DataFrame:
    """Table 3: Approach 1's compute-optimal FLOPs and tokens for 9 model sizes.

    Columns ``params`` (parameters), ``flops`` (FLOPs), ``flops_gopher_units`` (multiples of
    5.76e23 FLOPs), ``flops_gopher_units_printed`` (text as printed, e.g. ``"1/29968"``),
    ``tokens``, ``source``, ``note``. Tokens are rounded, so ``flops ≈ 6 * params * tokens``
    only within a few percent (data/README.md).
    """
    return load_table("table3_approach1_optimal")


def table_a3() -> pd.DataFrame:
    """Table A3: the Table 3 projections for Approaches 2 and 3, long format (18 rows).

    Columns ``approach`` (``approach_2`` / ``approach_3``), ``params``, ``flops`` (FLOPs),
    ``tokens``, ``typo`` (bool), ``source``, ``note``. The Approach 3 175B row keeps the
    paper's typo (1.26e24 printed; 6ND gives 1.26e25), flagged ``typo`` True and explained in
    ``note``; every other row is False.
    """
    return load_table("tablea3_approach2_3_optimal")


#: The approaches whose compute-optimal projections the paper prints (Tables 3 and A3).
PROJECTION_APPROACHES = ("approach_1", "approach_2", "approach_3")


def projection_rows(approach: str) -> pd.DataFrame:
    """The printed compute-optimal projections of one approach, one row per model size.

    Approach 1's are Table 3; Approaches 2 and 3 are the two columns of Table A3. One table
    shape for all three, so that everything comparing a frontier with the printed rows (the
    book's regenerated tables, the paper's frontiers in :mod:`chinchilla_utils.laws`) reads
    them from here.

    Parameters
    ----------
    approach : ``"approach_1"``, ``"approach_2"`` or ``"approach_3"``.

    Returns
    -------
    DataFrame with ``approach``, ``params`` (parameters), ``flops`` (FLOPs), ``tokens``,
    ``flops_gopher_units`` (the budget in multiples of Gopher's, as printed; Table 3 only, NaN
    for Table A3, which prints none), ``typo`` (bool: the row the paper misprints) and
    ``note``, sorted by size.
    """
    if approach not in PROJECTION_APPROACHES:
        close = difflib.get_close_matches(str(approach), PROJECTION_APPROACHES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown approach {approach!r}{hint}; choose one of {list(PROJECTION_APPROACHES)}"
        )
    if approach == "approach_1":
        rows = table3_approach1().assign(approach=approach, typo=False)
    else:
        a3 = table_a3()
        rows = a3[a3["approach"] == approach].assign(flops_gopher_units=np.nan)
    columns = ["approach", "params", "flops", "tokens", "flops_gopher_units", "typo", "note"]
    return rows[columns].sort_values("params").reset_index(drop=True)


def table_a4() -> pd.DataFrame:
    """Table A4: six configurations and the ratio of the Appendix F FLOP count to 6ND.

    Columns ``params`` (parameters), ``n_layers``, ``d_model``, ``ffw_size``, ``n_heads``,
    ``kv_size``, ``flops_ratio_vs_6nd`` (dimensionless), ``source``, ``note``.
    """
    return load_table("tablea4_flops_ratio")


def table_a9() -> pd.DataFrame:
    """Table A9: the 50 model configurations of the study.

    Columns ``params_millions`` (millions of parameters, as printed), ``d_model``,
    ``ffw_size``, ``kv_size``, ``n_heads``, ``n_layers``, ``source``, ``note``.
    """
    return load_table("tablea9_architectures")


def isoflop_budgets() -> np.ndarray:
    """The 9 Approach 2 IsoFLOP budgets in FLOPs, ascending: 6e18, 1e19, ..., 3e21.

    Read from the Figure 4 legend (the text of Section 3.2 confirms only their number and
    range; data/README.md).
    """
    df = load_table("isoflop_budgets")
    budgets = np.sort(df["flops"].to_numpy(dtype=float))
    if budgets.size != 9 or not np.all(budgets > 0):
        raise ValueError(f"data/isoflop_budgets.csv should hold 9 positive budgets, got {budgets}")
    return budgets


def approach3_constants() -> pd.DataFrame:
    """Approach 3's fitted constants E (nats), A, B, alpha, beta (Eq. 10).

    Two rows, by ``variant``: ``published_rounded`` (as printed in the paper) and
    ``tex_unrounded`` (from the paper's TeX source, as reported by Epoch AI's
    analyzing-chinchilla repository; also ``log_E``, ``log_A``, ``log_B``).
    Use :meth:`chinchilla_utils.laws.ParametricLoss.paper_rounded` /
    :meth:`~chinchilla_utils.laws.ParametricLoss.paper_unrounded` for the law itself.
    """
    return load_table("approach3_constants")


def kaplan_constants() -> pd.DataFrame:
    """Kaplan et al. (2020) constants, Tables 5 and 6, with units.

    Key/value table: ``quantity`` (key), ``symbol``, ``value``, ``value_text``, ``unit``
    (compute scales in PF-days; 1 PF-day = 8.64e19 FLOPs), ``description``, ``source``, ``note``.
    """
    return load_table("kaplan2020_constants")


def _lookup(df: pd.DataFrame, key_col: str, key: str, table: str) -> float:
    keys = df[key_col].tolist()
    if key not in keys:
        close = difflib.get_close_matches(key, keys, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown {key_col} {key!r} in {table}{hint}; choose one of {keys}")
    value = float(df.loc[df[key_col] == key, "value"].iloc[0])
    if not np.isfinite(value):
        raise ValueError(f"{table}: {key!r} has no numeric value (see its value_text column)")
    return value


def kaplan_constant(quantity: str) -> float:
    """One numeric Kaplan et al. (2020) constant by ``quantity`` (e.g. ``"p_n"``, ``"n_e"``)."""
    return _lookup(kaplan_constants(), "quantity", quantity, "kaplan2020_constants")


def experiment_design() -> pd.DataFrame:
    """Key/value facts about the paper's experiments (run counts, ranges, learning rates, ...).

    Columns ``key``, ``value``, ``value_text`` (the printed wording), ``unit``,
    ``description``, ``source``, ``note``.
    """
    return load_table("experiment_design")


def experiment_value(key: str) -> float:
    """One numeric entry of :func:`experiment_design` by ``key``."""
    return _lookup(experiment_design(), "key", key, "experiment_design")
