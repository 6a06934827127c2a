"""Embedding diagnostics on inputs whose answer is known."""

from __future__ import annotations

import math

import pytest
import torch

from jepa_ref.diagnostics import active_dims, auroc, embedding_std, linear_probe_r2, rankme
from jepa_ref.runtime import make_generator


def gaussian(n: int, d: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=make_generator(seed))


# --- embedding_std ---------------------------------------------------------------------------


def test_embedding_std_is_mean_of_per_dimension_stds():
    # Column stds (unbiased): [1, 1, 1, 1] -> 2/sqrt(3); [0, 0, 0, 0] -> 0; [0, 0, 3, 3] -> sqrt(3).
    z = torch.tensor([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [1.0, 0.0, 3.0], [-1.0, 0.0, 3.0]])
    expected = (2 / math.sqrt(3) + 0 + math.sqrt(3)) / 3
    assert embedding_std(z) == pytest.approx(expected, rel=1e-6)


def test_embedding_std_is_absolute_and_flattens_leading_axes():
    z = gaussian(2000, 8)
    assert embedding_std(z) == pytest.approx(1.0, abs=0.05)
    assert embedding_std(1e-4 * z) == pytest.approx(1e-4 * embedding_std(z), rel=1e-6)
    assert embedding_std(z.reshape(4, 500, 8)) == embedding_std(z)
    assert embedding_std(torch.full((10, 4), 3.0)) == 0.0


# --- active_dims -----------------------------------------------------------------------------


def test_active_dims_counts_principal_directions_not_axes():
    assert active_dims(gaussian(2000, 8)) == 8
    low_rank = gaussian(500, 2) @ gaussian(2, 16, seed=1)  # rank 2 embedded in 16 dims
    assert active_dims(low_rank) == 2
    one_feature_copied = gaussian(500, 1).repeat(1, 16)
    assert active_dims(one_feature_copied) == 1
    assert active_dims(torch.full((50, 8), 2.0)) == 0


def test_active_dims_ignores_components_below_the_variance_threshold():
    scales = torch.tensor([1.0, 1.0, 1.0, 1e-3])
    z = gaussian(2000, 4) * scales
    assert active_dims(z, threshold=0.99) == 3
    assert active_dims(z, threshold=0.9999999) == 4


def test_active_dims_is_scale_invariant_unless_given_a_std_floor():
    z = gaussian(1000, 8)
    assert active_dims(1e-4 * z) == active_dims(z) == 8
    assert active_dims(1e-4 * z, min_std=1e-2) == 0
    assert active_dims(z, min_std=1e-2) == 8


# --- rankme ----------------------------------------------------------------------------------


def test_rankme_of_equal_singular_values_is_full_rank():
    assert rankme(torch.eye(16)) == pytest.approx(16.0, rel=1e-4)
    assert rankme(torch.eye(16)[:, :4] * 5) == pytest.approx(4.0, rel=1e-4)


def test_rankme_of_rank_one_is_one_and_is_scale_invariant():
    rank_one = gaussian(100, 1) @ gaussian(1, 32, seed=1)
    assert rankme(rank_one) == pytest.approx(1.0, abs=1e-3)
    z = gaussian(200, 16)
    assert rankme(1e-4 * z) == pytest.approx(rankme(z), rel=1e-6)
    assert 12 < rankme(z) < 16
    assert rankme(torch.zeros(10, 4)) == 0.0


# --- linear_probe_r2 -------------------------------------------------------------------------


def test_probe_recovers_a_linear_map():
    z = gaussian(400, 8)
    y = z @ gaussian(8, 2, seed=1) + 0.5
    assert linear_probe_r2(z[:300], y[:300], z[300:], y[300:]) > 0.999


def test_probe_of_features_unrelated_to_targets_is_near_or_below_zero():
    z, y = gaussian(400, 8), gaussian(400, 2, seed=1)
    assert linear_probe_r2(z[:300], y[:300], z[300:], y[300:]) < 0.05


def test_probe_of_a_constant_embedding_predicts_the_train_mean():
    y = gaussian(400, 2, seed=1)
    constant = torch.full((400, 8), 0.7)
    r2 = linear_probe_r2(constant[:300], y[:300], constant[300:], y[300:])
    test_y, train_mean = y[300:].double(), y[:300].double().mean(0)
    residual = (test_y - train_mean).square().sum(0)
    total = (test_y - test_y.mean(0)).square().sum(0)
    assert r2 == pytest.approx((1 - residual / total).mean().item(), rel=1e-9)
    assert r2 <= 0.0


def test_probe_is_scale_invariant_because_features_are_standardised():
    z = gaussian(400, 8)
    y = torch.sin(z[:, :1]) + z[:, 1:2]
    r2 = linear_probe_r2(z[:300], y[:300], z[300:], y[300:])
    tiny = 2e-4 * z
    assert linear_probe_r2(tiny[:300], y[:300], tiny[300:], y[300:]) == pytest.approx(r2, rel=1e-6)


def test_probe_accepts_one_dimensional_targets():
    z = gaussian(200, 4)
    y = 2 * z[:, 0] - z[:, 3]
    assert linear_probe_r2(z[:150], y[:150], z[150:], y[150:]) > 0.999


# --- auroc -----------------------------------------------------------------------------------


def test_auroc_of_perfect_inverted_and_constant_scores():
    labels = [0, 0, 0, 1, 1]
    assert auroc([0.1, 0.2, 0.3, 0.8, 0.9], labels) == 1.0
    assert auroc([0.9, 0.8, 0.7, 0.2, 0.1], labels) == 0.0
    assert auroc([0.5] * 5, labels) == 0.5


def test_auroc_counts_ties_as_half_on_hand_examples():
    assert auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    # pairs (positive, negative): (1 vs 1) tie -> 0.5, (2 vs 1) -> 1.
    assert auroc(torch.tensor([1.0, 1.0, 2.0]), torch.tensor([False, True, True])) == 0.75


def test_auroc_of_random_scores_is_near_half():
    g = make_generator(3)
    scores = torch.rand(4000, generator=g)
    labels = torch.rand(4000, generator=g) < 0.3
    assert auroc(scores, labels) == pytest.approx(0.5, abs=0.03)


def test_auroc_needs_both_classes_and_matching_lengths():
    with pytest.raises(ValueError, match="positive and one negative"):
        auroc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="labels"):
        auroc([0.1, 0.2, 0.3], [0, 1])


def test_knn_probe_reads_a_nonlinear_code_that_a_linear_probe_cannot():
    from jepa_ref.diagnostics import knn_probe_r2

    generator = torch.Generator().manual_seed(0)
    y = torch.rand(600, 1, generator=generator) * 6.0
    z = torch.cat((torch.sin(y), torch.cos(y)), dim=1)  # a circle: not linear in y
    assert knn_probe_r2(z[:400], y[:400], z[400:], y[400:]) > 0.95
    assert knn_probe_r2(torch.zeros(400, 2), y[:400], torch.zeros(200, 2), y[400:]) < 0.05
