"""Derive the shipped tables of published training runs from the upstream files.

Usage (from the repository root, with the package installed)::

    python data/published_runs/derive.py --gadre2024 UPSTREAM/exp_data --sardana2024 UPSTREAM_DIR

``--gadre2024`` is a folder holding ``models/*.json`` of ``mlfoundations/scaling`` at commit
``a003c4913793ac2ae7ef87b28ecb562955d026d5`` (its ``exp_data`` folder); ``--sardana2024`` is
the folder holding ``trainingresults.csv`` of ``nikhilsardana/beyond-chinchilla`` at commit
``190f70e365dc75037a2b3178609d00243f24b4b9``. Either may be left out. The tables are written to
``data/gadre2024/runs.csv`` and ``data/sardana2024/runs.csv`` (``--out`` changes the folder), with
the full float precision, so a rerun on the same files gives the same bytes. The derivation
itself is :func:`chinchilla_utils.datasets.published_runs.derive_gadre2024` and
:func:`~chinchilla_utils.datasets.published_runs.derive_sardana2024` (tested).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chinchilla_utils.datasets.published_runs import derive_gadre2024, derive_sardana2024

DATA_DIR = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gadre2024", type=Path, help="folder with models/*.json")
    parser.add_argument("--sardana2024", type=Path, help="folder with trainingresults.csv")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="data folder to write into")
    args = parser.parse_args(argv)
    if args.gadre2024 is None and args.sardana2024 is None:
        parser.error("give --gadre2024 and/or --sardana2024")
    for name, folder, derive in (
        ("gadre2024", args.gadre2024, derive_gadre2024),
        ("sardana2024", args.sardana2024, derive_sardana2024),
    ):
        if folder is None:
            continue
        table = derive(folder)
        target = args.out / name / "runs.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(target, index=False, float_format="%.17g", lineterminator="\n")
        print(f"{target}: {len(table)} runs")


if __name__ == "__main__":
    main()
