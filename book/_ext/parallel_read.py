"""Sphinx extension: the book's build reads, and so executes, several pages at a time.

myst-nb executes a notebook while Sphinx reads it, so the build's wall time is mostly the
chapters' run time; Sphinx can read in parallel processes, but Jupyter Book 1's CLI has no
``-j``. This extension, listed under ``sphinx: local_extensions`` in ``_config.yml``, keeps
``jupyter-book build . --toc book/_toc.yml -W -n --keep-going --all`` the one build command and:

- sets the number of reading processes from ``book_read_jobs`` (``_config.yml``) or, when set,
  the environment variable ``BOOK_JOBS`` (``BOOK_JOBS=1`` reads serially, as Sphinx does
  without ``-j``). A ``-j`` given to ``sphinx-build`` is kept when it asks for more. Only the
  reading is made parallel: Sphinx writes with ``-j N`` through ``N - 1`` subprocesses while
  the main process resolves every page first, so the write phase took as long either way here.
- declares two extensions that Jupyter Book loads safe for parallel reading: Sphinx refuses
  to read in parallel while any extension leaves that undeclared, and these two do not declare
  it (checked in their sources, sphinx-multitoc-numbering 0.1.3 and sphinx-jupyterbook-latex
  1.0.0). ``sphinx_multitoc_numbering`` (set up by ``sphinx_external_toc`` whatever
  ``use_multitoc_numbering`` says) only replaces ``TocTreeCollector.assign_section_numbers``,
  which Sphinx calls in the main process (``env-get-updated``) after every reading process has
  been merged back, from the merged ``env.tocs``, ``env.numbered_toctrees`` and ``env.titles``;
  it keeps no state per document. ``sphinx_jupyterbook_latex``'s read-time transforms only
  annotate the doctree being read (toctree and section nodes); what it keeps in the
  environment is set in the main process at ``builder-inited``, and only for LaTeX builders.
- hands each executed notebook to a reading process of its own, in Sphinx's alphabetical order
  (so the chapters in toc order), after one chunk with all the other pages (quick to read, and
  every chunk costs a process start and a merge of the whole environment). Sphinx's own split
  gives each process a fixed half of the sorted pages: all the chapters would land in one
  process while the other read the short pages and idled.

Every notebook is still executed on every build (``execute_notebooks: force``), a failing cell
still fails the build, and the output is the same as a serial build's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import sphinx.builders
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

JOBS_VARIABLE = "BOOK_JOBS"
#: Extensions that leave ``parallel_read_safe`` undeclared but are safe (see the docstring).
KNOWN_PARALLEL_READ_SAFE = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")

_sphinx_make_chunks = sphinx.builders.make_chunks


def read_jobs(configured: int, environ: Mapping[str, str] = os.environ) -> int:
    """Number of reading processes: ``$BOOK_JOBS`` when set, else ``configured`` (>= 1)."""
    text = environ.get(JOBS_VARIABLE, "").strip()
    if not text:
        jobs = configured
    else:
        try:
            jobs = int(text)
        except ValueError:
            raise ValueError(
                f"{JOBS_VARIABLE} must be a whole number of processes, got {text!r}; "
                f"use e.g. {JOBS_VARIABLE}=2, or {JOBS_VARIABLE}=1 to read serially"
            ) from None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(
            f"the number of reading processes must be an integer >= 1, got {jobs!r} "
            f"(book_read_jobs in _config.yml or ${JOBS_VARIABLE})"
        )
    return jobs


def reading_chunks(docnames: Sequence[str], executed: set[str]) -> list[list[str]]:
    """The pages not in ``executed`` as one chunk, then each page in ``executed`` (notebooks) as
    a chunk of its own; pages keep the given order."""
    others = [name for name in docnames if name not in executed]
    return ([others] if others else []) + [[name] for name in docnames if name in executed]


def pool_order(chunks: Sequence[list[str]], nproc: int) -> list[list[str]]:
    """The chunks arranged so that Sphinx's task pool starts them in the given order.

    ``sphinx.util.parallel.ParallelTasks`` starts the first ``nproc`` tasks at once and then,
    each time a process ends, the task added *last* among those waiting (``dict.popitem``):
    so the waiting ones are handed to it in reverse. ``tests/test_parallel_read.py`` checks this
    against the installed Sphinx.
    """
    return list(chunks[:nproc]) + list(chunks[nproc:])[::-1]


def _set_jobs(app: Sphinx, config: Config) -> None:
    # config-inited comes after every extension of the configuration has been set up.
    for name in KNOWN_PARALLEL_READ_SAFE:
        if name in app.extensions and app.extensions[name].parallel_read_safe is None:
            app.extensions[name].parallel_read_safe = True
    jobs = read_jobs(config.book_read_jobs)
    if jobs > app.parallel:
        asked = app.parallel

        def _write_as_asked(app: Sphinx, env: BuildEnvironment) -> None:
            app.parallel = asked

        app.parallel = jobs
        app.connect("env-updated", _write_as_asked)


def _order_documents(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if app.parallel <= 1:
        return
    executed = {name for name in docnames if str(env.doc2path(name)).endswith(".ipynb")}
    chunks = reading_chunks(docnames, executed)
    order = [name for chunk in chunks for name in chunk]
    docnames[:] = order  # Sphinx reads the list it passed, in place

    def chunks_for_the_pool(arguments: Sequence[str], nproc: int, maxbatch: int = 10):
        if list(arguments) != order:  # not the read of these pages: Sphinx's own split
            return _sphinx_make_chunks(arguments, nproc, maxbatch)
        return pool_order(chunks, nproc)

    sphinx.builders.make_chunks = chunks_for_the_pool
    logger.info(
        f"reading {len(order)} pages with {app.parallel} processes, in chunks: "
        + ", ".join("+".join(chunk) for chunk in chunks)
    )


def _restore_chunks(app: Sphinx, env: BuildEnvironment) -> None:
    sphinx.builders.make_chunks = _sphinx_make_chunks


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_read_jobs", 1, "", types=[int])
    app.connect("config-inited", _set_jobs)
    app.connect("env-before-read-docs", _order_documents)
    app.connect("env-updated", _restore_chunks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
