"""The book's data files, installed with the package as ``chinchilla_utils._data``.

This folder is the source of truth for every shipped CSV (see ``README.md`` beside this file).
``pyproject.toml`` maps it into the package, so a wheel carries the tables and
``chinchilla_utils.datasets`` finds them with :mod:`importlib.resources`, in a clone and in an
installed wheel alike. Nothing here is meant to be imported directly.
"""
