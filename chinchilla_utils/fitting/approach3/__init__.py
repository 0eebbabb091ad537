"""Approach 3: fit the parametric loss ``L(N, D) = E + A / N**alpha + B / D**beta``.

The paper (Hoffmann et al. 2022, Section 3.3 and Appendix D.2, Eq. 11) minimises, over
``theta = (a, b, e, alpha, beta)``,

    sum over runs i of Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i )

with ``delta = 1e-3`` and L-BFGS started from every point of a grid (alpha, beta in
{0, 0.5, ..., 2}; e in {-1, -0.5, ..., 1}; a, b in {0, 5, ..., 25}: 4,500 starts), keeping the
best; then ``A = exp(a)``, ``B = exp(b)``, ``E = exp(e)``. ``LSE`` is log-sum-exp, so
``exp(LSE(...)) = A / N**alpha + B / D**beta + E`` is the predicted loss (nats).

One concept a module:

=====================  ==================================================================
``objective``          the objective and its analytic gradient (numpy, the reference)
``_kernel``            the same, compiled and fused into one pass per start (numba)
``lbfgs``              L-BFGS from many starts, compiled; the centred coordinates
``workers``            spreading starts or resample chunks over threads
``grid``               the paper's 4,500 starting points
``result``             :class:`Approach3Result`
``fit``                :func:`fit_approach3`: every start, then a scipy polish of the best
``bootstrap``          :func:`bootstrap_approach3`
``scipy_reference``    :func:`fit_approach3_scipy`: scipy's L-BFGS-B at default tolerances
=====================  ==================================================================

Every function takes the runs as a tidy DataFrame (columns ``n_params``, ``n_tokens``,
``loss``) or as three arrays. Importing this package does not import numba: the compiled
code is loaded by the first fit.

Units: ``n_params`` in parameters, ``n_tokens`` in training tokens, ``loss`` in nats per token,
``flops`` in training FLOPs (``C = 6 N D``).
"""

from __future__ import annotations

from ...constants import CHINCHILLA_FLOPS
from ._data import RUN_COLUMNS
from .bootstrap import DEFAULT_SEED, SAMPLE_COLUMNS, bootstrap_approach3
from .fit import fit_approach3
from .grid import PAPER_GRID_AXES, paper_initial_grid
from .objective import REDUCTIONS, THETA_NAMES, approach3_objective, huber_loss
from .result import AT_BEST_ATOL, AT_BEST_RTOL, DEFAULT_MAX_ITER, Approach3Result
from .scipy_reference import fit_approach3_scipy, subsample_grid

__all__ = [
    "AT_BEST_ATOL",
    "AT_BEST_RTOL",
    "CHINCHILLA_FLOPS",
    "DEFAULT_MAX_ITER",
    "DEFAULT_SEED",
    "PAPER_GRID_AXES",
    "REDUCTIONS",
    "RUN_COLUMNS",
    "SAMPLE_COLUMNS",
    "THETA_NAMES",
    "Approach3Result",
    "approach3_objective",
    "bootstrap_approach3",
    "fit_approach3",
    "fit_approach3_scipy",
    "huber_loss",
    "paper_initial_grid",
    "subsample_grid",
]
