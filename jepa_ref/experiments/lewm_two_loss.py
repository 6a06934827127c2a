"""lewm_two_loss: is LeWM's two-term objective stable across its one hyperparameter?

LeWM trains end to end on prediction + lambda * SIGReg: no EMA teacher, no
stop-gradient, gradients into both sides of the prediction. For each lambda
we train on the clean moving-dot world (same initial weights and batches for
every lambda) and measure the embeddings of held-out episodes as in
`collapse_prevention`. Metrics summarise the sweep: the smallest and largest
embedding std, the worst position-probe R^2, and whether every step's loss of
every run stayed finite. Curves: each run's loss (subsampled) and the std and
probe R^2 of each lambda, in the order of `lambdas`.
"""

from __future__ import annotations

import functools
import math

import torch

from jepa_ref.data import dot_world
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.collapse_prevention import (
    PROBE_EPISODES,
    TRAIN_EPISODES,
    embedding_metrics,
)
from jepa_ref.experiments.configs import LewmTwoLossConfig
from jepa_ref.runtime import configure_torch, make_generator, seed_everything
from jepa_ref.train import WorldModelConfig, subsample, train_world_model


def nan_aware(pick, values: list[float]) -> float:
    """min/max that returns NaN when any value is NaN (a diverged run must not hide)."""
    return math.nan if any(math.isnan(value) for value in values) else pick(values)


def run(config: LewmTwoLossConfig, seed: int) -> ExperimentResult:
    """Train prediction + lambda * SIGReg for every lambda; report the sweep's extremes."""
    configure_torch()
    generator = seed_everything(seed)
    world = dot_world.CLEAN_WORLD
    episodes = dot_world.sample_episodes(world, TRAIN_EPISODES, generator)
    probe = dot_world.sample_probe_set(world, PROBE_EPISODES, generator)
    sample_batch = functools.partial(dot_world.sample_transitions, world, episodes)
    train_seed = int(torch.randint(2**62, (1,), generator=generator))

    stds, probes, finite = [], [], []
    curves: dict[str, list[float]] = {}
    for lam in config.lambdas:
        model_config = WorldModelConfig(
            method="sigreg",
            steps=config.steps,
            batch_size=config.batch_size,
            lr=config.lr,
            sigreg_lambda=lam,
        )
        model = train_world_model(sample_batch, model_config, make_generator(train_seed))
        measured = embedding_metrics(model.encoder, probe)
        stds.append(measured["emb_std"])
        probes.append(measured["probe_r2"])
        finite.append(model.losses_finite)
        curves[f"loss_lambda_{lam:g}"] = subsample(model.losses)
    curves["emb_std_by_lambda"] = stds  # in the order of config.lambdas
    curves["probe_r2_by_lambda"] = probes
    metrics = {
        "min_emb_std": nan_aware(min, stds),
        "max_emb_std": nan_aware(max, stds),
        "min_probe_r2": nan_aware(min, probes),
        "all_losses_finite": float(all(finite)),
    }
    return ExperimentResult(metrics=metrics, curves=curves)
