"""Epoch AI's 245 training runs, extracted from Figure 4 of the Chinchilla paper.

Introduced in Chapter 3 (the data behind the fits) and used by the Approach 2 and 3 chapters.

The points come from T. Besiroglu, E. Erdil, M. Barnett, J. You, *Chinchilla Scaling: A
replication attempt*, arXiv:2404.10102 (2024), repository ``epoch-research/analyzing-chinchilla``
(file ``data/svg_extracted_data.csv``). Epoch AI recovered each run's model size, training
FLOPs and final loss from the vector graphic of the left panel of Figure 4 of J. Hoffmann et al.,
*Training Compute-Optimal Large Language Models*, arXiv:2203.15556 (2022). They are a
reconstruction from a figure, not DeepMind's measurements. Credit both papers wherever the
points are used.

The file carries no licence, so it is never shipped with this repository.
:func:`epoch_data_path` finds it (``$CHINCHILLA_DATA_DIR``, then a per-user cache) or downloads
it from a commit-pinned URL with :mod:`pooch` (bounded in time and size by
:class:`BoundedDownloader`), and always checks its SHA-256. Nothing touches the network at
import time.
"""

from __future__ import annotations

import http.client
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from chinchilla_utils._validation import as_finite, as_positive
from chinchilla_utils.datasets._files import DataChecksumError, file_sha256, read_csv

__all__ = [
    "EPOCH_URL",
    "EPOCH_SHA256",
    "EPOCH_FILENAME",
    "DEFAULT_BUDGET_TOLERANCE_DEX",
    "BoundedDownloader",
    "DataChecksumError",
    "DataUnavailableError",
    "epoch_cache_dir",
    "epoch_data_path",
    "load_epoch_points",
    "flag_outliers",
]

EPOCH_FILENAME = "svg_extracted_data.csv"
#: Pinned to a commit so the bytes cannot change under the book.
EPOCH_URL = (
    "https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/"
    "92258837425e1b5f2851d624287f0120583a3d0e/data/svg_extracted_data.csv"
)
#: SHA-256 of the pinned file: every copy, downloaded or supplied, is checked against it.
EPOCH_SHA256 = "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"

#: Half-width, in decades of FLOPs, of the window that assigns a run to an IsoFLOP budget.
#: See :func:`load_epoch_points` for how it was chosen.
DEFAULT_BUDGET_TOLERANCE_DEX = 0.1

_RAW_COLUMNS = {"Model Size": "n_params", "Training FLOP": "flops", "loss": "loss"}
#: The whole download must finish within this many seconds (the file is 23,224 bytes).
_DOWNLOAD_DEADLINE_S = 60.0
#: A single socket read may wait at most this long (never longer than the deadline).
_DOWNLOAD_READ_TIMEOUT_S = 30.0
#: More bytes than this (about 11 times the file) is not the file: stop reading.
_DOWNLOAD_MAX_BYTES = 256 * 1024
_ENV_VAR = "CHINCHILLA_DATA_DIR"


class DataUnavailableError(FileNotFoundError):
    """The data file is neither present nor downloadable."""


