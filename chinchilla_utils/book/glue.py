"""Helpers for the book's notebooks: the one glue helper, reading glued values back, and
guarding papermill parameters.

:func:`glue_numbers` is how every chapter glues: it takes named numbers, or the fields of a
result object, and glues each under ``<prefix>_<name>``. It refuses strings and booleans, so a
sentence or a verdict is never assembled in code and pasted into prose: a data-dependent claim is
written as prose and guarded by an ``assert`` in a hidden cell instead.

``read_glued`` lets the regression suite (``tests/test_notebooks.py``) read the numbers a chapter
glued with :func:`myst_nb.glue` from an executed ``.ipynb``. ``check_parameters`` is called at the
top of every chapter (right after the ``parameters`` cell): papermill only *warns* about a
parameter the notebook does not declare, so a misspelled ``-p n_bootstrapp 400`` would silently run
the fast defaults; this turns it into an error.
"""

from __future__ import annotations

import ast
import difflib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = [
    "GLUE_MIME_PREFIX",
    "glue_numbers",
    "INJECTED_PARAMETERS_HEADER",
    "assigned_names",
    "check_parameters",
    "duplicate_glue_keys",
    "parse_glue_text",
    "read_glued",
]

#: myst-nb stores ``glue(..., display=False)`` outputs under this mime-type prefix.
GLUE_MIME_PREFIX = "application/papermill.record/"

#: First line of the cell papermill injects after the ``parameters`` cell.
INJECTED_PARAMETERS_HEADER = "# Parameters"


def _gluable(key: str, value: Any) -> float | int:
    import numpy as np

    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise TypeError(
            f"glue_numbers glues numbers only; {key!r} is {type(value).__name__} {value!r}. "
            "Write a claim as prose guarded by an assert, and glue the numbers it rests on"
        )
    if isinstance(value, np.integer | int):
        return int(value)
    return float(value)


def glue_numbers(
    prefix: str, result: Any = None, fields: Sequence[str] = (), **values: Any
) -> dict[str, float | int]:
    """Glue numbers for the prose, each under ``<prefix>_<name>``, and return them.

    Parameters
    ----------
    prefix
        The chapter's or section's key prefix (``"approach2"``); keys are ``prefix_name``.
    result
        Optional result object (a dataclass, or anything with attributes): each of ``fields``
        is read from it with :func:`getattr` and glued under its own name.
    fields
        Attribute names of ``result`` to glue.
    **values
        Further numbers to glue, by name.

    Returns
    -------
    dict
        ``{key: value}`` of everything glued, so a cell can show or assert on it.

    Raises
    ------
    TypeError
        For a value that is not a number (strings and booleans included), naming the key.
    ValueError
        For an empty prefix, or a field asked of a missing ``result``.
    """
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ValueError(f"prefix must be an identifier such as 'approach2', got {prefix!r}")
    if fields and result is None:
        raise ValueError(f"fields {list(fields)} were asked for but no result object was given")
    named = {name: getattr(result, name) for name in fields}
    named.update(values)
    glued = {f"{prefix}_{name}": _gluable(f"{prefix}_{name}", v) for name, v in named.items()}
    from myst_nb import glue

    for key, value in glued.items():
        glue(key, value, display=False)
    return glued


