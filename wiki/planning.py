"""The runs a link asks for: its seeds, its resolved config, and one run key per seed.

A planned run is the executor's `RunJob` itself: `wiki verify` looks its key up in the
ledger and hands the missing ones to an executor unchanged (their registry filled in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wiki.executor import RunJob
from wiki.experiments import Experiment, active_catalog
from wiki.ledger import current_code_fingerprint, current_torch_version, run_key
from wiki.schema import ExperimentLink

Registry = Mapping[str, Experiment]


def link_seeds(link: ExperimentLink) -> list[int]:
    """The seeds a link asks for: 0..seeds-1, or an explicit list."""
    seeds: int | Iterable[int] = link.seeds
    return list(range(seeds)) if isinstance(seeds, int) else list(seeds)


def resolve_config(link: ExperimentLink, registry: Registry | None = None) -> dict[str, Any]:
    """The link's params validated by its experiment's config model, every field filled in."""
    registry = active_catalog() if registry is None else registry
    config = registry[link.experiment].config.model_validate(link.params)
    return config.model_dump(mode="json")


def planned_runs(
    link: ExperimentLink,
    registry: Registry | None = None,
    code_fingerprint: str | None = None,
    torch_version: str | None = None,
) -> list[RunJob]:
    """One RunJob per seed, keyed under the given (default: current) code and torch."""
    registry = active_catalog() if registry is None else registry
    code_fingerprint = code_fingerprint or current_code_fingerprint()
    torch_version = torch_version or current_torch_version()
    config = resolve_config(link, registry)
    return [
        RunJob(
            run_key(link.experiment, config, seed, code_fingerprint, torch_version),
            link.experiment,
            config,
            seed,
        )
        for seed in link_seeds(link)
    ]
