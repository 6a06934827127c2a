"""`wiki verify`: run what a claim's experiments are missing, record the runs, re-score.

Reads top to bottom: plan the runs (ledger lookup by run key), execute the missing
ones through an executor, append each record as it finishes (so Ctrl-C keeps every
finished run), then score before and after to report what moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from wiki.corpus import Wiki
from wiki.executor import Executor, RunJob, RunOutcome
from wiki.experiments import Catalog, active_catalog
from wiki.ledger import (
    Ledger,
    LedgerError,
    RunRecord,
    build_record,
    canonical_json,
    save_for_recovery,
)
from wiki.planning import Registry, planned_runs
from wiki.scoring.types import WikiScores
from wiki.scoring.wiki_scores import score_wiki


@dataclass(frozen=True)
class PlannedClaimRun:
    """A run one claim's experiment link needs, and whether the ledger already holds it."""

    claim_id: str
    link_index: int
    run: RunJob  # its registry is filled in when it becomes a job
    expect: Mapping[str, str]
    cached: RunRecord | None


@dataclass
class VerifyPlan:
    claim_ids: list[str]
    runs: list[PlannedClaimRun]
    registry_of: dict[str, str] = field(default_factory=dict)  # experiment -> registry name
    # run key -> core-seconds an earlier run of the same experiment and config took
    expected_cost: dict[str, float] = field(default_factory=dict)

    @property
    def jobs(self) -> list[RunJob]:
        """Runs to execute: each missing key once, even when several claims share it.

        Longest first (by what earlier runs of the same config cost; never-run configs
        first of all), so the last runs to finish on a pool are short ones and no core
        idles while one long run ends alone. Ties keep the plan's order.
        """
        unique: dict[str, RunJob] = {}
        for planned in self.runs:
            if planned.cached is None and planned.run.key not in unique:
                run = planned.run
                registry = self.registry_of.get(run.experiment, "")
                unique[run.key] = replace(run, registry=registry)
        return sorted(unique.values(), key=lambda job: -self.expected_cost.get(job.key, math.inf))


@dataclass(frozen=True)
class UnsavedRun:
    """A finished run the ledger refused: where it was saved instead (None: nowhere)."""

    record: RunRecord
    error: str
    recovery_file: Path | None


@dataclass
class VerifyResult:
    plan: VerifyPlan
    before: WikiScores
    after: WikiScores
    fresh: dict[str, RunRecord] = field(default_factory=dict)  # key -> record made now
    failures: list[RunOutcome] = field(default_factory=list)  # runs whose experiment raised
    unsaved: list[UnsavedRun] = field(default_factory=list)  # finished, but not in the ledger


def plan_verification(
    wiki: Wiki,
    claim_ids: Iterable[str],
    records: Iterable[RunRecord],
    seeds: list[int] | None = None,
    force: bool = False,
    registry: Registry | None = None,
) -> VerifyPlan:
    """Every run the claims' links ask for (`seeds` overrides each link's own), cached or not."""
    registry = active_catalog() if registry is None else registry
    by_key = {record.key: record for record in records if record.status == "ok"}
    claim_ids = list(claim_ids)
    runs = []
    for claim_id in claim_ids:
        claim = wiki.claims[claim_id].claim
        for index, link in enumerate(claim.experiments):
            if seeds is not None:
                link = link.model_copy(update={"seeds": seeds})
            for run in planned_runs(link, registry):
                cached = None if force else by_key.get(run.key)
                runs.append(PlannedClaimRun(claim_id, index, run, dict(link.expect), cached))
    owners = {r.run.experiment: _registry_name(registry, r.run.experiment) for r in runs}
    return VerifyPlan(claim_ids, runs, owners, expected_costs(runs, by_key.values()))


def expected_costs(
    runs: Iterable[PlannedClaimRun], records: Iterable[RunRecord]
) -> dict[str, float]:
    """Each run's likely cost in core-seconds: the mean of seconds x threads over recorded
    runs of its experiment and config (any seed, any code); runs with no such record are
    left out."""
    costs: dict[tuple[str, str], list[float]] = {}
    for record in records:
        identity = (record.experiment, canonical_json(record.config))
        costs.setdefault(identity, []).append(record.seconds * (record.threads or 1))
    expected = {}
    for planned in runs:
        recorded = costs.get((planned.run.experiment, canonical_json(planned.run.config)))
        if recorded:
            expected[planned.run.key] = sum(recorded) / len(recorded)
    return expected


