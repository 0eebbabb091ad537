"""Tests for chinchilla_utils.datasets._files: the manifest of shipped CSVs and checked reading.

Issue 13 item 5: the shipped tables had no integrity check (alpha 0.34 changed to 0.84 in a copy
of ``approach3_constants.csv`` loaded silently). Also from issue 13: truncated or empty CSVs
gave pandas errors that named no file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chinchilla_utils.datasets import _files, paper
from chinchilla_utils.datasets import epoch_ai as epoch
from chinchilla_utils.datasets import sweep as sweep_data
from chinchilla_utils.datasets._files import (
    MANIFEST_NAME,
    DataChecksumError,
    data_dir,
    manifest_files,
    read_manifest,
    verify_shipped,
    write_manifest,
)

ROOT = Path(__file__).resolve().parents[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of the shipped tables and their manifest, which the paper loaders then read."""
    folder = tmp_path / "data"
    folder.mkdir()
    for path in data_dir().glob("*.csv"):
        shutil.copy(path, folder / path.name)
    shutil.copy(data_dir() / MANIFEST_NAME, folder / MANIFEST_NAME)
    monkeypatch.setattr(paper, "_data_dir", lambda: folder)
    return folder


def test_tampered_table_is_refused(data_copy):
    """Issue 13 item 5: alpha 0.34 -> 0.84 in a copy of approach3_constants.csv loaded silently."""
    target = data_copy / "approach3_constants.csv"
    text = target.read_text(encoding="utf-8")
    assert ",0.34," in text
    target.write_text(text.replace(",0.34,", ",0.84,", 1), encoding="utf-8")
    with pytest.raises(DataChecksumError) as info:
        paper.approach3_constants()
    message = str(info.value)
    assert str(target) in message
    assert _sha256(target) in message  # the file's hash
    assert _sha256(data_dir() / "approach3_constants.csv") in message  # the recorded one
    assert "git checkout -- data/approach3_constants.csv" in message
    assert "make manifest" in message


def test_untouched_copy_loads(data_copy):
    constants = paper.approach3_constants().set_index("variant")
    assert constants.loc["published_rounded", "alpha"] == 0.34
    assert len(paper.available_tables()) == len(list(data_dir().glob("*.csv")))


def test_shipped_manifest_is_current():
    """Every shipped CSV is listed with its current hash; `make manifest` after a change."""
    recorded = read_manifest(data_dir())
    assert sorted(recorded) == manifest_files(data_dir())
    stale = [name for name, digest in recorded.items() if _sha256(data_dir() / name) != digest]
    assert not stale, f"data/{MANIFEST_NAME} is stale for {stale}: run `make manifest`"
    assert "approach3_constants.csv" in recorded and "sweep/lr_calibration.csv" in recorded
    # the sweep's results are recorded by sweep_meta.json (and checked by its loaders)
    assert "sweep/runs.csv" not in recorded and "sweep/curves.csv" not in recorded


