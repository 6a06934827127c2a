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
    collapsed_arm: bool = True  # also pure prediction without the BatchNorm: `collapsed_*`
    # Retrain the sigreg arm at these lambdas too, for the `sweep:` curves only (no metric).
    sweep_lambdas: list[float] = Field(default_factory=list)


COLLAPSE_METRICS = (
    "emb_std",
    "active_dims",
    "rankme",
    "probe_r2",
    "backbone_probe_r2",
    "knn_probe_r2",
    "projector_knn_probe_r2",
)


def collapse_prevention_metrics(config: CollapsePreventionConfig) -> tuple[str, ...]:
    arms = [*config.methods, *(["collapsed"] if config.collapsed_arm else [])]
    return tuple(f"{arm}_{name}" for arm in arms for name in COLLAPSE_METRICS)


# --- lewm_two_loss -------------------------------------------------------------------


class LewmTwoLossConfig(ExperimentConfig):
    # Centred on LeWM's operating point, 0.09 (config/train/lewm.yaml).
    lambdas: list[float] = Field(default_factory=lambda: [0.01, 0.09, 1.0], min_length=1)
    steps: int = Field(default=400, ge=1)
    batch_size: int = Field(default=64, ge=2)
    lr: float = Field(default=1e-3, gt=0)


def lewm_two_loss_metrics(config: LewmTwoLossConfig) -> tuple[str, ...]:
    return (
        "min_emb_std",
        "max_emb_std",
        "min_probe_r2",
        "min_backbone_probe_r2",
        "min_knn_probe_r2",
        "min_projector_knn_probe_r2",
        "all_losses_finite",
    )


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
    """LeWM's evaluation protocol at toy scale (see latent_planning's docstring)."""

    steps: int = Field(default=400, ge=1)  # training steps of each world model
    batch_size: int = Field(default=64, ge=2)
    episodes: int = Field(default=50, ge=1)  # tasks, the same for every controller (LeWM: 50)
    goal_offset: int = Field(default=10, ge=1)  # goal = the state this many steps ahead
    action_block: int = Field(default=2, ge=1)  # actions per planned block (frameskip)
    max_steps: int = Field(default=20, ge=1)  # evaluation budget in environment steps
    success_radius: float = Field(default=2.0, gt=0)  # of the legacy `*_success` metrics
    horizon: int = Field(default=5, ge=1)  # blocks per plan; horizon x action_block >= offset
    receding_horizon: int = Field(default=5, ge=1)  # blocks executed before replanning (LeWM: 5)
    samples: int = Field(default=256, ge=2)
    iterations: int = Field(default=6, ge=1)
    elites: int = Field(default=32, ge=1)
    projector_batchnorm: bool = True  # of the sigreg and pure arms; `collapsed` never has it


PLANNING_RADII = (2.0, 3.0)  # pixels: every arm's success is reported at each


def planning_radius_name(radius: float) -> str:
    return f"{radius:g}px"


def latent_planning_metrics(config: LatentPlanningConfig) -> tuple[str, ...]:
    radii = [planning_radius_name(radius) for radius in PLANNING_RADII]
    arms = ("sigreg", "pure", "collapsed", "sigreg_oracle_dynamics", "pure_oracle_dynamics")
    names = ["sigreg_success", "pure_success", "random_success"]
    names += [f"{arm}_success_{r}" for arm in (*arms, "random", "oracle") for r in radii]
    names += [f"{arm}_normalized_success_{r}" for arm in arms[:3] for r in radii]
    names += [f"{arm}_distance_spearman" for arm in arms[:3]]
    return tuple(names)


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
    return (
        "cf_error_masked",
        "cf_error_unmasked",
        "cf_error_reduction",
        "masked_inference_error",
        "unmasked_inference_error",
        "free_flight_inference_error",
        "masked_inference_ratio",
        "unmasked_inference_ratio",
        "masking_inference_gain",
    )


# --- surprise_detection --------------------------------------------------------------


class SurpriseDetectionConfig(ExperimentConfig):
    steps: int = Field(default=600, ge=1)
    batch_size: int = Field(default=128, ge=2)
    frames: int = Field(default=12, ge=4)  # per sequence
    train_scenes: int = Field(default=1024, ge=1)
    eval_sequences: int = Field(default=256, ge=2)  # per class: possible, impossible
    sigreg_lambda: float = Field(default=0.09, ge=0.0)  # LeWM's weight, fixed a priori
    # Extra lambdas trained for the sensitivity curves only; [] skips the sweep.
    sweep_lambdas: list[float] = Field(default_factory=lambda: [0.01, 1.0])


def surprise_detection_metrics(config: SurpriseDetectionConfig) -> tuple[str, ...]:
    per_event = [f"{name}_{event}" for name in ("auroc", "paired_accuracy") for event in EVENTS]
    return ("auroc", "matched_auroc", "paired_accuracy", *per_event)


EVENTS = ("teleport", "vanish")  # object_world's impossible events


# --- masked_latent_prediction --------------------------------------------------------


class MaskedLatentPredictionConfig(ExperimentConfig):
    variants: list[Literal["ema", "noema", "sigreg", "sigreg_nosg"]] = Field(
        default_factory=lambda: ["ema", "noema", "sigreg", "sigreg_nosg"], min_length=1
    )
    steps: int = Field(default=450, ge=1)  # three variants must fit in 60 s on 2 cores
    batch_size: int = Field(default=32, ge=2)
    lr: float = Field(default=1e-3, gt=0.0)
    width: int = Field(default=32, ge=4)  # of encoder and predictor; a multiple of 4 and of heads
    depth: int = Field(default=2, ge=1)
    sigreg_lambda: float = Field(default=0.1, ge=0.0)
    probe_frames: int = Field(default=2048, ge=8)  # probe train set; the test set is half as big


def masked_latent_prediction_metrics(config: MaskedLatentPredictionConfig) -> tuple[str, ...]:
    names = []
    for variant in config.variants:
        spaces = ("", "projector_") if variant.startswith("sigreg") else ("",)
        names += [
            f"{variant}_{space}{name}" for space in spaces for name in ("emb_std", "probe_r2")
        ]
    return tuple(names)
