"""Tests for chinchilla_utils.datasets.epoch_ai: finding, verifying and tidying Epoch AI's points.

Data: Besiroglu et al. (2024), extracted from Figure 4 of Hoffmann et al. (2022). Tests that
need the real file use the ``epoch_data_dir`` fixture (which fails when it is absent); the
download is always mocked: no test touches the network.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chinchilla_utils.datasets import epoch_ai as epoch
from chinchilla_utils.datasets.epoch_ai import (
    EPOCH_SHA256,
    EPOCH_URL,
    DataChecksumError,
    DataUnavailableError,
    epoch_data_path,
    flag_outliers,
    load_epoch_points,
)
from chinchilla_utils.datasets.paper import isoflop_budgets

COLUMNS = [
    "n_params", "flops", "n_tokens", "loss", "isoflop_budget", "budget_distance_dex",
    "outlier", "outlier_reason",
]  # fmt: skip


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $CHINCHILLA_DATA_DIR, an empty cache under tmp_path, and no network."""
    monkeypatch.delenv("CHINCHILLA_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []

    def offline(url, timeout=None):
        calls.append(url)
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return calls


@pytest.fixture
def real_bytes(epoch_data_dir):
    return (epoch_data_dir / epoch.EPOCH_FILENAME).read_bytes()


def _serve(monkeypatch, payload: bytes) -> list[str]:
    calls = []

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        return io.BytesIO(payload)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return calls


def test_error_types():
    assert issubclass(DataChecksumError, ValueError)
    assert issubclass(DataUnavailableError, FileNotFoundError)
    assert EPOCH_URL.startswith("https://raw.githubusercontent.com/epoch-research/")
    assert "92258837425e1b5f2851d624287f0120583a3d0e" in EPOCH_URL


def test_good_file_from_env(epoch_data_dir, isolated, monkeypatch):
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(epoch_data_dir))
    assert epoch_data_path() == epoch_data_dir / epoch.EPOCH_FILENAME
    assert isolated == []  # found locally: no download attempted


def test_tampered_file_is_rejected_and_kept(real_bytes, isolated, tmp_path, monkeypatch):
    user_dir = tmp_path / "mine"
    user_dir.mkdir()
    bad = bytearray(real_bytes)
    bad[100] = ord("7") if bad[100] != ord("7") else ord("8")
    target = user_dir / epoch.EPOCH_FILENAME
    target.write_bytes(bytes(bad))
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(user_dir))
    with pytest.raises(DataChecksumError) as info:
        epoch_data_path()
    message = str(info.value)
    assert str(target) in message and EPOCH_SHA256 in message
    assert epoch._sha256(target) in message
    assert target.read_bytes() == bytes(bad)  # the user's file is untouched
    assert isolated == []  # and no download replaced it


def test_tampered_cache_is_rejected_and_kept(real_bytes, isolated, tmp_path):
    cache = tmp_path / "cache" / "chinchilla_utils"
    cache.mkdir(parents=True)
    cached = cache / epoch.EPOCH_FILENAME
    cached.write_bytes(real_bytes + b"\n")
    with pytest.raises(DataChecksumError, match="user cache"):
        epoch_data_path()
    assert cached.read_bytes() == real_bytes + b"\n"


def test_absent_and_offline(isolated, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(tmp_path / "empty"))  # set but no file there
    with pytest.raises(DataUnavailableError) as info:
        epoch_data_path()
    message = str(info.value)
    assert "CHINCHILLA_DATA_DIR" in message and EPOCH_URL in message
    assert str(tmp_path / "cache" / "chinchilla_utils") in message
    assert isolated == [EPOCH_URL]
    assert list((tmp_path / "cache" / "chinchilla_utils").iterdir()) == []  # no partial file
    with pytest.raises(DataUnavailableError, match="download=False"):
        epoch_data_path(download=False)
    assert isolated == [EPOCH_URL]


