"""Tests for chinchilla_utils.book.sweep_fits: the laptop sweep fitted once for every chapter."""

from __future__ import annotations

import numpy as np

from chinchilla_utils.book import sweep_fits
from chinchilla_utils.book.training_curves import approach1_curves
from chinchilla_utils.datasets.sweep import SWEEP_DIR, load_sweep_curves, load_sweep_runs
from chinchilla_utils.fitting.approach1 import fit_approach1
from chinchilla_utils.fitting.approach2 import fit_approach2


def test_each_setting_is_fitted_once_per_process_however_the_folder_is_spelled():
    first = sweep_fits.laptop_approach2()
    assert sweep_fits.laptop_approach2() is first
    assert sweep_fits.laptop_approach2(SWEEP_DIR) is first
    assert sweep_fits.laptop_approach2(str(SWEEP_DIR) + "/.") is first
    assert sweep_fits.laptop_approach2(count_embeddings=False) is not first


def test_approach2_is_the_plain_fit_of_the_final_validation_losses():
    runs = load_sweep_runs()
    expected = fit_approach2(runs, loss="final_val_loss")
    assert sweep_fits.laptop_approach2().a == expected.a
    non_embedding = fit_approach2(runs, n_params="n_params_non_embedding", loss="final_val_loss")
    assert sweep_fits.laptop_approach2(count_embeddings=False).a == non_embedding.a


def test_approach1_starts_at_the_smallest_budget():
    runs = load_sweep_runs()
    curves = approach1_curves(load_sweep_curves(), runs, count_embeddings=True)
    expected = fit_approach1(curves, flops_min=float(runs["budget"].min()))
    result = sweep_fits.laptop_approach1()
    assert result.a == expected.a and result.b == expected.b
    assert result.flops_min >= runs["budget"].min()
    wider = sweep_fits.laptop_approach1(flops_min=float(runs["budget"].min()) / 10)
    assert wider.flops_min < result.flops_min


def test_laptop_fits_bundles_the_three_default_fits():
    fits = sweep_fits.laptop_fits()
    assert fits.approach1 is sweep_fits.laptop_approach1()
    assert fits.approach2 is sweep_fits.laptop_approach2()
    assert fits.approach3 is sweep_fits.laptop_approach3(n_starts=500, seed=0, delta=1e-3)
    assert fits.approach3.n_starts == sweep_fits.APPROACH3_N_STARTS
    assert fits.approach3.n_points == len(load_sweep_runs())
    assert np.isfinite(fits.approach3.law.a)
