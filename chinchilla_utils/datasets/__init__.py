"""Every data set the book reads, each behind a loader that checks it.

- :mod:`~chinchilla_utils.datasets.paper`: the paper's tables (CSV transcriptions in ``data/``).
- :mod:`~chinchilla_utils.datasets.epoch_ai`: Epoch AI's 245 points extracted from the paper's
  Figure 4 (not shipped: found in ``$CHINCHILLA_DATA_DIR``, a user cache, or downloaded from a
  commit-pinned URL and checked by SHA-256).
- :mod:`~chinchilla_utils.datasets.sweep`: the book's laptop training sweep (shipped results).
- :mod:`~chinchilla_utils.datasets.published_runs`: published training runs with open licences
  (Gadre et al. 2024, MIT; Sardana et al. 2024, Apache-2.0), shipped with their licences.

Shipped files are found through :mod:`~chinchilla_utils.datasets._files`, so the loaders work
from a clone and from an installed wheel alike.
"""
