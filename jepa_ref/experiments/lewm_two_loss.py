"""lewm_two_loss: is LeWM's two-term objective stable across its one hyperparameter?

LeWM trains end to end on prediction + lambda * SIGReg: no EMA teacher, no
stop-gradient, gradients into both sides of the prediction. For each lambda
we train on the clean moving-dot world (same initial weights and batches for
every lambda) and measure the embeddings of held-out episodes as in
`collapse_prevention`.

Follows LeWM's `config/train/lewm.yaml` (github.com/lucas-maes/le-wm: SIGReg
weight 0.09, batch 128) and LeJEPA's evaluation (`MINIMAL.md`, paper section
on linear and k-NN probes): changes from the first version, issue 12:

- The sweep is centred on LeWM's operating point: lambdas 0.01, 0.09, 1.0
  (was 0.01, 0.1, 1.0).
- LeJEPA probes the backbone, not the SIGReg-regularised projection. We now
  report the linear probe of the backbone features (`min_backbone_probe_r2`)
  and k-NN probes of the backbone and the projector output (`min_knn_probe_r2`,
  `min_projector_knn_probe_r2`) beside the original linear probe of the
  projector output (`min_probe_r2`, kept).

Deviations: a CNN backbone on 32 x 32 frames instead of a ViT on 224 x 224;
batch 64 and 400 steps instead of 128 and 100 epochs; 256 SIGReg directions
instead of 1024 (LeWM's `num_proj`).

Metrics summarise the sweep: the smallest and largest embedding std, the
worst probe R^2 of each kind, and whether every step's loss of every run
stayed finite. Curves: each run's loss (subsampled) and, for the sensitivity
plot, `sweep:lambda` with `sweep:<metric>` giving the value behind each
summary metric at every lambda, aligned with it.
"""

from __future__ import annotations

import math

from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.collapse_prevention import (
    clean_world_setup,
    embedding_metrics,
    probe_metrics,
    train_arm,
)
from jepa_ref.experiments.configs import LewmTwoLossConfig
from jepa_ref.runtime import map_trainings
from jepa_ref.train import WorldModelConfig, subsample

# summary metric -> (the per-lambda measurement it summarises, min or max over the sweep)
SUMMARIES = {
    "min_emb_std": ("emb_std", min),
    "max_emb_std": ("emb_std", max),
    "min_probe_r2": ("probe_r2", min),
    "min_backbone_probe_r2": ("backbone_probe_r2", min),
    "min_knn_probe_r2": ("knn_probe_r2", min),
    "min_projector_knn_probe_r2": ("projector_knn_probe_r2", min),
}


def nan_aware(pick, values: list[float]) -> float:
    """min/max that returns NaN when any value is NaN (a diverged run must not hide)."""
    return math.nan if any(math.isnan(value) for value in values) else pick(values)


def run(config: LewmTwoLossConfig, seed: int) -> ExperimentResult:
    """Train prediction + lambda * SIGReg for every lambda; report the sweep's extremes."""
    sample_batch, probe, train_seed = clean_world_setup(seed)
    model_configs = [
        WorldModelConfig(
            method="sigreg",
            steps=config.steps,
            batch_size=config.batch_size,
            lr=config.lr,
            sigreg_lambda=lam,
        )
        for lam in config.lambdas
    ]
    models = map_trainings(
        train_arm, [(sample_batch, model, train_seed) for model in model_configs]
    )
    by_lambda: dict[str, list[float]] = {}
    finite: list[bool] = []
    curves: dict[str, list[float]] = {}
    for lam, model in zip(config.lambdas, models, strict=True):
        measured = embedding_metrics(model.encoder, probe) | probe_metrics(model.encoder, probe)
        for name, value in measured.items():
            by_lambda.setdefault(name, []).append(value)
        finite.append(model.losses_finite)
        curves[f"loss_lambda_{lam:g}"] = subsample(model.losses)
    curves["emb_std_by_lambda"] = by_lambda["emb_std"]  # in the order of config.lambdas
    curves["probe_r2_by_lambda"] = by_lambda["probe_r2"]
    curves["sweep:lambda"] = list(config.lambdas)
    metrics = {}
    for summary, (measurement, pick) in SUMMARIES.items():
        metrics[summary] = nan_aware(pick, by_lambda[measurement])
        curves[f"sweep:{summary}"] = by_lambda[measurement]
    metrics["all_losses_finite"] = float(all(finite))
    curves["sweep:all_losses_finite"] = [float(ok) for ok in finite]
    return ExperimentResult(metrics=metrics, curves=curves)
