"""Tests for chinchilla_utils.book.glue: reading glued values and guarding papermill parameters."""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from chinchilla_utils.book.glue import (
    assigned_names,
    check_parameters,
    duplicate_glue_keys,
    parse_glue_text,
    read_glued,
)

# --- parse_glue_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", 0.5),
        ("1e+23", 1e23),
        ("-3", -3),
        ("'reproduced'", "reproduced"),
        ("True", True),
        ("(1, 2.5)", (1, 2.5)),
        ("np.float64(0.25)", 0.25),
        ("np.int64(7)", 7),
        ("inf", math.inf),
    ],
)
def test_parse_glue_text_literals(text, expected):
    assert parse_glue_text(text) == expected
    assert type(parse_glue_text(text)) is type(expected)


def test_parse_glue_text_nan_and_fallback():
    assert math.isnan(parse_glue_text("nan"))
    # Not a literal: never evaluated, returned as text.
    assert parse_glue_text("__import__('os').getcwd()") == "__import__('os').getcwd()"
    assert parse_glue_text("<Figure size 640x480 with 1 Axes>") == (
        "<Figure size 640x480 with 1 Axes>"
    )


def test_parse_glue_text_rejects_non_str():
    with pytest.raises(ValueError, match="text"):
        parse_glue_text(0.5)


# --- read_glued ---------------------------------------------------------------------------------


def _glue_output(name, text, hidden=True):
    prefix = "application/papermill.record/" if hidden else ""
    return new_output(
        "display_data",
        data={prefix + "text/plain": text},
        metadata={"scrapbook": {"name": name, "mime_prefix": prefix}},
    )


def test_read_glued_reads_hidden_and_displayed_glue(tmp_path):
    cell = new_code_cell("glue(...)")
    cell.outputs = [
        _glue_output("approach2_a", "0.4934"),
        _glue_output("status_table_a4", "'reproduced'", hidden=False),
        new_output("stream", name="stdout", text="0.1\n"),  # not glue
        new_output("display_data", data={"text/plain": "42"}),  # no scrapbook metadata
    ]
    later = new_code_cell("glue again")
    later.outputs = [_glue_output("approach2_a", "0.5")]
    notebook = new_notebook(cells=[new_markdown_cell("# t"), cell, later])
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)

    glued = read_glued(path)

    assert glued == {"approach2_a": 0.5, "status_table_a4": "reproduced"}
    assert duplicate_glue_keys(path) == ["approach2_a"]


def test_read_glued_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_glued(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match="executed_ipynb"):
        read_glued(bad)
    no_cells = tmp_path / "nocells.ipynb"
    no_cells.write_text('{"metadata": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="cells"):
        read_glued(no_cells)


# --- assigned_names and check_parameters (without a kernel) --------------------------------------


def test_assigned_names_covers_assignment_forms():
    source = "a = 1  # full: 2\nb: int = 3\nc, (d, e) = 1, (2, 3)\nf += 1\nprint(a)\ng.h = 4\n"
    assert assigned_names(source) == ["a", "b", "c", "d", "e", "f"]
    with pytest.raises(ValueError, match="source"):
        assigned_names("a = ")


PARAMETERS_CELL = "n_bootstrap = 100  # full: 4000\nseed = 0\nbudget_tolerance_dex = 0.1\n"


def test_check_parameters_no_op_without_injection():
    check_parameters({"In": ["", PARAMETERS_CELL, "check_parameters()"]})
    check_parameters({})  # no history at all
    check_parameters()  # not running under IPython


def test_check_parameters_accepts_declared_parameters():
    history = ["", PARAMETERS_CELL, "# Parameters\nn_bootstrap = 400\nseed = 1\n", "check()"]
    check_parameters({"In": history})


def test_check_parameters_names_unknown_parameter_with_suggestion():
    history = ["", PARAMETERS_CELL, "# Parameters\nn_bootstrapp = 400\n", "check()"]
    with pytest.raises(ValueError) as info:
        check_parameters({"In": history})
    message = str(info.value)
    assert "'n_bootstrapp'" in message
    assert "did you mean 'n_bootstrap'" in message
    assert "budget_tolerance_dex, n_bootstrap, seed" in message


def test_check_parameters_unknown_without_close_match():
    history = ["", PARAMETERS_CELL, "# Parameters\nzzz = 1\n"]
    with pytest.raises(ValueError, match="'zzz'; valid parameters") as info:
        check_parameters({"In": history})
    assert "did you mean" not in str(info.value)


def test_check_parameters_requires_a_parameters_cell():
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        check_parameters({"In": ["", "# Parameters\nn_bootstrap = 1\n"]})


# --- end to end with papermill -------------------------------------------------------------------


def _checked_notebook(path, parameters_source, glue_source):
    """A chapter in miniature: a title, a ``parameters`` cell, ``check_parameters()``, then glue."""
    parameters = new_code_cell(parameters_source)
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        new_markdown_cell(f"# {path.stem.capitalize()}"),
        parameters,
        new_code_cell(
            "from chinchilla_utils.book.glue import check_parameters\n"
            "check_parameters()\n"
            "from myst_nb import glue"
        ),
        new_code_cell(glue_source),
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), path)
    return path


