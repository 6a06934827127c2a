"""Check every claim's experiment links against the jepa_ref registry, without running anything.

This is the `check_experiments` hook of `wiki.corpus.load_wiki`: the experiment must
exist, its `params` must validate against the experiment's config model, every
`expect` key must be a metric that the experiment yields for that config, and every
comparison must parse. Each problem is a ContentError at its file:line:col.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from wiki.errors import ContentError
from wiki.expect import ExpectationSyntaxError, parse_expectation
from wiki.experiments import Experiment, active_catalog
from wiki.load import did_you_mean
from wiki.schema import ExperimentLink

FieldPath = tuple[str | int, ...]


def check_experiments(
    wiki: Any, registry: Mapping[str, Experiment] | None = None
) -> list[ContentError]:
    """Every problem in every claim's `experiments` entries, located; empty when all is well."""
    registry = active_catalog() if registry is None else registry
    errors: list[ContentError] = []
    for entry in wiki.claims.values():
        for position, link in enumerate(entry.claim.experiments):
            link_path: FieldPath = ("claims", entry.index, "experiments", position)
            for problem in _link_problems(link, registry):
                path, line, col = _locate(
                    wiki, entry.page_id, link_path + problem.field_path, problem.at_key
                )
                errors.append(ContentError(path, line, col, problem.message, problem.hint))
    return errors


@dataclass(frozen=True)
class _Problem:
    field_path: FieldPath  # inside the experiment link
    message: str
    hint: str | None = None
    at_key: bool = False  # a key that should not be there is pointed at, not its value


def _locate(wiki: Any, page_id: str, field_path: FieldPath, at_key: bool) -> tuple[Any, int, int]:
    if at_key:
        page = wiki.pages[page_id]
        return (page.path, *page.locations.key_at(field_path))
    return wiki.location(page_id, field_path)


def _link_problems(link: ExperimentLink, registry: Mapping[str, Experiment]) -> Iterator[_Problem]:
    experiment = registry.get(link.experiment)
    if experiment is None:
        known = ", ".join(sorted(registry))
        hint = did_you_mean(link.experiment, registry)
        yield _Problem(
            ("experiment",),
            f"unknown experiment {link.experiment!r}",
            f"{hint} known experiments: {known}" if hint else f"known experiments: {known}",
        )
        yield from _syntax_problems(link)
        return
    config, param_problems = _validated_config(experiment, link.params)
    yield from param_problems
    if config is not None:
        yield from _metric_problems(link, experiment, config)
    yield from _syntax_problems(link)


def _validated_config(
    experiment: Experiment, params: dict[str, Any]
) -> tuple[BaseModel | None, list[_Problem]]:
    try:
        return experiment.config.model_validate(params), []
    except ValidationError as error:
        fields = list(experiment.config.model_fields)
        problems = []
        for problem in error.errors():
            location = tuple(problem["loc"])
            name = ".".join(["params", *(str(part) for part in location)])
            message = f"{name}: {problem['msg']}"
            if problem["type"] != "extra_forbidden":
                problems.append(_Problem(("params", *location), message))
                continue
            close = did_you_mean(str(location[0]), fields)
            listing = f"{experiment.name} params: {', '.join(fields)}"
            hint = f"{close} {listing}" if close else listing
            problems.append(_Problem(("params", *location), message, hint, at_key=True))
        return None, problems


def _metric_problems(
    link: ExperimentLink, experiment: Experiment, config: BaseModel
) -> Iterator[_Problem]:
    metrics = list(experiment.metric_names(config))
    listing = f"{experiment.name} yields: {', '.join(metrics)}"
    if not link.expect:
        yield _Problem(
            (),
            f"experiment link {experiment.name!r} has no `expect`: nothing to check,"
            " so it can never reproduce the claim",
            f"add comparisons such as `expect: {{{metrics[0]}: '>= 0.5'}}`; {listing}"
            if metrics
            else listing,
        )
    for metric in link.expect:
        if metric not in metrics:
            close = did_you_mean(metric, metrics)
            yield _Problem(
                ("expect", metric),
                f"expect: {metric!r} is not a metric of {experiment.name} with these params",
                f"{close} {listing}" if close else listing,
                at_key=True,
            )


def _syntax_problems(link: ExperimentLink) -> Iterator[_Problem]:
    for metric, text in link.expect.items():
        try:
            parse_expectation(text)
        except ExpectationSyntaxError as error:
            yield _Problem(("expect", metric), f"expect.{metric}: {error}")
