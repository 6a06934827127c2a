"""How each claim's effective grade moved as the ledger grew, oldest change first."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from wiki.experiments import active_catalog
from wiki.ledger import RunRecord, canonical_json
from wiki.planning import Registry
from wiki.schema import Grade
from wiki.scoring.grades import factors_behind_grade, grade_change_reason, score_claim
from wiki.scoring.types import ClaimScore, GradeChange
from wiki.scoring.verdicts import RunIndex, try_resolve


def grade_history(
    wiki: Any, ledger_records: Iterable[RunRecord], registry: Registry | None = None
) -> dict[str, list[GradeChange]]:
    """Each claim's effective-grade changes as the ledger grew, oldest first.

    Rule: the ledger is read in file order (= append order) in batches, a batch being
    consecutive records requested by the same claim (one `wiki verify` of that claim).
    After each batch, the claims it can affect (those with a link of the same experiment
    and resolved config as one of its runs, and the claims that requested them) are
    re-scored with today's claim content against every run recorded so far, taking the
    batch's code fingerprint and torch version as "current" at that moment; a grade that
    differs from that claim's previous one (initially its literature grade) is a
    GradeChange. Staleness caused only by code edited after the last run is not
    history: it shows in `score_wiki`, not here.
    """
    registry = active_catalog() if registry is None else registry
    claims_by_run: dict[tuple[str, str], set[str]] = defaultdict(set)
    for claim_id, entry in wiki.claims.items():
        for link in entry.claim.experiments:
            config, _ = try_resolve(link, registry)
            if config is not None:
                claims_by_run[(link.experiment, canonical_json(config))].add(claim_id)
    grades = {claim_id: entry.claim.evidence.grade for claim_id, entry in wiki.claims.items()}
    history: dict[str, list[GradeChange]] = {claim_id: [] for claim_id in wiki.claims}
    index = RunIndex()
    for batch in _batches(ledger_records):
        affected: set[str] = set()
        for record in batch:
            index.add(record)
            affected |= claims_by_run.get((record.experiment, canonical_json(record.config)), set())
            if record.claim is not None and record.claim in wiki.claims:
                affected.add(record.claim)
        last = batch[-1]
        for claim_id in sorted(affected):
            entry = wiki.claims[claim_id]
            score = score_claim(
                entry.claim,
                entry.page_id,
                index,
                registry,
                last.code_fingerprint,
                last.torch_version,
            )
            if score.effective_grade is grades[claim_id]:
                continue
            history[claim_id].append(_grade_change(score, grades[claim_id], last.date))
            grades[claim_id] = score.effective_grade
    return history


def _batches(records: Iterable[RunRecord]) -> list[list[RunRecord]]:
    batches: list[list[RunRecord]] = []
    for record in records:
        if batches and batches[-1][-1].claim == record.claim:
            batches[-1].append(record)
        else:
            batches.append([record])
    return batches


def _grade_change(score: ClaimScore, old: Grade, when: dt.datetime) -> GradeChange:
    keys = [key for factor in factors_behind_grade(score) for key in factor.run_keys]
    return GradeChange(
        when.date(), old, score.effective_grade, grade_change_reason(score), keys, when
    )
