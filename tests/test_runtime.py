"""jepa_ref's torch settings: every op at one thread, the thread budget kept apart for the
side-by-side trainings, and the NaN fill of new tensors off without changing a number."""

from __future__ import annotations

import pytest
import torch

from jepa_ref import runtime
from jepa_ref.experiments import run_experiment
from jepa_ref.experiments.collapse_prevention import clean_world_setup, train_arm
from jepa_ref.train import WorldModelConfig


@pytest.fixture
def restore_budget():
    before = runtime.parallel_trainings()
    yield
    runtime.configure_torch(threads=before)


def test_configure_torch_runs_ops_at_one_thread_and_keeps_the_budget(restore_budget):
    runtime.configure_torch(threads=3)
    assert torch.get_num_threads() == 1
    runtime.configure_torch()  # what every experiment calls: the caller's budget stays
    assert runtime.parallel_trainings() == 3
    assert torch.get_num_threads() == 1


def test_turning_off_the_nan_fill_of_new_tensors_changes_no_number():
    """No op reads memory it has not written: a training and its model are bit-identical
    whether torch fills every new tensor with NaN first (its deterministic default) or not."""
    sample_batch, _, seed = clean_world_setup(0)
    config = WorldModelConfig(method="sigreg", steps=6, batch_size=8)
    assert not torch.utils.deterministic.fill_uninitialized_memory
    unfilled = train_arm(sample_batch, config, seed)
    torch.utils.deterministic.fill_uninitialized_memory = True
    try:
        filled = train_arm(sample_batch, config, seed)
    finally:
        runtime.configure_torch()
    assert unfilled.losses == filled.losses
    for (name, a), (_, b) in zip(
        unfilled.encoder.state_dict().items(), filled.encoder.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


@pytest.mark.parametrize(
    "name, params",
    [
        ("collapse_prevention", {"steps": 6, "batch_size": 8, "methods": ["sigreg"]}),
        ("distractor_invariance", {"steps": 6, "batch_size": 8}),
        (
            "latent_planning",
            {
                "steps": 6,
                "batch_size": 8,
                "episodes": 2,
                "max_steps": 3,
                "samples": 16,
                "iterations": 2,
                "elites": 4,
            },
        ),
        ("masked_latent_prediction", {"steps": 3, "batch_size": 4, "probe_frames": 16}),
        (
            "object_masking_counterfactual",
            {"steps": 3, "batch_size": 8, "train_scenes": 32, "eval_scenes": 8},
        ),
        (
            "surprise_detection",
            {"steps": 3, "batch_size": 4, "frames": 5, "train_scenes": 8, "eval_sequences": 6},
        ),
    ],
)
def test_a_seed_gives_the_same_numbers_alone_or_side_by_side(name, params, restore_budget):
    """With a budget of two the trainings run in two spawned processes, with one in this
    process; training and evaluation run at one thread either way: every metric and
    every curve is the same, to the last bit (NaN compared as NaN)."""
    runtime.configure_torch(threads=1)
    alone = run_experiment(name, params, seed=0)
    runtime.configure_torch(threads=2)
    side_by_side = run_experiment(name, params, seed=0)
    assert repr(side_by_side.metrics) == repr(alone.metrics)
    assert repr(side_by_side.curves) == repr(alone.curves)
