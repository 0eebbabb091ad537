"""Tests for chinchilla_utils.book.status: the intro page's reproduction-status table."""

from __future__ import annotations

import pandas as pd
import pytest

from chinchilla_utils.book import status
from chinchilla_utils.book.status import (
    CAVEAT,
    NOT_REPRODUCED,
    NOT_REPRODUCIBLE,
    REPRODUCED,
    STATUSES,
    TRANSCRIBED,
    ItemStatus,
    not_recomputed_table,
    reproduction_status,
    status_counts,
    status_table,
)
from chinchilla_utils.datasets.epoch_ai import load_epoch_points

PAPER_ITEMS = [
    "Table 1",
    "Table 2, Approach 1",
    "Table 2, Approach 2",
    "Table 2, Approach 3",
    "Table 2, Kaplan et al.",
    "Table 3",
    "Table 4",
    "Table 6",
    "Table 7",
    "Table 8",
    "Table 9",
    "Table 10",
    "Table A3, Approach 2",
    "Table A3, Approach 3",
    "Table A4",
    "Table A9",
    "Figure 1",
    "Figure 2",
    "Figure 3",
    "Figure 4",
    "Appendix D.2, the Huber delta by held-out prediction",
    "Section 1, Kaplan et al. restated (10x compute: 5.5x parameters, 1.8x tokens)",
]


@pytest.fixture(scope="module")
def epoch_points(epoch_data_dir):
    return load_epoch_points(path=epoch_data_dir / "svg_extracted_data.csv")


@pytest.fixture(scope="module")
def statuses(epoch_points, monkeypatch_module):
    monkeypatch_module.setattr(status, "_epoch_points", lambda: epoch_points)
    return {s.item: s for s in reproduction_status()}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_paper_item_has_a_valid_status_and_chapter(statuses):
    assert list(statuses) == PAPER_ITEMS
    assert len({s.key for s in statuses.values()}) == len(PAPER_ITEMS)
    for item in statuses.values():
        assert item.status in STATUSES
        assert item.chapter in status.CHAPTERS.values()
        assert item.reason


def test_known_answers(statuses):
    # Table A4 comes out only under a stated counting convention: a caveat, not "reproduced"
    assert statuses["Table A4"].status == CAVEAT
    assert statuses["Table A4"].metric < 0.01
    assert "0.55" in statuses["Table A4"].reason  # Appendix F's own count misses by 0.55
    assert statuses["Table A9"].status == CAVEAT  # six rows with n_heads x kv_size != d_model
    assert statuses["Table 1"].metric == pytest.approx(5.04e23 / 5.76e23 - 1)
    assert statuses["Table 4"].status == REPRODUCED
    assert statuses["Table 6"].metric == pytest.approx(0.6, abs=0.05)  # Gopher 60.6 vs 60.0
    assert statuses["Figure 2"].status == NOT_REPRODUCIBLE
    assert statuses["Figure 4"].metric == pytest.approx(40e9, rel=0.05)  # caption: 40B


def test_table2_is_graded_per_approach(statuses):
    one, two, three = (statuses[f"Table 2, Approach {k}"] for k in (1, 2, 3))
    assert one.status == NOT_REPRODUCIBLE and one.metric == pytest.approx(0.001)  # b below p10
    assert two.status == CAVEAT  # Epoch's points, flagged runs out: inside the interval
    assert two.metric == pytest.approx(0.5104, abs=1e-4)
    assert three.status == NOT_REPRODUCED  # a of the paper's own constants, 0.4565
    assert three.metric == pytest.approx(0.4565259, abs=1e-7)
    assert statuses["Table 2, Kaplan et al."].status == TRANSCRIBED


def test_table_a3_is_graded_per_column(statuses):
    two, three = statuses["Table A3, Approach 2"], statuses["Table A3, Approach 3"]
    assert two.status == NOT_REPRODUCED and 0.4 < two.metric < 0.5  # 47% at 10T
    assert "25%" in two.reason and "8%" in two.reason  # every run kept; Table 2's own line
    assert three.status == NOT_REPRODUCED and 0.1 < three.metric < 0.3  # "almost 20% at 10T"


def test_transcribed_tables_are_not_called_reproduced(statuses):
    for item in ("Table 7", "Table 8", "Table 9", "Table 10"):
        assert statuses[item].status == TRANSCRIBED
        assert statuses[item].reason.startswith("transcribed")
    assert "disagrees" in statuses["Table 9"].reason  # Natural Questions, text vs table


def test_table_a4_check_fails_when_the_ratios_do_not_match(monkeypatch):
    shifted = status.data.table_a4().assign(
        flops_ratio_vs_6nd=lambda df: df["flops_ratio_vs_6nd"] + 0.05
    )
    monkeypatch.setattr(status.data, "table_a4", lambda: shifted)
    result = status.check_table_a4()
    assert result.status == NOT_REPRODUCED
    assert result.metric == pytest.approx(0.05, abs=0.01)


def test_projection_grades():
    assert status._projection_status(0.005) == REPRODUCED
    assert status._projection_status(0.05) == CAVEAT
    assert status._projection_status(0.25) == NOT_REPRODUCED


def test_checks_without_epoch_data(monkeypatch):
    monkeypatch.setattr(status, "_epoch_points", lambda: None)
    for check in (
        status.check_figure3,
        status.check_figure4,
        status.check_table2_approach2,
        status.check_table_a3_approach2,
    ):
        assert check().status == NOT_REPRODUCIBLE


def test_figure3_counts_assigned_points():
    points = pd.DataFrame({"isoflop_budget": [6e18, float("nan"), 1e19]})
    result = status.check_figure3(points)
    assert result.status == CAVEAT
    assert result.metric == 2


def test_item_status_rejects_unknown_status():
    with pytest.raises(ValueError, match="status"):
        ItemStatus("x", "X", "notebooks/x", "done", "why")


def test_status_table_and_counts(statuses):
    rows = list(statuses.values())
    table = status_table(rows)
    assert list(table.columns) == ["item", "status", "chapter", "reason"]
    assert len(table) == len(PAPER_ITEMS)
    assert table.loc[0, "chapter"] == "01_flops_budgeting"
    counts = status_counts(rows)
    assert counts.n_items == len(PAPER_ITEMS)
    assert (
        counts.n_reproduced
        + counts.n_caveat
        + counts.n_not_reproduced
        + counts.n_not_reproducible
        + counts.n_transcribed
    ) == counts.n_items
    assert counts.n_transcribed == 5 and counts.n_not_reproduced == 3


def test_not_recomputed_lists_the_items_outside_the_table(statuses):
    table = not_recomputed_table()
    assert list(table.columns) == ["item", "what", "why"]
    assert {"Table A2", "Table 5", "Figure 5", "Figure A1", "Figure A5"} <= set(table["item"])
    assert not set(table["item"]) & set(statuses)  # no item is both graded and not recomputed
    assert table["why"].str.len().min() > 20


def test_later_chapters_have_their_rows():
    """The held-out and counting-conventions chapters each answer one of the paper's claims."""
    statuses = {s.key: s for s in reproduction_status()}
    assert statuses["appendix_d2_heldout"].chapter.endswith("07_heldout_prediction")
    assert statuses["appendix_d2_heldout"].metric == 1e-3
    kaplan = statuses["kaplan_restatement"]
    assert kaplan.chapter.endswith("08_counting_conventions")
    assert kaplan.metric == pytest.approx(10**0.73 - 5.5)
