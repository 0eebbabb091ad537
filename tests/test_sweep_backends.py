"""The sweep's backends (the local process pool and Ray) and its device option.

The ``sweep``-marked tests train the ``smoke`` plan (seconds a run) and need torch and ray,
which ``make test`` installs (``.[sweep,cluster]``); they fail, rather than skip, without
them. Ray runs on a local Ray started by the runner (loopback only, no dashboard). The tests
that simulate a missing ray, or check arguments, need neither.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from chinchilla_utils.sweep.corpus import load_corpus
from chinchilla_utils.sweep.plans import get_plan

#: What training produces (same seed, same thread count: equal to the last bit).
NUMBERS = ("step", "loss", "val_step", "val_loss", "warmup_steps", "n_params_torch", "key")


@pytest.fixture(scope="module")
def corpus_sha() -> str:
    return load_corpus().sha256_train


@pytest.fixture
def quiet_local_ray(monkeypatch):
    """What the runner sets for a local Ray, scoped to the test (loopback, no usage stats)."""
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


@pytest.fixture(scope="module")
def pool_smoke(tmp_path_factory) -> Path:
    """The smoke plan trained by the process pool (2 single-threaded workers): its cache."""
    from chinchilla_utils.sweep.runner import run_plan

    root = tmp_path_factory.mktemp("pool")
    run_plan("smoke", jobs=2, out_dir=root / "out", cache_dir=root / "cache", progress=False)
    return root


def _records(cache: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(cache.glob("*.json"))}


def _numbers(record: dict) -> dict:
    return {field: record[field] for field in NUMBERS}


# --- no torch, no ray needed ------------------------------------------------------------------


def test_the_runner_and_command_line_import_neither_ray_nor_torch():
    import subprocess

    code = (
        "import sys, chinchilla_utils.sweep.runner, chinchilla_utils.sweep.__main__; "
        "print('ray' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_ray_backend_without_ray_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    from chinchilla_utils.sweep.__main__ import main
    from chinchilla_utils.sweep.runner import run_plan

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chinchilla_utils\[cluster\]"'):
        run_plan("smoke", cache_dir=tmp_path / "cache", out_dir=tmp_path / "o", backend="ray")
    argv = ["--plan", "smoke", "--backend", "ray", "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert 'pip install "chinchilla_utils[cluster]"' in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # refused before the cache was touched


def test_address_needs_the_ray_backend(tmp_path, capsys):
    from chinchilla_utils.sweep.__main__ import main
    from chinchilla_utils.sweep.runner import run_plan

    with pytest.raises(SystemExit) as info:
        main(["--plan", "smoke", "--address", "auto", "--cache", str(tmp_path)])
    assert info.value.code == 2 and "--address needs --backend ray" in capsys.readouterr().err
    with pytest.raises(ValueError, match="address 'auto' needs backend='ray'"):
        run_plan("smoke", cache_dir=tmp_path, address="auto")
    with pytest.raises(ValueError, match="did you mean 'cuda'"):
        run_plan("smoke", cache_dir=tmp_path, device="cud")


def test_gpu_results_never_go_to_the_shipped_cpu_folder():
    from chinchilla_utils.datasets.sweep import SWEEP_DIR
    from chinchilla_utils.sweep.runner import default_out_dir

    for plan in ("book", "lr_calibration", "large", "smoke"):
        out = default_out_dir(plan, "cuda")
        assert out.name == f"sweep-{plan}-cuda" and SWEEP_DIR not in (out, *out.parents)
    assert default_out_dir("large") != SWEEP_DIR


def test_cpu_cache_keys_are_unchanged_and_device_and_threads_enter_the_key():
    from chinchilla_utils.datasets.sweep import load_sweep_meta, load_sweep_runs

    # Known answer: the shipped book runs' keys, made before the device option existed.
    sha = load_sweep_meta()["corpus"]["sha256_train"]
    shipped = load_sweep_runs().set_index("run_id")["run_key"]
    keys = {spec.run_id: spec.key(sha) for spec in get_plan("book")}
    assert keys == shipped.to_dict()
    spec = get_plan("smoke")[0]
    variants = {
        spec.key(sha),
        spec.key(sha, device="cuda"),
        spec.key(sha, n_threads=2),
        spec.key(sha, n_threads=4),
    }
    assert len(variants) == 4
    assert spec.key(sha, device="cpu", n_threads=1) == spec.key(sha)


def test_ray_refuses_a_cluster_without_the_resources_a_run_asks_for():
    from chinchilla_utils.sweep.errors import DeviceUnavailableError
    from chinchilla_utils.sweep.ray_cluster import _check_resources
    from chinchilla_utils.sweep.worker import RunJob

    class FakeRay:  # what ray.cluster_resources() returns on a CPU-only cluster of 4 cores
        @staticmethod
        def cluster_resources():
            return {"CPU": 4.0, "memory": 1e9}

    spec = get_plan("smoke")[0]
    _check_resources(FakeRay, [RunJob(spec, "k", "sha", "cpu", 4)], "head:6379")
    with pytest.raises(DeviceUnavailableError, match="cluster at 'head:6379' has no GPU"):
        _check_resources(FakeRay, [RunJob(spec, "k", "sha", "cuda", 1)], "head:6379")
    with pytest.raises(DeviceUnavailableError, match="fewer than the 8 threads"):
        _check_resources(FakeRay, [RunJob(spec, "k", "sha", "cpu", 8)], "head:6379")


# --- torch (and ray): the smoke plan, trained here ---------------------------------------------


@pytest.mark.sweep
@pytest.mark.parametrize("backend", ["process", "ray"])
def test_cuda_is_refused_before_training_where_torch_sees_no_gpu(
    monkeypatch, tmp_path, capsys, backend
):
    import torch

    from chinchilla_utils.sweep.__main__ import main
    from chinchilla_utils.sweep.errors import DeviceUnavailableError
    from chinchilla_utils.sweep.runner import run_plan

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on this machine
    with pytest.raises(DeviceUnavailableError, match=r"--device cuda: torch .* sees no GPU"):
        run_plan("smoke", cache_dir=tmp_path / "c", out_dir=tmp_path / "o", device="cuda",
                 backend=backend)  # fmt: skip
    argv = ["--plan", "smoke", "--device", "cuda", "--backend", backend]
    assert main([*argv, "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")]) == 2
    assert "--device cpu" in capsys.readouterr().err  # the fix is named
    assert list(tmp_path.iterdir()) == []


@pytest.mark.sweep
def test_ray_backend_gives_the_process_pools_results_exactly(pool_smoke, tmp_path, quiet_local_ray):
    from chinchilla_utils.datasets.sweep import load_sweep_runs
    from chinchilla_utils.sweep.runner import run_plan

    summary = run_plan(
        "smoke", jobs=2, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
        progress=False, backend="ray",
    )  # fmt: skip
    assert summary.n_executed == len(get_plan("smoke")) and summary.backend == "ray"
    pool, ray = _records(pool_smoke / "cache"), _records(tmp_path / "cache")
    assert sorted(ray) == sorted(pool)  # same cache keys
    for name in pool:
        assert _numbers(ray[name]) == _numbers(pool[name]), name
        assert ray[name]["n_threads"] == pool[name]["n_threads"] == 1
    timing = ["wall_seconds", "cpu_seconds"]
    pd.testing.assert_frame_equal(
        load_sweep_runs(tmp_path / "out").drop(columns=timing),
        load_sweep_runs(pool_smoke / "out").drop(columns=timing),
        check_exact=True,
    )


@pytest.mark.sweep
def test_a_killed_ray_worker_is_retried_and_leaves_nothing_half_written(
    pool_smoke, corpus_sha, tmp_path, monkeypatch, quiet_local_ray
):
    from chinchilla_utils.sweep.cache import scan_cache
    from chinchilla_utils.sweep.ray_cluster import KILL_FIRST_ATTEMPT_ENV
    from chinchilla_utils.sweep.runner import run_plan

    # Resume with Ray a sweep the process pool started: two of the four runs are cached.
    cache = tmp_path / "cache"
    shutil.copytree(pool_smoke / "cache", cache)
    specs = sorted(get_plan("smoke"), key=lambda s: (s.budget, s.shape.d_model))
    to_train = [f"{s.key(corpus_sha)}.json" for s in specs[:2]]
    for name in to_train:
        (cache / name).unlink()
    markers = tmp_path / "killed"
    markers.mkdir()
    monkeypatch.setenv(KILL_FIRST_ATTEMPT_ENV, str(markers))

    summary = run_plan(
        "smoke", jobs=2, out_dir=tmp_path / "out", cache_dir=cache, progress=False,
        backend="ray",
    )  # fmt: skip
    assert summary.n_executed == 2 and summary.n_skipped == 2
    # Each of the two runs trained to the end twice, in two processes: the first attempt's
    # worker was killed after training, and Ray ran the task again in a new worker.
    attempts = {p.name: p.read_text().split() for p in markers.iterdir()}
    assert sorted(attempts) == sorted(n.replace(".json", ".attempts") for n in to_train)
    assert all(len(pids) == 2 and pids[0] != pids[1] for pids in attempts.values()), attempts
    # Nothing half-written: exactly the plan's run files, all valid, no temporary files.
    assert sorted(p.name for p in cache.iterdir()) == sorted(_records(pool_smoke / "cache"))
    keys = [s.key(corpus_sha) for s in specs]
    assert scan_cache(cache, keys).valid == tuple(keys)
    pool = _records(pool_smoke / "cache")
    for name, record in _records(cache).items():
        assert _numbers(record) == _numbers(pool[name]), name
