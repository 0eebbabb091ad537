"""The book layer: what only the book's pages need.

The science library (everything outside this subpackage) knows nothing of chapters; the modules
here glue numbers into pages, set the figure style, and build the paper-versus-book tables.

- :mod:`~chinchilla_utils.book.glue`: the one glue helper and the parameter check of a chapter.
- :mod:`~chinchilla_utils.book.plotting`: the book's figure style and its recurring figures.
- :mod:`~chinchilla_utils.book.status`: the intro's reproduction-status table.
- :mod:`~chinchilla_utils.book.tables`: Approach 3 fits and laws as tables, scored on the data.
- :mod:`~chinchilla_utils.book.projections`: Tables 3 and A3 regenerated beside the printed
  ones (one function for both), and the Section 3.4 claims.
- :mod:`~chinchilla_utils.book.flops_tables`: Tables A4 and A9 recounted (the compute chapter
  and the status table).
- :mod:`~chinchilla_utils.book.sweep_fits`: the laptop sweep fitted by the three approaches,
  once per process, for chapters 2-4.
- :mod:`~chinchilla_utils.book.compare`: the approaches' exponents and allocations side by side.
- :mod:`~chinchilla_utils.book.training_curves`: the laptop sweep's curves for Approach 1.
- :mod:`~chinchilla_utils.book.evaluations`: Chinchilla against Gopher, task by task.
- :mod:`~chinchilla_utils.book.compute_audit`: the FLOPs budgeting chapter's tables (Appendix F,
  Tables A4 and A9, Gopher's three compute figures, budget plans).
- :mod:`~chinchilla_utils.book.errata`: the errata page's arithmetic.
"""