def _registry_name(registry: Registry, experiment: str) -> str:
    # A Catalog knows which registry holds an experiment; a plain table (tests) does not.
    return registry.registry_name(experiment) if isinstance(registry, Catalog) else ""


def execute_plan(
    plan: VerifyPlan,
    executor: Executor,
    ledger: Ledger,
    on_outcome: Callable[[RunOutcome, RunRecord | None], None] = lambda outcome, record: None,
    on_start: Callable[[RunJob], None] = lambda job: None,
) -> tuple[dict[str, RunRecord], list[RunOutcome], list[UnsavedRun]]:
    """Execute the plan's jobs; append each finished run to the ledger at once.

    A run the ledger refuses (disk full, lock hung) goes to a recovery file instead.
    """
    requester = {p.run.key: p for p in plan.runs}  # for the record's informational claim/expect
    fresh: dict[str, RunRecord] = {}
    failures: list[RunOutcome] = []
    unsaved: list[UnsavedRun] = []
    for outcome in executor.run_all(plan.jobs, on_start):
        if outcome.error is not None:
            failures.append(outcome)
            on_outcome(outcome, None)
            continue
        planned = requester[outcome.job.key]
        record = build_record(
            experiment=outcome.job.experiment,
            config=outcome.job.config,
            seed=outcome.job.seed,
            metrics=outcome.metrics,
            curves=outcome.curves,
            seconds=outcome.seconds,
            expect=planned.expect,
            claim=planned.claim_id,
            threads=outcome.threads,
            executor=outcome.executor,
            node=outcome.node,
        )
        try:
            ledger.append(record)
        except LedgerError as error:
            unsaved.append(UnsavedRun(record, str(error), save_for_recovery(record, ledger.path)))
            on_outcome(outcome, record)
            continue
        fresh[record.key] = record
        on_outcome(outcome, record)
    return fresh, failures, unsaved


def verify_claims(
    wiki: Wiki,
    claim_ids: Iterable[str],
    ledger: Ledger,
    executor: Executor,
    seeds: list[int] | None = None,
    force: bool = False,
    on_plan: Callable[[VerifyPlan], None] = lambda plan: None,
    on_outcome: Callable[[RunOutcome, RunRecord | None], None] = lambda outcome, record: None,
    on_start: Callable[[RunJob], None] = lambda job: None,
    registry: Registry | None = None,
) -> VerifyResult:
    """Plan, execute what is missing, and score the wiki before and after."""
    registry = active_catalog() if registry is None else registry
    records_before = ledger.records()
    plan = plan_verification(wiki, claim_ids, records_before, seeds, force, registry)
    on_plan(plan)
    before = score_wiki(wiki, records_before, registry)
    fresh, failures, unsaved = execute_plan(plan, executor, ledger, on_outcome, on_start)
    after = score_wiki(wiki, ledger.records(), registry)
    return VerifyResult(plan, before, after, fresh, failures, unsaved)


MAX_SEEDS = 1000  # a sweep beyond this is a typo (0-99999), not a plan
SEEDS_FORM = "seeds are non-negative integers like 0-4 or 0,3,7"


def parse_seeds(text: str) -> list[int]:
    """`0-4` -> [0..4], `0,3,7` -> [0, 3, 7], mixed `0-2,10` too.

    Raises ValueError with a message in the tool's words: ASCII digits only (`int()`
    would also take `０` or `٣`), at most MAX_SEEDS seeds.
    """
    seeds: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"empty seed in {text!r}; {SEEDS_FORM}")
        low, dash, high = part.partition("-")
        if dash:
            start, stop = _seed_number(low, part), _seed_number(high, part)
            if stop < start:
                raise ValueError(f"seed range {part!r} runs backwards; write {stop}-{start}")
            if stop - start + 1 > MAX_SEEDS:
                raise ValueError(_too_many(stop - start + 1))
            seeds.update(range(start, stop + 1))
        else:
            seeds.add(_seed_number(part, part))
        if len(seeds) > MAX_SEEDS:
            raise ValueError(_too_many(len(seeds)))
    return sorted(seeds)


def _seed_number(text: str, part: str) -> int:
    digits = text.strip()
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{part!r} is not a seed; {SEEDS_FORM}")
    return int(digits)


def _too_many(count: int) -> str:
    return f"{count} seeds asked for, at most {MAX_SEEDS}; {SEEDS_FORM}"