def test_download_is_cached_and_verified(real_bytes, isolated, tmp_path, monkeypatch):
    calls = _serve(monkeypatch, real_bytes)
    path = epoch_data_path()
    assert path == tmp_path / "cache" / "chinchilla_utils" / epoch.EPOCH_FILENAME
    assert path.read_bytes() == real_bytes
    assert calls == [EPOCH_URL]
    assert sorted(p.name for p in path.parent.iterdir()) == [epoch.EPOCH_FILENAME]
    assert epoch_data_path() == path  # second call: from the cache
    assert calls == [EPOCH_URL]
    assert len(load_epoch_points()) == 245


def test_wrong_download_is_discarded(real_bytes, isolated, tmp_path, monkeypatch):
    _serve(monkeypatch, real_bytes[:-10])
    with pytest.raises(DataChecksumError, match="discarded") as info:
        epoch_data_path()
    assert EPOCH_SHA256 in str(info.value)
    assert list((tmp_path / "cache" / "chinchilla_utils").iterdir()) == []


def test_cache_respects_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert epoch.epoch_cache_dir() == tmp_path / "chinchilla_utils"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert epoch.epoch_cache_dir() == tmp_path / "home" / ".cache" / "chinchilla_utils"


@pytest.fixture
def points(epoch_data_dir, monkeypatch):
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(epoch_data_dir))
    return load_epoch_points()


def test_tidy_frame(points):
    assert list(points.columns) == COLUMNS
    assert len(points) == 245
    np.testing.assert_allclose(points.n_tokens, points.flops / (6 * points.n_params), rtol=1e-12)
    assert points.outlier.dtype == bool
    assert points.outlier_reason.map(type).eq(str).all()
    assert (points.outlier_reason != "").eq(points.outlier).all()
    for col in ("n_params", "flops", "n_tokens", "loss"):
        assert (points[col] > 0).all() and np.isfinite(points[col]).all()


def test_budget_assignment(points):
    assigned = points.dropna(subset=["isoflop_budget"])
    assert len(points) - len(assigned) == 63
    assert set(assigned.isoflop_budget) == set(isoflop_budgets())
    assert (assigned.budget_distance_dex.abs() <= 0.1).all()
    outside = points[points.isoflop_budget.isna()]
    assert (outside.budget_distance_dex.abs() > 0.1).all()
    np.testing.assert_allclose(
        10**assigned.budget_distance_dex * assigned.isoflop_budget, assigned.flops, rtol=1e-9
    )
    wider = load_epoch_points(budget_tolerance_dex=0.25)
    assert wider.isoflop_budget.isna().sum() < 63
    pd.testing.assert_series_equal(wider.budget_distance_dex, points.budget_distance_dex)


def test_outliers_are_the_five_highest_losses(points):
    flagged = points[points.outlier]
    assert len(flagged) == 5
    assert set(flagged.index) == set(points.loss.nlargest(5).index)
    assert flagged.n_params.between(2e9, 7e9).all()
    assert flagged.flops.between(8e18, 1.2e19).all()
    assert (flagged.n_tokens / flagged.n_params < 0.5).all()
    assert flagged.outlier_reason.str.startswith("under-trained").all()


def test_outlier_threshold_is_a_convention(points):
    """Loosening the loss criterion to 0.45 nats adds the next run on the same curve."""
    outlier, _ = flag_outliers(
        points.n_params.to_numpy(), points.flops.to_numpy(), points.loss.to_numpy(),
        min_loss_excess=0.45,
    )  # fmt: skip
    assert outlier.sum() == 6
    extra = points[outlier & ~points.outlier.to_numpy()]
    assert extra.n_params.between(1.75e9, 1.8e9).all()


def test_outlier_rule_needs_both_criteria():
    # a high-loss but well-trained run, and an under-trained run with a normal loss
    n = np.array([1e8, 1e8, 2e8, 5e9, 6e9])
    c = np.array([1e19, 1e19, 1e19, 1e19, 1e19])
    loss = np.array([2.9, 4.0, 2.95, 5.0, 3.0])
    outlier, reason = flag_outliers(n, c, loss)
    np.testing.assert_array_equal(outlier, [False, False, False, True, False])
    assert reason[3].startswith("under-trained: 0.07 tokens/param") and reason[0] == ""
    with pytest.raises(ValueError, match="1-d arrays of one length"):
        flag_outliers(n, c, loss[:3])
    with pytest.raises(ValueError, match="loss must be strictly positive"):
        flag_outliers(n, c, -loss)


