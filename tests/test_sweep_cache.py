"""The sweep's run cache: invalid run files, a missing torch, an unwritable cache folder.

A run file counts as finished only if it parses and carries every field; an invalid one
(partial or corrupt JSON, a field missing) is moved aside, never deleted, and trained again
with a warning naming it, and assembling names it instead of dying with a bare ``KeyError``
or ``JSONDecodeError``. A missing torch and an unwritable cache are refused before anything
trains. The ``sweep``-marked tests train the ``smoke`` plan (seconds; torch needed).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from chinchilla_utils.sweep.corpus import load_corpus
from chinchilla_utils.sweep.plans import get_plan


@pytest.fixture(scope="module")
def corpus_sha() -> str:
    return load_corpus().sha256_train


@pytest.fixture(scope="module")
def smoke_cache(tmp_path_factory) -> Path:
    """A complete cache of the smoke plan, trained once by the process pool (read-only use)."""
    from chinchilla_utils.sweep.runner import run_plan

    root = tmp_path_factory.mktemp("smoke-cache")
    run_plan("smoke", jobs=2, out_dir=root / "out", cache_dir=root / "cache", progress=False)
    return root / "cache"


def _copy(cache: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "cache"
    shutil.copytree(cache, dest)
    return dest


def _smallest_two(corpus_sha: str):
    specs = sorted(get_plan("smoke"), key=lambda s: (s.budget, s.shape.d_model))[:2]
    return [(s, f"{s.key(corpus_sha)}.json") for s in specs]


@pytest.mark.sweep
def test_invalid_run_files_are_moved_aside_and_trained_again(smoke_cache, corpus_sha, tmp_path):
    from chinchilla_utils.sweep.runner import run_plan

    cache = _copy(smoke_cache, tmp_path)
    (spec_a, name_a), (spec_b, name_b) = _smallest_two(corpus_sha)
    original = {name: json.loads((cache / name).read_text()) for name in (name_a, name_b)}
    # A: cut off half-way through (a partial write); B: parses, but a field is missing.
    partial = (cache / name_a).read_bytes()[: (cache / name_a).stat().st_size // 2]
    (cache / name_a).write_bytes(partial)
    no_val = {k: v for k, v in original[name_b].items() if k != "val_loss"}
    (cache / name_b).write_text(json.dumps(no_val))
    incomplete = (cache / name_b).read_bytes()

    with pytest.warns(UserWarning) as record:
        summary = run_plan(
            "smoke", jobs=2, out_dir=tmp_path / "out", cache_dir=cache, progress=False
        )
    messages = [str(w.message) for w in record]
    assert any(name_a in m and "moved aside" in m for m in messages), messages
    assert any(name_b in m and "val_loss" in m for m in messages), messages
    assert summary.n_executed == 2 and summary.n_skipped == len(get_plan("smoke")) - 2
    # Trained again, with the same numbers (same seed, same thread count).
    for name in (name_a, name_b):
        again = json.loads((cache / name).read_text())
        for field in ("loss", "val_loss", "step", "val_step"):
            assert again[field] == original[name][field], (name, field)
    # Moved aside, not deleted: the invalid bytes are still in the cache folder, renamed.
    aside = {p.name: p.read_bytes() for p in cache.iterdir() if p.name.endswith(".invalid-1")}
    assert aside == {f"{name_a}.invalid-1": partial, f"{name_b}.invalid-1": incomplete}


@pytest.mark.sweep
@pytest.mark.parametrize("damage", ["partial", "missing_field", "wrong_key", "short_curve"])
def test_assembling_names_an_invalid_run_file(smoke_cache, corpus_sha, tmp_path, damage):
    from chinchilla_utils.sweep.runner import assemble_plan

    cache = _copy(smoke_cache, tmp_path)
    (_, name), _ = _smallest_two(corpus_sha)
    path = cache / name
    text = path.read_text()
    record = json.loads(text)
    if damage == "partial":
        path.write_text(text[: len(text) // 3])
    elif damage == "missing_field":
        del record["warmup_steps"]
        path.write_text(json.dumps(record))
    elif damage == "wrong_key":  # a file copied under another run's name
        record["key"] = "0" * 20
        path.write_text(json.dumps(record))
    else:  # curves that stop before the run's last step
        record["step"], record["loss"] = record["step"][:-1], record["loss"][:-1]
        path.write_text(json.dumps(record))
    before = path.read_bytes()
    with pytest.raises(ValueError, match=name) as info:
        assemble_plan("smoke", tmp_path / "out", cache)
    assert "python -m chinchilla_utils.sweep --plan smoke" in str(info.value)
    assert not isinstance(info.value, json.JSONDecodeError)
    # Assembling only reads the cache: the file is left where it is, unchanged.
    assert path.read_bytes() == before
    assert not (tmp_path / "out" / "runs.csv").exists()


def test_a_missing_torch_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    from chinchilla_utils.sweep.__main__ import main
    from chinchilla_utils.sweep.runner import run_plan

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chinchilla_utils\[sweep\]"'):
        run_plan("smoke", jobs=1, out_dir=tmp_path / "out", cache_dir=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []
    code = main(["--plan", "smoke", "--cache", str(tmp_path), "--out", str(tmp_path / "o")])
    assert code != 0
    assert 'pip install "chinchilla_utils[sweep]"' in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["under_a_file", "a_file"])
def test_an_unwritable_cache_is_found_before_anything_trains(monkeypatch, tmp_path, kind):
    from chinchilla_utils.sweep import runner

    def must_not_train(*args, **kwargs):
        raise AssertionError("training started before the cache folder was checked")

    monkeypatch.setitem(runner.BACKENDS, "process", must_not_train)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cache = blocker / "cache" if kind == "under_a_file" else blocker
    with pytest.raises(OSError, match="--cache") as info:
        runner.run_plan("smoke", jobs=1, out_dir=tmp_path / "out", cache_dir=cache, progress=False)
    assert str(cache) in str(info.value)
    assert blocker.read_text() == "not a folder"
