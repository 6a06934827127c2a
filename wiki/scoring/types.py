"""What scoring produces: verdicts, link and claim scores, factors, thesis status, history."""

from __future__ import annotations

import datetime as dt
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