@pytest.fixture(scope="module")
def tiny_notebook(tmp_path_factory):
    return _checked_notebook(
        tmp_path_factory.mktemp("tiny") / "tiny.ipynb",
        "n_bootstrap = 100  # full: 4000\nseed = 0",
        "glue('tiny_n_bootstrap', int(n_bootstrap), display=False)\n"
        "glue('tiny_half', n_bootstrap / 2, display=False)\n"
        "glue('tiny_label', 'ok')",
    )


def _run(source, output, parameters):
    papermill = pytest.importorskip("papermill")
    return papermill.execute_notebook(
        str(source),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(source.parent),
        progress_bar=False,
    )


@pytest.mark.notebooks
def test_papermill_parameter_reaches_glue(tiny_notebook, tmp_path):
    output = tmp_path / "out.ipynb"
    _run(tiny_notebook, output, {"n_bootstrap": 400})
    assert read_glued(output) == {"tiny_n_bootstrap": 400, "tiny_half": 200.0, "tiny_label": "ok"}


@pytest.mark.notebooks
def test_papermill_misspelled_parameter_fails(tiny_notebook, tmp_path):
    papermill = pytest.importorskip("papermill")
    with pytest.raises(papermill.PapermillExecutionError) as info:
        _run(tiny_notebook, tmp_path / "out.ipynb", {"n_bootstrapp": 400})
    assert info.value.ename == "ValueError"
    assert "did you mean 'n_bootstrap'" in info.value.evalue


# --- check_parameters: types and ranges (issue 13, item 2) ---------------------------------------

TYPED_CELL = (
    "n_bootstrap = 100  # full: 4000\n"
    "bootstrap_seed = 0\n"
    "exclude_outliers = False\n"
    "bootstrap_fraction = 0.8\n"
    "bootstrap_method = 'subsample'\n"
    "early_stop_iters = [5, 10]\n"
    "sweep_dir = None\n"
    "flops_budget = (\n    5.76e23  # full: 5.76e23\n)\n"
)


def _injected(**values):
    """The cell papermill injects: ``# Parameters`` then one ``name = repr(value)`` a line."""
    return "# Parameters\n" + "".join(f"{name} = {value!r}\n" for name, value in values.items())


def _check(**values):
    """Run check_parameters on a history with TYPED_CELL and ``values`` injected.

    Returns the namespace: the injected values, rebound where check_parameters converted them.
    """
    namespace = {"In": ["", TYPED_CELL, _injected(**values), "check_parameters()"], **values}
    check_parameters(namespace)
    return namespace


@pytest.mark.parametrize("text", ["false", "False", "FALSE", " false ", "true", "True", "tRuE"])
def test_check_parameters_converts_boolean_strings(text):
    """Issue 13 item 2: ``-p exclude_outliers false`` arrived as the truthy string "false"."""
    namespace = _check(exclude_outliers=text)
    assert namespace["exclude_outliers"] is (text.strip().lower() == "true")


@pytest.mark.parametrize("bad", ["yes", "0", 0, 1, 1.0, None, "f"])
def test_check_parameters_refuses_non_booleans_for_a_boolean(bad):
    """Issue 13 item 2: a boolean default accepts only booleans or the strings true/false."""
    with pytest.raises(TypeError, match=r"notebook parameter 'exclude_outliers'.*boolean"):
        _check(exclude_outliers=bad)


