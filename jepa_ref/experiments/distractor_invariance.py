"""distractor_invariance: does a JEPA ignore what it cannot predict, where a pixel
autoencoder spends its capacity on it?

The distractor world (`dot_world.DISTRACTOR_WORLD`) redraws a smooth random
background, large flickering blobs and pixel noise for every frame: none of it
is predictable, and it carries far more pixel variance than the dot. We train

- a JEPA world model (prediction + lambda * SIGReg) on the distractor world,
- a pixel autoencoder (same encoder, a decoder, MSE) on the distractor world,
- the same autoencoder on the clean world, to show that the autoencoder does
  learn the dot when nothing competes for its bottleneck,

and report the R^2 of a linear probe of the true dot position from each
encoder's embeddings of held-out episodes of the world it was trained on.
"""

from __future__ import annotations

import functools

import torch

from jepa_ref import diagnostics
from jepa_ref.data import dot_world
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.collapse_prevention import PROBE_EPISODES, TRAIN_EPISODES
from jepa_ref.experiments.configs import DistractorInvarianceConfig
from jepa_ref.models.encoder import encode
from jepa_ref.runtime import configure_torch, map_trainings, seed_everything
from jepa_ref.train import (
    AutoencoderConfig,
    WorldModelConfig,
    subsample,
    train_autoencoder,
    train_seeded,
    train_world_model,
)


def position_probe_r2(encoder: torch.nn.Module, probe: dot_world.ProbeSet) -> float:
    """Held-out R^2 of a linear probe of the dot position from the encoder's embeddings."""
    return diagnostics.linear_probe_r2(
        encode(encoder, probe.train_frames),
        probe.train_positions,
        encode(encoder, probe.test_frames),
        probe.test_positions,
    )


def run(config: DistractorInvarianceConfig, seed: int) -> ExperimentResult:
    """JEPA and autoencoder on the distractor world, autoencoder on the clean world."""
    configure_torch()
    generator = seed_everything(seed)
    noisy_world = dot_world.scale_distractors(dot_world.DISTRACTOR_WORLD, config.distractor_scale)
    clean_world = dot_world.CLEAN_WORLD
    episodes = dot_world.sample_episodes(clean_world, TRAIN_EPISODES, generator)
    noisy_probe = dot_world.sample_probe_set(noisy_world, PROBE_EPISODES, generator)
    clean_probe = dot_world.sample_probe_set(clean_world, PROBE_EPISODES, generator)
    train_seed = int(torch.randint(2**62, (1,), generator=generator))
    # Both worlds share dynamics, so the same episodes serve both; only the rendering differs.
    noisy_batches = functools.partial(dot_world.sample_transitions, noisy_world, episodes)
    clean_batches = functools.partial(dot_world.sample_transitions, clean_world, episodes)

    world_model_config = WorldModelConfig(
        method="sigreg",
        steps=config.steps,
        batch_size=config.batch_size,
        lr=config.lr,
        sigreg_lambda=config.sigreg_lambda,
    )
    ae_config = AutoencoderConfig(steps=config.steps, batch_size=config.batch_size, lr=config.lr)
    # Three independent trainings from the same seed, side by side when the run has two threads.
    jepa, noisy_ae, clean_ae = map_trainings(
        train_seeded,
        [
            (train_world_model, noisy_batches, world_model_config, train_seed),
            (train_autoencoder, noisy_batches, ae_config, train_seed),
            (train_autoencoder, clean_batches, ae_config, train_seed),
        ],
    )

    metrics = {
        "jepa_probe_r2": position_probe_r2(jepa.encoder, noisy_probe),
        "ae_probe_r2": position_probe_r2(noisy_ae.encoder, noisy_probe),
        "ae_clean_probe_r2": position_probe_r2(clean_ae.encoder, clean_probe),
    }
    curves = {
        "jepa_loss": subsample(jepa.losses),
        "ae_loss": subsample(noisy_ae.losses),
        "ae_clean_loss": subsample(clean_ae.losses),
    }
    return ExperimentResult(metrics=metrics, curves=curves)
