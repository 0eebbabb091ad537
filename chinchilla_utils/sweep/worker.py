"""What a worker does with one run, whatever the backend: train it and return its record.

A worker (a process of the local pool, or a Ray task on any machine of a cluster) trains one
:class:`RunJob` and returns the run record as a dict; the driver alone writes it to the cache
(atomically), so a worker that dies mid-run leaves nothing behind. torch is imported only when
a run trains.
"""

from __future__ import annotations

import importlib.util
import platform
from dataclasses import dataclass

import numpy as np

from chinchilla_utils._validation import check_choice

from .errors import CorpusMismatchError, DeviceUnavailableError, MissingExtraError
from .plans import RECIPE_VERSION, RunSpec

#: Devices a run can train on. ``cuda`` runs the same recipe on the first GPU torch sees (on a
#: Ray cluster, the GPU that Ray gives the task).
DEVICES = ("cpu", "cuda")

TORCH_INSTALL_HINT = (
    'pip install "chinchilla_utils[sweep]" (the Makefile\'s .venv/.stamp-torch installs the '
    "pinned CPU build first)"
)

_CORPUS = None


@dataclass(frozen=True)
class RunJob:
    """One run to train: its spec, its cache key, and where and how it trains.

    ``corpus_sha256`` is the SHA-256 of the training bytes the key was computed with; a worker
    that reads a different corpus refuses to train (its results would be filed under a key
    that does not describe them). ``n_threads`` is torch's CPU thread count for the run.
    """

    spec: RunSpec
    key: str
    corpus_sha256: str
    device: str = "cpu"
    n_threads: int = 1

    def __post_init__(self) -> None:
        check_choice("device", self.device, DEVICES)
        if isinstance(self.n_threads, bool) or not isinstance(self.n_threads, int):
            raise TypeError(f"n_threads must be an int, got {self.n_threads!r}")
        if self.n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, got {self.n_threads!r}")


def require_torch() -> None:
    """Raise :class:`MissingExtraError` with the install command when torch is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise MissingExtraError(
            f"training the sweep needs torch, which is not installed: {TORCH_INSTALL_HINT}",
            name="torch",
        )


def require_local_gpu() -> None:
    """Raise :class:`DeviceUnavailableError` unless torch on this machine sees a GPU."""
    import torch

    if not torch.cuda.is_available():
        build = torch.version.cuda or "none: a CPU-only build"
        raise DeviceUnavailableError(
            f"--device cuda: torch {torch.__version__} sees no GPU on this machine "
            f"(torch.cuda.is_available() is False; CUDA version of the build: {build}); train "
            "with --device cpu, install a CUDA build of torch where there is a GPU, or pass "
            "--backend ray --address to a Ray cluster that has GPUs"
        )


def _local_corpus():
    # Read once per worker process: every run of a worker trains on the same bytes.
    global _CORPUS
    if _CORPUS is None:
        from .corpus import load_corpus

        _CORPUS = load_corpus()
    return _CORPUS


def _import_train_run():
    try:
        from .train import train_run
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        raise MissingExtraError(
            f"this worker ({platform.node()}) cannot train: torch is not installed: "
            f"{TORCH_INSTALL_HINT}",
            name="torch",
        ) from exc
    return train_run


def train_record(
    job: RunJob,
    train: np.ndarray | None = None,
    val: np.ndarray | None = None,
    corpus_summary: dict | None = None,
) -> dict:
    """Train ``job`` in this process and return its run record (nothing is written).

    ``train``, ``val`` and ``corpus_summary`` are the corpus as the driver read it (Ray ships
    them to every task, so cluster nodes need not have the driver's Python); by default the
    worker reads the standard library itself and checks that its bytes are the key's.
    """
    train_run = _import_train_run()
    import torch

    if job.device == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError(
            f"run {job.spec.run_id} asked for --device cuda, but torch {torch.__version__} "
            f"on worker {platform.node()} sees no GPU"
        )
    if train is None or val is None or corpus_summary is None:
        corpus = _local_corpus()
        if corpus.sha256_train != job.corpus_sha256:
            raise CorpusMismatchError(
                f"worker {platform.node()} reads a different corpus (Python "
                f"{corpus.python_version}, training SHA-256 {corpus.sha256_train[:12]}...) than "
                f"the one run {job.spec.run_id}'s key was made with "
                f"({job.corpus_sha256[:12]}...); run the workers on the driver's Python version"
            )
        train, val, corpus_summary = corpus.train, corpus.val, corpus.summary()
    # A fixed thread count is what makes CPU results bit-identical from run to run.
    torch.set_num_threads(job.n_threads)
    spec = job.spec
    result = train_run(
        spec.shape,
        spec.n_steps,
        spec.peak_lr,
        spec.seed,
        train,
        val,
        n_curve_points=spec.n_curve_points,
        n_val_evals=spec.n_val_evals,
        n_val_windows=spec.n_val_windows,
        device=job.device,
    )
    return {
        "key": job.key,
        "recipe": RECIPE_VERSION,
        "budget": spec.budget,
        "shape": spec.shape.as_dict(),
        "peak_lr": spec.peak_lr,
        "seed": spec.seed,
        "n_steps": spec.n_steps,
        "n_val_windows": spec.n_val_windows,
        "corpus": corpus_summary,
        "host": platform.node(),
        "processor": platform.processor() or platform.machine(),
        **result,
    }