def test_manifest_ships_in_the_wheel():
    """pyproject's package-data for chinchilla_utils._data has a pattern matching the manifest."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split('"chinchilla_utils._data" = [', 1)[1].split("]", 1)[0]
    patterns = [item.strip().strip('"') for item in block.split(",") if item.strip()]
    assert "*.csv" in patterns  # the block was found
    assert any(fnmatch.fnmatch(MANIFEST_NAME, pattern) for pattern in patterns), patterns


def test_manifest_is_sha256sum_format(tmp_path):
    (tmp_path / "a.csv").write_text("x,source,note\n1,s,\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.csv").write_text("y\n2\n", encoding="utf-8")
    (tmp_path / "sub" / "runs.csv").write_text("z\n3\n", encoding="utf-8")
    (tmp_path / "sub" / "sweep_meta.json").write_text(json.dumps({"sha256": {"runs.csv": "0"}}))
    (tmp_path / "notes.md").write_text("not a table")
    manifest = write_manifest(tmp_path)
    assert manifest == tmp_path / MANIFEST_NAME
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert lines == [
        f"{_sha256(tmp_path / 'a.csv')}  a.csv",
        f"{_sha256(tmp_path / 'sub' / 'b.csv')}  sub/b.csv",
    ]
    assert verify_shipped(tmp_path, "sub/b.csv") == tmp_path / "sub" / "b.csv"


def test_make_manifest_entry_point(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    assert _files.main([str(tmp_path)]) == 0
    assert "1 files" in capsys.readouterr().out
    assert read_manifest(tmp_path) == {"a.csv": _sha256(tmp_path / "a.csv")}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "python -m chinchilla_utils.datasets._files data" in makefile
    assert "\nmanifest:" in makefile


def test_unlisted_and_missing_manifest(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="make manifest"):
        verify_shipped(tmp_path, "a.csv")
    write_manifest(tmp_path)
    (tmp_path / "new.csv").write_text("y\n2\n", encoding="utf-8")
    with pytest.raises(DataChecksumError, match="not listed in .*make manifest"):
        verify_shipped(tmp_path, "new.csv")
    (tmp_path / MANIFEST_NAME).write_text("nonsense\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1 is not"):
        verify_shipped(tmp_path, "a.csv")


def test_each_file_is_hashed_once_per_process(data_copy, monkeypatch):
    calls = []
    real = _files._hash_file

    def counting(path):
        calls.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(_files, "_hash_file", counting)
    for _ in range(3):
        paper.table1_models()
    assert calls == ["table1_models.csv"]
    target = data_copy / "table1_models.csv"
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(DataChecksumError):  # a change on disk is seen: hashed again
        paper.table1_models()
    assert calls == ["table1_models.csv"] * 2


# --- empty and truncated CSVs name the file (issue 13, errors that do not name the fix) ---------

BROKEN = {
    "empty": lambda header: "",
    "unclosed quote": lambda header: f'{header}\n1,2,"Table A5,\n',
    "too many fields": lambda header: f"{header}\n1,2,x,\n1,2,x,,extra,more\n",
}


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_table_names_the_file(tmp_path, monkeypatch, kind):
    """Issue 13: an empty or truncated table raised pandas' EmptyDataError/ParserError, no path."""
    monkeypatch.setattr(paper, "_data_dir", lambda: tmp_path)
    text = BROKEN[kind]("model,perplexity,source,note")
    (tmp_path / "wikitext103.csv").write_text(text, encoding="utf-8")
    write_manifest(tmp_path)  # a deliberate change, recorded: the parse itself must fail
    with pytest.raises(ValueError, match="wikitext103.csv") as info:
        paper.load_table("wikitext103")
    assert "git checkout -- data/wikitext103.csv" in str(info.value)
    assert not isinstance(info.value, pd.errors.ParserError | pd.errors.EmptyDataError)


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_epoch_file_names_the_file(tmp_path, kind):
    """Issue 13: the same for a copy of Epoch AI's file read without its checksum."""
    path = tmp_path / "points.csv"
    path.write_text(BROKEN[kind]("Model Size,Training FLOP,loss,note"), encoding="utf-8")
    with pytest.raises(ValueError, match=str(path)) as info:
        epoch.load_epoch_points(path=path, verify_checksum=False)
    assert epoch.EPOCH_URL in str(info.value)
    assert not isinstance(info.value, pd.errors.ParserError | pd.errors.EmptyDataError)


def test_non_text_file_names_the_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes(b"Model Size,Training FLOP,loss\n\xff\xfe\x00\x81,1,2\n")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        epoch.load_epoch_points(path=path, verify_checksum=False)


# --- the sweep loaders check sweep_meta.json's hashes (issue 13, item 5) -------------------------


@pytest.fixture
def sweep_copy(tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(sweep_data.SWEEP_DIR, folder)
    return folder


def test_sweep_loaders_refuse_a_tampered_file(sweep_copy):
    """Issue 13 item 5: the sweep loaders did not call verify_sweep_files; a changed loss loaded."""
    runs = sweep_copy / "runs.csv"
    lines = runs.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",", ",9", 1)  # one changed cell in the first run
    runs.write_text("".join(lines), encoding="utf-8")
    recorded = json.loads((sweep_copy / "sweep_meta.json").read_text())["sha256"]["runs.csv"]
    for load in (sweep_data.load_sweep_runs, sweep_data.load_sweep_curves):
        with pytest.raises(DataChecksumError) as info:
            load(sweep_copy)
        message = str(info.value)
        assert str(runs) in message and recorded in message and _sha256(runs) in message
        assert "python -m chinchilla_utils.sweep" in message


def test_sweep_loaders_accept_an_intact_copy(sweep_copy):
    pd.testing.assert_frame_equal(
        sweep_data.load_sweep_runs(sweep_copy), sweep_data.load_sweep_runs()
    )


def test_sweep_folder_without_meta_is_refused(sweep_copy):
    (sweep_copy / "sweep_meta.json").unlink()
    with pytest.raises(FileNotFoundError, match="sweep_meta.json"):
        sweep_data.load_sweep_runs(sweep_copy)
