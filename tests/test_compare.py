"""Tests for chinchilla_utils.book.compare: allocation tables and the Table 2 comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book.compare import (
    ALLOCATION_COLUMNS,
    EXPONENT_COLUMNS,
    compare_exponents,
    optimal_allocation_table,
)
from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets.paper import table2_exponents
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier


def test_allocation_table_matches_laws_and_satisfies_6nd():
    laws = {
        "anchored": PowerLawFrontier.from_anchor(6.7e10, GOPHER_FLOPS, 0.5),
        "parametric": ParametricLoss.paper_unrounded(),
    }
    budgets = np.array([1e20, GOPHER_FLOPS, 1e26])
    table = optimal_allocation_table(laws, budgets)
    assert list(table.columns) == list(ALLOCATION_COLUMNS)
    assert list(table["frontier"]) == ["anchored"] * 3 + ["parametric"] * 3
    for label, law in laws.items():
        rows = table[table["frontier"] == label]
        np.testing.assert_allclose(rows["n_opt"], law.n_opt(budgets), rtol=1e-12)
        np.testing.assert_allclose(rows["d_opt"], law.d_opt(budgets), rtol=1e-12)
        np.testing.assert_allclose(rows["tokens_per_param"], law.tokens_per_param(budgets))
        assert (rows["a"] == law.a).all() and (rows["b"] == law.b).all()
    # every frontier spends exactly its budget under C = 6 N D
    np.testing.assert_allclose(6 * table["n_opt"] * table["d_opt"], table["flops"], rtol=1e-12)


def test_allocation_table_known_answer_at_gopher_budget():
    table = optimal_allocation_table(
        {"a1": PowerLawFrontier.from_anchor(6.7e10, GOPHER_FLOPS, 0.5)}, GOPHER_FLOPS
    )
    assert len(table) == 1
    row = table.iloc[0]
    assert row["n_opt"] == pytest.approx(6.7e10)
    assert row["d_opt"] == pytest.approx(GOPHER_FLOPS / (6 * 6.7e10))
    # a = 0.5: tokens per parameter does not depend on compute (about 21 here)
    other = optimal_allocation_table(
        {"a1": PowerLawFrontier.from_anchor(6.7e10, GOPHER_FLOPS, 0.5)}, 1e19
    )
    assert other["tokens_per_param"].iloc[0] == pytest.approx(row["tokens_per_param"])


@pytest.mark.parametrize(
    ("frontiers", "flops", "match"),
    [
        ({}, 1e20, "non-empty"),
        ([PowerLawFrontier(1.0, 0.5)], 1e20, "dict"),
        ({"bad": object()}, 1e20, "lacks"),
        ({"ok": PowerLawFrontier(1.0, 0.5)}, -1.0, "flops"),
        ({"ok": PowerLawFrontier(1.0, 0.5)}, np.ones((2, 2)), "1-d"),
    ],
)
def test_allocation_table_rejects_bad_input(frontiers, flops, match):
    with pytest.raises(ValueError, match=match):
        optimal_allocation_table(frontiers, flops)


def test_compare_exponents_paper_columns_and_flags():
    table = compare_exponents({})
    assert list(table.columns) == list(EXPONENT_COLUMNS)
    paper = table2_exponents().set_index("approach")
    assert list(table.index) == list(paper.index)
    np.testing.assert_allclose(table["a_paper"], paper["a"])
    # data/README.md item 10: Approach 1's printed b = 0.50 is below its own (0.501, 0.512)
    assert table.loc["approach_1", "b_paper_in_interval"] is False
    assert table.loc["approach_1", "a_paper_in_interval"] is True
    # item 9: Approach 3's a = 0.46 is outside (0.454, 0.455)
    assert table.loc["approach_3", "a_paper_in_interval"] is False
    assert table.loc["approach_2", "b_paper_in_interval"] is True
    # Kaplan has no interval: unknown, not False
    assert table.loc["kaplan_2020", "a_paper_in_interval"] is pd.NA
    assert table["a_book"].isna().all()


def test_compare_exponents_book_values_and_differences():
    law = PowerLawFrontier(1.0, 0.5126)
    table = compare_exponents({"approach_2": law, "approach_3": None})
    row = table.loc["approach_2"]
    assert row["a_book"] == pytest.approx(0.5126)
    assert row["b_book"] == pytest.approx(1 - 0.5126)
    assert row["a_diff"] == pytest.approx(0.5126 - 0.49)
    assert row["b_diff"] == pytest.approx(1 - 0.5126 - 0.51)
    assert row["a_book_in_interval"] is True  # 0.462 .. 0.534
    assert row["b_book_in_interval"] is True  # 0.483 .. 0.529
    assert np.isnan(table.loc["approach_3", "a_book"])
    rounded = compare_exponents({"approach_2": law}, decimals=2)
    assert rounded.loc["approach_2", "a_diff"] == pytest.approx(0.51 - 0.49)
    assert rounded.loc["approach_2", "a_book"] == pytest.approx(0.5126)


def test_compare_exponents_outside_interval():
    table = compare_exponents({"approach_3": ParametricLoss.paper_unrounded()})
    # the printed constants' own a (0.4565) misses the printed interval (0.454, 0.455)
    assert table.loc["approach_3", "a_book"] == pytest.approx(0.45653, abs=1e-4)
    assert table.loc["approach_3", "a_book_in_interval"] is False


@pytest.mark.parametrize(
    ("book", "kwargs", "match"),
    [
        ({"approach_9": PowerLawFrontier(1.0, 0.5)}, {}, "unknown approach"),
        ([PowerLawFrontier(1.0, 0.5)], {}, "dict"),
        ({"approach_1": object()}, {}, "no a and b"),
        ({}, {"decimals": -1}, "decimals"),
        ({}, {"paper": pd.DataFrame({"x": [1]})}, "approach"),
    ],
)
def test_compare_exponents_rejects_bad_input(book, kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare_exponents(book, **kwargs)
