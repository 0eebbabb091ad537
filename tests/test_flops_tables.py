"""Tests for chinchilla_utils.book.flops_tables: Tables A4 and A9 recounted (chapter 1, status)."""

from __future__ import annotations

import numpy as np

from chinchilla_utils.book import status
from chinchilla_utils.book.flops_tables import (
    TABLE_A4_RECOUNT_COLUMNS,
    TABLE_A9_RECOUNT_COLUMNS,
    table_a4_recount,
    table_a9_recount,
)
from chinchilla_utils.datasets import paper


def test_table_a4_reproduces_under_its_convention_only():
    table = table_a4_recount()
    assert list(table.columns) == list(TABLE_A4_RECOUNT_COLUMNS)
    assert len(table) == len(paper.table_a4())
    # data/README.md item 6: within 0.01 without embedding and final-logit FLOPs, not with them.
    assert table["error_table_a4"].abs().max() < 0.01
    assert table["error_appendix_f"].abs().max() > 0.5
    np.testing.assert_allclose(
        table["error_table_a4"], table["ratio_table_a4"] - table["ratio_printed"]
    )


def test_table_a9_has_six_inconsistent_rows_and_the_rest_count_within_one_percent():
    table = table_a9_recount()
    assert list(table.columns) == list(TABLE_A9_RECOUNT_COLUMNS)
    assert len(table) == 50
    # data/README.md item 7: six rows with n_heads x kv_size != d_model.
    assert int((~table["consistent"]).sum()) == 6
    assert table.loc[table["consistent"], "error_d_model_wide"].abs().max() < 0.01
    assert table.loc[~table["consistent"], "error_d_model_wide"].abs().min() > 0.01


def test_the_status_page_reads_the_same_recount():
    """Issue 7 item 2: status.py calls chapter 1's check functions, not its own copy."""
    assert status.check_table_a4().metric == table_a4_recount()["error_table_a4"].abs().max()
    a9 = table_a9_recount()
    worst = a9.loc[a9["consistent"], "error_d_model_wide"].abs().max()
    assert status.check_table_a9().metric == worst