def epoch_cache_dir() -> Path:
    """Per-user cache folder: ``$XDG_CACHE_HOME/chinchilla_utils`` (default ``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "chinchilla_utils"


def _sha256(path: Path) -> str:
    return file_sha256(path)


def _verify(path: Path, *, where: str) -> Path:
    actual = _sha256(path)
    if actual != EPOCH_SHA256:
        raise DataChecksumError(
            f"{path} ({where}) has SHA-256 {actual}, expected {EPOCH_SHA256}. It is not the "
            f"pinned copy of Epoch AI's {EPOCH_FILENAME}; it was left in place. Replace it with "
            f"the file from {EPOCH_URL} (or delete it to let chinchilla_utils download that)."
        )
    return path


def _unavailable(reason: str) -> DataUnavailableError:
    return DataUnavailableError(
        f"Epoch AI's {EPOCH_FILENAME} is not available ({reason}). Either set the environment "
        f"variable {_ENV_VAR} to a folder holding {EPOCH_FILENAME}, or place the file "
        f"in {epoch_cache_dir()}; get it from {EPOCH_URL} (SHA-256 {EPOCH_SHA256})."
    )


class BoundedDownloader:
    """A :mod:`pooch` downloader with a total deadline and a size cap.

    Pooch's own HTTP downloader passes its timeout to each socket read, so a server that sends
    one byte a second keeps a download alive for ever. This one stops when the whole download
    has taken ``deadline_s`` (checked after every read; one read waits at most
    ``min(read_timeout_s, deadline_s)``, so the total stays under about twice the deadline) or
    once more than ``max_bytes`` arrive (or are announced by ``Content-Length``).

    Parameters
    ----------
    deadline_s
        Seconds the whole download may take (> 0).
    max_bytes
        Largest acceptable file, in bytes (> 0).
    read_timeout_s
        Seconds one socket read may wait (> 0).

    Raises
    ------
    DataUnavailableError
        When called: the download failed (offline, an HTTP error), ran past its deadline or exceeded the
        cap; the message says where to put the file by hand, as for an offline machine.
    """

    def __init__(
        self,
        deadline_s: float = _DOWNLOAD_DEADLINE_S,
        max_bytes: int = _DOWNLOAD_MAX_BYTES,
        read_timeout_s: float = _DOWNLOAD_READ_TIMEOUT_S,
    ) -> None:
        self.deadline_s = float(as_positive("deadline_s", deadline_s))
        self.max_bytes = int(as_positive("max_bytes", max_bytes))
        self.read_timeout_s = float(as_positive("read_timeout_s", read_timeout_s))

    def __call__(self, url: str, output_file: str, pooch_instance: object = None) -> None:
        """Write the bytes at ``url`` to ``output_file`` (pooch's downloader signature)."""
        start = time.monotonic()
        timeout = min(self.read_timeout_s, self.deadline_s)
        try:
            with (
                urllib.request.urlopen(url, timeout=timeout) as response,
                open(output_file, "wb") as fh,
            ):
                self._check_announced_size(getattr(response, "headers", None))
                received = 0
                while chunk := response.read1(1 << 16):  # returns what one read gives
                    received += len(chunk)
                    if received > self.max_bytes:
                        raise _unavailable(
                            f"the download sent more than the cap of {self.max_bytes} bytes"
                        )
                    if time.monotonic() - start > self.deadline_s:
                        raise _unavailable(
                            f"the download ran past its deadline of {self.deadline_s:g} s "
                            f"({received} bytes received)"
                        )
                    fh.write(chunk)
        except DataUnavailableError:
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # TimeoutError is an OSError: a read that waited past its timeout lands here too.
            raise _unavailable(f"download failed: {exc}") from exc

    def _check_announced_size(self, headers: object) -> None:
        announced = headers.get("Content-Length") if headers is not None else None
        if announced is not None and announced.isdigit() and int(announced) > self.max_bytes:
            raise _unavailable(
                f"the server announces {announced} bytes, over the cap of {self.max_bytes} bytes"
            )


def _env_folder() -> Path | None:
    """``$CHINCHILLA_DATA_DIR`` as a folder, or None when unset; a wrong value is an error."""
    value = os.environ.get(_ENV_VAR)
    if not value:
        return None
    folder = Path(value).expanduser()
    if folder.is_file():
        raise ValueError(
            f"{_ENV_VAR} must name the folder that holds {EPOCH_FILENAME}, but it is set to "
            f"the file itself ({folder}); set {_ENV_VAR}={folder.parent}"
        )
    if not folder.is_dir():
        raise ValueError(
            f"{_ENV_VAR} is set to {folder}, which does not exist. Point it at the folder "
            f"holding {EPOCH_FILENAME}, or unset it to use the user cache {epoch_cache_dir()} "
            "(and the download)"
        )
    return folder


def epoch_data_path(*, download: bool = True) -> Path:
    """Path to a verified copy of Epoch AI's ``svg_extracted_data.csv``.

    Looks, in order, in

    1. ``$CHINCHILLA_DATA_DIR/svg_extracted_data.csv`` (when the variable is set; it must name
       an existing folder);
    2. the per-user cache, :func:`epoch_cache_dir`;
    3. otherwise downloads :data:`EPOCH_URL` into the cache with :func:`pooch.retrieve` and a
       :class:`BoundedDownloader` (60 s in all, at most 256 kB), to a temporary file that is
       checked and then renamed, so an interrupted or wrong download never sits in the cache.

    Every copy found is checked against :data:`EPOCH_SHA256`.

    Parameters
    ----------
    download:
        Allow step 3. With ``False`` a missing file is an error straight away.

    Raises
    ------
    DataChecksumError
        A file found in step 1 or 2 has the wrong SHA-256 (it is left in place), or a download
        did (it is discarded). The message names the file and both hashes.
    DataUnavailableError
        No copy was found and the download was disabled or failed (offline, past its deadline,
        over its size cap); the message says where to put the file.
    ValueError
        ``$CHINCHILLA_DATA_DIR`` names a folder that does not exist, or the file itself; the
        message says what to set it to.
    """
    searched = ""
    env_folder = _env_folder()
    if env_folder is not None:
        candidate = env_folder / EPOCH_FILENAME
        if candidate.is_file():
            return _verify(candidate, where="from $CHINCHILLA_DATA_DIR")
        searched = f"not in ${_ENV_VAR} ({env_folder}) nor in the user cache; "
    cache_dir = epoch_cache_dir()
    cached = cache_dir / EPOCH_FILENAME
    if cached.is_file():
        return _verify(cached, where="in the user cache")
    if not download:
        raise _unavailable(f"{searched}not found and download=False")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unavailable(f"{searched}cannot create the cache folder {cache_dir}: {exc}") from exc
    downloader = BoundedDownloader(deadline_s=_DOWNLOAD_DEADLINE_S, max_bytes=_DOWNLOAD_MAX_BYTES)

    # pooch imports tqdm.auto, which warns in a notebook kernel without ipywidgets: import it
    # only when a download is about to happen, not with the package.
    import pooch

    def verified_download(url: str, output_file: str, pooch_instance: object = None) -> None:
        # Checked here, before pooch's own check, so that a wrong file gets this module's error
        # (pooch's would be a bare ValueError); the temporary file is then deleted by pooch.
        downloader(url, output_file, pooch_instance)
        actual = pooch.file_hash(output_file, alg="sha256")
        if actual != EPOCH_SHA256:
            raise DataChecksumError(
                f"the download of {url} has SHA-256 {actual}, expected {EPOCH_SHA256}; "
                f"it was discarded and nothing was written to {cached}"
            )

    pooch.retrieve(
        EPOCH_URL,
        known_hash=f"sha256:{EPOCH_SHA256}",
        fname=EPOCH_FILENAME,
        path=cache_dir,
        downloader=verified_download,
    )
    return cached


def _read_raw(path: Path) -> pd.DataFrame:
    raw = read_csv(
        path,
        fix=f"replace it with Epoch AI's file from {EPOCH_URL} (SHA-256 {EPOCH_SHA256})",
    )
    missing = [c for c in _RAW_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {missing} of Epoch AI's {EPOCH_FILENAME}; "
            f"found {list(raw.columns)}"
        )
    if len(raw) == 0:
        raise ValueError(f"{path} has no rows")
    df = pd.DataFrame(
        {
            new: as_positive(f"{path} column {old!r}", raw[old].to_numpy())
            for old, new in _RAW_COLUMNS.items()
        }
    )
    return df


def _assign_budgets(flops: np.ndarray, tolerance_dex: float) -> tuple[np.ndarray, np.ndarray]:
    from chinchilla_utils.datasets.paper import isoflop_budgets

    budgets = isoflop_budgets()
    log_budgets = np.log10(budgets)
    signed = np.log10(flops)[:, None] - log_budgets[None, :]
    nearest = np.abs(signed).argmin(axis=1)
    distance = signed[np.arange(len(flops)), nearest]
    budget = np.where(np.abs(distance) <= tolerance_dex, budgets[nearest], np.nan)
    return budget, distance


def flag_outliers(
    n_params: np.ndarray,
    flops: np.ndarray,
    loss: np.ndarray,
    *,
    max_tokens_per_param: float = 0.5,
    min_loss_excess: float = 0.52,
    window_dex: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Flag severely under-trained runs whose loss sits far above their compute peers.

    The rule (both must hold):

    1. the run saw fewer than ``max_tokens_per_param`` tokens per parameter
       (``D / N = C / (6 N**2)``; default 0.5, i.e. under half a token per parameter), and
    2. its loss exceeds, by more than ``min_loss_excess`` nats (default 0.52), the lowest loss
       of any run whose compute is within ``window_dex`` decades of its own (default 0.1).

    On Epoch AI's points the defaults flag exactly the five highest-loss runs, the 2.0-6.8B
    models at about 1e19 FLOPs that Besiroglu et al. (2024) drop. The cut is a convention,
    not a clean break: the loss excesses run 2.11, 1.77, 0.90, 0.87, 0.55 (flagged) and then
    0.49, 0.48, 0.39 nats, all along the same 1e19 IsoFLOP curve; 0.52 sits midway between
    the fifth and the sixth. The sixth run (1.79B parameters, D/N 0.46, loss 3.41 nats) misses
    by 0.03 nats, within a couple of steps of the colour scale from which the losses were
    read; the seventh (1.73B) has D/N 0.51. Both thresholds are parameters, so a chapter can
    show how a fit moves when the cut changes.

    Parameters
    ----------
    n_params, flops, loss:
        Parameters, training FLOPs and final loss (nats), 1-d arrays of one length.

    Returns
    -------
    ``(outlier, reason)``: a bool array and a str array (``""`` where not flagged).
    """
    n = as_positive("n_params", n_params)
    c = as_positive("flops", flops)
    lo = as_positive("loss", loss)
    if not (n.ndim == c.ndim == lo.ndim == 1 and n.shape == c.shape == lo.shape):
        raise ValueError(
            f"n_params, flops and loss must be 1-d arrays of one length, got shapes "
            f"{n.shape}, {c.shape}, {lo.shape}"
        )
    max_tpp = float(as_positive("max_tokens_per_param", max_tokens_per_param))
    min_excess = float(as_positive("min_loss_excess", min_loss_excess))
    window = float(as_positive("window_dex", window_dex))

    tokens_per_param = c / (6.0 * n * n)
    log_c = np.log10(c)
    near = np.abs(log_c[:, None] - log_c[None, :]) <= window
    best_nearby = np.where(near, lo[None, :], np.inf).min(axis=1)
    excess = lo - best_nearby
    outlier = (tokens_per_param < max_tpp) & (excess > min_excess)
    reason = np.array(
        [
            (
                f"under-trained: {tpp:.2f} tokens/param (< {max_tpp:g}) and loss {ex:.2f} nats "
                f"above the best run within {window:g} dex of its compute (> {min_excess:g})"
            )
            if flag
            else ""
            for flag, tpp, ex in zip(outlier, tokens_per_param, excess, strict=True)
        ],
        dtype=object,
    ).astype(str)
    return outlier, reason


def load_epoch_points(
    budget_tolerance_dex: float = DEFAULT_BUDGET_TOLERANCE_DEX,
    *,
    path: str | os.PathLike[str] | None = None,
    verify_checksum: bool = True,
) -> pd.DataFrame:
    """Epoch AI's 245 runs as a tidy DataFrame, with IsoFLOP budgets and outlier flags.

    Data: Besiroglu et al. (2024), extracted from Figure 4 of Hoffmann et al. (2022).

    Columns
    -------
    ``n_params`` (parameters), ``flops`` (training FLOPs), ``n_tokens`` (training tokens,
    derived as ``C / (6 N)``; the figure gives no token counts), ``loss`` (final training loss,
    nats), ``isoflop_budget`` (the nearest of the 9 budgets 6e18 ... 3e21 FLOPs in log space,
    NaN when farther than ``budget_tolerance_dex``), ``budget_distance_dex`` (signed
    ``log10(flops / nearest budget)``, kept for every run), ``outlier`` (bool) and
    ``outlier_reason`` (str, ``""`` if not flagged; rule in :func:`flag_outliers`). Nothing is
    dropped: filter on ``outlier`` and ``isoflop_budget`` yourself.

    Choice of the default tolerance (0.1 dex, a factor 1.26 in FLOPs)
    ------------------------------------------------------------------
    Figure 4 shows every run, not only the IsoFLOP ones, so not every point belongs to a
    budget. The signed distances to the nearest budget pile up between -0.06 and +0.02 dex
    (the extraction reads FLOPs about 0.02 dex low), with 139 of 245 runs within 0.05 dex,
    159 within 0.07 and 182 within 0.1; beyond that the histogram is flat (about 3 runs per
    0.01 dex out to 0.25 dex, then 6 stragglers up to 0.64 dex): runs between budgets.
    0.1 dex keeps the whole peak and its shoulder; **63 runs fall outside** and get NaN.
    Adjacent budgets are 0.22-0.30 dex apart, so no run is within 0.1 dex of two budgets.

    Parameters
    ----------
    budget_tolerance_dex:
        Largest ``|log10(flops / budget)|`` for a run to be assigned to a budget (> 0).
    path:
        Read this file instead of :func:`epoch_data_path` (e.g. a copy you made).
    verify_checksum:
        Check ``path`` against :data:`EPOCH_SHA256` (files found by :func:`epoch_data_path`
        are always checked). Turn off only for synthetic test files.

    Raises
    ------
    DataChecksumError, DataUnavailableError
        See :func:`epoch_data_path`.
    ValueError
        A bad tolerance, or a file without the expected columns or with non-finite or
        non-positive sizes, FLOPs or losses.
    """
    tolerance = as_finite("budget_tolerance_dex", budget_tolerance_dex)
    if tolerance.ndim != 0 or tolerance <= 0:
        raise ValueError(
            f"budget_tolerance_dex must be a positive number of decades, got {budget_tolerance_dex!r}"
        )
    if path is None:
        file = epoch_data_path()
    else:
        file = Path(path)
        if not file.is_file():
            raise DataUnavailableError(f"{file} does not exist")
        if verify_checksum:
            _verify(file, where="passed as path")
    df = _read_raw(file)
    df["n_tokens"] = df["flops"] / (6.0 * df["n_params"])
    budget, distance = _assign_budgets(df["flops"].to_numpy(), float(tolerance))
    df["isoflop_budget"] = budget
    df["budget_distance_dex"] = distance
    outlier, reason = flag_outliers(
        df["n_params"].to_numpy(), df["flops"].to_numpy(), df["loss"].to_numpy()
    )
    df["outlier"] = outlier
    df["outlier_reason"] = pd.Series(reason, index=df.index, dtype=str)
    return df[
        [
            "n_params",
            "flops",
            "n_tokens",
            "loss",
            "isoflop_budget",
            "budget_distance_dex",
            "outlier",
            "outlier_reason",
        ]
    ]
