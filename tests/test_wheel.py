"""Launch anywhere: a wheel built from the repository runs a chapter with no clone around it.

The wheel is built from a copy of this checkout's files (tracked, or untracked and not ignored:
what a fresh clone would build from, so that a stale ``build/`` left by an earlier build cannot
slip old modules into it), installed (without its dependencies, which are borrowed
from the environment running the tests) into a fresh virtual environment in a temporary folder,
and one chapter is run there by papermill, in a folder that holds nothing but the notebook. The
package must then come from the wheel, and so must its data files: the paper's tables and the
laptop sweep, found through ``importlib.resources``.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO_ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01_flops_budgeting.ipynb"


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, (
        f"{command[:3]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def _source_files() -> list[str]:
    """The checkout's files a build may see: tracked, or untracked and not ignored."""
    if not (REPO_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout (the wheel is built from its listed files)")
    listed = _run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT).stdout
    return [name for name in listed.split("\0") if name and (REPO_ROOT / name).is_file()]


@pytest.fixture(scope="module")
def wheel_file(tmp_path_factory) -> Path:
    """The wheel, built from a clean copy of the checkout's source files."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in _source_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, source / name)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(source), "-w", str(work / "dist")]
    )  # fmt: skip
    wheels = list((work / "dist").glob("chinchilla_utils-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, found {wheels}"
    return wheels[0]


def test_the_wheel_holds_the_source_modules_and_nothing_else(wheel_file):
    in_wheel = {
        name
        for name in zipfile.ZipFile(wheel_file).namelist()
        if name.startswith("chinchilla_utils/") and name.endswith(".py")
    }
    files = _source_files()
    in_source = {n for n in files if n.startswith("chinchilla_utils/") and n.endswith(".py")}
    # data/ is installed as the package chinchilla_utils._data (pyproject's package-dir)
    in_source |= {"chinchilla_utils/_data/__init__.py"} & {
        "chinchilla_utils/_data/" + n.removeprefix("data/") for n in files
    }
    assert in_wheel == in_source, {
        "only in the wheel": sorted(in_wheel - in_source),
        "only in the source": sorted(in_source - in_wheel),
    }


@pytest.fixture(scope="module")
def wheel_env(wheel_file, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; returns its python."""
    work = tmp_path_factory.mktemp("wheel_env")
    wheels = [wheel_file]
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheels[0])])
    # Dependencies (numpy, pandas, papermill, ...) come from the test environment's
    # site-packages, appended after the venv's own: a plain path line in a .pth file, so that
    # environment's own .pth files (its editable install of this repository) are not run.
    venv_site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    borrowed = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (venv_site / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n")
    _run([str(python), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "wheeltest"])
    return python


def test_package_and_data_come_from_the_wheel(wheel_env, tmp_path):
    probe = (
        "import json, chinchilla_utils\n"
        "from chinchilla_utils.datasets._files import data_dir\n"
        "from chinchilla_utils.datasets.paper import table1_models\n"
        "from chinchilla_utils.datasets.sweep import load_sweep_runs\n"
        "print(json.dumps({'package': chinchilla_utils.__file__, 'data': str(data_dir()),\n"
        "    'table1': len(table1_models()), 'sweep': len(load_sweep_runs())}))\n"
    )
    out = json.loads(_run([str(wheel_env), "-c", probe], cwd=tmp_path).stdout)
    venv = wheel_env.parent.parent
    assert Path(out["package"]).is_relative_to(venv), out
    assert Path(out["data"]).is_relative_to(venv), out
    assert out["table1"] > 0 and out["sweep"] > 0


def test_a_chapter_runs_from_the_wheel(wheel_env, tmp_path):
    notebook = tmp_path / CHAPTER
    shutil.copy(REPO_ROOT / "notebooks" / CHAPTER, notebook)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    _run(
        [str(wheel_env), "-m", "papermill", "-k", "wheeltest", str(notebook),
         str(tmp_path / "executed.ipynb")],
        cwd=tmp_path, env=env,
    )  # fmt: skip
    executed = json.loads((tmp_path / "executed.ipynb").read_text())
    errors = [
        o
        for c in executed["cells"]
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