def parse_glue_text(text: str) -> object:
    """Turn the ``text/plain`` representation of a glued value back into a Python value.

    Numbers, strings, booleans, ``None`` and containers of them come back as Python objects
    (parsed with :func:`ast.literal_eval`, never ``eval``); ``nan``/``inf`` become floats; a
    numpy scalar repr such as ``np.float64(0.5)`` becomes its float; anything else (a
    DataFrame's text, a figure's repr) is returned as the original string.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}: {text!r}")
    stripped = text.strip()
    special = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
    if stripped in special:
        return special[stripped]
    try:
        return ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    # numpy >= 2 prints scalars as np.float64(0.5); glue(..., float(x)) is the convention, but
    # reading such a value is harmless and more useful than returning the repr.
    for prefix in ("np.float64(", "np.float32(", "np.int64(", "np.int32(", "np.str_(", "np.bool_("):
        if stripped.startswith(prefix) and stripped.endswith(")"):
            return parse_glue_text(stripped[len(prefix) : -1])
    return text


def _output_text(data: Mapping[str, Any]) -> str | None:
    for key in ("text/plain", GLUE_MIME_PREFIX + "text/plain"):
        if key in data:
            value = data[key]
            return "".join(value) if isinstance(value, list) else str(value)
    return None


def read_glued(executed_ipynb: str | PathLike[str]) -> dict[str, object]:
    """Return every value glued with :func:`myst_nb.glue` in an executed notebook.

    Parameters
    ----------
    executed_ipynb
        Path to an executed ``.ipynb`` (for example papermill's output notebook).

    Returns
    -------
    dict
        Glue key -> value parsed from its ``text/plain`` representation (see
        :func:`parse_glue_text`); later cells win when a key is glued twice, as in myst-nb
        (whose strict build warns about it: :func:`duplicate_glue_keys` finds them).

    Raises
    ------
    ValueError
        If the file is not a notebook (no ``cells`` list).
    FileNotFoundError
        If the file does not exist.
    """
    glued: dict[str, object] = {}
    for name, output in _glue_outputs(executed_ipynb):
        text = _output_text(output.get("data", {}))
        glued[name] = None if text is None else parse_glue_text(text)
    return glued


def duplicate_glue_keys(executed_ipynb: str | PathLike[str]) -> list[str]:
    """Keys glued more than once in an executed notebook (a warning, so an error, in ``-W``)."""
    counts = Counter(name for name, _ in _glue_outputs(executed_ipynb))
    return sorted(name for name, count in counts.items() if count > 1)


def _glue_outputs(executed_ipynb: str | PathLike[str]) -> Iterator[tuple[str, dict]]:
    """(key, output) for every glue output of an executed notebook, in cell order."""
    path = Path(executed_ipynb)
    with path.open(encoding="utf-8") as handle:
        try:
            notebook = json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"executed_ipynb is not a JSON notebook: {str(path)!r}") from error
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"executed_ipynb has no 'cells' list: {str(path)!r}")
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if isinstance(scrapbook, dict) and "name" in scrapbook:
                yield str(scrapbook["name"]), output


def assigned_names(source: str) -> list[str]:
    """Names bound at top level by ``source`` (plain, annotated, augmented and tuple assignment).

    Raises
    ------
    ValueError
        If ``source`` is not valid Python.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ValueError(f"source is not valid Python: {error}") from error

    def targets(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Tuple | ast.List):
            return [name for element in node.elts for name in targets(element)]
        if isinstance(node, ast.Starred):
            return targets(node.value)
        return []

    names: list[str] = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                names.extend(targets(target))
        elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
            names.extend(targets(statement.target))
    return list(dict.fromkeys(names))


def _input_history(namespace: Mapping[str, Any] | None) -> Sequence[str] | None:
    if namespace is None:
        try:
            from IPython import get_ipython
        except ImportError:  # plain Python: nothing can have been injected
            return None
        shell = get_ipython()
        if shell is None:
            return None
        namespace = shell.user_ns
    history = namespace.get("In")
    if history is None:
        return None
    return list(history)


def check_parameters(namespace: Mapping[str, Any] | None = None) -> None:
    """Fail when papermill injected a parameter that the notebook's ``parameters`` cell lacks.

    Call it in the cell right after the ``parameters`` cell. Papermill runs the ``parameters``
    cell, then its injected cell (starting with ``# Parameters``), then the rest, so in the
    kernel's input history the injected cell directly follows the ``parameters`` cell. Every
    name the injected cell assigns must be assigned in the ``parameters`` cell too.

    Parameters
    ----------
    namespace
        The IPython user namespace holding the input history ``In``; by default the running
        IPython shell's. Outside IPython, or when papermill injected nothing (a plain run, a
        Jupyter Book build), this does nothing.

    Raises
    ------
    ValueError
        Naming each unknown parameter with the closest valid name (did you mean ...?) and the
        list of valid ones; also when parameters were injected but the notebook has no
        ``parameters`` cell before them.
    """
    history = _input_history(namespace)
    if not history:
        return
    injected_at = None
    for index in range(len(history) - 1, -1, -1):
        if str(history[index]).lstrip().startswith(INJECTED_PARAMETERS_HEADER):
            injected_at = index
            break
    if injected_at is None:
        return

    injected = assigned_names(str(history[injected_at]))
    declared_source = str(history[injected_at - 1]) if injected_at >= 1 else ""
    declared = assigned_names(declared_source) if declared_source.strip() else []
    if not declared:
        raise ValueError(
            f"papermill injected parameters {injected} but the notebook has no cell tagged "
            "'parameters' before them (or it assigns nothing)"
        )
    unknown = [name for name in injected if name not in declared]
    if not unknown:
        return
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"{name!r}{hint}")
    raise ValueError(
        f"unknown notebook parameter {', '.join(problems)}; "
        f"valid parameters: {', '.join(sorted(declared))}"
    )
