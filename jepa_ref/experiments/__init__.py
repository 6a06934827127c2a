"""The experiment registry: an explicit table from name to experiment.

Metadata (names, descriptions, config models, metric names) imports without
torch, so `wiki check` can validate a claim's `params` and `expect` keys
cheaply. `run_experiment` imports the experiment's module only when called.
`REGISTRY` is what the `wiki.experiments` entry point `jepa_ref` names: the
interface is `wiki.experiments`'; the table, fingerprint and versions are ours.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from jepa_ref.experiments import configs
from wiki.experiments import (
    Experiment,
    ExperimentRegistry,
    ExperimentResult,
    ProtocolCard,
)

__all__ = ["EXPERIMENTS", "REGISTRY", "Experiment", "ExperimentResult", "run_experiment"]


EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment
    for experiment in (
        Experiment(
            name="collapse_prevention",
            description="Pure prediction vs EMA, VICReg and SIGReg on the moving-dot world.",
            config=configs.CollapsePreventionConfig,
            metric_names=configs.collapse_prevention_metrics,
            runner="jepa_ref.experiments.collapse_prevention:run",
        ),
        Experiment(
            name="lewm_two_loss",
            description="LeWM recipe: prediction + lambda * SIGReg, no EMA, over several lambdas.",
            config=configs.LewmTwoLossConfig,
            metric_names=configs.lewm_two_loss_metrics,
            runner="jepa_ref.experiments.lewm_two_loss:run",
        ),
        Experiment(
            name="distractor_invariance",
            description="JEPA vs pixel autoencoder on a world with unpredictable distractors.",
            config=configs.DistractorInvarianceConfig,
            metric_names=configs.distractor_invariance_metrics,
            runner="jepa_ref.experiments.distractor_invariance:run",
        ),
        Experiment(
            name="latent_planning",
            description="CEM planning to latent goals: SIGReg vs pure prediction vs random.",
            config=configs.LatentPlanningConfig,
            metric_names=configs.latent_planning_metrics,
            runner="jepa_ref.experiments.latent_planning:run",
        ),
        Experiment(
            name="object_masking_counterfactual",
            description="Slot predictor with vs without object-level masking on counterfactuals.",
            config=configs.ObjectMaskingCounterfactualConfig,
            metric_names=configs.object_masking_counterfactual_metrics,
            runner="jepa_ref.experiments.object_masking_counterfactual:run",
        ),
        Experiment(
            name="surprise_detection",
            description="Latent prediction error as a surprise signal for impossible events.",
            config=configs.SurpriseDetectionConfig,
            metric_names=configs.surprise_detection_metrics,
            runner="jepa_ref.experiments.surprise_detection:run",
        ),
        Experiment(
            name="masked_latent_prediction",
            description="I-JEPA-style masked block prediction: EMA target, no EMA, SIGReg.",
            config=configs.MaskedLatentPredictionConfig,
            metric_names=configs.masked_latent_prediction_metrics,
            runner="jepa_ref.experiments.masked_latent_prediction:run",
        ),
    )
}


def _with_protocol_cards(experiments: dict[str, Experiment]) -> dict[str, Experiment]:
    # The cards live in protocols.py (plain dicts) when it exists; validated here, once.
    try:
        protocols = importlib.import_module("jepa_ref.experiments.protocols").PROTOCOLS
    except ModuleNotFoundError:
        return experiments
    for name, experiment in experiments.items():
        card = protocols.get(name)
        if card is not None:
            protocol = ProtocolCard.model_validate(card)
            experiments[name] = dataclasses.replace(experiment, protocol=protocol)
    return experiments


EXPERIMENTS = _with_protocol_cards(EXPERIMENTS)


def run_experiment(name: str, params: dict[str, Any] | BaseModel, seed: int) -> ExperimentResult:
    """Validate `params` against the experiment's config and run it for one seed."""
    experiment = EXPERIMENTS[name]
    config = params if isinstance(params, BaseModel) else experiment.config.model_validate(params)
    return experiment.load_runner()(config, seed)


PACKAGE_ROOT = Path(__file__).resolve().parent.parent


# Read by `wiki` to describe the protocol (cards, controls, sanity relations); nothing in it
# runs in an experiment, so editing a card's wording does not supersede the runs.
NOT_RUN_CODE = frozenset({"experiments/protocols.py"})


def source_fingerprint() -> str:
    """Hash of every jepa_ref source file that experiments run (all but `NOT_RUN_CODE`):
    a run recorded under other code is superseded."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if path.relative_to(PACKAGE_ROOT).as_posix() in NOT_RUN_CODE:
            continue
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def code_fingerprint() -> str:
    """`source_fingerprint()` read once per process (what run keys hash)."""
    return source_fingerprint()


def torch_version() -> str:
    """The installed torch version, from package metadata so that torch is not imported."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "not-installed"


REGISTRY = ExperimentRegistry(
    name="jepa_ref",
    experiments=EXPERIMENTS,
    fingerprint="jepa_ref.experiments:code_fingerprint",
    environment="jepa_ref.experiments:torch_version",
    configure_threads="jepa_ref.runtime:configure_torch",
)
