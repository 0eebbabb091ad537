"""Tests of chinchilla_utils.book.errata (the errata page's arithmetic).

Each erratum is checked against the numbers the paper prints, worked out by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from chinchilla_utils.book import errata as er
from chinchilla_utils.datasets.epoch_ai import load_epoch_points


def test_table_a3_typo_is_a_factor_of_ten():
    typo = er.table_a3_typo()
    assert (typo.params, typo.tokens, typo.printed_flops) == (1.75e11, 1.2e13, 1.26e24)
    assert typo.implied_flops == pytest.approx(6 * 1.75e11 * 1.2e13, rel=1e-12)
    assert typo.ratio == pytest.approx(10.0, rel=1e-12)
    # The printed value breaks an otherwise increasing column; 6ND fits between its neighbours.
    assert typo.printed_flops < typo.previous_flops < typo.implied_flops < typo.next_flops


def test_section34_claims_against_table3():
    claims = er.section34_claims()
    assert list(claims.table.index) == [1.75e11, 2.8e11, 1.0e12]
    assert claims.table.loc[1.75e11, "flops_text"] == 4.41e24
    assert claims.table.loc[1.75e11, "flops_table"] == 3.85e24
    assert claims.table.loc[2.8e11, "tokens_table"] == 5.9e12
    assert claims.text_gopher_units_1t == 250
    assert claims.table_gopher_units_1t == 221.3
    assert claims.text_flops_in_gopher_units_1t == pytest.approx(1e26 / 5.76e23)


def test_approach3_constants_miss_table2_and_table_a3():
    check = er.approach3_consistency()
    assert check.a_rounded == pytest.approx(0.28 / (0.34 + 0.28), rel=1e-12)
    for a in (check.a_rounded, check.a_unrounded):
        assert not check.a_p10 <= a <= check.a_p90
    assert check.n_opt_unrounded_b == pytest.approx(40.0, rel=0.02)
    assert check.n_opt_rounded_b < 35
    assert 1.5 < check.a3_ratio_rounded_min < check.a3_ratio_rounded_max < 2.3
    assert 1.0 < check.a3_ratio_unrounded_min < check.a3_ratio_unrounded_max < 1.2


def test_rounded_tokens_deviations():
    rounded = er.rounded_tokens()
    assert len(rounded.table) == 9 + 18 - 1  # Table 3, Table A3, the typo row left out
    by_row = rounded.table.set_index(["table", "approach", "params"])["6ND / printed - 1 (%)"]
    assert by_row[("Table 3", "approach_1", 6.7e10)] == pytest.approx(
        100 * (6 * 6.7e10 * 1.5e12 / 5.76e23 - 1)
    )
    assert rounded.max_deviation_pct == pytest.approx(4.6875)
    assert rounded.n_over_3pct == 3


def test_study_ranges_language_modelling_and_budgets():
    ranges = er.study_ranges()
    assert (ranges.tokens_min, ranges.tokens_max) == (5e9, 5e11)
    assert ranges.smallest_a9_params == 44e6 < ranges.params_min == 7e7
    lm = er.language_modelling_count()
    assert (lm.table5_count, lm.n_pile_subsets, lm.n_with_wikitext) == (20, 19, 20)
    budgets = er.isoflop_budgets()
    assert (budgets.n_budgets, budgets.min_flops, budgets.max_flops) == (9, 6e18, 3e21)
    assert (budgets.text_n_budgets, budgets.text_min_flops, budgets.text_max_flops) == (
        9,
        6e18,
        3e21,
    )


def test_epoch_token_range_known_answer_on_a_small_frame():
    n_params = 1e9
    tokens = [1e9, 4.99e9, 5e9, 2e11, 6e11]
    points = pd.DataFrame({"n_params": n_params, "flops": [6 * n_params * d for d in tokens]})
    result = er.epoch_token_range(points)
    assert (result.n_points, result.n_below_min, result.n_above_max) == (5, 2, 1)
    assert result.min_tokens == pytest.approx(1e9) and result.max_tokens == pytest.approx(6e11)
    assert result.share_below_min_pct == pytest.approx(40.0)


def test_epoch_token_range_rejects_a_frame_without_the_columns():
    with pytest.raises(ValueError, match="points"):
        er.epoch_token_range(pd.DataFrame({"n_params": [1.0]}))
    with pytest.raises(ValueError, match="no rows"):
        er.epoch_token_range(pd.DataFrame({"n_params": [], "flops": []}))


def test_epoch_points_below_the_abstracts_five_billion(epoch_data_dir, monkeypatch):
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(epoch_data_dir))
    result = er.epoch_token_range(load_epoch_points())
    assert (result.n_points, result.n_below_min, result.n_above_max) == (245, 38, 0)
    assert result.min_tokens < 3e8


def test_kaplan_restatement_fits_the_exponents_only_loosely():
    kaplan = er.kaplan_restatement()
    assert kaplan.implied_param_growth == pytest.approx(10**0.73)
    assert kaplan.implied_token_growth == pytest.approx(10**0.27)
    assert (kaplan.printed_param_growth, kaplan.printed_token_growth) == (5.5, 1.8)
    assert abs(kaplan.implied_param_growth - 5.5) > 0.1
    assert kaplan.b_star == 2.1e8