def _write_synthetic(tmp_path, text):
    path = tmp_path / "points.csv"
    path.write_text(text)
    return path


def test_schema_checks(tmp_path):
    good = "Model Size,Training FLOP,loss\n1e8,6e18,3.0\n2e8,6e18,2.9\n"
    df = load_epoch_points(path=_write_synthetic(tmp_path, good), verify_checksum=False)
    assert list(df.columns) == COLUMNS and df.isoflop_budget.eq(6e18).all()
    with pytest.raises(DataChecksumError):
        load_epoch_points(path=_write_synthetic(tmp_path, good))
    cases = {
        "Model Size,loss\n1e8,3.0\n": r"lacks the column\(s\) \['Training FLOP'\]",
        "Model Size,Training FLOP,loss\n": "no rows",
        "Model Size,Training FLOP,loss\n1e8,6e18,-3.0\n": "'loss' must be strictly positive",
        "Model Size,Training FLOP,loss\n1e8,,3.0\n": "'Training FLOP' must be finite",
    }
    for text, match in cases.items():
        with pytest.raises(ValueError, match=match):
            load_epoch_points(path=_write_synthetic(tmp_path, text), verify_checksum=False)
    with pytest.raises(DataUnavailableError, match="does not exist"):
        load_epoch_points(path=tmp_path / "nope.csv")


@pytest.mark.parametrize("bad", [0.0, -0.1, np.nan, [0.1, 0.2]])
def test_bad_tolerance(bad):
    with pytest.raises(ValueError, match="budget_tolerance_dex"):
        load_epoch_points(budget_tolerance_dex=bad)


def test_real_file_is_not_in_the_repository():
    from chinchilla_utils.datasets._files import data_dir

    assert not (data_dir() / epoch.EPOCH_FILENAME).exists()
    repo = Path(__file__).resolve().parents[1]
    gitignore = (repo / ".gitignore").read_text().splitlines()
    assert epoch.EPOCH_FILENAME in gitignore


def test_no_network_at_import(monkeypatch):
    """Execute a fresh copy of the module (not registered, so other tests keep their classes)."""
    import importlib.util

    def forbidden(*args, **kwargs):
        raise AssertionError("network used at import")

    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    spec = importlib.util.spec_from_file_location("chinchilla_utils._epoch_probe", epoch.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.EPOCH_SHA256 == EPOCH_SHA256


# --- the environment variable is never ignored (issue 13, errors that do not name the fix) -------


@pytest.fixture
def cached_copy(real_bytes, isolated, tmp_path):
    """A verified copy in the user cache: what a misconfigured variable used to fall back to."""
    cache = tmp_path / "cache" / "chinchilla_utils"
    cache.mkdir(parents=True)
    (cache / epoch.EPOCH_FILENAME).write_bytes(real_bytes)
    return cache / epoch.EPOCH_FILENAME


def test_env_var_naming_a_missing_folder_is_an_error(cached_copy, tmp_path, monkeypatch):
    """Issue 13: a CHINCHILLA_DATA_DIR that points at a missing folder was ignored without a word."""
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(tmp_path / "no-such-folder"))
    with pytest.raises(ValueError, match="CHINCHILLA_DATA_DIR") as info:
        epoch_data_path()
    message = str(info.value)
    assert str(tmp_path / "no-such-folder") in message and "does not exist" in message
    assert "unset" in message  # the fix


def test_env_var_naming_the_file_itself_is_an_error(epoch_data_dir, cached_copy, monkeypatch):
    """Issue 13: a CHINCHILLA_DATA_DIR that points at the file itself was ignored without a word."""
    file = epoch_data_dir / epoch.EPOCH_FILENAME
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(file))
    with pytest.raises(ValueError, match="the file itself") as info:
        epoch_data_path()
    assert f"CHINCHILLA_DATA_DIR={epoch_data_dir}" in str(info.value)  # the fix, spelled out


