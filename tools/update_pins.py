"""Write the pinned environments from the project's .venv: ``make pins`` runs this.

- ``constraints.txt``: every package installed in the environment the book was last built and
  tested with, at its exact version (``pip freeze``, less the project itself). ``make`` and CI
  install with ``-c constraints.txt``, so a new release elsewhere cannot change the numbers
  unnoticed.
- ``binder/requirements.txt``: what Binder installs: the package's runtime and book
  dependencies (from ``pyproject.toml``) at the pinned versions, then the package itself.

``tests/test_hygiene.py`` fails when either file is out of step with ``pyproject.toml``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def requirement_name(requirement: str) -> str:
    """The normalised project name of a requirement string (``"myst-nb>=1.1,<2"`` -> ``myst-nb``)."""
    name = re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def binder_requirements(pyproject: dict) -> list[str]:
    """Requirement strings Binder needs: runtime dependencies plus the ``book`` extra."""
    project = pyproject["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["book"])


def main() -> int:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    # torch is pinned by the Makefile (TORCH_SPEC), whose build differs by machine (a CPU
    # wheel with a "+cpu" label here, a CUDA one from PyPI elsewhere): never constrain it.
    skip = {"chinchilla-utils", "torch"}
    pins = sorted(
        (line for line in frozen if "==" in line and requirement_name(line) not in skip),
        key=requirement_name,
    )
    (ROOT / "constraints.txt").write_text(
        "# Exact versions the book was last built and tested with (make pins; see tools/update_pins.py).\n"
        + "\n".join(pins) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    versions = {requirement_name(p): p.split("==", 1)[1] for p in pins}
    lines = [
        "# What Binder installs (make pins writes this file; tests keep it in step with pyproject.toml).",
    ]
    for requirement in binder_requirements(pyproject):
        name = requirement_name(requirement)
        lines.append(f"{name}=={versions[name]}")
    lines.append("-e .  # the book's package itself, from the repository Binder cloned")
    (ROOT / "binder" / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ROOT / "binder" / "runtime.txt").write_text("python-3.11\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
