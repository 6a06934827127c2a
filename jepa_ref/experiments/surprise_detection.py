"""Surprise detection: latent prediction error flags physically impossible events.

Claim under test (V-JEPA's intuitive-physics result, at toy scale): a JEPA
world model trained only on possible videos predicts the next state in latent
space well enough that its prediction error separates held-out possible
sequences from impossible ones (an object teleports or vanishes).

Setup:

- World: three coloured balls bouncing off walls and each other
  (`object_world`), 32 x 32 RGB frames, no actions.
- State: two consecutive frames stacked along channels, so velocity is
  visible; the model predicts the embedding of (frame t, frame t+1) from that
  of (frame t-1, frame t).
- Model: exp-a's world model (CNN encoder with BatchNorm projector, residual
  MLP predictor) trained with LeWM's recipe, prediction + lambda * SIGReg, no
  EMA (`jepa_ref.train.train_world_model`, method "sigreg"); the world has no
  actions, so the predictor's action input is always zero.
- Surprise of a sequence: the largest per-transition prediction error (mean
  squared error over embedding dimensions) along it, so the detector is not
  told when the event happens.
- Test set: `eval_sequences` fresh possible sequences and as many impossible
  ones (half teleport, half vanish), event frame uniform over the sequence.

Metric: `auroc` of surprise for impossible (positive) vs possible. Curves:
the training loss (subsampled), the AUROC per event kind (teleport, vanish),
and the mean surprise per transition for possible sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from jepa_ref import diagnostics
from jepa_ref.data.object_world import (
    TELEPORT,
    VANISH,
    ObjectWorldConfig,
    render_rollout,
    sample_impossible,
    sample_rollouts,
)
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.configs import SurpriseDetectionConfig
from jepa_ref.models.encoder import EncoderConfig, encode
from jepa_ref.models.predictor import PredictorConfig
from jepa_ref.runtime import configure_torch, seed_everything
from jepa_ref.train import TrainedWorldModel, WorldModelConfig, subsample, train_world_model

WORLD = ObjectWorldConfig(num_objects=3)
ACTION_DIM = 1  # the world has no actions; the predictor gets a constant zero


@dataclass(frozen=True)
class PairTransitions:
    """(frames t-1, t) -> (frames t, t+1), each pair stacked along channels."""

    frames: torch.Tensor  # (B, 6, S, S)
    actions: torch.Tensor  # (B, 1), zeros
    next_frames: torch.Tensor  # (B, 6, S, S)


class FramePool:
    """Pre-rendered possible sequences (uint8, to keep the pool small) to draw transitions from."""

    def __init__(self, config: SurpriseDetectionConfig, generator: torch.Generator) -> None:
        rollout = sample_rollouts(WORLD, config.train_scenes, config.frames, generator)
        frames, _ = render_rollout(WORLD, rollout)  # (N, T, 3, S, S)
        self.frames = (frames * 255).round().to(torch.uint8)

    def sample(self, batch_size: int, generator: torch.Generator) -> PairTransitions:
        num_scenes, num_frames = self.frames.shape[:2]
        scene = torch.randint(num_scenes, (batch_size,), generator=generator)
        t = torch.randint(1, num_frames - 1, (batch_size,), generator=generator)
        window = self.frames[scene[:, None], t[:, None] + torch.arange(-1, 2)]  # (B, 3, 3, S, S)
        window = window.to(torch.float32) / 255
        return PairTransitions(
            frames=window[:, :2].flatten(1, 2),  # (B, 6, S, S)
            actions=torch.zeros(batch_size, ACTION_DIM),
            next_frames=window[:, 1:].flatten(1, 2),
        )


def frame_pairs(frames: torch.Tensor) -> torch.Tensor:
    """Every consecutive pair of a batch of sequences: (N, T, 3, S, S) -> (N, T-1, 6, S, S)."""
    return torch.cat((frames[:, :-1], frames[:, 1:]), dim=2)


@torch.no_grad()
def transition_surprise(model: TrainedWorldModel, frames: torch.Tensor) -> torch.Tensor:
    """Prediction error of every transition of every sequence: (N, T, 3, S, S) -> (N, T-2)."""
    pairs = frame_pairs(frames)  # (N, P, 6, S, S), P = T - 1
    num, num_pairs = pairs.shape[:2]
    z = encode(model.encoder, pairs.flatten(0, 1)).view(num, num_pairs, -1)  # (N, P, D)
    zero_action = torch.zeros(num * (num_pairs - 1), ACTION_DIM)
    predicted = model.predictor(z[:, :-1].flatten(0, 1), zero_action).view(num, num_pairs - 1, -1)
    return (predicted - z[:, 1:]).square().mean(dim=-1)  # (N, P - 1)


def run(config: SurpriseDetectionConfig, seed: int) -> ExperimentResult:
    """Train on possible sequences; AUROC of latent surprise, impossible vs possible."""
    configure_torch()
    generator = seed_everything(seed)
    pool = FramePool(config, generator)
    model_config = WorldModelConfig(
        method="sigreg",
        steps=config.steps,
        batch_size=config.batch_size,
        sigreg_lambda=config.sigreg_lambda,
        encoder=EncoderConfig(image_size=WORLD.size, in_channels=6),
        predictor=PredictorConfig(action_dim=ACTION_DIM),
    )
    model = train_world_model(pool.sample, model_config, generator)

    possible = sample_rollouts(WORLD, config.eval_sequences, config.frames, generator)
    half = config.eval_sequences // 2
    teleport, _ = sample_impossible(WORLD, half, config.frames, generator, TELEPORT)
    vanish, _ = sample_impossible(
        WORLD, config.eval_sequences - half, config.frames, generator, VANISH
    )
    surprise = {
        name: transition_surprise(model, render_rollout(WORLD, rollout)[0])
        for name, rollout in (("possible", possible), ("teleport", teleport), ("vanish", vanish))
    }
    score = {name: errors.amax(dim=1) for name, errors in surprise.items()}  # (N,) each

    def auroc_against_possible(*kinds: str) -> float:
        impossible = torch.cat([score[kind] for kind in kinds])
        scores = torch.cat((score["possible"], impossible))
        labels = torch.cat((torch.zeros(len(score["possible"])), torch.ones(len(impossible))))
        return diagnostics.auroc(scores, labels)

    return ExperimentResult(
        metrics={"auroc": auroc_against_possible(TELEPORT, VANISH)},
        curves={
            "loss": subsample(model.losses),
            "auroc_by_event": [auroc_against_possible(TELEPORT), auroc_against_possible(VANISH)],
            "surprise_possible_by_transition": surprise["possible"].mean(dim=0).tolist(),
        },
    )
