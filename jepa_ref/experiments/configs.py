"""Config models of every registered experiment (no torch here).

Defaults are the full configuration that `wiki verify` runs; tests pass tiny
overrides. Each experiment's section is owned by its module in this package.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExperimentConfig(BaseModel):
    """Base: unknown keys are errors, so a typo in a claim's `params` is caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- collapse_prevention -------------------------------------------------------------


AntiCollapseMethod = Literal["pure", "ema", "vicreg", "sigreg"]


class CollapsePreventionConfig(ExperimentConfig):
    """Every method trains from the same initial weights on the same batches."""

    methods: list[AntiCollapseMethod] = Field(
        default_factory=lambda: ["pure", "ema", "vicreg", "sigreg"], min_length=1
    )
    steps: int = Field(default=400, ge=1)
    batch_size: int = Field(default=64, ge=2)
    lr: float = Field(default=1e-3, gt=0)
    sigreg_lambda: float = Field(default=0.1, ge=0)
    projector_batchnorm: bool = True  # LeWM's BatchNorm projector; False lets pure collapse fully


def collapse_prevention_metrics(config: CollapsePreventionConfig) -> tuple[str, ...]:
    names = ("emb_std", "active_dims", "rankme", "probe_r2")
    return tuple(f"{method}_{name}" for method in config.methods for name in names)


# --- lewm_two_loss -------------------------------------------------------------------


class LewmTwoLossConfig(ExperimentConfig):
    lambdas: list[float] = Field(default_factory=lambda: [0.01, 0.1, 1.0], min_length=1)
    steps: int = Field(default=400, ge=1)
    batch_size: int = Field(default=64, ge=2)
    lr: float = Field(default=1e-3, gt=0)


def lewm_two_loss_metrics(config: LewmTwoLossConfig) -> tuple[str, ...]:
    return ("min_emb_std", "max_emb_std", "min_probe_r2", "all_losses_finite")


# --- distractor_invariance -----------------------------------------------------------


class DistractorInvarianceConfig(ExperimentConfig):
    steps: int = Field(default=400, ge=1)
    batch_size: int = Field(default=64, ge=2)
    lr: float = Field(default=1e-3, gt=0)
    sigreg_lambda: float = Field(default=0.1, ge=0)
    distractor_scale: float = Field(default=1.0, ge=0)  # multiplies every distractor's strength


def distractor_invariance_metrics(config: DistractorInvarianceConfig) -> tuple[str, ...]:
    return ("jepa_probe_r2", "ae_probe_r2", "ae_clean_probe_r2")


# --- latent_planning -----------------------------------------------------------------


class LatentPlanningConfig(ExperimentConfig):
    steps: int = Field(default=400, ge=1)  # training steps of each world model
    batch_size: int = Field(default=64, ge=2)
    episodes: int = Field(default=20, ge=1)  # start/goal pairs, the same for every controller
    max_steps: int = Field(default=25, ge=1)  # environment steps allowed to reach the goal
    success_radius: float = Field(default=2.0, gt=0)  # pixels between dot and goal centres
    horizon: int = Field(default=5, ge=1)
    samples: int = Field(default=256, ge=2)
    iterations: int = Field(default=6, ge=1)
    elites: int = Field(default=32, ge=1)
    projector_batchnorm: bool = True  # LeWM's BatchNorm projector; False lets pure collapse fully


def latent_planning_metrics(config: LatentPlanningConfig) -> tuple[str, ...]:
    return ("sigreg_success", "pure_success", "random_success")


# --- object_masking_counterfactual ---------------------------------------------------


class ObjectMaskingCounterfactualConfig(ExperimentConfig):
    steps: int = Field(default=1000, ge=1)
    batch_size: int = Field(default=256, ge=2)
    history: int = Field(default=6, ge=2)  # frames given; frame 0 is the masked objects' anchor
    future: int = Field(default=8, ge=1)  # frames predicted
    masked_objects: int = Field(default=1, ge=1)  # objects whose history is masked per scene
    # Share of training clips that get object masking (C-JEPA masks every clip: 1.0).
    mask_probability: float = Field(default=1.0, ge=0.0, le=1.0)
    train_scenes: int = Field(default=16384, ge=1)
    eval_scenes: int = Field(default=512, ge=1)
    two_object_fraction: float = Field(default=0.25, ge=0.0, le=1.0)
    lr: float = Field(default=3e-3, gt=0.0)
    width: int = Field(default=64, ge=4)
    depth: int = Field(default=2, ge=1)


def object_masking_counterfactual_metrics(
    config: ObjectMaskingCounterfactualConfig,
) -> tuple[str, ...]:
    return ("cf_error_masked", "cf_error_unmasked", "cf_error_reduction")


# --- surprise_detection --------------------------------------------------------------


class SurpriseDetectionConfig(ExperimentConfig):
    steps: int = Field(default=600, ge=1)
    batch_size: int = Field(default=128, ge=2)
    frames: int = Field(default=12, ge=4)  # per sequence
    train_scenes: int = Field(default=1024, ge=1)
    eval_sequences: int = Field(default=256, ge=2)  # per class: possible, impossible
    sigreg_lambda: float = Field(default=0.1, ge=0.0)


def surprise_detection_metrics(config: SurpriseDetectionConfig) -> tuple[str, ...]:
    return ("auroc",)


# --- masked_latent_prediction --------------------------------------------------------


class MaskedLatentPredictionConfig(ExperimentConfig):
    variants: list[Literal["ema", "noema", "sigreg"]] = Field(
        default_factory=lambda: ["ema", "noema", "sigreg"], min_length=1
    )
    steps: int = Field(default=450, ge=1)  # three variants must fit in 60 s on 2 cores
    batch_size: int = Field(default=32, ge=2)
    lr: float = Field(default=1e-3, gt=0.0)
    width: int = Field(default=32, ge=4)  # of encoder and predictor; a multiple of 4 and of heads
    depth: int = Field(default=2, ge=1)
    sigreg_lambda: float = Field(default=0.1, ge=0.0)
    probe_frames: int = Field(default=2048, ge=8)  # probe train set; the test set is half as big


def masked_latent_prediction_metrics(config: MaskedLatentPredictionConfig) -> tuple[str, ...]:
    return tuple(f"{v}_{name}" for v in config.variants for name in ("emb_std", "probe_r2"))
