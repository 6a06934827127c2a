"""The experiment interface the compiler consumes; registries plug into it.

A registry is one `ExperimentRegistry` object in some package, found through the
`wiki.experiments` entry-point group (e.g. `jepa_ref = "jepa_ref.experiments:REGISTRY"`)
and chosen with `[tool.wiki] experiments = ["jepa_ref"]`. It names its experiments
(description, config model, metric names, run function imported only when a run
starts, an optional protocol card), a code fingerprint and an environment version
(e.g. the torch version) that run keys hash, and optionally a function that sets
the thread count of a run. Nothing here imports a registry's heavy dependencies.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENTRY_POINT_GROUP = "wiki.experiments"
# Used only when a registry's package is importable but its entry point is not installed
# (an editable install older than the entry point): jepa_ref ships with the compiler.
KNOWN_REGISTRIES = {"jepa_ref": "jepa_ref.experiments:REGISTRY"}


class RegistryError(Exception):
    """A chosen registry cannot be found or is not a registry: one line with the fix."""


class ExperimentResult(BaseModel):
    """What every experiment returns: named scalar metrics and small curves."""

    metrics: dict[str, float]
    curves: dict[str, list[float]] = Field(default_factory=dict)


class _Card(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProtocolSide(_Card):
    """One side of a protocol card: what the paper did, or what the toy does."""

    data: str
    scale: str
    hyperparameters: str
    protocol: str
    metric: str


class Deviation(_Card):
    what: str
    why: str


class ProtocolCard(_Card):
    """Paper vs toy for one experiment, each deviation with its reason (GRADE indirectness).

    `sanity` entries read `METRIC OP METRIC`, e.g. `oracle_success_2px >= random_success_2px`.
    """

    follows: str
    paper: ProtocolSide
    toy: ProtocolSide
    deviations: list[Deviation]
    controls: list[str] = Field(default_factory=list)
    sanity: list[str] = Field(default_factory=list)
    sensitivity_parameter: str | None = None


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    config: type[BaseModel]
    metric_names: Callable[[Any], tuple[str, ...]]  # config instance -> metric names it yields
    runner: str  # "module:function", imported only when the experiment runs
    protocol: ProtocolCard | None = None

    def load_runner(self) -> Callable[[Any, int], ExperimentResult]:
        return load_object(self.runner)


@dataclass(frozen=True)
class ExperimentRegistry:
    """What a registry package exposes, as one object named by its entry point.

    `fingerprint` and `environment` are "module:function" returning text: the code and
    environment identity that run keys hash. `configure_threads` ("module:function",
    optional) is called with the executor's thread count before each run.
    """

    name: str
    experiments: dict[str, Experiment]
    fingerprint: str
    environment: str
    configure_threads: str | None = None


class Catalog(dict[str, Experiment]):
    """The experiments of the chosen registries by name, and which registry each one has."""

    def __init__(self, registries: Iterable[ExperimentRegistry]) -> None:
        self.registries = list(registries)
        self.owner: dict[str, ExperimentRegistry] = {}
        for registry in self.registries:
            for name, experiment in registry.experiments.items():
                self.owner.setdefault(name, registry)  # first chosen registry wins a name
                self.setdefault(name, experiment)

    @functools.cached_property
    def code_fingerprint(self) -> str:
        """The chosen registries' code: one registry's own, else a hash over all of them.

        Read once: planning, records and scoring hash the same code even if a source file
        is edited while `wiki verify` runs.
        """
        return _combined(self.registries, "fingerprint")

    @functools.cached_property
    def environment_version(self) -> str:
        """The chosen registries' environment (e.g. torch version), combined like the code."""
        return _combined(self.registries, "environment")

    def registry_name(self, experiment: str) -> str:
        owner = self.owner.get(experiment)
        return owner.name if owner else ""


def _combined(registries: list[ExperimentRegistry], attribute: str) -> str:
    values = [(r.name, load_object(getattr(r, attribute))()) for r in registries]
    if len(values) == 1:  # the common case keeps the keys a single registry always had
        return values[0][1]
    if not values:
        return "no-registry"
    text = ";".join(f"{name}={value}" for name, value in sorted(values))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def load_registry(name: str) -> ExperimentRegistry:
    """The registry an entry point of `wiki.experiments` names; RegistryError if none."""
    entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    found = [ep for ep in entry_points if ep.name == name]
    try:
        if found:
            registry = found[0].load()
        elif name in KNOWN_REGISTRIES:
            registry = load_object(KNOWN_REGISTRIES[name])
        else:
            installed = sorted({ep.name for ep in entry_points} | set(KNOWN_REGISTRIES))
            raise RegistryError(
                f"[tool.wiki] experiments: no registry {name!r} (installed: "
                f"{', '.join(installed)}); install the package that provides it"
            )
    except ImportError as error:
        raise RegistryError(f"experiment registry {name!r} cannot be imported: {error}") from None
    if not isinstance(registry, ExperimentRegistry):
        raise RegistryError(
            f"entry point {name!r} of {ENTRY_POINT_GROUP} is a {type(registry).__name__},"
            " not a wiki.experiments.ExperimentRegistry"
        )
    return registry


_chosen: tuple[str, ...] = ("jepa_ref",)


def use_registries(names: Iterable[str]) -> None:
    """Choose the registries of this process (from `[tool.wiki] experiments`)."""
    global _chosen
    _chosen = tuple(names)


def active_catalog() -> Catalog:
    """The catalog of the chosen registries (loaded once per choice)."""
    return _catalog(_chosen)


@functools.cache
def _catalog(names: tuple[str, ...]) -> Catalog:
    return Catalog(load_registry(name) for name in names)


def load_object(target: str) -> Any:
    """The object a "module:attribute" text names, importing the module now."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
