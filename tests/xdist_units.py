"""How ``make test`` shares the tests between two pytest-xdist workers (``-n 2 --dist loadscope
--no-loadscope-reorder``; the hooks are in ``conftest.py``).

A unit of work runs on one worker, its tests one after another. A unit is a test module, so that
a module's fixtures (a site build, a wheel, a sweep) run once; except that a test of a chapter
module parametrized by a chapter belongs to that chapter's unit, so that two chapters run at a
time while each runs once on its worker (plus its rerun), its result shared by its tests.

xdist's ``--dist loadgroup`` with ``xdist_group`` marks would say the same, but with pytest 9.2
it silently stops grouping: xdist 3.8.0 passes the group by renaming node ids, which pytest 9.2
no longer lets it do (pytest-dev/pytest-xdist#1386). The scheduler here reads the unit from the
node id instead.

Units are handed out in collection order (``--no-loadscope-reorder``); in a worker the slow
kinds of test are collected first, in :data:`SLOW_FIRST` order, so that the run does not end on
one of them while the other worker idles.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

#: Test modules whose tests are parametrized by chapter (the id in brackets) and execute it.
CHAPTER_MODULES = ("test_notebooks.py",)
#: Kinds of test (markers) that take a minute or more, first to last.
SLOW_FIRST = ("site", "wheel", "notebooks", "sweep")


def xdist_scope(nodeid: str) -> str:
    """The unit of work of the test with this node id (see the module docstring)."""
    path, _, name = nodeid.partition("::")
    if PurePosixPath(path).name in CHAPTER_MODULES and name.endswith("]") and "[" in name:
        return f"{path}::[{name[name.index('[') + 1 : -1]}]"
    return path


def slowness_rank(item: pytest.Item) -> int:
    """Position of the item's kind in :data:`SLOW_FIRST`; every other test after them."""
    for rank, kind in enumerate(SLOW_FIRST):
        if item.get_closest_marker(kind) is not None:
            return rank
    return len(SLOW_FIRST)


def book_scope_scheduling(config: pytest.Config, log):
    """xdist's ``loadscope`` scheduler with the units of :func:`xdist_scope`."""
    from xdist.scheduler import LoadScopeScheduling

    class BookScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return BookScopeScheduling(config, log)