@pytest.mark.parametrize(
    ("value", "expected"), [(400, 400), (4000.0, 4000), ("400", 400), (" 7 ", 7)]
)
def test_check_parameters_accepts_whole_numbers_for_an_int(value, expected):
    namespace = _check(n_bootstrap=value)
    assert namespace["n_bootstrap"] == expected and type(namespace["n_bootstrap"]) is int


@pytest.mark.parametrize("bad", ["abc", 2.5, True, False, None, "4.5", [1], float("nan")])
def test_check_parameters_refuses_non_integers_for_an_int(bad):
    """Issue 13 item 2: ``-p n_bootstrap abc`` failed only at cell 12, naming ``n_resamples``."""
    with pytest.raises(TypeError, match=r"notebook parameter 'n_bootstrap'.*whole number"):
        _check(n_bootstrap=bad)


@pytest.mark.parametrize("bad", [0, -5, "-5", -1.0])
def test_check_parameters_refuses_a_non_positive_count(bad):
    """Issue 13 item 2: ``-p n_bootstrap -5`` failed only at cell 12, naming ``n_resamples``."""
    with pytest.raises(ValueError, match=r"notebook parameter 'n_bootstrap' must be >= 1") as info:
        _check(n_bootstrap=bad)
    assert "-p n_bootstrap 100" in str(info.value)  # the fix: the default as an example


def test_check_parameters_seed_zero_is_not_a_count():
    assert _check(bootstrap_seed=0)["bootstrap_seed"] == 0
    with pytest.raises(ValueError, match=r"'bootstrap_seed' must be >= 0"):
        _check(bootstrap_seed=-1)


@pytest.mark.parametrize(("value", "expected"), [(0.5, 0.5), (1, 1.0), ("0.25", 0.25)])
def test_check_parameters_accepts_numbers_for_a_float(value, expected):
    namespace = _check(bootstrap_fraction=value)
    assert namespace["bootstrap_fraction"] == expected
    assert type(namespace["bootstrap_fraction"]) is float


@pytest.mark.parametrize("bad", ["lots", True, None, [0.5]])
def test_check_parameters_refuses_non_numbers_for_a_float(bad):
    with pytest.raises(TypeError, match=r"notebook parameter 'flops_budget'.*number"):
        _check(flops_budget=bad)


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), -1e21, pytest.param(10**400, id="10**400")]
)
def test_check_parameters_refuses_non_finite_or_negative_floats(bad):
    with pytest.raises(ValueError, match=r"notebook parameter 'flops_budget'"):
        _check(flops_budget=bad)


def test_check_parameters_strings_lists_and_none_defaults():
    assert _check(bootstrap_method="replacement")["bootstrap_method"] == "replacement"
    with pytest.raises(TypeError, match=r"'bootstrap_method'.*text.*-r bootstrap_method"):
        _check(bootstrap_method=5)
    assert _check(early_stop_iters=[1, 2, 3])["early_stop_iters"] == [1, 2, 3]
    with pytest.raises(TypeError, match=r"'early_stop_iters'.*list"):
        _check(early_stop_iters=5)
    for anything in ("data/sweep", 3, None, ["a"]):  # a None default accepts anything
        assert _check(sweep_dir=anything)["sweep_dir"] == anything


def test_check_parameters_explicit_ranges():
    """A chapter can narrow (or widen) the convention with ``ranges``."""
    history = ["", TYPED_CELL, _injected(bootstrap_fraction=1.5)]
    check_parameters({"In": history, "bootstrap_fraction": 1.5})  # >= 0 by convention
    with pytest.raises(ValueError, match=r"'bootstrap_fraction' must be <= 1"):
        check_parameters(
            {"In": history, "bootstrap_fraction": 1.5}, ranges={"bootstrap_fraction": (0, 1)}
        )
    history = ["", TYPED_CELL, _injected(n_bootstrap=0)]
    check_parameters({"In": history, "n_bootstrap": 0}, ranges={"n_bootstrap": (0, None)})
    with pytest.raises(ValueError, match="ranges names 'n_boot'"):
        check_parameters({"In": history, "n_bootstrap": 0}, ranges={"n_boot": (0, None)})


