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
the fast defaults; this turns it into an error. It also checks each value's type and range against
the default's (``-p exclude_outliers false`` arrives as the truthy string ``"false"``): a bad value
fails at that first cell, naming the notebook parameter, not ten cells later under an internal name.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import numbers
from collections import Counter
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = [
    "COUNT_PREFIXES",
    "GLUE_MIME_PREFIX",
    "glue_numbers",
    "INJECTED_PARAMETERS_HEADER",
    "assigned_names",
    "check_parameters",
    "coerce_parameter",
    "duplicate_glue_keys",
    "literal_defaults",
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


def _user_namespace(
    namespace: MutableMapping[str, Any] | None,
) -> MutableMapping[str, Any] | None:
    """The namespace to check: the one given, else the running IPython shell's (or None)."""
    if namespace is not None:
        return namespace
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing can have been injected
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns


def literal_defaults(source: str) -> dict[str, object]:
    """Top-level names that ``source`` binds to a Python literal, with the value (last wins).

    A name bound to anything else (an expression such as ``2 * n``) is left out: its type is
    not known without running the cell, so :func:`check_parameters` does not check it.
    """
    values: dict[str, object] = {}
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, node = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, node = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            values[target.id] = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            values.pop(target.id, None)
    return values


#: An int parameter whose name starts with one of these is a count: with a positive default it
#: must stay >= 1 (``n_bootstrap``, ``n_grid``, ``max_iter``); other non-negative numbers >= 0.
COUNT_PREFIXES = ("n_", "max_")


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{value!r} ({type(value).__name__})"


def _wrong_type(name: str, value: object, default: object, expected: str, fix: str) -> TypeError:
    return TypeError(
        f"notebook parameter {name!r} must be {expected} like its default {default!r}, "
        f"got {_shown(value)}; {fix}"
    )


def _as_bool(name: str, value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _wrong_type(
        name,
        value,
        default,
        "a boolean (True/False, or the text true/false in any case)",
        f"pass -p {name} true or -p {name} false",
    )


def _whole_number(value: object) -> int | None:
    """``value`` as an int when it is one (an int, an integral float, such text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                return None
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _as_int(name: str, value: object, default: int) -> int:
    whole = _whole_number(value)
    if whole is None:
        raise _wrong_type(name, value, default, "a whole number", f"pass e.g. -p {name} {default}")
    return whole


def _as_float(name: str, value: object, default: float) -> float:
    number: float | None = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError as exc:
            raise ValueError(
                f"notebook parameter {name!r} is too large for a float (> 1.8e308), got "
                f"{_shown(value)}; pass e.g. -p {name} {default!r}"
            ) from exc
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None:
        raise _wrong_type(name, value, default, "a number", f"pass e.g. -p {name} {default!r}")
    if not math.isfinite(number):
        raise ValueError(
            f"notebook parameter {name!r} must be a finite number like its default {default!r}, "
            f"got {_shown(value)}; pass e.g. -p {name} {default!r}"
        )
    return number


Bounds = tuple[float | None, float | None]


def _conventional_bounds(name: str, default: int | float) -> Bounds:
    if default < 0:
        return (None, None)
    if isinstance(default, int) and default > 0 and name.startswith(COUNT_PREFIXES):
        return (1, None)
    return (0, None)


def _check_bounds(name: str, value: int | float, default: object, bounds: Bounds) -> None:
    low, high = bounds
    what = "a count" if low == 1 and name.startswith(COUNT_PREFIXES) else "a number"
    if low is not None and value < low:
        sign, limit = ">=", low
    elif high is not None and value > high:
        sign, limit = "<=", high
    else:
        return
    raise ValueError(
        f"notebook parameter {name!r} must be {sign} {limit:g} ({what}, like its default "
        f"{default!r}), got {value!r}; pass e.g. -p {name} {default!r}"
    )


def coerce_parameter(
    name: str, value: object, default: object, bounds: Bounds | None = None
) -> object:
    """Check one injected parameter against its default; return it converted where needed.

    The rules (documented in :func:`check_parameters`): a ``None`` default accepts anything; a
    boolean one booleans or the text true/false (converted); an int one whole numbers (an
    integral float such as ``4e3`` or text such as ``"400"`` converted to int); a float one
    finite numbers (converted to float, text parsed); a str one text; a list, tuple or dict one
    the same kind of container. Numbers must lie within ``bounds`` (inclusive; ``None`` for an
    open end), by default :data:`COUNT_PREFIXES`' convention.

    Raises
    ------
    TypeError
        A value of the wrong type, naming the parameter, its default and the fix.
    ValueError
        A number out of range or not finite, naming the parameter, its default and the fix.
    """
    if default is None:
        return value
    if isinstance(default, bool):
        return _as_bool(name, value, default)
    if isinstance(default, int | float):
        number = (_as_int if isinstance(default, int) else _as_float)(name, value, default)
        limits = bounds if bounds is not None else _conventional_bounds(name, default)
        _check_bounds(name, number, default, limits)
        return number
    if isinstance(default, str):
        if not isinstance(value, str):
            raise _wrong_type(
                name,
                value,
                default,
                "text",
                f"papermill's -p reads numbers, True, False and None as such: pass "
                f"-r {name} VALUE to keep the value as text",
            )
        return value
    for kind, label in ((list | tuple, "a list"), (dict, "a dict")):
        if isinstance(default, kind) and not isinstance(value, kind):
            raise _wrong_type(
                name, value, default, label, f"pass it in YAML, e.g. -y '{name}: {default!r}'"
            )
    return value


def check_parameters(
    namespace: MutableMapping[str, Any] | None = None,
    *,
    ranges: Mapping[str, Bounds] | None = None,
) -> None:
    """Fail when papermill injected a parameter that the ``parameters`` cell lacks, or a bad value.

    Call it in the cell right after the ``parameters`` cell. Papermill runs the ``parameters``
    cell, then its injected cell (starting with ``# Parameters``), then the rest, so in the
    kernel's input history the injected cell directly follows the ``parameters`` cell. Every
    name the injected cell assigns must be assigned in the ``parameters`` cell too, and its
    value must fit the default's type and range:

    - a ``None`` default accepts anything (the chapter checks it);
    - a boolean default accepts ``True``/``False`` or the text ``true``/``false`` in any case,
      which papermill's ``-p`` passes as a string (``-p exclude_outliers false``); the string is
      converted and the kernel's variable rebound to the boolean;
    - an int default accepts whole numbers: ints, integral floats (``-p n_bootstrap 4e3``) and
      such text (``-r n_bootstrap 400``), all rebound as int; never booleans or fractions;
    - a float default accepts finite numbers and such text, rebound as float; never booleans;
    - a str default accepts text only (``-p`` turns ``5`` into an int: use ``-r`` for text);
    - a list, tuple or dict default accepts the same kind of container;
    - a default that is not a Python literal is not checked.

    Ranges, by convention: a number whose default is ``>= 0`` must be ``>= 0`` (sizes, budgets,
    tolerances, seeds); an int whose default is positive and whose name starts with ``n_`` or
    ``max_`` is a count and must be ``>= 1``. A chapter that needs other bounds passes
    ``ranges={"name": (low, high)}`` (inclusive, ``None`` for an open end), which replaces the
    convention for those names.

    Parameters
    ----------
    namespace
        The IPython user namespace holding the input history ``In`` and the variables; by
        default the running IPython shell's. Outside IPython, or when papermill injected
        nothing (a plain run, a Jupyter Book build), this does nothing.
    ranges
        Optional bounds for numeric parameters, by name, replacing the convention above.

    Raises
    ------
    ValueError
        Naming each unknown parameter with the closest valid name (did you mean ...?) and the
        list of valid ones; when parameters were injected but the notebook has no
        ``parameters`` cell before them; for a number out of range or not finite; for
        ``ranges`` naming a parameter the notebook lacks.
    TypeError
        For a value of the wrong type. Both name the notebook parameter, its default and the fix.
    """
    namespace = _user_namespace(namespace)
    history = None if namespace is None else namespace.get("In")
    if not history:
        return
    history = [str(cell) for cell in history]
    injected_at = None
    for index in range(len(history) - 1, -1, -1):
        if history[index].lstrip().startswith(INJECTED_PARAMETERS_HEADER):
            injected_at = index
            break
    if injected_at is None:
        return

    injected = assigned_names(history[injected_at])
    declared_source = history[injected_at - 1] if injected_at >= 1 else ""
    declared = assigned_names(declared_source) if declared_source.strip() else []
    if not declared:
        raise ValueError(
            f"papermill injected parameters {injected} but the notebook has no cell tagged "
            "'parameters' before them (or it assigns nothing)"
        )
    unknown = [name for name in injected if name not in declared]
    if unknown:
        problems = []
        for name in unknown:
            close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{name!r}{hint}")
        raise ValueError(
            f"unknown notebook parameter {', '.join(problems)}; "
            f"valid parameters: {', '.join(sorted(declared))}"
        )
    ranges = dict(ranges or {})
    stray = [name for name in ranges if name not in declared]
    if stray:
        raise ValueError(
            f"check_parameters' ranges names {', '.join(map(repr, stray))}, which the "
            f"parameters cell does not assign; valid parameters: {', '.join(sorted(declared))}"
        )

    defaults = literal_defaults(declared_source)
    injected_literals = literal_defaults(history[injected_at])
    for name in injected:
        if name not in defaults:
            continue
        if name in namespace:
            value = namespace[name]
        elif name in injected_literals:
            value = injected_literals[name]
        else:
            continue
        namespace[name] = coerce_parameter(name, value, defaults[name], ranges.get(name))
