"""collapse_prevention: does a JEPA world model trained on prediction alone collapse, and
which anti-collapse method keeps its embeddings spread out and informative?

Each method (pure, ema, vicreg, sigreg; see `jepa_ref.train`) trains an encoder
and action-conditioned predictor on the clean moving-dot world from the same
initial weights on the same batches. On frames of held-out episodes we measure:

- `emb_std`: mean per-dimension std of the embeddings (absolute scale);
- `active_dims`: principal components holding 99% of the variance (scale-invariant);
- `rankme`: RankMe effective rank (scale-invariant);
- `probe_r2`: R^2 of a linear probe of the true dot position, fitted on one set
  of held-out episodes and scored on another (features standardised, so it
  measures information, not scale).
"""

from __future__ import annotations

import functools

import torch

from jepa_ref import diagnostics
from jepa_ref.data import dot_world
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.configs import CollapsePreventionConfig
from jepa_ref.models.encoder import EncoderConfig, encode
from jepa_ref.runtime import configure_torch, make_generator, seed_everything
from jepa_ref.train import WorldModelConfig, subsample, train_world_model

TRAIN_EPISODES = 512
PROBE_EPISODES = 64  # per probe split: 64 * 17 = 1088 frames each


def embedding_metrics(encoder: torch.nn.Module, probe: dot_world.ProbeSet) -> dict[str, float]:
    """emb_std, active_dims, rankme and probe_r2 of an encoder on a probe set."""
    train_z = encode(encoder, probe.train_frames)  # (N, D)
    test_z = encode(encoder, probe.test_frames)  # (M, D)
    return {
        "emb_std": diagnostics.embedding_std(test_z),
        "active_dims": float(diagnostics.active_dims(test_z)),
        "rankme": diagnostics.rankme(test_z),
        "probe_r2": diagnostics.linear_probe_r2(
            train_z, probe.train_positions, test_z, probe.test_positions
        ),
    }


def run(config: CollapsePreventionConfig, seed: int) -> ExperimentResult:
    """Train every method in `config.methods` and report its embedding metrics."""
    configure_torch()
    generator = seed_everything(seed)
    world = dot_world.CLEAN_WORLD
    episodes = dot_world.sample_episodes(world, TRAIN_EPISODES, generator)
    probe = dot_world.sample_probe_set(world, PROBE_EPISODES, generator)
    sample_batch = functools.partial(dot_world.sample_transitions, world, episodes)
    train_seed = int(torch.randint(2**62, (1,), generator=generator))

    metrics: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    for method in config.methods:
        model_config = WorldModelConfig(
            method=method,
            steps=config.steps,
            batch_size=config.batch_size,
            lr=config.lr,
            sigreg_lambda=config.sigreg_lambda,
            encoder=EncoderConfig(projector_batchnorm=config.projector_batchnorm),
        )
        # A fresh generator from the same seed: same initial weights and batches per method.
        model = train_world_model(sample_batch, model_config, make_generator(train_seed))
        for name, value in embedding_metrics(model.encoder, probe).items():
            metrics[f"{method}_{name}"] = value
        curves[f"{method}_loss"] = subsample(model.losses)
    return ExperimentResult(metrics=metrics, curves=curves)
