"""Tests for chinchilla_utils.book.projections (Table 3 regenerated; Section 3.4 text; Chapter 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.book.projections import (
    PROJECTION_COLUMNS,
    SECTION34_COLUMNS,
    projection_max_rel_diff,
    projection_table,
    section34_comparison,
)
from chinchilla_utils.constants import GOPHER_FLOPS
from chinchilla_utils.datasets.paper import load_table, table3_approach1
from chinchilla_utils.fitting.powerlaw import fit_power_law
from chinchilla_utils.laws import ParametricLoss, PowerLawFrontier


def test_projection_reproduces_a_table_made_from_the_same_frontier():
    frontier = PowerLawFrontier(coefficient=0.1, exponent=0.5)
    params = np.array([1e9, 1e10, 1e11])
    flops = (params / 0.1) ** 2
    printed = pd.DataFrame({"params": params, "flops": flops, "tokens": flops / (6 * params)})
    table = projection_table(frontier, printed)
    assert list(table.columns) == list(PROJECTION_COLUMNS)
    np.testing.assert_allclose(table.flops_rel_diff, 0, atol=1e-12)
    np.testing.assert_allclose(table.tokens_rel_diff, 0, atol=1e-12)
    np.testing.assert_allclose(table.gopher_units_book, flops / GOPHER_FLOPS)


def test_projection_of_table3_anchored_on_gopher_row():
    t3 = table3_approach1()
    frontier = PowerLawFrontier.from_anchor(6.7e10, GOPHER_FLOPS, 0.50)
    table = projection_table(frontier, t3)
    gopher = table[np.isclose(table.params, 6.7e10)].iloc[0]
    assert gopher.flops_rel_diff == pytest.approx(0, abs=1e-12)
    # 400M: 5.76e23 * (0.4 / 67)^2 = 2.053e19 against the printed 1.92e19.
    assert table.flops_book.iloc[0] == pytest.approx(5.76e23 * (4e8 / 6.7e10) ** 2)
    assert table.flops_rel_diff.iloc[0] == pytest.approx(2.0531e19 / 1.92e19 - 1, rel=1e-3)
    # README item 11: the 67B row's printed tokens are ~4.7% above C / (6N).
    assert gopher.tokens_6nd_rel_diff == pytest.approx(1.4328e12 / 1.5e12 - 1, rel=1e-3)


def test_table3_rows_follow_one_power_law_except_the_rounded_gopher_row():
    t3 = table3_approach1()
    line = fit_power_law(t3.flops.to_numpy(float), t3.params.to_numpy(float)).to_frontier()
    table = projection_table(line, t3)
    gopher = np.isclose(table.flops_paper, GOPHER_FLOPS)
    assert table.loc[~gopher, "flops_rel_diff"].abs().max() < 0.01
    assert table.loc[gopher, "flops_rel_diff"].iloc[0] < -0.02


def test_projection_rejects_bad_input():
    frontier = PowerLawFrontier(0.1, 0.5)
    with pytest.raises(ValueError, match="tokens"):
        projection_table(frontier, pd.DataFrame({"params": [1e9], "flops": [1e20]}))
    with pytest.raises(ValueError, match="flops_for_n_opt"):
        projection_table(object(), table3_approach1())
    with pytest.raises(ValueError, match="params"):
        projection_table(
            frontier, pd.DataFrame({"params": [-1.0], "flops": [1e20], "tokens": [1e9]})
        )


def test_section34_text_disagrees_with_table3():
    s34 = section34_comparison(load_table("section34_text_claims"), table3_approach1())
    assert list(s34.columns) == list(SECTION34_COLUMNS)
    row_175b = s34[np.isclose(s34.params, 1.75e11)].iloc[0]
    assert row_175b.flops_text_vs_table == pytest.approx(4.41 / 3.85 - 1)
    row_1t = s34[np.isclose(s34.params, 1e12)].iloc[0]
    # "over 250x" the Gopher budget, yet 1e26 FLOPs is only ~174x of 5.76e23.
    assert row_1t.gopher_units_text == 250
    assert row_1t.gopher_units_of_text_flops == pytest.approx(1e26 / 5.76e23)
    assert row_1t.gopher_units_table == pytest.approx(221.3)


def test_section34_needs_matching_table_rows():
    claims = load_table("section34_text_claims")
    table = table3_approach1()
    with pytest.raises(ValueError, match="no row"):
        section34_comparison(claims, table[~np.isclose(table.params, 2.8e11)])


def test_table_a3_regenerated_from_a_law_inverts_its_frontier():
    law = ParametricLoss.paper_unrounded()
    column = projection_table({"u": law}, "approach_3")
    assert list(column.columns) == list(PROJECTION_COLUMNS)
    assert len(column) == 9 and set(column["law"]) == {"u"}
    # at the regenerated budget the law's optimal size is the printed size
    flops = column["flops_book"].to_numpy()
    np.testing.assert_allclose(law.n_opt(flops), column["params"], rtol=1e-10)
    np.testing.assert_allclose(column["tokens_book"], law.d_opt(flops), rtol=1e-10)


def test_table_a3_typo_row_is_flagged_and_left_out_of_the_maximum():
    """Issue 7 item 2: one Table 3 / A3 function, the typo read from the data's column."""
    column = projection_table(
        {"rounded": ParametricLoss.paper("rounded"), "unrounded": ParametricLoss.paper()},
        "approach_3",
    )
    typo = column[column["typo"] & (column["law"] == "rounded")]
    assert typo["params"].tolist() == [1.75e11]
    assert typo["flops_6nd_paper"].iloc[0] == pytest.approx(10 * typo["flops_paper"].iloc[0])
    diff = projection_max_rel_diff(column)
    assert list(diff.index) == ["rounded", "unrounded"]
    # data/README.md item 9: rounded ~1.6-2.2x off, unrounded under 20% at worst
    assert 1.0 < diff["rounded"] < 1.3
    assert 0.15 < diff["unrounded"] < 0.2
    # with the typo row the 10x error dominates
    assert projection_max_rel_diff(column, skip_typo=False)["unrounded"] > 9


def test_one_law_is_labelled_by_its_name_and_fits_are_read_through_frontier():
    frontier = PowerLawFrontier.paper("approach_2")
    table = projection_table(frontier, "approach_2")
    assert set(table["law"]) == {"Approach 2 (paper)"}
    assert not table["typo"].any()
    # the anchored frontier meets Table A3's 67B row exactly
    row = table[np.isclose(table["params"], 6.7e10)].iloc[0]
    assert row["flops_rel_diff"] == pytest.approx(0, abs=1e-12)
    # Table A3 prints no Gopher units: the printed FLOPs are expressed in them
    assert row["gopher_units_paper"] == pytest.approx(6.88e23 / GOPHER_FLOPS)


def test_projection_max_rel_diff_validates():
    column = projection_table(PowerLawFrontier.paper("approach_1"))
    with pytest.raises(ValueError, match="quantity"):
        projection_max_rel_diff(column, quantity="params")
    with pytest.raises(ValueError, match="lacks column"):
        projection_max_rel_diff(pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="did you mean 'approach_2'"):
        projection_table(PowerLawFrontier.paper("approach_1"), "approach2")
