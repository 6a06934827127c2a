"""A small experiment registry for tests: no torch, metric names that depend on the config."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jepa_ref.experiments import Experiment, ExperimentResult
from wiki.ledger import RunRecord, build_record

CODE = "code-v1"
TORCH = "9.9.0"


class ToyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    methods: list[str] = Field(default_factory=lambda: ["pure", "sigreg"])
    steps: int = Field(default=10, ge=1)
    rate: float = 0.1


def toy_metrics(config: ToyConfig) -> tuple[str, ...]:
    return (*(f"{method}_std" for method in config.methods), "probe_r2")


class OtherConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    episodes: int = Field(default=5, ge=1)


def other_metrics(config: OtherConfig) -> tuple[str, ...]:
    return ("auroc",)


def run_toy(config: ToyConfig, seed: int) -> ExperimentResult:
    """Deterministic stand-in for an experiment: metrics from the seed and steps only."""
    return ExperimentResult(metrics={"probe_r2": 1.0 - 1.0 / (config.steps + seed + 1)})


FAKE_REGISTRY: dict[str, Experiment] = {
    "toy": Experiment("toy", "A toy.", ToyConfig, toy_metrics, "fake_registry:run_toy"),
    "other": Experiment("other", "Another.", OtherConfig, other_metrics, "fake_registry:run_toy"),
}


def fake_run(
    experiment: str,
    metrics: dict[str, float],
    seed: int = 0,
    params: dict[str, Any] | None = None,
    *,
    code: str = CODE,
    torch: str = TORCH,
    claim: str | None = None,
    day: int = 1,
) -> RunRecord:
    """A run record as `wiki verify` would append it, under fake code and torch versions."""
    config = FAKE_REGISTRY[experiment].config.model_validate(params or {})
    return build_record(
        experiment=experiment,
        config=config.model_dump(mode="json"),
        seed=seed,
        metrics=metrics,
        seconds=0.5,
        claim=claim,
        code_fingerprint=code,
        torch_version=torch,
        date=dt.datetime(2026, 11, day, 12, 0, tzinfo=dt.UTC),
    )


class ThreadProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def run_thread_probe(config: ThreadProbeConfig, seed: int) -> ExperimentResult:
    """Configures torch as every jepa_ref experiment does, then reports the thread budget
    its trainings got and the threads its ops run at."""
    import torch

    from jepa_ref.runtime import configure_torch, parallel_trainings

    configure_torch()
    return ExperimentResult(
        metrics={
            "threads": float(parallel_trainings()),
            "torch_threads": float(torch.get_num_threads()),
        }
    )


THREAD_PROBE = Experiment(
    "thread_probe",
    "Reports torch's thread count inside the run.",
    ThreadProbeConfig,
    lambda config: ("threads",),
    "fake_registry:run_thread_probe",
)