def test_env_var_folder_without_the_file_falls_back_and_says_so(isolated, tmp_path, monkeypatch):
    """A folder that exists but lacks the file: the cache and the download are tried (as before);
    when both fail, the error says the folder was searched."""
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("CHINCHILLA_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataUnavailableError) as info:
        epoch_data_path(download=False)
    assert f"not in $CHINCHILLA_DATA_DIR ({tmp_path / 'empty'})" in str(info.value)


# --- the download is bounded in time and size (issue 13, item 4) ---------------------------------


class _Server:
    """A local HTTP server on 127.0.0.1 whose single handler the test chooses."""

    def __init__(self, handler):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                try:
                    handler(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: what the deadline is for

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/svg_extracted_data.csv"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_server(monkeypatch, tmp_path):
    """Start a server with the given handler; point EPOCH_URL at it; no env dir, empty cache."""
    monkeypatch.delenv("CHINCHILLA_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    servers = []

    def start(handler):
        server = _Server(handler)
        servers.append(server)
        monkeypatch.setattr(epoch, "EPOCH_URL", server.url)
        return server

    yield start
    for server in servers:
        server.close()


def _one_byte_a_second(request):
    """30 bytes at one a second, no Content-Length: a download that never finishes in time."""
    import time

    request.send_response(200)
    request.end_headers()
    for _ in range(30):
        request.wfile.write(b"x")
        request.wfile.flush()
        time.sleep(1.0)


def test_download_has_a_total_deadline(local_server, tmp_path, monkeypatch):
    """Issue 13 item 4: the 30 s timeout was per socket read, so a server sending one byte a
    second kept the download going for as long as it liked (here 30 s, then a checksum error).
    With a 2 s deadline it stops within seconds with the offline error."""
    import time

    local_server(_one_byte_a_second)
    monkeypatch.setattr(epoch, "_DOWNLOAD_DEADLINE_S", 2.0)
    start = time.monotonic()
    with pytest.raises(DataUnavailableError, match="deadline of 2 s") as info:
        epoch_data_path()
    elapsed = time.monotonic() - start
    # A bound on correctness, not a speed measurement: without a deadline this takes 30 s.
    assert elapsed < 15, f"the download was not stopped by its deadline ({elapsed:.1f} s)"
    assert "CHINCHILLA_DATA_DIR" in str(info.value)  # the same advice as offline
    assert list((tmp_path / "cache" / "chinchilla_utils").iterdir()) == []  # nothing left


def test_download_size_is_capped(local_server, tmp_path):
    """Issue 13 item 4: the file is about 23 kB; a server that announces 50 MB is refused before
    the body is read, and one that streams more than the cap is cut off."""

    def announces_too_much(request):
        request.send_response(200)
        request.send_header("Content-Length", str(50_000_000))
        request.end_headers()

    def streams_too_much(request):
        request.send_response(200)
        request.end_headers()
        request.wfile.write(b"y" * (epoch._DOWNLOAD_MAX_BYTES + 1))

    for handler, match in [
        (announces_too_much, "announces 50000000 bytes"),
        (streams_too_much, "more than"),
    ]:
        local_server(handler)
        with pytest.raises(DataUnavailableError, match=match) as info:
            epoch_data_path()
        assert f"cap of {epoch._DOWNLOAD_MAX_BYTES} bytes" in str(info.value)
        assert list((tmp_path / "cache" / "chinchilla_utils").iterdir()) == []


def test_download_from_a_local_server(real_bytes, local_server, tmp_path):
    """The real downloader (no mock) fetches, verifies and caches a good file."""

    def serves_the_file(request):
        request.send_response(200)
        request.send_header("Content-Length", str(len(real_bytes)))
        request.end_headers()
        request.wfile.write(real_bytes)

    local_server(serves_the_file)
    path = epoch_data_path()
    assert path == tmp_path / "cache" / "chinchilla_utils" / epoch.EPOCH_FILENAME
    assert path.read_bytes() == real_bytes


def test_importing_the_loader_does_not_import_pooch():
    """pooch imports tqdm.auto, which prints a TqdmWarning under every chapter's imports cell in a
    kernel without ipywidgets; it is imported only when a download happens."""
    import subprocess
    import sys

    code = (
        "import sys, chinchilla_utils.datasets.epoch_ai\n"
        "print('pooch' in sys.modules, 'tqdm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