def test_check_parameters_reads_injected_values_without_a_namespace_value():
    """Values come from the kernel namespace; without one, from the injected cell's literals."""
    with pytest.raises(ValueError, match="'n_bootstrap' must be >= 1"):
        check_parameters({"In": ["", TYPED_CELL, _injected(n_bootstrap=-5)]})


# --- end to end through papermill's command line (issue 13, item 2) ------------------------------


@pytest.fixture(scope="module")
def typed_notebook(tmp_path_factory):
    """A two-parameter chapter: its second cell checks, its third glues what the kernel holds."""
    return _checked_notebook(
        tmp_path_factory.mktemp("typed") / "typed.ipynb",
        "n_bootstrap = 100  # full: 4000\nexclude_outliers = False",
        "glue('typed_exclude', repr(exclude_outliers), display=False)\n"
        "glue('typed_n', repr(n_bootstrap), display=False)",
    )


def _papermill_cli(source, output, *options):
    """Run ``papermill SOURCE OUTPUT OPTIONS...`` as a reader would; return the process."""
    import subprocess
    import sys

    pytest.importorskip("papermill")
    command = [sys.executable, "-m", "papermill", str(source), str(output), "-k", "python3"]
    return subprocess.run(
        [*command, "--cwd", str(source.parent), *options],
        capture_output=True,
        text=True,
        check=False,
    )


def _failed_cell(output):
    """Index (among code cells) of the cell whose error stopped the run, and its error."""
    notebook = nbformat.read(output, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for index, cell in enumerate(code):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return index, out["ename"], out["evalue"]
    return None


@pytest.mark.notebooks
def test_papermill_cli_false_string_becomes_false(typed_notebook, tmp_path):
    """Issue 13 item 2: ``-p exclude_outliers false`` ran with the truthy string "false"."""
    output = tmp_path / "out.ipynb"
    process = _papermill_cli(
        typed_notebook, output, "-p", "exclude_outliers", "false", "-p", "n_bootstrap", "4e3"
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert read_glued(output) == {"typed_exclude": "False", "typed_n": "4000"}


@pytest.mark.notebooks
@pytest.mark.parametrize(
    ("value", "ename"), [("abc", "TypeError"), ("-5", "ValueError"), ("2.5", "TypeError")]
)
def test_papermill_cli_bad_count_fails_at_the_first_cell(typed_notebook, tmp_path, value, ename):
    """Issue 13 item 2: ``-p n_bootstrap abc`` / ``-5`` failed only at cell 12 (``n_resamples``)."""
    output = tmp_path / "out.ipynb"
    process = _papermill_cli(typed_notebook, output, "-p", "n_bootstrap", value)
    assert process.returncode != 0
    # code cells: 0 parameters, 1 injected by papermill, 2 check_parameters()
    index, error, message = _failed_cell(output)
    assert (index, error) == (2, ename)
    assert "notebook parameter 'n_bootstrap'" in message and "n_resamples" not in message


def test_glue_numbers_glues_fields_and_values(monkeypatch):
    import dataclasses

    import myst_nb

    from chinchilla_utils.book.glue import glue_numbers

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display: calls.append((key, value)))

    @dataclasses.dataclass
    class Result:
        a: float
        n_runs: int

    glued = glue_numbers("ch", Result(0.5, 7), ["a", "n_runs"], ratio=np.float64(2.5))
    assert glued == {"ch_a": 0.5, "ch_n_runs": 7, "ch_ratio": 2.5}
    assert calls == list(glued.items())
    assert type(glued["ch_n_runs"]) is int and type(glued["ch_ratio"]) is float


@pytest.mark.parametrize("bad", ["a sentence", True, np.bool_(False), None, [1, 2]])
def test_glue_numbers_refuses_anything_but_numbers(bad):
    from chinchilla_utils.book.glue import glue_numbers

    with pytest.raises(TypeError, match="'ch_claim' is"):
        glue_numbers("ch", claim=bad)


def test_glue_numbers_checks_prefix_and_result():
    from chinchilla_utils.book.glue import glue_numbers

    with pytest.raises(ValueError, match="prefix"):
        glue_numbers("", x=1.0)
    with pytest.raises(ValueError, match="no result object"):
        glue_numbers("ch", None, ["a"])
