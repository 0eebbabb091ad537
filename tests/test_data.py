"""Tests for chinchilla_utils.datasets.paper: every table loads, matches its schema and the paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.datasets import paper as data


def test_every_csv_has_a_schema_and_loads():
    tables = data.available_tables()
    assert len(tables) >= 29  # the reference transcription; chapters may add their own
    assert set(tables) <= set(data._SCHEMAS), "give every new table a schema in data.py"
    readme = (data._data_dir() / "README.md").read_text(encoding="utf-8")
    for name in tables:
        assert f"`{name}.csv`" in readme, f"{name}.csv is not described in data/README.md"
    for name in tables:
        df = data.load_table(name)
        assert len(df) > 0, name
        assert df["source"].str.len().gt(0).all(), f"{name}: every row needs a source"
        assert df["note"].map(type).eq(str).all(), f"{name}: note must be str"


def test_note_is_text_even_when_empty_everywhere():
    df = data.load_table("tablea6_mmlu_tasks")  # no row has a note
    assert (df["note"] == "").all()
    assert pd.api.types.is_numeric_dtype(df["chinchilla_accuracy_pct"])


def test_printed_fraction_stays_text():
    df = data.table3_approach1()
    assert df["flops_gopher_units_printed"].iloc[0] == "1/29968"
    assert df["flops_gopher_units_printed"].iloc[3] == "1"


def test_numeric_empty_cells_stay_nan():
    df = data.approach3_constants().set_index("variant")
    assert np.isnan(df.loc["published_rounded", "log_E"])
    assert df.loc["tex_unrounded", "log_E"] == pytest.approx(0.5267228)


def test_aliases_and_suffix():
    pd.testing.assert_frame_equal(data.load_table("table_a3"), data.table_a3())
    pd.testing.assert_frame_equal(data.load_table("table1_models.csv"), data.table1_models())


def test_unknown_table_suggests_and_lists():
    with pytest.raises(ValueError, match=r"did you mean 'table1_models'") as info:
        data.load_table("table1_model")
    assert "wikitext103" in str(info.value)
    with pytest.raises(ValueError, match="table name must be a string"):
        data.load_table(3)


def test_loaders_return_fresh_copies():
    df = data.table1_models()
    df.loc[0, "params"] = -1
    assert data.table1_models().loc[0, "params"] > 0


def test_isoflop_budgets():
    budgets = data.isoflop_budgets()
    np.testing.assert_array_equal(budgets, [6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21])
    assert budgets.dtype == float


def test_known_values_from_the_paper():
    models = data.table1_models().set_index("model")
    assert models.loc["Chinchilla", "params"] == 7.0e10
    assert models.loc["Chinchilla", "tokens"] == 1.4e12
    assert len(data.table_a9()) == 50
    assert len(data.table_a4()) == 6
    assert len(data.table_a3()) == 18
    assert len(data.table3_approach1()) == 9
    exps = data.table2_exponents().set_index("approach")
    assert exps.loc["approach_3", "a"] == 0.46
    assert data.kaplan_constant("p_n") == 0.73
    assert data.kaplan_constant("pf_day_flops") == 8.64e19
    assert data.experiment_value("gopher_budget_flops") == 5.76e23
    assert data.experiment_value("approach2_n_budgets") == len(data.isoflop_budgets())


def test_eval_tables_have_the_printed_row_counts():
    counts = {"tablea6_mmlu_tasks": 57, "tablea7_bigbench_tasks": 62, "tablea5_pile_bpb": 19}
    for name, n in counts.items():
        assert len(data.load_table(name)) == n


def test_key_value_lookup_errors():
    with pytest.raises(ValueError, match="did you mean 'pf_day_flops'"):
        data.kaplan_constant("pf_day_flop")
    with pytest.raises(ValueError, match="no numeric value"):
        data.kaplan_constant("compute_estimate")


def _write(tmp_path, name, text):
    """Write a table into a test folder and record it in the folder's manifest (on purpose)."""
    from chinchilla_utils.datasets._files import write_manifest

    (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    write_manifest(tmp_path)


def test_schema_check_catches_missing_and_non_numeric_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_data_dir", lambda: tmp_path)
    _write(tmp_path, "wikitext103", "model,source,note\nChinchilla,x,\n")
    with pytest.raises(ValueError, match=r"lacks the expected column\(s\) \['perplexity'\]"):
        data.load_table("wikitext103")
    _write(tmp_path, "wikitext103", "model,perplexity,source,note\nChinchilla,7.16 ppl,x,\n")
    with pytest.raises(ValueError, match="should hold numbers"):
        data.load_table("wikitext103")
    _write(tmp_path, "wikitext103", "model,perplexity,source,note\n")
    with pytest.raises(ValueError, match="no rows"):
        data.load_table("wikitext103")


def test_isoflop_budgets_rejects_a_damaged_file(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_data_dir", lambda: tmp_path)
    _write(tmp_path, "isoflop_budgets", "budget_index,flops,source,note\n1,6e18,x,\n")
    with pytest.raises(ValueError, match="9 positive budgets"):
        data.isoflop_budgets()


def test_missing_data_package_is_a_clear_error(monkeypatch):
    from chinchilla_utils.datasets import _files

    monkeypatch.setattr(_files, "DATA_PACKAGE", "chinchilla_utils._no_such_data")
    with pytest.raises(FileNotFoundError, match="not installed; reinstall"):
        data.load_table("table1_models")


def test_table_a3_flags_its_one_typo_in_a_column():
    """Issue 7 item 2: the typo row is a boolean column, not a word searched for in the notes."""
    table = data.table_a3()
    assert table["typo"].dtype == bool
    flagged = table[table["typo"]]
    assert flagged[["approach", "params", "flops"]].values.tolist() == [
        ["approach_3", 1.75e11, 1.26e24]
    ]
    # The flag agrees with the arithmetic: only that row's FLOPs are 10x off 6 N D.
    ratio = 6 * table["params"] * table["tokens"] / table["flops"]
    assert ((ratio - 10).abs() < 0.1).tolist() == table["typo"].tolist()


def test_a_flag_column_that_is_not_true_or_false_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_data_dir", lambda: tmp_path)
    header = "approach,params,flops,tokens,typo,source,note\n"
    _write(tmp_path, "tablea3_approach2_3_optimal", header + "approach_2,4e8,1.8e19,7.7e9,yes,x,\n")
    with pytest.raises(ValueError, match=r"\['typo'\] should hold True or False"):
        data.table_a3()
