"""The laptop-scale training sweep: byte-level transformers trained on the Python stdlib.

Reading the shipped results needs no torch (they live in :mod:`chinchilla_utils.datasets.sweep`)::

    from chinchilla_utils.datasets.sweep import load_sweep_runs, load_sweep_curves

Regenerating them does (``pip install chinchilla_utils[sweep]``)::

    python -m chinchilla_utils.sweep --plan book --jobs 2

On a Ray cluster or a local Ray (``pip install chinchilla_utils[cluster]``)::

    python -m chinchilla_utils.sweep --plan large --backend ray --address auto

Only ``chinchilla_utils.sweep.train`` imports torch, and only inside the worker processes
(and the driver, to check a GPU for ``--device cuda``); only ``sweep.ray_cluster`` imports
ray, when a Ray sweep starts. Used by the Approach 1, 2 and 3 chapters.
"""
