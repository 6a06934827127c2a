"""What scoring produces: verdicts, link and claim scores, factors, thesis status, history."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from wiki.expect import ExpectationResult
from wiki.ledger import RunRecord
from wiki.schema import Grade, Scope


class Verdict(StrEnum):
    reproduced = "reproduced"
    partial = "partial"
    not_reproduced = "not-reproduced"
    not_run = "not-run"
    stale = "stale"
    untestable = "untestable"
    invalid = "invalid"  # a sanity relation of the protocol card failed on a current run


@dataclass(frozen=True)
class Factor:
    """One reason a claim's effective grade moved (or did not), with the runs behind it."""

    direction: Literal["up", "down", "none"]
    scope: Scope
    experiment: str
    verdict: Verdict
    reason: str
    run_keys: list[str]


def seed_held(results: list[ExpectationResult] | None) -> bool:
    """Whether a seed's current run exists and every expectation of the link held on it."""
    # A link with no expectations proves nothing (`wiki check` rejects it).
    return results is not None and len(results) > 0 and all(r.held for r in results)


@dataclass(frozen=True)
class MetricSummary:
    """One metric of a link over its current runs: per-seed values, mean, 95% t-interval.

    For an expectation (`expect` set) also the signed margin of the mean to the threshold
    (positive = on the passing side) and whether it is fragile (rule in
    `wiki.scoring.uncertainty`). `interval` is None with fewer than two finite values.
    """

    metric: str
    values: dict[int, float | None]  # seed -> value; None: the run lacks the metric
    mean: float | None
    sd: float | None  # between-seed sample standard deviation (n-1)
    interval: tuple[float, float] | None
    expect: str | None = None
    threshold: float | None = None  # the threshold the margin is measured to
    margin: float | None = None
    fragile: bool = False
    mean_holds: bool | None = None  # whether the mean itself meets the expectation

    @property
    def n(self) -> int:
        """How many seeds gave a finite value (the interval's sample size)."""
        return sum(1 for v in self.values.values() if v is not None and math.isfinite(v))


@dataclass(frozen=True)
class SanityCheck:
    """One `METRIC OP METRIC` relation of a protocol card checked on one run."""

    relation: str
    seed: int
    left: float | None
    right: float | None
    held: bool | None  # None: a metric is missing from the run, so it was not checked


@dataclass
class LinkScore:
    """The verdict of one experiment link, with the runs and per-seed results behind it."""

    index: int  # position in the claim's `experiments`
    experiment: str
    scope: Scope
    verdict: Verdict
    seeds: list[int]
    config: dict[str, Any] | None  # resolved; None when params do not validate
    run_keys: dict[int, str]  # seed -> key of the run scoring asks for now
    runs: list[RunRecord]  # current runs found, in seed order
    results: dict[int, list[ExpectationResult]]  # seed -> current expectations on its run
    stale_runs: list[RunRecord] = field(default_factory=list)  # latest older run per seed
    changed_inputs: list[str] = field(default_factory=list)  # why those runs are not current
    problem: str | None = None  # why the link cannot be scored at all
    summaries: list[MetricSummary] = field(default_factory=list)  # one per expectation
    controls: list[MetricSummary] = field(default_factory=list)  # the card's control metrics
    sanity: list[SanityCheck] = field(default_factory=list)  # every relation on every run
    sensitivity_parameter: str | None = None  # the card's swept setting, if any

    @property
    def failed_sanity(self) -> list[SanityCheck]:
        return [check for check in self.sanity if check.held is False]

    @property
    def fragile(self) -> list[MetricSummary]:
        return [summary for summary in self.summaries if summary.fragile]

    @property
    def held_seeds(self) -> list[int]:
        return [seed for seed in self.seeds if seed_held(self.results.get(seed))]

    @property
    def missing_seeds(self) -> list[int]:
        return [seed for seed in self.seeds if seed not in self.results]


@dataclass
class ClaimScore:
    claim_id: str
    page_id: str
    literature_grade: Grade
    effective_grade: Grade
    verdict: Verdict
    factors: list[Factor]
    links: list[LinkScore]
    fingerprint: str = ""


@dataclass
class ThesisStatus:
    stale: bool
    unreviewed: bool
    reasons: list[str]


@dataclass
class WikiScores:
    claims: dict[str, ClaimScore]
    theses: dict[str, ThesisStatus]
    fingerprints: dict[str, str]  # claim, concept and thesis ids -> fingerprint
    code_fingerprint: str
    torch_version: str


@dataclass(frozen=True)
class GradeChange:
    date: dt.date
    old: Grade
    new: Grade
    reason: str
    run_keys: list[str]
    timestamp: dt.datetime
