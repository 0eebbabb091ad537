"""Tests for chinchilla_utils.book.status: the intro page's reproduction-status table."""

from __future__ import annotations

import pandas as pd
import pytest

from chinchilla_utils.book import status
from chinchilla_utils.book.status import (
    CAVEAT,
    NOT_REPRODUCIBLE,
    REPRODUCED,
    STATUSES,
    ItemStatus,
    reproduction_status,
    status_table,
)

PAPER_ITEMS = [
    "Table 1",
    "Table 2",
    "Table 3",
    "Table 4",
    "Table 6",
    "Table 7",
    "Table 8",
    "Table 9",
    "Table 10",
    "Table A3",
    "Table A4",
    "Table A9",
    "Figure 1",
    "Figure 2",
    "Figure 3",
    "Figure 4",
]


@pytest.fixture(scope="module")
def statuses():
    return {s.item: s for s in reproduction_status()}


def test_every_paper_item_has_a_valid_status_and_chapter(statuses):
    assert list(statuses) == PAPER_ITEMS
    for item in statuses.values():
        assert item.status in STATUSES
        assert item.chapter in status.CHAPTERS.values()
        assert item.reason


def test_known_answers(statuses):
    assert statuses["Table A4"].status == REPRODUCED
    assert statuses["Table A4"].metric < 0.01
    assert statuses["Table A9"].status == CAVEAT  # six rows with n_heads x kv_size != d_model
    assert statuses["Table 1"].metric == pytest.approx(5.04e23 / 5.76e23 - 1)
    assert statuses["Table 2"].status == CAVEAT  # a from Eq. 10 outside Table 2's interval
    assert statuses["Table A3"].status == CAVEAT
    assert 0.1 < statuses["Table A3"].metric < 0.3  # "up to almost 20% at 10T"
    assert statuses["Table 6"].metric == pytest.approx(0.6, abs=0.05)  # Gopher 60.6 vs 60.0
    assert statuses["Figure 2"].status == NOT_REPRODUCIBLE
    assert statuses["Figure 4"].metric == pytest.approx(40e9, rel=0.05)  # caption: 40B


def test_table_a4_check_fails_when_the_ratios_do_not_match(monkeypatch):
    shifted = status.data.table_a4().assign(
        flops_ratio_vs_6nd=lambda df: df["flops_ratio_vs_6nd"] + 0.05
    )
    monkeypatch.setattr(status.data, "table_a4", lambda: shifted)
    result = status.check_table_a4()
    assert result.status == NOT_REPRODUCIBLE
    assert result.metric == pytest.approx(0.05, abs=0.01)


def test_figures_without_epoch_data(monkeypatch):
    monkeypatch.setattr(status, "_epoch_points", lambda: None)
    assert status.check_figure3().status == NOT_REPRODUCIBLE
    assert status.check_figure4().status == NOT_REPRODUCIBLE


def test_figure3_counts_assigned_points():
    points = pd.DataFrame({"isoflop_budget": [6e18, float("nan"), 1e19]})
    result = status.check_figure3(points)
    assert result.status == CAVEAT
    assert result.metric == 2


def test_item_status_rejects_unknown_status():
    with pytest.raises(ValueError, match="status"):
        ItemStatus("x", "X", "notebooks/x", "done", "why")


def test_status_table_columns(statuses):
    table = status_table(list(statuses.values()))
    assert list(table.columns) == ["item", "chapter", "status", "reason"]
    assert len(table) == len(PAPER_ITEMS)
