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

Protocol change (issue 12): the claim that pure prediction collapses comes from
LeJEPA / LeWM, whose models collapse to a constant; LeWM's BatchNorm projector
keeps the hidden layer normalised, so on the dot world pure prediction only
shrinks the output to std ~0.02 and keeps the position (probe ~0.99). Beside
the BatchNorm arms we therefore train `collapsed`: pure prediction with a
plain MLP projector (`projector_batchnorm=False`), the real collapse, and
report its four metrics as `collapsed_*`. `backbone_probe_r2` and
`knn_probe_r2` of each method read the pre-projector features and the
embedding's geometry (see `probe_metrics`).
"""

from __future__ import annotations

import functools

import torch

from jepa_ref import diagnostics
from jepa_ref.data import dot_world
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.configs import CollapsePreventionConfig
from jepa_ref.models.encoder import Encoder, EncoderConfig, encode
from jepa_ref.runtime import configure_torch, make_generator, seed_everything
from jepa_ref.train import WorldModelConfig, subsample, train_world_model

TRAIN_EPISODES = 512
PROBE_EPISODES = 64  # per probe split: 64 * 17 = 1088 frames each


def arms(config: CollapsePreventionConfig) -> list[tuple[str, str, bool]]:
    """(name, training method, BatchNorm projector) of every arm, `collapsed` last."""
    named = [(method, method, config.projector_batchnorm) for method in config.methods]
    return named + ([("collapsed", "pure", False)] if config.collapsed_arm else [])


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


def probe_metrics(encoder: Encoder, probe: dot_world.ProbeSet) -> dict[str, float]:
    """LeJEPA's readouts: linear probe of the backbone (pre-projector) features, and k-NN
    probes of the backbone and of the projector output, each of the true dot position."""
    measured = {}
    for space, module in (("backbone", encoder.backbone), ("projector", encoder)):
        train_z, test_z = encode(module, probe.train_frames), encode(module, probe.test_frames)
        if space == "backbone":
            measured["backbone_probe_r2"] = diagnostics.linear_probe_r2(
                train_z, probe.train_positions, test_z, probe.test_positions
            )
        prefix = "" if space == "backbone" else "projector_"
        measured[f"{prefix}knn_probe_r2"] = diagnostics.knn_probe_r2(
            train_z, probe.train_positions, test_z, probe.test_positions
        )
    return measured


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
    for arm, method, batchnorm in arms(config):
        model_config = WorldModelConfig(
            method=method,
            steps=config.steps,
            batch_size=config.batch_size,
            lr=config.lr,
            sigreg_lambda=config.sigreg_lambda,
            encoder=EncoderConfig(projector_batchnorm=batchnorm),
        )
        # A fresh generator from the same seed: same initial weights and batches per method.
        model = train_world_model(sample_batch, model_config, make_generator(train_seed))
        measured = embedding_metrics(model.encoder, probe) | probe_metrics(model.encoder, probe)
        for name, value in measured.items():
            metrics[f"{arm}_{name}"] = value
        curves[f"{arm}_loss"] = subsample(model.losses)
    return ExperimentResult(metrics=metrics, curves=curves)
