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

Sensitivity (issue 12): with `sweep_lambdas` set, the sigreg arm is retrained
from the same weights and batches at each of those lambdas, and the curves
`sweep:lambda`, `sweep:sigreg_emb_std`, `sweep:sigreg_probe_r2` and
`sweep:sigreg_backbone_probe_r2` give its metrics at every lambda, the
configured one included. The sweep never feeds a metric; off by default.
The arms train side by side when the run was given two threads
(`jepa_ref.runtime.map_trainings`), each at one thread.
"""

from __future__ import annotations

import functools

import torch

from jepa_ref import diagnostics
from jepa_ref.data import dot_world
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.configs import CollapsePreventionConfig
from jepa_ref.models.encoder import Encoder, EncoderConfig, encode
from jepa_ref.runtime import configure_torch, make_generator, map_trainings, seed_everything
from jepa_ref.train import (
    SampleBatch,
    TrainedWorldModel,
    WorldModelConfig,
    subsample,
    train_world_model,
)

TRAIN_EPISODES = 512
PROBE_EPISODES = 64  # per probe split: 64 * 17 = 1088 frames each
SWEPT_METRICS = ("emb_std", "probe_r2", "backbone_probe_r2")  # of the sigreg arm, per lambda


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


def clean_world_setup(seed: int) -> tuple[SampleBatch, dot_world.ProbeSet, int]:
    """Torch configured and seeded; the training batches of the clean world, the probe
    episodes, and the seed every arm's weights and batches derive from."""
    configure_torch()
    generator = seed_everything(seed)
    world = dot_world.CLEAN_WORLD
    episodes = dot_world.sample_episodes(world, TRAIN_EPISODES, generator)
    probe = dot_world.sample_probe_set(world, PROBE_EPISODES, generator)
    sample_batch = functools.partial(dot_world.sample_transitions, world, episodes)
    return sample_batch, probe, int(torch.randint(2**62, (1,), generator=generator))


def train_arm(sample_batch: SampleBatch, config: WorldModelConfig, seed: int) -> TrainedWorldModel:
    """One arm, from a generator seeded with `seed` (module level, so a worker can run it)."""
    return train_world_model(sample_batch, config, make_generator(seed))


def run(config: CollapsePreventionConfig, seed: int) -> ExperimentResult:
    """Train every method in `config.methods` and report its embedding metrics."""
    sample_batch, probe, train_seed = clean_world_setup(seed)

    def model_config(method: str, batchnorm: bool, sigreg_lambda: float) -> WorldModelConfig:
        return WorldModelConfig(
            method=method,
            steps=config.steps,
            batch_size=config.batch_size,
            lr=config.lr,
            sigreg_lambda=sigreg_lambda,
            encoder=EncoderConfig(projector_batchnorm=batchnorm),
        )

    # Every arm starts from a fresh generator with the same seed: same initial weights and
    # batches per method. The sweep retrains the sigreg arm at each other lambda.
    trainings = [
        (name, model_config(method, bn, config.sigreg_lambda)) for name, method, bn in arms(config)
    ]
    swept = sorted(set(config.sweep_lambdas) - {config.sigreg_lambda})
    swept = swept if "sigreg" in config.methods else []
    trainings += [
        (f"sweep_{lam}", model_config("sigreg", config.projector_batchnorm, lam)) for lam in swept
    ]
    models = map_trainings(train_arm, [(sample_batch, model, train_seed) for _, model in trainings])
    measured = {
        name: embedding_metrics(model.encoder, probe) | probe_metrics(model.encoder, probe)
        for (name, _), model in zip(trainings, models, strict=True)
    }
    metrics: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    for (name, _), model in zip(trainings, models, strict=True):
        if name.startswith("sweep_"):
            continue
        for metric, value in measured[name].items():
            metrics[f"{name}_{metric}"] = value
        curves[f"{name}_loss"] = subsample(model.losses)
    if swept:
        lambdas = sorted({config.sigreg_lambda, *swept})
        by_lambda = {lam: measured[f"sweep_{lam}"] for lam in swept}
        by_lambda[config.sigreg_lambda] = measured["sigreg"]
        curves["sweep:lambda"] = lambdas
        for metric in SWEPT_METRICS:
            curves[f"sweep:sigreg_{metric}"] = [by_lambda[lam][metric] for lam in lambdas]
    return ExperimentResult(metrics=metrics, curves=curves)
