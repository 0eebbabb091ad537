"""chinchilla_utils: the tested code behind the Chinchilla reproduction book.

Two layers. The **science library** knows nothing of the book's pages; a practitioner can use
it on their own runs:

- ``constants``: the paper's named numbers (Chinchilla's and Gopher's compute), read once.
- ``laws``: scaling laws as objects (``ParametricLoss``, ``PowerLawFrontier``,
  ``OvertrainingLoss``).
- ``compute.flops``: FLOPs and parameter counts of a transformer (6ND, Appendix F).
- ``compute.cost``: FLOPs to PF-days, accelerator-days and dollars.
- ``compute.conventions``: named ways of counting N and C, applied to any table of runs.
- ``compute.reconcile``: Pearce and Song's view of the Chinchilla law in Kaplan's counts.
- ``datasets.paper``: the paper's tables, checked on load.
- ``datasets.epoch_ai``: Epoch AI's 245 points from the paper's Figure 4 (not shipped).
- ``datasets.sweep``: the book's laptop training sweep (shipped results).
- ``datasets.published_runs``: published training runs of Gadre et al. and Sardana et al. (2024).
- ``fitting.errors``: ``FitError``, a fit that fails at run time.
- ``fitting.inputs``: the one input shape of the fits (a tidy table of runs, or arrays).
- ``fitting.powerlaw``: power laws in log-log space.
- ``fitting.bootstrap``: resampling shared by the three approaches.
- ``fitting.synthetic``: runs drawn from a known law, for tests and exercises.
- ``fitting.approach1``: envelope of training curves (Approach 1).
- ``fitting.approach2``: IsoFLOP parabolas (Approach 2).
- ``fitting.approach3``: the parametric loss fit (Approach 3), with its scipy reference fitter.
- ``fitting.overtraining``: Gadre et al. (2024)'s law in compute and over-training, fitted.
- ``heldout``: fit on small runs, predict larger ones, with intervals and their coverage.
- ``planning.inference``: the inference-aware optimum and its cost variant (Sardana et al.).
- ``planning.data_constrained``: repeated data and capped unique tokens (Muennighoff et al.).
- ``planning.sweep_design``: an IsoFLOP sweep's sizes and the interval on ``a`` to expect.
- ``planning.named_laws``: the published laws by name, and a law fitted to your own runs.
- ``cli``: the ``chinchilla`` command line over ``planning`` and ``compute.cost``.
- ``sweep``: the laptop training sweep itself (needs torch): ``sweep.plans``, ``sweep.runner``,
  ``sweep.train``, ``sweep.corpus``, ``sweep.model_shapes``; where runs train: ``sweep.worker``
  (one run, any backend), ``sweep.pool`` (local processes), ``sweep.ray_cluster`` (Ray, the
  ``cluster`` extra); ``sweep.cache`` (the validated run cache), ``sweep.errors``.

The **book layer**, ``book``, holds what only the pages need: ``book.glue`` (the glue helper
and the chapters' parameter check), ``book.plotting`` (figure style and recurring figures),
``book.status``, ``book.tables``, ``book.projections`` (Tables 3 and A3 regenerated),
``book.flops_tables`` (Tables A4 and A9 recounted), ``book.sweep_fits`` (the laptop sweep
fitted once for every chapter), ``book.compare``, ``book.training_curves``,
``book.evaluations``, ``book.compute_audit`` (the FLOPs budgeting chapter's tables),
``book.errata`` (the errata page's arithmetic) and ``book.conventions`` (the approaches under
each counting convention).
"""

__version__ = "0.2.0"
