"""Published training runs with open licences: Gadre et al. (2024) and Sardana et al. (2024).

Introduced with held-out prediction (the chapter that fits laws on small runs and predicts large
ones). Two sets of real training runs, each shipped as one tidy CSV derived from the authors'
public repository, with the licence text and the attribution beside it:

- ``data/gadre2024/runs.csv``: 104 models from S. Y. Gadre et al., *Language models scale
  reliably with over-training and on downstream tasks*, arXiv:2403.08540 (2024); repository
  ``mlfoundations/scaling`` at commit ``a003c4913793ac2ae7ef87b28ecb562955d026d5``, MIT licence.
  11M to 6.9B parameters, 0.25x to 32x the "20 tokens per parameter" rule, trained on C4,
  RedPajama or RefinedWeb; each evaluated (held-out loss, nats per token, with 95% bounds) on
  eight validation sets.
- ``data/sardana2024/runs.csv``: 47 runs from N. Sardana, J. Portes, S. Doubov, J. Frankle,
  *Beyond Chinchilla-Optimal*, ICML 2024, arXiv:2401.00448; repository
  ``nikhilsardana/beyond-chinchilla`` at commit ``190f70e365dc75037a2b3178609d00243f24b4b9``,
  Apache-2.0. 150M to 6B parameters, 10 to 10,000 tokens per parameter; the loss is the final
  training loss, smoothed (nats per token).

:func:`derive_gadre2024` and :func:`derive_sardana2024` turn the upstream files into those
tables (``data/published_runs/derive.py`` runs them from the command line);
:func:`load_gadre2024` and :func:`load_sardana2024` read the shipped CSVs, check them, and
return the columns every fitter of the book takes: ``n_params``, ``n_tokens``, ``flops``
(``6 N D``), ``loss``.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from chinchilla_utils._validation import check_choice
from chinchilla_utils.datasets._files import data_dir, read_csv, verify_shipped

__all__ = [
    "GADRE2024_COLUMNS",
    "GADRE2024_CORPORA",
    "GADRE2024_EVAL_SETS",
    "GADRE2024_SOURCE",
    "SARDANA2024_COLUMNS",
    "SARDANA2024_SOURCE",
    "derive_gadre2024",
    "derive_sardana2024",
    "load_gadre2024",
    "load_sardana2024",
]

#: Upstream repository and commit of each data set (also in each folder's README.md).
GADRE2024_SOURCE = "mlfoundations/scaling@a003c4913793ac2ae7ef87b28ecb562955d026d5"
SARDANA2024_SOURCE = "nikhilsardana/beyond-chinchilla@190f70e365dc75037a2b3178609d00243f24b4b9"

#: Upstream ``dataset_name`` -> the corpus name used here.
GADRE2024_CORPORA = {"c4_original": "c4", "rpj": "redpajama", "rw_original": "refinedweb"}

#: The eight validation sets, keyed by the folder name in the upstream ``val_data`` path
#: (``de-en`` by its file name, as the authors' own loader does) -> the column stem used here.
GADRE2024_EVAL_SETS = {
    "openlm": "openlm",
    "c4_val": "c4_val",
    "paloma_c4_en": "paloma_c4_en",
    "paloma_dolma_100_programing_languages": "paloma_code",
    "paloma_falcon-refinedweb": "paloma_refinedweb",
    "paloma_ptb": "paloma_ptb",
    "paloma_redpajama": "paloma_redpajama",
    "val_de-en_100": "c4_german",
}

_GADRE_LOSS_COLUMNS = tuple(
    f"loss_{stem}{suffix}"
    for stem in GADRE2024_EVAL_SETS.values()
    for suffix in ("", "_lower_95", "_upper_95")
)
#: Columns of ``data/gadre2024/runs.csv``: run identity, sizes, compute, and three columns
#: (loss and its 95% bounds, nats per token) per evaluation set.
GADRE2024_COLUMNS = (
    "run_id",
    "corpus",
    "model_shape",
    "n_params",
    "n_params_non_embedding",
    "n_tokens",
    "flops",
    "tokens_per_param",
    "chinchilla_multiplier",
    *_GADRE_LOSS_COLUMNS,
    "source",
)
#: Columns of ``data/sardana2024/runs.csv``.
SARDANA2024_COLUMNS = (
    "run_id",
    "model_name",
    "corpus",
    "n_params",
    "n_tokens",
    "flops",
    "tokens_per_param",
    "batch_size",
    "loss",
    "source",
)
_TEXT_COLUMNS = frozenset({"run_id", "corpus", "model_shape", "model_name", "source"})
# What the upstream file calls the training data of the Sardana et al. runs: not public.
_SARDANA_CORPUS = "mosaicml_web_and_code"
_SARDANA_RAW = {
    "Model Name": "model_name",
    "Parameters": "n_params",
    "Tokens/Params": "tokens_per_param",
    "Tokens": "n_tokens",
    "Batch Size": "batch_size",
    "Smoothed Loss": "loss",
}
# 6ND recomputed from the rounded CSV values agrees with itself to float precision; the
# upstream tokens/params column agrees with Tokens / Parameters to the CSV's rounding.
_RATIO_RTOL = 1e-6


# ---------------------------------------------------------------------------------------
# derivation from the upstream files
# ---------------------------------------------------------------------------------------
def _eval_set_key(val_data: list[str]) -> str:
    path = val_data[0]
    folder = path.split("/")[-2]
    return path.split("/")[-1].split(".")[0] if "de-en" in folder else folder


def _gadre_row(payload: dict, file_name: str) -> dict:
    hyper = payload["hyperparameters"]
    dataset = payload["dataset_name"]
    if dataset not in GADRE2024_CORPORA:
        raise ValueError(
            f"{file_name}: dataset_name {dataset!r} is not one of {sorted(GADRE2024_CORPORA)}"
        )
    n_params, n_tokens = float(hyper["params"]), float(hyper["tokens"])
    row = {
        "run_id": payload["name"],
        "corpus": GADRE2024_CORPORA[dataset],
        "model_shape": Path(hyper["model"]).stem,
        "n_params": n_params,
        "n_params_non_embedding": float(hyper["params_no_embed"]),
        "n_tokens": n_tokens,
        "flops": 6.0 * n_params * n_tokens,
        "tokens_per_param": n_tokens / n_params,
        "chinchilla_multiplier": float(hyper["chinchilla_multiplier"]),
    }
    for result in payload["results"]:
        key = _eval_set_key(result["val_data"])
        if key not in GADRE2024_EVAL_SETS:
            raise ValueError(f"{file_name}: unknown evaluation set {key!r}")
        stem = GADRE2024_EVAL_SETS[key]
        row[f"loss_{stem}"] = float(result["loss"])
        # the sequence-level bounds: the ones the authors' own loader reads
        row[f"loss_{stem}_lower_95"] = float(result["loss_sequences_lower_95"])
        row[f"loss_{stem}_upper_95"] = float(result["loss_sequences_upper_95"])
    row["source"] = f"Gadre et al. (2024), {GADRE2024_SOURCE}, exp_data/models/{file_name}"
    return row


def derive_gadre2024(upstream_dir: str | PathLike[str]) -> pd.DataFrame:
    """Build the tidy Gadre et al. (2024) table from the repository's ``exp_data/models/``.

    Parameters
    ----------
    upstream_dir : a folder holding the upstream ``models/*.json`` files (one per trained
        model), or the ``models`` folder itself.

    Returns
    -------
    One row per model, sorted by ``run_id``, with :data:`GADRE2024_COLUMNS`: ``n_params`` (all
    parameters, embeddings included, as the authors count them), ``n_tokens`` (training
    tokens), ``flops`` (``6 N D``, the authors' compute), ``tokens_per_param`` (``D / N``, the
    authors' "token multiplier" M), ``chinchilla_multiplier`` (``D / (20 N)``), and for each
    evaluation set ``loss_<set>`` with its 95% bounds (nats per token).
    """
    folder = Path(upstream_dir)
    models = folder / "models" if (folder / "models").is_dir() else folder
    files = sorted(models.glob("*.json"))
    if not files:
        raise ValueError(
            f"upstream_dir={str(upstream_dir)!r} holds no models/*.json; pass the folder that "
            "contains the mlfoundations/scaling exp_data/models files"
        )
    rows = [_gadre_row(json.loads(f.read_text(encoding="utf-8")), f.name) for f in files]
    table = pd.DataFrame(rows).sort_values("run_id", kind="stable").reset_index(drop=True)
    _check_gadre(table, models)
    return table[list(GADRE2024_COLUMNS)]


def derive_sardana2024(upstream_dir: str | PathLike[str]) -> pd.DataFrame:
    """Build the tidy Sardana et al. (2024) table from the repository's ``trainingresults.csv``.

    Parameters
    ----------
    upstream_dir : the folder that holds ``trainingresults.csv``.

    Returns
    -------
    One row per run, in the upstream order, with :data:`SARDANA2024_COLUMNS`. ``run_id`` is
    ``<model name>_tpp<tokens per parameter>``; ``flops`` is ``6 N D``; ``loss`` is the
    upstream ``Smoothed Loss`` (final training loss, nats per token). The downstream scores are
    left out (the book does not use them).
    """
    path = Path(upstream_dir) / "trainingresults.csv"
    if not path.is_file():
        raise ValueError(
            f"upstream_dir={str(upstream_dir)!r} has no trainingresults.csv; pass the folder of "
            "the nikhilsardana/beyond-chinchilla file"
        )
    raw = pd.read_csv(path)
    missing = [c for c in _SARDANA_RAW if c not in raw.columns]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {missing}; found {list(raw.columns)}")
    table = raw[list(_SARDANA_RAW)].rename(columns=_SARDANA_RAW)
    ratio = table["n_tokens"] / table["n_params"]
    off = ~np.isclose(ratio, table["tokens_per_param"], rtol=_RATIO_RTOL)
    if off.any():
        rows = list(np.flatnonzero(off))
        raise ValueError(f"{path}: Tokens / Parameters differs from Tokens/Params in rows {rows}")
    names = zip(table["model_name"], table["tokens_per_param"], strict=True)
    table = table.assign(
        run_id=[f"{m}_tpp{t:g}" for m, t in names],
        corpus=_SARDANA_CORPUS,
        flops=6.0 * table["n_params"] * table["n_tokens"],
        tokens_per_param=ratio,
        source=f"Sardana et al. (2024), {SARDANA2024_SOURCE}, trainingresults.csv",
    )
    _check_sardana(table, path)
    return table[list(SARDANA2024_COLUMNS)]


# ---------------------------------------------------------------------------------------
# checks shared by derivation and loading
# ---------------------------------------------------------------------------------------
def _check_columns(table: pd.DataFrame, expected: tuple[str, ...], where: Path) -> None:
    missing = [c for c in expected if c not in table.columns]
    if missing:
        raise ValueError(
            f"{where} lacks the expected column(s) {missing}; found {list(table.columns)}. "
            "Restore the file from git or rerun data/published_runs/derive.py"
        )
    if len(table) == 0:
        raise ValueError(f"{where} has a header but no rows")
    numeric = [c for c in expected if c not in _TEXT_COLUMNS]
    not_numeric = [c for c in numeric if not pd.api.types.is_numeric_dtype(table[c].dtype)]
    if not_numeric:
        raise ValueError(f"{where}: column(s) {not_numeric} should hold numbers but do not")
    values = table[numeric].to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ValueError(
            f"{where}: {int(bad.sum())} value(s) are missing, non-finite or not positive, first "
            f"in row {int(rows[0])} column {numeric[cols[0]]!r}"
        )
    duplicated = table["run_id"][table["run_id"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"{where}: run_id values repeat: {duplicated[:5]}")


def _check_compute(table: pd.DataFrame, where: Path) -> None:
    flops = 6.0 * table["n_params"] * table["n_tokens"]
    tpp = table["n_tokens"] / table["n_params"]
    for name, expected in (("flops", flops), ("tokens_per_param", tpp)):
        off = ~np.isclose(table[name], expected, rtol=_RATIO_RTOL)
        if off.any():
            raise ValueError(
                f"{where}: {name} disagrees with n_params and n_tokens (6ND, D/N) in rows "
                f"{list(np.flatnonzero(off))[:5]}"
            )


def _check_gadre(table: pd.DataFrame, where: Path) -> None:
    _check_columns(table, GADRE2024_COLUMNS, where)
    _check_compute(table, where)
    multiplier = table["tokens_per_param"] / 20.0
    if not np.allclose(multiplier, table["chinchilla_multiplier"], rtol=_RATIO_RTOL):
        raise ValueError(f"{where}: chinchilla_multiplier is not n_tokens / (20 n_params)")
    for stem in GADRE2024_EVAL_SETS.values():
        lo, mid, hi = (table[f"loss_{stem}{s}"] for s in ("_lower_95", "", "_upper_95"))
        outside = ~((lo <= mid) & (mid <= hi))
        if outside.any():
            raise ValueError(
                f"{where}: loss_{stem} lies outside its 95% bounds in rows "
                f"{list(np.flatnonzero(outside))[:5]}"
            )
    unknown = sorted(set(table["corpus"]) - set(GADRE2024_CORPORA.values()))
    if unknown:
        raise ValueError(f"{where}: unknown corpus value(s) {unknown}")


def _check_sardana(table: pd.DataFrame, where: Path) -> None:
    _check_columns(table, SARDANA2024_COLUMNS, where)
    _check_compute(table, where)


def _read(relative: str, path: str | PathLike[str] | None) -> tuple[pd.DataFrame, Path]:
    if path is None:  # a shipped table: checked against data/MANIFEST.sha256 first
        file = verify_shipped(data_dir(), relative)
    else:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"{file} does not exist")
    fix = "restore it from git, or rerun data/published_runs/derive.py on the upstream files"
    table = read_csv(file, fix=fix, dtype=dict.fromkeys(_TEXT_COLUMNS, str))
    # Counts come back as floats: 6 * N * D of int64 columns overflows past 9.2e18.
    numeric = [c for c in table.columns if c not in _TEXT_COLUMNS]
    table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    return table, file


# ---------------------------------------------------------------------------------------
# loaders
# ---------------------------------------------------------------------------------------
def load_gadre2024(
    eval_set: str = "c4_val",
    corpus: str | None = None,
    *,
    path: str | PathLike[str] | None = None,
) -> pd.DataFrame:
    """Gadre et al. (2024)'s 104 models as a tidy frame, checked, with one loss chosen.

    Parameters
    ----------
    eval_set : which held-out loss becomes the ``loss`` column (and its bounds ``loss_lower_95``,
        ``loss_upper_95``): one of the stems of :data:`GADRE2024_EVAL_SETS`; default
        ``"c4_val"``, the C4 validation loss the authors fit and predict.
    corpus : keep only the models trained on ``"c4"``, ``"redpajama"`` or ``"refinedweb"``;
        None keeps all three (each model size appears once per corpus).
    path : read this CSV instead of the shipped ``data/gadre2024/runs.csv``.

    Returns
    -------
    Every column of the CSV (:data:`GADRE2024_COLUMNS`) plus ``loss``, ``loss_lower_95`` and
    ``loss_upper_95`` (nats per token) for ``eval_set``.

    Raises
    ------
    ValueError : an unknown ``eval_set`` or ``corpus``, or a file that fails the schema checks
        (columns, positive numbers, ``flops = 6 N D``, losses inside their bounds).
    """
    stems = tuple(GADRE2024_EVAL_SETS.values())
    check_choice("eval_set", eval_set, stems)
    if corpus is not None:
        check_choice("corpus", corpus, tuple(GADRE2024_CORPORA.values()))
    table, file = _read("gadre2024/runs.csv", path)
    _check_gadre(table, file)
    table = table.assign(
        loss=table[f"loss_{eval_set}"],
        loss_lower_95=table[f"loss_{eval_set}_lower_95"],
        loss_upper_95=table[f"loss_{eval_set}_upper_95"],
    )
    if corpus is not None:
        table = table[table["corpus"] == corpus].reset_index(drop=True)
    return table


def load_sardana2024(*, path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Sardana et al. (2024)'s 47 runs as a tidy frame, checked.

    Parameters
    ----------
    path : read this CSV instead of the shipped ``data/sardana2024/runs.csv``.

    Returns
    -------
    :data:`SARDANA2024_COLUMNS`: ``n_params`` (as the upstream file lists them), ``n_tokens``,
    ``flops`` (``6 N D``), ``tokens_per_param``, ``batch_size`` (sequences), ``loss`` (final
    training loss, smoothed, nats per token). The upstream file gives no bounds.
    """
    table, file = _read("sardana2024/runs.csv", path)
    _check_sardana(table, file)
    return table
