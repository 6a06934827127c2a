"""Object-world experiments: tiny configs run, name their metrics, and repeat exactly."""

from __future__ import annotations

import math

import pytest
import torch

from jepa_ref.experiments import EXPERIMENTS, run_experiment
from jepa_ref.experiments.configs import ObjectMaskingCounterfactualConfig
from jepa_ref.experiments.object_masking_counterfactual import (
    counterfactual_clips,
    history_given,
    mask_objects,
)
from jepa_ref.models.patches import MaskCollator
from jepa_ref.models.slots import SlotPredictor, SlotPredictorConfig
from jepa_ref.runtime import make_generator

TINY = {
    "object_masking_counterfactual": {
        "steps": 3,
        "batch_size": 8,
        "train_scenes": 32,
        "eval_scenes": 8,
    },
    "surprise_detection": {
        "steps": 3,
        "batch_size": 4,
        "frames": 5,
        "train_scenes": 8,
        "eval_sequences": 6,
    },
    "masked_latent_prediction": {"steps": 3, "batch_size": 4, "probe_frames": 16},
}


@pytest.fixture(scope="module")
def tiny_results():
    return {name: run_experiment(name, params, seed=0) for name, params in TINY.items()}


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_run_returns_exactly_the_named_metrics(name, tiny_results):
    experiment = EXPERIMENTS[name]
    result = tiny_results[name]
    expected = experiment.metric_names(experiment.config.model_validate(TINY[name]))
    assert set(result.metrics) == set(expected)
    assert all(math.isfinite(value) for value in result.metrics.values())
    assert all(len(curve) <= 100 for curve in result.curves.values())


@pytest.mark.parametrize("name", sorted(TINY))
def test_same_seed_gives_bit_identical_metrics(name, tiny_results):
    again = run_experiment(name, TINY[name], seed=0)
    assert again.metrics == tiny_results[name].metrics
    assert again.curves == tiny_results[name].curves


def test_a_different_seed_gives_different_metrics(tiny_results):
    name = "object_masking_counterfactual"
    assert run_experiment(name, TINY[name], seed=1).metrics != tiny_results[name].metrics


def test_without_any_masking_the_two_slot_predictors_are_the_same():
    params = {**TINY["object_masking_counterfactual"], "mask_probability": 0.0}
    metrics = run_experiment("object_masking_counterfactual", params, seed=0).metrics
    assert metrics["cf_error_masked"] == metrics["cf_error_unmasked"]
    assert metrics["cf_error_reduction"] == 0.0


def test_masked_latent_prediction_reports_only_the_variants_asked_for():
    params = {**TINY["masked_latent_prediction"], "variants": ["sigreg"]}
    result = run_experiment("masked_latent_prediction", params, seed=0)
    # SIGReg variants also report the projector's space, where SIGReg acts.
    assert set(result.metrics) == {
        "sigreg_emb_std",
        "sigreg_probe_r2",
        "sigreg_projector_emb_std",
        "sigreg_projector_probe_r2",
    }


def test_counterfactual_clips_are_ones_where_removal_matters():
    config = ObjectMaskingCounterfactualConfig(eval_scenes=16)
    factual, alternative, removed = counterfactual_clips(config, make_generator(0))
    scenes = torch.arange(16)
    assert not alternative.present[scenes, 0, removed].any()
    future = factual.positions[:, config.history :]
    shift = (alternative.positions[:, 1:] - future).norm(dim=-1)  # (N, F, K)
    shift[scenes, :, removed] = 0
    assert (shift.flatten(1).amax(dim=1) >= 0.5).all()


def test_object_masking_hides_history_after_the_anchor_frame_of_one_present_object():
    present = torch.tensor([[True, True, True], [True, False, True], [True, False, False]])
    given = mask_objects(history_given(present, 4), present, 1, make_generator(0))
    assert torch.equal(given[:, 0], present)  # frame 0 is every object's anchor
    hidden = present & ~given[:, 1:].any(dim=1)  # (N, K): objects with no history after frame 0
    assert hidden.sum(dim=1).tolist() == [1, 1, 0]  # a lone ball is never hidden
    assert torch.equal(given[:, 1:], given[:, 1:2].expand(-1, 3, -1))  # hidden for all of 1..H-1


def test_an_absent_object_does_not_influence_the_others():
    torch.manual_seed(0)
    model = SlotPredictor(SlotPredictorConfig(history=3, future=2)).eval()
    history = torch.randn(1, 3, 3, 4)
    present = torch.tensor([[True, False, True]])
    given = history_given(present, 3)
    changed = history.clone()
    changed[:, :, 1] = torch.randn(1, 3, 4)  # whatever the absent ball's slots hold
    with torch.no_grad():
        before = model(history, given, present)[:, :, [0, 2]]
        after = model(changed, given, present)[:, :, [0, 2]]
    assert torch.equal(before, after)
    present_all = torch.ones(1, 3, dtype=torch.bool)
    with torch.no_grad():
        with_it = model(history, history_given(present_all, 3), present_all)[:, :, [0, 2]]
    assert not torch.equal(before, with_it)


def test_mask_collator_blocks_are_disjoint_from_the_context_and_stack():
    collator = MaskCollator(grid=8)
    masks = collator(16, make_generator(0))
    assert masks.context.shape[0] == 16 and masks.targets.shape[:2] == (16, 4)
    assert masks.context.shape[1] >= collator.min_keep
    for context, targets in zip(masks.context, masks.targets, strict=True):
        assert not set(context.tolist()) & set(targets.flatten().tolist())
        assert targets.min() >= 0 and targets.max() < 64
    again = collator(16, make_generator(0))
    assert torch.equal(masks.context, again.context) and torch.equal(masks.targets, again.targets)
